/* The Google Benchmark shim from C: a trivial benchmark registered, run with
 * GB's flags, every repetition and aggregate delivered to the callback (with the
 * "final" mark on the last), counters consistent with the times, the JSON file
 * complete (no .partial left) and holding the counters and label; a bad flag
 * refused by name; nothing registered = nothing ran.  Then the rounds engine on
 * top of it (harness/timing/rounds.h): a variant that fails verification is
 * reported and never timed; one that is only wrong in the configuration that
 * is timed (no per-step states) fails too, because the timed plan itself is
 * verified; an unavailable one is skipped with its reason; good ones are timed
 * in rounds with probes, intervals and paired ratios; engine-owned and unknown
 * GB flags are refused.  No timing is asserted. */
#include "harness/timing/gbench.h"
#include "harness/timing/rounds.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !TS_HAVE_GBENCH
int main(void)
{
    printf("test_gbench_shim: built without Google Benchmark: skipped\n");
    return 0;
}
#else

#define MAXROWS 64

typedef struct seen {
    int n;
    char name[MAXROWS][128], agg[MAXROWS][16], label[MAXROWS][64];
    int final[MAXROWS], error[MAXROWS];
    double real_s[MAXROWS], flops[MAXROWS], steps[MAXROWS];
    int64_t reps[MAXROWS];
} seen;

static double counter(const gbench_row *r, const char *name)
{
    for (int k = 0; k < r->n_counters; k++)
        if (!strcmp(r->counter_names[k], name))
            return r->counter_values[k];
    return -1;
}

static void on_row(void *user, const gbench_row *r)
{
    seen *s = user;
    if (s->n == MAXROWS)
        return;
    int k = s->n++;
    snprintf(s->name[k], sizeof s->name[k], "%s", r->run_name);
    snprintf(s->agg[k], sizeof s->agg[k], "%s", r->aggregate);
    snprintf(s->label[k], sizeof s->label[k], "%s", r->label);
    s->final[k] = r->final;
    s->error[k] = r->error;
    s->real_s[k] = r->real_s;
    s->flops[k] = counter(r, "flops");
    s->steps[k] = counter(r, "steps");
    s->reps[k] = r->repetitions;
}

static int calls;

static void bm_sum(gbench_state *st, void *ctx)
{
    double *acc = ctx;
    calls++;
    while (gbench_keep_running(st)) {
        for (int k = 0; k < 2000; k++)
            *acc += k * 1e-9;
        gbench_do_not_optimize(acc);
    }
    gbench_counter(st, "flops", 2000.0, GBENCH_CTR_ITER_INVARIANT_RATE);
    gbench_counter(st, "steps", 10.0, GBENCH_CTR_ITER_INVARIANT_RATE | GBENCH_CTR_INVERT);
    gbench_label(st, "tile 4x16");
}

static void bm_fail(gbench_state *st, void *ctx)
{
    (void)ctx;
    gbench_skip_with_error(st, "deliberate failure");
}

static int find(const seen *s, const char *name, const char *agg)
{
    for (int k = 0; k < s->n; k++)
        if (!strcmp(s->name[k], name) && !strcmp(s->agg[k], agg))
            return k;
    return -1;
}

static void check_rows(const seen *s)
{
    const char *sum = "trivial/sum/real_time", *fail = "trivial/fail/real_time";
    int r[3], nrep = 0, nfinal = 0;
    for (int k = 0; k < s->n; k++) {
        if (!strcmp(s->name[k], sum) && !*s->agg[k] && nrep < 3)
            r[nrep++] = k;
        nfinal += s->final[k];
    }
    CHECK_MSG(nrep == 3, "%d repetitions of trivial/sum", nrep);
    CHECK(nfinal == 2); /* one per benchmark */
    const char *aggs[] = {"mean", "median", "stddev", "cv", "min"};
    for (int a = 0; a < 5; a++)
        CHECK_MSG(find(s, sum, aggs[a]) >= 0, "no %s aggregate", aggs[a]);
    int mn = find(s, sum, "min"), med = find(s, sum, "median");
    if (nrep == 3 && mn >= 0 && med >= 0) {
        double a = s->real_s[r[0]], b = s->real_s[r[1]], c = s->real_s[r[2]];
        double lo = a < b ? (a < c ? a : c) : (b < c ? b : c);
        double hi = a > b ? (a > c ? a : c) : (b > c ? b : c);
        CHECK_NEAR(s->real_s[mn], lo, 1e-9 * lo);
        CHECK_NEAR(s->real_s[med], a + b + c - lo - hi, 1e-9 * lo);
        CHECK(s->final[find(s, sum, "min")]); /* "min" is registered last */
        CHECK(!s->final[r[2]]);
        for (int k = 0; k < 3; k++) { /* rates from the same times GB reports */
            CHECK_NEAR(s->flops[r[k]], 2000.0 / s->real_s[r[k]], 1e-6 * s->flops[r[k]]);
            CHECK_NEAR(s->steps[r[k]], s->real_s[r[k]] / 10.0, 1e-6 * s->steps[r[k]]);
            CHECK(!strcmp(s->label[r[k]], "tile 4x16"));
            CHECK(s->reps[r[k]] == 3);
        }
        CHECK(s->real_s[find(s, sum, "cv")] >= 0 && s->real_s[find(s, sum, "cv")] < 10);
    }
    int nerr = 0, last_fail = -1;
    for (int k = 0; k < s->n; k++)
        if (!strcmp(s->name[k], fail))
            nerr += s->error[k], last_fail = k;
    CHECK_MSG(nerr == 3, "%d error rows", nerr);
    CHECK(last_fail >= 0 && s->final[last_fail]);
    CHECK(find(s, fail, "mean") < 0); /* no aggregates of failed runs */
}

