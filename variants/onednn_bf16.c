/* onednn-bf16: the tied seq2seq through oneDNN 2.6's bf16 RNN primitives, with
 * the TF mapping of variants/onednn.c (docs/onednn.md, "Mapping"): RNN =
 * vanilla tanh RNN, LSTM gates i,f,c~,o from TF blocks 0,2,1,3 with forget_bias
 * folded into the f bias, GRU = oneDNN's vanilla GRU (u, r, candidate).
 *
 * Data types (oneDNN 2.6's bf16 inference configuration): weights bf16 (in the
 * format oneDNN prefers, converted once from fp32 by a reorder: RNE), bias f32,
 * src/dst layer and iter bf16, LSTM c (src/dst_iter_c) f32.  So unlike
 * avx2-bf16 the state h itself is stored in bf16 between steps: the variant
 * sets .bf16_state and verification rounds the reference's h alike.  Inputs are
 * converted to bf16 and outputs back to f32 inside run (timed: part of using
 * bf16 primitives from an fp32 model).
 *
 * Where oneDNN has no bf16 RNN (2.6 needs avx512_core for it; on AVX2 the
 * descriptor is `unimplemented`) supports() creates the descriptor for the
 * problem and reports oneDNN's status: unsupported, never a wrong answer.
 *
 * The TF -> oneDNN weight mapping is onednn.c's (variants/onednn-map.h).
 *
 * NOT RUN where it was written (AMD Zen 3: oneDNN reports unimplemented):
 * the execution path below is verified by the bf16 method wherever it runs,
 * and a failing variant is never timed. */
#include "onednn-map.h"
#include "variant.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OB_STR_(x) #x
#define OB_STR(x) OB_STR_(x)
#define OB_VERSION OB_STR(DNNL_VERSION_MAJOR) "." OB_STR(DNNL_VERSION_MINOR) "." OB_STR(DNNL_VERSION_PATCH)

typedef struct ob_prim {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    dnnl_memory_t src_layer, src_iter, src_iter_c, dst_layer, dst_iter, dst_iter_c, scratch;
    dnnl_exec_arg_t args[12];
    int nargs;
} ob_prim;

typedef struct ob_plan {
    ts_problem p;
    const ts_weights *w;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_memory_desc_t wl_md, wi_md, b_md;
    dnnl_memory_t wl, wi, b;
    float *b_buf;
    ob_prim enc, step; /* encoder over E (zero initial state); one decoder step */
    uint16_t *xin;     /* bf16 inputs [max(E, 1) x B x I] */
    uint16_t *yout;    /* bf16 layer output [max(E, 1) x B x H] */
    uint16_t *h[2];    /* bf16 state ping-pong [B x H] */
    float *c[2];       /* f32 LSTM c ping-pong */
    float *x;          /* greedy: next input (f32, from the loop function) */
    float *scratch;
    char detail[160];
} ob_plan;

static int ob_check(dnnl_status_t st, const char *what, ts_err *e)
{
    return st == dnnl_success ? 0 : ts_fail(e, "onednn-bf16: %s failed: %s", what, dnnl_status2str(st));
}
#define OB_TRY(call, what)               \
    do {                                 \
        if (ob_check((call), (what), e)) \
            return -1;                   \
    } while (0)

/* ---- descriptors ---- */

static void md(dnnl_memory_desc_t *m, int nd, const dnnl_dims_t dims, dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_init_by_tag(m, nd, dims, dt, tag);
}

/* The bf16 RNN descriptor over T steps; zero_iter: no src_iter (zeros).
 * wl/wi: the weight descriptors (format any when choosing). */
