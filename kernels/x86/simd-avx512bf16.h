/* bf16 additions to the vf_* vocabulary over AVX512-BF16 (the avx512-bf16
 * table, kernels/x86/bf16-gemm-avx512bf16.c): pairs of bf16 along k for
 * vdpbf16ps.  Included after simd-avx512.h, only by files compiled with the
 * AVX512-BF16 flags.  static inline only. */
#ifndef TS_SIMD_AVX512BF16_H
#define TS_SIMD_AVX512BF16_H
#include <immintrin.h>
#include <stdint.h>

typedef __m512i vbf; /* 16 lanes, each a (k, k+1) pair of bf16: low half k */

/* one vector of 16 weight pairs (32 bf16) at p, 64-byte aligned */
static inline vbf vbf_load(const uint16_t *p) { return _mm512_load_si512((const void *)p); }
/* the operand pair (a[k], a[k+1]) in every lane */
static inline vbf vbf_bcast_pair(uint32_t pair) { return _mm512_set1_epi32((int)pair); }
/* acc + a.hi*w.hi + a.lo*w.lo per lane (vdpbf16ps: two fp32 adds, RNE, DAZ/FTZ) */
static inline vf vf_dpbf16(vf acc, vbf a, vbf w) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)w); }
/* fp32 -> bf16 -> fp32, round-to-nearest-even (vcvtneps2bf16; its DAZ differs
 * from ts_bf16_round only below 2^-126) */
static inline vf vf_round_bf16(vf x)
{
    __m256i b = (__m256i)_mm512_cvtneps_pbh(x);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
}

#endif
