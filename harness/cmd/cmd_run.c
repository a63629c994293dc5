/* tiedseq run / gen: the .npy contract end to end. */
#include "harness/cli.h"
#include "variants/peer.h"
#include "harness/files/io.h"
#include "harness/files/npy.h"
#include "harness/files/outset.h"
#include "harness/check/reference.h"
#include "harness/check/verify.h"

#include <getopt.h>
#include <string.h>

typedef struct run_opts {
    const char *problem, *variant, *weights, *inputs, *out;
    bool states;
    uint64_t seed;
} run_opts;

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq run --problem DESC --variant NAME --weights DIR --inputs DIR --out DIR [--states]\n\n"
            "Reads weights and inputs as .npy (float32, little-endian, C order), runs one\n"
            "variant (or --variant reference: the oracle), and writes outputs.npy [D,B,Hout], state_h.npy\n"
            "[B,Hout] (lstm: state_c.npy [B,H]), with --states states_h.npy/states_c.npy [D,B,.], greedy:\n"
            "symbols.npy int32 [D,B].  Hout is P with projP, else H.  With lL > 1 the weights of layer k\n"
            "are in cell_k/ and the state files gain a layer axis: [L,B,.], [D,L,B,.].\n"
            "--out is replaced as a whole: it ends holding exactly this run's files, or, on\n"
            "error, what it held before.  It must be new, empty or an earlier run's output.\n"
            "File names: README, '.npy contract'.\n");
}

static void gen_usage(FILE *f)
{
    fprintf(f, "usage: tiedseq gen --problem DESC --out DIR [--seed N]\n\n"
               "Writes seeded random weights and inputs of the problem as .npy files in DIR\n"
               "(the same filling `verify` uses), ready for `tiedseq run`.\n");
}

