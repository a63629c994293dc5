/* Vectorisable sigmoid and tanh in plain C for the `blocked` variant.  libm's
 * expf/tanhf are opaque calls, one element at a time: at B=64, H=512 they cost
 * about 14% of an LSTM run.  These are branch-free (selects become SSE2
 * and/andnot/or), so a loop over a fixed-size array of them vectorises at -O2
 * with baseline flags.  Accuracy (tests/test_blocked.c checks it against libm):
 * expf within 2 ulp on [-87, 88]; sigmoid and tanh within a few ulp relative,
 * 1e-7 absolute.  TF itself uses Eigen's rational approximations, also not
 * libm.  static inline only (a shared header, see act.h). */
#ifndef TS_BLOCKED_ACT_H
#define TS_BLOCKED_ACT_H
#include <stdint.h>
#include <string.h>

/* a where mask is all ones, b where it is zero: integer and/or, no branch for
 * gcc to sink work into (with trapping math on, a branch that holds a division
 * is not if-converted and the loop stays scalar) */
static inline float ts_blk_select(int32_t mask, float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    ia = (ia & mask) | (ib & ~mask);
    memcpy(&a, &ia, 4);
    return a;
}

/* e^x: x = n*ln2 + r, |r| <= ln2/2; e^r by Cephes' degree-6 polynomial; 2^n by
 * building the exponent bits.  Inputs are clamped so 2^n stays a normal float
 * (e^-87.3 is the smallest normal; e^88.7 the largest finite). */
static inline float ts_blk_expf(float x)
{
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = ts_blk_select(-(int32_t)(x < -87.0f), -87.0f, x);
    x = ts_blk_select(-(int32_t)(x > 88.0f), 88.0f, x);
    float t = x * 1.44269504089f + shifter; /* n + shifter, n = round(x / ln2) */
    float n = t - shifter;
    float r = x - n * 0.693359375f;         /* ln2 split in two: exact n*hi */
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    uint32_t ti, si; /* unsigned: the shift must not overflow a signed int */
    memcpy(&ti, &t, 4);
    si = (ti - 0x4b400000u + 127u) << 23;   /* t's low bits hold n; 0x4b400000 = bits(shifter) */
    float s;
    memcpy(&s, &si, 4);
    return p * s;
}

static inline float ts_blk_sigmoidf(float x)
{
    return 1.0f / (1.0f + ts_blk_expf(-x));
}

/* tanh: Cephes' odd polynomial below |x| = 0.625 (keeps relative accuracy near
 * 0), else 1 - 2/(e^(2|x|) + 1) with the sign of x (saturates to +-1 cleanly). */
static inline float ts_blk_tanhf(float x)
{
    float ax = ts_blk_select(-(int32_t)(x < 0.0f), -x, x);
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = x + x * z * p;
    float big = 1.0f - 2.0f / (ts_blk_expf(2.0f * ax) + 1.0f);
    big = ts_blk_select(-(int32_t)(x < 0.0f), -big, big);
    return ts_blk_select(-(int32_t)(ax < 0.625f), small, big);
}

#endif
