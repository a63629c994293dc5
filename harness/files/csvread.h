/* A small reader for the results contract's points.csv (and any header-first CSV):
 * comma-separated, a field may be double-quoted ("" is a quote inside), no
 * embedded newlines.  Used by `compare` and `summary`. */
#ifndef TS_CSVREAD_H
#define TS_CSVREAD_H
#include "kernels/tiedseq.h"

#include <stdbool.h>

typedef struct ts_csv {
    char path[1024];
    int ncols;
    char **cols;      /* header names */
    size_t nrows;
    char ***rows;     /* rows[r][c]: unquoted text, "" for an empty field */
    int *lines;       /* rows[r]'s line number in the file (for messages) */
} ts_csv;

/* Whole file; each row must have as many fields as the header.  Errors name
 * file:line.  On error *c is left empty (ts_csv_free is still safe). */
int ts_csv_read(const char *path, ts_csv *c, ts_err *e);
void ts_csv_free(ts_csv *c);
/* Column index of `name`, or -1. */
int ts_csv_col(const ts_csv *c, const char *name);
/* Every name of the NULL-terminated list must be a column: else one error naming
 * the first missing one. */
int ts_csv_require(const ts_csv *c, const char *const *names, ts_err *e);
/* Field text ("" when col < 0). */
const char *ts_csv_get(const ts_csv *c, size_t row, int col);
/* Field as a number: NAN when empty; an error (file:line, column) when not a number. */
int ts_csv_num(const ts_csv *c, size_t row, int col, double *v, ts_err *e);

/* A run's points.csv: `dir_or_file` is a results folder (reads DIR/points.csv) or
 * the CSV itself.  A missing folder or file is one clear error. */
int ts_csv_read_points(const char *dir_or_file, ts_csv *c, ts_err *e);

/* A points.csv table as compare and summary need it: every row's problem a
 * valid descriptor, no (host, variant, problem) twice (host: "" in files
 * without the column).  0, or -1 naming the row. */
int ts_points_check(const ts_csv *c, ts_err *e);
/* Row r's host ("" without the column), and whether the table holds several hosts. */
const char *ts_points_host(const ts_csv *c, size_t r);
bool ts_points_multi_host(const ts_csv *c);

/* The paired ratio time(va at pa) / time(vb at pb) from a pairs.csv table
 * (either order is stored; the other is inverted): true with *r, *lo, *hi.
 * run_id: only that run's pairs (a merged folder holds several runs); NULL: any. */
bool ts_pairs_ratio(const ts_csv *pairs, const char *run_id, const char *va, const char *pa, const char *vb,
                    const char *pb, double *r, double *lo, double *hi);
/* DIR/pairs.csv beside dir_or_file (a folder or its points.csv): 1 loaded, 0 none, -1 error. */
int ts_pairs_read_beside(const char *dir_or_file, ts_csv *pairs, ts_err *e);

#endif
