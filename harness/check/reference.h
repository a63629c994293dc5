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

#endif
