/* The greedy loop function: TF's _extract_argmax_and_embed. */
#include "tiedseq.h"

int ts_loop_argmax_embed(void *ctx, const ts_problem *p, int64_t step, const float *prev,
                         float *next, int32_t *symbols)
{
    (void)step;
    const ts_weights *w = ctx;
    const int64_t H = p->H, V = p->V, I = p->I;
    for (int64_t b = 0; b < p->B; b++) {
        const float *h = prev + b * H;
        int64_t best = 0;
        float best_z = 0;
        for (int64_t v = 0; v < V; v++) {
            float z = 0; /* fp32 dot product, then + bias: TF's matmul then bias add */
            for (int64_t k = 0; k < H; k++)
                z += h[k] * w->proj_w[k * V + v];
            z += w->proj_b[v];
            if (v == 0 || z > best_z) { /* strict '>' keeps the smallest index on ties */
                best = v;
                best_z = z;
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
