/* Verification of what is timed, interleaved rounds with calibration probes,
 * per-point statistics and paired ratios (rounds.h). */
#include "harness/timing/rounds.h"

#include "harness/check/reference.h"
#include "harness/cli.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if TS_HAVE_GBENCH
#include "harness/timing/gbench.h"
#endif

#define MIN_CI_ROUNDS 6      /* the fewest rounds with a 95 % interval of the median */
#define PROBE_SAMPLE_S 0.002 /* one probe call: short, it only has to see the machine's state */
#define WARM_BELOW_S 0.02    /* runs shorter than this get an untimed warm-up run per sample */

void ts_timing_defaults(ts_timing_opts *o)
{
    *o = (ts_timing_opts){.min_rounds = 10, .max_rounds = 200, .sample_s = 0.01, .budget_s = 1.0,
                          .ci_target = 0.02, .unstable_spread = 0.10, .passes = 3};
}

int ts_timing_check(const ts_timing_opts *o, ts_err *e)
{
    if (o->min_rounds < MIN_CI_ROUNDS || o->min_rounds > 100000)
        return ts_fail(e, "--min-rounds %d: want %d..100000 (fewer rounds give no 95%% interval)",
                       o->min_rounds, MIN_CI_ROUNDS);
    if (o->max_rounds < o->min_rounds || o->max_rounds > 100000)
        return ts_fail(e, "--max-rounds %d: want --min-rounds (%d)..100000", o->max_rounds, o->min_rounds);
    if (!(o->sample_s >= 1e-4 && o->sample_s <= 10))
        return ts_fail(e, "--sample-ms %g: want 0.1..10000", o->sample_s * 1e3);
    if (!(o->budget_s >= 0 && o->budget_s <= 86400))
        return ts_fail(e, "--budget %g: want 0..86400 seconds per point", o->budget_s);
    if (!(o->ci_target > 0 && o->ci_target < 1))
        return ts_fail(e, "--ci-target %g: want a fraction in (0, 1)", o->ci_target);
    if (o->passes < 1 || o->passes > o->min_rounds)
        return ts_fail(e, "--passes %d: want 1..--min-rounds (%d)", o->passes, o->min_rounds);
    return 0;
}

