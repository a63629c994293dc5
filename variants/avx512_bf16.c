/* avx512-bf16: the unroll driver (kernels/unroll.c) over the avx512 6x64 tile
 * with vdpbf16ps (kernels/x86/bf16-gemm-avx512bf16.c): the cell's matrices
 * packed as bf16 pairs along k, the operand pair (a[k], a[k+1]) rounded to bf16
 * (RNE) and broadcast as one 32-bit lane, fp32 accumulation, state and cell
 * math.  Greedy logits, the LSTMCell projection and peepholes stay fp32.  The
 * registry checks AVX512-BF16 before any of this runs. */
#include "variant.h"

const ts_variant ts_variant_avx512_bf16 = {
    .name = "avx512-bf16",
    .summary = "AVX512-BF16 vdpbf16ps over bf16 k-pair panels, bf16-rounded GEMM inputs, fp32 state; "
               "greedy logits, projection, peepholes fp32",
    .isa = TS_ISA_AVX512BF16,
    .precision = TS_PREC_BF16,
    .impl = &ts_ukernels_avx512_bf16,
    TS_UNROLL_OPS,
};
