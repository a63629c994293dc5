/* The vf_* vector vocabulary in portable C: GCC's vector extensions, 4 floats
 * (one 128-bit register; on x86-64 gcc emits baseline SSE2, elsewhere the
 * target's own 128-bit vectors).  The shared templates (vact.inc.h,
 * rnn-tile.inc.h) are written once against these names, so the `blocked`
 * variant runs exactly the avx2/avx512 code at a quarter of the width.
 * No FMA: vf_fmadd is a multiply then an add (two roundings), which the
 * activations' error bounds and the verify tolerance already cover
 * (tests/test_simd_vact.c measures them).  static inline only. */
#ifndef TS_SIMD_GENERIC_H
#define TS_SIMD_GENERIC_H
#include <stdint.h>
#include <string.h>

/* TS_GENERIC_LANES 16 (defined before the include): the same vocabulary at
 * AVX-512's width, for test-only tables that must pack panels exactly as the
 * 16-lane ISA does (the emulated AMX table: a panel row of 4 tiles' columns) */
#ifndef TS_GENERIC_LANES
#define TS_GENERIC_LANES 4
#endif
/* (16 lanes: gcc warns that a 64-byte vector passed by value has no fixed ABI
 * without AVX-512 (-Wpsabi), also for its own local clones, where no pragma
 * reaches; every function here is static inline, no ABI is crossed, so the
 * including file gets -Wno-psabi in CMakeLists.txt) */
#define VF_LANES TS_GENERIC_LANES
typedef float vf __attribute__((vector_size(4 * VF_LANES), aligned(4 * VF_LANES)));
typedef int32_t vf_mask __attribute__((vector_size(4 * VF_LANES), aligned(4 * VF_LANES))); /* all-ones lanes */

#if VF_LANES == 4
static inline vf vf_set1(float x) { return (vf){x, x, x, x}; }
#else /* spelled out: (vf){0} + x would turn -0.0f into +0.0f (vf_abs, vf_copysign need its sign bit) */
static inline vf vf_set1(float x) { return (vf){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
#endif
_Static_assert(VF_LANES == 4 || VF_LANES == 16, "vf_set1 is spelled out for 4 and 16 lanes");
static inline vf vf_load(const float *p) { return *(const vf *)p; } /* aligned to its size */
static inline void vf_store(float *p, vf v) { *(vf *)p = v; }
static inline vf vf_loadu(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vf_storeu(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vf_bcast(const float *p) { return vf_set1(*p); }
static inline vf vf_zero(void) { return vf_set1(0.0f); }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
/* m ? b : a, lane-wise, by bits (C has no vector ?:) */
static inline vf vf_blend(vf_mask m, vf a, vf b) { return (vf)(((vf_mask)b & m) | ((vf_mask)a & ~m)); }
static inline vf_mask vf_lt(vf a, vf b) { return a < b; }
/* min/max: b when either is NaN, as SSE's minps/maxps (vact.inc.h relies on it):
 * a compare with NaN is false, so the blend keeps b */
static inline vf vf_min(vf a, vf b) { return vf_blend(a < b, b, a); }
static inline vf vf_max(vf a, vf b) { return vf_blend(a > b, b, a); }
/* a*b + c and c - a*b, each op rounded (no fused multiply-add in baseline x86-64) */
static inline vf vf_fmadd(vf a, vf b, vf c) { return a * b + c; }
static inline vf vf_fnmadd(vf a, vf b, vf c) { return c - a * b; }
static inline vf vf_abs(vf a) { return (vf)((vf_mask)a & ~(vf_mask)vf_set1(-0.0f)); }
/* |mag| with the sign bit of sgn */
static inline vf vf_copysign(vf mag, vf sgn)
{
    const vf_mask sign = (vf_mask)vf_set1(-0.0f);
    return (vf)(((vf_mask)mag & ~sign) | ((vf_mask)sgn & sign));
}
/* y * 2^n for integral n in [-126, 127]: build 2^n in the exponent field */
static inline vf vf_ldexp(vf y, vf n)
{
    vf_mask e = (__builtin_convertvector(n, vf_mask) + 127) << 23;
    return y * (vf)e;
}
/* 1/d: a true division (correctly rounded; the ISA versions need Newton steps) */
static inline vf vf_recip(vf d) { return vf_set1(1.0f) / d; }
/* the first n (< VF_LANES) lanes; the rest read as 0 and are never written */
static inline vf vf_loadn(const float *p, int n)
{
    vf v = vf_zero();
    memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
}
static inline void vf_storen(float *p, vf v, int n) { memcpy(p, &v, (size_t)n * sizeof(float)); }

#endif
