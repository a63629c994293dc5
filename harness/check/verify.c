#include "harness/check/verify.h"
#include "variants/peer.h"

#include "harness/check/reference.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calibrated once (see docs/correctness.md): worst naive error on the default set
 * stays below tol/4 while a 1e-4 perturbation still fails. */
#define TS_TOL_K 8.0

const char *ts_status_name(ts_status s)
{
    static const char *const names[] = {"PASS", "MARGINAL", "FAIL", "SKIPPED", "MISTRUSTED", "ERROR"};
    return (unsigned)s <= TS_ERROR ? names[s] : "?";
}

double ts_tolerance(const ts_problem *p)
{
    double n = (double)(p->I + p->H) * (double)(p->E + p->D);
    return TS_TOL_K * ceil(log2(n < 2 ? 2 : n)) * FLT_EPSILON;
}

double ts_tie_tolerance(const ts_problem *p, const ts_weights *w, double tol)
{
    if (p->feed != TS_FEED_GREEDY)
        return 0;
    double worst = 0; /* max over columns of sum_k |W_kv| */
    for (int64_t v = 0; v < p->V; v++) {
        double s = 0;
        for (int64_t k = 0; k < p->H; k++) /* an inf weight makes its logit +-inf (or NaN) */
            s += isfinite(w->proj_w[k * p->V + v]) ? fabs(w->proj_w[k * p->V + v]) : 0.0; /* whatever the error */
        worst = s > worst ? s : worst;
    }
    /* each of the two logits may move by (per-element error bound 2*tol) * sum|W| */
    return 4.0 * tol * worst;
}

typedef struct acc {
    double max_abs, max_rel, num, den, worst_ratio;
    int64_t n, saturated; /* finite reference values compared; of them saturated or 0 */
    int64_t nonfinite;    /* NaN/inf reference values matched or missed */
    char worst[96];
} acc;

/* |got - ref| with TF's non-finite values compared exactly: NaN where the
 * reference has NaN, or the same infinity, is equal (0); NaN or an infinity on
 * one side only is an infinite error, so it FAILs. */
static double elem_error(double g, double r)
{
    if (isnan(g) || isnan(r))
        return isnan(g) && isnan(r) ? 0.0 : INFINITY;
    if (isinf(g) || isinf(r))
        return g == r ? 0.0 : INFINITY;
    return fabs(g - r);
}

/* got/ref: batch row b of tensor `name` (of decoder step i, or i < 0 for a final state) */
static void compare_tensor(acc *a, const char *name, const float *got, const float *ref,
                           int64_t n, int64_t i, int64_t b, double tol)
{
    for (int64_t k = 0; k < n; k++) {
        double g = got[k], r = ref[k], d = elem_error(g, r);
        /* a matched NaN/inf contributes no error and stays out of the norms and
         * the saturation count (r*r would make them NaN) */
        double fr = isfinite(r) ? fabs(r) : 0.0;
        double ratio = d / (tol + tol * fr);
        a->max_abs = d > a->max_abs ? d : a->max_abs;
        if (fr != 0 && d / fr > a->max_rel)
            a->max_rel = d / fr;
        a->num += d * d;
        a->den += fr * fr;
        if (isfinite(r)) {
            a->n++;
            a->saturated += fr > 0.999 || r == 0;
        } else {
            a->nonfinite++;
        }
        if (ratio > a->worst_ratio) {
            a->worst_ratio = ratio;
            if (i >= 0)
                snprintf(a->worst, sizeof a->worst, "%s[%lld][%lld][%lld]", name, (long long)i,
                         (long long)b, (long long)k);
            else
                snprintf(a->worst, sizeof a->worst, "%s[%lld][%lld]", name, (long long)b, (long long)k);
        }
    }
}

/* Greedy: the first step at which each batch row's symbol differs (D = none). */
static int64_t first_divergence(const ts_problem *p, const ts_outputs *got,
                                const ts_outputs *expect, int64_t b)
{
    if (p->feed != TS_FEED_GREEDY || !got->symbols || !expect->symbols)
        return p->D;
    for (int64_t i = 1; i < p->D; i++)
        if (got->symbols[i * p->B + b] != expect->symbols[i * p->B + b])
            return i;
    return p->D;
}

/* "; note" after the reason (or the note alone) */
static void append_note(ts_verdict *v, const char *fmt, ...)
{
    size_t used = strlen(v->reason);
    if (used && used + 2 < sizeof v->reason)
        used += (size_t)snprintf(v->reason + used, sizeof v->reason - used, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason + used, sizeof v->reason - used, fmt, ap);
    va_end(ap);
}

