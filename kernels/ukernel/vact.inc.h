/* Vector exp, sigmoid and tanh, written once against the vf_* vocabulary
 * (include simd-avx512.h or simd-avx2.h first).  Accurate to a few ulp of the
 * correctly rounded result (docs/variants-simd.md has the measured maxima), so
 * the optimized variants pass verification with room to spare.
 * static inline only: included by ISA-flagged files. */
#ifndef TS_VACT_INC_H
#define TS_VACT_INC_H

/* Cephes expf: exp(x) = 2^n * exp(r), n = round(x/ln2), r = x - n*ln2 in two
 * parts (|r| <= ln2/2), exp(r) = 1 + r*(1 + r*P(r)).  n comes from adding
 * 1.5*2^23, which leaves round-to-nearest(x/ln2) in the mantissa: one FMA and
 * one subtraction (a round instruction is two uops on port 0, twice the latency).
 * sign = +1 gives exp(x); sign = -1 gives exp(-x) without negating x: n and
 * the odd coefficients change sign instead.  sign*x must lie in [-87, 88]. */
static inline vf vf_exp_signed(vf x, const float sign)
{
    const vf magic = vf_set1(12582912.0f);
    vf m = vf_sub(vf_fmadd(x, vf_set1(1.44269504088896341f), magic), magic); /* round(x/ln2) */
    vf r = vf_fnmadd(m, vf_set1(0.693359375f), x);                            /* x - m*ln2 */
    r = vf_fnmadd(m, vf_set1(-2.12194440e-4f), r);
    /* exp(sign*r) = 1 + sign*r*(1 + sign*r*P(sign*r)) */
    vf p = vf_set1(sign * 1.9875691500e-4f);
    p = vf_fmadd(p, r, vf_set1(1.3981999507e-3f));
    p = vf_fmadd(p, r, vf_set1(sign * 8.3334519073e-3f));
    p = vf_fmadd(p, r, vf_set1(4.1665795894e-2f));
    p = vf_fmadd(p, r, vf_set1(sign * 1.6666665459e-1f));
    p = vf_fmadd(p, r, vf_set1(5.0000001201e-1f));
    vf y = vf_fmadd(p, vf_mul(vf_set1(sign), r), vf_set1(1.0f));
    y = vf_fmadd(y, vf_mul(vf_set1(sign), r), vf_set1(1.0f));
    return vf_ldexp(y, sign > 0 ? m : vf_sub(vf_zero(), m));
}

/* lo <= x <= hi, NaN passing through: vf_max/vf_min (maxps/minps) return their
 * second operand when either is NaN, so x goes second.  Same instructions as
 * vf_min(vf_max(x, lo), hi), which would turn NaN into lo (issue 12). */
static inline vf vf_clamp_nan(vf x, float lo, float hi)
{
    return vf_min(vf_set1(hi), vf_max(vf_set1(lo), x));
}

/* x is clamped to where the result is a normal float: no lane is inf or
 * denormal; NaN stays NaN (TF's exp propagates it) */
static inline vf vf_exp(vf x)
{
    return vf_exp_signed(vf_clamp_nan(x, -87.0f, 88.0f), 1.0f);
}

/* 1 / (1 + exp(-x)); the clamp keeps the denominator finite and lets NaN through.
 * sigmoid(-inf) is 1.6e-38 where TF and the reference give 0: far inside the
 * tolerance, and no state can be infinite, so it never meets an inf*0. */
static inline vf vf_sigmoid(vf x)
{
    vf e = vf_exp_signed(vf_clamp_nan(x, -87.0f, 87.0f), -1.0f);
    return vf_recip(vf_add(vf_set1(1.0f), e));
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
    /* >= exp(-40); ax second so a NaN x makes `large` (the lane chosen) NaN */
    vf e = vf_exp_signed(vf_mul(vf_set1(-2.0f), vf_min(vf_set1(20.0f), ax)), 1.0f);
    vf one = vf_set1(1.0f);
    vf large = vf_mul(vf_sub(one, e), vf_recip(vf_add(one, e)));
    return vf_blend(vf_lt(ax, vf_set1(0.625f)), vf_copysign(large, x), small);
}

#endif
