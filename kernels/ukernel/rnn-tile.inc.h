/* The register-tile GEMM and step kernels, written once against the vf_*
 * vocabulary.  The including ISA file defines, before including this:
 *     a simd-<isa>.h and vact.inc.h      the vector ops and activations
 *     TS_MR                              rows per register tile (AVX-512 6, AVX2 3, generic 3)
 *     TS_KN(op)                          the kernel name: ts_f32_##op##_<tile>__<isa>
 * and gets TS_KN(xproj), TS_KN(step_{rnn,lstm,gru_gates,gru_cand}), TS_KN(argmax)
 * and TS_UKERNELS(isa, tile), the initializer of its ts_ukernels table.
 *
 * Weight-format hooks (default: fp32, the code as it always was):
 *     TS_BF16          0 (fp32, TS_WFMT_F32), 1 (TS_WFMT_BF16: widen and FMA) or
 *                      2 (TS_WFMT_BF16_PAIRS: vdpbf16ps), see pack.h
 *     TS_WTYPE         the packed weight element (float; uint16_t for bf16)
 *     TS_WLOAD(p)      one vector of weights as fp32 (vf_load; bf16: widened by a shift)
 *     vf_round_bf16    (BF16) fp32 -> bf16 -> fp32 of a vector, RNE: the GEMM
 *                      operand a is rounded as the kernel reads it
 *     vbf_*, vf_dpbf16 (BF16_PAIRS) pair loads and vdpbf16ps
 *     TS_XPROJ_F32     the fp32 xproj the table keeps for the greedy logits and
 *                      the LSTMCell projection (default: this instance's xproj)
 *     TS_NO_STEP_KERNELS  no TS_KN(step_*) (amx-tile.inc.h has its own)
 * Nothing else changes: the k-blocking, prefetch, epilogues and argmax are the
 * same code for every format.
 *
 * A tile is TS_MR batch rows x TS_PANEL_VECS vectors (one packed panel row,
 * pack.h), TS_MR*4 accumulators in registers: every k broadcasts one input
 * value per row and multiplies it with the 4 weight vectors of row k.  The
 * accumulators never leave the registers between the GEMM and the cell math. */
#ifndef TS_RNN_TILE_INC_H
#define TS_RNN_TILE_INC_H
#include "../pack.h"
#include "ukernel.h"

#include <float.h>
#include <stdbool.h>
#include <string.h>

#define NV TS_PANEL_VECS
#define NW (NV * VF_LANES)
#ifndef TS_BF16
#define TS_BF16 0
#define TS_WTYPE float
#define TS_WLOAD(p) vf_load(p)
#endif
#ifndef TS_XPROJ_F32
#define TS_XPROJ_F32 TS_KN(xproj)
#endif
/* TS_BF16 1: the driver may round the operand once for all panels */
#if TS_BF16 == 1
#define TS_PRE_FIELDS .xproj_pre = TS_KN(xproj_pre), .round_bf16 = TS_KN(round_bf16),
#else
#define TS_PRE_FIELDS
#endif
typedef TS_WTYPE wtype;
/* acc_fma names its 4 weight vectors and the epilogues their gate blocks
 * (LSTM i j f o, GRU r r u u): a panel row must be exactly 4 vectors */
_Static_assert(TS_PANEL_VECS == 4, "rnn-tile.inc.h is written for 4-vector panel rows");
#define TS_INLINE static inline __attribute__((always_inline))

typedef vf tile_acc[TS_MR][NV];

TS_INLINE void acc_bias(const int mr, tile_acc acc, const float *bias)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = vf_load(bias + v * VF_LANES);
}

TS_INLINE void acc_load(const int mr, tile_acc acc, const float *c)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = vf_load(c + r * NW + v * VF_LANES);
}

TS_INLINE void acc_store(const int mr, tile_acc acc, float *c)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            vf_store(c + r * NW + v * VF_LANES, acc[r][v]);
}

/* acc[r] += a[r*lda] * (w0 w1 w2 w3) for rows [0, mr): one k of the tile */
TS_INLINE void acc_rows_k(const int mr, tile_acc acc, const float *a, int64_t lda, vf w0, vf w1, vf w2, vf w3)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        vf b = vf_bcast(a + r * lda);
        acc[r][0] = vf_fmadd(b, w0, acc[r][0]);
        acc[r][1] = vf_fmadd(b, w1, acc[r][1]);
        acc[r][2] = vf_fmadd(b, w2, acc[r][2]);
        acc[r][3] = vf_fmadd(b, w3, acc[r][3]);
    }
}

