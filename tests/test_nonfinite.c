/* NaN and +-inf as TensorFlow propagates them (docs/correctness.md, "NaN and
 * infinity"), for every registered variant and the reference, on every cell at
 * 1 and 2 threads, with odd B, H and V so tiles and logit panels have tails:
 *   - the reference itself does what TF does (each scenario's expectation);
 *   - every variant matches it (ts_compare: NaN only where the reference has NaN);
 *   - greedy symbols are always in [0, V) (the ASan build catches the read past
 *     the embedding that a symbol >= V caused, issue 12).
 * And ts_compare's rule for non-finite values, on hand-set results.
 * The scenarios: NaN in the kernel (an input row; a recurrent row, which meets
 * the zero initial state), in one row's encoder input, in the whole
 * projection and in some of its columns; logits that are all NaN or -inf; an
 * infinite input that saturates one row's gates and one that meets a zero
 * weight (inf*0 = NaN) in another row. */
#include "harness/check/reference.h"
#include "harness/check/verify.h"
#include "tests/check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scenario {
    const char *name;
    const char *shape; /* descriptor after "<cell>:", before ":t<threads>" */
    void (*poison)(ts_tensors *t);
    /* checks the reference's result against TF's semantics */
    void (*expect)(const char *what, const ts_problem *p, const ts_result *ref);
} scenario;

/* columns of ts_weights.kernel: G*H (GRU: the r|u gates kernel) */
static int64_t kernel_cols(const ts_problem *p)
{
    return (p->cell == TS_CELL_LSTM ? 4 : p->cell == TS_CELL_GRU ? 2 : 1) * p->H;
}

/* NaNs among the decoder outputs of batch row b */
static int64_t row_nans(const ts_problem *p, const ts_result *r, int64_t b)
{
    int64_t n = 0;
    for (int64_t i = 0; i < p->D; i++)
        for (int64_t k = 0; k < p->H; k++)
            n += isnan(r->out[(i * p->B + b) * p->H + k]);
    return n;
}

/* greedy symbols of row b at steps >= 1 all equal to want (want < 0: just in [0, V)) */
static void expect_symbols(const char *what, const ts_problem *p, const ts_result *r, int64_t b, int want)
{
    for (int64_t i = 1; i < p->D; i++) {
        int32_t s = r->symbols[i * p->B + b];
        CHECK_MSG(s >= 0 && s < p->V && (want < 0 || s == want), "%s: step %lld row %lld symbol %d (want %d, V %lld)",
                  what, (long long)i, (long long)b, s, want, (long long)p->V);
    }
}

static void expect_all_nan(const char *what, const ts_problem *p, const ts_result *r)
{
    for (int64_t b = 0; b < p->B; b++)
        CHECK_MSG(row_nans(p, r, b) == p->D * p->H, "%s: row %lld has %lld of %lld outputs NaN", what,
                  (long long)b, (long long)row_nans(p, r, b), (long long)(p->D * p->H));
}

/* ---- NaN in the kernel: TF's outputs are all NaN (0 * NaN is NaN at step 1) ---- */
static void nan_kernel(ts_tensors *t)
{
    t->w.cell[0].kernel[t->p.H + 2] = NAN; /* one weight of an input row: one unit of one gate */
}

/* ---- NaN in a recurrent row of the kernel: TF multiplies it by the zero
 * initial state, and 0 * NaN is NaN, so every output is NaN ---- */
static void nan_recurrent(ts_tensors *t)
{
    t->w.cell[0].kernel[(t->p.I + t->p.H - 1) * kernel_cols(&t->p) + 1] = NAN;
}

/* ---- NaN in one encoder input of row 0: that row is NaN, the others are not;
 * row 0's logits are all NaN, so TF's argmax gives symbol 0 ---- */
static void nan_enc_row0(ts_tensors *t) { t->enc[0] = NAN; }

