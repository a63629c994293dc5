/* blocked against the reference on a grid of block edges (XNNPACK's eq/lt/gt
 * rule): H at panel-width and ownership-granule edges (7, 8, 9 and 15, 16, 17),
 * B on both sides of the 6-row micro-tile (1, 3, 7; 1 and 2 take the split-k
 * path), I != H, every cell, both feeds, 1 and 2 threads.  Plus chunked hoisting
 * (more steps than one hoist chunk holds) and the micro-kernel by itself. */
#include "harness/verify.h"
#include "kernels/blocked-gemm.h"
#include "tests/check.h"

#include <stdio.h>

static void check_problem(const ts_variant *v, const char *desc, uint64_t seed)
{
    ts_problem p;
    ts_err e;
    CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s", e.msg);
    ts_verdict vd;
    ts_verify_variant(v, &p, seed, &vd);
    CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL, "%s: %s %s", desc, ts_status_name(vd.status),
              vd.reason);
}

/* The micro-kernel against a double-precision sum, every row count 1..MR,
 * K around the split-k unroll (0..9), bias broadcast (ldi 0) and full init. */
static void check_kernel(void)
{
    enum { K = 9, LD = 11 };
    float a[TS_BLK_MR * LD], panel[K * TS_BLK_NR], init[TS_BLK_MR * TS_BLK_NR], out[TS_BLK_MR * TS_BLK_NR];
    uint64_t st = 7;
    for (size_t i = 0; i < sizeof a / 4; i++)
        a[i] = ts_rand_uniform(&st, -1, 1);
    for (size_t i = 0; i < sizeof panel / 4; i++)
        panel[i] = ts_rand_uniform(&st, -1, 1);
    for (size_t i = 0; i < sizeof init / 4; i++)
        init[i] = ts_rand_uniform(&st, -1, 1);
    for (int mr = 1; mr <= TS_BLK_MR; mr++)
        for (int k = 0; k <= K; k++)
            for (int ldi = 0; ldi <= TS_BLK_NR; ldi += TS_BLK_NR) {
                ts_f32_gemm_6x8__c(mr, init, ldi, a, LD, panel, k, out, TS_BLK_NR);
                for (int r = 0; r < mr; r++)
                    for (int c = 0; c < TS_BLK_NR; c++) {
                        double want = init[r * ldi + c];
                        for (int j = 0; j < k; j++)
                            want += (double)a[r * LD + j] * panel[j * TS_BLK_NR + c];
                        CHECK_NEAR(out[r * TS_BLK_NR + c], want, 1e-5);
                    }
            }
}

int main(void)
{
    check_kernel();
    const ts_variant *v = ts_variant_find("blocked");
    CHECK(v != NULL);
    if (!v)
        return ts_test_done("test_blocked");
    static const char *const cells[] = {"rnn", "gru", "lstm"};
    static const int Hs[] = {7, 8, 9, 15, 16, 17}, Bs[] = {1, 3, 7};
    int n = 0;
    for (int c = 0; c < 3; c++)
        for (int feed = 0; feed < 2; feed++)
            for (size_t h = 0; h < sizeof Hs / sizeof *Hs; h++)
                for (size_t b = 0; b < sizeof Bs / sizeof *Bs; b++)
                    for (int t = 1; t <= 2; t++) {
                        char desc[128];
                        snprintf(desc, sizeof desc, "%s:b%d:i5:h%d:e4:d3:%s%s:t%d", cells[c], Bs[b], Hs[h],
                                 feed ? "greedy" : "teacher", feed ? ":v9" : "", t);
                        check_problem(v, desc, 2000 + (uint64_t)n++);
                    }
    /* D = 0, forget_bias 0, 3 threads over 2 granules (one thread owns nothing) */
    check_problem(v, "lstm:b2:i3:h12:e5:d0:teacher:t3:fb0", 1);
    check_problem(v, "gru:b6:i12:h5:e2:d2:greedy:v4:t3", 2);
    /* B x packed columns large enough that the hoist runs in several chunks of
     * steps (chunk = 2^20 floats / (B x columns): 10 and 21 steps here) */
    check_problem(v, "lstm:b600:i4:h40:e12:d11:teacher:t2", 3);
    check_problem(v, "gru:b1000:i3:h16:e25:d23:teacher:t2", 4);
    printf("%d grid problems\n", n);
    return ts_test_done("test_blocked");
}