/* One row: 4 chains only, each FMA waiting on the previous k.  A second set of
 * accumulators for odd k doubles the FMAs in flight (batch 1 streams weights
 * and must not be latency-bound); the two halves are added at the end. */
TS_INLINE void acc_fma_1row(tile_acc acc, const float *a, const wtype *w, int64_t K, const char *pf)
{
    vf odd[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
        odd[v] = vf_zero();
    int64_t k = 0;
    for (; k + 2 <= K; k += 2) {
        __builtin_prefetch(pf + k * 64, 0, 2);
        __builtin_prefetch(pf + (k + 1) * 64, 0, 2);
        vf b0 = vf_bcast(a + k), b1 = vf_bcast(a + k + 1);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            acc[0][v] = vf_fmadd(b0, TS_WLOAD(w + k * NW + v * VF_LANES), acc[0][v]);
            odd[v] = vf_fmadd(b1, TS_WLOAD(w + (k + 1) * NW + v * VF_LANES), odd[v]);
        }
    }
    if (k < K) {
        vf b0 = vf_bcast(a + k);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[0][v] = vf_fmadd(b0, TS_WLOAD(w + k * NW + v * VF_LANES), acc[0][v]);
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
        acc[0][v] = vf_add(acc[0][v], odd[v]);
}

/* acc[r] += a[r*lda + 0..K) @ w[K x NW].  Each k also prefetches one line at
 * pf + 64k into L2 (see tile_prefetch). */
TS_INLINE void acc_fma_f32(const int mr, tile_acc acc, const float *a, int64_t lda, const wtype *w, int64_t K,
                           const char *pf)
{
    if (mr == 1) {
        acc_fma_1row(acc, a, w, K, pf);
        return;
    }
    for (int64_t k = 0; k < K; k++) {
        __builtin_prefetch(pf + k * 64, 0, 2);
        vf w0 = TS_WLOAD(w + k * NW), w1 = TS_WLOAD(w + k * NW + VF_LANES);
        vf w2 = TS_WLOAD(w + k * NW + 2 * VF_LANES), w3 = TS_WLOAD(w + k * NW + 3 * VF_LANES);
        acc_rows_k(mr, acc, a + k, lda, w0, w1, w2, w3);
    }
}

#if TS_BF16 == 0
#define acc_fma acc_fma_f32
#else
/* The bf16 operand: rows [0, mr) of a, columns [0, K), rounded to bf16 (RNE)
 * TS_AB columns at a time into a buffer on the stack, as the kernel reads
 * them: vector rounding once per element instead of a scalar one per
 * broadcast, and no copy of a kept between steps (the numerics are the same:
 * each a[k] is rounded once per use). */
#define TS_AB 64
_Static_assert(TS_AB % VF_LANES == 0 && TS_AB % 2 == 0, "whole vectors, whole pairs");

/* ab[r][0..kn) = bf16(a[r*lda + 0..kn)); ab[r][kn] = 0 (the pair of an odd tail) */
TS_INLINE void round_rows(const int mr, const float *a, int64_t lda, int64_t kn, float ab[][TS_AB + VF_LANES])
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        int64_t k = 0;
        for (; k + VF_LANES <= kn; k += VF_LANES)
            vf_storeu(ab[r] + k, vf_round_bf16(vf_loadu(a + r * lda + k)));
        if (k < kn) /* the rest read as 0: an odd tail's partner is 0 */
            vf_storeu(ab[r] + k, vf_round_bf16(vf_loadn(a + r * lda + k, (int)(kn - k))));
        else
            ab[r][k] = 0.0f;
    }
}

