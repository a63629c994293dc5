/* onednn and onednn-ldigo against the reference over a grid (issue #5): every
 * cell and feed, B 1/3, H 9/37 with I != H, D 0/1/7, forget_bias 0/1, threads
 * 1/2; each problem twice: with per-step states (verify's way: LSTM teacher
 * forcing then runs step by step for c) and without (one decoder execution).
 * Issue #13: MultiRNNCell layers (one oneDNN stack when I == Hout, two when
 * not), LSTMCell peepholes and projection, greedy over layers, the same two ways.
 * Also: the caller's omp_get_max_threads() is unchanged, the problem's thread
 * count is what oneDNN runs under, detail names impl and weight format, and
 * supports refuses what oneDNN 2.6 cannot index or has no counterpart for
 * (cell_clip, proj_clip, residual layers), with the reason. */
#include "harness/check/reference.h"
#include "harness/check/verify.h"
#include "tests/check.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TS_HAVE_ONEDNN

#define CALLER_THREADS 3 /* neither 1 nor 2: a leak of the problem's count shows */

typedef struct spy {
    const ts_weights *w;
    int seen_threads; /* omp_get_max_threads() inside run, between decoder steps */
} spy;

/* The built-in greedy loop, recording the thread count run executes under. */
static int spy_loop(void *ctx, const ts_problem *p, int64_t step, const float *prev, float *next,
                    int32_t *symbols)
{
    spy *s = ctx;
    s->seen_threads = omp_get_max_threads();
    return ts_loop_argmax_embed((void *)s->w, p, step, prev, next, symbols);
}

/* Reference vs variant without per-step states; checks the thread ICVs, and
 * that detail contains `want` (if given). */
static void check_no_states_detail(const ts_variant *v, const ts_problem *p, uint64_t seed, const char *desc,
                                   const char *want)
{
    ts_tensors t;
    ts_result ref, got;
    ts_err e = {{0}};
    CHECK_MSG(ts_tensors_alloc(&t, p, &e) == 0, "%s", e.msg);
    ts_tensors_fill(&t, seed);
    double *margins = calloc((size_t)(p->D * p->B) + 1, sizeof *margins);
    CHECK(margins != NULL);
    CHECK_MSG(ts_result_alloc(&ref, p, false, &e) == 0 && ts_result_alloc(&got, p, false, &e) == 0, "%s", e.msg);
    spy s = {.w = &t.w, .seen_threads = -1};
    ts_inputs in = t.in; /* the variant's loop: the built-in, observed (the reference keeps its own) */
    if (p->feed == TS_FEED_GREEDY)
        in.loop = spy_loop, in.loop_ctx = &s;
    CHECK_MSG(ts_reference_run(p, &t.w, &t.in, &ref.o, margins, &e) == 0, "%s", e.msg);

    omp_set_num_threads(CALLER_THREADS);
    ts_plan *plan = NULL;
    int rc = ts_variant_prepare(v, p, &t.w, &plan, &e);
    CHECK_MSG(rc == 0, "%s %s: prepare: %s", v->name, desc, e.msg);
    CHECK_MSG(omp_get_max_threads() == CALLER_THREADS, "%s %s: prepare leaked threads %d", v->name, desc,
              omp_get_max_threads());
    if (rc == 0) {
        const char *d = v->detail ? v->detail(plan) : NULL;
        CHECK_MSG(d && strstr(d, "weights "), "%s %s: detail '%s'", v->name, desc, d ? d : "(null)");
        if (d && !strcmp(v->name, "onednn-ldigo"))
            CHECK_MSG(strstr(d, "ldigo/ldigo") != NULL, "%s: detail '%s'", desc, d);
        if (d && want)
            CHECK_MSG(strstr(d, want) != NULL, "%s %s: detail '%s' lacks '%s'", v->name, desc, d, want);
        s.seen_threads = -1;
        CHECK_MSG(v->run(plan, &in, &got.o) == 0, "%s %s: run failed", v->name, desc);
        CHECK_MSG(omp_get_max_threads() == CALLER_THREADS, "%s %s: run leaked threads %d", v->name, desc,
                  omp_get_max_threads());
        if (p->feed == TS_FEED_GREEDY && p->D > 1)
            CHECK_MSG(s.seen_threads == p->threads, "%s %s: ran under %d threads", v->name, desc, s.seen_threads);
        v->release(plan);
        ts_verdict vd;
        ts_compare(p, &got.o, &ref.o, margins, ts_tolerance(p), ts_tie_tolerance(p, &t.w, ts_tolerance(p)), &vd);
        CHECK_MSG(vd.status == TS_PASS, "%s %s (no states): %s %s", v->name, desc, ts_status_name(vd.status),
                  vd.reason);
    }
    omp_set_num_threads(1);
    ts_result_free(&got);
    ts_result_free(&ref);
    free(margins);
    ts_tensors_free(&t);
}

