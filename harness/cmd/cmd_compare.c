/* `tiedseq compare A B` / `tiedseq compare DIR --variants a,b`: speed-up of B over
 * A per point with its 95 % interval, a call (faster / slower / same), the
 * geometric mean and the counts.  Statistics: harness/timing/stats.h. */
#include "harness/cli.h"
#include "harness/files/csvread.h"
#include "harness/timing/stats.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq compare A B [--variants v1,v2,...] [--calibrated] [--min-effect F] [--csv]\n"
            "       tiedseq compare DIR --variants A,B [--min-effect F] [--csv]\n\n"
            "A, B, DIR: results folders (or their points.csv).  The first form matches rows by\n"
            "(variant, problem) across two runs (--variants keeps only those variants); the\n"
            "second compares two variants of one run, matched by problem.  Only rows with\n"
            "status ok on both sides are compared.  A merged run of several machines\n"
            "(tiedseq merge) adds a host column: one run pairs its variants on each host;\n"
            "two runs match by host too where a run holds a point from several hosts.\n\n"
            "  speed-up = A / B, > 1: B is faster\n"
            "  two runs:  the median times, 95%% interval from the two runs' intervals in log\n"
            "             space; --calibrated: the calibrated times instead (time x the\n"
            "             same-round FMA probe's rate; on the reference VM they agreed less\n"
            "             between identical runs than plain times, see docs/benchmarking.md)\n"
            "  one run:   the paired per-round ratio from DIR/pairs.csv with its 95%% interval\n"
            "  call:      faster/slower only when the interval excludes 1 and the speed-up is\n"
            "             further than --min-effect from 1 (default 0.03); rows without\n"
            "             intervals (older runs) are called by the minimum effect alone\n"
            "The last lines: the geometric mean, the counts faster/slower/same, and how many\n"
            "points are within +-5 %%.  --csv prints one CSV row per point instead.\n");
}

typedef struct cmp_pt {
    const char *variant, *problem;
    const char *host, *run_id;  /* "" in files without the column */
    bool ok;
    double med, lo, hi;       /* time (us) and its interval; NAN bounds in older runs */
    double cal, cal_lo, cal_hi; /* calibrated; NAN in older runs */
} cmp_pt;

typedef struct cmp_side {
    ts_csv csv;
    cmp_pt *pts;
    size_t n;
    bool multi_host;  /* rows of several hosts (a merged run) */
    ts_csv pairs; /* DIR/pairs.csv, when there is one */
    bool have_pairs;
} cmp_side;

typedef struct cmp_pair {
    const cmp_pt *a, *b;
    double speedup, lo, hi;
    const char *basis;
    ts_change call;
} cmp_pair;

static const char *const needed[] = {"variant", "problem", "status", "median_us", NULL};

/* An optional column's number: NAN when the column or the value is absent. */
static int opt_num(const ts_csv *c, size_t r, const char *col, double *v, ts_err *e)
{
    int k = ts_csv_col(c, col);
    if (k < 0) {
        *v = NAN;
        return 0;
    }
    return ts_csv_num(c, r, k, v, e);
}

/* An ok row must carry a positive time; intervals and calibration are optional. */
static int read_point(const ts_csv *c, size_t r, cmp_pt *p, ts_err *e)
{
    p->variant = ts_csv_get(c, r, ts_csv_col(c, "variant"));
    p->problem = ts_csv_get(c, r, ts_csv_col(c, "problem"));
    p->host = ts_points_host(c, r);
    p->run_id = ts_csv_get(c, r, ts_csv_col(c, "run_id"));
    p->ok = !strcmp(ts_csv_get(c, r, ts_csv_col(c, "status")), "ok");
    if (!p->ok)
        return 0;
    if (ts_csv_num(c, r, ts_csv_col(c, "median_us"), &p->med, e) || opt_num(c, r, "ci_lo_us", &p->lo, e) ||
        opt_num(c, r, "ci_hi_us", &p->hi, e) || opt_num(c, r, "cal", &p->cal, e) ||
        opt_num(c, r, "cal_lo", &p->cal_lo, e) || opt_num(c, r, "cal_hi", &p->cal_hi, e))
        return -1;
    if (!(p->med > 0) || !isfinite(p->med))
        return ts_fail(e, "%s:%d: status ok but median_us is not a positive time", c->path, c->lines[r]);
    return 0;
}

