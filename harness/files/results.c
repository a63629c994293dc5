/* The results folder: points.csv rows, resume, sweep.txt, meta.json (results.h). */
#include "harness/files/results.h"

#include "kernels/cpu.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "harness/cli.h"
#include "harness/files/csvread.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if TS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif
#if TS_HAVE_GBENCH
#include "harness/timing/gbench.h"
#endif


/* ---- derived numbers and the CSV row ---- */

void ts_point_metrics(const ts_point *pt, ts_metrics *m)
{
    const ts_problem *p = &pt->p;
    m->gflops_median = m->gflops_best = m->us_per_step = m->wgbps = NAN;
    if (pt->status != TS_PT_OK || !(pt->median_s > 0))
        return;
    double steps = (double)(p->E + p->D), flops = ts_flops_total(p);
    double rb = ts_recurrent_bytes_prec(p, pt->var->precision); /* bf16: 2-byte weights */
    double step_s = pt->median_s / steps;
    m->gflops_median = flops / pt->median_s * 1e-9;
    m->gflops_best = pt->min_s > 0 ? flops / pt->min_s * 1e-9 : NAN;
    m->us_per_step = step_s * 1e6;
    m->wgbps = rb / step_s * 1e-9;
}

/* A growable string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = b->p ? vsnprintf(b->p + b->n, room, fmt, ap) : -1;
        va_end(ap);
        if (k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (k >= 0 && cap < b->n + (size_t)k + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np, b->cap = cap;
    }
}

/* ",%.6g", or "," alone for no value */
static void sb_num(sbuf *b, double x)
{
    if (isfinite(x))
        sb_printf(b, ",%.6g", x);
    else
        sb_printf(b, ",");
}

int ts_csv_format_row(const char *run_id, const char *host, const ts_point *pt, char *buf, size_t n)
{
    const ts_problem *p = &pt->p;
    ts_metrics m;
    ts_point_metrics(pt, &m);
    bool ok = pt->status == TS_PT_OK;
    sbuf b = {0};
    sb_printf(&b, "%s,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%s,%lld,%d,%s", run_id, host, pt->var->name, pt->desc,
              ts_cell_name(p->cell), (long long)p->B, (long long)p->I, (long long)p->H, (long long)p->E,
              (long long)p->D, ts_feed_name(p->feed), (long long)p->V, p->threads,
              ts_pt_status_name(pt->status));
    if (ok)
        sb_printf(&b, ",%lld,%lld", (long long)pt->rounds, (long long)pt->iters);
    else
        sb_printf(&b, ",,");
    double t[6] = {pt->median_s * 1e6, pt->ci_lo_s * 1e6, pt->ci_hi_s * 1e6, pt->min_s * 1e6,
                   pt->mean_s * 1e6, pt->cv};
    for (int k = 0; k < 6; k++)
        sb_num(&b, ok ? t[k] : NAN);
    double d[9] = {m.gflops_median, m.gflops_best, m.us_per_step, pt->cal, pt->cal_lo, pt->cal_hi,
                   pt->peak_frac, pt->bw_frac, NAN};
    for (int k = 0; k < 8; k++)
        sb_num(&b, ok ? d[k] : NAN);
    sb_printf(&b, ",%s", ok && pt->bw_level >= 0 ? ts_peak_level_name(pt->bw_level) : "");
    double q[3] = {pt->probe_gflops, pt->probe_gbps, pt->probe_spread};
    for (int k = 0; k < 3; k++)
        sb_num(&b, ok ? q[k] : NAN);
    sb_printf(&b, ok ? ",%d" : ",", pt->unstable ? 1 : 0);
    sb_num(&b, m.wgbps);
    sb_num(&b, pt->max_abs);
    sb_num(&b, pt->tol);
    sb_printf(&b, ",%s", ts_precision_name(pt->var->precision));
    const ts_drift *dr = &pt->drift; /* empty for fp32 variants and unverified points */
    double dv[5] = {dr->out_max, dr->out_rms, dr->state_max, dr->state_rms, dr->sym_agree};
    for (int k = 0; k < 5; k++)
        sb_num(&b, dr->valid ? dv[k] : NAN);
    sb_num(&b, dr->valid && dr->first_div >= 0 ? (double)dr->first_div : NAN);
    sb_printf(&b, ",\"");
    for (const char *c = pt->label; *c; c++) /* the only quoted field: "" escapes a quote */
        if (*c == '"')
            sb_printf(&b, "\"\"");
        else
            sb_printf(&b, "%c", *c == '\n' || *c == '\r' ? ' ' : *c);
    sb_printf(&b, "\"\n");
    int len = -1;
    if (!b.oom && b.n < n) {
        memcpy(buf, b.p, b.n + 1);
        len = (int)b.n;
    }
    free(b.p);
    return len;
}

