/* The vf_* vector vocabulary over AVX2+FMA (8 floats).  Included only by files
 * compiled with the AVX2 flags, never together with simd-avx512.h: the shared
 * templates (vact.inc.h, rnn-tile.inc.h) are written once against these names.
 * static inline only (a shared header must not emit out-of-line ISA code). */
#ifndef TS_SIMD_AVX2_H
#define TS_SIMD_AVX2_H
#include <immintrin.h>
#include <stdint.h>

typedef __m256 vf;
typedef __m256 vf_mask; /* AVX2 has no mask registers: all-ones lanes */
#define VF_LANES 8

static inline vf vf_load(const float *p) { return _mm256_load_ps(p); }
static inline vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_store_ps(p, v); }
static inline void vf_storeu(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_bcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
/* min/max: b when either is NaN (the instruction's rule; vact.inc.h relies on it) */
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
/* a*b + c, c - a*b: one rounding each */
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* |mag| with the sign bit of sgn */
static inline vf vf_copysign(vf mag, vf sgn)
{
    const vf sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, mag), _mm256_and_ps(sign, sgn));
}
static inline vf vf_round(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* y * 2^n for integral n in [-126, 127]: build 2^n in the exponent field */
static inline vf vf_ldexp(vf y, vf n)
{
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
/* 1/d to ~1 ulp: rcp (rel. error 1.5*2^-12) and two Newton steps (one step
 * leaves ~2^-23, which measured 3.5 ulp in sigmoid and 2.9 in tanh) */
static inline vf vf_recip(vf d)
{
    const vf one = _mm256_set1_ps(1.0f);
    vf y = _mm256_rcp_ps(d);
    y = _mm256_fmadd_ps(y, _mm256_fnmadd_ps(d, y, one), y);
    return _mm256_fmadd_ps(y, _mm256_fnmadd_ps(d, y, one), y);
}
/* the first n (< 8) lanes; the rest read as 0 and are never written (maskload/maskstore) */
static inline __m256i vf_tailmask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vf_loadn(const float *p, int n) { return _mm256_maskload_ps(p, vf_tailmask(n)); }
static inline void vf_storen(float *p, vf v, int n) { _mm256_maskstore_ps(p, vf_tailmask(n), v); }
static inline vf_mask vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
/* m ? b : a, lane-wise */
static inline vf vf_blend(vf_mask m, vf a, vf b) { return _mm256_blendv_ps(a, b, m); }

/* ---- bf16 (the avx2-bf16 table: AVX2 has no bf16 instructions, but bf16 is
 * the top half of an fp32, so widening is a shift and rounding integer adds) ---- */

/* 8 bf16 at p (16-byte aligned) as fp32: vpmovzxwd + vpslld 16, exact */
static inline vf vf_load_bf16(const uint16_t *p)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_load_si128((const __m128i *)p)), 16));
}
/* fp32 -> bf16 -> fp32, round-to-nearest-even (ts_bf16_round): add 0x7fff plus
 * the kept part's lowest bit, clear the low half; a NaN is kept, made quiet */
static inline vf vf_round_bf16(vf x)
{
    const __m256i u = _mm256_castps_si256(x), hi = _mm256_set1_epi32((int)0xffff0000u);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_and_si256(_mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), hi);
    __m256i q = _mm256_and_si256(_mm256_or_si256(u, _mm256_set1_epi32(0x00400000)), hi);
    return _mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(q), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

#endif
