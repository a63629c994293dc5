/* The timing core of bench and sweep (see bench.h).  The plan helpers are plain
 * C; verification and timing need Google Benchmark (TS_HAVE_GBENCH). */
#include "harness/timing/bench.h"

#include "harness/check/reference.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include "harness/cli.h"

#include <stdlib.h>
#include <string.h>

#if TS_HAVE_GBENCH
#include "harness/timing/gbench.h"
#endif


const char *ts_pt_status_name(ts_pt_status s)
{
    static const char *const names[] = {"", "ok", "fail", "skipped", "error"};
    return (unsigned)s <= TS_PT_ERROR ? names[s] : "?";
}

int ts_pt_status_parse(const char *s)
{
    for (int k = TS_PT_OK; k <= TS_PT_ERROR; k++)
        if (!strcmp(s, ts_pt_status_name((ts_pt_status)k)))
            return k;
    return -1;
}

void ts_point_init(ts_point *pt, const ts_variant *v, const ts_problem *p)
{
    memset(pt, 0, sizeof *pt);
    pt->var = v;
    pt->p = *p;
    ts_problem_format(p, pt->desc, sizeof pt->desc);
    pt->status = TS_PT_TODO;
    pt->verdict = TS_ERROR;
    pt->max_abs = pt->tol = NAN;
    pt->median_s = pt->min_s = pt->mean_s = pt->cv = NAN;
}

/* ---- plans ---- */

int ts_plan_add(ts_plan_pts *pl, const ts_variant *v, const ts_problem *p, ts_err *e)
{
    ts_point pt;
    ts_point_init(&pt, v, p);
    for (size_t k = 0; k < pl->n; k++)
        if (pl->pts[k].var == v && !strcmp(pl->pts[k].desc, pt.desc))
            return 0;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 64;
        ts_point *np = realloc(pl->pts, cap * sizeof *np);
        if (!np)
            return ts_fail(e, "out of memory for the plan");
        pl->pts = np, pl->cap = cap;
    }
    pl->pts[pl->n++] = pt;
    return 0;
}

int ts_plan_build(ts_plan_pts *pl, const ts_problem_list *probs, const int *threads,
                  size_t nthreads, const ts_variant *const *vars, size_t nv, ts_err *e)
{
    for (size_t i = 0; i < probs->n; i++)
        for (size_t k = 0; k < nv; k++)
            for (size_t t = 0; t < (nthreads ? nthreads : 1); t++) {
                ts_problem p = probs->v[i];
                if (nthreads)
                    p.threads = threads[t];
                if (ts_problem_check(&p, e) || ts_plan_add(pl, vars[k], &p, e))
                    return -1;
            }
    return ts_plan_group(pl, e);
}

/* The shape of a problem: its descriptor at one thread. */
static void shape_key(const ts_problem *p, char *buf, size_t n)
{
    ts_problem q = *p;
    q.threads = 1;
    ts_problem_format(&q, buf, n);
}

int ts_plan_group(ts_plan_pts *pl, ts_err *e)
{
    size_t n = pl->n, nkeys = 0;
    char (*keys)[128] = calloc(n + 1, sizeof *keys);
    size_t *chunk_of = calloc(n + 1, sizeof *chunk_of);
    size_t *start = calloc(n + 2, sizeof *start);
    ts_point *sorted = calloc(n + 1, sizeof *sorted);
    if (!keys || !chunk_of || !start || !sorted) {
        free(keys), free(chunk_of), free(start), free(sorted);
        return ts_fail(e, "out of memory for the plan");
    }
    for (size_t k = 0; k < n; k++) {
        char key[128];
        shape_key(&pl->pts[k].p, key, sizeof key);
        size_t c = 0;
        while (c < nkeys && strcmp(keys[c], key))
            c++;
        if (c == nkeys)
            memcpy(keys[nkeys++], key, sizeof key);
        chunk_of[k] = c;
        start[c + 1]++;
    }
    for (size_t c = 0; c < nkeys; c++)
        start[c + 1] += start[c];
    size_t *fill = calloc(nkeys + 1, sizeof *fill);
    if (!fill) {
        free(keys), free(chunk_of), free(start), free(sorted);
        return ts_fail(e, "out of memory for the plan");
    }
    for (size_t k = 0; k < n; k++) /* stable: order inside a chunk is kept */
        sorted[start[chunk_of[k]] + fill[chunk_of[k]]++] = pl->pts[k];
    memcpy(pl->pts, sorted, n * sizeof *sorted);
    free(pl->chunk_start);
    pl->chunk_start = start;
    pl->nchunks = nkeys;
    free(keys), free(chunk_of), free(sorted), free(fill);
    return 0;
}

