/* The timing core shared by `tiedseq bench` and `tiedseq sweep`: a plan of
 * (variant, problem) points grouped in chunks, each point verified against the
 * reference before it is timed, then timed through Google Benchmark (gbench.h),
 * and every finished point handed to a callback (the results writer).
 * Without Google Benchmark (TS_HAVE_GBENCH unset) the plan functions still
 * exist; ts_bench_available() is false and ts_bench_chunk fails. */
#ifndef TS_BENCH_H
#define TS_BENCH_H
#include "kernels/tiedseq.h"
#include "variants/variant.h"
#include "harness/cli.h"
#include "harness/probes/peak.h"
#include "harness/check/verify.h"

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
    int64_t reps;          /* repetitions that produced times */
    double median_s, min_s, mean_s, cv; /* one whole forward run; NAN = no value */
    char label[256];       /* variant detail, or why it failed / was skipped */
} ts_point;

/* Set var/p/desc, clear the results (status TODO, every number NAN). */
void ts_point_init(ts_point *pt, const ts_variant *v, const ts_problem *p);

/* A plan: points ordered chunk by chunk.  A chunk is every point of one problem
 * shape (all fields but threads): one reference run verifies all of its
 * variants and thread counts, and it becomes one gb/<chunk>.json. */
typedef struct ts_plan_pts {
    ts_point *pts;
    size_t n, cap;
    size_t *chunk_start; /* nchunks + 1 offsets into pts */
    size_t nchunks;
} ts_plan_pts;

/* problems x thread counts (threads == NULL/nthreads == 0: each problem's own t)
 * x variants; duplicates dropped; then grouped by ts_plan_group. */
int ts_plan_build(ts_plan_pts *pl, const ts_problem_list *probs, const int *threads,
                  size_t nthreads, const ts_variant *const *vars, size_t nv, ts_err *e);
/* Add one point (duplicates of an existing (variant, desc) are ignored). */
int ts_plan_add(ts_plan_pts *pl, const ts_variant *v, const ts_problem *p, ts_err *e);
/* Stable-reorder the points into chunks (first appearance order of each shape). */
int ts_plan_group(ts_plan_pts *pl, ts_err *e);
void ts_plan_free(ts_plan_pts *pl);
/* The chunk's name: the shape's descriptor without threads, ':' -> '-'. */
void ts_plan_chunk_name(const ts_plan_pts *pl, size_t chunk, char *buf, size_t n);

/* Callbacks of a timing run. */
typedef struct ts_bench_hooks {
    /* a point's verification ("verify") or timing ("time") starts; may repeat;
     * pt == NULL: Google Benchmark is about to print (clear a progress line) */
    void (*start)(void *user, const ts_point *pt, const char *phase);
    /* a point is finished (status != TODO); not called for interrupted points */
    void (*done)(void *user, ts_point *pt);
    void *user;
} ts_bench_hooks;

typedef struct ts_bench_cfg {
    uint64_t seed;        /* verification and timing inputs */
    const ts_peak *peak;  /* adds % of peak / % of bandwidth counters; NULL = none */
    int gb_argc;          /* argv[0] and Google Benchmark flags only */
    char **gb_argv;
    ts_bench_hooks hooks;
} ts_bench_cfg;

bool ts_bench_available(void); /* built with Google Benchmark */

/* Verify every TODO point of pts[0..n) (failures, skips and errors are done at
 * once, never timed), then time the verified ones as one GB run whose JSON goes
 * to json_path (NULL = none).  Returns 0, or -1 with e (a bad GB flag, the JSON
 * not writable).  Points cut short by ts_bench_interrupt stay TODO. */
int ts_bench_chunk(ts_point *pts, size_t n, const ts_bench_cfg *cfg, const char *json_path,
                   ts_err *e);

/* Async-signal-safe: the point being timed stops at its next iteration and is
 * dropped, the rest of the chunk is skipped. */
void ts_bench_interrupt(void);
bool ts_bench_interrupted(void);

/* Split a command line into ours (own, argv[0] kept, NULL-terminated) and
 * Google Benchmark's (gb: every --benchmark_* and --v=N).  Both hold argc+1. */
void ts_split_gb_args(int argc, char **argv, int *n_own, char **own, int *n_gb, char **gb);
/* A key/value pair for the "context" of every GB JSON written later (no-op without GB). */
void ts_bench_add_context(const char *key, const char *value);
/* Google Benchmark's flags in argv[1..] are all valid (argv is not changed). */
int ts_bench_check_flags(int argc, char **argv, ts_err *e);
/* "--benchmark_min_time=0.05" in the syntax of the GB this was built with. */
void ts_bench_min_time_flag(double seconds, char *buf, size_t n);

/* Integer list option: items "a", "lo:hi" (step 1), "lo:hi:xK" (times K),
 * "lo:hi:+K" (step K), comma-separated; "nproc" stands for the online CPUs. */
int ts_parse_int_list(const char *opt, const char *s, int64_t *out, size_t max, size_t *n, ts_err *e);

/* ---- the driver shared by bench and sweep ---- */
typedef struct ts_drive {
    const char *cmd;       /* "bench" / "sweep", for messages */
    const char *out_dir;   /* NULL = console only; else points.csv and gb/ there */
    const char *run_id;
    const ts_peak *peak;   /* for the CSV fractions; may be NULL */
    ts_bench_cfg bench;    /* hooks are the driver's own */
    bool plain_progress;   /* stderr not a terminal: one line per finished point */
    /* counts, filled by ts_bench_drive */
    size_t n_ok, n_fail, n_skipped, n_error, n_noisy, n_left;
} ts_drive;

/* Run every TODO point chunk by chunk: CSV rows appended and flushed as each
 * point finishes, a progress line on stderr, failures and noisy rows flagged.
 * Returns 0 (check d->n_fail etc.), or -1 with e. */
int ts_bench_drive(ts_plan_pts *pl, ts_drive *d, ts_err *e);

/* Everything bench and sweep do once the plan is known (cmd_sweep.c). */
typedef struct ts_run_opts {
    const char *cmd;            /* "bench" / "sweep" */
    const char *run_id;         /* NULL = made here (UTC date-time and host) */
    int argc;                   /* the command line, for meta.json */
    char **argv;
    const char *out_dir;        /* results folder; NULL = console only */
    const char *resume_dir;     /* sweep --resume DIR (then out_dir is ignored) */
    const char *peak_file;      /* --peak FILE */
    bool measure_peak;          /* no peak given or found: measure and save one */
    const char *gb_defaults[4]; /* GB flags before the user's */
    int n_gb_defaults;
    char **gb_user;             /* GB flags from the command line */
    int n_gb_user;
    uint64_t seed;
    bool seed_given;
    const char *const *sets;
    size_t nsets;
    bool plain_progress;
} ts_run_opts;
/* Run the plan (with --resume and an empty plan: the recorded one); the exit
 * status: 0, 1 some point failed or errored, 2 bad input, 130 interrupted. */
int ts_run_plan(ts_plan_pts *pl, const ts_run_opts *o);

/* Install SIGINT/SIGTERM handlers that call ts_bench_interrupt (the second
 * signal kills at once: the CSV is written a whole line per write()). */
void ts_bench_catch_signals(void);

#endif