static void expect_row0_nan(const char *what, const ts_problem *p, const ts_result *r)
{
    CHECK_MSG(row_nans(p, r, 0) == p->D * p->H, "%s: row 0 not all NaN", what);
    for (int64_t b = 1; b < p->B; b++)
        CHECK_MSG(row_nans(p, r, b) == 0, "%s: NaN leaked into row %lld", what, (long long)b);
    if (p->feed == TS_FEED_GREEDY) {
        expect_symbols(what, p, r, 0, 0);
        for (int64_t b = 1; b < p->B; b++)
            expect_symbols(what, p, r, b, -1);
    }
}

/* ---- the whole projection NaN (issue 12's reproducer): every symbol 0, outputs finite ---- */
static void nan_proj(ts_tensors *t)
{
    for (int64_t k = 0; k < t->p.H * t->p.V; k++)
        t->w.proj_w[k] = NAN;
}

/* ---- no logit above -FLT_MAX: NaN and -inf alternate in the bias; symbol 0 ---- */
static void nonwinning_logits(ts_tensors *t)
{
    for (int64_t v = 0; v < t->p.V; v++)
        t->w.proj_b[v] = v % 2 ? -INFINITY : NAN;
}

static void expect_symbol0(const char *what, const ts_problem *p, const ts_result *r)
{
    for (int64_t b = 0; b < p->B; b++) {
        CHECK_MSG(row_nans(p, r, b) == 0, "%s: NaN in row %lld", what, (long long)b);
        expect_symbols(what, p, r, b, 0);
    }
}

/* ---- NaN in columns 0 and V-1, -inf in column V/2: never chosen ---- */
static void nan_columns(ts_tensors *t)
{
    const int64_t V = t->p.V;
    t->w.proj_b[0] = NAN;
    t->w.proj_b[V - 1] = NAN;
    t->w.proj_b[V / 2] = -INFINITY;
}

static void expect_columns_skipped(const char *what, const ts_problem *p, const ts_result *r)
{
    for (int64_t b = 0; b < p->B; b++) {
        CHECK_MSG(row_nans(p, r, b) == 0, "%s: NaN in row %lld", what, (long long)b);
        expect_symbols(what, p, r, b, -1);
        for (int64_t i = 1; i < p->D; i++) {
            int32_t s = r->symbols[i * p->B + b];
            CHECK_MSG(s != 0 && s != p->V - 1 && s != p->V / 2, "%s: step %lld row %lld chose NaN/-inf column %d",
                      what, (long long)i, (long long)b, s);
        }
    }
}

/* ---- +inf in row 0's first encoder input: every pre-activation of row 0 is
 * +-inf at step 0, the gates saturate to exactly 0, 1 or +-1 and the state stays
 * finite.  -inf in row 1's second input, whose kernel row holds one 0: inf*0 is
 * NaN in one unit, and row 1 is NaN from then on.  Row 2 is untouched. ---- */
static void inf_inputs(ts_tensors *t)
{
    const int64_t I = t->p.I;
    t->enc[0 * I + 0] = INFINITY;
    t->enc[1 * I + 1] = -INFINITY;
    t->w.cell[0].kernel[1 * kernel_cols(&t->p) + 0] = 0.0f; /* input 1's weight into column 0 */
}

static void expect_inf_rows(const char *what, const ts_problem *p, const ts_result *r)
{
    CHECK_MSG(row_nans(p, r, 0) == 0, "%s: saturated row 0 has NaN", what);
    CHECK_MSG(row_nans(p, r, 1) == p->D * p->H, "%s: row 1 (inf*0) not all NaN", what);
    CHECK_MSG(row_nans(p, r, 2) == 0, "%s: NaN leaked into row 2", what);
    for (int64_t b = 0; p->feed == TS_FEED_GREEDY && b < p->B; b++)
        expect_symbols(what, p, r, b, b == 1 ? 0 : -1);
}

