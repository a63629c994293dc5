/* libFuzzer: the .npy reader.  Input byte 0 picks the element type (bit 0) and the
 * expected rank (bits 1-2: 0..3), bytes 1-3 the expected dimensions (0..7); the rest
 * is the file.  The reader must refuse with a one-line message or return exactly the
 * expected shape; an accepted array must write and read back bit for bit. */
#include "memfile.h"

#include "harness/files/npy.h"

#include <string.h>

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_npy: %s: %s\n", what, msg);
    abort();
}

static int read_any(const char *path, bool i32, int nd, const int64_t *sh, void **d, ts_err *e)
{
    return i32 ? ts_npy_read_i32(path, nd, sh, "[fuzz]", (int32_t **)d, e)
               : ts_npy_read_f32(path, nd, sh, "[fuzz]", (float **)d, e);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static memfile in, out;
    if (!in.path[0])
        memfile_init(&in, "fuzz_npy_in"), memfile_init(&out, "fuzz_npy_out");
    if (size < 4)
        return 0;
    bool i32 = data[0] & 1;
    int nd = (data[0] >> 1) & 3;
    int64_t sh[3] = {data[1] & 7, data[2] & 7, data[3] & 7};
    size_t count = 1;
    for (int k = 0; k < nd; k++)
        count *= (size_t)sh[k];
    memfile_set(&in, data + 4, size - 4);
    void *d = (void *)1, *back = NULL;
    ts_err e;
    if (read_any(in.path, i32, nd, sh, &d, &e)) {
        if (d || !e.msg[0] || strchr(e.msg, '\n'))
            fail("refusal left data or a bad message", e.msg);
        return 0;
    }
    if ((count == 0) != (d == NULL))
        fail("accepted array's buffer does not match its size", "");
    char wpath[64];
    snprintf(wpath, sizeof wpath, "%s", out.path);
    memfile_set(&out, "", 0);
    if (ts_npy_write(wpath, i32 ? "<i4" : "<f4", nd, sh, d, &e))
        fail("write-back failed", e.msg);
    if (read_any(wpath, i32, nd, sh, &back, &e))
        fail("written array does not read back", e.msg);
    if (count && memcmp(d, back, count * 4))
        fail("read-back differs", "");
    ts_free(d);
    ts_free(back);
    return 0;
}
