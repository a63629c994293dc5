/* The reference against cells worked out by hand (1 input, 1 unit; a 2-unit LSTM;
 * a two-layer LSTMCell stack), written from TF's op order (docs/correctness.md)
 * independently of reference.c. */
#include "harness/check/reference.h"
#include "tests/check.h"

#include <math.h>
#include <stdbool.h>

static double sg(double x) { return 1.0 / (1.0 + exp(-x)); }

static void run_ref(const char *desc, float *kernel, float *bias, float *ck, float *cb,
                    const float *enc, const float *dec, float *out, float *h, float *c)
{
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse(desc, &p, &e) == 0);
    ts_weights w = {.cell[0] = {.kernel = kernel, .bias = bias, .cand_kernel = ck, .cand_bias = cb}};
    ts_inputs in = {.enc = enc, .dec = dec};
    ts_outputs o = {.out = out, .h = h, .c = c};
    CHECK(ts_reference_run(&p, &w, &in, &o, NULL, &e) == 0);
}

static void rnn_by_hand(void)
{
    /* kernel rows: x then h; h1 = tanh(.5*x0 + .3); h2 = tanh(.5*x1 - .25*h1 + .3) */
    float K[2] = {0.5f, -0.25f}, b[1] = {0.3f}, enc[2] = {1.0f, -2.0f}, dec[1] = {0.75f};
    float out[1], h[1];
    run_ref("rnn:b1:i1:h1:e2:d1", K, b, NULL, NULL, enc, dec, out, h, NULL);
    double h1 = tanh(0.5 * 1 + 0.3), h2 = tanh(0.5 * -2 - 0.25 * h1 + 0.3);
    double h3 = tanh(0.5 * 0.75 - 0.25 * h2 + 0.3);
    CHECK_NEAR(out[0], h3, 1e-7);
    CHECK_NEAR(h[0], h3, 1e-7);
}

static void gru_by_hand(void)
{
    /* gates kernel [2 x 2] cols r|u, candidate [2 x 1]; TF: r applied to h before the matmul */
    float Kg[4] = {0.2f, -0.4f, 0.6f, 0.1f}, bg[2] = {1.0f, 1.0f};
    float Kc[2] = {0.7f, -0.9f}, bc[1] = {0.05f}, enc[1] = {0.5f}, dec[1] = {-1.0f};
    float out[1], h[1];
    run_ref("gru:b1:i1:h1:e1:d1", Kg, bg, Kc, bc, enc, dec, out, h, NULL);
    double hp = 0;
    const double xs[2] = {0.5, -1.0};
    for (int t = 0; t < 2; t++) {
        double r = sg(0.2 * xs[t] + 0.6 * hp + 1.0), u = sg(-0.4 * xs[t] + 0.1 * hp + 1.0);
        double cand = tanh(0.7 * xs[t] - 0.9 * (r * hp) + 0.05);
        hp = u * hp + (1 - u) * cand;
    }
    CHECK_NEAR(out[0], hp, 1e-7);
}

static void lstm_by_hand(void)
{
    /* I=1, H=2: kernel [3 x 8], blocks i|j|f|o of 2 columns each; forget_bias 1 */
    float K[24], b[8];
    for (int k = 0; k < 24; k++)
        K[k] = (float)(0.05 * (k % 7) - 0.15);
    for (int k = 0; k < 8; k++)
        b[k] = (float)(0.02 * k - 0.05);
    float enc[2] = {0.4f, -0.3f}, dec[2] = {0.9f, 0.2f}, out[2 * 2], h[2], c[2];
    run_ref("lstm:b1:i1:h2:e2:d2", K, b, NULL, NULL, enc, dec, out, h, c);
    double hs[2] = {0, 0}, cs[2] = {0, 0}, outs[2][2];
    const double xs[4] = {0.4, -0.3, 0.9, 0.2};
    for (int t = 0; t < 4; t++) {
        double z[8];
        for (int col = 0; col < 8; col++)
            z[col] = xs[t] * K[col] + hs[0] * K[8 + col] + hs[1] * K[16 + col] + b[col];
        for (int u = 0; u < 2; u++) {
            double i = z[u], j = z[2 + u], f = z[4 + u], o = z[6 + u];
            cs[u] = cs[u] * sg(f + 1.0) + sg(i) * tanh(j);
            hs[u] = tanh(cs[u]) * sg(o);
        }
        if (t >= 2)
            outs[t - 2][0] = hs[0], outs[t - 2][1] = hs[1];
    }
    for (int k = 0; k < 4; k++)
        CHECK_NEAR(out[k], outs[k / 2][k % 2], 1e-7);
    CHECK_NEAR(h[0], hs[0], 1e-7);
    CHECK_NEAR(h[1], hs[1], 1e-7);
    CHECK_NEAR(c[0], cs[0], 1e-7);
    CHECK_NEAR(c[1], cs[1], 1e-7);
}

