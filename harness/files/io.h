/* The .npy file contract: which file holds which tensor, with what shape.
 * One table serves `run`, `gen`, the golden test and the docs. */
#ifndef TS_IO_H
#define TS_IO_H
#include "kernels/tiedseq.h"

typedef struct ts_tensor_spec {
    char file[40];      /* "kernel.npy"; with L > 1 "cell_K/kernel.npy" */
    int ndim;
    int64_t shape[4];
    const char *what;   /* "[(I+H) x 4H]" */
    void **slot;        /* where the data pointer lives */
    bool int32;         /* symbols */
    bool optional;      /* may be absent (decoder_inputs with D = 0) */
} ts_tensor_spec;

/* the most specs one call gives: 8 per layer, greedy's 3 */
#define TS_MAX_SPECS (8 * TS_MAX_LAYERS + 8)

/* weights, per layer: rnn/lstm kernel.npy bias.npy; gru gates_kernel.npy gates_bias.npy
 * candidate_kernel.npy candidate_bias.npy; lstm :peep w_i_diag.npy w_f_diag.npy
 * w_o_diag.npy [H]; lstm :proj projection_kernel.npy [H,P].  With L > 1 each layer's
 * files are in cell_0/, cell_1/, ... (TF's MultiRNNCell scopes).  Greedy adds
 * proj_w.npy [Hout,V] proj_b.npy embedding.npy. */
int ts_weight_specs(const ts_problem *p, ts_tensors *t, ts_tensor_spec *s);
/* inputs: encoder_inputs.npy [E,B,I], decoder_inputs.npy [D,B,I] */
int ts_input_specs(const ts_problem *p, ts_tensors *t, ts_tensor_spec *s);
/* outputs: outputs.npy [D,B,Hout], state_h.npy [B,Hout], lstm state_c.npy [B,H]; with
 * states states_h.npy [D,B,Hout] (lstm states_c.npy [D,B,H]); with L > 1 the state
 * files gain a layer axis: [L,B,.] and [D,L,B,.]; greedy symbols.npy int32 [D,B] */
int ts_output_specs(const ts_problem *p, ts_result *r, bool states, ts_tensor_spec *s);
/* Every file name ts_output_specs can give, NULL-terminated: what `run` may replace. */
extern const char *const ts_output_files[];

/* Load every spec's file from dir into its slot (replacing the buffer there). */
int ts_load_specs(const char *dir, ts_tensor_spec *s, int n, ts_err *e);

#endif
