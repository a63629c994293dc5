/* avx512: the unroll driver (kernels/unroll.c) over the avx512 micro-kernels
 * (kernels/x86/f32-gemm-avx512.c, 6x64 tiles, masked tails).  Hidden units split
 * across threads, input projection hoisted, weights packed once in prepare.
 * The registry checks the ISA before any of this runs. */
#include "variant.h"

const ts_variant ts_variant_avx512 = {
    .name = "avx512",
    .summary = "AVX-512F intrinsics: gate-interleaved panels, 6x64 tiles, cell math in the GEMM epilogue",
    .isa = TS_ISA_AVX512,
    .impl = &ts_ukernels_avx512,
    TS_UNROLL_OPS,
};

/* The same kernels, layers in a wavefront (MultiRNNCell problems, :l2 and up). */
const ts_variant ts_variant_avx512_wavefront = {
    .name = "avx512-wavefront",
    .summary = "avx512 with stacked layers as a wavefront over chunks: layer l+1 on chunk c-1 beside layer l on chunk c",
    .isa = TS_ISA_AVX512,
    .impl = &ts_ukernels_avx512,
    TS_UNROLL_WAVEFRONT_OPS,
};
