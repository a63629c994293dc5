/* tiedseq merge: check a set of shard run folders, then write one (merge.h). */
#include "harness/files/merge.h"

#include "harness/files/csvread.h"
#include "harness/files/json.h"
#include "harness/files/results.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct shard_in {
    const char *dir;
    ts_sweep_def def;
    ts_plan_pts plan;   /* its planned points (sweep.txt) */
    ts_csv points;      /* its rows, checked */
    char *points_text;  /* points.csv as it is, copied row by row */
    size_t done;        /* rows that finish a point: ok, fail, skipped */
    char *meta;         /* meta.json, a valid JSON object */
    char host[256], cpu[256];
} shard_in;

static void shard_free(shard_in *s)
{
    ts_plan_free(&s->plan);
    ts_csv_free(&s->points);
    free(s->points_text);
    free(s->meta);
}

/* ---- one shard ---- */

static bool is_file(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* meta.json: a JSON object; its host and CPU model for the merged meta.json. */
static int load_meta(shard_in *s, ts_err *e)
{
    char path[4200];
    ts_err je;
    ts_jnode root;
    snprintf(path, sizeof path, "%s/meta.json", s->dir);
    if (!(s->meta = ts_read_file(path, NULL, e)))
        return -1;
    if (ts_json_parse(s->meta, &root, &je))
        return ts_fail(e, "%s: %s", path, je.msg);
    const ts_jnode *host = ts_json_get(&root, "host"), *model = ts_json_get(ts_json_get(&root, "cpu"), "model");
    int rc = root.type == TS_J_OBJ ? 0 : ts_fail(e, "%s: not a JSON object", path);
    snprintf(s->host, sizeof s->host, "%s", host && host->type == TS_J_STR ? host->str : "");
    snprintf(s->cpu, sizeof s->cpu, "%s", model && model->type == TS_J_STR ? model->str : "");
    ts_json_free(&root);
    return rc;
}

/* sweep.txt: the definition, its hash and the shard; the run's planned points. */
static int load_definition(shard_in *s, ts_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.txt", s->dir);
    if (ts_sweep_def_read(path, &s->def, &s->plan, e))
        return -1;
    if (!*s->def.definition || !s->def.shard_n)
        return ts_fail(e, "%s: no definition hash or shard (made by a tiedseq before `sweep --shard`)", path);
    return 0;
}

/* One row: this run's, a known status, a planned point, recorded once. */
static int check_row(shard_in *s, size_t r, const int *col, bool *seen, ts_err *e)
{
    const ts_csv *c = &s->points;
    const char *variant = ts_csv_get(c, r, col[1]), *problem = ts_csv_get(c, r, col[2]);
    int st = ts_pt_status_parse(ts_csv_get(c, r, col[3]));
    if (strcmp(ts_csv_get(c, r, col[0]), s->def.run_id))
        return ts_fail(e, "%s:%d: a row of another run (run_id '%s', the shard is '%s')", c->path, c->lines[r],
                       ts_csv_get(c, r, col[0]), s->def.run_id);
    if (st < 0)
        return ts_fail(e, "%s:%d: unknown status '%s'", c->path, c->lines[r], ts_csv_get(c, r, col[3]));
    ts_point *pt = ts_plan_find(&s->plan, variant, problem);
    if (!pt)
        return ts_fail(e, "%s:%d: %s/%s is not a point of the shard's sweep.txt", c->path, c->lines[r], variant,
                       problem);
    if (seen[pt - s->plan.pts])
        return ts_fail(e, "%s:%d: %s/%s is recorded twice", c->path, c->lines[r], variant, problem);
    seen[pt - s->plan.pts] = true;
    s->done += st == TS_PT_OK || st == TS_PT_FAIL || st == TS_PT_SKIPPED;
    return 0;
}

static int load_points(shard_in *s, ts_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/points.csv", s->dir);
    if (!(s->points_text = ts_read_file(path, NULL, e)))
        return -1;
    size_t hl = strcspn(s->points_text, "\n");
    if (hl != strlen(TS_CSV_HEADER) || strncmp(s->points_text, TS_CSV_HEADER, hl))
        return ts_fail(e, "%s: not this tiedseq's points.csv (its header differs)", path);
    size_t len = strlen(s->points_text);
    if (s->points_text[len - 1] != '\n')
        return ts_fail(e, "%s: the last line is cut short (finish the shard with tiedseq sweep --resume %s)", path,
                       s->dir);
    if (ts_csv_read(path, &s->points, e))
        return -1;
    int col[4] = {ts_csv_col(&s->points, "run_id"), ts_csv_col(&s->points, "variant"),
                  ts_csv_col(&s->points, "problem"), ts_csv_col(&s->points, "status")};
    bool *seen = calloc(s->plan.n + 1, sizeof *seen);
    int rc = seen ? 0 : ts_fail(e, "out of memory");
    for (size_t r = 0; !rc && r < s->points.nrows; r++)
        rc = check_row(s, r, col, seen, e);
    free(seen);
    return rc;
}

static int load_shard(const char *dir, shard_in *s, ts_err *e)
{
    struct stat st;
    s->dir = dir;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ts_fail(e, "%s: not a folder", dir);
    if (!is_file(dir, "sweep.txt") || !is_file(dir, "points.csv") || !is_file(dir, "meta.json"))
        return ts_fail(e, "%s: not a sweep run folder (want sweep.txt, points.csv and meta.json)", dir);
    return load_definition(s, e) || load_points(s, e) || load_meta(s, e) ? -1 : 0;
}

/* ---- the set ---- */

/* One definition, one N, each shard once. */
static int check_same_sweep(const shard_in *s, size_t n, ts_err *e)
{
    for (size_t i = 1; i < n; i++) {
        if (strcmp(s[i].def.definition, s[0].def.definition))
            return ts_fail(e, "%s is from another sweep (definition %s; %s has %s)", s[i].dir, s[i].def.definition,
                           s[0].dir, s[0].def.definition);
        if (s[i].def.shard_n != s[0].def.shard_n)
            return ts_fail(e, "%s is shard %d/%d, %s is one of %d shards", s[i].dir, s[i].def.shard_k,
                           s[i].def.shard_n, s[0].dir, s[0].def.shard_n);
        for (size_t j = 0; j < i; j++)
            if (s[i].def.shard_k == s[j].def.shard_k)
                return ts_fail(e, "%s and %s are both shard %d/%d", s[j].dir, s[i].dir, s[i].def.shard_k,
                               s[i].def.shard_n);
    }
    return 0;
}

/* No (variant, problem) in two shards. */
static int check_disjoint(const shard_in *s, size_t n, ts_err *e)
{
    ts_plan_pts all = {0};
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += s[i].points.nrows;
    size_t *owner = calloc(total + 1, sizeof *owner);
    int rc = owner ? 0 : ts_fail(e, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const ts_csv *c = &s[i].points;
        int cv = ts_csv_col(c, "variant"), cp = ts_csv_col(c, "problem");
        for (size_t r = 0; !rc && r < c->nrows; r++) {
            const ts_point *pt = ts_plan_find(&s[i].plan, ts_csv_get(c, r, cv), ts_csv_get(c, r, cp));
            const ts_point *twin = ts_plan_find(&all, pt->var->name, pt->desc);
            if (twin)
                rc = ts_fail(e, "%s/%s is in two shards: %s and %s", pt->var->name, pt->desc,
                             s[owner[twin - all.pts]].dir, s[i].dir);
            else if (!(rc = ts_plan_add(&all, pt->var, &pt->p, e)))
                owner[all.n - 1] = i;
        }
    }
    free(owner);
    ts_plan_free(&all);
    return rc;
}

/* Every shard 1..N present and finished, unless partial. */
static int check_complete(const shard_in *s, size_t n, bool partial, ts_merge_report *rep, ts_err *e)
{
    int N = s[0].def.shard_n;
    rep->missing[0] = '\0';
    for (int k = 1; k <= N; k++) {
        size_t i = 0;
        while (i < n && s[i].def.shard_k != k)
            i++;
        size_t len = strlen(rep->missing);
        if (i == n && len + 24 < sizeof rep->missing)
            snprintf(rep->missing + len, sizeof rep->missing - len, "%s%d/%d", len ? " " : "", k, N);
    }
    if (*rep->missing && !partial)
        return ts_fail(e, "missing shard(s) %s of %d (merge the others with --partial)", rep->missing, N);
    rep->unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        size_t left = s[i].plan.n - s[i].done;
        rep->unfinished += left;
        if (left && !partial)
            return ts_fail(e, "%s: shard %d/%d has %zu of %zu points unfinished (tiedseq sweep --resume %s, or "
                              "merge with --partial)",
                           s[i].dir, s[i].def.shard_k, N, left, s[i].plan.n, s[i].dir);
    }
    return 0;
}

