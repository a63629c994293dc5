/* Google Benchmark from C: the extern "C" face of harness/timing/gbench_shim.cc (the
 * project's only C++).  C code registers benchmarks (a name, a function, a
 * context pointer), runs them with Google Benchmark's own command-line flags,
 * and receives every repetition and aggregate as a plain struct as soon as GB
 * reports it.  Every benchmark measures real time (OpenMP work runs on threads
 * GB does not see), in microseconds, with a "min" aggregate beside GB's
 * mean/median/stddev/cv.  Only built when TS_HAVE_GBENCH is defined. */
#ifndef TS_GBENCH_H
#define TS_GBENCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gbench_state gbench_state; /* a benchmark::State, opaque */
typedef void (*gbench_fn)(gbench_state *st, void *ctx);

/* Counter flags: GB's benchmark::Counter::Flags values.  INVERT is 1<<31, which
 * does not fit a C enum, hence uint32_t flags and #defines. */
#define GBENCH_CTR_DEFAULT 0u
#define GBENCH_CTR_RATE 1u                 /* divided by the measured time */
#define GBENCH_CTR_ITER_INVARIANT 4u       /* multiplied by the iteration count */
#define GBENCH_CTR_ITER_INVARIANT_RATE 5u  /* value per iteration, reported per second */
#define GBENCH_CTR_INVERT 0x80000000u      /* 1/x last: with a rate, seconds per unit */

/* Register fn(st, ctx) under `name` (copied).  GB appends "/real_time".  The
 * shim applies UseRealTime, microseconds and the "min" statistic; repetitions
 * and min time come from the command line only (per-benchmark settings change
 * the names compare.py matches).  0 or -1. */
int gbench_register(const char *name, gbench_fn fn, void *ctx);
/* Drop every registered benchmark. */
void gbench_clear(void);

/* Inside a benchmark function. */
bool gbench_keep_running(gbench_state *st);               /* the timing loop */
bool gbench_keep_running_batch(gbench_state *st, int64_t n);
int64_t gbench_iterations(const gbench_state *st);       /* done so far */
void gbench_pause(gbench_state *st);                      /* PauseTiming */
void gbench_resume(gbench_state *st);                     /* ResumeTiming */
void gbench_counter(gbench_state *st, const char *name, double value, uint32_t flags);
void gbench_label(gbench_state *st, const char *label);
/* Marks the run as failed; keep_running returns false from then on. */
void gbench_skip_with_error(gbench_state *st, const char *msg);
void gbench_do_not_optimize(const void *p);

/* A key/value pair for the "context" object of GB's JSON (before running). */
void gbench_add_context(const char *key, const char *value);
/* The library version this binary was built against ("1.7.1"), or "unknown". */
const char *gbench_version(void);
/* The --benchmark_min_time flag for `seconds` in this GB's syntax ("0.05" for
 * 1.7, "0.05s" from 1.8 on), e.g. "--benchmark_min_time=0.05". */
void gbench_min_time_flag(double seconds, char *buf, size_t n);

/* Parse GB's flags from argv (as gbench_run_chunk does) without running
 * anything: 0, or 1 with the first unrecognised flag named in err. */
int gbench_check_flags(int *argc, char **argv, char *err, size_t err_len);

/* One reported run, repetition or aggregate, as GB reports it. */
typedef struct gbench_row {
    const char *name;       /* "naive/lstm:b16:i512:h512:e25:d25:teacher:t2/real_time" (+ "_median" etc.) */
    const char *run_name;   /* the same without the aggregate suffix */
    const char *aggregate;  /* "" for a repetition, else "mean" "median" "stddev" "cv" "min" */
    const char *label;
    int64_t iterations, repetition_index, repetitions;
    double real_s, cpu_s;   /* per iteration, seconds (cv rows: the fraction itself) */
    int error;
    const char *error_msg;
    int n_counters;
    const char *const *counter_names;
    const double *counter_values; /* as GB reports them: rates already divided */
    int final;              /* 1 on the last row GB reports for this benchmark */
} gbench_row;
typedef void (*gbench_row_fn)(void *user, const gbench_row *row);

/* Run what is registered with GB's flags from argv (argv[0] is a program name;
 * GB removes what it parses), console table to stdout, GB's JSON to json_path
 * (NULL = none; written as json_path.partial and renamed when complete), each
 * row to on_row as soon as GB reports it (before the console prints it), then
 * clear the registrations.  0 ok, 1 an unrecognised flag (named in err), 2 no
 * benchmark ran (e.g. --benchmark_filter matched none), 3 the JSON could not be
 * written (err says why). */
int gbench_run_chunk(int *argc, char **argv, const char *json_path, gbench_row_fn on_row,
                     void *user, char *err, size_t err_len);

/* ---- interleaved rounds (harness/timing/rounds.c) ----
 * A round runs each member once, in the order given, for exactly `iters`
 * iterations (GB's fixed-iteration mode, one repetition); GB times the loop.
 * The runs are kept until gbench_chunk_report, which writes them as the
 * repetitions of each benchmark (one per round) to GB's JSON and console, with
 * the aggregates computed by the caller. */
typedef struct gbench_member {
    const char *name;   /* "avx2/lstm:b1:...:t1" or "probe/fma:t2"; GB adds "/real_time" */
    gbench_fn fn;
    void *ctx;
    int64_t iters;
    /* out */
    double seconds;     /* real time per iteration; NAN when it did not run */
    int error;          /* the function called gbench_skip_with_error */
    char error_msg[256];
} gbench_member;

/* Parse GB's flags once (as gbench_check_flags) before rounds; 0 or 1 (err). */
int gbench_rounds_init(int *argc, char **argv, char *err, size_t err_len);
/* Run one round; round_index numbers the stored repetitions.  0, or -1 (err). */
int gbench_round(gbench_member *m, size_t n, int64_t round_index, char *err, size_t err_len);

typedef struct gbench_aggregate {
    const char *name;   /* as the member's name */
    const char *stat;   /* "median", "ci_lo", "cv", ... */
    double value;       /* seconds, or a fraction when percentage */
    int percentage;
    int64_t n;          /* the rounds it summarises */
    const char *label;  /* "" for none */
} gbench_aggregate;
/* Report the stored runs of the members named in names[0..nn) and the
 * aggregates: console (the aggregates only) and GB's JSON at json_path (NULL:
 * none; written through json_path.partial, renamed when complete); then forget
 * those runs (others, of chunks still in an earlier pass, stay).  0, or -1 with err. */
int gbench_chunk_report(const char *json_path, const char *const *names, size_t nn, const gbench_aggregate *a,
                        size_t na, char *err, size_t err_len);
/* Forget the stored runs without reporting (an interrupted chunk). */
void gbench_chunk_discard(void);

#ifdef __cplusplus
}
#endif
#endif
