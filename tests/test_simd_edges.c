/* Every registered variant at register-tile edges (issue #4): H = tile-1, tile,
 * tile+1, 2*tile+3 for tiles of 4, 8 and 16 units (plus 63/65 for the 64-unit RNN
 * and GRU-candidate panels; blocked's 4-lane panels hold 4, 8 and 16 units), B in {1, 2, 5} (row tiles of 6 and 3 and their
 * tails), I != H, every cell, both feeds, threads 1 and 2.  A variant must PASS
 * (or be MARGINAL/MISTRUSTED) wherever ts_variant_available says it runs, and be
 * SKIPPED exactly where it says it does not. */
#include "harness/check/verify.h"
#include "tests/check.h"

#include <stdio.h>

static int checked, skipped;

static void check_problem(const char *desc, uint64_t seed)
{
    ts_problem p;
    ts_err e;
    CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s: %s", desc, e.msg);
    for (size_t k = 0; k < ts_variant_count; k++) {
        const ts_variant *v = ts_variants[k];
        char why[256];
        bool avail = ts_variant_available(v, &p, why, sizeof why);
        ts_verdict vd;
        ts_verify_variant(v, &p, seed, &vd);
        if (!avail) {
            CHECK_MSG(vd.status == TS_SKIPPED, "%s %s: unavailable (%s) but %s", v->name, desc, why,
                      ts_status_name(vd.status));
            skipped++;
            continue;
        }
        CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL || vd.status == TS_MISTRUSTED,
                  "%s %s: %s %s (reproduce: tiedseq verify --variant %s --problem %s --seed %llu)", v->name,
                  desc, ts_status_name(vd.status), vd.reason, v->name, desc, (unsigned long long)seed);
        checked++;
    }
}

int main(void)
{
    static const char *const cells[] = {"rnn", "gru", "lstm"};
    static const int Hs[] = {3, 5, 7, 8, 9, 19, 15, 16, 17, 35, 63, 65};
    static const int Bs[] = {1, 2, 5};
    const int nH = (int)(sizeof Hs / sizeof Hs[0]);
    int n = 0;
    for (int h = 0; h < nH; h++)
        for (int c = 0; c < 3; c++)
            for (int b = 0; b < 3; b++) {
                /* feed and threads alternate so that, across the H values, every
                 * (cell, B, feed, threads) combination occurs while the
                 * grid stays small (oneDNN's JIT makes each problem ~0.1 s) */
                int feed = (h + b + c) % 2, threads = 1 + (h / 2 + b) % 2;
                char desc[128];
                /* I != H: odd, not a multiple of a vector */
                snprintf(desc, sizeof desc, "%s:b%d:i%d:h%d:e3:d4:%s:t%d", cells[c], Bs[b], Hs[h] + 6, Hs[h],
                         feed ? "greedy:v7" : "teacher", threads);
                check_problem(desc, 7000 + (uint64_t)n++);
            }
    /* sequence-shape edges: no decoder, one step each, long run, fb, more threads than panels */
    static const char *const extra[] = {
        "lstm:b5:i9:h17:e5:d0:teacher:t2",    "gru:b2:i3:h33:e1:d1:greedy:v5:t2",
        "rnn:b7:i40:h24:e1:d0:teacher:t1",    "lstm:b13:i20:h40:e30:d30:teacher:t2:fb0.5",
        "gru:b6:i1:h1:e2:d3:teacher:t2",      "lstm:b1:i1:h1:e2:d3:greedy:v2:t2",
        "rnn:b12:i70:h130:e4:d4:greedy:v9:t2", "lstm:b7:i200:h48:e6:d5:teacher:t3",
        /* batch x state wide enough that the 4 MiB hoisting budget splits the
         * encoder into two chunks (avx512 and avx2 alike) */
        "lstm:b64:i10:h100:e40:d4:teacher:t2", "gru:b64:i10:h100:e50:d3:greedy:v5:t1",
        /* forget_bias 0; 3 threads over 1 granule (two threads own nothing) */
        "lstm:b2:i3:h12:e5:d0:teacher:t3:fb0",
    };
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        check_problem(extra[k], 9000 + k);
    printf("%d problems, %d verdicts checked, %d skipped\n", n + (int)(sizeof extra / sizeof extra[0]),
           checked, skipped);
    return ts_test_done("test_simd_edges");
}
