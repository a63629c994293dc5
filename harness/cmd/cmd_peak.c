#include "harness/cli.h"
#include "harness/probes/peak.h"

#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void peak_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq peak [--threads N] [--seconds S] [--out FILE] | --load FILE\n\n"
            "Measures this machine's roofs: fp32 FMA peak per ISA (AVX2 ymm, AVX-512 zmm), the bf16\n"
            "dot-product peak (vdpbf16ps) and AMX tile peak (tdpbf16ps) where the CPU has them\n"
            "for 1..N threads, read bandwidth with vector loads at L1/L2/L3/DRAM working\n"
            "sets, and the cost of one OpenMP barrier.  Each number is the best of\n"
            "several runs (a peak: disturbances only ever slow a run down).\n"
            "  --threads N   thread counts 1..N (default: OpenMP's maximum, %d here)\n"
            "  --seconds S   approximate total time (default 6; about 10 s in all)\n"
            "  --dram-mib M  DRAM working set in MiB (default: 4x L3 within 256..1024,\n"
            "                at most a quarter of free memory)\n"
            "  --out FILE    also save the numbers as JSON (peak.json), atomically\n"
            "  --load FILE   print a saved peak.json (or a run's meta.json); no measuring\n",
            omp_get_max_threads());
}

static const char *human(double bytes, char *buf, size_t n)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    while (bytes >= 1024 && u < 3)
        bytes /= 1024, u++;
    snprintf(buf, n, "%.4g %s", bytes, unit[u]);
    return buf;
}

static void print_sets(const ts_peak *pk)
{
    char a[32], b[32], c[32], d[32], f[32], g[32], h[32];
    const double *lb = pk->level_bytes;
    int T = pk->threads_max;
    printf("read working sets: L1 %s/thread (of %s), L2 %s/thread (of %s), L3 %s (of %s), DRAM %s\n",
           human(ts_peak_working_set(pk, TS_LEVEL_L1, 1), a, sizeof a), human(lb[0], b, sizeof b),
           human(ts_peak_working_set(pk, TS_LEVEL_L2, 1), c, sizeof c), human(lb[1], d, sizeof d),
           human(ts_peak_working_set(pk, TS_LEVEL_L3, T), f, sizeof f), human(lb[2], g, sizeof g),
           human(ts_peak_working_set(pk, TS_LEVEL_DRAM, T), h, sizeof h));
}

static void cell(double v, int width)
{
    if (v > 0)
        printf(" %*.1f", width, v);
    else
        printf(" %*s", width, "-");
}

static void print_table(const ts_peak *pk)
{
    printf("%7s | %24s | %37s | %8s\n", "", "fp32 FMA GFLOP/s", "read GB/s (vector loads)", "barrier");
    printf("%7s | %7s %8s %7s | %8s %8s %8s %10s | %8s\n", "threads", "avx2", "avx512", "best", "L1", "L2",
           "L3", "DRAM", "ns");
    for (int t = 1; t <= pk->threads_max; t++) {
        printf("%7d |", t);
        cell(pk->fma_avx2[t], 7), cell(pk->fma_avx512[t], 8), cell(pk->fma_best[t], 7);
        printf(" |");
        cell(pk->bw_gbps[0][t], 8), cell(pk->bw_gbps[1][t], 8), cell(pk->bw_gbps[2][t], 8);
        cell(pk->bw_gbps[3][t], 10);
        printf(" | %8.1f\n", pk->barrier_ns[t]);
    }
    /* the bf16 roofs: per thread count where the CPU has them, "-" (absent) otherwise */
    printf("bf16 GFLOP/s  %-22s", "avx512_bf16 (vdpbf16ps):");
    for (int t = 1; t <= pk->threads_max; t++)
        cell(pk->dp_bf16[t], 8);
    printf("   %-16s", "amx (tdpbf16ps):");
    for (int t = 1; t <= pk->threads_max; t++)
        cell(pk->amx_bf16[t], 8);
    printf("\n");
}

/* Refuse an unwritable --out before spending the measuring time. */
static int check_writable(const char *path, ts_err *e)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (access(dir, W_OK) != 0)
        return ts_fail(e, "--out %s: folder %s is not writable: %s", path, dir, strerror(errno));
    return 0;
}

int ts_cmd_peak(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, 0, 't'}, {"seconds", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},     {"load", required_argument, 0, 'l'},
        {"dram-mib", required_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *out = NULL, *load = NULL;
    uint64_t threads = 0, dram_mib = 0;
    double seconds = 6;
    ts_err e;
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            rc = ts_parse_u64("--threads", optarg, &threads, &e);
            if (!rc && (threads < 1 || threads > TS_PEAK_MAX_T))
                rc = ts_fail(&e, "--threads %s: out of range 1..%d", optarg, TS_PEAK_MAX_T);
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(seconds >= 0.1 && seconds <= 3600))
                rc = ts_fail(&e, "--seconds '%s': want a number of seconds in 0.1..3600", optarg);
            break;
        case 'd':
            rc = ts_parse_u64("--dram-mib", optarg, &dram_mib, &e);
            if (!rc && (dram_mib < 1 || dram_mib > 65536))
                rc = ts_fail(&e, "--dram-mib %s: out of range 1..65536", optarg);
            break;
        case 'o': out = optarg; break;
        case 'l': load = optarg; break;
        case 'h': peak_usage(stdout); return 0;
        default: rc = ts_fail(&e, "unknown or incomplete option '%s' (tiedseq peak --help)", argv[optind - 1]);
        }
    }
    if (!rc && optind < argc)
        rc = ts_fail(&e, "unexpected argument '%s'", argv[optind]);
    if (!rc && load && out)
        rc = ts_fail(&e, "--load prints a saved file; it does not combine with --out");
    if (!rc && out)
        rc = check_writable(out, &e);
    if (rc) {
        ts_cli_error("peak", "%s", e.msg);
        return TS_EXIT_USAGE;
    }

    ts_peak pk;
    if (load) {
        if (ts_peak_load(load, &pk, &e)) {
            ts_cli_error("peak", "%s", e.msg);
            return TS_EXIT_USAGE;
        }
        printf("peak (%s): %s | %s\n", load, pk.cpu_model, pk.isa);
        print_table(&pk);
        return 0;
    }
    fprintf(stderr, "tiedseq peak: measuring 1..%d threads, about %g s ...\n",
            threads ? (int)threads : omp_get_max_threads(), seconds);
    if (ts_peak_measure_ex(&pk, (int)threads, seconds, (double)dram_mib * 1048576.0, &e)) {
        ts_cli_error("peak", "%s", e.msg);
        return TS_EXIT_FAIL;
    }
    printf("peak: %s | %s\n", pk.cpu_model, pk.isa);
    print_sets(&pk);
    print_table(&pk);
    if (out) {
        if (ts_peak_save(&pk, out, &e)) {
            ts_cli_error("peak", "%s", e.msg);
            return TS_EXIT_FAIL;
        }
        printf("saved %s\n", out);
    }
    return 0;
}
