/* The amx-bf16 kernels: the GEMM of xproj and of every step kernel on AMX
 * tiles, the cell math from rnn-tile.inc.h's epilogues.  The including file
 * defines, before including this:
 *     a 16-lane simd header and vact.inc.h   vf_* for the epilogues
 *     the tile layer                          amx_loadconfig, amx_tload,
 *         amx_tstore, amx_tdp, amx_round_row: x86/simd-amx.h (the instructions)
 *         or amx-emu.h (their emulation in C, for the tests)
 *     TS_MR, TS_KN(op)                        as for rnn-tile.inc.h (its fp32
 *                                             xproj and argmax: the greedy logits and projection)
 *     TS_AMX_KN(op)                           the names of the tile kernels
 * and gets TS_AMX_UKERNELS(isa, tile), the initializer of its table.
 *
 * Numerics: avx512-bf16's (weights bf16 in k pairs, TS_WFMT_BF16_PAIRS; the
 * GEMM operand rounded to bf16, RNE; fp32 accumulation, cell math, state).
 *
 * Tiles (one configuration, every tile 16 rows x 64 bytes):
 *     0-3  C: 16 batch rows x 16 fp32, the 4 column blocks of a panel row (NW = 64)
 *     4    A: 16 rows x 32 bf16 = 16 k pairs of the rounded operand
 *     5-7  B: 16 k-pair rows x 16 columns x 2 bf16, straight from the panel
 *          (BF16_PAIRS is the VNNI layout TDPBF16PS wants; row stride = one
 *          pair row of the panel, NW pairs = 256 bytes)
 * 16 batch rows at a time keep the 4 C tiles in the tile file over all of K;
 * they go through a [16 x NW] fp32 buffer on the stack, once in and once out:
 * in from the bias (xproj) or the hoisted pre-activations (step), out to c or
 * to the epilogue, which reads it as tile_acc rows (acc_load) and runs the same
 * epi_* as every other table.  Rows past the batch are zero in A and in the
 * buffer, and never leave it.  K tails: A is zero past K; the last partial
 * k-chunk's weight pairs are copied once per call into a zero-padded block, so
 * no tile load reads past the panel (the last panel ends its allocation). */
#ifndef TS_AMX_TILE_INC_H
#define TS_AMX_TILE_INC_H
#define TS_NO_STEP_KERNELS
#include "rnn-tile.inc.h"
#include "amx-cfg.h"

#define AMX_M 16              /* rows of a C and an A tile */
#define AMX_KC 32             /* k per A tile: 16 pairs */
#define AMX_BSTRIDE (NW * 4)  /* bytes of one k-pair row of a BF16_PAIRS panel */
_Static_assert(NW == 64, "a panel row is 4 C tiles of 16 fp32: 16-lane tables only");

/* Palette 1, tiles 0-7 all 16 x 64 bytes: one shape for every call, so no
 * call ever reconfigures for a tail (tails are padded instead). */
