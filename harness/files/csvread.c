#include "harness/files/csvread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Split one line (no newline) into fields in place-independent copies. */
static int split(const char *line, char ***out, int *n, const char *path, int lineno, ts_err *e)
{
    size_t cap = 8, len = strlen(line);
    char **f = malloc(cap * sizeof *f);
    char *buf = malloc(len + 1);
    int k = 0;
    if (!f || !buf)
        goto oom;
    for (const char *p = line;;) {
        size_t o = 0;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p) {
                    free(buf);
                    for (int i = 0; i < k; i++)
                        free(f[i]);
                    free(f);
                    return ts_fail(e, "%s:%d: unterminated quoted field", path, lineno);
                }
                if (*p == '"' && p[1] == '"')
                    buf[o++] = '"', p++;
                else if (*p == '"')
                    break;
                else
                    buf[o++] = *p;
            }
            p++;
            if (*p && *p != ',') {
                free(buf);
                for (int i = 0; i < k; i++)
                    free(f[i]);
                free(f);
                return ts_fail(e, "%s:%d: text after a closing quote", path, lineno);
            }
        } else {
            while (*p && *p != ',')
                buf[o++] = *p++;
        }
        buf[o] = '\0';
        if ((size_t)k == cap) {
            char **g = realloc(f, 2 * cap * sizeof *f);
            if (!g)
                goto oom;
            f = g, cap *= 2;
        }
        if (!(f[k] = strdup(buf)))
            goto oom;
        k++;
        if (!*p)
            break;
        p++; /* the comma */
    }
    free(buf);
    *out = f, *n = k;
    return 0;
oom:
    for (int i = 0; i < k; i++)
        free(f[i]);
    free(f);
    free(buf);
    return ts_fail(e, "%s: out of memory", path);
}

static void free_row(char **r, int n)
{
    for (int i = 0; r && i < n; i++)
        free(r[i]);
    free(r);
}

static int push_row(ts_csv *c, char **row, int lineno, size_t *cap)
{
    if (c->nrows == *cap) {
        size_t n = *cap ? 2 * *cap : 64;
        char ***r = realloc(c->rows, n * sizeof *r);
        int *l = realloc(c->lines, n * sizeof *l);
        if (r)
            c->rows = r;
        if (l)
            c->lines = l;
        if (!r || !l)
            return -1;
        *cap = n;
    }
    c->rows[c->nrows] = row;
    c->lines[c->nrows++] = lineno;
    return 0;
}

/* One line of any length (getline), newline and CR stripped; 0 at EOF. */
static int next_line(FILE *f, char **line, size_t *cap)
{
    ssize_t n = getline(line, cap, f);
    if (n < 0)
        return 0;
    while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
        (*line)[--n] = '\0';
    return 1;
}

int ts_csv_read(const char *path, ts_csv *c, ts_err *e)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f)
        return ts_fail(e, "cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, rcap = 0;
    int lineno = 1, rc = 0;
    if (!next_line(f, &line, &lcap) || !*line)
        rc = ts_fail(e, "%s: empty file (no header line)", path);
    else
        rc = split(line, &c->cols, &c->ncols, path, lineno, e);
    while (!rc && next_line(f, &line, &lcap)) {
        lineno++;
        if (!*line)
            continue; /* a trailing blank line */
        char **row;
        int n;
        if ((rc = split(line, &row, &n, path, lineno, e)))
            break;
        if (n != c->ncols) {
            free_row(row, n);
            rc = ts_fail(e, "%s:%d: %d fields, the header has %d", path, lineno, n, c->ncols);
        } else if (push_row(c, row, lineno, &rcap)) {
            free_row(row, n);
            rc = ts_fail(e, "%s: out of memory", path);
        }
    }
    free(line);
    fclose(f);
    if (rc)
        ts_csv_free(c);
    return rc;
}

void ts_csv_free(ts_csv *c)
{
    for (size_t r = 0; r < c->nrows; r++)
        free_row(c->rows[r], c->ncols);
    free(c->rows);
    free(c->lines);
    free_row(c->cols, c->ncols);
    memset(c, 0, sizeof *c);
}

int ts_csv_col(const ts_csv *c, const char *name)
{
    for (int k = 0; k < c->ncols; k++)
        if (!strcmp(c->cols[k], name))
            return k;
    return -1;
}

int ts_csv_require(const ts_csv *c, const char *const *names, ts_err *e)
{
    for (; *names; names++)
        if (ts_csv_col(c, *names) < 0)
            return ts_fail(e, "%s: no column '%s' in the header", c->path, *names);
    return 0;
}

const char *ts_csv_get(const ts_csv *c, size_t row, int col)
{
    return col < 0 || col >= c->ncols || row >= c->nrows ? "" : c->rows[row][col];
}

int ts_csv_num(const ts_csv *c, size_t row, int col, double *v, ts_err *e)
{
    const char *s = ts_csv_get(c, row, col);
    if (!*s) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE)
        return ts_fail(e, "%s:%d: column '%s': '%s' is not a number", c->path, c->lines[row], c->cols[col], s);
    return 0;
}

