/* The new model's semantics can fail verification: a mutant LSTM MultiRNNCell with
 * one deliberate mistake of op order at a time (the plausible misreadings of TF's
 * LSTMCell and ResidualWrapper) must FAIL against TensorFlow's golden vectors and
 * against the reference, while the same code without a mistake PASSes both (so a
 * FAIL is the mistake's doing, not the mutant's harness).
 *
 * Mistakes:
 *   - the output gate's peephole reads the previous c instead of the new one;
 *   - cell_clip applied after the output peephole and tanh (m sees the unclipped c);
 *   - the residual added before the projection ((m + x) @ Kp; needs H = P = I);
 *   - the residual added before proj_clip (the sum clipped);
 *   - the residual kept in the state (TF's state is the cell's own output).
 *
 * usage: test_mutations [GOLDEN_DIR]   (default: tests/golden of the source tree) */
#include "harness/check/reference.h"
#include "harness/check/verify.h"
#include "harness/files/io.h"
#include "kernels/act.h"
#include "tests/check.h"

#include <stdlib.h>

typedef enum {
    MUT_NONE,
    MUT_PEEP_OLD_C,
    MUT_CLIP_LATE,
    MUT_RES_BEFORE_PROJ,
    MUT_RES_BEFORE_PCLIP,
    MUT_RES_IN_STATE,
} mutation;

static mutation mut; /* the mistake the mutant makes this time */

static float clip(float x, float a) { return x > a ? a : x < -a ? -a : x; }

typedef struct mutant_plan {
    ts_problem p;
    const ts_weights *w;
} mutant_plan;

static bool mutant_supports(const ts_problem *p, char *why, size_t n)
{
    if (p->cell == TS_CELL_LSTM && p->feed == TS_FEED_TEACHER)
        return true;
    snprintf(why, n, "the mutant is an LSTM teacher-forcing model only");
    return false;
}

static int mutant_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    (void)impl;
    mutant_plan *mp = calloc(1, sizeof *mp);
    if (!mp)
        return ts_fail(e, "mutant: out of memory");
    mp->p = *p;
    mp->w = w;
    *plan = mp;
    return 0;
}

static void mutant_release(ts_plan *plan) { free(plan); }

/* z = [x, h] @ K (+ bias) for one batch row, sums in row order */
static void row_matmul(const float *x, int64_t nx, const float *h, int64_t nh, const float *K,
                       const float *bias, int64_t cols, float *z)
{
    for (int64_t j = 0; j < cols; j++) {
        float acc = 0;
        for (int64_t k = 0; k < nx + nh; k++)
            acc += (k < nx ? x[k] : h[k - nx]) * K[k * cols + j];
        z[j] = bias ? acc + bias[j] : acc;
    }
}

/* One LSTMCell unit, with the peephole / clip mistakes when asked. */
static float unit(const ts_problem *p, const ts_cell_weights *cw, const float *z, int64_t u, float *c)
{
    const int64_t H = p->H;
    float c_prev = *c, i = z[u], j = z[H + u], f = z[2 * H + u] + p->forget_bias, o = z[3 * H + u];
    if (p->peep) {
        f = f + cw->w_f_diag[u] * c_prev;
        i = i + cw->w_i_diag[u] * c_prev;
    }
    float cn = ts_sigmoidf(f) * c_prev + ts_sigmoidf(i) * ts_tanhf(j);
    float cc = p->has_cell_clip ? clip(cn, p->cell_clip) : cn;
    float c_out = mut == MUT_CLIP_LATE ? cn : cc; /* what the output gate and tanh see */
    if (p->peep)
        o = o + cw->w_o_diag[u] * (mut == MUT_PEEP_OLD_C ? c_prev : c_out);
    *c = cc;
    return ts_sigmoidf(o) * ts_tanhf(c_out);
}