/* ---- points.csv ---- */

int ts_csv_open(ts_csv_out *c, const char *path, const char *header, ts_err *e)
{
    c->fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (c->fd < 0)
        return ts_fail(e, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    char line[1024];
    snprintf(line, sizeof line, "%s\n", header);
    if (fstat(c->fd, &st) == 0 && st.st_size == 0 && ts_csv_append(c, line, e)) {
        ts_csv_close(c);
        return -1;
    }
    return 0;
}

int ts_csv_append(ts_csv_out *c, const char *line, ts_err *e)
{
    /* one write() of a whole line: a killed process leaves whole lines only */
    size_t len = strlen(line);
    ssize_t k;
    do
        k = write(c->fd, line, len);
    while (k < 0 && errno == EINTR);
    if (k != (ssize_t)len)
        return ts_fail(e, "results: write failed: %s", k < 0 ? strerror(errno) : "short write");
    return 0;
}

void ts_csv_close(ts_csv_out *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

char *ts_read_file(const char *path, size_t *len, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ts_fail(e, "cannot open %s: %s", path, strerror(errno)), NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb)
                free(buf);
            buf = nb, cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return ts_fail(e, "cannot read %s", path), NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int ts_write_file_atomic(const char *path, const char *data, size_t len, ts_err *e)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ts_fail(e, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int err = errno;
        remove(tmp);
        return ts_fail(e, "cannot write %s: %s", path, strerror(err));
    }
    return 0;
}

/* ---- samples.csv and pairs.csv ---- */

char *ts_samples_rows(const char *run_id, const ts_chunk_result *r, const char *shape)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    for (size_t k = 0; k < r->nsamples; k++) {
        const ts_sample *s = &r->samples[k];
        if (s->pt && s->pt->status != TS_PT_OK)
            continue; /* a point that failed in a later pass: nothing of it is recorded */
        sb_printf(&b, "%s,%s%s,%s,%d,%lld,%lld,%lld,%.6g\n", run_id, s->pt ? s->pt->var->name : "probe-",
                  s->pt ? "" : s->probe, s->pt ? s->pt->desc : shape, s->threads, (long long)s->round,
                  (long long)s->position, (long long)s->iters, s->seconds * 1e6);
    }
    if (b.oom)
        free(b.p), b.p = NULL;
    return b.p;
}

char *ts_pairs_rows(const char *run_id, const ts_chunk_result *r)
{
    sbuf b = {0};
    sb_printf(&b, "%s", "");
    for (size_t k = 0; k < r->npairs; k++) {
        const ts_pair *p = &r->pairs[k];
        sb_printf(&b, "%s,%s,%s,%s,%s,%zu", run_id, p->a->var->name, p->a->desc, p->b->var->name, p->b->desc,
                  p->r.n);
        sb_num(&b, p->r.median);
        sb_num(&b, p->r.lo);
        sb_num(&b, p->r.hi);
        sb_printf(&b, "\n");
    }
    if (b.oom)
        free(b.p), b.p = NULL;
    return b.p;
}

/* ---- resume ---- */

/* Drop a last line that a kill (or a full disk) cut short. */
static int trim_partial_line(const char *path, ts_err *e)
{
    size_t len;
    char *text = ts_read_file(path, &len, e);
    if (!text)
        return -1;
    int rc = 0;
    if (len && text[len - 1] != '\n') {
        char *nl = strrchr(text, '\n');
        rc = ts_write_file_atomic(path, text, nl ? (size_t)(nl - text) + 1 : 0, e);
    }
    free(text);
    return rc;
}

typedef struct kept {
    char (*shapes)[128]; /* shapes with an ok point kept, sorted */
    size_t nshapes;
} kept;

