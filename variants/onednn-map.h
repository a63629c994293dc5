/* TF's weights in oneDNN's gate order, shared by the oneDNN variants
 * (variants/onednn.c defines them; docs/onednn.md, "Mapping"): LSTM gates
 * i, f, c~, o from TF blocks 0, 2, 1, 3 with forget_bias folded into the f
 * bias; GRU gates u, r, o from TF's gates columns [H, 2H), [0, H) and the
 * candidate kernel. */
#ifndef TS_ONEDNN_MAP_H
#define TS_ONEDNN_MAP_H
#include "../kernels/tiedseq.h"

/* The TF kernel element of one layer feeding oneDNN gate g, output o, from
 * kernel row k (rows [0, Ik) are the layer's inputs, [Ik, Ik+Hout) the state). */
float ts_od_tf_weight(const ts_problem *p, const ts_cell_weights *cw, int64_t k, int g, int64_t o);
/* The bias of oneDNN gate g, output o (LSTM f: plus forget_bias). */
float ts_od_tf_bias(const ts_problem *p, const ts_cell_weights *cw, int g, int64_t o);

#endif
