/* `tiedseq peak` loops, baseline SSE2 (every x86-64): the fallback peak on a CPU
 * without AVX2+FMA, so the roofline always has a non-zero roof. */
#include "peak-kernels.h"

#include <emmintrin.h>

/* No FMA in SSE2: a mul and an add per lane are the 2 FLOPs of each step.
 * Named accumulators: an array of them would live in memory at -O2. */
#define MA(c) c = _mm_add_ps(_mm_mul_ps(c, a), b)
float ts_f32_muladd_peak__sse2(int64_t iters)
{
    const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
    __m128 c0 = _mm_set1_ps(0.0f), c1 = _mm_set1_ps(0.1f), c2 = _mm_set1_ps(0.2f), c3 = _mm_set1_ps(0.3f);
    __m128 c4 = _mm_set1_ps(0.4f), c5 = _mm_set1_ps(0.5f), c6 = _mm_set1_ps(0.6f), c7 = _mm_set1_ps(0.7f);
    __m128 c8 = _mm_set1_ps(0.8f), c9 = _mm_set1_ps(0.9f), c10 = _mm_set1_ps(1.0f), c11 = _mm_set1_ps(1.1f);
    for (int64_t i = 0; i < iters; i++) {
        MA(c0), MA(c1), MA(c2), MA(c3), MA(c4), MA(c5);
        MA(c6), MA(c7), MA(c8), MA(c9), MA(c10), MA(c11);
    }
    __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(c0, c1), _mm_add_ps(c2, c3)),
                          _mm_add_ps(_mm_add_ps(c4, c5), _mm_add_ps(c6, c7)));
    s = _mm_add_ps(s, _mm_add_ps(_mm_add_ps(c8, c9), _mm_add_ps(c10, c11)));
    return _mm_cvtss_f32(s);
}

/* 32 xmm loads (one 512-byte block) per iteration into 8 named accumulators. */
#define LD(k) _mm_load_ps(q + 4 * (k))
#define ADD8(k)                                                                      \
    s0 = _mm_add_ps(s0, LD(k + 0)), s1 = _mm_add_ps(s1, LD(k + 1));                  \
    s2 = _mm_add_ps(s2, LD(k + 2)), s3 = _mm_add_ps(s3, LD(k + 3));                  \
    s4 = _mm_add_ps(s4, LD(k + 4)), s5 = _mm_add_ps(s5, LD(k + 5));                  \
    s6 = _mm_add_ps(s6, LD(k + 6)), s7 = _mm_add_ps(s7, LD(k + 7))
float ts_f32_read__sse2(const float *p, size_t n, int64_t passes)
{
    __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int64_t r = 0; r < passes; r++)
        for (const float *q = p, *end = p + n; q < end; q += TS_PEAK_READ_BLOCK) {
            ADD8(0);
            ADD8(8);
            ADD8(16);
            ADD8(24);
        }
    __m128 t = _mm_add_ps(_mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3)),
                          _mm_add_ps(_mm_add_ps(s4, s5), _mm_add_ps(s6, s7)));
    return _mm_cvtss_f32(t);
}