void ts_plan_free(ts_plan_pts *pl)
{
    free(pl->pts);
    free(pl->chunk_start);
    memset(pl, 0, sizeof *pl);
}

void ts_plan_chunk_name(const ts_plan_pts *pl, size_t chunk, char *buf, size_t n)
{
    char key[128];
    shape_key(&pl->pts[pl->chunk_start[chunk]].p, key, sizeof key);
    /* drop the ":t1" token, keep any ":fbX" after it */
    char *t = strstr(key, ":t1");
    if (t && (t[3] == ':' || t[3] == '\0'))
        memmove(t, t + 3, strlen(t + 3) + 1);
    for (char *c = key; *c; c++)
        if (*c == ':')
            *c = '-';
    snprintf(buf, n, "%s", key);
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

#if !TS_HAVE_GBENCH

bool ts_bench_available(void) { return false; }

int ts_bench_chunk(ts_point *pts, size_t n, const ts_bench_cfg *cfg, const char *json_path,
                   ts_err *e)
{
    (void)pts, (void)n, (void)cfg, (void)json_path;
    return ts_fail(e, "built without Google Benchmark (apt-get install libbenchmark-dev)");
}

#else

bool ts_bench_available(void) { return true; }

/* ---- verification, one reference run per shape ----
 * ts_verify_variant's steps (verify.c) with the reference outputs kept across
 * the points of one shape: they differ only in variant and thread count, and
 * the reference (double accumulation) costs more than any variant. */
typedef struct vcache {
    bool have, failed;
    char key[128], why[512];
    ts_tensors t;
    ts_result ref;
    double *margins;
    double tol, tie_tol;
} vcache;

static void vcache_free(vcache *c)
{
    if (c->have && !c->failed) {
        ts_result_free(&c->ref);
        ts_tensors_free(&c->t);
    }
    free(c->margins);
    memset(c, 0, sizeof *c);
}

static int vcache_fill(vcache *c, const ts_problem *p, uint64_t seed)
{
    ts_err e = {{0}};
    if (ts_tensors_alloc(&c->t, p, &e)) {
        ts_str_copy(c->why, sizeof c->why, e.msg);
        return -1;
    }
    ts_tensors_fill(&c->t, seed);
    if (ts_result_alloc(&c->ref, p, true, &e)) {
        ts_tensors_free(&c->t);
        ts_str_copy(c->why, sizeof c->why, e.msg);
        return -1;
    }
    c->margins = calloc((size_t)(p->D * p->B) + 1, sizeof *c->margins);
    if (!c->margins || ts_reference_run(p, &c->t.w, &c->t.in, &c->ref.o, c->margins, &e)) {
        snprintf(c->why, sizeof c->why, "reference: %.480s", c->margins ? e.msg : "out of memory");
        ts_result_free(&c->ref);
        ts_tensors_free(&c->t);
        return -1;
    }
    c->tol = ts_tolerance(p);
    c->tie_tol = ts_tie_tolerance(p, &c->t.w, c->tol);
    return 0;
}

/* The reference of p's shape; -1 (reason in c->why) if it could not be made. */
static int vcache_get(vcache *c, const ts_problem *p, uint64_t seed)
{
    char key[128];
    shape_key(p, key, sizeof key);
    if (c->have && !strcmp(c->key, key))
        return c->failed ? -1 : 0;
    vcache_free(c);
    c->have = true;
    ts_str_copy(c->key, sizeof c->key, key);
    c->failed = vcache_fill(c, p, seed) != 0;
    return c->failed ? -1 : 0;
}

static void verify_point(ts_point *pt, vcache *c, uint64_t seed)
{
    char why[256];
    if (!ts_variant_available(pt->var, &pt->p, why, sizeof why)) {
        pt->status = TS_PT_SKIPPED, pt->verdict = TS_SKIPPED;
        ts_str_copy(pt->label, sizeof pt->label, why);
        return;
    }
    if (vcache_get(c, &pt->p, seed)) {
        pt->status = TS_PT_ERROR;
        ts_str_copy(pt->label, sizeof pt->label, c->why);
        return;
    }
    ts_result got;
    ts_err e = {{0}};
    ts_verdict v;
    memset(&got, 0, sizeof got); /* ts_result_free is safe on it whatever fails */
    if (ts_result_alloc(&got, &pt->p, true, &e) ||
        ts_run_variant(pt->var, &pt->p, &c->t.w, &c->t.in, &got.o, &e)) {
        pt->status = TS_PT_ERROR;
        ts_str_copy(pt->label, sizeof pt->label, e.msg);
        ts_result_free(&got);
        return;
    }
    ts_compare(&pt->p, &got.o, &c->ref.o, c->margins, c->tol, c->tie_tol, &v);
    ts_result_free(&got);
    pt->verdict = v.status;
    pt->max_abs = v.max_abs;
    pt->tol = v.tol;
    if (v.status == TS_FAIL) {
        pt->status = TS_PT_FAIL;
        ts_str_copy(pt->label, sizeof pt->label, v.reason);
    }
}

/* ---- timing ---- */

#define INTERRUPTED_MSG "interrupted"

/* One registered point: its context and what GB reported for it. */
typedef struct bctx {
    ts_point *pt;
    const ts_bench_cfg *cfg;
    char run_name[200];
    double *rep_s;
    size_t nrep, cap;
    int64_t gb_reps;
    bool interrupted, failed;
    char why[256], label[256];
    double agg_mean, agg_median, agg_min, agg_cv;
} bctx;

static void set_counters(gbench_state *st, const ts_point *pt, const ts_peak *peak)
{
    const ts_problem *p = &pt->p;
    double steps = (double)(p->E + p->D), flops = ts_flops_total(p);
    double wbytes = steps * ts_weight_bytes(p), rb = ts_recurrent_bytes(p);
    if (p->feed == TS_FEED_GREEDY && p->D > 1) /* the projection matrix, per decoder step */
        wbytes += (double)(p->D - 1) * 4.0 * (double)p->H * (double)p->V;
    gbench_counter(st, "flops", flops, GBENCH_CTR_ITER_INVARIANT_RATE);
    gbench_counter(st, "wbytes", wbytes, GBENCH_CTR_ITER_INVARIANT_RATE);
    gbench_counter(st, "steps", steps, GBENCH_CTR_ITER_INVARIANT_RATE | GBENCH_CTR_INVERT);
    if (!peak)
        return;
    /* rates of "seconds at the roof": flops/peak per run over the measured time */
    double pg = ts_peak_gflops(peak, p->threads), bw = ts_peak_bandwidth(peak, rb, p->threads);
    if (pg > 0)
        gbench_counter(st, "peak_frac", flops / (pg * 1e9), GBENCH_CTR_ITER_INVARIANT_RATE);
    if (bw > 0)
        gbench_counter(st, "bw_frac", steps * rb / (bw * 1e9), GBENCH_CTR_ITER_INVARIANT_RATE);
}

static void set_label(gbench_state *st, const ts_point *pt, const ts_plan *plan)
{
    char label[256] = "";
    const char *detail = pt->var->detail ? pt->var->detail(plan) : NULL;
    if (detail)
        ts_str_copy(label, sizeof label, detail);
    if (pt->verdict != TS_PASS) /* timed, but say how it verified */
        snprintf(label + strlen(label), sizeof label - strlen(label), "%sverify %s",
                 *label ? "; " : "", ts_status_name(pt->verdict));
    if (*label)
        gbench_label(st, label);
}

/* The timed loop: prepare (untimed), one untimed run so no page fault of the
 * outputs is timed, GB's loop, then the counters and release. */
static void time_point(gbench_state *st, ts_point *pt, const ts_bench_cfg *cfg)
{
    const ts_variant *v = pt->var;
    ts_tensors t;
    ts_result r;
    ts_plan *plan = NULL;
    ts_err e = {{0}};
    if (ts_tensors_alloc(&t, &pt->p, &e)) {
        gbench_skip_with_error(st, e.msg);
        return;
    }
    ts_tensors_fill(&t, cfg->seed);
    memset(&r, 0, sizeof r); /* ts_result_free is safe on it whatever fails */
    if (ts_result_alloc(&r, &pt->p, false, &e) || v->prepare(&pt->p, &t.w, &plan, &e)) {
        ts_result_free(&r);
        ts_tensors_free(&t);
        gbench_skip_with_error(st, e.msg);
        return;
    }
    int rc = v->run(plan, &t.in, &r.o);
    while (!rc && gbench_keep_running(st)) {
        if (g_interrupted) {
            gbench_skip_with_error(st, INTERRUPTED_MSG);
            break;
        }
        rc = v->run(plan, &t.in, &r.o);
    }
    if (rc) {
        snprintf(e.msg, sizeof e.msg, "%s: run failed (status %d)", v->name, rc);
        gbench_skip_with_error(st, e.msg);
    } else if (!g_interrupted) {
        gbench_do_not_optimize(r.o.out);
        set_counters(st, pt, cfg->peak);
        set_label(st, pt, plan);
    }
    v->release(plan);
    ts_result_free(&r);
    ts_tensors_free(&t);
}

static void bench_fn(gbench_state *st, void *vctx)
{
    bctx *c = vctx;
    if (c->cfg->hooks.start)
        c->cfg->hooks.start(c->cfg->hooks.user, c->pt, "time");
    if (g_interrupted) {
        gbench_skip_with_error(st, INTERRUPTED_MSG);
        return;
    }
    time_point(st, c->pt, c->cfg);
}

typedef struct chunk_state {
    bctx *ctx;
    size_t n;
} chunk_state;

static double median_of(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of repetitions */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1], v[j - 1] = x;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Fill the point from what GB reported; GB's aggregates where it sent them,
 * else the same statistics from the repetitions. */
static void finish_point(bctx *c)
{
    ts_point *pt = c->pt;
    if (c->interrupted)
        return; /* stays TODO: a resume measures it again */
    bool have = c->nrep > 0 || !isnan(c->agg_median);
    if (c->failed || !have) {
        pt->status = TS_PT_ERROR;
        ts_str_copy(pt->label, sizeof pt->label, *c->why ? c->why : "no repetition succeeded");
        return;
    }
    double sum = 0, mn = INFINITY, ss = 0;
    for (size_t k = 0; k < c->nrep; k++)
        sum += c->rep_s[k], mn = fmin(mn, c->rep_s[k]);
    double mean = c->nrep ? sum / (double)c->nrep : NAN;
    for (size_t k = 0; k < c->nrep; k++)
        ss += (c->rep_s[k] - mean) * (c->rep_s[k] - mean);
    double cv = c->nrep > 1 ? sqrt(ss / (double)(c->nrep - 1)) / mean : NAN;
    pt->reps = c->nrep ? (int64_t)c->nrep : c->gb_reps;
    pt->median_s = !isnan(c->agg_median) ? c->agg_median : median_of(c->rep_s, c->nrep);
    pt->min_s = !isnan(c->agg_min) ? c->agg_min : mn;
    pt->mean_s = !isnan(c->agg_mean) ? c->agg_mean : mean;
    pt->cv = !isnan(c->agg_cv) ? c->agg_cv : cv;
    pt->status = TS_PT_OK;
    ts_str_copy(pt->label, sizeof pt->label, c->label);
}

static void take_repetition(bctx *c, const gbench_row *row)
{
    if (row->error) {
        if (!strcmp(row->error_msg, INTERRUPTED_MSG))
            c->interrupted = true;
        else if (!c->failed)
            c->failed = true, ts_str_copy(c->why, sizeof c->why, row->error_msg);
        return;
    }
    if (c->nrep == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        double *v = realloc(c->rep_s, cap * sizeof *v);
        if (!v) {
            c->failed = true, snprintf(c->why, sizeof c->why, "out of memory");
            return;
        }
        c->rep_s = v, c->cap = cap;
    }
    c->rep_s[c->nrep++] = row->real_s;
    ts_str_copy(c->label, sizeof c->label, row->label);
}

static void on_row(void *user, const gbench_row *row)
{
    chunk_state *cs = user;
    bctx *c = NULL;
    if (cs->n && cs->ctx[0].cfg->hooks.start) /* the console prints this row next */
        cs->ctx[0].cfg->hooks.start(cs->ctx[0].cfg->hooks.user, NULL, NULL);
    for (size_t k = 0; k < cs->n && !c; k++)
        if (!strcmp(cs->ctx[k].run_name, row->run_name))
            c = &cs->ctx[k];
    if (!c)
        return;
    if (!*row->aggregate) {
        take_repetition(c, row);
    } else if (!row->error) {
        c->gb_reps = row->repetitions;
        if (!*c->label)
            ts_str_copy(c->label, sizeof c->label, row->label);
        if (!strcmp(row->aggregate, "mean"))
            c->agg_mean = row->real_s;
        else if (!strcmp(row->aggregate, "median"))
            c->agg_median = row->real_s;
        else if (!strcmp(row->aggregate, "min"))
            c->agg_min = row->real_s;
        else if (!strcmp(row->aggregate, "cv"))
            c->agg_cv = row->real_s;
    }
    if (row->final) {
        finish_point(c);
        if (c->pt->status != TS_PT_TODO && c->cfg->hooks.done)
            c->cfg->hooks.done(c->cfg->hooks.user, c->pt);
    }
}

static void verify_chunk(ts_point *pts, size_t n, const ts_bench_cfg *cfg)
{
    vcache vc;
    memset(&vc, 0, sizeof vc);
    for (size_t k = 0; k < n && !g_interrupted; k++) {
        if (pts[k].status != TS_PT_TODO)
            continue;
        if (cfg->hooks.start)
            cfg->hooks.start(cfg->hooks.user, &pts[k], "verify");
        verify_point(&pts[k], &vc, cfg->seed);
        if (pts[k].status != TS_PT_TODO && cfg->hooks.done)
            cfg->hooks.done(cfg->hooks.user, &pts[k]);
    }
    vcache_free(&vc);
}

static int run_registered(chunk_state *cs, const ts_bench_cfg *cfg, const char *json_path, ts_err *e)
{
    /* GB's Initialize removes what it parses from argv: hand it a copy */
    char **argv = calloc((size_t)cfg->gb_argc + 2, sizeof *argv);
    if (!argv)
        return ts_fail(e, "out of memory");
    int argc = cfg->gb_argc > 0 ? cfg->gb_argc : 1;
    for (int k = 0; k < cfg->gb_argc; k++)
        argv[k] = cfg->gb_argv[k];
    if (cfg->gb_argc <= 0)
        argv[0] = "tiedseq";
    char err[512];
    int rc = gbench_run_chunk(&argc, argv, json_path, on_row, cs, err, sizeof err);
    free(argv);
    if (rc == 1 || rc == 3)
        return ts_fail(e, "%s", err);
    return 0; /* rc 2: a --benchmark_filter left nothing to run; the points stay TODO */
}

int ts_bench_chunk(ts_point *pts, size_t n, const ts_bench_cfg *cfg, const char *json_path,
                   ts_err *e)
{
    verify_chunk(pts, n, cfg);
    if (g_interrupted)
        return 0;
    chunk_state cs = {calloc(n + 1, sizeof(bctx)), 0};
    if (!cs.ctx)
        return ts_fail(e, "out of memory");
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        if (pts[k].status != TS_PT_TODO)
            continue;
        bctx *c = &cs.ctx[cs.n++];
        c->pt = &pts[k];
        c->cfg = cfg;
        c->agg_mean = c->agg_median = c->agg_min = c->agg_cv = NAN;
        char name[180];
        snprintf(name, sizeof name, "%s/%.150s", pts[k].var->name, pts[k].desc);
        snprintf(c->run_name, sizeof c->run_name, "%s/real_time", name);
        if (gbench_register(name, bench_fn, c))
            rc = ts_fail(e, "cannot register benchmark %s", name);
    }
    if (!rc && cs.n && cfg->hooks.start) /* GB is about to print: let the progress line go */
        cfg->hooks.start(cfg->hooks.user, NULL, NULL);
    if (!rc && cs.n)
        rc = run_registered(&cs, cfg, json_path, e);
    else
        gbench_clear();
    for (size_t k = 0; k < cs.n; k++)
        free(cs.ctx[k].rep_s);
    free(cs.ctx);
    return rc;
}

