/* onednn, onednn-ldigo: the tied seq2seq through oneDNN's RNN primitives (v2 C
 * API, Debian's 2.6), the independent second implementation (docs/onednn.md).
 * Mapping (docs/onednn.md, "Mapping"): RNN = vanilla
 * RNN with tanh; LSTM gates i,f,c~,o from TF blocks 0,2,1,3 with forget_bias
 * folded into the f bias, TF's LSTMCell peepholes as oneDNN's peephole weights
 * (gates i,f,o) and num_proj as its projection weights; GRU = oneDNN's vanilla
 * (not linear-before-reset) GRU, gates u,r,o from TF's gates columns [H,2H),
 * [0,H) and the candidate kernel.  MultiRNNCell layers go through oneDNN's
 * layer dimension L ("stacks", below).  cell_clip, proj_clip and residual
 * layers have no oneDNN counterpart: supports() refuses them with the reason.
 *
 * prepare converts the weights once (to plain ldigo, then for `onednn` into the
 * format oneDNN prefers), creates every primitive, memory and the scratchpad
 * under the problem's thread count, and executes each primitive once so the
 * first timed run pays no JIT or first-touch cost.  run only binds data
 * pointers and executes: the encoder once over E steps, the teacher-forced
 * decoder once over D steps; greedy decoding (and teacher forcing when per-step
 * states oneDNN does not return are asked for) one step at a time.
 *
 * Threads: Debian's oneDNN uses gcc's libgomp and sizes its parallel regions by
 * omp_get_max_threads() of the calling thread.  That ICV is per thread in
 * libgomp, so prepare and run set it to p->threads and restore the caller's
 * value before returning: the problem's thread count reaches oneDNN, nothing
 * leaks.  Creation must see the same count as execution: oneDNN sizes per-thread
 * scratch and keys its primitive cache on the thread count at creation. */
#include "onednn-map.h"
#include "variant.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OD_STR_(x) #x
#define OD_STR(x) OD_STR_(x)
#define OD_VERSION OD_STR(DNNL_VERSION_MAJOR) "." OD_STR(DNNL_VERSION_MINOR) "." OD_STR(DNNL_VERSION_PATCH)

/* One RNN primitive over T steps and the memories bound to its arguments. */
typedef struct od_prim {
    int64_t T;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    dnnl_memory_t src_layer, src_iter, src_iter_c, dst_layer, dst_iter, dst_iter_c, scratch;
    dnnl_exec_arg_t args[16];
    int nargs;
} od_prim;

/* The weights a stack's primitives share, one oneDNN memory each. */
enum { OD_WL, OD_WI, OD_WP, OD_WR, OD_B, OD_NW }; /* layer, iter, peephole, projection, bias */
static const int od_weight_arg[OD_NW] = {DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_WEIGHTS_PEEPHOLE,
                                         DNNL_ARG_WEIGHTS_PROJECTION, DNNL_ARG_BIAS};
/* oneDNN accepts format `any` for these; peephole and bias are always ldgo */
static const bool od_weight_any_ok[OD_NW] = {true, true, false, true, false};

typedef struct od_weight {
    dnnl_memory_desc_t md; /* plain, then the format every primitive of the stack uses; ndims 0 = unused */
    dnnl_memory_t mem;
    float *buf;            /* the plain copy, owned while mem wraps it */
} od_weight;

/* A stack: layers [first, first + L) as one oneDNN primitive of L layers.
 * oneDNN's weights_layer [L, 1, SLC, G, H] gives every layer of one primitive
 * the same input width SLC (and requires SLC == the output width when L > 1),
 * while TF's layer 0 reads I and the layers above read Hout.  So: one stack of
 * all layers when I == Hout, else layer 0 alone and layers 1..L-1 together. */
typedef struct od_stack {
    int first, L;
    int64_t slc;     /* input width of every layer in the stack */
    bool fixed;      /* weight formats chosen: later primitives must use exactly md */
    od_weight wt[OD_NW];
    od_prim enc;     /* T = E, src_iter zero */
    od_prim dec;     /* T = D, teacher forcing */
    od_prim step;    /* T = 1: greedy, and teacher forcing with per-step states */
} od_stack;

typedef enum { OD_ENC, OD_DEC, OD_STEP } od_phase;

typedef struct od_plan {
    ts_problem p;
    const ts_weights *w; /* for the greedy loop function */
    bool any;            /* weights in oneDNN's preferred format, else plain ldigo */
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    od_stack st[2];
    int nstacks;
    float *enc_out;       /* encoder dst_layer [E x B x Hout], discarded as TF does */
    float *mid;           /* two stacks: layer 0's output [max(E,D) x B x Hout], layer 1's input */
    float *h0, *c0;       /* encoder's final state [L x B x Hout], [L x B x H] */
    float *hp[2], *cp[2]; /* per-step state ping-pong (src and dst never alias) */
    float *x;             /* greedy: next input [B x I] */
    float *scratch;       /* user scratchpad shared by the primitives (run one at a time) */
    char detail[256];
} od_plan;

