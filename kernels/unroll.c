/* The persistent unroll driver (see unroll.h).  ISA-neutral: all vector work is
 * in the ukernels table; this file decides who computes what, and when. */
#include "unroll.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hoisted input pre-activations are computed for this many bytes of steps at a
 * time: big enough that the input weights are streamed once per many steps,
 * small enough to stay in the last-level cache next to the recurrent weights. */
#ifndef XPROJ_BUDGET_BYTES /* -D for experiments: 1 and 16 MiB measured no better */
#define XPROJ_BUDGET_BYTES (4u << 20)
#endif
/* Units a thread owns come in multiples of this many floats: one cache line,
 * so two threads never write the same line of a state row. */
#define MIN_GRANULE 16

struct ts_unroll_plan {
    ts_problem p;
    const ts_weights *w;
    const ts_ukernels *uk;
    int nps;           /* packed matrices: 1, GRU 2 (gates, candidate) */
    ts_pset ps[2];
    ts_phase phase[2]; /* the step kernel of each */
    int64_t Hp;        /* H padded to the granule; row stride of the state buffers */
    int64_t granule;   /* units per ownership unit (a multiple of every pset's upp) */
    int64_t S;         /* steps per hoisted chunk */
    float *hbuf[2];    /* h_t and h_{t+1} [B x Hp], swapped every step */
    float *c, *rh, *u; /* LSTM c; GRU r*h and u [B x Hp] */
    float *x;          /* greedy: next input [B x I] */
    float *xproj[2];   /* per pset: [panels][S*B][nw] */
    /* greedy projection on every thread (NULL gw: one thread, ts_loop_call) */
    int64_t gnw, gpanels; /* logits panel width; panels over V */
    float *gw;         /* W packed [gpanels][H][gnw], zero-padded */
    float *gb;         /* bias [gpanels][gnw], padded columns -inf (never chosen) */
    float *gz;         /* per thread [B][gnw]: one panel's logits */
    float *gbest_z;    /* per thread [B]: best logit of its columns */
    int64_t *gbest_i;  /* per thread [B]: its index, -1 = none */
    float *gx;         /* per thread [B x I]: the next input (no second barrier) */
    char detail[256];
};

/* What one thread does in one run. */
typedef struct worker {
    ts_unroll_plan *pl;
    const ts_inputs *in;
    ts_outputs *out;
    int64_t u0, u1;    /* owned units [u0, u1) of Hp */
    int cur;           /* hbuf index holding h_t */
} worker;

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

void ts_unroll_release(void *plan)
{
    ts_unroll_plan *pl = plan;
    if (!pl)
        return;
    for (int k = 0; k < 2; k++) {
        ts_pset_free(&pl->ps[k]);
        ts_free(pl->hbuf[k]);
        ts_free(pl->xproj[k]);
    }
    ts_free(pl->c), ts_free(pl->rh), ts_free(pl->u), ts_free(pl->x);
    ts_free(pl->gw), ts_free(pl->gb), ts_free(pl->gz), ts_free(pl->gbest_z), ts_free(pl->gbest_i);
    ts_free(pl->gx);
    free(pl);
}

static int pack_cell(ts_unroll_plan *pl, ts_err *e)
{
    const ts_problem *p = &pl->p;
    const int lanes = pl->uk->lanes;
    switch (p->cell) {
    case TS_CELL_LSTM:
        pl->nps = 1, pl->phase[0] = TS_PH_LSTM;
        return ts_pset_pack(&pl->ps[0], pl->w->cell[0].kernel, pl->w->cell[0].bias, p->I, p->H, pl->Hp, 4, lanes, 2,
                            p->forget_bias, e);
    case TS_CELL_RNN:
        pl->nps = 1, pl->phase[0] = TS_PH_RNN;
        return ts_pset_pack(&pl->ps[0], pl->w->cell[0].kernel, pl->w->cell[0].bias, p->I, p->H, pl->Hp, 1, lanes, -1, 0, e);
    case TS_CELL_GRU:
        pl->nps = 2, pl->phase[0] = TS_PH_GRU_GATES, pl->phase[1] = TS_PH_GRU_CAND;
        if (ts_pset_pack(&pl->ps[0], pl->w->cell[0].kernel, pl->w->cell[0].bias, p->I, p->H, pl->Hp, 2, lanes, -1, 0, e))
            return -1;
        return ts_pset_pack(&pl->ps[1], pl->w->cell[0].cand_kernel, pl->w->cell[0].cand_bias, p->I, p->H, pl->Hp, 1,
                            lanes, -1, 0, e);
    }
    return ts_fail(e, "unroll: unknown cell %d", (int)p->cell);
}

