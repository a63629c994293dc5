/* bf16 (issue 14): the rounding, the packing layouts, the verification method.
 *
 *   - ts_bf16_round is round-to-nearest-even (ties to even, NaN quiet, overflow
 *     to inf) and ts_bf16_trunc drops the low half;
 *   - the BF16 and BF16_PAIRS panels hold exactly bf16(W) where pack.h says,
 *     and a dot product over BF16_PAIRS by the portable emulation of
 *     vdpbf16ps (kernels/ukernel/bf16-emu.h) equals the bf16-operand dot product;
 *   - the avx512-bf16 template path (k pairs, vdpbf16ps emulated), the
 *     amx-bf16 kernels (tiles emulated: amx-emu.h, tests/test_amx_emu.c) and,
 *     where the CPU has AVX2, avx2-bf16 pass the bf16 verification on every
 *     cell, both feeds, layers, residual, peepholes, clip and projection, for
 *     B from 1 to 33 (the tiles' row tails: B % 16);
 *   - the method can fail: the same outputs against a reference that
 *     truncates instead of rounding, or that leaves h (r*h) unrounded, FAIL;
 *     a wrong gate (weights perturbed) FAILs;
 *   - drift from fp32 is measured (non-zero) and fp32 variants report none. */
#include "harness/check/verify.h"
#include "kernels/ukernel/simd-generic.h"
#include "kernels/ukernel/bf16-emu.h"
#include "tests/check.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void test_rounding(void)
{
    CHECK(bits(ts_bf16_round(from_bits(0x3f808000u))) == 0x3f800000u); /* tie, kept part even: down */
    CHECK(bits(ts_bf16_round(from_bits(0x3f818000u))) == 0x3f820000u); /* tie, kept part odd: up */
    CHECK(bits(ts_bf16_round(from_bits(0x3f808001u))) == 0x3f810000u); /* above the tie: up */
    CHECK(bits(ts_bf16_round(from_bits(0xbf807fffu))) == 0xbf800000u); /* below: down (sign kept) */
    CHECK(isinf(ts_bf16_round(from_bits(0x7f7fffffu))));               /* FLT_MAX rounds to inf */
    CHECK(isnan(ts_bf16_round(NAN)) && (ts_bf16_bits(from_bits(0x7f800001u)) & 0x40)); /* quiet NaN */
    CHECK(ts_bf16_round(INFINITY) == INFINITY && ts_bf16_round(-0.0f) == 0 && signbit(ts_bf16_round(-0.0f)));
    CHECK(bits(ts_bf16_trunc(from_bits(0x3f81ffffu))) == 0x3f810000u);
    /* RNE's error is at most half a bf16 ulp: 2^-8 relative */
    uint64_t s = 1;
    double worst = 0;
    for (int k = 0; k < 100000; k++) {
        float x = ts_rand_uniform(&s, -4, 4);
        double r = fabs((double)ts_bf16_round(x) - x) / fabs((double)x);
        worst = r > worst ? r : worst;
    }
    CHECK_MSG(worst <= 1.0 / 256 && worst > 1.0 / 512, "worst relative error %g", worst);
}

