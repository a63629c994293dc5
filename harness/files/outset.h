/* `run`'s output folder as one unit.  Files are written into a fresh staging
 * folder beside --out (PARENT/.BASE.staging-PID); commit swaps it with --out in
 * one rename (renameat2 RENAME_EXCHANGE; two renames where the file system lacks
 * it) and deletes the old set.  So --out always holds one whole set, never a mix
 * of two runs, and a killed run leaves only a staging folder, which the next run
 * into the same --out deletes.  An existing --out is replaced only when it holds
 * nothing but files of the `owned` list (or their old-style .NAME.partial
 * leftovers): a folder with anything else in it is refused, never emptied. */
#ifndef TS_OUTSET_H
#define TS_OUTSET_H
#include "kernels/tiedseq.h"

typedef struct ts_outset {
    char dir[4096];     /* --out, without trailing '/' */
    char parent[4096];  /* the folder holding it */
    char stage[4200];   /* PARENT/.BASE.staging-PID, empty when none is open */
    const char *const *owned;
} ts_outset;

/* Checks --out, deletes dead runs' staging folders, creates a fresh one. */
int ts_outset_open(ts_outset *o, const char *dir, const char *const *owned, ts_err *e);
/* One .npy file into the staging folder (descr "<f4" or "<i4"). */
int ts_outset_add(ts_outset *o, const char *name, const char *descr, int ndim,
                  const int64_t *shape, const void *data, ts_err *e);
/* Flushes the files and puts the set in place of --out; on error --out is as before. */
int ts_outset_commit(ts_outset *o, ts_err *e);
/* Deletes the staging folder; --out is untouched. */
void ts_outset_abort(ts_outset *o);

#endif