/* Steps per hoisted chunk: as many as the budget holds, at least 1, at most the
 * longest run of steps whose input is known in advance. */
static int64_t chunk_steps(const ts_problem *p, int64_t floats_per_step)
{
    int64_t known = p->feed == TS_FEED_TEACHER && p->D > p->E ? p->D : p->E;
    int64_t s = (int64_t)(XPROJ_BUDGET_BYTES / 4) / floats_per_step;
    return s < 1 ? 1 : s > known ? known : s;
}

static int alloc_buffers(ts_unroll_plan *pl, ts_err *e)
{
    const ts_problem *p = &pl->p;
    const size_t BH = (size_t)(p->B * pl->Hp);
    int64_t per_step = 0;
    for (int k = 0; k < pl->nps; k++)
        per_step += p->B * pl->ps[k].panels * pl->ps[k].nw;
    pl->S = chunk_steps(p, per_step);
    bool ok = (pl->hbuf[0] = ts_alloc(BH * 4)) && (pl->hbuf[1] = ts_alloc(BH * 4)) &&
              (pl->c = ts_alloc(BH * 4)) && (pl->rh = ts_alloc(BH * 4)) && (pl->u = ts_alloc(BH * 4)) &&
              (pl->x = ts_alloc((size_t)(p->B * p->I) * 4));
    for (int k = 0; ok && k < pl->nps; k++)
        ok = (pl->xproj[k] = ts_alloc((size_t)(pl->S * p->B * pl->ps[k].panels * pl->ps[k].nw) * 4));
    if (!ok)
        return ts_fail(e, "unroll: out of memory for state and pre-activation buffers");
    return 0;
}

/* Greedy with the built-in loop: W packed in panels of the tile's width, so the
 * xproj kernel computes one panel of logits (bias + prev @ W) for all rows.
 * Best effort: without the memory the run falls back to ts_loop_call. */
static void pack_greedy(ts_unroll_plan *pl)
{
    const ts_problem *p = &pl->p;
    const int64_t T = p->threads, H = p->H, V = p->V;
    if (p->feed != TS_FEED_GREEDY || p->D < 2 || !pl->uk->argmax || !pl->w->proj_w)
        return;
    pl->gnw = (int64_t)TS_PANEL_VECS * pl->uk->lanes;
    pl->gpanels = (V + pl->gnw - 1) / pl->gnw;
    const size_t cols = (size_t)(pl->gpanels * pl->gnw);
    bool ok = (pl->gw = ts_alloc(cols * (size_t)H * 4)) && (pl->gb = ts_alloc(cols * 4)) &&
              (pl->gz = ts_alloc((size_t)(T * p->B * pl->gnw) * 4)) &&
              (pl->gbest_z = ts_alloc((size_t)(T * p->B) * 4)) &&
              (pl->gbest_i = ts_alloc((size_t)(T * p->B) * sizeof(int64_t))) &&
              (pl->gx = ts_alloc((size_t)(T * p->B * p->I) * 4));
    if (!ok) {
        ts_free(pl->gw), ts_free(pl->gb), ts_free(pl->gz), ts_free(pl->gbest_z), ts_free(pl->gbest_i);
        ts_free(pl->gx);
        pl->gw = pl->gb = pl->gz = pl->gbest_z = pl->gx = NULL;
        pl->gbest_i = NULL;
        return;
    }
    for (int64_t q = 0; q < pl->gpanels; q++) {
        const int64_t v0 = q * pl->gnw, n = V - v0 < pl->gnw ? V - v0 : pl->gnw;
        float *wq = pl->gw + q * H * pl->gnw; /* padding stays zero (ts_alloc) */
        for (int64_t k = 0; k < H; k++)
            memcpy(wq + k * pl->gnw, pl->w->proj_w + k * V + v0, (size_t)n * 4);
        for (int64_t j = 0; j < pl->gnw; j++)
            pl->gb[v0 + j] = j < n ? pl->w->proj_b[v0 + j] : -INFINITY;
    }
}

