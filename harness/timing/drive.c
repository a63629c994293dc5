/* Folder, definition, peak, pinning, and the chunk loop with its rows and
 * progress (drive.h). */
#include "harness/timing/drive.h"

#include "harness/cli.h"
#include "harness/files/results.h"
#include "harness/probes/peak.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- options ---- */

static int parse_pos_double(const char *opt, const char *val, double *v, ts_err *e)
{
    char *end;
    errno = 0;
    *v = strtod(val, &end);
    if (!*val || *end || errno || !isfinite(*v) || *v < 0)
        return ts_fail(e, "%s: '%s' is not a non-negative number", opt, val);
    return 0;
}

int ts_timing_parse(int code, const char *val, ts_timing_opts *t, ts_err *e)
{
    uint64_t u;
    double d;
    switch (code) {
    case 1001:
    case 1002:
        if (ts_parse_u64(code == 1001 ? "--min-rounds" : "--max-rounds", val, &u, e))
            return -1;
        if (u > 100000)
            return ts_fail(e, "%s %s: want at most 100000", code == 1001 ? "--min-rounds" : "--max-rounds", val);
        *(code == 1001 ? &t->min_rounds : &t->max_rounds) = (int)u;
        return 0;
    case 1003:
        if (parse_pos_double("--sample-ms", val, &d, e))
            return -1;
        t->sample_s = d * 1e-3;
        return 0;
    case 1004: return parse_pos_double("--budget", val, &t->budget_s, e);
    case 1007:
        if (ts_parse_u64("--passes", val, &u, e))
            return -1;
        if (u < 1 || u > 1000)
            return ts_fail(e, "--passes %s: want 1..1000", val);
        t->passes = (int)u;
        return 0;
    case 1005: return parse_pos_double("--ci-target", val, &t->ci_target, e);
    default: return ts_fail(e, "internal: timing option %d", code);
    }
}

void ts_run_args_init(ts_run_args *a)
{
    memset(a, 0, sizeof *a);
    a->seed = 42;
    ts_timing_defaults(&a->timing);
}

int ts_run_option(int c, const char *val, ts_run_args *a, ts_err *e)
{
    switch (c) {
    case 'p': return ts_plist_parse(&a->probs, val, e) ? -1 : 1;
    case 's': return ts_plist_add_set(&a->probs, a->sets, &a->nsets, 32, val, e) ? -1 : 1;
    case 'v': a->variants = val; return 1;
    case 'o': a->out = val; return 1;
    case 'k': a->peak = val; return 1;
    case 'P': a->peers = val; return 1;
    case 'S': a->seed_given = true; return ts_parse_u64("--seed", val, &a->seed, e) ? -1 : 1;
    case 1006: a->filter = val; return 1;
    case 1001: case 1002: case 1003: case 1004: case 1005: case 1007:
        a->timing_given = true;
        return ts_timing_parse(c, val, &a->timing, e) ? -1 : 1;
    default: return 0;
    }
}

int ts_run_variants(const ts_run_args *a, const ts_variant **out, size_t cap, size_t *n, ts_err *e)
{
    if (ts_variants_select(a->variants, out, cap, n, e))
        return -1;
    return a->peers ? ts_peers_append(a->peers, out, cap, n, e) : 0;
}

/* The recorded "min_rounds=10 max_rounds=200 ..." back into options. */
static int timing_scan(const char *s, ts_timing_opts *t, ts_err *e)
{
    double ms;
    if (sscanf(s, "min_rounds=%d max_rounds=%d sample_ms=%lf budget_s=%lf ci_target=%lf unstable_spread=%lf passes=%d",
               &t->min_rounds, &t->max_rounds, &ms, &t->budget_s, &t->ci_target, &t->unstable_spread,
               &t->passes) != 7)
        return ts_fail(e, "sweep.txt: unreadable timing line '%s'", s);
    t->sample_s = ms * 1e-3;
    return 0;
}

/* ---- thread pinning ---- */

#define PIN_MARK "TS_PINNED_BY_TIEDSEQ"

