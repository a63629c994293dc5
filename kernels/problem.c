/* The problem descriptor: the one parser and printer used everywhere
 * (command line, benchmark names, CSV rows, plot titles), sizes and accounting. */
#include "tiedseq.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ts_fail(ts_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *const cell_names[] = {"rnn", "gru", "lstm"};
static const char *const feed_names[] = {"teacher", "greedy"};

const char *ts_cell_name(ts_cell c) { return (unsigned)c < 3 ? cell_names[c] : "?"; }
const char *ts_feed_name(ts_feed f) { return (unsigned)f < 2 ? feed_names[f] : "?"; }
int ts_cell_gates(ts_cell c) { return c == TS_CELL_RNN ? 1 : c == TS_CELL_GRU ? 3 : 4; }

/* Strict decimal integer: digits only, no sign, no spaces, no overflow. */
static int parse_count(const char *field, const char *s, int64_t lo, int64_t hi,
                       int64_t *v, ts_err *e)
{
    if (*s == '\0')
        return ts_fail(e, "problem field '%s': missing value (expected an integer in %lld..%lld)",
                       field, (long long)lo, (long long)hi);
    for (const char *q = s; *q; q++)
        if (*q < '0' || *q > '9')
            return ts_fail(e, "problem field '%s': '%s' is not a non-negative integer "
                           "(expected %lld..%lld)", field, s, (long long)lo, (long long)hi);
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE || x < (unsigned long long)lo || x > (unsigned long long)hi)
        return ts_fail(e, "problem field '%s': %s is out of range (expected %lld..%lld)",
                       field, s, (long long)lo, (long long)hi);
    *v = (int64_t)x;
    return 0;
}

/* forget_bias: a plain decimal, -?DIGITS[.DIGITS], at most FB_MAX_DECIMALS after the
 * point, |x| <= FB_MAX.  strtod alone would also take " 1", "+1", "0x10", "1e3", "inf";
 * the decimal limit makes every value print back exactly (fb_format). */
#define FB_MAX 1e6
#define FB_MAX_DECIMALS 9

static bool fb_grammar(const char *s)
{
    const char *q = s + (*s == '-');
    size_t whole = strspn(q, "0123456789");
    if (whole == 0)
        return false;
    q += whole;
    if (*q == '\0')
        return true;
    if (*q != '.')
        return false;
    size_t frac = strspn(q + 1, "0123456789");
    return frac >= 1 && frac <= FB_MAX_DECIMALS && q[1 + frac] == '\0';
}

static int parse_fb(const char *s, float *fb, ts_err *e)
{
    if (!fb_grammar(s))
        return ts_fail(e, "problem field 'fb' (forget_bias): '%s' is not a plain decimal "
                       "(expected -?DIGITS[.DIGITS], at most %d decimals, e.g. fb0, fb1, fb-0.5)",
                       s, FB_MAX_DECIMALS);
    double x = strtod(s, NULL);
    if (fabs(x) > FB_MAX)
        return ts_fail(e, "problem field 'fb' (forget_bias): %s is out of range (expected |fb| <= %g)",
                       s, FB_MAX);
    *fb = (float)x;
    return 0;
}

/* The shortest fixed-point text (0..FB_MAX_DECIMALS decimals) that parses back to
 * exactly fb; -1 when there is none (a hand-built value the grammar cannot name). */
static int fb_format(float fb, char *buf, size_t n)
{
    if (!isfinite(fb) || fabs(fb) > FB_MAX)
        return -1;
    for (int prec = 0; prec <= FB_MAX_DECIMALS; prec++) {
        int k = snprintf(buf, n, "%.*f", prec, (double)fb);
        if (k < 0 || (size_t)k >= n)
            return -1;
        if ((float)strtod(buf, NULL) == fb)
            return 0;
    }
    return -1;
}

