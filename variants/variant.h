/* The variant contract (DESIGN.md §3).  A variant is one value of ts_variant,
 * listed once in variants.def; list, verify, bench, sweep and the tests iterate
 * the registry, so a new variant is covered everywhere by that one line. */
#ifndef TS_VARIANT_H
#define TS_VARIANT_H

#include "../kernels/cpu.h"
#include "../kernels/tiedseq.h"

typedef void ts_plan; /* each variant's own state, opaque to the harness */

typedef struct ts_variant {
    const char *name;    /* command line and results: "avx512" */
    const char *summary; /* one line for `tiedseq list` */
    uint32_t isa;        /* TS_ISA_* bits it needs; the registry checks them, not the variant */
    /* shape limits only; say why not in `why` */
    bool (*supports)(const ts_problem *p, char *why, size_t why_len);
    /* untimed: pack weights, allocate every buffer.
     * Lifetimes: the plan copies *p, so the problem may go away after prepare.  It
     * keeps the pointer w (every variant: naive and the greedy loop function read
     * w's arrays at run time; the others read the embedding and projection), so
     * *w and every array it points to must stay alive and unchanged until release:
     * a packed copy and the live arrays would otherwise disagree.  Inputs, outputs
     * and in->loop_ctx are used only during the run call they are passed to. */
    int (*prepare)(const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e);
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

/* A registered variant or a peer (variants/peer.h) by name, or NULL. */
const ts_variant *ts_variant_find(const char *name);
/* ISA check first (reason names what is missing), then the variant's supports(). */
bool ts_variant_available(const ts_variant *v, const ts_problem *p, char *why, size_t n);
/* Same ISA check without a problem (for `list`). */
bool ts_variant_isa_ok(const ts_variant *v, char *why, size_t n);

#endif
