#include "harness/check/reference.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per layer k: h[k] [B x Hout] (the cell's own output: LSTM m), c[k] [B x H];
 * y [B x Hout] the layer's output after a residual add, which feeds the next layer. */
typedef struct ref_state {
    const ts_problem *p;
    const ts_weights *w;
    float *h[TS_MAX_LAYERS], *c[TS_MAX_LAYERS];
    float *y[2];          /* ping-pong layer outputs */
    float *z, *zc, *rh, *m; /* pre-activations [B x 4H], GRU [B x H] x 2, LSTM m before projection */
    float (*rx)(float), (*rs)(float); /* rounding of a cell GEMM's input and state operand; NULL: none */
    float (*rstate)(float);           /* rounding of the stored state h after a step; NULL: none */
} ref_state;

/* The stored state of layer k after its step, rounded as the variant stores it */
static void round_state(ref_state *s, int k)
{
    for (int64_t j = 0; s->rstate && j < s->p->B * ts_out_width(s->p); j++)
        s->h[k][j] = s->rstate(s->h[k][j]);
}

/* The operand roundings of nx: both NULL for fp32 */
static void set_numerics(ref_state *s, const ts_ref_numerics *nx)
{
    s->rx = s->rs = s->rstate = NULL;
    if (!nx || nx->precision != TS_PREC_BF16)
        return;
    s->rx = nx->round ? nx->round : ts_bf16_round;
    s->rs = nx->keep_state ? NULL : s->rx;
    s->rstate = nx->state_bf16 ? s->rx : NULL;
}

static float sigm(float x) { return (float)(1.0 / (1.0 + exp(-(double)x))); }
static float tnh(float x) { return (float)tanh((double)x); }
/* fp32 of a double op: one rounding per TF op */
static float r32(double x) { return (float)x; }
/* tf.clip_by_value(x, -a, a): exact in any precision; NaN passes through */
static float clip(float x, float a) { return x > a ? a : x < -a ? -a : x; }

static float keep(float v) { return v; }

/* z[B x cols] = fp32(fp32(sum_k [x,h]_k K_kj in double) + bias_j); x is [B x nx],
 * h [B x nh], K [(nx+nh) x cols]; rx, rh round x and h first (NULL: as they are) */
static void matmul_bias_r(int64_t B, const float *x, int64_t nx, const float *h, int64_t nh,
                          const float *K, const float *bias, int64_t cols, float *z, float (*rx)(float),
                          float (*rh)(float))
{
    rx = rx ? rx : keep, rh = rh ? rh : keep;
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < cols; j++) {
            double acc = 0;
            for (int64_t k = 0; k < nx; k++)
                acc += (double)rx(x[b * nx + k]) * K[k * cols + j];
            for (int64_t k = 0; k < nh; k++)
                acc += (double)rh(h[b * nh + k]) * K[(nx + k) * cols + j];
            z[b * cols + j] = bias ? r32((double)r32(acc) + bias[j]) : r32(acc);
        }
}

static void matmul_bias(int64_t B, const float *x, int64_t nx, const float *h, int64_t nh,
                        const float *K, const float *bias, int64_t cols, float *z)
{
    matmul_bias_r(B, x, nx, h, nh, K, bias, cols, z, NULL, NULL);
}

static void rnn_cell(ref_state *s, int k, const float *x, int64_t nx)
{
    const ts_problem *p = s->p;
    const ts_cell_weights *cw = &s->w->cell[k];
    matmul_bias_r(p->B, x, nx, s->h[k], p->H, cw->kernel, cw->bias, p->H, s->z, s->rx, s->rs);
    for (int64_t j = 0; j < p->B * p->H; j++)
        s->h[k][j] = tnh(s->z[j]);
}

static void gru_cell(ref_state *s, int k, const float *x, int64_t nx)
{
    const ts_problem *p = s->p;
    const ts_cell_weights *cw = &s->w->cell[k];
    const int64_t B = p->B, H = p->H;
    float *h = s->h[k];
    matmul_bias_r(B, x, nx, h, H, cw->kernel, cw->bias, 2 * H, s->z, s->rx, s->rs);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++)
            s->rh[b * H + j] = r32((double)sigm(s->z[b * 2 * H + j]) * h[b * H + j]);
    matmul_bias_r(B, x, nx, s->rh, H, cw->cand_kernel, cw->cand_bias, H, s->zc, s->rx, s->rs);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
            float u = sigm(s->z[b * 2 * H + H + j]), c = tnh(s->zc[b * H + j]);
            float t1 = r32((double)u * h[b * H + j]);
            float t2 = r32((double)r32(1.0 - u) * c);
            h[b * H + j] = r32((double)t1 + t2);
        }
}