#if TS_BF16 == 1
/* fp32 FMAs over bf16 weights widened on load (TS_WLOAD) and the rounded operand */
TS_INLINE void acc_fma(const int mr, tile_acc acc, const float *a, int64_t lda, const wtype *w, int64_t K,
                       const char *pf)
{
    float ab[TS_MR][TS_AB + VF_LANES] __attribute__((aligned(64)));
    for (int64_t k0 = 0; k0 < K; k0 += TS_AB) {
        const int64_t kn = K - k0 < TS_AB ? K - k0 : TS_AB;
        round_rows(mr, a + k0, lda, kn, ab);
        acc_fma_f32(mr, acc, ab[0], TS_AB + VF_LANES, w + k0 * NW, kn, pf + k0 * 64);
    }
}
#else /* TS_BF16 == 2: TS_WFMT_BF16_PAIRS */
/* The pair (bf16(a[k]), bf16(a[k+1])) as one 32-bit lane: low half k, high k+1 */
TS_INLINE uint32_t pair_bits(const float *ab, int64_t k)
{
    uint32_t lo, hi;
    memcpy(&lo, ab + k, 4);
    memcpy(&hi, ab + k + 1, 4);
    return (lo >> 16) | (hi & 0xffff0000u);
}

/* acc[r] += sum over pairs j of (a[2j], a[2j+1]) . (w[2j], w[2j+1]), one
 * vdpbf16ps per pair and vector: pairs interleaved in w (pack.h).  One row
 * alternates two accumulator sets, as acc_fma_1row does. */
TS_INLINE void acc_dp(const int mr, tile_acc acc, float ab[][TS_AB + VF_LANES], const wtype *w, int64_t kn,
                      const char *pf)
{
    vf odd[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
        odd[v] = vf_zero();
    for (int64_t k = 0; k < kn; k += 2) {
        __builtin_prefetch(pf + k * 64, 0, 2);
        __builtin_prefetch(pf + (k + 1) * 64, 0, 2);
        vbf w0 = vbf_load(w + k * NW), w1 = vbf_load(w + k * NW + 2 * VF_LANES);
        vbf w2 = vbf_load(w + k * NW + 4 * VF_LANES), w3 = vbf_load(w + k * NW + 6 * VF_LANES);
        if (mr == 1 && (k & 2)) {
            vbf b = vbf_bcast_pair(pair_bits(ab[0], k));
            odd[0] = vf_dpbf16(odd[0], b, w0), odd[1] = vf_dpbf16(odd[1], b, w1);
            odd[2] = vf_dpbf16(odd[2], b, w2), odd[3] = vf_dpbf16(odd[3], b, w3);
            continue;
        }
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            vbf b = vbf_bcast_pair(pair_bits(ab[r], k));
            acc[r][0] = vf_dpbf16(acc[r][0], b, w0), acc[r][1] = vf_dpbf16(acc[r][1], b, w1);
            acc[r][2] = vf_dpbf16(acc[r][2], b, w2), acc[r][3] = vf_dpbf16(acc[r][3], b, w3);
        }
    }
    if (mr == 1)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[0][v] = vf_add(acc[0][v], odd[v]);
}

TS_INLINE void acc_fma(const int mr, tile_acc acc, const float *a, int64_t lda, const wtype *w, int64_t K,
                       const char *pf)
{
    float ab[TS_MR][TS_AB + VF_LANES] __attribute__((aligned(64)));
    for (int64_t k0 = 0; k0 < K; k0 += TS_AB) { /* k0 even: w + k0*NW starts a pair */
        const int64_t kn = K - k0 < TS_AB ? K - k0 : TS_AB;
        round_rows(mr, a + k0, lda, kn, ab);
        acc_dp(mr, acc, ab, w + k0 * NW, kn, pf + k0 * 64);
    }
}
#endif
#endif

/* ---- k-blocking ----
 * A panel row is NW floats; KC rows of it (KC_BYTES) stay in L1 while every row
 * tile of the batch passes over them, so the weights come from L2 once per
 * step instead of once per row tile.  Between k-blocks the accumulators go to
 * the caller's [rows x NW] buffer, a small fraction of the traffic. */
#ifndef KC_BYTES /* -DKC_BYTES=... for experiments; 16 and 32 KiB measured no better */
#define KC_BYTES (24 << 10)
#endif
#define KC (KC_BYTES / (NW * (int)sizeof(wtype)))
_Static_assert(KC % 2 == 0, "a k-block starts at an even row: a BF16_PAIRS pair is never split");

