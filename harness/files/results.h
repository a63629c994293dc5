/* The results folder of a bench or sweep run (results/<run-id>/):
 *   points.csv  tidy, one row per (variant, problem), appended a whole line per
 *               write() as each point finishes, so a killed run leaves valid rows
 *   meta.json   machine, software and run description (written atomically)
 *   sweep.txt   the planned points, seed and GB flags: what --resume checks
 *   peak.json   the measured machine limits (harness/probes/peak.h)
 *   gb/<chunk>.json  Google Benchmark's own JSON (compare.py loads it)
 * The column set is a contract shared with compare, summary and the plots. */
#ifndef TS_RESULTS_H
#define TS_RESULTS_H
#include "harness/timing/plan.h"
#include "harness/timing/rounds.h"
#include "harness/probes/peak.h"

/* host: the machine the row was measured on (short host name), so runs of several
 * machines merged into one folder (tiedseq merge) stay apart; every run writes it. */
#define TS_CSV_HEADER                                                                          \
    "run_id,host,variant,problem,cell,B,I,H,E,D,feed,V,threads,status,rounds,iters,median_us,ci_lo_us,"  \
    "ci_hi_us,min_us,mean_us,cv,gflops_median,gflops_best,us_per_step,cal,cal_lo,cal_hi,peak_frac," \
    "bw_frac,bw_level,probe_gflops,probe_gbps,probe_spread,unstable,wgbps,max_abs_err,tol,precision,"            \
    "drift_out_max,drift_out_rms,drift_state_max,drift_state_rms,sym_agree,first_div,label"
/* samples.csv: every sample of every member (points and probes), as measured */
#define TS_SAMPLES_HEADER "run_id,member,problem,threads,round,position,iterations,us"
/* pairs.csv: the paired per-round ratio of two points of one shape */
#define TS_PAIRS_HEADER \
    "run_id,variant_a,problem_a,variant_b,problem_b,rounds,ratio,ratio_lo,ratio_hi"

/* Derived numbers of a timed point; NAN where there is no value. */
typedef struct ts_metrics {
    double gflops_median, gflops_best; /* ts_flops_total / median, / min */
    double us_per_step;                /* median / (E+D) */
    double wgbps;                      /* recurrent bytes per step / time per step, GB/s */
} ts_metrics;
void ts_point_metrics(const ts_point *pt, ts_metrics *m);

/* One CSV line (with '\n') of a finished point.  Returns its length or -1. */
int ts_csv_format_row(const char *run_id, const char *host, const ts_point *pt, char *buf, size_t n);
/* A chunk's samples.csv and pairs.csv rows, as one string each (malloc'd, NULL: out of memory). */
char *ts_samples_rows(const char *run_id, const ts_chunk_result *r, const char *shape);
char *ts_pairs_rows(const char *run_id, const ts_chunk_result *r);

/* points.csv (samples.csv, pairs.csv), opened for appending; a new file gets the header. */
typedef struct ts_csv_out {
    int fd;
} ts_csv_out;
int ts_csv_open(ts_csv_out *c, const char *path, const char *header, ts_err *e);
int ts_csv_append(ts_csv_out *c, const char *text, ts_err *e); /* one write(): never half a line */
void ts_csv_close(ts_csv_out *c);

/* Resume: read DIR/points.csv (absent = nothing done) by column name, mark the
 * plan's points whose row has status ok/fail/skipped as done (the row's values
 * are not reloaded), and rewrite it without other rows (error, or a line cut
 * short by a kill), atomically, so the re-run adds no duplicates; refuse rows
 * of another run_id.  samples.csv and pairs.csv keep only the rows of points
 * that points.csv holds as ok.  *n_done = points marked. */
int ts_results_resume(const char *dir, const char *run_id, ts_plan_pts *pl, size_t *n_done, ts_err *e);

/* sweep.txt: the sweep's definition. */
typedef struct ts_sweep_def {
    char run_id[96];
    char gbench[2048];   /* the GB flags passed through, space-separated */
    char timing[512];    /* the engine's options (ts_timing_format) */
    uint64_t seed;
    int shard_k, shard_n;  /* this run's shard of the sweep (1/1: all of it; 0/0: not recorded) */
    char definition[17];   /* ts_plan_hash of the whole sweep; "" when not recorded */
} ts_sweep_def;
/* The text the definition's hash covers besides the points (no run id, no shard). */
void ts_sweep_def_text(const ts_sweep_def *d, char *buf, size_t n);
/* "min_rounds=10 max_rounds=200 sample_ms=10 budget_s=1 ci_target=0.02 unstable_spread=0.1 passes=3" */
void ts_timing_format(const ts_timing_opts *o, char *buf, size_t n);
int ts_sweep_def_write(const char *path, const ts_sweep_def *d, const ts_plan_pts *pl, ts_err *e);
/* Reads the definition and its points (into an empty plan, grouped). */
int ts_sweep_def_read(const char *path, ts_sweep_def *d, ts_plan_pts *pl, ts_err *e);

/* meta.json */
typedef struct ts_meta_info {
    const char *run_id;
    int argc;            /* the command line, recorded as typed */
    char **argv;
    const char *peak_path; /* its contents go under "peak"; NULL/unreadable = null */
    const char *gbench_args;
    const char *timing;    /* ts_timing_format of the engine's options */
    const char *omp_pinned; /* "tiedseq" when tiedseq set OMP_PROC_BIND/OMP_PLACES, "user", or "none" */
    const char *const *sets;
    size_t nsets;
    const ts_plan_pts *plan; /* variants and thread counts */
    uint64_t seed;
    int shard_k, shard_n;    /* 1/1 when not sharded */
    const char *definition;  /* ts_plan_hash of the whole sweep */
} ts_meta_info;
int ts_meta_write(const char *path, const ts_meta_info *mi, ts_err *e);
/* The same facts, as "ts_*" key/value pairs for GB's JSON context. */
void ts_meta_context(const char *run_id, void (*add)(const char *key, const char *value));

/* "20250131-142501-host": UTC date and time, then the short host name. */
void ts_make_run_id(char *buf, size_t n);
/* This machine's short host name (up to the first '.'), "host" when unknown. */
void ts_host_name(char *buf, size_t n);
/* mkdir -p dir and dir/gb; the folder must be writable. */
int ts_results_dir_prepare(const char *dir, ts_err *e);
/* Write a whole file atomically (path.tmp, then rename). */
int ts_write_file_atomic(const char *path, const char *data, size_t len, ts_err *e);
/* Read a whole (small) file; NULL with e on failure.  free() the result. */
char *ts_read_file(const char *path, size_t *len, ts_err *e);
/* Append s to buf as a JSON string literal (with quotes); returns 0 or -1 if full. */
int ts_json_string(char *buf, size_t n, const char *s);

#endif
