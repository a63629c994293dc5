/* Golden vectors from real TensorFlow (scripts/golden/make_golden.py): every variant in
 * the registry, and tiedseq's reference, against TF's own cells on every case of
 * tests/golden/manifest.tsv, at ts_tolerance(p) (docs/correctness-golden.md).
 *
 * Never skips silently: a missing, truncated or misshapen golden file is a failure;
 * only a variant the CPU cannot run is skipped, and it is printed.  The second half
 * proves the comparison can fail: deliberate changes of semantics (two LSTM gate blocks
 * swapped, forget_bias dropped, GRU gates swapped, a bias zeroed, embedding rows
 * swapped) and damaged golden files must all be caught.
 *
 * usage: test_golden [GOLDEN_DIR]   (default: tests/golden of the source tree) */
#include "harness/files/io.h"
#include "harness/files/npy.h"
#include "harness/check/reference.h"
#include "harness/check/verify.h"
#include "tests/check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CASES 256

typedef struct golden_case {
    char name[64];
    char desc[128];
    ts_problem p;
} golden_case;

/* One case loaded: TF's weights and inputs, TF's results (with per-step states). */
typedef struct golden {
    ts_problem p;
    ts_tensors t;
    ts_result expect;
    bool have_t, have_expect;
} golden;

static const char *golden_dir;
static double worst_ratio_seen; /* over every passing comparison, for the report */

#define PATH_N 4200

/* snprintf for paths; a path too long for PATH_N is a test failure, not a silent cut. */
static char *pathf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, PATH_N, fmt, ap);
    va_end(ap);
    CHECK_MSG(k >= 0 && k < PATH_N, "path too long: %s...", buf);
    return buf;
}

/* ---- manifest ---- */

static int parse_line(char *line, golden_case *c, ts_err *e)
{
    char *tab = strchr(line, '\t');
    if (!tab)
        return ts_fail(e, "manifest line '%s': expected case<TAB>descriptor", line);
    *tab = '\0';
    char *desc = tab + 1, *end = strchr(desc, '\t');
    if (end)
        *end = '\0'; /* later columns are notes (biases: init|perturbed) */
    if (!*line || strlen(line) >= sizeof c->name || strlen(desc) >= sizeof c->desc)
        return ts_fail(e, "manifest: bad case name or descriptor on line '%s'", line);
    snprintf(c->name, sizeof c->name, "%s", line);
    snprintf(c->desc, sizeof c->desc, "%s", desc);
    if (ts_problem_parse(desc, &c->p, e))
        return -1;
    char canon[128];
    ts_problem_format(&c->p, canon, sizeof canon);
    if (strcmp(canon, desc)) /* the generator writes ts_problem_format's form */
        return ts_fail(e, "manifest: %s: descriptor '%s' is not canonical ('%s')", c->name, desc, canon);
    return 0;
}

static int read_manifest(const char *dir, golden_case *cases, int *n, ts_err *e)
{
    char path[PATH_N], line[512];
    pathf(path, "%s/manifest.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ts_fail(e, "%s: cannot open: %s (regenerate: docs/correctness-golden.md)", path, strerror(errno));
    int rc = 0;
    *n = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, "case\tdescriptor", 15))
        rc = ts_fail(e, "%s: first line must be the header 'case<TAB>descriptor...'", path);
    while (!rc && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (*n >= MAX_CASES)
            rc = ts_fail(e, "%s: more than %d cases", path, MAX_CASES);
        else
            rc = parse_line(line, &cases[(*n)++], e);
    }
    fclose(f);
    if (!rc && *n == 0)
        rc = ts_fail(e, "%s: no cases", path);
    return rc;
}

/* ---- loading one case ---- */

static void golden_free(golden *g)
{
    if (g->have_expect)
        ts_result_free(&g->expect);
    if (g->have_t)
        ts_tensors_free(&g->t);
    g->have_t = g->have_expect = false;
}

/* TF's results: every float file through the contract, symbols.npy as int32. */
static int load_expected(const char *dir, golden *g, ts_err *e)
{
    ts_tensor_spec s[TS_MAX_SPECS];
    int n = ts_output_specs(&g->p, &g->expect, true, s);
    for (int k = 0; k < n; k++) {
        if (!s[k].int32) {
            if (ts_load_specs(dir, &s[k], 1, e))
                return -1;
            continue;
        }
        char path[PATH_N];
        int32_t *sym;
        pathf(path, "%s/%s", dir, s[k].file);
        if (ts_npy_read_i32(path, s[k].ndim, s[k].shape, s[k].what, &sym, e))
            return -1;
        ts_free(*s[k].slot);
        *s[k].slot = sym;
    }
    ts_result *r = &g->expect;
    r->o = (ts_outputs){.out = r->out, .h = r->h, .c = r->c, .states_h = r->states_h,
                        .states_c = r->states_c, .symbols = r->symbols};
    for (int64_t b = 0; r->symbols && b < g->p.B; b++)
        if (r->symbols[b] != -1) /* row 0 is the GO input, never chosen */
            return ts_fail(e, "%s/symbols.npy: row 0 must be -1, found %d", dir, r->symbols[b]);
    return 0;
}