static void check_json(const char *path)
{
    char partial[700];
    snprintf(partial, sizeof partial, "%s.partial", path);
    CHECK(access(partial, F_OK) != 0);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "no %s", path);
    if (!f)
        return;
    static char text[1 << 18];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    const char *needles[] = {"\"context\"", "\"benchmarks\"", "\"trivial/sum/real_time\"", "\"flops\": ",
                             "\"steps\": ", "\"label\": \"tile 4x16\"", "\"aggregate_name\": \"min\"",
                             "\"time_unit\": \"us\"", "deliberate failure", "\"ts_test\": \"shim\""};
    for (size_t k = 0; k < sizeof needles / sizeof *needles; k++)
        CHECK_MSG(strstr(text, needles[k]) != NULL, "JSON lacks %s", needles[k]);
    const char *end = text + n;
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    CHECK(end > text && end[-1] == '}'); /* finalized */
}

/* ---- the rounds engine: verify the timed plan first, time only what passed ---- */

static int perturbed_runs;

static int perturbed_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    perturbed_runs++;
    int rc = ts_variant_naive.run(plan, in, out);
    out->out[0] += 1e-2f;
    return rc;
}

/* Right with per-step states (what `verify` asks for), wrong without them
 * (what is timed): only verifying the timed plan catches it. */
static int fast_path_wrong_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    int rc = ts_variant_naive.run(plan, in, out);
    if (!out->states_h)
        out->out[1] += 1e-2f;
    return rc;
}

static bool never_supports(const ts_problem *p, char *why, size_t n)
{
    (void)p;
    snprintf(why, n, "needs an odd hidden size");
    return false;
}

