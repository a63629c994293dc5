/* A small strict JSON reader for the project's own files (peak.json, a run's
 * meta.json): the whole text into a tree; errors name the line and byte. */
#ifndef TS_JSON_H
#define TS_JSON_H
#include "kernels/tiedseq.h"

#include <stddef.h>

typedef enum { TS_J_NULL, TS_J_BOOL, TS_J_NUM, TS_J_STR, TS_J_ARR, TS_J_OBJ } ts_jtype;

typedef struct ts_jnode {
    ts_jtype type;
    double num;              /* TS_J_NUM; TS_J_BOOL: 0 or 1 */
    char *str;               /* TS_J_STR */
    char *key;               /* member name when inside an object */
    struct ts_jnode *kids;   /* TS_J_ARR / TS_J_OBJ */
    size_t n;
} ts_jnode;

/* Parse the whole text (nothing but white space after the value). */
int ts_json_parse(const char *text, ts_jnode *root, ts_err *e);
void ts_json_free(ts_jnode *v);
/* The member `key` of an object, or NULL (also when obj is not an object). */
const ts_jnode *ts_json_get(const ts_jnode *obj, const char *key);

#endif
