#include "harness/cli.h"
#include "harness/check/verify.h"

#include <getopt.h>
#include <string.h>

static void verify_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq verify [--problem DESC]... [--problems D1,D2] [--set NAME|FILE]\n"
            "                      [--variants a,b | --variant a] [--seed N] [--quiet]\n\n"
            "Runs each variant on each problem against the reference oracle (double\n"
            "accumulation, TF op order) and prints max abs/rel error, relative L2 error,\n"
            "the tolerance and a verdict: PASS, MARGINAL (error > tol/4), FAIL,\n"
            "MISTRUSTED (outputs saturated: the check proves little), SKIPPED (unsupported).\n"
            "Default problems: the 'verify' set.  Exit status 1 on any FAIL or ERROR.\n");
}

int ts_cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"problem", required_argument, 0, 'p'}, {"problems", required_argument, 0, 'P'},
        {"set", required_argument, 0, 's'},     {"variants", required_argument, 0, 'v'},
        {"variant", required_argument, 0, 'v'}, {"seed", required_argument, 0, 'S'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    ts_problem_list probs = {0};
    const char *vsel = NULL;
    uint64_t seed = 42;
    bool quiet = false;
    ts_err e;
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': case 'P': rc = ts_plist_parse(&probs, optarg, &e); break;
        case 's': rc = ts_plist_load_set(&probs, optarg, &e); break;
        case 'v': vsel = optarg; break;
        case 'S': rc = ts_parse_u64("--seed", optarg, &seed, &e); break;
        case 'q': quiet = true; break;
        case 'h': verify_usage(stdout); ts_plist_free(&probs); return 0;
        default:
            rc = ts_fail(&e, "unknown or incomplete option '%s' (tiedseq verify --help)", argv[optind - 1]);
        }
    }
    if (!rc && optind < argc)
        rc = ts_fail(&e, "unexpected argument '%s'", argv[optind]);
    if (!rc && probs.n == 0)
        rc = ts_plist_load_set(&probs, "verify", &e);
    const ts_variant *vars[64];
    size_t nv = 0;
    if (!rc)
        rc = ts_variants_select(vsel, vars, sizeof vars / sizeof vars[0], &nv, &e);
    if (rc) {
        ts_cli_error("verify", "%s", e.msg);
        ts_plist_free(&probs);
        return TS_EXIT_USAGE;
    }

    int failed = 0, counts[TS_ERROR + 1] = {0};
    /* drift_*: a bf16 variant's max |error| from the fp32 reference (outputs, final
     * state), greedy symbols agreeing with fp32 decoding and the first step
     * where they diverge: reported, never pass/fail ("-" for fp32 variants) */
    printf("%-14s %-44s %-10s %9s %9s %9s %9s %9s %9s %6s %5s  %s\n", "variant", "problem", "verdict", "max_abs",
           "max_rel", "rel_l2", "tol", "drift_out", "drift_st", "sym_ok", "div", "note");
    for (size_t i = 0; i < probs.n; i++)
        for (size_t k = 0; k < nv; k++) {
            char desc[128];
            ts_problem_format(&probs.v[i], desc, sizeof desc);
            ts_verdict v;
            ts_verify_variant(vars[k], &probs.v[i], seed, &v);
            counts[v.status]++;
            bool bad = v.status == TS_FAIL || v.status == TS_ERROR;
            failed |= bad;
            if (quiet && !bad)
                continue;
            char dr[64] = "        -         -      -     -";
            if (v.drift.valid)
                snprintf(dr, sizeof dr, "%9.2e %9.2e %6.3f %5lld", v.drift.out_max, v.drift.state_max,
                         v.drift.sym_agree, (long long)v.drift.first_div);
            printf("%-14s %-44s %-10s %9.2e %9.2e %9.2e %9.2e %s  %s\n", vars[k]->name, desc,
                   ts_status_name(v.status), v.max_abs, v.max_rel, v.rel_l2, v.tol, dr, v.reason);
            if (bad)
                printf("  reproduce: tiedseq verify --variant %s --problem %s --seed %llu\n",
                       vars[k]->name, desc, (unsigned long long)seed);
            fflush(stdout);
        }
    printf("\nverify: %d PASS, %d MARGINAL, %d MISTRUSTED, %d SKIPPED, %d FAIL, %d ERROR\n", counts[TS_PASS],
           counts[TS_MARGINAL], counts[TS_MISTRUSTED], counts[TS_SKIPPED], counts[TS_FAIL],
           counts[TS_ERROR]);
    ts_plist_free(&probs);
    return failed ? TS_EXIT_FAIL : 0;
}
