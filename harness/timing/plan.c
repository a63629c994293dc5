/* Plans: points, dedup by hash, chunks by shape (plan.h). */
#include "harness/timing/plan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ts_pt_status_name(ts_pt_status s)
{
    static const char *const names[] = {"", "ok", "fail", "skipped", "error"};
    return (unsigned)s <= TS_PT_ERROR ? names[s] : "?";
}

int ts_pt_status_parse(const char *s)
{
    for (int k = TS_PT_OK; k <= TS_PT_ERROR; k++)
        if (!strcmp(s, ts_pt_status_name((ts_pt_status)k)))
            return k;
    return -1;
}

void ts_point_init(ts_point *pt, const ts_variant *v, const ts_problem *p)
{
    memset(pt, 0, sizeof *pt);
    pt->var = v;
    pt->p = *p;
    ts_problem_format(p, pt->desc, sizeof pt->desc);
    pt->status = TS_PT_TODO;
    pt->verdict = TS_ERROR;
    pt->max_abs = pt->tol = NAN;
    pt->median_s = pt->min_s = pt->mean_s = pt->cv = pt->ci_lo_s = pt->ci_hi_s = NAN;
    pt->cal = pt->cal_lo = pt->cal_hi = pt->peak_frac = pt->bw_frac = NAN;
    pt->probe_gflops = pt->probe_gbps = pt->probe_spread = NAN;
    pt->bw_level = -1;
}

/* ---- the hash index: FNV-1a of "variant/desc", linear probing ---- */

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

#define FNV_BASIS 14695981039346656037ull

static uint64_t key_hash(const char *variant, const char *desc)
{
    return fnv(fnv(fnv(FNV_BASIS, variant), "/"), desc);
}

static size_t *slot_of(const ts_plan_pts *pl, const char *variant, const char *desc)
{
    size_t mask = pl->hcap - 1;
    for (size_t k = (size_t)key_hash(variant, desc) & mask;; k = (k + 1) & mask) {
        size_t i = pl->hslot[k];
        if (i == SIZE_MAX || (!strcmp(pl->pts[i].var->name, variant) && !strcmp(pl->pts[i].desc, desc)))
            return &pl->hslot[k];
    }
}

/* Rebuild the index at a load factor of at most 1/2. */
static int reindex(ts_plan_pts *pl, ts_err *e)
{
    size_t cap = 64;
    while (cap < 2 * pl->n + 2)
        cap *= 2;
    size_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return ts_fail(e, "out of memory for the plan");
    for (size_t k = 0; k < cap; k++)
        slots[k] = SIZE_MAX;
    free(pl->hslot);
    pl->hslot = slots, pl->hcap = cap;
    for (size_t i = 0; i < pl->n; i++)
        *slot_of(pl, pl->pts[i].var->name, pl->pts[i].desc) = i;
    return 0;
}

ts_point *ts_plan_find(const ts_plan_pts *pl, const char *variant, const char *desc)
{
    if (!pl->hcap)
        return NULL;
    size_t i = *slot_of(pl, variant, desc);
    return i == SIZE_MAX ? NULL : &pl->pts[i];
}

int ts_plan_add(ts_plan_pts *pl, const ts_variant *v, const ts_problem *p, ts_err *e)
{
    ts_point pt;
    ts_point_init(&pt, v, p);
    if (ts_plan_find(pl, v->name, pt.desc))
        return 0;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 64;
        ts_point *np = realloc(pl->pts, cap * sizeof *np);
        if (!np)
            return ts_fail(e, "out of memory for the plan");
        pl->pts = np, pl->cap = cap;
    }
    pl->pts[pl->n++] = pt;
    if (2 * pl->n + 2 > pl->hcap)
        return reindex(pl, e);
    *slot_of(pl, v->name, pt.desc) = pl->n - 1;
    return 0;
}

int ts_plan_build(ts_plan_pts *pl, const ts_problem_list *probs, const int *threads,
                  size_t nthreads, const ts_variant *const *vars, size_t nv, ts_err *e)
{
    for (size_t i = 0; i < probs->n; i++)
        for (size_t k = 0; k < nv; k++)
            for (size_t t = 0; t < (nthreads ? nthreads : 1); t++) {
                ts_problem p = probs->v[i];
                if (nthreads)
                    p.threads = threads[t];
                if (ts_problem_check(&p, e) || ts_plan_add(pl, vars[k], &p, e))
                    return -1;
            }
    return ts_plan_group(pl, e);
}

