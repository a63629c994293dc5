/* The avx2-bf16 instance of the register-tile kernels (rnn-tile.inc.h): the
 * avx2 3x32 tile over bf16 weights (TS_WFMT_BF16: half the bytes streamed per
 * step), widened to fp32 by a shift on load, and a GEMM operand rounded to
 * bf16 (RNE) as it is read; fp32 FMAs, accumulation, cell math and state: the
 * numerics of avx512-bf16 up to the order of the fp32 additions.  The greedy
 * logits and the LSTMCell projection stay fp32 (the avx2 table's xproj).
 * Runs only after the CPU check. */
#include "../ukernel/ukernel.h"
#include "simd-avx2.h"
#include "../ukernel/vact.inc.h"

#define TS_MR 3
#define TS_KN(op) ts_bf16_##op##_3x32__avx2
#define TS_BF16 1
#define TS_WTYPE uint16_t
#define TS_WLOAD(p) vf_load_bf16(p)
void ts_f32_xproj_3x32__avx2(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                             const float *bias, float *c);
#define TS_XPROJ_F32 ts_f32_xproj_3x32__avx2
#include "../ukernel/rnn-tile.inc.h"

const ts_ukernels ts_ukernels_avx2_bf16 = TS_UKERNELS("avx2-bf16", "3x32");