#endif /* TS_HAVE_GBENCH */

/* ---- the driver: chunks, CSV rows, progress ---- */

#include "harness/files/results.h"

#include <stdarg.h>
#include <time.h>
#include <unistd.h>

typedef struct drive_st {
    ts_drive *d;
    ts_csv csv;
    bool have_csv, tty, line_open, write_failed;
    size_t total, done;
    double t0, work_total, work_done;
    ts_err werr;
    /* messages about finished points wait until GB has printed the point's
     * rows, so they never land inside its table */
    char pending[8192];
    size_t npending;
} drive_st;

static void say(drive_st *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(drive_st *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof s->pending - s->npending;
    int k = vsnprintf(s->pending + s->npending, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        s->npending += (size_t)k < room ? (size_t)k : room - 1;
}

static void flush_pending(drive_st *s)
{
    if (s->npending)
        fputs(s->pending, stderr);
    s->npending = 0;
    s->pending[0] = '\0';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_dur(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* "[12/180] naive/lstm:b16:...:t2 time | 0:42 elapsed, ETA 2:10" */
static void progress_text(const drive_st *s, const ts_point *pt, const char *what, char *buf, size_t n)
{
    double el = now_s() - s->t0;
    double eta = s->work_done > 0 ? el * (s->work_total - s->work_done) / s->work_done : -1;
    char e1[32], e2[32];
    fmt_dur(el, e1, sizeof e1);
    fmt_dur(eta, e2, sizeof e2);
    snprintf(buf, n, "[%zu/%zu] %s %s/%s | %s elapsed, ETA %s", s->done, s->total, what,
             pt->var->name, pt->desc, e1, e2);
}

static void clear_line(drive_st *s)
{
    if (s->line_open)
        fputs("\r\033[K", stderr);
    s->line_open = false;
}

static void on_start(void *user, const ts_point *pt, const char *phase)
{
    drive_st *s = user;
    if (!pt) { /* GB prints next */
        clear_line(s);
        fflush(stderr);
        return;
    }
    clear_line(s);
    flush_pending(s);
    if (!s->tty) {
        fflush(stderr);
        return;
    }
    char line[512];
    progress_text(s, pt, phase, line, sizeof line);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    s->line_open = true;
}

static void report_point(drive_st *s, const ts_point *pt)
{
    const char *cmd = s->d->cmd;
    if (pt->status == TS_PT_FAIL)
        say(s, "tiedseq %s: FAIL %s/%s: %s (not timed)\n  reproduce: tiedseq verify --variant %s --problem %s --seed %llu\n",
                cmd, pt->var->name, pt->desc, pt->label, pt->var->name, pt->desc,
                (unsigned long long)s->d->bench.seed);
    else if (pt->status == TS_PT_ERROR)
        say(s, "tiedseq %s: ERROR %s/%s: %s\n", cmd, pt->var->name, pt->desc, pt->label);
    else if (pt->status == TS_PT_OK && pt->cv > 0.05)
        say(s, "tiedseq %s: noisy: %s/%s: cv %.1f%% > 5%% over %lld repetitions\n", cmd,
                pt->var->name, pt->desc, 100 * pt->cv, (long long)pt->reps);
    if (!s->tty && s->d->plain_progress) {
        char line[512], what[96];
        if (pt->status == TS_PT_OK)
            snprintf(what, sizeof what, "ok %.4g us %.3g GFLOP/s", pt->median_s * 1e6,
                     ts_flops_total(&pt->p) / pt->median_s * 1e-9);
        else
            ts_str_copy(what, sizeof what, ts_pt_status_name(pt->status));
        progress_text(s, pt, what, line, sizeof line);
        say(s, "%s\n", line);
    }
}

static void on_done(void *user, ts_point *pt)
{
    drive_st *s = user;
    ts_drive *d = s->d;
    s->done++;
    double w = ts_flops_total(&pt->p);
    if (pt->status == TS_PT_OK)
        s->work_done += w, d->n_ok++;
    else
        s->work_total -= w; /* never timed: no part of the remaining time */
    d->n_fail += pt->status == TS_PT_FAIL;
    d->n_skipped += pt->status == TS_PT_SKIPPED;
    d->n_error += pt->status == TS_PT_ERROR;
    d->n_noisy += pt->status == TS_PT_OK && pt->cv > 0.05;
    if (s->have_csv && !s->write_failed) {
        char row[2048];
        if (ts_csv_format_row(d->run_id, pt, d->peak, row, sizeof row) < 0 ||
            ts_csv_append(&s->csv, row, &s->werr)) {
            s->write_failed = true;
            if (!*s->werr.msg)
                ts_fail(&s->werr, "points.csv: row too long");
            ts_bench_interrupt(); /* stop: nothing more can be recorded */
        }
    }
    clear_line(s);
    report_point(s, pt);
}

/* gb/<chunk>.json, or <chunk>-rN.json when a resumed run already wrote one */
static void json_path_for(const char *dir, const char *chunk, char *buf, size_t n)
{
    snprintf(buf, n, "%s/gb/%s.json", dir, chunk);
    for (int r = 2; access(buf, F_OK) == 0 && r < 1000; r++)
        snprintf(buf, n, "%s/gb/%s-r%d.json", dir, chunk, r);
}

static size_t count_todo(const ts_point *pts, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += pts[i].status == TS_PT_TODO;
    return k;
}

int ts_bench_drive(ts_plan_pts *pl, ts_drive *d, ts_err *e)
{
    drive_st s;
    memset(&s, 0, sizeof s);
    s.d = d;
    s.tty = isatty(2);
    s.total = pl->n;
    s.done = pl->n - count_todo(pl->pts, pl->n);
    s.t0 = now_s();
    for (size_t k = 0; k < pl->n; k++)
        if (pl->pts[k].status == TS_PT_TODO)
            s.work_total += ts_flops_total(&pl->pts[k].p);
    if (d->out_dir) {
        char path[4200];
        snprintf(path, sizeof path, "%s/points.csv", d->out_dir);
        if (ts_csv_open(&s.csv, path, e))
            return -1;
        s.have_csv = true;
    }
    d->bench.hooks = (ts_bench_hooks){.start = on_start, .done = on_done, .user = &s};
    int rc = 0;
    for (size_t c = 0; c < pl->nchunks && !rc && !ts_bench_interrupted(); c++) {
        ts_point *pts = pl->pts + pl->chunk_start[c];
        size_t n = pl->chunk_start[c + 1] - pl->chunk_start[c];
        if (!count_todo(pts, n))
            continue;
        char name[160], json[4400];
        ts_plan_chunk_name(pl, c, name, sizeof name);
        if (d->out_dir)
            json_path_for(d->out_dir, name, json, sizeof json);
        rc = ts_bench_chunk(pts, n, &d->bench, d->out_dir ? json : NULL, e);
    }
    clear_line(&s);
    flush_pending(&s);
    if (s.have_csv)
        ts_csv_close(&s.csv);
    d->n_left = count_todo(pl->pts, pl->n);
    if (!rc && s.write_failed)
        rc = ts_fail(e, "%s", s.werr.msg);
    return rc;
}

/* ---- shared option helpers ---- */

static bool is_gb_flag(const char *a)
{
    return !strncmp(a, "--benchmark_", 12) || !strncmp(a, "--v=", 4);
}

void ts_split_gb_args(int argc, char **argv, int *n_own, char **own, int *n_gb, char **gb)
{
    *n_own = *n_gb = 0;
    for (int k = 0; k < argc; k++) {
        if (k > 0 && is_gb_flag(argv[k]))
            gb[(*n_gb)++] = argv[k];
        else
            own[(*n_own)++] = argv[k];
    }
    own[*n_own] = NULL;
    gb[*n_gb] = NULL;
}

void ts_bench_add_context(const char *key, const char *value)
{
#if TS_HAVE_GBENCH
    gbench_add_context(key, value);
#else
    (void)key, (void)value;
#endif
}

int ts_bench_check_flags(int argc, char **argv, ts_err *e)
{
#if TS_HAVE_GBENCH
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    if (!copy)
        return ts_fail(e, "out of memory");
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    char err[512];
    int rc = gbench_check_flags(&argc, copy, err, sizeof err);
    free(copy);
    return rc ? ts_fail(e, "%s", err) : 0;
#else
    (void)argc, (void)argv;
    return ts_fail(e, "built without Google Benchmark (apt-get install libbenchmark-dev)");
#endif
}

void ts_bench_min_time_flag(double seconds, char *buf, size_t n)
{
#if TS_HAVE_GBENCH
    gbench_min_time_flag(seconds, buf, n);
#else
    snprintf(buf, n, "--benchmark_min_time=%g", seconds);
#endif
}

static int parse_num(const char *opt, const char *s, int64_t *v, ts_err *e)
{
    if (!strcmp(s, "nproc")) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        *v = n > 0 ? n : 1;
        return 0;
    }
    uint64_t x;
    ts_err pe;
    if (ts_parse_u64(opt, s, &x, &pe) || x > (1ull << 40))
        return ts_fail(e, "%s: '%s' is not a whole number (or nproc)", opt, s);
    *v = (int64_t)x;
    return 0;
}

static int push_val(const char *opt, int64_t x, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    for (size_t k = 0; k < *n; k++)
        if (out[k] == x)
            return 0; /* a value listed twice is one point */
    if (*n == max)
        return ts_fail(e, "%s: more than %zu values", opt, max);
    out[(*n)++] = x;
    return 0;
}

/* One comma-separated item: a, lo:hi, lo:hi:xK, lo:hi:+K */
static int parse_item(const char *opt, char *item, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    char *f[4] = {item, NULL, NULL, NULL};
    int nf = 1;
    for (char *c = item; *c; c++)
        if (*c == ':') {
            if (nf == 3)
                return ts_fail(e, "%s: '%s' is not a value or a range lo:hi[:xK|:+K]", opt, item);
            *c = '\0';
            f[nf++] = c + 1;
        }
    int64_t lo, hi, k = 1;
    if (parse_num(opt, f[0], &lo, e) || (nf > 1 && parse_num(opt, f[1], &hi, e)))
        return -1;
    if (nf == 1)
        return push_val(opt, lo, out, max, n, e);
    if (lo > hi)
        return ts_fail(e, "%s: range %lld:%lld is empty (lo > hi)", opt, (long long)lo, (long long)hi);
    bool geo = nf == 3 && f[2][0] == 'x';
    if (nf == 3 && ((f[2][0] != 'x' && f[2][0] != '+') || parse_num(opt, f[2] + 1, &k, e) ||
                    (geo ? k < 2 || lo < 1 : k < 1)))
        return ts_fail(e, "%s: step '%s' must be xK (K >= 2, lo >= 1) or +K (K >= 1)", opt, f[2]);
    for (int64_t x = lo; x <= hi; x = geo ? x * k : x + k)
        if (push_val(opt, x, out, max, n, e))
            return -1;
    return 0;
}

int ts_parse_int_list(const char *opt, const char *s, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    *n = 0;
    if (!s || !*s)
        return ts_fail(e, "%s: empty list", opt);
    char *copy = strdup(s);
    if (!copy)
        return ts_fail(e, "out of memory");
    int rc = 0;
    char *item = copy;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        rc = !*item ? ts_fail(e, "%s: empty item in '%s'", opt, s) : parse_item(opt, item, out, max, n, e);
        if (rc || !comma)
            break;
        item = comma + 1;
    }
    free(copy);
    return rc;
}
