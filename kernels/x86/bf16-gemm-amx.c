/* The amx-bf16 instance of the tile kernels (ukernel/amx-tile.inc.h): the GEMM
 * of the hoisted input projection and of every step on AMX tiles
 * (TDPBF16PS over the BF16_PAIRS panels, the operand rounded to bf16 as A is
 * filled), the cell math in AVX-512 (the avx512 table's epilogues, 6-row
 * groups).  The greedy logits and the LSTMCell projection stay fp32 (this
 * file's copy of the avx512 6x64 xproj).  Runs only after the CPU check
 * (TS_ISA_AMX); NEVER EXECUTED where it was written (no AMX): the same source
 * over the emulated tile layer is what tests/test_amx_emu.c and
 * tests/test_bf16.c verify (kernels/ukernel/bf16-gemm-generic-tile-emu.c). */
#include "../ukernel/ukernel.h"
#include "simd-avx512.h"
#include "simd-amx.h"
#include "../ukernel/vact.inc.h"

#define TS_MR 6
#define TS_KN(op) ts_f32_##op##_6x64__amx
#define TS_AMX_KN(op) ts_bf16_##op##_16x64__amx
#include "../ukernel/amx-tile.inc.h"

const ts_ukernels ts_ukernels_amx_bf16 = TS_AMX_UKERNELS("amx-bf16", "16x64");