/* ---- errors ---- */

static int od_check(dnnl_status_t st, const char *what, ts_err *e)
{
    if (st == dnnl_success)
        return 0;
    if (st == dnnl_unimplemented) /* a shape or feature combination oneDNN 2.6 has no kernel for */
        return ts_fail(e, "unsupported: oneDNN " OD_VERSION " has no implementation for this problem (%s: %s)",
                       what, dnnl_status2str(st));
    return ts_fail(e, "onednn: %s failed: %s", what, dnnl_status2str(st));
}
#define OD_TRY(call, what)                        \
    do {                                          \
        if (od_check((call), (what), e))          \
            return -1;                            \
    } while (0)

/* ---- TF weights in oneDNN gate order ---- */

static const int lstm_block[4] = {0, 2, 1, 3}; /* oneDNN i,f,c~,o <- TF i,j,f,o */

float ts_od_tf_weight(const ts_problem *p, const ts_cell_weights *cw, int64_t k, int g, int64_t o)
{
    const int64_t H = p->H;
    switch (p->cell) {
    case TS_CELL_RNN: return cw->kernel[k * H + o];
    case TS_CELL_LSTM: return cw->kernel[k * 4 * H + lstm_block[g] * H + o];
    case TS_CELL_GRU: break;
    }
    if (g == 2) /* o: the candidate kernel */
        return cw->cand_kernel[k * H + o];
    return cw->kernel[k * 2 * H + (g == 0 ? H : 0) + o]; /* u = cols [H,2H), r = [0,H) */
}

float ts_od_tf_bias(const ts_problem *p, const ts_cell_weights *cw, int g, int64_t o)
{
    const int64_t H = p->H;
    switch (p->cell) {
    case TS_CELL_RNN: return cw->bias[o];
    case TS_CELL_LSTM: /* forget_bias is a run-time constant in TF: fold it in once here */
        return cw->bias[lstm_block[g] * H + o] + (g == 1 ? p->forget_bias : 0.0f);
    case TS_CELL_GRU: break;
    }
    return g == 2 ? cw->cand_bias[o] : cw->bias[(g == 0 ? H : 0) + o];
}

/* One layer's plain ldigo [rows][G][H] from TF rows [row0, row0 + rows). */
static void to_ldigo(const ts_problem *p, const ts_cell_weights *cw, int64_t row0, int64_t rows, float *dst)
{
    const int G = ts_cell_gates(p->cell);
    for (int64_t k = 0; k < rows; k++)
        for (int g = 0; g < G; g++)
            for (int64_t o = 0; o < p->H; o++)
                dst[(k * G + g) * p->H + o] = ts_od_tf_weight(p, cw, row0 + k, g, o);
}

/* One layer's bias ldgo [G][H]. */
static void to_ldgo(const ts_problem *p, const ts_cell_weights *cw, float *dst)
{
    const int G = ts_cell_gates(p->cell);
    for (int g = 0; g < G; g++)
        for (int64_t o = 0; o < p->H; o++)
            dst[g * p->H + o] = ts_od_tf_bias(p, cw, g, o);
}

/* One layer's peepholes ldgo [3][H]: oneDNN's peephole gates are i, f, o, and
 * like TF's LSTMCell its i and f read c_{t-1}, its o the new c_t. */
static void to_peephole(const ts_problem *p, const ts_cell_weights *cw, float *dst)
{
    const size_t H = (size_t)p->H;
    memcpy(dst, cw->w_i_diag, H * 4);
    memcpy(dst + H, cw->w_f_diag, H * 4);
    memcpy(dst + 2 * H, cw->w_o_diag, H * 4);
}

/* ---- descriptors ---- */

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag);
}

/* The plain descriptors of a stack's weights (peephole/projection only when used). */
static void weight_plain_mds(const ts_problem *p, od_stack *s)
{
    const int64_t G = ts_cell_gates(p->cell), L = s->L, Ho = ts_out_width(p);
    dnnl_dims_t dwl = {L, 1, s->slc, G, p->H}, dwi = {L, 1, Ho, G, p->H}, db = {L, 1, G, p->H};
    dnnl_dims_t dwp = {L, 1, 3, p->H}, dwr = {L, 1, p->H, p->P};
    md_tag(&s->wt[OD_WL].md, 5, dwl, dnnl_ldigo);
    md_tag(&s->wt[OD_WI].md, 5, dwi, dnnl_ldigo);
    md_tag(&s->wt[OD_B].md, 4, db, dnnl_ldgo);
    if (p->peep)
        md_tag(&s->wt[OD_WP].md, 4, dwp, dnnl_ldgo);
    if (p->P)
        md_tag(&s->wt[OD_WR].md, 4, dwr, dnnl_ldio);
}

/* The descriptor a primitive is created with: NULL when unused, `any` while
 * `onednn` lets the stack's first primitive choose, else the fixed format. */