void ts_chunk_result_free(ts_chunk_result *r)
{
    free(r->samples);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

/* ---- interruption ---- */

static volatile sig_atomic_t g_interrupted;

void ts_bench_interrupt(void) { g_interrupted = 1; }
bool ts_bench_interrupted(void) { return g_interrupted != 0; }

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

void ts_bench_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* GB flags whose job the engine does itself. */
static const char *const taken_flags[] = {
    "--benchmark_repetitions", "--benchmark_min_time", "--benchmark_enable_random_interleaving",
    "--benchmark_out", "--benchmark_out_format", "--benchmark_report_aggregates_only",
    "--benchmark_display_aggregates_only", "--benchmark_filter", NULL};

static const char *taken_hint(const char *flag)
{
    if (!strncmp(flag, "--benchmark_filter", 18))
        return "use --filter REGEX";
    if (!strncmp(flag, "--benchmark_out", 15))
        return "GB's JSON goes to DIR/gb/ with --out";
    return "rounds replace repetitions: --min-rounds, --max-rounds, --sample-ms, --budget, --ci-target";
}

#if !TS_HAVE_GBENCH

bool ts_bench_available(void) { return false; }
void ts_chunk_ref_free(ts_chunk_ref *r) { (void)r; }
int ts_bench_pass(ts_point *pts, size_t n, const ts_bench_cfg *cfg, int pass, const ts_sample *prev,
                  size_t nprev, ts_chunk_ref **ref, ts_chunk_result *res, ts_err *e)
{
    (void)pts, (void)n, (void)cfg, (void)pass, (void)prev, (void)nprev, (void)ref;
    memset(res, 0, sizeof *res);
    return ts_fail(e, "built without Google Benchmark (apt-get install libbenchmark-dev)");
}
int ts_chunk_finish(ts_point *pts, size_t n, const ts_sample *s, size_t ns, const ts_bench_cfg *cfg,
                    const char *json_path, ts_chunk_result *res, ts_err *e)
{
    (void)pts, (void)n, (void)s, (void)ns, (void)cfg, (void)json_path;
    memset(res, 0, sizeof *res);
    return ts_fail(e, "built without Google Benchmark (apt-get install libbenchmark-dev)");
}
int ts_bench_check_flags(int argc, char **argv, ts_err *e)
{
    (void)argc, (void)argv;
    return ts_fail(e, "built without Google Benchmark (apt-get install libbenchmark-dev)");
}
void ts_bench_add_context(const char *key, const char *value) { (void)key, (void)value; }

#else

bool ts_bench_available(void) { return true; }

int ts_bench_check_flags(int argc, char **argv, ts_err *e)
{
    for (int k = 1; k < argc; k++)
        for (const char *const *t = taken_flags; *t; t++) {
            size_t len = strlen(*t);
            if (!strncmp(argv[k], *t, len) && (argv[k][len] == '=' || argv[k][len] == '\0'))
                return ts_fail(e, "%s: tiedseq times in interleaved rounds (%s)", argv[k], taken_hint(argv[k]));
        }
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    if (!copy)
        return ts_fail(e, "out of memory");
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    char err[512];
    int rc = gbench_check_flags(&argc, copy, err, sizeof err);
    free(copy);
    return rc ? ts_fail(e, "%s", err) : 0;
}

void ts_bench_add_context(const char *key, const char *value) { gbench_add_context(key, value); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- members: a prepared point, or a probe ---- */

typedef struct member {
    ts_point *pt;          /* NULL for a probe */
    ts_probe probe;
    char probe_name[24];   /* "fma", "read-L2" */
    char name[200];        /* GB's benchmark name */
    int threads;
    /* a point's prepared state */
    ts_plan *plan;
    ts_result out;
    const ts_inputs *in;
    bool warm;             /* an untimed run before each sample */
    int64_t iters;
    double spent_s;        /* sampling time so far (warm-up runs included) */
    bool sampling, failed;
    char why[256];
    /* per round of this pass: seconds per iteration (NAN: not sampled) */
    double *t;
    /* the point's samples of earlier passes, and room for this pass's after them */
    double *all;
    size_t nprev;
} member;

static void member_release(member *m)
{
    if (m->pt && m->plan)
        m->pt->var->release(m->plan);
    m->plan = NULL;
    if (m->pt)
        ts_result_free(&m->out);
    else
        ts_probe_free(&m->probe);
    free(m->t), free(m->all);
    m->t = m->all = NULL;
}

#define INTERRUPTED_MSG "interrupted"

static void point_counters(gbench_state *st, const ts_problem *p, ts_precision q)
{
    double steps = (double)(p->E + p->D), wbytes = steps * ts_weight_bytes_prec(p, q);
    if (p->feed == TS_FEED_GREEDY && p->D > 1) /* the projection matrix, per decoder step */
        wbytes += (double)(p->D - 1) * 4.0 * (double)ts_out_width(p) * (double)p->V;
    gbench_counter(st, "flops", ts_flops_total(p), GBENCH_CTR_ITER_INVARIANT_RATE);
    gbench_counter(st, "wbytes", wbytes, GBENCH_CTR_ITER_INVARIANT_RATE);
    gbench_counter(st, "steps", steps, GBENCH_CTR_ITER_INVARIANT_RATE | GBENCH_CTR_INVERT);
}

/* A variant timed where it runs (a peer's worker process): all `iters` runs
 * in one request, their time as each iteration's (manual time), so reaching
 * the other process is not part of a run. */
static int timed_elsewhere(gbench_state *st, member *m)
{
    double total = 0;
    bool first = true;
    int rc = 0;
    while (!rc && gbench_keep_running(st)) {
        if (first)
            rc = m->pt->var->run_timed(m->plan, m->in, &m->out.o, m->iters, &total);
        first = false;
        gbench_set_iteration_time(st, total / (double)m->iters);
    }
    return rc;
}

/* GB's function for a point: the runs of one sample. */
static void point_fn(gbench_state *st, void *vctx)
{
    member *m = vctx;
    const ts_variant *v = m->pt->var;
    if (g_interrupted) {
        gbench_skip_with_error(st, INTERRUPTED_MSG);
        return;
    }
    int rc = m->warm ? v->run(m->plan, m->in, &m->out.o) : 0;
    if (v->run_timed)
        rc = rc ? rc : timed_elsewhere(st, m);
    else
        while (!rc && gbench_keep_running(st))
            rc = v->run(m->plan, m->in, &m->out.o);
    if (rc) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: run failed (status %d)", v->name, rc);
        gbench_skip_with_error(st, msg);
        return;
    }
    gbench_do_not_optimize(m->out.o.out);
    point_counters(st, &m->pt->p, m->pt->var->precision);
    if (*m->pt->label)
        gbench_label(st, m->pt->label);
}

static void probe_fn(gbench_state *st, void *vctx)
{
    member *m = vctx;
    if (g_interrupted) {
        gbench_skip_with_error(st, INTERRUPTED_MSG);
        return;
    }
    while (gbench_keep_running(st))
        ts_probe_call(&m->probe);
    gbench_counter(st, m->probe.kind != TS_PROBE_READ ? "flops" : "bytes", m->probe.work,
                   GBENCH_CTR_ITER_INVARIANT_RATE);
}

/* ---- verification of the prepared plan ---- */

struct ts_chunk_ref {
    bool have, failed, have_t; /* reference made / failed; tensors present */
    char why[512];
    ts_tensors t;
    ts_result ref;
    double *margins;
    double tol, tie_tol;
};
typedef ts_chunk_ref vref;

/* The tensors go between passes (each pass fills them anew from the seed, in
 * fresh allocations); the reference outputs stay. */
static void vref_drop_tensors(vref *c)
{
    if (c->have_t)
        ts_tensors_free(&c->t);
    c->have_t = false;
}

void ts_chunk_ref_free(ts_chunk_ref *c)
{
    if (!c)
        return;
    vref_drop_tensors(c);
    if (c->have && !c->failed)
        ts_result_free(&c->ref);
    free(c->margins);
    free(c);
}

static int vref_tensors(vref *c, const ts_problem *p, uint64_t seed)
{
    ts_err e = {{0}};
    if (c->have_t)
        return 0;
    if (ts_tensors_alloc(&c->t, p, &e)) {
        ts_str_copy(c->why, sizeof c->why, e.msg);
        return -1;
    }
    ts_tensors_fill(&c->t, seed);
    c->have_t = true;
    return 0;
}

/* The shape's seeded tensors, and its reference outputs (made once per chunk). */
static int vref_get(vref *c, const ts_problem *p, uint64_t seed)
{
    if (c->have && c->failed)
        return -1;
    if (vref_tensors(c, p, seed))
        return -1;
    if (c->have)
        return 0;
    c->have = c->failed = true;
    ts_err e = {{0}};
    memset(&c->ref, 0, sizeof c->ref);
    c->margins = calloc((size_t)(p->D * p->B) + 1, sizeof *c->margins);
    if (!c->margins || ts_result_alloc(&c->ref, p, true, &e) ||
        ts_reference_run(p, &c->t.w, &c->t.in, &c->ref.o, c->margins, &e)) {
        snprintf(c->why, sizeof c->why, "reference: %.480s", c->margins ? e.msg : "out of memory");
        ts_result_free(&c->ref);
        return -1;
    }
    c->tol = ts_tolerance(p);
    c->tie_tol = ts_tie_tolerance(p, &c->t.w, c->tol);
    c->failed = false;
    return 0;
}

/* The label of a timed point: the plan's detail, and how it verified. */
static void timed_label(ts_point *pt, const ts_plan *plan)
{
    char label[256] = "";
    const char *detail = pt->var->detail ? pt->var->detail(plan) : NULL;
    if (detail)
        ts_str_copy(label, sizeof label, detail);
    if (pt->verdict != TS_PASS)
        snprintf(label + strlen(label), sizeof label - strlen(label), "%sverify %s", *label ? "; " : "",
                 ts_status_name(pt->verdict));
    ts_str_copy(pt->label, sizeof pt->label, label);
}

static void point_error(ts_point *pt, const char *why)
{
    pt->status = TS_PT_ERROR;
    ts_str_copy(pt->label, sizeof pt->label, why);
}

/* Prepare the plan that will be timed, run it once, compare that output with
 * the reference.  The member samples only if it passed. */
static void prepare_member(member *m, vref *c, uint64_t seed, double sample_s)
{
    ts_point *pt = m->pt;
    char why[256];
    if (!ts_variant_available(pt->var, &pt->p, why, sizeof why)) {
        pt->status = TS_PT_SKIPPED, pt->verdict = TS_SKIPPED;
        ts_str_copy(pt->label, sizeof pt->label, why);
        return;
    }
    if (vref_get(c, &pt->p, seed)) {
        point_error(pt, c->why);
        return;
    }
    ts_err e = {{0}};
    memset(&m->out, 0, sizeof m->out);
    m->in = &c->t.in;
    if (ts_result_alloc(&m->out, &pt->p, false, &e) || ts_variant_prepare(pt->var, &pt->p, &c->t.w, &m->plan, &e)) {
        m->plan = NULL;
        point_error(pt, e.msg);
        return;
    }
    double t0 = now_s();
    int rc = pt->var->run(m->plan, m->in, &m->out.o);
    double first = now_s() - t0;
    if (rc) {
        snprintf(why, sizeof why, "%s: run failed (status %d)", pt->var->name, rc);
        point_error(pt, why);
        return;
    }
    ts_verdict v;
    if (pt->var->precision == TS_PREC_BF16) {
        /* the bf16 method needs every decoder step's state: one more run of
         * the same plan into outputs that keep them (the timed runs do not) */
        ts_result sv;
        if (ts_result_alloc(&sv, &pt->p, true, &e) || pt->var->run(m->plan, m->in, &sv.o)) {
            point_error(pt, e.msg[0] ? e.msg : "bf16 verification run failed");
            return;
        }
        ts_verify_outputs(pt->var, &pt->p, &c->t.w, m->in, &sv.o, &c->ref.o, c->margins, &v);
        ts_result_free(&sv);
    } else {
        ts_compare(&pt->p, &m->out.o, &c->ref.o, c->margins, c->tol, c->tie_tol, &v);
    }
    pt->verdict = v.status, pt->max_abs = v.max_abs, pt->tol = v.tol, pt->drift = v.drift;
    if (v.status == TS_FAIL) {
        pt->status = TS_PT_FAIL;
        ts_str_copy(pt->label, sizeof pt->label, v.reason);
        return;
    }
    /* a second run, warm, sizes the samples (a variant timed where it runs:
     * by its own time, without the cost of reaching it) */
    t0 = now_s();
    double timed = NAN;
    rc = pt->var->run_timed ? pt->var->run_timed(m->plan, m->in, &m->out.o, 1, &timed)
                            : pt->var->run(m->plan, m->in, &m->out.o);
    double run_s = pt->var->run_timed ? timed : fmin(first, now_s() - t0);
    if (rc) {
        snprintf(why, sizeof why, "%s: run failed (status %d)", pt->var->name, rc);
        point_error(pt, why);
        return;
    }
    timed_label(pt, m->plan);
    m->warm = run_s < WARM_BELOW_S;
    m->iters = run_s > 0 ? (int64_t)fmax(1.0, floor(sample_s / run_s)) : 1;
    pt->iters = m->iters; /* the last pass's: each pass sizes its samples anew */
    m->sampling = true;
    m->threads = pt->p.threads;
}

/* ---- the chunk: members, probes, rounds ---- */

typedef struct chunk {
    member *m;
    size_t nm, npoints; /* points first, then probes */
    const ts_bench_cfg *cfg;
    ts_chunk_result *res;
    ts_peak levels;
    ts_rng rng;
    size_t rounds;
    int64_t round0; /* this pass's first round id: rounds are numbered across passes */
} chunk;

/* Per-round samples: NAN = not sampled in that round. */
static double *nan_array(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t k = 0; v && k < n; k++)
        v[k] = NAN;
    return v;
}

