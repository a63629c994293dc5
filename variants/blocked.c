/* blocked: portable cache- and register-blocked C (no intrinsics, baseline
 * x86-64 flags: gcc vectorises the 6x8 micro-kernel to SSE2) with OpenMP.
 *
 * - Input projection hoisted: x @ K[0:I] + bias is one GEMM over a chunk of
 *   steps (all encoder steps, all teacher-forced decoder steps; per step in
 *   greedy mode, where x depends on the previous output), so the recurrence
 *   only multiplies by K[I:I+H].
 * - Weights packed once in prepare into 8-column panels, k-major, with the gates
 *   of the same hidden units interleaved (LSTM: 2 units x i|j|f|o, GRU gates:
 *   4 units x r|u, RNN and GRU candidate: 8 units).  The gate math runs on the
 *   6x8 accumulator tile right after its k loop, while it is still in L1.
 * - One `omp parallel` region per run.  Each thread owns a fixed slice of
 *   hidden units (granules of 16, so its LSTM/GRU/RNN panels and its c state
 *   stay its own) and computes the hoisted projection for exactly those
 *   columns, so the hoist needs no barrier.  h is double-buffered: one barrier
 *   per step (GRU: two, r*h must be complete before the candidate GEMM).
 * - Greedy: one thread calls the loop function between steps (omp single).
 * Design and bounds: docs/variants-blocked.md. */
#include "../kernels/blocked-act.h"
#include "../kernels/blocked-gemm.h"
#include "variant.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR TS_BLK_NR
#define MR TS_BLK_MR
/* a panel holds whole units of every gate block: U * G = NR for G = 1, 2 and 4 */
_Static_assert(NR % 4 == 0, "blocked panels must hold whole LSTM units (4 gates)");
#define GRANULE 16 /* units per ownership unit: a multiple of every U; 64 bytes of a state row */
#define CHUNK_FLOATS (1u << 20) /* hoisted-projection buffer per chunk of steps (4 MiB) */
#define ROW_BLOCK 120 /* rows of X per hoist block: 120*I floats stay in L2 */

/* One packed weight matrix: panels of U hidden units x G gate blocks (U*G = NR). */
typedef struct blk_gemm {
    int U, G;
    int64_t np;  /* panels: ceil(H / U) */
    float *px;   /* [np][I][NR] input rows of the kernel */
    float *ph;   /* [np][H][NR] state rows */
    float *bias; /* [np][NR] */
    float *xw;   /* [chunk*B][np*NR] hoisted x @ px + bias */
    /* the first step may skip A @ ph when A is the zero initial state: exact
     * only if ph is finite (TF's 0 * NaN and 0 * inf are NaN), and never for
     * the GRU candidate, whose A = r*h is NaN wherever r is */
    bool skip_zero_a;
} blk_gemm;

typedef struct blk_plan {
    ts_problem p;
    const ts_weights *w;
    blk_gemm g[2];   /* rnn/lstm: g[0]; gru: g[0] gates r|u, g[1] candidate */
    int ngemm;
    int64_t chunk;   /* steps per hoisted chunk */
    float *h[2];     /* [B][H] state, double-buffered across the step barrier */
    float *c;        /* LSTM [B][H] */
    float *rh, *u;   /* GRU [B][H]: r*h (all threads read it), u (owner only) */
    float *x;        /* greedy: next input [B][I] */
    char detail[96];
} blk_plan;

/* Where one step's new state goes (rows are [B][H]; NULL = not wanted). */
typedef struct blk_dst {
    float *h, *out, *sh, *sc;
} blk_dst;

/* A thread's fixed slice of hidden units, [u0, u1). */
typedef struct blk_slice {
    int64_t u0, u1;
} blk_slice;

static bool blocked_supports(const ts_problem *p, char *why, size_t n)
{
    return ts_problem_is_basic(p, "blocked", why, n);
}

/* ---- packing (prepare, untimed) ---- */

/* Packed column c of panel q holds gate block c / U of unit q*U + c % U.  Source
 * kernel K is [(I+H) x ld] with that gate's units at columns gate*H + unit.
 * Units past H are zero columns: computed, never stored. */
