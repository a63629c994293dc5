/* The machine's own limits, measured (never from a datasheet): fp32 FMA peak per
 * ISA and thread count, read bandwidth per cache level, OpenMP barrier cost.
 * Saved as JSON (peak.json) and copied into each run's meta.json:
 * {"threads_max": 2, "cpu_model": "...", "isa": "avx2 fma avx512f ...",
 *  "fma_gflops": {"avx2": {"1": x, "2": y}, "avx512": {...}, "best": {...}},
 *  "bf16_gflops": {"avx512_bf16": {...}, "amx": {...}},   ({} where the CPU lacks them)
 *  "bw_gbps": {"L1": {"1": x, "2": y}, "L2": {...}, "L3": {...}, "DRAM": {...}},
 *  "level_bytes": {"L1": 49152, "L2": 2097152, "L3": 31457280},
 *  "barrier_ns": {"1": x, "2": y}} */
#ifndef TS_PEAK_H
#define TS_PEAK_H
#include "kernels/tiedseq.h"

#include <stdio.h>

#define TS_PEAK_MAX_T 256
enum { TS_LEVEL_L1, TS_LEVEL_L2, TS_LEVEL_L3, TS_LEVEL_DRAM, TS_LEVELS };

typedef struct ts_peak {
    int threads_max;                               /* thread counts 1..threads_max were measured */
    double fma_avx2[TS_PEAK_MAX_T + 1];            /* GFLOP/s, index = threads; 0 = not measured */
    double fma_avx512[TS_PEAK_MAX_T + 1];
    double fma_best[TS_PEAK_MAX_T + 1];            /* max over ISAs available */
    /* bf16 roofs (0: the CPU lacks them): vdpbf16ps, AMX tdpbf16ps; JSON "bf16_gflops" */
    double dp_bf16[TS_PEAK_MAX_T + 1];
    double amx_bf16[TS_PEAK_MAX_T + 1];
    double bw_gbps[TS_LEVELS][TS_PEAK_MAX_T + 1];  /* aggregate read bandwidth of t threads */
    double level_bytes[TS_LEVELS];                 /* per-core L1/L2, shared L3 capacity; DRAM 0 */
    double barrier_ns[TS_PEAK_MAX_T + 1];
    char cpu_model[128], isa[128];
} ts_peak;

/* Measure 1..max_threads (keeps the total near `seconds`). */
int ts_peak_measure(ts_peak *pk, int max_threads, double seconds, ts_err *e);
int ts_peak_save(const ts_peak *pk, const char *path, ts_err *e);   /* atomic (tmp + rename) */
int ts_peak_load(const char *path, ts_peak *pk, ts_err *e);
/* Best FMA GFLOP/s at `threads` (clamped to the measured range). */
double ts_peak_gflops(const ts_peak *pk, int threads);
/* The compute roof of a variant's arithmetic at `threads`: the fp32 FMA peak,
 * or for a bf16 variant whose ISA has vdpbf16ps (AMX), that roof; avx2-bf16
 * computes with fp32 FMAs, so its roof is the fp32 FMA peak.  0 = not measured. */
double ts_peak_gflops_for(const ts_peak *pk, int threads, ts_precision q, uint32_t isa);
/* Aggregate bandwidth (GB/s) of the level where a working set of `bytes`, split
 * evenly over `threads` private caches, fits. */
double ts_peak_bandwidth(const ts_peak *pk, double bytes, int threads);

/* ---- additions (the contract above is unchanged) ---- */
/* (ts_peak_load also accepts a run's meta.json: it reads its "peak" object.) */
/* ts_peak_measure with the DRAM read test's working set (bytes, all threads) set by
 * the caller; 0 = the default (4x L3 within [256 MiB, 1 GiB], at most a quarter
 * of free memory).  Tests use a small one to stay quick. */
int ts_peak_measure_ex(ts_peak *pk, int max_threads, double seconds, double dram_bytes, ts_err *e);
/* "L1" "L2" "L3" "DRAM" */
const char *ts_peak_level_name(int level);
/* The level ts_peak_bandwidth uses for `bytes` on `threads`: per-thread share within
 * L1 or L2 capacity, else the whole within L3, else DRAM. */
int ts_peak_level(const ts_peak *pk, double bytes, int threads);
/* Bytes (all threads together) the read test of `level` streams on `threads`. */
double ts_peak_working_set(const ts_peak *pk, int level, int threads);
/* The peak.json object, without a trailing newline, nested lines indented by
 * indent+1 spaces: for embedding under "peak" in meta.json. */
void ts_peak_write_json(const ts_peak *pk, FILE *f, int indent);

/* ---- calibration probes: the kernels above, as members of the timing
 * engine's rounds (harness/timing/rounds.c) ---- */
/* TS_PROBE_DP_BF16: the vdpbf16ps loop, the roof of bf16 variants that compute
 * with it (only where the CPU has AVX512-BF16) */
typedef enum { TS_PROBE_FMA, TS_PROBE_READ, TS_PROBE_DP_BF16 } ts_probe_kind;
typedef struct ts_probe {
    ts_probe_kind kind;
    int threads, level;  /* level: TS_LEVEL_* of a read probe */
    float *buf;          /* read probe: threads x per_thread floats, first-touched by their readers */
    size_t per_thread;
    int64_t units;       /* FMA iterations, or read passes, per thread per call */
    double work;         /* FLOPs (FMA) or bytes (read) of one call, all threads */
    int job;             /* the kernel (peak.c's job kind) */
} ts_probe;
/* Choose the kernel (the widest FMA loop this CPU runs; the read loop over a
 * working set of `level` as `tiedseq peak` sizes it from pk's cache sizes) and
 * the units so one call takes about `seconds`. */
int ts_probe_init(ts_probe *pr, ts_probe_kind kind, int level, int threads, const ts_peak *pk,
                  double seconds, ts_err *e);
/* One call: units on every thread between two barriers (what GB times). */
void ts_probe_call(const ts_probe *pr);
void ts_probe_free(ts_probe *pr);
/* The cache sizes `tiedseq peak` uses (sysconf, then sysfs), without measuring. */
void ts_cache_levels(double bytes[TS_LEVELS]);

#endif