void ts_pin_threads_or_reexec(char **argv)
{
    if (getenv("OMP_PROC_BIND") || getenv("OMP_PLACES") || getenv(PIN_MARK))
        return;
    setenv("OMP_PROC_BIND", "close", 1);
    setenv("OMP_PLACES", "cores", 1);
    setenv(PIN_MARK, "1", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* no /proc: run unpinned, and say so in meta.json */
    unsetenv("OMP_PROC_BIND"), unsetenv("OMP_PLACES"), unsetenv(PIN_MARK);
}

const char *ts_pinned_by(void)
{
    if (getenv(PIN_MARK))
        return "tiedseq";
    return getenv("OMP_PROC_BIND") || getenv("OMP_PLACES") ? "user" : "none";
}

/* ---- progress and rows ---- */

typedef struct drive_st {
    const ts_run_opts *o;
    const char *dir, *run_id;
    char host[256];
    ts_csv_out points, samples, pairs;
    bool have_csv, tty, line_open;
    size_t total, done, chunk, nchunks, steps_done; /* steps: chunk-passes */
    int pass, passes;
    double t0;
    size_t n_ok, n_fail, n_skipped, n_error, n_unstable, n_left;
} drive_st;

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

static void clear_line(drive_st *s)
{
    if (s->line_open)
        fputs("\r\033[K", stderr);
    s->line_open = false;
}

/* "[3/20] lstm:b16:... round 12, 4 sampling | 0:42 elapsed, ETA 2:10" */
static void on_progress(void *user, const ts_point *pt, const char *phase, size_t round, size_t active)
{
    drive_st *s = user;
    if (!s->tty)
        return;
    double el = now_s() - s->t0;
    double frac = (double)s->steps_done / ((double)s->passes * (double)s->nchunks);
    double eta = frac > 0 ? el * (1 - frac) / frac : -1;
    char e1[32], e2[32], what[160];
    fmt_dur(el, e1, sizeof e1);
    fmt_dur(eta, e2, sizeof e2);
    if (!strcmp(phase, "round"))
        snprintf(what, sizeof what, "round %zu, %zu sampling", round, active);
    else
        snprintf(what, sizeof what, "verify %s", pt->var->name);
    fprintf(stderr, "\r\033[K[pass %d/%d, %zu/%zu] %s %s | %s elapsed, ETA %s", s->pass + 1, s->passes,
            s->chunk + 1, s->nchunks, pt->desc, what, e1, e2);
    fflush(stderr);
    s->line_open = true;
}

static void on_console(void *user)
{
    clear_line(user);
    fflush(stderr);
}

static void report_point(drive_st *s, const ts_point *pt)
{
    const char *cmd = s->o->cmd;
    if (pt->status == TS_PT_FAIL)
        fprintf(stderr, "tiedseq %s: FAIL %s/%s: %s (not timed)\n  reproduce: tiedseq verify --variant %s --problem %s --seed %llu\n",
                cmd, pt->var->name, pt->desc, pt->label, pt->var->name, pt->desc, (unsigned long long)s->o->seed);
    else if (pt->status == TS_PT_ERROR)
        fprintf(stderr, "tiedseq %s: ERROR %s/%s: %s\n", cmd, pt->var->name, pt->desc, pt->label);
    else if (pt->status == TS_PT_OK)
        fprintf(stderr, "tiedseq %s: ok %s/%s: %.4g us [%.4g, %.4g] over %lld rounds, %.3g GFLOP/s, %.0f%% of the "
                        "FMA probe%s\n",
                cmd, pt->var->name, pt->desc, pt->median_s * 1e6, pt->ci_lo_s * 1e6, pt->ci_hi_s * 1e6,
                (long long)pt->rounds, ts_flops_total(&pt->p) / pt->median_s * 1e-9, 100 * pt->peak_frac,
                pt->unstable ? "  UNSTABLE (the probe moved)" : "");
}

static int append_rows(ts_csv_out *c, char *rows, ts_err *e)
{
    int rc = !rows ? ts_fail(e, "out of memory") : *rows ? ts_csv_append(c, rows, e) : 0;
    free(rows);
    return rc;
}

/* The chunk's samples and pairs first (res, after its last pass), then the
 * rows of its points that are final and not yet recorded: a point row means
 * everything about it is on disk. */
static int record_chunk(drive_st *s, ts_point *pts, bool *recorded, size_t n, const ts_chunk_result *res,
                        ts_err *e)
{
    if (s->have_csv && res && res->nsamples) {
        char shape[128];
        ts_shape_key(&pts[0].p, shape, sizeof shape);
        if (append_rows(&s->samples, ts_samples_rows(s->run_id, res, shape), e) ||
            append_rows(&s->pairs, ts_pairs_rows(s->run_id, res), e))
            return -1;
    }
    for (size_t k = 0; k < n; k++) {
        ts_point *pt = &pts[k];
        if (pt->status == TS_PT_TODO || recorded[k])
            continue;
        recorded[k] = true;
        char row[4096];
        if (s->have_csv &&
            (ts_csv_format_row(s->run_id, s->host, pt, row, sizeof row) < 0 ? ts_fail(e, "points.csv: row too long")
                                                                    : ts_csv_append(&s->points, row, e)))
            return -1;
        s->done++;
        s->n_ok += pt->status == TS_PT_OK;
        s->n_fail += pt->status == TS_PT_FAIL;
        s->n_skipped += pt->status == TS_PT_SKIPPED;
        s->n_error += pt->status == TS_PT_ERROR;
        s->n_unstable += pt->status == TS_PT_OK && pt->unstable;
        report_point(s, pt);
    }
    return 0;
}

static size_t count_todo(const ts_point *pts, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += pts[i].status == TS_PT_TODO;
    return k;
}

/* gb/<chunk>.json, or <chunk>-rN.json when a resumed run already wrote one */
static void json_path_for(const char *dir, const char *chunk, char *buf, size_t n)
{
    snprintf(buf, n, "%s/gb/%s.json", dir, chunk);
    for (int r = 2; access(buf, F_OK) == 0 && r < 1000; r++)
        snprintf(buf, n, "%s/gb/%s-r%d.json", dir, chunk, r);
}

static int open_csvs(drive_st *s, ts_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/points.csv", s->dir);
    if (ts_csv_open(&s->points, path, TS_CSV_HEADER, e))
        return -1;
    snprintf(path, sizeof path, "%s/samples.csv", s->dir);
    if (ts_csv_open(&s->samples, path, TS_SAMPLES_HEADER, e))
        return ts_csv_close(&s->points), -1;
    snprintf(path, sizeof path, "%s/pairs.csv", s->dir);
    if (ts_csv_open(&s->pairs, path, TS_PAIRS_HEADER, e))
        return ts_csv_close(&s->points), ts_csv_close(&s->samples), -1;
    s->have_csv = true;
    return 0;
}

/* A chunk's samples of every pass so far, and its reference. */
typedef struct acc {
    ts_sample *s;
    size_t n, cap;
    ts_chunk_ref *ref;
} acc;

static int acc_take(acc *a, ts_chunk_result *r)
{
    if (a->n + r->nsamples > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->n + r->nsamples)
            cap *= 2;
        ts_sample *ns = realloc(a->s, cap * sizeof *ns);
        if (!ns)
            return -1;
        a->s = ns, a->cap = cap;
    }
    if (r->nsamples)
        memcpy(a->s + a->n, r->samples, r->nsamples * sizeof *r->samples);
    a->n += r->nsamples;
    return 0;
}