bool ts_unroll_supports(const ts_problem *p, char *why, size_t n)
{
    (void)p, (void)why, (void)n;
    return true;
}

int ts_unroll_prepare(const void *ukernels, const ts_problem *p, const ts_weights *w, void **plan, ts_err *e)
{
    const ts_ukernels *uk = ukernels;
    ts_unroll_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return ts_fail(e, "%s: out of memory", uk->isa);
    pl->p = *p;
    pl->w = w;
    pl->uk = uk;
    /* every pset's panel must fall inside one thread's units: the widest panel
     * (TS_PANEL_VECS vectors of one gate) sets the granule */
    int64_t widest = p->cell == TS_CELL_LSTM ? uk->lanes : (int64_t)TS_PANEL_VECS * uk->lanes;
    pl->granule = widest < MIN_GRANULE ? MIN_GRANULE : widest;
    pl->Hp = round_up(p->H, pl->granule);
    if (pack_cell(pl, e) || alloc_buffers(pl, e)) {
        ts_unroll_release(pl);
        return -1;
    }
    pack_greedy(pl);
    const ts_pset *ps = &pl->ps[0];
    /* no silent fallback: a greedy plan whose projection buffers could not be
     * had runs the projection on one thread, and its label says so */
    bool one_thread = p->feed == TS_FEED_GREEDY && p->D > 1 && uk->argmax && w->proj_w && !pl->gw;
    snprintf(pl->detail, sizeof pl->detail, "%lldu x %d gates, %s tile, hoisted %s (%lld-step chunks)%s",
             (long long)ps->upp, ps->gates, uk->tile,
             p->feed == TS_FEED_TEACHER ? "input" : "encoder input", (long long)pl->S,
             one_thread ? "; greedy projection on one thread (FALLBACK: no memory for the packed projection)" : "");
    *plan = pl;
    return 0;
}

const char *ts_unroll_detail(const void *plan) { return ((const ts_unroll_plan *)plan)->detail; }

/* Own panels of pset k: [*p0, *p1). */
static void own_panels(const worker *wk, int k, int64_t *p0, int64_t *p1)
{
    int64_t upp = wk->pl->ps[k].upp;
    *p0 = wk->u0 / upp;
    *p1 = wk->u1 / upp;
}

/* Hoisted input pre-activations of n steps of input x [n*B x I], own panels. */
static void hoist(const worker *wk, const float *x, int64_t n)
{
    const ts_unroll_plan *pl = wk->pl;
    const int64_t rows = n * pl->p.B;
    for (int k = 0; k < pl->nps; k++) {
        const ts_pset *ps = &pl->ps[k];
        int64_t p0, p1;
        own_panels(wk, k, &p0, &p1);
        for (int64_t q = p0; q < p1; q++)
            pl->uk->xproj(rows, pl->p.I, x, pl->p.I, ts_pset_wx(ps, q), ts_pset_bias(ps, q),
                          pl->xproj[k] + q * pl->S * pl->p.B * ps->nw);
    }
}

/* Own panels of pset k for one step: x = per-step input (multiplied here, into
 * the chunk's first slot), or NULL to take the hoisted pre-activations of step
 * sl of the current chunk. */
