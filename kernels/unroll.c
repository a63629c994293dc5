/* The persistent unroll driver (see unroll.h).  ISA-neutral: all vector work is
 * in the micro-kernel table; this file decides who computes what, and when.
 *
 * Vocabulary.  A *cell* is one (layer, step) of the MultiRNNCell unroll.  Steps
 * come in *chunks* of S steps whose layer-0 input is known in advance (encoder;
 * teacher-forced decoder; greedy: one step).  A layer's *span* is its share of
 * a chunk: its input rows (layer 0: the model's input; above: the outputs of
 * the layer below for that chunk) and where its outputs go.  Every layer's
 * input projection is hoisted over its span: one GEMM per span.  A *tick*
 * runs a contiguous range of layers [la, lb], each at step s of its own span,
 * and ends with one barrier.  Inside a tick the cells' *phases* run in order
 * (GRU: gates, candidate; LSTMCell with num_proj: cell, projection), with a
 * barrier between phases, and each phase's units are split over the threads
 * as one list across the tick's layers.
 *
 * Two schedules.  Layer by layer: per chunk, layer 0 runs its span, then layer
 * 1, ...; a tick is one layer.  Wavefront: layer l works on chunk c - l while
 * layer 0 works on chunk c (a lag of one chunk per layer, so layer l+1 can
 * hoist its whole input, which layer l finished one chunk earlier), and a tick
 * runs all of them at the same step of their spans: L cells per barrier. */
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

/* One layer: its packed matrices, state and per-chunk buffers. */
typedef struct layer {
    int64_t in_w;          /* input width: I for layer 0, else the output width */
    bool residual;         /* ResidualWrapper: output = cell output + input */
    ts_pset ps[2];         /* cell matrices: [0] (GRU: gates), [1] GRU candidate */
    ts_pset proj;          /* LSTMCell num_proj: m @ Kp (proj.panels == 0: none) */
    float *peep;           /* LSTMCell: [3][Hp] w_i, w_f, w_o diagonals (zeros without :peep) */
    float *h[2];           /* state h (m when projecting) [B x Rp], double-buffered */
    float *c, *rh, *u, *m; /* [B x Hp]: LSTM c; GRU r*h and u; m before the projection */
    float *xproj[2];       /* per cell matrix: [panels][S*B][nw] input pre-activations */
    float *y[2];           /* [S x B x out_w] outputs of a chunk (the next layer's input); NULL at the
                            * top; the wavefront alternates two (layer l+1 reads one while l writes the other) */
} layer;

struct ts_unroll_plan {
    ts_problem p;
    const ts_weights *w;
    const ts_ukernels *uk;
    bool wavefront;
    int L, nphase;         /* layers; cell phases per step (GRU 2, else 1) */
    ts_phase phase[2];
    int64_t Hp;            /* H padded to the granule: stride of c, rh, u, m */
    int64_t out_w, Rp;     /* output (= recurrent) width P or H; padded: stride of h */
    int64_t granule;       /* ownership unit over Hp (cell phases) */
    int64_t ogranule;      /* ownership unit over Rp (outputs: the projection's panels, else granule) */
    int64_t S;             /* steps per chunk */
    float cell_clip, proj_clip; /* INFINITY when absent */
    layer lay[TS_MAX_LAYERS];
    float *pscr;           /* per thread [B][nw]: one projection panel */
    /* bf16 tables with round_bf16: per thread, the step's GEMM operand [B x akmax]
     * and a chunk's input [S*B x xkmax], rounded once for all the thread's panels */
    float *abuf, *xbuf;
    int64_t akmax, xkmax;
    float *x;              /* greedy (one-thread loop function): next input [B x I] */
    const float *next_x;   /* where that thread put it (ts_decoder_input) */
    /* greedy projection on every thread (NULL gw: one thread, ts_loop_call) */
    int64_t gnw, gpanels;  /* logits panel width; panels over V */
    float *gw;             /* W packed [gpanels][out_w][gnw], zero-padded */
    float *gb;             /* bias [gpanels][gnw], padded columns -inf (never chosen) */
    float *gz;             /* per thread [B][gnw]: one panel's logits */
    float *gbest_z;        /* per thread [B]: best logit of its columns */
    int64_t *gbest_i;      /* per thread [B]: its index, -1 = none */
    float *gx;             /* per thread [B x I]: the next input (no second barrier) */
    char detail[256];
};

