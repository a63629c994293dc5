#include "harness/cli.h"
#include "variants/peer.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ts_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tiedseq %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int ts_plist_push(ts_problem_list *l, const ts_problem *p, ts_err *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        ts_problem *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ts_fail(e, "out of memory");
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = *p;
    return 0;
}

void ts_plist_free(ts_problem_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

int ts_plist_parse(ts_problem_list *l, const char *csv, ts_err *e)
{
    if (!csv || !*csv)
        return ts_fail(e, "empty problem list");
    char *copy = strdup(csv), *save = NULL;
    if (!copy)
        return ts_fail(e, "out of memory");
    int rc = 0;
    size_t before = l->n;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        ts_problem p;
        rc = ts_problem_parse(tok, &p, e) || ts_plist_push(l, &p, e) ? -1 : 0;
    }
    free(copy);
    if (!rc && l->n == before)
        rc = ts_fail(e, "empty problem list");
    return rc;
}

static void set_path(const char *name, char *buf, size_t n)
{
    if (strchr(name, '/') || strstr(name, ".txt")) {
        snprintf(buf, n, "%s", name);
        return;
    }
    const char *dir = getenv("TS_SETS_DIR");
    if (dir && *dir)
        snprintf(buf, n, "%s/%s.txt", dir, name);
    else
        snprintf(buf, n, "%s/scripts/sets/%s.txt", TS_SOURCE_DIR, name);
}

int ts_plist_load_set(ts_problem_list *l, const char *name, ts_err *e)
{
    char path[4096], line[512];
    set_path(name, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return ts_fail(e, "problem set '%s': cannot open %s: %s", name, path, strerror(errno));
    int rc = 0, lineno = 0;
    size_t before = l->n;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "#\r\n")] = '\0';
        char *s = line, *end;
        while (isspace((unsigned char)*s))
            s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*s)
            continue;
        ts_problem p;
        ts_err pe;
        if (ts_problem_parse(s, &p, &pe))
            rc = ts_fail(e, "%s:%d: %s", path, lineno, pe.msg);
        else
            rc = ts_plist_push(l, &p, e);
    }
    fclose(f);
    if (!rc && l->n == before)
        rc = ts_fail(e, "problem set '%s' (%s) has no problems", name, path);
    return rc;
}

int ts_plist_add_set(ts_problem_list *l, const char **names, size_t *n, size_t cap,
                     const char *name, ts_err *e)
{
    if (*n == cap)
        return ts_fail(e, "more than %zu --set options", cap);
    names[(*n)++] = name;
    return ts_plist_load_set(l, name, e);
}

/* Appends v unless already there; -1 when out is full. */
static int add_variant(const ts_variant *v, const ts_variant **out, size_t cap, size_t *n)
{
    for (size_t k = 0; k < *n; k++)
        if (out[k] == v)
            return 0;
    if (*n == cap)
        return -1;
    out[(*n)++] = v;
    return 0;
}

static void peer_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t k = 0; k < ts_peer_count; k++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", k ? ", " : "", ts_peers[k]->name);
}

static int unknown_variant(const char *name, ts_err *e)
{
    char known[512] = "", peers[512];
    for (size_t k = 0; k < ts_variant_count; k++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "",
                 ts_variants[k]->name);
    peer_names(peers, sizeof peers);
    return ts_fail(e, "unknown variant '%s' (known: %s; peers: %s)", name, known, peers);
}

int ts_peers_append(const char *csv, const ts_variant **out, size_t cap, size_t *n, ts_err *e)
{
    char *copy = strdup(csv), *save = NULL, peers[512];
    if (!copy)
        return ts_fail(e, "out of memory");
    int rc = *csv ? 0 : ts_fail(e, "--peers: empty list");
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        const ts_variant *v = ts_peer_find(tok);
        if (!v) {
            peer_names(peers, sizeof peers);
            rc = ts_fail(e, "--peers: unknown peer '%s' (peers: %s)", tok, peers);
        } else if (add_variant(v, out, cap, n)) {
            rc = ts_fail(e, "more than %zu variants with --peers '%s'", cap, csv);
        }
    }
    free(copy);
    return rc;
}

/* (parenthesised: the name is also the transition macro in cli.h) */
int(ts_variants_select)(const char *csv, const ts_variant **out, size_t cap, size_t *n, ts_err *e)
{
    *n = 0;
    bool all = !csv || !strcmp(csv, "all");
    if (!all && !*csv)
        return ts_fail(e, "empty variant list");
    char *copy = all ? NULL : strdup(csv), *save = NULL;
    if (!all && !copy)
        return ts_fail(e, "out of memory");
    int rc = 0;
    for (size_t k = 0; all && !rc && k < ts_variant_count; k++)
        if (add_variant(ts_variants[k], out, cap, n))
            rc = ts_fail(e, "all %zu variants: more than the %zu this command takes", ts_variant_count, cap);
    for (char *tok = all ? NULL : strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        const ts_variant *v = ts_variant_find(tok);
        if (!v)
            rc = unknown_variant(tok, e);
        else if (add_variant(v, out, cap, n))
            rc = ts_fail(e, "more than %zu variants in '%s'", cap, csv);
    }
    free(copy);
    if (!rc && *n == 0)
        rc = ts_fail(e, "empty variant list");
    return rc;
}