static void pack_gemm(blk_gemm *g, const ts_problem *p, const float *K, int64_t ld, const float *bias)
{
    const int64_t I = p->I, H = p->H;
    for (int64_t q = 0; q < g->np; q++)
        for (int c = 0; c < NR; c++) {
            int64_t unit = q * g->U + c % g->U, col = (c / g->U) * H + unit;
            bool live = unit < H;
            for (int64_t k = 0; k < I; k++)
                g->px[(q * I + k) * NR + c] = live ? K[k * ld + col] : 0.0f;
            for (int64_t k = 0; k < H; k++)
                g->ph[(q * H + k) * NR + c] = live ? K[(I + k) * ld + col] : 0.0f;
            g->bias[q * NR + c] = live ? bias[col] : 0.0f;
        }
}

static bool all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static int alloc_gemm(blk_gemm *g, const ts_problem *p, int U, int64_t chunk)
{
    g->U = U;
    g->G = NR / U;
    g->np = (p->H + U - 1) / U;
    size_t np = (size_t)g->np;
    g->px = ts_alloc(np * (size_t)p->I * NR * 4);
    g->ph = ts_alloc(np * (size_t)p->H * NR * 4);
    g->bias = ts_alloc(np * NR * 4);
    g->xw = ts_alloc((size_t)chunk * (size_t)p->B * np * NR * 4);
    return g->px && g->ph && g->bias && g->xw ? 0 : -1;
}

static void blocked_release(ts_plan *plan)
{
    blk_plan *bp = plan;
    if (!bp)
        return;
    for (int i = 0; i < 2; i++) {
        ts_free(bp->g[i].px), ts_free(bp->g[i].ph), ts_free(bp->g[i].bias), ts_free(bp->g[i].xw);
        ts_free(bp->h[i]);
    }
    ts_free(bp->c), ts_free(bp->rh), ts_free(bp->u), ts_free(bp->x);
    free(bp);
}

/* Steps per hoisted chunk: as many as fit CHUNK_FLOATS, at least 1, at most the
 * longest hoisted loop (greedy decoders hoist one step at a time). */
static int64_t chunk_steps(const ts_problem *p, int64_t cols)
{
    int64_t longest = p->E > p->D ? p->E : p->D, per_step = p->B * cols;
    int64_t n = (int64_t)CHUNK_FLOATS / per_step;
    return n < 1 ? 1 : n > longest ? longest : n;
}

static int blocked_prepare(const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    blk_plan *bp = calloc(1, sizeof *bp);
    if (!bp)
        return ts_fail(e, "blocked: out of memory");
    bp->p = *p;
    bp->w = w;
    const int64_t H = p->H;
    const size_t BH = (size_t)(p->B * H);
    /* units per panel so that U * gates = NR */
    int U0 = p->cell == TS_CELL_LSTM ? 2 : p->cell == TS_CELL_GRU ? 4 : 8;
    bp->ngemm = p->cell == TS_CELL_GRU ? 2 : 1;
    int64_t cols = ((H + U0 - 1) / U0) * NR + (bp->ngemm == 2 ? ((H + 7) / 8) * NR : 0);
    bp->chunk = chunk_steps(p, cols);
    int bad = alloc_gemm(&bp->g[0], p, U0, bp->chunk);
    if (bp->ngemm == 2)
        bad |= alloc_gemm(&bp->g[1], p, 8, bp->chunk);
    bp->h[0] = ts_alloc(BH * 4);
    bp->h[1] = ts_alloc(BH * 4);
    bp->c = ts_alloc(BH * 4);
    bp->rh = ts_alloc(BH * 4);
    bp->u = ts_alloc(BH * 4);
    bp->x = ts_alloc((size_t)(p->B * p->I) * 4);
    if (bad || !bp->h[0] || !bp->h[1] || !bp->c || !bp->rh || !bp->u || !bp->x) {
        blocked_release(bp);
        return ts_fail(e, "blocked: out of memory for packed weights and buffers");
    }
    if (p->cell == TS_CELL_GRU) {
        pack_gemm(&bp->g[0], p, w->cell[0].kernel, 2 * H, w->cell[0].bias);
        pack_gemm(&bp->g[1], p, w->cell[0].cand_kernel, H, w->cell[0].cand_bias);
    } else {
        pack_gemm(&bp->g[0], p, w->cell[0].kernel, ts_cell_gates(p->cell) * H, w->cell[0].bias);
    }
    bp->g[0].skip_zero_a = all_finite(bp->g[0].ph, (size_t)(bp->g[0].np * H * NR));
    snprintf(bp->detail, sizeof bp->detail, "%dx%d tile, %d-col panels (%d units x %d gates), hoist %lld steps",
             MR, NR, NR, U0, NR / U0, (long long)bp->chunk);
    *plan = bp;
    return 0;
}