/* What one thread does in one run. */
typedef struct worker {
    ts_unroll_plan *pl;
    const ts_inputs *in;
    ts_outputs *out;
    int t, T;
    int cur[TS_MAX_LAYERS]; /* per layer: the h buffer holding its current state */
} worker;

/* One layer's share of a chunk. */
typedef struct span {
    const float *x;        /* input rows [m x B x in_w] */
    float *y;              /* outputs for the layer above [m x B x out_w]; NULL at the top */
    int64_t m;             /* steps */
    int64_t out0;          /* decoder step of slot 0, or -1 in the encoder (no outputs) */
} span;

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void layer_free(layer *ly)
{
    ts_pset_free(&ly->ps[0]), ts_pset_free(&ly->ps[1]), ts_pset_free(&ly->proj);
    ts_free(ly->peep), ts_free(ly->h[0]), ts_free(ly->h[1]);
    ts_free(ly->c), ts_free(ly->rh), ts_free(ly->u), ts_free(ly->m);
    ts_free(ly->xproj[0]), ts_free(ly->xproj[1]), ts_free(ly->y[0]), ts_free(ly->y[1]);
}

void ts_unroll_release(void *plan)
{
    ts_unroll_plan *pl = plan;
    if (!pl)
        return;
    for (int l = TS_MAX_LAYERS - 1; l >= 0; l--) {
        for (int k = 0; l > 0 && k < 2; k++)
            if (pl->lay[l].xproj[k] == pl->lay[0].xproj[k])
                pl->lay[l].xproj[k] = NULL; /* layer 0's, shared (alloc_layer) */
        layer_free(&pl->lay[l]);
    }
    ts_free(pl->pscr), ts_free(pl->x), ts_free(pl->abuf), ts_free(pl->xbuf);
    ts_free(pl->gw), ts_free(pl->gb), ts_free(pl->gz), ts_free(pl->gbest_z), ts_free(pl->gbest_i);
    ts_free(pl->gx);
    free(pl);
}

bool ts_unroll_supports(const ts_problem *p, char *why, size_t n)
{
    (void)p, (void)why, (void)n;
    return true; /* every shape: tails are padded panels, never refused */
}

/* The wavefront only differs from layer-by-layer with several layers. */
bool ts_unroll_supports_wavefront(const ts_problem *p, char *why, size_t n)
{
    if (p->layers > 1)
        return true;
    snprintf(why, n, "unsupported: the wavefront schedule needs several layers (:l2 or more); with one it is the plain variant");
    return false;
}

static bool lstm_cell_extras(const ts_problem *p)
{
    return p->cell == TS_CELL_LSTM && (p->peep || p->has_cell_clip || p->P > 0);
}

/* ---- prepare (untimed) ---- */

static int pack_layer(ts_unroll_plan *pl, int l, ts_err *e)
{
    const ts_problem *p = &pl->p;
    const ts_cell_weights *cw = &pl->w->cell[l];
    layer *ly = &pl->lay[l];
    const int lanes = pl->uk->lanes;
    const ts_wfmt f = pl->uk->wfmt; /* the cell's matrices in the table's format */
    const int64_t I = ly->in_w, R = pl->out_w, H = p->H;
    switch (p->cell) {
    case TS_CELL_LSTM:
        if (ts_pset_pack(&ly->ps[0], cw->kernel, cw->bias, I, R, H, pl->Hp, 4, lanes, 2, p->forget_bias, f, e))
            return -1;
        /* the projection m @ Kp stays fp32 in every table (xproj_f32) */
        if (p->P > 0 && ts_pset_pack(&ly->proj, cw->proj_kernel, NULL, H, 0, p->P, pl->Rp, 1, lanes, -1, 0,
                                     TS_WFMT_F32, e))
            return -1;
        return 0;
    case TS_CELL_RNN:
        return ts_pset_pack(&ly->ps[0], cw->kernel, cw->bias, I, R, H, pl->Hp, 1, lanes, -1, 0, f, e);
    case TS_CELL_GRU:
        if (ts_pset_pack(&ly->ps[0], cw->kernel, cw->bias, I, R, H, pl->Hp, 2, lanes, -1, 0, f, e))
            return -1;
        return ts_pset_pack(&ly->ps[1], cw->cand_kernel, cw->cand_bias, I, R, H, pl->Hp, 1, lanes, -1, 0, f, e);
    }
    return ts_fail(e, "unroll: unknown cell %d", (int)p->cell);
}