static int cmp_shape(const void *a, const void *b) { return strcmp(a, b); }

static bool shape_kept(const kept *k, const char *shape)
{
    return k->nshapes && bsearch(shape, k->shapes, k->nshapes, sizeof k->shapes[0], cmp_shape);
}

/* points.csv: mark done, collect what is kept as text. */
static int resume_points(const ts_csv *c, const char *run_id, ts_plan_pts *pl, sbuf *out, kept *k,
                         size_t *n_done, ts_err *e)
{
    int cid = ts_csv_col(c, "run_id"), cv = ts_csv_col(c, "variant"), cp = ts_csv_col(c, "problem"),
        cs = ts_csv_col(c, "status");
    k->shapes = calloc(c->nrows + 1, sizeof *k->shapes);
    if (!k->shapes)
        return ts_fail(e, "out of memory");
    for (size_t r = 0; r < c->nrows; r++) {
        if (strcmp(ts_csv_get(c, r, cid), run_id))
            return ts_fail(e, "%s:%d: a row of another run (run_id '%s', this sweep is '%s')", c->path,
                           c->lines[r], ts_csv_get(c, r, cid), run_id);
        int st = ts_pt_status_parse(ts_csv_get(c, r, cs));
        ts_point *pt = ts_plan_find(pl, ts_csv_get(c, r, cv), ts_csv_get(c, r, cp));
        if ((st != TS_PT_OK && st != TS_PT_FAIL && st != TS_PT_SKIPPED) || !pt || pt->status != TS_PT_TODO)
            continue; /* error rows are measured again; duplicates and strangers go */
        pt->status = (ts_pt_status)st;
        (*n_done)++;
        for (int col = 0; col < c->ncols; col++) {
            const char *f = ts_csv_get(c, r, col);
            if (col == c->ncols - 1) { /* the label, the only quoted field */
                sb_printf(out, "\"");
                for (; *f; f++)
                    sb_printf(out, *f == '"' ? "\"\"" : "%c", *f);
                sb_printf(out, "\"\n");
            } else {
                sb_printf(out, "%s,", f);
            }
        }
        if (st == TS_PT_OK)
            ts_shape_key(&pt->p, k->shapes[k->nshapes++], sizeof k->shapes[0]);
    }
    qsort(k->shapes, k->nshapes, sizeof k->shapes[0], cmp_shape);
    return 0;
}

static bool point_ok(const ts_plan_pts *pl, const char *variant, const char *problem)
{
    ts_point *pt = ts_plan_find(pl, variant, problem);
    return pt && pt->status == TS_PT_OK;
}

/* samples.csv or pairs.csv: keep the rows of kept ok points (and their shapes' probes). */
static int resume_side(const char *dir, const char *name, const char *header, const ts_plan_pts *pl,
                       const kept *k, ts_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) != 0)
        return 0;
    ts_csv c;
    if (trim_partial_line(path, e) || ts_csv_read(path, &c, e))
        return -1;
    bool pairs = !strcmp(name, "pairs.csv");
    int a = ts_csv_col(&c, pairs ? "variant_a" : "member"), pa = ts_csv_col(&c, pairs ? "problem_a" : "problem");
    int b = ts_csv_col(&c, "variant_b"), pb = ts_csv_col(&c, "problem_b");
    sbuf out = {0};
    sb_printf(&out, "%s\n", header);
    for (size_t r = 0; r < c.nrows; r++) {
        const char *m = ts_csv_get(&c, r, a), *p = ts_csv_get(&c, r, pa);
        bool keep = pairs ? point_ok(pl, m, p) && point_ok(pl, ts_csv_get(&c, r, b), ts_csv_get(&c, r, pb))
                          : (!strncmp(m, "probe-", 6) ? shape_kept(k, p) : point_ok(pl, m, p));
        for (int col = 0; keep && col < c.ncols; col++)
            sb_printf(&out, "%s%s", ts_csv_get(&c, r, col), col + 1 < c.ncols ? "," : "\n");
    }
    int rc = out.oom ? ts_fail(e, "out of memory") : ts_write_file_atomic(path, out.p, out.n, e);
    free(out.p);
    ts_csv_free(&c);
    return rc;
}

