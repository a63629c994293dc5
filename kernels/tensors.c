/* Owning tensor sets: allocation and deterministic filling (benchdnn-style:
 * values that keep every pre-activation O(1), out of saturation). */
#include "tiedseq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

#define HUGE_PAGE ((size_t)2 << 20)

/* kB of anonymous huge pages in the mapping that holds p (/proc/self/smaps). */
static long huge_kb_at(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return 0;
    char line[256];
    bool inside = false;
    long kb = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (inside && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    }
    fclose(f);
    return inside ? kb : 0;
}

void *ts_alloc_big(size_t bytes, bool *huge)
{
    if (huge)
        *huge = false;
    const char *env = getenv("TS_HUGEPAGES");
    if (bytes < HUGE_PAGE || (env && !strcmp(env, "0")))
        return ts_alloc(bytes);
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *ptr = NULL;
    if (rounded < bytes || posix_memalign(&ptr, HUGE_PAGE, rounded))
        return ts_alloc(bytes);
    madvise(ptr, rounded, MADV_HUGEPAGE); /* advice: failure leaves normal pages */
    memset(ptr, 0, rounded);              /* first touch after the advice */
    if (huge)
        *huge = huge_kb_at(ptr) > 0;
    return ptr;
}

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

/* Every weight buffer of layer k with its element count (for alloc and free). */
static int cell_buffers(ts_cell_weights *c, const ts_layer_sizes *s, float ***bufs, size_t *n)
{
    float **b[] = {&c->kernel, &c->bias, &c->cand_kernel, &c->cand_bias, &c->w_i_diag,
                   &c->w_f_diag, &c->w_o_diag, &c->proj_kernel};
    size_t m[] = {s->kernel, s->bias, s->cand_kernel, s->cand_bias, s->diag, s->diag, s->diag,
                  s->proj_kernel};
    for (int k = 0; k < 8; k++)
        bufs[k] = b[k], n[k] = m[k];
    return 8;
}

int ts_tensors_alloc(ts_tensors *t, const ts_problem *p, ts_err *e)
{
    memset(t, 0, sizeof *t);
    ts_sizes s;
    if (ts_problem_check_memory(p, e))
        return -1;
    ts_problem_sizes(p, &s, NULL);
    t->p = *p;
    bool ok = true;
    for (int k = 0; ok && k < p->layers; k++) {
        float **bufs[8];
        size_t n[8];
        int nb = cell_buffers(&t->w.cell[k], &s.cell[k], bufs, n);
        for (int j = 0; ok && j < nb; j++)
            ok = alloc_floats(bufs[j], n[j]);
    }
    ok = ok && alloc_floats(&t->w.proj_w, s.proj_w) && alloc_floats(&t->w.proj_b, s.proj_b) &&
         alloc_floats(&t->w.embedding, s.embedding) && alloc_floats(&t->enc, s.enc) &&
         alloc_floats(&t->dec, s.dec);
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

/* Kernel and bias of layer k: U(+-1/sqrt(rows)), GRU gate bias around 1. */
static void fill_cell_core(ts_cell_weights *c, const ts_layer_sizes *s, ts_cell cell, uint64_t *st)
{
    float a = 1.0f / sqrtf((float)s->rows);
    fill(c->kernel, s->kernel, st, -a, a);
    if (cell == TS_CELL_GRU) {
        fill(c->bias, s->bias, st, 1.0f - a, 1.0f + a); /* TF starts gate bias at 1.0 */
        fill(c->cand_kernel, s->cand_kernel, st, -a, a);
        fill(c->cand_bias, s->cand_bias, st, -a, a);
    } else {
        fill(c->bias, s->bias, st, -a, a);
    }
}

/* LSTMCell extras of layer k: peepholes U(+-0.5) (w*c stays O(1) while |c| is),
 * projection U(+-1/sqrt(H)) (m has H terms in (-1, 1): the sum stays O(1)). */
static void fill_cell_extras(ts_cell_weights *c, const ts_layer_sizes *s, int64_t H, uint64_t *st)
{
    fill(c->w_i_diag, s->diag, st, -0.5f, 0.5f);
    fill(c->w_f_diag, s->diag, st, -0.5f, 0.5f);
    fill(c->w_o_diag, s->diag, st, -0.5f, 0.5f);
    float ap = 1.0f / sqrtf((float)H);
    fill(c->proj_kernel, s->proj_kernel, st, -ap, ap);
}

void ts_tensors_fill(ts_tensors *t, uint64_t seed)
{
    ts_sizes s;
    ts_problem_sizes(&t->p, &s, NULL);
    /* the first stream draws, in this order, what a one-layer problem always drew */
    uint64_t st = seed * 0x2545F4914F6CDD1Dull + 1;
    fill_cell_core(&t->w.cell[0], &s.cell[0], t->p.cell, &st);
    if (t->p.feed == TS_FEED_GREEDY) {
        float ap = 1.0f / sqrtf((float)ts_out_width(&t->p));
        fill(t->w.proj_w, s.proj_w, &st, -ap, ap);
        fill(t->w.proj_b, s.proj_b, &st, -0.1f, 0.1f);
        fill(t->w.embedding, s.embedding, &st, -1.0f, 1.0f);
    }
    fill(t->enc, s.enc, &st, -1.0f, 1.0f);
    fill(t->dec, s.dec, &st, -1.0f, 1.0f);
    /* a second stream for what is new: layer 0's extras, then layers 1.. */
    uint64_t st2 = seed * 0x2545F4914F6CDD1Dull + 2 + 0x5851F42D4C957F2Dull;
    fill_cell_extras(&t->w.cell[0], &s.cell[0], t->p.H, &st2);
    for (int k = 1; k < t->p.layers; k++) {
        fill_cell_core(&t->w.cell[k], &s.cell[k], t->p.cell, &st2);
        fill_cell_extras(&t->w.cell[k], &s.cell[k], t->p.H, &st2);
    }
}

void ts_tensors_free(ts_tensors *t)
{
    for (int k = 0; k < TS_MAX_LAYERS; k++) {
        ts_cell_weights *c = &t->w.cell[k];
        float *bufs[] = {c->kernel, c->bias, c->cand_kernel, c->cand_bias, c->w_i_diag,
                         c->w_f_diag, c->w_o_diag, c->proj_kernel};
        for (size_t j = 0; j < sizeof bufs / sizeof bufs[0]; j++)
            ts_free(bufs[j]);
    }
    float *bufs[] = {t->w.proj_w, t->w.proj_b, t->w.embedding, t->enc, t->dec};
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
    bool ok = alloc_floats(&r->out, s.out) && alloc_floats(&r->h, s.state_h) &&
              (!lstm || alloc_floats(&r->c, s.state_c)) &&
              (!with_states || alloc_floats(&r->states_h, s.states_h)) &&
              (!with_states || !lstm || alloc_floats(&r->states_c, s.states_c));
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
