#include "harness/files/io.h"

#include "harness/files/npy.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ts_tensor_spec spec(const char *file, const char *what, void *slot, int ndim, int64_t a,
                           int64_t b, int64_t c)
{
    return (ts_tensor_spec){.file = file, .ndim = ndim, .shape = {a, b, c}, .what = what,
                            .slot = (void **)slot};
}

int ts_weight_specs(const ts_problem *p, ts_tensors *t, ts_tensor_spec *s)
{
    int n = 0;
    const int64_t R = p->I + p->H, H = p->H;
    if (p->cell == TS_CELL_GRU) {
        s[n++] = spec("gates_kernel.npy", "[(I+H) x 2H]", &t->w.cell[0].kernel, 2, R, 2 * H, 0);
        s[n++] = spec("gates_bias.npy", "[2H]", &t->w.cell[0].bias, 1, 2 * H, 0, 0);
        s[n++] = spec("candidate_kernel.npy", "[(I+H) x H]", &t->w.cell[0].cand_kernel, 2, R, H, 0);
        s[n++] = spec("candidate_bias.npy", "[H]", &t->w.cell[0].cand_bias, 1, H, 0, 0);
    } else {
        int G = ts_cell_gates(p->cell);
        s[n++] = spec("kernel.npy", G == 1 ? "[(I+H) x H]" : "[(I+H) x 4H]", &t->w.cell[0].kernel, 2, R, G * H, 0);
        s[n++] = spec("bias.npy", G == 1 ? "[H]" : "[4H]", &t->w.cell[0].bias, 1, G * H, 0, 0);
    }
    if (p->feed == TS_FEED_GREEDY) {
        s[n++] = spec("proj_w.npy", "[H x V]", &t->w.proj_w, 2, H, p->V, 0);
        s[n++] = spec("proj_b.npy", "[V]", &t->w.proj_b, 1, p->V, 0, 0);
        s[n++] = spec("embedding.npy", "[V x I]", &t->w.embedding, 2, p->V, p->I, 0);
    }
    return n;
}

int ts_input_specs(const ts_problem *p, ts_tensors *t, ts_tensor_spec *s)
{
    s[0] = spec("encoder_inputs.npy", "[E x B x I]", &t->enc, 3, p->E, p->B, p->I);
    s[1] = spec("decoder_inputs.npy", "[D x B x I]", &t->dec, 3, p->D, p->B, p->I);
    s[1].optional = p->D == 0;
    return 2;
}

const char *const ts_output_files[] = {"outputs.npy", "state_h.npy", "state_c.npy", "states_h.npy",
                                      "states_c.npy", "symbols.npy", NULL};

int ts_output_specs(const ts_problem *p, ts_result *r, bool states, ts_tensor_spec *s)
{
    int n = 0;
    bool lstm = p->cell == TS_CELL_LSTM;
    s[n++] = spec("outputs.npy", "[D x B x H]", &r->out, 3, p->D, p->B, p->H);
    s[n++] = spec("state_h.npy", "[B x H]", &r->h, 2, p->B, p->H, 0);
    if (lstm)
        s[n++] = spec("state_c.npy", "[B x H]", &r->c, 2, p->B, p->H, 0);
    if (states) {
        s[n++] = spec("states_h.npy", "[D x B x H]", &r->states_h, 3, p->D, p->B, p->H);
        if (lstm)
            s[n++] = spec("states_c.npy", "[D x B x H]", &r->states_c, 3, p->D, p->B, p->H);
    }
    if (p->feed == TS_FEED_GREEDY) {
        s[n] = spec("symbols.npy", "[D x B] int32", &r->symbols, 2, p->D, p->B, 0);
        s[n++].int32 = true;
    }
    return n;
}

int ts_load_specs(const char *dir, ts_tensor_spec *s, int n, ts_err *e)
{
    char path[4200];
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, s[k].file);
        if (s[k].optional && access(path, F_OK) != 0)
            continue;
        float *data;
        if (ts_npy_read_f32(path, s[k].ndim, s[k].shape, s[k].what, &data, e))
            return -1;
        ts_free(*s[k].slot);
        *s[k].slot = data;
    }
    return 0;
}
