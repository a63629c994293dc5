/* tiedseq sweep: a grid of problems (or named sets) x variants x thread counts,
 * timed in interleaved rounds into results/<run-id>/, resumable.  Only the
 * options live here; the run is harness/timing/drive.c's. */
#include "harness/cli.h"
#include "harness/files/results.h"
#include "harness/timing/drive.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXV 1024 /* values per axis */

static void sweep_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq sweep [axes | --set NAME... | --problem D... | --full] [--variants a,b]\n"
            "                     [--peers LIST] [--threads LIST] [--out DIR | --resume DIR] [--shard K/N]\n"
            "                     [--peak FILE]\n"
            "                     [--seed N] [--benchmark_* flags]\n\n"
            "Verifies every (variant, problem) against the reference, then times the ones that\n"
            "pass with Google Benchmark, all variants and thread counts of one shape interleaved\n"
            "in rounds with calibration probes.  Writes DIR/points.csv (a row per point, with\n"
            "its 95%% interval), DIR/samples.csv, DIR/pairs.csv, DIR/meta.json, DIR/peak.json,\n"
            "DIR/sweep.txt, DIR/gb/<chunk>.json.\n\n"
            "axes (lists 'a,b,c', ranges 'lo:hi', 'lo:hi:xK' (geometric), 'lo:hi:+K'; 'nproc'):\n"
            "  --cells rnn,gru,lstm   (default all)     --batch LIST   (default 16)\n"
            "  --hidden LIST          (default 256)     --input LIST   (default = hidden)\n"
            "  --enc LIST --dec LIST  (default 25)      --feed teacher,greedy (default teacher)\n"
            "  --vocab LIST           (greedy only, default 1000)\n"
            "  --layers LIST          (MultiRNNCell, default 1)  --res LIST  (residual from layer K,\n"
            "                         0 = none, default 0; K > L skipped for that L)\n"
            "  --proj LIST            (LSTMCell num_proj, 0 = none, default 0; lstm only)\n"
            "  --peep off,on          (LSTMCell peepholes, default off; lstm only)\n"
            "  --threads LIST         (default 1; with sets: each problem's t)\n"
            "presets: no axes = --set default; --full = rnn,gru,lstm x H=I in 128..1024 x\n"
            "  B in 1,4,16,64 x E=D=25 x threads 1..nproc (axes given override it);\n"
            "  --set NAME or FILE: smoke, default, full, deepbench, gnmt, gnmt-deep, lstmp\n"
            "  (scripts/sets/).\n"
            "--out DIR      default results/<UTC date-time>-<host>/\n"
            "--resume DIR   finish an interrupted sweep: skips points already in DIR/points.csv;\n"
            "               refuses a different definition (axes are optional then)\n"
            "--shard K/N    run only part K of N of the plan (whole shapes, balanced by FLOPs);\n"
            "               `tiedseq merge` joins the N run folders (scripts/slurm/ on a cluster)\n"
            "--peak FILE    machine limits from `tiedseq peak` (default DIR/peak.json, else\n"
            "               measured now, a few seconds); a bad FILE is an error\n"
            TS_PEERS_USAGE
            TS_TIMING_USAGE
            "Google Benchmark display flags pass through; repetitions, min time and output\n"
            "files are the engine's.  Threads are pinned (OMP_PROC_BIND=close OMP_PLACES=cores)\n"
            "unless you set either.  Exit: 0 ok, 1 a point failed, 2 bad input, 130 Ctrl-C.\n");
}

/* ---- the grid ---- */

typedef struct axes {
    int64_t cells[3], B[MAXV], I[MAXV], H[MAXV], E[MAXV], D[MAXV], V[MAXV], T[MAXV];
    int64_t L[MAXV], R[MAXV], P[MAXV]; /* layers, residual-from, num_proj */
    size_t ncells, nB, nI, nH, nE, nD, nV, nT, nL, nR, nP;
    bool teacher, greedy, any; /* any: an axis other than threads was given */
    bool peep_off, peep_on;
} axes;

