/* blocked: the unroll driver (kernels/unroll.c) over the portable micro-kernels
 * (kernels/ukernel/f32-gemm-generic.c: GCC vector extensions, 4 lanes, 3x16
 * tiles; baseline SSE2 on x86-64).  The first rung above naive: cache and
 * register blocking, gate-interleaved panels, hoisted input projection, cell
 * math in the GEMM epilogue, one OpenMP region per run — the very code avx2 and
 * avx512 run, at a quarter of the width and without FMA. */
#include "variant.h"

const ts_variant ts_variant_blocked = {
    .name = "blocked",
    .summary = "portable C vectors (SSE2): gate-interleaved panels, 3x16 tiles, cell math in the GEMM epilogue",
    .isa = 0,
    .impl = &ts_ukernels_generic,
    TS_UNROLL_OPS,
};
