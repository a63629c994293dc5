/* Vector exp/sigmoid/tanh over arrays, portable build of vact.inc.h (what the
 * `blocked` variant's epilogues compute). */
#include "f32-vact.h"
#include "simd-generic.h"
#include "vact.inc.h"
#include "vact-array.inc.h"

TS_VACT_ARRAY(ts_f32_vexp__generic, vf_exp)
TS_VACT_ARRAY(ts_f32_vsigmoid__generic, vf_sigmoid)
TS_VACT_ARRAY(ts_f32_vtanh__generic, vf_tanh)
