/* tiedseq merge: the run folders of the shards of one sweep (sweep --shard K/N,
 * one machine each) joined into one run folder.  Every check runs before
 * anything is written: the shards must share one definition (sweep.txt's hash),
 * be distinct shards of the same N, hold no point twice, and be complete (every
 * planned point recorded) with all N present unless `partial`.  The result is
 * built in a temporary folder beside OUT and renamed into place when complete,
 * so a refused or failed merge leaves no OUT behind. */
#ifndef TS_MERGE_H
#define TS_MERGE_H
#include "kernels/tiedseq.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ts_merge_opts {
    const char *out;          /* must not exist, or be an empty folder */
    char *const *dirs;        /* the shards' run folders */
    size_t ndirs;
    bool partial;             /* allow missing shards and unfinished points */
    int argc;                 /* the command line, for meta.json */
    char **argv;
} ts_merge_opts;

typedef struct ts_merge_report {
    size_t shards, shards_total, points, hosts;
    char definition[17];
    char missing[256];        /* "2/4 3/4", "" when none (cut short past 256 chars) */
    size_t unfinished;        /* planned points without a row (only with partial) */
} ts_merge_report;

int ts_merge_runs(const ts_merge_opts *o, ts_merge_report *rep, ts_err *e);

#endif
