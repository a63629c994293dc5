/* `tiedseq summary DIR`: the short table the README's main command ends with —
 * per problem, the fastest variant that passed verification, how close it is to
 * the measured peak, and how far it is ahead of naive and of oneDNN. */
#include "harness/cli.h"
#include "harness/files/csvread.h"
#include "variants/peer.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void summary_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq summary DIR\n\n"
            "DIR: a results folder (or its points.csv).  One line per problem: the\n"
            "fastest variant with status ok (lowest median time), its GFLOP/s and %% of\n"
            "the measured FMA peak, and its speed-up over `naive` and over the fastest\n"
            "oneDNN variant (onednn, onednn-*), or '-' where that row is not ok or\n"
            "absent.  With DIR/pairs.csv the speed-ups are the paired per-round ratios\n"
            "(interleaved rounds), with their 95%% intervals.  A last line counts how\n"
            "often each variant was the best.  A merged run of several machines (tiedseq\n"
            "merge) has a line per host and problem, with a host column.  Peer rows\n"
            "(tensorflow, pytorch, ...) are left out: `tiedseq compare DIR --variants\n"
            "PEER,VARIANT` gives their paired ratios.\n");
}

typedef struct sum_row {
    const char *problem, *host, *best, *onednn;  /* host: "" in files without the column */
    const char *run_id;                         /* of the best row: its pairs */
    const char *prec;                           /* the best row's precision ("f32" without the column) */
    double med, gflops, peak_frac, x_naive, x_onednn;
    double naive_lo, naive_hi, onednn_lo, onednn_hi; /* paired 95 % intervals (pairs.csv); NAN: none */
} sum_row;

static const char *const needed[] = {"variant", "problem", "status", "median_us", NULL};

static bool is_onednn(const char *v)
{
    return !strcmp(v, "onednn") || !strncmp(v, "onednn-", 7);
}

/* Optional column as a number (NAN when the column or the value is absent). */
static int opt_num(const ts_csv *c, size_t r, const char *col, double *v, ts_err *e)
{
    int k = ts_csv_col(c, col);
    if (k < 0) {
        *v = NAN;
        return 0;
    }
    return ts_csv_num(c, r, k, v, e);
}

/* A row computes the problem's model unless its `cell` column says otherwise
 * (a peer's PyTorch GRU is the linear-before-reset cell, "gru-lbr"). */
static bool same_model(const ts_csv *c, size_t r, int cc, const char *problem)
{
    if (cc < 0)
        return true;
    const char *cell = ts_csv_get(c, r, cc);
    size_t n = strlen(cell);
    return !strncmp(problem, cell, n) && problem[n] == ':';
}

/* Scan every row of `problem` on `host`: fastest ok overall, naive, fastest ok oneDNN. */
static int summarise(const ts_csv *c, const char *problem, const char *host, sum_row *out, ts_err *e)
{
    int cv = ts_csv_col(c, "variant"), cp = ts_csv_col(c, "problem"), cs = ts_csv_col(c, "status");
    int cm = ts_csv_col(c, "median_us"), cc = ts_csv_col(c, "cell"), cq = ts_csv_col(c, "precision");
    double naive = NAN, onednn = NAN;
    memset(out, 0, sizeof *out);
    out->problem = problem, out->host = host, out->med = out->gflops = out->peak_frac = NAN;
    for (size_t r = 0; r < c->nrows; r++) {
        if (strcmp(ts_csv_get(c, r, cp), problem) || strcmp(ts_csv_get(c, r, cs), "ok") ||
            strcmp(ts_points_host(c, r), host) || !same_model(c, r, cc, problem))
            continue;
        const char *v = ts_csv_get(c, r, cv);
        if (ts_peer_find(v))
            continue; /* TensorFlow/PyTorch rows: not tiedseq's best (compare --variants pairs them) */
        double med;
        if (ts_csv_num(c, r, cm, &med, e))
            return -1;
        if (!(med > 0))
            return ts_fail(e, "%s:%d: status ok but median_us is not a positive time", c->path, c->lines[r]);
        if (!strcmp(v, "naive"))
            naive = med;
        /* older runs have no precision column: all fp32 */
        const char *q = cq >= 0 && *ts_csv_get(c, r, cq) ? ts_csv_get(c, r, cq) : "f32";
        if (is_onednn(v) && !strcmp(q, "f32") && !(onednn <= med)) /* the fp32 vendor baseline */
            onednn = med, out->onednn = v;
        if (!(out->med <= med)) {
            out->best = v, out->med = med, out->prec = q;
            out->run_id = ts_csv_get(c, r, ts_csv_col(c, "run_id"));
            if (opt_num(c, r, "gflops_median", &out->gflops, e) || opt_num(c, r, "peak_frac", &out->peak_frac, e))
                return -1;
        }
    }
    out->x_naive = naive / out->med;
    out->x_onednn = onednn / out->med;
    out->naive_lo = out->naive_hi = out->onednn_lo = out->onednn_hi = NAN;
    return 0;
}

/* The speed-ups as paired per-round ratios with their intervals, where the
 * run has them (pairs.csv): they replace the ratios of medians. */
static void paired_speedups(const ts_csv *pairs, sum_row *s)
{
    if (!s->best)
        return;
    double r, lo, hi;
    const char *run = *s->run_id ? s->run_id : NULL;
    if (strcmp(s->best, "naive") && ts_pairs_ratio(pairs, run, "naive", s->problem, s->best, s->problem, &r, &lo, &hi))
        s->x_naive = r, s->naive_lo = lo, s->naive_hi = hi;
    if (s->onednn && strcmp(s->best, s->onednn) &&
        ts_pairs_ratio(pairs, run, s->onednn, s->problem, s->best, s->problem, &r, &lo, &hi))
        s->x_onednn = r, s->onednn_lo = lo, s->onednn_hi = hi;
}

