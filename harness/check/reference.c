#include "harness/check/reference.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_state {
    const ts_problem *p;
    const ts_weights *w;
    float *h, *c, *z, *zc, *rh;
} ref_state;

static float sigm(float x) { return (float)(1.0 / (1.0 + exp(-(double)x))); }
static float tnh(float x) { return (float)tanh((double)x); }

/* z[B x cols] = fp32(fp32(sum_k [x,h]_k K_kj in double) + bias_j) */
static void matmul_bias(const ts_problem *p, const float *x, const float *h, const float *K,
                        const float *bias, int64_t cols, float *z)
{
    const int64_t I = p->I, H = p->H;
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t j = 0; j < cols; j++) {
            double acc = 0;
            for (int64_t k = 0; k < I; k++)
                acc += (double)x[b * I + k] * K[k * cols + j];
            for (int64_t k = 0; k < H; k++)
                acc += (double)h[b * H + k] * K[(I + k) * cols + j];
            z[b * cols + j] = (float)((double)(float)acc + bias[j]);
        }
}

static void ref_step(ref_state *s, const float *x)
{
    const ts_problem *p = s->p;
    const int64_t B = p->B, H = p->H;
    if (p->cell == TS_CELL_RNN) {
        matmul_bias(p, x, s->h, s->w->cell[0].kernel, s->w->cell[0].bias, H, s->z);
        for (int64_t k = 0; k < B * H; k++)
            s->h[k] = tnh(s->z[k]);
    } else if (p->cell == TS_CELL_GRU) {
        matmul_bias(p, x, s->h, s->w->cell[0].kernel, s->w->cell[0].bias, 2 * H, s->z);
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < H; j++)
                s->rh[b * H + j] = (float)((double)sigm(s->z[b * 2 * H + j]) * s->h[b * H + j]);
        matmul_bias(p, x, s->rh, s->w->cell[0].cand_kernel, s->w->cell[0].cand_bias, H, s->zc);
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < H; j++) {
                float u = sigm(s->z[b * 2 * H + H + j]), c = tnh(s->zc[b * H + j]);
                float t1 = (float)((double)u * s->h[b * H + j]);
                float t2 = (float)((double)(float)(1.0 - u) * c);
                s->h[b * H + j] = (float)((double)t1 + t2);
            }
    } else {
        matmul_bias(p, x, s->h, s->w->cell[0].kernel, s->w->cell[0].bias, 4 * H, s->z);
        for (int64_t b = 0; b < B; b++)
            for (int64_t k = 0; k < H; k++) {
                const float *z = s->z + b * 4 * H;
                float fz = (float)((double)z[2 * H + k] + p->forget_bias);
                float keep = (float)((double)s->c[b * H + k] * sigm(fz));
                float add = (float)((double)sigm(z[k]) * tnh(z[H + k]));
                float c = (float)((double)keep + add);
                s->c[b * H + k] = c;
                s->h[b * H + k] = (float)((double)tnh(c) * sigm(z[3 * H + k]));
            }
    }
}

/* Built-in greedy loop in double, recording the argmax margin per row.  The
 * argmax is TF's (Eigen's ArgMax reducer): it starts at (index 0, -FLT_MAX) and
 * takes a logit only if strictly greater, so NaN is skipped, ties keep the
 * smallest index, and a row with no logit above -FLT_MAX (all NaN or -inf) gives 0. */
static void ref_argmax_embed(const ts_problem *p, const ts_weights *w, const float *prev,
                             float *next, int32_t *symbols, double *margins)
{
    const int64_t H = p->H, V = p->V, I = p->I;
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

int ts_reference_run(const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                     ts_outputs *out, double *margins, ts_err *e)
{
    const size_t BH = (size_t)(p->B * p->H), BI = (size_t)(p->B * p->I);
    ref_state s = {.p = p, .w = w};
    s.h = calloc(BH, 4), s.c = calloc(BH, 4), s.z = calloc(BH * 4, 4);
    s.zc = calloc(BH, 4), s.rh = calloc(BH, 4);
    float *x = calloc(BI, 4);
    int rc = 0;
    if (!s.h || !s.c || !s.z || !s.zc || !s.rh || !x) {
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
            const float *prev = out->out + (i - 1) * BH;
            if (in->loop) {
                if ((rc = in->loop(in->loop_ctx, p, i, prev, x, sym)))
                    goto done;
                for (int64_t b = 0; mg && b < p->B; b++)
                    mg[b] = INFINITY;
            } else {
                ref_argmax_embed(p, w, prev, x, sym, mg);
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
        ref_step(&s, xi);
        memcpy(out->out + i * BH, s.h, BH * 4);
        if (out->states_h)
            memcpy(out->states_h + i * BH, s.h, BH * 4);
        if (out->states_c && p->cell == TS_CELL_LSTM)
            memcpy(out->states_c + i * BH, s.c, BH * 4);
    }
    memcpy(out->h, s.h, BH * 4);
    if (out->c && p->cell == TS_CELL_LSTM)
        memcpy(out->c, s.c, BH * 4);
done:
    free(s.h), free(s.c), free(s.z), free(s.zc), free(s.rh), free(x);
    return rc;
}
