#include "harness/files/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void shape_str(int ndim, const int64_t *shape, char *buf, size_t n)
{
    size_t used = snprintf(buf, n, "(");
    for (int k = 0; k < ndim && used < n; k++)
        used += snprintf(buf + used, n - used, "%s%lld", k ? ", " : "", (long long)shape[k]);
    if (used < n)
        snprintf(buf + used, n - used, "%s)", ndim == 1 ? "," : "");
}

/* The header is a Python dict literal.  numpy writes
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   + spaces + '\n'
 * and reads it with ast.literal_eval.  We accept that literal's plain form: keys
 * descr, fortran_order and shape, each exactly once, in any order; strings in ' or "
 * without escapes; True/False; a tuple of decimal integers; spaces between tokens; an
 * optional trailing comma; spaces and one final newline as padding.  Anything else is
 * refused: a search for "'descr'" would find it inside another key's string value. */
typedef struct hdr_cursor {
    const char *p, *begin, *end, *path;
    ts_err *e;
} hdr_cursor;

static void skip_spaces(hdr_cursor *c)
{
    while (c->p < c->end && *c->p == ' ')
        c->p++;
}

static int hdr_fail(hdr_cursor *c, const char *what)
{
    return ts_fail(c->e, "%s: malformed .npy header: %s (at byte %td of the header text)", c->path,
                   what, c->p - c->begin);
}

static bool accept(hdr_cursor *c, char ch)
{
    skip_spaces(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted string without escapes into out[n]. */
static int parse_string(hdr_cursor *c, char *out, size_t n)
{
    skip_spaces(c);
    if (c->p == c->end || (*c->p != '\'' && *c->p != '"'))
        return hdr_fail(c, "expected a quoted string");
    char q = *c->p++;
    size_t len = 0;
    for (; c->p < c->end && *c->p != q; c->p++, len++) {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20) /* messages quote it: one line */
            return hdr_fail(c, "escape or control character in a string");
        if (len + 1 >= n)
            return hdr_fail(c, "string too long");
        out[len] = *c->p;
    }
    if (c->p == c->end)
        return hdr_fail(c, "unterminated string");
    c->p++;
    out[len] = '\0';
    return 0;
}

static int parse_bool(hdr_cursor *c, bool *v)
{
    skip_spaces(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && !memcmp(c->p, "True", 4))
        *v = true, c->p += 4;
    else if (left >= 5 && !memcmp(c->p, "False", 5))
        *v = false, c->p += 5;
    else
        return hdr_fail(c, "fortran_order is not True or False");
    return 0;
}

static int parse_dim(hdr_cursor *c, int64_t *v)
{
    skip_spaces(c);
    int64_t x = 0;
    const char *start = c->p;
    for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++)
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, *c->p - '0', &x))
            return hdr_fail(c, "shape dimension overflows int64");
    if (c->p == start)
        return hdr_fail(c, "shape dimension is not a non-negative decimal integer");
    *v = x;
    return 0;
}

/* (), (n,), (a, b) or (a, b,): Python's tuple forms; "(n)" is an int, not a tuple. */
static int parse_shape(hdr_cursor *c, int *ndim, int64_t *shape)
{
    if (!accept(c, '('))
        return hdr_fail(c, "shape is not a tuple");
    *ndim = 0;
    bool comma = true;
    while (!accept(c, ')')) {
        if (!comma)
            return hdr_fail(c, "expected ',' or ')' in shape");
        if (*ndim == TS_NPY_MAX_DIMS)
            return hdr_fail(c, "shape has too many dimensions");
        if (parse_dim(c, &shape[(*ndim)++]))
            return -1;
        comma = accept(c, ',');
    }
    if (*ndim == 1 && !comma)
        return hdr_fail(c, "shape '(n)' is not a tuple (numpy writes '(n,)')");
    return 0;
}

typedef struct npy_header {
    char descr[16];
    bool fortran;
    int ndim;
    int64_t shape[TS_NPY_MAX_DIMS];
} npy_header;

static int parse_entry(hdr_cursor *c, npy_header *h, unsigned *seen)
{
    char key[32];
    if (parse_string(c, key, sizeof key))
        return -1;
    if (!accept(c, ':'))
        return hdr_fail(c, "expected ':' after a key");
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    for (unsigned k = 0; k < 3; k++) {
        if (strcmp(key, keys[k]))
            continue;
        if (*seen & (1u << k))
            return ts_fail(c->e, "%s: malformed .npy header: key '%s' given twice", c->path, key);
        *seen |= 1u << k;
        return k == 0 ? parse_string(c, h->descr, sizeof h->descr)
               : k == 1 ? parse_bool(c, &h->fortran) : parse_shape(c, &h->ndim, h->shape);
    }
    return ts_fail(c->e, "%s: malformed .npy header: unknown key '%.31s' (expected descr, "
                   "fortran_order, shape)", c->path, key);
}