/* One "key+value" token; `seen` rejects repeats. */
static int parse_token(const char *tok, ts_problem *p, unsigned *seen, ts_err *e)
{
    static const struct { const char *key; unsigned bit; int64_t lo, hi; size_t off; } counts[] = {
        {"b", 1u << 0, 1, TS_MAX_DIM, offsetof(ts_problem, B)},
        {"i", 1u << 1, 1, TS_MAX_DIM, offsetof(ts_problem, I)},
        {"h", 1u << 2, 1, TS_MAX_DIM, offsetof(ts_problem, H)},
        {"e", 1u << 3, 0, TS_MAX_STEPS, offsetof(ts_problem, E)}, /* 0: check() explains */
        {"d", 1u << 4, 0, TS_MAX_STEPS, offsetof(ts_problem, D)},
        {"v", 1u << 5, 1, TS_MAX_DIM, offsetof(ts_problem, V)},
    };
    const unsigned FEED = 1u << 6, THREADS = 1u << 7, FB = 1u << 8;

    if (!strcmp(tok, "teacher") || !strcmp(tok, "greedy")) {
        if (*seen & FEED)
            return ts_fail(e, "problem field 'feed' given twice");
        *seen |= FEED;
        p->feed = tok[0] == 't' ? TS_FEED_TEACHER : TS_FEED_GREEDY;
        return 0;
    }
    if (!strncmp(tok, "fb", 2)) {
        if (*seen & FB)
            return ts_fail(e, "problem field 'fb' given twice");
        *seen |= FB;
        return parse_fb(tok + 2, &p->forget_bias, e);
    }
    if (tok[0] == 't' && tok[1] >= '0' && tok[1] <= '9') {
        if (*seen & THREADS)
            return ts_fail(e, "problem field 't' given twice");
        *seen |= THREADS;
        int64_t t;
        if (parse_count("t", tok + 1, 1, TS_MAX_THREADS, &t, e))
            return -1;
        p->threads = (int)t;
        return 0;
    }
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        if (tok[0] != counts[k].key[0])
            continue;
        if (*seen & counts[k].bit)
            return ts_fail(e, "problem field '%s' given twice", counts[k].key);
        *seen |= counts[k].bit;
        return parse_count(counts[k].key, tok + 1, counts[k].lo, counts[k].hi,
                           (int64_t *)((char *)p + counts[k].off), e);
    }
    return ts_fail(e, "problem: unknown field '%s' (expected bN iN hN eN dN teacher|greedy vN tN fbX)", tok);
}

/* Splits desc at ':' into buf; every field must be non-empty (so no leading,
 * trailing or doubled ':').  Returns the field count or -1. */