/* One unit of TF's LSTMCell.call (BasicLSTMCell when no extra is set: the same
 * ops).  Input and forget peepholes read the previous c; cell_clip clips the new
 * c, which is the state; the output peephole reads the new, clipped c. */
static void lstm_unit(const ts_problem *p, const ts_cell_weights *cw, const float *z, int64_t u,
                      float *c, float *m)
{
    const int64_t H = p->H;
    float c_prev = *c, iz = z[u], jz = z[H + u], fz = r32((double)z[2 * H + u] + p->forget_bias), oz = z[3 * H + u];
    if (p->peep) {
        fz = r32((double)fz + r32((double)cw->w_f_diag[u] * c_prev));
        iz = r32((double)iz + r32((double)cw->w_i_diag[u] * c_prev));
    }
    float keep = r32((double)sigm(fz) * c_prev);
    float add = r32((double)sigm(iz) * tnh(jz));
    float cn = r32((double)keep + add);
    if (p->has_cell_clip)
        cn = clip(cn, p->cell_clip);
    if (p->peep)
        oz = r32((double)oz + r32((double)cw->w_o_diag[u] * cn));
    *c = cn;
    *m = r32((double)sigm(oz) * tnh(cn));
}

static void lstm_cell(ref_state *s, int k, const float *x, int64_t nx)
{
    const ts_problem *p = s->p;
    const ts_cell_weights *cw = &s->w->cell[k];
    const int64_t B = p->B, H = p->H, Ho = ts_out_width(p);
    matmul_bias_r(B, x, nx, s->h[k], Ho, cw->kernel, cw->bias, 4 * H, s->z, s->rx, s->rs);
    float *m = p->P ? s->m : s->h[k]; /* without projection m is the state */
    for (int64_t b = 0; b < B; b++)
        for (int64_t u = 0; u < H; u++)
            lstm_unit(p, cw, s->z + b * 4 * H, u, s->c[k] + b * H + u, m + b * H + u);
    if (!p->P)
        return;
    /* m = m @ projection/kernel (matmul: one rounding), then proj_clip */
    matmul_bias(B, m, H, NULL, 0, cw->proj_kernel, NULL, p->P, s->h[k]);
    for (int64_t j = 0; p->has_proj_clip && j < B * p->P; j++)
        s->h[k][j] = clip(s->h[k][j], p->proj_clip);
}

/* One step of the MultiRNNCell: layer k reads layer k-1's output (y, residual
 * included); returns the top layer's output. */
static const float *ref_step(ref_state *s, const float *x)
{
    const ts_problem *p = s->p;
    const int64_t B = p->B, Ho = ts_out_width(p);
    const float *in = x;
    for (int k = 0; k < p->layers; k++) {
        int64_t nx = ts_layer_input(p, k);
        switch (p->cell) {
        case TS_CELL_RNN: rnn_cell(s, k, in, nx); break;
        case TS_CELL_GRU: gru_cell(s, k, in, nx); break;
        case TS_CELL_LSTM: lstm_cell(s, k, in, nx); break;
        }
        round_state(s, k);
        float *y = s->y[k & 1];
        /* ResidualWrapper: output = input + cell output, after projection and
         * proj_clip, not clipped; the state keeps the cell's own output */
        for (int64_t j = 0; j < B * Ho; j++)
            y[j] = ts_layer_residual(p, k) ? r32((double)in[j] + s->h[k][j]) : s->h[k][j];
        in = y;
    }
    return in;
}

/* Built-in greedy loop in double, recording the argmax margin per row.  The
 * argmax is TF's (Eigen's ArgMax reducer): it starts at (index 0, -FLT_MAX) and
 * takes a logit only if strictly greater, so NaN is skipped, ties keep the
 * smallest index, and a row with no logit above -FLT_MAX (all NaN or -inf) gives 0. */
void ts_reference_argmax_embed(const ts_problem *p, const ts_weights *w, const float *prev, float *next,
                               int32_t *symbols, double *margins)
{
    const int64_t H = ts_out_width(p), V = p->V, I = p->I;
    for (int64_t b = 0; b < p->B; b++) {
        double best = -FLT_MAX, second = -INFINITY;
        int64_t arg = 0;
        for (int64_t v = 0; v < V; v++) {
            double z = 0;
            for (int64_t k = 0; k < H; k++)
                z += (double)prev[b * H + k] * w->proj_w[k * V + v];
            z += w->proj_b[v];
            if (z > best) { /* NaN: neither branch */
                second = best, best = z, arg = v;
            } else if (z > second) {
                second = z;
            }
        }
        memcpy(next + b * I, w->embedding + arg * I, (size_t)I * sizeof(float));
        if (symbols)
            symbols[b] = (int32_t)arg;
        if (margins)
            margins[b] = V > 1 ? best - second : INFINITY;
    }
}