static const dnnl_memory_desc_t *weight_req(const od_plan *op, const od_stack *s, int k, dnnl_memory_desc_t *tmp)
{
    const od_weight *wt = &s->wt[k];
    if (wt->md.ndims == 0)
        return NULL;
    if (s->fixed || !op->any || !od_weight_any_ok[k])
        return &wt->md;
    md_tag(tmp, wt->md.ndims, wt->md.dims, dnnl_format_tag_any);
    return tmp;
}

/* The RNN op descriptor of stack s over T steps; zero_iter: src_iter omitted (all zeros). */
static int rnn_desc(const od_plan *op, const od_stack *s, int64_t T, bool zero_iter, dnnl_rnn_desc_t *rd,
                    ts_err *e)
{
    const ts_problem *p = &op->p;
    const int64_t Ho = ts_out_width(p);
    dnnl_memory_desc_t sl, dl, sh, sc, w[OD_NW];
    const dnnl_memory_desc_t *wr[OD_NW];
    for (int k = 0; k < OD_NW; k++)
        wr[k] = weight_req(op, s, k, &w[k]);
    dnnl_dims_t dsl = {T, p->B, s->slc}, ddl = {T, p->B, Ho}, dsh = {s->L, 1, p->B, Ho}, dsc = {s->L, 1, p->B, p->H};
    md_tag(&sl, 3, dsl, dnnl_tnc);
    md_tag(&dl, 3, ddl, dnnl_tnc);
    md_tag(&sh, 4, dsh, dnnl_ldnc);
    md_tag(&sc, 4, dsc, dnnl_ldnc);
    const dnnl_memory_desc_t *sih = zero_iter ? NULL : &sh, *sic = zero_iter ? NULL : &sc;
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    const dnnl_prop_kind_t fwd = dnnl_forward_inference;
    dnnl_status_t st = dnnl_unimplemented;
    switch (p->cell) {
    case TS_CELL_RNN:
        st = dnnl_vanilla_rnn_forward_desc_init(rd, fwd, dnnl_eltwise_tanh, dir, &sl, sih, wr[OD_WL], wr[OD_WI],
                                                wr[OD_B], &dl, &sh, 0, 0.0f, 0.0f);
        break;
    case TS_CELL_GRU:
        st = dnnl_gru_forward_desc_init(rd, fwd, dir, &sl, sih, wr[OD_WL], wr[OD_WI], wr[OD_B], &dl, &sh, 0);
        break;
    case TS_CELL_LSTM: /* v3 with NULL peephole/projection is the plain LSTM */
        st = dnnl_lstm_forward_desc_init_v3(rd, fwd, dir, &sl, sih, sic, wr[OD_WL], wr[OD_WI], wr[OD_WP],
                                            wr[OD_WR], wr[OD_B], &dl, &sh, &sc, 0);
        break;
    }
    return od_check(st, "RNN descriptor", e);
}

/* ---- primitives ---- */

static int prim_mem(od_plan *op, od_prim *pr, int arg, dnnl_memory_t *m, ts_err *e)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pr->pd, dnnl_query_exec_arg_md, arg);
    if (!md || md->ndims == 0)
        return 0; /* argument not used (zero src_iter, no c for RNN/GRU, empty scratchpad) */
    OD_TRY(dnnl_memory_create(m, md, op->eng, arg == DNNL_ARG_SCRATCHPAD ? op->scratch : NULL), "memory creation");
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){arg, *m};
    return 0;
}

/* Bind every argument of pr: weights and scratchpad for good, data pointers
 * left unset (run binds them before every execution). */
static int prim_bind(od_plan *op, od_stack *s, od_prim *pr, ts_err *e)
{
    const struct { int arg; dnnl_memory_t *m; } a[] = {
        {DNNL_ARG_SRC_LAYER, &pr->src_layer}, {DNNL_ARG_SRC_ITER, &pr->src_iter},
        {DNNL_ARG_SRC_ITER_C, &pr->src_iter_c}, {DNNL_ARG_DST_LAYER, &pr->dst_layer},
        {DNNL_ARG_DST_ITER, &pr->dst_iter}, {DNNL_ARG_DST_ITER_C, &pr->dst_iter_c},
        {DNNL_ARG_SCRATCHPAD, &pr->scratch},
    };
    for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
        if (prim_mem(op, pr, a[k].arg, a[k].m, e))
            return -1;
    for (int k = 0; k < OD_NW; k++)
        if (s->wt[k].mem)
            pr->args[pr->nargs++] = (dnnl_exec_arg_t){od_weight_arg[k], s->wt[k].mem};
    return 0;
}

/* Primitive descriptor over T steps with a user scratchpad (allocated in prepare). */
static int prim_pd(od_plan *op, od_stack *s, od_prim *pr, int64_t T, bool zero_iter, ts_err *e)
{
    dnnl_rnn_desc_t rd;
    if (rnn_desc(op, s, T, zero_iter, &rd, e))
        return -1;
    dnnl_primitive_attr_t attr;
    OD_TRY(dnnl_primitive_attr_create(&attr), "attribute creation");
    dnnl_status_t st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&pr->pd, &rd, attr, op->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    pr->T = T;
    return od_check(st, "RNN primitive descriptor", e);
}

