/* `tiedseq peak`: measure the machine's own roofs (harness/probes/peak.h), save and load
 * them as JSON.  The FMA and read loops are ISA micro-kernels in kernels/x86/peak-*.c;
 * this file only schedules them over threads, times them and keeps the best. */
#include "harness/probes/peak.h"

#include "kernels/cpu.h"
#include "kernels/x86/peak-kernels.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const level_names[TS_LEVELS] = {"L1", "L2", "L3", "DRAM"};

const char *ts_peak_level_name(int level)
{
    return level >= 0 && level < TS_LEVELS ? level_names[level] : "?";
}

/* ------------------------------------------------------------------ cache sizes */

/* "48K", "2048K", "300M" from /sys/devices/system/cpu/cpu0/cache/indexN/size */
static double sys_cache_size(int level)
{
    char path[128], buf[64], type[32];
    for (int idx = 0; idx < 8; idx++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int lv = 0;
        int ok = fscanf(f, "%d", &lv) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        ok = ok && f && fscanf(f, "%31s", type) == 1;
        if (f)
            fclose(f);
        if (!ok || lv != level || !strcmp(type, "Instruction"))
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        f = fopen(path, "r");
        if (!f || !fgets(buf, sizeof buf, f)) {
            if (f)
                fclose(f);
            return 0;
        }
        fclose(f);
        char *end;
        double v = strtod(buf, &end);
        return v * (*end == 'K' ? 1024.0 : *end == 'M' ? 1048576.0 : *end == 'G' ? 1073741824.0 : 1.0);
    }
    return 0;
}

/* The smaller of sysconf (glibc reads cpuid) and sysfs (the kernel's view) when
 * both answer: in a VM they can disagree (an AMD EPYC guest here: glibc 256 MiB
 * of L3, sysfs the real 32 MiB), and a working set sized on the larger one would
 * spill to DRAM and call it L3.  A guess only when both are silent, and then only
 * to size the working sets (the bandwidths are still measured). */
static void detect_levels(double bytes[TS_LEVELS])
{
    static const int names[3] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
    static const double guess[3] = {32768.0, 1048576.0, 8388608.0};
    for (int l = 0; l < 3; l++) {
        long v = sysconf(names[l]);
        double fs = sys_cache_size(l + 1);
        bytes[l] = v > 0 && fs > 0 ? fmin((double)v, fs) : v > 0 ? (double)v : fs;
        if (bytes[l] <= 0)
            bytes[l] = guess[l];
    }
    bytes[TS_LEVEL_DRAM] = 0;
}

static size_t round_floats(double bytes)
{
    size_t n = (size_t)(bytes / sizeof(float));
    return n / 1024 * 1024; /* 4 KiB multiples: aligned, whole read blocks */
}

static double dram_override; /* ts_peak_measure_ex's dram_bytes, for the printout too */

/* Working set (bytes, all threads together) of each level's read test:
 * L1/L2 half a private cache per thread; L3 half the shared cache, at least 4x the
 * threads' L2 so it spills out of them, capped at 64 MiB to stay quick (this VM
 * reports a 300 MiB L3); DRAM 4x L3 within [256 MiB, 1 GiB] and a quarter of free
 * memory.  On many-core parts 4x the threads' L2 can exceed the L3: then "L3" reads
 * mostly hit L2, a limit of the machine, not of the test. */
double ts_peak_working_set(const ts_peak *pk, int level, int threads)
{
    const double *lb = pk->level_bytes, MiB = 1048576.0;
    switch (level) {
    case TS_LEVEL_L1: return threads * lb[TS_LEVEL_L1] / 2;
    case TS_LEVEL_L2: return threads * lb[TS_LEVEL_L2] / 2;
    case TS_LEVEL_L3: {
        double ws = fmax(64 * MiB, 4 * lb[TS_LEVEL_L2] * pk->threads_max);
        return fmin(lb[TS_LEVEL_L3] / 2, ws);
    }
    default: {
        if (dram_override > 0)
            return dram_override;
        double ws = fmin(fmax(4 * lb[TS_LEVEL_L3], 256 * MiB), 1024 * MiB);
        long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        if (pages > 0 && psz > 0)
            ws = fmin(ws, (double)pages * (double)psz / 4);
        return fmax(ws, 16 * MiB);
    }
    }
}

/* ------------------------------------------------------------------ timing */

