/* `tiedseq compare A B` / `tiedseq compare DIR --variants a,b`: speed-up of B over
 * A per point, its spread, a geometric mean, and which differences are noise. */
#include "harness/cli.h"
#include "harness/files/csvread.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq compare A B [--variants v1,v2,...] [--csv]\n"
            "       tiedseq compare DIR --variants A,B [--csv]\n\n"
            "A, B, DIR: results folders (or their points.csv).  The first form matches\n"
            "rows by (variant, problem) across two runs (--variants keeps only those\n"
            "variants); the second compares two variants of one run, matched by problem.\n"
            "Only rows with status ok on both sides are compared.\n\n"
            "  speed-up = A median / B median   (> 1: B is faster)\n"
            "  best     = A min / B min         (the spread: min-based ratio)\n"
            "  ~noise   = the difference is within noise: |speed-up - 1| < 2 max(cv_A, cv_B)\n"
            "             or the intervals [min, median (1 + cv)] of A and B overlap\n"
            "The last line is the geometric mean of the speed-ups.  --csv prints one\n"
            "CSV row per compared point instead of the table.\n");
}

typedef struct cmp_pt {
    const char *variant, *problem;
    bool ok;
    double med, min, cv;
} cmp_pt;

typedef struct cmp_side {
    ts_csv csv;
    cmp_pt *pts;
    size_t n;
} cmp_side;

typedef struct cmp_pair {
    const cmp_pt *a, *b;
    double speedup, best;
    bool noise;
} cmp_pair;

static const char *const needed[] = {"variant", "problem", "status", "median_us", "min_us", "cv", NULL};

/* An ok row must carry positive times; cv may be empty (one repetition): 0. */
static int read_point(const ts_csv *c, size_t r, cmp_pt *p, ts_err *e)
{
    p->variant = ts_csv_get(c, r, ts_csv_col(c, "variant"));
    p->problem = ts_csv_get(c, r, ts_csv_col(c, "problem"));
    p->ok = !strcmp(ts_csv_get(c, r, ts_csv_col(c, "status")), "ok");
    if (!p->ok)
        return 0;
    if (ts_csv_num(c, r, ts_csv_col(c, "median_us"), &p->med, e) ||
        ts_csv_num(c, r, ts_csv_col(c, "min_us"), &p->min, e) || ts_csv_num(c, r, ts_csv_col(c, "cv"), &p->cv, e))
        return -1;
    if (!(p->med > 0) || !(p->min > 0) || !isfinite(p->med) || !isfinite(p->min))
        return ts_fail(e, "%s:%d: status ok but median_us/min_us are not positive times", c->path, c->lines[r]);
    if (!isfinite(p->cv) || p->cv < 0)
        p->cv = 0;
    return 0;
}

static int load_side(const char *arg, cmp_side *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (ts_csv_read_points(arg, &s->csv, e) || ts_csv_require(&s->csv, needed, e))
        return -1;
    s->pts = calloc(s->csv.nrows ? s->csv.nrows : 1, sizeof *s->pts);
    if (!s->pts)
        return ts_fail(e, "out of memory");
    for (s->n = 0; s->n < s->csv.nrows; s->n++)
        if (read_point(&s->csv, s->n, &s->pts[s->n], e))
            return -1;
    return 0;
}

static void free_side(cmp_side *s)
{
    free(s->pts);
    ts_csv_free(&s->csv);
}

/* The row of (variant, problem): the last ok one, else the last one, else NULL
 * (a resumed sweep may hold a failed row and a later ok one). */
static const cmp_pt *find(const cmp_side *s, const char *variant, const char *problem)
{
    const cmp_pt *any = NULL, *ok = NULL;
    for (size_t k = 0; k < s->n; k++)
        if (!strcmp(s->pts[k].variant, variant) && !strcmp(s->pts[k].problem, problem)) {
            any = &s->pts[k];
            if (any->ok)
                ok = any;
        }
    return ok ? ok : any;
}

