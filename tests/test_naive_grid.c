/* naive against the reference on a grid of odd shapes (issue #2, item 7). */
#include "harness/check/verify.h"
#include "tests/check.h"

#include <stdio.h>

int main(void)
{
    const ts_variant *v = ts_variant_find("naive");
    CHECK(v != NULL);
    static const char *const cells[] = {"rnn", "gru", "lstm"};
    static const int Bs[] = {1, 3}, steps[] = {1, 7};
    int n = 0;
    for (int c = 0; c < 3; c++)
        for (int feed = 0; feed < 2; feed++)
            for (int b = 0; b < 2; b++)
                for (int s = 0; s < 2; s++)
                    for (int fb = 0; fb < (c == 2 ? 2 : 1); fb++) {
                        char desc[128];
                        /* I != H, H not a multiple of 8; E and D vary independently */
                        snprintf(desc, sizeof desc, "%s:b%d:i5:h13:e%d:d%d:%s%s:t%d%s", cells[c], Bs[b],
                                 steps[s], steps[1 - s], feed ? "greedy" : "teacher", feed ? ":v9" : "",
                                 1 + (n % 2), fb ? ":fb0" : "");
                        ts_problem p;
                        ts_err e;
                        CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s", e.msg);
                        ts_verdict vd;
                        ts_verify_variant(v, &p, 1000 + (uint64_t)n, &vd);
                        CHECK_MSG(vd.status == TS_PASS, "%s: %s %s", desc, ts_status_name(vd.status), vd.reason);
                        n++;
                    }
    printf("%d problems\n", n);
    return ts_test_done("test_naive_grid");
}