/* OUT must not exist, or be an empty folder. */
static int check_out(const char *out, ts_err *e)
{
    struct stat st;
    if (!*out)
        return ts_fail(e, "empty output folder name");
    if (stat(out, &st) != 0)
        return errno == ENOENT ? 0 : ts_fail(e, "%s: %s", out, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ts_fail(e, "%s exists and is not a folder", out);
    DIR *d = opendir(out);
    if (!d)
        return ts_fail(e, "%s: %s", out, strerror(errno));
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty ? 0 : ts_fail(e, "%s exists and is not empty (merge into a new folder)", out);
}

/* ---- writing ---- */

static int write_text(const char *dir, const char *name, const char *text, size_t len, ts_err *e)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return ts_fail(e, "cannot write %s: %s", path, strerror(errno));
    bool ok = fwrite(text, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        return ts_fail(e, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

/* The shards' files of one kind, header once, rows in shard order.  A shard
 * without the file adds nothing; none with it: no file. */
static int concat_csv(const char *tmp, const char *name, const char *header, const shard_in *s, size_t n,
                      ts_err *e)
{
    char path[4200];
    size_t cap = strlen(header) + 2, len = 0;
    char *out = malloc(cap);
    bool any = false;
    int rc = out ? 0 : ts_fail(e, "out of memory");
    if (!rc)
        len = (size_t)sprintf(out, "%s\n", header);
    for (size_t i = 0; !rc && i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", s[i].dir, name);
        if (!is_file(s[i].dir, name))
            continue;
        size_t tl;
        char *text = !strcmp(name, "points.csv") ? s[i].points_text : ts_read_file(path, &tl, e);
        if (!text)
            return free(out), -1;
        tl = strlen(text);
        size_t hl = strcspn(text, "\n");
        if (hl != strlen(header) || strncmp(text, header, hl) || text[tl - 1] != '\n')
            rc = ts_fail(e, "%s: not this tiedseq's %s (header differs or the last line is cut short)", path, name);
        size_t body = tl - (hl + 1 < tl ? hl + 1 : tl);
        char *grown = rc ? NULL : realloc(out, cap = len + body + 1);
        if (!rc && !grown)
            rc = ts_fail(e, "out of memory");
        if (!rc) {
            out = grown;
            memcpy(out + len, text + tl - body, body);
            len += body;
            any = true;
        }
        if (text != s[i].points_text)
            free(text);
    }
    if (!rc && any)
        rc = write_text(tmp, name, out, len, e);
    free(out);
    return rc;
}

/* A sorted list of distinct non-empty strings (at most cap). */
static size_t add_distinct(const char **list, size_t n, size_t cap, const char *s)
{
    if (!*s || n == cap)
        return n;
    for (size_t k = 0; k < n; k++)
        if (!strcmp(list[k], s))
            return n;
    list[n++] = s;
    return n;
}

static void json_str(FILE *f, const char *s)
{
    size_t n = 2 * strlen(s) + 8 + 6 * strlen(s);
    char *buf = calloc(1, n);
    if (buf && !ts_json_string(buf, n, s))
        fputs(buf, f);
    else
        fputs("\"\"", f);
    free(buf);
}

static void json_list(FILE *f, const char **v, size_t n)
{
    fputc('[', f);
    for (size_t k = 0; k < n; k++) {
        fputs(k ? ", " : "", f);
        json_str(f, v[k]);
    }
    fputc(']', f);
}

/* The hosts of the rows, in order of first appearance. */
static size_t row_hosts(const shard_in *s, size_t n, const char **hosts, size_t cap)
{
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = ts_csv_col(&s[i].points, "host");
        for (size_t r = 0; r < s[i].points.nrows; r++)
            nh = add_distinct(hosts, nh, cap, ts_csv_get(&s[i].points, r, ch));
        if (!s[i].points.nrows)
            nh = add_distinct(hosts, nh, cap, s[i].host);
    }
    return nh;
}

static void meta_shards(FILE *f, const shard_in *s, size_t n)
{
    fputs("  \"shards\": [", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\"shard\": \"%d/%d\", \"dir\": ", i ? "," : "", s[i].def.shard_k, s[i].def.shard_n);
        json_str(f, s[i].dir);
        fputs(", \"run_id\": ", f);
        json_str(f, s[i].def.run_id);
        fputs(", \"host\": ", f);
        json_str(f, s[i].host);
        fputs(", \"cpu\": ", f);
        json_str(f, s[i].cpu);
        size_t ml = strlen(s[i].meta);
        while (ml && strchr(" \t\r\n", s[i].meta[ml - 1]))
            ml--;
        fprintf(f, ", \"points\": %zu, \"planned\": %zu,\n     \"meta\": %.*s}", s[i].points.nrows, s[i].plan.n,
                (int)ml, s[i].meta);
    }
    fputs("\n  ],\n", f);
}

static char *merged_meta(const ts_merge_opts *o, const shard_in *s, size_t n, const ts_merge_report *rep,
                         size_t *len)
{
    char *buf = NULL, date[64], *outcopy = strdup(o->out);
    const char *hosts[256], *cpus[256];
    size_t nh = row_hosts(s, n, hosts, 256), nc = 0;
    for (size_t i = 0; i < n; i++)
        nc = add_distinct(cpus, nc, 256, s[i].cpu);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    FILE *f = open_memstream(&buf, len);
    if (!f || !outcopy) {
        free(outcopy);
        return f ? (fclose(f), free(buf), NULL) : NULL;
    }
    fputs("{\n  \"run_id\": ", f);
    json_str(f, basename(outcopy));
    fprintf(f, ",\n  \"merged\": true,\n  \"date\": \"%s\",\n  \"command\": ", date);
    char cmd[8192] = "tiedseq";
    for (int k = 0; k < o->argc; k++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", o->argv[k]);
    json_str(f, cmd);
    fprintf(f, ",\n  \"definition\": \"%s\",\n  \"shards_total\": %d,\n  \"shards_missing\": ", rep->definition,
            s[0].def.shard_n);
    json_str(f, rep->missing);
    fprintf(f, ",\n  \"unfinished_points\": %zu,\n  \"hosts\": ", rep->unfinished);
    json_list(f, hosts, nh);
    fputs(",\n  \"cpus\": ", f);
    json_list(f, cpus, nc);
    fputs(",\n", f);
    meta_shards(f, s, n);
    fprintf(f, "  \"columns\": \"%s\",\n  \"samples_columns\": \"%s\",\n  \"pairs_columns\": \"%s\"\n}\n",
            TS_CSV_HEADER, TS_SAMPLES_HEADER, TS_PAIRS_HEADER);
    free(outcopy);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* peak.json: a single machine's roofs, so only when every row is of one host. */
static int copy_peak(const char *tmp, const shard_in *s, size_t n, ts_err *e)
{
    const char *hosts[2];
    if (row_hosts(s, n, hosts, 2) != 1 || !is_file(s[0].dir, "peak.json"))
        return 0;
    char path[4200];
    size_t len;
    snprintf(path, sizeof path, "%s/peak.json", s[0].dir);
    char *text = ts_read_file(path, &len, e);
    int rc = text ? write_text(tmp, "peak.json", text, len, e) : -1;
    free(text);
    return rc;
}

static void remove_tmp(const char *tmp)
{
    static const char *const names[] = {"points.csv", "samples.csv", "pairs.csv", "meta.json", "peak.json"};
    char path[4300];
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[k]);
        unlink(path);
    }
    rmdir(tmp);
}

static int write_merged(const ts_merge_opts *o, const shard_in *s, size_t n, const ts_merge_report *rep, ts_err *e)
{
    char tmp[4200], *outcopy = strdup(o->out);
    if (!outcopy)
        return ts_fail(e, "out of memory");
    snprintf(tmp, sizeof tmp, "%s/.merge-XXXXXX", dirname(outcopy));
    free(outcopy);
    if (!mkdtemp(tmp))
        return ts_fail(e, "cannot create a temporary folder beside %s: %s", o->out, strerror(errno));
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0777 & ~mask); /* mkdtemp's 0700 is for the build, not for the result */
    size_t mlen = 0;
    char *meta = merged_meta(o, s, n, rep, &mlen);
    int rc = meta ? 0 : ts_fail(e, "out of memory");
    if (!rc)
        rc = concat_csv(tmp, "points.csv", TS_CSV_HEADER, s, n, e) ||
                     concat_csv(tmp, "samples.csv", TS_SAMPLES_HEADER, s, n, e) ||
                     concat_csv(tmp, "pairs.csv", TS_PAIRS_HEADER, s, n, e) ||
                     write_text(tmp, "meta.json", meta, mlen, e) || copy_peak(tmp, s, n, e)
                 ? -1
                 : 0;
    free(meta);
    if (!rc && rename(tmp, o->out) != 0)
        rc = ts_fail(e, "cannot move the merged run into %s: %s", o->out, strerror(errno));
    if (rc)
        remove_tmp(tmp);
    return rc;
}