static int golden_load(const char *case_dir, const ts_problem *p, golden *g, ts_err *e)
{
    memset(g, 0, sizeof *g);
    g->p = *p;
    if (ts_tensors_alloc(&g->t, p, e))
        return -1;
    g->have_t = true;
    ts_tensor_spec s[2 * TS_MAX_SPECS];
    int n = ts_weight_specs(p, &g->t, s);
    n += ts_input_specs(p, &g->t, s + n);
    for (int k = 0; k < n; k++)
        s[k].optional = false; /* the generator writes decoder_inputs.npy even for D = 0 */
    if (ts_load_specs(case_dir, s, n, e))
        return -1;
    g->t.in.enc = g->t.enc, g->t.in.dec = g->t.dec;
    if (ts_result_alloc(&g->expect, p, true, e))
        return -1;
    g->have_expect = true;
    char exp_dir[PATH_N];
    pathf(exp_dir, "%s/expected", case_dir);
    return load_expected(exp_dir, g, e);
}

/* ---- running and comparing ---- */

/* A bf16 variant: the bf16 method on the golden weights (step-local and
 * against the bf16-rounded reference), its drift from TensorFlow's fp32
 * outputs, and TF's outputs themselves at the bf16 end-to-end tolerance
 * (so a change of semantics, which the self-consistent bf16 method cannot
 * see, still FAILs against TF). */
static void check_bf16(const ts_problem *p, const ts_weights *w, const golden *g, const ts_outputs *got,
                       ts_verdict *vd)
{
    ts_verify_bf16(p, w, &g->t.in, got, &g->expect.o, NULL, vd);
    if (vd->status == TS_FAIL || vd->status == TS_ERROR)
        return;
    /* a greedy symbol may legitimately differ from fp32 decoding (drift; the
     * step-local check has proven it the argmax of the variant's own output):
     * every difference counts as a tie, outputs are compared up to it */
    double *ties = calloc((size_t)(p->D * p->B) + 1, sizeof *ties);
    ts_verdict vt;
    ts_compare(p, got, &g->expect.o, ties, ts_tolerance_bf16(p), ties ? 1.0 : 0, &vt);
    free(ties);
    if (vt.status == TS_FAIL) {
        vd->status = TS_FAIL;
        snprintf(vd->reason, sizeof vd->reason, "against TensorFlow at the bf16 tolerance: %.400s", vt.reason);
    }
}

/* Run a variant (NULL: the reference) on the golden tensors with problem p and
 * weights w; compare with TF at ts_tolerance(p).  Greedy: no margins, so any symbol
 * difference fails (the generator guarantees a clear argmax margin at every step). */
static ts_status check_one(const ts_variant *v, const ts_problem *p, const ts_weights *w, const golden *g,
                           ts_verdict *vd, ts_err *e)
{
    ts_result got;
    memset(vd, 0, sizeof *vd);
    if (ts_result_alloc(&got, p, true, e))
        return vd->status = TS_ERROR;
    int rc = v ? ts_run_variant(v, p, w, &g->t.in, &got.o, e) : ts_reference_run(p, w, &g->t.in, &got.o, NULL, e);
    if (rc)
        vd->status = TS_ERROR;
    else if (v && v->precision == TS_PREC_BF16)
        check_bf16(p, w, g, &got.o, vd);
    else
        ts_compare(p, &got.o, &g->expect.o, NULL, ts_tolerance(p), 0, vd);
    ts_result_free(&got);
    return vd->status;
}

