/* The micro-kernel interface: what an ISA supplies to the unroll driver
 * (kernels/unroll.c), BLIS style: the driver is written once, and each ISA
 * (portable generic vectors, avx2, avx512) fills one ts_ukernels table from
 * the shared templates in this folder (rnn-tile.inc.h over a simd-<isa>.h).
 * The driver only ever calls through the table, so the naive -> blocked ->
 * avx2 -> avx512 ladder changes one thing per rung: the vector width and tile. */
#ifndef TS_UKERNEL_H
#define TS_UKERNEL_H
#include "../pack.h"
#include "../tiedseq.h"

/* The elementwise epilogue a step kernel applies to its tile. */
typedef enum {
    TS_PH_RNN,       /* h' = tanh(z) */
    TS_PH_LSTM,      /* c' = c*sig(f) + sig(i)*tanh(j); h' = tanh(c')*sig(o) */
    TS_PH_GRU_GATES, /* r = sig(zr), u = sig(zu): rh = r*h, u kept */
    TS_PH_GRU_CAND,  /* h' = u*h + (1-u)*tanh(zc) */
    /* TF's LSTMCell: i = sig(zi + wci*c), f = sig(zf + wcf*c) (previous c),
     * c' = clip(f*c + i*tanh(j)), o = sig(zo + wco*c') (new, clipped c'),
     * m = o*tanh(c') into h_out (the projection, if any, is the driver's) */
    TS_PH_LSTMCELL,
    TS_PH_COUNT
} ts_phase;

/* One step kernel call: one panel, all `rows` batch rows. */
typedef struct ts_tile_args {
    int64_t rows, K;     /* batch rows; the recurrent GEMM's depth (H, or P when projecting) */
    int64_t lda;         /* row stride of a */
    int64_t ldh;         /* row stride of every other [rows x ldh] state buffer (h, h_out, c, rh, u) */
    float *xacc;         /* [rows x nw]: bias + x @ Wx of this panel on entry; scratch after */
    const void *wh;      /* this panel's state rows (pack.h), in the table's wfmt */
    const float *a;      /* recurrent GEMM operand [rows x K]: h, or r*h (GRU candidate) */
    int64_t u0;          /* first unit of the panel */
    const float *h;      /* h_t (GRU gates and candidate read it) */
    float *h_out;        /* h_{t+1} */
    float *c;            /* LSTM c, updated in place */
    float *rh, *u;       /* GRU r*h and u */
    const float *wci, *wcf, *wco; /* LSTMCell peepholes at unit u0 (zeros without them) */
    float clip;          /* LSTMCell cell_clip (INFINITY without it) */
    /* bf16 tables: a is already rounded to bf16 (round_bf16): use it as it is.
     * Last, so the fp32 kernels' code is the same as before it came. */
    bool a_bf16;
} ts_tile_args;

typedef struct ts_ukernels {
    const char *isa;  /* "avx512" */
    const char *tile; /* register tile, rows x floats: "6x64" */
    int lanes;        /* floats per vector */
    /* the packed format of the cell's matrices (pack.h): F32, or for the bf16
     * tables BF16 / BF16_PAIRS, whose kernels also round the GEMM operand a to
     * bf16 (RNE) as they read it; accumulation and the epilogues stay fp32 */
    ts_wfmt wfmt;
    /* c[rows x nw] = bias + a[rows x K] @ w[K x nw] (one panel in wfmt; lda = a's row stride) */
    void (*xproj)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                  const float *bias, float *c);
    /* the same over fp32 weights and operands, for the GEMMs every table keeps in
     * fp32: the greedy logits and the LSTMCell projection (= xproj in fp32 tables) */
    void (*xproj_f32)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                      const float *bias, float *c);
    /* optional (NULL: none), bf16 tables: xproj over an operand already rounded
     * to bf16, and the rounding itself (dst = bf16(src) as fp32, RNE).  The
     * driver rounds a step's h (a chunk's input) once per thread for all its
     * panels instead of once per panel; the numbers are the same. */
    void (*xproj_pre)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *w,
                      const float *bias, float *c);
    void (*round_bf16)(int64_t n, const float *src, float *dst);
    void (*step[TS_PH_COUNT])(const ts_tile_args *t);
    /* greedy: per row of one logits panel c[rows x TS_PANEL_VECS*lanes] (first
     * column col0), raise (best_z, best_i) on a strictly greater maximum,
     * NaN skipped (TF's argmax: see the x86 kernel); NULL =
     * the greedy projection goes through ts_loop_call on one thread */
    void (*argmax)(int64_t rows, const float *c, int64_t col0, float *best_z, int64_t *best_i);
} ts_ukernels;

/* The tables.  Use an ISA's table only after ts_cpu_isa() reports the ISA
 * (the variant registry checks it); generic runs on any x86-64. */
extern const ts_ukernels ts_ukernels_generic; /* GCC vector extensions, 4 lanes (SSE2) */
extern const ts_ukernels ts_ukernels_avx2;
extern const ts_ukernels ts_ukernels_avx512;
extern const ts_ukernels ts_ukernels_avx2_bf16;   /* BF16 weights widened by shifts, fp32 FMA */
extern const ts_ukernels ts_ukernels_avx512_bf16; /* BF16_PAIRS, vdpbf16ps */
extern const ts_ukernels ts_ukernels_amx_bf16;    /* BF16_PAIRS, TDPBF16PS tiles, AVX-512 epilogues */
/* tests only: the BF16_PAIRS path over generic vectors, vdpbf16ps emulated (bf16-emu.h) */
extern const ts_ukernels ts_ukernels_generic_bf16_emu;
/* tests only: the amx-bf16 kernels over 16-lane generic vectors, tiles emulated (amx-emu.h) */
extern const ts_ukernels ts_ukernels_generic_amx_emu;

#endif