typedef enum { JOB_FMA_AVX2, JOB_FMA_AVX512, JOB_FMA_SSE2, JOB_READ, JOB_BARRIER, JOB_DP_BF16, JOB_AMX_BF16 } job_kind;

typedef struct job {
    job_kind kind;
    const float *buf;   /* JOB_READ: thread k reads buf[k*per_thread ...] */
    size_t per_thread;  /* floats */
    uint32_t isa;       /* ts_cpu_isa(): picks the widest read loop */
    int64_t *hint;      /* calibrated units of the previous thread count, kept across
                           calls: each calibration step costs a thread wake-up, and on
                           a busy box those are slow */
} job;

static volatile float sink; /* results land here so no loop is optimised away */

static float read_loop(const job *j, const float *p, int64_t passes)
{
#if TS_HAVE_AVX512
    if ((j->isa & TS_ISA_AVX512) == TS_ISA_AVX512)
        return ts_f32_read__avx512(p, j->per_thread, passes);
#endif
#if TS_HAVE_AVX2
    if ((j->isa & TS_ISA_AVX2_FMA) == TS_ISA_AVX2_FMA)
        return ts_f32_read__avx2(p, j->per_thread, passes);
#endif
    return ts_f32_read__sse2(p, j->per_thread, passes);
}

/* One thread's share of a timed region: `units` iterations of the job. */
static float job_units(const job *j, int tid, int64_t units)
{
    switch (j->kind) {
#if TS_HAVE_AVX2
    case JOB_FMA_AVX2: return ts_f32_fma_peak__avx2(units);
#endif
#if TS_HAVE_AVX512
    case JOB_FMA_AVX512: return ts_f32_fma_peak__avx512(units);
    case JOB_DP_BF16: return ts_bf16_dp_peak__avx512bf16(units);
    case JOB_AMX_BF16: return ts_bf16_tile_peak__amx(units);
#endif
    case JOB_FMA_SSE2: return ts_f32_muladd_peak__sse2(units);
    case JOB_READ: return read_loop(j, j->buf + (size_t)tid * j->per_thread, units);
    case JOB_BARRIER:
        for (int64_t k = 0; k < units; k++) {
#pragma omp barrier
        }
        return 0;
    default: return 0;
    }
}

/* Wall time of `units` per thread on `threads` threads, between two barriers, so
 * thread start-up is outside and the slowest thread sets the time.  *got: the
 * team size OpenMP really gave (OMP_THREAD_LIMIT, OMP_DYNAMIC can shrink it). */
static double run_timed(const job *j, int threads, int64_t units, int *got)
{
    double t0 = 0, t1 = 0;
    float acc = 0;
#pragma omp parallel num_threads(threads) reduction(+ : acc)
    {
#pragma omp single
        *got = omp_get_num_threads();
#pragma omp master
        t0 = omp_get_wtime();
        acc += job_units(j, omp_get_thread_num(), units);
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
    }
    sink = acc;
    return t1 - t0;
}

/* Best (smallest) seconds per unit within about `budget` seconds of wall time:
 * grow the unit count until one run takes a tenth of the budget (this also warms
 * caches and clocks), then repeat runs of a fifth of it.  Best, not mean: a peak is
 * what the machine can do, and on a shared box every disturbance only slows a run. */
static int best_seconds_per_unit(const job *j, int threads, double budget, double *spu, ts_err *e)
{
    const double start = omp_get_wtime(), cal = fmax(budget / 10, 1e-3);
    /* start well below the previous thread count's units: a barrier or a shared
     * level can get much slower with more threads */
    int64_t units = j->hint && *j->hint > 64 ? *j->hint / 64 : 1;
    int got = 0;
    double t;
    for (;;) {
        t = run_timed(j, threads, units, &got);
        if (got != threads)
            return ts_fail(e, "peak: asked OpenMP for %d threads, got %d (OMP_THREAD_LIMIT? OMP_DYNAMIC?)",
                           threads, got);
        if (t >= cal || units >= ((int64_t)1 << 40))
            break;
        /* aim a little past cal; grow at most 16x while runs are so short that
         * start-up noise dominates them, 64x once they are measurable */
        double grow = t > 0 ? 1.25 * cal / t : 16;
        grow = fmin(fmax(grow, 2), t > 1e-4 ? 64 : 16);
        units = (int64_t)((double)units * grow);
    }
    if (j->hint)
        *j->hint = units;
    double best = t / (double)units;
    int64_t trial = (int64_t)fmax(1.0, (double)units * (budget / 5) / fmax(t, 1e-9));
    for (int k = 0; k < 12 && (k < 2 || omp_get_wtime() - start < budget); k++) {
        t = run_timed(j, threads, trial, &got);
        best = fmin(best, t / (double)trial);
    }
    if (!(best > 0) || !isfinite(best))
        return ts_fail(e, "peak: timer returned no usable time (%g s)", best);
    *spu = best;
    return 0;
}

