/* The persistent unroll driver of the SIMD variants (ISA-neutral) and the
 * micro-kernel table an ISA supplies (kernels/x86/f32-gemm-<isa>.c).
 *
 * One `omp parallel` region per run.  Each thread owns a fixed slice of hidden
 * units, hence a fixed slice of the packed weights (it stays in that core's L2),
 * and computes every gate of those units for all batch rows.  Per step: the
 * recurrent GEMM h @ Wh with the cell math in its epilogue, then one barrier (GRU:
 * two, r*h must be whole before the candidate GEMM).  The input part x @ Wx is
 * hoisted: one GEMM per chunk of steps, before those steps, for every step whose
 * input is known (encoder; decoder in teacher forcing).  Greedy decoder steps
 * multiply their input inside the step kernel instead; with the built-in loop
 * function their projection, argmax and embedding run on every thread too
 * (each a slice of V; docs/variants-simd.md, "Greedy projection"). */
#ifndef TS_UNROLL_H
#define TS_UNROLL_H
#include "pack.h"
#include "tiedseq.h"

/* The elementwise epilogue a step kernel applies to its tile. */
typedef enum {
    TS_PH_RNN,       /* h' = tanh(z) */
    TS_PH_LSTM,      /* c' = c*sig(f) + sig(i)*tanh(j); h' = tanh(c')*sig(o) */
    TS_PH_GRU_GATES, /* r = sig(zr), u = sig(zu): rh = r*h, u kept */
    TS_PH_GRU_CAND,  /* h' = u*h + (1-u)*tanh(zc) */
    TS_PH_COUNT
} ts_phase;

/* One step kernel call: one panel, all `rows` batch rows. */
typedef struct ts_tile_args {
    int64_t rows, H;     /* batch rows; state width (the recurrent GEMM's depth) */
    int64_t ldh;         /* row stride of every [rows x ldh] state buffer */
    float *xacc;         /* [rows x nw]: bias + x @ Wx of this panel on entry; scratch after */
    const float *wh;     /* this panel's state rows (pack.h) */
    const float *a;      /* recurrent GEMM operand [rows x ldh]: h, or r*h (GRU candidate) */
    int64_t u0;          /* first unit of the panel */
    const float *h;      /* h_t (GRU gates and candidate read it) */
    float *h_out;        /* h_{t+1} */
    float *c;            /* LSTM c, updated in place */
    float *rh, *u;       /* GRU r*h and u */
} ts_tile_args;

typedef struct ts_ukernels {
    const char *isa;  /* "avx512" */
    const char *tile; /* register tile, rows x floats: "6x64" */
    int lanes;        /* floats per vector */
    /* c[rows x nw] = bias + a[rows x K] @ w[K x nw] (one panel; lda = a's row stride) */
    void (*xproj)(int64_t rows, int64_t K, const float *a, int64_t lda, const float *w,
                  const float *bias, float *c);
    void (*step[TS_PH_COUNT])(const ts_tile_args *t);
    /* greedy: per row of one logits panel c[rows x TS_PANEL_VECS*lanes] (first
     * column col0), raise (best_z, best_i) on a strictly greater maximum,
     * NaN skipped (TF's argmax: see the x86 kernel); NULL =
     * the greedy projection goes through ts_loop_call on one thread */
    void (*argmax)(int64_t rows, const float *c, int64_t col0, float *best_z, int64_t *best_i);
} ts_ukernels;

typedef struct ts_unroll_plan ts_unroll_plan;

/* Untimed: pack weights for uk's vector width, allocate all buffers. */
int ts_unroll_prepare(const ts_problem *p, const ts_weights *w, const ts_ukernels *uk,
                      ts_unroll_plan **plan, ts_err *e);
/* Timed: one whole tied seq2seq forward; 0 or the loop function's status. */
int ts_unroll_run(ts_unroll_plan *plan, const ts_inputs *in, ts_outputs *out);
void ts_unroll_release(ts_unroll_plan *plan);
/* "16u x 4 gates, 6x64 tile, hoisted input (25-step chunks)" */
const char *ts_unroll_detail(const ts_unroll_plan *plan);

#endif
