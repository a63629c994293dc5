/* harness/peak: the roofline lookups on a hand-made ts_peak, the JSON round trip,
 * every load error, and a short real measurement (values only > 0 and finite:
 * no timing targets). */
#include "harness/probes/peak.h"
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

static const double MiB = 1048576.0;

/* 2 threads; L1 48 KiB, L2 2 MiB (per core), L3 32 MiB (shared) */
static ts_peak hand_made(void)
{
    ts_peak pk;
    memset(&pk, 0, sizeof pk);
    pk.threads_max = 2;
    snprintf(pk.cpu_model, sizeof pk.cpu_model, "Test \"CPU\" \\ model");
    snprintf(pk.isa, sizeof pk.isa, "avx2 fma avx512f");
    pk.fma_avx2[1] = 50, pk.fma_avx2[2] = 95;
    pk.fma_avx512[1] = 100, pk.fma_avx512[2] = 190;
    pk.fma_best[1] = 100, pk.fma_best[2] = 190;
    const double bw[TS_LEVELS][2] = {{400, 800}, {150, 280}, {60, 100}, {20, 30}};
    for (int l = 0; l < TS_LEVELS; l++)
        pk.bw_gbps[l][1] = bw[l][0], pk.bw_gbps[l][2] = bw[l][1];
    pk.level_bytes[TS_LEVEL_L1] = 49152;
    pk.level_bytes[TS_LEVEL_L2] = 2 * MiB;
    pk.level_bytes[TS_LEVEL_L3] = 32 * MiB;
    pk.barrier_ns[1] = 3.5, pk.barrier_ns[2] = 180;
    return pk;
}