static int parse_cells(const char *s, axes *a, ts_err *e)
{
    if (!*s)
        return ts_fail(e, "--cells: empty list");
    char *copy = strdup(s), *save = NULL;
    int rc = copy ? 0 : ts_fail(e, "out of memory");
    a->ncells = 0;
    for (char *t = rc ? NULL : strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        int c = !strcmp(t, "rnn") ? TS_CELL_RNN : !strcmp(t, "gru") ? TS_CELL_GRU : !strcmp(t, "lstm") ? TS_CELL_LSTM : -1;
        if (c < 0)
            rc = ts_fail(e, "--cells: unknown cell '%s' (rnn, gru, lstm)", t);
        bool dup = false;
        for (size_t k = 0; k < a->ncells; k++)
            dup |= a->cells[k] == c;
        if (!rc && !dup)
            a->cells[a->ncells++] = c;
    }
    free(copy);
    if (!rc && (a->ncells == 0 || s[strlen(s) - 1] == ',' || strstr(s, ",,") || *s == ','))
        rc = ts_fail(e, "--cells: empty item in '%s'", s);
    return rc;
}

static int parse_feed(const char *s, axes *a, ts_err *e)
{
    char *copy = strdup(s), *save = NULL;
    int rc = copy ? 0 : ts_fail(e, "out of memory");
    a->teacher = a->greedy = false;
    for (char *t = rc ? NULL : strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "teacher"))
            a->teacher = true;
        else if (!strcmp(t, "greedy"))
            a->greedy = true;
        else
            rc = ts_fail(e, "--feed: unknown feed mode '%s' (teacher, greedy)", t);
    }
    free(copy);
    if (!rc && ((!a->teacher && !a->greedy) || s[strlen(s) - 1] == ',' || strstr(s, ",,") || *s == ','))
        rc = ts_fail(e, "--feed: empty item in '%s'", s);
    return rc;
}

static int parse_peep(const char *s, axes *a, ts_err *e)
{
    char *copy = strdup(s), *save = NULL;
    int rc = copy ? 0 : ts_fail(e, "out of memory");
    a->peep_off = a->peep_on = false;
    for (char *t = rc ? NULL : strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "off"))
            a->peep_off = true;
        else if (!strcmp(t, "on"))
            a->peep_on = true;
        else
            rc = ts_fail(e, "--peep: unknown value '%s' (off, on)", t);
    }
    free(copy);
    if (!rc && ((!a->peep_off && !a->peep_on) || s[strlen(s) - 1] == ',' || strstr(s, ",,") || *s == ','))
        rc = ts_fail(e, "--peep: empty item in '%s'", s);
    return rc;
}

static void axes_defaults(axes *a)
{
    memset(a, 0, sizeof *a);
    a->cells[0] = TS_CELL_RNN, a->cells[1] = TS_CELL_GRU, a->cells[2] = TS_CELL_LSTM, a->ncells = 3;
    a->B[0] = 16, a->nB = 1;
    a->H[0] = 256, a->nH = 1;
    a->E[0] = 25, a->nE = 1;
    a->D[0] = 25, a->nD = 1;
    a->V[0] = 1000, a->nV = 1;
    a->L[0] = 1, a->nL = 1;
    a->R[0] = 0, a->nR = 1;
    a->P[0] = 0, a->nP = 1;
    a->teacher = true;
    a->peep_off = true;
}

/* The model fields (":l4:res3:peep:proj512") of one cell: layers x res x proj x peep.
 * Combinations that do not apply are left out: res > L, and proj/peep for rnn/gru
 * (those axes are LSTMCell's); 0 and off print nothing, like the canonical form. */
static size_t model_suffixes(const axes *a, int cell, char (*out)[96], size_t max)
{
    size_t n = 0;
    for (size_t l = 0; l < a->nL; l++)
        for (size_t r = 0; r < a->nR; r++)
            for (size_t q = 0; q < a->nP; q++)
                for (int pe = 0; pe < 2; pe++) {
                    bool lstm = cell == TS_CELL_LSTM;
                    if (!(pe ? a->peep_on : a->peep_off) || a->R[r] > a->L[l] ||
                        (!lstm && (pe || a->P[q])) || n == max)
                        continue;
                    char ls[24] = "", rs[24] = "", ps[32] = "";
                    if (a->L[l] != 1)
                        snprintf(ls, sizeof ls, ":l%lld", (long long)a->L[l]);
                    if (a->R[r])
                        snprintf(rs, sizeof rs, ":res%lld", (long long)a->R[r]);
                    if (a->P[q])
                        snprintf(ps, sizeof ps, ":proj%lld", (long long)a->P[q]);
                    snprintf(out[n++], sizeof out[0], "%s%s%s%s", ls, rs, pe ? ":peep" : "", ps);
                }
    return n;
}