/* LSTMCell peepholes, zero-padded to Hp (zeros without :peep: one epilogue). */
static int pack_peepholes(ts_unroll_plan *pl, int l)
{
    const ts_cell_weights *cw = &pl->w->cell[l];
    float *d = pl->lay[l].peep = ts_alloc((size_t)(3 * pl->Hp) * 4);
    if (!d)
        return -1;
    const float *src[3] = {cw->w_i_diag, cw->w_f_diag, cw->w_o_diag};
    for (int k = 0; k < 3 && pl->p.peep; k++)
        memcpy(d + k * pl->Hp, src[k], (size_t)pl->p.H * 4);
    return 0;
}

/* Steps per chunk: as many as the budget holds, at least 1, at most the
 * longest run of steps whose input is known in advance. */
static int64_t chunk_steps(const ts_problem *p, int64_t floats_per_step)
{
    int64_t known = p->feed == TS_FEED_TEACHER && p->D > p->E ? p->D : p->E;
    int64_t s = (int64_t)(XPROJ_BUDGET_BYTES / 4) / floats_per_step;
    return s < 1 ? 1 : s > known ? known : s;
}

static int alloc_layer(ts_unroll_plan *pl, int l)
{
    const ts_problem *p = &pl->p;
    layer *ly = &pl->lay[l];
    const size_t BH = (size_t)(p->B * pl->Hp), BR = (size_t)(p->B * pl->Rp);
    bool ok = (ly->h[0] = ts_alloc(BR * 4)) && (ly->h[1] = ts_alloc(BR * 4)) && (ly->c = ts_alloc(BH * 4)) &&
              (ly->rh = ts_alloc(BH * 4)) && (ly->u = ts_alloc(BH * 4)) && (ly->m = ts_alloc(BH * 4));
    /* layer by layer, one layer's pre-activations are live at a time: the
     * layers share layer 0's buffers (same panels, same size), so the chunk
     * budget holds one layer's, not L layers' */
    for (int k = 0; ok && k < pl->nphase; k++)
        ok = !pl->wavefront && l > 0
                 ? (ly->xproj[k] = pl->lay[0].xproj[k]) != NULL
                 : (ly->xproj[k] = ts_alloc((size_t)(pl->S * p->B * ly->ps[k].panels * ly->ps[k].nw) * 4)) != NULL;
    for (int k = 0; ok && l + 1 < pl->L && k < (pl->wavefront ? 2 : 1); k++)
        ok = (ly->y[k] = ts_alloc((size_t)(pl->S * p->B * pl->out_w) * 4));
    return ok ? 0 : -1;
}

static int alloc_buffers(ts_unroll_plan *pl, ts_err *e)
{
    const ts_problem *p = &pl->p;
    int64_t per_step = 0; /* floats per step of every layer's chunk buffers */
    for (int l = 0; l < pl->L; l++) {
        for (int k = 0; k < pl->nphase && (pl->wavefront || l == 0); k++)
            per_step += p->B * pl->lay[l].ps[k].panels * pl->lay[l].ps[k].nw;
        per_step += l + 1 < pl->L ? (pl->wavefront ? 2 : 1) * p->B * pl->out_w : 0;
    }
    pl->S = chunk_steps(p, per_step);
    if (pl->wavefront && pl->L > 1) {
        /* a chunk is the lag between layers: (L-1)*S steps of a sequence run
         * with fewer layers than L, so keep that under a quarter of the
         * encoder; shorter chunks mean smaller hoisted GEMMs */
        int64_t lag = p->E / (4 * (pl->L - 1));
        pl->S = lag < 1 ? 1 : lag < pl->S ? lag : pl->S;
    }
    bool ok = (pl->x = ts_alloc((size_t)(p->B * p->I) * 4));
    if (ok && pl->uk->round_bf16) {
        pl->akmax = pl->Rp > pl->Hp ? pl->Rp : pl->Hp;
        for (int l = 0; l < pl->L; l++)
            pl->xkmax = pl->lay[l].in_w > pl->xkmax ? pl->lay[l].in_w : pl->xkmax;
        ok = (pl->abuf = ts_alloc((size_t)(p->threads * p->B * pl->akmax) * 4)) &&
             (pl->xbuf = ts_alloc((size_t)(p->threads * pl->S * p->B * pl->xkmax) * 4));
    }
    if (ok && p->P > 0)
        ok = (pl->pscr = ts_alloc((size_t)(p->threads * p->B * pl->lay[0].proj.nw) * 4));
    for (int l = 0; ok && l < pl->L; l++)
        ok = alloc_layer(pl, l) == 0;
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
    const int64_t T = p->threads, K = pl->out_w, V = p->V;
    if (p->feed != TS_FEED_GREEDY || p->D < 2 || !pl->uk->argmax || !pl->w->proj_w)
        return;
    pl->gnw = (int64_t)TS_PANEL_VECS * pl->uk->lanes;
    pl->gpanels = (V + pl->gnw - 1) / pl->gnw;
    const size_t cols = (size_t)(pl->gpanels * pl->gnw);
    bool ok = (pl->gw = ts_alloc(cols * (size_t)K * 4)) && (pl->gb = ts_alloc(cols * 4)) &&
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
        float *wq = pl->gw + q * K * pl->gnw; /* padding stays zero (ts_alloc) */
        for (int64_t k = 0; k < K; k++)
            memcpy(wq + k * pl->gnw, pl->w->proj_w + k * V + v0, (size_t)n * 4);
        for (int64_t j = 0; j < pl->gnw; j++)
            pl->gb[v0 + j] = j < n ? pl->w->proj_b[v0 + j] : -INFINITY;
    }
}

