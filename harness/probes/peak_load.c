/* ts_peak_load: read peak.json (or a run's meta.json, whose "peak" key holds the
 * same object) with a small strict JSON parser, and check every field the roofline
 * needs, so a corrupt or hand-broken file is one clear error, never a zero roof. */
#include "harness/probes/peak.h"
#include "harness/files/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ fields */

static int need(const ts_jnode *v, ts_jtype t, const char *field, ts_err *e)
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
static int by_threads(const ts_jnode *obj, const char *field, int tmax, bool all, double *out, ts_err *e)
{
    if (need(obj, TS_J_OBJ, field, e))
        return -1;
    for (size_t k = 0; k < obj->n; k++) {
        const ts_jnode *m = &obj->kids[k];
        char *end;
        long t = strtol(m->key, &end, 10);
        if (!*m->key || *end || t < 1 || t > tmax)
            return ts_fail(e, "\"%s\": key \"%s\" is not a thread count 1..%d", field, m->key, tmax);
        if (m->type != TS_J_NUM || !isfinite(m->num) || m->num < 0)
            return ts_fail(e, "\"%s\".\"%s\" must be a finite number >= 0", field, m->key);
        out[t] = m->num;
    }
    for (int t = 1; all && t <= tmax; t++)
        if (!(out[t] > 0))
            return ts_fail(e, "\"%s\" has no positive value for %d thread%s", field, t, t > 1 ? "s" : "");
    return 0;
}

static int read_fields(const ts_jnode *root, ts_peak *pk, ts_err *e)
{
    const ts_jnode *v = ts_json_get(root, "threads_max");
    if (need(v, TS_J_NUM, "threads_max", e))
        return -1;
    if (v->num != floor(v->num) || v->num < 1 || v->num > TS_PEAK_MAX_T)
        return ts_fail(e, "\"threads_max\" must be a whole number 1..%d", TS_PEAK_MAX_T);
    int tmax = pk->threads_max = (int)v->num;
    const char *strs[2] = {"cpu_model", "isa"};
    char *dst[2] = {pk->cpu_model, pk->isa};
    for (int k = 0; k < 2; k++) {
        v = ts_json_get(root, strs[k]);
        if (v && need(v, TS_J_STR, strs[k], e))
            return -1;
        snprintf(dst[k], sizeof pk->isa, "%s", v ? v->str : "unknown");
    }
    const ts_jnode *fma = ts_json_get(root, "fma_gflops"), *bw = ts_json_get(root, "bw_gbps"), *lb = ts_json_get(root, "level_bytes");
    if (need(fma, TS_J_OBJ, "fma_gflops", e) || by_threads(ts_json_get(fma, "best"), "fma_gflops.best", tmax, true, pk->fma_best, e))
        return -1;
    if ((ts_json_get(fma, "avx2") && by_threads(ts_json_get(fma, "avx2"), "fma_gflops.avx2", tmax, false, pk->fma_avx2, e)) ||
        (ts_json_get(fma, "avx512") && by_threads(ts_json_get(fma, "avx512"), "fma_gflops.avx512", tmax, false, pk->fma_avx512, e)))
        return -1;
    /* bf16 roofs: optional (older peak.json files have none) */
    const ts_jnode *bf = ts_json_get(root, "bf16_gflops");
    if (bf && (need(bf, TS_J_OBJ, "bf16_gflops", e) ||
               (ts_json_get(bf, "avx512_bf16") &&
                by_threads(ts_json_get(bf, "avx512_bf16"), "bf16_gflops.avx512_bf16", tmax, false, pk->dp_bf16, e)) ||
               (ts_json_get(bf, "amx") && by_threads(ts_json_get(bf, "amx"), "bf16_gflops.amx", tmax, false, pk->amx_bf16, e))))
        return -1;
    if (need(bw, TS_J_OBJ, "bw_gbps", e) || need(lb, TS_J_OBJ, "level_bytes", e))
        return -1;
    for (int l = 0; l < TS_LEVELS; l++) {
        char field[32];
        snprintf(field, sizeof field, "bw_gbps.%s", ts_peak_level_name(l));
        if (by_threads(ts_json_get(bw, ts_peak_level_name(l)), field, tmax, true, pk->bw_gbps[l], e))
            return -1;
        if (l == TS_LEVEL_DRAM)
            break;
        snprintf(field, sizeof field, "level_bytes.%s", ts_peak_level_name(l));
        v = ts_json_get(lb, ts_peak_level_name(l));
        if (need(v, TS_J_NUM, field, e))
            return -1;
        if (!isfinite(v->num) || v->num < 0)
            return ts_fail(e, "\"%s\" must be a finite number >= 0", field);
        pk->level_bytes[l] = v->num;
    }
    return by_threads(ts_json_get(root, "barrier_ns"), "barrier_ns", tmax, false, pk->barrier_ns, e);
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
    ts_jnode root;
    if (ts_json_parse(text, &root, e))
        return -1;
    int rc;
    if (root.type != TS_J_OBJ) {
        rc = ts_fail(e, "top level must be an object");
    } else {
        /* a run's meta.json carries the peak under "peak" */
        const ts_jnode *obj = !ts_json_get(&root, "threads_max") && ts_json_get(&root, "peak") ? ts_json_get(&root, "peak") : &root;
        rc = obj->type == TS_J_OBJ ? read_fields(obj, pk, e) : ts_fail(e, "\"peak\" must be an object");
    }
    ts_json_free(&root);
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