int ts_results_resume(const char *dir, const char *run_id, ts_plan_pts *pl, size_t *n_done, ts_err *e)
{
    *n_done = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    if (access(path, F_OK) != 0)
        return 0;
    ts_csv c;
    if (trim_partial_line(path, e) || ts_csv_read(path, &c, e))
        return -1;
    char header[2048] = "";
    for (int k = 0; k < c.ncols; k++)
        snprintf(header + strlen(header), sizeof header - strlen(header), "%s%s", k ? "," : "", c.cols[k]);
    if (strcmp(header, TS_CSV_HEADER)) {
        ts_csv_free(&c);
        return ts_fail(e, "%s: not this tiedseq's points.csv (its header differs)", path);
    }
    sbuf out = {0};
    sb_printf(&out, "%s\n", TS_CSV_HEADER);
    kept k = {0};
    int rc = resume_points(&c, run_id, pl, &out, &k, n_done, e);
    if (!rc && out.oom)
        rc = ts_fail(e, "out of memory reading %s", path);
    if (!rc)
        rc = ts_write_file_atomic(path, out.p, out.n, e);
    if (!rc)
        rc = resume_side(dir, "samples.csv", TS_SAMPLES_HEADER, pl, &k, e) ||
                     resume_side(dir, "pairs.csv", TS_PAIRS_HEADER, pl, &k, e)
                 ? -1
                 : 0;
    free(out.p);
    free(k.shapes);
    ts_csv_free(&c);
    return rc;
}

/* ---- sweep.txt ---- */

#define SWEEP_MAGIC "tiedseq-sweep 2" /* 2: interleaved rounds (the timing line) */

void ts_sweep_def_text(const ts_sweep_def *d, char *buf, size_t n)
{
    snprintf(buf, n, "seed %llu\ngbench %s\ntiming %s\n", (unsigned long long)d->seed, d->gbench, d->timing);
}

void ts_timing_format(const ts_timing_opts *o, char *buf, size_t n)
{
    snprintf(buf, n, "min_rounds=%d max_rounds=%d sample_ms=%g budget_s=%g ci_target=%g unstable_spread=%g passes=%d",
             o->min_rounds, o->max_rounds, o->sample_s * 1e3, o->budget_s, o->ci_target, o->unstable_spread,
             o->passes);
}

int ts_sweep_def_write(const char *path, const ts_sweep_def *d, const ts_plan_pts *pl, ts_err *e)
{
    sbuf b = {0};
    sb_printf(&b, "%s\n# The sweep's definition: `tiedseq sweep --resume DIR` runs the points below\n"
                  "# that points.csv does not hold yet, and refuses a different definition.\n",
              SWEEP_MAGIC);
    sb_printf(&b, "run_id %s\nseed %llu\ngbench %s\ntiming %s\nshard %d/%d\ndefinition %s\n", d->run_id,
              (unsigned long long)d->seed, d->gbench, d->timing, d->shard_k, d->shard_n, d->definition);
    for (size_t k = 0; k < pl->n; k++)
        sb_printf(&b, "point %s %s\n", pl->pts[k].var->name, pl->pts[k].desc);
    int rc = b.oom ? ts_fail(e, "out of memory") : ts_write_file_atomic(path, b.p, b.n, e);
    free(b.p);
    return rc;
}

