/* LDTILECFG's 64-byte operand, palette 1 (Intel SDM vol. 1, "Intel AMX"):
 * rows and bytes per row of each of the 8 tiles.  Shared by the real tile
 * layer (x86/simd-amx.h), its emulation (amx-emu.h) and amx-tile.inc.h. */
#ifndef TS_AMX_CFG_H
#define TS_AMX_CFG_H
#include <stdint.h>

typedef struct ts_amx_cfg {
    uint8_t palette_id, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16]; /* bytes per row of tile i (palette 1: at most 64) */
    uint8_t rows[16];   /* rows of tile i (palette 1: at most 16) */
} __attribute__((packed, aligned(64))) ts_amx_cfg;
_Static_assert(sizeof(ts_amx_cfg) == 64, "LDTILECFG reads 64 bytes");

#endif
