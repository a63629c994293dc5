/* The avx512-bf16 template path (TS_BF16 == 2, k-pair panels, vf_dpbf16) over
 * the generic 4-lane vectors with vdpbf16ps emulated in C (bf16-emu.h): a
 * test-only table, never registered as a variant.  tests/test_bf16.c runs the
 * unroll driver over it and verifies it with the bf16 method, which proves the
 * packing, the operand pairs and the k-blocking of avx512-bf16 on machines
 * without AVX512-BF16. */
#include "ukernel.h"
#include "simd-generic.h"
#include "bf16-emu.h"
#include "vact.inc.h"

#define TS_MR 3
#define TS_KN(op) ts_bf16_##op##_3x16__generic_emu
#define TS_BF16 2
#define TS_WTYPE uint16_t
#define TS_WLOAD(p) ((void)(p), vf_zero()) /* unused: the pairs go through vf_dpbf16 */
void ts_f32_xproj_3x16__generic(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                                const float *bias, float *c);
#define TS_XPROJ_F32 ts_f32_xproj_3x16__generic
#include "rnn-tile.inc.h"

const ts_ukernels ts_ukernels_generic_bf16_emu = TS_UKERNELS("generic-bf16-emu", "3x16");
