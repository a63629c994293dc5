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
const char *ts_precision_name(ts_precision q) { return q == TS_PREC_BF16 ? "bf16" : "f32"; }

static uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float f32_from(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

uint16_t ts_bf16_bits(float x)
{
    uint32_t u = f32_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep the sign, make it quiet */
        return (uint16_t)((u >> 16) | 0x40);
    /* add half an ulp, minus one when the kept part is even: ties go to even;
     * an overflow carries into the exponent (to inf), as it should */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float ts_bf16_round(float x) { return f32_from((uint32_t)ts_bf16_bits(x) << 16); }
float ts_bf16_trunc(float x) { return f32_from(f32_bits(x) & 0xffff0000u); }

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

/* A decimal field (fb, clip, pclip): the fb grammar and range; `name` is the long
 * name for the message ("forget_bias"). */
static int parse_decimal(const char *field, const char *name, const char *s, float *x, ts_err *e)
{
    if (!fb_grammar(s))
        return ts_fail(e, "problem field '%s' (%s): '%s' is not a plain decimal "
                       "(expected -?DIGITS[.DIGITS], at most %d decimals, e.g. %s1, %s0.5)",
                       field, name, s, FB_MAX_DECIMALS, field, field);
    double v = strtod(s, NULL);
    if (fabs(v) > FB_MAX)
        return ts_fail(e, "problem field '%s' (%s): %s is out of range (expected |%s| <= %g)",
                       field, name, s, field, FB_MAX);
    *x = (float)v;
    return 0;
}

static int parse_fb(const char *s, float *fb, ts_err *e)
{
    return parse_decimal("fb", "forget_bias", s, fb, e);
}

/* cell_clip / proj_clip: TF clips to [-X, X]; X <= 0 would make that interval
 * empty or a point (clip_by_value then returns nonsense), so it is refused. */
static int parse_clip(const char *field, const char *name, const char *s, bool *has, float *x,
                      ts_err *e)
{
    if (parse_decimal(field, name, s, x, e))
        return -1;
    if (!(*x > 0))
        return ts_fail(e, "problem field '%s' (%s): %s must be > 0 (TF clips to [-X, X])",
                       field, name, s);
    *has = true;
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

/* Bits of `seen` for the model fields (parse_token owns bits 0..8). */
enum {
    SEEN_LAYERS = 1u << 9, SEEN_RES = 1u << 10, SEEN_PEEP = 1u << 11,
    SEEN_CLIP = 1u << 12, SEEN_PROJ = 1u << 13, SEEN_PCLIP = 1u << 14,
};

static int once(unsigned *seen, unsigned bit, const char *field, ts_err *e)
{
    if (*seen & bit)
        return ts_fail(e, "problem field '%s' given twice", field);
    *seen |= bit;
    return 0;
}

/* The MultiRNNCell / LSTMCell fields: lL resK peep clipX projP pclipX.  Returns 1
 * when tok is none of them (parse_token goes on), else 0 or -1.  Cross-field rules
 * (res <= L, widths, pclip needs proj, LSTM only) wait for the whole descriptor. */
static int parse_model_token(const char *tok, ts_problem *p, unsigned *seen, ts_err *e)
{
    int64_t v;
    if (!strcmp(tok, "peep"))
        return once(seen, SEEN_PEEP, "peep", e) ? -1 : (p->peep = true, 0);
    if (!strncmp(tok, "pclip", 5))
        return once(seen, SEEN_PCLIP, "pclip", e) ? -1
             : parse_clip("pclip", "proj_clip", tok + 5, &p->has_proj_clip, &p->proj_clip, e);
    if (!strncmp(tok, "clip", 4))
        return once(seen, SEEN_CLIP, "clip", e) ? -1
             : parse_clip("clip", "cell_clip", tok + 4, &p->has_cell_clip, &p->cell_clip, e);
    if (!strncmp(tok, "proj", 4))
        return once(seen, SEEN_PROJ, "proj", e) || parse_count("proj", tok + 4, 1, TS_MAX_DIM, &p->P, e)
             ? -1 : 0;
    if (!strncmp(tok, "res", 3)) {
        /* the upper bound is L, known only at the end: ts_problem_check names it */
        if (once(seen, SEEN_RES, "res", e) || parse_count("res", tok + 3, 1, TS_MAX_LAYERS, &v, e))
            return -1;
        p->res_from = (int)v;
        return 0;
    }
    if (tok[0] == 'l' && tok[1] >= '0' && tok[1] <= '9') {
        if (once(seen, SEEN_LAYERS, "l", e) || parse_count("l", tok + 1, 1, TS_MAX_LAYERS, &v, e))
            return -1;
        p->layers = (int)v;
        return 0;
    }
    return 1;
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
    int rc = parse_model_token(tok, p, seen, e);
    if (rc != 1)
        return rc;

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
    return ts_fail(e, "problem: unknown field '%s' (expected bN iN hN eN dN teacher|greedy vN tN fbX "
                   "lN resN peep clipX projN pclipX)", tok);
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

/* A clip value the descriptor can name: > 0 and printable by fb_format. */
static int check_clip(const char *field, const char *name, float x, ts_err *e)
{
    char buf[32];
    if (!(x > 0) || fb_format(x, buf, sizeof buf))
        return ts_fail(e, "problem field '%s' (%s): %g must be > 0 with a descriptor form "
                       "(<= %g, at most %d decimals)", field, name, (double)x, FB_MAX, FB_MAX_DECIMALS);
    return 0;
}

/* The MultiRNNCell / LSTMCell fields of a parsed or hand-built problem. */
static int check_model(const ts_problem *p, ts_err *e)
{
    bool lstm = p->cell == TS_CELL_LSTM;
    if (p->res_from < 0 || p->res_from > p->layers)
        return ts_fail(e, "problem field 'res': %d is out of range (expected 1..%d, the layer count l)",
                       p->res_from, p->layers);
    if (!lstm && (p->peep || p->has_cell_clip || p->has_proj_clip || p->P != 0))
        return ts_fail(e, "problem field '%s': applies to lstm only (TF's LSTMCell)",
                       p->peep ? "peep" : p->has_cell_clip ? "clip" : p->P ? "proj" : "pclip");
    if (p->P < 0 || p->P > TS_MAX_DIM)
        return ts_fail(e, "problem field 'proj': %lld is out of range (expected 1..%d)",
                       (long long)p->P, TS_MAX_DIM);
    if (p->has_cell_clip && check_clip("clip", "cell_clip", p->cell_clip, e))
        return -1;
    if (p->has_proj_clip && p->P == 0)
        return ts_fail(e, "problem field 'pclip': proj_clip needs projN (TF ignores proj_clip without num_proj)");
    if (p->has_proj_clip && check_clip("pclip", "proj_clip", p->proj_clip, e))
        return -1;
    /* ResidualWrapper adds input and output: layer 1's input is I wide, the others' Hout */
    if (p->res_from == 1 && p->I != ts_out_width(p))
        return ts_fail(e, "problem field 'res': layer 1's input width i%lld differs from its output "
                       "width %lld (ResidualWrapper adds them; use res2 or make i equal the output width)",
                       (long long)p->I, (long long)ts_out_width(p));
    return 0;
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
    return check_model(p, e);
}

/* The optional model fields, in canonical order, each only when not default. */
static int format_model(const ts_problem *p, char *buf, size_t n)
{
    char clip[32] = "", pclip[32] = "";
    if ((p->has_cell_clip && fb_format(p->cell_clip, clip, sizeof clip)) ||
        (p->has_proj_clip && fb_format(p->proj_clip, pclip, sizeof pclip)))
        return -1;
    char l[16] = "", res[16] = "", proj[32] = "";
    if (p->layers != 1)
        snprintf(l, sizeof l, ":l%d", p->layers);
    if (p->res_from)
        snprintf(res, sizeof res, ":res%d", p->res_from);
    if (p->P)
        snprintf(proj, sizeof proj, ":proj%lld", (long long)p->P);
    int k = snprintf(buf, n, "%s%s%s%s%s%s%s%s", l, res, p->peep ? ":peep" : "",
                     p->has_cell_clip ? ":clip" : "", clip, proj, p->has_proj_clip ? ":pclip" : "", pclip);
    return k < 0 || (size_t)k >= n ? -1 : k;
}

int ts_problem_format(const ts_problem *p, char *buf, size_t n)
{
    char v[32] = "", fb[40] = "", num[32], model[128];
    if (p->feed == TS_FEED_GREEDY)
        snprintf(v, sizeof v, ":v%lld", (long long)p->V);
    if (p->cell == TS_CELL_LSTM && p->forget_bias != 1.0f) {
        if (fb_format(p->forget_bias, num, sizeof num))
            return -1;
        snprintf(fb, sizeof fb, ":fb%s", num);
    }
    if (format_model(p, model, sizeof model) < 0)
        return -1;
    int k = snprintf(buf, n, "%s:b%lld:i%lld:h%lld:e%lld:d%lld:%s%s:t%d%s%s", ts_cell_name(p->cell),
                     (long long)p->B, (long long)p->I, (long long)p->H, (long long)p->E,
                     (long long)p->D, ts_feed_name(p->feed), v, p->threads, fb, model);
    return k < 0 || (size_t)k >= n ? -1 : k;
}

bool ts_problem_is_basic(const ts_problem *p, const char *variant, char *why, size_t n)
{
    const char *what = p->layers != 1 ? "multiple layers (l)" : p->res_from ? "residual layers (res)"
                     : p->peep ? "peepholes (peep)" : p->has_cell_clip ? "cell_clip (clip)"
                     : p->P ? "projection (proj)" : p->has_proj_clip ? "proj_clip (pclip)" : NULL;
    if (what && why && n)
        snprintf(why, n, "unsupported: %s not implemented in %s yet", what, variant);
    return what == NULL;
}

int64_t ts_out_width(const ts_problem *p) { return p->P > 0 ? p->P : p->H; }
int64_t ts_layer_input(const ts_problem *p, int k) { return k == 0 ? p->I : ts_out_width(p); }
bool ts_layer_residual(const ts_problem *p, int k) { return p->res_from > 0 && k + 1 >= p->res_from; }

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

static bool add_ok(size_t *acc, size_t x) { return !__builtin_add_overflow(*acc, x, acc); }

int ts_cell_sizes(const ts_problem *p, int k, ts_layer_sizes *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (k < 0 || k >= p->layers)
        return ts_fail(e, "problem: layer %d is out of range (0..%d)", k, p->layers - 1);
    const int64_t H = p->H, kcols = p->cell == TS_CELL_GRU ? 2 : ts_cell_gates(p->cell);
    s->in = ts_layer_input(p, k);
    s->rows = s->in + ts_out_width(p);
    bool ok = product(&s->kernel, s->rows, kcols, H) && product(&s->bias, kcols, H, 1);
    if (ok && p->cell == TS_CELL_GRU)
        ok = product(&s->cand_kernel, s->rows, H, 1) && product(&s->cand_bias, H, 1, 1);
    if (ok && p->peep)
        s->diag = (size_t)H;
    if (ok && p->P)
        ok = product(&s->proj_kernel, H, p->P, 1);
    size_t parts[] = {s->kernel, s->bias, s->cand_kernel, s->cand_bias, s->diag, s->diag, s->diag,
                      s->proj_kernel};
    for (size_t j = 0; ok && j < sizeof parts / sizeof parts[0]; j++)
        ok = add_ok(&s->total, parts[j]);
    if (!ok)
        return ts_fail(e, "problem: layer %d's weight sizes overflow size_t (I=%lld H=%lld P=%lld)", k,
                       (long long)p->I, (long long)p->H, (long long)p->P);
    return 0;
}

/* outputs and states: out [D,B,Hout], h [L,B,Hout], c [L,B,H], per step x D */
static bool output_sizes(const ts_problem *p, ts_sizes *s)
{
    const int64_t Ho = ts_out_width(p);
    bool lstm = p->cell == TS_CELL_LSTM;
    bool ok = product(&s->out, p->D, p->B, Ho) && product(&s->state_h, p->layers, p->B, Ho) &&
              (!lstm || product(&s->state_c, p->layers, p->B, p->H));
    ok = ok && product(&s->states_h, p->D, (int64_t)s->state_h, 1) &&
         (!lstm || product(&s->states_c, p->D, (int64_t)s->state_c, 1));
    return ok;
}

int ts_problem_sizes(const ts_problem *p, ts_sizes *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (ts_problem_check(p, e))
        return -1;
    for (int k = 0; k < p->layers; k++)
        if (ts_cell_sizes(p, k, &s->cell[k], e) || !add_ok(&s->weights, s->cell[k].total))
            return ts_fail(e, "problem: weight sizes overflow size_t (L=%d I=%lld H=%lld P=%lld)",
                           p->layers, (long long)p->I, (long long)p->H, (long long)p->P);
    bool ok = product(&s->enc, p->E, p->B, p->I) && product(&s->dec, p->D, p->B, p->I) &&
              output_sizes(p, s);
    if (ok && p->feed == TS_FEED_GREEDY)
        ok = product(&s->proj_w, ts_out_width(p), p->V, 1) && product(&s->proj_b, p->V, 1, 1) &&
             product(&s->embedding, p->V, p->I, 1);
    /* weights + inputs + outputs + per-step states (h, c) + final states (h, c) */
    size_t parts[] = {s->weights, s->proj_w, s->proj_b, s->embedding, s->enc, s->dec, s->out,
                      s->states_h, s->states_c, s->state_h, s->state_c};
    size_t total = 0;
    for (size_t k = 0; ok && k < sizeof parts / sizeof parts[0]; k++)
        ok = add_ok(&total, parts[k]);
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
/* Multiply-adds of one layer's step, per batch row: gates matmul plus projection. */
static double layer_macs(const ts_problem *p, int k)
{
    double rows = (double)(ts_layer_input(p, k) + ts_out_width(p));
    return rows * ts_cell_gates(p->cell) * (double)p->H + (double)p->H * (double)p->P;
}

double ts_flops_per_step(const ts_problem *p)
{
    double macs = 0;
    for (int k = 0; k < p->layers; k++)
        macs += layer_macs(p, k);
    return 2.0 * (double)p->B * macs;
}

double ts_flops_total(const ts_problem *p)
{
    double f = (double)(p->E + p->D) * ts_flops_per_step(p);
    if (p->feed == TS_FEED_GREEDY && p->D > 1)
        f += (double)(p->D - 1) * 2.0 * (double)p->B * (double)ts_out_width(p) * (double)p->V;
    return f;
}

double ts_weight_bytes(const ts_problem *p)
{
    double n = 0;
    for (int k = 0; k < p->layers; k++)
        n += layer_macs(p, k) + (p->peep ? 3.0 * (double)p->H : 0);
    return 4.0 * n;
}

double ts_weight_bytes_prec(const ts_problem *p, ts_precision q)
{
    if (q != TS_PREC_BF16)
        return ts_weight_bytes(p);
    double gates = 0, rest = 0; /* gate matrices in bf16; projection and peepholes fp32 */
    for (int k = 0; k < p->layers; k++) {
        gates += (double)(ts_layer_input(p, k) + ts_out_width(p)) * ts_cell_gates(p->cell) * (double)p->H;
        rest += (double)p->H * (double)p->P + (p->peep ? 3.0 * (double)p->H : 0);
    }
    return 2.0 * gates + 4.0 * rest;
}

double ts_recurrent_bytes_prec(const ts_problem *p, ts_precision q)
{
    if (q != TS_PREC_BF16)
        return ts_recurrent_bytes(p);
    double gates = ts_cell_gates(p->cell) * (double)p->H * (double)ts_out_width(p);
    return p->layers * (2.0 * gates + 4.0 * (double)p->H * (double)p->P);
}

double ts_recurrent_bytes(const ts_problem *p)
{
    /* every step streams each layer's recurrent rows and its projection */
    double per_layer = ts_cell_gates(p->cell) * (double)p->H * (double)ts_out_width(p) +
                       (double)p->H * (double)p->P;
    return 4.0 * p->layers * per_layer;
}