/* Layer k for batch row b: h (state, Hout) and c updated, y = the layer's output. */
static void layer(const mutant_plan *mp, int k, const float *x, float *h, float *c, float *y)
{
    const ts_problem *p = &mp->p;
    const ts_cell_weights *cw = &mp->w->cell[k];
    const int64_t H = p->H, Ho = ts_out_width(p), nx = ts_layer_input(p, k);
    const bool res = ts_layer_residual(p, k);
    float z[4 * 64], m[64];
    row_matmul(x, nx, h, Ho, cw->kernel, cw->bias, 4 * H, z);
    for (int64_t u = 0; u < H; u++)
        m[u] = unit(p, cw, z, u, c + u);
    if (res && mut == MUT_RES_BEFORE_PROJ && H == nx)
        for (int64_t u = 0; u < H; u++)
            m[u] = x[u] + m[u];
    if (p->P)
        row_matmul(m, H, NULL, 0, cw->proj_kernel, NULL, p->P, y);
    else
        memcpy(y, m, (size_t)H * sizeof(float));
    if (res && mut == MUT_RES_BEFORE_PCLIP)
        for (int64_t j = 0; j < Ho; j++)
            y[j] = x[j] + y[j];
    for (int64_t j = 0; p->has_proj_clip && j < Ho; j++)
        y[j] = clip(y[j], p->proj_clip);
    memcpy(h, y, (size_t)Ho * sizeof(float)); /* the state: the cell's own output */
    bool added = mut == MUT_RES_BEFORE_PROJ || mut == MUT_RES_BEFORE_PCLIP;
    for (int64_t j = 0; res && !added && j < Ho; j++)
        y[j] = x[j] + y[j]; /* TF: after projection and proj_clip, not clipped */
    if (res && mut == MUT_RES_IN_STATE)
        memcpy(h, y, (size_t)Ho * sizeof(float));
}

/* The whole tied seq2seq for batch row b (rows are independent). */
static void run_row(const mutant_plan *mp, const ts_inputs *in, ts_outputs *out, int64_t b)
{
    const ts_problem *p = &mp->p;
    const int64_t L = p->layers, B = p->B, H = p->H, Ho = ts_out_width(p), I = p->I;
    float h[TS_MAX_LAYERS][64] = {{0}}, c[TS_MAX_LAYERS][64] = {{0}}, y[2][64];
    for (int64_t t = 0; t < p->E + p->D; t++) {
        bool dec = t >= p->E;
        const float *x = dec ? in->dec + ((t - p->E) * B + b) * I : in->enc + (t * B + b) * I;
        for (int k = 0; k < L; k++) {
            layer(mp, k, x, h[k], c[k], y[k & 1]);
            x = y[k & 1];
        }
        if (!dec)
            continue;
        int64_t i = t - p->E;
        memcpy(out->out + (i * B + b) * Ho, x, (size_t)Ho * sizeof(float));
        for (int k = 0; k < L; k++) {
            if (out->states_h)
                memcpy(out->states_h + ((i * L + k) * B + b) * Ho, h[k], (size_t)Ho * sizeof(float));
            if (out->states_c)
                memcpy(out->states_c + ((i * L + k) * B + b) * H, c[k], (size_t)H * sizeof(float));
        }
    }
    for (int k = 0; k < L; k++) {
        memcpy(out->h + (k * B + b) * Ho, h[k], (size_t)Ho * sizeof(float));
        memcpy(out->c + (k * B + b) * H, c[k], (size_t)H * sizeof(float));
    }
}

static int mutant_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    const mutant_plan *mp = plan;
    if (mp->p.H > 64 || mp->p.I > 64 || ts_out_width(&mp->p) > 64)
        return 1; /* the mutant's row buffers hold 64 units; the cases below are smaller */
    for (int64_t b = 0; b < mp->p.B; b++)
        run_row(mp, in, out, b);
    return 0;
}

static const ts_variant mutant = {
    .name = "mutant",
    .summary = "test-only LSTM with one deliberate op-order mistake",
    .supports = mutant_supports,
    .prepare = mutant_prepare,
    .run = mutant_run,
    .release = mutant_release,
};

/* ---- against TensorFlow: one golden case loaded through the .npy contract ---- */

static const char *golden_dir;

typedef struct golden {
    ts_problem p;
    ts_tensors t;
    ts_result expect;
} golden;

static int golden_load(const char *name, golden *g, ts_err *e)
{
    char dir[4200], line[512], path[4300];
    snprintf(path, sizeof path, "%s/manifest.tsv", golden_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ts_fail(e, "%s: cannot open", path);
    int rc = ts_fail(e, "%s: no case %s", path, name);
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t'), *end;
        if (!tab || (size_t)(tab - line) != strlen(name) || strncmp(line, name, strlen(name)))
            continue;
        if ((end = strchr(tab + 1, '\t')))
            *end = '\0';
        rc = ts_problem_parse(tab + 1, &g->p, e);
        break;
    }
    fclose(f);
    if (rc || ts_tensors_alloc(&g->t, &g->p, e))
        return -1;
    snprintf(dir, sizeof dir, "%s/%s", golden_dir, name);
    ts_tensor_spec s[2 * TS_MAX_SPECS];
    int n = ts_weight_specs(&g->p, &g->t, s);
    n += ts_input_specs(&g->p, &g->t, s + n);
    g->t.in.enc = NULL;
    if (ts_load_specs(dir, s, n, e) || ts_result_alloc(&g->expect, &g->p, true, e))
        return -1;
    g->t.in.enc = g->t.enc, g->t.in.dec = g->t.dec;
    snprintf(path, sizeof path, "%s/expected", dir);
    n = ts_output_specs(&g->p, &g->expect, true, s);
    if (ts_load_specs(path, s, n, e))
        return -1;
    ts_result *r = &g->expect;
    r->o = (ts_outputs){.out = r->out, .h = r->h, .c = r->c, .states_h = r->states_h, .states_c = r->states_c};
    return 0;
}

