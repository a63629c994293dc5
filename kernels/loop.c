/* The greedy loop function: TF's _extract_argmax_and_embed. */
#include "tiedseq.h"

#include <float.h>

/* Logits in chunks of LOGIT_CHUNK columns, rows of W read contiguously (W is
 * [H x V]); each z[v] still sums over k in order, then adds the bias, as TF's
 * matmul followed by bias_add.  No allocation: the chunk lives on the stack. */
#define LOGIT_CHUNK 256

int ts_loop_argmax_embed(void *ctx, const ts_problem *p, int64_t step, const float *prev,
                         float *next, int32_t *symbols)
{
    (void)step;
    const ts_weights *w = ctx;
    const int64_t H = ts_out_width(p), V = p->V, I = p->I; /* prev is [B x Hout] */
    float z[LOGIT_CHUNK];
    for (int64_t b = 0; b < p->B; b++) {
        const float *h = prev + b * H;
        int64_t best = 0; /* TF's argmax (Eigen's reducer): start at (0, -FLT_MAX) and */
        float best_z = -FLT_MAX; /* take only a strictly greater logit: NaN never wins */
        for (int64_t v0 = 0; v0 < V; v0 += LOGIT_CHUNK) {
            int64_t n = V - v0 < LOGIT_CHUNK ? V - v0 : LOGIT_CHUNK;
            for (int64_t j = 0; j < n; j++)
                z[j] = 0.0f;
            for (int64_t k = 0; k < H; k++) {
                const float a = h[k], *wk = w->proj_w + k * V + v0;
                for (int64_t j = 0; j < n; j++)
                    z[j] += a * wk[j];
            }
            for (int64_t j = 0; j < n; j++) {
                float zj = z[j] + w->proj_b[v0 + j];
                if (zj > best_z) { /* strict '>': smallest index on ties */
                    best = v0 + j;
                    best_z = zj;
                }
            }
        }
        const float *row = w->embedding + best * I;
        for (int64_t k = 0; k < I; k++)
            next[b * I + k] = row[k];
        if (symbols)
            symbols[b] = (int32_t)best;
    }
    return 0;
}

int ts_loop_call(const ts_problem *p, const ts_weights *w, const ts_inputs *in, int64_t step,
                 const float *prev, float *next, int32_t *symbols)
{
    if (in->loop)
        return in->loop(in->loop_ctx, p, step, prev, next, symbols);
    return ts_loop_argmax_embed((void *)w, p, step, prev, next, symbols);
}

void ts_decoder_mark_go(const ts_problem *p, ts_outputs *out)
{
    if (p->feed == TS_FEED_GREEDY && out->symbols && p->D > 0)
        for (int64_t b = 0; b < p->B; b++)
            out->symbols[b] = -1;
}

int ts_decoder_input(const ts_problem *p, const ts_weights *w, const ts_inputs *in, ts_outputs *out,
                     int64_t i, float *xbuf, const float **x)
{
    if (p->feed == TS_FEED_TEACHER) {
        *x = in->dec + i * p->B * p->I;
        return 0;
    }
    *x = in->dec; /* GO */
    if (i == 0) {
        ts_decoder_mark_go(p, out);
        return 0;
    }
    int32_t *sym = out->symbols ? out->symbols + i * p->B : NULL;
    *x = xbuf;
    return ts_loop_call(p, w, in, i, out->out + (i - 1) * p->B * ts_out_width(p), xbuf, sym);
}
