/* The plan of a timing run: (variant, problem) points grouped in chunks.  A
 * chunk is every point of one problem shape (all fields but threads): its
 * variants and thread counts are verified against one reference run and timed
 * together, interleaved in the same rounds (rounds.h).  Plans may hold 100,000
 * points: duplicates and chunk keys are found by hashing, not by scanning. */
#ifndef TS_PLAN_H
#define TS_PLAN_H
#include "kernels/tiedseq.h"
#include "variants/variant.h"
#include "harness/check/verify.h"
#include "harness/cli.h"

#include <stdbool.h>

typedef enum {
    TS_PT_TODO,    /* not measured yet */
    TS_PT_OK,      /* verified, then timed */
    TS_PT_FAIL,    /* verification failed: never timed */
    TS_PT_SKIPPED, /* variant unavailable for the problem or CPU (label says why) */
    TS_PT_ERROR,   /* prepare/run failed, or GB reported an error */
} ts_pt_status;
const char *ts_pt_status_name(ts_pt_status s); /* "ok" "fail" "skipped" "error" ("" for TODO) */
/* "ok" -> TS_PT_OK ...; -1 for anything else */
int ts_pt_status_parse(const char *s);

typedef struct ts_point {
    const ts_variant *var;
    ts_problem p;
    char desc[128];        /* ts_problem_format(p) */
    ts_pt_status status;
    ts_status verdict;     /* verification verdict (TS_PASS ... TS_ERROR) */
    double max_abs, tol;   /* from verification; NAN when not verified */
    ts_drift drift;        /* bf16 variants: drift from fp32 (drift.valid false otherwise) */
    /* timing: one sample per round, each the mean of `iters` back-to-back runs */
    int64_t rounds, iters;
    double median_s, min_s, mean_s, cv; /* one whole forward run; NAN = no value */
    double ci_lo_s, ci_hi_s;            /* TS_CONF interval of the median */
    /* calibration by the probes measured in the same rounds (NAN without them) */
    double cal, cal_lo, cal_hi;  /* median of time x FMA-probe rate (GFLOP): run-independent */
    double peak_frac;            /* median over rounds of GFLOP/s / the round's FMA probe */
    double bw_frac;              /* median over rounds of weight GB/s / the round's read probe */
    double probe_gflops;         /* median of the FMA probe at this thread count */
    double probe_gbps;           /* median of the read probe at bw_level */
    int bw_level;                /* TS_LEVEL_* of the read probe; -1 = none */
    double probe_spread;         /* (q90 - q10) / median of the FMA probe over the rounds */
    bool unstable;               /* probe_spread above the engine's limit */
    bool sampled;                /* has samples from a pass; final statistics after the last */
    char label[256];       /* variant detail, or why it failed / was skipped */
} ts_point;

/* Set var/p/desc, clear the results (status TODO, every number NAN). */
void ts_point_init(ts_point *pt, const ts_variant *v, const ts_problem *p);

typedef struct ts_plan_pts {
    ts_point *pts;
    size_t n, cap;
    size_t *chunk_start; /* nchunks + 1 offsets into pts */
    size_t nchunks;
    size_t *hslot;       /* open-addressing index of pts by (variant, desc); SIZE_MAX = empty */
    size_t hcap;
} ts_plan_pts;

/* problems x thread counts (threads == NULL/nthreads == 0: each problem's own t)
 * x variants; duplicates dropped; then grouped by ts_plan_group. */
int ts_plan_build(ts_plan_pts *pl, const ts_problem_list *probs, const int *threads,
                  size_t nthreads, const ts_variant *const *vars, size_t nv, ts_err *e);
/* Add one point (duplicates of an existing (variant, desc) are ignored). */
int ts_plan_add(ts_plan_pts *pl, const ts_variant *v, const ts_problem *p, ts_err *e);
/* The point of (variant name, descriptor), or NULL. */
ts_point *ts_plan_find(const ts_plan_pts *pl, const char *variant, const char *desc);
/* Stable-reorder the points into chunks (first appearance order of each shape). */
int ts_plan_group(ts_plan_pts *pl, ts_err *e);
void ts_plan_free(ts_plan_pts *pl);
/* The shape of a problem: its descriptor at one thread (the chunk key). */
void ts_shape_key(const ts_problem *p, char *buf, size_t n);
/* The chunk's name: the shape's descriptor without threads, ':' -> '-'. */
void ts_plan_chunk_name(const ts_plan_pts *pl, size_t chunk, char *buf, size_t n);
/* 0 if both plans hold the same (variant, problem) set, else -1 naming one difference. */
int ts_plan_same(const ts_plan_pts *a, const ts_plan_pts *b, ts_err *e);

/* ---- shards: one sweep split over several machines (sweep --shard K/N) ---- */

#define TS_MAX_SHARDS 100000
/* "K/N": decimal digits only, 1 <= K <= N <= TS_MAX_SHARDS; the error names the text. */
int ts_shard_parse(const char *s, int *k, int *n, ts_err *e);
/* Keep only the chunks of shard k of n.  Whole chunks (every variant and thread
 * count of a shape) go to one shard, so their rounds still interleave.  Chunks
 * are dealt largest first (estimated cost: the FLOPs of one forward run of each
 * of their points; ties by shape) to the shard with the least cost so far
 * (ties: the lowest), so shards take about equal time whatever the plan's
 * order.  A shard may be empty when n exceeds the chunks. */
int ts_plan_shard(ts_plan_pts *pl, int k, int n, ts_err *e);
/* The definition's identity: FNV-1a 64 of the sorted (variant, problem) keys and
 * `extra` (seed, timing, flags), as 16 hex digits; independent of the points'
 * order, so every shard of a sweep computes it from the whole plan alike. */
int ts_plan_hash(const ts_plan_pts *pl, const char *extra, char out[17], ts_err *e);

#endif
