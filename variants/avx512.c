/* avx512: the persistent unroll driver (kernels/unroll.c) over the avx512 micro-kernels
 * (kernels/x86/f32-gemm-avx512.c).  Hidden units split across threads, input
 * projection hoisted, recurrent weights packed once in prepare.  The registry
 * checks the ISA before any of this runs. */
#include "../kernels/unroll.h"
#include "../kernels/x86/f32-gemm.h"
#include "variant.h"

static bool avx512_supports(const ts_problem *p, char *why, size_t n)
{
    return ts_problem_is_basic(p, "avx512", why, n); /* every shape: tails are padded panels */
}

static int avx512_prepare(const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    ts_unroll_plan *pl = NULL;
    if (ts_unroll_prepare(p, w, &ts_ukernels_avx512, &pl, e))
        return -1;
    *plan = pl;
    return 0;
}

static int avx512_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    return ts_unroll_run(plan, in, out);
}

static void avx512_release(ts_plan *plan) { ts_unroll_release(plan); }

static const char *avx512_detail(const ts_plan *plan) { return ts_unroll_detail(plan); }

const ts_variant ts_variant_avx512 = {
    .name = "avx512",
    .summary = "AVX-512F intrinsics: gate-interleaved panels, 6x64 tiles, cell math in the GEMM epilogue",
    .isa = TS_ISA_AVX512,
    .supports = avx512_supports,
    .prepare = avx512_prepare,
    .run = avx512_run,
    .release = avx512_release,
    .detail = avx512_detail,
};
