/* tiedseq: TensorFlow 1.x tied_rnn_seq2seq (one cell, one set of weights shared by
 * an encoder and a decoder RNN) in C.  Public model header: problem descriptor,
 * weights in TF layout, inputs, outputs, loop function, errors.
 * The exact math, in TF's op order, is harness/check/reference.c (docs/correctness.md). */
#ifndef TIEDSEQ_H
#define TIEDSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors: values with messages, never exit() inside the library ---- */
typedef struct ts_err {
    char msg[512];
} ts_err;

/* printf-style: fill e (if non-NULL) and return -1, so `return ts_fail(e, ...)` */
int ts_fail(ts_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- problem descriptor ---- */
typedef enum { TS_CELL_RNN = 0, TS_CELL_GRU = 1, TS_CELL_LSTM = 2 } ts_cell;
typedef enum { TS_FEED_TEACHER = 0, TS_FEED_GREEDY = 1 } ts_feed;
/* A variant's arithmetic: fp32 throughout, or bf16 cell weights and GEMM inputs
 * (round-to-nearest-even) with fp32 accumulation, cell math and state. */
typedef enum { TS_PREC_F32 = 0, TS_PREC_BF16 = 1 } ts_precision;

typedef struct ts_problem {
    ts_cell cell;
    int64_t B, I, H; /* batch, input width, hidden units */
    int64_t E, D;    /* encoder steps (>= 1), decoder steps (>= 0) */
    ts_feed feed;
    int64_t V;       /* greedy vocabulary (projection width); 0 in teacher mode */
    float forget_bias; /* BasicLSTMCell's run-time constant; default 1.0 */
    int threads;     /* OpenMP threads a variant may use (num_threads clause) */
    /* MultiRNNCell and TF's full LSTMCell (defaults: one plain layer) */
    int layers;      /* L: MultiRNNCell of L cells of the same kind; default 1 */
    int res_from;    /* ResidualWrapper on layers res_from..L (1-based); 0 = none */
    bool peep;       /* LSTMCell use_peepholes (w_i_diag, w_f_diag, w_o_diag) */
    bool has_cell_clip, has_proj_clip;
    float cell_clip; /* LSTMCell cell_clip (when has_cell_clip) */
    float proj_clip; /* LSTMCell proj_clip (when has_proj_clip; needs P > 0) */
    int64_t P;       /* LSTMCell num_proj; 0 = no projection (output width H) */
} ts_problem;

/* Field limits (inclusive).  The parser names the field and range on error. */
#define TS_MAX_DIM     (1 << 20)   /* B, I, H, V */
#define TS_MAX_STEPS   (1 << 20)   /* E, D */
#define TS_MAX_THREADS 1024
#define TS_MAX_LAYERS  16         /* lL */

/* "lstm:b16:i512:h512:e25:d25:teacher:t2", "gru:b3:i5:h37:e7:d7:greedy:v11:t1:fb0".
 * Required: cell first, then b i h e d (any order).  Optional: teacher|greedy
 * (default teacher), vN (required with greedy, refused with teacher), tN
 * (default 1), fbX (forget_bias, LSTM only, default 1), lL (layers, default 1),
 * resK (residual layers K..L), and for LSTM only peep, clipX, projP, pclipX
 * (pclip needs proj).  Each field at most once.  Counts are decimal digits only;
 * fbX, clipX and pclipX are -?DIGITS[.DIGITS] (<= 9 decimals, |X| <= 1e6), clips > 0. */
int ts_problem_parse(const char *desc, ts_problem *p, ts_err *e);
/* Canonical form: cell:bB:iI:hH:eE:dD:feed[:vV]:tT[:fbX][:lL][:resK][:peep][:clipX][:projP][:pclipX]
 * (the optional fields only when not default); returns strlen or -1. */
int ts_problem_format(const ts_problem *p, char *buf, size_t n);
/* Range and consistency check (parse calls it; call it on hand-built problems). */
int ts_problem_check(const ts_problem *p, ts_err *e);
/* True when p is one plain layer (no lL > 1, res, peep, clips, proj): what the
 * optimized variants run today.  Otherwise false with "unsupported: <feature> not
 * implemented in <variant> yet" in why. */
bool ts_problem_is_basic(const ts_problem *p, const char *variant, char *why, size_t n);
const char *ts_cell_name(ts_cell c);
const char *ts_feed_name(ts_feed f);
const char *ts_precision_name(ts_precision q); /* "f32", "bf16" */
/* fp32 -> bf16 with round-to-nearest-even (NaN stays a quiet NaN), as
 * vcvtneps2bf16 rounds; the result kept as the fp32 it stands for, and its bits. */
float ts_bf16_round(float x);
uint16_t ts_bf16_bits(float x);
/* The same by truncation (dropping the low 16 bits): only the tests' mutation. */
float ts_bf16_trunc(float x);

/* Gate blocks: RNN 1, GRU 3 (2 gates + candidate), LSTM 4. */
int ts_cell_gates(ts_cell c);
/* Hout: every layer's output (and recurrent m) width: P when projecting, else H. */
int64_t ts_out_width(const ts_problem *p);
/* Ik: layer k's (0-based) input width: I for layer 0, Hout above. */
int64_t ts_layer_input(const ts_problem *p, int k);
/* True when layer k (0-based) is residual: output = cell output + layer input. */
bool ts_layer_residual(const ts_problem *p, int k);

/* Element counts of one layer's weights (MultiRNNCell's cell_k). */
typedef struct ts_layer_sizes {
    int64_t in, rows;              /* Ik, and the kernel's rows Ik + Hout */
    size_t kernel, bias;           /* rnn/lstm kernel [rows x G*H]; gru gates kernel [rows x 2H] */
    size_t cand_kernel, cand_bias; /* gru only: [rows x H], [H]; else 0 */
    size_t diag;                   /* lstm :peep: each of w_i/w_f/w_o_diag [H]; else 0 */
    size_t proj_kernel;            /* lstm :proj: projection kernel [H x P]; else 0 */
    size_t total;                  /* all of the above (diag counted 3 times) */
} ts_layer_sizes;
/* Layer k's sizes; fails (with a message) on size_t overflow or k out of 0..L-1. */
int ts_cell_sizes(const ts_problem *p, int k, ts_layer_sizes *s, ts_err *e);

/* Element counts of every tensor of a problem (for allocation and .npy shapes). */
typedef struct ts_sizes {
    ts_layer_sizes cell[TS_MAX_LAYERS]; /* layers 0..L-1; the rest zero */
    size_t weights;                /* every layer's cell weights together */
    size_t proj_w, proj_b, embedding; /* greedy only: [Hout x V], [V], [V x I]; else 0 */
    size_t enc, dec;               /* [E x B x I], [D x B x I] */
    size_t out;                    /* [D x B x Hout] */
    size_t state_h, state_c;       /* final states [L x B x Hout], [L x B x H] (c: lstm; else 0) */
    size_t states_h, states_c;     /* per-step states [D x L x B x Hout], [D x L x B x H] (c: lstm) */
    size_t total_bytes;            /* everything above, weights+inputs+outputs+per-step states, once */
} ts_sizes;
/* Fails (with a message) if any count or the total overflows size_t. */
int ts_problem_sizes(const ts_problem *p, ts_sizes *s, ts_err *e);
/* ts_problem_sizes, plus: the total must fit in the machine's available memory. */
int ts_problem_check_memory(const ts_problem *p, ts_err *e);

/* ---- accounting (docs/design.md, "Accounting") ---- */
/* Sums over layers k (Ik = I for k = 0, else Hout); P terms only with :proj. */
double ts_flops_per_step(const ts_problem *p);   /* sum_k 2*B*((Ik+Hout)*G*H + H*P) */
double ts_flops_total(const ts_problem *p);      /* (E+D) steps + greedy projections 2*B*Hout*V */
double ts_weight_bytes(const ts_problem *p);     /* sum_k 4*(G*H*(Ik+Hout) + H*P + 3H peep) */
double ts_recurrent_bytes(const ts_problem *p);  /* sum_k 4*(G*H*Hout + H*P), streamed every step */
/* The same for a variant's precision: bf16 stores the cell's gate matrices in 2
 * bytes; the LSTMCell projection and peepholes stay fp32 (4 bytes) */
double ts_weight_bytes_prec(const ts_problem *p, ts_precision q);
double ts_recurrent_bytes_prec(const ts_problem *p, ts_precision q);

/* ---- weights, TF layout (row-major, inputs' rows first, then state rows) ----
 * Layer k's input width Ik is I for k = 0, else Hout; its recurrent rows have
 * width Hout (Hout = P when projecting, else H).  Below, "I+H" means Ik+Hout. */
typedef struct ts_cell_weights {
    float *kernel;      /* rnn [(I+H) x H]; lstm [(I+H) x 4H] (blocks i,j,f,o); gru gates [(I+H) x 2H] (r,u) */
    float *bias;        /* [G*H]; gru gates bias [2H] */
    float *cand_kernel; /* gru candidate kernel [(I+H) x H]; NULL otherwise */
    float *cand_bias;   /* gru candidate bias [H]; NULL otherwise */
    float *w_i_diag, *w_f_diag, *w_o_diag; /* LSTMCell peepholes [H]; NULL without :peep */
    float *proj_kernel; /* LSTMCell projection/kernel [H x P]; NULL without :proj */
} ts_cell_weights;

typedef struct ts_weights {
    ts_cell_weights cell[TS_MAX_LAYERS]; /* layers 0..L-1 (MultiRNNCell's cell_k) */
    float *proj_w;      /* greedy: output projection [Hout x V] */
    float *proj_b;      /* greedy: [V] */
    float *embedding;   /* greedy: [V x I] */
} ts_weights;

/* ---- the loop function (TF's loop_function(prev, i)) ----
 * Called for decoder steps i = 1..D-1 with prev = out_{i-1} [B x Hout] (the top
 * layer's output, after its residual add); writes the
 * next input [B x I].  Never called for step 0 nor after the last step.
 * symbols: if non-NULL, [B] chosen token ids to record (built-in fills it). */
typedef int (*ts_loop_fn)(void *ctx, const ts_problem *p, int64_t step,
                          const float *prev, float *next, int32_t *symbols);

typedef struct ts_inputs {
    const float *enc;   /* [E x B x I] */
    const float *dec;   /* [D x B x I]; greedy uses only dec[0] (the GO input) */
    ts_loop_fn loop;    /* greedy only; NULL = built-in argmax-embed with w->proj_*, w->embedding */
    void *loop_ctx;
} ts_inputs;

/* Layouts for L layers (L = 1: the layer axis vanishes, the layout of one layer).
 * A layer's h state is its cell's own output (LSTM: m, after projection and
 * proj_clip), without a residual add; out is the top layer's output with it. */
typedef struct ts_outputs {
    float *out;      /* [D x B x Hout] decoder outputs (top layer, residual included) */
    float *h;        /* [L x B x Hout] final state h per layer (encoder's when D = 0) */
    float *c;        /* [L x B x H] final LSTM c per layer; NULL for rnn/gru */
    float *states_h; /* optional [D x L x B x Hout]: state after every decoder step; NULL = skip */
    float *states_c; /* optional [D x L x B x H], LSTM only; NULL = skip */
    int32_t *symbols; /* optional [D x B] greedy: symbols[i] chose input i (row 0 = -1, GO) */
} ts_outputs;

/* The built-in greedy loop: z = prev[b] @ W + bias, k = argmax z (smallest index
 * on ties), next[b] = Emb[k].  As TF's argmax, NaN never wins and a row with no
 * z above -FLT_MAX (all NaN or -inf) gives k = 0, so k is always in [0, V).
 * ctx must point to the ts_weights. */
int ts_loop_argmax_embed(void *ctx, const ts_problem *p, int64_t step,
                         const float *prev, float *next, int32_t *symbols);

/* Calls in->loop (or the built-in) for step i; a variant's one entry to the loop. */
int ts_loop_call(const ts_problem *p, const ts_weights *w, const ts_inputs *in,
                 int64_t step, const float *prev, float *next, int32_t *symbols);

/* The decoder's input bookkeeping every variant shares (TF's rnn_decoder):
 * step i takes dec[i] (teacher), dec[0] = GO (greedy, i = 0: symbols row 0 is
 * set to -1), or the loop function of out_{i-1} written into xbuf (greedy,
 * i > 0: symbols row i records the choice).  *x points at the input; returns 0
 * or the loop function's status. */
int ts_decoder_input(const ts_problem *p, const ts_weights *w, const ts_inputs *in, ts_outputs *out,
                     int64_t i, float *xbuf, const float **x);
/* Greedy: symbols row 0 = -1 (step 0 takes the GO input), for variants that
 * call the loop function themselves. */
void ts_decoder_mark_go(const ts_problem *p, ts_outputs *out);

/* ---- owning tensor sets (allocation, deterministic filling) ---- */
typedef struct ts_tensors {
    ts_problem p;
    ts_weights w;
    float *enc, *dec;
    ts_inputs in;       /* points at enc/dec */
} ts_tensors;

typedef struct ts_result {
    float *out, *h, *c, *states_h, *states_c;
    int32_t *symbols;
    ts_outputs o;       /* points at the buffers above */
} ts_result;

/* Allocate zeroed weights+inputs of problem p. */
int ts_tensors_alloc(ts_tensors *t, const ts_problem *p, ts_err *e);
/* Deterministic fill from seed: weights U(+-1/sqrt(I+H)), GRU gate bias around
 * 1.0 (TF's init), inputs U(-1,1), projection/embedding scaled to keep O(1).
 * Layer 0 of a plain one-layer problem draws exactly what it always drew; layers
 * above, peepholes U(+-0.5) and LSTM projections U(+-1/sqrt(H)) come from a
 * second stream of the same seed, after. */
void ts_tensors_fill(ts_tensors *t, uint64_t seed);
void ts_tensors_free(ts_tensors *t);
/* Allocate outputs; with_states adds per-step states, symbols always in greedy. */
int ts_result_alloc(ts_result *r, const ts_problem *p, bool with_states, ts_err *e);
void ts_result_free(ts_result *r);

/* Aligned allocation (64 bytes), zeroed; NULL on failure or n == 0. */
void *ts_alloc(size_t bytes);
/* The same for big, long-lived buffers (packed weights): from 2 MiB on, aligned
 * to 2 MiB and advised MADV_HUGEPAGE before the first touch, so the kernel may
 * back it with transparent huge pages (fewer TLB misses when a step streams
 * megabytes of weights).  *huge (if non-NULL) says whether it got any: the
 * advice can be ignored (THP "never", fragmentation), and the fallback is the
 * plain allocation.  TS_HUGEPAGES=0 in the environment turns the advice off.
 * Free with ts_free. */
void *ts_alloc_big(size_t bytes, bool *huge);
void ts_free(void *ptr);

/* Uniform float in [lo, hi) from a splitmix64 state. */
float ts_rand_uniform(uint64_t *state, float lo, float hi);

#ifdef __cplusplus
}
#endif
#endif
