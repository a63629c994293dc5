/* The greedy projection of the SIMD variants (unroll.c: greedy_project, split
 * over threads): every available variant verifies on greedy shapes with odd V,
 * B and H at 1 and 2 threads, and with duplicated projection columns (exact
 * logit ties) the chosen symbol is the smallest index, as ts_loop_argmax_embed. */
#include "harness/check/verify.h"
#include "tests/check.h"

#include <stdio.h>
#include <string.h>

static void grid(const ts_variant *v)
{
    static const char *cells[] = {"rnn", "gru", "lstm"};
    static const int Vs[] = {1, 2, 15, 17, 1001}, Bs[] = {1, 3, 7}, Hs[] = {1, 9, 37, 130};
    for (int c = 0; c < 3; c++)
        for (int iv = 0; iv < 5; iv++)
            for (int ib = 0; ib < 3; ib++)
                for (int ih = 0; ih < 4; ih++)
                    for (int t = 1; t <= 2; t++) {
                        char desc[128];
                        ts_problem p;
                        ts_err e;
                        snprintf(desc, sizeof desc, "%s:b%d:i5:h%d:e3:d6:greedy:v%d:t%d", cells[c], Bs[ib],
                                 Hs[ih], Vs[iv], t);
                        CHECK(ts_problem_parse(desc, &p, &e) == 0);
                        char why[256];
                        if (!ts_variant_available(v, &p, why, sizeof why))
                            continue;
                        ts_verdict vd;
                        ts_verify_variant(v, &p, 11 + (uint64_t)c, &vd);
                        CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL, "%s %s: %s %s", v->name,
                                  desc, ts_status_name(vd.status), vd.reason);
                    }
}

/* Columns of W and b: dup(j) is the column j copies (j itself if none). */
static void duplicate_columns(ts_tensors *t, int64_t (*dup)(int64_t j, int64_t V))
{
    const ts_problem *p = &t->p;
    for (int64_t j = 0; j < p->V; j++) {
        int64_t s = dup(j, p->V);
        if (s == j)
            continue;
        for (int64_t k = 0; k < p->H; k++)
            t->w.proj_w[k * p->V + j] = t->w.proj_w[k * p->V + s];
        t->w.proj_b[j] = t->w.proj_b[s];
    }
}

static int64_t dup_all(int64_t j, int64_t V) { (void)j, (void)V; return 0; }
static int64_t dup_half(int64_t j, int64_t V) { return j < V / 2 ? j : j - V / 2; }
static int64_t dup_mod7(int64_t j, int64_t V) { (void)V; return j % 7; }

/* Runs v with the built-in loop; each symbol of step i >= 1 must equal
 * ts_loop_argmax_embed's on out_{i-1}, be below `below`, and (all) be 0. */
static void ties(const ts_variant *v, const char *desc, int64_t (*dup)(int64_t, int64_t), int64_t below)
{
    ts_problem p;
    ts_tensors t;
    ts_result r;
    ts_err e;
    char why[256];
    CHECK(ts_problem_parse(desc, &p, &e) == 0);
    if (!ts_variant_available(v, &p, why, sizeof why))
        return;
    CHECK(ts_tensors_alloc(&t, &p, &e) == 0);
    ts_tensors_fill(&t, 5);
    duplicate_columns(&t, dup);
    CHECK(ts_result_alloc(&r, &p, false, &e) == 0);
    CHECK_MSG(ts_run_variant(v, &p, &t.w, &t.in, &r.o, &e) == 0, "%s: %s", v->name, e.msg);
    float next[64];
    int32_t want[16];
    CHECK(p.I <= 8 && p.B <= 8);
    for (int64_t i = 1; i < p.D; i++) {
        ts_loop_argmax_embed(&t.w, &p, i, r.out + (i - 1) * p.B * p.H, next, want);
        for (int64_t b = 0; b < p.B; b++) {
            int32_t got = r.symbols[i * p.B + b];
            CHECK_MSG(got == want[b] && got < below, "%s %s: step %lld row %lld chose %d, wanted %d (< %lld)",
                      v->name, desc, (long long)i, (long long)b, got, want[b], (long long)below);
        }
    }
    ts_result_free(&r);
    ts_tensors_free(&t);
}

int main(void)
{
    for (size_t k = 0; k < ts_variant_count; k++) {
        const ts_variant *v = ts_variants[k];
        grid(v);
        for (int th = 1; th <= 3; th++) {
            char d[128];
            snprintf(d, sizeof d, "rnn:b3:i4:h9:e2:d5:greedy:v150:t%d", th);
            ties(v, d, dup_all, 1);
            ties(v, d, dup_half, 75);
            ties(v, d, dup_mod7, 7);
            snprintf(d, sizeof d, "lstm:b7:i8:h37:e2:d5:greedy:v1001:t%d", th);
            ties(v, d, dup_all, 1);
            ties(v, d, dup_half, 500);
            ties(v, d, dup_mod7, 7);
        }
    }
    return ts_test_done("test_greedy_fast");
}
