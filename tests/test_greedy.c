/* Greedy semantics (TF's loop_function): never called at step 0, called D-1
 * times with the previous output, ties pick the smallest index; and the final
 * state equals the last per-step state.  Checked for every available variant. */
#include "harness/check/reference.h"
#include "harness/check/verify.h"
#include "tests/check.h"

#include <stdlib.h>

typedef struct spy {
    int calls;
    int64_t steps[64];
    const float *expect_prev; /* the variant's outputs buffer */
    int prev_mismatch;
    const ts_weights *w;
} spy;

static int spy_loop(void *ctx, const ts_problem *p, int64_t step, const float *prev, float *next,
                    int32_t *symbols)
{
    spy *s = ctx;
    if (s->calls < 64)
        s->steps[s->calls] = step;
    s->calls++;
    const float *want = s->expect_prev + (step - 1) * p->B * p->H;
    for (int64_t k = 0; k < p->B * p->H; k++)
        s->prev_mismatch += prev[k] != want[k];
    return ts_loop_argmax_embed((void *)s->w, p, step, prev, next, symbols);
}

/* Parse desc, fill tensors from seed and allocate outputs with per-step states;
 * false when the variant cannot run the problem here. */
static bool setup(const ts_variant *v, const char *desc, uint64_t seed, ts_problem *p,
                  ts_tensors *t, ts_result *r)
{
    ts_err e;
    char why[256];
    CHECK(ts_problem_parse(desc, p, &e) == 0);
    if (!ts_variant_available(v, p, why, sizeof why))
        return false;
    CHECK(ts_tensors_alloc(t, p, &e) == 0);
    ts_tensors_fill(t, seed);
    CHECK(ts_result_alloc(r, p, true, &e) == 0);
    return true;
}

static void loop_calls(const ts_variant *v)
{
    ts_problem p;
    ts_tensors t;
    ts_result r;
    ts_err e;
    if (!setup(v, "gru:b2:i4:h6:e3:d5:greedy:v7:t1", 7, &p, &t, &r))
        return;
    spy s = {.expect_prev = r.out, .w = &t.w};
    t.in.loop = spy_loop;
    t.in.loop_ctx = &s;
    CHECK_MSG(ts_run_variant(v, &p, &t.w, &t.in, &r.o, &e) == 0, "%s", e.msg);
    CHECK_MSG(s.calls == 4, "%s: %d calls, wanted D-1 = 4", v->name, s.calls);
    for (int k = 0; k < 4 && k < s.calls; k++)
        CHECK_MSG(s.steps[k] == k + 1, "%s: call %d had step %lld", v->name, k, (long long)s.steps[k]);
    CHECK_MSG(s.prev_mismatch == 0, "%s: loop saw something other than out[i-1]", v->name);
    for (int64_t b = 0; b < p.B; b++)
        CHECK(r.symbols[b] == -1); /* step 0 takes the GO input */
    /* final state equals the last per-step state */
    for (int64_t k = 0; k < p.B * p.H; k++)
        CHECK(r.h[k] == r.states_h[(p.D - 1) * p.B * p.H + k]);
    ts_result_free(&r);
    ts_tensors_free(&t);
}

static int failing_loop(void *ctx, const ts_problem *p, int64_t step, const float *prev, float *next,
                        int32_t *symbols)
{
    (void)ctx, (void)p, (void)step, (void)prev, (void)next, (void)symbols;
    return 5;
}

static void loop_error_propagates(const ts_variant *v)
{
    ts_problem p;
    ts_tensors t;
    ts_result r;
    ts_err e;
    if (!setup(v, "rnn:b1:i3:h4:e1:d3:greedy:v5", 3, &p, &t, &r))
        return;
    t.in.loop = failing_loop;
    CHECK_MSG(ts_run_variant(v, &p, &t.w, &t.in, &r.o, &e) != 0, "%s ignored the loop's error", v->name);
    ts_result_free(&r);
    ts_tensors_free(&t);
}

/* With equal projection columns every logit ties: argmax must pick index 0,
 * and with columns 2 and 4 tied at the top it must pick 2. */
static void ties_pick_smallest(void)
{
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("rnn:b1:i2:h3:e1:d2:greedy:v5", &p, &e) == 0);
    float W[3 * 5] = {0}, bias[5] = {0}, emb[5 * 2];
    for (int k = 0; k < 10; k++)
        emb[k] = (float)k;
    ts_weights w = {.proj_w = W, .proj_b = bias, .embedding = emb};
    float prev[3] = {0.1f, 0.2f, 0.3f}, next[2];
    int32_t sym = -7;
    ts_loop_argmax_embed(&w, &p, 1, prev, next, &sym);
    CHECK(sym == 0 && next[0] == 0.0f && next[1] == 1.0f);
    bias[2] = bias[4] = 0.5f;
    ts_loop_argmax_embed(&w, &p, 1, prev, next, &sym);
    CHECK(sym == 2 && next[0] == 4.0f && next[1] == 5.0f);
}

int main(void)
{
    ties_pick_smallest();
    for (size_t k = 0; k < ts_variant_count; k++) {
        loop_calls(ts_variants[k]);
        loop_error_propagates(ts_variants[k]);
    }
    return ts_test_done("test_greedy");
}
