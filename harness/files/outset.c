#define _GNU_SOURCE /* renameat2 */
#include "harness/files/outset.h"

#include "harness/files/npy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE_TAG ".staging-"

/* o->dir = dir without trailing '/'; o->parent its folder; *base its last part.
 * -1 for "", ".", ".." or "/": a folder we could not replace by name. */
static int split_path(ts_outset *o, const char *dir, const char **base)
{
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    size_t len = strlen(o->dir);
    while (len > 1 && o->dir[len - 1] == '/')
        o->dir[--len] = '\0';
    const char *slash = strrchr(o->dir, '/');
    *base = slash ? slash + 1 : o->dir;
    if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
        return -1;
    if (!slash)
        snprintf(o->parent, sizeof o->parent, ".");
    else if (slash == o->dir)
        snprintf(o->parent, sizeof o->parent, "/");
    else
        snprintf(o->parent, sizeof o->parent, "%.*s", (int)(slash - o->dir), o->dir);
    return 0;
}

/* A file the set may replace: an owned name, or an older tiedseq's ".NAME.partial". */
static bool is_owned(const ts_outset *o, const char *name)
{
    for (const char *const *k = o->owned; *k; k++) {
        size_t n = strlen(*k);
        if (!strcmp(name, *k) ||
            (name[0] == '.' && !strncmp(name + 1, *k, n) && !strcmp(name + 1 + n, ".partial")))
            return true;
    }
    return false;
}

/* Deletes a set folder: its owned files, then the folder.  Returns -1 (folder
 * kept) if something else is in it. */
static int remove_set(const ts_outset *o, const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    char f[8400];
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        if (is_owned(o, de->d_name))
            unlink(f);
    }
    closedir(d);
    return rmdir(path);
}

/* A process that can still publish: exists and is not a zombie (a killed run whose
 * parent has not reaped it yet is dead for our purpose). */
static bool pid_alive(long pid)
{
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
        return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *q = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces */
    return !(q && q[1] == ' ' && (q[2] == 'Z' || q[2] == 'X'));
}

/* Staging folders of this --out whose process is gone: a killed run's leftovers. */
static void remove_dead_stages(const ts_outset *o, const char *base)
{
    DIR *d = opendir(o->parent);
    if (!d)
        return;
    char prefix[4200], path[8400];
    snprintf(prefix, sizeof prefix, ".%s" STAGE_TAG, base);
    size_t pn = strlen(prefix);
    for (struct dirent *de; (de = readdir(d));) {
        if (strncmp(de->d_name, prefix, pn))
            continue;
        char *end;
        long pid = strtol(de->d_name + pn, &end, 10);
        bool alive = pid != getpid() && pid_alive(pid);
        if (end == de->d_name + pn || alive) /* not ours, or a run in progress */
            continue;
        snprintf(path, sizeof path, "%s/%s", o->parent, de->d_name);
        remove_set(o, path);
    }
    closedir(d);
}

/* An existing --out must be a folder we may write and replace. */
static int check_existing(const ts_outset *o, const struct stat *st, ts_err *e)
{
    if (S_ISLNK(st->st_mode))
        return ts_fail(e, "%s: output path is a symbolic link; give the folder it points to", o->dir);
    if (!S_ISDIR(st->st_mode))
        return ts_fail(e, "%s: output path exists and is not a directory", o->dir);
    if (access(o->dir, W_OK) != 0)
        return ts_fail(e, "%s: output directory is not writable: %s", o->dir, strerror(errno));
    DIR *d = opendir(o->dir);
    if (!d)
        return ts_fail(e, "%s: cannot read output directory: %s", o->dir, strerror(errno));
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !is_owned(o, de->d_name))
            rc = ts_fail(e, "%s: holds '%.200s', which is not a run output; run replaces the "
                         "whole folder, so give a new or empty one", o->dir, de->d_name);
    closedir(d);
    return rc;
}

int ts_outset_open(ts_outset *o, const char *dir, const char *const *owned, ts_err *e)
{
    memset(o, 0, sizeof *o);
    o->owned = owned;
    const char *base;
    if (strlen(dir) >= sizeof o->dir - 64)
        return ts_fail(e, "%s: output path too long", dir);
    if (split_path(o, dir, &base))
        return ts_fail(e, "'%s': give the output folder by name (not '.', '..' or '/')", dir);
    struct stat st;
    if (lstat(o->dir, &st) == 0 && check_existing(o, &st, e))
        return -1;
    remove_dead_stages(o, base);
    snprintf(o->stage, sizeof o->stage, "%s/.%s" STAGE_TAG "%ld", o->parent, base, (long)getpid());
    remove_set(o, o->stage); /* a reused pid's leftover */
    if (mkdir(o->stage, 0777) != 0) {
        int err = errno;
        o->stage[0] = '\0';
        return ts_fail(e, "%s: cannot create output directory (staging beside it): %s", o->dir,
                       strerror(err));
    }
    return 0;
}

int ts_outset_add(ts_outset *o, const char *name, const char *descr, int ndim,
                  const int64_t *shape, const void *data, ts_err *e)
{
    if (!is_owned(o, name) || strchr(name, '/')) /* remove_set deletes only owned names */
        return ts_fail(e, "internal: output '%s' is not in the owned list", name);
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", o->stage, name);
    return ts_npy_write(path, descr, ndim, shape, data, e);
}

/* fsync a file or folder: the set must be on disk before it is published. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int sync_stage(const ts_outset *o)
{
    DIR *d = opendir(o->stage);
    if (!d)
        return -1;
    char f[8400];
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(f, sizeof f, "%s/%s", o->stage, de->d_name);
            rc = sync_path(f);
        }
    }
    closedir(d);
    return rc ? rc : sync_path(o->stage);
}

/* Puts the staging folder at o->dir; the old set (if any) ends at *old. */
static int publish(ts_outset *o, char *old, size_t n)
{
    old[0] = '\0';
    if (rename(o->stage, o->dir) == 0) /* no --out yet, or an empty one */
        return 0;
    if (errno != ENOTEMPTY && errno != EEXIST)
        return -1;
    if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->dir, RENAME_EXCHANGE) == 0) {
        snprintf(old, n, "%s", o->stage); /* the swap left the old set there */
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
    /* no atomic swap here: --out is briefly absent, never mixed */
    snprintf(old, n, "%s.old", o->stage);
    if (rename(o->dir, old) != 0)
        return old[0] = '\0', -1;
    if (rename(o->stage, o->dir) != 0) {
        int err = errno;
        rename(old, o->dir);
        old[0] = '\0';
        return errno = err, -1;
    }
    return 0;
}

int ts_outset_commit(ts_outset *o, ts_err *e)
{
    char old[4300];
    if (sync_stage(o) != 0 || publish(o, old, sizeof old) != 0) {
        int err = errno;
        ts_outset_abort(o);
        return ts_fail(e, "%s: cannot publish the outputs: %s", o->dir, strerror(err));
    }
    o->stage[0] = '\0';
    sync_path(o->parent);
    if (old[0] && remove_set(o, old) != 0)
        fprintf(stderr, "tiedseq: warning: the previous outputs stay in %s: %s\n", old, strerror(errno));
    return 0;
}

void ts_outset_abort(ts_outset *o)
{
    if (o->stage[0])
        remove_set(o, o->stage);
    o->stage[0] = '\0';
}
