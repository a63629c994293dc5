/* onednn, onednn-ldigo: the tied seq2seq through oneDNN's RNN primitives (v2 C
 * API, Debian's 2.6), the independent second implementation of DESIGN.md §6.
 * Mapping (docs/onednn.md, "Mapping"): RNN = vanilla
 * RNN with tanh; LSTM gates i,f,c~,o from TF blocks 0,2,1,3 with forget_bias
 * folded into the f bias; GRU = oneDNN's vanilla (not linear-before-reset) GRU,
 * gates u,r,o from TF's gates columns [H,2H), [0,H) and the candidate kernel.
 *
 * prepare converts the weights once (to plain ldigo, then for `onednn` into the
 * format oneDNN prefers), creates every primitive, memory and the scratchpad
 * under the problem's thread count, and executes each primitive once so the
 * first timed run pays no JIT or first-touch cost.  run only binds data
 * pointers and executes: the encoder once over E steps, the teacher-forced
 * decoder once over D steps; greedy decoding (and LSTM teacher forcing when
 * per-step c is asked for, which oneDNN does not return) one step at a time.
 *
 * Threads: Debian's oneDNN uses gcc's libgomp and sizes its parallel regions by
 * omp_get_max_threads() of the calling thread.  That ICV is per thread in
 * libgomp, so prepare and run set it to p->threads and restore the caller's
 * value before returning: the problem's thread count reaches oneDNN, nothing
 * leaks.  Creation must see the same count as execution: oneDNN sizes per-thread
 * scratch and keys its primitive cache on the thread count at creation. */
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
    dnnl_exec_arg_t args[12];
    int nargs;
} od_prim;

typedef struct od_plan {
    ts_problem p;
    const ts_weights *w; /* for the greedy loop function */
    bool any;            /* weights in oneDNN's preferred format, else plain ldigo */
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_memory_desc_t wl_md, wi_md, b_md; /* the one weight format all primitives share */
    dnnl_memory_t wl, wi, b;
    float *wl_buf, *wi_buf, *b_buf;
    od_prim enc;  /* T = E, src_iter zero */
    od_prim dec;  /* T = D, teacher forcing */
    od_prim step; /* T = 1: greedy, and LSTM teacher forcing with per-step c */
    float *enc_out;     /* encoder dst_layer [E x B x H], discarded as TF does */
    float *h0, *c0;     /* encoder's final state */
    float *hp[2], *cp[2]; /* per-step state ping-pong (src and dst never alias) */
    float *x;           /* greedy: next input [B x I] */
    float *scratch;     /* user scratchpad shared by the primitives (run one at a time) */
    char detail[160];
} od_plan;

/* ---- errors ---- */

static int od_check(dnnl_status_t st, const char *what, ts_err *e)
{
    if (st == dnnl_success)
        return 0;
    return ts_fail(e, "onednn: %s failed: %s", what, dnnl_status2str(st));
}
#define OD_TRY(call, what)                        \
    do {                                          \
        if (od_check((call), (what), e))          \
            return -1;                            \
    } while (0)

/* ---- TF weights in oneDNN gate order ---- */

static const int lstm_block[4] = {0, 2, 1, 3}; /* oneDNN i,f,c~,o <- TF i,j,f,o */

/* The TF kernel element feeding oneDNN gate g, output o, from input row k
 * (rows [0, I) are inputs, [I, I+H) the state). */
static float tf_weight(const ts_problem *p, const ts_weights *w, int64_t k, int g, int64_t o)
{
    const int64_t H = p->H;
    switch (p->cell) {
    case TS_CELL_RNN: return w->cell[0].kernel[k * H + o];
    case TS_CELL_LSTM: return w->cell[0].kernel[k * 4 * H + lstm_block[g] * H + o];
    case TS_CELL_GRU: break;
    }
    if (g == 2) /* o: the candidate kernel */
        return w->cell[0].cand_kernel[k * H + o];
    return w->cell[0].kernel[k * 2 * H + (g == 0 ? H : 0) + o]; /* u = cols [H,2H), r = [0,H) */
}

