/* blocked against the reference on a grid of block edges (XNNPACK's eq/lt/gt
 * rule): H at the edges of the 8-unit panel (RNN, GRU candidate: 7, 8, 9) and
 * of the 16-unit thread-ownership granule (15, 16, 17); B = 1 (the split-k
 * 1-row kernel), 3 (one 3-row tile), 7 (tiles of 3 + 4); I != H; every cell,
 * both feeds, 1 and 2 threads.  Plus chunked hoisting (more steps than one hoist
 * chunk holds), the micro-kernel by itself and the activations against libm. */
#include "harness/check/verify.h"
#include "kernels/blocked-act.h"
#include "kernels/blocked-gemm.h"
#include "tests/check.h"

#include <math.h>
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

/* The vectorisable activations against libm in double: at most ~2 ulp
 * relative (measured 0.8e-7 exp, 1.4e-7 sigmoid, 1.2e-7 tanh), saturation and
 * NaN propagation. */
static void check_activations(void)
{
    double worst_e = 0, worst_s = 0, worst_t = 0;
    for (float x = -80.0f; x < 80.0f; x += 0.00731f) {
        double e = exp((double)x), s = 1.0 / (1.0 + exp(-(double)x)), t = tanh((double)x);
        worst_e = fmax(worst_e, fabs(ts_blk_expf(x) - e) / e);
        worst_s = fmax(worst_s, fabs(ts_blk_sigmoidf(x) - s) / s);
        if (t != 0)
            worst_t = fmax(worst_t, fabs(ts_blk_tanhf(x) - t) / fabs(t));
    }
    for (float x = 1e-30f; x < 1.0f; x *= 1.05f) /* tanh keeps relative accuracy near 0 */
        worst_t = fmax(worst_t, fabs(ts_blk_tanhf(x) - tanh((double)x)) / tanh((double)x));
    CHECK_MSG(worst_e < 2e-7, "expf rel err %.3g", worst_e);
    CHECK_MSG(worst_s < 3e-7, "sigmoid rel err %.3g", worst_s);
    CHECK_MSG(worst_t < 3e-7, "tanh rel err %.3g", worst_t);
    CHECK(ts_blk_sigmoidf(INFINITY) == 1.0f && ts_blk_sigmoidf(-INFINITY) < 1e-37f);
    CHECK(ts_blk_tanhf(INFINITY) == 1.0f && ts_blk_tanhf(-INFINITY) == -1.0f && ts_blk_tanhf(0.0f) == 0.0f);
    CHECK(isnan(ts_blk_tanhf(NAN)) && isnan(ts_blk_sigmoidf(NAN)));
}

int main(void)
{
    check_kernel();
    check_activations();
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