static dnnl_status_t rnn_desc(const ts_problem *p, int64_t T, bool zero_iter, const dnnl_memory_desc_t *wl,
                              const dnnl_memory_desc_t *wi, const dnnl_memory_desc_t *b, dnnl_rnn_desc_t *rd)
{
    dnnl_memory_desc_t sl, dl, sh, sc, *si = zero_iter ? NULL : &sh, *sic = zero_iter ? NULL : &sc;
    dnnl_dims_t dsl = {T, p->B, p->I}, ddl = {T, p->B, p->H}, dst = {1, 1, p->B, p->H};
    md(&sl, 3, dsl, dnnl_bf16, dnnl_tnc);
    md(&dl, 3, ddl, dnnl_bf16, dnnl_tnc);
    md(&sh, 4, dst, dnnl_bf16, dnnl_ldnc);
    md(&sc, 4, dst, dnnl_f32, dnnl_ldnc); /* LSTM c stays fp32 */
    dnnl_memory_desc_t dh = sh, dc = sc;
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    const dnnl_prop_kind_t fwd = dnnl_forward_inference;
    switch (p->cell) {
    case TS_CELL_RNN:
        return dnnl_vanilla_rnn_forward_desc_init(rd, fwd, dnnl_eltwise_tanh, dir, &sl, si, wl, wi, b, &dl, &dh, 0,
                                                  0.0f, 0.0f);
    case TS_CELL_GRU: return dnnl_gru_forward_desc_init(rd, fwd, dir, &sl, si, wl, wi, b, &dl, &dh, 0);
    case TS_CELL_LSTM:
        return dnnl_lstm_forward_desc_init(rd, fwd, dir, &sl, si, sic, wl, wi, b, &dl, &dh, &dc, 0);
    }
    return dnnl_unimplemented;
}

static void weight_mds(const ts_problem *p, dnnl_memory_desc_t *wl, dnnl_memory_desc_t *wi, dnnl_memory_desc_t *b)
{
    const int64_t G = ts_cell_gates(p->cell);
    dnnl_dims_t dwl = {1, 1, p->I, G, p->H}, dwi = {1, 1, p->H, G, p->H}, db = {1, 1, G, p->H};
    md(wl, 5, dwl, dnnl_bf16, dnnl_format_tag_any);
    md(wi, 5, dwi, dnnl_bf16, dnnl_format_tag_any);
    md(b, 4, db, dnnl_f32, dnnl_ldgo);
}

static dnnl_status_t make_pd(dnnl_engine_t eng, const ts_problem *p, int64_t T, bool zero_iter,
                             const dnnl_memory_desc_t *wl, const dnnl_memory_desc_t *wi, const dnnl_memory_desc_t *b,
                             dnnl_primitive_desc_t *pd)
{
    dnnl_rnn_desc_t rd;
    dnnl_status_t s = rnn_desc(p, T, zero_iter, wl, wi, b, &rd);
    if (s != dnnl_success)
        return s;
    dnnl_primitive_attr_t attr;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success)
        return s;
    s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(pd, &rd, attr, eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    return s;
}

/* ---- supports: does this oneDNN have a bf16 RNN for the problem here? ---- */

static bool ob_supports(const ts_problem *p, char *why, size_t n)
{
    if (!ts_problem_is_basic(p, "onednn-bf16", why, n))
        return false;
    const int64_t G = ts_cell_gates(p->cell), T = p->E > p->D ? p->E : p->D;
    const int64_t wide = p->I > G * p->H ? p->I : G * p->H;
    if (T * p->B > INT_MAX / wide || (p->I + p->H) > INT_MAX / (G * p->H)) {
        snprintf(why, n, "oneDNN 2.6 RNN indexes with 32-bit int: steps*B*max(I, G*H) and "
                         "(I+H)*G*H must stay below 2^31");
        return false;
    }
    dnnl_engine_t eng;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success) {
        snprintf(why, n, "oneDNN CPU engine creation failed");
        return false;
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(p->threads);
    dnnl_memory_desc_t wl, wi, b;
    weight_mds(p, &wl, &wi, &b);
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = make_pd(eng, p, p->E, true, &wl, &wi, &b, &pd);
    omp_set_num_threads(saved);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    dnnl_engine_destroy(eng);
    if (s == dnnl_success)
        return true;
    snprintf(why, n, "oneDNN " OB_VERSION " has no bf16 %s RNN for this problem on this CPU: "
                     "primitive descriptor %s (its bf16 RNN needs avx512_core)",
             ts_cell_name(p->cell), dnnl_status2str(s));
    return false;
}

/* ---- bf16 conversions (RNE, as oneDNN's reorders) ---- */

static void to_bf16(const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t k = 0; k < n; k++)
        dst[k] = ts_bf16_bits(src[k]);
}

static void from_bf16(const uint16_t *src, float *dst, int64_t n)
{
    for (int64_t k = 0; k < n; k++) {
        uint32_t u = (uint32_t)src[k] << 16;
        memcpy(dst + k, &u, 4);
    }
}