static void interval_cell(double lo, double hi)
{
    char buf[48] = "-";
    if (isfinite(lo) && isfinite(hi))
        snprintf(buf, sizeof buf, "[%.2f, %.2f]", lo, hi);
    printf(" %16s", buf);
}

/* Row r's (host, problem) was on an earlier row. */
static bool seen_before(const ts_csv *c, size_t r, int cp)
{
    for (size_t j = 0; j < r; j++)
        if (!strcmp(ts_csv_get(c, j, cp), ts_csv_get(c, r, cp)) && !strcmp(ts_points_host(c, j), ts_points_host(c, r)))
            return true;
    return false;
}

static void num_cell(double v, const char *fmt, int width)
{
    char buf[32];
    if (isfinite(v))
        snprintf(buf, sizeof buf, fmt, v);
    else
        snprintf(buf, sizeof buf, "-");
    printf(" %*s", width, buf);
}

/* hosts: a merged run of several machines; each (host, problem) is a line of its own. */
static void print_rows(const sum_row *s, size_t n, bool intervals, bool hosts)
{
    int w = 7, wv = 4, wh = 4;
    for (size_t k = 0; k < n; k++) {
        int lp = (int)strlen(s[k].problem), lv = s[k].best ? (int)strlen(s[k].best) : 1;
        int lh = (int)strlen(s[k].host);
        w = lp > w ? lp : w;
        wv = lv > wv ? lv : wv;
        wh = lh > wh ? lh : wh;
    }
    if (hosts)
        printf("%-*s ", wh, "host");
    printf("%-*s %-*s %4s %9s %7s %8s %9s", w, "problem", wv, "best", "prec", "GFLOP/s", "% peak", "x naive",
           "x onednn");
    printf(intervals ? " %16s %16s\n" : "\n", "naive 95%", "onednn 95%");
    for (size_t k = 0; k < n; k++) {
        if (hosts)
            printf("%-*s ", wh, s[k].host);
        printf("%-*s %-*s %4s", w, s[k].problem, wv, s[k].best ? s[k].best : "-", s[k].best ? s[k].prec : "-");
        num_cell(s[k].gflops, "%.2f", 9);
        num_cell(100 * s[k].peak_frac, "%.1f%%", 7);
        num_cell(s[k].x_naive, "%.2fx", 8);
        num_cell(s[k].x_onednn, "%.2fx", 9);
        if (intervals)
            interval_cell(s[k].naive_lo, s[k].naive_hi), interval_cell(s[k].onednn_lo, s[k].onednn_hi);
        printf("%s\n", s[k].best ? "" : "  (no variant ok)");
    }
}

/* "best: onednn 20, avx2 3" in order of first win */
static void print_wins(const sum_row *s, size_t n)
{
    printf("\nbest variant per problem (%zu problems):", n);
    const char *sep = " ";
    for (size_t k = 0; k < n; k++) {
        bool dup = !s[k].best;
        for (size_t j = 0; j < k && !dup; j++)
            dup = s[j].best && !strcmp(s[j].best, s[k].best);
        if (dup)
            continue;
        size_t wins = 0;
        for (size_t j = k; j < n; j++)
            wins += s[j].best && !strcmp(s[j].best, s[k].best);
        printf("%s%s %zu", sep, s[k].best, wins);
        sep = ", ";
    }
    printf("\n");
}

int ts_cmd_summary(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    ts_err e;
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            summary_usage(stdout);
            return 0;
        }
        rc = ts_fail(&e, "unknown or incomplete option '%s' (tiedseq summary --help)", argv[optind - 1]);
    }
    if (!rc && argc - optind != 1)
        rc = ts_fail(&e, "want one results folder (tiedseq summary --help)");
    ts_csv csv = {0};
    if (!rc)
        rc = ts_csv_read_points(argv[optind], &csv, &e) || ts_csv_require(&csv, needed, &e) ||
                     ts_points_check(&csv, &e)
                 ? -1
                 : 0;
    sum_row *rows = rc ? NULL : calloc(csv.nrows + 1, sizeof *rows);
    if (!rc && !rows)
        rc = ts_fail(&e, "out of memory");
    size_t n = 0;
    int cp = ts_csv_col(&csv, "problem");
    for (size_t r = 0; !rc && r < csv.nrows; r++)
        if (!seen_before(&csv, r, cp))
            rc = summarise(&csv, ts_csv_get(&csv, r, cp), ts_points_host(&csv, r), &rows[n++], &e);
    if (!rc && n == 0)
        rc = ts_fail(&e, "%s: no rows", csv.path);
    ts_csv pairs = {0};
    int have_pairs = rc ? 0 : ts_pairs_read_beside(argv[optind], &pairs, &e);
    if (have_pairs < 0)
        rc = -1;
    for (size_t k = 0; have_pairs > 0 && k < n; k++)
        paired_speedups(&pairs, &rows[k]);
    if (rc) {
        ts_cli_error("summary", "%s", e.msg);
        free(rows), ts_csv_free(&csv);
        return TS_EXIT_USAGE;
    }
    print_rows(rows, n, have_pairs > 0, ts_points_multi_host(&csv));
    print_wins(rows, n);
    if (have_pairs > 0) {
        printf("x naive, x onednn: paired per-round ratios from pairs.csv, with their 95%% intervals\n");
        ts_csv_free(&pairs);
    }
    free(rows), ts_csv_free(&csv);
    return 0;
}
