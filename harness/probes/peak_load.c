/* ts_peak_load: read peak.json (or a run's meta.json, whose "peak" key holds the
 * same object) with a small strict JSON parser, and check every field the roofline
 * needs, so a corrupt or hand-broken file is one clear error, never a zero roof. */
#include "harness/probes/peak.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype type;
    double num;
    char *str;           /* J_STR */
    char *key;           /* member name when inside an object */
    struct jnode *kids;  /* J_ARR / J_OBJ */
    size_t n;
} jnode;

typedef struct jparser {
    const char *s, *p;
    const char *err; /* first error, static text */
    int depth;
} jparser;

static void jfree(jnode *v)
{
    for (size_t k = 0; k < v->n; k++)
        jfree(&v->kids[k]);
    free(v->kids);
    free(v->str);
    free(v->key);
    memset(v, 0, sizeof *v);
}

static int jerr(jparser *jp, const char *what)
{
    if (!jp->err)
        jp->err = what;
    return -1;
}

static void jws(jparser *jp)
{
    while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
        jp->p++;
}

static int jvalue(jparser *jp, jnode *v);

/* Append UTF-8 of code point cp (BMP; lone surrogates become '?'). */
static size_t put_utf8(char *o, unsigned cp)
{
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = '?';
    if (cp < 0x80)
        return o[0] = (char)cp, 1;
    if (cp < 0x800)
        return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 63)), 2;
    o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 63)), o[2] = (char)(0x80 | (cp & 63));
    return 3;
}

static int jstring(jparser *jp, char **out)
{
    const char *p = ++jp->p; /* past the quote; output never longer than input */
    char *o = malloc(strlen(p) + 1);
    size_t n = 0;
    if (!o)
        return jerr(jp, "out of memory");
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20) {
            free(o);
            return jerr(jp, c ? "control character in string" : "unterminated string");
        }
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        const char *esc = strchr("\"\\/bfnrtu", *++p);
        if (!*p || !esc) {
            free(o);
            return jerr(jp, "bad escape in string");
        }
        if (*esc == 'u') {
            unsigned cp = 0;
            for (int k = 1; k <= 4; k++) {
                char h = p[k];
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) {
                    free(o);
                    return jerr(jp, "bad \\u escape in string");
                }
                cp = cp * 16 + (unsigned)d;
            }
            p += 4;
            n += put_utf8(o + n, cp);
        } else {
            o[n++] = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrtu"];
        }
    }
    o[n] = '\0';
    jp->p = p + 1;
    *out = o;
    return 0;
}

/* JSON's number grammar exactly (strtod alone would take "nan", hex, "1."). */
static int jnumber(jparser *jp, jnode *v)
{
    const char *p = jp->p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return jerr(jp, "expected a value");
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9'))
            return jerr(jp, "bad number");
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p += p[1] == '+' || p[1] == '-' ? 2 : 1;
        if (!(*p >= '0' && *p <= '9'))
            return jerr(jp, "bad number");
        while (*p >= '0' && *p <= '9')
            p++;
    }
    v->type = J_NUM;
    v->num = strtod(jp->p, NULL);
    jp->p = p;
    return 0;
}

static int jpush(jparser *jp, jnode *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        jnode *k = realloc(v->kids, c * sizeof *k);
        if (!k)
            return jerr(jp, "out of memory");
        v->kids = k, *cap = c;
    }
    memset(&v->kids[v->n++], 0, sizeof *v->kids);
    return 0;
}