static member *probe_of(chunk *c, ts_probe_kind kind, int threads)
{
    for (size_t k = c->npoints; k < c->nm; k++)
        if (c->m[k].probe.kind == kind && c->m[k].threads == threads)
            return &c->m[k];
    return NULL;
}

static int add_probe(chunk *c, ts_probe_kind kind, int threads, double rbytes, ts_err *e)
{
    member *m = &c->m[c->nm];
    memset(m, 0, sizeof *m);
    int level = kind == TS_PROBE_READ ? ts_peak_level(&c->levels, rbytes, threads) : -1;
    if (ts_probe_init(&m->probe, kind, level, threads, &c->levels, PROBE_SAMPLE_S, e))
        return -1;
    if (kind == TS_PROBE_FMA)
        snprintf(m->probe_name, sizeof m->probe_name, "fma");
    else if (kind == TS_PROBE_DP_BF16)
        snprintf(m->probe_name, sizeof m->probe_name, "dpbf16");
    else
        snprintf(m->probe_name, sizeof m->probe_name, "read-%s", ts_peak_level_name(level));
    char shape[128];
    ts_shape_key(&c->m[0].pt->p, shape, sizeof shape);
    snprintf(m->name, sizeof m->name, "probe/%s:t%d/%.120s", m->probe_name, threads, shape);
    m->threads = threads;
    m->iters = 1;
    m->t = nan_array((size_t)c->cfg->t.max_rounds);
    c->nm++; /* member_release frees the probe even when the buffer failed */
    return m->t ? 0 : ts_fail(e, "out of memory");
}

