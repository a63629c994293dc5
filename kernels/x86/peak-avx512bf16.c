/* `tiedseq peak` loop for AVX512-BF16: vdpbf16ps throughput.  Runs only after
 * ts_cpu_isa() reports TS_ISA_AVX512BF16. */
#include "peak-kernels.h"

#include <immintrin.h>

/* acc += a.hi*b.hi + a.lo*b.lo per lane: 16 lanes x 2 pairs x 2 FLOP per
 * instruction.  a, b are small bf16 pairs, so the accumulators grow by ~1e-6
 * per step and stay finite and normal for any iteration count we run. */
#define DP(c) c = _mm512_dpbf16_ps(c, a, b)

float ts_bf16_dp_peak__avx512bf16(int64_t iters)
{
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3a833a83); /* bf16 ~1e-3 in both halves */
    const __m512bh b = (__m512bh)_mm512_set1_epi32(0x3a833a83);
    __m512 c0 = _mm512_set1_ps(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    __m512 c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    for (int64_t k = 0; k < iters; k++) {
        DP(c0), DP(c1), DP(c2), DP(c3), DP(c4), DP(c5), DP(c6), DP(c7);
        DP(c8), DP(c9), DP(c10), DP(c11), DP(c12), DP(c13), DP(c14), DP(c15);
    }
    __m512 s0 = _mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3));
    __m512 s1 = _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7));
    __m512 s2 = _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11));
    __m512 s3 = _mm512_add_ps(_mm512_add_ps(c12, c13), _mm512_add_ps(c14, c15));
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}
