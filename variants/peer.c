/* Peer variants: TensorFlow and PyTorch in a Python worker process (peer.h).
 *
 * One worker per (peer, thread count), started on first use and kept for the
 * life of this process: TensorFlow's import costs seconds and its thread pools
 * are fixed at start-up, so a worker is never re-used at another thread count.
 * Each plan owns a shared file (weights, inputs, outputs; the layout is
 * scripts/peers/worker.py's) mapped by both processes. */
#define _GNU_SOURCE
#include "variants/peer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TS_SOURCE_DIR
#define TS_SOURCE_DIR "."
#endif

/* ---- the peers: which library, which configuration ---- */

typedef struct peer_def {
    const char *name, *lib; /* lib: worker.py --peer */
    const char *mode;       /* TF: function | xla | session; PyTorch: mkldnn 0 | 1 | default */
    const char *onednn;     /* TF_ENABLE_ONEDNN_OPTS for the worker; NULL = as TF ships */
    const char *summary;
} peer_def;

/* `tensorflow` and `pytorch` are the fastest configurations measured here
 * (docs/peers.md, "Which configuration"); the others exist to measure that.
 * X(id, name, lib, mode, TF_ENABLE_ONEDNN_OPTS, summary) */
#define PEER_LIST(X)                                                                                        \
    X(tensorflow, "tensorflow", "tensorflow", "xla", "0",                                                   \
      "TensorFlow: tf.function(jit_compile=True) (XLA), oneDNN opts off: the fastest here")                \
    X(pytorch, "pytorch", "pytorch", "default", NULL,                                                       \
      "PyTorch: one nn.RNN/nn.LSTM module, set_num_threads(t), mkldnn as shipped (on)")                    \
    X(tf_function, "tf-function", "tensorflow", "function", "0", "TensorFlow: tf.function, oneDNN opts off")  \
    X(tf_function_onednn, "tf-function-onednn", "tensorflow", "function", "1", "TensorFlow: tf.function, oneDNN opts on") \
    X(tf_session, "tf-session", "tensorflow", "session", "0", "TensorFlow: v1 graph + Session, oneDNN opts off") \
    X(tf_session_onednn, "tf-session-onednn", "tensorflow", "session", "1", "TensorFlow: v1 graph + Session, oneDNN opts on") \
    X(pytorch_mkldnn_off, "pytorch-mkldnn-off", "pytorch", "0", NULL, "PyTorch with torch.backends.mkldnn off")

enum {
#define X(id, name, lib, mode, onednn, summary) PEER_##id,
    PEER_LIST(X)
#undef X
    NPEERS
};

static const peer_def peer_defs[NPEERS] = {
#define X(id, name, lib, mode, onednn, summary) {name, lib, mode, onednn, summary},
    PEER_LIST(X)
#undef X
};

/* ---- workers ---- */

#define MAX_WORKERS 32
#define REPLY_MAX 1024

typedef struct worker {
    const peer_def *def;
    int threads;
    pid_t pid;
    int sock;               /* our end of the socketpair; -1 = not running */
    bool unavailable;       /* the worker said so, or could not start: why says why */
    char why[300];
    char label[200];        /* from its "ready" line */
    char log[4096];         /* its stdout and stderr */
    char buf[REPLY_MAX];    /* bytes read past the last line */
    size_t nbuf;
    bool busy;              /* a plan holds it */
} worker;

static worker g_workers[MAX_WORKERS];
static size_t g_nworkers;
static char g_tmp[4096]; /* this process's folder for logs and shared files */

/* Copy src into dst[n], cut to fit (always terminated). */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds to wait for a reply: TF's import and an XLA compile take a while on
 * a busy machine; a wedged worker must not hang the run. */
static double reply_timeout_s(void)
{
    const char *s = getenv("TS_PEER_TIMEOUT");
    double t = s ? atof(s) : 0;
    return t > 0 ? t : 600;
}

static void remove_tmp(void)
{
    if (!*g_tmp)
        return;
    for (size_t k = 0; k < g_nworkers; k++)
        unlink(g_workers[k].log);
    rmdir(g_tmp);
}