static void test_lookups(void)
{
    ts_peak pk = hand_made();
    CHECK(ts_peak_gflops(&pk, 1) == 100);
    CHECK(ts_peak_gflops(&pk, 2) == 190);
    CHECK(ts_peak_gflops(&pk, 8) == 190); /* clamped to the measured range */
    CHECK(ts_peak_gflops(&pk, 0) == 100);

    CHECK(ts_peak_bandwidth(&pk, 40000, 1) == 400);      /* fits L1 */
    CHECK(ts_peak_bandwidth(&pk, 49152, 1) == 400);      /* exactly L1 */
    CHECK(ts_peak_bandwidth(&pk, 49153, 1) == 150);      /* one byte over: L2 */
    CHECK(ts_peak_bandwidth(&pk, 80000, 2) == 800);      /* 40000 per thread: L1 */
    CHECK(ts_peak_bandwidth(&pk, 80000, 1) == 150);      /* one thread: L2 */
    CHECK(ts_peak_bandwidth(&pk, 3 * MiB, 2) == 280);    /* 1.5 MiB per thread: L2 */
    CHECK(ts_peak_bandwidth(&pk, 3 * MiB, 1) == 60);     /* shared L3 */
    CHECK(ts_peak_bandwidth(&pk, 32 * MiB, 2) == 100);   /* exactly L3 */
    CHECK(ts_peak_bandwidth(&pk, 40 * MiB, 2) == 30);    /* DRAM */
    CHECK(ts_peak_bandwidth(&pk, 40 * MiB, 64) == 30);   /* threads clamped */
    CHECK(ts_peak_level(&pk, 3 * MiB, 1) == TS_LEVEL_L3);
    CHECK(!strcmp(ts_peak_level_name(TS_LEVEL_DRAM), "DRAM"));

    /* a thread count not measured falls back to the nearest smaller one */
    pk.bw_gbps[TS_LEVEL_L3][2] = 0;
    CHECK(ts_peak_bandwidth(&pk, 10 * MiB, 2) == 60);
    pk.fma_best[2] = 0;
    CHECK(ts_peak_gflops(&pk, 2) == 100);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_round_trip(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/peak.json", dir);
    ts_peak pk = hand_made(), back;
    ts_err e;
    CHECK(ts_peak_save(&pk, path, &e) == 0);
    int rc = ts_peak_load(path, &back, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK(back.threads_max == 2);
    CHECK(!strcmp(back.cpu_model, pk.cpu_model)); /* quotes and backslash escaped */
    CHECK(!strcmp(back.isa, pk.isa));
    for (int t = 1; t <= 2; t++) {
        CHECK(back.fma_avx2[t] == pk.fma_avx2[t]);
        CHECK(back.fma_avx512[t] == pk.fma_avx512[t]);
        CHECK(back.fma_best[t] == pk.fma_best[t]);
        CHECK(back.barrier_ns[t] == pk.barrier_ns[t]);
        for (int l = 0; l < TS_LEVELS; l++)
            CHECK(back.bw_gbps[l][t] == pk.bw_gbps[l][t]);
    }
    for (int l = 0; l < TS_LEVELS; l++)
        CHECK(back.level_bytes[l] == pk.level_bytes[l]);
    CHECK(back.fma_best[3] == 0);

    /* no temporary file left behind by the atomic save */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);
    /* saving into a missing folder fails with a message, creates nothing */
    char nowhere[600];
    snprintf(nowhere, sizeof nowhere, "%s/missing/peak.json", dir);
    CHECK_ERR(ts_peak_save(&pk, nowhere, &e), e, "cannot write");

    /* a run's meta.json carries the object under "peak" */
    char meta[600];
    snprintf(meta, sizeof meta, "%s/meta.json", dir);
    FILE *f = fopen(meta, "w");
    fprintf(f, "{\"run_id\": \"r1\", \"threads\": [1, 2], \"ok\": true, \"x\": null, \"peak\": ");
    ts_peak_write_json(&pk, f, 1);
    fprintf(f, "}\n");
    fclose(f);
    rc = ts_peak_load(meta, &back, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK(back.bw_gbps[TS_LEVEL_DRAM][2] == 30);
}

/* each broken file: one error naming the file and what is wrong, pk zeroed */
static void expect_load_error(const char *dir, const char *text, const char *needle)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_file(path, text);
    ts_peak pk = hand_made();
    ts_err e;
    int rc = ts_peak_load(path, &pk, &e);
    CHECK_ERR(rc, e, needle);
    CHECK(strstr(e.msg, "bad.json") != NULL);
    CHECK(strchr(e.msg, '\n') == NULL);
    CHECK(pk.threads_max == 0 && pk.fma_best[1] == 0);
}

#define GOOD_TAIL \
    "\"bw_gbps\": {\"L1\": {\"1\": 4}, \"L2\": {\"1\": 3}, \"L3\": {\"1\": 2}, \"DRAM\": {\"1\": 1}}, " \
    "\"level_bytes\": {\"L1\": 1, \"L2\": 2, \"L3\": 3}, \"barrier_ns\": {\"1\": 0}}"

static void test_load_errors(const char *dir)
{
    ts_peak pk;
    ts_err e;
    CHECK_ERR(ts_peak_load("/nonexistent/peak.json", &pk, &e), e, "cannot open");
    /* the minimal valid file first, so each case below breaks exactly one thing */
    char path[512];
    snprintf(path, sizeof path, "%s/min.json", dir);
    write_file(path, "{\"threads_max\": 1, \"fma_gflops\": {\"best\": {\"1\": 5}}, " GOOD_TAIL);
    CHECK_MSG(ts_peak_load(path, &pk, &e) == 0, "%s", e.msg);
    CHECK(pk.fma_best[1] == 5 && !strcmp(pk.cpu_model, "unknown"));

    expect_load_error(dir, "", "invalid JSON");
    expect_load_error(dir, "{\"threads_max\": 1, \"fma_gflops\": {\"best\": {\"1\": 5}", "invalid JSON at line 1");
    expect_load_error(dir, "{\"threads_max\": 1,}", "expected a member name");
    expect_load_error(dir, "{\"threads_max\": 01}", "expected ',' or '}'");
    expect_load_error(dir, "{\"threads_max\": nan}", "expected a value");
    expect_load_error(dir, "{\"a\": \"x\ny\"}", "control character");
    expect_load_error(dir, "{} {}", "unexpected text");
    expect_load_error(dir, "[1, 2]", "top level must be an object");
    expect_load_error(dir, "{\"threads_max\": \"two\"}", "\"threads_max\" must be a number");
    expect_load_error(dir, "{\"threads_max\": 1.5}", "whole number");
    expect_load_error(dir, "{\"threads_max\": 1, " GOOD_TAIL, "missing \"fma_gflops\"");
    expect_load_error(dir, "{\"threads_max\": 2, \"fma_gflops\": {\"best\": {\"1\": 5}}, " GOOD_TAIL,
                      "\"fma_gflops.best\" has no positive value for 2 threads");
    expect_load_error(dir, "{\"threads_max\": 1, \"fma_gflops\": {\"best\": {\"0\": 5}}, " GOOD_TAIL,
                      "key \"0\" is not a thread count");
    expect_load_error(dir, "{\"threads_max\": 1, \"fma_gflops\": {\"best\": {\"1\": -5}}, " GOOD_TAIL,
                      "finite number >= 0");
    expect_load_error(dir,
                      "{\"threads_max\": 1, \"fma_gflops\": {\"best\": {\"1\": 5}}, "
                      "\"bw_gbps\": {\"L1\": {\"1\": 4}, \"L2\": {\"1\": 3}, \"L3\": {\"1\": 2}}, "
                      "\"level_bytes\": {\"L1\": 1, \"L2\": 2, \"L3\": 3}, \"barrier_ns\": {}}",
                      "missing \"bw_gbps.DRAM\"");
    expect_load_error(dir, "{\"run_id\": \"r\", \"peak\": 3}", "\"peak\" must be an object");
}

static void check_measured(const ts_peak *pk, int threads)
{
    CHECK(pk->threads_max == threads);
    for (int t = 1; t <= threads; t++) {
        CHECK_MSG(pk->fma_best[t] > 0 && isfinite(pk->fma_best[t]), "fma_best[%d] = %g", t, pk->fma_best[t]);
        for (int l = 0; l < TS_LEVELS; l++)
            CHECK_MSG(pk->bw_gbps[l][t] > 0 && isfinite(pk->bw_gbps[l][t]), "bw[%s][%d] = %g",
                      ts_peak_level_name(l), t, pk->bw_gbps[l][t]);
        CHECK(pk->barrier_ns[t] >= 0 && isfinite(pk->barrier_ns[t]));
    }
    for (int l = 0; l < TS_LEVEL_DRAM; l++)
        CHECK(pk->level_bytes[l] > 0);
}

static void test_measure(const char *dir)
{
    ts_peak pk;
    ts_err e;
    const double dram = 32 * MiB; /* small: keeps the test quick, also under ASan */
    int rc = ts_peak_measure_ex(&pk, 2, 0.4, dram, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    check_measured(&pk, 2);

    /* what is measured saves and loads */
    char path[512];
    snprintf(path, sizeof path, "%s/measured.json", dir);
    ts_peak back;
    CHECK(ts_peak_save(&pk, path, &e) == 0);
    CHECK_MSG(ts_peak_load(path, &back, &e) == 0, "%s", e.msg);

    /* capped ISAs: no AVX-512 number; at baseline the SSE2 loop still gives a roof */
    setenv("TS_MAX_ISA", "avx2", 1);
    CHECK(ts_peak_measure_ex(&pk, 1, 0.2, dram, &e) == 0);
    check_measured(&pk, 1);
    CHECK(pk.fma_avx512[1] == 0);
    setenv("TS_MAX_ISA", "baseline", 1);
    CHECK(ts_peak_measure_ex(&pk, 1, 0.2, dram, &e) == 0);
    check_measured(&pk, 1);
    CHECK(pk.fma_avx2[1] == 0 && pk.fma_avx512[1] == 0);
    unsetenv("TS_MAX_ISA");

    CHECK_ERR(ts_peak_measure(&pk, TS_PEAK_MAX_T + 1, 1, &e), e, "out of range");
    CHECK_ERR(ts_peak_measure(&pk, 1, 0, &e), e, "seconds");
}

int main(void)
{
    char dir[] = "/tmp/ts_test_peak_XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_lookups();
    test_round_trip(dir);
    test_load_errors(dir);
    test_measure(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return ts_test_done("test_peak");
}
