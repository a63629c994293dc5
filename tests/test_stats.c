/* The timing engine's statistics (harness/timing/stats.h) on synthetic samples
 * with known truth: order-statistic intervals cover the median near their
 * stated confidence on several distributions; paired ratios remove a shared
 * per-round drift; comparing two identical synthetic runs flags at most 5 % of
 * points, and a planted 10 % slowdown is flagged.  No timing is measured. */
#include "harness/timing/stats.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>

#define TRIALS 4000

/* One sample with true median 1 from distribution d (0 normal, 1 lognormal,
 * 2 exponential shifted to median 1, 3 a right-skewed mix like timing noise). */
static double draw(ts_rng *r, int d)
{
    switch (d) {
    case 0: return 1 + 0.05 * ts_rng_normal(r);
    case 1: return exp(0.1 * ts_rng_normal(r));
    case 2: return 1 + 0.1 * (-log(1 - ts_rng_uniform(r)) - log(2.0));
    default: {
        /* 80 %: quiet, 20 %: disturbed (slower): the median is the quiet mode's
         * 0.625-quantile; shifted so the mixture's median is exactly 1 */
        double u = ts_rng_uniform(r);
        return u < 0.8 ? 1 + 0.02 * ts_rng_normal(r) - 0.02 * 0.3186 : 1.3 + 0.2 * ts_rng_uniform(r);
    }
    }
}

static void test_ranks(void)
{
    size_t l, u;
    CHECK(!ts_median_ci_ranks(5, 0.95, &l, &u)); /* 5 samples: [min,max] covers only 93.75 % */
    CHECK(ts_median_ci_ranks(6, 0.95, &l, &u) && l == 1 && u == 6);
    CHECK(ts_median_ci_ranks(10, 0.95, &l, &u) && l == 2 && u == 9);
    CHECK_NEAR(ts_median_ci_coverage(10, 2), 1 - 2 * 11.0 / 1024, 1e-12);
    for (size_t n = 6; n < 400; n += 7) {
        CHECK(ts_median_ci_ranks(n, 0.95, &l, &u));
        double cov = ts_median_ci_coverage(n, l);
        CHECK_MSG(cov >= 0.95 && (l + 1 > (n + 1) / 2 || ts_median_ci_coverage(n, l + 1) < 0.95),
                  "n %zu l %zu coverage %g", n, l, cov);
    }
}

/* Empirical coverage of the median's interval, per distribution and n. */
static void test_coverage(void)
{
    ts_rng r = {12345};
    const size_t ns[] = {10, 30, 100};
    for (int d = 0; d < 4; d++)
        for (size_t k = 0; k < 3; k++) {
            size_t n = ns[k], hit = 0;
            double v[100];
            for (int t = 0; t < TRIALS; t++) {
                for (size_t i = 0; i < n; i++)
                    v[i] = draw(&r, d);
                ts_summary s;
                ts_summarize(v, n, TS_CONF, &s);
                hit += s.lo <= 1 && 1 <= s.hi;
            }
            double cov = (double)hit / TRIALS;
            /* exact order-statistic coverage is 0.95..0.98; allow sampling error */
            CHECK_MSG(cov > 0.935 && cov < 0.995, "distribution %d n %zu: coverage %.3f", d, n, cov);
        }
}

/* Two members measured in the same rounds under a shared drift of +-30 %:
 * the paired ratio's interval covers the true ratio and stays narrow. */
static void test_paired(void)
{
    ts_rng r = {777};
    size_t hit = 0;
    double width = 0;
    for (int t = 0; t < TRIALS; t++) {
        double a[30], b[30];
        for (int i = 0; i < 30; i++) {
            double drift = 1 + 0.3 * (ts_rng_uniform(&r) - 0.5) * 2;
            a[i] = 2.0 * drift * exp(0.02 * ts_rng_normal(&r));
            b[i] = 1.0 * drift * exp(0.02 * ts_rng_normal(&r));
        }
        ts_summary s;
        ts_paired_ratio(a, b, 30, TS_CONF, &s);
        hit += s.lo <= 2 && 2 <= s.hi;
        width += ts_ci_rel_half(&s);
    }
    double cov = (double)hit / TRIALS;
    CHECK_MSG(cov > 0.935 && cov < 0.995, "paired coverage %.3f", cov);
    CHECK_MSG(width / TRIALS < 0.02, "paired half-width %.4f: the drift did not divide out", width / TRIALS);
    /* non-finite or non-positive samples are ignored */
    double a[3] = {1, NAN, 2}, b[3] = {1, 1, 0};
    ts_summary s;
    ts_paired_ratio(a, b, 3, TS_CONF, &s);
    CHECK(s.n == 1 && s.median == 1 && isnan(s.lo));
}

