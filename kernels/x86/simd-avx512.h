/* The vf_* vector vocabulary over AVX-512F (16 floats).  Included only by files
 * compiled with the AVX-512 flags, never together with simd-avx2.h: the shared
 * templates (vact.inc.h, rnn-tile.inc.h) are written once against these names.
 * static inline only (a shared header must not emit out-of-line ISA code). */
#ifndef TS_SIMD_AVX512_H
#define TS_SIMD_AVX512_H
#include <immintrin.h>

typedef __m512 vf;
typedef __mmask16 vf_mask;
#define VF_LANES 16

static inline vf vf_load(const float *p) { return _mm512_load_ps(p); }
static inline vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_store_ps(p, v); }
static inline void vf_storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_bcast(const float *p) { return _mm512_set1_ps(*p); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
/* min/max: b when either is NaN (the instruction's rule; vact.inc.h relies on it) */
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
/* a*b + c, c - a*b: one rounding each */
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
/* |mag| with the sign bit of sgn */
static inline vf vf_copysign(vf mag, vf sgn)
{
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag), _mm512_castps_si512(sgn),
                                                         sign, 0xD8)); /* sign ? sgn : mag, bitwise */
}
static inline vf vf_round(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* y * 2^n for integral n in [-126, 127] */
static inline vf vf_ldexp(vf y, vf n) { return _mm512_scalef_ps(y, n); }
/* 1/d to ~1 ulp: rcp14 (rel. error 2^-14) and one Newton step (error squared) */
static inline vf vf_recip(vf d)
{
    vf y = _mm512_rcp14_ps(d);
    vf r = _mm512_fnmadd_ps(d, y, _mm512_set1_ps(1.0f)); /* 1 - d*y, exact-ish with FMA */
    return _mm512_fmadd_ps(y, r, y);
}
/* the first n (< 16) lanes; the rest read as 0 and are never written (masked) */
static inline vf vf_loadn(const float *p, int n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
static inline void vf_storen(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
static inline vf_mask vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
/* m ? b : a, lane-wise */
static inline vf vf_blend(vf_mask m, vf a, vf b) { return _mm512_mask_blend_ps(m, a, b); }

#endif