static int parse_header(const char *path, const char *hdr, size_t len, npy_header *h, ts_err *e)
{
    hdr_cursor c = {hdr, hdr, hdr + len, path, e};
    unsigned seen = 0;
    memset(h, 0, sizeof *h);
    if (!accept(&c, '{'))
        return hdr_fail(&c, "expected '{'");
    while (!accept(&c, '}')) {
        if (parse_entry(&c, h, &seen))
            return -1;
        if (!accept(&c, ',') && !(skip_spaces(&c), c.p < c.end && *c.p == '}'))
            return hdr_fail(&c, "expected ',' or '}'");
    }
    if (seen != 7u)
        return ts_fail(e, "%s: malformed .npy header: missing key '%s'", path,
                       !(seen & 1u) ? "descr" : !(seen & 2u) ? "fortran_order" : "shape");
    skip_spaces(&c);
    if (c.p < c.end && *c.p == '\n')
        c.p++;
    if (c.p != c.end)
        return hdr_fail(&c, "bytes after the dict other than space padding and a newline");
    return 0;
}

/* Reads the header; leaves f positioned at the data. */
static int read_header(FILE *f, const char *path, npy_header *h, ts_err *e)
{
    unsigned char pre[10];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6))
        return ts_fail(e, "%s: not a .npy file (bad magic)", path);
    int major = pre[6];
    size_t hlen;
    if (major == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            return ts_fail(e, "%s: truncated .npy header", path);
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        unsigned char l[4];
        if (fread(l, 1, 4, f) != 4)
            return ts_fail(e, "%s: truncated .npy header", path);
        hlen = l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 | (size_t)l[3] << 24;
    } else {
        return ts_fail(e, "%s: unsupported .npy version %d", path, major);
    }
    if (hlen > 1 << 20)
        return ts_fail(e, "%s: .npy header too large", path);
    char *hdr = malloc(hlen ? hlen : 1);
    if (!hdr)
        return ts_fail(e, "%s: out of memory", path);
    int rc = 0;
    if (fread(hdr, 1, hlen, f) != hlen)
        rc = ts_fail(e, "%s: truncated .npy header", path);
    else
        rc = parse_header(path, hdr, hlen, h, e);
    free(hdr);
    return rc;
}

/* Element types the reader accepts: 4-byte little-endian float32 or int32. */
typedef struct npy_type {
    const char *descr, *big, *name, *hint;
} npy_type;

static const npy_type npy_f32 = {"<f4", ">f4", "float32", "a.astype('<f4')"};
static const npy_type npy_i32 = {"<i4", ">i4", "int32", "a.astype('<i4')"};

static int check_descr(const char *path, const char *descr, const npy_type *t, ts_err *e)
{
    if (!strcmp(descr, t->descr))
        return 0;
    if (!strcmp(descr, t->big))
        return ts_fail(e, "%s: byte order is big-endian ('%s'); expected little-endian %s ('%s')", path,
                       t->big, t->name, t->descr);
    return ts_fail(e, "%s: dtype '%s' is not %s; expected '%s' (numpy: %s)", path, descr, t->name,
                   t->descr, t->hint);
}

static int read_array(const char *path, const npy_type *t, int ndim, const int64_t *shape,
                      const char *what, void **data, ts_err *e)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ts_fail(e, "%s: cannot open: %s", path, strerror(errno));
    char want[128], got[128];
    npy_header h = {0};
    int rc = read_header(f, path, &h, e);
    int nd = h.ndim;
    const int64_t *sh = h.shape;
    if (!rc)
        rc = check_descr(path, h.descr, t, e);
    if (!rc && h.fortran)
        rc = ts_fail(e, "%s: Fortran order; expected C order (numpy: np.ascontiguousarray)", path);
    shape_str(ndim, shape, want, sizeof want);
    if (!rc && nd != ndim) {
        shape_str(nd, sh, got, sizeof got);
        rc = ts_fail(e, "%s: rank %d %s, expected rank %d %s %s", path, nd, got, ndim, want, what);
    }
    size_t count = 1;
    for (int k = 0; !rc && k < ndim; k++) {
        if (sh[k] != shape[k]) {
            shape_str(nd, sh, got, sizeof got);
            rc = ts_fail(e, "%s: shape %s, expected %s %s", path, got, want, what);
        }
        count *= (size_t)shape[k];
    }
    if (!rc && count) {
        *data = ts_alloc(count * 4);
        if (!*data)
            rc = ts_fail(e, "%s: out of memory", path);
        else {
            size_t n = fread(*data, 4, count, f);
            if (n != count)
                rc = ts_fail(e, "%s: truncated: %zu of %zu %s values", path, n, count, t->name);
        }
    }
    if (!rc && fgetc(f) != EOF)
        rc = ts_fail(e, "%s: trailing bytes after %zu %s values", path, count, t->name);
    fclose(f);
    if (rc) {
        ts_free(*data);
        *data = NULL;
    }
    return rc;
}

int ts_npy_read_f32(const char *path, int ndim, const int64_t *shape, const char *what,
                    float **data, ts_err *e)
{
    return read_array(path, &npy_f32, ndim, shape, what, (void **)data, e);
}

int ts_npy_read_i32(const char *path, int ndim, const int64_t *shape, const char *what,
                    int32_t **data, ts_err *e)
{
    return read_array(path, &npy_i32, ndim, shape, what, (void **)data, e);
}

