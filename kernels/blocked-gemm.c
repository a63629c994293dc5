/* The blocked variant's micro-kernel (see blocked-gemm.h).  Written so gcc -O2
 * vectorises it at baseline flags: constant-bound inner loops that `GCC unroll`
 * fully unrolls, a local accumulator array that never escapes (so it lives in
 * registers) and SLP-vectorised 8-wide column updates.  Verify with
 * `-fopt-info-vec` or objdump: the k loop is 2 movups + mr (movss, shufps) +
 * 2*mr (mulps, addps). */
#include "blocked-gemm.h"

#define MR TS_BLK_MR
#define NR TS_BLK_NR
/* The MR x NR tile: acc[r][c] lives in 2*mr xmm registers for the whole k loop. */
static inline void tile(const int mr, const float *restrict init, int64_t ldi, const float *restrict a,
                        int64_t lda, const float *restrict panel, int64_t K, float *out, int64_t ldo)
{
    float acc[MR][NR];
#pragma GCC unroll 6
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++)
            acc[r][c] = init[r * ldi + c];
    for (int64_t k = 0; k < K; k++) {
        const float *restrict b = panel + k * NR;
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) {
            const float av = a[r * lda + k];
#pragma GCC unroll 8
            for (int c = 0; c < NR; c++)
                acc[r][c] += av * b[c];
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++)
            out[r * ldo + c] = acc[r][c];
}

/* mr = 1 or 2 (small batch): one accumulator set is only 2*mr dependency chains,
 * so the 4-cycle add latency, not the 2-per-cycle throughput, would bound the
 * loop.  ks = 4/mr sets split k (set s takes k = s mod ks): 8 independent chains.
 * Summing the sets at the end reorders the rounding (within verify tolerance). */
#define SPLIT 4 /* mr * ks */
static inline void tile_split(const int mr, const float *restrict init, int64_t ldi,
                              const float *restrict a, int64_t lda, const float *restrict panel,
                              int64_t K, float *out, int64_t ldo)
{
    const int ks = SPLIT / mr;
    float acc[SPLIT][NR]; /* set s, row r at acc[s*mr + r] */
#pragma GCC unroll 4
    for (int v = 0; v < SPLIT; v++)
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++)
            acc[v][c] = v < mr ? init[v * ldi + c] : 0.0f;
    int64_t k = 0;
    for (; k + ks <= K; k += ks)
#pragma GCC unroll 4
        for (int v = 0; v < SPLIT; v++) {
            const int s = v / mr, r = v % mr;
            const float av = a[r * lda + k + s];
            const float *restrict b = panel + (k + s) * NR;
#pragma GCC unroll 8
            for (int c = 0; c < NR; c++)
                acc[v][c] += av * b[c];
        }
    for (; k < K; k++)
#pragma GCC unroll 2
        for (int r = 0; r < mr; r++) {
            const float av = a[r * lda + k];
#pragma GCC unroll 8
            for (int c = 0; c < NR; c++)
                acc[r][c] += av * panel[k * NR + c];
        }
#pragma GCC unroll 2
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++) {
            float v = acc[r][c];
#pragma GCC unroll 4
            for (int s = 1; s < ks; s++)
                v += acc[s * mr + r][c];
            out[r * ldo + c] = v;
        }
}

void ts_f32_gemm_6x8__c(int mr, const float *init, int64_t ldi, const float *a, int64_t lda,
                        const float *panel, int64_t K, float *out, int64_t ldo)
{
    /* one specialisation per row count: constant mr and ks let gcc unroll fully */
    switch (mr) {
    case 6: tile(6, init, ldi, a, lda, panel, K, out, ldo); break;
    case 5: tile(5, init, ldi, a, lda, panel, K, out, ldo); break;
    case 4: tile(4, init, ldi, a, lda, panel, K, out, ldo); break;
    case 3: tile(3, init, ldi, a, lda, panel, K, out, ldo); break;
    case 2: tile_split(2, init, ldi, a, lda, panel, K, out, ldo); break;
    default: tile_split(1, init, ldi, a, lda, panel, K, out, ldo); break;
    }
}
