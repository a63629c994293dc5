/* NumPy .npy files: float32/int32, little-endian, C order.  Strict reader (every
 * mismatch is a one-line error naming the file), and a writer that stages files
 * and publishes them all-or-nothing. */
#ifndef TS_NPY_H
#define TS_NPY_H
#include "kernels/tiedseq.h"

#define TS_NPY_MAX_DIMS 8

/* Read a '<f4' array whose shape must equal shape[0..ndim-1]; *data is
 * ts_alloc'ed (NULL when the shape has a zero).  what: "[E x B x I]" for messages. */
int ts_npy_read_f32(const char *path, int ndim, const int64_t *shape, const char *what,
                    float **data, ts_err *e);

/* The same for an '<i4' array (greedy symbols.npy). */
int ts_npy_read_i32(const char *path, int ndim, const int64_t *shape, const char *what,
                    int32_t **data, ts_err *e);

/* Write one array to path ("<f4" or "<i4"); no staging. */
int ts_npy_write(const char *path, const char *descr, int ndim, const int64_t *shape,
                 const void *data, ts_err *e);

/* All-or-nothing output: stage files under DIR as .NAME.partial, then commit
 * renames them all; abort (or a failed commit) removes every staged file.  A name
 * may have one sub-folder ("cell_1/kernel.npy": a MultiRNNCell layer), created
 * on demand and removed again by abort when the batch created it. */
#define TS_NPY_BATCH_MAX 160
typedef struct ts_npy_batch {
    char dir[4096];
    int n, nsub;
    char names[TS_NPY_BATCH_MAX][64];
    char subs[TS_MAX_LAYERS][32]; /* sub-folders this batch created */
    bool created_dir;
} ts_npy_batch;

int ts_npy_batch_open(ts_npy_batch *b, const char *dir, ts_err *e);
int ts_npy_batch_add(ts_npy_batch *b, const char *name, const char *descr, int ndim,
                     const int64_t *shape, const void *data, ts_err *e);
int ts_npy_batch_commit(ts_npy_batch *b, ts_err *e);
void ts_npy_batch_abort(ts_npy_batch *b);

#endif
