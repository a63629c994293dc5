/* avx2-bf16: the unroll driver (kernels/unroll.c) over the avx2 tile with bf16
 * weights (kernels/x86/bf16-gemm-avx2.c): the cell's matrices rounded once to
 * bf16 (RNE) in prepare and widened by a shift as they stream (half the bytes
 * per step), the GEMM input (x, h, or GRU's r*h) rounded to bf16 as it is read,
 * fp32 FMAs, state and cell math.  AVX2 has no bf16 arithmetic, but these are
 * exactly avx512-bf16's numerics up to the order of fp32 additions, so the bf16
 * verification and drift run for real on AVX2 machines.  Greedy logits, the
 * LSTMCell projection and peepholes stay fp32. */
#include "variant.h"

const ts_variant ts_variant_avx2_bf16 = {
    .name = "avx2-bf16",
    .summary = "avx2 with bf16 weights (shift-widened) and bf16-rounded GEMM inputs, fp32 FMA/state; "
               "greedy logits, projection, peepholes fp32",
    .isa = TS_ISA_AVX2_FMA,
    .precision = TS_PREC_BF16,
    .impl = &ts_ukernels_avx2_bf16,
    TS_UNROLL_OPS,
};