/* The first row tile of a k-block would wait for its weights from L3 (at H =
 * 512 a thread's weights exceed its L2) while the others find them in L1.  So
 * the row tiles of block w[0, kn) prefetch the next block (the next k rows,
 * or the next panel: both follow in memory) into L2, one line per k: tile rt
 * takes lines [rt*kn, (rt+1)*kn) of it; tiles past its end re-touch their own
 * block, which is in L1 (a prefetch is cheaper than a branch in the loop). */
TS_INLINE const char *tile_prefetch(const wtype *w, int64_t kn, int64_t r0)
{
    int64_t line0 = r0 / TS_MR * kn, lines = kn * NW * (int64_t)sizeof(wtype) / 64;
    return line0 < lines ? (const char *)(w + kn * NW) + line0 * 64 : (const char *)w;
}

/* One k-block of rows [r0, r0+mr): acc = first ? bias : c; acc += a @ w; c = acc */
TS_INLINE void xproj_rows(const int mr, bool first, int64_t K, const float *a, int64_t lda,
                          const wtype *w, const float *bias, float *c, const char *pf)
{
    tile_acc acc;
    if (first)
        acc_bias(mr, acc, bias);
    else
        acc_load(mr, acc, c);
    acc_fma(mr, acc, a, lda, w, K, pf);
    acc_store(mr, acc, c);
}

/* Calls body(mr, r0) over row tiles of `rows`, the tail with its exact height
 * (each height is its own fully unrolled instance).  Heights the tile cannot
 * have (>= TS_MR) are never reached; TAIL_MR maps them to 1 so that no
 * instance indexes past the accumulator array. */
#define TAIL_MR(m) (TS_MR > (m) ? (m) : 1)
#define TS_ROW_TILES(rows, body)                    \
    do {                                            \
        int64_t r0_ = 0;                            \
        for (; r0_ + TS_MR <= (rows); r0_ += TS_MR) \
            body(TS_MR, r0_);                       \
        switch ((int)((rows) - r0_)) {              \
        case 1: body(1, r0_); break;                \
        case 2: body(TAIL_MR(2), r0_); break;       \
        case 3: body(TAIL_MR(3), r0_); break;       \
        case 4: body(TAIL_MR(4), r0_); break;       \
        case 5: body(TAIL_MR(5), r0_); break;       \
        default: break;                             \
        }                                           \
    } while (0)
#if TS_MR > 6
#error "TS_ROW_TILES handles tails of at most 5 rows"
#endif

#if TS_BF16 == 1
/* ---- bf16 weights in a compute-bound GEMM: widen once per k-block ----
 * With many row tiles (the hoisted input projection: S*B rows) the shift
 * widening of every weight vector, repeated for every row tile, makes the
 * kernel slower than fp32 (it is FMA-bound, not bandwidth-bound, there).  So
 * a k-block of the panel is widened once into an L1-sized fp32 buffer and
 * every row tile reads that: the widening is paid once per block. */
#define KCW (KC_BYTES / (NW * 4)) /* fp32 rows of the widened block */

/* acc[r] += a[r*lda + 0..kn) @ wf[kn x NW], both already in fp32 (a bf16-exact) */
TS_INLINE void acc_fma_wide(const int mr, tile_acc acc, const float *a, int64_t lda, const float *wf, int64_t kn)
{
    for (int64_t k = 0; k < kn; k++) {
        vf w0 = vf_load(wf + k * NW), w1 = vf_load(wf + k * NW + VF_LANES);
        vf w2 = vf_load(wf + k * NW + 2 * VF_LANES), w3 = vf_load(wf + k * NW + 3 * VF_LANES);
        acc_rows_k(mr, acc, a + k, lda, w0, w1, w2, w3);
    }
}

/* acc[r] += bf16(a[r*lda + 0..kn)) @ wf[kn x NW]: the operand rounded as read,
 * or taken as it is when the caller rounded it already (pre) */
TS_INLINE void acc_fma_wide_rows(const int mr, tile_acc acc, const float *a, int64_t lda, const float *wf, int64_t kn,
                                 bool pre)
{
    if (pre) {
        acc_fma_wide(mr, acc, a, lda, wf, kn);
        return;
    }
    float ab[TS_MR][TS_AB + VF_LANES] __attribute__((aligned(64)));
    for (int64_t k1 = 0; k1 < kn; k1 += TS_AB) {
        const int64_t n = kn - k1 < TS_AB ? kn - k1 : TS_AB;
        round_rows(mr, a + k1, lda, n, ab);
        acc_fma_wide(mr, acc, ab[0], TS_AB + VF_LANES, wf + k1 * NW, n);
    }
}

