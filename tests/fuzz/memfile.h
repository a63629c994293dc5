/* The readers under test open a path; give them one backed by memory (memfd), so a
 * fuzz iteration costs no disk I/O.  Each call replaces the file's contents. */
#ifndef TS_FUZZ_MEMFILE_H
#define TS_FUZZ_MEMFILE_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct memfile {
    int fd;
    char path[64];
} memfile;

static inline void memfile_init(memfile *m, const char *name)
{
    m->fd = memfd_create(name, 0);
    if (m->fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
}

static inline void memfile_set(memfile *m, const void *data, size_t size)
{
    if (ftruncate(m->fd, 0) || (size && pwrite(m->fd, data, size, 0) != (ssize_t)size)) {
        perror("memfile");
        abort();
    }
}
#endif
