/* The avx2 instance of the register-tile kernels (rnn-tile.inc.h): 3x32 tiles,
 * 3 batch rows x 4 vectors of 8 floats.  Runs only after the CPU check. */
#include "f32-gemm.h"
#include "simd-avx2.h"
#include "vact.inc.h"

#define TS_MR 3
#define TS_KN(op) ts_f32_##op##_3x32__avx2
#include "rnn-tile.inc.h"

const ts_ukernels ts_ukernels_avx2 = {
    .isa = "avx2",
    .tile = "3x32",
    .lanes = VF_LANES,
    .xproj = TS_KN(xproj),
    .step = {
        [TS_PH_RNN] = TS_KN(step_rnn),
        [TS_PH_LSTM] = TS_KN(step_lstm),
        [TS_PH_GRU_GATES] = TS_KN(step_gru_gates),
        [TS_PH_GRU_CAND] = TS_KN(step_gru_cand),
    },
    .argmax = TS_KN(argmax),
};