/* The operand a[r*lda + 0..kn), bf16-exact already (pre) or rounded here, times
 * bf16 weights widened as they stream (one row tile: bandwidth-bound) */
TS_INLINE void acc_fma_stream(const int mr, tile_acc acc, const float *a, int64_t lda, const wtype *w, int64_t kn,
                              const char *pf, bool pre)
{
    if (pre)
        acc_fma_f32(mr, acc, a, lda, w, kn, pf);
    else
        acc_fma(mr, acc, a, lda, w, kn, pf);
}

/* wf[kn x NW] = the bf16 rows w[kn x NW] as fp32 (exact: a shift) */
TS_INLINE void widen_block(const wtype *w, int64_t kn, float *wf)
{
    for (int64_t q = 0; q < kn * NW; q += VF_LANES)
        vf_store(wf + q, TS_WLOAD(w + q));
}

/* One widened k-block of rows [r0, r0+mr): acc = first ? bias : c; acc += bf16(a) @ wf; c = acc */
TS_INLINE void xproj_rows_wide(const int mr, bool first, int64_t kn, const float *a, int64_t lda, const float *wf,
                               const float *bias, float *c, bool pre)
{
    tile_acc acc;
    if (first)
        acc_bias(mr, acc, bias);
    else
        acc_load(mr, acc, c);
    acc_fma_wide_rows(mr, acc, a, lda, wf, kn, pre);
    acc_store(mr, acc, c);
}

static void xproj_wide(int64_t rows, int64_t K, const float *a, int64_t lda, const wtype *w, const float *bias,
                       float *c, bool pre)
{
    float wf[KCW * NW] __attribute__((aligned(64)));
    for (int64_t k0 = 0; k0 < K; k0 += KCW) {
        const int64_t kn = K - k0 < KCW ? K - k0 : KCW;
        const bool first = k0 == 0;
        widen_block(w + k0 * NW, kn, wf);
#define XPROJ_WIDE_BODY(mr, r0) \
    xproj_rows_wide(mr, first, kn, a + (r0) * lda + k0, lda, wf, bias, c + (r0) * NW, pre)
        TS_ROW_TILES(rows, XPROJ_WIDE_BODY);
#undef XPROJ_WIDE_BODY
    }
}
#endif

#if TS_BF16 == 1
/* One row tile over bf16 weights widened as they stream; pre: a is bf16-exact */
TS_INLINE void xproj_rows_stream(const int mr, bool first, int64_t K, const float *a, int64_t lda, const wtype *w,
                                 const float *bias, float *c, const char *pf, bool pre)
{
    tile_acc acc;
    if (first)
        acc_bias(mr, acc, bias);
    else
        acc_load(mr, acc, c);
    acc_fma_stream(mr, acc, a, lda, w, K, pf, pre);
    acc_store(mr, acc, c);
}

static void xproj_bf16(int64_t rows, int64_t K, const float *a, int64_t lda, const wtype *w, const float *bias,
                       float *c, bool pre)
{
    if (rows > TS_MR) { /* several row tiles: compute-bound, widen once per block */
        xproj_wide(rows, K, a, lda, w, bias, c, pre);
        return;
    }
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kn = K - k0 < KC ? K - k0 : KC;
        const bool first = k0 == 0;
#define XPROJ_STREAM_BODY(mr, r0)                                                                    \
    xproj_rows_stream(mr, first, kn, a + (r0) * lda + k0, lda, w + k0 * NW, bias, c + (r0) * NW,    \
                      tile_prefetch(w + k0 * NW, kn, r0), pre)
        TS_ROW_TILES(rows, XPROJ_STREAM_BODY);
#undef XPROJ_STREAM_BODY
    }
}

/* The same GEMM with an operand the caller rounded to bf16 already (the driver
 * rounds a chunk's input once for all its panels: ts_ukernels.xproj_pre) */
void TS_KN(xproj_pre)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *wv, const float *bias,
                      float *c)
{
    xproj_bf16(rows, K, a, lda, wv, bias, c, true);
}