/* Every packed element sits where pack.h says, rounded once. */
static void test_layouts(void)
{
    const int64_t I = 5, R = 7, H = 9, gates = 4, lanes = 4, Hp = 12;
    const int64_t cols = gates * H;
    float *k = malloc(sizeof(float) * (size_t)((I + R) * cols)), bias[36];
    uint64_t s = 3;
    for (int64_t q = 0; q < (I + R) * cols; q++)
        k[q] = ts_rand_uniform(&s, -1, 1);
    for (int q = 0; q < 36; q++)
        bias[q] = (float)q;
    for (int f = TS_WFMT_BF16; f <= TS_WFMT_BF16_PAIRS; f++) {
        ts_pset ps;
        ts_err e;
        CHECK(ts_pset_pack(&ps, k, bias, I, R, H, Hp, (int)gates, (int)lanes, 2, 1.0f, (ts_wfmt)f, &e) == 0);
        CHECK(ps.esize == 2 && ps.Rs == (f == TS_WFMT_BF16_PAIRS ? 8 : 7));
        int bad = 0;
        for (int64_t p = 0; p < ps.panels; p++) {
            const uint16_t *wh = ts_pset_wh(&ps, p);
            for (int64_t r = 0; r < ps.Rs; r++)
                for (int64_t c = 0; c < ps.nw; c++) {
                    int64_t g = c / ps.upp, u = p * ps.upp + c % ps.upp;
                    float want = u < H && r < R ? ts_bf16_round(k[(I + r) * cols + g * H + u]) : 0.0f;
                    int64_t at = f == TS_WFMT_BF16 ? r * ps.nw + c : (r & ~1) * ps.nw + 2 * c + (r & 1);
                    bad += bits(want) >> 16 != wh[at];
                }
        }
        CHECK_MSG(bad == 0, "format %d: %d misplaced weights", f, bad);
        ts_pset_free(&ps);
    }
    free(k);
}

/* A column of a BF16_PAIRS panel through the emulated vdpbf16ps, against the
 * double dot product of the same bf16 operands: the pairs line up. */
static void test_pairs_emulation(void)
{
    const int64_t K = 37, H = 16, lanes = 4; /* odd K: the last pair's partner is the zero row */
    float *k = malloc(sizeof(float) * (size_t)(K * H)), a[37];
    uint64_t s = 9;
    for (int64_t q = 0; q < K * H; q++)
        k[q] = ts_rand_uniform(&s, -1, 1);
    for (int q = 0; q < K; q++)
        a[q] = ts_rand_uniform(&s, -1, 1);
    ts_pset ps;
    ts_err e;
    CHECK(ts_pset_pack(&ps, k, NULL, K, 0, H, H, 1, (int)lanes, -1, 0, TS_WFMT_BF16_PAIRS, &e) == 0);
    double worst = 0;
    for (int64_t p = 0; p < ps.panels; p++) {
        const uint32_t *w = ts_pset_wx(&ps, p); /* one 32-bit pair per column per k pair */
        for (int64_t c = 0; c < ps.nw; c++) {
            float acc = 0;
            double ref = 0, mag = 0;
            for (int64_t j = 0; j < (K + 1) / 2; j++) {
                float lo = a[2 * j], hi = 2 * j + 1 < K ? a[2 * j + 1] : 0.0f;
                uint32_t pair = ts_bf16_bits(lo) | (uint32_t)ts_bf16_bits(hi) << 16;
                acc = ts_emu_dpbf16_lane(acc, pair, w[j * ps.nw + c]);
            }
            for (int64_t q = 0; q < K; q++) {
                double t = (double)ts_bf16_round(a[q]) * ts_bf16_round(k[q * H + p * ps.upp + c]);
                ref += t, mag += fabs(t);
            }
            double err = fabs(acc - ref) / (mag * K * FLT_EPSILON);
            worst = err > worst ? err : worst;
        }
    }
    CHECK_MSG(worst <= 1.0, "emulated vdpbf16ps off the bf16 dot product by %.3g of K*eps*sum|.|", worst);
    ts_pset_free(&ps);
    free(k);
}

/* The avx512-bf16 template path on generic vectors with vdpbf16ps emulated. */
static const ts_variant emu_variant = {
    .name = "generic-bf16-emu", .summary = "test only", .isa = 0, .precision = TS_PREC_BF16,
    .impl = &ts_ukernels_generic_bf16_emu, TS_UNROLL_OPS,
};
/* amx-bf16's kernels (amx-tile.inc.h) over 16-lane generic vectors, tiles emulated */
static const ts_variant amx_emu_variant = {
    .name = "generic-amx-emu", .summary = "test only", .isa = 0, .precision = TS_PREC_BF16,
    .impl = &ts_ukernels_generic_amx_emu, TS_UNROLL_OPS,
};