static const char *blocked_detail(const ts_plan *plan)
{
    return ((const blk_plan *)plan)->detail;
}

/* ---- the timed part ---- */

/* This thread's panels of g: those of units [s.u0, s.u1). */
static void panel_range(const blk_gemm *g, blk_slice s, int64_t *q0, int64_t *q1)
{
    *q0 = s.u0 / g->U;
    *q1 = (s.u1 + g->U - 1) / g->U;
}

/* Row tiles of nearly equal size (B = 8 -> 4 + 4, not 6 + 2): every tile has at
 * least 3 rows once rows >= 3, so the weak 1- and 2-row kernels run only at
 * batch 1 and 2.  Tile i of n covers [rows*i/n, rows*(i+1)/n). */
static int64_t row_tiles(int64_t rows)
{
    return (rows + MR - 1) / MR;
}

/* xw[0 .. rows) = X[rows x I] @ px + bias for this thread's panels.  Row blocks
 * outermost so a block of X stays in L2 while each panel (I x 8) sits in L1. */
static void hoist(const blk_plan *bp, const blk_gemm *g, blk_slice s, const float *X, int64_t rows)
{
    const int64_t I = bp->p.I, ld = g->np * NR;
    int64_t q0, q1;
    panel_range(g, s, &q0, &q1);
    const int64_t nt = row_tiles(rows);
    for (int64_t tb = 0; tb < nt; tb += ROW_BLOCK / MR)
        for (int64_t q = q0; q < q1; q++)
            for (int64_t i = tb; i < nt && i < tb + ROW_BLOCK / MR; i++) {
                int64_t r = rows * i / nt;
                int mr = (int)(rows * (i + 1) / nt - r);
                ts_f32_gemm_6x8__c(mr, g->bias + q * NR, 0, X + r * I, I, g->px + q * I * NR, I,
                                   g->xw + r * ld + q * NR, ld);
            }
}

/* Store one unit's new state everywhere it is wanted. */
static inline void put(const blk_dst *d, int64_t idx, float h, const float *c)
{
    d->h[idx] = h;
    if (d->out)
        d->out[idx] = h;
    if (d->sh)
        d->sh[idx] = h;
    if (d->sc && c)
        d->sc[idx] = *c;
}

/* Gate math on one tile, acc[MR][NR] (rows b0 .. b0+mr, panel q).  The
 * activations run over whole 8-column rows (and the LSTM state update over
 * groups of 4 units, leftovers past mr or H are finite and never stored), so
 * every inner loop has a constant trip count and gcc vectorises it.  Elementwise
 * order as TF, except tanh(j) = 2*sigmoid(2j) - 1 in the LSTM (one exp per gate;
 * absolute error ~1e-7, inside the verify tolerance). */
static void act_sigmoid(float acc[MR][NR], int mr)
{
    for (int r = 0; r < mr; r++)
        for (int c = 0; c < NR; c++)
            acc[r][c] = ts_blk_sigmoidf(acc[r][c]);
}

static void act_tanh(float acc[MR][NR], int mr)
{
    for (int r = 0; r < mr; r++)
        for (int c = 0; c < NR; c++)
            acc[r][c] = ts_blk_tanhf(acc[r][c]);
}

