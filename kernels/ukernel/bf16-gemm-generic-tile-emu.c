/* The amx-bf16 kernels (amx-tile.inc.h) over the emulated tile layer
 * (amx-emu.h: TDPBF16PS and the tile loads in C, SDM semantics) and the
 * generic vectors at 16 lanes, so panels, tiles and epilogue groups (TS_MR 6)
 * are exactly the amx-bf16 table's: a test-only table, never registered as a
 * variant.  tests/test_amx_emu.c and tests/test_bf16.c run and verify it,
 * which proves the tile addressing, the row and K tails and the fused
 * epilogues of amx-bf16 on machines without AMX.  (Not named *amx*: that
 * would give it the AMX compile flags.) */
#define TS_GENERIC_LANES 16
#include "ukernel.h"
#include "simd-generic.h"
#include "amx-emu.h"
#include "vact.inc.h"

#define TS_MR 6
#define TS_KN(op) ts_f32_##op##_6x64__generic16
#define TS_AMX_KN(op) ts_bf16_##op##_16x64__generic_tile_emu
#include "amx-tile.inc.h"

const ts_ukernels ts_ukernels_generic_amx_emu = TS_AMX_UKERNELS("generic-amx-emu", "16x64");
