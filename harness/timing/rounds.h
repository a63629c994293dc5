/* The timing engine's core: one chunk (every variant x thread count of one
 * problem shape) verified, then timed in interleaved rounds through Google
 * Benchmark, with calibration probes in every round.
 *
 *  1. Verify exactly what is timed: each point's plan is prepared once, run
 *     once on the seeded inputs (no per-step states, as timed) and that very
 *     output is compared with the reference.  A FAIL is never timed.
 *  2. Rounds: each round runs every point still sampling, plus the probes
 *     (the FMA-peak kernel at each thread count of the chunk, and the read
 *     kernel at the cache level the shape's recurrent weights live in), once
 *     each, in a fresh random order.  A sample is `iters` back-to-back runs
 *     (about sample_s long), after one untimed run when a run is short (the
 *     previous member left its own data in the caches).
 *  3. Passes: the whole plan is swept `passes` times; each pass prepares
 *     every point afresh and gives it a share of the rounds, so a point's
 *     samples come from several moments of the run and several allocations
 *     (a machine that is slow for a few seconds, or a buffer placement, is
 *     then one part of every point's sample, not all of one point's).  A
 *     point stops sampling in a pass when, after its share of min_rounds, the
 *     interval of all its samples so far is within ci_target, or its share of
 *     the budget is spent, or at its share of max_rounds.
 *  4. Statistics (stats.h): per point median, interval, cv over rounds;
 *     calibrated time and fractions of the probes in the same rounds; per
 *     pair of points in the chunk the paired per-round ratio. */
#ifndef TS_ROUNDS_H
#define TS_ROUNDS_H
#include "harness/probes/peak.h"
#include "harness/timing/plan.h"
#include "harness/timing/stats.h"

#include <regex.h>

typedef struct ts_timing_opts {
    int min_rounds, max_rounds; /* defaults 10, 200 */
    double sample_s;            /* target length of one sample (default 0.01 s) */
    double budget_s;            /* sampling time per point (default 1 s) */
    double ci_target;           /* relative half-width of the median's interval (default 0.02) */
    double unstable_spread;     /* FMA probe (q90 - q10) / median above this: unstable (default 0.10) */
    int passes;                 /* passes over the whole plan, each a share of the rounds (default 3) */
} ts_timing_opts;
void ts_timing_defaults(ts_timing_opts *o);
/* 0, or -1 naming the bad value. */
int ts_timing_check(const ts_timing_opts *o, ts_err *e);

/* The paired ratio of two points of one chunk: time of a / time of b per
 * round (> 1: b is faster).  Pairs are (two variants at one thread count) and
 * (one variant at two thread counts, a the fewer threads). */
typedef struct ts_pair {
    const ts_point *a, *b;
    ts_summary r;
} ts_pair;

/* One sample as measured: member is a point or a probe. */
typedef struct ts_sample {
    const ts_point *pt; /* NULL for a probe */
    char probe[16];     /* "fma", "read-L2", ... ("" for a point) */
    int threads;
    int64_t round, position, iters; /* round: numbered across passes */
    double seconds;     /* per iteration */
    double work;        /* a probe's FLOPs or bytes per call (NAN for a point) */
    int level;          /* a read probe's TS_LEVEL_* (-1 otherwise) */
} ts_sample;

typedef struct ts_chunk_result {
    ts_sample *samples;
    size_t nsamples, cap_samples;
    ts_pair *pairs;
    size_t npairs;
    size_t rounds;
} ts_chunk_result;
void ts_chunk_result_free(ts_chunk_result *r);

typedef struct ts_bench_hooks {
    /* a point's verification starts (phase "verify"), or a round (phase
     * "round", pt = the chunk's first point, round/active filled) */
    void (*progress)(void *user, const ts_point *pt, const char *phase, size_t round, size_t active);
    /* Google Benchmark is about to print its table */
    void (*before_console)(void *user);
    void *user;
} ts_bench_hooks;

typedef struct ts_bench_cfg {
    uint64_t seed;          /* verification and timing inputs; the round orders */
    const ts_peak *levels;  /* cache sizes for the read probe (NULL: detected) */
    ts_timing_opts t;
    const regex_t *filter;  /* points whose "variant/problem" does not match stay TODO; NULL = all */
    int gb_argc;            /* argv[0] and Google Benchmark flags only */
    char **gb_argv;
    ts_bench_hooks hooks;
} ts_bench_cfg;

bool ts_bench_available(void); /* built with Google Benchmark */

/* A chunk's seeded reference outputs (and, during a pass, its tensors), made
 * in its first pass and kept for the next: the reference costs more than any
 * variant.  NULL before the first pass; free with ts_chunk_ref_free. */
typedef struct ts_chunk_ref ts_chunk_ref;
void ts_chunk_ref_free(ts_chunk_ref *r);

/* One pass (0-based) over one shape: verify and prepare the TODO points of
 * pts[0..n) afresh (new allocations), and sample them in rounds until each has
 * its share of the pass (the stopping rule also counts `prev`, the samples of
 * earlier passes).  The samples go to res; failures, skips and errors are
 * final at once; a point that sampled is marked `sampled` and stays TODO.
 * Returns 0, or -1 with e (a bad GB flag). */
int ts_bench_pass(ts_point *pts, size_t n, const ts_bench_cfg *cfg, int pass, const ts_sample *prev,
                  size_t nprev, ts_chunk_ref **ref, ts_chunk_result *res, ts_err *e);
/* After the last pass: every sampled point's statistics from all its samples
 * s[0..ns) (status ok), the paired ratios into res, GB's JSON to json_path
 * (NULL = none) and table.  Returns 0, or -1 with e (the JSON not writable:
 * then no point of the chunk is ok). */
int ts_chunk_finish(ts_point *pts, size_t n, const ts_sample *s, size_t ns, const ts_bench_cfg *cfg,
                    const char *json_path, ts_chunk_result *res, ts_err *e);

/* Async-signal-safe: the chunk stops after the current sample, its timed
 * points stay TODO. */
void ts_bench_interrupt(void);
bool ts_bench_interrupted(void);
/* SIGINT/SIGTERM call ts_bench_interrupt (a second one kills at once). */
void ts_bench_catch_signals(void);

/* Google Benchmark's flags that tiedseq takes over: repetitions, min time,
 * interleaving and output files are the engine's.  0, or -1 naming the flag. */
int ts_bench_check_flags(int argc, char **argv, ts_err *e);
/* A key/value pair for the "context" of every GB JSON written later. */
void ts_bench_add_context(const char *key, const char *value);

#endif