/* The compute roof of a point's arithmetic: vdpbf16ps for a bf16 variant that
 * computes with it; the fp32 FMA loop otherwise (avx2-bf16 does fp32 FMAs). */
static bool dp_roof(const ts_point *pt)
{
    return pt->var->precision == TS_PREC_BF16 && (pt->var->isa & TS_ISA_AVX512_BF16);
}

/* An FMA and a read probe for every thread count the chunk samples, and the
 * bf16 dot-product probe where a point's roof is that. */
static int add_probes(chunk *c, ts_err *e)
{
    for (size_t k = 0; k < c->npoints; k++) {
        const member *p = &c->m[k];
        if (!p->sampling)
            continue;
        double rb = ts_recurrent_bytes_prec(&p->pt->p, p->pt->var->precision);
        if (!probe_of(c, TS_PROBE_FMA, p->threads) &&
            (add_probe(c, TS_PROBE_FMA, p->threads, rb, e) || add_probe(c, TS_PROBE_READ, p->threads, rb, e)))
            return -1;
        if (dp_roof(p->pt) && !probe_of(c, TS_PROBE_DP_BF16, p->threads) &&
            add_probe(c, TS_PROBE_DP_BF16, p->threads, rb, e))
            return -1;
    }
    return 0;
}

static bool probe_needed(const chunk *c, const member *pr)
{
    for (size_t k = 0; k < c->npoints; k++)
        if (c->m[k].sampling && c->m[k].threads == pr->threads)
            return true;
    return false;
}

static int push_sample(ts_chunk_result *r, const member *m, int64_t round0, int64_t round, int64_t pos)
{
    if (r->nsamples == r->cap_samples) {
        size_t cap = r->cap_samples ? 2 * r->cap_samples : 256;
        ts_sample *ns = realloc(r->samples, cap * sizeof *ns);
        if (!ns)
            return -1;
        r->samples = ns, r->cap_samples = cap;
    }
    ts_sample *s = &r->samples[r->nsamples++];
    *s = (ts_sample){.pt = m->pt, .threads = m->threads, .round = round0 + round, .position = pos,
                     .iters = m->iters, .seconds = m->t[round], .work = m->pt ? NAN : m->probe.work,
                     .level = m->pt ? -1 : m->probe.level};
    ts_str_copy(s->probe, sizeof s->probe, m->pt ? "" : m->probe_name);
    return 0;
}

/* A pass's share of n over `passes` passes (at least 1). */
static int share(int n, int passes) { return (n + passes - 1) / passes; }

