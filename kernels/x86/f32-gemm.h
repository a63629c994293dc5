/* The SIMD micro-kernels (kernels/x86/f32-gemm-<isa>.c), one table per ISA for
 * the unroll driver.  Use an ISA's kernels only after ts_cpu_isa() reports it.
 * Names: ts_f32_<op>_<rows>x<floats>__<isa> (the register tile). */
#ifndef TS_F32_GEMM_H
#define TS_F32_GEMM_H
#include "../unroll.h"

/* c[rows x 64] = bias + a[rows x K] @ w[K x 64], one packed panel */
void ts_f32_xproj_6x64__avx512(int64_t rows, int64_t K, const float *a, int64_t lda, const float *w,
                               const float *bias, float *c);
/* one cell step of one panel over all batch rows (unroll.h: ts_tile_args) */
void ts_f32_step_rnn_6x64__avx512(const ts_tile_args *t);
void ts_f32_step_lstm_6x64__avx512(const ts_tile_args *t);
void ts_f32_step_gru_gates_6x64__avx512(const ts_tile_args *t);
void ts_f32_step_gru_cand_6x64__avx512(const ts_tile_args *t);
/* greedy argmax over one [rows x 64] logits panel (unroll.h: ts_ukernels.argmax) */
void ts_f32_argmax_6x64__avx512(int64_t rows, const float *c, int64_t col0, float *best_z, int64_t *best_i);
extern const ts_ukernels ts_ukernels_avx512;

void ts_f32_xproj_3x32__avx2(int64_t rows, int64_t K, const float *a, int64_t lda, const float *w,
                             const float *bias, float *c);
void ts_f32_step_rnn_3x32__avx2(const ts_tile_args *t);
void ts_f32_step_lstm_3x32__avx2(const ts_tile_args *t);
void ts_f32_step_gru_gates_3x32__avx2(const ts_tile_args *t);
void ts_f32_step_gru_cand_3x32__avx2(const ts_tile_args *t);
void ts_f32_argmax_3x32__avx2(int64_t rows, const float *c, int64_t col0, float *best_z, int64_t *best_i);
extern const ts_ukernels ts_ukernels_avx2;

#endif