/* ---- prepare ---- */

static int prim_mem(ob_plan *op, ob_prim *pr, dnnl_query_t q, int idx, int arg, dnnl_memory_t *m, ts_err *e)
{
    const dnnl_memory_desc_t *d = dnnl_primitive_desc_query_md(pr->pd, q, idx);
    if (!d || d->ndims == 0)
        return 0;
    OB_TRY(dnnl_memory_create(m, d, op->eng, q == dnnl_query_scratchpad_md ? (void *)op->scratch : NULL),
           "memory creation");
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){arg, *m};
    return 0;
}

static int prim_build(ob_plan *op, ob_prim *pr, ts_err *e)
{
    OB_TRY(dnnl_primitive_create(&pr->prim, pr->pd), "RNN primitive creation");
    const struct { dnnl_query_t q; int idx, arg; dnnl_memory_t *m; } a[] = {
        {dnnl_query_src_md, 0, DNNL_ARG_SRC_LAYER, &pr->src_layer},
        {dnnl_query_src_md, 1, DNNL_ARG_SRC_ITER, &pr->src_iter},
        {dnnl_query_src_md, 2, DNNL_ARG_SRC_ITER_C, &pr->src_iter_c},
        {dnnl_query_dst_md, 0, DNNL_ARG_DST_LAYER, &pr->dst_layer},
        {dnnl_query_dst_md, 1, DNNL_ARG_DST_ITER, &pr->dst_iter},
        {dnnl_query_dst_md, 2, DNNL_ARG_DST_ITER_C, &pr->dst_iter_c},
        {dnnl_query_scratchpad_md, 0, DNNL_ARG_SCRATCHPAD, &pr->scratch},
    };
    for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
        if (prim_mem(op, pr, a[k].q, a[k].idx, a[k].arg, a[k].m, e))
            return -1;
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, op->wl};
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, op->wi};
    pr->args[pr->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, op->b};
    return 0;
}

/* fp32 ldigo rows [row0, row0+rows) reordered into the bf16 format md. */
static int weights_into(ob_plan *op, int64_t row0, int64_t rows, const dnnl_memory_desc_t *dmd, dnnl_memory_t *dst,
                        ts_err *e)
{
    const ts_problem *p = &op->p;
    const int G = ts_cell_gates(p->cell);
    float *buf = ts_alloc((size_t)(rows * G * p->H) * 4);
    if (!buf)
        return ts_fail(e, "onednn-bf16: out of memory for weights");
    for (int64_t k = 0; k < rows; k++)
        for (int g = 0; g < G; g++)
            for (int64_t o = 0; o < p->H; o++)
                buf[(k * G + g) * p->H + o] = ts_od_tf_weight(p, &op->w->cell[0], row0 + k, g, o);
    dnnl_memory_desc_t smd;
    dnnl_dims_t d = {1, 1, rows, G, p->H};
    md(&smd, 5, d, dnnl_f32, dnnl_ldigo);
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_status_t s = dnnl_memory_create(&src, &smd, op->eng, buf);
    if (s == dnnl_success)
        s = dnnl_memory_create(dst, dmd, op->eng, DNNL_MEMORY_ALLOCATE);
    if (s == dnnl_success)
        s = dnnl_reorder_primitive_desc_create(&rpd, &smd, op->eng, dmd, op->eng, NULL);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&r, rpd);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, *dst}};
    if (s == dnnl_success)
        s = dnnl_primitive_execute(r, op->stream, 2, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(op->stream);
    if (r)
        dnnl_primitive_destroy(r);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    if (src)
        dnnl_memory_destroy(src);
    ts_free(buf);
    return ob_check(s, "bf16 weights reorder", e);
}