static void ref_free(ref_state *s)
{
    for (int k = 0; k < TS_MAX_LAYERS; k++)
        free(s->h[k]), free(s->c[k]);
    free(s->y[0]), free(s->y[1]), free(s->z), free(s->zc), free(s->rh), free(s->m);
}

static bool ref_alloc(ref_state *s)
{
    const ts_problem *p = s->p;
    const size_t BH = (size_t)(p->B * p->H), BO = (size_t)(p->B * ts_out_width(p));
    bool ok = true;
    for (int k = 0; k < p->layers; k++)
        ok = (s->h[k] = calloc(BO, 4)) && (s->c[k] = calloc(BH, 4)) && ok;
    s->y[0] = calloc(BO, 4), s->y[1] = calloc(BO, 4), s->z = calloc(BH * 4, 4);
    s->zc = calloc(BH, 4), s->rh = calloc(BH, 4), s->m = calloc(BH, 4);
    return ok && s->y[0] && s->y[1] && s->z && s->zc && s->rh && s->m;
}

/* Every layer's h [L x B x Hout] and (lstm) c [L x B x H] into h, c (each may be NULL). */
static void copy_states(const ref_state *s, float *h, float *c)
{
    const ts_problem *p = s->p;
    const size_t BH = (size_t)(p->B * p->H), BO = (size_t)(p->B * ts_out_width(p));
    for (int k = 0; k < p->layers; k++) {
        if (h)
            memcpy(h + k * BO, s->h[k], BO * 4);
        if (c && p->cell == TS_CELL_LSTM)
            memcpy(c + k * BH, s->c[k], BH * 4);
    }
}

int ts_reference_run(const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                     ts_outputs *out, double *margins, ts_err *e)
{
    return ts_reference_run_nx(p, w, in, out, margins, NULL, e);
}

int ts_reference_run_nx(const ts_problem *p, const ts_weights *w, const ts_inputs *in, ts_outputs *out,
                        double *margins, const ts_ref_numerics *nx, ts_err *e)
{
    const size_t BO = (size_t)(p->B * ts_out_width(p)), BI = (size_t)(p->B * p->I);
    const size_t LBO = BO * (size_t)p->layers, LBH = (size_t)(p->B * p->H) * (size_t)p->layers;
    ref_state s = {.p = p, .w = w};
    set_numerics(&s, nx);
    float *x = calloc(BI, 4);
    int rc = 0;
    if (!ref_alloc(&s) || !x) {
        rc = ts_fail(e, "reference: out of memory");
        goto done;
    }
    for (int64_t t = 0; t < p->E; t++)
        ref_step(&s, in->enc + t * BI);
    for (int64_t i = 0; i < p->D; i++) {
        const float *xi = in->dec + i * BI;
        int32_t *sym = out->symbols ? out->symbols + i * p->B : NULL;
        double *mg = margins ? margins + i * p->B : NULL;
        if (p->feed == TS_FEED_GREEDY && i > 0) {
            const float *prev = out->out + (i - 1) * BO;
            if (in->loop) {
                if ((rc = in->loop(in->loop_ctx, p, i, prev, x, sym)))
                    goto done;
                for (int64_t b = 0; mg && b < p->B; b++)
                    mg[b] = INFINITY;
            } else {
                ts_reference_argmax_embed(p, w, prev, x, sym, mg);
            }
            xi = x;
        } else {
            for (int64_t b = 0; b < p->B; b++) {
                if (sym)
                    sym[b] = -1;
                if (mg)
                    mg[b] = INFINITY;
            }
        }
        memcpy(out->out + i * BO, ref_step(&s, xi), BO * 4);
        copy_states(&s, out->states_h ? out->states_h + i * LBO : NULL,
                    out->states_c ? out->states_c + i * LBH : NULL);
    }
    copy_states(&s, out->h, out->c);
done:
    ref_free(&s);
    free(x);
    return rc;
}

/* ---- bf16: the step-local check's one cell, the rounded weights ---- */

/* The distance of v from the nearest bf16 rounding boundary (a midpoint
 * between two neighbouring bf16 values), and the bf16 ulp at v. */