static int load_pairs(const char *arg, cmp_side *s, ts_err *e)
{
    int k = ts_pairs_read_beside(arg, &s->pairs, e);
    s->have_pairs = k > 0;
    return k < 0 ? -1 : 0;
}

static int load_side(const char *arg, cmp_side *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (ts_csv_read_points(arg, &s->csv, e) || ts_csv_require(&s->csv, needed, e) || ts_points_check(&s->csv, e))
        return -1;
    s->pts = calloc(s->csv.nrows ? s->csv.nrows : 1, sizeof *s->pts);
    if (!s->pts)
        return ts_fail(e, "out of memory");
    for (s->n = 0; s->n < s->csv.nrows; s->n++)
        if (read_point(&s->csv, s->n, &s->pts[s->n], e))
            return -1;
    s->multi_host = ts_points_multi_host(&s->csv);
    return load_pairs(arg, s, e);
}

static void free_side(cmp_side *s)
{
    free(s->pts);
    ts_csv_free(&s->csv);
    if (s->have_pairs)
        ts_csv_free(&s->pairs);
}

/* The row of (variant, problem) on host (NULL: any host): the last ok one, else
 * the last one, else NULL (a resumed sweep may hold a failed row and a later ok one). */
static const cmp_pt *find(const cmp_side *s, const char *variant, const char *problem, const char *host)
{
    const cmp_pt *any = NULL, *ok = NULL;
    for (size_t k = 0; k < s->n; k++)
        if (!strcmp(s->pts[k].variant, variant) && !strcmp(s->pts[k].problem, problem) &&
            (!host || !strcmp(s->pts[k].host, host))) {
            any = &s->pts[k];
            if (any->ok)
                ok = any;
        }
    return ok ? ok : any;
}

/* Row k is the first of its (host, variant, problem) — or of its (host, problem) when by_problem. */
static bool first_of_key(const cmp_side *s, size_t k, bool by_problem)
{
    for (size_t j = 0; j < k; j++)
        if (!strcmp(s->pts[j].problem, s->pts[k].problem) && !strcmp(s->pts[j].host, s->pts[k].host) &&
            (by_problem || !strcmp(s->pts[j].variant, s->pts[k].variant)))
            return false;
    return true;
}

/* The point (variant, problem) is in s from more than one host. */
static bool on_several_hosts(const cmp_side *s, const char *variant, const char *problem)
{
    const cmp_pt *first = find(s, variant, problem, NULL);
    for (size_t k = 0; first && k < s->n; k++)
        if (!strcmp(s->pts[k].variant, variant) && !strcmp(s->pts[k].problem, problem) &&
            strcmp(s->pts[k].host, first->host))
            return true;
    return false;
}

/* Two runs are matched by (variant, problem), so runs of two machines compare;
 * by host too where a run holds the point from several hosts. */
static const char *match_host(const cmp_side *A, const cmp_side *B, const cmp_pt *p)
{
    return on_several_hosts(A, p->variant, p->problem) || on_several_hosts(B, p->variant, p->problem) ? p->host
                                                                                                      : NULL;
}

static bool in_list(const char *name, char **list, int n)
{
    if (n == 0)
        return true;
    for (int k = 0; k < n; k++)
        if (!strcmp(list[k], name))
            return true;
    return false;
}

typedef struct cmp_opts {
    bool calibrated;
    double min_effect;
    const cmp_side *run; /* one run: its pairs.csv */
} cmp_opts;