/* ------------------------------------------------------------------ measuring */

enum { HINT_AVX2, HINT_AVX512, HINT_SSE2, HINT_DP_BF16, HINT_AMX, HINT_L1, HINTS = HINT_L1 + TS_LEVELS };

/* The bf16 roofs where the CPU has them (else they stay 0: "absent"). */
static int measure_bf16(ts_peak *pk, uint32_t isa, int t, double slice, int64_t *hints, ts_err *e)
{
    (void)pk, (void)isa, (void)t, (void)slice, (void)hints, (void)e;
#if TS_HAVE_AVX512
    double spu;
    if ((isa & TS_ISA_AVX512BF16) == TS_ISA_AVX512BF16) {
        job j = {.kind = JOB_DP_BF16, .hint = &hints[HINT_DP_BF16]};
        if (best_seconds_per_unit(&j, t, slice, &spu, e))
            return -1;
        pk->dp_bf16[t] = t * TS_PEAK_FLOPS_DPBF16 / spu / 1e9;
    }
    if ((isa & TS_ISA_AMX) == TS_ISA_AMX) {
        job j = {.kind = JOB_AMX_BF16, .hint = &hints[HINT_AMX]};
        if (best_seconds_per_unit(&j, t, slice, &spu, e))
            return -1;
        pk->amx_bf16[t] = t * TS_PEAK_FLOPS_AMX / spu / 1e9;
    }
#endif
    return 0;
}

static int measure_fma(ts_peak *pk, uint32_t isa, int t, double slice, int64_t *hints, ts_err *e)
{
    double spu;
#if TS_HAVE_AVX2
    if ((isa & TS_ISA_AVX2_FMA) == TS_ISA_AVX2_FMA) {
        job j = {.kind = JOB_FMA_AVX2, .hint = &hints[HINT_AVX2]};
        if (best_seconds_per_unit(&j, t, slice, &spu, e))
            return -1;
        pk->fma_avx2[t] = t * TS_PEAK_FLOPS_AVX2 / spu / 1e9;
    }
#endif
#if TS_HAVE_AVX512
    if ((isa & TS_ISA_AVX512) == TS_ISA_AVX512) {
        job j = {.kind = JOB_FMA_AVX512, .hint = &hints[HINT_AVX512]};
        if (best_seconds_per_unit(&j, t, slice, &spu, e))
            return -1;
        pk->fma_avx512[t] = t * TS_PEAK_FLOPS_AVX512 / spu / 1e9;
    }
#endif
    pk->fma_best[t] = fmax(pk->fma_avx2[t], pk->fma_avx512[t]);
    if (pk->fma_best[t] <= 0) { /* no AVX2+FMA (or built without it): SSE2 mul+add */
        job j = {.kind = JOB_FMA_SSE2, .hint = &hints[HINT_SSE2]};
        if (best_seconds_per_unit(&j, t, slice, &spu, e))
            return -1;
        pk->fma_best[t] = t * TS_PEAK_FLOPS_SSE2 / spu / 1e9;
    }
    return 0;
}

static int measure_bw(ts_peak *pk, const float *buf, uint32_t isa, int t, double slice, int64_t *hints,
                      ts_err *e)
{
    for (int l = 0; l < TS_LEVELS; l++) {
        size_t per = round_floats(ts_peak_working_set(pk, l, t) / t);
        if (per < TS_PEAK_READ_BLOCK)
            per = TS_PEAK_READ_BLOCK;
        job j = {.kind = JOB_READ, .buf = buf, .per_thread = per, .isa = isa, .hint = &hints[HINT_L1 + l]};
        double spu;
        if (best_seconds_per_unit(&j, t, l == TS_LEVEL_DRAM ? 2 * slice : slice, &spu, e))
            return -1;
        pk->bw_gbps[l][t] = t * (double)per * sizeof(float) / spu / 1e9;
    }
    return 0;
}