void ts_compare(const ts_problem *p, const ts_outputs *got, const ts_outputs *expect,
                const double *margins, double tol, double tie_tol, ts_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->tol = tol;
    acc a = {0};
    const int64_t B = p->B, H = p->H;
    bool lstm = p->cell == TS_CELL_LSTM;
    for (int64_t b = 0; b < B; b++) {
        int64_t div = first_divergence(p, got, expect, b);
        if (div < p->D) {
            double m = margins ? margins[div * B + b] : INFINITY;
            if (!(m < tie_tol)) {
                v->status = TS_FAIL;
                snprintf(v->reason, sizeof v->reason,
                         "greedy symbol differs at step %lld row %lld (got %d, expected %d; "
                         "reference margin %.3g >= tie tolerance %.3g)", (long long)div, (long long)b,
                         got->symbols[div * B + b], expect->symbols[div * B + b], m, tie_tol);
                return;
            }
            v->ties++;
        }
        /* outputs of row b up to the divergence; final state only without one */
        for (int64_t i = 0; i < div; i++) {
            compare_tensor(&a, "out", got->out + (i * B + b) * H, expect->out + (i * B + b) * H, H,
                           i, b, tol);
            if (got->states_h && expect->states_h)
                compare_tensor(&a, "states_h", got->states_h + (i * B + b) * H,
                               expect->states_h + (i * B + b) * H, H, i, b, tol);
            if (lstm && got->states_c && expect->states_c)
                compare_tensor(&a, "states_c", got->states_c + (i * B + b) * H,
                               expect->states_c + (i * B + b) * H, H, i, b, tol);
        }
        if (div == p->D) {
            compare_tensor(&a, "h", got->h + b * H, expect->h + b * H, H, -1, b, tol);
            if (lstm)
                compare_tensor(&a, "c", got->c + b * H, expect->c + b * H, H, -1, b, tol);
        }
    }
    v->max_abs = a.max_abs;
    v->max_rel = a.max_rel;
    v->rel_l2 = a.den > 0 ? sqrt(a.num / a.den) : sqrt(a.num);
    v->worst_ratio = a.worst_ratio;
    snprintf(v->worst, sizeof v->worst, "%s", a.worst);
    if (!(a.worst_ratio <= 1.0)) {
        v->status = TS_FAIL;
        snprintf(v->reason, sizeof v->reason, "error %.3g at %s exceeds tolerance (%.2fx)",
                 a.max_abs, a.worst, a.worst_ratio);
    } else if (a.n > 0 && (double)a.saturated >= 0.9 * (double)a.n) {
        v->status = TS_MISTRUSTED;
        snprintf(v->reason, sizeof v->reason, "%lld of %lld values saturated or zero",
                 (long long)a.saturated, (long long)a.n);
    } else if (a.worst_ratio > 0.25) {
        v->status = TS_MARGINAL;
        snprintf(v->reason, sizeof v->reason, "worst error is %.2fx the tolerance", a.worst_ratio);
    } else {
        v->status = TS_PASS;
    }
    if (a.nonfinite && v->status != TS_FAIL)
        append_note(v, "%lld NaN/inf value(s) matched the expected exactly", (long long)a.nonfinite);
    if (v->ties && v->status != TS_FAIL)
        append_note(v, "%lld greedy row(s) diverged at an honest tie", (long long)v->ties);
}

int ts_run_variant(const ts_variant *var, const ts_problem *p, const ts_weights *w,
                   const ts_inputs *in, ts_outputs *out, ts_err *e)
{
    ts_plan *plan = NULL;
    if (var->prepare(p, w, &plan, e))
        return -1;
    int rc = var->run(plan, in, out);
    var->release(plan);
    if (rc)
        return ts_fail(e, "%s: run failed (status %d)", var->name, rc);
    return 0;
}

void ts_verify_variant(const ts_variant *var, const ts_problem *p, uint64_t seed, ts_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->tol = ts_tolerance(p);
    char why[256];
    if (!ts_variant_available(var, p, why, sizeof why)) {
        v->status = TS_SKIPPED;
        snprintf(v->reason, sizeof v->reason, "%s", why);
        return;
    }
    ts_tensors t;
    ts_result ref, got;
    ts_err e = {{0}};
    double *margins = NULL;
    bool have_t = false, have_ref = false, have_got = false;
    v->status = TS_ERROR;
    if (ts_tensors_alloc(&t, p, &e))
        goto fail;
    have_t = true;
    ts_tensors_fill(&t, seed);
    if (ts_result_alloc(&ref, p, true, &e))
        goto fail;
    have_ref = true;
    /* a peer (another process) returns outputs and the final state, not every step's */
    if (ts_result_alloc(&got, p, !ts_variant_is_peer(var), &e))
        goto fail;
    have_got = true;
    margins = calloc((size_t)(p->D * p->B) + 1, sizeof *margins);
    if (!margins) {
        ts_fail(&e, "out of memory for margins");
        goto fail;
    }
    if (ts_reference_run(p, &t.w, &t.in, &ref.o, margins, &e))
        goto fail;
    if (ts_run_variant(var, p, &t.w, &t.in, &got.o, &e))
        goto fail;
    ts_compare(p, &got.o, &ref.o, margins, v->tol, ts_tie_tolerance(p, &t.w, v->tol), v);
    goto done;
fail:
    snprintf(v->reason, sizeof v->reason, "%s", e.msg);
done:
    free(margins);
    if (have_got)
        ts_result_free(&got);
    if (have_ref)
        ts_result_free(&ref);
    if (have_t)
        ts_tensors_free(&t);
}
