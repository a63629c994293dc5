/* Micro-kernels of `tiedseq peak` (harness/probes/peak.c): FMA throughput loops and
 * streaming read loops, one per ISA.  The avx2/avx512 ones live in ISA files:
 * call them only after ts_cpu_isa() reports all of TS_ISA_AVX2_FMA, resp. all of
 * TS_ISA_AVX512 (that file is compiled with F, VL, BW and DQ, and the compiler may
 * use any of them); the sse2 ones are baseline.
 * Each returns a value derived from every accumulator so nothing is optimised
 * away; the caller stores it into a volatile sink. */
#ifndef TS_PEAK_KERNELS_H
#define TS_PEAK_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* FLOPs one iteration of each FMA loop performs: accumulators x lanes x 2.
 * 12 ymm / 16 zmm independent chains cover FMA latency (4) x 2 ports with room
 * to spare; avx2 code has only 16 ymm registers, so 12 + 2 constants. */
#define TS_PEAK_AVX2_ACC 12
#define TS_PEAK_AVX512_ACC 16
#define TS_PEAK_SSE2_ACC 12
#define TS_PEAK_FLOPS_AVX2 (TS_PEAK_AVX2_ACC * 8 * 2)
#define TS_PEAK_FLOPS_AVX512 (TS_PEAK_AVX512_ACC * 16 * 2)
#define TS_PEAK_FLOPS_SSE2 (TS_PEAK_SSE2_ACC * 4 * 2) /* separate mul + add */

/* bf16 dot products: 16 zmm accumulators x 16 lanes x 2 pairs x 2 FLOP (vdpbf16ps);
 * AMX: 4 tiles x 16x16 outputs x 32 deep x 2 FLOP (tdpbf16ps) per iteration */
#define TS_PEAK_FLOPS_DPBF16 (16 * 16 * 2 * 2)
#define TS_PEAK_FLOPS_AMX (4 * 16 * 16 * 32 * 2)
float ts_bf16_dp_peak__avx512bf16(int64_t iters); /* only with TS_ISA_AVX512BF16 */
float ts_bf16_tile_peak__amx(int64_t iters);      /* only with TS_ISA_AMX (permission granted) */

float ts_f32_fma_peak__avx2(int64_t iters);
float ts_f32_fma_peak__avx512(int64_t iters);
float ts_f32_muladd_peak__sse2(int64_t iters);

/* Read n floats from p (64-byte aligned, n a multiple of TS_PEAK_READ_BLOCK)
 * `passes` times with vector loads; returns their (meaningless) sum. */
#define TS_PEAK_READ_BLOCK 128
float ts_f32_read__avx2(const float *p, size_t n, int64_t passes);
float ts_f32_read__avx512(const float *p, size_t n, int64_t passes);
float ts_f32_read__sse2(const float *p, size_t n, int64_t passes);

#endif