static int ob_alloc(ob_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    const int64_t T = p->E > 1 ? p->E : 1, BH = p->B * p->H, G = ts_cell_gates(p->cell);
    op->xin = ts_alloc((size_t)(T * p->B * p->I) * 2);
    op->yout = ts_alloc((size_t)(T * BH) * 2);
    op->h[0] = ts_alloc((size_t)BH * 2), op->h[1] = ts_alloc((size_t)BH * 2);
    op->c[0] = ts_alloc((size_t)BH * 4), op->c[1] = ts_alloc((size_t)BH * 4);
    op->x = ts_alloc((size_t)(p->B * p->I) * 4);
    op->b_buf = ts_alloc((size_t)(G * p->H) * 4);
    if (!op->xin || !op->yout || !op->h[0] || !op->h[1] || !op->c[0] || !op->c[1] || !op->x || !op->b_buf)
        return ts_fail(e, "onednn-bf16: out of memory for buffers");
    for (int g = 0; g < G; g++)
        for (int64_t o = 0; o < p->H; o++)
            op->b_buf[g * p->H + o] = ts_od_tf_bias(p, &op->w->cell[0], g, o);
    return 0;
}

static size_t scratch_bytes(const ob_prim *pr)
{
    return pr->pd ? dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pr->pd, dnnl_query_scratchpad_md, 0))
                  : 0;
}

static int ob_build(ob_plan *op, ts_err *e)
{
    const ts_problem *p = &op->p;
    OB_TRY(dnnl_engine_create(&op->eng, dnnl_cpu, 0), "CPU engine creation");
    OB_TRY(dnnl_stream_create(&op->stream, op->eng, dnnl_stream_default_flags), "stream creation");
    if (ob_alloc(op, e))
        return -1;
    weight_mds(p, &op->wl_md, &op->wi_md, &op->b_md);
    OB_TRY(make_pd(op->eng, p, p->E, true, &op->wl_md, &op->wi_md, &op->b_md, &op->enc.pd), "bf16 RNN descriptor");
    op->wl_md = *dnnl_primitive_desc_query_md(op->enc.pd, dnnl_query_weights_md, 0);
    op->wi_md = *dnnl_primitive_desc_query_md(op->enc.pd, dnnl_query_weights_md, 1);
    if (weights_into(op, 0, p->I, &op->wl_md, &op->wl, e) || weights_into(op, p->I, p->H, &op->wi_md, &op->wi, e))
        return -1;
    OB_TRY(dnnl_memory_create(&op->b, &op->b_md, op->eng, op->b_buf), "bias memory");
    if (p->D > 0)
        OB_TRY(make_pd(op->eng, p, 1, false, &op->wl_md, &op->wi_md, &op->b_md, &op->step.pd), "bf16 step descriptor");
    size_t need = scratch_bytes(&op->enc), s2 = scratch_bytes(&op->step);
    need = s2 > need ? s2 : need;
    if (need && !(op->scratch = ts_alloc(need)))
        return ts_fail(e, "onednn-bf16: out of memory for the scratchpad");
    if (prim_build(op, &op->enc, e) || (op->step.pd && prim_build(op, &op->step, e)))
        return -1;
    const char *impl = NULL;
    dnnl_primitive_desc_query(op->enc.pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(op->detail, sizeof op->detail, "%s; bf16 weights, src/dst and h; f32 bias and c; decoder step by step",
             impl ? impl : "?");
    return 0;
}

static void ob_release(ts_plan *plan)
{
    ob_plan *op = plan;
    if (!op)
        return;
    ob_prim *prs[] = {&op->enc, &op->step};
    for (int k = 0; k < 2; k++) {
        dnnl_memory_t *m[] = {&prs[k]->src_layer, &prs[k]->src_iter, &prs[k]->src_iter_c, &prs[k]->dst_layer,
                              &prs[k]->dst_iter, &prs[k]->dst_iter_c, &prs[k]->scratch};
        for (size_t j = 0; j < sizeof m / sizeof m[0]; j++)
            if (*m[j])
                dnnl_memory_destroy(*m[j]);
        if (prs[k]->prim)
            dnnl_primitive_destroy(prs[k]->prim);
        if (prs[k]->pd)
            dnnl_primitive_desc_destroy(prs[k]->pd);
    }
    dnnl_memory_t w[] = {op->wl, op->wi, op->b};
    for (int k = 0; k < 3; k++)
        if (w[k])
            dnnl_memory_destroy(w[k]);
    if (op->stream)
        dnnl_stream_destroy(op->stream);
    if (op->eng)
        dnnl_engine_destroy(op->eng);
    void *bufs[] = {op->xin, op->yout, op->h[0], op->h[1], op->c[0], op->c[1], op->x, op->b_buf, op->scratch};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++)
        ts_free(bufs[k]);
    free(op);
}