static int measure_barrier(ts_peak *pk, int t, double slice, ts_err *e)
{
    job j = {.kind = JOB_BARRIER}; /* no hint: its cost jumps from 1 thread to 2 */
    double spu;
    if (best_seconds_per_unit(&j, t, slice, &spu, e))
        return -1;
    pk->barrier_ns[t] = spu * 1e9;
    return 0;
}

/* One buffer serves every level: large enough for the biggest working set, written
 * by the threads that will read it (first touch), never left as untouched zero pages
 * (those all map one physical page and would fake a DRAM test). */
static float *read_buffer(const ts_peak *pk, size_t *floats, ts_err *e)
{
    double most = 0;
    for (int l = 0; l < TS_LEVELS; l++)
        most = fmax(most, ts_peak_working_set(pk, l, pk->threads_max));
    size_t n = round_floats(most) + (size_t)pk->threads_max * 1024 + 1024;
    float *buf = aligned_alloc(4096, n * sizeof(float));
    if (!buf) {
        ts_fail(e, "peak: cannot allocate %.0f MiB for the bandwidth test", n * 4.0 / 1048576.0);
        return NULL;
    }
#pragma omp parallel for num_threads(pk->threads_max) schedule(static)
    for (size_t i = 0; i < n; i++)
        buf[i] = (float)(i & 255) * (1.0f / 256);
    *floats = n;
    return buf;
}

int ts_peak_measure(ts_peak *pk, int max_threads, double seconds, ts_err *e)
{
    return ts_peak_measure_ex(pk, max_threads, seconds, 0, e);
}

