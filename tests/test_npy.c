/* .npy round trip and every malformed file the reader must refuse by name. */
#include "harness/files/npy.h"
#include "tests/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void path(char *buf, const char *name) { snprintf(buf, 512, "%s/%s", dir, name); }

/* write a raw file: a v1 header with dict `hdr` then n float values */
static void raw(const char *name, const char *hdr, size_t nbytes)
{
    char p[512], h[256];
    path(p, name);
    int len = snprintf(h, sizeof h, "%s", hdr);
    int pad = (64 - (10 + len + 1) % 64) % 64;
    FILE *f = fopen(p, "wb");
    unsigned hl = (unsigned)(len + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, hl & 255, hl >> 8};
    fwrite(pre, 1, 10, f);
    fwrite(h, 1, (size_t)len, f);
    for (int k = 0; k < pad; k++)
        fputc(' ', f);
    fputc('\n', f);
    for (size_t k = 0; k < nbytes; k++)
        fputc(0, f);
    fclose(f);
}

static void expect_error(const char *name, int ndim, const int64_t *shape, const char *needle)
{
    char p[512];
    path(p, name);
    float *d = (float *)1;
    ts_err e = {{0}};
    int rc = ts_npy_read_f32(p, ndim, shape, "[test]", &d, &e);
    CHECK_ERR(rc, e, needle);
    CHECK(d == NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ts_test_npy_%d", (int)getpid());
    mkdir(dir, 0777);
    char p[512];
    ts_err e;

    /* round trip */
    float x[6] = {1, -2, 3.5f, 0, 1e-30f, 7};
    int64_t s23[2] = {2, 3};
    path(p, "x.npy");
    CHECK(ts_npy_write(p, "<f4", 2, s23, x, &e) == 0);
    float *y = NULL;
    CHECK(ts_npy_read_f32(p, 2, s23, "[2 x 3]", &y, &e) == 0);
    CHECK(y && !memcmp(x, y, sizeof x));
    ts_free(y);
    /* zero-sized */
    int64_t s03[2] = {0, 3};
    path(p, "z.npy");
    CHECK(ts_npy_write(p, "<f4", 2, s03, NULL, &e) == 0);
    CHECK(ts_npy_read_f32(p, 2, s03, "", &y, &e) == 0 && y == NULL);

    expect_error("missing.npy", 2, s23, "cannot open");
    expect_error("x.npy", 2, (int64_t[]){3, 2}, "shape (2, 3), expected (3, 2)");
    expect_error("x.npy", 3, (int64_t[]){1, 2, 3}, "rank 2");
    raw("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48);
    expect_error("f8.npy", 2, s23, "'<f8' is not float32");
    raw("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    expect_error("be.npy", 2, s23, "big-endian");
    raw("fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24);
    expect_error("fo.npy", 2, s23, "Fortran order");
    raw("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20);
    expect_error("short.npy", 2, s23, "truncated: 5 of 6");
    raw("long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28);
    expect_error("long.npy", 2, s23, "trailing bytes");
    raw("bad.npy", "{'descr': '<f4', 'shape': (2, 3), }", 24);
    expect_error("bad.npy", 2, s23, "malformed");

    /* issue #12: the header is parsed as a dict, not searched.  A 'descr' inside another
     * key's string value must not win over the real one. */
    raw("hide.npy", "{'x': \"'descr': '<f4'\", 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48);
    expect_error("hide.npy", 2, s23, "unknown key 'x'");
    raw("hide2.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'y': \"'descr': '<f4'\"}", 48);
    expect_error("hide2.npy", 2, s23, "unknown key 'y'");
    raw("dup.npy", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    expect_error("dup.npy", 2, s23, "'descr' given twice");
    raw("nokey.npy", "{'descr': '<f4', 'shape': (2, 3), }", 24);
    expect_error("nokey.npy", 2, s23, "missing key 'fortran_order'");
    raw("fo2.npy", "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2, 3), }", 24);
    expect_error("fo2.npy", 2, s23, "expected ',' or '}'");
    raw("fo3.npy", "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 24);
    expect_error("fo3.npy", 2, s23, "not True or False");
    raw("int.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", 24);
    expect_error("int.npy", 1, (int64_t[]){6}, "not a tuple");
    raw("hex.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0x2, 3), }", 24);
    expect_error("hex.npy", 2, s23, "expected ',' or ')'");
    raw("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24);
    expect_error("neg.npy", 2, s23, "not a non-negative decimal");
    raw("junk.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", 24);
    expect_error("junk.npy", 2, s23, "bytes after the dict");
    raw("unq.npy", "{descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    expect_error("unq.npy", 2, s23, "expected a quoted string");
    /* what numpy and other writers produce: any key order, double quotes, no trailing
     * comma, (n,) and (a, b,) tuples */
    raw("ok1.npy", "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", 24);
    CHECK(ts_npy_read_f32((path(p, "ok1.npy"), p), 2, s23, "", &y, &e) == 0);
    ts_free(y);
    raw("ok2.npy", "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,3,)}", 24);
    CHECK(ts_npy_read_f32((path(p, "ok2.npy"), p), 2, s23, "", &y, &e) == 0);
    ts_free(y);
    raw("ok3.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 24);
    CHECK(ts_npy_read_f32((path(p, "ok3.npy"), p), 1, (int64_t[]){6}, "", &y, &e) == 0);
    ts_free(y);
    raw("ok4.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4);
    CHECK(ts_npy_read_f32((path(p, "ok4.npy"), p), 0, NULL, "", &y, &e) == 0);
    ts_free(y);

    path(p, "text.npy");
    FILE *f = fopen(p, "w");
    fputs("hello, not numpy\n", f);
    fclose(f);
    expect_error("text.npy", 2, s23, "bad magic");

    /* batch: staged files appear all together; abort leaves nothing */
    char sub[512];
    path(sub, "out");
    ts_npy_batch b;
    CHECK(ts_npy_batch_open(&b, sub, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "a.npy", "<f4", 2, s23, x, &e) == 0);
    path(p, "out/a.npy");
    CHECK(access(p, F_OK) != 0); /* not visible before commit */
    CHECK(ts_npy_batch_commit(&b, &e) == 0);
    CHECK(access(p, F_OK) == 0);
    path(sub, "out2");
    CHECK(ts_npy_batch_open(&b, sub, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "a.npy", "<f4", 2, s23, x, &e) == 0);
    ts_npy_batch_abort(&b);
    CHECK(access(sub, F_OK) != 0); /* created by open, removed by abort */

    /* one sub-folder level (MultiRNNCell's cell_K/): made on demand, removed by abort */
    path(sub, "out3");
    CHECK(ts_npy_batch_open(&b, sub, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "cell_0/a.npy", "<f4", 2, s23, x, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "cell_1/a.npy", "<f4", 2, s23, x, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "b.npy", "<f4", 2, s23, x, &e) == 0);
    path(p, "out3/cell_1/a.npy");
    CHECK(access(p, F_OK) != 0);
    CHECK(ts_npy_batch_commit(&b, &e) == 0);
    CHECK(access(p, F_OK) == 0);
    path(sub, "out4");
    CHECK(ts_npy_batch_open(&b, sub, &e) == 0);
    CHECK(ts_npy_batch_add(&b, "cell_0/a.npy", "<f4", 2, s23, x, &e) == 0);
    ts_npy_batch_abort(&b);
    CHECK(access(sub, F_OK) != 0); /* the sub-folder and the folder both gone */
    CHECK(ts_npy_batch_open(&b, sub, &e) == 0);
    CHECK_ERR(ts_npy_batch_add(&b, "a/b/c.npy", "<f4", 2, s23, x, &e), e, "NAME or SUB/NAME");
    ts_npy_batch_abort(&b);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return ts_test_done("test_npy");
}
