/* Scalar activations, TF semantics, fp32 in and out.  static inline only: a shared
 * header must never emit an out-of-line copy from an ISA-flagged file. */
#ifndef TS_ACT_H
#define TS_ACT_H
#include <math.h>

static inline float ts_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline float ts_tanhf(float x) { return tanhf(x); }

#endif