static void set_shape(ts_unroll_plan *pl)
{
    const ts_problem *p = &pl->p;
    const int lanes = pl->uk->lanes;
    pl->L = p->layers;
    pl->out_w = ts_out_width(p);
    /* every panel must fall inside one thread's units: the widest panel
     * (TS_PANEL_VECS vectors of one gate) sets the granule */
    int64_t widest = p->cell == TS_CELL_LSTM ? lanes : (int64_t)TS_PANEL_VECS * lanes;
    pl->granule = widest < MIN_GRANULE ? MIN_GRANULE : widest;
    pl->Hp = round_up(p->H, pl->granule);
    int64_t pgranule = TS_PANEL_VECS * lanes < MIN_GRANULE ? MIN_GRANULE : TS_PANEL_VECS * lanes;
    pl->ogranule = p->P > 0 ? pgranule : pl->granule;
    pl->Rp = p->P > 0 ? round_up(p->P, pgranule) : pl->Hp;
    pl->cell_clip = p->has_cell_clip ? p->cell_clip : INFINITY;
    pl->proj_clip = p->has_proj_clip ? p->proj_clip : INFINITY;
    pl->nphase = p->cell == TS_CELL_GRU ? 2 : 1;
    pl->phase[0] = p->cell == TS_CELL_RNN    ? TS_PH_RNN
                   : p->cell == TS_CELL_GRU  ? TS_PH_GRU_GATES
                   : lstm_cell_extras(p)     ? TS_PH_LSTMCELL
                                             : TS_PH_LSTM;
    pl->phase[1] = TS_PH_GRU_CAND;
    for (int l = 0; l < pl->L; l++) {
        pl->lay[l].in_w = ts_layer_input(p, l);
        pl->lay[l].residual = ts_layer_residual(p, l);
    }
}

/* ", huge pages" when any packed weight matrix got them; ", 4K pages" when
 * one was big enough to ask (2 MiB) and none were granted; else nothing. */
static const char *page_note(const ts_unroll_plan *pl)
{
    bool huge = false, big = false;
    for (int l = 0; l < pl->L; l++)
        for (int k = 0; k < 2; k++) {
            const ts_pset *ps = &pl->lay[l].ps[k];
            huge |= ps->huge;
            big |= ps->panels * ps->nw * (ps->I > ps->R ? ps->I : ps->R) * ps->esize >= (2 << 20);
        }
    return huge ? ", huge pages" : big ? ", 4K pages (huge pages not granted)" : "";
}

static void describe(ts_unroll_plan *pl)
{
    const ts_problem *p = &pl->p;
    const ts_pset *ps = &pl->lay[0].ps[0];
    /* no silent fallback: a greedy plan whose projection buffers could not be
     * had runs the projection on one thread, and its label says so */
    bool one_thread = p->feed == TS_FEED_GREEDY && p->D > 1 && pl->uk->argmax && pl->w->proj_w && !pl->gw;
    char layers[64] = "";
    if (pl->L > 1)
        snprintf(layers, sizeof layers, ", %d layers %s", pl->L, pl->wavefront ? "in a wavefront" : "one by one");
    const char *wf = pl->uk->wfmt == TS_WFMT_BF16 ? ", bf16 weights" : pl->uk->wfmt == TS_WFMT_BF16_PAIRS ? ", bf16 pairs" : "";
    snprintf(pl->detail, sizeof pl->detail, "%lldu x %d gates, %s tile%s, hoisted %s (%lld-step chunks)%s%s%s",
             (long long)ps->upp, ps->gates, pl->uk->tile, wf,
             p->feed == TS_FEED_TEACHER ? "input" : "encoder input", (long long)pl->S, layers, page_note(pl),
             one_thread ? "; greedy projection on one thread (FALLBACK: no memory for the packed projection)" : "");
}

