/* tiedseq merge OUT DIR...: the run folders of a sharded sweep (sweep --shard
 * K/N, one machine each) joined into one.  Only the options live here; the
 * checks and the writing are harness/files/merge.c's. */
#include "harness/cli.h"
#include "harness/files/merge.h"

#include <getopt.h>
#include <string.h>

static void merge_usage(FILE *f)
{
    fprintf(f,
            "usage: tiedseq merge OUT DIR... [--partial]\n\n"
            "Joins the run folders of one sweep's shards (tiedseq sweep --shard K/N) into the\n"
            "new folder OUT: points.csv (with each row's host), samples.csv and pairs.csv\n"
            "concatenated, and a meta.json listing every shard's host, CPU and meta.json.\n"
            "Refused, with nothing written: shards of different sweep definitions (the hash\n"
            "in sweep.txt), two folders of one shard, a point in two shards, a folder that is\n"
            "not a sweep run, a malformed points.csv, a missing shard or an unfinished one\n"
            "(unless --partial), an OUT that exists and is not empty.  OUT is written beside\n"
            "itself in a temporary folder and renamed into place when complete.\n\n"
            "  --partial   merge what is there: missing shards and unfinished points are\n"
            "              listed in meta.json (shards_missing, unfinished_points)\n"
            "Exit: 0 merged, 2 refused.\n");
}

int ts_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"partial", no_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    ts_merge_opts o = {.argc = argc, .argv = argv};
    ts_err e;
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            merge_usage(stdout);
            return 0;
        }
        if (c == 'p')
            o.partial = true;
        else
            rc = ts_fail(&e, "unknown or incomplete option '%s' (tiedseq merge --help)", argv[optind - 1]);
    }
    if (!rc && argc - optind < 2)
        rc = ts_fail(&e, "want OUT and at least one shard folder (tiedseq merge --help)");
    ts_merge_report rep;
    if (!rc) {
        o.out = argv[optind];
        o.dirs = argv + optind + 1;
        o.ndirs = (size_t)(argc - optind - 1);
        rc = ts_merge_runs(&o, &rep, &e);
    }
    if (rc) {
        ts_cli_error("merge", "%s", e.msg);
        return TS_EXIT_USAGE;
    }
    printf("tiedseq merge: %zu of %zu shards of definition %s, %zu points from %zu host%s -> %s\n", rep.shards,
           rep.shards_total, rep.definition, rep.points, rep.hosts, rep.hosts == 1 ? "" : "s", o.out);
    if (*rep.missing || rep.unfinished)
        printf("tiedseq merge: partial: missing shard(s) %s; %zu planned points unfinished\n",
               *rep.missing ? rep.missing : "none", rep.unfinished);
    return 0;
}
