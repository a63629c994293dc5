/* The avx2 instance of the register-tile kernels (rnn-tile.inc.h): 3x32 tiles,
 * 3 batch rows x 4 vectors of 8 floats.  Runs only after the CPU check. */
#include "../ukernel/ukernel.h"
#include "simd-avx2.h"
#include "../ukernel/vact.inc.h"

#define TS_MR 3
#define TS_KN(op) ts_f32_##op##_3x32__avx2
#include "../ukernel/rnn-tile.inc.h"

const ts_ukernels ts_ukernels_avx2 = TS_UKERNELS("avx2", "3x32");