static void bf16_boundary(float v, double *dist, double *ulp)
{
    int ex;
    frexp((double)v, &ex); /* |v| in [2^(ex-1), 2^ex): 8 significant bits */
    *ulp = ldexp(1.0, ex - 8);
    double lo = floor((double)v / *ulp) * *ulp, mid = lo + *ulp / 2;
    *dist = fabs((double)v - mid);
}

/* GRU: slack[b] = max_j sum over ambiguous k of |Wc_kj| * ulp(r*h_k) (see reference.h) */
static void gru_slack(const ref_state *s, int k, int64_t nx, double tol, double *slack)
{
    const ts_problem *p = s->p;
    const int64_t H = p->H;
    const float *Wc = s->w->cell[k].cand_kernel + nx * H; /* the state rows */
    double *col = calloc((size_t)H, sizeof *col);
    for (int64_t b = 0; b < p->B; b++) {
        slack[b] = 0;
        if (!col)
            continue;
        memset(col, 0, (size_t)H * sizeof *col);
        for (int64_t q = 0; q < H; q++) {
            /* the variant's r*h may differ by its sigmoid's error at z_r (the
             * one-step GEMM's tol*(1+|z|), times sigma' <= 1/4 and |h| <= 1),
             * which tol*(1+|z_r|) covers with the activations' few ulp */
            float v = s->rh[b * H + q], zr = s->z[b * 2 * H + q];
            double dist, ulp;
            if (!isfinite(v) || v == 0)
                continue;
            bf16_boundary(v, &dist, &ulp);
            if (dist > tol * (1 + fabs((double)zr))) /* both sides round it alike */
                continue;
            for (int64_t j = 0; j < H; j++)
                col[j] += fabs(Wc[q * H + j]) * ulp;
        }
        for (int64_t j = 0; j < H; j++)
            slack[b] = col[j] > slack[b] ? col[j] : slack[b];
    }
    free(col);
}

int ts_reference_cell(const ts_problem *p, const ts_weights *w, const ts_ref_numerics *nx, int k,
                      const float *x, float *h, float *c, double tol, double *slack, ts_err *e)
{
    ts_problem one = *p;
    one.layers = 1; /* the scratch of one layer: h[0], c[0] */
    ref_state s = {.p = &one, .w = w};
    set_numerics(&s, nx);
    if (!ref_alloc(&s)) {
        ref_free(&s);
        return ts_fail(e, "reference: out of memory");
    }
    s.p = p;
    float *h0 = s.h[0], *c0 = s.c[0];
    s.h[k] = h, s.c[k] = c ? c : c0; /* the caller's state, updated in place */
    const int64_t nxw = ts_layer_input(p, k);
    switch (p->cell) {
    case TS_CELL_RNN: rnn_cell(&s, k, x, nxw); break;
    case TS_CELL_GRU: gru_cell(&s, k, x, nxw); break;
    case TS_CELL_LSTM: lstm_cell(&s, k, x, nxw); break;
    }
    round_state(&s, k);
    for (int64_t b = 0; slack && b < p->B; b++)
        slack[b] = 0;
    if (slack && p->cell == TS_CELL_GRU && s.rs)
        gru_slack(&s, k, nxw, tol, slack);
    s.h[k] = NULL, s.c[k] = NULL;
    s.h[0] = h0, s.c[0] = c0;
    ref_free(&s);
    return 0;
}

int ts_weights_round_bf16(const ts_problem *p, const ts_weights *w, float (*round)(float), ts_weights *out,
                          float **store, ts_err *e)
{
    round = round ? round : ts_bf16_round;
    *out = *w;
    size_t total = 0, n[TS_MAX_LAYERS][2] = {{0}};
    for (int k = 0; k < p->layers; k++) {
        int64_t rows = ts_layer_input(p, k) + ts_out_width(p);
        n[k][0] = (size_t)(rows * (p->cell == TS_CELL_GRU ? 2 : ts_cell_gates(p->cell)) * p->H);
        n[k][1] = p->cell == TS_CELL_GRU ? (size_t)(rows * p->H) : 0;
        total += n[k][0] + n[k][1];
    }
    float *buf = *store = malloc(total * sizeof(float) + 1);
    if (!buf)
        return ts_fail(e, "reference: out of memory for bf16 weights");
    for (int k = 0; k < p->layers; k++)
        for (int m = 0; m < 2; m++) {
            const float *src = m ? w->cell[k].cand_kernel : w->cell[k].kernel;
            if (!n[k][m])
                continue;
            for (size_t q = 0; q < n[k][m]; q++)
                buf[q] = round(src[q]);
            if (m)
                out->cell[k].cand_kernel = buf;
            else
                out->cell[k].kernel = buf;
            buf += n[k][m];
        }
    return 0;
}