/* One pass of one chunk; after the last pass its statistics and rows. */
static int chunk_pass(drive_st *s, ts_plan_pts *pl, size_t c, ts_bench_cfg *cfg, acc *a, bool *recorded, ts_err *e)
{
    ts_point *pts = pl->pts + pl->chunk_start[c];
    size_t n = pl->chunk_start[c + 1] - pl->chunk_start[c];
    ts_chunk_result res;
    int rc = ts_bench_pass(pts, n, cfg, s->pass, a->s, a->n, &a->ref, &res, e);
    if (!rc && acc_take(a, &res))
        rc = ts_fail(e, "out of memory for the samples");
    ts_chunk_result_free(&res);
    clear_line(s);
    if (rc || ts_bench_interrupted())
        return rc;
    if (s->pass + 1 < s->passes) /* failures and skips are final at once */
        return record_chunk(s, pts, recorded, n, NULL, e);
    char name[160], json[4400];
    ts_plan_chunk_name(pl, c, name, sizeof name);
    if (s->dir)
        json_path_for(s->dir, name, json, sizeof json);
    rc = ts_chunk_finish(pts, n, a->s, a->n, cfg, s->dir ? json : NULL, &res, e);
    res.samples = a->s, res.nsamples = a->n; /* every pass's samples (not freed with res) */
    if (!rc)
        rc = record_chunk(s, pts, recorded, n, &res, e);
    res.samples = NULL, res.nsamples = 0;
    ts_chunk_result_free(&res);
    free(a->s), ts_chunk_ref_free(a->ref); /* the chunk is done: its memory goes */
    memset(a, 0, sizeof *a);
    return rc;
}

