/* avx2: the unroll driver (kernels/unroll.c) over the avx2 micro-kernels
 * (kernels/x86/f32-gemm-avx2.c, 3x32 tiles).  Hidden units split across
 * threads, input projection hoisted, weights packed once in prepare.  The
 * registry checks the ISA before any of this runs. */
#include "variant.h"

const ts_variant ts_variant_avx2 = {
    .name = "avx2",
    .summary = "AVX2+FMA intrinsics: gate-interleaved panels, 3x32 tiles, cell math in the GEMM epilogue",
    .isa = TS_ISA_AVX2_FMA,
    .impl = &ts_ukernels_avx2,
    TS_UNROLL_OPS,
};

/* The same kernels, layers in a wavefront (MultiRNNCell problems, :l2 and up). */
const ts_variant ts_variant_avx2_wavefront = {
    .name = "avx2-wavefront",
    .summary = "avx2 with stacked layers as a wavefront over chunks: layer l+1 on chunk c-1 beside layer l on chunk c",
    .isa = TS_ISA_AVX2_FMA,
    .impl = &ts_ukernels_avx2,
    TS_UNROLL_WAVEFRONT_OPS,
};