static void epilogue_rnn(blk_plan *bp, float acc[MR][NR], int mr, int64_t b0, int64_t q, const blk_dst *d)
{
    const int64_t H = bp->p.H;
    act_tanh(acc, mr);
    for (int r = 0; r < mr; r++)
        for (int u = 0; u < 8 && q * 8 + u < H; u++)
            put(d, (b0 + r) * H + q * 8 + u, acc[r][u], NULL);
}

/* LSTM panel columns: i0 i1 j0 j1 f0 f1 o0 o1 (2 units x 4 gates). */
static void epilogue_lstm(blk_plan *bp, float acc[MR][NR], int mr, int64_t b0, int64_t q, const blk_dst *d)
{
    static const float scale[NR] = {1, 1, 2, 2, 1, 1, 1, 1}; /* j: tanh via sigmoid(2j) */
    const int64_t H = bp->p.H;
    const float fb = bp->p.forget_bias;
    const float add[NR] = {0, 0, 0, 0, fb, fb, 0, 0};
    for (int r = 0; r < mr; r++)
        for (int c = 0; c < NR; c++) {
            float g = ts_blk_sigmoidf(acc[r][c] * scale[c] + add[c]);
            acc[r][c] = g * scale[c] - (scale[c] - 1.0f);
        }
    /* gather per unit (zero where no unit), then c' and h' 4 units at a time */
    float cn[MR * 2], ij[MR * 2], f[MR * 2], o[MR * 2], th[MR * 2];
    const int n4 = (mr * 2 + 3) / 4 * 4; /* MR * 2 = 12 is a multiple of 4 */
    for (int k = 0; k < n4; k++) {
        int r = k / 2, u = k % 2;
        bool live = r < mr && q * 2 + u < H;
        cn[k] = live ? bp->c[(b0 + r) * H + q * 2 + u] : 0.0f;
        ij[k] = live ? acc[r][u] * acc[r][2 + u] : 0.0f;
        f[k] = live ? acc[r][4 + u] : 0.0f;
        o[k] = live ? acc[r][6 + u] : 0.0f;
    }
    for (int k0 = 0; k0 < n4; k0 += 4)
        for (int k = k0; k < k0 + 4; k++) {
            cn[k] = cn[k] * f[k] + ij[k];
            th[k] = ts_blk_tanhf(cn[k]) * o[k];
        }
    for (int r = 0; r < mr; r++)
        for (int u = 0; u < 2 && q * 2 + u < H; u++) {
            int64_t idx = (b0 + r) * H + q * 2 + u;
            bp->c[idx] = cn[r * 2 + u];
            put(d, idx, th[r * 2 + u], &cn[r * 2 + u]);
        }
}

/* GRU gates panel: r0..r3 u0..u3.  r*h for the candidate GEMM (read by every
 * thread), u kept for the owner's blend. */
static void epilogue_gru_gates(blk_plan *bp, float acc[MR][NR], int mr, int64_t b0, int64_t q,
                               const float *h)
{
    const int64_t H = bp->p.H;
    act_sigmoid(acc, mr);
    for (int r = 0; r < mr; r++)
        for (int u = 0; u < 4 && q * 4 + u < H; u++) {
            int64_t idx = (b0 + r) * H + q * 4 + u;
            bp->rh[idx] = acc[r][u] * h[idx];
            bp->u[idx] = acc[r][4 + u];
        }
}

static void epilogue_gru_cand(blk_plan *bp, float acc[MR][NR], int mr, int64_t b0, int64_t q,
                              const float *h, const blk_dst *d)
{
    const int64_t H = bp->p.H;
    act_tanh(acc, mr);
    for (int r = 0; r < mr; r++)
        for (int u = 0; u < 8 && q * 8 + u < H; u++) {
            int64_t idx = (b0 + r) * H + q * 8 + u;
            float uu = bp->u[idx];
            float t1 = uu * h[idx], t2 = (1.0f - uu) * acc[r][u];
            put(d, idx, t1 + t2, NULL);
        }
}

enum { EPI_RNN, EPI_LSTM, EPI_GRU_GATES, EPI_GRU_CAND };

