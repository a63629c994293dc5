/* amx-bf16: the unroll driver (kernels/unroll.c) over AMX tiles
 * (kernels/x86/bf16-gemm-amx.c): avx512-bf16's numerics (the cell's matrices
 * as bf16 k pairs, GEMM inputs rounded to bf16 RNE, fp32 accumulation, state
 * and cell math) with the input projection and every step's GEMM done by
 * TDPBF16PS, the cell math in AVX-512.  Greedy logits, the LSTMCell
 * projection and peepholes stay fp32.  The registry checks the AMX bits
 * (CPU, XCR0, Linux's permission: ts_cpu_amx_why says which is missing)
 * before any of this runs.  Never executed on real AMX yet: its kernels are
 * verified through the tile emulation (tests/test_amx_emu.c). */
#include "variant.h"

const ts_variant ts_variant_amx_bf16 = {
    .name = "amx-bf16",
    .summary = "AMX TDPBF16PS tiles over bf16 k-pair panels (input projection and steps), AVX-512 cell math, "
               "fp32 state; greedy logits, projection, peepholes fp32",
    .isa = TS_ISA_AMX,
    .precision = TS_PREC_BF16,
    .impl = &ts_ukernels_amx_bf16,
    TS_UNROLL_OPS,
};