static int tmp_dir(ts_err *e)
{
    if (*g_tmp)
        return 0;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(g_tmp, sizeof g_tmp, "%s/tiedseq-peers-XXXXXX", base);
    if (!mkdtemp(g_tmp)) {
        int err = errno;
        g_tmp[0] = '\0';
        return ts_fail(e, "peers: cannot make a folder in %s: %s", base, strerror(err));
    }
    atexit(remove_tmp);
    return 0;
}

static void python_for(const peer_def *d, char *buf, size_t n)
{
    const char *tf = getenv("TS_TF_PYTHON"), *torch = getenv("TS_TORCH_PYTHON"), *venv = getenv("TS_VENV_TF");
    if (!strcmp(d->lib, "tensorflow")) {
        if (tf)
            snprintf(buf, n, "%s", tf);
        else
            snprintf(buf, n, "%s/bin/python", venv ? venv : TS_SOURCE_DIR "/build/venv-tf");
    } else {
        snprintf(buf, n, "%s", torch ? torch : "/usr/bin/python3");
    }
}

static void script_path(char *buf, size_t n)
{
    const char *dir = getenv("TS_PEERS_DIR");
    snprintf(buf, n, "%s/worker.py", dir ? dir : TS_SOURCE_DIR "/scripts/peers");
}

/* The last non-empty line of the worker's log (its traceback's message). */
static void log_tail(const worker *w, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(w->log, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            copy_str(out, n, line);
    }
    fclose(f);
}

static void worker_stop(worker *w)
{
    if (w->sock >= 0)
        close(w->sock); /* the worker reads end of input and exits */
    w->sock = -1;
    if (w->pid > 0) {
        int st;
        double t0 = now_s();
        while (waitpid(w->pid, &st, WNOHANG) == 0 && now_s() - t0 < 2)
            usleep(10000);
        if (waitpid(w->pid, &st, WNOHANG) == 0) {
            kill(w->pid, SIGKILL);
            waitpid(w->pid, &st, 0);
        }
    }
    w->pid = 0;
    w->busy = false;
}

/* Mark w dead with a reason (plus the log's last line), and stop it. */
static int worker_fail(worker *w, ts_err *e, const char *what)
{
    char tail[300];
    log_tail(w, tail, sizeof tail);
    snprintf(w->why, sizeof w->why, "%s worker (t%d): %s%s%.200s", w->def->lib, w->threads, what,
             *tail ? ": " : "", tail);
    worker_stop(w);
    return ts_fail(e, "%s", w->why);
}

/* One reply line into line (without the newline): 0, or -1 on end of input,
 * an error or the timeout. */
static int read_line(worker *w, char *line, size_t n, double timeout_s)
{
    double t0 = now_s();
    for (;;) {
        char *nl = memchr(w->buf, '\n', w->nbuf);
        if (nl) {
            size_t len = (size_t)(nl - w->buf);
            snprintf(line, n, "%.*s", (int)len, w->buf);
            memmove(w->buf, nl + 1, w->nbuf - len - 1);
            w->nbuf -= len + 1;
            return 0;
        }
        if (w->nbuf == sizeof w->buf)
            return -1; /* a line longer than any reply */
        double left = timeout_s - (now_s() - t0);
        if (left <= 0)
            return -1;
        struct pollfd pf = {.fd = w->sock, .events = POLLIN};
        int r = poll(&pf, 1, (int)fmin(left * 1000, 60000));
        if (r < 0 && errno == EINTR)
            continue; /* Ctrl-C: the harness stops after this sample */
        if (r <= 0)
            continue;
        ssize_t got = read(w->sock, w->buf + w->nbuf, sizeof w->buf - w->nbuf);
        if (got <= 0 && !(got < 0 && errno == EINTR))
            return -1;
        if (got > 0)
            w->nbuf += (size_t)got;
    }
}

