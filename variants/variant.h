/* The variant contract (docs/design.md).  A variant is one value of ts_variant,
 * listed once in variants.def; list, verify, bench, sweep and the tests iterate
 * the registry, so a new variant is covered everywhere by that one line. */
#ifndef TS_VARIANT_H
#define TS_VARIANT_H

#include "../kernels/cpu.h"
#include "../kernels/tiedseq.h"
#include "../kernels/unroll.h"

typedef void ts_plan; /* each variant's own state, opaque to the harness */

typedef struct ts_variant {
    const char *name;    /* command line and results: "avx512" */
    const char *summary; /* one line for `tiedseq list` */
    uint32_t isa;        /* TS_ISA_* bits it needs; the registry checks them, not the variant */
    /* its arithmetic (kernels/tiedseq.h); omitted = TS_PREC_F32.  verify checks a
     * bf16 variant against the reference on bf16-rounded operands
     * (docs/correctness.md, "bf16 variants") and reports its drift from fp32 */
    ts_precision precision;
    /* bf16 only: the state h itself is stored in bf16 between steps (oneDNN's
     * bf16 RNN), so its outputs are bf16 values; verification rounds the
     * reference's h alike and allows the one-ulp flips of that rounding */
    bool bf16_state;
    /* handed to prepare: what distinguishes variants that share their operations
     * (a micro-kernel table, a oneDNN weight format); NULL when unused */
    const void *impl;
    /* shape limits only; say why not in `why` */
    bool (*supports)(const ts_problem *p, char *why, size_t why_len);
    /* untimed: pack weights, allocate every buffer.
     * Lifetimes: the plan copies *p, so the problem may go away after prepare.  It
     * keeps the pointer w (every variant: naive and the greedy loop function read
     * w's arrays at run time; the others read the embedding and projection), so
     * *w and every array it points to must stay alive and unchanged until release:
     * a packed copy and the live arrays would otherwise disagree.  Inputs, outputs
     * and in->loop_ctx are used only during the run call they are passed to. */
    int (*prepare)(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e);
    /* timed: one whole tied seq2seq forward; no allocation, no I/O; returns 0 or
     * the loop function's non-zero status */
    int (*run)(ts_plan *plan, const ts_inputs *in, ts_outputs *out);
    void (*release)(ts_plan *plan);
    /* optional: implementation detail for results ("brgemm", "4x16"); NULL = none */
    const char *(*detail)(const ts_plan *plan);
    /* optional, for a variant that runs in another process (the peers,
     * variants/peer.h): n runs back to back, timed where they execute; their total
     * seconds in *seconds, outputs of the last in out.  The harness then reports
     * that time, not its own clock around the call, so the cost of reaching the
     * other process is not part of a run.  NULL: the harness times run(). */
    int (*run_timed)(ts_plan *plan, const ts_inputs *in, ts_outputs *out, int64_t n, double *seconds);
} ts_variant;

#define TS_VARIANT(id) extern const ts_variant ts_variant_##id;
#include "variants.def"
#undef TS_VARIANT

extern const ts_variant *const ts_variants[];
extern const size_t ts_variant_count;

/* The unroll driver's operations (kernels/unroll.h): a variant on it is
 * { .name, .summary, .isa, .impl = &ts_ukernels_<isa>, TS_UNROLL_OPS } */
#define TS_UNROLL_OPS                                                                            \
    .supports = ts_unroll_supports, .prepare = ts_unroll_prepare, .run = ts_unroll_run,         \
    .release = ts_unroll_release, .detail = ts_unroll_detail
/* the same in the wavefront schedule (layers > 1 only) */
#define TS_UNROLL_WAVEFRONT_OPS                                                                  \
    .supports = ts_unroll_supports_wavefront, .prepare = ts_unroll_prepare_wavefront,           \
    .run = ts_unroll_run, .release = ts_unroll_release, .detail = ts_unroll_detail

/* A registered variant or a peer (variants/peer.h) by name, or NULL. */
const ts_variant *ts_variant_find(const char *name);
/* v->prepare(v->impl, ...): the one way callers prepare a variant */
int ts_variant_prepare(const ts_variant *v, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e);
/* ISA check first (reason names what is missing), then the variant's supports(). */
bool ts_variant_available(const ts_variant *v, const ts_problem *p, char *why, size_t n);
/* Same ISA check without a problem (for `list`). */
bool ts_variant_isa_ok(const ts_variant *v, char *why, size_t n);

#endif