/* Chunks [b0, end) hold about BATCH_POINTS points to do (at least one chunk). */
#define BATCH_POINTS 200
static size_t batch_end(const ts_plan_pts *pl, size_t b0)
{
    size_t c = b0, todo = 0;
    while (c < pl->nchunks && (c == b0 || todo < BATCH_POINTS)) {
        todo += count_todo(pl->pts + pl->chunk_start[c], pl->chunk_start[c + 1] - pl->chunk_start[c]);
        c++;
    }
    return c;
}

static int drive(ts_plan_pts *pl, drive_st *s, ts_bench_cfg *cfg, ts_err *e)
{
    s->tty = isatty(2);
    s->total = pl->n;
    s->done = pl->n - count_todo(pl->pts, pl->n);
    s->nchunks = pl->nchunks;
    s->passes = cfg->t.passes;
    s->t0 = now_s();
    acc *a = calloc(pl->nchunks + 1, sizeof *a);
    bool *recorded = calloc(pl->n + 1, sizeof *recorded);
    if (!a || !recorded) {
        free(a), free(recorded);
        return ts_fail(e, "out of memory");
    }
    for (size_t k = 0; k < pl->n; k++)
        recorded[k] = pl->pts[k].status != TS_PT_TODO; /* done before a resume */
    if (s->dir && open_csvs(s, e)) {
        free(a), free(recorded);
        return -1;
    }
    cfg->hooks = (ts_bench_hooks){.progress = on_progress, .before_console = on_console, .user = s};
    int rc = 0;
    /* every pass over every chunk of a batch: each point's rounds come from several
     * moments of the run; batches bound what an interruption loses (the batch's
     * unfinished passes) and what the passes hold in memory */
    for (size_t b0 = 0, b1; b0 < pl->nchunks && !rc && !ts_bench_interrupted(); b0 = b1) {
        b1 = batch_end(pl, b0);
        for (s->pass = 0; s->pass < s->passes && !rc && !ts_bench_interrupted(); s->pass++)
            for (size_t c = b0; c < b1 && !rc && !ts_bench_interrupted(); c++) {
                size_t c0 = pl->chunk_start[c], n = pl->chunk_start[c + 1] - c0;
                if (!count_todo(pl->pts + c0, n))
                    continue;
                s->chunk = c;
                rc = chunk_pass(s, pl, c, cfg, &a[c], recorded + c0, e);
                s->steps_done++;
            }
    }
    clear_line(s);
    if (s->have_csv) {
        ts_csv_close(&s->points);
        ts_csv_close(&s->samples);
        ts_csv_close(&s->pairs);
    }
    for (size_t c = 0; c < pl->nchunks; c++)
        free(a[c].s), ts_chunk_ref_free(a[c].ref);
    free(a), free(recorded);
    s->n_left = count_todo(pl->pts, pl->n);
    return rc;
}

/* ---- the run: folder, definition, peak, meta ---- */

static void join_flags(char **f, int n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int k = 0; k < n; k++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", k ? " " : "", f[k]);
}