static size_t scratch_bytes(const od_prim *pr)
{
    return pr->pd ? dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pr->pd, dnnl_query_scratchpad_md, 0))
                  : 0;
}

static void prim_free(od_prim *pr)
{
    dnnl_memory_t *m[] = {&pr->src_layer, &pr->src_iter, &pr->src_iter_c, &pr->dst_layer,
                          &pr->dst_iter, &pr->dst_iter_c, &pr->scratch};
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
        if (*m[k])
            dnnl_memory_destroy(*m[k]);
    if (pr->prim)
        dnnl_primitive_destroy(pr->prim);
    if (pr->pd)
        dnnl_primitive_desc_destroy(pr->pd);
    memset(pr, 0, sizeof *pr);
}

static od_prim *phase_prim(od_stack *s, od_phase ph)
{
    return ph == OD_ENC ? &s->enc : ph == OD_DEC ? &s->dec : &s->step;
}

/* ---- weights ---- */

/* Fill the plain buffers of a stack from TF's per-layer weights. */
static void weights_fill(const ts_problem *p, const ts_weights *w, od_stack *s)
{
    const int64_t G = ts_cell_gates(p->cell), H = p->H, Ho = ts_out_width(p);
    for (int l = 0; l < s->L; l++) {
        const ts_cell_weights *cw = &w->cell[s->first + l];
        to_ldigo(p, cw, 0, s->slc, s->wt[OD_WL].buf + l * s->slc * G * H);
        to_ldigo(p, cw, s->slc, Ho, s->wt[OD_WI].buf + l * Ho * G * H);
        to_ldgo(p, cw, s->wt[OD_B].buf + l * G * H);
        if (p->peep)
            to_peephole(p, cw, s->wt[OD_WP].buf + l * 3 * H);
        if (p->P) /* TF's projection/kernel [H x P] is ldio [H][P] as it is */
            memcpy(s->wt[OD_WR].buf + l * H * p->P, cw->proj_kernel, (size_t)(H * p->P) * 4);
    }
}

/* Plain copies of the stack's TF weights, wrapped as oneDNN memories. */
static int weights_plain(od_plan *op, od_stack *s, const ts_weights *w, ts_err *e)
{
    weight_plain_mds(&op->p, s);
    for (int k = 0; k < OD_NW; k++) {
        od_weight *wt = &s->wt[k];
        if (wt->md.ndims == 0)
            continue;
        if (!(wt->buf = ts_alloc(dnnl_memory_desc_get_size(&wt->md))))
            return ts_fail(e, "onednn: out of memory for weights");
    }
    weights_fill(&op->p, w, s);
    for (int k = 0; k < OD_NW; k++)
        if (s->wt[k].buf)
            OD_TRY(dnnl_memory_create(&s->wt[k].mem, &s->wt[k].md, op->eng, s->wt[k].buf), "weights memory");
    return 0;
}

/* One reorder from plain src into a new memory of format md (memory owns its buffer). */
static int reorder_into(od_plan *op, dnnl_memory_t src, const dnnl_memory_desc_t *md, dnnl_memory_t *dst,
                        ts_err *e)
{
    const dnnl_memory_desc_t *smd;
    OD_TRY(dnnl_memory_get_memory_desc(src, &smd), "memory query");
    OD_TRY(dnnl_memory_create(dst, md, op->eng, DNNL_MEMORY_ALLOCATE), "weights memory");
    dnnl_primitive_desc_t rpd;
    OD_TRY(dnnl_reorder_primitive_desc_create(&rpd, smd, op->eng, md, op->eng, NULL), "weights reorder");
    dnnl_primitive_t r;
    dnnl_status_t s = dnnl_primitive_create(&r, rpd);
    dnnl_primitive_desc_destroy(rpd);
    OD_TRY(s, "weights reorder");
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, *dst}};
    s = dnnl_primitive_execute(r, op->stream, 2, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(op->stream);
    dnnl_primitive_destroy(r);
    return od_check(s, "weights reorder", e);
}

/* Reorder weight k of a stack into the format its encoder chose; the plain copy goes. */
static int weight_adopt(od_plan *op, od_stack *s, int k, ts_err *e)
{
    od_weight *wt = &s->wt[k];
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(s->enc.pd, dnnl_query_exec_arg_md,
                                                                    od_weight_arg[k]);
    if (!chosen || chosen->ndims == 0)
        return ts_fail(e, "onednn: the encoder primitive reports no format for weights %d", k);
    dnnl_memory_t packed = NULL;
    if (reorder_into(op, wt->mem, chosen, &packed, e)) {
        if (packed)
            dnnl_memory_destroy(packed);
        return -1;
    }
    dnnl_memory_destroy(wt->mem);
    ts_free(wt->buf);
    wt->buf = NULL;
    wt->mem = packed;
    wt->md = *chosen;
    return 0;
}

