/* The Google Benchmark shim from C: members run in rounds in GB's
 * fixed-iteration mode, each one's time (or error) back; a report writes the
 * named members' rounds as repetitions with the given aggregates, the JSON
 * complete (no .partial left) with counters and label, other members kept for
 * their own report; a bad flag refused by name; an unwritable JSON an error.
 * Then the rounds engine on
 * top of it (harness/timing/rounds.h): a variant that fails verification is
 * reported and never timed; one that is only wrong in the configuration that
 * is timed (no per-step states) fails too, because the timed plan itself is
 * verified; an unavailable one is skipped with its reason; good ones are timed
 * in rounds with probes, intervals and paired ratios; engine-owned and unknown
 * GB flags are refused.  No timing is asserted. */
#include "harness/timing/gbench.h"
#include "harness/timing/rounds.h"
#include "check.h"

#include <math.h>
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

/* The whole (small) file, or "" */
static const char *slurp(const char *path, size_t *n)
{
    static char text[1 << 18];
    FILE *f = fopen(path, "r");
    *n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[*n] = '\0';
    if (f)
        fclose(f);
    return text;
}

static void check_json(const char *path, const char *const *needles, size_t nn, const char *absent)
{
    char partial[700];
    snprintf(partial, sizeof partial, "%s.partial", path);
    CHECK(access(partial, F_OK) != 0);
    size_t n;
    const char *text = slurp(path, &n);
    CHECK_MSG(n > 0, "no %s", path);
    for (size_t k = 0; k < nn; k++)
        CHECK_MSG(strstr(text, needles[k]) != NULL, "%s lacks %s", path, needles[k]);
    if (absent)
        CHECK_MSG(strstr(text, absent) == NULL, "%s holds %s", path, absent);
    const char *end = text + n;
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    CHECK(end > text && end[-1] == '}'); /* finalized */
}

/* Rounds of two members (one fails), a third member's runs kept for a later
 * report, the JSON of each report complete; a bad flag refused by name. */
static void test_shim(const char *dir)
{
    double acc = 0;
    gbench_add_context("ts_test", "shim");
    gbench_add_context("ts_test", "twice"); /* ignored, no complaint */
    char *argv[] = {"test", NULL};
    int argc = 1;
    char err[256];
    CHECK(gbench_rounds_init(&argc, argv, err, sizeof err) == 0);
    gbench_member m[3] = {{.name = "trivial/sum", .fn = bm_sum, .ctx = &acc, .iters = 50},
                          {.name = "trivial/fail", .fn = bm_fail, .iters = 1},
                          {.name = "later/sum", .fn = bm_sum, .ctx = &acc, .iters = 5}};
    for (int r = 0; r < 3; r++) {
        CHECK(gbench_round(m, 3, r, err, sizeof err) == 0);
        CHECK(m[0].seconds > 0 && !m[0].error);
        CHECK(m[1].error && isnan(m[1].seconds) && !strcmp(m[1].error_msg, "deliberate failure"));
    }
    CHECK(calls == 6); /* once per round each: the fixed-iteration mode */
    char json[600], json2[600];
    snprintf(json, sizeof json, "%s/chunk.json", dir);
    snprintf(json2, sizeof json2, "%s/later.json", dir);
    const char *names[] = {"trivial/sum", "trivial/fail"};
    gbench_aggregate a[] = {{.name = "trivial/sum", .stat = "median", .value = m[0].seconds, .n = 3, .label = ""},
                            {.name = "trivial/sum", .stat = "cv", .value = 0.01, .percentage = 1, .n = 3}};
    CHECK(gbench_chunk_report(json, names, 2, a, 2, err, sizeof err) == 0);
    const char *want[] = {"\"context\"", "\"benchmarks\"", "\"trivial/sum/real_time\"", "\"flops\": ",
                          "\"steps\": ", "\"label\": \"tile 4x16\"", "\"aggregate_name\": \"median\"",
                          "\"time_unit\": \"us\"", "deliberate failure", "\"ts_test\": \"shim\"",
                          "\"repetition_index\": 2"};
    check_json(json, want, sizeof want / sizeof *want, "later/sum");
    /* the member not named stays for its own report */
    const char *later[] = {"later/sum"};
    CHECK(gbench_chunk_report(json2, later, 1, NULL, 0, err, sizeof err) == 0);
    const char *want2[] = {"\"later/sum/real_time\""};
    check_json(json2, want2, 1, "trivial/sum");
    /* a flag GB does not know: refused by name */
    char *bad[] = {"test", "--benchmark_no_such_flag=1", NULL};
    argc = 2;
    CHECK_MSG(gbench_rounds_init(&argc, bad, err, sizeof err) == 1 && strstr(err, "--benchmark_no_such_flag"), "%s",
              err);
    /* an unwritable JSON path: an error, nothing left behind */
    char nodir[700];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir.json", dir);
    CHECK(gbench_chunk_report(nodir, names, 2, NULL, 0, err, sizeof err) != 0 && strstr(err, "cannot write"));
    remove(json), remove(json2);
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
    test_shim(dir);
    test_core();
    rmdir(dir);
    return ts_test_done("test_gbench_shim");
}
#endif