int ts_csv_read_points(const char *dir_or_file, ts_csv *c, ts_err *e)
{
    struct stat st;
    char path[1024];
    memset(c, 0, sizeof *c);
    if (stat(dir_or_file, &st) != 0)
        return ts_fail(e, "%s: %s (want a results folder holding points.csv)", dir_or_file, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ts_csv_read(dir_or_file, c, e);
    snprintf(path, sizeof path, "%s/points.csv", dir_or_file);
    if (stat(path, &st) != 0)
        return ts_fail(e, "%s: no points.csv in this folder (not a results folder?)", dir_or_file);
    return ts_csv_read(path, c, e);
}

bool ts_pairs_ratio(const ts_csv *c, const char *run_id, const char *va, const char *pa, const char *vb,
                    const char *pb, double *r, double *lo, double *hi)
{
    int cva = ts_csv_col(c, "variant_a"), cpa = ts_csv_col(c, "problem_a"), cvb = ts_csv_col(c, "variant_b"),
        cpb = ts_csv_col(c, "problem_b"), crun = ts_csv_col(c, "run_id");
    for (size_t k = 0; k < c->nrows; k++) {
        if (run_id && crun >= 0 && strcmp(ts_csv_get(c, k, crun), run_id))
            continue;
        const char *a = ts_csv_get(c, k, cva), *b = ts_csv_get(c, k, cvb);
        const char *x = ts_csv_get(c, k, cpa), *y = ts_csv_get(c, k, cpb);
        bool fwd = !strcmp(a, va) && !strcmp(x, pa) && !strcmp(b, vb) && !strcmp(y, pb);
        bool rev = !strcmp(a, vb) && !strcmp(x, pb) && !strcmp(b, va) && !strcmp(y, pa);
        double v, l, h;
        ts_err e;
        if ((!fwd && !rev) || ts_csv_num(c, k, ts_csv_col(c, "ratio"), &v, &e) ||
            ts_csv_num(c, k, ts_csv_col(c, "ratio_lo"), &l, &e) || ts_csv_num(c, k, ts_csv_col(c, "ratio_hi"), &h, &e) ||
            !(v > 0))
            continue;
        *r = fwd ? v : 1 / v;
        *lo = fwd ? l : 1 / h;
        *hi = fwd ? h : 1 / l;
        return true;
    }
    return false;
}

int ts_pairs_read_beside(const char *arg, ts_csv *pairs, ts_err *e)
{
    char path[1100];
    size_t n = strlen(arg);
    if (n > 11 && !strcmp(arg + n - 11, "/points.csv"))
        snprintf(path, sizeof path, "%.*s/pairs.csv", (int)(n - 11), arg);
    else
        snprintf(path, sizeof path, "%s/pairs.csv", arg);
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    static const char *const cols[] = {"variant_a", "problem_a", "variant_b", "problem_b", "ratio", "ratio_lo",
                                       "ratio_hi", NULL};
    if (ts_csv_read(path, pairs, e))
        return -1;
    if (ts_csv_require(pairs, cols, e)) {
        ts_csv_free(pairs);
        return -1;
    }
    return 1;
}

const char *ts_points_host(const ts_csv *c, size_t r)
{
    return ts_csv_get(c, r, ts_csv_col(c, "host"));
}

bool ts_points_multi_host(const ts_csv *c)
{
    for (size_t r = 1; r < c->nrows; r++)
        if (strcmp(ts_points_host(c, r), ts_points_host(c, 0)))
            return true;
    return false;
}

typedef struct row_key {
    const char *host, *variant, *problem;
    int line;
} row_key;

static int cmp_key(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    c = c ? c : strcmp(x->variant, y->variant);
    return c ? c : strcmp(x->problem, y->problem);
}

int ts_points_check(const ts_csv *c, ts_err *e)
{
    int cv = ts_csv_col(c, "variant"), cp = ts_csv_col(c, "problem");
    row_key *k = malloc((c->nrows + 1) * sizeof *k);
    if (!k)
        return ts_fail(e, "%s: out of memory", c->path);
    int rc = 0;
    for (size_t r = 0; r < c->nrows && !rc; r++) {
        ts_problem p;
        ts_err pe;
        k[r] = (row_key){ts_points_host(c, r), ts_csv_get(c, r, cv), ts_csv_get(c, r, cp), c->lines[r]};
        if (ts_problem_parse(k[r].problem, &p, &pe))
            rc = ts_fail(e, "%s:%d: problem '%.80s' is not a descriptor: %.200s", c->path, c->lines[r], k[r].problem,
                         pe.msg);
    }
    if (!rc && c->nrows > 1) {
        qsort(k, c->nrows, sizeof *k, cmp_key);
        for (size_t r = 1; r < c->nrows && !rc; r++)
            if (!cmp_key(&k[r - 1], &k[r]))
                rc = ts_fail(e, "%s:%d: %s%s%s/%s is also on line %d (one row per point and host)", c->path,
                             k[r].line > k[r - 1].line ? k[r].line : k[r - 1].line, k[r].host, *k[r].host ? ":" : "",
                             k[r].variant, k[r].problem,
                             k[r].line > k[r - 1].line ? k[r - 1].line : k[r].line);
    }
    free(k);
    return rc;
}