/* '[' or '{' ... : members separated by ',', no trailing comma */
static int jcontainer(jparser *jp, jnode *v, bool obj)
{
    size_t cap = 0;
    char close = obj ? '}' : ']';
    v->type = obj ? J_OBJ : J_ARR;
    jp->p++;
    jws(jp);
    if (*jp->p == close)
        return jp->p++, 0;
    for (;;) {
        if (jpush(jp, v, &cap))
            return -1;
        jnode *kid = &v->kids[v->n - 1];
        if (obj) {
            jws(jp);
            if (*jp->p != '"')
                return jerr(jp, "expected a member name");
            if (jstring(jp, &kid->key))
                return -1;
            jws(jp);
            if (*jp->p++ != ':')
                return jp->p--, jerr(jp, "expected ':'");
        }
        if (jvalue(jp, kid))
            return -1;
        jws(jp);
        if (*jp->p == ',') {
            jp->p++;
            continue;
        }
        if (*jp->p == close)
            return jp->p++, 0;
        return jerr(jp, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jvalue(jparser *jp, jnode *v)
{
    jws(jp);
    if (++jp->depth > 32)
        return jerr(jp, "nested too deeply");
    int rc;
    switch (*jp->p) {
    case '{': rc = jcontainer(jp, v, true); break;
    case '[': rc = jcontainer(jp, v, false); break;
    case '"': v->type = J_STR; rc = jstring(jp, &v->str); break;
    case 't': case 'f': case 'n': {
        const char *w = *jp->p == 't' ? "true" : *jp->p == 'f' ? "false" : "null";
        if (strncmp(jp->p, w, strlen(w)))
            return jerr(jp, "expected a value");
        v->type = *w == 'n' ? J_NULL : J_BOOL;
        v->num = *w == 't';
        jp->p += strlen(w);
        rc = 0;
        break;
    }
    default: rc = jnumber(jp, v);
    }
    jp->depth--;
    return rc;
}

static const jnode *jget(const jnode *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (!strcmp(obj->kids[k].key, key))
            return &obj->kids[k];
    return NULL;
}

/* ------------------------------------------------------------------ fields */

static int need(const jnode *v, jtype t, const char *field, ts_err *e)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    if (!v)
        return ts_fail(e, "missing \"%s\"", field);
    if (v->type != t)
        return ts_fail(e, "\"%s\" must be %s", field, names[t]);
    return 0;
}

/* {"1": x, ...}: keys are thread counts 1..threads_max, values finite >= 0; with
 * `all`, every count 1..threads_max must be there and > 0. */
static int by_threads(const jnode *obj, const char *field, int tmax, bool all, double *out, ts_err *e)
{
    if (need(obj, J_OBJ, field, e))
        return -1;
    for (size_t k = 0; k < obj->n; k++) {
        const jnode *m = &obj->kids[k];
        char *end;
        long t = strtol(m->key, &end, 10);
        if (!*m->key || *end || t < 1 || t > tmax)
            return ts_fail(e, "\"%s\": key \"%s\" is not a thread count 1..%d", field, m->key, tmax);
        if (m->type != J_NUM || !isfinite(m->num) || m->num < 0)
            return ts_fail(e, "\"%s\".\"%s\" must be a finite number >= 0", field, m->key);
        out[t] = m->num;
    }
    for (int t = 1; all && t <= tmax; t++)
        if (!(out[t] > 0))
            return ts_fail(e, "\"%s\" has no positive value for %d thread%s", field, t, t > 1 ? "s" : "");
    return 0;
}

static int read_fields(const jnode *root, ts_peak *pk, ts_err *e)
{
    const jnode *v = jget(root, "threads_max");
    if (need(v, J_NUM, "threads_max", e))
        return -1;
    if (v->num != floor(v->num) || v->num < 1 || v->num > TS_PEAK_MAX_T)
        return ts_fail(e, "\"threads_max\" must be a whole number 1..%d", TS_PEAK_MAX_T);
    int tmax = pk->threads_max = (int)v->num;
    const char *strs[2] = {"cpu_model", "isa"};
    char *dst[2] = {pk->cpu_model, pk->isa};
    for (int k = 0; k < 2; k++) {
        v = jget(root, strs[k]);
        if (v && need(v, J_STR, strs[k], e))
            return -1;
        snprintf(dst[k], sizeof pk->isa, "%s", v ? v->str : "unknown");
    }
    const jnode *fma = jget(root, "fma_gflops"), *bw = jget(root, "bw_gbps"), *lb = jget(root, "level_bytes");
    if (need(fma, J_OBJ, "fma_gflops", e) || by_threads(jget(fma, "best"), "fma_gflops.best", tmax, true, pk->fma_best, e))
        return -1;
    if ((jget(fma, "avx2") && by_threads(jget(fma, "avx2"), "fma_gflops.avx2", tmax, false, pk->fma_avx2, e)) ||
        (jget(fma, "avx512") && by_threads(jget(fma, "avx512"), "fma_gflops.avx512", tmax, false, pk->fma_avx512, e)))
        return -1;
    if (need(bw, J_OBJ, "bw_gbps", e) || need(lb, J_OBJ, "level_bytes", e))
        return -1;
    for (int l = 0; l < TS_LEVELS; l++) {
        char field[32];
        snprintf(field, sizeof field, "bw_gbps.%s", ts_peak_level_name(l));
        if (by_threads(jget(bw, ts_peak_level_name(l)), field, tmax, true, pk->bw_gbps[l], e))
            return -1;
        if (l == TS_LEVEL_DRAM)
            break;
        snprintf(field, sizeof field, "level_bytes.%s", ts_peak_level_name(l));
        v = jget(lb, ts_peak_level_name(l));
        if (need(v, J_NUM, field, e))
            return -1;
        if (!isfinite(v->num) || v->num < 0)
            return ts_fail(e, "\"%s\" must be a finite number >= 0", field);
        pk->level_bytes[l] = v->num;
    }
    return by_threads(jget(root, "barrier_ns"), "barrier_ns", tmax, false, pk->barrier_ns, e);
}

/* Whole file into memory (peak files are small; refuse anything over 1 MiB). */
static char *slurp(const char *path, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ts_fail(e, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (buf)
        n = fread(buf, 1, cap + 1, f);
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad || n > cap) {
        free(buf);
        ts_fail(e, bad ? "cannot read: %s" : "larger than 1 MiB: not a peak file", strerror(errno));
        return NULL;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        ts_fail(e, "contains a NUL byte: not JSON");
        return NULL;
    }
    return buf;
}

static int parse_and_read(const char *text, ts_peak *pk, ts_err *e)
{
    jparser jp = {.s = text, .p = text};
    jnode root = {0};
    int rc = jvalue(&jp, &root);
    if (!rc) {
        jws(&jp);
        if (*jp.p)
            rc = jerr(&jp, "unexpected text after the JSON value");
    }
    if (rc) {
        int line = 1;
        for (const char *q = text; q < jp.p; q++)
            line += *q == '\n';
        ts_fail(e, "invalid JSON at line %d (byte %ld): %s", line, (long)(jp.p - text), jp.err);
    } else if (root.type != J_OBJ) {
        rc = ts_fail(e, "top level must be an object");
    } else {
        /* a run's meta.json carries the peak under "peak" */
        const jnode *obj = !jget(&root, "threads_max") && jget(&root, "peak") ? jget(&root, "peak") : &root;
        rc = obj->type == J_OBJ ? read_fields(obj, pk, e) : ts_fail(e, "\"peak\" must be an object");
    }
    jfree(&root);
    return rc;
}

int ts_peak_load(const char *path, ts_peak *pk, ts_err *e)
{
    ts_err inner;
    memset(pk, 0, sizeof *pk);
    char *text = slurp(path, &inner);
    int rc = text ? parse_and_read(text, pk, &inner) : -1;
    free(text);
    if (rc) {
        memset(pk, 0, sizeof *pk);
        return ts_fail(e, "peak file '%s': %s", path, inner.msg);
    }
    return 0;
}
