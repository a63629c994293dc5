/* Vector exp/sigmoid/tanh (kernels/x86/f32-vact-*.c) against double libm, in ulp
 * of the float result, on a dense sweep plus the branch edges.  Bounds are the
 * documented ones (docs/variants-simd.md); an ISA the CPU lacks is skipped. */
#include "kernels/cpu.h"
#include "kernels/ukernel/f32-vact.h"
#include "tests/check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*vact_fn)(const float *x, float *y, size_t n);

/* error in units of the float spacing at the exact result */
static double ulp_err(float got, double ref)
{
    double a = fabs(ref);
    if (a < FLT_MIN)
        a = FLT_MIN;
    int ex;
    frexp(a, &ex);
    double ulp = ldexp(1.0, ex - 24);
    return fabs((double)got - ref) / ulp;
}

static double ref_exp(double x) { return exp(x); }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_tanh(double x) { return tanh(x); }

/* max ulp error of fn over n points of [lo, hi] plus edge values; n odd to test the tail */
static double sweep(vact_fn fn, double (*ref)(double), double lo, double hi, size_t n, double *worst_x)
{
    static const float edges[] = {0.0f, -0.0f, 0.625f, -0.625f, 0.62499994f, 0.62500006f, 1e-8f, -1e-8f,
                                  1e-30f, 20.0f, -20.0f, 9.0f};
    size_t ne = sizeof edges / sizeof edges[0];
    float *x = malloc((n + ne) * sizeof *x), *y = malloc((n + ne) * sizeof *y);
    for (size_t k = 0; k < n; k++)
        x[k] = (float)(lo + (hi - lo) * (double)k / (double)(n - 1));
    for (size_t k = 0; k < ne; k++)
        x[n + k] = edges[k] < lo || edges[k] > hi ? (float)lo : edges[k];
    fn(x, y, n + ne);
    double worst = 0;
    for (size_t k = 0; k < n + ne; k++) {
        double u = ulp_err(y[k], ref(x[k]));
        if (!(u <= worst)) {
            worst = u;
            *worst_x = x[k];
        }
    }
    free(x), free(y);
    return worst;
}

static void check_isa(const char *isa, vact_fn vexp, vact_fn vsig, vact_fn vtanh)
{
    const size_t n = 2000001;
    double wx = 0, u;
    u = sweep(vexp, ref_exp, -87.0, 88.0, n, &wx);
    printf("%s exp     max %.2f ulp at %.9g\n", isa, u, wx);
    CHECK_MSG(u <= 1.5, "%s exp %.2f ulp at %.9g", isa, u, wx);
    u = sweep(vsig, ref_sigmoid, -80.0, 30.0, n, &wx);
    printf("%s sigmoid max %.2f ulp at %.9g\n", isa, u, wx);
    CHECK_MSG(u <= 3.0, "%s sigmoid %.2f ulp at %.9g", isa, u, wx);
    u = sweep(vtanh, ref_tanh, -12.0, 12.0, n, &wx);
    printf("%s tanh    max %.2f ulp at %.9g\n", isa, u, wx);
    CHECK_MSG(u <= 2.5, "%s tanh %.2f ulp at %.9g", isa, u, wx);
    u = sweep(vtanh, ref_tanh, -1e-3, 1e-3, 200001, &wx);
    printf("%s tanh    max %.2f ulp near 0 (at %.9g)\n", isa, u, wx);
    CHECK_MSG(u <= 1.0, "%s tanh near 0 %.2f ulp at %.9g", isa, u, wx);
    /* saturated ends are exact */
    float big[3] = {100.0f, -100.0f, 1e30f}, out[3];
    vtanh(big, out, 3);
    CHECK(out[0] == 1.0f && out[1] == -1.0f && out[2] == 1.0f);
    vsig(big, out, 3);
    CHECK(out[0] == 1.0f && out[1] >= 0.0f && out[1] < 1e-37f && out[2] == 1.0f);
}

int main(void)
{
    uint32_t isa = ts_cpu_isa();
    check_isa("generic", ts_f32_vexp__generic, ts_f32_vsigmoid__generic, ts_f32_vtanh__generic);
#if TS_HAVE_AVX512
    if ((isa & TS_ISA_AVX512) == TS_ISA_AVX512)
        check_isa("avx512", ts_f32_vexp__avx512, ts_f32_vsigmoid__avx512, ts_f32_vtanh__avx512);
    else
        printf("avx512: skipped (CPU lacks it)\n");
#endif
#if TS_HAVE_AVX2
    if ((isa & TS_ISA_AVX2_FMA) == TS_ISA_AVX2_FMA)
        check_isa("avx2", ts_f32_vexp__avx2, ts_f32_vsigmoid__avx2, ts_f32_vtanh__avx2);
    else
        printf("avx2: skipped (CPU lacks it)\n");
#endif
    (void)isa;
    return ts_test_done("test_simd_vact");
}
