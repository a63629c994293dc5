/* The drive of a timing run, shared by `tiedseq bench` and `tiedseq sweep`:
 * the results folder (fresh or resumed), the definition written before
 * anything is measured, the peak, thread pinning, then the plan chunk by chunk
 * through the rounds engine (rounds.h), every finished chunk's rows appended
 * to samples.csv, pairs.csv, then points.csv, with progress on stderr. */
#ifndef TS_DRIVE_H
#define TS_DRIVE_H
#include "harness/timing/plan.h"
#include "harness/timing/rounds.h"

typedef struct ts_run_opts {
    const char *cmd;            /* "bench" / "sweep" */
    const char *run_id;         /* NULL = made here (UTC date-time and host) */
    int argc;                   /* the command line, for meta.json */
    char **argv;
    const char *out_dir;        /* results folder; NULL = console only */
    const char *resume_dir;     /* sweep --resume DIR (then out_dir is ignored) */
    const char *peak_file;      /* --peak FILE: must load, or the run is refused */
    bool measure_peak;          /* no peak given or found: measure and save one */
    char **gb_user;             /* GB flags from the command line */
    int n_gb_user;
    const char *filter;         /* --filter REGEX on "variant/problem"; NULL = all */
    ts_timing_opts timing;
    bool timing_given;          /* a timing option was on the command line */
    uint64_t seed;
    bool seed_given;
    const char *const *sets;
    size_t nsets;
    int shard_k, shard_n;       /* sweep --shard K/N: run only that part of the plan; 0 = not given */
} ts_run_opts;

/* Run the plan (with --resume and an empty plan: the recorded one); returns the
 * exit status: 0, 1 some point failed or errored, 2 bad input, 130 interrupted. */
int ts_run_plan(ts_plan_pts *pl, const ts_run_opts *o);

/* The timing options of bench and sweep, for their getopt_long tables; the
 * codes go to ts_timing_parse with the option's value. */
#define TS_TIMING_LONGOPTS                                                                            \
    {"min-rounds", required_argument, 0, 1001}, {"max-rounds", required_argument, 0, 1002},           \
        {"sample-ms", required_argument, 0, 1003}, {"budget", required_argument, 0, 1004},            \
        {"ci-target", required_argument, 0, 1005}, {"filter", required_argument, 0, 1006},         \
        {"passes", required_argument, 0, 1007}
/* 1001..1005 and 1007 set t (0, or -1 with e); 1006 (--filter) is the caller's. */
int ts_timing_parse(int code, const char *val, ts_timing_opts *t, ts_err *e);
#define TS_TIMING_USAGE                                                                       \
    "timing (interleaved rounds, see docs/benchmarking.md):\n"                                \
    "  --min-rounds N   (10)   --max-rounds N (200)   --sample-ms MS (10)\n"                   \
    "  --budget S       (1: sampling seconds per point)   --ci-target F (0.02)\n"              \
    "  --passes P       (3: sweeps over the whole plan, each a share of the rounds)\n"          \
    "  --filter REGEX   only the points whose variant/problem matches (POSIX ERE)\n"

/* The options bench and sweep share, with one parser. */
typedef struct ts_run_args {
    ts_problem_list probs;      /* --problem D, --set NAME */
    const char *sets[32];
    size_t nsets;
    const char *variants, *out, *peak, *filter;
    const char *peers;          /* --peers tensorflow,pytorch: added to the variants */
    uint64_t seed;
    bool seed_given;
    ts_timing_opts timing;
    bool timing_given;
} ts_run_args;
#define TS_RUN_LONGOPTS                                                                          \
    {"problem", required_argument, 0, 'p'}, {"set", required_argument, 0, 's'},                 \
        {"variants", required_argument, 0, 'v'}, {"out", required_argument, 0, 'o'},            \
        {"peak", required_argument, 0, 'k'}, {"seed", required_argument, 0, 'S'},                 \
        {"peers", required_argument, 0, 'P'}, TS_TIMING_LONGOPTS
void ts_run_args_init(ts_run_args *a); /* seed 42, the default timing */
/* getopt code c with its value: 1 taken, 0 not a shared option, -1 bad value (e). */
int ts_run_option(int c, const char *val, ts_run_args *a, ts_err *e);
/* --variants (default: every registered variant, no peer), then --peers. */
int ts_run_variants(const ts_run_args *a, const ts_variant **out, size_t cap, size_t *n, ts_err *e);
#define TS_PEERS_USAGE                                                                         \
    "  --peers LIST     also time peers in the same rounds: tensorflow, pytorch (docs/peers.md;\n" \
    "                   they may also be named in --variants; never in the default set)\n"


/* Pin OpenMP threads unless the user chose: when OMP_PROC_BIND and OMP_PLACES
 * are both unset, set them (close, cores) and re-execute this process (libgomp
 * reads them when it loads).  Returns only when nothing was done, or on failure. */
void ts_pin_threads_or_reexec(char **argv);
/* "tiedseq" when ts_pin_threads_or_reexec set them, "user" when they were set, else "none". */
const char *ts_pinned_by(void);

#endif