static int def_line(char *line, const char *path, int lineno, ts_sweep_def *d, ts_plan_pts *pl, ts_err *e)
{
    char *val = strchr(line, ' ');
    if (!val)
        return ts_fail(e, "%s:%d: malformed line '%s'", path, lineno, line);
    *val++ = '\0';
    if (!strcmp(line, "run_id")) {
        ts_str_copy(d->run_id, sizeof d->run_id, val);
    } else if (!strcmp(line, "seed")) {
        ts_err pe;
        if (ts_parse_u64("seed", val, &d->seed, &pe))
            return ts_fail(e, "%s:%d: %s", path, lineno, pe.msg);
    } else if (!strcmp(line, "gbench")) {
        ts_str_copy(d->gbench, sizeof d->gbench, val);
    } else if (!strcmp(line, "timing")) {
        ts_str_copy(d->timing, sizeof d->timing, val);
    } else if (!strcmp(line, "shard")) {
        ts_err se;
        if (ts_shard_parse(val, &d->shard_k, &d->shard_n, &se))
            return ts_fail(e, "%s:%d: %s", path, lineno, se.msg);
    } else if (!strcmp(line, "definition")) {
        if (strlen(val) != 16 || strspn(val, "0123456789abcdef") != 16)
            return ts_fail(e, "%s:%d: malformed definition hash '%s'", path, lineno, val);
        ts_str_copy(d->definition, sizeof d->definition, val);
    } else if (!strcmp(line, "point")) {
        char *desc = strchr(val, ' ');
        if (!desc)
            return ts_fail(e, "%s:%d: malformed point", path, lineno);
        *desc++ = '\0';
        const ts_variant *v = ts_variant_find(val);
        ts_problem p;
        ts_err pe;
        if (!v)
            return ts_fail(e, "%s:%d: variant '%s' is not in this build", path, lineno, val);
        if (ts_problem_parse(desc, &p, &pe))
            return ts_fail(e, "%s:%d: %s", path, lineno, pe.msg);
        return ts_plan_add(pl, v, &p, e);
    } else {
        return ts_fail(e, "%s:%d: unknown key '%s'", path, lineno, line);
    }
    return 0;
}

int ts_sweep_def_read(const char *path, ts_sweep_def *d, ts_plan_pts *pl, ts_err *e)
{
    memset(d, 0, sizeof *d);
    char *text = ts_read_file(path, NULL, e);
    if (!text)
        return -1;
    int rc = strncmp(text, SWEEP_MAGIC "\n", strlen(SWEEP_MAGIC) + 1)
                 ? ts_fail(e, "%s: not a tiedseq sweep definition", path)
                 : 0;
    int lineno = 0;
    for (char *s = text; !rc && *s;) {
        char *nl = strchr(s, '\n'), *next = nl ? nl + 1 : s + strlen(s);
        if (nl)
            *nl = '\0';
        lineno++;
        if (lineno > 1 && *s && *s != '#')
            rc = def_line(s, path, lineno, d, pl, e);
        s = next;
    }
    free(text);
    if (!rc && !*d->run_id)
        rc = ts_fail(e, "%s: no run_id", path);
    return rc ? rc : ts_plan_group(pl, e);
}


/* ---- meta.json ---- */

int ts_json_string(char *buf, size_t n, const char *s)
{
    size_t k = strlen(buf);
    int rc = 0;
#define PUT(c) (k + 1 < n ? (void)(buf[k++] = (c)) : (void)(rc = -1))
    PUT('"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            PUT('\\');
            PUT((char)*c);
        } else if (*c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            for (char *x = esc; *x; x++)
                PUT(*x);
        } else {
            PUT((char)*c);
        }
    }
    PUT('"');
#undef PUT
    buf[k < n ? k : n - 1] = '\0';
    return rc;
}

static void sb_json(sbuf *b, const char *s)
{
    char buf[8192] = "";
    ts_json_string(buf, sizeof buf, s ? s : "");
    sb_printf(b, "%s", buf);
}

/* One line of a command's output, or "unknown". */
static void command_line(const char *cmd, char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    char line[512];
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            ts_str_copy(buf, n, line);
    }
    pclose(f);
}

static void versions(char *onednn, size_t n1, char *gb, size_t n2)
{
    snprintf(onednn, n1, "none");
#if TS_HAVE_ONEDNN
    const dnnl_version_t *v = dnnl_version();
    snprintf(onednn, n1, "%d.%d.%d (%s)", v->major, v->minor, v->patch, v->hash ? v->hash : "");
#endif
    snprintf(gb, n2, "none");
#if TS_HAVE_GBENCH
    snprintf(gb, n2, "%s", gbench_version());
#endif
}

/* The command as typed, arguments quoted where the shell would need it. */
static void sb_command(sbuf *b, int argc, char **argv)
{
    sbuf c = {0};
    sb_printf(&c, "tiedseq"); /* argv[0] is the subcommand */
    for (int k = 0; k < argc; k++) {
        const char *a = argv[k];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                     "_./:,=+-@%") == strlen(a);
        sb_printf(&c, plain ? " %s" : " '%s'", a);
    }
    sb_json(b, c.p ? c.p : "");
    free(c.p);
}