static void d0_returns_encoder_state(void)
{
    float K[2] = {0.5f, -0.25f}, b[1] = {0.3f}, enc[1] = {1.0f}, h[1];
    run_ref("rnn:b1:i1:h1:e1:d0", K, b, NULL, NULL, enc, NULL, NULL, h, NULL);
    CHECK_NEAR(h[0], tanh(0.8), 1e-7);
}

/* One LSTMCell unit by hand (H = 1, P = 1): peepholes, cell_clip, projection, proj_clip.
 * K [2 x 4] (rows x, m; blocks i j f o), wd = {w_i, w_f, w_o}, kp the 1x1 projection. */
static void lstmcell_unit(double x, double *m, double *c, const float *K, const float *b,
                          const float *wd, double kp, double clip, double pclip)
{
    double z[4];
    for (int g = 0; g < 4; g++)
        z[g] = x * K[g] + *m * K[4 + g] + b[g];
    double i = sg(z[0] + wd[0] * *c), f = sg(z[2] + 1.0 + wd[1] * *c); /* the previous c */
    double cn = f * *c + i * tanh(z[1]);
    cn = fmin(fmax(cn, -clip), clip);
    double o = sg(z[3] + wd[2] * cn); /* the new, clipped c */
    *c = cn;
    *m = fmin(fmax(o * tanh(cn) * kp, -pclip), pclip);
}

/* Two such layers, the second residual (res2): its output is m + its input, its state
 * m alone; E = 2, D = 1.  The biases push c past the clip and m past proj_clip. */
static void lstmcell_stack_by_hand(void)
{
    float K0[8] = {0.9f, 0.8f, 0.3f, 0.5f, -0.4f, 0.6f, 0.2f, 0.7f}, b0[4] = {0.5f, 1.5f, 0.2f, 0.1f};
    float K1[8] = {-0.6f, 1.1f, 0.4f, 0.3f, 0.5f, -0.7f, 0.1f, 0.9f}, b1[4] = {0.3f, -1.2f, 0.0f, 0.4f};
    float wd0[3] = {0.4f, -0.3f, 0.8f}, wd1[3] = {-0.5f, 0.6f, -0.2f}, kp0[1] = {1.5f}, kp1[1] = {-2.0f};
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b1:i1:h1:e2:d1:l2:res2:peep:clip0.3:proj1:pclip0.2", &p, &e) == 0);
    ts_weights w = {.cell = {{.kernel = K0, .bias = b0, .w_i_diag = wd0, .w_f_diag = wd0 + 1,
                              .w_o_diag = wd0 + 2, .proj_kernel = kp0},
                             {.kernel = K1, .bias = b1, .w_i_diag = wd1, .w_f_diag = wd1 + 1,
                              .w_o_diag = wd1 + 2, .proj_kernel = kp1}}};
    float enc[2] = {0.7f, -0.5f}, dec[1] = {0.9f}, out[1], h[2], c[2], sh[2], sc[2];
    ts_inputs in = {.enc = enc, .dec = dec};
    ts_outputs o = {.out = out, .h = h, .c = c, .states_h = sh, .states_c = sc};
    CHECK(ts_reference_run(&p, &w, &in, &o, NULL, &e) == 0);
    double m[2] = {0, 0}, cs[2] = {0, 0}, y = 0;
    const double xs[3] = {0.7, -0.5, 0.9};
    bool clipped_c = false, clipped_m = false;
    for (int t = 0; t < 3; t++) {
        lstmcell_unit(xs[t], &m[0], &cs[0], K0, b0, wd0, 1.5, 0.3, 0.2);
        lstmcell_unit(m[0], &m[1], &cs[1], K1, b1, wd1, -2.0, 0.3, 0.2);
        y = m[0] + m[1]; /* ResidualWrapper: after projection and proj_clip, not clipped */
        clipped_c |= fabs(cs[0]) == 0.3 || fabs(cs[1]) == 0.3;
        clipped_m |= fabs(m[0]) == 0.2 || fabs(m[1]) == 0.2;
    }
    CHECK(clipped_c && clipped_m); /* the case exercises both clips */
    CHECK_NEAR(out[0], y, 1e-7);
    CHECK_NEAR(h[0], m[0], 1e-7);
    CHECK_NEAR(h[1], m[1], 1e-7); /* the state: the cell's own m, not the sum */
    CHECK_NEAR(c[0], cs[0], 1e-7);
    CHECK_NEAR(c[1], cs[1], 1e-7);
    CHECK(sh[0] == h[0] && sh[1] == h[1] && sc[0] == c[0] && sc[1] == c[1]); /* [D x L x B x .] */
}

int main(void)
{
    lstmcell_stack_by_hand();
    rnn_by_hand();
    gru_by_hand();
    lstm_by_hand();
    d0_returns_encoder_state();
    return ts_test_done("test_reference");
}
