/* `tiedseq peak` loop for AMX-BF16: tdpbf16ps throughput.  Runs only after
 * ts_cpu_isa() reports TS_ISA_AMX_BF16, which includes Linux's permission for
 * the tile data (kernels/cpu.c).  NOT RUN on the machine this was written on
 * (no AMX): compiled only; docs/peak-compare.md says so. */
#include "peak-kernels.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* LDTILECFG's 64-byte operand (Intel SDM, palette 1) */
typedef struct tilecfg {
    uint8_t palette_id, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16]; /* bytes per row of tile i */
    uint8_t rows[16];
} __attribute__((packed, aligned(64))) tilecfg;

/* Tiles 0-3: 16 x 16 fp32 accumulators; 4, 5: A, 16 rows x 32 bf16; 6, 7: B,
 * 16 rows (k pairs) x 16 pairs.  One tdpbf16ps is 16*16*32*2 = 16384 FLOP;
 * four independent ones per iteration (2x2 blocking, as a GEMM would). */
float ts_bf16_tile_peak__amx(int64_t iters)
{
    static uint16_t ab[16 * 32] __attribute__((aligned(64))); /* zeros: products 0, no overflow */
    float out[16 * 16] __attribute__((aligned(64)));
    tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette_id = 1;
    for (int t = 0; t < 8; t++)
        cfg.colsb[t] = 64, cfg.rows[t] = 16;
    _tile_loadconfig(&cfg);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, ab, 64);
    _tile_loadd(5, ab, 64);
    _tile_loadd(6, ab, 64);
    _tile_loadd(7, ab, 64);
    for (int64_t k = 0; k < iters; k++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, out, 64);
    float s = out[0];
    _tile_stored(3, out, 64);
    s += out[255];
    _tile_release();
    return s;
}
