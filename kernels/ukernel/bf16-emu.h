/* A portable emulation of AVX512-BF16's vdpbf16ps and vcvtneps2bf16 over the
 * generic 4-lane vf vocabulary (simd-generic.h): what the instructions compute
 * per lane, in C.  It lets the avx512-bf16 template path (TS_BF16 == 2: the
 * k-pair packing, the operand pairs, the k-blocking) run and be verified on
 * any x86-64 (tests/test_bf16.c), where the instruction itself cannot.
 * static inline only. */
#ifndef TS_BF16_EMU_H
#define TS_BF16_EMU_H
#include "../tiedseq.h"

#include <stdint.h>
#include <string.h>

typedef uint32_t vbf __attribute__((vector_size(16), aligned(16))); /* 4 (k, k+1) pairs */

/* A bf16 as fp32, denormals as zero (vdpbf16ps reads its inputs DAZ) */
static inline float emu_bf16_daz(uint32_t h16)
{
    uint32_t u = (h16 & 0xffffu) << 16;
    if ((u & 0x7f800000u) == 0)
        u &= 0x80000000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Flush an fp32 denormal to a signed zero (vdpbf16ps writes FTZ) */
static inline float emu_ftz(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0)
        u &= 0x80000000u;
    memcpy(&x, &u, 4);
    return x;
}

/* One lane of vdpbf16ps (Intel SDM): the high pair first, then the low, each an
 * fp32 add rounded to nearest even (a bf16 product is exact in fp32). */
static inline float ts_emu_dpbf16_lane(float acc, uint32_t a, uint32_t w)
{
    acc = emu_ftz(acc + emu_bf16_daz(a >> 16) * emu_bf16_daz(w >> 16));
    return emu_ftz(acc + emu_bf16_daz(a) * emu_bf16_daz(w));
}

static inline vbf vbf_load(const uint16_t *p) { return *(const vbf *)p; }
static inline vbf vbf_bcast_pair(uint32_t pair) { return (vbf){pair, pair, pair, pair}; }
static inline vf vf_dpbf16(vf acc, vbf a, vbf w)
{
    for (int l = 0; l < 4; l++)
        acc[l] = ts_emu_dpbf16_lane(acc[l], a[l], w[l]);
    return acc;
}
static inline vf vf_round_bf16(vf x)
{
    for (int l = 0; l < 4; l++)
        x[l] = ts_bf16_round(x[l]);
    return x;
}

#endif