/* One recurrent GEMM of step tl (row tl of the chunk) for this thread's panels:
 * acc = xw + A @ ph (A = h, or r*h for the GRU candidate; skipped when A is the
 * all-zero initial state and g->skip_zero_a says that is exact), then the gate
 * math on the tile. */
static void recur(blk_plan *bp, const blk_gemm *g, blk_slice s, int64_t tl, const float *A, bool a_zero,
                  int epi, const float *h, const blk_dst *d)
{
    const int64_t B = bp->p.B, H = bp->p.H, ld = g->np * NR, nt = row_tiles(B);
    int64_t q0, q1;
    panel_range(g, s, &q0, &q1);
    float acc[MR][NR];
    for (int64_t q = q0; q < q1; q++)
        for (int64_t i = 0; i < nt; i++) {
            int64_t b0 = B * i / nt;
            int mr = (int)(B * (i + 1) / nt - b0);
            ts_f32_gemm_6x8__c(mr, g->xw + (tl * B + b0) * ld + q * NR, ld, A + b0 * H, H,
                               g->ph + q * H * NR, a_zero && g->skip_zero_a ? 0 : H, &acc[0][0], NR);
            switch (epi) {
            case EPI_RNN: epilogue_rnn(bp, acc, mr, b0, q, d); break;
            case EPI_LSTM: epilogue_lstm(bp, acc, mr, b0, q, d); break;
            case EPI_GRU_GATES: epilogue_gru_gates(bp, acc, mr, b0, q, h); break;
            default: epilogue_gru_cand(bp, acc, mr, b0, q, h, d); break;
            }
        }
}

/* One cell step from state h (zero when first) into d; ends with the barrier
 * after which every thread may read d->h. */
static void step(blk_plan *bp, blk_slice s, int64_t tl, const float *h, bool first, const blk_dst *d)
{
    switch (bp->p.cell) {
    case TS_CELL_RNN: recur(bp, &bp->g[0], s, tl, h, first, EPI_RNN, h, d); break;
    case TS_CELL_LSTM: recur(bp, &bp->g[0], s, tl, h, first, EPI_LSTM, h, d); break;
    case TS_CELL_GRU:
        recur(bp, &bp->g[0], s, tl, h, first, EPI_GRU_GATES, h, d);
#pragma omp barrier
        recur(bp, &bp->g[1], s, tl, bp->rh, first, EPI_GRU_CAND, h, d);
        break;
    }
#pragma omp barrier
}

static void hoist_all(blk_plan *bp, blk_slice s, const float *X, int64_t n)
{
    for (int i = 0; i < bp->ngemm; i++)
        hoist(bp, &bp->g[i], s, X, n * bp->p.B);
}

/* Per-thread loop state. */
typedef struct blk_run {
    blk_plan *bp;
    blk_slice s;
    ts_outputs *out;
    int cur;      /* h[cur] holds the current state */
    bool first;   /* the state is the all-zero initial one */
} blk_run;

/* Advance one step from h[cur]; dec >= 0 is a decoder step index (outputs). */
static void advance(blk_run *rs, int64_t tl, int64_t dec)
{
    blk_plan *bp = rs->bp;
    const size_t BH = (size_t)(bp->p.B * bp->p.H);
    blk_dst d = {bp->h[rs->cur ^ 1], NULL, NULL, NULL};
    if (dec >= 0) {
        d.out = rs->out->out + dec * BH;
        d.sh = rs->out->states_h ? rs->out->states_h + dec * BH : NULL;
        d.sc = rs->out->states_c && bp->p.cell == TS_CELL_LSTM ? rs->out->states_c + dec * BH : NULL;
    }
    step(bp, rs->s, tl, bp->h[rs->cur], rs->first, &d);
    rs->cur ^= 1;
    rs->first = false;
}

/* Teacher-style loop over n steps of X (encoder, or teacher-forced decoder). */
static void run_hoisted(blk_run *rs, const float *X, int64_t n, bool dec)
{
    blk_plan *bp = rs->bp;
    const int64_t BI = bp->p.B * bp->p.I;
    for (int64_t t0 = 0; t0 < n; t0 += bp->chunk) {
        int64_t m = n - t0 < bp->chunk ? n - t0 : bp->chunk;
        hoist_all(bp, rs->s, X + t0 * BI, m); /* own columns only: no barrier */
        for (int64_t tl = 0; tl < m; tl++)
            advance(rs, tl, dec ? t0 + tl : -1);
    }
}