static int prepare(const ts_ukernels *uk, bool wavefront, const ts_problem *p, const ts_weights *w, void **plan,
                   ts_err *e)
{
    ts_unroll_plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return ts_fail(e, "%s: out of memory", uk->isa);
    pl->p = *p;
    pl->w = w;
    pl->uk = uk;
    pl->wavefront = wavefront;
    set_shape(pl);
    int rc = 0;
    for (int l = 0; !rc && l < pl->L; l++) {
        rc = pack_layer(pl, l, e);
        if (!rc && pl->phase[0] == TS_PH_LSTMCELL && pack_peepholes(pl, l))
            rc = ts_fail(e, "unroll: out of memory for peepholes");
    }
    if (rc || alloc_buffers(pl, e)) {
        ts_unroll_release(pl);
        return -1;
    }
    pack_greedy(pl);
    describe(pl);
    *plan = pl;
    return 0;
}

int ts_unroll_prepare(const void *ukernels, const ts_problem *p, const ts_weights *w, void **plan, ts_err *e)
{
    return prepare(ukernels, false, p, w, plan, e);
}

int ts_unroll_prepare_wavefront(const void *ukernels, const ts_problem *p, const ts_weights *w, void **plan,
                                ts_err *e)
{
    return prepare(ukernels, true, p, w, plan, e);
}

const char *ts_unroll_detail(const void *plan) { return ((const ts_unroll_plan *)plan)->detail; }

/* ---- the timed part ---- */

/* This thread's share [*u0, *u1) of layer l's `width` units in a tick over
 * layers [la, lb]: the tick's units, layer after layer, are cut into T equal
 * runs of granules, so a thread may hold the end of one layer and the start
 * of the next.  Layer by layer (la == lb) every step gives the same slice,
 * which keeps each thread's weights in its own cache. */
static void own_units(const worker *wk, int la, int lb, int l, int64_t width, int64_t gran, int64_t *u0,
                      int64_t *u1)
{
    const int64_t ng = width / gran, base = (l - la) * ng, total = (lb - la + 1) * ng;
    int64_t a = total * wk->t / wk->T, b = total * (wk->t + 1) / wk->T;
    a = a < base ? base : a;
    b = b > base + ng ? base + ng : b;
    *u0 = (a - base) * gran;
    *u1 = (b > a ? b - base : a - base) * gran;
}

/* Layer l's input rows at slot s of its span (row stride: the layer's in_w). */
static const float *layer_input(const worker *wk, const span *sp, int l, int64_t s)
{
    return sp->x + s * wk->pl->p.B * wk->pl->lay[l].in_w;
}

/* Layer l's span of the chunk whose layer-0 input is x (chunk index c, first
 * decoder step out0 or -1): layers above 0 read the outputs the layer below
 * wrote for the same chunk, in buffer c % 2 (the wavefront's two). */
static span layer_span(const ts_unroll_plan *pl, int l, const float *x, int64_t c, int64_t m, int64_t out0)
{
    const int par = pl->wavefront ? (int)(c & 1) : 0;
    span sp = {.x = l == 0 ? x : pl->lay[l - 1].y[par], .y = pl->lay[l].y[par], .m = m, .out0 = out0};
    return sp;
}

/* Input pre-activations of layer l for its whole span, units [u0, u1). */
static void hoist(const worker *wk, const span *sp, int l, int64_t u0, int64_t u1)
{
    const ts_unroll_plan *pl = wk->pl;
    const layer *ly = &pl->lay[l];
    const int64_t B = pl->p.B;
    const float *x = sp->x;
    void (*xproj)(int64_t, int64_t, const float *, int64_t, const void *, const float *, float *) = pl->uk->xproj;
    if (pl->xbuf && u1 > u0) { /* bf16: round the span's input once for all own panels */
        float *xb = pl->xbuf + wk->t * pl->S * B * pl->xkmax;
        pl->uk->round_bf16(sp->m * B * ly->in_w, sp->x, xb);
        x = xb, xproj = pl->uk->xproj_pre;
    }
    for (int k = 0; k < pl->nphase; k++) {
        const ts_pset *ps = &ly->ps[k];
        for (int64_t q = u0 / ps->upp; q < u1 / ps->upp; q++)
            xproj(sp->m * B, ly->in_w, x, ly->in_w, ts_pset_wx(ps, q), ts_pset_bias(ps, q),
                  ly->xproj[k] + q * pl->S * B * ps->nw);
    }
}