static const ts_amx_cfg amx_cfg = {
    .palette_id = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

/* The A tile: rows [0, mr) of a, columns [0, kn), as bf16 bits; zeros elsewhere */
TS_INLINE void amx_pack_a(const float *a, int64_t lda, int mr, int kn, uint16_t ab[AMX_M][AMX_KC])
{
    for (int r = 0; r < mr; r++)
        amx_round_row(a + r * lda, kn, ab[r]);
    if (mr < AMX_M)
        memset(ab[mr], 0, sizeof(uint16_t) * AMX_KC * (size_t)(AMX_M - mr));
}

/* The last k-chunk's pair rows [k0/2, ceil(K/2)) of the panel w, in a block of
 * 16 pair rows padded with zero rows; NULL when K is a whole number of chunks.
 * A panel stores ceil(K/2) pair rows (pack.h), so a full-height B load of the
 * last chunk would read past it. */
static const uint16_t *amx_b_tail(const uint16_t *w, int64_t K, uint16_t *tail)
{
    const int64_t k0 = K / AMX_KC * AMX_KC, pairs = (K - k0 + 1) / 2;
    if (k0 == K)
        return NULL;
    memcpy(tail, w + k0 * NW, (size_t)(pairs * AMX_BSTRIDE));
    memset((char *)tail + pairs * AMX_BSTRIDE, 0, (size_t)((AMX_M - pairs) * AMX_BSTRIDE));
    return tail;
}

/* cb[16 x NW] += bf16(a[r*lda + 0..K)) @ w for rows r < mr (rows past mr: +0).
 * Per k-chunk: one A tile, then one B tile and one TDPBF16PS per C tile; the
 * B tiles rotate over 5-7 so that a load need not wait for the previous dot
 * product to release its tile. */
TS_INLINE void amx_gemm_rows(const float *a, int64_t lda, int mr, int64_t K, const uint16_t *w,
                             const uint16_t *wtail, float *cb)
{
    uint16_t ab[AMX_M][AMX_KC] __attribute__((aligned(64)));
    amx_tload(0, cb, NW * 4);
    amx_tload(1, cb + 16, NW * 4);
    amx_tload(2, cb + 32, NW * 4);
    amx_tload(3, cb + 48, NW * 4);
    for (int64_t k0 = 0; k0 < K; k0 += AMX_KC) {
        const int kn = K - k0 < AMX_KC ? (int)(K - k0) : AMX_KC;
        const uint16_t *wb = kn == AMX_KC ? w + k0 * NW : wtail; /* + 32 bf16 = the next 16 columns */
        amx_pack_a(a + k0, lda, mr, kn, ab);
        amx_tload(4, ab, AMX_KC * 2);
        amx_tload(5, wb, AMX_BSTRIDE);
        amx_tdp(0, 4, 5);
        amx_tload(6, wb + 32, AMX_BSTRIDE);
        amx_tdp(1, 4, 6);
        amx_tload(7, wb + 64, AMX_BSTRIDE);
        amx_tdp(2, 4, 7);
        amx_tload(5, wb + 96, AMX_BSTRIDE);
        amx_tdp(3, 4, 5);
    }
    amx_tstore(0, cb, NW * 4);
    amx_tstore(1, cb + 16, NW * 4);
    amx_tstore(2, cb + 32, NW * 4);
    amx_tstore(3, cb + 48, NW * 4);
}

/* cb rows [0, mr) = src rows (stride sstride floats, or the one row src when
 * sstride is 0: the bias), rows [mr, 16) = 0 */
TS_INLINE void amx_fill_rows(float *cb, int mr, const float *src, int64_t sstride)
{
    for (int r = 0; r < mr; r++)
        memcpy(cb + r * NW, src + r * sstride, NW * sizeof(float));
    if (mr < AMX_M)
        memset(cb + mr * NW, 0, sizeof(float) * NW * (size_t)(AMX_M - mr));
}

/* c[rows x NW] = bias + bf16(a[rows x K]) @ w, 16 rows at a time.  The tile
 * configuration is loaded on every call, not cached per thread: another
 * library in the process (oneDNN's AMX kernels, on the same OpenMP threads)
 * may load its own or release the tiles between two calls, and a stale cache
 * would fault.  LDTILECFG is tens of cycles against a panel's GEMM. */
void TS_AMX_KN(xproj)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *wv, const float *bias,
                      float *c)
{
    uint16_t tail[AMX_M * 2 * NW] __attribute__((aligned(64)));
    float cb[AMX_M * NW] __attribute__((aligned(64)));
    amx_loadconfig(&amx_cfg);
    const uint16_t *wt = amx_b_tail(wv, K, tail);
    for (int64_t r0 = 0; r0 < rows; r0 += AMX_M) {
        const int mr = rows - r0 < AMX_M ? (int)(rows - r0) : AMX_M;
        amx_fill_rows(cb, mr, bias, 0);
        amx_gemm_rows(a + r0 * lda, lda, mr, K, wv, wt, cb);
        memcpy(c + r0 * NW, cb, sizeof(float) * NW * (size_t)mr);
    }
}