/* line and its newline */
static int send_line(worker *w, const char *line)
{
    char buf[REPLY_MAX * 5];
    int len0 = snprintf(buf, sizeof buf, "%s\n", line);
    if (len0 < 0 || (size_t)len0 >= sizeof buf)
        return -1;
    size_t len = (size_t)len0, off = 0;
    while (off < len) {
        ssize_t k = send(w->sock, buf + off, len - off, MSG_NOSIGNAL); /* a dead worker: EPIPE, not SIGPIPE */
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* Send a command and read its reply; "ok ..." gives 0 with the rest in arg.
 * "err MSG" gives -1 with MSG in e (the worker stays up); no reply kills it. */
static int command(worker *w, const char *cmd, char *arg, size_t n, ts_err *e)
{
    char line[REPLY_MAX];
    if (w->sock < 0)
        return ts_fail(e, "%s", w->why);
    if (send_line(w, cmd) || read_line(w, line, sizeof line, reply_timeout_s()))
        return worker_fail(w, e, "stopped answering");
    if (!strncmp(line, "ok", 2) && (line[2] == '\0' || line[2] == ' ')) {
        if (arg)
            copy_str(arg, n, line[2] ? line + 3 : "");
        return 0;
    }
    return ts_fail(e, "%s: %s", w->def->name, !strncmp(line, "err ", 4) ? line + 4 : line);
}

/* What the child needs, made before fork: after fork only async-signal-safe
 * calls (no malloc, no setenv) are safe in a process with OpenMP threads. */
typedef struct child_args {
    char *argv[12];
    char **envp;
    char threads[16], omp[32], onednn[48];
    cpu_set_t all;
} child_args;

extern char **environ;

/* environ without the variables we set, plus ours; NULL when out of memory. */
static char **child_env(child_args *ca, const worker *w)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "OMP_NUM_THREADS=", 16) && strncmp(environ[i], "TF_ENABLE_ONEDNN_OPTS=", 22))
            env[k++] = environ[i];
    snprintf(ca->omp, sizeof ca->omp, "OMP_NUM_THREADS=%d", w->threads);
    env[k++] = ca->omp;
    if (w->def->onednn) {
        snprintf(ca->onednn, sizeof ca->onednn, "TF_ENABLE_ONEDNN_OPTS=%s", w->def->onednn);
        env[k++] = ca->onednn;
    }
    return env;
}

static int child_prepare(child_args *ca, const worker *w, const char *py, const char *script)
{
    snprintf(ca->threads, sizeof ca->threads, "%d", w->threads);
    const char *mode_flag = !strcmp(w->def->lib, "tensorflow") ? "--tf-mode" : "--mkldnn";
    const char *argv[] = {py, script, "--peer", w->def->lib, "--threads", ca->threads, mode_flag, w->def->mode, NULL};
    memcpy(ca->argv, argv, sizeof argv);
    /* every CPU: tiedseq's pinned main thread would otherwise hand its one-core
     * mask to the worker (the kernel keeps the set within our cpuset) */
    CPU_ZERO(&ca->all);
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
        CPU_SET((int)c, &ca->all);
    ca->envp = child_env(ca, w);
    return ca->envp ? 0 : -1;
}

/* The child: the socket on fd 3 and 4, output to the log, no other inherited
 * descriptor (tiedseq's open CSV files), every CPU, dies with its parent. */
static void exec_worker(const child_args *ca, const char *log_path, int sock)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int hi = fcntl(sock, F_DUPFD, 10), log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null = open("/dev/null", O_RDONLY);
    if (hi < 0 || log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0 ||
        dup2(hi, 3) < 0 || dup2(hi, 4) < 0)
        _exit(127);
    long maxfd = sysconf(_SC_OPEN_MAX);
    for (int fd = 5; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++)
        close(fd);
    sched_setaffinity(0, sizeof ca->all, &ca->all);
    execve(ca->argv[0], ca->argv, ca->envp);
    _exit(127);
}

