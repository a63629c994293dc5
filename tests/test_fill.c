/* The seeded fill (ts_tensors_fill) is a contract: committed results, the verify
 * set's verdicts and every test that draws tensors depend on its values.  A plain
 * one-layer problem must draw exactly what it drew before issue 13 (hashes below were
 * taken from the code at 3598e3f); what is new (layers above the first, peepholes,
 * projections) comes from a second stream and must not disturb the first, and stays
 * in the ranges that keep pre-activations O(1). */
#include "kernels/tiedseq.h"
#include "tests/check.h"

#include <math.h>

static uint64_t fnv(uint64_t h, const float *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t k = 0; k < n * sizeof(float); k++)
        h = (h ^ b[k]) * 0x100000001B3ull;
    return h;
}

/* Every tensor of a one-layer problem, in the order the fill draws them. */
static uint64_t hash_tensors(const ts_tensors *t)
{
    ts_sizes s;
    ts_err e;
    CHECK(ts_problem_sizes(&t->p, &s, &e) == 0);
    const ts_cell_weights *c = &t->w.cell[0];
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, c->kernel, s.cell[0].kernel);
    h = fnv(h, c->bias, s.cell[0].bias);
    if (s.cell[0].cand_kernel)
        h = fnv(fnv(h, c->cand_kernel, s.cell[0].cand_kernel), c->cand_bias, s.cell[0].cand_bias);
    if (s.proj_w)
        h = fnv(fnv(fnv(h, t->w.proj_w, s.proj_w), t->w.proj_b, s.proj_b), t->w.embedding, s.embedding);
    return fnv(fnv(h, t->enc, s.enc), t->dec, s.dec);
}

static bool filled(ts_tensors *t, const char *desc)
{
    ts_problem p;
    ts_err e;
    int rc = ts_problem_parse(desc, &p, &e);
    CHECK_MSG(rc == 0, "%s: %s", desc, e.msg);
    if (rc || ts_tensors_alloc(t, &p, &e))
        return false;
    ts_tensors_fill(t, 42);
    return true;
}

static void one_layer_unchanged(void)
{
    static const struct { const char *desc; uint64_t hash; } pins[] = {
        {"rnn:b3:i5:h37:e7:d7:teacher:t1", 0x91d868566a54bb17ull},
        {"gru:b3:i5:h37:e7:d7:greedy:v11:t2", 0x9010380e0c8c2953ull},
        {"lstm:b3:i5:h37:e7:d7:teacher:t1:fb0", 0xcf08bf597f9e6c33ull},
        {"lstm:b4:i64:h128:e25:d25:teacher:t2", 0x1f36811bce6d7686ull},
    };
    for (size_t k = 0; k < sizeof pins / sizeof pins[0]; k++) {
        ts_tensors t;
        if (!filled(&t, pins[k].desc))
            continue;
        uint64_t h = hash_tensors(&t);
        CHECK_MSG(h == pins[k].hash, "%s: fill hash 0x%016llx, expected 0x%016llx (the seeded values changed)",
                  pins[k].desc, (unsigned long long)h, (unsigned long long)pins[k].hash);
        ts_tensors_free(&t);
    }
}

/* max |x| over n values */
static float max_abs(const float *x, size_t n)
{
    float m = 0;
    for (size_t k = 0; k < n; k++)
        m = fabsf(x[k]) > m ? fabsf(x[k]) : m;
    return m;
}

static void new_tensors_apart(void)
{
    ts_tensors one, deep;
    if (!filled(&one, "lstm:b3:i5:h37:e7:d7:greedy:v11:t1") ||
        !filled(&deep, "lstm:b3:i5:h37:e7:d7:greedy:v11:t1:l3:res2:peep"))
        return;
    ts_sizes s;
    ts_err e;
    CHECK(ts_problem_sizes(&deep.p, &s, &e) == 0);
    /* the first stream is the same: layer 0, projection, inputs */
    CHECK(hash_tensors(&one) == hash_tensors(&deep));
    /* layers above draw their own values, with the same scale rule */
    CHECK(memcmp(deep.w.cell[1].kernel, deep.w.cell[2].kernel, s.cell[1].kernel * sizeof(float)) != 0);
    CHECK(max_abs(deep.w.cell[1].kernel, s.cell[1].kernel) <= 1.0f / sqrtf((float)s.cell[1].rows));
    CHECK(max_abs(deep.w.cell[2].kernel, s.cell[2].kernel) > 0.5f / sqrtf((float)s.cell[2].rows));
    for (int k = 0; k < 3; k++) {
        CHECK(max_abs(deep.w.cell[k].w_i_diag, s.cell[k].diag) <= 0.5f);
        CHECK(max_abs(deep.w.cell[k].w_o_diag, s.cell[k].diag) > 0.25f);
    }
    ts_tensors_free(&one);
    ts_tensors_free(&deep);
    /* a projection: [H x P] within 1/sqrt(H); greedy's proj_w is [Hout x V] */
    if (!filled(&deep, "lstm:b2:i5:h64:e2:d3:greedy:v9:t1:proj8"))
        return;
    CHECK(ts_problem_sizes(&deep.p, &s, &e) == 0);
    CHECK(s.cell[0].proj_kernel == 64 * 8 && s.proj_w == 8 * 9);
    CHECK(max_abs(deep.w.cell[0].proj_kernel, s.cell[0].proj_kernel) <= 0.125f);
    CHECK(max_abs(deep.w.cell[0].proj_kernel, s.cell[0].proj_kernel) > 0.06f);
    CHECK(max_abs(deep.w.proj_w, s.proj_w) <= 1.0f / sqrtf(8.0f));
    ts_tensors_free(&deep);
}

int main(void)
{
    one_layer_unchanged();
    new_tensors_apart();
    return ts_test_done("test_fill");
}