/* Row k is the first of its (variant, problem) — or of its problem when by_problem. */
static bool first_of_key(const cmp_side *s, size_t k, bool by_problem)
{
    for (size_t j = 0; j < k; j++)
        if (!strcmp(s->pts[j].problem, s->pts[k].problem) &&
            (by_problem || !strcmp(s->pts[j].variant, s->pts[k].variant)))
            return false;
    return true;
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

static cmp_pair make_pair(const cmp_pt *a, const cmp_pt *b)
{
    cmp_pair p = {.a = a, .b = b, .speedup = a->med / b->med, .best = a->min / b->min};
    bool small = fabs(p.speedup - 1) < 2 * fmax(a->cv, b->cv);
    bool overlap = a->min <= b->med * (1 + b->cv) && b->min <= a->med * (1 + a->cv);
    p.noise = small || overlap;
    return p;
}

typedef struct cmp_tally {
    size_t only_a, only_b, not_ok;
} cmp_tally;

/* Pair up two runs by (variant, problem), in A's order. */
static size_t pair_runs(const cmp_side *A, const cmp_side *B, char **vars, int nv, cmp_pair *out, cmp_tally *t)
{
    size_t n = 0;
    for (size_t k = 0; k < A->n; k++) {
        const cmp_pt *ka = &A->pts[k];
        if (!first_of_key(A, k, false) || !in_list(ka->variant, vars, nv))
            continue;
        const cmp_pt *a = find(A, ka->variant, ka->problem), *b = find(B, ka->variant, ka->problem);
        if (!b)
            t->only_a++;
        else if (!a->ok || !b->ok)
            t->not_ok++;
        else
            out[n++] = make_pair(a, b);
    }
    for (size_t k = 0; k < B->n; k++)
        if (first_of_key(B, k, false) && in_list(B->pts[k].variant, vars, nv) &&
            !find(A, B->pts[k].variant, B->pts[k].problem))
            t->only_b++;
    return n;
}

/* Pair two variants of one run by problem, in the run's order. */
static size_t pair_variants(const cmp_side *S, const char *va, const char *vb, cmp_pair *out, cmp_tally *t)
{
    size_t n = 0;
    for (size_t k = 0; k < S->n; k++) {
        if (!first_of_key(S, k, true))
            continue;
        const cmp_pt *a = find(S, va, S->pts[k].problem), *b = find(S, vb, S->pts[k].problem);
        if (!a && !b)
            continue;
        if (!b)
            t->only_a++;
        else if (!a)
            t->only_b++;
        else if (!a->ok || !b->ok)
            t->not_ok++;
        else
            out[n++] = make_pair(a, b);
    }
    return n;
}

static void print_csv(const cmp_pair *p, size_t n)
{
    printf("variant_a,variant_b,problem,a_median_us,b_median_us,a_min_us,b_min_us,a_cv,b_cv,speedup,speedup_best,"
           "noise\n");
    for (size_t k = 0; k < n; k++)
        printf("%s,%s,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n", p[k].a->variant, p[k].b->variant,
               p[k].a->problem, p[k].a->med, p[k].b->med, p[k].a->min, p[k].b->min, p[k].a->cv, p[k].b->cv,
               p[k].speedup, p[k].best, p[k].noise);
}

static void print_table(const cmp_pair *p, size_t n, bool by_variant)
{
    int w = 7, wv = 7;
    for (size_t k = 0; k < n; k++) {
        int lp = (int)strlen(p[k].a->problem), lv = (int)strlen(p[k].a->variant);
        w = lp > w ? lp : w;
        wv = lv > wv ? lv : wv;
    }
    if (by_variant)
        printf("%-*s ", wv, "variant");
    printf("%-*s %11s %11s %9s %8s %6s %6s\n", w, "problem", "A med us", "B med us", "speed-up", "best", "cv A",
           "cv B");
    for (size_t k = 0; k < n; k++) {
        if (by_variant)
            printf("%-*s ", wv, p[k].a->variant);
        printf("%-*s %11.5g %11.5g %8.3fx %7.3fx %5.1f%% %5.1f%%%s\n", w, p[k].a->problem, p[k].a->med,
               p[k].b->med, p[k].speedup, p[k].best, 100 * p[k].a->cv, 100 * p[k].b->cv,
               p[k].noise ? "  ~noise" : "");
    }
}

static void print_footer(const cmp_pair *p, size_t n, const cmp_tally *t)
{
    double lg = 0, lb = 0;
    size_t faster = 0, slower = 0, noise = 0;
    for (size_t k = 0; k < n; k++) {
        lg += log(p[k].speedup), lb += log(p[k].best);
        noise += p[k].noise;
        faster += !p[k].noise && p[k].speedup > 1;
        slower += !p[k].noise && p[k].speedup < 1;
    }
    printf("\ngeomean speed-up (B over A): %.3fx (best: %.3fx) over %zu points: B faster on %zu, slower on %zu, "
           "within noise on %zu\n",
           exp(lg / n), exp(lb / n), n, faster, slower, noise);
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

static int parse_args(int argc, char **argv, char **vars, int *nv, bool *csv, const char **a, const char **b,
                      char **varbuf, ts_err *e)
{
    static const struct option opts[] = {{"variants", required_argument, 0, 'v'},
                                         {"csv", no_argument, 0, 'c'},
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
    int rc = parse_args(argc, argv, vars, &nv, &csv, &pa, &pb, &varbuf, &e);
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
    size_t n = pb ? pair_runs(&A, &B, vars, nv, pairs, &t) : pair_variants(&A, vars[0], vars[1], pairs, &t);
    if (n == 0) {
        ts_cli_error("compare", "no point is ok on both sides (%zu only in A, %zu only in B, %zu not ok)",
                     t.only_a, t.only_b, t.not_ok);
        rc = TS_EXIT_FAIL;
    } else if (csv) {
        print_csv(pairs, n);
    } else {
        if (pb)
            printf("A = %s\nB = %s\n\n", pa, pb);
        else
            printf("A = %s, B = %s, in %s\n\n", vars[0], vars[1], pa);
        print_table(pairs, n, pb != NULL);
        print_footer(pairs, n, &t);
    }
    free(pairs);
    free_side(&A), free_side(&B), free(varbuf);
    return rc;
}