static float tf_bias(const ts_problem *p, const ts_weights *w, int g, int64_t o)
{
    const int64_t H = p->H;
    switch (p->cell) {
    case TS_CELL_RNN: return w->cell[0].bias[o];
    case TS_CELL_LSTM: /* forget_bias is a run-time constant in TF: fold it in once here */
        return w->cell[0].bias[lstm_block[g] * H + o] + (g == 1 ? p->forget_bias : 0.0f);
    case TS_CELL_GRU: break;
    }
    return g == 2 ? w->cell[0].cand_bias[o] : w->cell[0].bias[(g == 0 ? H : 0) + o];
}

/* Plain ldigo [rows][G][H] from TF rows [row0, row0 + rows); bias ldgo [G][H]. */
static void to_ldigo(const ts_problem *p, const ts_weights *w, int64_t row0, int64_t rows, float *dst)
{
    const int G = ts_cell_gates(p->cell);
    for (int64_t k = 0; k < rows; k++)
        for (int g = 0; g < G; g++)
            for (int64_t o = 0; o < p->H; o++)
                dst[(k * G + g) * p->H + o] = tf_weight(p, w, row0 + k, g, o);
}

static void to_ldgo(const ts_problem *p, const ts_weights *w, float *dst)
{
    const int G = ts_cell_gates(p->cell);
    for (int g = 0; g < G; g++)
        for (int64_t o = 0; o < p->H; o++)
            dst[g * p->H + o] = tf_bias(p, w, g, o);
}

/* ---- descriptors ---- */

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag);
}

/* Weight descriptors before the format is chosen: `any` or plain ldigo. */
static void weight_mds(const ts_problem *p, bool any, dnnl_memory_desc_t *wl, dnnl_memory_desc_t *wi,
                       dnnl_memory_desc_t *b)
{
    const int64_t G = ts_cell_gates(p->cell);
    dnnl_dims_t dwl = {1, 1, p->I, G, p->H}, dwi = {1, 1, p->H, G, p->H}, db = {1, 1, G, p->H};
    md_tag(wl, 5, dwl, any ? dnnl_format_tag_any : dnnl_ldigo);
    md_tag(wi, 5, dwi, any ? dnnl_format_tag_any : dnnl_ldigo);
    md_tag(b, 4, db, dnnl_ldgo);
}

/* The RNN op descriptor over T steps; zero_iter: src_iter omitted (all zeros). */
static int rnn_desc(const od_plan *op, int64_t T, bool zero_iter, dnnl_rnn_desc_t *rd, ts_err *e)
{
    const ts_problem *p = &op->p;
    dnnl_memory_desc_t sl, dl, st, *si = zero_iter ? NULL : &st;
    dnnl_dims_t dsl = {T, p->B, p->I}, ddl = {T, p->B, p->H}, dst = {1, 1, p->B, p->H};
    md_tag(&sl, 3, dsl, dnnl_tnc);
    md_tag(&dl, 3, ddl, dnnl_tnc);
    md_tag(&st, 4, dst, dnnl_ldnc);
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    const dnnl_prop_kind_t fwd = dnnl_forward_inference;
    dnnl_status_t s = dnnl_unimplemented;
    switch (p->cell) {
    case TS_CELL_RNN:
        s = dnnl_vanilla_rnn_forward_desc_init(rd, fwd, dnnl_eltwise_tanh, dir, &sl, si, &op->wl_md,
                                               &op->wi_md, &op->b_md, &dl, &st, 0, 0.0f, 0.0f);
        break;
    case TS_CELL_GRU:
        s = dnnl_gru_forward_desc_init(rd, fwd, dir, &sl, si, &op->wl_md, &op->wi_md, &op->b_md, &dl, &st, 0);
        break;
    case TS_CELL_LSTM:
        s = dnnl_lstm_forward_desc_init(rd, fwd, dir, &sl, si, si, &op->wl_md, &op->wi_md, &op->b_md, &dl,
                                        &st, &st, 0);
        break;
    }
    return od_check(s, "RNN descriptor", e);
}