static int ob_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    (void)impl;
    ob_plan *op = calloc(1, sizeof *op);
    if (!op)
        return ts_fail(e, "onednn-bf16: out of memory");
    op->p = *p;
    op->w = w;
    int saved = omp_get_max_threads();
    omp_set_num_threads(p->threads);
    int rc = ob_build(op, e);
    omp_set_num_threads(saved);
    if (rc) {
        ob_release(op);
        return -1;
    }
    *plan = op;
    return 0;
}

/* ---- run ---- */

static void set_ptr(dnnl_memory_t m, const void *ptr)
{
    if (m)
        dnnl_memory_set_data_handle(m, (void *)ptr);
}

static int exec(ob_plan *op, ob_prim *pr)
{
    dnnl_status_t s = dnnl_primitive_execute(pr->prim, op->stream, pr->nargs, pr->args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(op->stream);
    return s == dnnl_success ? 0 : -1;
}

/* Decoder step i from state slot cur into slot !cur; outputs in f32. */
static int dec_step(ob_plan *op, const float *x, int cur, int64_t i, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const int64_t BH = p->B * p->H;
    to_bf16(x, op->xin, p->B * p->I);
    ob_prim *pr = &op->step;
    float *nc = out->states_c && p->cell == TS_CELL_LSTM ? out->states_c + i * BH : op->c[!cur];
    set_ptr(pr->src_layer, op->xin), set_ptr(pr->src_iter, op->h[cur]), set_ptr(pr->src_iter_c, op->c[cur]);
    set_ptr(pr->dst_layer, op->yout), set_ptr(pr->dst_iter, op->h[!cur]), set_ptr(pr->dst_iter_c, nc);
    if (exec(op, pr))
        return -1;
    if (nc != op->c[!cur])
        memcpy(op->c[!cur], nc, (size_t)BH * 4);
    from_bf16(op->h[!cur], out->out + i * BH, BH);
    if (out->states_h)
        memcpy(out->states_h + i * BH, out->out + i * BH, (size_t)BH * 4);
    return 0;
}

static int forward(ob_plan *op, const ts_inputs *in, ts_outputs *out)
{
    const ts_problem *p = &op->p;
    const int64_t BH = p->B * p->H, BI = p->B * p->I;
    to_bf16(in->enc, op->xin, p->E * BI);
    ob_prim *pe = &op->enc;
    set_ptr(pe->src_layer, op->xin), set_ptr(pe->dst_layer, op->yout);
    set_ptr(pe->dst_iter, op->h[0]), set_ptr(pe->dst_iter_c, op->c[0]);
    if (exec(op, pe))
        return -1;
    int cur = 0;
    for (int64_t i = 0; i < p->D; i++, cur = !cur) {
        const float *x = in->dec + i * BI;
        if (p->feed == TS_FEED_GREEDY && i > 0) {
            int rc = ts_loop_call(p, op->w, in, i, out->out + (i - 1) * BH, op->x,
                                  out->symbols ? out->symbols + i * p->B : NULL);
            if (rc)
                return rc;
            x = op->x;
        } else if (p->feed == TS_FEED_GREEDY && out->symbols) {
            for (int64_t b = 0; b < p->B; b++)
                out->symbols[b] = -1;
        }
        if (dec_step(op, x, cur, i, out))
            return -1;
    }
    from_bf16(op->h[cur], out->h, BH);
    if (out->c && p->cell == TS_CELL_LSTM)
        memcpy(out->c, op->c[cur], (size_t)BH * 4);
    return 0;
}

static int ob_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    ob_plan *op = plan;
    int saved = omp_get_max_threads();
    omp_set_num_threads(op->p.threads);
    int rc = forward(op, in, out);
    omp_set_num_threads(saved);
    return rc;
}

static const char *ob_detail(const ts_plan *plan) { return ((const ob_plan *)plan)->detail; }

const ts_variant ts_variant_onednn_bf16 = {
    .name = "onednn-bf16",
    .summary = "oneDNN " OB_VERSION " bf16 RNN primitives (bf16 weights, src/dst and h state; f32 bias, LSTM c)",
    .isa = 0,
    .precision = TS_PREC_BF16,
    .bf16_state = true,
    .supports = ob_supports,
    .prepare = ob_prepare,
    .run = ob_run,
    .release = ob_release,
    .detail = ob_detail,
};