/* Does the point keep sampling after `rounds` rounds of this pass?  Shares
 * of the limits per pass; the interval over all its samples so far. */
static bool keeps_sampling(member *m, size_t rounds, const ts_timing_opts *o)
{
    if (m->failed || rounds >= (size_t)share(o->max_rounds, o->passes))
        return false;
    memcpy(m->all + m->nprev, m->t, rounds * sizeof *m->t);
    ts_summary all, mine;
    ts_summarize(m->all, m->nprev + rounds, TS_CONF, &all);
    ts_summarize(m->t, rounds, TS_CONF, &mine);
    if (mine.n >= (size_t)share(o->min_rounds, o->passes) && all.n >= (size_t)o->min_rounds &&
        ts_ci_rel_half(&all) <= o->ci_target)
        return false;
    return !(mine.n >= (size_t)share(MIN_CI_ROUNDS, o->passes) && m->spent_s >= o->budget_s / o->passes);
}

/* Take one member's result of a round. */
static void take_result(chunk *c, member *m, const gbench_member *g, size_t round)
{
    m->t[round] = g->seconds;
    if (g->error && strcmp(g->error_msg, INTERRUPTED_MSG) && !m->failed) {
        m->failed = true;
        ts_str_copy(m->why, sizeof m->why, g->error_msg);
    }
    if (isfinite(g->seconds))
        m->spent_s += g->seconds * (double)m->iters * (m->warm ? 1.0 + 1.0 / (double)m->iters : 1.0);
    (void)c;
}

static int one_round(chunk *c, size_t round, size_t *order, gbench_member *gm, ts_err *e)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nm; i++)
        if (i < c->npoints ? c->m[i].sampling : probe_needed(c, &c->m[i]))
            order[k++] = i;
    ts_rng_shuffle(&c->rng, order, k);
    for (size_t j = 0; j < k; j++) {
        member *m = &c->m[order[j]];
        gm[j] = (gbench_member){.name = m->name, .fn = m->pt ? point_fn : probe_fn, .ctx = m, .iters = m->iters,
                                .manual_time = m->pt && m->pt->var->run_timed};
    }
    char err[512];
    if (gbench_round(gm, k, c->round0 + (int64_t)round, err, sizeof err))
        return ts_fail(e, "%s", err);
    for (size_t j = 0; j < k; j++) {
        member *m = &c->m[order[j]];
        take_result(c, m, &gm[j], round);
        if (isfinite(m->t[round]) && push_sample(c->res, m, c->round0, (int64_t)round, (int64_t)j))
            return ts_fail(e, "out of memory for the samples");
    }
    for (size_t i = 0; i < c->npoints; i++)
        if (c->m[i].sampling)
            c->m[i].sampling = keeps_sampling(&c->m[i], round + 1, &c->cfg->t);
    return 0;
}

static size_t count_sampling(const chunk *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->npoints; i++)
        n += c->m[i].sampling;
    return n;
}

static int run_rounds(chunk *c, ts_err *e)
{
    size_t *order = calloc(c->nm + 1, sizeof *order);
    gbench_member *gm = calloc(c->nm + 1, sizeof *gm);
    int rc = !order || !gm ? ts_fail(e, "out of memory") : 0;
    const ts_bench_hooks *h = &c->cfg->hooks;
    for (size_t r = 0; !rc && r < (size_t)share(c->cfg->t.max_rounds, c->cfg->t.passes) && !g_interrupted; r++) {
        size_t active = count_sampling(c);
        if (!active)
            break;
        if (h->progress)
            h->progress(h->user, c->m[0].pt, "round", r + 1, active);
        rc = one_round(c, r, order, gm, e);
        c->rounds = r + 1;
    }
    free(order), free(gm);
    return rc;
}

/* ---- statistics of a finished chunk, from the samples of all its passes ---- */

/* The rounds of a chunk's samples: distinct round ids, sorted, and per point
 * and probe a time per round (NAN: not sampled in that round). */
typedef struct rounds_view {
    int64_t *ids;
    size_t R;
} rounds_view;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int view_make(rounds_view *v, const ts_sample *s, size_t ns)
{
    v->ids = malloc((ns ? ns : 1) * sizeof *v->ids);
    if (!v->ids)
        return -1;
    for (size_t k = 0; k < ns; k++)
        v->ids[k] = s[k].round;
    qsort(v->ids, ns, sizeof *v->ids, cmp_i64);
    v->R = 0;
    for (size_t k = 0; k < ns; k++)
        if (!v->R || v->ids[v->R - 1] != v->ids[k])
            v->ids[v->R++] = v->ids[k];
    return 0;
}

static size_t view_index(const rounds_view *v, int64_t id)
{
    const int64_t *p = bsearch(&id, v->ids, v->R, sizeof id, cmp_i64);
    return (size_t)(p - v->ids);
}

/* Per round: seconds of the point (pt) or of the probe (kind at threads);
 * the probe's work per call and level in *work, *level. */