static const scenario scenarios[] = {
    {"nan_kernel", "b2:i3:h4:e2:d2:teacher", nan_kernel, expect_all_nan}, /* issue 12 */
    {"nan_kernel", "b3:i5:h37:e2:d3:greedy:v37", nan_kernel, expect_all_nan},
    {"nan_recurrent", "b3:i5:h37:e2:d2:teacher", nan_recurrent, expect_all_nan},
    {"nan_recurrent", "b2:i3:h9:e1:d3:greedy:v5", nan_recurrent, expect_all_nan},
    {"nan_enc_row0", "b3:i5:h37:e2:d3:teacher", nan_enc_row0, expect_row0_nan},
    {"nan_enc_row0", "b3:i5:h37:e2:d4:greedy:v37", nan_enc_row0, expect_row0_nan},
    {"nan_proj", "b2:i3:h4:e2:d3:greedy:v5", nan_proj, expect_symbol0}, /* issue 12 */
    {"nan_proj", "b7:i5:h37:e2:d4:greedy:v37", nan_proj, expect_symbol0},
    {"nan_proj", "b1:i4096:h8:e1:d2:greedy:v1", nan_proj, expect_symbol0}, /* issue 12: 16 KiB over-read */
    {"nonwinning_logits", "b3:i5:h9:e2:d4:greedy:v37", nonwinning_logits, expect_symbol0},
    {"nan_columns", "b5:i5:h37:e2:d5:greedy:v37", nan_columns, expect_columns_skipped},
    {"inf_inputs", "b3:i5:h37:e2:d3:teacher", inf_inputs, expect_inf_rows},
    {"inf_inputs", "b3:i5:h37:e2:d4:greedy:v37", inf_inputs, expect_inf_rows},
    /* issue 13: a NaN row through three stacked layers, residual from the first
     * (the sum carries the NaN; the other rows stay clean), and the wavefront */
    {"nan_enc_row0", "b3:i9:h9:e3:d3:teacher:l3:res1", nan_enc_row0, expect_row0_nan},
    {"nan_enc_row0", "b3:i9:h9:e2:d4:greedy:v11:l2", nan_enc_row0, expect_row0_nan},
    {"nan_kernel", "b2:i3:h9:e3:d2:teacher:l3:res2", nan_kernel, expect_all_nan},
};

static const char *const cells[] = {"rnn", "gru", "lstm"};

/* Reference and every available variant on one poisoned problem. */
static void run_scenario(const scenario *s, const char *cell, int threads)
{
    char desc[128], what[256];
    snprintf(desc, sizeof desc, "%s:%s:t%d", cell, s->shape, threads);
    ts_problem p;
    ts_tensors t;
    ts_result ref, got;
    ts_err e = {{0}};
    CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s: %s", desc, e.msg);
    CHECK(ts_tensors_alloc(&t, &p, &e) == 0 && ts_result_alloc(&ref, &p, true, &e) == 0);
    ts_tensors_fill(&t, 7);
    s->poison(&t);
    double *margins = calloc((size_t)(p.D * p.B) + 1, sizeof *margins);
    CHECK(margins && ts_reference_run(&p, &t.w, &t.in, &ref.o, margins, &e) == 0);
    snprintf(what, sizeof what, "%s %s reference", s->name, desc);
    s->expect(what, &p, &ref);
    const double tol = ts_tolerance(&p), tie = ts_tie_tolerance(&p, &t.w, tol);
    for (size_t k = 0; k < ts_variant_count; k++) {
        const ts_variant *v = ts_variants[k];
        char why[256];
        if (!ts_variant_available(v, &p, why, sizeof why))
            continue;
        snprintf(what, sizeof what, "%s %s %s", s->name, desc, v->name);
        CHECK(ts_result_alloc(&got, &p, true, &e) == 0);
        CHECK_MSG(ts_run_variant(v, &p, &t.w, &t.in, &got.o, &e) == 0, "%s: %s", what, e.msg);
        s->expect(what, &p, &got);
        ts_verdict vd; /* fp32 variants at tol; bf16 ones by the bf16 method (docs/correctness.md) */
        if (v->precision == TS_PREC_BF16)
            ts_verify_outputs(v, &p, &t.w, &t.in, &got.o, &ref.o, margins, &vd);
        else
            ts_compare(&p, &got.o, &ref.o, margins, tol, tie, &vd);
        CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL, "%s: %s %s", what, ts_status_name(vd.status),
                  vd.reason);
        ts_result_free(&got);
    }
    free(margins);
    ts_result_free(&ref);
    ts_tensors_free(&t);
}