static void check_no_states(const ts_variant *v, const ts_problem *p, uint64_t seed, const char *desc)
{
    check_no_states_detail(v, p, seed, desc, NULL);
}

static int grid(const ts_variant *v)
{
    static const char *const cells[] = {"rnn", "gru", "lstm"};
    static const int Bs[] = {1, 3}, Hs[] = {9, 37}, Ds[] = {0, 1, 7};
    int n = 0;
    for (int c = 0; c < 3; c++)
        for (int feed = 0; feed < 2; feed++)
            for (int b = 0; b < 2; b++)
                for (int h = 0; h < 2; h++)
                    for (int d = 0; d < 3; d++)
                        for (int fb = 0; fb < (c == 2 ? 2 : 1); fb++)
                            for (int t = 1; t <= 2; t++) {
                                char desc[128];
                                int H = Hs[h], I = H == 9 ? 16 : 5, E = Ds[d] == 7 ? 3 : 7;
                                snprintf(desc, sizeof desc, "%s:b%d:i%d:h%d:e%d:d%d:%s%s:t%d%s", cells[c], Bs[b], I,
                                         H, E, Ds[d], feed ? "greedy" : "teacher", feed ? ":v11" : "", t,
                                         fb ? ":fb0" : "");
                                ts_problem p;
                                ts_err e;
                                CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s", e.msg);
                                ts_verdict vd;
                                ts_verify_variant(v, &p, 500 + (uint64_t)n, &vd);
                                CHECK_MSG(vd.status == TS_PASS, "%s %s: %s %s", v->name, desc,
                                          ts_status_name(vd.status), vd.reason);
                                check_no_states(v, &p, 900 + (uint64_t)n, desc);
                                n++;
                            }
    return n;
}

/* Larger shapes where oneDNN picks other formats on some CPUs (e.g. GRU's
 * weights_iter rnn_packed, shared by the E-, D- and 1-step primitives). */
static void larger(const ts_variant *v)
{
    static const char *const descs[] = {"gru:b16:i200:h300:e7:d3:teacher:t2", "gru:b16:i200:h300:e3:d5:greedy:v20:t2",
                                        "lstm:b16:i100:h128:e5:d4:teacher:t2:fb0", "rnn:b8:i300:h200:e4:d6:teacher:t1"};
    for (size_t k = 0; k < sizeof descs / sizeof descs[0]; k++) {
        ts_problem p;
        ts_err e;
        CHECK_MSG(ts_problem_parse(descs[k], &p, &e) == 0, "%s", e.msg);
        ts_verdict vd;
        ts_verify_variant(v, &p, 77 + k, &vd);
        CHECK_MSG(vd.status == TS_PASS, "%s %s: %s %s", v->name, descs[k], ts_status_name(vd.status), vd.reason);
        check_no_states(v, &p, 99 + k, descs[k]);
    }
}

/* Issue #13's fields oneDNN maps: each verified (per-step states) and run once
 * more without states (one D-step execution per stack where possible).  `want`:
 * what detail must say (the two-stack split, the projection's weight format). */
static void layers_and_lstmcell(const ts_variant *v)
{
    static const struct { const char *desc, *want; } cases[] = {
        {"lstm:b3:i16:h16:e5:d4:teacher:t2:l2", "weights "},           /* I == H: one 2-layer primitive */
        {"lstm:b3:i5:h9:e5:d4:teacher:t2:l2", "layers 1+1"},           /* I != H: layer 0, then layer 1 */
        {"rnn:b2:i7:h9:e4:d3:teacher:t1:l3", "layers 1+2"},
        {"gru:b2:i9:h9:e4:d3:teacher:t2:l3", "weights "},
        {"lstm:b3:i5:h9:e5:d4:teacher:t2:peep", "weights "},
        {"lstm:b3:i5:h12:e5:d4:teacher:t2:proj7", ", proj "},
        {"lstm:b2:i5:h8:e3:d4:teacher:t1:proj12", ", proj "},          /* P > H, as TF allows */
        {"lstm:b3:i7:h12:e5:d4:teacher:t2:l3:peep:proj7", ", proj "},  /* I == P: one stack */
        {"lstm:b3:i5:h12:e5:d4:teacher:t2:l3:peep:proj7", "layers 1+2"},
        {"lstm:b4:i64:h128:e6:d0:teacher:t2:l3:peep:proj64", ", proj "}, /* D = 0: every layer's encoder state */
        {"lstm:b2:i8:h8:e3:d5:greedy:v13:t2:l2", "weights "},          /* greedy: all layers per step */
        {"gru:b2:i5:h9:e3:d4:greedy:v11:t1:l2", "layers 1+1"},
        {"lstm:b2:i6:h8:e3:d5:greedy:v13:t2:l2:peep:proj6", ", proj "},
        {"lstm:b16:i128:h256:e3:d2:teacher:t2:l3:peep:proj128", ", proj "}, /* rnn_packed iter weights here */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ts_problem p;
        ts_err e;
        CHECK_MSG(ts_problem_parse(cases[k].desc, &p, &e) == 0, "%s", e.msg);
        ts_verdict vd;
        ts_verify_variant(v, &p, 1300 + k, &vd);
        CHECK_MSG(vd.status == TS_PASS, "%s %s: %s %s", v->name, cases[k].desc, ts_status_name(vd.status),
                  vd.reason);
        check_no_states_detail(v, &p, 1400 + k, cases[k].desc, cases[k].want);
    }
}