int ts_parse_u64(const char *opt, const char *s, uint64_t *v, ts_err *e)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-' || !isdigit((unsigned char)*s))
        return ts_fail(e, "%s: '%s' is not a non-negative integer", opt, s ? s : "");
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno)
        return ts_fail(e, "%s: '%s' is not a non-negative integer", opt, s);
    *v = x;
    return 0;
}

void ts_str_copy(char *dst, size_t n, const char *src)
{
    size_t k = strnlen(src, n - 1);
    memcpy(dst, src, k);
    dst[k] = '\0';
}

/* ---- shared option helpers ---- */

static bool is_gb_flag(const char *a)
{
    return !strncmp(a, "--benchmark_", 12) || !strncmp(a, "--v=", 4);
}

void ts_split_gb_args(int argc, char **argv, int *n_own, char **own, int *n_gb, char **gb)
{
    *n_own = *n_gb = 0;
    for (int k = 0; k < argc; k++) {
        if (k > 0 && is_gb_flag(argv[k]))
            gb[(*n_gb)++] = argv[k];
        else
            own[(*n_own)++] = argv[k];
    }
    own[*n_own] = NULL;
    gb[*n_gb] = NULL;
}




static int parse_num(const char *opt, const char *s, int64_t *v, ts_err *e)
{
    if (!strcmp(s, "nproc")) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        *v = n > 0 ? n : 1;
        return 0;
    }
    uint64_t x;
    ts_err pe;
    if (ts_parse_u64(opt, s, &x, &pe) || x > (1ull << 40))
        return ts_fail(e, "%s: '%s' is not a whole number (or nproc)", opt, s);
    *v = (int64_t)x;
    return 0;
}

static int push_val(const char *opt, int64_t x, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    for (size_t k = 0; k < *n; k++)
        if (out[k] == x)
            return 0; /* a value listed twice is one point */
    if (*n == max)
        return ts_fail(e, "%s: more than %zu values", opt, max);
    out[(*n)++] = x;
    return 0;
}

/* One comma-separated item: a, lo:hi, lo:hi:xK, lo:hi:+K */
static int parse_item(const char *opt, char *item, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    char *f[4] = {item, NULL, NULL, NULL};
    int nf = 1;
    for (char *c = item; *c; c++)
        if (*c == ':') {
            if (nf == 3)
                return ts_fail(e, "%s: '%s' is not a value or a range lo:hi[:xK|:+K]", opt, item);
            *c = '\0';
            f[nf++] = c + 1;
        }
    int64_t lo, hi, k = 1;
    if (parse_num(opt, f[0], &lo, e) || (nf > 1 && parse_num(opt, f[1], &hi, e)))
        return -1;
    if (nf == 1)
        return push_val(opt, lo, out, max, n, e);
    if (lo > hi)
        return ts_fail(e, "%s: range %lld:%lld is empty (lo > hi)", opt, (long long)lo, (long long)hi);
    bool geo = nf == 3 && f[2][0] == 'x';
    if (nf == 3 && ((f[2][0] != 'x' && f[2][0] != '+') || parse_num(opt, f[2] + 1, &k, e) ||
                    (geo ? k < 2 || lo < 1 : k < 1)))
        return ts_fail(e, "%s: step '%s' must be xK (K >= 2, lo >= 1) or +K (K >= 1)", opt, f[2]);
    for (int64_t x = lo;; x = geo ? x * k : x + k) {
        if (push_val(opt, x, out, max, n, e))
            return -1;
        if (geo ? x > hi / k : x > hi - k) /* the next value would pass hi (or overflow) */
            break;
    }
    return 0;
}

int ts_parse_int_list(const char *opt, const char *s, int64_t *out, size_t max, size_t *n, ts_err *e)
{
    *n = 0;
    if (!s || !*s)
        return ts_fail(e, "%s: empty list", opt);
    char *copy = strdup(s);
    if (!copy)
        return ts_fail(e, "out of memory");
    int rc = 0;
    char *item = copy;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        rc = !*item ? ts_fail(e, "%s: empty item in '%s'", opt, s) : parse_item(opt, item, out, max, n, e);
        if (rc || !comma)
            break;
        item = comma + 1;
    }
    free(copy);
    return rc;
}
