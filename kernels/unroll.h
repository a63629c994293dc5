/* The persistent unroll driver of the blocked, avx2 and avx512 variants
 * (ISA-neutral); each supplies only its micro-kernel table (ukernel/ukernel.h).
 *
 * One `omp parallel` region per run.  Each thread owns a fixed slice of hidden
 * units, hence a fixed slice of the packed weights (it stays in that core's L2),
 * and computes every gate of those units for all batch rows.  Per step: the
 * recurrent GEMM h @ Wh with the cell math in its epilogue, then one barrier (GRU:
 * two, r*h must be whole before the candidate GEMM).  The input part x @ Wx is
 * hoisted: one GEMM per chunk of steps, before those steps, for every step whose
 * input is known (encoder; decoder in teacher forcing).  Greedy decoder steps
 * multiply their input inside the step kernel instead; with the built-in loop
 * function their projection, argmax and embedding run on every thread too
 * (each a slice of V; docs/variants-simd.md, "Greedy projection"). */
#ifndef TS_UNROLL_H
#define TS_UNROLL_H
#include "pack.h"
#include "tiedseq.h"
#include "ukernel/ukernel.h"

typedef struct ts_unroll_plan ts_unroll_plan;

/* The driver has the variant contract's signatures (variants/variant.h), so a
 * variant on it is a ts_variant whose .impl is a ts_ukernels table and whose
 * operations are these (TS_UNROLL_OPS there): no per-ISA trampolines. */

/* Every shape: tails are padded panels, never refused. */
bool ts_unroll_supports(const ts_problem *p, char *why, size_t n);
/* Untimed: pack weights for the vector width of ukernels (a const ts_ukernels *),
 * allocate all buffers; *plan is a ts_unroll_plan. */
int ts_unroll_prepare(const void *ukernels, const ts_problem *p, const ts_weights *w, void **plan, ts_err *e);
/* The same with several layers run as a wavefront: layer l at step t beside
 * layer l+1 at step t-1, one barrier per anti-diagonal (kernels/unroll.c).
 * Supported only where it differs from the plain schedule (layers > 1). */
int ts_unroll_prepare_wavefront(const void *ukernels, const ts_problem *p, const ts_weights *w, void **plan,
                                ts_err *e);
bool ts_unroll_supports_wavefront(const ts_problem *p, char *why, size_t n);
/* Timed: one whole tied seq2seq forward; 0 or the loop function's status. */
int ts_unroll_run(void *plan, const ts_inputs *in, ts_outputs *out);
void ts_unroll_release(void *plan);
/* "16u x 4 gates, 6x64 tile, hoisted input (25-step chunks)" */
const char *ts_unroll_detail(const void *plan);

#endif