/* One problem: the variant passes the bf16 method, and the mutated references FAIL. */
static void check_variant(const ts_variant *v, const char *desc, bool mutations)
{
    ts_problem p;
    ts_err e;
    CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s: %s", desc, e.msg);
    char why[256];
    if (!ts_variant_available(v, &p, why, sizeof why))
        return;
    ts_tensors t;
    ts_result ref, got;
    CHECK(ts_tensors_alloc(&t, &p, &e) == 0 && ts_result_alloc(&ref, &p, true, &e) == 0 &&
          ts_result_alloc(&got, &p, true, &e) == 0);
    ts_tensors_fill(&t, 1234);
    CHECK(ts_reference_run(&p, &t.w, &t.in, &ref.o, NULL, &e) == 0);
    CHECK_MSG(ts_run_variant(v, &p, &t.w, &t.in, &got.o, &e) == 0, "%s", e.msg);
    ts_verdict vd;
    ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, NULL, &vd);
    CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL, "%s %s: %s %s", v->name, desc,
              ts_status_name(vd.status), vd.reason);
    CHECK_MSG(vd.drift.valid && vd.drift.state_max > 0 && vd.drift.state_max < 0.1, "%s %s: drift %g", v->name,
              desc, vd.drift.state_max);
    printf("%-16s %-40s %-8s step %.3f  e2e %.4f  drift out %.2e/%.2e state %.2e  sym %.3f first %lld\n", v->name,
           desc, ts_status_name(vd.status), vd.worst_ratio, vd.e2e_ratio, vd.drift.out_max, vd.drift.out_rms,
           vd.drift.state_max, vd.drift.sym_agree, (long long)vd.drift.first_div);
    if (mutations && p.D >= 2) { /* the step-local check needs two decoder steps */
        ts_ref_numerics trunc = {.precision = TS_PREC_BF16, .round = ts_bf16_trunc};
        ts_ref_numerics keep_h = {.precision = TS_PREC_BF16, .keep_state = true};
        ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, &trunc, &vd);
        CHECK_MSG(vd.status == TS_FAIL, "%s %s: truncation instead of RNE gave %s", v->name, desc,
                  ts_status_name(vd.status));
        ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, &keep_h, &vd);
        CHECK_MSG(vd.status == TS_FAIL, "%s %s: a missed rounding of h gave %s", v->name, desc,
                  ts_status_name(vd.status));
        /* wrong weights: layer 0's recurrent rows off by 3 % */
        const int64_t G = p.cell == TS_CELL_GRU ? 2 : ts_cell_gates(p.cell);
        for (int64_t j = 0; j < G * p.H * ts_out_width(&p); j++)
            t.w.cell[0].kernel[p.I * G * p.H + j] *= 1.03f;
        ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, NULL, &vd);
        CHECK_MSG(vd.status == TS_FAIL, "%s %s: a 3 %% weight error gave %s (%s)", v->name, desc,
                  ts_status_name(vd.status), vd.reason);
    }
    ts_result_free(&got);
    ts_result_free(&ref);
    ts_tensors_free(&t);
}

/* The mode for variants that store h in bf16 (onednn-bf16's .bf16_state, which
 * cannot run here): outputs made by the reference in that mode pass the bf16
 * method with state_bf16 and FAIL without it (their h is up to half a bf16 ulp
 * from the fp32 step), so the mode is both consistent and needed. */