/* ---- primitives ---- */

static int prim_mem(od_plan *op, od_prim *pr, dnnl_query_t q, int idx, int arg, dnnl_memory_t *m,
                    void *handle, ts_err *e)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pr->pd, q, idx);
    if (!md || md->ndims == 0)
        return 0; /* argument not used (zero src_iter, no c for RNN/GRU, empty scratchpad) */
    OD_TRY(dnnl_memory_create(m, md, op->eng, handle), "memory creation");
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){arg, *m};
    return 0;
}

/* Bind every argument of pr: weights and scratchpad for good, data pointers
 * left unset (run binds them) except the fixed ones given here. */
static int prim_bind(od_plan *op, od_prim *pr, float *dst_iter, float *dst_iter_c, ts_err *e)
{
    const struct { dnnl_query_t q; int idx, arg; dnnl_memory_t *m; void *h; } a[] = {
        {dnnl_query_src_md, 0, DNNL_ARG_SRC_LAYER, &pr->src_layer, NULL},
        {dnnl_query_src_md, 1, DNNL_ARG_SRC_ITER, &pr->src_iter, op->h0},
        {dnnl_query_src_md, 2, DNNL_ARG_SRC_ITER_C, &pr->src_iter_c, op->c0},
        {dnnl_query_dst_md, 0, DNNL_ARG_DST_LAYER, &pr->dst_layer, pr == &op->enc ? op->enc_out : NULL},
        {dnnl_query_dst_md, 1, DNNL_ARG_DST_ITER, &pr->dst_iter, dst_iter},
        {dnnl_query_dst_md, 2, DNNL_ARG_DST_ITER_C, &pr->dst_iter_c, dst_iter_c},
        {dnnl_query_scratchpad_md, 0, DNNL_ARG_SCRATCHPAD, &pr->scratch, op->scratch},
    };
    for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
        if (prim_mem(op, pr, a[k].q, a[k].idx, a[k].arg, a[k].m, a[k].h, e))
            return -1;
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, op->wl};
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, op->wi};
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, op->b};
    return 0;
}