static void phase(const worker *wk, int k, const float *x, int64_t sl)
{
    const ts_unroll_plan *pl = wk->pl;
    const ts_pset *ps = &pl->ps[k];
    const int64_t B = pl->p.B;
    ts_tile_args t = {
        .rows = B, .H = pl->p.H, .ldh = pl->Hp,
        .h = pl->hbuf[wk->cur], .h_out = pl->hbuf[!wk->cur], .c = pl->c, .rh = pl->rh, .u = pl->u,
    };
    t.a = pl->phase[k] == TS_PH_GRU_CAND ? pl->rh : t.h;
    int64_t p0, p1;
    own_panels(wk, k, &p0, &p1);
    for (int64_t q = p0; q < p1; q++) {
        t.xacc = pl->xproj[k] + (q * pl->S + sl) * B * ps->nw;
        if (x)
            pl->uk->xproj(B, pl->p.I, x, pl->p.I, ts_pset_wx(ps, q), ts_pset_bias(ps, q), t.xacc);
        t.wh = ts_pset_wh(ps, q);
        t.u0 = q * ps->upp;
        pl->uk->step[pl->phase[k]](&t);
    }
}

/* Own valid units [u0, min(u1, H)) of every row of src into dst [B x H]. */
static void copy_own(const worker *wk, float *dst, const float *src)
{
    const ts_unroll_plan *pl = wk->pl;
    int64_t u1 = wk->u1 < pl->p.H ? wk->u1 : pl->p.H;
    if (u1 <= wk->u0)
        return;
    for (int64_t b = 0; b < pl->p.B; b++)
        memcpy(dst + b * pl->p.H + wk->u0, src + b * pl->Hp + wk->u0, (size_t)(u1 - wk->u0) * 4);
}

/* One cell step.  out_row >= 0: a decoder step whose outputs are written. */
static void step(worker *wk, const float *x, int64_t sl, int64_t out_row)
{
    const ts_unroll_plan *pl = wk->pl;
    phase(wk, 0, x, sl);
    if (pl->nps == 2) {
#pragma omp barrier
        phase(wk, 1, x, sl); /* r*h of every unit is ready */
    }
    wk->cur = !wk->cur; /* h_{t+1} is now the current state */
    if (out_row >= 0) {
        const ts_outputs *o = wk->out;
        const size_t BH = (size_t)(pl->p.B * pl->p.H);
        copy_own(wk, o->out + out_row * BH, pl->hbuf[wk->cur]);
        if (o->states_h)
            copy_own(wk, o->states_h + out_row * BH, pl->hbuf[wk->cur]);
        if (o->states_c && pl->p.cell == TS_CELL_LSTM)
            copy_own(wk, o->states_c + out_row * BH, pl->c);
    }
#pragma omp barrier
}

/* n steps of known input x [n x B x I] in chunks; out_row0 >= 0 writes outputs. */
static void known_steps(worker *wk, const float *x, int64_t n, int64_t out_row0)
{
    const ts_unroll_plan *pl = wk->pl;
    const int64_t BI = pl->p.B * pl->p.I;
    for (int64_t s0 = 0; s0 < n; s0 += pl->S) {
        int64_t m = n - s0 < pl->S ? n - s0 : pl->S;
        hoist(wk, x + s0 * BI, m);
        for (int64_t s = 0; s < m; s++)
            step(wk, NULL, s, out_row0 < 0 ? -1 : out_row0 + s0 + s);
    }
}

/* The built-in argmax-embed of out_i on every thread: each takes a slice of the
 * logits panels (its columns of V), keeps per row the first maximum (NaN never
 * wins: TF's argmax), and after one barrier every thread reduces all slices in
 * column order (strict '>': the smallest index on ties, as ts_loop_argmax_embed;
 * 0 when no logit is above -FLT_MAX, e.g. all NaN) and gathers the embedding
 * rows into its own copy of the next input, so no second barrier is needed.
 * Returns that input.  Symbols (row i+1) are written by thread 0. */