static void test_core(void)
{
    ts_variant bad = ts_variant_naive, skip = ts_variant_naive, sly = ts_variant_naive;
    bad.name = "perturbed", bad.run = perturbed_run;
    skip.name = "never", skip.supports = never_supports;
    sly.name = "fast-path-wrong", sly.run = fast_path_wrong_run;
    ts_problem p, p2;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b2:i5:h12:e3:d3", &p, &e) == 0);
    CHECK(ts_problem_parse("lstm:b2:i5:h12:e3:d3:t2", &p2, &e) == 0);
    /* the sly variant passes the classic check, with states */
    ts_verdict v;
    ts_verify_variant(&sly, &p, 42, &v);
    CHECK_MSG(v.status == TS_PASS, "sly variant with states: %s", ts_status_name(v.status));

    ts_point pts[5];
    ts_point_init(&pts[0], &bad, &p);
    ts_point_init(&pts[1], &skip, &p);
    ts_point_init(&pts[2], &sly, &p);
    ts_point_init(&pts[3], &ts_variant_naive, &p);
    ts_point_init(&pts[4], &ts_variant_naive, &p2);
    char *argv[] = {"test", NULL};
    ts_bench_cfg cfg = {.seed = 42, .gb_argc = 1, .gb_argv = argv};
    ts_timing_defaults(&cfg.t);
    cfg.t.min_rounds = 6, cfg.t.max_rounds = 8, cfg.t.sample_s = 1e-3, cfg.t.budget_s = 0.01;
    cfg.t.passes = 2;
    ts_chunk_result res, pass1;
    ts_chunk_ref *ref = NULL;
    CHECK(ts_bench_pass(pts, 5, &cfg, 0, NULL, 0, &ref, &pass1, &e) == 0);
    CHECK(pts[3].status == TS_PT_TODO && pts[3].sampled && pass1.nsamples > 0); /* final after the last pass */
    CHECK(ts_bench_pass(pts, 5, &cfg, 1, pass1.samples, pass1.nsamples, &ref, &res, &e) == 0);
    ts_chunk_ref_free(ref);
    size_t ns = pass1.nsamples + res.nsamples;
    ts_sample *all = malloc(ns * sizeof *all);
    memcpy(all, pass1.samples, pass1.nsamples * sizeof *all);
    memcpy(all + pass1.nsamples, res.samples, res.nsamples * sizeof *all);
    ts_chunk_result_free(&res);
    CHECK(ts_chunk_finish(pts, 5, all, ns, &cfg, NULL, &res, &e) == 0);
    res.samples = all, res.nsamples = ns;
    CHECK(pts[0].status == TS_PT_FAIL && pts[0].verdict == TS_FAIL);
    CHECK_MSG(strstr(pts[0].label, "tolerance") != NULL, "%s", pts[0].label);
    CHECK(perturbed_runs == 1); /* the verification run of pass 1 only: never timed */
    CHECK(isnan(pts[0].median_s) && pts[0].max_abs > pts[0].tol);
    CHECK(pts[1].status == TS_PT_SKIPPED && !strcmp(pts[1].label, "needs an odd hidden size"));
    CHECK_MSG(pts[2].status == TS_PT_FAIL, "the timed configuration was not verified: %s",
              ts_pt_status_name(pts[2].status));
    for (int k = 3; k < 5; k++) {
        const ts_point *q = &pts[k];
        CHECK(q->status == TS_PT_OK && q->verdict == TS_PASS && q->max_abs <= q->tol);
        CHECK(q->rounds >= 6 && q->rounds <= 8);
        CHECK(q->min_s > 0 && q->ci_lo_s >= q->min_s && q->ci_lo_s <= q->median_s && q->median_s <= q->ci_hi_s);
        CHECK(q->cal > 0 && q->peak_frac > 0 && q->bw_frac > 0 && q->probe_gflops > 0 && q->probe_gbps > 0);
        CHECK(q->bw_level >= 0 && q->probe_spread >= 0);
    }
    /* the samples: every round of both timed points, and the probes */
    size_t mine = 0, probes = 0;
    int64_t first_round_pass2 = -1;
    for (size_t k = 0; k < res.nsamples; k++) {
        mine += res.samples[k].pt == &pts[3], probes += res.samples[k].pt == NULL;
        if (k >= pass1.nsamples && first_round_pass2 < 0)
            first_round_pass2 = res.samples[k].round;
    }
    CHECK((int64_t)mine == pts[3].rounds && probes >= 2 * (size_t)pts[3].rounds);
    CHECK(first_round_pass2 >= cfg.t.max_rounds); /* rounds are numbered across passes */
    ts_chunk_result_free(&pass1);
    /* one pair: naive at 1 thread over naive at 2, paired by round */
    CHECK(res.npairs == 1 && res.pairs[0].a == &pts[3] && res.pairs[0].b == &pts[4]);
    CHECK(res.pairs[0].r.n >= 6 && res.pairs[0].r.median > 0);
    ts_chunk_result_free(&res);

    /* engine-owned and unknown GB flags: refused by name */
    char *reps[] = {"test", "--benchmark_repetitions=3", NULL};
    CHECK_ERR(ts_bench_check_flags(2, reps, &e), e, "rounds replace repetitions");
    char *filt[] = {"test", "--benchmark_filter=x", NULL};
    CHECK_ERR(ts_bench_check_flags(2, filt, &e), e, "--filter");
    char *bad_flags[] = {"test", "--benchmark_nope", NULL};
    CHECK_ERR(ts_bench_check_flags(2, bad_flags, &e), e, "--benchmark_nope");
    ts_timing_opts t;
    ts_timing_defaults(&t);
    t.min_rounds = 3;
    CHECK_ERR(ts_timing_check(&t, &e), e, "--min-rounds 3");
}

int main(void)
{
    char dir[] = "/tmp/ts_gbench_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char json[600], min_time[64];
    snprintf(json, sizeof json, "%s/chunk.json", dir);
    gbench_min_time_flag(0.01, min_time, sizeof min_time);
    CHECK(!strncmp(min_time, "--benchmark_min_time=0.01", 25));

    double acc = 0;
    gbench_add_context("ts_test", "shim");
    gbench_add_context("ts_test", "twice"); /* ignored, no complaint */
    CHECK(gbench_register("trivial/sum", bm_sum, &acc) == 0);
    CHECK(gbench_register("trivial/fail", bm_fail, NULL) == 0);
    CHECK(gbench_register("", bm_fail, NULL) != 0);
    char *argv[] = {"test", min_time, "--benchmark_repetitions=3", NULL};
    int argc = 3;
    seen *s = calloc(1, sizeof *s);
    char err[256];
    int rc = gbench_run_chunk(&argc, argv, json, on_row, s, err, sizeof err);
    CHECK_MSG(rc == 0, "rc %d: %s", rc, err);
    CHECK(calls >= 3);
    check_rows(s);
    check_json(json);

    /* a flag GB does not know: refused by name, registrations cleared */
    CHECK(gbench_register("trivial/sum", bm_sum, &acc) == 0);
    char *bad[] = {"test", "--benchmark_no_such_flag=1", NULL};
    argc = 2;
    rc = gbench_run_chunk(&argc, bad, NULL, on_row, s, err, sizeof err);
    CHECK_MSG(rc == 1 && strstr(err, "--benchmark_no_such_flag"), "rc %d: %s", rc, err);
    char *none[] = {"test", NULL};
    argc = 1;
    rc = gbench_run_chunk(&argc, none, NULL, on_row, s, err, sizeof err);
    CHECK_MSG(rc == 2, "nothing registered: rc %d", rc);
    argc = 2;
    char *check[] = {"test", "--benchmark_repetitions=2", NULL};
    CHECK(gbench_check_flags(&argc, check, err, sizeof err) == 0);

    test_core();
    free(s);
    remove(json);
    rmdir(dir);
    return ts_test_done("test_gbench_shim");
}
#endif