/* One synthetic run of npts points: each point's median and interval over 20
 * rounds, with the run's own drift divided out (as calibration does). */
static void synthetic_run(ts_rng *r, const double *truth, double slow, size_t npts, ts_summary *out)
{
    for (size_t p = 0; p < npts; p++) {
        double v[20];
        for (int i = 0; i < 20; i++)
            v[i] = truth[p] * (p % 10 == 0 ? slow : 1) * exp(0.03 * ts_rng_normal(r));
        ts_summarize(v, 20, TS_CONF, &out[p]);
    }
}

static size_t flagged(const ts_summary *a, const ts_summary *b, size_t n, ts_change want, double min_effect)
{
    size_t k = 0;
    for (size_t p = 0; p < n; p++) {
        double ratio, lo, hi;
        ts_ratio_independent(a[p].median, a[p].lo, a[p].hi, b[p].median, b[p].lo, b[p].hi, &ratio, &lo, &hi);
        ts_change c = ts_call_change(ratio, lo, hi, min_effect);
        k += want == TS_CHANGE_SAME ? c != TS_CHANGE_SAME : c == want;
    }
    return k;
}

static void test_compare(void)
{
    enum { N = 2000 };
    static double truth[N];
    static ts_summary A[N], B[N];
    ts_rng r = {4242};
    for (size_t p = 0; p < N; p++)
        truth[p] = 1e-4 * (1 + 99 * ts_rng_uniform(&r));
    synthetic_run(&r, truth, 1.0, N, A);
    synthetic_run(&r, truth, 1.0, N, B);
    /* A/A: the interval alone flags ~5 % at most; the minimum effect fewer */
    size_t ci_only = flagged(A, B, N, TS_CHANGE_SAME, 0), with_min = flagged(A, B, N, TS_CHANGE_SAME, 0.03);
    CHECK_MSG(ci_only <= N / 20, "A/A: %zu of %d flagged by the interval alone", ci_only, N);
    CHECK_MSG(with_min <= ci_only && with_min <= N / 100, "A/A with 3 %% minimum effect: %zu flagged", with_min);
    /* every tenth point 10 % slower in B: those are called slower (ratio A/B < 1) */
    synthetic_run(&r, truth, 1.10, N, B);
    size_t slower = flagged(A, B, N, TS_CHANGE_SLOWER, 0.03), any = flagged(A, B, N, TS_CHANGE_SAME, 0.03);
    CHECK_MSG(slower >= (size_t)(0.95 * N / 10), "planted slowdown: %zu of %d flagged", slower, N / 10);
    CHECK_MSG(any - slower <= N / 100, "planted slowdown: %zu unchanged points flagged", any - slower);
    /* the calls */
    CHECK(ts_call_change(1.5, 1.4, 1.6, 0.03) == TS_CHANGE_FASTER);
    CHECK(ts_call_change(0.5, 0.4, 0.6, 0.03) == TS_CHANGE_SLOWER);
    CHECK(ts_call_change(1.5, 0.9, 2.0, 0.03) == TS_CHANGE_SAME);  /* interval holds 1 */
    CHECK(ts_call_change(1.02, 1.01, 1.03, 0.03) == TS_CHANGE_SAME); /* below the minimum effect */
    CHECK(ts_call_change(1.2, NAN, NAN, 0.03) == TS_CHANGE_FASTER);  /* no interval: the effect decides */
}

/* Three passes whose machine states differ: the interval widens to hold every
 * pass's median; identical passes leave it alone. */
static void test_widen(void)
{
    double v[30];
    int g[30];
    for (int k = 0; k < 30; k++)
        v[k] = (k < 10 ? 1.0 : k < 20 ? 1.2 : 1.1) + 0.001 * (k % 10), g[k] = k / 10;
    ts_summary s;
    ts_summarize(v, 30, TS_CONF, &s);
    double lo = s.lo, hi = s.hi;
    ts_widen_by_groups(&s, v, g, 30, 3);
    CHECK_MSG(s.lo <= 1.0045 && s.hi >= 1.2045 && s.lo <= lo && s.hi >= hi, "[%g, %g]", s.lo, s.hi);
    for (int k = 0; k < 30; k++)
        v[k] = 1 + 0.001 * (k % 10);
    ts_summarize(v, 30, TS_CONF, &s);
    lo = s.lo, hi = s.hi;
    ts_widen_by_groups(&s, v, g, 30, 3);
    CHECK(s.lo == lo && s.hi == hi);
}

int main(void)
{
    test_ranks();
    test_widen();
    test_coverage();
    test_paired();
    test_compare();
    return ts_test_done("test_stats");
}