static const float *greedy_project(const worker *wk, int64_t i)
{
    const ts_unroll_plan *pl = wk->pl;
    const ts_problem *p = &pl->p;
    const int64_t B = p->B, H = p->H, I = p->I, nw = pl->gnw;
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const float *prev = wk->out->out + i * B * H; /* whole: step() ended with a barrier */
    float *z = pl->gz + t * B * nw, *bz = pl->gbest_z + t * B;
    int64_t *bi = pl->gbest_i + t * B;
    for (int64_t b = 0; b < B; b++)
        bz[b] = -FLT_MAX, bi[b] = -1; /* TF's argmax floor (ts_ukernels.argmax) */
    const int64_t q1 = pl->gpanels * (t + 1) / T;
    for (int64_t q = pl->gpanels * t / T; q < q1; q++) {
        pl->uk->xproj(B, H, prev, H, pl->gw + q * H * nw, pl->gb + q * nw, z);
        pl->uk->argmax(B, z, q * nw, bz, bi);
    }
#pragma omp barrier
    float *x = pl->gx + t * B * I;
    int32_t *sym = t == 0 && wk->out->symbols ? wk->out->symbols + (i + 1) * B : NULL;
    for (int64_t b = 0; b < B; b++) {
        int64_t best = 0; /* TF's argmax: 0 unless some logit is above -FLT_MAX */
        float best_z = -FLT_MAX;
        for (int s = 0; s < T; s++) {
            const int64_t si = pl->gbest_i[s * B + b];
            const float sz = pl->gbest_z[s * B + b];
            if (si >= 0 && sz > best_z)
                best = si, best_z = sz;
        }
        memcpy(x + b * I, pl->w->embedding + best * I, (size_t)I * 4);
        if (sym)
            sym[b] = (int32_t)best;
    }
    return x;
}

/* Greedy decoder: step i takes dec[0] (i = 0) or the loop function's output of
 * out_{i-1}: the built-in on every thread (greedy_project) when packed, else
 * ts_loop_call on one thread between two barriers. */
static void greedy_steps(worker *wk, volatile int *rc)
{
    ts_unroll_plan *pl = wk->pl;
    const ts_problem *p = &pl->p;
    const size_t BH = (size_t)(p->B * p->H);
    const bool fast = pl->gw && !wk->in->loop;
    const float *x = wk->in->dec;
    for (int64_t i = 0; i < p->D; i++) {
        step(wk, x, 0, i);
        if (i + 1 == p->D)
            break;
        if (fast) {
            x = greedy_project(wk, i);
            continue;
        }
#pragma omp single
        {
            int32_t *sym = wk->out->symbols ? wk->out->symbols + (i + 1) * p->B : NULL;
            *rc = ts_loop_call(p, pl->w, wk->in, i + 1, wk->out->out + i * BH, pl->x, sym);
        } /* implicit barrier: every thread sees x and rc */
        if (*rc)
            return;
        x = pl->x;
    }
}

static void worker_run(worker *wk, volatile int *rc)
{
    ts_unroll_plan *pl = wk->pl;
    const ts_problem *p = &pl->p;
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t ng = pl->Hp / pl->granule;
    wk->u0 = ng * t / T * pl->granule;
    wk->u1 = ng * (t + 1) / T * pl->granule;
    wk->cur = 0;
    known_steps(wk, wk->in->enc, p->E, -1);
    if (p->feed == TS_FEED_TEACHER)
        known_steps(wk, wk->in->dec, p->D, 0);
    else
        greedy_steps(wk, rc);
    if (*rc)
        return;
    copy_own(wk, wk->out->h, pl->hbuf[wk->cur]);
    if (wk->out->c && p->cell == TS_CELL_LSTM)
        copy_own(wk, wk->out->c, pl->c);
}

int ts_unroll_run(void *plan, const ts_inputs *in, ts_outputs *out)
{
    ts_unroll_plan *pl = plan;
    const ts_problem *p = &pl->p;
    const size_t BH = (size_t)(p->B * pl->Hp);
    memset(pl->hbuf[0], 0, BH * 4); /* the encoder starts from zeros */
    memset(pl->c, 0, BH * 4);
    if (p->feed == TS_FEED_GREEDY && out->symbols && p->D > 0)
        for (int64_t b = 0; b < p->B; b++)
            out->symbols[b] = -1; /* step 0 takes the GO input */
    volatile int rc = 0;
#pragma omp parallel num_threads(p->threads)
    {
        worker wk = {.pl = pl, .in = in, .out = out};
        worker_run(&wk, &rc);
    }
    return rc;
}