int ts_npy_write(const char *path, const char *descr, int ndim, const int64_t *shape,
                 const void *data, ts_err *e)
{
    char sh[256], hdr[512];
    shape_str(ndim, shape, sh, sizeof sh);
    int len = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       descr, sh);
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64; /* numpy aligns the data to 64 bytes */
    size_t count = 1;
    for (int k = 0; k < ndim; k++)
        count *= (size_t)shape[k];
    FILE *f = fopen(path, "wb");
    if (!f)
        return ts_fail(e, "%s: cannot write: %s", path, strerror(errno));
    unsigned hl = (unsigned)(len + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, hl & 0xff, hl >> 8};
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)len, f) == (size_t)len;
    for (int k = 0; ok && k < pad; k++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (count == 0 || fwrite(data, 4, count, f) == count);
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        unlink(path);
        return ts_fail(e, "%s: write failed: %s", path, strerror(errno));
    }
    return 0;
}

/* DIR/[SUB/].NAME.partial */
static void staged_path(const ts_npy_batch *b, int k, char *buf, size_t n)
{
    const char *name = b->names[k], *slash = strrchr(name, '/');
    if (slash)
        snprintf(buf, n, "%s/%.*s/.%s.partial", b->dir, (int)(slash - name), name, slash + 1);
    else
        snprintf(buf, n, "%s/.%s.partial", b->dir, name);
}

/* The sub-folder of name ("cell_1/kernel.npy"), made if missing; one level only. */
static int batch_subdir(ts_npy_batch *b, const char *name, ts_err *e)
{
    const char *slash = strchr(name, '/');
    if (!slash)
        return 0;
    if (strchr(slash + 1, '/') || slash == name || (size_t)(slash - name) >= sizeof b->subs[0])
        return ts_fail(e, "internal: output name '%s' must be NAME or SUB/NAME", name);
    char sub[32], path[4200];
    snprintf(sub, sizeof sub, "%.*s", (int)(slash - name), name);
    snprintf(path, sizeof path, "%s/%s", b->dir, sub);
    if (mkdir(path, 0777) == 0) {
        if (b->nsub == TS_MAX_LAYERS)
            return ts_fail(e, "internal: more than %d output sub-folders", TS_MAX_LAYERS);
        snprintf(b->subs[b->nsub++], sizeof b->subs[0], "%s", sub);
    } else if (errno != EEXIST) {
        return ts_fail(e, "%s: cannot create output directory: %s", path, strerror(errno));
    }
    return 0;
}

int ts_npy_batch_open(ts_npy_batch *b, const char *dir, ts_err *e)
{
    memset(b, 0, sizeof *b);
    if (strlen(dir) >= sizeof b->dir - 80)
        return ts_fail(e, "%s: output path too long", dir);
    snprintf(b->dir, sizeof b->dir, "%s", dir);
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return ts_fail(e, "%s: output path exists and is not a directory", dir);
    } else if (mkdir(dir, 0777) == 0) {
        b->created_dir = true;
    } else {
        return ts_fail(e, "%s: cannot create output directory: %s", dir, strerror(errno));
    }
    if (access(dir, W_OK) != 0) {
        ts_npy_batch_abort(b);
        return ts_fail(e, "%s: output directory is not writable: %s", dir, strerror(errno));
    }
    return 0;
}

int ts_npy_batch_add(ts_npy_batch *b, const char *name, const char *descr, int ndim,
                     const int64_t *shape, const void *data, ts_err *e)
{
    if (b->n >= TS_NPY_BATCH_MAX || strlen(name) >= sizeof b->names[0])
        return ts_fail(e, "internal: too many or too long output names");
    if (batch_subdir(b, name, e))
        return -1;
    snprintf(b->names[b->n], sizeof b->names[0], "%s", name);
    char path[4200];
    staged_path(b, b->n, path, sizeof path);
    if (ts_npy_write(path, descr, ndim, shape, data, e))
        return -1;
    b->n++;
    return 0;
}

int ts_npy_batch_commit(ts_npy_batch *b, ts_err *e)
{
    char from[4200], to[4200];
    for (int k = 0; k < b->n; k++) {
        staged_path(b, k, from, sizeof from);
        snprintf(to, sizeof to, "%s/%s", b->dir, b->names[k]);
        if (rename(from, to) != 0) {
            int err = errno;
            ts_npy_batch_abort(b);
            return ts_fail(e, "%s: cannot publish: %s", to, strerror(err));
        }
    }
    b->n = 0;
    return 0;
}

void ts_npy_batch_abort(ts_npy_batch *b)
{
    char path[4200];
    for (int k = 0; k < b->n; k++) {
        staged_path(b, k, path, sizeof path);
        unlink(path);
    }
    b->n = 0;
    for (int k = 0; k < b->nsub; k++) {
        snprintf(path, sizeof path, "%s/%s", b->dir, b->subs[k]);
        rmdir(path);
    }
    b->nsub = 0;
    if (b->created_dir)
        rmdir(b->dir);
    b->created_dir = false;
}
