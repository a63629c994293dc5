/* Vector activations over arrays, one set per ISA (kernels/x86/f32-vact-<isa>.c,
 * kernels/ukernel/f32-vact-generic.c).  Call an ISA's functions only after
 * ts_cpu_isa() reports it; the generic ones run anywhere.  The step kernels
 * use the register-level versions (vact.inc.h) in their epilogues; these array
 * forms exist for tests (ulp error against double) and for benchmarks. */
#ifndef TS_F32_VACT_H
#define TS_F32_VACT_H
#include <stddef.h>

/* y[k] = f(x[k]) for k < n; x and y may be the same array; any n (tails masked) */
void ts_f32_vexp__avx512(const float *x, float *y, size_t n);
void ts_f32_vsigmoid__avx512(const float *x, float *y, size_t n);
void ts_f32_vtanh__avx512(const float *x, float *y, size_t n);
void ts_f32_vexp__generic(const float *x, float *y, size_t n);
void ts_f32_vsigmoid__generic(const float *x, float *y, size_t n);
void ts_f32_vtanh__generic(const float *x, float *y, size_t n);
void ts_f32_vexp__avx2(const float *x, float *y, size_t n);
void ts_f32_vsigmoid__avx2(const float *x, float *y, size_t n);
void ts_f32_vtanh__avx2(const float *x, float *y, size_t n);

#endif
