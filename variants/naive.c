/* naive: fp32, straightforward loops in TF's op order, no tricks.  The speed
 * baseline every other variant is measured against.  The only concession is an
 * OpenMP loop over (batch row, column tile), so its thread-scaling line exists;
 * every output element is still summed by one thread in input order. */
#include "../kernels/act.h"
#include "variant.h"

#include <stdlib.h>
#include <string.h>

#define COL_TILE 256

/* Per layer k: h[k] [B x Hout] (the cell's own output: LSTM m), c[k] [B x H]. */
typedef struct naive_plan {
    ts_problem p;
    const ts_weights *w;
    float *h[TS_MAX_LAYERS], *c[TS_MAX_LAYERS];
    float *y[2];   /* layer outputs (residual included), ping-pong [B x Hout] */
    float *z;      /* pre-activations [B x G*H] (GRU: gates [B x 2H]) */
    float *zc;     /* GRU candidate pre-activations [B x H] */
    float *rh;     /* GRU r*h [B x H] */
    float *m;      /* LSTM m before the projection [B x H] */
    float *x;      /* greedy: next input [B x I] */
} naive_plan;

static bool naive_supports(const ts_problem *p, char *why, size_t n)
{
    (void)p, (void)why, (void)n;
    return true;
}

static void naive_release(ts_plan *plan)
{
    naive_plan *np = plan;
    if (!np)
        return;
    for (int k = 0; k < TS_MAX_LAYERS; k++)
        ts_free(np->h[k]), ts_free(np->c[k]);
    ts_free(np->y[0]), ts_free(np->y[1]), ts_free(np->z), ts_free(np->zc), ts_free(np->rh);
    ts_free(np->m), ts_free(np->x);
    free(np);
}

static int naive_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    (void)impl;
    naive_plan *np = calloc(1, sizeof *np);
    if (!np)
        return ts_fail(e, "naive: out of memory");
    size_t BH = (size_t)(p->B * p->H), BO = (size_t)(p->B * ts_out_width(p));
    size_t G = (size_t)ts_cell_gates(p->cell);
    np->p = *p;
    np->w = w;
    bool ok = true;
    for (int k = 0; k < p->layers; k++)
        ok = (np->h[k] = ts_alloc(BO * 4)) && (np->c[k] = ts_alloc(BH * 4)) && ok;
    np->y[0] = ts_alloc(BO * 4);
    np->y[1] = ts_alloc(BO * 4);
    np->z = ts_alloc(BH * G * 4);
    np->zc = ts_alloc(BH * 4);
    np->rh = ts_alloc(BH * 4);
    np->m = ts_alloc(BH * 4);
    np->x = ts_alloc((size_t)(p->B * p->I) * 4);
    if (!ok || !np->y[0] || !np->y[1] || !np->z || !np->zc || !np->rh || !np->m || !np->x) {
        naive_release(np);
        return ts_fail(e, "naive: out of memory for state buffers");
    }
    *plan = np;
    return 0;
}

/* z[B x cols] = [x, h] @ K (+ bias): x is [B x nx], h [B x nh] (nh may be 0), K
 * [(nx+nh) x cols].  The matmul sums in row order, then the bias add is a
 * separate rounding, as TF's matmul followed by bias_add; bias NULL: matmul only. */
static void matmul_bias(const ts_problem *p, const float *x, int64_t nx, const float *h, int64_t nh,
                        const float *K, const float *bias, int64_t cols, float *z)
{
    const int64_t B = p->B;
    const int64_t tiles = (cols + COL_TILE - 1) / COL_TILE;
#pragma omp parallel for collapse(2) num_threads(p->threads) schedule(static)
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < tiles; t++) {
            int64_t j0 = t * COL_TILE, j1 = j0 + COL_TILE < cols ? j0 + COL_TILE : cols;
            float *zr = z + b * cols;
            for (int64_t j = j0; j < j1; j++)
                zr[j] = 0.0f;
            for (int64_t k = 0; k < nx + nh; k++) {
                float a = k < nx ? x[b * nx + k] : h[b * nh + (k - nx)];
                const float *kr = K + k * cols;
                for (int64_t j = j0; j < j1; j++)
                    zr[j] += a * kr[j];
            }
            for (int64_t j = j0; bias && j < j1; j++)
                zr[j] += bias[j];
        }
}

/* tf.clip_by_value(x, -a, a); NaN passes through */
static float clip(float x, float a) { return x > a ? a : x < -a ? -a : x; }

static void rnn_cell(naive_plan *np, int k, const float *x, int64_t nx)
{
    const ts_problem *p = &np->p;
    const ts_cell_weights *cw = &np->w->cell[k];
    matmul_bias(p, x, nx, np->h[k], p->H, cw->kernel, cw->bias, p->H, np->z);
    for (int64_t j = 0; j < p->B * p->H; j++)
        np->h[k][j] = ts_tanhf(np->z[j]);
}

static void gru_cell(naive_plan *np, int k, const float *x, int64_t nx)
{
    const ts_problem *p = &np->p;
    const ts_cell_weights *cw = &np->w->cell[k];
    const int64_t B = p->B, H = p->H;
    float *h = np->h[k];
    matmul_bias(p, x, nx, h, H, cw->kernel, cw->bias, 2 * H, np->z);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
            float r = ts_sigmoidf(np->z[b * 2 * H + j]);
            np->rh[b * H + j] = r * h[b * H + j];
        }
    matmul_bias(p, x, nx, np->rh, H, cw->cand_kernel, cw->cand_bias, H, np->zc);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
            float u = ts_sigmoidf(np->z[b * 2 * H + H + j]);
            float c = ts_tanhf(np->zc[b * H + j]);
            float t1 = u * h[b * H + j];
            float t2 = (1.0f - u) * c;
            h[b * H + j] = t1 + t2;
        }
}

