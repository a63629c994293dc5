/* The avx512 instance of the register-tile kernels (rnn-tile.inc.h): 6x64 tiles,
 * 6 batch rows x 4 vectors of 16 floats.  Runs only after the CPU check. */
#include "../ukernel/ukernel.h"
#include "simd-avx512.h"
#include "../ukernel/vact.inc.h"

#define TS_MR 6
#define TS_KN(op) ts_f32_##op##_6x64__avx512
#include "../ukernel/rnn-tile.inc.h"

const ts_ukernels ts_ukernels_avx512 = TS_UKERNELS("avx512", "6x64");
