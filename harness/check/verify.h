/* Verification verdicts: a variant's outputs against the reference (or against
 * any expected tensors, e.g. TF golden vectors). */
#ifndef TS_VERIFY_H
#define TS_VERIFY_H
#include "kernels/tiedseq.h"
#include "variants/variant.h"
#include "harness/check/reference.h"

typedef enum {
    TS_PASS,       /* every element within tolerance */
    TS_MARGINAL,   /* within tolerance, but worst error above tol/4 (BLIS's warn band) */
    TS_FAIL,       /* some element outside tolerance, or a greedy symbol differs without a tie */
    TS_SKIPPED,    /* variant unavailable for this problem on this CPU */
    TS_MISTRUSTED, /* passed, but >= 90% of outputs saturated or zero: the check proves little */
    TS_ERROR,      /* prepare/run failed */
} ts_status;

const char *ts_status_name(ts_status s);

/* A bf16 variant's drift from fp32 (reported, never pass/fail): its outputs
 * against the fp32 reference's. */
typedef struct ts_drift {
    bool valid;                   /* false for fp32 variants: the columns stay empty */
    double out_max, out_rms;      /* |got - ref32| over every decoder output */
    double state_max, state_rms;  /* over the final state (h, and c for LSTM) */
    double sym_agree;             /* greedy: fraction of symbols (steps 1..D-1, all rows) equal to fp32 decoding; NAN otherwise */
    int64_t first_div;            /* greedy: first step where any row's symbol differs; -1 = none or not greedy */
} ts_drift;

typedef struct ts_verdict {
    ts_status status;
    double tol;        /* |got-ref| <= tol + tol*|ref| element-wise */
    double max_abs, max_rel, rel_l2;
    double worst_ratio; /* max |got-ref| / (tol + tol*|ref|): > 1 fails */
    char worst[96];    /* where: "out[3][0][17]", "h[0][5]" */
    int64_t ties;      /* greedy rows whose symbol differed at an honest tie */
    char reason[512];
    /* bf16 variants: the end-to-end comparison with the bf16 reference
     * (worst error / ts_tolerance_bf16), and the drift from fp32 */
    double e2e_ratio;
    ts_drift drift;
} ts_verdict;

/* The tolerance for a problem: 8 * L * ceil(log2(max_k(Ik+Hout) * (E+D) * (P ? H : 1))) * FLT_EPSILON
 * (one plain layer: 8 * ceil(log2((I+H)*(E+D))) * FLT_EPSILON); docs/correctness.md. */
double ts_tolerance(const ts_problem *p);
/* bf16 variants (docs/correctness.md, "bf16 variants"):
 * the step-local check of one cell from the variant's own state:
 *   8 * ceil(log2(max_k(Ik+Hout) * (P ? H : 1))) * FLT_EPSILON (one step of one layer);
 * the end-to-end comparison with the reference on bf16-rounded operands:
 *   L * ceil(log2(max_k(Ik+Hout) * (E+D) * (P ? H : 1))) * 2^-8 (bf16's unit roundoff). */
double ts_tolerance_step(const ts_problem *p);
double ts_tolerance_bf16(const ts_problem *p);
/* Extra tolerance for the greedy argmax margin: error bound of a logit difference. */
double ts_tie_tolerance(const ts_problem *p, const ts_weights *w, double tol);

/* Compare got with expected at tolerance tol.  margins (optional [D x B]) from the
 * reference decide whether a greedy symbol difference is an honest tie; tie_tol
 * is the margin below which it is. */
void ts_compare(const ts_problem *p, const ts_outputs *got, const ts_outputs *expect,
                const double *margins, double tol, double tie_tol, ts_verdict *v);

/* A variant's outputs against the reference, by the variant's precision: fp32
 * with ts_compare at ts_tolerance; bf16 with the step-local check (needs got's
 * per-step states), the end-to-end comparison with the bf16 reference (run
 * here) and the drift from ref32.  ref32/margins32: the fp32 reference run. */
void ts_verify_outputs(const ts_variant *var, const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                       const ts_outputs *got, const ts_outputs *ref32, const double *margins32, ts_verdict *v);
/* The bf16 verification with the reference numerics nx (tests: a mutated
 * rounding must FAIL); nx = NULL is RNE, as ts_verify_outputs does. */
void ts_verify_bf16(const ts_problem *p, const ts_weights *w, const ts_inputs *in, const ts_outputs *got,
                    const ts_outputs *ref32, const ts_ref_numerics *nx, ts_verdict *v);

/* Fill with seed, run the reference and the variant, compare. */
void ts_verify_variant(const ts_variant *var, const ts_problem *p, uint64_t seed, ts_verdict *v);

/* Run a variant once on given tensors (prepare, run, release). */
int ts_run_variant(const ts_variant *var, const ts_problem *p, const ts_weights *w,
                   const ts_inputs *in, ts_outputs *out, ts_err *e);

#endif
