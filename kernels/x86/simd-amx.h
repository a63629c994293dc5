/* The tile layer of amx-tile.inc.h over the real AMX instructions (the
 * amx-bf16 table, kernels/x86/bf16-gemm-amx.c).  Included only by files built
 * with the AMX flags, and run only after ts_cpu_isa() reports TS_ISA_AMX_BF16
 * (CPU, XCR0 and Linux's XTILEDATA permission).  Its portable twin is
 * kernels/ukernel/amx-emu.h: the same names, what the instructions compute,
 * in C.  NEVER EXECUTED on the machine this was written on (no AMX): only the
 * emulated twin has run (tests/test_amx_emu.c, tests/test_bf16.c).
 * Tile numbers are compile-time constants (the intrinsics encode them). */
#ifndef TS_SIMD_AMX_H
#define TS_SIMD_AMX_H
#include "../ukernel/amx-cfg.h"

#include <immintrin.h>
#include <stdint.h>

#define amx_loadconfig(cfg) _tile_loadconfig(cfg)          /* LDTILECFG */
#define amx_tload(t, p, stride) _tile_loadd(t, p, stride)   /* TILELOADD: rows of colsb bytes, stride apart */
#define amx_tstore(t, p, stride) _tile_stored(t, p, stride) /* TILESTORED */
#define amx_tdp(c, a, b) _tile_dpbf16ps(c, a, b)            /* TDPBF16PS: c += a . b over bf16 pairs */

/* dst[0..32) = bf16 bits of src[0..n) (vcvtneps2bf16: RNE; a denormal input
 * becomes 0, which TDPBF16PS would make of it anyway), zeros from n on.  The
 * masked loads never touch src[n..32). */
static inline void amx_round_row(const float *src, int n, uint16_t *dst)
{
    const __mmask16 lo = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 hi = n <= 16 ? 0 : n >= 32 ? 0xffff : (__mmask16)((1u << (n - 16)) - 1);
    __m256i b0 = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(lo, src));
    __m256i b1 = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(hi, src + 16));
    _mm256_storeu_si256((__m256i *)dst, b0);
    _mm256_storeu_si256((__m256i *)(dst + 16), b1);
}

#endif