/* Two runs: calibrated when both rows are, else plain times; log-space interval. */
static void ratio_of_runs(cmp_pair *p, const cmp_opts *o)
{
    const cmp_pt *a = p->a, *b = p->b;
    bool cal = o->calibrated && a->cal > 0 && b->cal > 0;
    if (cal) {
        ts_ratio_independent(a->cal, a->cal_lo, a->cal_hi, b->cal, b->cal_lo, b->cal_hi, &p->speedup, &p->lo,
                             &p->hi);
        p->basis = "calibrated";
    } else {
        ts_ratio_independent(a->med, a->lo, a->hi, b->med, b->lo, b->hi, &p->speedup, &p->lo, &p->hi);
        p->basis = isfinite(p->lo) ? "time" : "no-interval";
    }
}

/* One run: the paired ratio time(a)/time(b) from pairs.csv, either order. */
static bool paired_ratio(const cmp_side *s, const cmp_pt *a, const cmp_pt *b, double *r, double *lo, double *hi)
{
    return s->have_pairs && ts_pairs_ratio(&s->pairs, *a->run_id ? a->run_id : NULL, a->variant, a->problem, b->variant, b->problem, r, lo, hi);
}

static cmp_pair make_pair(const cmp_pt *a, const cmp_pt *b, const cmp_opts *o)
{
    cmp_pair p = {.a = a, .b = b};
    if (o->run && paired_ratio(o->run, a, b, &p.speedup, &p.lo, &p.hi)) {
        p.basis = "paired";
    } else if (o->run) {
        p.speedup = a->med / b->med, p.lo = p.hi = NAN;
        p.basis = "no-interval";
    } else {
        ratio_of_runs(&p, o);
    }
    p.call = ts_call_change(p.speedup, p.lo, p.hi, o->min_effect);
    return p;
}

typedef struct cmp_tally {
    size_t only_a, only_b, not_ok;
} cmp_tally;

/* Pair up two runs by (variant, problem), in A's order. */
static size_t pair_runs(const cmp_side *A, const cmp_side *B, char **vars, int nv, const cmp_opts *o, cmp_pair *out,
                        cmp_tally *t)
{
    size_t n = 0;
    for (size_t k = 0; k < A->n; k++) {
        const cmp_pt *ka = &A->pts[k];
        if (!first_of_key(A, k, false) || !in_list(ka->variant, vars, nv))
            continue;
        const char *h = match_host(A, B, ka);
        const cmp_pt *a = find(A, ka->variant, ka->problem, h), *b = find(B, ka->variant, ka->problem, h);
        if (!b)
            t->only_a++;
        else if (!a->ok || !b->ok)
            t->not_ok++;
        else
            out[n++] = make_pair(a, b, o);
    }
    for (size_t k = 0; k < B->n; k++)
        if (first_of_key(B, k, false) && in_list(B->pts[k].variant, vars, nv) &&
            !find(A, B->pts[k].variant, B->pts[k].problem, match_host(A, B, &B->pts[k])))
            t->only_b++;
    return n;
}

/* Pair two variants of one run by problem, in the run's order. */
static size_t pair_variants(const cmp_side *S, const char *va, const char *vb, const cmp_opts *o, cmp_pair *out,
                            cmp_tally *t)
{
    size_t n = 0;
    for (size_t k = 0; k < S->n; k++) {
        if (!first_of_key(S, k, true))
            continue;
        /* one run: the two variants of one shape, measured side by side on one host */
        const char *h = S->pts[k].host;
        const cmp_pt *a = find(S, va, S->pts[k].problem, h), *b = find(S, vb, S->pts[k].problem, h);
        if (!a && !b)
            continue;
        if (!b)
            t->only_a++;
        else if (!a)
            t->only_b++;
        else if (!a->ok || !b->ok)
            t->not_ok++;
        else
            out[n++] = make_pair(a, b, o);
    }
    return n;
}

static const char *call_name(ts_change c)
{
    return c == TS_CHANGE_FASTER ? "faster" : c == TS_CHANGE_SLOWER ? "slower" : "same";
}