static void report(const golden_case *c, const char *who, const ts_verdict *vd, const ts_err *e)
{
    bool ok = vd->status == TS_PASS || vd->status == TS_MARGINAL;
    if (ok && vd->worst_ratio > worst_ratio_seen)
        worst_ratio_seen = vd->worst_ratio;
    printf("%-10s %-22s %-12s max_abs %.3g  worst %.3f of tol %.3g%s%s\n", ts_status_name(vd->status), c->name,
           who, vd->max_abs, vd->worst_ratio, vd->tol, vd->reason[0] ? "  " : "",
           vd->status == TS_ERROR ? e->msg : vd->reason);
    if (vd->drift.valid) /* bf16: reported, not pass/fail */
        printf("%-10s %-22s %-12s drift from TF: out max %.3g rms %.3g, state max %.3g rms %.3g, symbols %.3f "
               "agree, first divergence %lld\n", "", c->name, who, vd->drift.out_max, vd->drift.out_rms,
               vd->drift.state_max, vd->drift.state_rms, vd->drift.sym_agree, (long long)vd->drift.first_div);
    CHECK_MSG(ok, "%s vs TensorFlow on %s (%s): %s%s", who, c->name, c->desc, ts_status_name(vd->status),
              vd->status == TS_ERROR ? e->msg : vd->reason);
    if (!ok)
        fprintf(stderr, "  reproduce: tiedseq run --problem %s --variant %s --weights %s/%s --inputs %s/%s "
                "--out /tmp/x --states\n", c->desc, who, golden_dir, c->name, golden_dir, c->name);
}

static void check_case(const golden_case *c)
{
    char dir[PATH_N], why[256];
    golden g;
    ts_err e = {{0}};
    pathf(dir, "%s/%s", golden_dir, c->name);
    int rc = golden_load(dir, &c->p, &g, &e);
    CHECK_MSG(rc == 0, "golden case %s: %s", c->name, e.msg);
    if (rc == 0) {
        ts_verdict vd;
        check_one(NULL, &c->p, &g.t.w, &g, &vd, &e);
        report(c, "reference", &vd, &e);
        for (size_t k = 0; k < ts_variant_count; k++) {
            const ts_variant *v = ts_variants[k];
            if (!ts_variant_available(v, &c->p, why, sizeof why)) {
                printf("%-10s %-22s %-12s %s\n", "SKIPPED", c->name, v->name, why);
                continue;
            }
            check_one(v, &c->p, &g.t.w, &g, &vd, &e);
            report(c, v->name, &vd, &e);
        }
    }
    golden_free(&g);
}

/* ---- the comparison can fail: deliberate changes of semantics ---- */

static const golden_case *find_case(const golden_case *cases, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(cases[k].name, name))
            return &cases[k];
    CHECK_MSG(0, "manifest lacks case %s, which the failure checks need", name);
    return NULL;
}

/* Swap column blocks a and b (each H wide) of a [rows x G*H] matrix (bias: rows = 1). */
static void swap_blocks(float *m, int64_t rows, int64_t cols, int64_t H, int a, int b)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < H; j++) {
            float *x = m + r * cols + a * H + j, *y = m + r * cols + b * H + j, t = *x;
            *x = *y;
            *y = t;
        }
}

typedef void (*mutation_fn)(ts_problem *p, ts_weights *w);

static void swap_lstm_j_f(ts_problem *p, ts_weights *w)
{
    int64_t R = p->I + p->H, C = 4 * p->H;
    swap_blocks(w->cell[0].kernel, R, C, p->H, 1, 2);
    swap_blocks(w->cell[0].bias, 1, C, p->H, 1, 2);
}
static void drop_forget_bias(ts_problem *p, ts_weights *w) { (void)w, p->forget_bias = 0; }
static void add_forget_bias(ts_problem *p, ts_weights *w) { (void)w, p->forget_bias = 1; }
static void swap_gru_r_u(ts_problem *p, ts_weights *w)
{
    int64_t R = p->I + p->H, C = 2 * p->H;
    swap_blocks(w->cell[0].kernel, R, C, p->H, 0, 1);
    swap_blocks(w->cell[0].bias, 1, C, p->H, 0, 1);
}
static void zero_bias(ts_problem *p, ts_weights *w)
{
    int64_t n = p->cell == TS_CELL_GRU ? 2 * p->H : ts_cell_gates(p->cell) * p->H;
    memset(w->cell[0].bias, 0, (size_t)n * sizeof(float));
}
static void zero_candidate_bias(ts_problem *p, ts_weights *w) { memset(w->cell[0].cand_bias, 0, (size_t)p->H * sizeof(float)); }
static void swap_embedding_rows(ts_problem *p, ts_weights *w)
{
    /* every row: whichever symbol is chosen, its embedding changes */
    for (int64_t v = 0; v + 1 < p->V; v += 2)
        for (int64_t k = 0; k < p->I; k++) {
            float t = w->embedding[v * p->I + k];
            w->embedding[v * p->I + k] = w->embedding[(v + 1) * p->I + k];
            w->embedding[(v + 1) * p->I + k] = t;
        }
}