/* Greedy decoder: one thread runs the loop function between steps. */
static int run_greedy(blk_run *rs, const ts_inputs *in, int *rc)
{
    blk_plan *bp = rs->bp;
    const ts_problem *p = &bp->p;
    const size_t BH = (size_t)(p->B * p->H);
    for (int64_t i = 0; i < p->D; i++) {
        const float *x = in->dec;
        if (i > 0) {
#pragma omp single
            {
                int32_t *sym = rs->out->symbols ? rs->out->symbols + i * p->B : NULL;
                *rc = ts_loop_call(p, bp->w, in, i, rs->out->out + (i - 1) * BH, bp->x, sym);
            } /* implicit barrier: every thread sees rc and x */
            if (*rc)
                return *rc;
            x = bp->x;
        }
        hoist_all(bp, rs->s, x, 1);
        advance(rs, 0, i);
    }
    return 0;
}

/* Copy this thread's units of the final state. */
static void final_state(blk_run *rs)
{
    blk_plan *bp = rs->bp;
    const int64_t H = bp->p.H, n = rs->s.u1 - rs->s.u0;
    if (n <= 0)
        return;
    for (int64_t b = 0; b < bp->p.B; b++) {
        memcpy(rs->out->h + b * H + rs->s.u0, bp->h[rs->cur] + b * H + rs->s.u0, (size_t)n * 4);
        if (rs->out->c && bp->p.cell == TS_CELL_LSTM)
            memcpy(rs->out->c + b * H + rs->s.u0, bp->c + b * H + rs->s.u0, (size_t)n * 4);
    }
}

static blk_slice slice_of(int64_t H, int ith, int nth)
{
    int64_t ng = (H + GRANULE - 1) / GRANULE;
    int64_t g0 = ng * ith / nth, g1 = ng * (ith + 1) / nth;
    blk_slice s = {g0 * GRANULE, g1 * GRANULE < H ? g1 * GRANULE : H};
    return s;
}

static int blocked_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    blk_plan *bp = plan;
    const ts_problem *p = &bp->p;
    int rc = 0;
    if (p->feed == TS_FEED_GREEDY && out->symbols && p->D > 0)
        for (int64_t b = 0; b < p->B; b++)
            out->symbols[b] = -1; /* step 0 takes the GO input */
#pragma omp parallel num_threads(p->threads)
    {
        blk_run rs = {bp, slice_of(p->H, omp_get_thread_num(), omp_get_num_threads()), out, 0, true};
        /* the state starts at zero; each thread owns (and clears) its units.  The
         * first step's GEMM skips h when that is exact, so no thread reads
         * another's units before the first barrier; otherwise one barrier more. */
        for (int64_t b = 0; b < p->B && rs.s.u1 > rs.s.u0; b++) {
            memset(bp->c + b * p->H + rs.s.u0, 0, (size_t)(rs.s.u1 - rs.s.u0) * 4);
            memset(bp->h[0] + b * p->H + rs.s.u0, 0, (size_t)(rs.s.u1 - rs.s.u0) * 4);
        }
        if (!bp->g[0].skip_zero_a) {
#pragma omp barrier
        }
        run_hoisted(&rs, in->enc, p->E, false);
        int my_rc = 0;
        if (p->feed == TS_FEED_GREEDY)
            my_rc = run_greedy(&rs, in, &rc);
        else
            run_hoisted(&rs, in->dec, p->D, true);
        if (!my_rc)
            final_state(&rs);
    }
    return rc;
}

const ts_variant ts_variant_blocked = {
    .name = "blocked",
    .summary = "portable C, 6x8 register tile (SSE2 by gcc), gate-interleaved panels, hoisted input, OpenMP",
    .isa = 0,
    .supports = blocked_supports,
    .prepare = blocked_prepare,
    .run = blocked_run,
    .release = blocked_release,
    .detail = blocked_detail,
};