/* Primitive descriptor over T steps with a user scratchpad (allocated in prepare). */
static int prim_pd(od_plan *op, od_prim *pr, int64_t T, bool zero_iter, ts_err *e)
{
    dnnl_rnn_desc_t rd;
    if (rnn_desc(op, T, zero_iter, &rd, e))
        return -1;
    dnnl_primitive_attr_t attr;
    OD_TRY(dnnl_primitive_attr_create(&attr), "attribute creation");
    dnnl_status_t s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&pr->pd, &rd, attr, op->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    pr->T = T;
    return od_check(s, "RNN primitive descriptor", e);
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

/* ---- weights ---- */

/* Plain ldigo/ldgo copies of the TF weights, wrapped as oneDNN memories. */
static int weights_plain(od_plan *op, dnnl_memory_t *wl, dnnl_memory_t *wi, const ts_weights *w, ts_err *e)
{
    const ts_problem *p = &op->p;
    const size_t G = (size_t)ts_cell_gates(p->cell), H = (size_t)p->H;
    op->wl_buf = ts_alloc((size_t)p->I * G * H * 4);
    op->wi_buf = ts_alloc(H * G * H * 4);
    op->b_buf = ts_alloc(G * H * 4);
    if (!op->wl_buf || !op->wi_buf || !op->b_buf)
        return ts_fail(e, "onednn: out of memory for weights");
    to_ldigo(p, w, 0, p->I, op->wl_buf);
    to_ldigo(p, w, p->I, p->H, op->wi_buf);
    to_ldgo(p, w, op->b_buf);
    dnnl_memory_desc_t wl_md, wi_md;
    weight_mds(p, false, &wl_md, &wi_md, &op->b_md);
    OD_TRY(dnnl_memory_create(wl, &wl_md, op->eng, op->wl_buf), "weights memory");
    OD_TRY(dnnl_memory_create(wi, &wi_md, op->eng, op->wi_buf), "weights memory");
    OD_TRY(dnnl_memory_create(&op->b, &op->b_md, op->eng, op->b_buf), "bias memory");
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

/* The one weight memory set: the encoder's primitive (created here) picks the
 * format (`any`) and every later primitive is created with exactly that format. */
static int weights_and_encoder(od_plan *op, const ts_weights *w, ts_err *e)
{
    dnnl_memory_t wl = NULL, wi = NULL;
    int rc = weights_plain(op, &wl, &wi, w, e);
    if (!rc) {
        weight_mds(&op->p, op->any, &op->wl_md, &op->wi_md, &op->b_md);
        rc = prim_pd(op, &op->enc, op->p.E, true, e);
    }
    if (!rc && op->any) {
        op->wl_md = *dnnl_primitive_desc_query_md(op->enc.pd, dnnl_query_weights_md, 0);
        op->wi_md = *dnnl_primitive_desc_query_md(op->enc.pd, dnnl_query_weights_md, 1);
        rc = reorder_into(op, wl, &op->wl_md, &op->wl, e) || reorder_into(op, wi, &op->wi_md, &op->wi, e);
    }
    if (op->any || rc) { /* plain copies no longer needed (or failed) */
        if (wl)
            dnnl_memory_destroy(wl);
        if (wi)
            dnnl_memory_destroy(wi);
        ts_free(op->wl_buf), ts_free(op->wi_buf);
        op->wl_buf = op->wi_buf = NULL;
    } else {
        op->wl = wl, op->wi = wi;
    }
    return rc ? -1 : 0;
}

/* ---- detail: impl names and weight format ---- */

/* A blocked md as a oneDNN-style tag: outer dims by decreasing stride, blocked
 * ones upper-case, then the inner blocks ("ldgOi32o"). */
static void format_name(const dnnl_memory_desc_t *md, char *buf, size_t n)
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
        char c = "ldigo"[order[k]];
        buf[used++] = blocked[order[k]] ? (char)(c - 'a' + 'A') : c;
    }
    buf[used] = '\0';
    for (int k = 0; k < bd->inner_nblks && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, "%lld%c", (long long)bd->inner_blks[k],
                                 "ldigo"[bd->inner_idxs[k]]);
}

