/* Vector exp, sigmoid and tanh, written once against the vf_* vocabulary
 * (include simd-avx512.h or simd-avx2.h first).  Accurate to a few ulp of the
 * correctly rounded result (docs/variants-simd.md has the measured maxima), so
 * the optimized variants pass verification with room to spare.
 * static inline only: included by ISA-flagged files. */
#ifndef TS_VACT_INC_H
#define TS_VACT_INC_H

/* Cephes expf: exp(x) = 2^n * exp(r), n = round(x/ln2), r = x - n*ln2 in two
 * parts (|r| <= ln2/2), exp(r) = 1 + r + r^2*P(r).  x is clamped to where the
 * result is a normal float, so no lane ever produces inf or a denormal. */
static inline vf vf_exp(vf x)
{
    x = vf_min(vf_max(x, vf_set1(-87.0f)), vf_set1(88.0f));
    /* n = round(x/ln2): adding 1.5*2^23 leaves the integer part, rounded to
     * nearest, in the mantissa; one FMA and one subtraction (a round
     * instruction is two uops on port 0 and twice the latency) */
    const vf magic = vf_set1(12582912.0f);
    vf n = vf_sub(vf_fmadd(x, vf_set1(1.44269504088896341f), magic), magic);
    vf r = vf_fnmadd(n, vf_set1(0.693359375f), x);
    r = vf_fnmadd(n, vf_set1(-2.12194440e-4f), r);
    vf p = vf_set1(1.9875691500e-4f);
    p = vf_fmadd(p, r, vf_set1(1.3981999507e-3f));
    p = vf_fmadd(p, r, vf_set1(8.3334519073e-3f));
    p = vf_fmadd(p, r, vf_set1(4.1665795894e-2f));
    p = vf_fmadd(p, r, vf_set1(1.6666665459e-1f));
    p = vf_fmadd(p, r, vf_set1(5.0000001201e-1f));
    vf y = vf_fmadd(vf_mul(p, r), r, vf_add(r, vf_set1(1.0f)));
    return vf_ldexp(y, n);
}

/* 1 / (1 + exp(-x)); exp's clamp keeps the denominator finite. */
static inline vf vf_sigmoid(vf x)
{
    return vf_recip(vf_add(vf_set1(1.0f), vf_exp(vf_sub(vf_zero(), x))));
}

/* tanh: |x| < 0.625 by Cephes' odd polynomial x + x^3*P(x^2) (relative accuracy
 * near 0, where (1-e)/(1+e) would cancel); otherwise (1-e)/(1+e) with
 * e = exp(-2|x|) <= 0.29, no cancellation, sign restored.  Both are computed and
 * blended: branch-free, and cheaper than the divergence a branch would cost. */
static inline vf vf_tanh(vf x)
{
    vf ax = vf_abs(x);
    vf z = vf_mul(x, x);
    vf p = vf_set1(-5.70498872745e-3f);
    p = vf_fmadd(p, z, vf_set1(2.06390887954e-2f));
    p = vf_fmadd(p, z, vf_set1(-5.37397155531e-2f));
    p = vf_fmadd(p, z, vf_set1(1.33314422036e-1f));
    p = vf_fmadd(p, z, vf_set1(-3.33332819422e-1f));
    vf small = vf_fmadd(vf_mul(p, z), x, x);
    vf e = vf_exp(vf_mul(vf_set1(-2.0f), vf_min(ax, vf_set1(20.0f))));
    vf one = vf_set1(1.0f);
    vf large = vf_mul(vf_sub(one, e), vf_recip(vf_add(one, e)));
    return vf_blend(vf_lt(ax, vf_set1(0.625f)), vf_copysign(large, x), small);
}

#endif
