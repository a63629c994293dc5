/* Vector exp/sigmoid/tanh over arrays, avx512 build of vact.inc.h.  Runs only after
 * the CPU check (callers test ts_cpu_isa()). */
#include "../ukernel/f32-vact.h"
#include "simd-avx512.h"
#include "../ukernel/vact.inc.h"
#include "../ukernel/vact-array.inc.h"

TS_VACT_ARRAY(ts_f32_vexp__avx512, vf_exp)
TS_VACT_ARRAY(ts_f32_vsigmoid__avx512, vf_sigmoid)
TS_VACT_ARRAY(ts_f32_vtanh__avx512, vf_tanh)