/* Rows from several hosts get a host column (A's host, then B's); one host: as before. */
static void print_csv(const cmp_pair *p, size_t n, bool hosts)
{
    printf("variant_a,variant_b,problem,a_median_us,b_median_us,speedup,speedup_lo,speedup_hi,basis,call%s\n",
           hosts ? ",host_a,host_b" : "");
    for (size_t k = 0; k < n; k++) {
        printf("%s,%s,%s,%.6g,%.6g,%.6g,", p[k].a->variant, p[k].b->variant, p[k].a->problem, p[k].a->med,
               p[k].b->med, p[k].speedup);
        if (isfinite(p[k].lo))
            printf("%.6g,%.6g", p[k].lo, p[k].hi);
        else
            printf(",");
        printf(",%s,%s", p[k].basis, call_name(p[k].call));
        if (hosts)
            printf(",%s,%s", p[k].a->host, p[k].b->host);
        printf("\n");
    }
}

static void print_table(const cmp_pair *p, size_t n, bool by_variant, bool hosts)
{
    int w = 7, wv = 7, wh = 4;
    for (size_t k = 0; k < n; k++) {
        int lp = (int)strlen(p[k].a->problem), lv = (int)strlen(p[k].a->variant);
        w = lp > w ? lp : w;
        wv = lv > wv ? lv : wv;
        int lh = (int)(strlen(p[k].a->host) + strlen(p[k].b->host) + 1);
        wh = lh > wh ? lh : wh;
    }
    if (hosts)
        printf("%-*s ", wh, "host");
    if (by_variant)
        printf("%-*s ", wv, "variant");
    printf("%-*s %11s %11s %9s %19s  %s\n", w, "problem", "A med us", "B med us", "speed-up", "95% interval", "call");
    for (size_t k = 0; k < n; k++) {
        char ci[48] = "-";
        if (isfinite(p[k].lo))
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", p[k].lo, p[k].hi);
        if (hosts) {
            char h[512];
            snprintf(h, sizeof h, strcmp(p[k].a->host, p[k].b->host) ? "%s/%s" : "%s", p[k].a->host, p[k].b->host);
            printf("%-*s ", wh, h);
        }
        if (by_variant)
            printf("%-*s ", wv, p[k].a->variant);
        printf("%-*s %11.5g %11.5g %8.3fx %19s  %s (%s)\n", w, p[k].a->problem, p[k].a->med, p[k].b->med,
               p[k].speedup, ci, call_name(p[k].call), p[k].basis);
    }
}

static void print_footer(const cmp_pair *p, size_t n, const cmp_tally *t, double min_effect)
{
    double lg = 0;
    size_t faster = 0, slower = 0, same = 0, within5 = 0;
    for (size_t k = 0; k < n; k++) {
        lg += log(p[k].speedup);
        faster += p[k].call == TS_CHANGE_FASTER;
        slower += p[k].call == TS_CHANGE_SLOWER;
        same += p[k].call == TS_CHANGE_SAME;
        within5 += fabs(p[k].speedup - 1) <= 0.05;
    }
    printf("\ngeomean speed-up (B over A): %.3fx over %zu points: B faster on %zu, slower on %zu, same on %zu "
           "(95%% interval holds 1, or |change| <= %.0f%%)\n",
           exp(lg / (double)n), n, faster, slower, same, 100 * min_effect);
    printf("within +-5%%: %zu of %zu points (%.0f%%)\n", within5, n, 100.0 * (double)within5 / (double)n);
    if (t->only_a || t->only_b || t->not_ok)
        printf("not compared: %zu only in A, %zu only in B, %zu not ok (fail/skipped/error) on a side\n",
               t->only_a, t->only_b, t->not_ok);
}

/* "a,b,c" -> list (pointers into the modified copy) */
static int split_names(char *csv, char **out, int max, ts_err *e)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(csv, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return ts_fail(e, "--variants: more than %d names", max);
        out[n++] = tok;
    }
    if (n == 0)
        return ts_fail(e, "--variants: empty list");
    return n;
}