/* bf16: the step's operand rows [B x K] (stride lda) rounded once into this
 * thread's buffer for all its panels (the kernels then use it as it is) */
static void round_operand(const worker *wk, ts_tile_args *t)
{
    const ts_unroll_plan *pl = wk->pl;
    float *ab = pl->abuf + wk->t * pl->p.B * pl->akmax;
    for (int64_t b = 0; b < t->rows; b++)
        pl->uk->round_bf16(t->K, t->a + b * t->lda, ab + b * t->K);
    t->a = ab, t->lda = t->K, t->a_bf16 = true;
}

/* Phase k of layer l at slot s (its input pre-activations hoisted), own
 * panels of units [u0, u1). */
static void cell_phase(const worker *wk, int l, int64_t s, int k, int64_t u0, int64_t u1)
{
    const ts_unroll_plan *pl = wk->pl;
    const layer *ly = &pl->lay[l];
    const ts_pset *ps = &ly->ps[k];
    const int64_t B = pl->p.B;
    const int cur = wk->cur[l];
    const ts_phase ph = pl->phase[k];
    ts_tile_args t = {
        .rows = B, .K = pl->out_w, .lda = pl->Rp, .ldh = pl->Hp,
        .a = ly->h[cur], .h = ly->h[cur], .h_out = pl->p.P > 0 ? ly->m : ly->h[!cur],
        .c = ly->c, .rh = ly->rh, .u = ly->u, .clip = pl->cell_clip,
    };
    if (ph == TS_PH_GRU_CAND)
        t.a = ly->rh, t.K = pl->p.H, t.lda = pl->Hp;
    if (pl->abuf && u1 > u0)
        round_operand(wk, &t);
    for (int64_t q = u0 / ps->upp; q < u1 / ps->upp; q++) {
        t.xacc = ly->xproj[k] + (q * pl->S + s) * B * ps->nw;
        t.wh = ts_pset_wh(ps, q);
        t.u0 = q * ps->upp;
        if (ly->peep)
            t.wci = ly->peep + t.u0, t.wcf = ly->peep + pl->Hp + t.u0, t.wco = ly->peep + 2 * pl->Hp + t.u0;
        pl->uk->step[ph](&t);
    }
}

/* LSTMCell num_proj: h' = clip(m @ Kp) for own columns [p0, p1) of P. */
static void proj_phase(const worker *wk, int l, int64_t p0, int64_t p1)
{
    const ts_unroll_plan *pl = wk->pl;
    const layer *ly = &pl->lay[l];
    const ts_pset *ps = &ly->proj;
    const int64_t B = pl->p.B, nw = ps->nw;
    const float lim = pl->proj_clip;
    float *scr = pl->pscr + wk->t * B * nw, *h = ly->h[!wk->cur[l]];
    for (int64_t q = p0 / nw; q < p1 / nw; q++) {
        pl->uk->xproj_f32(B, pl->p.H, ly->m, pl->Hp, ts_pset_wx(ps, q), ts_pset_bias(ps, q), scr);
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < nw; j++) {
                float v = scr[b * nw + j]; /* NaN passes the clip, as in TF */
                h[b * pl->Rp + q * nw + j] = v > lim ? lim : v < -lim ? -lim : v;
            }
    }
}

/* Copy columns [j0, min(j1, n)) of every row: dst [B x n] from src (stride lds). */
static void copy_cols(int64_t B, int64_t n, float *dst, const float *src, int64_t lds, int64_t j0, int64_t j1)
{
    j1 = min64(j1, n);
    for (int64_t b = 0; j1 > j0 && b < B; b++)
        memcpy(dst + b * n + j0, src + b * lds + j0, (size_t)(j1 - j0) * 4);
}

/* After layer l's step at slot s: its output (state h, plus the input when
 * residual) for own output columns [o0, o1) into the next layer's input or the
 * decoder output, and, at decoder steps, the states of own columns (c: own
 * units [u0, u1)).  The state itself never holds the residual (TF). */
