/* ts_variants_select writes at most its capacity and says so when a list is longer
 * (issue #12 item 7: callers passed arrays of 64 or 256 and trusted the registry). */
#include "harness/cli.h"
#include "tests/check.h"

int main(void)
{
    const ts_variant *out[64]; /* room for the whole registry (checked below) */
    const ts_variant *sentinel = (const ts_variant *)&out; /* any non-variant address */
    size_t n = 99;
    ts_err e = {{0}};
    for (size_t k = 0; k < 64; k++)
        out[k] = sentinel;
    CHECK(ts_variant_count <= 64);

    /* two distinct names into room for one: refused, nothing past out[0] written */
    int rc = ts_variants_select("naive,blocked", out, 1, &n, &e);
    CHECK_ERR(rc, e, "more than 1 variants");
    CHECK(out[1] == sentinel);
    /* "all" (at least naive, blocked, avx2, avx512 registered) into room for two */
    rc = ts_variants_select("all", out, 2, &n, &e);
    CHECK_ERR(rc, e, "more than the 2");
    CHECK(out[2] == sentinel);
    CHECK(ts_variant_count >= 4);

    /* repeats take no room; exactly cap distinct names fit */
    CHECK(ts_variants_select("naive,naive,blocked,naive", out, 2, &n, &e) == 0 && n == 2);
    CHECK(out[0] == ts_variant_find("naive") && out[1] == ts_variant_find("blocked"));
    if (ts_variant_count <= 64)
        CHECK(ts_variants_select(NULL, out, ts_variant_count, &n, &e) == 0 && n == ts_variant_count);

    /* more distinct names than the capacity: refused */
    const ts_variant *two[2];
    rc = ts_variants_select("naive,blocked,avx2", two, 2, &n, &e);
    CHECK_ERR(rc, e, "more than 2 variants");

    rc = ts_variants_select("naive,nope", out, 8, &n, &e);
    CHECK_ERR(rc, e, "unknown variant 'nope'");
    rc = ts_variants_select("", out, 8, &n, &e);
    CHECK_ERR(rc, e, "empty variant list");
    return ts_test_done("test_variants_select");
}