static void axes_full(axes *a)
{
    a->ncells = 3;
    a->cells[0] = TS_CELL_RNN, a->cells[1] = TS_CELL_GRU, a->cells[2] = TS_CELL_LSTM;
    int64_t H[] = {128, 256, 512, 1024}, B[] = {1, 4, 16, 64};
    memcpy(a->H, H, sizeof H), a->nH = 4;
    memcpy(a->B, B, sizeof B), a->nB = 4;
    a->nI = 0;
    a->E[0] = a->D[0] = 25, a->nE = a->nD = 1;
    a->teacher = true, a->greedy = false;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    a->nT = 0;
    for (long t = 1; t <= (n > 0 ? n : 1) && a->nT < MAXV; t++)
        a->T[a->nT++] = t;
}

static int push_desc(ts_problem_list *l, const char *desc, ts_err *e)
{
    ts_problem p;
    ts_err pe;
    if (ts_problem_parse(desc, &p, &pe))
        return ts_fail(e, "sweep point %s: %s", desc, pe.msg);
    return ts_plist_push(l, &p, e);
}

/* One cell's H x I x B x E x D x feed (x V) x model fields: descriptors through the one parser */
static int expand_cell(const axes *a, size_t c, char (*suffix)[96], size_t ns, ts_problem_list *l, ts_err *e)
{
    static const char *const cells[] = {"rnn", "gru", "lstm"};
    for (size_t h = 0; h < a->nH; h++)
        for (size_t i = 0; i < (a->nI ? a->nI : 1); i++)
            for (size_t b = 0; b < a->nB; b++)
                for (size_t ee = 0; ee < a->nE; ee++)
                    for (size_t d = 0; d < a->nD; d++)
                        for (int f = 0; f < 2; f++) {
                            if (!(f ? a->greedy : a->teacher))
                                continue;
                            for (size_t v = 0; v < (f ? a->nV : 1); v++)
                                for (size_t m = 0; m < ns; m++) {
                                    char desc[224], vpart[32] = "";
                                    if (f)
                                        snprintf(vpart, sizeof vpart, ":v%lld", (long long)a->V[v]);
                                    snprintf(desc, sizeof desc, "%s:b%lld:i%lld:h%lld:e%lld:d%lld:%s%s:t1%s",
                                             cells[a->cells[c]], (long long)a->B[b],
                                             (long long)(a->nI ? a->I[i] : a->H[h]), (long long)a->H[h],
                                             (long long)a->E[ee], (long long)a->D[d],
                                             f ? "greedy" : "teacher", vpart, suffix[m]);
                                    if (push_desc(l, desc, e))
                                        return -1;
                                    if (l->n > 100000)
                                        return ts_fail(e, "the sweep has more than 100000 problems");
                                }
                        }
    return 0;
}

/* cells x H x I x B x E x D x feed (x V) x layers x res x proj x peep */
static int axes_expand(const axes *a, ts_problem_list *l, ts_err *e)
{
    static char suffix[4096][96];
    for (size_t c = 0; c < a->ncells; c++) {
        size_t ns = model_suffixes(a, (int)a->cells[c], suffix, sizeof suffix / sizeof suffix[0]);
        if (expand_cell(a, c, suffix, ns, l, e))
            return -1;
    }
    if (l->n == 0)
        return ts_fail(e, "the sweep's axes leave no problem (--res above every --layers, or "
                          "--proj/--peep without lstm)");
    return 0;
}

/* ---- the command ---- */

typedef struct sweep_args {
    axes a;
    ts_run_args run;
    bool full, have_threads;
    const char *resume;
    int shard_k, shard_n; /* 0: not given */
} sweep_args;

static int int_axis(const char *opt, const char *s, int64_t *v, size_t *n, ts_err *e)
{
    return ts_parse_int_list(opt, s, v, MAXV, n, e);
}

