/* naive against the reference on a grid of odd shapes (issue #2, item 7). */
#include "harness/check/verify.h"
#include "tests/check.h"

#include <stdio.h>
#include <string.h>

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
    /* issue 13: stacks x residual x LSTMCell extras, each cell and feed; the clips are
     * small enough to bite on these fills (docs/correctness.md) */
    static const char *const models[] = {":l2", ":l3:res2", ":l2:res1", ":peep", ":clip0.2", ":proj4:pclip0.05",
                                         ":l3:res2:peep:clip0.2:proj5", ":l2:res1:proj5:pclip0.05"};
    for (int c = 0; c < 3; c++)
        for (int feed = 0; feed < 2; feed++)
            for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
                bool lstm_only = strstr(models[m], "peep") || strstr(models[m], "clip") || strstr(models[m], "proj");
                if (lstm_only && c != 2)
                    continue;
                /* res1 needs I = Hout: 13 without a projection, 5 with */
                int I = strstr(models[m], "res1") ? (strstr(models[m], "proj5") ? 5 : 13) : 5;
                char desc[160];
                snprintf(desc, sizeof desc, "%s:b3:i%d:h13:e4:d5:%s%s:t%d%s", cells[c], I,
                         feed ? "greedy" : "teacher", feed ? ":v9" : "", 1 + (n % 2), models[m]);
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