static const char *impl_name(const od_prim *pr)
{
    const char *s = NULL;
    if (!pr->pd || dnnl_primitive_desc_query(pr->pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success)
        return NULL;
    return s;
}

static void make_detail(od_plan *op)
{
    char wl[48], wi[48];
    format_name(&op->wl_md, wl, sizeof wl);
    format_name(&op->wi_md, wi, sizeof wi);
    const char *ie = impl_name(&op->enc), *id = impl_name(&op->dec), *is = impl_name(&op->step);
    bool same = (!id || !strcmp(id, ie)) && (!is || !strcmp(is, ie));
    int k = same ? snprintf(op->detail, sizeof op->detail, "%s", ie)
                 : snprintf(op->detail, sizeof op->detail, "enc %s%s%s%s%s", ie, id ? ", dec " : "", id ? id : "",
                            is ? ", step " : "", is ? is : "");
    if (k > 0 && (size_t)k < sizeof op->detail)
        snprintf(op->detail + k, sizeof op->detail - (size_t)k, "; weights %s/%s", wl, wi);
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

/* One decoder step: x and (h, c) in, out_h (dst_layer) and (nh, nc) out. */
static int exec_step(od_plan *op, const float *x, const float *h, const float *c, float *out_h, float *nh,
                     float *nc)
{
    od_prim *pr = &op->step;
    set_ptr(pr->src_layer, x);
    set_ptr(pr->src_iter, h);
    set_ptr(pr->src_iter_c, c);
    set_ptr(pr->dst_layer, out_h);
    set_ptr(pr->dst_iter, nh);
    set_ptr(pr->dst_iter_c, nc);
    return exec(op, pr);
}

/* Decoder one step at a time: greedy (the loop function between steps), or
 * teacher forcing when the per-step LSTM c is wanted (written in place). */
static int decode_steps(od_plan *op, const ts_inputs *in, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const size_t BH = (size_t)(p->B * p->H), BI = (size_t)(p->B * p->I);
    const float *h = op->h0, *c = op->c0;
    for (int64_t i = 0; i < p->D; i++) {
        const float *x = in->dec + i * BI;
        if (p->feed == TS_FEED_GREEDY && i > 0) {
            int32_t *sym = out->symbols ? out->symbols + i * p->B : NULL;
            int rc = ts_loop_call(p, op->w, in, i, out->out + (i - 1) * BH, op->x, sym);
            if (rc)
                return rc;
            x = op->x;
        } else if (p->feed == TS_FEED_GREEDY && out->symbols) {
            for (int64_t b = 0; b < p->B; b++)
                out->symbols[b] = -1; /* step 0 takes the GO input */
        }
        float *nh = op->hp[i & 1];
        float *nc = out->states_c && p->cell == TS_CELL_LSTM ? out->states_c + i * BH : op->cp[i & 1];
        if (exec_step(op, x, h, c, out->out + i * BH, nh, nc))
            return -1;
        h = nh, c = nc;
    }
    memcpy(out->h, h, BH * 4);
    if (out->c && p->cell == TS_CELL_LSTM)
        memcpy(out->c, c, BH * 4);
    return 0;
}

/* Teacher forcing, one execution over D steps, final state straight into out. */
static int decode_teacher(od_plan *op, const ts_inputs *in, ts_outputs *out)
{
    od_prim *pr = &op->dec;
    set_ptr(pr->src_layer, in->dec);
    set_ptr(pr->dst_layer, out->out);
    set_ptr(pr->dst_iter, out->h);
    set_ptr(pr->dst_iter_c, out->c ? out->c : op->cp[0]);
    return exec(op, pr);
}

static int forward(od_plan *op, const ts_inputs *in, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const size_t BH = (size_t)(p->B * p->H);
    set_ptr(op->enc.src_layer, in->enc);
    if (exec(op, &op->enc))
        return -1;
    if (p->D == 0) { /* TF returns the encoder's final state */
        memcpy(out->h, op->h0, BH * 4);
        if (out->c && p->cell == TS_CELL_LSTM)
            memcpy(out->c, op->c0, BH * 4);
        return 0;
    }
    bool per_step = p->feed == TS_FEED_GREEDY || (p->cell == TS_CELL_LSTM && out->states_c);
    int rc = per_step ? decode_steps(op, in, out) : decode_teacher(op, in, out);
    if (!rc && out->states_h) /* a one-layer RNN's output is its h */
        memcpy(out->states_h, out->out, (size_t)p->D * BH * 4);
    return rc;
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
    prim_free(&op->enc), prim_free(&op->dec), prim_free(&op->step);
    dnnl_memory_t m[] = {op->wl, op->wi, op->b};
    for (size_t k = 0; k < 3; k++)
        if (m[k])
            dnnl_memory_destroy(m[k]);
    if (op->stream)
        dnnl_stream_destroy(op->stream);
    if (op->eng)
        dnnl_engine_destroy(op->eng);
    float *bufs[] = {op->wl_buf, op->wi_buf, op->b_buf, op->enc_out, op->h0, op->c0, op->hp[0],
                     op->hp[1], op->cp[0], op->cp[1], op->x, op->scratch};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++)
        ts_free(bufs[k]);
    free(op);
}

static int alloc_state(od_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    const size_t BH = (size_t)(p->B * p->H) * 4;
    op->enc_out = ts_alloc((size_t)p->E * BH);
    op->h0 = ts_alloc(BH), op->c0 = ts_alloc(BH);
    op->hp[0] = ts_alloc(BH), op->hp[1] = ts_alloc(BH);
    op->cp[0] = ts_alloc(BH), op->cp[1] = ts_alloc(BH);
    op->x = ts_alloc((size_t)(p->B * p->I) * 4);
    if (!op->enc_out || !op->h0 || !op->c0 || !op->hp[0] || !op->hp[1] || !op->cp[0] || !op->cp[1] || !op->x)
        return ts_fail(e, "onednn: out of memory for state buffers");
    return 0;
}

/* Every primitive: encoder (already has its pd), decoder over D, single step. */
static int build_prims(od_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    bool teacher = p->D > 0 && p->feed == TS_FEED_TEACHER;
    bool steps = p->D > 0 && (p->feed == TS_FEED_GREEDY || p->cell == TS_CELL_LSTM);
    if (teacher && prim_pd(op, &op->dec, p->D, false, e))
        return -1;
    if (steps && prim_pd(op, &op->step, 1, false, e))
        return -1;
    size_t need = scratch_bytes(&op->enc), s;
    need = (s = scratch_bytes(&op->dec)) > need ? s : need;
    need = (s = scratch_bytes(&op->step)) > need ? s : need;
    if (need && !(op->scratch = ts_alloc(need)))
        return ts_fail(e, "onednn: out of memory for the scratchpad (%zu bytes)", need);
    od_prim *all[] = {&op->enc, &op->dec, &op->step};
    for (int k = 0; k < 3; k++) {
        if (!all[k]->pd)
            continue;
        OD_TRY(dnnl_primitive_create(&all[k]->prim, all[k]->pd), "RNN primitive creation");
        float *dh = all[k] == &op->enc ? op->h0 : op->hp[0], *dc = all[k] == &op->enc ? op->c0 : op->cp[0];
        if (prim_bind(op, all[k], dh, dc, e))
            return -1;
    }
    return 0;
}

/* Execute each primitive once on zeros: JIT, first touch and thread start-up
 * are paid here, untimed. */
static int warm_up(od_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    int64_t T = p->E > p->D ? p->E : p->D;
    float *xs = ts_alloc((size_t)(T * p->B * p->I) * 4), *ys = ts_alloc((size_t)(T * p->B * p->H) * 4);
    if (!xs || !ys) {
        ts_free(xs), ts_free(ys);
        return ts_fail(e, "onednn: out of memory for the warm-up");
    }
    set_ptr(op->enc.src_layer, xs);
    int rc = exec(op, &op->enc);
    if (!rc && op->dec.prim) {
        set_ptr(op->dec.src_layer, xs), set_ptr(op->dec.dst_layer, ys);
        rc = exec(op, &op->dec);
    }
    if (!rc && op->step.prim)
        rc = exec_step(op, xs, op->h0, op->c0, ys, op->hp[0], op->cp[0]);
    ts_free(xs), ts_free(ys);
    return rc ? ts_fail(e, "onednn: warm-up execution failed") : 0;
}

static int build(od_plan *op, const ts_weights *w, ts_err *e)
{
    OD_TRY(dnnl_engine_create(&op->eng, dnnl_cpu, 0), "CPU engine creation");
    OD_TRY(dnnl_stream_create(&op->stream, op->eng, dnnl_stream_default_flags), "stream creation");
    if (alloc_state(op, e) || weights_and_encoder(op, w, e) || build_prims(op, e) || warm_up(op, e))
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

/* oneDNN 2.6's RNN code indexes its data and gate buffers with 32-bit int. */
static bool od_supports(const ts_problem *p, char *why, size_t n)
{
    if (!ts_problem_is_basic(p, "onednn", why, n))
        return false;
    const int64_t G = ts_cell_gates(p->cell), T = p->E > p->D ? p->E : p->D;
    const int64_t wide = p->I > G * p->H ? p->I : G * p->H;
    if (T * p->B > INT_MAX / wide || (p->I + p->H) > INT_MAX / (G * p->H)) {
        snprintf(why, n, "oneDNN 2.6 RNN indexes with 32-bit int: steps*B*max(I, G*H) and "
                         "(I+H)*G*H must stay below 2^31");
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