static void sb_peak(sbuf *b, const char *path)
{
    ts_err e;
    char *text = path ? ts_read_file(path, NULL, &e) : NULL;
    size_t n = text ? strlen(text) : 0;
    while (n && isspace((unsigned char)text[n - 1]))
        text[--n] = '\0';
    if (text && *text == '{')
        sb_printf(b, "%s", text);
    else
        sb_printf(b, "null");
    free(text);
}

static void sb_plan_lists(sbuf *b, const ts_plan_pts *pl)
{
    sb_printf(b, "  \"variants\": [");
    const ts_variant *seen[256];
    size_t ns = 0;
    for (size_t k = 0; k < pl->n; k++) {
        size_t j = 0;
        while (j < ns && seen[j] != pl->pts[k].var)
            j++;
        if (j == ns && ns < 256) {
            seen[ns++] = pl->pts[k].var;
            sb_printf(b, "%s", ns > 1 ? ", " : "");
            sb_json(b, pl->pts[k].var->name);
        }
    }
    sb_printf(b, "],\n  \"precision\": {"); /* each variant's arithmetic: f32 or bf16 */
    for (size_t j = 0; j < ns; j++) {
        sb_printf(b, "%s", j ? ", " : "");
        sb_json(b, seen[j]->name);
        sb_printf(b, ": \"%s\"", ts_precision_name(seen[j]->precision));
    }
    sb_printf(b, "},\n  \"threads\": [");
    int last = 0;
    for (int printed = 0;;) { /* distinct thread counts, ascending */
        int next = 0;
        for (size_t k = 0; k < pl->n; k++)
            if (pl->pts[k].p.threads > last && (!next || pl->pts[k].p.threads < next))
                next = pl->pts[k].p.threads;
        if (!next)
            break;
        sb_printf(b, "%s%d", printed++ ? ", " : "", next);
        last = next;
    }
    sb_printf(b, "],\n  \"points\": %zu,\n", pl->n);
}

void ts_meta_context(const char *run_id, void (*add)(const char *key, const char *value))
{
    char git[128], model[256], isa[256], onednn[128], gb[64];
    command_line("git -C '" TS_SOURCE_DIR "' describe --always --dirty --abbrev=12 2>/dev/null", git,
                 sizeof git);
    ts_cpu_model(model, sizeof model);
    ts_isa_names(ts_cpu_isa(), isa, sizeof isa);
    versions(onednn, sizeof onednn, gb, sizeof gb);
    add("ts_run_id", run_id);
    add("ts_git_rev", git);
    add("ts_cpu_model", model);
    add("ts_isa", isa);
    add("ts_compiler", TS_C_COMPILER);
    add("ts_cflags", TS_C_FLAGS);
    add("ts_onednn_version", onednn);
    add("ts_OMP_PROC_BIND", getenv("OMP_PROC_BIND") ? getenv("OMP_PROC_BIND") : "");
    add("ts_OMP_PLACES", getenv("OMP_PLACES") ? getenv("OMP_PLACES") : "");
}

