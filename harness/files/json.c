/* A small strict JSON parser (json.h): RFC 8259's grammar, depth-limited, for
 * the project's own small files (peak.json, meta.json). */
#include "harness/files/json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jparser {
    const char *s, *p;
    const char *err; /* first error, static text */
    int depth;
} jparser;

void ts_json_free(ts_jnode *v)
{
    for (size_t k = 0; k < v->n; k++)
        ts_json_free(&v->kids[k]);
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

static int jvalue(jparser *jp, ts_jnode *v);

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
static int jnumber(jparser *jp, ts_jnode *v)
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
    v->type = TS_J_NUM;
    v->num = strtod(jp->p, NULL);
    jp->p = p;
    return 0;
}

static int jpush(jparser *jp, ts_jnode *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        ts_jnode *k = realloc(v->kids, c * sizeof *k);
        if (!k)
            return jerr(jp, "out of memory");
        v->kids = k, *cap = c;
    }
    memset(&v->kids[v->n++], 0, sizeof *v->kids);
    return 0;
}

/* '[' or '{' ... : members separated by ',', no trailing comma */
static int jcontainer(jparser *jp, ts_jnode *v, bool obj)
{
    size_t cap = 0;
    char close = obj ? '}' : ']';
    v->type = obj ? TS_J_OBJ : TS_J_ARR;
    jp->p++;
    jws(jp);
    if (*jp->p == close)
        return jp->p++, 0;
    for (;;) {
        if (jpush(jp, v, &cap))
            return -1;
        ts_jnode *kid = &v->kids[v->n - 1];
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

static int jvalue(jparser *jp, ts_jnode *v)
{
    jws(jp);
    if (++jp->depth > 32)
        return jerr(jp, "nested too deeply");
    int rc;
    switch (*jp->p) {
    case '{': rc = jcontainer(jp, v, true); break;
    case '[': rc = jcontainer(jp, v, false); break;
    case '"': v->type = TS_J_STR; rc = jstring(jp, &v->str); break;
    case 't': case 'f': case 'n': {
        const char *w = *jp->p == 't' ? "true" : *jp->p == 'f' ? "false" : "null";
        if (strncmp(jp->p, w, strlen(w)))
            return jerr(jp, "expected a value");
        v->type = *w == 'n' ? TS_J_NULL : TS_J_BOOL;
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

const ts_jnode *ts_json_get(const ts_jnode *obj, const char *key)
{
    if (!obj || obj->type != TS_J_OBJ)
        return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (!strcmp(obj->kids[k].key, key))
            return &obj->kids[k];
    return NULL;
}

int ts_json_parse(const char *text, ts_jnode *root, ts_err *e)
{
    jparser jp = {.s = text, .p = text};
    memset(root, 0, sizeof *root);
    int rc = jvalue(&jp, root);
    if (!rc) {
        jws(&jp);
        if (*jp.p)
            rc = jerr(&jp, "unexpected text after the JSON value");
    }
    if (rc) {
        int line = 1;
        for (const char *q = text; q < jp.p; q++)
            line += *q == '\n';
        ts_json_free(root);
        return ts_fail(e, "invalid JSON at line %d (byte %ld): %s", line, (long)(jp.p - text), jp.err);
    }
    return 0;
}
