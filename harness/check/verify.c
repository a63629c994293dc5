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

/* docs/correctness.md derives it: per layer, the roundings of one step's dot
 * products (length Ik+Hout, and H more for LSTMCell's projection) times the steps,
 * inside a log2; times L, because each layer adds its own error to what reaches
 * the top.  One plain layer: 8 * ceil(log2((I+H)(E+D))) * eps, as always. */
static int64_t max_rows(const ts_problem *p)
{
    int64_t rows = 0;
    for (int k = 0; k < p->layers; k++) {
        int64_t r = ts_layer_input(p, k) + ts_out_width(p);
        rows = r > rows ? r : rows;
    }
    return rows;
}

static double log2_terms(double n) { return ceil(log2(n < 2 ? 2 : n)); }

double ts_tolerance(const ts_problem *p)
{
    double n = (double)max_rows(p) * (double)(p->E + p->D) * (p->P ? (double)p->H : 1.0);
    return TS_TOL_K * (double)p->layers * log2_terms(n) * FLT_EPSILON;
}

/* bf16's unit roundoff: 8 significant bits, RNE: relative error <= 2^-8 */
#define TS_BF16_U 0.00390625

/* One cell from the variant's own state: the same operands bit for bit on both
 * sides (the variant's h and x, rounded alike; the weights rounded once alike),
 * so only one step's fp32 summation order and activations differ: the fp32
 * tolerance of a single step (docs/correctness.md). */
double ts_tolerance_step(const ts_problem *p)
{
    return TS_TOL_K * log2_terms((double)max_rows(p) * (p->P ? (double)p->H : 1.0)) * FLT_EPSILON;
}

/* The whole sequence against the reference on bf16-rounded operands: the two
 * round their own h, and where they differ by a few fp32 ulp near a bf16
 * rounding boundary they round it apart by a whole bf16 ulp; such differences
 * then grow (docs/correctness.md).  So the fp32 model's shape with bf16's unit
 * roundoff in place of FLT_EPSILON, and no factor 8. */
double ts_tolerance_bf16(const ts_problem *p)
{
    double n = (double)max_rows(p) * (double)(p->E + p->D) * (p->P ? (double)p->H : 1.0);
    return (double)p->layers * log2_terms(n) * TS_BF16_U;
}

