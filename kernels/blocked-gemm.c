/* The blocked variant's micro-kernel (see blocked-gemm.h).  Written so gcc -O2
 * vectorises it at baseline flags: constant-bound inner loops that `GCC unroll`
 * fully unrolls, a local accumulator array that never escapes (so it lives in
 * registers) and SLP-vectorised 8-wide column updates.  Verify with
 * `-fopt-info-vec` or objdump: the k loop is 2 movups + mr (movss, shufps) +
 * 2*mr (mulps, addps). */
#include "blocked-gemm.h"

#define MR TS_BLK_MR
#define NR TS_BLK_NR
/* ts_f32_gemm_6x8__c's switch has one case per height 6..1, and tile_1x8_k4
 * and the SSE register budget (blocked-gemm.h) assume 8 columns */
_Static_assert(TS_BLK_MR == 6, "ts_f32_gemm_6x8__c dispatches heights 6..1");
_Static_assert(TS_BLK_NR == 8, "the blocked tiles are written for 8-column panels");
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

/* mr = 1 (batch 1): one accumulator row is only 2 dependency chains, so the
 * 4-cycle add latency, not the 2-per-cycle throughput, would bound the loop.
 * Four sets over k mod 4 give 8 chains; they are summed at the end, a
 * reordering of the rounding well inside the verify tolerance.  Written out set
 * by set: gcc's SLP turned a generic [set][row][col] array into lane-reversing
 * shuffles, and a two-row, two-set version into scalar code (gcc 12). */
__attribute__((noinline)) static void tile_1x8_k4(const float *restrict init, const float *restrict a, const float *restrict panel,
                        int64_t K, float *out)
{
    float s0[NR], s1[NR], s2[NR], s3[NR];
    /* no unroll pragma here: unrolled, this init sends gcc 12's SLP down a
     * lane-reversed layout (a shufps per panel load); as a loop it is clean */
    for (int c = 0; c < NR; c++) {
        s0[c] = init[c];
        s1[c] = 0.0f;
        s2[c] = 0.0f;
        s3[c] = 0.0f;
    }
    int64_t k = 0;
    for (; k + 4 <= K; k += 4) {
        const float x0 = a[k], x1 = a[k + 1], x2 = a[k + 2], x3 = a[k + 3];
        const float *restrict b = panel + k * NR;
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++) {
            s0[c] += x0 * b[c];
            s1[c] += x1 * b[NR + c];
            s2[c] += x2 * b[2 * NR + c];
            s3[c] += x3 * b[3 * NR + c];
        }
    }
    for (; k < K; k++)
#pragma GCC unroll 8
        for (int c = 0; c < NR; c++)
            s0[c] += a[k] * panel[k * NR + c];
#pragma GCC unroll 8
    for (int c = 0; c < NR; c++)
        out[c] = (s0[c] + s1[c]) + (s2[c] + s3[c]);
}

/* One out-of-line copy per row count: constant mr lets gcc unroll fully, and
 * noinline keeps each copy's register allocation and SLP graph to itself (inlined
 * into one switch, gcc hoisted shared loads and the 1-row copy lost its shape). */
#define TILE_MR(m)                                                                                   \
    __attribute__((noinline)) static void tile_##m(const float *restrict init, int64_t ldi,         \
                                                   const float *restrict a, int64_t lda,            \
                                                   const float *restrict panel, int64_t K, float *out, \
                                                   int64_t ldo)                                     \
    {                                                                                                \
        tile(m, init, ldi, a, lda, panel, K, out, ldo);                                              \
    }
TILE_MR(6)
TILE_MR(5)
TILE_MR(4)
TILE_MR(3)
TILE_MR(2)

void ts_f32_gemm_6x8__c(int mr, const float *init, int64_t ldi, const float *a, int64_t lda,
                        const float *panel, int64_t K, float *out, int64_t ldo)
{
    switch (mr) {
    case 6: tile_6(init, ldi, a, lda, panel, K, out, ldo); break;
    case 5: tile_5(init, ldi, a, lda, panel, K, out, ldo); break;
    case 4: tile_4(init, ldi, a, lda, panel, K, out, ldo); break;
    case 3: tile_3(init, ldi, a, lda, panel, K, out, ldo); break;
    case 2: tile_2(init, ldi, a, lda, panel, K, out, ldo); break; /* only when B = 2 (see callers) */
    default: tile_1x8_k4(init, a, panel, K, out); break;
    }
}