static void zero_peepholes(ts_problem *p, ts_weights *w)
{
    for (int k = 0; k < p->layers; k++) {
        memset(w->cell[k].w_i_diag, 0, (size_t)p->H * sizeof(float));
        memset(w->cell[k].w_f_diag, 0, (size_t)p->H * sizeof(float));
        memset(w->cell[k].w_o_diag, 0, (size_t)p->H * sizeof(float));
    }
}
static void drop_residual(ts_problem *p, ts_weights *w) { (void)w, p->res_from = 0; }
static void drop_cell_clip(ts_problem *p, ts_weights *w) { (void)w, p->has_cell_clip = false; }
static void drop_proj_clip(ts_problem *p, ts_weights *w) { (void)w, p->has_proj_clip = false; }
static void swap_layer_biases(ts_problem *p, ts_weights *w)
{
    float *t = w->cell[0].bias; /* same shape in every layer */
    w->cell[0].bias = w->cell[1].bias;
    w->cell[1].bias = t;
    (void)p;
}

typedef struct mutation {
    const char *case_name, *what;
    mutation_fn fn;
} mutation;

/* Run the reference and every available variant on the mutated model: all must FAIL. */
static void expect_failure(const golden_case *cases, int n, const mutation *m)
{
    const golden_case *c = find_case(cases, n, m->case_name);
    if (!c)
        return;
    char dir[PATH_N], why[256];
    golden g;
    ts_err e = {{0}};
    pathf(dir, "%s/%s", golden_dir, c->name);
    int rc = golden_load(dir, &c->p, &g, &e);
    CHECK_MSG(rc == 0, "golden case %s: %s", c->name, e.msg);
    ts_problem p = c->p;
    if (rc == 0) {
        m->fn(&p, &g.t.w);
        ts_verdict vd;
        CHECK_MSG(check_one(NULL, &p, &g.t.w, &g, &vd, &e) == TS_FAIL, "reference with %s passed on %s", m->what,
                  c->name);
        for (size_t k = 0; k < ts_variant_count; k++) {
            const ts_variant *v = ts_variants[k];
            if (!ts_variant_available(v, &p, why, sizeof why))
                continue;
            CHECK_MSG(check_one(v, &p, &g.t.w, &g, &vd, &e) == TS_FAIL, "%s with %s passed on %s", v->name,
                      m->what, c->name);
        }
        printf("caught     %-22s %s (%s)\n", c->name, m->what, vd.reason);
    }
    golden_free(&g);
}

static void semantics_changes_fail(const golden_case *cases, int n)
{
    static const mutation muts[] = {
        {"lstm_teacher_b5_h37", "LSTM gate blocks j and f swapped", swap_lstm_j_f},
        {"lstm_bias_teacher", "LSTM gate blocks j and f swapped", swap_lstm_j_f},
        {"lstm_teacher_b5_h37", "forget_bias dropped (1 -> 0)", drop_forget_bias},
        {"lstm_greedy_b5_h37", "forget_bias dropped (1 -> 0)", drop_forget_bias},
        {"lstm_fb0_teacher", "forget_bias added (0 -> 1)", add_forget_bias},
        {"gru_teacher_b5_h37", "GRU gates r and u swapped", swap_gru_r_u},
        {"lstm_bias_teacher", "bias zeroed", zero_bias},
        {"rnn_bias_teacher", "bias zeroed", zero_bias},
        {"gru_bias_teacher", "GRU candidate bias zeroed", zero_candidate_bias},
        {"gru_greedy_b5_h37", "embedding rows swapped pairwise", swap_embedding_rows},
        /* issue 13: each extra of the model matters on its golden case */
        {"lstm_peep", "peepholes zeroed", zero_peepholes},
        {"lstm_l3_res2_proj", "peepholes zeroed", zero_peepholes},
        {"lstm_l3_res2_proj", "ResidualWrapper dropped", drop_residual},
        {"rnn_l3_res2_greedy", "ResidualWrapper dropped", drop_residual},
        {"lstm_clip", "cell_clip dropped", drop_cell_clip},
        {"lstm_proj_pclip", "proj_clip dropped", drop_proj_clip},
        {"lstm_l2", "layers 0 and 1 biases swapped", swap_layer_biases},
        {"gru_l2", "layers 0 and 1 biases swapped", swap_layer_biases},
    };
    for (size_t k = 0; k < sizeof muts / sizeof muts[0]; k++)
        expect_failure(cases, n, &muts[k]);
}

