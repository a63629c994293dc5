/* libFuzzer: the CSV reader (compare/summary's points.csv).  Any input is refused
 * with a one-line message or read into rows that all have the header's field count;
 * every field is then read back as text and as a number. */
#include "memfile.h"

#include "harness/files/csvread.h"

#include <string.h>

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_csv: %s: %s\n", what, msg);
    abort();
}

static void walk(const ts_csv *c)
{
    if (c->ncols < 1)
        fail("accepted a file without header fields", c->path);
    for (size_t r = 0; r < c->nrows; r++)
        for (int k = 0; k < c->ncols; k++) {
            ts_err e;
            double v;
            if (!ts_csv_get(c, r, k))
                fail("missing field", c->path);
            if (ts_csv_num(c, r, k, &v, &e) && (!e.msg[0] || strchr(e.msg, '\n')))
                fail("number error not one line", e.msg);
        }
    int k = ts_csv_col(c, c->cols[0]); /* the first column of that name: maybe a duplicate */
    if (k < 0 || strcmp(c->cols[k], c->cols[0]))
        fail("column lookup", c->cols[0]);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static memfile in;
    if (!in.path[0])
        memfile_init(&in, "fuzz_csv_in");
    memfile_set(&in, data, size);
    ts_csv c;
    ts_err e;
    if (ts_csv_read(in.path, &c, &e)) {
        if (c.nrows || c.rows || !e.msg[0] || strchr(e.msg, '\n'))
            fail("refusal left rows or a bad message", e.msg);
        return 0;
    }
    walk(&c);
    ts_csv_free(&c);
    return 0;
}