static double *series_of(const rounds_view *v, const ts_sample *s, size_t ns, const ts_point *pt,
                         const char *probe_prefix, int threads, double *work, int *level)
{
    double *t = nan_array(v->R);
    for (size_t k = 0; t && k < ns; k++) {
        bool mine = pt ? s[k].pt == pt
                       : !s[k].pt && s[k].threads == threads && !strncmp(s[k].probe, probe_prefix, strlen(probe_prefix));
        if (!mine)
            continue;
        t[view_index(v, s[k].round)] = s[k].seconds;
        if (work)
            *work = s[k].work;
        if (level)
            *level = s[k].level;
    }
    return t;
}

/* The pass of each round of the view (round ids are pass * max_rounds + r). */
static int *pass_of_rounds(const rounds_view *v, const ts_timing_opts *o)
{
    int *g = malloc((v->R ? v->R : 1) * sizeof *g);
    for (size_t r = 0; g && r < v->R; r++)
        g[r] = (int)(v->ids[r] / o->max_rounds);
    return g;
}

/* The paired ratio of two series, its interval widened to every pass's median ratio. */
static void paired_by_pass(const rounds_view *v, const double *a, const double *b, const ts_timing_opts *o,
                           ts_summary *s)
{
    ts_paired_ratio(a, b, v->R, TS_CONF, s);
    double *ratio = nan_array(v->R);
    int *pass = pass_of_rounds(v, o);
    for (size_t r = 0; ratio && r < v->R; r++)
        if (a[r] > 0 && b[r] > 0)
            ratio[r] = a[r] / b[r];
    if (ratio && pass)
        ts_widen_by_groups(s, ratio, pass, v->R, o->passes);
    free(ratio), free(pass);
}

static void point_stats(const rounds_view *v, const ts_sample *s, size_t ns, ts_point *pt, double *t,
                        const ts_timing_opts *o)
{
    const ts_problem *p = &pt->p;
    size_t R = v->R;
    double fw = NAN, bw_work = NAN;
    int level = -1;
    /* peak_frac against the roof of the point's arithmetic (docs/peak-compare.md) */
    double *f = series_of(v, s, ns, NULL, dp_roof(pt) ? "dpbf16" : "fma", p->threads, &fw, NULL);
    double *b = series_of(v, s, ns, NULL, "read-", p->threads, &bw_work, &level);
    double *cal = nan_array(R), *pf = nan_array(R), *bf = nan_array(R), *g = nan_array(R), *gb = nan_array(R);
    if (!f || !b || !cal || !pf || !bf || !g || !gb) {
        point_error(pt, "out of memory for the statistics");
    } else {
        const double flops = ts_flops_total(p);
        const double wb = ts_recurrent_bytes_prec(p, pt->var->precision) * (double)(p->E + p->D);
        for (size_t r = 0; r < R; r++) {
            if (!isfinite(t[r]))
                continue; /* only the rounds this point ran in */
            g[r] = fw / f[r] * 1e-9, gb[r] = bw_work / b[r] * 1e-9;
            cal[r] = t[r] * g[r];
            pf[r] = flops / t[r] * 1e-9 / g[r];
            bf[r] = wb / t[r] * 1e-9 / gb[r];
        }
        ts_summary st, sc, sp, sb, sg, sw;
        ts_summarize(t, R, TS_CONF, &st);
        ts_summarize(cal, R, TS_CONF, &sc);
        int *pass = pass_of_rounds(v, o);
        if (pass) {
            ts_widen_by_groups(&st, t, pass, R, o->passes);
            ts_widen_by_groups(&sc, cal, pass, R, o->passes);
        }
        free(pass);
        ts_summarize(pf, R, TS_CONF, &sp);
        ts_summarize(bf, R, TS_CONF, &sb);
        ts_summarize(g, R, TS_CONF, &sg);
        ts_summarize(gb, R, TS_CONF, &sw);
        pt->rounds = (int64_t)st.n;
        pt->median_s = st.median, pt->min_s = st.min, pt->mean_s = st.mean, pt->cv = st.cv;
        pt->ci_lo_s = st.lo, pt->ci_hi_s = st.hi;
        pt->cal = sc.median, pt->cal_lo = sc.lo, pt->cal_hi = sc.hi;
        pt->peak_frac = sp.median, pt->bw_frac = sb.median;
        pt->probe_gflops = sg.median, pt->probe_gbps = sw.median;
        pt->bw_level = level;
        pt->probe_spread = sg.median > 0 ? (sg.q90 - sg.q10) / sg.median : NAN;
        pt->unstable = pt->probe_spread > o->unstable_spread;
        pt->status = st.n ? TS_PT_OK : TS_PT_ERROR;
        if (!st.n)
            point_error(pt, "no sample succeeded");
    }
    free(f), free(b), free(cal), free(pf), free(bf), free(g), free(gb);
}

static bool pair_wanted(const ts_point *a, const ts_point *b)
{
    return (a->p.threads == b->p.threads && a->var != b->var) ||
           (a->var == b->var && a->p.threads < b->p.threads);
}