/* ---- damaged golden files are errors, never skips ---- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[8192];
    size_t got;
    int rc = in && out ? 0 : -1;
    while (!rc && (got = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, got, out) == got ? 0 : -1;
    if (in)
        fclose(in);
    if (out && fclose(out))
        rc = -1;
    return rc;
}

/* Copy a case into tmp (file names from the contract's own tables). */
static int copy_case(const golden_case *c, const char *tmp)
{
    golden g;
    memset(&g, 0, sizeof g);
    ts_tensor_spec s[3 * TS_MAX_SPECS];
    int n = ts_weight_specs(&c->p, &g.t, s);
    n += ts_input_specs(&c->p, &g.t, s + n);
    int no = ts_output_specs(&c->p, &g.expect, true, s + n);
    char from[PATH_N], to[PATH_N];
    pathf(to, "%s/expected", tmp);
    int rc = mkdir(to, 0777);
    for (int k = 0; !rc && k < n + no; k++) {
        const char *sub = k < n ? "" : "expected/";
        pathf(from, "%s/%s/%s%s", golden_dir, c->name, sub, s[k].file);
        pathf(to, "%s/%s%s", tmp, sub, s[k].file);
        rc = copy_file(from, to);
    }
    return rc;
}

static void expect_load_error(const golden_case *c, const char *dir, const char *needle)
{
    golden g;
    ts_err e = {{0}};
    int rc = golden_load(dir, &c->p, &g, &e);
    CHECK_ERR(rc, e, needle);
    golden_free(&g);
}

static void damaged_files_fail(const golden_case *cases, int n)
{
    const golden_case *c = find_case(cases, n, "lstm_greedy_b1");
    char tmp[] = "/tmp/tiedseq-golden-XXXXXX", path[PATH_N];
    if (!c || !mkdtemp(tmp)) {
        CHECK(c && 0);
        return;
    }
    CHECK(copy_case(c, tmp) == 0);
    golden g;
    ts_err e = {{0}};
    CHECK_MSG(golden_load(tmp, &c->p, &g, &e) == 0, "intact copy: %s", e.msg);
    golden_free(&g);
    /* checked in load order: outputs' files, then symbols.npy last */
    CHECK(unlink(pathf(path, "%s/expected/symbols.npy", tmp)) == 0); /* missing */
    expect_load_error(c, tmp, "symbols.npy: cannot open");
    CHECK(truncate(pathf(path, "%s/expected/states_c.npy", tmp), 100) == 0); /* truncated */
    expect_load_error(c, tmp, "states_c.npy: truncated");
    CHECK(unlink(pathf(path, "%s/decoder_inputs.npy", tmp)) == 0); /* missing input */
    expect_load_error(c, tmp, "decoder_inputs.npy: cannot open");
    ts_problem wrong = c->p; /* a shape that disagrees with the manifest */
    wrong.H += 1;
    pathf(path, "%s/%s", golden_dir, c->name);
    CHECK_ERR(golden_load(path, &wrong, &g, &e), e, "shape");
    golden_free(&g);
    expect_load_error(c, "/nonexistent/golden-case", "cannot open");
    /* clean up the copy (every file the contract names, then the folders) */
    ts_tensor_spec s[3 * TS_MAX_SPECS];
    int nw = ts_weight_specs(&c->p, &g.t, s), k = 0;
    nw += ts_input_specs(&c->p, &g.t, s + nw);
    int no = ts_output_specs(&c->p, &g.expect, true, s + nw);
    for (; k < nw + no; k++) {
        pathf(path, "%s/%s%s", tmp, k < nw ? "" : "expected/", s[k].file);
        unlink(path);
    }
    pathf(path, "%s/expected", tmp);
    CHECK(rmdir(path) == 0 && rmdir(tmp) == 0);
}

int main(int argc, char **argv)
{
    golden_dir = argc > 1 ? argv[1] : TS_SOURCE_DIR "/tests/golden";
    static golden_case cases[MAX_CASES];
    int n = 0;
    ts_err e = {{0}};
    int rc = read_manifest(golden_dir, cases, &n, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    char prov[PATH_N];
    pathf(prov, "%s/provenance.json", golden_dir);
    CHECK_MSG(access(prov, R_OK) == 0, "%s: missing (written by make_golden.py with the manifest)", prov);
    if (rc)
        return ts_test_done("test_golden");
    for (int k = 0; k < n; k++)
        check_case(&cases[k]);
    printf("golden: %d cases; worst passing error %.3f of the tolerance\n", n, worst_ratio_seen);
    semantics_changes_fail(cases, n);
    damaged_files_fail(cases, n);
    return ts_test_done("test_golden");
}