/* n floats rounded to bf16 (RNE), kept as fp32: what the driver pre-rounds with */
void TS_KN(round_bf16)(int64_t n, const float *src, float *dst)
{
    int64_t k = 0;
    for (; k + VF_LANES <= n; k += VF_LANES)
        vf_storeu(dst + k, vf_round_bf16(vf_loadu(src + k)));
    if (k < n)
        vf_storen(dst + k, vf_round_bf16(vf_loadn(src + k, (int)(n - k))), (int)(n - k));
}
#endif

void TS_KN(xproj)(int64_t rows, int64_t K, const float *a, int64_t lda, const void *wv,
                  const float *bias, float *c)
{
    const wtype *w = wv;
#if TS_BF16 == 1
    xproj_bf16(rows, K, a, lda, w, bias, c, false);
    return;
#endif
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kn = K - k0 < KC ? K - k0 : KC;
        const bool first = k0 == 0;
#define XPROJ_BODY(mr, r0)                                                                  \
    xproj_rows(mr, first, kn, a + (r0) * lda + k0, lda, w + k0 * NW, bias, c + (r0) * NW, \
               tile_prefetch(w + k0 * NW, kn, r0))
        TS_ROW_TILES(rows, XPROJ_BODY);
#undef XPROJ_BODY
    }
}

/* ---- one cell step of one panel: GEMM, then the cell math on the tile ---- */

/* tile vectors: i j f o of VF_LANES units.  Each activation is applied to all
 * rows before the next one starts: mr independent chains side by side keep the
 * FMA ports busy, where row-by-row order would wait on one chain's latency. */
TS_INLINE void epi_lstm(const int mr, tile_acc acc, const ts_tile_args *t, int64_t r0)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        acc[r][0] = vf_mul(vf_sigmoid(acc[r][0]), vf_tanh(acc[r][1]));
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        acc[r][2] = vf_sigmoid(acc[r][2]);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        acc[r][3] = vf_sigmoid(acc[r][3]);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        int64_t off = (r0 + r) * t->ldh + t->u0;
        acc[r][1] = vf_fmadd(vf_load(t->c + off), acc[r][2], acc[r][0]);
        vf_store(t->c + off, acc[r][1]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
        vf_store(t->h_out + (r0 + r) * t->ldh + t->u0, vf_mul(vf_tanh(acc[r][1]), acc[r][3]));
}

/* TF's LSTMCell on the tile (i j f o of VF_LANES units): the input and forget
 * peepholes read the previous c, the output peephole the new, clipped c'.
 * forget_bias is in the packed f bias, as in epi_lstm.  A NaN c' passes the
 * clip (vf_clamp_nan), as it passes TF's. */
TS_INLINE void epi_lstmcell(const int mr, tile_acc acc, const ts_tile_args *t, int64_t r0)
{
    const vf wci = vf_load(t->wci), wcf = vf_load(t->wcf), wco = vf_load(t->wco);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        int64_t off = (r0 + r) * t->ldh + t->u0;
        vf c = vf_load(t->c + off);
        vf ig = vf_sigmoid(vf_fmadd(wci, c, acc[r][0]));
        vf fg = vf_sigmoid(vf_fmadd(wcf, c, acc[r][2]));
        vf cn = vf_clamp_nan(vf_fmadd(fg, c, vf_mul(ig, vf_tanh(acc[r][1]))), -t->clip, t->clip);
        vf_store(t->c + off, cn);
        vf og = vf_sigmoid(vf_fmadd(wco, cn, acc[r][3]));
        vf_store(t->h_out + off, vf_mul(og, vf_tanh(cn)));
    }
}

/* tile vectors: 4 x VF_LANES units of one gate */
TS_INLINE void epi_rnn(const int mr, tile_acc acc, const ts_tile_args *t, int64_t r0)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            vf_store(t->h_out + (r0 + r) * t->ldh + t->u0 + v * VF_LANES, vf_tanh(acc[r][v]));
}

/* tile vectors: r r u u over 2 x VF_LANES units */
TS_INLINE void epi_gru_gates(const int mr, tile_acc acc, const ts_tile_args *t, int64_t r0)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 2
        for (int s = 0; s < 2; s++) {
            int64_t off = (r0 + r) * t->ldh + t->u0 + s * VF_LANES;
            vf_store(t->rh + off, vf_mul(vf_sigmoid(acc[r][s]), vf_load(t->h + off)));
            vf_store(t->u + off, vf_sigmoid(acc[r][2 + s]));
        }
}