/* ts_compare on hand-set values: got[k] against ref[k] in one output element
 * (decoder step 0, batch row 1, unit 2) of otherwise equal results. */
static ts_status compare_one(float got_v, float ref_v, ts_verdict *vd)
{
    ts_problem p;
    ts_result got, ref;
    ts_err e;
    CHECK(ts_problem_parse("rnn:b2:i1:h3:e1:d1", &p, &e) == 0);
    CHECK(ts_result_alloc(&got, &p, true, &e) == 0 && ts_result_alloc(&ref, &p, true, &e) == 0);
    for (int64_t k = 0; k < p.B * p.H; k++) /* not saturated, so not MISTRUSTED */
        got.out[k] = ref.out[k] = got.h[k] = ref.h[k] = got.states_h[k] = ref.states_h[k] = 0.25f;
    got.out[1 * p.H + 2] = got_v;
    ref.out[1 * p.H + 2] = ref_v;
    ts_compare(&p, &got.o, &ref.o, NULL, ts_tolerance(&p), 0, vd);
    ts_result_free(&got);
    ts_result_free(&ref);
    return vd->status;
}

/* NaN where the reference has NaN, or the same infinity, is equal; NaN or an
 * infinity on one side only FAILs, and the verdict names the element. */
static void compare_semantics(void)
{
    static const struct {
        float got, ref;
        ts_status want;
    } cases[] = {
        {NAN, NAN, TS_PASS},           {-NAN, NAN, TS_PASS},
        {INFINITY, INFINITY, TS_PASS}, {-INFINITY, -INFINITY, TS_PASS},
        {0.25f, NAN, TS_FAIL},         {NAN, 0.25f, TS_FAIL},
        {-INFINITY, INFINITY, TS_FAIL}, {FLT_MAX, INFINITY, TS_FAIL}, {NAN, INFINITY, TS_FAIL},
        {INFINITY, 0.25f, TS_FAIL},    {INFINITY, NAN, TS_FAIL},      {0.3f, 0.25f, TS_FAIL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ts_verdict vd;
        ts_status s = compare_one(cases[i].got, cases[i].ref, &vd);
        CHECK_MSG(s == cases[i].want, "got %g, ref %g: %s (%s), want %s", cases[i].got, cases[i].ref,
                  ts_status_name(s), vd.reason, ts_status_name(cases[i].want));
        if (s == TS_FAIL)
            CHECK_MSG(strstr(vd.reason, "out[0][1][2]"), "FAIL names the element: %s", vd.reason);
        else
            CHECK_MSG(strstr(vd.reason, "1 NaN/inf value(s) matched"), "PASS says what matched: '%s'", vd.reason);
    }
}

int main(void)
{
    compare_semantics();
    for (size_t k = 0; k < ts_variant_count; k++) {
        char why[256];
        ts_problem p;
        ts_err e;
        CHECK(ts_problem_parse("lstm:b1:i1:h1:e1:d1", &p, &e) == 0);
        if (!ts_variant_available(ts_variants[k], &p, why, sizeof why))
            printf("test_nonfinite: %s SKIPPED: %s\n", ts_variants[k]->name, why);
    }
    for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
        for (int c = 0; c < 3; c++)
            for (int th = 1; th <= 2; th++)
                run_scenario(&scenarios[i], cells[c], th);
    return ts_test_done("test_nonfinite");
}