static int by_shard(const void *a, const void *b)
{
    return ((const shard_in *)a)->def.shard_k - ((const shard_in *)b)->def.shard_k;
}

int ts_merge_runs(const ts_merge_opts *o, ts_merge_report *rep, ts_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (check_out(o->out, e))
        return -1;
    shard_in *s = calloc(o->ndirs + 1, sizeof *s);
    if (!s)
        return ts_fail(e, "out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < o->ndirs; i++)
        rc = load_shard(o->dirs[i], &s[i], e);
    if (!rc)
        qsort(s, o->ndirs, sizeof *s, by_shard); /* rows in shard order */
    if (!rc)
        rc = check_same_sweep(s, o->ndirs, e) || check_disjoint(s, o->ndirs, e) ||
                     check_complete(s, o->ndirs, o->partial, rep, e)
                 ? -1
                 : 0;
    if (!rc) {
        snprintf(rep->definition, sizeof rep->definition, "%s", s[0].def.definition);
        rep->shards = o->ndirs, rep->shards_total = (size_t)s[0].def.shard_n;
        const char *hosts[256];
        rep->hosts = row_hosts(s, o->ndirs, hosts, 256);
        for (size_t i = 0; i < o->ndirs; i++)
            rep->points += s[i].points.nrows;
        rc = write_merged(o, s, o->ndirs, rep, e);
    }
    for (size_t i = 0; i < o->ndirs; i++)
        shard_free(&s[i]);
    free(s);
    return rc;
}
