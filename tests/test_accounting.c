/* FLOP and byte accounting (docs/design.md, "Accounting") against hand-computed values, the
 * derived numbers of a timed point (GFLOP/s, time per step, fractions of a
 * known peak) and their points.csv rows, the list syntax of the sweep axes, and
 * how a plan groups points into chunks. */
#include "harness/timing/plan.h"
#include "harness/files/results.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ts_problem prob(const char *d)
{
    ts_problem p;
    ts_err e;
    int rc = ts_problem_parse(d, &p, &e);
    CHECK_MSG(rc == 0, "%s: %s", d, e.msg);
    return p;
}

static void test_flops_bytes(void)
{
    /* lstm, B16 I512 H512: 2*16*(512+512)*4*512 per step, 50 steps */
    ts_problem p = prob("lstm:b16:i512:h512:e25:d25:teacher:t2");
    CHECK_NEAR(ts_flops_per_step(&p), 67108864.0, 0);
    CHECK_NEAR(ts_flops_total(&p), 3355443200.0, 0);
    CHECK_NEAR(ts_weight_bytes(&p), 8388608.0, 0);    /* 4*4*512*1024 */
    CHECK_NEAR(ts_recurrent_bytes(&p), 4194304.0, 0); /* 4*4*512*512 */
    /* gru, G = 3: 2*3*(5+37)*3*37 = 27972 per step, 14 steps */
    p = prob("gru:b3:i5:h37:e7:d7");
    CHECK_NEAR(ts_flops_per_step(&p), 27972.0, 0);
    CHECK_NEAR(ts_flops_total(&p), 391608.0, 0);
    CHECK_NEAR(ts_weight_bytes(&p), 18648.0, 0);    /* 4*3*37*42 */
    CHECK_NEAR(ts_recurrent_bytes(&p), 16428.0, 0); /* 4*3*37*37 */
    /* rnn greedy: 6 steps of 2*3*12*7 = 504, plus 3 projections 2*3*7*11 = 462 */
    p = prob("rnn:b3:i5:h7:e2:d4:greedy:v11");
    CHECK_NEAR(ts_flops_per_step(&p), 504.0, 0);
    CHECK_NEAR(ts_flops_total(&p), 3024.0 + 1386.0, 0);
    CHECK_NEAR(ts_weight_bytes(&p), 336.0, 0); /* 4*1*7*12 */
    /* greedy with D = 1: the loop function never runs, no projection */
    p = prob("rnn:b1:i2:h3:e1:d1:greedy:v5");
    CHECK_NEAR(ts_flops_total(&p), 60.0, 0);
    /* D = 0: the encoder alone */
    p = prob("lstm:b2:i8:h8:e3:d0");
    CHECK_NEAR(ts_flops_total(&p), 3 * 2.0 * 2 * 16 * 4 * 8, 0);
    /* L = 3, P = 2 (Hout = 2), peepholes: multiply-adds per batch row and step are
     * layer 0 (3+2)*4*4 + 4*2 = 88, layers 1, 2 (2+2)*4*4 + 4*2 = 72 each: 232 */
    p = prob("lstm:b2:i3:h4:e5:d6:l3:peep:proj2");
    CHECK_NEAR(ts_flops_per_step(&p), 2.0 * 2 * 232, 0);
    CHECK_NEAR(ts_flops_total(&p), 11 * 928.0, 0);
    CHECK_NEAR(ts_weight_bytes(&p), 4.0 * (232 + 3 * 3 * 4), 0);  /* + 3 peephole vectors per layer */
    CHECK_NEAR(ts_recurrent_bytes(&p), 4.0 * 3 * (4 * 4 * 2 + 4 * 2), 0); /* recurrent rows + projection */
    /* greedy over a projected top layer: the logits read Hout = 2 */
    p = prob("lstm:b2:i3:h4:e5:d6:greedy:v10:l2:proj2");
    CHECK_NEAR(ts_flops_total(&p), 11 * 2.0 * 2 * (88 + 72) + 5 * (2.0 * 2 * 2 * 10), 0);
    /* a stack without extras: L times one layer of width H (inputs H above layer 0) */
    p = prob("gru:b1:i4:h4:e1:d1:l4:res1");
    CHECK_NEAR(ts_flops_per_step(&p), 4 * 2.0 * 8 * 3 * 4, 0);
    CHECK_NEAR(ts_recurrent_bytes(&p), 4 * 4.0 * 3 * 4 * 4, 0);
}

static __attribute__((unused)) ts_peak flat_peak(double gflops, double gbps)
{
    ts_peak pk;
    memset(&pk, 0, sizeof pk);
    pk.threads_max = 2;
    for (int t = 1; t <= 2; t++) {
        pk.fma_avx2[t] = pk.fma_avx512[t] = pk.fma_best[t] = gflops;
        for (int l = 0; l < TS_LEVELS; l++)
            pk.bw_gbps[l][t] = gbps;
        pk.barrier_ns[t] = 100;
    }
    pk.level_bytes[TS_LEVEL_L1] = 48 << 10;
    pk.level_bytes[TS_LEVEL_L2] = 2 << 20;
    pk.level_bytes[TS_LEVEL_L3] = 32 << 20;
    return pk;
}

