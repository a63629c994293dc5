/* Shared pieces of the tiedseq command: subcommand table, problem lists and sets,
 * variant selection.  Exit codes: 0 ok, 1 a check failed or a run failed, 2 bad usage/input. */
#ifndef TS_CLI_H
#define TS_CLI_H
#include "kernels/tiedseq.h"
#include "variants/variant.h"

#include <stdio.h>

#define TS_EXIT_FAIL 1
#define TS_EXIT_USAGE 2

/* every subcommand: int ts_cmd_NAME(int argc, char **argv), argv[0] = "NAME" */
#define TS_CMD(name, summary) int ts_cmd_##name(int argc, char **argv);
#include "harness/commands.def"
#undef TS_CMD

/* One-line error to stderr: "tiedseq NAME: message". */
void ts_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable list of problems. */
typedef struct ts_problem_list {
    ts_problem *v;
    size_t n, cap;
} ts_problem_list;

int ts_plist_push(ts_problem_list *l, const ts_problem *p, ts_err *e);
void ts_plist_free(ts_problem_list *l);
/* Comma-separated descriptors. */
int ts_plist_parse(ts_problem_list *l, const char *csv, ts_err *e);
/* A set: a path, or a name in the sets folder ($TS_SETS_DIR or <source>/scripts/sets):
 * one descriptor per line, '#' starts a comment.  Errors name file:line. */
int ts_plist_load_set(ts_problem_list *l, const char *name_or_path, ts_err *e);

/* --set NAME: load it into l and record its name in names[*n] (at most cap, for meta.json). */
int ts_plist_add_set(ts_problem_list *l, const char **names, size_t *n, size_t cap,
                     const char *name, ts_err *e);

/* Comma-separated variant names ("all" or NULL = every registered), repeats
 * dropped, into out[0..cap-1]; more than cap distinct variants is an error. */
int ts_variants_select(const char *csv, const ts_variant **out, size_t cap, size_t *n, ts_err *e);
/* Comma-separated peer names (variants/peer.h) appended to out[0..*n), repeats
 * dropped; a name that is not a peer is an error naming the peers. */
int ts_peers_append(const char *csv, const ts_variant **out, size_t cap, size_t *n, ts_err *e);
/* Copy src into dst[n], cut to fit (always terminated). */
void ts_str_copy(char *dst, size_t n, const char *src);

/* Parse a whole number option strictly. */
int ts_parse_u64(const char *opt, const char *s, uint64_t *v, ts_err *e);

/* Integer list option: items "a", "lo:hi" (step 1), "lo:hi:xK" (times K),
 * "lo:hi:+K" (step K), comma-separated; "nproc" stands for the online CPUs. */
int ts_parse_int_list(const char *opt, const char *s, int64_t *out, size_t max, size_t *n, ts_err *e);
/* Split a command line into ours (own, argv[0] kept, NULL-terminated) and
 * Google Benchmark's (gb: every --benchmark_* and --v=N).  Both hold argc+1. */
void ts_split_gb_args(int argc, char **argv, int *n_own, char **own, int *n_gb, char **gb);

#endif
