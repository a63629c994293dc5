/* tiedseq bench: variants x problems x thread counts through Google Benchmark,
 * each verified against the reference first; GB's console table on stdout,
 * and with --out the same results folder as sweep. */
#include "harness/cli.h"
#include "harness/timing/drive.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq bench [--problem D]... [--set NAME|FILE]... [--variants a,b]\n"
            "                     [--peers tensorflow,pytorch] [--threads LIST] [--out DIR]\n"
            "                     [--peak FILE] [--seed N] [--benchmark_* flags]\n\n"
            "Verifies each variant on each problem against the reference, running the very plan\n"
            "that is timed; the ones that pass are timed with Google Benchmark, every variant\n"
            "and thread count of one shape interleaved in rounds with calibration probes (FMA\n"
            "peak, read bandwidth).  Prints GB's table of medians and 95%% intervals, and one\n"
            "line per point.  A failing variant is reported and never timed.\n"
            "  --threads LIST  replaces each problem's t (1,2  1:4  1:16:x2  1:nproc)\n"
            "  --out DIR       also write DIR/points.csv, meta.json, sweep.txt, gb/*.json\n"
            "                  (and DIR/peak.json: from --peak, or measured)\n"
            "Default problems: the 'smoke' set.  Names are <variant>/<descriptor>/real_time.\n"
            TS_PEERS_USAGE
            TS_TIMING_USAGE
            "Exit: 0 ok, 1 a point failed verification or errored, 2 bad input, 130 Ctrl-C.\n");
}

typedef struct bench_args {
    ts_run_args run;
    int64_t threads[1024];
    size_t nthreads;
} bench_args;

/* 0, 1 for --help, -1 with e */
static int parse_bench(int argc, char **argv, bench_args *b, ts_err *e)
{
    static const struct option opts[] = {
        TS_RUN_LONGOPTS,
        {"problems", required_argument, 0, 'p'}, {"variant", required_argument, 0, 'v'},
        {"threads", required_argument, 0, 't'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int taken = ts_run_option(c, optarg, &b->run, e);
        if (taken)
            rc = taken < 0 ? -1 : 0;
        else if (c == 't')
            rc = ts_parse_int_list("--threads", optarg, b->threads, 1024, &b->nthreads, e);
        else if (c == 'h')
            return 1;
        else
            rc = ts_fail(e, "unknown or incomplete option '%s' (tiedseq bench --help)", argv[optind - 1]);
    }
    if (!rc && optind < argc)
        rc = ts_fail(e, "unexpected argument '%s'", argv[optind]);
    if (!rc && !b->run.probs.n)
        rc = ts_plist_add_set(&b->run.probs, b->run.sets, &b->run.nsets, 32, "smoke", e);
    return rc;
}

static int bench_plan(bench_args *b, ts_plan_pts *pl, ts_err *e)
{
    const ts_variant *vars[256];
    size_t nv = 0;
    int threads[1024];
    for (size_t k = 0; k < b->nthreads; k++)
        threads[k] = b->threads[k] > TS_MAX_THREADS ? TS_MAX_THREADS + 1 : (int)b->threads[k];
    if (ts_run_variants(&b->run, vars, sizeof vars / sizeof vars[0], &nv, e))
        return -1;
    return ts_plan_build(pl, &b->run.probs, threads, b->nthreads, vars, nv, e);
}

int ts_cmd_bench(int argc, char **argv)
{
    if (!ts_bench_available()) {
        ts_cli_error("bench", "built without Google Benchmark (apt-get install libbenchmark-dev, rebuild)");
        return TS_EXIT_USAGE;
    }
    char **own = calloc((size_t)argc + 1, sizeof *own), **gb = calloc((size_t)argc + 1, sizeof *gb);
    bench_args *b = calloc(1, sizeof *b);
    if (!own || !gb || !b) {
        free(own), free(gb), free(b);
        ts_cli_error("bench", "out of memory");
        return TS_EXIT_USAGE;
    }
    int n_own, n_gb, code = 0;
    ts_split_gb_args(argc, argv, &n_own, own, &n_gb, gb);
    ts_run_args_init(&b->run);
    ts_err e = {{0}};
    ts_plan_pts pl = {0};
    int st = parse_bench(n_own, own, b, &e);
    if (st == 0)
        st = bench_plan(b, &pl, &e);
    if (st == 1) {
        bench_usage(stdout);
    } else if (st < 0) {
        ts_cli_error("bench", "%s", e.msg);
        code = TS_EXIT_USAGE;
    } else {
        const ts_run_args *r = &b->run;
        ts_run_opts o = {.cmd = "bench", .argc = argc, .argv = argv, .out_dir = r->out,
                         .peak_file = r->peak, .measure_peak = r->out != NULL, .gb_user = gb,
                         .n_gb_user = n_gb, .filter = r->filter, .timing = r->timing, .seed = r->seed,
                         .seed_given = r->seed_given, .sets = r->sets, .nsets = r->nsets};
        code = ts_run_plan(&pl, &o);
    }
    ts_plan_free(&pl);
    ts_plist_free(&b->run.probs);
    free(own), free(gb), free(b);
    return code;
}
