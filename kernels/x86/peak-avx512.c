/* `tiedseq peak` loops, AVX-512F (zmm).  Runs only after ts_cpu_isa() says AVX-512. */
#include "peak-kernels.h"

#include <immintrin.h>

#define SET(v) _mm512_set1_ps(v)
#define FMA(c) c = _mm512_fmadd_ps(c, a, b)

/* acc = acc * a + b keeps lanes finite and normal (see peak-avx2.c). */
float ts_f32_fma_peak__avx512(int64_t iters)
{
    const __m512 a = SET(0.999999f), b = SET(1e-7f);
    __m512 c0 = SET(0.0f), c1 = SET(0.1f), c2 = SET(0.2f), c3 = SET(0.3f);
    __m512 c4 = SET(0.4f), c5 = SET(0.5f), c6 = SET(0.6f), c7 = SET(0.7f);
    __m512 c8 = SET(0.8f), c9 = SET(0.9f), c10 = SET(1.0f), c11 = SET(1.1f);
    __m512 c12 = SET(1.2f), c13 = SET(1.3f), c14 = SET(1.4f), c15 = SET(1.5f);
    for (int64_t k = 0; k < iters; k++) {
        FMA(c0), FMA(c1), FMA(c2), FMA(c3), FMA(c4), FMA(c5), FMA(c6), FMA(c7);
        FMA(c8), FMA(c9), FMA(c10), FMA(c11), FMA(c12), FMA(c13), FMA(c14), FMA(c15);
    }
    __m512 s0 = _mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3));
    __m512 s1 = _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7));
    __m512 s2 = _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11));
    __m512 s3 = _mm512_add_ps(_mm512_add_ps(c12, c13), _mm512_add_ps(c14, c15));
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

/* 8 zmm loads (one 512-byte block) per iteration into 8 named accumulators
 * (an array of them ends up in memory at -O2, and the store-forwarding chain
 * would be measured instead of the loads). */
float ts_f32_read__avx512(const float *p, size_t n, int64_t passes)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int64_t r = 0; r < passes; r++)
        for (const float *q = p, *end = p + n; q < end; q += TS_PEAK_READ_BLOCK) {
            s0 = _mm512_add_ps(s0, _mm512_load_ps(q + 0)), s1 = _mm512_add_ps(s1, _mm512_load_ps(q + 16));
            s2 = _mm512_add_ps(s2, _mm512_load_ps(q + 32)), s3 = _mm512_add_ps(s3, _mm512_load_ps(q + 48));
            s4 = _mm512_add_ps(s4, _mm512_load_ps(q + 64)), s5 = _mm512_add_ps(s5, _mm512_load_ps(q + 80));
            s6 = _mm512_add_ps(s6, _mm512_load_ps(q + 96)), s7 = _mm512_add_ps(s7, _mm512_load_ps(q + 112));
        }
    __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                             _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
    return _mm512_reduce_add_ps(t);
}