/* Shared option parsing for run and gen; returns 1 after --help, -1 on error. */
static int parse_opts(int argc, char **argv, run_opts *o, ts_err *e)
{
    static const struct option opts[] = {
        {"problem", required_argument, 0, 'p'}, {"variant", required_argument, 0, 'v'},
        {"weights", required_argument, 0, 'w'}, {"inputs", required_argument, 0, 'i'},
        {"out", required_argument, 0, 'o'},     {"states", no_argument, 0, 'S'},
        {"seed", required_argument, 0, 's'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->seed = 42;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o->problem = optarg; break;
        case 'v': o->variant = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'i': o->inputs = optarg; break;
        case 'o': o->out = optarg; break;
        case 'S': o->states = true; break;
        case 's': if (ts_parse_u64("--seed", optarg, &o->seed, e)) return -1; break;
        case 'h': return 1;
        default:
            return ts_fail(e, "unknown or incomplete option '%s' (tiedseq %s --help)", argv[optind - 1], argv[0]);
        }
    }
    if (optind < argc)
        return ts_fail(e, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Stages every output file into o and publishes the set; o is closed either way. */
static int write_outputs(ts_outset *o, const ts_problem *p, ts_result *r, bool states, ts_err *e)
{
    ts_tensor_spec s[TS_MAX_SPECS];
    int n = ts_output_specs(p, r, states, s);
    for (int k = 0; k < n; k++)
        if (ts_outset_add(o, s[k].file, s[k].int32 ? "<i4" : "<f4", s[k].ndim, s[k].shape,
                          *s[k].slot, e)) {
            ts_outset_abort(o);
            return -1;
        }
    return ts_outset_commit(o, e);
}

/* Loads the tensors, runs, writes; the output set is opened first so a bad --out
 * is refused before a long run, and closed (published or aborted) on every path. */
static int load_run_write(const run_opts *o, const ts_problem *p, const ts_variant *v,
                          ts_outset *out, ts_err *e)
{
    ts_tensors t;
    ts_result r;
    if (ts_tensors_alloc(&t, p, e))
        return ts_outset_abort(out), -1;
    ts_tensor_spec s[TS_MAX_SPECS];
    int nw = ts_weight_specs(p, &t, s);
    int rc = ts_load_specs(o->weights, s, nw, e);
    if (!rc)
        rc = ts_load_specs(o->inputs, s, ts_input_specs(p, &t, s), e);
    t.in.enc = t.enc, t.in.dec = t.dec;
    if (!rc && !(rc = ts_result_alloc(&r, p, o->states, e))) {
        rc = !v ? ts_reference_run(p, &t.w, &t.in, &r.o, NULL, e)
                : ts_run_variant(v, p, &t.w, &t.in, &r.o, e);
        if (!rc)
            rc = write_outputs(out, p, &r, o->states, e); /* closes out */
        ts_result_free(&r);
    }
    if (rc)
        ts_outset_abort(out); /* a no-op once write_outputs closed it */
    ts_tensors_free(&t);
    return rc;
}

static int do_run(const run_opts *o, ts_err *e)
{
    ts_problem p;
    if (!o->problem || !o->variant || !o->weights || !o->inputs || !o->out)
        return ts_fail(e, "--problem, --variant, --weights, --inputs and --out are all required");
    if (ts_problem_parse(o->problem, &p, e))
        return -1;
    /* "reference" runs the oracle itself, for peers and users checking their own code */
    bool oracle = !strcmp(o->variant, "reference");
    const ts_variant *v = ts_variant_find(o->variant);
    const ts_variant *vars[1];
    size_t nv;
    if (!v && !oracle) {
        if (strchr(o->variant, ',') || !strcmp(o->variant, "all"))
            return ts_fail(e, "--variant takes one name, not a list ('%s')", o->variant);
        return ts_variants_select(o->variant, vars, 1, &nv, e); /* unknown: names the known ones */
    }
    if (!oracle && o->states && ts_variant_is_peer(v))
        return ts_fail(e, "--states: peer %s returns the outputs and the final state, not every step's", v->name);
    char why[256];
    if (!oracle && !ts_variant_available(v, &p, why, sizeof why))
        return ts_fail(e, "variant %s cannot run %s: %s", v->name, o->problem, why);
    ts_outset out;
    if (ts_outset_open(&out, o->out, ts_output_files, e))
        return -1;
    return load_run_write(o, &p, oracle ? NULL : v, &out, e);
}

static int do_gen(const run_opts *o, ts_err *e)
{
    ts_problem p;
    if (!o->problem || !o->out)
        return ts_fail(e, "--problem and --out are required");
    if (ts_problem_parse(o->problem, &p, e))
        return -1;
    ts_tensors t;
    if (ts_tensors_alloc(&t, &p, e))
        return -1;
    ts_tensors_fill(&t, o->seed);
    ts_tensor_spec s[2 * TS_MAX_SPECS];
    int n = ts_weight_specs(&p, &t, s);
    n += ts_input_specs(&p, &t, s + n);
    ts_npy_batch b;
    int rc = ts_npy_batch_open(&b, o->out, e);
    for (int k = 0; !rc && k < n; k++)
        rc = ts_npy_batch_add(&b, s[k].file, "<f4", s[k].ndim, s[k].shape, *s[k].slot, e);
    if (rc && b.dir[0])
        ts_npy_batch_abort(&b);
    else if (!rc)
        rc = ts_npy_batch_commit(&b, e);
    ts_tensors_free(&t);
    return rc;
}

static int run_or_gen(int argc, char **argv, bool gen)
{
    run_opts o;
    ts_err e;
    int rc = parse_opts(argc, argv, &o, &e);
    if (rc == 1) {
        (gen ? gen_usage : run_usage)(stdout);
        return 0;
    }
    if (!rc)
        rc = gen ? do_gen(&o, &e) : do_run(&o, &e);
    if (rc) {
        ts_cli_error(argv[0], "%s", e.msg);
        return TS_EXIT_USAGE;
    }
    return 0;
}

int ts_cmd_run(int argc, char **argv) { return run_or_gen(argc, argv, false); }
int ts_cmd_gen(int argc, char **argv) { return run_or_gen(argc, argv, true); }