/* Paired ratios of every wanted pair of ok points; t[k] the series of pts[k]. */
static int make_pairs(ts_point *pts, size_t n, double **t, const rounds_view *v, const ts_timing_opts *o,
                      ts_chunk_result *r, ts_err *e)
{
    r->pairs = calloc(n * n + 1, sizeof *r->pairs);
    if (!r->pairs)
        return ts_fail(e, "out of memory for the pairs");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const ts_point *a = &pts[i], *b = &pts[j];
            if (a->status != TS_PT_OK || b->status != TS_PT_OK || !pair_wanted(a, b) || !t[i] || !t[j])
                continue;
            if (a->p.threads == b->p.threads && j < i)
                continue; /* one order per pair of variants */
            ts_pair *p = &r->pairs[r->npairs];
            p->a = a, p->b = b;
            paired_by_pass(v, t[i], t[j], o, &p->r);
            r->npairs += p->r.n > 0;
        }
    return 0;
}

/* The GB names of the chunk's probes, from its samples (distinct). */
static size_t probe_names(const ts_point *pts, const ts_sample *s, size_t ns, char (*names)[200], size_t max)
{
    char shape[128];
    ts_shape_key(&pts[0].p, shape, sizeof shape);
    size_t k = 0;
    for (size_t i = 0; i < ns && k < max; i++) {
        if (s[i].pt)
            continue;
        char name[200];
        snprintf(name, sizeof name, "probe/%s:t%d/%.120s", s[i].probe, s[i].threads, shape);
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(names[j], name);
        if (!seen)
            memcpy(names[k++], name, sizeof name);
    }
    return k;
}

/* GB's report: every sample as a repetition, the engine's aggregates. */
static int report_chunk(ts_point *pts, size_t n, double **t, size_t R, const ts_sample *smp, size_t ns,
                        const ts_bench_cfg *cfg, const char *json_path, ts_err *e)
{
    const size_t maxp = 2 * (size_t)TS_PEAK_MAX_T;
    gbench_aggregate *a = calloc(6 * n + 1, sizeof *a);
    char(*names)[200] = calloc(n + maxp + 1, sizeof *names);
    const char **list = calloc(n + maxp + 1, sizeof *list);
    if (!a || !names || !list) {
        free(a), free(names), free(list);
        return ts_fail(e, "out of memory");
    }
    size_t na = 0, nn = n + probe_names(pts, smp, ns, names + n, maxp);
    for (size_t k = 0; k < n; k++) {
        snprintf(names[k], sizeof names[k], "%s/%.150s", pts[k].var->name, pts[k].desc);
        if (pts[k].status != TS_PT_OK || !t[k])
            continue;
        ts_summary s;
        ts_summarize(t[k], R, TS_CONF, &s);
        const struct {
            const char *stat;
            double v;
            int pct;
        } st[] = {{"median", s.median, 0}, {"ci_lo", s.lo, 0}, {"ci_hi", s.hi, 0},
                  {"min", s.min, 0},       {"mean", s.mean, 0}, {"cv", s.cv, 1}};
        for (size_t j = 0; j < sizeof st / sizeof st[0]; j++)
            if (isfinite(st[j].v))
                a[na++] = (gbench_aggregate){.name = names[k], .stat = st[j].stat, .value = st[j].v,
                                             .percentage = st[j].pct, .n = (int64_t)s.n, .label = pts[k].label};
    }
    for (size_t k = 0; k < nn; k++)
        list[k] = names[k];
    if (cfg->hooks.before_console)
        cfg->hooks.before_console(cfg->hooks.user);
    char err[512];
    int rc = gbench_chunk_report(json_path, list, nn, a, na, err, sizeof err) ? ts_fail(e, "%s", err) : 0;
    free(a), free(names), free(list);
    return rc;
}

int ts_chunk_finish(ts_point *pts, size_t n, const ts_sample *s, size_t ns, const ts_bench_cfg *cfg,
                    const char *json_path, ts_chunk_result *res, ts_err *e)
{
    memset(res, 0, sizeof *res);
    rounds_view v = {0};
    double **t = calloc(n + 1, sizeof *t);
    int rc = !t || view_make(&v, s, ns) ? ts_fail(e, "out of memory") : 0;
    for (size_t k = 0; !rc && k < n; k++) {
        if (pts[k].status != TS_PT_TODO || !pts[k].sampled)
            continue;
        t[k] = series_of(&v, s, ns, &pts[k], NULL, 0, NULL, NULL);
        if (!t[k])
            rc = ts_fail(e, "out of memory");
        else
            point_stats(&v, s, ns, &pts[k], t[k], &cfg->t);
    }
    res->rounds = v.R;
    if (!rc)
        rc = make_pairs(pts, n, t, &v, &cfg->t, res, e) || report_chunk(pts, n, t, v.R, s, ns, cfg, json_path, e)
                 ? -1
                 : 0;
    if (rc) /* nothing timed of this chunk is recorded */
        for (size_t k = 0; k < n; k++)
            if (pts[k].sampled && pts[k].status == TS_PT_OK)
                pts[k].status = TS_PT_TODO;
    for (size_t k = 0; t && k < n; k++)
        free(t[k]);
    free(t), free(v.ids);
    return rc;
}

