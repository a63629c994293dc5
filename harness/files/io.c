#include "harness/files/io.h"

#include "harness/files/npy.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ts_tensor_spec spec(const char *file, const char *what, void *slot, int ndim, int64_t a,
                           int64_t b, int64_t c)
{
    ts_tensor_spec s = {.ndim = ndim, .shape = {a, b, c, 0}, .what = what, .slot = (void **)slot};
    snprintf(s.file, sizeof s.file, "%s", file);
    return s;
}

/* The same with a leading layer axis when the problem has more than one layer. */
static ts_tensor_spec spec_layers(const ts_problem *p, const char *file, const char *what1,
                                  const char *whatL, void *slot, int ndim, const int64_t *shape)
{
    ts_tensor_spec s = {.what = p->layers > 1 ? whatL : what1, .slot = (void **)slot};
    snprintf(s.file, sizeof s.file, "%s", file);
    int d = 0;
    if (p->layers > 1)
        s.shape[d++] = p->layers;
    for (int k = 0; k < ndim; k++)
        s.shape[d++] = shape[k];
    s.ndim = d;
    return s;
}

/* Layer k's files, prefixed "cell_k/" when there is more than one layer. */
static int cell_specs(const ts_problem *p, int k, ts_cell_weights *w, ts_tensor_spec *s)
{
    int n = 0;
    const int64_t R = ts_layer_input(p, k) + ts_out_width(p), H = p->H;
    if (p->cell == TS_CELL_GRU) {
        s[n++] = spec("gates_kernel.npy", "[(I+H) x 2H]", &w->kernel, 2, R, 2 * H, 0);
        s[n++] = spec("gates_bias.npy", "[2H]", &w->bias, 1, 2 * H, 0, 0);
        s[n++] = spec("candidate_kernel.npy", "[(I+H) x H]", &w->cand_kernel, 2, R, H, 0);
        s[n++] = spec("candidate_bias.npy", "[H]", &w->cand_bias, 1, H, 0, 0);
    } else {
        int G = ts_cell_gates(p->cell);
        const char *kw = G == 1 ? "[(I+H) x H]" : p->P ? "[(I+P) x 4H] (input rows, then P state rows)"
                                                       : "[(I+H) x 4H]";
        if (k > 0)
            kw = G == 1 ? "[(H+H) x H]" : p->P ? "[(P+P) x 4H]" : "[(H+H) x 4H]";
        s[n++] = spec("kernel.npy", kw, &w->kernel, 2, R, G * H, 0);
        s[n++] = spec("bias.npy", G == 1 ? "[H]" : "[4H]", &w->bias, 1, G * H, 0, 0);
    }
    if (p->peep) {
        s[n++] = spec("w_i_diag.npy", "[H]", &w->w_i_diag, 1, H, 0, 0);
        s[n++] = spec("w_f_diag.npy", "[H]", &w->w_f_diag, 1, H, 0, 0);
        s[n++] = spec("w_o_diag.npy", "[H]", &w->w_o_diag, 1, H, 0, 0);
    }
    if (p->P)
        s[n++] = spec("projection_kernel.npy", "[H x P]", &w->proj_kernel, 2, H, p->P, 0);
    char prefix[24];
    int np = snprintf(prefix, sizeof prefix, "cell_%d/", k);
    for (int j = 0; p->layers > 1 && j < n; j++) {
        /* "cell_15/projection_kernel.npy" is 29 bytes: always fits the 40 of file */
        size_t nb = strlen(s[j].file);
        if (np > 0 && (size_t)np + nb < sizeof s[j].file) {
            memmove(s[j].file + np, s[j].file, nb + 1);
            memcpy(s[j].file, prefix, (size_t)np);
        }
    }
    return n;
}

int ts_weight_specs(const ts_problem *p, ts_tensors *t, ts_tensor_spec *s)
{
    int n = 0;
    for (int k = 0; k < p->layers; k++)
        n += cell_specs(p, k, &t->w.cell[k], s + n);
    if (p->feed == TS_FEED_GREEDY) {
        const int64_t Ho = ts_out_width(p);
        s[n++] = spec("proj_w.npy", p->P ? "[P x V]" : "[H x V]", &t->w.proj_w, 2, Ho, p->V, 0);
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
    const int64_t Ho = ts_out_width(p), bh[] = {p->B, Ho}, bc[] = {p->B, p->H};
    const int64_t dbh[] = {p->D, p->B, Ho}, dbc[] = {p->D, p->B, p->H};
    s[n++] = spec("outputs.npy", p->P ? "[D x B x P]" : "[D x B x H]", &r->out, 3, p->D, p->B, Ho);
    const bool P = p->P > 0; /* the shapes' names: Hout is P or H */
    s[n++] = spec_layers(p, "state_h.npy", P ? "[B x P]" : "[B x H]", P ? "[L x B x P]" : "[L x B x H]",
                         &r->h, 2, bh);
    if (lstm)
        s[n++] = spec_layers(p, "state_c.npy", "[B x H]", "[L x B x H]", &r->c, 2, bc);
    if (states) {
        /* [D x L x B x .]: the layer axis goes after the step */
        ts_tensor_spec h = spec_layers(p, "states_h.npy", P ? "[D x B x P]" : "[D x B x H]",
                                       P ? "[D x L x B x P]" : "[D x L x B x H]",
                                       &r->states_h, 3, dbh);
        if (p->layers > 1)
            h.shape[0] = p->D, h.shape[1] = p->layers;
        s[n++] = h;
        if (lstm) {
            ts_tensor_spec c = spec_layers(p, "states_c.npy", "[D x B x H]", "[D x L x B x H]",
                                           &r->states_c, 3, dbc);
            if (p->layers > 1)
                c.shape[0] = p->D, c.shape[1] = p->layers;
            s[n++] = c;
        }
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
