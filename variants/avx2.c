/* avx2: the persistent unroll driver (kernels/unroll.c) over the avx2 micro-kernels
 * (kernels/x86/f32-gemm-avx2.c).  Hidden units split across threads, input
 * projection hoisted, recurrent weights packed once in prepare.  The registry
 * checks the ISA before any of this runs. */
#include "../kernels/unroll.h"
#include "../kernels/x86/f32-gemm.h"
#include "variant.h"

static bool avx2_supports(const ts_problem *p, char *why, size_t n)
{
    return ts_problem_is_basic(p, "avx2", why, n); /* every shape: tails are padded panels */
}

static int avx2_prepare(const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    ts_unroll_plan *pl = NULL;
    if (ts_unroll_prepare(p, w, &ts_ukernels_avx2, &pl, e))
        return -1;
    *plan = pl;
    return 0;
}

static int avx2_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    return ts_unroll_run(plan, in, out);
}

static void avx2_release(ts_plan *plan) { ts_unroll_release(plan); }

static const char *avx2_detail(const ts_plan *plan) { return ts_unroll_detail(plan); }

const ts_variant ts_variant_avx2 = {
    .name = "avx2",
    .summary = "AVX2+FMA intrinsics: gate-interleaved panels, 3x32 tiles, cell math in the GEMM epilogue",
    .isa = TS_ISA_AVX2_FMA,
    .supports = avx2_supports,
    .prepare = avx2_prepare,
    .run = avx2_run,
    .release = avx2_release,
    .detail = avx2_detail,
};
