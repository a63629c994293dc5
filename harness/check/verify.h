/* Verification verdicts: a variant's outputs against the reference (or against
 * any expected tensors, e.g. TF golden vectors). */
#ifndef TS_VERIFY_H
#define TS_VERIFY_H
#include "kernels/tiedseq.h"
#include "variants/variant.h"

typedef enum {
    TS_PASS,       /* every element within tolerance */
    TS_MARGINAL,   /* within tolerance, but worst error above tol/4 (BLIS's warn band) */
    TS_FAIL,       /* some element outside tolerance, or a greedy symbol differs without a tie */
    TS_SKIPPED,    /* variant unavailable for this problem on this CPU */
    TS_MISTRUSTED, /* passed, but >= 90% of outputs saturated or zero: the check proves little */
    TS_ERROR,      /* prepare/run failed */
} ts_status;

const char *ts_status_name(ts_status s);

typedef struct ts_verdict {
    ts_status status;
    double tol;        /* |got-ref| <= tol + tol*|ref| element-wise */
    double max_abs, max_rel, rel_l2;
    double worst_ratio; /* max |got-ref| / (tol + tol*|ref|): > 1 fails */
    char worst[96];    /* where: "out[3][0][17]", "h[0][5]" */
    int64_t ties;      /* greedy rows whose symbol differed at an honest tie */
    char reason[512];
} ts_verdict;

/* The tolerance for a problem: 8 * L * ceil(log2(max_k(Ik+Hout) * (E+D) * (P ? H : 1))) * FLT_EPSILON
 * (one plain layer: 8 * ceil(log2((I+H)*(E+D))) * FLT_EPSILON); docs/correctness.md. */
double ts_tolerance(const ts_problem *p);
/* Extra tolerance for the greedy argmax margin: error bound of a logit difference. */
double ts_tie_tolerance(const ts_problem *p, const ts_weights *w, double tol);

/* Compare got with expected at tolerance tol.  margins (optional [D x B]) from the
 * reference decide whether a greedy symbol difference is an honest tie; tie_tol
 * is the margin below which it is. */
void ts_compare(const ts_problem *p, const ts_outputs *got, const ts_outputs *expect,
                const double *margins, double tol, double tie_tol, ts_verdict *v);

/* Fill with seed, run the reference and the variant, compare. */
void ts_verify_variant(const ts_variant *var, const ts_problem *p, uint64_t seed, ts_verdict *v);

/* Run a variant once on given tensors (prepare, run, release). */
int ts_run_variant(const ts_variant *var, const ts_problem *p, const ts_weights *w,
                   const ts_inputs *in, ts_outputs *out, ts_err *e);

#endif