int ts_meta_write(const char *path, const ts_meta_info *mi, ts_err *e)
{
    char date[64], git[128], model[256], isa[256], flags[4096], onednn[128], gb[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    command_line("git -C '" TS_SOURCE_DIR "' describe --always --dirty --abbrev=12 2>/dev/null", git,
                 sizeof git);
    ts_cpu_model(model, sizeof model);
    ts_isa_names(ts_cpu_isa(), isa, sizeof isa);
    ts_cpuinfo_field("flags", flags, sizeof flags);
    versions(onednn, sizeof onednn, gb, sizeof gb);
    sbuf b = {0};
    sb_printf(&b, "{\n  \"run_id\": ");
    sb_json(&b, mi->run_id);
    sb_printf(&b, ",\n  \"date\": \"%s\",\n  \"git_rev\": ", date);
    sb_json(&b, git);
    sb_printf(&b, ",\n  \"command\": ");
    sb_command(&b, mi->argc, mi->argv);
    char host[256];
    ts_host_name(host, sizeof host);
    sb_printf(&b, ",\n  \"host\": ");
    sb_json(&b, host);
    sb_printf(&b, ",\n  \"shard\": \"%d/%d\",\n  \"definition\": ", mi->shard_k ? mi->shard_k : 1,
              mi->shard_n ? mi->shard_n : 1);
    sb_json(&b, mi->definition ? mi->definition : "");
    sb_printf(&b, ",\n  \"cpu\": {\"model\": ");
    sb_json(&b, model);
    sb_printf(&b, ", \"isa\": ");
    sb_json(&b, isa);
    sb_printf(&b, ", \"cores\": %ld, \"flags\": ", sysconf(_SC_NPROCESSORS_ONLN));
    sb_json(&b, flags);
    sb_printf(&b, "},\n  \"peak\": ");
    sb_peak(&b, mi->peak_path);
    sb_printf(&b, ",\n  \"compiler\": ");
    sb_json(&b, TS_C_COMPILER);
    sb_printf(&b, ",\n  \"cflags\": ");
    sb_json(&b, TS_C_FLAGS);
    sb_printf(&b, ",\n  \"gbench_version\": ");
    sb_json(&b, gb);
    sb_printf(&b, ",\n  \"gbench_args\": ");
    sb_json(&b, mi->gbench_args ? mi->gbench_args : "");
    sb_printf(&b, ",\n  \"timing\": ");
    sb_json(&b, mi->timing ? mi->timing : "");
    sb_printf(&b, ",\n  \"omp_pinned_by\": ");
    sb_json(&b, mi->omp_pinned ? mi->omp_pinned : "none");
    sb_printf(&b, ",\n  \"onednn_version\": ");
    sb_json(&b, onednn);
    const char *omp[] = {"OMP_PROC_BIND", "OMP_PLACES", "OMP_NUM_THREADS", "OMP_WAIT_POLICY"};
    sb_printf(&b, ",\n  \"omp\": {");
    for (int k = 0; k < 4; k++) {
        sb_printf(&b, "%s\"%s\": ", k ? ", " : "", omp[k]);
        if (getenv(omp[k]))
            sb_json(&b, getenv(omp[k]));
        else
            sb_printf(&b, "null");
    }
    sb_printf(&b, "},\n  \"seed\": %llu,\n  \"sets\": [", (unsigned long long)mi->seed);
    for (size_t k = 0; k < mi->nsets; k++) {
        sb_printf(&b, "%s", k ? ", " : "");
        sb_json(&b, mi->sets[k]);
    }
    sb_printf(&b, "],\n");
    sb_plan_lists(&b, mi->plan);
    sb_printf(&b, "  \"columns\": \"%s\",\n  \"samples_columns\": \"%s\",\n  \"pairs_columns\": \"%s\"\n}\n",
              TS_CSV_HEADER, TS_SAMPLES_HEADER, TS_PAIRS_HEADER);
    int rc = b.oom ? ts_fail(e, "out of memory") : ts_write_file_atomic(path, b.p, b.n, e);
    free(b.p);
    return rc;
}

/* ---- folders and names ---- */

void ts_host_name(char *buf, size_t n)
{
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    /* it goes into CSV rows and folder names: only the characters a host name may hold */
    if (!*host || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(host))
        snprintf(host, sizeof host, "host");
    snprintf(buf, n, "%s", host);
}

void ts_make_run_id(char *buf, size_t n)
{
    char host[256];
    ts_host_name(host, sizeof host);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, n, "%s-%s", date, host);
}

static int mkdir_p(const char *dir, ts_err *e)
{
    char path[4096];
    if (strlen(dir) >= sizeof path)
        return ts_fail(e, "results folder name too long");
    ts_str_copy(path, sizeof path, dir);
    for (char *s = path + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        struct stat st;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return ts_fail(e, "cannot create results folder %s: %s", path, strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return ts_fail(e, "cannot create results folder %s: %s", dir,
                           "a path component is not a directory");
        *s = c;
        if (!c)
            break;
    }
    return 0;
}

int ts_results_dir_prepare(const char *dir, ts_err *e)
{
    if (!dir || !*dir)
        return ts_fail(e, "empty results folder name");
    if (mkdir_p(dir, e))
        return -1;
    if (access(dir, W_OK | X_OK) != 0)
        return ts_fail(e, "results folder %s is not writable: %s", dir, strerror(errno));
    char gb[4200];
    snprintf(gb, sizeof gb, "%s/gb", dir);
    return mkdir_p(gb, e);
}