/* getopt codes of the model axes, outside every letter TS_RUN_LONGOPTS uses */
enum { OPT_LAYERS = 2001, OPT_RES, OPT_PROJ, OPT_PEEP }; /* 1001.. are the timing options */

/* Returns 0, 1 for --help, -1 on error. */
static int parse_sweep(int argc, char **argv, sweep_args *s, axes *given, ts_err *e)
{
    static const struct option opts[] = {
        {"cells", required_argument, 0, 'c'},  {"batch", required_argument, 0, 'b'},
        {"hidden", required_argument, 0, 'H'}, {"input", required_argument, 0, 'i'},
        {"enc", required_argument, 0, 'E'},    {"dec", required_argument, 0, 'D'},
        {"feed", required_argument, 0, 'f'},   {"vocab", required_argument, 0, 'V'},
        {"threads", required_argument, 0, 't'}, {"full", no_argument, 0, 'F'},
        {"layers", required_argument, 0, OPT_LAYERS}, {"res", required_argument, 0, OPT_RES},
        {"proj", required_argument, 0, OPT_PROJ},     {"peep", required_argument, 0, OPT_PEEP},
        {"resume", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'},
        {"shard", required_argument, 0, 'K'},
        TS_RUN_LONGOPTS,                       {0, 0, 0, 0}};
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    /* given: which axes were named (bit per option letter kept in `any`) */
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int taken = ts_run_option(c, optarg, &s->run, e);
        if (taken) {
            rc = taken < 0 ? -1 : 0;
            continue;
        }
        switch (c) {
        case 'c': rc = parse_cells(optarg, given, e), given->any = true; break;
        case 'b': rc = int_axis("--batch", optarg, given->B, &given->nB, e), given->any = true; break;
        case 'H': rc = int_axis("--hidden", optarg, given->H, &given->nH, e), given->any = true; break;
        case 'i': rc = int_axis("--input", optarg, given->I, &given->nI, e), given->any = true; break;
        case 'E': rc = int_axis("--enc", optarg, given->E, &given->nE, e), given->any = true; break;
        case 'D': rc = int_axis("--dec", optarg, given->D, &given->nD, e), given->any = true; break;
        case 'f': rc = parse_feed(optarg, given, e), given->any = true; break;
        case 'V': rc = int_axis("--vocab", optarg, given->V, &given->nV, e), given->any = true; break;
        case 't': rc = int_axis("--threads", optarg, given->T, &given->nT, e); s->have_threads = true; break;
        case OPT_LAYERS: rc = int_axis("--layers", optarg, given->L, &given->nL, e), given->any = true; break;
        case OPT_RES: rc = int_axis("--res", optarg, given->R, &given->nR, e), given->any = true; break;
        case OPT_PROJ: rc = int_axis("--proj", optarg, given->P, &given->nP, e), given->any = true; break;
        case OPT_PEEP: rc = parse_peep(optarg, given, e), given->any = true; break;
        case 'F': s->full = true; break;
        case 'r': s->resume = optarg; break;
        case 'K': rc = ts_shard_parse(optarg, &s->shard_k, &s->shard_n, e); break;
        case 'h': return 1;
        default:
            rc = ts_fail(e, "unknown or incomplete option '%s' (tiedseq sweep --help)", argv[optind - 1]);
        }
    }
    if (!rc && optind < argc)
        rc = ts_fail(e, "unexpected argument '%s'", argv[optind]);
    if (!rc && s->run.out && s->resume)
        rc = ts_fail(e, "--out and --resume both given: --resume DIR writes into DIR");
    return rc;
}

/* Merge the axes given on the command line over the defaults (or --full). */
static void merge_axes(axes *a, const axes *g, bool full)
{
    axes_defaults(a);
    if (full)
        axes_full(a);
#define TAKE(arr, cnt) \
    if (g->cnt)        \
        memcpy(a->arr, g->arr, g->cnt * sizeof a->arr[0]), a->cnt = g->cnt;
    TAKE(cells, ncells) TAKE(B, nB) TAKE(H, nH) TAKE(I, nI) TAKE(E, nE) TAKE(D, nD) TAKE(V, nV) TAKE(T, nT)
    TAKE(L, nL) TAKE(R, nR) TAKE(P, nP)
#undef TAKE
    if (g->teacher || g->greedy)
        a->teacher = g->teacher, a->greedy = g->greedy;
    if (g->peep_off || g->peep_on)
        a->peep_off = g->peep_off, a->peep_on = g->peep_on;
}