/* ---- the chunk ---- */

static bool filtered_out(const ts_point *pt, const regex_t *filter)
{
    char name[200];
    snprintf(name, sizeof name, "%s/%s", pt->var->name, pt->desc);
    return filter && regexec(filter, name, 0, NULL, 0) != 0;
}

static void chunk_levels(chunk *c, int max_threads)
{
    if (c->cfg->levels) {
        c->levels = *c->cfg->levels;
    } else {
        memset(&c->levels, 0, sizeof c->levels);
        ts_cache_levels(c->levels.level_bytes);
    }
    if (c->levels.threads_max < max_threads)
        c->levels.threads_max = max_threads;
}

/* The point's samples of earlier passes, ahead of room for this pass's. */
static double *prev_samples(const ts_point *pt, const ts_sample *prev, size_t nprev, size_t room, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < nprev; i++)
        k += prev[i].pt == pt;
    double *v = malloc((k + room + 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < nprev; i++)
        if (prev[i].pt == pt)
            v[(*n)++] = prev[i].seconds;
    return v;
}

/* Verify every TODO point; those that pass become sampling members. */
static void prepare_points(chunk *c, ts_point *pts, size_t n, vref *ref, const ts_sample *prev, size_t nprev)
{
    const ts_bench_cfg *cfg = c->cfg;
    for (size_t k = 0; k < n && !g_interrupted; k++) {
        if (pts[k].status != TS_PT_TODO || filtered_out(&pts[k], cfg->filter))
            continue;
        member *m = &c->m[c->npoints++];
        memset(m, 0, sizeof *m);
        m->pt = &pts[k];
        snprintf(m->name, sizeof m->name, "%s/%.150s", pts[k].var->name, pts[k].desc);
        if (cfg->hooks.progress)
            cfg->hooks.progress(cfg->hooks.user, &pts[k], "verify", 0, 0);
        prepare_member(m, ref, cfg->seed, cfg->t.sample_s);
        m->t = nan_array((size_t)cfg->t.max_rounds);
        m->all = prev_samples(m->pt, prev, nprev, (size_t)cfg->t.max_rounds, &m->nprev);
        if ((!m->t || !m->all) && m->sampling)
            point_error(m->pt, "out of memory"), m->sampling = false;
    }
    c->nm = c->npoints;
}

/* Points that sampled in this pass are marked; a failed run is an error. */
static void finish_points(chunk *c)
{
    for (size_t k = 0; k < c->npoints; k++) {
        member *m = &c->m[k];
        if (!m->plan || m->pt->status != TS_PT_TODO)
            continue;
        if (m->failed)
            point_error(m->pt, m->why);
        else if (!g_interrupted)
            for (size_t r = 0; r < c->rounds && !m->pt->sampled; r++)
                m->pt->sampled = isfinite(m->t[r]);
    }
}

int ts_bench_pass(ts_point *pts, size_t n, const ts_bench_cfg *cfg, int pass, const ts_sample *prev,
                  size_t nprev, ts_chunk_ref **cache, ts_chunk_result *res, ts_err *e)
{
    memset(res, 0, sizeof *res);
    chunk c = {.cfg = cfg, .res = res, .rng = {cfg->seed ^ 0x5DEECE66Dull ^ (unsigned long long)pass << 40},
               .round0 = (int64_t)pass * cfg->t.max_rounds};
    c.m = calloc(4 * n + 1, sizeof *c.m); /* points, and up to three probes per thread count */
    if (!c.m)
        return ts_fail(e, "out of memory");
    int max_threads = 1;
    for (size_t k = 0; k < n; k++) {
        max_threads = pts[k].p.threads > max_threads ? pts[k].p.threads : max_threads;
        c.rng.s = c.rng.s * 31 + (unsigned char)pts[k].desc[0]; /* each chunk its own orders */
    }
    chunk_levels(&c, max_threads);
    if (!*cache && !(*cache = calloc(1, sizeof **cache))) {
        free(c.m);
        return ts_fail(e, "out of memory");
    }
    vref *ref = *cache;
    prepare_points(&c, pts, n, ref, prev, nprev);
    char **argv = calloc((size_t)cfg->gb_argc + 2, sizeof *argv);
    int argc = cfg->gb_argc > 0 ? cfg->gb_argc : 1, rc = argv ? 0 : ts_fail(e, "out of memory");
    for (int k = 0; argv && k < cfg->gb_argc; k++)
        argv[k] = cfg->gb_argv[k];
    if (argv && cfg->gb_argc <= 0)
        argv[0] = "tiedseq";
    char err[512];
    if (!rc && count_sampling(&c) && gbench_rounds_init(&argc, argv, err, sizeof err))
        rc = ts_fail(e, "%s", err);
    if (!rc && count_sampling(&c))
        rc = add_probes(&c, e) || run_rounds(&c, e) ? -1 : 0;
    if (!rc)
        finish_points(&c);
    for (size_t k = 0; k < c.nm; k++)
        member_release(&c.m[k]);
    free(c.m), free(argv);
    vref_drop_tensors(ref);
    return rc;
}

#endif /* TS_HAVE_GBENCH */