/* One unit of TF's LSTMCell.call, its op order (BasicLSTMCell's without extras:
 * products commute, so the same bits).  The input and forget peepholes read the
 * previous c; cell_clip clips the new c (the state); the output peephole and
 * tanh read the clipped c. */
static void lstm_unit(const ts_problem *p, const ts_cell_weights *cw, const float *z, int64_t u,
                      float *c, float *m)
{
    const int64_t H = p->H;
    float c_prev = *c, i = z[u], j = z[H + u], f = z[2 * H + u] + p->forget_bias, o = z[3 * H + u];
    if (p->peep) {
        f = f + cw->w_f_diag[u] * c_prev;
        i = i + cw->w_i_diag[u] * c_prev;
    }
    float cn = ts_sigmoidf(f) * c_prev + ts_sigmoidf(i) * ts_tanhf(j);
    if (p->has_cell_clip)
        cn = clip(cn, p->cell_clip);
    if (p->peep)
        o = o + cw->w_o_diag[u] * cn;
    *c = cn;
    *m = ts_sigmoidf(o) * ts_tanhf(cn);
}

static void lstm_cell(naive_plan *np, int k, const float *x, int64_t nx)
{
    const ts_problem *p = &np->p;
    const ts_cell_weights *cw = &np->w->cell[k];
    const int64_t B = p->B, H = p->H;
    matmul_bias(p, x, nx, np->h[k], ts_out_width(p), cw->kernel, cw->bias, 4 * H, np->z);
    float *m = p->P ? np->m : np->h[k]; /* without projection m is the state */
    for (int64_t b = 0; b < B; b++)
        for (int64_t u = 0; u < H; u++)
            lstm_unit(p, cw, np->z + b * 4 * H, u, np->c[k] + b * H + u, m + b * H + u);
    if (!p->P)
        return;
    matmul_bias(p, m, H, NULL, 0, cw->proj_kernel, NULL, p->P, np->h[k]); /* m @ projection/kernel */
    for (int64_t j = 0; p->has_proj_clip && j < B * p->P; j++)
        np->h[k][j] = clip(np->h[k][j], p->proj_clip);
}

/* One MultiRNNCell step; returns the top layer's output.  ResidualWrapper adds
 * the layer's input after projection and proj_clip; the state keeps the cell's own. */
static const float *step(naive_plan *np, const float *x)
{
    const ts_problem *p = &np->p;
    const int64_t BO = p->B * ts_out_width(p);
    const float *in = x;
    for (int k = 0; k < p->layers; k++) {
        int64_t nx = ts_layer_input(p, k);
        switch (p->cell) {
        case TS_CELL_RNN: rnn_cell(np, k, in, nx); break;
        case TS_CELL_GRU: gru_cell(np, k, in, nx); break;
        case TS_CELL_LSTM: lstm_cell(np, k, in, nx); break;
        }
        if (!ts_layer_residual(p, k)) {
            in = np->h[k];
            continue;
        }
        float *y = np->y[k & 1];
        for (int64_t j = 0; j < BO; j++)
            y[j] = in[j] + np->h[k][j];
        in = y;
    }
    return in;
}

/* Every layer's h [L x B x Hout] and (lstm) c [L x B x H] into h, c (each may be NULL). */
static void copy_states(const naive_plan *np, float *h, float *c)
{
    const ts_problem *p = &np->p;
    const size_t BH = (size_t)(p->B * p->H), BO = (size_t)(p->B * ts_out_width(p));
    for (int k = 0; k < p->layers; k++) {
        if (h)
            memcpy(h + k * BO, np->h[k], BO * 4);
        if (c && p->cell == TS_CELL_LSTM)
            memcpy(c + k * BH, np->c[k], BH * 4);
    }
}

static int naive_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    naive_plan *np = plan;
    const ts_problem *p = &np->p;
    const size_t BH = (size_t)(p->B * p->H), BO = (size_t)(p->B * ts_out_width(p));
    const size_t BI = (size_t)(p->B * p->I), L = (size_t)p->layers;
    for (int k = 0; k < p->layers; k++) {
        memset(np->h[k], 0, BO * 4);
        memset(np->c[k], 0, BH * 4);
    }
    for (int64_t t = 0; t < p->E; t++)
        step(np, in->enc + t * BI);
    for (int64_t i = 0; i < p->D; i++) {
        const float *x;
        int rc = ts_decoder_input(p, np->w, in, out, i, np->x, &x);
        if (rc)
            return rc;
        memcpy(out->out + i * BO, step(np, x), BO * 4);
        copy_states(np, out->states_h ? out->states_h + i * L * BO : NULL,
                    out->states_c ? out->states_c + i * L * BH : NULL);
    }
    copy_states(np, out->h, out->c);
    return 0;
}

const ts_variant ts_variant_naive = {
    .name = "naive",
    .summary = "fp32 scalar loops in TF op order; the baseline",
    .isa = 0,
    .supports = naive_supports,
    .prepare = naive_prepare,
    .run = naive_run,
    .release = naive_release,
};