/* Problems and thread counts of the sweep; an empty plan with --resume and no axes. */
static int sweep_plan(sweep_args *s, const axes *given, ts_plan_pts *pl, ts_err *e)
{
    axes *a = calloc(1, sizeof *a);
    if (!a)
        return ts_fail(e, "out of memory");
    merge_axes(a, given, s->full);
    int rc = 0;
    bool grid = given->any || s->full;
    if (s->resume && !grid && !s->run.probs.n && (s->run.variants || s->run.peers || s->have_threads))
        rc = ts_fail(e, "--resume DIR alone runs the recorded sweep; --variants/--peers/--threads need the "
                        "sweep's axes or sets too");
    if (grid && !rc)
        rc = axes_expand(a, &s->run.probs, e);
    else if (!rc && !s->run.probs.n && !s->resume)
        rc = ts_plist_add_set(&s->run.probs, s->run.sets, &s->run.nsets, 32, "default", e);
    const ts_variant *vars[256];
    size_t nv = 0;
    if (!rc)
        rc = ts_run_variants(&s->run, vars, sizeof vars / sizeof vars[0], &nv, e);
    int threads[MAXV];
    size_t nt = (grid || s->have_threads) ? a->nT : 0;
    for (size_t k = 0; k < nt; k++)
        threads[k] = a->T[k] > TS_MAX_THREADS ? TS_MAX_THREADS + 1 : (int)a->T[k];
    if (!rc && nt == 0 && grid)
        threads[0] = 1, nt = 1;
    if (!rc && s->run.probs.n)
        rc = ts_plan_build(pl, &s->run.probs, threads, nt, vars, nv, e);
    free(a);
    return rc;
}

int ts_cmd_sweep(int argc, char **argv)
{
    if (!ts_bench_available()) {
        ts_cli_error("sweep", "built without Google Benchmark (apt-get install libbenchmark-dev, rebuild)");
        return TS_EXIT_USAGE;
    }
    char **own = calloc((size_t)argc + 1, sizeof *own), **gb = calloc((size_t)argc + 1, sizeof *gb);
    sweep_args *s = calloc(1, sizeof *s);
    axes *given = calloc(1, sizeof *given);
    if (!own || !gb || !s || !given) {
        ts_cli_error("sweep", "out of memory");
        return TS_EXIT_USAGE;
    }
    int n_own, n_gb;
    ts_split_gb_args(argc, argv, &n_own, own, &n_gb, gb);
    ts_run_args_init(&s->run);
    ts_err e = {{0}};
    ts_plan_pts pl = {0};
    int st = parse_sweep(n_own, own, s, given, &e);
    if (st == 1) {
        sweep_usage(stdout);
    } else if (st == 0) {
        st = sweep_plan(s, given, &pl, &e);
    }
    int code = 0;
    if (st < 0) {
        ts_cli_error("sweep", "%s", e.msg);
        code = TS_EXIT_USAGE;
    } else if (st == 0) {
        char out[512], id[96];
        ts_make_run_id(id, sizeof id);
        snprintf(out, sizeof out, "results/%s", id);
        ts_run_opts o = {.cmd = "sweep", .run_id = id, .argc = argc, .argv = argv,
                         .out_dir = s->run.out ? s->run.out : out, .resume_dir = s->resume,
                         .peak_file = s->run.peak, .measure_peak = true, .gb_user = gb, .n_gb_user = n_gb,
                         .filter = s->run.filter, .timing = s->run.timing, .timing_given = s->run.timing_given,
                         .seed = s->run.seed, .seed_given = s->run.seed_given, .sets = s->run.sets, .nsets = s->run.nsets,
                         .shard_k = s->shard_k, .shard_n = s->shard_n};
        code = ts_run_plan(&pl, &o);
    }
    ts_plan_free(&pl);
    ts_plist_free(&s->run.probs);
    free(own), free(gb), free(s), free(given);
    return code;
}
