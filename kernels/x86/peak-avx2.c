/* `tiedseq peak` loops, AVX2+FMA (ymm).  Runs only after ts_cpu_isa() says AVX2 and FMA. */
#include "peak-kernels.h"

#include <immintrin.h>

/* acc = acc * a + b: a just below 1 and b tiny keep every lane finite and away
 * from denormals however long the loop runs. */
float ts_f32_fma_peak__avx2(int64_t iters)
{
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0.0f), c1 = _mm256_set1_ps(0.1f), c2 = _mm256_set1_ps(0.2f);
    __m256 c3 = _mm256_set1_ps(0.3f), c4 = _mm256_set1_ps(0.4f), c5 = _mm256_set1_ps(0.5f);
    __m256 c6 = _mm256_set1_ps(0.6f), c7 = _mm256_set1_ps(0.7f), c8 = _mm256_set1_ps(0.8f);
    __m256 c9 = _mm256_set1_ps(0.9f), c10 = _mm256_set1_ps(1.0f), c11 = _mm256_set1_ps(1.1f);
    for (int64_t k = 0; k < iters; k++) {
        c0 = _mm256_fmadd_ps(c0, a, b), c1 = _mm256_fmadd_ps(c1, a, b);
        c2 = _mm256_fmadd_ps(c2, a, b), c3 = _mm256_fmadd_ps(c3, a, b);
        c4 = _mm256_fmadd_ps(c4, a, b), c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b), c7 = _mm256_fmadd_ps(c7, a, b);
        c8 = _mm256_fmadd_ps(c8, a, b), c9 = _mm256_fmadd_ps(c9, a, b);
        c10 = _mm256_fmadd_ps(c10, a, b), c11 = _mm256_fmadd_ps(c11, a, b);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    return _mm256_cvtss_f32(s);
}

/* 16 ymm loads (one 512-byte block) per iteration into 8 named accumulators
 * (an array of them ends up in memory at -O2: see peak-avx512.c). */
#define LD(k) _mm256_load_ps(q + 8 * (k))
float ts_f32_read__avx2(const float *p, size_t n, int64_t passes)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int64_t r = 0; r < passes; r++)
        for (const float *q = p, *end = p + n; q < end; q += TS_PEAK_READ_BLOCK) {
            s0 = _mm256_add_ps(s0, LD(0)), s1 = _mm256_add_ps(s1, LD(1));
            s2 = _mm256_add_ps(s2, LD(2)), s3 = _mm256_add_ps(s3, LD(3));
            s4 = _mm256_add_ps(s4, LD(4)), s5 = _mm256_add_ps(s5, LD(5));
            s6 = _mm256_add_ps(s6, LD(6)), s7 = _mm256_add_ps(s7, LD(7));
            s0 = _mm256_add_ps(s0, LD(8)), s1 = _mm256_add_ps(s1, LD(9));
            s2 = _mm256_add_ps(s2, LD(10)), s3 = _mm256_add_ps(s3, LD(11));
            s4 = _mm256_add_ps(s4, LD(12)), s5 = _mm256_add_ps(s5, LD(13));
            s6 = _mm256_add_ps(s6, LD(14)), s7 = _mm256_add_ps(s7, LD(15));
        }
    __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                             _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
    return _mm256_cvtss_f32(t);
}