void ts_shape_key(const ts_problem *p, char *buf, size_t n)
{
    ts_problem q = *p;
    q.threads = 1;
    ts_problem_format(&q, buf, n);
}

/* The chunk number of every point, by a hash table of shape keys. */
static int chunk_ids(const ts_plan_pts *pl, size_t *chunk_of, size_t *nkeys, ts_err *e)
{
    size_t cap = 64;
    while (cap < 2 * pl->n + 2)
        cap *= 2;
    size_t *slot = malloc(cap * sizeof *slot); /* the first point of each shape */
    char(*keys)[128] = malloc((pl->n + 1) * sizeof *keys);
    if (!slot || !keys) {
        free(slot), free(keys);
        return ts_fail(e, "out of memory for the plan");
    }
    for (size_t k = 0; k < cap; k++)
        slot[k] = SIZE_MAX;
    *nkeys = 0;
    for (size_t i = 0; i < pl->n; i++) {
        ts_shape_key(&pl->pts[i].p, keys[i], sizeof keys[i]);
        size_t k = (size_t)fnv(FNV_BASIS, keys[i]) & (cap - 1);
        while (slot[k] != SIZE_MAX && strcmp(keys[slot[k]], keys[i]))
            k = (k + 1) & (cap - 1);
        if (slot[k] == SIZE_MAX) {
            slot[k] = i;
            chunk_of[i] = (*nkeys)++;
        } else {
            chunk_of[i] = chunk_of[slot[k]];
        }
    }
    free(slot), free(keys);
    return 0;
}

int ts_plan_group(ts_plan_pts *pl, ts_err *e)
{
    size_t n = pl->n, nkeys = 0;
    size_t *chunk_of = calloc(n + 1, sizeof *chunk_of);
    size_t *start = calloc(n + 2, sizeof *start), *fill = calloc(n + 2, sizeof *fill);
    ts_point *sorted = calloc(n + 1, sizeof *sorted);
    int rc = !chunk_of || !start || !fill || !sorted ? ts_fail(e, "out of memory for the plan") : 0;
    if (!rc)
        rc = chunk_ids(pl, chunk_of, &nkeys, e);
    if (!rc) {
        for (size_t k = 0; k < n; k++)
            start[chunk_of[k] + 1]++;
        for (size_t c = 0; c < nkeys; c++)
            start[c + 1] += start[c];
        for (size_t k = 0; k < n; k++) /* stable: order inside a chunk is kept */
            sorted[start[chunk_of[k]] + fill[chunk_of[k]]++] = pl->pts[k];
        if (n)
            memcpy(pl->pts, sorted, n * sizeof *sorted);
        free(pl->chunk_start);
        pl->chunk_start = start, start = NULL;
        pl->nchunks = nkeys;
        rc = reindex(pl, e);
    }
    free(chunk_of), free(start), free(fill), free(sorted);
    return rc;
}

void ts_plan_free(ts_plan_pts *pl)
{
    free(pl->pts);
    free(pl->chunk_start);
    free(pl->hslot);
    memset(pl, 0, sizeof *pl);
}

void ts_plan_chunk_name(const ts_plan_pts *pl, size_t chunk, char *buf, size_t n)
{
    char key[128];
    ts_shape_key(&pl->pts[pl->chunk_start[chunk]].p, key, sizeof key);
    /* drop the ":t1" token, keep any ":fbX" after it */
    char *t = strstr(key, ":t1");
    if (t && (t[3] == ':' || t[3] == '\0'))
        memmove(t, t + 3, strlen(t + 3) + 1);
    for (char *c = key; *c; c++)
        if (*c == ':')
            *c = '-';
    snprintf(buf, n, "%s", key);
}

