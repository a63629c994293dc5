/* Order statistics, paired ratios and change calls (stats.h). */
#include "harness/timing/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* log P(Binomial(n, 1/2) = k) */
static double log_binom_half(size_t n, size_t k)
{
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) - (double)n * log(2.0);
}

/* P(Binomial(n, 1/2) <= k) */
static double binom_half_cdf(size_t n, size_t k)
{
    double p = 0;
    for (size_t j = 0; j <= k && j <= n; j++)
        p += exp(log_binom_half(n, j));
    return p;
}

double ts_median_ci_coverage(size_t n, size_t l)
{
    if (l < 1 || 2 * l > n + 1)
        return 0;
    return 1 - 2 * binom_half_cdf(n, l - 1);
}

bool ts_median_ci_ranks(size_t n, double conf, size_t *l, size_t *u)
{
    const double tail = (1 - conf) / 2;
    if (n == 0 || binom_half_cdf(n, 0) > tail)
        return false; /* even [min, max] is not wide enough */
    /* the largest l with P(Bin <= l-1) <= tail; the cdf grows with l */
    size_t best = 1;
    double cdf = 0;
    for (size_t k = 0; 2 * (k + 1) <= n + 1; k++) {
        cdf += exp(log_binom_half(n, k));
        if (cdf > tail)
            break;
        best = k + 1;
    }
    *l = best;
    *u = n + 1 - best;
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between order statistics (type 7, as numpy's default). */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h);
    if (k + 1 >= n)
        return s[n - 1];
    return s[k] + (h - (double)k) * (s[k + 1] - s[k]);
}

static void summarize_sorted(double *s, size_t n, double conf, ts_summary *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->median = out->lo = out->hi = out->min = out->max = out->mean = out->cv = NAN;
    out->q10 = out->q90 = NAN;
    if (n == 0)
        return;
    qsort(s, n, sizeof *s, cmp_double);
    out->min = s[0], out->max = s[n - 1];
    out->median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    out->q10 = quantile_sorted(s, n, 0.10);
    out->q90 = quantile_sorted(s, n, 0.90);
    double sum = 0, ss = 0;
    for (size_t k = 0; k < n; k++)
        sum += s[k];
    out->mean = sum / (double)n;
    for (size_t k = 0; k < n; k++)
        ss += (s[k] - out->mean) * (s[k] - out->mean);
    if (n > 1 && out->mean != 0)
        out->cv = sqrt(ss / (double)(n - 1)) / fabs(out->mean);
    size_t l, u;
    if (ts_median_ci_ranks(n, conf, &l, &u))
        out->lo = s[l - 1], out->hi = s[u - 1];
}

void ts_summarize(const double *v, size_t n, double conf, ts_summary *s)
{
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t m = 0;
    if (tmp)
        for (size_t k = 0; k < n; k++)
            if (isfinite(v[k]))
                tmp[m++] = v[k];
    summarize_sorted(tmp ? tmp : (double[1]){0}, tmp ? m : 0, conf, s);
    free(tmp);
}

void ts_paired_ratio(const double *a, const double *b, size_t n, double conf, ts_summary *s)
{
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t m = 0;
    if (tmp)
        for (size_t k = 0; k < n; k++)
            if (isfinite(a[k]) && isfinite(b[k]) && a[k] > 0 && b[k] > 0)
                tmp[m++] = a[k] / b[k];
    summarize_sorted(tmp ? tmp : (double[1]){0}, tmp ? m : 0, conf, s);
    free(tmp);
}

void ts_widen_by_groups(ts_summary *s, const double *v, const int *group, size_t n, int ngroups)
{
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    for (int g = 0; tmp && g < ngroups && isfinite(s->lo); g++) {
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (group[k] == g && isfinite(v[k]))
                tmp[m++] = v[k];
        if (m == 0)
            continue;
        ts_summary gs;
        ts_summarize(tmp, m, TS_CONF, &gs);
        s->lo = fmin(s->lo, gs.median);
        s->hi = fmax(s->hi, gs.median);
    }
    free(tmp);
}

double ts_ci_rel_half(const ts_summary *s)
{
    if (!isfinite(s->lo) || !isfinite(s->hi) || !(s->median > 0))
        return INFINITY;
    return (s->hi - s->lo) / (2 * s->median);
}

void ts_ratio_independent(double ma, double lo_a, double hi_a, double mb, double lo_b, double hi_b,
                          double *ratio, double *lo, double *hi)
{
    *ratio = ma > 0 && mb > 0 ? ma / mb : NAN;
    *lo = *hi = NAN;
    if (!(lo_a > 0 && hi_a >= lo_a && lo_b > 0 && hi_b >= lo_b) || !isfinite(*ratio))
        return;
    double ha = 0.5 * (log(hi_a) - log(lo_a)), hb = 0.5 * (log(hi_b) - log(lo_b));
    double h = sqrt(ha * ha + hb * hb), r = log(*ratio);
    *lo = exp(r - h);
    *hi = exp(r + h);
}

ts_change ts_call_change(double ratio, double lo, double hi, double min_effect)
{
    if (!isfinite(ratio) || fabs(ratio - 1) <= min_effect)
        return TS_CHANGE_SAME;
    if (isfinite(lo) && isfinite(hi) && lo <= 1 && hi >= 1)
        return TS_CHANGE_SAME; /* the interval holds "no change" */
    return ratio > 1 ? TS_CHANGE_FASTER : TS_CHANGE_SLOWER;
}

unsigned long long ts_rng_next(ts_rng *r)
{
    unsigned long long z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double ts_rng_uniform(ts_rng *r) { return (double)(ts_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

double ts_rng_normal(ts_rng *r)
{
    double u1 = ts_rng_uniform(r), u2 = ts_rng_uniform(r);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

void ts_rng_shuffle(ts_rng *r, size_t *v, size_t n)
{
    for (size_t k = n; k > 1; k--) {
        size_t j = (size_t)(ts_rng_next(r) % k);
        size_t t = v[k - 1];
        v[k - 1] = v[j], v[j] = t;
    }
}