static void test_state_bf16(const char *desc)
{
    ts_problem p;
    ts_err e;
    CHECK_MSG(ts_problem_parse(desc, &p, &e) == 0, "%s: %s", desc, e.msg);
    ts_tensors t;
    ts_result ref, got;
    CHECK(ts_tensors_alloc(&t, &p, &e) == 0 && ts_result_alloc(&ref, &p, true, &e) == 0 &&
          ts_result_alloc(&got, &p, true, &e) == 0);
    ts_tensors_fill(&t, 99);
    ts_weights wr;
    float *store = NULL;
    ts_ref_numerics stored = {.precision = TS_PREC_BF16, .state_bf16 = true}, plain = {.precision = TS_PREC_BF16};
    CHECK(ts_reference_run(&p, &t.w, &t.in, &ref.o, NULL, &e) == 0);
    CHECK(ts_weights_round_bf16(&p, &t.w, NULL, &wr, &store, &e) == 0);
    CHECK(ts_reference_run_nx(&p, &wr, &t.in, &got.o, NULL, &stored, &e) == 0);
    int inexact = 0; /* every stored h is a bf16 value */
    for (int64_t k = 0; k < p.D * p.B * ts_out_width(&p); k++)
        inexact += ts_bf16_round(got.o.states_h[k]) != got.o.states_h[k];
    CHECK_MSG(inexact == 0, "%s: %d stored h not bf16", desc, inexact);
    ts_verdict vd;
    ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, &stored, &vd);
    CHECK_MSG(vd.status == TS_PASS || vd.status == TS_MARGINAL, "%s bf16 state: %s %s", desc,
              ts_status_name(vd.status), vd.reason);
    ts_verify_bf16(&p, &t.w, &t.in, &got.o, &ref.o, &plain, &vd);
    CHECK_MSG(vd.status == TS_FAIL, "%s bf16 state checked as fp32 state: %s", desc, ts_status_name(vd.status));
    free(store);
    ts_result_free(&got);
    ts_result_free(&ref);
    ts_tensors_free(&t);
}

int main(void)
{
    test_state_bf16("lstm:b3:i5:h37:e7:d7:teacher");
    test_state_bf16("gru:b2:i9:h17:e4:d6:greedy:v11");
    test_state_bf16("rnn:b4:i8:h33:e5:d5:teacher");
    test_rounding();
    test_layouts();
    test_pairs_emulation();
    static const char *const probs[] = {
        "lstm:b3:i5:h37:e7:d7:teacher:t1",      "gru:b3:i5:h37:e7:d7:greedy:v11:t2",
        "rnn:b1:i64:h64:e25:d25:teacher:t1",    "lstm:b4:i128:h128:e25:d25:greedy:v1000:t2",
        "gru:b7:i33:h65:e5:d6:teacher:t1",      "lstm:b2:i9:h17:e4:d5:teacher:l3:res2:t2",
        "lstm:b3:i7:h19:e4:d6:greedy:v9:peep:clip3:proj11:pclip2:t1", "rnn:b5:i9:h17:e5:d0:teacher:t2",
        "lstm:b1:i31:h33:e3:d3:teacher:l2:t1",
        /* batches past one 16-row tile, with their tails (B % 16 = 1) */
        "lstm:b17:i40:h50:e5:d5:teacher:t2",    "gru:b33:i20:h70:e4:d5:greedy:v30:t1",
        "rnn:b17:i33:h19:e4:d4:greedy:v13:t2",  "lstm:b33:i9:h17:e3:d4:teacher:l2:res2:t2",
        "lstm:b17:i7:h19:e3:d4:teacher:peep:clip3:proj11:pclip2:t1", "gru:b5:i70:h33:e4:d4:teacher:l2:t2",
    };
    const ts_variant *avx2 = ts_variant_find("avx2-bf16");
    for (size_t k = 0; k < sizeof probs / sizeof probs[0]; k++) {
        check_variant(&emu_variant, probs[k], true);
        check_variant(&amx_emu_variant, probs[k], true);
        if (avx2)
            check_variant(avx2, probs[k], true);
    }
    /* fp32 variants report no drift */
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b2:i5:h9:e3:d3:teacher", &p, &e) == 0);
    ts_verdict vd;
    ts_verify_variant(ts_variant_find("naive"), &p, 1, &vd);
    CHECK(vd.status == TS_PASS && !vd.drift.valid);
    printf("%d checks, %d failures\n", ts_test_checks, ts_test_failures);
    return ts_test_failures != 0;
}
