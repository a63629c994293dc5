/* The avx512-bf16 instance of the register-tile kernels (rnn-tile.inc.h): the
 * avx512 6x64 tile with vdpbf16ps over weights packed as bf16 pairs along k
 * (TS_WFMT_BF16_PAIRS) and the operand pair (a[k], a[k+1]) rounded to bf16
 * (vcvtneps2bf16, RNE) and broadcast as one 32-bit lane; fp32 accumulation,
 * cell math and state.  The greedy logits and the LSTMCell projection stay
 * fp32 (the avx512 table's xproj).  Runs only after the CPU check
 * (TS_ISA_AVX512BF16); tests/test_bf16.c proves its packing with a portable
 * emulation of vdpbf16ps where the instruction cannot run. */
#include "../ukernel/ukernel.h"
#include "simd-avx512.h"
#include "simd-avx512bf16.h"
#include "../ukernel/vact.inc.h"

#define TS_MR 6
#define TS_KN(op) ts_bf16_##op##_6x64__avx512bf16
#define TS_BF16 2
#define TS_WTYPE uint16_t
#define TS_WLOAD(p) ((void)(p), vf_zero()) /* unused: the pairs go through vf_dpbf16 */
void ts_f32_xproj_6x64__avx512(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                               const float *bias, float *c);
#define TS_XPROJ_F32 ts_f32_xproj_6x64__avx512
#include "../ukernel/rnn-tile.inc.h"

const ts_ukernels ts_ukernels_avx512_bf16 = TS_UKERNELS("avx512-bf16", "6x64");