/* tile vectors: 4 x VF_LANES candidate units; h' = u*h + (1-u)*c */
TS_INLINE void epi_gru_cand(const int mr, tile_acc acc, const ts_tile_args *t, int64_t r0)
{
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            int64_t off = (r0 + r) * t->ldh + t->u0 + v * VF_LANES;
            vf u = vf_load(t->u + off);
            vf t2 = vf_mul(vf_sub(vf_set1(1.0f), u), vf_tanh(acc[r][v]));
            vf_store(t->h_out + off, vf_fmadd(u, vf_load(t->h + off), t2));
        }
}

/* One k-block of rows [r0, r0+mr): acc = xacc; acc += a @ Wh[k0, k0+kn);
 * the last k-block applies the cell math, the others put acc back in xacc. */
#if TS_BF16 != 1
#define TS_STEP_WF
#define TS_STEP_KERNEL(name, epi)                                                              \
    TS_INLINE void name##_rows(const int mr, const ts_tile_args *t, int64_t r0, int64_t k0,    \
                               int64_t kn)                                                     \
    {                                                                                          \
        tile_acc acc;                                                                          \
        acc_load(mr, acc, t->xacc + r0 * NW);                                                  \
        const wtype *w_ = (const wtype *)t->wh + k0 * NW;                                      \
        acc_fma(mr, acc, t->a + r0 * t->lda + k0, t->lda, w_, kn, tile_prefetch(w_, kn, r0));  \
        if (k0 + kn == t->K)                                                                   \
            epi(mr, acc, t, r0);                                                               \
        else                                                                                   \
            acc_store(mr, acc, t->xacc + r0 * NW);                                             \
    }                                                                                          \
    void TS_KN(name)(const ts_tile_args *t)                                                    \
    {                                                                                          \
        /* one row tile: nothing to reuse, no blocking */                                    \
        const int64_t kc = t->rows <= TS_MR ? t->K : KC;                                       \
        for (int64_t k0 = 0; k0 < t->K; k0 += kc) {                                            \
            const int64_t kn = t->K - k0 < kc ? t->K - k0 : kc;                                \
            TS_ROW_TILES(t->rows, STEP_BODY_##name);                                           \
        }                                                                                      \
    }

#else
/* bf16 weights (TS_BF16 1): with several row tiles the step is FMA-bound, so
 * each k-block of the panel is widened once into an fp32 buffer (KCW rows, the
 * same L1 budget) that every row tile reads, as xproj_wide does; one row tile
 * streams its bf16 weights and widens them as they come (bandwidth-bound). */
#define TS_STEP_WF , (wide ? wf : NULL)
#define TS_STEP_KERNEL(name, epi)                                                              \
    TS_INLINE void name##_rows(const int mr, const ts_tile_args *t, int64_t r0, int64_t k0,    \
                               int64_t kn, const float *wf)                                    \
    {                                                                                          \
        tile_acc acc;                                                                          \
        acc_load(mr, acc, t->xacc + r0 * NW);                                                  \
        const wtype *w_ = (const wtype *)t->wh + k0 * NW;                                      \
        if (wf)                                                                                \
            acc_fma_wide_rows(mr, acc, t->a + r0 * t->lda + k0, t->lda, wf, kn, t->a_bf16);    \
        else                                                                                   \
            acc_fma_stream(mr, acc, t->a + r0 * t->lda + k0, t->lda, w_, kn,                   \
                           tile_prefetch(w_, kn, r0), t->a_bf16);                              \
        if (k0 + kn == t->K)                                                                   \
            epi(mr, acc, t, r0);                                                               \
        else                                                                                   \
            acc_store(mr, acc, t->xacc + r0 * NW);                                             \
    }                                                                                          \
    void TS_KN(name)(const ts_tile_args *t)                                                    \
    {                                                                                          \
        const bool wide = t->rows > TS_MR;                                                     \
        float wf[KCW * NW] __attribute__((aligned(64)));                                       \
        const int64_t kc = wide ? KCW : t->K;                                                  \
        for (int64_t k0 = 0; k0 < t->K; k0 += kc) {                                            \
            const int64_t kn = t->K - k0 < kc ? t->K - k0 : kc;                                \
            if (wide)                                                                          \
                widen_block((const wtype *)t->wh + k0 * NW, kn, wf);                           \
            TS_ROW_TILES(t->rows, STEP_BODY_##name);                                           \
        }                                                                                      \
    }
#endif

#define STEP_BODY_step_lstm(mr, r0) step_lstm_rows(mr, t, r0, k0, kn TS_STEP_WF)
#define STEP_BODY_step_rnn(mr, r0) step_rnn_rows(mr, t, r0, k0, kn TS_STEP_WF)
#define STEP_BODY_step_gru_gates(mr, r0) step_gru_gates_rows(mr, t, r0, k0, kn TS_STEP_WF)
#define STEP_BODY_step_gru_cand(mr, r0) step_gru_cand_rows(mr, t, r0, k0, kn TS_STEP_WF)
#define STEP_BODY_step_lstmcell(mr, r0) step_lstmcell_rows(mr, t, r0, k0, kn TS_STEP_WF)

/* TS_NO_STEP_KERNELS: an instance that brings its own GEMM (amx-tile.inc.h)
 * takes only the epilogues, the fp32 xproj and argmax from here */
#ifndef TS_NO_STEP_KERNELS
TS_STEP_KERNEL(step_lstm, epi_lstm)
TS_STEP_KERNEL(step_rnn, epi_rnn)
TS_STEP_KERNEL(step_gru_gates, epi_gru_gates)
TS_STEP_KERNEL(step_gru_cand, epi_gru_cand)
TS_STEP_KERNEL(step_lstmcell, epi_lstmcell)
#endif

/* ---- greedy: argmax over one panel of logits ----
 * c [rows x NW] holds one panel's logits (padded columns -inf, from the packed
 * bias).  TF's argmax (Eigen's ArgMax reducer, checked in docs/correctness.md)
 * starts from (index 0, -FLT_MAX) and takes a value only if strictly greater:
 * NaN never wins, nor -inf, and a row with nothing above -FLT_MAX gives 0.  The
 * caller starts best_z[r] at -FLT_MAX, best_i[r] at -1 (nothing taken); per row,
 * if the panel's maximum is strictly greater than best_z[r], best := (max,
 * col0 + the first column equal to it).  Panels come in column order, so ties
 * keep the smallest index.  A padded column (-inf, or NaN from inf*0) can
 * never be taken, so best_i < V. */
void TS_KN(argmax)(int64_t rows, const float *c, int64_t col0, float *best_z, int64_t *best_i)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *cr = c + r * NW;
        vf m = vf_set1(-FLT_MAX);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            m = vf_max(vf_load(cr + v * VF_LANES), m); /* m second: a NaN logit is skipped */
        float lane[VF_LANES] __attribute__((aligned(64)));
        vf_store(lane, m);
        float mx = lane[0];
        for (int l = 1; l < VF_LANES; l++)
            mx = lane[l] > mx ? lane[l] : mx;
        if (!(mx > best_z[r]))
            continue;
        for (int j = 0; j < NW; j++)
            if (cr[j] == mx) {
                best_z[r] = cr[j];
                best_i[r] = col0 + j;
                break;
            }
    }
}

/* The table of one instance: const ts_ukernels ts_ukernels_<isa> = TS_UKERNELS("<isa>", "<tile>"); */
#define TS_UKERNELS(isa_, tile_)                                 \
    {                                                            \
        .isa = isa_, .tile = tile_, .lanes = VF_LANES,           \
        .wfmt = TS_BF16 == 0   ? TS_WFMT_F32                     \
                : TS_BF16 == 1 ? TS_WFMT_BF16                    \
                               : TS_WFMT_BF16_PAIRS,             \
        .xproj = TS_KN(xproj),                                   \
        .xproj_f32 = TS_XPROJ_F32,                               \
        TS_PRE_FIELDS                                            \
        .step = {                                                \
            [TS_PH_RNN] = TS_KN(step_rnn),                       \
            [TS_PH_LSTM] = TS_KN(step_lstm),                     \
            [TS_PH_GRU_GATES] = TS_KN(step_gru_gates),           \
            [TS_PH_GRU_CAND] = TS_KN(step_gru_cand),             \
            [TS_PH_LSTMCELL] = TS_KN(step_lstmcell),             \
        },                                                       \
        .argmax = TS_KN(argmax),                                 \
    }

#endif