static void test_metrics(void)
{
    ts_problem p = prob("lstm:b16:i512:h512:e25:d25:teacher:t2");
    ts_point pt;
    ts_point_init(&pt, ts_variant_find("naive"), &p);
    CHECK(isnan(pt.median_s) && pt.status == TS_PT_TODO);
    pt.status = TS_PT_OK;
    pt.rounds = 12, pt.iters = 3;
    pt.median_s = 0.1, pt.min_s = 0.08, pt.mean_s = 0.11, pt.cv = 0.02;
    pt.ci_lo_s = 0.09, pt.ci_hi_s = 0.105;
    pt.cal = 10, pt.cal_lo = 9.5, pt.cal_hi = 10.5, pt.peak_frac = 0.335544, pt.bw_frac = 0.041943;
    pt.probe_gflops = 100, pt.probe_gbps = 50, pt.probe_spread = 0.03, pt.bw_level = TS_LEVEL_L3;
    pt.max_abs = 7e-7, pt.tol = 1.53e-5;
    ts_metrics m;
    ts_point_metrics(&pt, &m);
    CHECK_NEAR(m.gflops_median, 33.554432, 1e-12);
    CHECK_NEAR(m.gflops_best, 41.94304, 1e-12);
    CHECK_NEAR(m.us_per_step, 2000.0, 1e-9);
    CHECK_NEAR(m.wgbps, 2.097152, 1e-12);        /* 4194304 B per 2 ms step */

    char row[2048];
    CHECK(ts_csv_format_row("r1", "h1", &pt, row, sizeof row) > 0);
    const char *want = "r1,h1,naive,lstm:b16:i512:h512:e25:d25:teacher:t2,lstm,16,512,512,25,25,teacher,0,2,ok,12,3,"
                       "100000,90000,105000,80000,110000,0.02,33.5544,41.943,2000,10,9.5,10.5,0.335544,0.041943,L3,"
                       "100,50,0.03,0,2.09715,7e-07,1.53e-05,f32,,,,,,,\"\"\n";
    CHECK_MSG(!strcmp(row, want), "\n got %s want %s", row, want);

    /* a bf16 variant: its precision, half the recurrent bytes per step (bf16
     * gate matrices), and its drift columns */
    const ts_variant *bv = ts_variant_find("avx2-bf16");
    if (bv) {
        ts_point pb = pt;
        pb.var = bv;
        pb.drift = (ts_drift){.valid = true, .out_max = 1e-3, .out_rms = 2e-4, .state_max = 3e-3,
                              .state_rms = 4e-4, .sym_agree = NAN, .first_div = -1};
        ts_point_metrics(&pb, &m);
        CHECK_NEAR(m.wgbps, 2.097152 / 2, 1e-12);
        CHECK_NEAR(ts_recurrent_bytes_prec(&p, TS_PREC_BF16), 4194304.0 / 2, 0);
        CHECK_NEAR(ts_weight_bytes_prec(&p, TS_PREC_BF16), 8388608.0 / 2, 0);
        CHECK(ts_csv_format_row("r1", "h1", &pb, row, sizeof row) > 0);
        CHECK_MSG(strstr(row, ",1.04858,7e-07,1.53e-05,bf16,0.001,0.0002,0.003,0.0004,,,\"\"\n") != NULL, "%s", row);
    }

    /* a failed point: never timed, the verification numbers and the reason */
    pt.status = TS_PT_FAIL;
    pt.max_abs = 0.5;
    snprintf(pt.label, sizeof pt.label, "error 0.5 at \"out[0][1][2]\"");
    CHECK(ts_csv_format_row("r1", "h1", &pt, row, sizeof row) > 0);
    want = "r1,h1,naive,lstm:b16:i512:h512:e25:d25:teacher:t2,lstm,16,512,512,25,25,teacher,0,2,fail,,,,,,,,,,,,,,,,,,,,,,"
           ",0.5,1.53e-05,f32,,,,,,,\"error 0.5 at \"\"out[0][1][2]\"\"\"\n";
    CHECK_MSG(!strcmp(row, want), "\n got %s want %s", row, want);
    /* every row has the header's columns */
    int commas = 0, quoted = 0, header_commas = 0;
    for (const char *c = row; *c; c++)
        quoted ^= *c == '"', commas += *c == ',' && !quoted;
    for (const char *c = TS_CSV_HEADER; *c; c++)
        header_commas += *c == ',';
    CHECK_MSG(commas == header_commas, "%d commas, header %d", commas, header_commas);
    CHECK(ts_csv_format_row("r1", "h1", &pt, row, 40) < 0); /* too small: refused */
}