/* The mutant with mistake m on golden case `name`: against TF, then against the
 * reference on the same tensors and on seeded ones (ts_verify_variant). */
static void check(const char *name, mutation m, ts_status want, const char *what)
{
    golden g;
    ts_err e = {{0}};
    memset(&g, 0, sizeof g);
    int rc = golden_load(name, &g, &e);
    CHECK_MSG(rc == 0, "golden case %s: %s", name, e.msg);
    if (rc == 0) {
        mut = m;
        ts_result got, ref;
        ts_verdict tf, vs_ref, seeded;
        CHECK(ts_result_alloc(&got, &g.p, true, &e) == 0 && ts_result_alloc(&ref, &g.p, true, &e) == 0);
        CHECK(ts_run_variant(&mutant, &g.p, &g.t.w, &g.t.in, &got.o, &e) == 0);
        CHECK(ts_reference_run(&g.p, &g.t.w, &g.t.in, &ref.o, NULL, &e) == 0);
        ts_compare(&g.p, &got.o, &g.expect.o, NULL, ts_tolerance(&g.p), 0, &tf);
        ts_compare(&g.p, &got.o, &ref.o, NULL, ts_tolerance(&g.p), 0, &vs_ref);
        ts_verify_variant(&mutant, &g.p, 42, &seeded);
        printf("%-26s %-58s TF %-8s reference %-8s seeded %-8s %s\n", name, what, ts_status_name(tf.status),
               ts_status_name(vs_ref.status), ts_status_name(seeded.status), tf.reason);
        bool pass = want == TS_PASS;
        CHECK_MSG(pass ? tf.status == TS_PASS : tf.status == TS_FAIL, "%s on %s vs TF: %s", what, name,
                  ts_status_name(tf.status));
        CHECK_MSG(pass ? vs_ref.status == TS_PASS : vs_ref.status == TS_FAIL, "%s on %s vs reference: %s",
                  what, name, ts_status_name(vs_ref.status));
        CHECK_MSG(pass ? seeded.status == TS_PASS : seeded.status == TS_FAIL, "%s on %s, seeded: %s", what,
                  name, ts_status_name(seeded.status));
        ts_result_free(&got);
        ts_result_free(&ref);
    }
    if (g.expect.out || g.expect.h)
        ts_result_free(&g.expect);
    ts_tensors_free(&g.t);
}

int main(int argc, char **argv)
{
    golden_dir = argc > 1 ? argv[1] : TS_SOURCE_DIR "/tests/golden";
    /* the control: without a mistake the mutant matches TF and the reference */
    static const char *const cases[] = {"lstm_peep", "lstm_clip", "lstm_proj_pclip", "lstm_l3_res2_proj",
                                        "lstm_l2_res1_clips", "lstm_l2_res1_proj_square"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check(cases[k], MUT_NONE, TS_PASS, "no mistake (control)");
    check("lstm_peep", MUT_PEEP_OLD_C, TS_FAIL, "output peephole reads the previous c");
    check("lstm_l3_res2_proj", MUT_PEEP_OLD_C, TS_FAIL, "output peephole reads the previous c");
    check("lstm_clip", MUT_CLIP_LATE, TS_FAIL, "cell_clip after the output peephole and tanh");
    check("lstm_l2_res1_clips", MUT_CLIP_LATE, TS_FAIL, "cell_clip after the output peephole and tanh");
    check("lstm_l2_res1_proj_square", MUT_RES_BEFORE_PROJ, TS_FAIL, "residual added before the projection");
    check("lstm_l2_res1_clips", MUT_RES_BEFORE_PCLIP, TS_FAIL, "residual added before proj_clip");
    check("lstm_l3_res2_proj", MUT_RES_IN_STATE, TS_FAIL, "residual kept in the state");
    return ts_test_done("test_mutations");
}
