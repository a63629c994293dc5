/* Gate-interleaved weight panels for the SIMD variants (ISA-neutral).
 *
 * A TF kernel [(I+H) x G*H] (gate blocks of H columns each) is cut into panels
 * of `upp` hidden units.  A panel holds, for every kernel row, TS_PANEL_VECS
 * vectors = the G gate blocks of its units side by side:
 *
 *     LSTM, 16 lanes: upp = 16   row = i[u..u+16) j[..] f[..] o[..]
 *     GRU gates:      upp = 32   row = r[u..u+32) z[u..u+32)
 *     GRU cand, RNN:  upp = 64   row = c[u..u+64)
 *
 * so one register tile (rows x TS_PANEL_VECS vectors) holds every gate of the
 * same units and the cell's elementwise math runs on it in the GEMM epilogue.
 * Input rows (wx) and state rows (wh) are separate arrays: the input part is
 * hoisted out of the recurrence, the state part is streamed every step.
 * Units past H are zero columns (bias 0), so tails cost no branches.
 *
 * Weight formats (ts_wfmt; the bias is always fp32):
 *   F32         a packed row is nw floats (above)
 *   BF16        the same rows, each weight rounded once to bf16 (RNE), 2 bytes:
 *               a kernel widens a row's vector by a 16-bit shift (AVX2)
 *   BF16_PAIRS  rows k and k+1 interleaved for vdpbf16ps: the pair's 32-bit
 *               column c holds (w[k][c], w[k+1][c]) in its (low, high) halves;
 *               an odd last row is paired with a zero row.  In bf16 elements a
 *               pair occupies the place of two BF16 rows, so offsets k*nw stay
 *               valid for every even k. */
#ifndef TS_PACK_H
#define TS_PACK_H
#include "tiedseq.h"

#define TS_PANEL_VECS 4 /* vectors per packed row = the register tile's width */

typedef enum { TS_WFMT_F32 = 0, TS_WFMT_BF16, TS_WFMT_BF16_PAIRS } ts_wfmt;

typedef struct ts_pset {
    int gates;      /* gate blocks of the source matrix: LSTM 4, GRU gates 2, GRU cand 1, RNN 1 */
    int64_t upp;    /* units per panel = TS_PANEL_VECS * lanes / gates */
    int64_t nw;     /* floats per packed row = TS_PANEL_VECS * lanes */
    int64_t panels; /* Hp / upp */
    int64_t I, R;   /* input rows, state rows of the source kernel */
    int64_t H;      /* units per gate block (source columns = gates * H) */
    ts_wfmt fmt;    /* weight format of wx and wh */
    int esize;      /* bytes per packed weight: 4 (F32) or 2 */
    int64_t Is, Rs; /* rows stored per panel: I and R, rounded up to even for BF16_PAIRS */
    void *wx;       /* [panels][Is][nw]: input rows of the kernel */
    void *wh;       /* [panels][Rs][nw]: state rows of the kernel; NULL when R = 0 */
    float *bias;    /* [panels][nw]; LSTM forget_bias already added to f */
    bool huge;      /* wx or wh got transparent huge pages (ts_alloc_big) */
} ts_pset;

/* Pack kernel [(I+R) x gates*H] and bias [gates*H] (NULL: zeros) for vectors
 * of `lanes` floats, covering Hp units (Hp a multiple of upp, >= H).  R is the
 * recurrent width: H, or P for TF's LSTMCell with num_proj; 0 packs a plain
 * [I x H] matrix (the projection m @ Kp, through xproj).  fb is added to gate
 * block fb_gate (LSTM f; pass -1 for none): f' = z_f + forget_bias folded into
 * the bias, as oneDNN does (at most 1 ulp from TF's separate add). */
int ts_pset_pack(ts_pset *ps, const float *kernel, const float *bias, int64_t I, int64_t R, int64_t H,
                 int64_t Hp, int gates, int lanes, int fb_gate, float fb, ts_wfmt fmt, ts_err *e);
void ts_pset_free(ts_pset *ps);

static inline const void *ts_pset_wx(const ts_pset *ps, int64_t panel)
{
    return (const char *)ps->wx + panel * ps->Is * ps->nw * ps->esize;
}
static inline const void *ts_pset_wh(const ts_pset *ps, int64_t panel)
{
    return (const char *)ps->wh + panel * ps->Rs * ps->nw * ps->esize;
}
static inline const float *ts_pset_bias(const ts_pset *ps, int64_t panel)
{
    return ps->bias + panel * ps->nw;
}

#endif