int ts_peak_measure_ex(ts_peak *pk, int max_threads, double seconds, double dram_bytes, ts_err *e)
{
    memset(pk, 0, sizeof *pk);
    if (!(dram_bytes >= 0 && dram_bytes <= 64.0 * 1073741824.0))
        return ts_fail(e, "peak: DRAM working set %g bytes out of range 0..64 GiB", dram_bytes);
    dram_override = dram_bytes;
    if (max_threads <= 0)
        max_threads = omp_get_max_threads();
    if (max_threads < 1 || max_threads > TS_PEAK_MAX_T)
        return ts_fail(e, "peak: threads %d out of range 1..%d", max_threads, TS_PEAK_MAX_T);
    if (!(seconds >= 0.1 && seconds <= 3600))
        return ts_fail(e, "peak: seconds %g out of range 0.1..3600", seconds);
    uint32_t isa = ts_cpu_isa();
    pk->threads_max = max_threads;
    ts_cpu_model(pk->cpu_model, sizeof pk->cpu_model);
    ts_isa_names(isa, pk->isa, sizeof pk->isa);
    detect_levels(pk->level_bytes);

    int n_fma = ((isa & TS_ISA_AVX2_FMA) == TS_ISA_AVX2_FMA) + ((isa & TS_ISA_AVX512) == TS_ISA_AVX512);
    /* weights per thread count: FMA loops 1 each, L1-L3 1 each, DRAM 2, barrier 0.5 */
    double slice = seconds / (max_threads * (fmax(n_fma, 1) + 5.5));
    size_t nbuf;
    float *buf = read_buffer(pk, &nbuf, e);
    if (!buf)
        return -1;
    int rc = 0;
    int64_t hints[HINTS] = {0};
    for (int t = 1; t <= max_threads && !rc; t++)
        rc = measure_fma(pk, isa, t, slice, hints, e) || measure_bf16(pk, isa, t, slice, hints, e) ||
                     measure_bw(pk, buf, isa, t, slice, hints, e) ||
                     measure_barrier(pk, t, slice / 2, e)
                 ? -1
                 : 0;
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ probes */

void ts_cache_levels(double bytes[TS_LEVELS]) { detect_levels(bytes); }

static job probe_job(const ts_probe *pr)
{
    job j = {.kind = (job_kind)pr->job, .buf = pr->buf, .per_thread = pr->per_thread, .isa = ts_cpu_isa()};
    return j;
}

static job_kind widest_fma(uint32_t isa, double *flops)
{
#if TS_HAVE_AVX512
    if ((isa & TS_ISA_AVX512) == TS_ISA_AVX512)
        return *flops = TS_PEAK_FLOPS_AVX512, JOB_FMA_AVX512;
#endif
#if TS_HAVE_AVX2
    if ((isa & TS_ISA_AVX2_FMA) == TS_ISA_AVX2_FMA)
        return *flops = TS_PEAK_FLOPS_AVX2, JOB_FMA_AVX2;
#endif
    (void)isa;
    return *flops = TS_PEAK_FLOPS_SSE2, JOB_FMA_SSE2;
}

/* A read buffer for `level` on `threads`, each thread's share first-touched by it. */
static int probe_buffer(ts_probe *pr, const ts_peak *pk, ts_err *e)
{
    size_t per = round_floats(ts_peak_working_set(pk, pr->level, pr->threads) / pr->threads);
    pr->per_thread = per < TS_PEAK_READ_BLOCK ? TS_PEAK_READ_BLOCK : per;
    size_t n = pr->per_thread * (size_t)pr->threads;
    pr->buf = aligned_alloc(4096, n * sizeof(float));
    if (!pr->buf)
        return ts_fail(e, "probe: cannot allocate %.0f MiB for the %s read probe", n * 4.0 / 1048576.0,
                       ts_peak_level_name(pr->level));
#pragma omp parallel for num_threads(pr->threads) schedule(static)
    for (size_t i = 0; i < n; i++)
        pr->buf[i] = (float)(i & 255) * (1.0f / 256);
    return 0;
}

int ts_probe_init(ts_probe *pr, ts_probe_kind kind, int level, int threads, const ts_peak *pk,
                  double seconds, ts_err *e)
{
    memset(pr, 0, sizeof *pr);
    pr->kind = kind, pr->threads = threads, pr->level = level;
    double per_unit = 0; /* work of one unit on one thread */
    if (kind == TS_PROBE_FMA) {
        pr->job = widest_fma(ts_cpu_isa(), &per_unit);
    } else if (kind == TS_PROBE_DP_BF16) {
#if TS_HAVE_AVX512
        if ((ts_cpu_isa() & TS_ISA_AVX512BF16) != TS_ISA_AVX512BF16)
#endif
            return ts_fail(e, "probe: the bf16 dot-product probe needs AVX512-BF16");
        pr->job = JOB_DP_BF16;
        per_unit = TS_PEAK_FLOPS_DPBF16;
    } else {
        if (level < 0 || level >= TS_LEVELS || probe_buffer(pr, pk, e))
            return level < 0 || level >= TS_LEVELS ? ts_fail(e, "probe: no level %d", level) : -1;
        pr->job = JOB_READ;
        per_unit = (double)pr->per_thread * sizeof(float);
    }
    job j = probe_job(pr);
    int got = 0;
    int64_t units = 1;
    double t = run_timed(&j, threads, units, &got); /* also wakes the team */
    for (int k = 0; k < 40 && t < seconds / 2 && units < ((int64_t)1 << 40); k++) {
        units = (int64_t)((double)units * fmin(fmax(1.25 * seconds / fmax(t, 1e-9), 2), 64));
        t = run_timed(&j, threads, units, &got);
    }
    if (got != threads) {
        ts_probe_free(pr);
        return ts_fail(e, "probe: asked OpenMP for %d threads, got %d", threads, got);
    }
    pr->units = units;
    pr->work = per_unit * (double)units * threads;
    return 0;
}

void ts_probe_call(const ts_probe *pr)
{
    job j = probe_job(pr);
    int got;
    (void)run_timed(&j, pr->threads, pr->units, &got);
}

void ts_probe_free(ts_probe *pr)
{
    free(pr->buf);
    pr->buf = NULL;
}

/* ------------------------------------------------------------------ lookups */

static int clamp_threads(const ts_peak *pk, int threads)
{
    int tmax = pk->threads_max < 1 ? 1 : pk->threads_max > TS_PEAK_MAX_T ? TS_PEAK_MAX_T : pk->threads_max;
    return threads < 1 ? 1 : threads > tmax ? tmax : threads;
}

/* The value at `t`, or at the nearest smaller measured thread count. */
static double at_or_below(const double *v, int t)
{
    for (; t >= 1; t--)
        if (v[t] > 0)
            return v[t];
    return 0;
}

double ts_peak_gflops(const ts_peak *pk, int threads)
{
    return at_or_below(pk->fma_best, clamp_threads(pk, threads));
}

double ts_peak_gflops_for(const ts_peak *pk, int threads, ts_precision q, uint32_t isa)
{
    int t = clamp_threads(pk, threads);
    if (q == TS_PREC_BF16 && (isa & TS_ISA_AMX_BF16) && at_or_below(pk->amx_bf16, t) > 0)
        return at_or_below(pk->amx_bf16, t);
    if (q == TS_PREC_BF16 && (isa & TS_ISA_AVX512_BF16) && at_or_below(pk->dp_bf16, t) > 0)
        return at_or_below(pk->dp_bf16, t);
    return at_or_below(pk->fma_best, t);
}

int ts_peak_level(const ts_peak *pk, double bytes, int threads)
{
    int t = clamp_threads(pk, threads);
    double per = bytes / t;
    const double *lb = pk->level_bytes;
    if (lb[TS_LEVEL_L1] > 0 && per <= lb[TS_LEVEL_L1])
        return TS_LEVEL_L1;
    if (lb[TS_LEVEL_L2] > 0 && per <= lb[TS_LEVEL_L2])
        return TS_LEVEL_L2;
    if (lb[TS_LEVEL_L3] > 0 && bytes <= lb[TS_LEVEL_L3])
        return TS_LEVEL_L3;
    return TS_LEVEL_DRAM;
}

double ts_peak_bandwidth(const ts_peak *pk, double bytes, int threads)
{
    return at_or_below(pk->bw_gbps[ts_peak_level(pk, bytes, threads)], clamp_threads(pk, threads));
}

/* ------------------------------------------------------------------ JSON out */

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* {"1": x, "2": y} over the measured (non-zero) thread counts */
static void put_by_threads(FILE *f, const ts_peak *pk, const double *v)
{
    fputc('{', f);
    const char *sep = "";
    for (int t = 1; t <= pk->threads_max && t <= TS_PEAK_MAX_T; t++)
        if (v[t] > 0) {
            fprintf(f, "%s\"%d\": %.6g", sep, t, v[t]);
            sep = ", ";
        }
    fputc('}', f);
}

void ts_peak_write_json(const ts_peak *pk, FILE *f, int indent)
{
    int i = indent + 1;
    fprintf(f, "{\n%*s\"threads_max\": %d,\n%*s\"cpu_model\": ", i, "", pk->threads_max, i, "");
    put_string(f, pk->cpu_model);
    fprintf(f, ",\n%*s\"isa\": ", i, "");
    put_string(f, pk->isa);
    fprintf(f, ",\n%*s\"fma_gflops\": {\n%*s\"avx2\": ", i, "", i + 1, "");
    put_by_threads(f, pk, pk->fma_avx2);
    fprintf(f, ",\n%*s\"avx512\": ", i + 1, "");
    put_by_threads(f, pk, pk->fma_avx512);
    fprintf(f, ",\n%*s\"best\": ", i + 1, "");
    put_by_threads(f, pk, pk->fma_best);
    fprintf(f, "\n%*s},\n%*s\"bf16_gflops\": {\n%*s\"avx512_bf16\": ", i, "", i, "", i + 1, "");
    put_by_threads(f, pk, pk->dp_bf16);
    fprintf(f, ",\n%*s\"amx\": ", i + 1, "");
    put_by_threads(f, pk, pk->amx_bf16);
    fprintf(f, "\n%*s},\n%*s\"bw_gbps\": {", i, "", i, "");
    for (int l = 0; l < TS_LEVELS; l++) {
        fprintf(f, "%s\n%*s\"%s\": ", l ? "," : "", i + 1, "", level_names[l]);
        put_by_threads(f, pk, pk->bw_gbps[l]);
    }
    fprintf(f, "\n%*s},\n%*s\"level_bytes\": {\"L1\": %.0f, \"L2\": %.0f, \"L3\": %.0f},\n%*s\"barrier_ns\": ",
            i, "", i, "", pk->level_bytes[0], pk->level_bytes[1], pk->level_bytes[2], i, "");
    /* barrier_ns may be legitimately tiny but is always written for 1..threads_max */
    fputc('{', f);
    for (int t = 1; t <= pk->threads_max && t <= TS_PEAK_MAX_T; t++)
        fprintf(f, "%s\"%d\": %.6g", t > 1 ? ", " : "", t, pk->barrier_ns[t]);
    fprintf(f, "}\n%*s}", indent, "");
}

int ts_peak_save(const ts_peak *pk, const char *path, ts_err *e)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ts_fail(e, "cannot write %s: %s", tmp, strerror(errno));
    ts_peak_write_json(pk, f, 0);
    fputc('\n', f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return ts_fail(e, "cannot write %s: %s", path, strerror(err));
    }
    return 0;
}
