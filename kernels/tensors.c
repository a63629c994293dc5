/* Owning tensor sets: allocation and deterministic filling (benchdnn-style:
 * values that keep every pre-activation O(1), out of saturation). */
#include "tiedseq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *ts_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes)
        return NULL;
    void *ptr = aligned_alloc(64, rounded);
    if (ptr)
        memset(ptr, 0, rounded);
    return ptr;
}

void ts_free(void *ptr) { free(ptr); }

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float ts_rand_uniform(uint64_t *state, float lo, float hi)
{
    double u = (double)(splitmix64(state) >> 11) * 0x1.0p-53; /* [0, 1) */
    return (float)(lo + (hi - lo) * u);
}

/* Allocate n floats into *dst unless n == 0; false on allocation failure. */
static bool alloc_floats(float **dst, size_t n)
{
    *dst = NULL;
    if (n == 0)
        return true;
    *dst = ts_alloc(n * sizeof(float));
    return *dst != NULL;
}

int ts_tensors_alloc(ts_tensors *t, const ts_problem *p, ts_err *e)
{
    memset(t, 0, sizeof *t);
    ts_sizes s;
    if (ts_problem_check_memory(p, e))
        return -1;
    ts_problem_sizes(p, &s, NULL);
    t->p = *p;
    bool ok = alloc_floats(&t->w.cell[0].kernel, s.kernel) && alloc_floats(&t->w.cell[0].bias, s.bias) &&
              alloc_floats(&t->w.cell[0].cand_kernel, s.cand_kernel) &&
              alloc_floats(&t->w.cell[0].cand_bias, s.cand_bias) && alloc_floats(&t->w.proj_w, s.proj_w) &&
              alloc_floats(&t->w.proj_b, s.proj_b) && alloc_floats(&t->w.embedding, s.embedding) &&
              alloc_floats(&t->enc, s.enc) && alloc_floats(&t->dec, s.dec);
    if (!ok) {
        ts_tensors_free(t);
        return ts_fail(e, "out of memory allocating weights and inputs (%zu bytes)", s.total_bytes);
    }
    t->in.enc = t->enc;
    t->in.dec = t->dec;
    return 0;
}

static void fill(float *x, size_t n, uint64_t *st, float lo, float hi)
{
    for (size_t k = 0; k < n; k++)
        x[k] = ts_rand_uniform(st, lo, hi);
}

void ts_tensors_fill(ts_tensors *t, uint64_t seed)
{
    ts_sizes s;
    ts_problem_sizes(&t->p, &s, NULL);
    uint64_t st = seed * 0x2545F4914F6CDD1Dull + 1;
    float a = 1.0f / sqrtf((float)(t->p.I + t->p.H));
    fill(t->w.cell[0].kernel, s.kernel, &st, -a, a);
    if (t->p.cell == TS_CELL_GRU) {
        fill(t->w.cell[0].bias, s.bias, &st, 1.0f - a, 1.0f + a); /* TF starts gate bias at 1.0 */
        fill(t->w.cell[0].cand_kernel, s.cand_kernel, &st, -a, a);
        fill(t->w.cell[0].cand_bias, s.cand_bias, &st, -a, a);
    } else {
        fill(t->w.cell[0].bias, s.bias, &st, -a, a);
    }
    if (t->p.feed == TS_FEED_GREEDY) {
        float ap = 1.0f / sqrtf((float)t->p.H);
        fill(t->w.proj_w, s.proj_w, &st, -ap, ap);
        fill(t->w.proj_b, s.proj_b, &st, -0.1f, 0.1f);
        fill(t->w.embedding, s.embedding, &st, -1.0f, 1.0f);
    }
    fill(t->enc, s.enc, &st, -1.0f, 1.0f);
    fill(t->dec, s.dec, &st, -1.0f, 1.0f);
}

void ts_tensors_free(ts_tensors *t)
{
    float *bufs[] = {t->w.cell[0].kernel, t->w.cell[0].bias, t->w.cell[0].cand_kernel, t->w.cell[0].cand_bias, t->w.proj_w,
                     t->w.proj_b, t->w.embedding, t->enc, t->dec};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++)
        ts_free(bufs[k]);
    memset(t, 0, sizeof *t);
}

int ts_result_alloc(ts_result *r, const ts_problem *p, bool with_states, ts_err *e)
{
    memset(r, 0, sizeof *r);
    ts_sizes s;
    if (ts_problem_sizes(p, &s, e))
        return -1;
    bool lstm = p->cell == TS_CELL_LSTM, greedy = p->feed == TS_FEED_GREEDY;
    bool ok = alloc_floats(&r->out, s.out) && alloc_floats(&r->h, s.state) &&
              (!lstm || alloc_floats(&r->c, s.state)) &&
              (!with_states || alloc_floats(&r->states_h, s.out)) &&
              (!with_states || !lstm || alloc_floats(&r->states_c, s.out));
    if (ok && greedy && p->D > 0) {
        r->symbols = ts_alloc((size_t)p->D * (size_t)p->B * sizeof(int32_t));
        ok = r->symbols != NULL;
    }
    if (!ok) {
        ts_result_free(r);
        return ts_fail(e, "out of memory allocating outputs");
    }
    r->o = (ts_outputs){.out = r->out, .h = r->h, .c = r->c, .states_h = r->states_h,
                        .states_c = r->states_c, .symbols = r->symbols};
    return 0;
}

void ts_result_free(ts_result *r)
{
    ts_free(r->out);
    ts_free(r->h);
    ts_free(r->c);
    ts_free(r->states_h);
    ts_free(r->states_c);
    ts_free(r->symbols);
    memset(r, 0, sizeof *r);
}
