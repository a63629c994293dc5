/* The oracle: the whole tied seq2seq with every op computed in double and
 * rounded to fp32 once per op, in TF's op order (so it is "TF with correctly
 * rounded fp32 ops"), plus the greedy argmax margins the verifier needs. */
#ifndef TS_REFERENCE_H
#define TS_REFERENCE_H
#include "kernels/tiedseq.h"

/* margins: optional [D x B]: top-1 minus top-2 logit (double) of the argmax that
 * chose input i (row 0 and custom loop functions: INFINITY). */
int ts_reference_run(const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                     ts_outputs *out, double *margins, ts_err *e);

/* The numerics a reference run imitates.  F32: TF's fp32 ops (ts_reference_run).
 * BF16: what a bf16 variant rounds: every GEMM input of the cell (x, h, or GRU's
 * r*h) is rounded to bf16 as it is used; the weights are rounded once by the
 * caller (ts_weights_round_bf16).  Sums stay in double, all else as F32. */
typedef struct ts_ref_numerics {
    ts_precision precision;
    float (*round)(float);  /* the bf16 rounding; NULL = ts_bf16_round (RNE); tests: ts_bf16_trunc */
    bool keep_state;        /* tests only: the recurrent operand (h, r*h) left unrounded */
    bool state_bf16;        /* the state h is stored in bf16 after each step (ts_variant.bf16_state) */
} ts_ref_numerics;

int ts_reference_run_nx(const ts_problem *p, const ts_weights *w, const ts_inputs *in, ts_outputs *out,
                        double *margins, const ts_ref_numerics *nx, ts_err *e);

/* One cell of layer k from a given state (the step-local check of bf16
 * variants): x [B x Ik] the layer's input, h [B x Hout] and (LSTM) c [B x H]
 * the state before, replaced by the state after.  slack (optional [B]): per
 * batch row, the most a GRU candidate may move because r*h (which the
 * variant computes itself, a few fp32 ulp from this) lies within tol*(1+|r*h|)
 * of a bf16 rounding boundary, so the two may round it apart: sum over such k
 * of |W_kj| * ulp_bf16(r*h_k), maxed over j; 0 for the other cells. */
int ts_reference_cell(const ts_problem *p, const ts_weights *w, const ts_ref_numerics *nx, int k,
                      const float *x, float *h, float *c, double tol, double *slack, ts_err *e);

/* The built-in greedy loop in double: next [B x I] = embedding[argmax(prev @ W + b)],
 * symbols [B] and margins [B] (top-1 minus top-2 logit) optional. */
void ts_reference_argmax_embed(const ts_problem *p, const ts_weights *w, const float *prev, float *next,
                               int32_t *symbols, double *margins);

/* A copy of w whose cell matrices (kernel, GRU cand_kernel) are rounded once
 * with `round` (NULL: RNE); everything else points at w's arrays.  *store holds
 * the copies: free() it after use. */
int ts_weights_round_bf16(const ts_problem *p, const ts_weights *w, float (*round)(float), ts_weights *out,
                          float **store, ts_err *e);

#endif