/* What oneDNN 2.6 has no counterpart for: refused by supports with the reason,
 * which verify reports as SKIPPED (never a wrong answer). */
static void check_unmapped(const ts_variant *v)
{
    static const struct { const char *desc, *reason; } cases[] = {
        {"lstm:b2:i4:h8:e3:d3:teacher:t1:clip0.5", "cell_clip (clip): oneDNN"},
        {"lstm:b2:i4:h8:e3:d3:teacher:t1:l2:peep:clip3", "cell_clip (clip): oneDNN"},
        {"lstm:b2:i4:h8:e3:d3:teacher:t1:proj4:pclip0.5", "proj_clip (pclip): oneDNN"},
        {"lstm:b2:i8:h8:e3:d3:teacher:t1:l3:res2", "residual layers (res): oneDNN"},
        {"gru:b2:i8:h8:e3:d3:greedy:v5:t1:l2:res1", "residual layers (res): oneDNN"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ts_problem p;
        ts_err e;
        CHECK_MSG(ts_problem_parse(cases[k].desc, &p, &e) == 0, "%s", e.msg);
        char why[256] = "";
        CHECK_MSG(!ts_variant_available(v, &p, why, sizeof why) && strstr(why, cases[k].reason), "%s %s: '%s'",
                  v->name, cases[k].desc, why);
        ts_verdict vd;
        ts_verify_variant(v, &p, 7, &vd);
        CHECK_MSG(vd.status == TS_SKIPPED && strstr(vd.reason, cases[k].reason), "%s %s: %s '%s'", v->name,
                  cases[k].desc, ts_status_name(vd.status), vd.reason);
    }
}

/* A problem whose buffers oneDNN 2.6 cannot index with int: refused, with a reason. */
static void check_refusal(const ts_variant *v)
{
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b65536:i1024:h1024:e64:d64:teacher:t1", &p, &e) == 0);
    char why[256] = "";
    CHECK_MSG(!ts_variant_available(v, &p, why, sizeof why) && strstr(why, "32-bit"), "%s: '%s'", v->name, why);
    CHECK(ts_problem_parse("lstm:b16:i512:h512:e25:d25:teacher:t2", &p, &e) == 0);
    CHECK(ts_variant_available(v, &p, why, sizeof why));
    /* the states workspace grows with the layers: fits at L = 1, not at L = 3 */
    CHECK(ts_problem_parse("lstm:b1024:i1024:h1024:e127:d127:teacher:t1", &p, &e) == 0);
    CHECK_MSG(ts_variant_available(v, &p, why, sizeof why), "%s: '%s'", v->name, why);
    CHECK(ts_problem_parse("lstm:b1024:i1024:h1024:e127:d127:teacher:t1:l3", &p, &e) == 0);
    CHECK_MSG(!ts_variant_available(v, &p, why, sizeof why) && strstr(why, "32-bit"), "%s: '%s'", v->name, why);
}

int main(void)
{
    static const char *const names[] = {"onednn", "onednn-ldigo"};
    for (int k = 0; k < 2; k++) {
        const ts_variant *v = ts_variant_find(names[k]);
        CHECK_MSG(v != NULL, "variant %s not registered", names[k]);
        if (!v)
            continue;
        check_refusal(v);
        check_unmapped(v);
        layers_and_lstmcell(v);
        larger(v);
        printf("%s: %d problems\n", names[k], grid(v));
    }
    return ts_test_done("test_onednn");
}

#else

int main(void)
{
    printf("test_onednn: SKIPPED (built without oneDNN: apt-get install libdnnl-dev ocl-icd-opencl-dev)\n");
    return 0;
}

#endif