/* Split a recorded flag string into argv[1..] (in place). */
static int split_words(char *s, char **argv, int max)
{
    int n = 1;
    argv[0] = "tiedseq";
    for (char *save = NULL, *t = strtok_r(s, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    return n;
}

static bool file_exists(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

typedef struct run_ctx {
    const ts_run_opts *o;
    const char *dir;
    char run_id[96], flags[2048], filter[1024], timing_text[512], peak_path[4200];
    ts_timing_opts timing;
    char *gb_argv[128];
    int gb_argc;
    ts_peak peak;
    bool have_peak;
    uint64_t seed;
    int shard_k, shard_n;  /* 1/1 when not sharded */
    char definition[17];   /* ts_plan_hash of the whole sweep: the same in every shard */
} run_ctx;

/* The recorded definition of this run (run id, flags, timing, seed, shard, hash). */
static void def_of(const run_ctx *r, ts_sweep_def *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->run_id, sizeof d->run_id, "%s", r->run_id);
    snprintf(d->gbench, sizeof d->gbench, "%s", r->flags);
    snprintf(d->timing, sizeof d->timing, "%s", r->timing_text);
    d->seed = r->seed;
    d->shard_k = r->shard_k, d->shard_n = r->shard_n;
    snprintf(d->definition, sizeof d->definition, "%s", r->definition);
}

/* The whole plan's hash (with the seed, flags and timing of r), then the plan cut to r's shard. */
static int hash_and_shard(run_ctx *r, ts_plan_pts *pl, char hash[17], ts_err *e)
{
    ts_sweep_def d;
    char text[4096];
    def_of(r, &d);
    ts_sweep_def_text(&d, text, sizeof text);
    if (ts_plan_hash(pl, text, hash, e))
        return -1;
    return r->shard_n > 1 ? ts_plan_shard(pl, r->shard_k, r->shard_n, e) : 0;
}

/* --resume with --shard: it must be the recorded shard. */
static int resume_shard(run_ctx *r, const ts_sweep_def *def, ts_err *e)
{
    const ts_run_opts *o = r->o;
    r->shard_k = def->shard_n ? def->shard_k : 1, r->shard_n = def->shard_n ? def->shard_n : 1;
    if (o->shard_n && (o->shard_k != r->shard_k || o->shard_n != r->shard_n))
        return ts_fail(e, "--resume %s: --shard %d/%d differs from the recorded shard %d/%d", o->resume_dir,
                       o->shard_k, o->shard_n, r->shard_k, r->shard_n);
    return 0;
}

/* --resume: the flags, timing and seed given must be the recorded ones. */
static int resume_options(const run_ctx *r, const ts_sweep_def *def, ts_err *e)
{
    const ts_run_opts *o = r->o;
    if (o->n_gb_user && strcmp(r->flags, def->gbench))
        return ts_fail(e, "--resume %s: Google Benchmark flags differ from the recorded '%s'", o->resume_dir,
                       def->gbench);
    if (o->timing_given && strcmp(r->timing_text, def->timing))
        return ts_fail(e, "--resume %s: timing options differ from the recorded '%s'", o->resume_dir, def->timing);
    if (o->seed_given && o->seed != def->seed)
        return ts_fail(e, "--resume %s: --seed %llu differs from the recorded %llu", o->resume_dir,
                       (unsigned long long)o->seed, (unsigned long long)def->seed);
    return 0;
}

/* --resume with axes: the plan given, cut to the recorded shard, must be the
 * recorded one, and the whole plan's hash the recorded definition. */
static int resume_same_plan(run_ctx *r, ts_plan_pts *pl, const ts_plan_pts *rec, const ts_sweep_def *def,
                            ts_err *e)
{
    const char *dir = r->o->resume_dir;
    char hash[17];
    ts_err diff;
    if (hash_and_shard(r, pl, hash, e))
        return -1;
    if (ts_plan_same(pl, rec, &diff))
        return ts_fail(e, "--resume %s: a different sweep: %s", dir, diff.msg);
    if (*def->definition && strcmp(hash, def->definition))
        return ts_fail(e, "--resume %s: a different sweep definition (hash %s, recorded %s)", dir, hash,
                       def->definition);
    return 0;
}

/* --resume DIR: the recorded definition, the same plan, flags, timing, seed and shard. */
static int resume_setup(run_ctx *r, ts_plan_pts *pl, ts_err *e)
{
    const ts_run_opts *o = r->o;
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.txt", o->resume_dir);
    if (access(path, F_OK) != 0)
        return ts_fail(e, "--resume %s: no sweep.txt there (not a sweep folder)", o->resume_dir);
    ts_sweep_def def;
    ts_plan_pts rec = {0};
    if (ts_sweep_def_read(path, &def, &rec, e))
        return ts_plan_free(&rec), -1;
    int rc = resume_options(r, &def, e) || resume_shard(r, &def, e) ? -1 : 0;
    if (!rc) { /* from here on, the recorded definition */
        snprintf(r->run_id, sizeof r->run_id, "%s", def.run_id);
        snprintf(r->flags, sizeof r->flags, "%s", def.gbench);
        snprintf(r->timing_text, sizeof r->timing_text, "%s", def.timing);
        r->seed = def.seed;
        snprintf(r->definition, sizeof r->definition, "%s", def.definition);
        rc = timing_scan(def.timing, &r->timing, e);
    }
    if (!rc && pl->n)
        rc = resume_same_plan(r, pl, &rec, &def, e);
    if (rc)
        return ts_plan_free(&rec), -1;
    if (!pl->n) { /* no axes: the recorded plan */
        ts_plan_free(pl);
        *pl = rec;
    } else {
        ts_plan_free(&rec);
    }
    return 0;
}

/* --peak FILE (must load), else DIR/peak.json, else measure (and save into DIR). */
static int peak_setup(run_ctx *r, ts_err *e)
{
    const ts_run_opts *o = r->o;
    char dirpeak[4200] = "";
    if (r->dir)
        snprintf(dirpeak, sizeof dirpeak, "%s/peak.json", r->dir);
    if (o->peak_file) { /* loaded by setup */
        snprintf(r->peak_path, sizeof r->peak_path, "%s", o->peak_file);
    } else if (*dirpeak && access(dirpeak, F_OK) == 0) {
        if (ts_peak_load(dirpeak, &r->peak, e))
            return -1;
        snprintf(r->peak_path, sizeof r->peak_path, "%s", dirpeak);
    } else if (o->measure_peak && r->dir) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        fprintf(stderr, "tiedseq %s: measuring this machine's peak (tiedseq peak; --peak FILE skips it)\n", o->cmd);
        if (ts_peak_measure(&r->peak, n > 0 ? (int)n : 1, 3.0, e))
            return -1;
    } else {
        return 0; /* console only: the probes of each round are the calibration */
    }
    r->have_peak = true;
    if (*dirpeak && access(dirpeak, F_OK) != 0) { /* the results folder keeps its own copy */
        if (ts_peak_save(&r->peak, dirpeak, e))
            return -1;
        snprintf(r->peak_path, sizeof r->peak_path, "%s", dirpeak);
    }
    return 0;
}

/* A fresh results folder: refuse one that holds a run, then create it. */
static int fresh_setup(run_ctx *r, ts_err *e)
{
    const char *d = r->dir;
    if (file_exists(d, "points.csv") || file_exists(d, "sweep.txt"))
        return ts_fail(e, "%s already holds a run (points.csv); use --resume %s or another --out", d, d);
    return ts_results_dir_prepare(d, e);
}

static int write_definition(run_ctx *r, const ts_plan_pts *pl, ts_err *e)
{
    char path[4200];
    ts_sweep_def def;
    def_of(r, &def);
    snprintf(path, sizeof path, "%s/sweep.txt", r->dir);
    return ts_sweep_def_write(path, &def, pl, e);
}

static int write_meta(run_ctx *r, const ts_plan_pts *pl, ts_err *e)
{
    char path[4200];
    ts_meta_info mi = {.run_id = r->run_id, .argc = r->o->argc, .argv = r->o->argv,
                       .peak_path = *r->peak_path ? r->peak_path : NULL, .gbench_args = r->flags,
                       .timing = r->timing_text, .omp_pinned = ts_pinned_by(), .sets = r->o->sets,
                       .nsets = r->o->nsets, .plan = pl, .seed = r->seed, .shard_k = r->shard_k,
                       .shard_n = r->shard_n, .definition = r->definition};
    snprintf(path, sizeof path, "%s/meta.json", r->dir);
    return ts_meta_write(path, &mi, e);
}

static int finish(run_ctx *r, const drive_st *d, int rc, const ts_err *e)
{
    const char *cmd = r->o->cmd;
    if (rc) {
        ts_cli_error(cmd, "%s", e->msg);
        return TS_EXIT_USAGE;
    }
    fprintf(stderr, "tiedseq %s: %zu ok, %zu fail, %zu skipped, %zu error, %zu unstable (calibration probe moved)%s%s%s\n",
            cmd, d->n_ok, d->n_fail, d->n_skipped, d->n_error, d->n_unstable, r->dir ? " -> " : "",
            r->dir ? r->dir : "", r->dir ? "/points.csv" : "");
    if (!ts_bench_interrupted() && d->n_left)
        fprintf(stderr, "tiedseq %s: %zu points not run (filtered out by --filter)\n", cmd, d->n_left);
    if (ts_bench_interrupted()) {
        fprintf(stderr, "tiedseq %s: interrupted with %zu points left%s%s\n", cmd, d->n_left,
                r->dir ? "; finish with: tiedseq sweep --resume " : "", r->dir ? r->dir : "");
        return 130;
    }
    return d->n_fail || d->n_error ? TS_EXIT_FAIL : 0;
}

/* Everything before the first measurement; 0 or -1 with e. */
static int setup(run_ctx *r, ts_plan_pts *pl, size_t *n_done, ts_err *e)
{
    const ts_run_opts *o = r->o;
    int rc = 0;
    if (o->resume_dir) {
        r->dir = o->resume_dir;
        rc = resume_setup(r, pl, e);
    } else {
        r->dir = o->out_dir;
        if (o->run_id)
            snprintf(r->run_id, sizeof r->run_id, "%s", o->run_id);
        else
            ts_make_run_id(r->run_id, sizeof r->run_id);
        r->shard_k = o->shard_n ? o->shard_k : 1, r->shard_n = o->shard_n ? o->shard_n : 1;
        rc = pl->n ? hash_and_shard(r, pl, r->definition, e) : 0;
    }
    char flags_copy[2048];
    snprintf(flags_copy, sizeof flags_copy, "%s", r->flags);
    r->gb_argc = split_words(flags_copy, r->gb_argv, 127);
    if (!rc && !pl->n && r->shard_n == 1) /* a shard may be empty: its run folder still merges */
        rc = ts_fail(e, "nothing to run");
    if (!rc)
        rc = ts_timing_check(&r->timing, e) || ts_bench_check_flags(r->gb_argc, r->gb_argv, e) ? -1 : 0;
    if (!rc && o->peak_file) /* a bad --peak is refused before anything is written */
        rc = ts_peak_load(o->peak_file, &r->peak, e);
    if (!rc && r->dir && !o->resume_dir)
        rc = fresh_setup(r, e) || write_definition(r, pl, e) ? -1 : 0;
    else if (!rc && r->dir)
        rc = ts_results_dir_prepare(r->dir, e) || ts_results_resume(r->dir, r->run_id, pl, n_done, e) ? -1 : 0;
    if (!rc)
        rc = peak_setup(r, e);
    if (!rc && r->dir)
        rc = write_meta(r, pl, e);
    return rc;
}

int ts_run_plan(ts_plan_pts *pl, const ts_run_opts *o)
{
    run_ctx *r = calloc(1, sizeof *r);
    if (!r) {
        ts_cli_error(o->cmd, "out of memory");
        return TS_EXIT_USAGE;
    }
    r->o = o;
    r->seed = o->seed;
    r->timing = o->timing;
    join_flags(o->gb_user, o->n_gb_user, r->flags, sizeof r->flags);
    ts_timing_format(&r->timing, r->timing_text, sizeof r->timing_text);
    ts_err e = {{0}};
    regex_t re;
    bool have_re = false;
    size_t n_done = 0;
    int rc = 0;
    if (o->filter) { /* a bad expression is refused before anything is written */
        have_re = regcomp(&re, o->filter, REG_EXTENDED | REG_NOSUB) == 0;
        if (!have_re)
            rc = ts_fail(&e, "--filter '%s': not a POSIX extended regular expression", o->filter);
    }
    if (!rc)
        rc = setup(r, pl, &n_done, &e);
    if (rc) {
        ts_cli_error(o->cmd, "%s", e.msg);
        if (have_re)
            regfree(&re);
        free(r);
        return TS_EXIT_USAGE;
    }
    if (o->resume_dir)
        fprintf(stderr, "tiedseq %s: resuming %s: %zu of %zu points already done\n", o->cmd, r->dir, n_done, pl->n);
    ts_bench_cfg cfg = {.seed = r->seed, .levels = r->have_peak ? &r->peak : NULL, .t = r->timing,
                        .filter = have_re ? &re : NULL, .gb_argc = r->gb_argc, .gb_argv = r->gb_argv};
    ts_meta_context(r->run_id, ts_bench_add_context);
    ts_bench_catch_signals();
    drive_st d = {.o = o, .dir = r->dir, .run_id = r->run_id};
    ts_host_name(d.host, sizeof d.host);
    rc = drive(pl, &d, &cfg, &e);
    int code = finish(r, &d, rc, &e);
    if (have_re)
        regfree(&re);
    free(r);
    return code;
}