int ts_plan_same(const ts_plan_pts *a, const ts_plan_pts *b, ts_err *e)
{
    for (size_t k = 0; k < a->n; k++)
        if (!ts_plan_find(b, a->pts[k].var->name, a->pts[k].desc))
            return ts_fail(e, "point %s/%s is not in the recorded sweep", a->pts[k].var->name,
                           a->pts[k].desc);
    for (size_t k = 0; k < b->n; k++)
        if (!ts_plan_find(a, b->pts[k].var->name, b->pts[k].desc))
            return ts_fail(e, "recorded point %s/%s is not in this sweep", b->pts[k].var->name,
                           b->pts[k].desc);
    return 0;
}

/* ---- shards ---- */

static int digits_int(const char *s, size_t len, int *v)
{
    if (len == 0 || len > 6)
        return -1;
    *v = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return -1;
        *v = *v * 10 + (s[k] - '0');
    }
    return 0;
}

int ts_shard_parse(const char *s, int *k, int *n, ts_err *e)
{
    const char *slash = strchr(s, '/');
    if (!slash || digits_int(s, (size_t)(slash - s), k) || digits_int(slash + 1, strlen(slash + 1), n))
        return ts_fail(e, "--shard '%s': want K/N, two whole numbers in decimal digits (e.g. 1/4)", s);
    if (*n < 1 || *n > TS_MAX_SHARDS || *k < 1 || *k > *n)
        return ts_fail(e, "--shard '%s': want 1 <= K <= N <= %d", s, TS_MAX_SHARDS);
    return 0;
}

typedef struct chunk_cost {
    double cost;
    char key[128];
    size_t chunk;
} chunk_cost;

static int by_cost_desc(const void *a, const void *b)
{
    const chunk_cost *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* shard_of[c] (0-based) of every chunk: greedy, largest chunk to the least-loaded shard. */
static int deal_chunks(const ts_plan_pts *pl, int n, int *shard_of, ts_err *e)
{
    chunk_cost *cc = calloc(pl->nchunks + 1, sizeof *cc);
    double *load = calloc((size_t)n, sizeof *load);
    if (!cc || !load) {
        free(cc), free(load);
        return ts_fail(e, "out of memory for the plan");
    }
    for (size_t c = 0; c < pl->nchunks; c++) {
        cc[c].chunk = c;
        ts_shape_key(&pl->pts[pl->chunk_start[c]].p, cc[c].key, sizeof cc[c].key);
        for (size_t i = pl->chunk_start[c]; i < pl->chunk_start[c + 1]; i++)
            cc[c].cost += ts_flops_total(&pl->pts[i].p);
    }
    qsort(cc, pl->nchunks, sizeof *cc, by_cost_desc);
    for (size_t j = 0; j < pl->nchunks; j++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best])
                best = s;
        load[best] += cc[j].cost;
        shard_of[cc[j].chunk] = best;
    }
    free(cc), free(load);
    return 0;
}

int ts_plan_shard(ts_plan_pts *pl, int k, int n, ts_err *e)
{
    int *shard_of = calloc(pl->nchunks + 1, sizeof *shard_of);
    if (!shard_of)
        return ts_fail(e, "out of memory for the plan");
    if (deal_chunks(pl, n, shard_of, e))
        return free(shard_of), -1;
    size_t kept = 0;
    for (size_t c = 0; c < pl->nchunks; c++)
        if (shard_of[c] == k - 1)
            for (size_t i = pl->chunk_start[c]; i < pl->chunk_start[c + 1]; i++)
                pl->pts[kept++] = pl->pts[i]; /* kept <= i: an in-place, order-keeping filter */
    free(shard_of);
    pl->n = kept;
    return ts_plan_group(pl, e);
}

static int cmp_key_text(const void *a, const void *b) { return strcmp(a, b); }

int ts_plan_hash(const ts_plan_pts *pl, const char *extra, char out[17], ts_err *e)
{
    char(*keys)[200] = calloc(pl->n + 1, sizeof *keys);
    if (!keys)
        return ts_fail(e, "out of memory for the plan");
    for (size_t k = 0; k < pl->n; k++)
        snprintf(keys[k], sizeof keys[k], "%s %s", pl->pts[k].var->name, pl->pts[k].desc);
    qsort(keys, pl->n, sizeof *keys, cmp_key_text);
    uint64_t h = FNV_BASIS;
    for (size_t k = 0; k < pl->n; k++)
        h = fnv(fnv(h, keys[k]), "\n");
    free(keys);
    h = fnv(h, extra);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return 0;
}