/* A step kernel: per 16 rows, acc = xacc + bf16(a) @ Wh on the tiles, then the
 * cell math of the epilogue `epi` on TS_MR rows at a time from the buffer
 * (t->a_bf16 needs no case: rounding a bf16 value again leaves it). */
#define TS_AMX_STEP(name, epi)                                                                  \
    TS_INLINE void name##_amx_epi(const int mr, const ts_tile_args *t, const float *cb, int64_t r0) \
    {                                                                                           \
        tile_acc acc;                                                                           \
        acc_load(mr, acc, cb);                                                                  \
        epi(mr, acc, t, r0);                                                                    \
    }                                                                                           \
    void TS_AMX_KN(name)(const ts_tile_args *t)                                                 \
    {                                                                                           \
        uint16_t tail[AMX_M * 2 * NW] __attribute__((aligned(64)));                             \
        float cb[AMX_M * NW] __attribute__((aligned(64)));                                      \
        amx_loadconfig(&amx_cfg);                                                               \
        const uint16_t *wt = amx_b_tail(t->wh, t->K, tail);                                     \
        for (int64_t rb = 0; rb < t->rows; rb += AMX_M) {                                       \
            const int mr = t->rows - rb < AMX_M ? (int)(t->rows - rb) : AMX_M;                  \
            amx_fill_rows(cb, mr, t->xacc + rb * NW, NW);                                       \
            amx_gemm_rows(t->a + rb * t->lda, t->lda, mr, t->K, t->wh, wt, cb);                 \
            TS_ROW_TILES(mr, AMX_EPI_##name);                                                   \
        }                                                                                       \
    }
#define AMX_EPI_step_lstm(m, q) step_lstm_amx_epi(m, t, cb + (q) * NW, rb + (q))
#define AMX_EPI_step_rnn(m, q) step_rnn_amx_epi(m, t, cb + (q) * NW, rb + (q))
#define AMX_EPI_step_gru_gates(m, q) step_gru_gates_amx_epi(m, t, cb + (q) * NW, rb + (q))
#define AMX_EPI_step_gru_cand(m, q) step_gru_cand_amx_epi(m, t, cb + (q) * NW, rb + (q))
#define AMX_EPI_step_lstmcell(m, q) step_lstmcell_amx_epi(m, t, cb + (q) * NW, rb + (q))

TS_AMX_STEP(step_lstm, epi_lstm)
TS_AMX_STEP(step_rnn, epi_rnn)
TS_AMX_STEP(step_gru_gates, epi_gru_gates)
TS_AMX_STEP(step_gru_cand, epi_gru_cand)
TS_AMX_STEP(step_lstmcell, epi_lstmcell)

/* No xproj_pre / round_bf16: the kernels convert the operand to bf16 bits as
 * they fill A, which a pre-rounded fp32 copy would not save. */
#define TS_AMX_UKERNELS(isa_, tile_)                                 \
    {                                                                \
        .isa = isa_, .tile = tile_, .lanes = VF_LANES,               \
        .wfmt = TS_WFMT_BF16_PAIRS,                                  \
        .xproj = TS_AMX_KN(xproj),                                   \
        .xproj_f32 = TS_XPROJ_F32,                                   \
        .step = {                                                    \
            [TS_PH_RNN] = TS_AMX_KN(step_rnn),                       \
            [TS_PH_LSTM] = TS_AMX_KN(step_lstm),                     \
            [TS_PH_GRU_GATES] = TS_AMX_KN(step_gru_gates),           \
            [TS_PH_GRU_CAND] = TS_AMX_KN(step_gru_cand),             \
            [TS_PH_LSTMCELL] = TS_AMX_KN(step_lstmcell),             \
        },                                                           \
        .argmax = TS_KN(argmax),                                     \
    }

#endif