static void write_outputs(const worker *wk, const span *sp, int l, int64_t s, int64_t o0, int64_t o1,
                          int64_t u0, int64_t u1)
{
    const ts_unroll_plan *pl = wk->pl;
    const layer *ly = &pl->lay[l];
    const ts_outputs *o = wk->out;
    const int64_t B = pl->p.B, W = pl->out_w, step = sp->out0 < 0 ? -1 : sp->out0 + s;
    const float *h = ly->h[!wk->cur[l]];
    float *dst = sp->y ? sp->y + s * B * W : step >= 0 ? o->out + step * B * W : NULL;
    if (dst && ly->residual) {
        const float *x = layer_input(wk, sp, l, s); /* in_w == W: checked with the problem */
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = o0; j < min64(o1, W); j++)
                dst[b * W + j] = h[b * pl->Rp + j] + x[b * W + j];
    } else if (dst) {
        copy_cols(B, W, dst, h, pl->Rp, o0, o1);
    }
    if (step < 0)
        return;
    const int64_t L = pl->L, H = pl->p.H;
    if (o->states_h)
        copy_cols(B, W, o->states_h + (step * L + l) * B * W, h, pl->Rp, o0, o1);
    if (o->states_c && pl->p.cell == TS_CELL_LSTM)
        copy_cols(B, H, o->states_c + (step * L + l) * B * H, ly->c, pl->Hp, u0, u1);
}

/* One tick: layers [la, lb], each at slot s of its span sp[l].  Ends with a barrier. */
static void tick(worker *wk, const span *sp, int la, int lb, int64_t s)
{
    const ts_unroll_plan *pl = wk->pl;
    const bool proj = pl->p.P > 0;
    for (int k = 0; k < pl->nphase; k++) {
        if (k > 0) {
#pragma omp barrier
        }
        for (int l = la; l <= lb; l++) {
            int64_t u0, u1;
            own_units(wk, la, lb, l, pl->Hp, pl->granule, &u0, &u1);
            cell_phase(wk, l, s, k, u0, u1);
        }
    }
    if (proj) {
#pragma omp barrier
    }
    for (int l = la; l <= lb; l++) {
        int64_t u0, u1, o0, o1;
        own_units(wk, la, lb, l, pl->Hp, pl->granule, &u0, &u1);
        own_units(wk, la, lb, l, pl->Rp, pl->ogranule, &o0, &o1); /* = [u0, u1) without projection */
        if (proj)
            proj_phase(wk, l, o0, o1);
        write_outputs(wk, &sp[l], l, s, o0, o1, u0, u1);
        wk->cur[l] = !wk->cur[l]; /* h_{t+1} is now the current state */
    }
#pragma omp barrier
}

/* One chunk (layer-0 input x, m steps), layer after layer; each layer hoists
 * its whole span first, over the units its own steps use (no barrier). */
static void run_layer_by_layer(worker *wk, const float *x, int64_t m, int64_t out0)
{
    const ts_unroll_plan *pl = wk->pl;
    span sp[TS_MAX_LAYERS];
    for (int l = 0; l < pl->L; l++) {
        int64_t u0, u1;
        sp[l] = layer_span(pl, l, x, 0, m, out0);
        own_units(wk, l, l, l, pl->Hp, pl->granule, &u0, &u1);
        hoist(wk, &sp[l], l, u0, u1);
        for (int64_t s = 0; s < m; s++)
            tick(wk, sp, l, l, s);
    }
}

/* n steps of known input x [n x B x I] as a wavefront over chunks: round j
 * runs layer l on chunk j - l.  Each round hoists every active layer's span
 * (one barrier: the ticks split units differently), then ticks over the
 * steps.  Only the lowest active layer can hold the last, shorter chunk. */
static void run_wavefront(worker *wk, const float *x, int64_t n, int64_t out0)
{
    const ts_unroll_plan *pl = wk->pl;
    const int64_t S = pl->S, nc = (n + S - 1) / S, BI = pl->p.B * pl->p.I;
    span sp[TS_MAX_LAYERS];
    for (int64_t j = 0; j < nc + pl->L - 1; j++) {
        const int la = j - nc + 1 > 0 ? (int)(j - nc + 1) : 0, lb = j < pl->L - 1 ? (int)j : pl->L - 1;
        for (int l = la; l <= lb; l++) {
            const int64_t c = j - l;
            sp[l] = layer_span(pl, l, x + c * S * BI, c, min64(S, n - c * S), out0 < 0 ? -1 : out0 + c * S);
            int64_t u0, u1;
            own_units(wk, la, lb, l, pl->Hp, pl->granule, &u0, &u1);
            hoist(wk, &sp[l], l, u0, u1);
        }
#pragma omp barrier
        for (int64_t s = 0; s < S; s++) {
            const int lo = sp[la].m > s ? la : la + 1;
            if (lo > lb)
                break;
            tick(wk, sp, lo, lb, s);
        }
    }
}