double ts_tie_tolerance(const ts_problem *p, const ts_weights *w, double tol)
{
    if (p->feed != TS_FEED_GREEDY)
        return 0;
    double worst = 0; /* max over columns of sum_k |W_kv|, W [Hout x V] */
    for (int64_t v = 0; v < p->V; v++) {
        double s = 0;
        for (int64_t k = 0; k < ts_out_width(p); k++) /* an inf weight makes its logit +-inf (or NaN) */
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

/* "name[i][layer][b][k]": i < 0 (a final state) and layer < 0 (one layer) are left out */
static void locate(char *buf, size_t n, const char *name, int64_t i, int layer, int64_t b, int64_t k)
{
    char step[24] = "", lay[16] = "";
    if (i >= 0)
        snprintf(step, sizeof step, "[%lld]", (long long)i);
    if (layer >= 0)
        snprintf(lay, sizeof lay, "[%d]", layer);
    snprintf(buf, n, "%s%s%s[%lld][%lld]", name, step, lay, (long long)b, (long long)k);
}

/* got/ref: batch row b of tensor `name` (of decoder step i, or i < 0 for a final
 * state; of layer `layer`, or layer < 0 when there is one) */
static void compare_tensor(acc *a, const char *name, const float *got, const float *ref,
                           int64_t n, int64_t i, int layer, int64_t b, double tol)
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
            locate(a->worst, sizeof a->worst, name, i, layer, b, k);
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

/* Row b of every layer's h [.. x L x B x Hout] and (lstm) c [.. x L x B x H], of
 * decoder step i (per-step states; NULL: not kept) or the final state (i < 0). */
static void compare_states(acc *a, const ts_problem *p, const float *gh, const float *gc,
                           const float *eh, const float *ec, int64_t i, int64_t b, double tol)
{
    const int64_t L = p->layers, B = p->B, H = p->H, Ho = ts_out_width(p);
    const bool lstm = p->cell == TS_CELL_LSTM;
    const int64_t step = i < 0 ? 0 : i;
    for (int k = 0; k < L; k++) {
        int layer = L > 1 ? k : -1;
        int64_t oh = ((step * L + k) * B + b) * Ho, oc = ((step * L + k) * B + b) * H;
        if (gh && eh)
            compare_tensor(a, i < 0 ? "h" : "states_h", gh + oh, eh + oh, Ho, i, layer, b, tol);
        if (lstm && gc && ec)
            compare_tensor(a, i < 0 ? "c" : "states_c", gc + oc, ec + oc, H, i, layer, b, tol);
    }
}

void ts_compare(const ts_problem *p, const ts_outputs *got, const ts_outputs *expect,
                const double *margins, double tol, double tie_tol, ts_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->tol = tol;
    acc a = {0};
    const int64_t B = p->B, Ho = ts_out_width(p);
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
            compare_tensor(&a, "out", got->out + (i * B + b) * Ho, expect->out + (i * B + b) * Ho, Ho,
                           i, -1, b, tol);
            compare_states(&a, p, got->states_h, got->states_c, expect->states_h, expect->states_c,
                           i, b, tol);
        }
        if (div == p->D)
            compare_states(&a, p, got->h, got->c, expect->h, expect->c, -1, b, tol);
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

/* ---- bf16 variants ---- */

/* The step-local check's running result. */
typedef struct local {
    double worst_ratio, max_abs;
    char worst[96];
    int64_t n, saturated, cells;
    bool failed;
    char fail[256]; /* a greedy symbol that is not the argmax of the variant's own output */
} local;

/* One bf16 ulp at |r| (8 significant bits): a state stored in bf16 may round
 * to either neighbour where the fp32 values straddle a rounding boundary. */
static double bf16_ulp(double r)
{
    int ex;
    frexp(r, &ex);
    return r == 0 || !isfinite(r) ? 0 : ldexp(1.0, ex - 8);
}

static void local_compare(local *a, const char *name, const float *got, const float *ref, int64_t n, int64_t i,
                          int layer, int64_t b, double tol, double slack, bool bf16_stored)
{
    for (int64_t k = 0; k < n; k++) {
        double g = got[k], r = ref[k], d = elem_error(g, r), fr = isfinite(r) ? fabs(r) : 0.0;
        double ratio = d / (tol + tol * fr + slack + (bf16_stored ? bf16_ulp(r) : 0));
        a->max_abs = d > a->max_abs ? d : a->max_abs;
        a->n += isfinite(r);
        a->saturated += isfinite(r) && (fr > 0.999 || r == 0);
        if (ratio > a->worst_ratio || isnan(ratio)) {
            a->worst_ratio = isnan(ratio) ? INFINITY : ratio;
            locate(a->worst, sizeof a->worst, name, i, layer, b, k);
        }
    }
}

typedef struct local_bufs {
    float *x, *y, *h, *c, *emb;
    double *slack, *mg;
    int32_t *sym;
} local_bufs;

/* Layer 0's input at decoder step i >= 1 as the variant saw it: teacher
 * forcing's row, or the embedding of the variant's own symbols, each of which
 * must be the argmax of the variant's own previous output (up to a tie). */
static void step_input(local *a, const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                       const ts_outputs *got, int64_t i, double tie_tol, local_bufs *bb)
{
    const int64_t B = p->B, I = p->I, BO = B * ts_out_width(p);
    if (p->feed == TS_FEED_TEACHER) {
        memcpy(bb->x, in->dec + i * B * I, (size_t)(B * I) * 4);
        return;
    }
    const float *prev = got->out + (i - 1) * BO;
    if (in->loop) { /* a custom loop function: its input for the variant's output */
        in->loop(in->loop_ctx, p, i, prev, bb->x, bb->sym);
        return;
    }
    ts_reference_argmax_embed(p, w, prev, bb->x, bb->sym, bb->mg);
    for (int64_t b = 0; b < B && got->symbols; b++) {
        int32_t gs = got->symbols[i * B + b];
        if (gs == bb->sym[b])
            continue;
        if (!(bb->mg[b] < tie_tol) && !a->failed) {
            a->failed = true;
            snprintf(a->fail, sizeof a->fail,
                     "greedy symbol at step %lld row %lld is %d, not the argmax %d of the variant's own output "
                     "(margin %.3g >= %.3g)", (long long)i, (long long)b, gs, bb->sym[b], bb->mg[b], tie_tol);
        }
        if (gs >= 0 && gs < p->V) /* an honest tie: follow the variant */
            memcpy(bb->x + b * I, w->embedding + (int64_t)gs * I, (size_t)I * 4);
    }
}

/* Every layer of decoder step i (>= 1) from the variant's state at step i-1. */
static int local_step(local *a, const ts_problem *p, const ts_weights *wr, const ts_ref_numerics *nx,
                      const ts_outputs *got, int64_t i, double tol, local_bufs *bb, ts_err *e)
{
    const int64_t B = p->B, H = p->H, Ho = ts_out_width(p), L = p->layers;
    const bool lstm = p->cell == TS_CELL_LSTM;
    const float *y = bb->x;
    for (int k = 0; k < L; k++) {
        const float *gh = got->states_h + (i * L + k) * B * Ho, *gc = lstm ? got->states_c + (i * L + k) * B * H : NULL;
        memcpy(bb->h, got->states_h + ((i - 1) * L + k) * B * Ho, (size_t)(B * Ho) * 4);
        if (lstm)
            memcpy(bb->c, got->states_c + ((i - 1) * L + k) * B * H, (size_t)(B * H) * 4);
        if (ts_reference_cell(p, wr, nx, k, y, bb->h, lstm ? bb->c : NULL, tol, bb->slack, e))
            return -1;
        for (int64_t b = 0; b < B; b++) {
            local_compare(a, "states_h", gh + b * Ho, bb->h + b * Ho, Ho, i, L > 1 ? k : -1, b, tol, bb->slack[b],
                          nx->state_bf16);
            if (lstm)
                local_compare(a, "states_c", gc + b * H, bb->c + b * H, H, i, L > 1 ? k : -1, b, tol, bb->slack[b],
                              false);
        }
        a->cells++;
        /* the next layer's input: the variant's output of this one (its
         * residual add is one fp32 add, rounded alike on both sides) */
        float *dst = y == bb->y ? bb->emb : bb->y; /* never the buffer being read */
        for (int64_t j = 0; j < B * Ho; j++)
            dst[j] = ts_layer_residual(p, k) ? (float)((double)y[j] + gh[j]) : gh[j];
        y = dst;
    }
    return 0;
}

/* Decoder steps 1..D-1 of every layer, each from the variant's own state. */
static int local_check(local *a, const ts_problem *p, const ts_weights *w, const ts_weights *wr,
                       const ts_inputs *in, const ts_outputs *got, const ts_ref_numerics *nx, double tol,
                       ts_err *e)
{
    const int64_t B = p->B, W = (p->I > ts_out_width(p) ? p->I : ts_out_width(p));
    local_bufs bb = {0};
    bool ok = (bb.x = calloc((size_t)(B * W), 4)) && (bb.y = calloc((size_t)(B * W), 4)) &&
              (bb.emb = calloc((size_t)(B * W), 4)) && (bb.h = calloc((size_t)(B * ts_out_width(p)), 4)) &&
              (bb.c = calloc((size_t)(B * p->H), 4)) && (bb.slack = calloc((size_t)B, 8)) &&
              (bb.mg = calloc((size_t)B, 8)) && (bb.sym = calloc((size_t)B, 4));
    int rc = ok ? 0 : ts_fail(e, "verify: out of memory");
    const double tie = ts_tie_tolerance(p, w, tol);
    for (int64_t i = 1; !rc && i < p->D; i++) {
        step_input(a, p, w, in, got, i, tie, &bb);
        rc = local_step(a, p, wr, nx, got, i, tol, &bb, e);
    }
    free(bb.x), free(bb.y), free(bb.emb), free(bb.h), free(bb.c), free(bb.slack), free(bb.mg), free(bb.sym);
    return rc;
}

/* max and RMS of |got - ref| over n values (non-finite pairs that match count 0) */
static void drift_acc(const float *got, const float *ref, int64_t n, double *mx, double *ss, int64_t *cnt)
{
    for (int64_t k = 0; k < n; k++) {
        double d = elem_error(got[k], ref[k]);
        *mx = d > *mx ? d : *mx;
        *ss += isfinite(d) ? d * d : 0;
        (*cnt)++;
    }
}

static void drift_measure(const ts_problem *p, const ts_outputs *got, const ts_outputs *r32, ts_drift *d)
{
    const int64_t B = p->B, Ho = ts_out_width(p), L = p->layers;
    double ss = 0;
    int64_t n = 0;
    memset(d, 0, sizeof *d);
    d->valid = true;
    drift_acc(got->out, r32->out, p->D * B * Ho, &d->out_max, &ss, &n);
    d->out_rms = n ? sqrt(ss / (double)n) : NAN;
    ss = 0, n = 0;
    drift_acc(got->h, r32->h, L * B * Ho, &d->state_max, &ss, &n);
    if (p->cell == TS_CELL_LSTM && got->c && r32->c)
        drift_acc(got->c, r32->c, L * B * p->H, &d->state_max, &ss, &n);
    d->state_rms = n ? sqrt(ss / (double)n) : NAN;
    d->sym_agree = NAN;
    d->first_div = -1;
    if (p->feed != TS_FEED_GREEDY || !got->symbols || !r32->symbols || p->D < 2)
        return;
    int64_t same = 0;
    for (int64_t i = 1; i < p->D; i++)
        for (int64_t b = 0; b < B; b++) {
            bool eq = got->symbols[i * B + b] == r32->symbols[i * B + b];
            same += eq;
            if (!eq && d->first_div < 0)
                d->first_div = i;
        }
    d->sym_agree = (double)same / (double)((p->D - 1) * B);
}

/* The end-to-end comparison with the reference on bf16-rounded operands. */
static int e2e_check(const ts_problem *p, const ts_weights *w, const ts_weights *wr, const ts_inputs *in,
                     const ts_outputs *got, const ts_ref_numerics *nx, ts_verdict *ve, ts_err *e)
{
    ts_result rb;
    double *mg = calloc((size_t)(p->D * p->B) + 1, sizeof *mg);
    if (!mg || ts_result_alloc(&rb, p, false, e)) {
        free(mg);
        return mg ? -1 : ts_fail(e, "verify: out of memory");
    }
    int rc = ts_reference_run_nx(p, wr, in, &rb.o, mg, nx, e);
    if (!rc) {
        const double tol = ts_tolerance_bf16(p);
        ts_outputs g = *got; /* the bf16 reference keeps no per-step states */
        g.states_h = g.states_c = NULL;
        ts_compare(p, &g, &rb.o, mg, tol, ts_tie_tolerance(p, w, tol), ve);
    }
    ts_result_free(&rb);
    free(mg);
    return rc;
}

/* The verdict of the step-local check (the pass/fail of a bf16 variant). */
static void local_verdict(const local *a, double tol, ts_verdict *v)
{
    v->tol = tol, v->max_abs = a->max_abs, v->worst_ratio = a->worst_ratio;
    snprintf(v->worst, sizeof v->worst, "%s", a->worst);
    if (a->failed) {
        v->status = TS_FAIL;
        snprintf(v->reason, sizeof v->reason, "step-local: %s", a->fail);
    } else if (!(a->worst_ratio <= 1.0)) {
        v->status = TS_FAIL;
        snprintf(v->reason, sizeof v->reason,
                 "step-local: error %.3g at %s exceeds the one-step tolerance (%.2fx) against the bf16 "
                 "reference from the variant's own state", a->max_abs, a->worst, a->worst_ratio);
    } else if (a->n > 0 && (double)a->saturated >= 0.9 * (double)a->n) {
        v->status = TS_MISTRUSTED;
        snprintf(v->reason, sizeof v->reason, "step-local: %lld of %lld values saturated or zero",
                 (long long)a->saturated, (long long)a->n);
    } else {
        v->status = a->worst_ratio > 0.25 ? TS_MARGINAL : TS_PASS;
        if (v->status == TS_MARGINAL)
            snprintf(v->reason, sizeof v->reason, "step-local: worst error is %.2fx the tolerance", a->worst_ratio);
    }
}

void ts_verify_bf16(const ts_problem *p, const ts_weights *w, const ts_inputs *in, const ts_outputs *got,
                    const ts_outputs *ref32, const ts_ref_numerics *nx, ts_verdict *v)
{
    memset(v, 0, sizeof *v);
    ts_ref_numerics rne = {.precision = TS_PREC_BF16};
    nx = nx ? nx : &rne;
    ts_err e = {{0}};
    ts_weights wr;
    float *store = NULL;
    local a = {0};
    ts_verdict ve;
    v->status = TS_ERROR;
    if (p->D >= 2 && (!got->states_h || (p->cell == TS_CELL_LSTM && !got->states_c))) {
        snprintf(v->reason, sizeof v->reason, "bf16 verification needs the per-step states");
        return;
    }
    if (ts_weights_round_bf16(p, w, nx->round, &wr, &store, &e) ||
        local_check(&a, p, w, &wr, in, got, nx, ts_tolerance_step(p), &e) ||
        e2e_check(p, w, &wr, in, got, nx, &ve, &e)) {
        snprintf(v->reason, sizeof v->reason, "%s", e.msg);
        free(store);
        return;
    }
    free(store);
    if (a.cells > 0) {
        local_verdict(&a, ts_tolerance_step(p), v);
    } else { /* D < 2: no step starts from a state the variant shows */
        *v = ve;
        append_note(v, "no step-local check (D < 2)");
    }
    v->e2e_ratio = ve.worst_ratio;
    if (ve.status == TS_FAIL && v->status != TS_FAIL) {
        v->status = TS_FAIL;
        snprintf(v->reason, sizeof v->reason, "end-to-end against the bf16 reference: %.400s", ve.reason);
    } else if (v->status != TS_FAIL) {
        append_note(v, "end-to-end %.3f of the bf16 tolerance %.3g", ve.worst_ratio, ts_tolerance_bf16(p));
    }
    drift_measure(p, got, ref32, &v->drift);
}

void ts_verify_outputs(const ts_variant *var, const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                       const ts_outputs *got, const ts_outputs *ref32, const double *margins32, ts_verdict *v)
{
    if (var->precision == TS_PREC_BF16) {
        ts_ref_numerics nx = {.precision = TS_PREC_BF16, .state_bf16 = var->bf16_state};
        ts_verify_bf16(p, w, in, got, ref32, &nx, v);
        return;
    }
    double tol = ts_tolerance(p);
    ts_compare(p, got, ref32, margins32, tol, ts_tie_tolerance(p, w, tol), v);
}

int ts_run_variant(const ts_variant *var, const ts_problem *p, const ts_weights *w,
                   const ts_inputs *in, ts_outputs *out, ts_err *e)
{
    ts_plan *plan = NULL;
    if (ts_variant_prepare(var, p, w, &plan, e))
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
    ts_verify_outputs(var, p, &t.w, &t.in, &got.o, &ref.o, margins, v);
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