static int split_fields(const char *desc, char *buf, size_t n, char **f, int max, ts_err *e)
{
    if (strlen(desc) >= n)
        return ts_fail(e, "problem: descriptor longer than %zu characters", n - 1);
    /* errors quote the descriptor: a newline in it would break the one-line message */
    for (const char *q = desc; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return ts_fail(e, "problem: control character (byte 0x%02x) at position %td",
                           (unsigned char)*q, q - desc);
    strcpy(buf, desc);
    int k = 0;
    for (char *q = buf;; q++) {
        char *end = strchr(q, ':');
        if (end)
            *end = '\0';
        if (*q == '\0')
            return ts_fail(e, "problem: empty field in '%s' (fields are separated by single ':')", desc);
        if (k == max)
            return ts_fail(e, "problem: more than %d fields in '%s'", max, desc);
        f[k++] = q;
        if (!end)
            return k;
        q = end;
    }
}

int ts_problem_parse(const char *desc, ts_problem *p, ts_err *e)
{
    if (!desc || !*desc)
        return ts_fail(e, "problem: empty descriptor (expected e.g. lstm:b16:i512:h512:e25:d25:teacher:t2)");
    char buf[256], *f[16];
    int nf = split_fields(desc, buf, sizeof buf, f, 16, e);
    if (nf < 0)
        return -1;
    memset(p, 0, sizeof *p);
    p->forget_bias = 1.0f;
    p->threads = 1;
    p->layers = 1;
    if (strcmp(f[0], "rnn") && strcmp(f[0], "gru") && strcmp(f[0], "lstm"))
        return ts_fail(e, "problem field 'cell': '%s' is not a cell (expected rnn, gru or lstm first)", f[0]);
    p->cell = f[0][0] == 'r' ? TS_CELL_RNN : f[0][0] == 'g' ? TS_CELL_GRU : TS_CELL_LSTM;

    unsigned seen = 0;
    for (int k = 1; k < nf; k++)
        if (parse_token(f[k], p, &seen, e))
            return -1;
    static const char req[] = "bihed";
    for (int k = 0; k < 5; k++)
        if (!(seen & (1u << k)))
            return ts_fail(e, "problem field '%c' is missing in '%s' (required: b i h e d)", req[k], desc);
    if ((seen & (1u << 8)) && p->cell != TS_CELL_LSTM)
        return ts_fail(e, "problem field 'fb': forget_bias applies to lstm only");
    return ts_problem_check(p, e);
}

int ts_problem_check(const ts_problem *p, ts_err *e)
{
    if ((unsigned)p->cell > TS_CELL_LSTM)
        return ts_fail(e, "problem field 'cell': unknown cell %d", (int)p->cell);
    const struct { const char *name; int64_t v, lo, hi; } f[] = {
        {"b", p->B, 1, TS_MAX_DIM}, {"i", p->I, 1, TS_MAX_DIM}, {"h", p->H, 1, TS_MAX_DIM},
        {"e", p->E, 1, TS_MAX_STEPS}, {"d", p->D, 0, TS_MAX_STEPS}, {"t", p->threads, 1, TS_MAX_THREADS},
        {"l", p->layers, 1, TS_MAX_LAYERS},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        if (f[k].v < f[k].lo || f[k].v > f[k].hi)
            return ts_fail(e, "problem field '%s': %lld is out of range (expected %lld..%lld)%s",
                           f[k].name, (long long)f[k].v, (long long)f[k].lo, (long long)f[k].hi,
                           f[k].name[0] == 'e' && f[k].v == 0 ? "; TF: inputs must not be empty" : "");
    if (p->feed == TS_FEED_GREEDY && (p->V < 1 || p->V > TS_MAX_DIM))
        return ts_fail(e, "problem field 'v': greedy feed needs a vocabulary vN with N in 1..%d", TS_MAX_DIM);
    if (p->feed == TS_FEED_TEACHER && p->V != 0)
        return ts_fail(e, "problem field 'v': a vocabulary applies to greedy feed only");
    if ((unsigned)p->feed > TS_FEED_GREEDY)
        return ts_fail(e, "problem field 'feed': unknown feed mode %d", (int)p->feed);
    char fb[32];
    if (fb_format(p->forget_bias, fb, sizeof fb))
        return ts_fail(e, "problem field 'fb': forget_bias %g has no descriptor form "
                       "(|fb| <= %g, at most %d decimals)", (double)p->forget_bias, FB_MAX, FB_MAX_DECIMALS);
    return 0;
}

int ts_problem_format(const ts_problem *p, char *buf, size_t n)
{
    char v[32] = "", fb[40] = "", num[32];
    if (p->feed == TS_FEED_GREEDY)
        snprintf(v, sizeof v, ":v%lld", (long long)p->V);
    if (p->cell == TS_CELL_LSTM && p->forget_bias != 1.0f) {
        if (fb_format(p->forget_bias, num, sizeof num))
            return -1;
        snprintf(fb, sizeof fb, ":fb%s", num);
    }
    int k = snprintf(buf, n, "%s:b%lld:i%lld:h%lld:e%lld:d%lld:%s%s:t%d%s", ts_cell_name(p->cell),
                     (long long)p->B, (long long)p->I, (long long)p->H, (long long)p->E,
                     (long long)p->D, ts_feed_name(p->feed), v, p->threads, fb);
    return k < 0 || (size_t)k >= n ? -1 : k;
}

/* ---- sizes with overflow checks ---- */
static bool mul_ok(size_t *acc, int64_t x)
{
    return !__builtin_mul_overflow(*acc, (size_t)x, acc);
}

static bool product(size_t *out, int64_t a, int64_t b, int64_t c)
{
    *out = 1;
    return mul_ok(out, a) && mul_ok(out, b) && mul_ok(out, c);
}

int ts_problem_sizes(const ts_problem *p, ts_sizes *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (ts_problem_check(p, e))
        return -1;
    int64_t G = ts_cell_gates(p->cell), rows = p->I + p->H;
    int64_t kcols = p->cell == TS_CELL_GRU ? 2 : G;
    bool ok = product(&s->kernel, rows, kcols, p->H) && product(&s->bias, kcols, p->H, 1) &&
              product(&s->enc, p->E, p->B, p->I) && product(&s->dec, p->D, p->B, p->I) &&
              product(&s->out, p->D, p->B, p->H) && product(&s->state, p->B, p->H, 1);
    if (ok && p->cell == TS_CELL_GRU)
        ok = product(&s->cand_kernel, rows, p->H, 1) && product(&s->cand_bias, p->H, 1, 1);
    if (ok && p->feed == TS_FEED_GREEDY)
        ok = product(&s->proj_w, p->H, p->V, 1) && product(&s->proj_b, p->V, 1, 1) &&
             product(&s->embedding, p->V, p->I, 1);
    /* weights + inputs + outputs + per-step states (h, c) + final states (h, c) */
    size_t parts[] = {s->kernel, s->bias, s->cand_kernel, s->cand_bias, s->proj_w, s->proj_b,
                      s->embedding, s->enc, s->dec, s->out, s->out, s->out, s->state, s->state};
    size_t total = 0;
    for (size_t k = 0; ok && k < sizeof parts / sizeof parts[0]; k++)
        ok = !__builtin_add_overflow(total, parts[k], &total);
    ok = ok && !__builtin_mul_overflow(total, sizeof(float), &s->total_bytes);
    if (!ok)
        return ts_fail(e, "problem: buffer sizes overflow size_t (B=%lld I=%lld H=%lld E=%lld D=%lld)",
                       (long long)p->B, (long long)p->I, (long long)p->H, (long long)p->E,
                       (long long)p->D);
    return 0;
}

int ts_problem_check_memory(const ts_problem *p, ts_err *e)
{
    ts_sizes s;
    if (ts_problem_sizes(p, &s, e))
        return -1;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double avail = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    /* a variant may hold a packed copy of the weights and scratch: leave 2x room */
    if (avail > 0 && 2.0 * (double)s.total_bytes > avail)
        return ts_fail(e, "problem: needs about %.3g GiB of buffers, more than this machine's %.3g GiB",
                       2.0 * (double)s.total_bytes / 1073741824.0, avail / 1073741824.0);
    return 0;
}

/* ---- accounting ---- */
double ts_flops_per_step(const ts_problem *p)
{
    return 2.0 * (double)p->B * (double)(p->I + p->H) * ts_cell_gates(p->cell) * (double)p->H;
}

double ts_flops_total(const ts_problem *p)
{
    double f = (double)(p->E + p->D) * ts_flops_per_step(p);
    if (p->feed == TS_FEED_GREEDY && p->D > 1)
        f += (double)(p->D - 1) * 2.0 * (double)p->B * (double)p->H * (double)p->V;
    return f;
}

double ts_weight_bytes(const ts_problem *p)
{
    return 4.0 * ts_cell_gates(p->cell) * (double)p->H * (double)(p->I + p->H);
}

double ts_recurrent_bytes(const ts_problem *p)
{
    return 4.0 * ts_cell_gates(p->cell) * (double)p->H * (double)p->H;
}
