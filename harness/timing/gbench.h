/* Google Benchmark from C: the extern "C" face of harness/timing/gbench_shim.cc (the
 * project's only C++).  C code runs rounds of benchmarks (a name, a function, a
 * context pointer, an iteration count) with Google Benchmark's own command-line
 * flags, gets each one's time back, and has the rounds reported as GB's JSON and
 * console table.  Every benchmark measures real time (OpenMP work runs on
 * threads GB does not see), in microseconds.  Only built when TS_HAVE_GBENCH is
 * defined. */
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

/* Inside a benchmark function. */
bool gbench_keep_running(gbench_state *st);               /* the timing loop */
void gbench_counter(gbench_state *st, const char *name, double value, uint32_t flags);
void gbench_label(gbench_state *st, const char *label);
/* Marks the run as failed; keep_running returns false from then on. */
void gbench_skip_with_error(gbench_state *st, const char *msg);
void gbench_do_not_optimize(const void *p);
/* A manual-time member's time for the current iteration (real seconds). */
void gbench_set_iteration_time(gbench_state *st, double seconds);

/* A key/value pair for the "context" object of GB's JSON (before running). */
void gbench_add_context(const char *key, const char *value);
/* The library version this binary was built against ("1.7.1"), or "unknown". */
const char *gbench_version(void);
/* Parse GB's flags from argv without running anything: 0, or 1 with the first
 * unrecognised flag named in err. */
int gbench_check_flags(int *argc, char **argv, char *err, size_t err_len);

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
    bool manual_time;   /* the function reports each iteration's time (gbench_set_iteration_time):
                           a peer, timed in its own process; else GB's clock around the loop */
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

#ifdef __cplusplus
}
#endif
#endif
