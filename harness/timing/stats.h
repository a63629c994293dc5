/* The statistics of the timing engine: pure functions on samples, no I/O.
 *
 * A point's samples are one time per round (seconds per iteration).  Rounds are
 * the level at which the machine's state varies (Kalibera & Jones, ISMM 2013),
 * so every interval here is over rounds, never over iterations inside a round.
 *
 * Confidence intervals of a median are distribution-free order statistics: with
 * n samples sorted, [x(l), x(n+1-l)] covers the true median with probability
 * 1 - 2 P(Binomial(n, 1/2) <= l-1) >= conf, l the largest rank that keeps it so.
 * No bootstrap, no random numbers, no normality assumption; the price is a
 * minimum sample size (6 rounds for 95 %) and a coverage slightly above conf.
 *
 * A ratio of two members measured in the same rounds is paired: the median of
 * the per-round ratios a_r / b_r, with the same order-statistic interval.  The
 * round's machine state (clock, a neighbour's load) divides out of each ratio.
 *
 * Two independent runs (compare A B) are combined in log space: the ratio of
 * their medians, and a half-width sqrt(h_a^2 + h_b^2) of the two intervals'
 * log half-widths (the normal approximation of a difference of independent
 * estimates).  A change is called only when that interval excludes 1 and the
 * ratio is further from 1 than a stated minimum effect. */
#ifndef TS_STATS_H
#define TS_STATS_H
#include <stdbool.h>
#include <stddef.h>

#define TS_CONF 0.95 /* the confidence of every interval the suite reports */

typedef struct ts_summary {
    size_t n;            /* finite samples used */
    double median;       /* NAN when n == 0 */
    double lo, hi;       /* the interval of the median; NAN when n is too small for it */
    double min, max, mean;
    double cv;           /* sample stddev / mean; NAN when n < 2 */
    double q10, q90;     /* 10th and 90th percentiles (linear interpolation) */
} ts_summary;

/* 1-based ranks [l, n+1-l] of the order-statistic interval of the median at
 * confidence conf; false when n is too small for conf (then no interval). */
bool ts_median_ci_ranks(size_t n, double conf, size_t *l, size_t *u);
/* Exact coverage of the interval with lower rank l out of n. */
double ts_median_ci_coverage(size_t n, size_t l);

/* Summary of v[0..n) (NAN and Inf samples are ignored; v is not changed). */
void ts_summarize(const double *v, size_t n, double conf, ts_summary *s);
/* Summary of the paired ratios a[k] / b[k] (pairs with a non-finite or
 * non-positive side are ignored). */
void ts_paired_ratio(const double *a, const double *b, size_t n, double conf, ts_summary *s);
/* Widen s's interval to hold the median of every group (pass) of the samples:
 * v[k] belongs to group[k] (0..ngroups-1).  Rounds inside one pass share the
 * machine's state of those seconds; the spread of the pass medians is the
 * run's own evidence of drift between them, which the round-level interval
 * does not see (Kalibera & Jones: variance at the higher level). */
void ts_widen_by_groups(ts_summary *s, const double *v, const int *group, size_t n, int ngroups);
/* Relative half-width of the interval: (hi - lo) / (2 median); Inf without one. */
double ts_ci_rel_half(const ts_summary *s);

/* Ratio a/b of two independent estimates, each a median with its interval:
 * *ratio, and [*lo, *hi] by log-space quadrature (NAN when either lacks one). */
void ts_ratio_independent(double ma, double lo_a, double hi_a, double mb, double lo_b, double hi_b,
                          double *ratio, double *lo, double *hi);

typedef enum { TS_CHANGE_SAME, TS_CHANGE_FASTER, TS_CHANGE_SLOWER } ts_change;
/* ratio = time before / time after (> 1: faster).  A change only when the
 * interval excludes 1 and |ratio - 1| > min_effect; without an interval
 * (NAN bounds) the minimum effect alone decides. */
ts_change ts_call_change(double ratio, double lo, double hi, double min_effect);

/* A small deterministic generator (splitmix64) for round orders and tests. */
typedef struct ts_rng {
    unsigned long long s;
} ts_rng;
unsigned long long ts_rng_next(ts_rng *r);
double ts_rng_uniform(ts_rng *r);                 /* [0, 1) */
double ts_rng_normal(ts_rng *r);                  /* standard normal (Box-Muller) */
void ts_rng_shuffle(ts_rng *r, size_t *v, size_t n); /* Fisher-Yates */

#endif