static int parse_args(int argc, char **argv, char **vars, int *nv, bool *csv, cmp_opts *o, const char **a,
                      const char **b, char **varbuf, ts_err *e)
{
    static const struct option opts[] = {{"variants", required_argument, 0, 'v'},
                                         {"csv", no_argument, 0, 'c'},
                                         {"calibrated", no_argument, 0, 'r'},
                                         {"min-effect", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            free(*varbuf);
            if (!(*varbuf = strdup(optarg)))
                return ts_fail(e, "out of memory");
            if ((*nv = split_names(*varbuf, vars, 64, e)) < 0)
                return -1;
            break;
        case 'c': *csv = true; break;
        case 'r': o->calibrated = true; break;
        case 'm': {
            char *end;
            o->min_effect = strtod(optarg, &end);
            if (!*optarg || *end || !(o->min_effect >= 0 && o->min_effect < 1))
                return ts_fail(e, "--min-effect '%s': want a fraction in [0, 1)", optarg);
            break;
        }
        case 'h': return 1;
        default: return ts_fail(e, "unknown or incomplete option '%s' (tiedseq compare --help)", argv[optind - 1]);
        }
    }
    int pos = argc - optind;
    if (pos < 1 || pos > 2)
        return ts_fail(e, "want two results folders A B, or one folder and --variants A,B (tiedseq compare --help)");
    *a = argv[optind], *b = pos == 2 ? argv[optind + 1] : NULL;
    if (!*b && *nv != 2)
        return ts_fail(e, "one folder: name exactly two variants to compare, --variants A,B");
    if (!*b && !strcmp(vars[0], vars[1]))
        return ts_fail(e, "--variants %s,%s: a variant compared with itself", vars[0], vars[1]);
    return 0;
}

int ts_cmd_compare(int argc, char **argv)
{
    char *vars[64], *varbuf = NULL;
    int nv = 0;
    bool csv = false;
    const char *pa, *pb;
    ts_err e;
    cmp_opts o = {.min_effect = 0.03};
    int rc = parse_args(argc, argv, vars, &nv, &csv, &o, &pa, &pb, &varbuf, &e);
    if (rc == 1) {
        compare_usage(stdout);
        free(varbuf);
        return 0;
    }
    cmp_side A = {0}, B = {0};
    if (!rc)
        rc = load_side(pa, &A, &e) || (pb && load_side(pb, &B, &e)) ? -1 : 0;
    cmp_pair *pairs = rc ? NULL : calloc(A.n + 1, sizeof *pairs);
    if (!rc && !pairs)
        rc = ts_fail(&e, "out of memory");
    if (rc) {
        ts_cli_error("compare", "%s", e.msg);
        free_side(&A), free_side(&B), free(varbuf);
        return TS_EXIT_USAGE;
    }
    cmp_tally t = {0};
    if (!pb)
        o.run = &A;
    size_t n = pb ? pair_runs(&A, &B, vars, nv, &o, pairs, &t) : pair_variants(&A, vars[0], vars[1], &o, pairs, &t);
    if (n == 0) {
        ts_cli_error("compare", "no point is ok on both sides (%zu only in A, %zu only in B, %zu not ok)",
                     t.only_a, t.only_b, t.not_ok);
        rc = TS_EXIT_FAIL;
    } else if (csv) {
        print_csv(pairs, n, A.multi_host || B.multi_host);
    } else {
        if (pb)
            printf("A = %s\nB = %s\n\n", pa, pb);
        else
            printf("A = %s, B = %s, in %s\n\n", vars[0], vars[1], pa);
        print_table(pairs, n, pb != NULL, A.multi_host || B.multi_host);
        print_footer(pairs, n, &t, o.min_effect);
    }
    free(pairs);
    free_side(&A), free_side(&B), free(varbuf);
    return rc;
}