/* The reason is kept in w: asking again does not retry. */
static int unavailable(worker *w, ts_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int unavailable(worker *w, ts_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
    w->unavailable = true;
    return ts_fail(e, "%s", w->why);
}

static int worker_start(worker *w, ts_err *e)
{
    char py[4096], script[4200];
    python_for(w->def, py, sizeof py);
    script_path(script, sizeof script);
    if (access(py, X_OK) != 0)
        return unavailable(w, e, "no Python at %.150s (%s)", py,
                           !strcmp(w->def->lib, "tensorflow") ? "scripts/golden/setup_venv.sh, or set TS_TF_PYTHON"
                                                              : "apt-get install python3-torch, or set TS_TORCH_PYTHON");
    if (access(script, R_OK) != 0)
        return unavailable(w, e, "no peer worker at %.200s (set TS_PEERS_DIR)", script);
    if (tmp_dir(e))
        return -1;
    int n = snprintf(w->log, sizeof w->log, "%s/%s-t%d.log", g_tmp, w->def->name, w->threads);
    if (n < 0 || (size_t)n >= sizeof w->log)
        return ts_fail(e, "peers: log path under %.200s is too long", g_tmp);
    child_args ca;
    if (child_prepare(&ca, w, py, script))
        return ts_fail(e, "out of memory");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        free(ca.envp);
        return ts_fail(e, "peers: socketpair: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exec_worker(&ca, w->log, sv[1]);
    int fork_err = errno;
    free(ca.envp);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return ts_fail(e, "peers: fork: %s", strerror(fork_err));
    }
    w->pid = pid, w->sock = sv[0], w->nbuf = 0;
    char line[REPLY_MAX];
    if (read_line(w, line, sizeof line, reply_timeout_s()))
        return w->unavailable = true, worker_fail(w, e, "did not start");
    if (!strncmp(line, "ready ", 6)) {
        copy_str(w->label, sizeof w->label, line + 6);
        return 0;
    }
    w->unavailable = true;
    copy_str(w->why, sizeof w->why, !strncmp(line, "unavailable ", 12) ? line + 12 : line);
    worker_stop(w);
    return ts_fail(e, "%s", w->why);
}

/* The running worker of (def, threads), started if need be; NULL with e when
 * it is unavailable (the reason is kept: asking again does not restart it). */
static worker *worker_get(const peer_def *d, int threads, ts_err *e)
{
    worker *w = NULL;
    for (size_t k = 0; k < g_nworkers && !w; k++)
        if (g_workers[k].def == d && g_workers[k].threads == threads)
            w = &g_workers[k];
    if (!w) {
        if (g_nworkers == MAX_WORKERS)
            return ts_fail(e, "peers: more than %d workers (one per peer and thread count)", MAX_WORKERS), NULL;
        w = &g_workers[g_nworkers++];
        memset(w, 0, sizeof *w);
        w->def = d, w->threads = threads, w->sock = -1;
    }
    if (w->unavailable)
        return ts_fail(e, "%s", w->why), NULL;
    if (w->sock < 0 && worker_start(w, e))
        return NULL;
    return w;
}

/* ---- the shared file: the layout of worker.py ---- */

typedef struct peer_plan {
    worker *w;
    ts_problem p;
    unsigned char *map;
    size_t bytes;
    float *enc, *dec, *out, *h, *c;
    int32_t *symbols;
    char detail[256];
} peer_plan;

#define ALIGN 64
static size_t round_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

/* Walk the layout: with map == NULL count bytes, else copy the weights in and
 * set the plan's input and output pointers. */
static size_t layout(peer_plan *pp, const ts_weights *w)
{
    const ts_problem *p = &pp->p;
    size_t I = (size_t)p->I, H = (size_t)p->H, B = (size_t)p->B, V = (size_t)p->V, rows = I + H;
    size_t G = p->cell == TS_CELL_LSTM ? 4 : p->cell == TS_CELL_GRU ? 2 : 1; /* gru: gates only */
    size_t E = (size_t)p->E, D = (size_t)p->D, off = 0;
    struct {
        const float *src;
        size_t n;
        float **dst;
    } a[16];
    size_t na = 0;
    a[na++] = (typeof(a[0])){w ? w->cell[0].kernel : NULL, rows * G * H, NULL};
    a[na++] = (typeof(a[0])){w ? w->cell[0].bias : NULL, G * H, NULL};
    if (p->cell == TS_CELL_GRU) {
        a[na++] = (typeof(a[0])){w ? w->cell[0].cand_kernel : NULL, rows * H, NULL};
        a[na++] = (typeof(a[0])){w ? w->cell[0].cand_bias : NULL, H, NULL};
    }
    if (p->feed == TS_FEED_GREEDY) {
        a[na++] = (typeof(a[0])){w ? w->proj_w : NULL, H * V, NULL};
        a[na++] = (typeof(a[0])){w ? w->proj_b : NULL, V, NULL};
        a[na++] = (typeof(a[0])){w ? w->embedding : NULL, V * I, NULL};
    }
    a[na++] = (typeof(a[0])){NULL, E * B * I, &pp->enc};
    a[na++] = (typeof(a[0])){NULL, (D ? D : 1) * B * I, &pp->dec};
    a[na++] = (typeof(a[0])){NULL, D * B * H, &pp->out};
    a[na++] = (typeof(a[0])){NULL, B * H, &pp->h};
    if (p->cell == TS_CELL_LSTM)
        a[na++] = (typeof(a[0])){NULL, B * H, &pp->c};
    for (size_t k = 0; k < na; k++) {
        if (pp->map) {
            float *at = (float *)(pp->map + off);
            if (a[k].src)
                memcpy(at, a[k].src, a[k].n * sizeof(float));
            if (a[k].dst)
                *a[k].dst = at;
        }
        off += round_up(a[k].n * 4);
    }
    if (p->feed == TS_FEED_GREEDY) {
        if (pp->map)
            pp->symbols = (int32_t *)(pp->map + off);
        off += round_up(D * B * 4);
    }
    return off;
}

/* A fresh shared file of the plan's size, mapped; its path in path. */
static int map_file(peer_plan *pp, char *path, size_t n, ts_err *e)
{
    snprintf(path, n, "%s/plan-XXXXXX", g_tmp);
    int fd = mkstemp(path);
    if (fd < 0)
        return ts_fail(e, "peers: cannot make a shared file in %s: %s", g_tmp, strerror(errno));
    pp->bytes = layout(pp, NULL);
    void *m = MAP_FAILED;
    if (ftruncate(fd, (off_t)pp->bytes) == 0)
        m = mmap(NULL, pp->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int err = errno;
    close(fd);
    if (m == MAP_FAILED) {
        unlink(path);
        return ts_fail(e, "peers: shared file of %zu bytes: %s", pp->bytes, strerror(err));
    }
    pp->map = m;
    return 0;
}

/* ---- the variant's functions, shared by every peer ---- */

static bool peer_supports(const peer_def *d, const ts_problem *p, char *why, size_t n)
{
    if (!ts_problem_is_basic(p, d->name, why, n))
        return false; /* the workers build one plain cell (scripts/peers/worker.py) */
    if (!strcmp(d->lib, "pytorch") && p->cell == TS_CELL_GRU) {
        snprintf(why, n, "PyTorch's GRU is linear-before-reset, not TF's GRUCell (a different cell)");
        return false;
    }
    ts_err e = {{0}};
    if (!worker_get(d, p->threads, &e)) {
        snprintf(why, n, "%s", e.msg);
        return false;
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of 31 no-op round trips: what reaching the worker costs per call. */
static double ping_us(worker *w)
{
    double t[31];
    for (int k = 0; k < 31; k++) {
        double t0 = now_s();
        if (command(w, "ping", NULL, 0, NULL))
            return NAN;
        t[k] = (now_s() - t0) * 1e6;
    }
    qsort(t, 31, sizeof t[0], cmp_double);
    return t[15];
}

static void peer_release(ts_plan *plan)
{
    peer_plan *pp = plan;
    if (!pp)
        return;
    if (pp->w && pp->w->sock >= 0)
        command(pp->w, "drop", NULL, 0, NULL); /* the worker lets go of the file */
    if (pp->w)
        pp->w->busy = false;
    if (pp->map)
        munmap(pp->map, pp->bytes);
    free(pp);
}

/* .prepare of every peer: impl is its peer_def */
static int peer_prepare(const void *impl, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    const peer_def *d = impl;
    *plan = NULL;
    worker *wk = worker_get(d, p->threads, e);
    if (!wk)
        return -1;
    if (wk->busy)
        return ts_fail(e, "%s: the t%d worker already serves a plan", d->name, p->threads);
    peer_plan *pp = calloc(1, sizeof *pp);
    if (!pp)
        return ts_fail(e, "out of memory");
    pp->p = *p;
    char path[4200], desc[128], cmd[4400];
    if (map_file(pp, path, sizeof path, e)) {
        free(pp);
        return -1;
    }
    layout(pp, w);
    ts_problem_format(p, desc, sizeof desc);
    snprintf(cmd, sizeof cmd, "load %s %s", path, desc);
    int rc = command(wk, cmd, NULL, 0, e);
    unlink(path); /* both sides hold the mapping; no file is left behind */
    if (rc) {
        munmap(pp->map, pp->bytes);
        free(pp);
        return -1;
    }
    pp->w = wk;
    wk->busy = true;
    snprintf(pp->detail, sizeof pp->detail, "%.190s; worker-timed, ipc %.0f us/call not in the time", wk->label,
             ping_us(wk));
    *plan = pp;
    return 0;
}

/* Untimed, before a peer runs: tiedseq's OpenMP threads spin for a while after
 * the previous member's last parallel region, and in this process that spin
 * would take CPU from the worker (the worker does the same for the members after
 * it).  TS_PEER_SETTLE_MS, default 10. */
static void settle(void)
{
    const char *s = getenv("TS_PEER_SETTLE_MS");
    double ms = s ? atof(s) : 10;
    if (ms > 0) {
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(fmod(ms, 1000) * 1e6)};
        nanosleep(&ts, NULL);
    }
}

/* Inputs into the shared file, n passes, outputs back; *seconds the worker's
 * total.  Non-zero: the worker's error, or a request no peer can serve. */
static int peer_run_n(ts_plan *plan, const ts_inputs *in, ts_outputs *out, int64_t n, double *seconds)
{
    peer_plan *pp = plan;
    const ts_problem *p = &pp->p;
    if (in->loop || out->states_h || out->states_c)
        return 1; /* a C loop function or per-step states do not cross to Python */
    size_t bi = (size_t)(p->B * p->I), bh = (size_t)(p->B * p->H), D = (size_t)p->D;
    memcpy(pp->enc, in->enc, (size_t)p->E * bi * sizeof(float));
    if (D)
        memcpy(pp->dec, in->dec, D * bi * sizeof(float));
    settle();
    char cmd[64], arg[128];
    snprintf(cmd, sizeof cmd, "run %lld", (long long)n);
    ts_err e = {{0}};
    if (command(pp->w, cmd, arg, sizeof arg, &e))
        return 2;
    if (D)
        memcpy(out->out, pp->out, D * bh * sizeof(float));
    memcpy(out->h, pp->h, bh * sizeof(float));
    if (p->cell == TS_CELL_LSTM)
        memcpy(out->c, pp->c, bh * sizeof(float));
    if (D && out->symbols && pp->symbols)
        memcpy(out->symbols, pp->symbols, D * (size_t)p->B * sizeof(int32_t));
    char *end;
    *seconds = strtod(arg, &end);
    return end == arg || !(*seconds >= 0) ? 3 : 0;
}

static int peer_run(ts_plan *plan, const ts_inputs *in, ts_outputs *out)
{
    double s;
    return peer_run_n(plan, in, out, 1, &s);
}

static const char *peer_detail(const ts_plan *plan) { return ((const peer_plan *)plan)->detail; }

/* ---- one ts_variant per peer ---- */

#define X(id, name, lib, mode, onednn, summary)                                                            \
    static bool supports_##id(const ts_problem *p, char *why, size_t n)                                    \
    {                                                                                                       \
        return peer_supports(&peer_defs[PEER_##id], p, why, n);                                            \
    }
PEER_LIST(X)
#undef X

static const ts_variant peer_variants[NPEERS] = {
#define X(id, name_, lib, mode, onednn, summary_)                                                          \
    {.name = name_, .summary = summary_, .impl = &peer_defs[PEER_##id], .supports = supports_##id,        \
     .prepare = peer_prepare,                                                                               \
     .run = peer_run, .release = peer_release, .detail = peer_detail, .run_timed = peer_run_n},
    PEER_LIST(X)
#undef X
};

const ts_variant *const ts_peers[NPEERS] = {
#define X(id, name, lib, mode, onednn, summary) &peer_variants[PEER_##id],
    PEER_LIST(X)
#undef X
};
const size_t ts_peer_count = NPEERS;

const ts_variant *ts_peer_find(const char *name)
{
    for (size_t k = 0; k < NPEERS; k++)
        if (!strcmp(peer_variants[k].name, name))
            return &peer_variants[k];
    return NULL;
}

bool ts_variant_is_peer(const ts_variant *v)
{
    for (size_t k = 0; k < NPEERS; k++)
        if (v == &peer_variants[k])
            return true;
    return false;
}
