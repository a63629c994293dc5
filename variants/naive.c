/* naive: fp32, straightforward loops in TF's op order, no tricks.  The speed
 * baseline every other variant is measured against.  The only concession is an
 * OpenMP loop over (batch row, column tile), so its thread-scaling line exists;
 * every output element is still summed by one thread in input order. */
#include "../kernels/act.h"
#include "variant.h"

#include <stdlib.h>
#include <string.h>

#define COL_TILE 256

typedef struct naive_plan {
    ts_problem p;
    const ts_weights *w;
    float *h, *c;  /* state [B x H] */
    float *z;      /* pre-activations [B x G*H] (GRU: gates [B x 2H]) */
    float *zc;     /* GRU candidate pre-activations [B x H] */
    float *rh;     /* GRU r*h [B x H] */
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
    ts_free(np->h), ts_free(np->c), ts_free(np->z), ts_free(np->zc), ts_free(np->rh), ts_free(np->x);
    free(np);
}

static int naive_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    (void)impl;
    naive_plan *np = calloc(1, sizeof *np);
    if (!np)
        return ts_fail(e, "naive: out of memory");
    size_t BH = (size_t)(p->B * p->H), G = (size_t)ts_cell_gates(p->cell);
    np->p = *p;
    np->w = w;
    np->h = ts_alloc(BH * 4);
    np->c = ts_alloc(BH * 4);
    np->z = ts_alloc(BH * G * 4);
    np->zc = ts_alloc(BH * 4);
    np->rh = ts_alloc(BH * 4);
    np->x = ts_alloc((size_t)(p->B * p->I) * 4);
    if (!np->h || !np->c || !np->z || !np->zc || !np->rh || !np->x) {
        naive_release(np);
        return ts_fail(e, "naive: out of memory for state buffers");
    }
    *plan = np;
    return 0;
}

/* z[B x cols] = [x, h] @ K + bias: the matmul sums in row order, then the bias
 * add is a separate rounding, as TF's matmul followed by bias_add. */
static void matmul_bias(const ts_problem *p, const float *x, const float *h, const float *K,
                        const float *bias, int64_t cols, float *z)
{
    const int64_t B = p->B, I = p->I, H = p->H;
    const int64_t tiles = (cols + COL_TILE - 1) / COL_TILE;
#pragma omp parallel for collapse(2) num_threads(p->threads) schedule(static)
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < tiles; t++) {
            int64_t j0 = t * COL_TILE, j1 = j0 + COL_TILE < cols ? j0 + COL_TILE : cols;
            float *zr = z + b * cols;
            for (int64_t j = j0; j < j1; j++)
                zr[j] = 0.0f;
            for (int64_t k = 0; k < I + H; k++) {
                float a = k < I ? x[b * I + k] : h[b * H + (k - I)];
                const float *kr = K + k * cols;
                for (int64_t j = j0; j < j1; j++)
                    zr[j] += a * kr[j];
            }
            for (int64_t j = j0; j < j1; j++)
                zr[j] += bias[j];
        }
}

static void rnn_step(naive_plan *np, const float *x)
{
    const ts_problem *p = &np->p;
    matmul_bias(p, x, np->h, np->w->cell[0].kernel, np->w->cell[0].bias, p->H, np->z);
    for (int64_t k = 0; k < p->B * p->H; k++)
        np->h[k] = ts_tanhf(np->z[k]);
}

static void gru_step(naive_plan *np, const float *x)
{
    const ts_problem *p = &np->p;
    const int64_t B = p->B, H = p->H;
    matmul_bias(p, x, np->h, np->w->cell[0].kernel, np->w->cell[0].bias, 2 * H, np->z);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
            float r = ts_sigmoidf(np->z[b * 2 * H + j]);
            np->rh[b * H + j] = r * np->h[b * H + j];
        }
    matmul_bias(p, x, np->rh, np->w->cell[0].cand_kernel, np->w->cell[0].cand_bias, H, np->zc);
    for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < H; j++) {
            float u = ts_sigmoidf(np->z[b * 2 * H + H + j]);
            float c = ts_tanhf(np->zc[b * H + j]);
            float t1 = u * np->h[b * H + j];
            float t2 = (1.0f - u) * c;
            np->h[b * H + j] = t1 + t2;
        }
}

static void lstm_step(naive_plan *np, const float *x)
{
    const ts_problem *p = &np->p;
    const int64_t B = p->B, H = p->H;
    matmul_bias(p, x, np->h, np->w->cell[0].kernel, np->w->cell[0].bias, 4 * H, np->z);
    for (int64_t b = 0; b < B; b++) {
        const float *z = np->z + b * 4 * H; /* blocks i, j, f, o */
        for (int64_t k = 0; k < H; k++) {
            float i = z[k], j = z[H + k], f = z[2 * H + k], o = z[3 * H + k];
            float c = np->c[b * H + k] * ts_sigmoidf(f + p->forget_bias) + ts_sigmoidf(i) * ts_tanhf(j);
            np->c[b * H + k] = c;
            np->h[b * H + k] = ts_tanhf(c) * ts_sigmoidf(o);
        }
    }
}

static void step(naive_plan *np, const float *x)
{
    switch (np->p.cell) {
    case TS_CELL_RNN: rnn_step(np, x); break;
    case TS_CELL_GRU: gru_step(np, x); break;
    case TS_CELL_LSTM: lstm_step(np, x); break;
    }
}

static int naive_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    naive_plan *np = plan;
    const ts_problem *p = &np->p;
    const size_t BH = (size_t)(p->B * p->H), BI = (size_t)(p->B * p->I);
    memset(np->h, 0, BH * 4);
    memset(np->c, 0, BH * 4);
    for (int64_t t = 0; t < p->E; t++)
        step(np, in->enc + t * BI);
    for (int64_t i = 0; i < p->D; i++) {
        const float *x = in->dec + i * BI;
        if (p->feed == TS_FEED_GREEDY && i > 0) {
            int32_t *sym = out->symbols ? out->symbols + i * p->B : NULL;
            int rc = ts_loop_call(p, np->w, in, i, out->out + (i - 1) * BH, np->x, sym);
            if (rc)
                return rc;
            x = np->x;
        } else if (p->feed == TS_FEED_GREEDY && out->symbols) {
            for (int64_t b = 0; b < p->B; b++)
                out->symbols[b] = -1; /* step 0 takes the GO input */
        }
        step(np, x);
        memcpy(out->out + i * BH, np->h, BH * 4);
        if (out->states_h)
            memcpy(out->states_h + i * BH, np->h, BH * 4);
        if (out->states_c && p->cell == TS_CELL_LSTM)
            memcpy(out->states_c + i * BH, np->c, BH * 4);
    }
    memcpy(out->h, np->h, BH * 4);
    if (out->c && p->cell == TS_CELL_LSTM)
        memcpy(out->c, np->c, BH * 4);
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
