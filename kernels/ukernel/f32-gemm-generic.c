/* The portable instance of the register-tile kernels (rnn-tile.inc.h) for the
 * `blocked` variant: 3x16 tiles, 3 batch rows x 4 vectors of 4 floats, in GCC
 * vector extensions (baseline SSE2 on x86-64).  Same driver, packing, k-blocking
 * and epilogues as avx2/avx512: only the vector width and the missing FMA differ. */
#include "ukernel.h"
#include "simd-generic.h"
#include "vact.inc.h"

#define TS_MR 3
#define TS_KN(op) ts_f32_##op##_3x16__generic
#include "rnn-tile.inc.h"

const ts_ukernels ts_ukernels_generic = TS_UKERNELS("generic", "3x16");