/* n steps of known input x [n x B x I]; out0 >= 0 writes outputs. */
static void known_steps(worker *wk, const float *x, int64_t n, int64_t out0)
{
    const ts_unroll_plan *pl = wk->pl;
    const int64_t BI = pl->p.B * pl->p.I;
    if (pl->wavefront && pl->L > 1) {
        run_wavefront(wk, x, n, out0);
        return;
    }
    for (int64_t s0 = 0; s0 < n; s0 += pl->S)
        run_layer_by_layer(wk, x + s0 * BI, min64(n - s0, pl->S), out0 < 0 ? -1 : out0 + s0);
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
    const int64_t B = p->B, K = pl->out_w, I = p->I, nw = pl->gnw;
    const int t = wk->t, T = wk->T;
    const float *prev = wk->out->out + i * B * K; /* whole: the tick ended with a barrier */
    float *z = pl->gz + t * B * nw, *bz = pl->gbest_z + t * B;
    int64_t *bi = pl->gbest_i + t * B;
    for (int64_t b = 0; b < B; b++)
        bz[b] = -FLT_MAX, bi[b] = -1; /* TF's argmax floor (ts_ukernels.argmax) */
    const int64_t q1 = pl->gpanels * (t + 1) / T;
    for (int64_t q = pl->gpanels * t / T; q < q1; q++) {
        pl->uk->xproj_f32(B, K, prev, K, pl->gw + q * K * nw, pl->gb + q * nw, z); /* fp32 logits */
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
 * ts_loop_call on one thread between two barriers.  Every step runs the layers
 * one by one (the next step's input needs the top layer's output). */
static void greedy_steps(worker *wk, volatile int *rc)
{
    ts_unroll_plan *pl = wk->pl;
    const ts_problem *p = &pl->p;
    const bool fast = pl->gw && !wk->in->loop;
    const float *x = wk->in->dec;
    for (int64_t i = 0; i < p->D; i++) {
        run_layer_by_layer(wk, x, 1, i);
        if (i + 1 == p->D)
            break;
        if (fast) {
            x = greedy_project(wk, i);
            continue;
        }
#pragma omp single
        *rc = ts_decoder_input(p, pl->w, wk->in, wk->out, i + 1, pl->x, &pl->next_x);
        /* implicit barrier: every thread sees next_x and rc */
        if (*rc)
            return;
        x = pl->next_x;
    }
}

/* The final state of every layer: h [L x B x out_w], c [L x B x H]. */
static void final_state(const worker *wk)
{
    const ts_unroll_plan *pl = wk->pl;
    const int64_t B = pl->p.B, W = pl->out_w, H = pl->p.H;
    for (int l = 0; l < pl->L; l++) {
        int64_t u0, u1, o0, o1;
        own_units(wk, l, l, l, pl->Hp, pl->granule, &u0, &u1);
        own_units(wk, l, l, l, pl->Rp, pl->ogranule, &o0, &o1);
        copy_cols(B, W, wk->out->h + l * B * W, pl->lay[l].h[wk->cur[l]], pl->Rp, o0, o1);
        if (wk->out->c && pl->p.cell == TS_CELL_LSTM)
            copy_cols(B, H, wk->out->c + l * B * H, pl->lay[l].c, pl->Hp, u0, u1);
    }
}

static void worker_run(worker *wk, volatile int *rc)
{
    const ts_problem *p = &wk->pl->p;
    known_steps(wk, wk->in->enc, p->E, -1);
    if (p->feed == TS_FEED_TEACHER)
        known_steps(wk, wk->in->dec, p->D, 0);
    else
        greedy_steps(wk, rc);
    if (!*rc)
        final_state(wk);
}

int ts_unroll_run(void *plan, const ts_inputs *in, ts_outputs *out)
{
    ts_unroll_plan *pl = plan;
    const ts_problem *p = &pl->p;
    for (int l = 0; l < pl->L; l++) { /* the encoder starts from zeros */
        memset(pl->lay[l].h[0], 0, (size_t)(p->B * pl->Rp) * 4);
        memset(pl->lay[l].c, 0, (size_t)(p->B * pl->Hp) * 4);
    }
    ts_decoder_mark_go(p, out);
    volatile int rc = 0;
#pragma omp parallel num_threads(p->threads)
    {
        worker wk = {.pl = pl, .in = in, .out = out, .t = omp_get_thread_num(), .T = omp_get_num_threads()};
        worker_run(&wk, &rc);
    }
    return rc;
}
