/* Portable register-blocked GEMM micro-kernel for the `blocked` variant: plain C
 * that gcc turns into SSE2 at baseline x86-64 flags (no intrinsics, no ISA flags).
 *
 * A weight matrix is packed into column panels of TS_BLK_NR columns, each panel
 * stored k-major ([K][NR], contiguous), so one k step reads NR consecutive floats.
 * The micro-tile keeps an MR x NR block of accumulators in registers:
 * 6 x 8 = 12 xmm accumulators + 2 panel vectors + broadcast + temporary = 16,
 * exactly the SSE register file (checked in the assembly: no spills). */
#ifndef TS_BLOCKED_GEMM_H
#define TS_BLOCKED_GEMM_H
#include <stdint.h>

#define TS_BLK_MR 6 /* rows (batch rows) per micro-tile */
#define TS_BLK_NR 8 /* columns per packed panel: two 4-float SSE vectors */

/* out[r][c] = init[r*ldi + c] + sum_{k<K} a[r*lda + k] * panel[k*NR + c]
 * for r < mr (1..TS_BLK_MR), c < TS_BLK_NR.  ldi = 0 broadcasts one init row (a
 * bias) to every row.  K = 0 copies init.  out may alias init (same ld). */
void ts_f32_gemm_6x8__c(int mr, const float *init, int64_t ldi, const float *a, int64_t lda,
                        const float *panel, int64_t K, float *out, int64_t ldo);

#endif
