/* The check can fail: variants perturbed on purpose are caught by verify. */
#include "harness/check/verify.h"
#include "tests/check.h"

#include <math.h>

static float delta;        /* added to one output element */
static int flip_symbol;    /* greedy: replace step 1's symbol of row 0 */

static int perturbed_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    int rc = ts_variant_naive.run(plan, in, out);
    out->out[0] += delta;
    if (flip_symbol && out->symbols)
        out->symbols[1 * 2 + 0] ^= 1; /* [D x B] with B = 2: step 1, row 0 */
    return rc;
}

static ts_variant perturbed(void)
{
    ts_variant v = ts_variant_naive;
    v.name = "perturbed";
    v.run = perturbed_run;
    return v;
}

static ts_status verdict(const char *desc)
{
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse(desc, &p, &e) == 0);
    ts_variant v = perturbed();
    ts_verdict vd;
    ts_verify_variant(&v, &p, 42, &vd);
    return vd.status;
}

int main(void)
{
    const char *desc = "lstm:b2:i5:h37:e7:d7:teacher";
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse(desc, &p, &e) == 0);
    double tol = ts_tolerance(&p);
    CHECK(tol > 0 && tol < 1e-4); /* a few hundred ulp, not a blanket 1e-3 */

    delta = 0;
    CHECK(verdict(desc) == TS_PASS);
    delta = (float)(tol / 8); /* inside tolerance, below the MARGINAL band */
    CHECK(verdict(desc) == TS_PASS);
    delta = (float)(tol / 2); /* inside tolerance, in the MARGINAL band */
    CHECK(verdict(desc) == TS_MARGINAL);
    delta = (float)(4 * tol); /* outside: FAIL */
    CHECK(verdict(desc) == TS_FAIL);
    delta = 1e-4f;
    CHECK(verdict(desc) == TS_FAIL);
    delta = NAN;
    CHECK(verdict(desc) == TS_FAIL);

    /* the deeper tolerance (L layers, projection) can fail too: the same bands */
    const char *deep = "lstm:b2:i6:h37:e7:d7:teacher:l3:res2:peep:clip0.5:proj6:pclip0.3";
    CHECK(ts_problem_parse(deep, &p, &e) == 0);
    tol = ts_tolerance(&p);
    CHECK(tol > 3 * ts_tolerance(&(ts_problem){.cell = TS_CELL_LSTM, .B = 2, .I = 6, .H = 37, .E = 7, .D = 7,
                                               .threads = 1, .layers = 1, .forget_bias = 1}));
    delta = 0;
    CHECK(verdict(deep) == TS_PASS);
    delta = (float)(tol / 8);
    CHECK(verdict(deep) == TS_PASS);
    delta = (float)(4 * tol);
    CHECK(verdict(deep) == TS_FAIL);
    delta = 1e-3f; /* a residual stack's outputs are larger: still caught */
    CHECK(verdict(deep) == TS_FAIL);

    /* greedy: a different symbol without a tie is a FAIL */
    delta = 0;
    flip_symbol = 1;
    CHECK(verdict("rnn:b2:i4:h9:e2:d4:greedy:v6") == TS_FAIL);
    flip_symbol = 0;
    CHECK(verdict("rnn:b2:i4:h9:e2:d4:greedy:v6") == TS_PASS);

    /* saturated outputs prove little: MISTRUSTED, not PASS */
    ts_outputs got = {0}, ref = {0};
    float a[4] = {1, 1, 1, 0}, h[1] = {1};
    CHECK(ts_problem_parse("rnn:b1:i1:h1:e1:d4", &p, &e) == 0);
    got.out = ref.out = a;
    got.h = ref.h = h;
    ts_verdict vd;
    ts_compare(&p, &got, &ref, NULL, 1e-6, 0, &vd);
    CHECK(vd.status == TS_MISTRUSTED);
    return ts_test_done("test_perturbed");
}
