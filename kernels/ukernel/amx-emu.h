/* A portable emulation of the AMX tile layer (the names of x86/simd-amx.h):
 * 8 tiles of 16 rows x 64 bytes per thread, LDTILECFG's shapes, TILELOADD /
 * TILESTORED / TDPBF16PS as the Intel SDM (vol. 2B, TDPBF16PS) defines them.
 * It lets the amx-bf16 kernels (amx-tile.inc.h) run and be verified on any
 * x86-64 (tests/test_amx_emu.c, tests/test_bf16.c), where AMX cannot.  What
 * the hardware would fault on (#UD: a tile op before LDTILECFG, mismatched
 * shapes; #GP: a bad palette) aborts here, so a kernel that would fault fails
 * its test.  static inline only; thread-local state, as tiles are per thread. */
#ifndef TS_AMX_EMU_H
#define TS_AMX_EMU_H
#include "../tiedseq.h"
#include "amx-cfg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ts_emu_tiles {
    bool configured;
    ts_amx_cfg cfg;
    uint8_t t[8][16][64];
} ts_emu_tiles;
static _Thread_local ts_emu_tiles ts_emu_amx;

static inline void ts_emu_fault(const char *what)
{
    fprintf(stderr, "amx-emu: %s (the hardware would fault)\n", what);
    abort();
}

/* A tile op is #UD until LDTILECFG has run on this thread */
static inline void ts_emu_need(int t)
{
    if (!ts_emu_amx.configured || t < 0 || t > 7 || ts_emu_amx.cfg.rows[t] == 0)
        ts_emu_fault("tile used without a configuration");
}

/* LDTILECFG: palette 1 only (0 would release), shapes within it; tiles zeroed */
static inline void amx_loadconfig(const ts_amx_cfg *cfg)
{
    if (cfg->palette_id != 1 || cfg->start_row != 0)
        ts_emu_fault("LDTILECFG: palette must be 1, start_row 0");
    for (int t = 0; t < 8; t++)
        if (cfg->rows[t] > 16 || cfg->colsb[t] > 64 || cfg->colsb[t] % 4 || !cfg->rows[t] != !cfg->colsb[t])
            ts_emu_fault("LDTILECFG: tile shape outside palette 1");
    ts_emu_amx.cfg = *cfg;
    memset(ts_emu_amx.t, 0, sizeof ts_emu_amx.t);
    ts_emu_amx.configured = true;
}

/* TILELOADD: rows[t] rows of colsb[t] bytes, `stride` bytes apart; the rest zero */
static inline void amx_tload(int t, const void *p, int64_t stride)
{
    ts_emu_need(t);
    memset(ts_emu_amx.t[t], 0, sizeof ts_emu_amx.t[t]);
    for (int r = 0; r < ts_emu_amx.cfg.rows[t]; r++)
        memcpy(ts_emu_amx.t[t][r], (const char *)p + r * stride, ts_emu_amx.cfg.colsb[t]);
}

/* TILESTORED: the configured rows and bytes only */
static inline void amx_tstore(int t, void *p, int64_t stride)
{
    ts_emu_need(t);
    for (int r = 0; r < ts_emu_amx.cfg.rows[t]; r++)
        memcpy((char *)p + r * stride, ts_emu_amx.t[t][r], ts_emu_amx.cfg.colsb[t]);
}

/* fp32 with a denormal made a signed zero: TDPBF16PS reads its inputs DAZ
 * and writes FTZ (SDM) */
static inline float ts_emu_flush(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0)
        u &= 0x80000000u;
    memcpy(&x, &u, 4);
    return x;
}
static inline float ts_emu_tile_f32(int t, int r, int c)
{
    float f;
    memcpy(&f, ts_emu_amx.t[t][r] + 4 * c, 4);
    return f;
}
static inline float ts_emu_tile_bf16(int t, int r, int e)
{
    uint32_t u = (uint32_t)(ts_emu_amx.t[t][r][2 * e] | ts_emu_amx.t[t][r][2 * e + 1] << 8) << 16;
    float f;
    memcpy(&f, &u, 4);
    return ts_emu_flush(f);
}

/* TDPBF16PS c += a . b, the SDM's pseudocode: per row m and column n, two fp32
 * sums from 0, the low halves of the pairs and the high halves, each an FMA
 * (RNE, DAZ, FTZ) over k = 0..a.colsb/4-1 in order; then c + (lo + hi), each
 * add RNE and FTZ.  (vdpbf16ps instead adds hi then lo into the accumulator
 * per pair: the two differ in rounding, not in the bf16 tolerance.) */
static inline void amx_tdp(int c, int a, int b)
{
    ts_emu_need(c), ts_emu_need(a), ts_emu_need(b);
    const ts_amx_cfg *g = &ts_emu_amx.cfg;
    const int K = g->colsb[a] / 4, N = g->colsb[c] / 4;
    if (g->rows[a] != g->rows[c] || g->rows[b] != K || g->colsb[b] != g->colsb[c])
        ts_emu_fault("TDPBF16PS: tile shapes do not match");
    for (int m = 0; m < g->rows[c]; m++)
        for (int n = 0; n < N; n++) {
            float lo = 0, hi = 0;
            for (int k = 0; k < K; k++) {
                lo = ts_emu_flush(fmaf(ts_emu_tile_bf16(a, m, 2 * k), ts_emu_tile_bf16(b, k, 2 * n), lo));
                hi = ts_emu_flush(fmaf(ts_emu_tile_bf16(a, m, 2 * k + 1), ts_emu_tile_bf16(b, k, 2 * n + 1), hi));
            }
            float s = ts_emu_flush(ts_emu_flush(ts_emu_tile_f32(c, m, n)) + ts_emu_flush(lo + hi));
            memcpy(ts_emu_amx.t[c][m] + 4 * n, &s, 4);
        }
}

/* dst[0..32) = bf16 bits of src[0..n) (RNE), zeros from n on */
static inline void amx_round_row(const float *src, int n, uint16_t *dst)
{
    for (int k = 0; k < 32; k++)
        dst[k] = k < n ? ts_bf16_bits(src[k]) : 0;
}

#endif