/* The stack's one weight memory set: its encoder's primitive (created here)
 * picks the format (`any`) and every later primitive of the stack is created
 * with exactly that format. */
static int weights_and_encoder(od_plan *op, od_stack *s, const ts_weights *w, ts_err *e)
{
    if (weights_plain(op, s, w, e) || prim_pd(op, s, &s->enc, op->p.E, true, e))
        return -1;
    for (int k = 0; op->any && k < OD_NW; k++)
        if (s->wt[k].mem && od_weight_any_ok[k] && weight_adopt(op, s, k, e))
            return -1;
    s->fixed = true;
    return 0;
}

static void weights_free(od_stack *s)
{
    for (int k = 0; k < OD_NW; k++) {
        if (s->wt[k].mem)
            dnnl_memory_destroy(s->wt[k].mem);
        ts_free(s->wt[k].buf);
    }
    memset(s->wt, 0, sizeof s->wt);
}

/* ---- detail: impl names and weight format ---- */

/* A blocked md as a oneDNN-style tag: outer dims by decreasing stride, blocked
 * ones upper-case, then the inner blocks ("ldgOi32o"); dims named by `letters`. */
static void format_name(const dnnl_memory_desc_t *md, const char *letters, char *buf, size_t n)
{
    if (md->format_kind == dnnl_format_kind_rnn_packed) {
        snprintf(buf, n, "rnn_packed");
        return;
    }
    const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
    int order[DNNL_MAX_NDIMS], nd = md->ndims;
    bool blocked[DNNL_MAX_NDIMS] = {0};
    for (int k = 0; k < bd->inner_nblks; k++)
        blocked[bd->inner_idxs[k]] = true;
    for (int k = 0; k < nd; k++) { /* stable insertion sort by decreasing stride */
        int j = k;
        for (; j > 0 && bd->strides[order[j - 1]] < bd->strides[k]; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    size_t used = 0;
    for (int k = 0; k < nd && used + 1 < n; k++) {
        char c = letters[order[k]];
        buf[used++] = blocked[order[k]] ? (char)(c - 'a' + 'A') : c;
    }
    buf[used] = '\0';
    for (int k = 0; k < bd->inner_nblks && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, "%lld%c", (long long)bd->inner_blks[k],
                                 letters[bd->inner_idxs[k]]);
}

static const char *impl_name(const od_prim *pr)
{
    const char *s = NULL;
    if (!pr->pd || dnnl_primitive_desc_query(pr->pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success)
        return NULL;
    return s;
}

/* True when every primitive of every stack has implementation `name`. */
static bool all_impls_are(od_plan *op, const char *name)
{
    for (int k = 0; k < op->nstacks; k++)
        for (od_phase ph = OD_ENC; ph <= OD_STEP; ph++) {
            const char *n = impl_name(phase_prim(&op->st[k], ph));
            if (n && strcmp(n, name))
                return false;
        }
    return true;
}

/* "brgemm; weights ldgOi32o/ldgOi32o[, proj ...][; layers 1+3]" */
static void make_detail(od_plan *op)
{
    od_stack *s = &op->st[0];
    char wl[48], wi[48], wr[48] = "";
    format_name(&s->wt[OD_WL].md, "ldigo", wl, sizeof wl);
    format_name(&s->wt[OD_WI].md, "ldigo", wi, sizeof wi);
    if (s->wt[OD_WR].md.ndims)
        format_name(&s->wt[OD_WR].md, "ldio", wr, sizeof wr);
    const char *ie = impl_name(&s->enc), *id = impl_name(&s->dec), *is = impl_name(&s->step);
    size_t n = sizeof op->detail, k;
    if (all_impls_are(op, ie))
        k = (size_t)snprintf(op->detail, n, "%s", ie);
    else
        k = (size_t)snprintf(op->detail, n, "enc %s%s%s%s%s", ie, id ? ", dec " : "", id ? id : "",
                             is ? ", step " : "", is ? is : "");
    if (k < n)
        k += (size_t)snprintf(op->detail + k, n - k, "; weights %s/%s%s%s", wl, wi, *wr ? ", proj " : "", wr);
    if (k < n && op->nstacks == 2)
        snprintf(op->detail + k, n - k, "; layers 1+%d", op->st[1].L);
}

/* ---- execution ---- */

static void set_ptr(dnnl_memory_t m, const void *ptr)
{
    if (m) /* oneDNN only reads sources; its API takes void * for both */
        dnnl_memory_set_data_handle(m, (void *)ptr);
}

static int exec(od_plan *op, od_prim *pr)
{
    dnnl_status_t s = dnnl_primitive_execute(pr->prim, op->stream, pr->nargs, pr->args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(op->stream);
    return s == dnnl_success ? 0 : -1;
}

/* One phase through every layer: stack 1 reads stack 0's output (op->mid).
 * x [T x B x I] in, y [T x B x Hout] out; h, c [L x B x ·] the state before
 * (NULL: zero, the encoder), nh, nc the state after; each stack uses its slice. */
static int exec_layers(od_plan *op, od_phase ph, const float *x, const float *h, const float *c, float *y,
                       float *nh, float *nc)
{
    const int64_t BO = op->p.B * ts_out_width(&op->p), BH = op->p.B * op->p.H;
    for (int k = 0; k < op->nstacks; k++) {
        od_stack *s = &op->st[k];
        od_prim *pr = phase_prim(s, ph);
        set_ptr(pr->src_layer, k == 0 ? x : op->mid);
        set_ptr(pr->dst_layer, k == op->nstacks - 1 ? y : op->mid);
        set_ptr(pr->src_iter, h ? h + s->first * BO : NULL);
        set_ptr(pr->src_iter_c, c ? c + s->first * BH : NULL);
        set_ptr(pr->dst_iter, nh + s->first * BO);
        set_ptr(pr->dst_iter_c, nc + s->first * BH);
        if (exec(op, pr))
            return -1;
    }
    return 0;
}

/* Greedy: the input of decoder step i (the GO input at step 0, else the loop
 * function on the previous output); NULL when the loop function fails (*rc). */
static const float *greedy_input(od_plan *op, const ts_inputs *in, ts_outputs *out, int64_t i, int *rc)
{
    const ts_problem *p = &op->p;
    if (i == 0) {
        for (int64_t b = 0; out->symbols && b < p->B; b++)
            out->symbols[b] = -1; /* step 0 takes the GO input */
        return in->dec;
    }
    const size_t BO = (size_t)(p->B * ts_out_width(p));
    int32_t *sym = out->symbols ? out->symbols + i * p->B : NULL;
    *rc = ts_loop_call(p, op->w, in, i, out->out + (i - 1) * BO, op->x, sym);
    return *rc ? NULL : op->x;
}

/* Decoder one step at a time: greedy (the loop function between steps), or
 * teacher forcing when per-step states are wanted (each step's state is
 * written straight into states_h/states_c). */
static int decode_steps(od_plan *op, const ts_inputs *in, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const size_t L = (size_t)p->layers, BO = (size_t)(p->B * ts_out_width(p)), BH = (size_t)(p->B * p->H);
    const size_t BI = (size_t)(p->B * p->I);
    const bool lstm = p->cell == TS_CELL_LSTM;
    const float *h = op->h0, *c = op->c0;
    for (int64_t i = 0; i < p->D; i++) {
        const float *x = in->dec + i * BI;
        int rc = 0;
        if (p->feed == TS_FEED_GREEDY && !(x = greedy_input(op, in, out, i, &rc)))
            return rc;
        float *nh = out->states_h ? out->states_h + i * L * BO : op->hp[i & 1];
        float *nc = out->states_c && lstm ? out->states_c + i * L * BH : op->cp[i & 1];
        if (exec_layers(op, OD_STEP, x, h, c, out->out + i * BO, nh, nc))
            return -1;
        h = nh, c = nc;
    }
    memcpy(out->h, h, L * BO * 4);
    if (out->c && lstm)
        memcpy(out->c, c, L * BH * 4);
    return 0;
}

static int forward(od_plan *op, const ts_inputs *in, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const size_t L = (size_t)p->layers, BO = (size_t)(p->B * ts_out_width(p)), BH = (size_t)(p->B * p->H);
    const bool lstm = p->cell == TS_CELL_LSTM;
    if (exec_layers(op, OD_ENC, in->enc, NULL, NULL, op->enc_out, op->h0, op->c0))
        return -1;
    if (p->D == 0) { /* TF returns the encoder's final state */
        memcpy(out->h, op->h0, L * BO * 4);
        if (out->c && lstm)
            memcpy(out->c, op->c0, L * BH * 4);
        return 0;
    }
    /* oneDNN returns only the final state of a D-step execution: per-step c,
     * and per-step h of layers below the top (a one-layer h is its output) */
    bool per_step = p->feed == TS_FEED_GREEDY || (lstm && out->states_c) || (L > 1 && out->states_h);
    if (per_step)
        return decode_steps(op, in, out);
    float *nc = out->c && lstm ? out->c : op->cp[0];
    if (exec_layers(op, OD_DEC, in->dec, op->h0, op->c0, out->out, out->h, nc))
        return -1;
    if (out->states_h) /* one layer, no residual: its output is its h */
        memcpy(out->states_h, out->out, (size_t)p->D * BO * 4);
    return 0;
}

static int od_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    od_plan *op = plan;
    int saved = omp_get_max_threads();
    omp_set_num_threads(op->p.threads);
    int rc = forward(op, in, out);
    omp_set_num_threads(saved);
    return rc;
}

/* ---- prepare / release ---- */

static void od_release(ts_plan *plan)
{
    od_plan *op = plan;
    if (!op)
        return;
    for (int k = 0; k < 2; k++) {
        prim_free(&op->st[k].enc), prim_free(&op->st[k].dec), prim_free(&op->st[k].step);
        weights_free(&op->st[k]);
    }
    if (op->stream)
        dnnl_stream_destroy(op->stream);
    if (op->eng)
        dnnl_engine_destroy(op->eng);
    float *bufs[] = {op->enc_out, op->mid, op->h0, op->c0, op->hp[0], op->hp[1], op->cp[0], op->cp[1],
                     op->x, op->scratch};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++)
        ts_free(bufs[k]);
    free(op);
}

static int alloc_state(od_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    const size_t L = (size_t)p->layers, BO = (size_t)(p->B * ts_out_width(p)) * 4, BH = (size_t)(p->B * p->H) * 4;
    const size_t T = (size_t)(p->E > p->D ? p->E : p->D);
    op->enc_out = ts_alloc((size_t)p->E * BO);
    op->mid = op->nstacks == 2 ? ts_alloc(T * BO) : NULL;
    op->h0 = ts_alloc(L * BO), op->c0 = ts_alloc(L * BH);
    op->hp[0] = ts_alloc(L * BO), op->hp[1] = ts_alloc(L * BO);
    op->cp[0] = ts_alloc(L * BH), op->cp[1] = ts_alloc(L * BH);
    op->x = ts_alloc((size_t)(p->B * p->I) * 4);
    if (!op->enc_out || (op->nstacks == 2 && !op->mid) || !op->h0 || !op->c0 || !op->hp[0] || !op->hp[1] ||
        !op->cp[0] || !op->cp[1] || !op->x)
        return ts_fail(e, "onednn: out of memory for state buffers");
    return 0;
}

/* Split the layers into stacks of equal input width (see od_stack). */
static void plan_stacks(od_plan *op)
{
    const ts_problem *p = &op->p;
    const int64_t Ho = ts_out_width(p);
    op->nstacks = p->layers > 1 && p->I != Ho ? 2 : 1;
    op->st[0] = (od_stack){.first = 0, .L = op->nstacks == 2 ? 1 : p->layers, .slc = p->I};
    if (op->nstacks == 2)
        op->st[1] = (od_stack){.first = 1, .L = p->layers - 1, .slc = Ho};
}

/* The decoder primitives of stack s (its encoder already has its pd). */
static int stack_decoder_pds(od_plan *op, od_stack *s, ts_err *e)
{
    const ts_problem *p = &op->p;
    bool teacher = p->D > 0 && p->feed == TS_FEED_TEACHER;
    /* per-step teacher forcing when states are asked for that one execution cannot return */
    bool steps = p->D > 0 && (p->feed == TS_FEED_GREEDY || p->cell == TS_CELL_LSTM || p->layers > 1);
    if (teacher && prim_pd(op, s, &s->dec, p->D, false, e))
        return -1;
    return steps ? prim_pd(op, s, &s->step, 1, false, e) : 0;
}

/* Every primitive of every stack, one shared scratchpad, arguments bound. */
static int build_prims(od_plan *op, ts_err *e)
{
    size_t need = 0;
    for (int k = 0; k < op->nstacks; k++) {
        if (stack_decoder_pds(op, &op->st[k], e))
            return -1;
        for (od_phase ph = OD_ENC; ph <= OD_STEP; ph++) {
            size_t b = scratch_bytes(phase_prim(&op->st[k], ph));
            need = b > need ? b : need;
        }
    }
    if (need && !(op->scratch = ts_alloc(need)))
        return ts_fail(e, "onednn: out of memory for the scratchpad (%zu bytes)", need);
    for (int k = 0; k < op->nstacks; k++)
        for (od_phase ph = OD_ENC; ph <= OD_STEP; ph++) {
            od_prim *pr = phase_prim(&op->st[k], ph);
            if (!pr->pd)
                continue;
            OD_TRY(dnnl_primitive_create(&pr->prim, pr->pd), "RNN primitive creation");
            if (prim_bind(op, &op->st[k], pr, e))
                return -1;
        }
    return 0;
}

/* Execute each primitive once on zeros: JIT, first touch and thread start-up
 * are paid here, untimed. */
static int warm_up(od_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    const int64_t T = p->E > p->D ? p->E : p->D, Ho = ts_out_width(p);
    float *xs = ts_alloc((size_t)(T * p->B * p->I) * 4), *ys = ts_alloc((size_t)(T * p->B * Ho) * 4);
    if (!xs || !ys) {
        ts_free(xs), ts_free(ys);
        return ts_fail(e, "onednn: out of memory for the warm-up");
    }
    int rc = exec_layers(op, OD_ENC, xs, NULL, NULL, ys, op->h0, op->c0);
    if (!rc && op->st[0].dec.prim)
        rc = exec_layers(op, OD_DEC, xs, op->h0, op->c0, ys, op->hp[0], op->cp[0]);
    if (!rc && op->st[0].step.prim)
        rc = exec_layers(op, OD_STEP, xs, op->h0, op->c0, ys, op->hp[0], op->cp[0]);
    ts_free(xs), ts_free(ys);
    return rc ? ts_fail(e, "onednn: warm-up execution failed") : 0;
}

static int build(od_plan *op, const ts_weights *w, ts_err *e)
{
    OD_TRY(dnnl_engine_create(&op->eng, dnnl_cpu, 0), "CPU engine creation");
    OD_TRY(dnnl_stream_create(&op->stream, op->eng, dnnl_stream_default_flags), "stream creation");
    plan_stacks(op);
    if (alloc_state(op, e))
        return -1;
    for (int k = 0; k < op->nstacks; k++)
        if (weights_and_encoder(op, &op->st[k], w, e))
            return -1;
    if (build_prims(op, e) || warm_up(op, e))
        return -1;
    make_detail(op);
    return 0;
}

/* What a oneDNN variant's .impl points to: the weight format it asks for. */
typedef struct od_format {
    bool any; /* oneDNN's preferred format (reordered once, untimed), else plain ldigo */
} od_format;
static const od_format od_format_any = {true}, od_format_ldigo = {false};

static int od_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    const bool any = ((const od_format *)impl)->any;
    od_plan *op = calloc(1, sizeof *op);
    if (!op)
        return ts_fail(e, "onednn: out of memory");
    op->p = *p;
    op->w = w;
    op->any = any;
    int saved = omp_get_max_threads(); /* create under the count run executes with */
    omp_set_num_threads(p->threads);
    int rc = build(op, w, e);
    omp_set_num_threads(saved);
    if (rc) {
        od_release(op);
        return -1;
    }
    *plan = op;
    return 0;
}

/* ---- supports ---- */

/* Model features with no oneDNN 2.6 counterpart: the reason, or NULL. */
static const char *od_missing_feature(const ts_problem *p)
{
    if (p->has_cell_clip)
        return "unsupported: cell_clip (clip): oneDNN " OD_VERSION "'s LSTM has no cell-state clipping";
    if (p->has_proj_clip)
        return "unsupported: proj_clip (pclip): oneDNN " OD_VERSION "'s projection LSTM has no output clipping";
    if (p->res_from)
        return "unsupported: residual layers (res): oneDNN " OD_VERSION
               "'s RNN primitive has no residual connection between its layers";
    return NULL;
}

/* a * b * c ... <= INT_MAX, without overflowing int64 on the way */
static bool fits_int(int n, const int64_t *f)
{
    int64_t acc = 1;
    for (int k = 0; k < n; k++)
        if (__builtin_mul_overflow(acc, f[k], &acc) || acc > INT_MAX)
            return false;
    return true;
}

/* oneDNN 2.6's RNN code indexes its buffers with 32-bit int: the states
 * workspace (L+1)(T+1)·B·width, and a stack's weights L·(SLC+Hout)·G·H and L·H·P. */
static bool od_index_ok(const ts_problem *p)
{
    const int64_t G = ts_cell_gates(p->cell), Ho = ts_out_width(p), L = p->layers;
    const int64_t T = p->E > p->D ? p->E : p->D;
    int64_t wide = p->I > G * p->H ? p->I : G * p->H;
    wide = wide > Ho ? wide : Ho;
    const int64_t slc = p->I > Ho ? p->I : Ho;
    const int64_t ws[] = {L + 1, T + 1, p->B, wide}, wts[] = {L, slc + Ho, G, p->H}, wr[] = {L, p->H, p->P};
    return fits_int(4, ws) && fits_int(4, wts) && fits_int(3, wr);
}

static bool od_supports(const ts_problem *p, char *why, size_t n)
{
    const char *missing = od_missing_feature(p);
    if (missing) {
        snprintf(why, n, "%s", missing);
        return false;
    }
    if (!od_index_ok(p)) {
        snprintf(why, n, "oneDNN 2.6 RNN indexes with 32-bit int: (L+1)*(steps+1)*B*max(I, G*H, Hout), "
                         "L*(max(I,Hout)+Hout)*G*H and L*H*P must stay below 2^31");
        return false;
    }
    return true;
}

static const char *od_detail(const ts_plan *plan)
{
    return ((const od_plan *)plan)->detail;
}

const ts_variant ts_variant_onednn = {
    .name = "onednn",
    .summary = "oneDNN " OD_VERSION " RNN primitives, weights in its preferred format (any)",
    .isa = 0,
    .supports = od_supports,
    .impl = &od_format_any,
    .prepare = od_prepare,
    .run = od_run,
    .release = od_release,
    .detail = od_detail,
};

const ts_variant ts_variant_onednn_ldigo = {
    .name = "onednn-ldigo",
    .summary = "oneDNN " OD_VERSION " RNN primitives, plain ldigo weights",
    .isa = 0,
    .supports = od_supports,
    .impl = &od_format_ldigo,
    .prepare = od_prepare,
    .run = od_run,
    .release = od_release,
    .detail = od_detail,
};