static void test_lists(void)
{
    int64_t v[64];
    size_t n;
    ts_err e;
    CHECK(ts_parse_int_list("--hidden", "128:1024:x2", v, 64, &n, &e) == 0);
    CHECK(n == 4 && v[0] == 128 && v[3] == 1024);
    CHECK(ts_parse_int_list("--batch", "1:3,8,2", v, 64, &n, &e) == 0);
    CHECK(n == 4 && v[0] == 1 && v[2] == 3 && v[3] == 8); /* 2 listed twice is one value */
    CHECK(ts_parse_int_list("--enc", "10:70:+20", v, 64, &n, &e) == 0);
    CHECK(n == 4 && v[3] == 70);
    CHECK(ts_parse_int_list("--threads", "1:nproc", v, 64, &n, &e) == 0 && n >= 1 && v[0] == 1);
    CHECK_ERR(ts_parse_int_list("--batch", "", v, 64, &n, &e), e, "empty list");
    CHECK_ERR(ts_parse_int_list("--batch", "1,,2", v, 64, &n, &e), e, "empty item");
    CHECK_ERR(ts_parse_int_list("--batch", "4,", v, 64, &n, &e), e, "empty item");
    CHECK_ERR(ts_parse_int_list("--batch", "8:2", v, 64, &n, &e), e, "lo > hi");
    CHECK_ERR(ts_parse_int_list("--batch", "0:8:x2", v, 64, &n, &e), e, "xK");
    CHECK_ERR(ts_parse_int_list("--batch", "1:8:x1", v, 64, &n, &e), e, "xK");
    CHECK_ERR(ts_parse_int_list("--batch", "1:8:2", v, 64, &n, &e), e, "xK");
    CHECK_ERR(ts_parse_int_list("--batch", "1:2:3:4", v, 64, &n, &e), e, "range");
    CHECK_ERR(ts_parse_int_list("--batch", "-3", v, 64, &n, &e), e, "'-3'");
    CHECK_ERR(ts_parse_int_list("--batch", "b", v, 64, &n, &e), e, "'b'");
    CHECK_ERR(ts_parse_int_list("--batch", "1:100", v, 64, &n, &e), e, "more than 64");
    /* a geometric range near the top of the range stops at hi, no int64 overflow */
    CHECK(ts_parse_int_list("--batch", "1099511627775:1099511627776:x1099511627776", v, 64, &n, &e) == 0);
    CHECK(n == 1 && v[0] == 1099511627775);
    CHECK(ts_parse_int_list("--batch", "1:1099511627776:x1048576", v, 64, &n, &e) == 0);
    CHECK(n == 3 && v[2] == 1099511627776);
}

static void test_plan(void)
{
    ts_problem_list l = {0};
    ts_err e;
    CHECK(ts_plist_parse(&l, "lstm:b2:i4:h4:e2:d2:t1,rnn:b1:i3:h3:e1:d1,lstm:b2:i4:h4:e2:d2:t2", &e) == 0);
    const ts_variant *vars[2] = {ts_variant_find("naive"), ts_variant_find("naive")};
    ts_plan_pts pl = {0};
    CHECK(ts_plan_build(&pl, &l, NULL, 0, vars, 2, &e) == 0);
    CHECK(pl.n == 3);          /* the variant listed twice is one */
    CHECK(pl.nchunks == 2);    /* the lstm shape at t1 and t2 is one chunk */
    CHECK(!strcmp(pl.pts[1].desc, "lstm:b2:i4:h4:e2:d2:teacher:t2"));
    char name[160];
    ts_plan_chunk_name(&pl, 0, name, sizeof name);
    CHECK_MSG(!strcmp(name, "lstm-b2-i4-h4-e2-d2-teacher"), "%s", name);
    ts_plan_free(&pl);
    int threads[] = {1, 2, 4};
    CHECK(ts_plan_build(&pl, &l, threads, 3, vars, 1, &e) == 0);
    CHECK(pl.n == 6 && pl.nchunks == 2 && pl.chunk_start[1] == 3);
    ts_plan_free(&pl);
    ts_problem_list g = {0};
    CHECK(ts_plist_parse(&g, "lstm:b1:i2:h2:e1:d1:fb0", &e) == 0);
    CHECK(ts_plan_build(&pl, &g, NULL, 0, vars, 1, &e) == 0);
    ts_plan_chunk_name(&pl, 0, name, sizeof name);
    CHECK_MSG(!strcmp(name, "lstm-b1-i2-h2-e1-d1-teacher-fb0"), "%s", name);
    ts_plan_free(&pl);
    int bad[] = {0};
    CHECK_ERR(ts_plan_build(&pl, &g, bad, 1, vars, 1, &e), e, "'t'");
    ts_plan_free(&pl);
    ts_plist_free(&g);
    ts_plist_free(&l);
}

int main(void)
{
    test_flops_bytes();
    test_metrics();
    test_lists();
    test_plan();
    return ts_test_done("test_accounting");
}
