/* amx-bf16 (issue 14) without AMX: its kernels (kernels/ukernel/amx-tile.inc.h)
 * over the emulated tile layer (kernels/ukernel/amx-emu.h).
 *
 *   - the emulated TDPBF16PS does what the Intel SDM says: inputs DAZ, outputs
 *     FTZ, the low and high halves of the pairs summed in two separate chains
 *     then added to C (so it is not vdpbf16ps's order);
 *   - the tile GEMM (the table's xproj: A from the rounded operand, B straight
 *     from the BF16_PAIRS panel, 4 C tiles) equals the double-precision sum of
 *     the bf16-rounded operands, for row tails (rows % 16), K tails (odd K,
 *     K % 32), an operand stride wider than K, several panels; padded columns
 *     are exactly 0 and no row past `rows` is written;
 *   - the amx-bf16 variant is registered and, on a CPU without AMX, reported
 *     unsupported with ts_cpu_amx_why()'s reason (never run).
 * The full bf16 verification of the emulated table (every cell, both feeds,
 * B up to 33, layers, projection) is in tests/test_bf16.c. */
#include "kernels/ukernel/amx-emu.h"
#include "kernels/ukernel/ukernel.h"
#include "tests/check.h"
#include "variants/variant.h"

#include <float.h>
#include <stdlib.h>

static uint16_t bf(float x) { return ts_bf16_bits(x); }

/* one 16x16 C tile += A[16 x 16 pairs] . B[16 pairs x 16], all tiles 16 x 64 bytes */
static void dp_once(uint16_t a[16][32], uint16_t b[16][32], float c[16][16])
{
    static const ts_amx_cfg cfg = {.palette_id = 1, .colsb = {64, 64, 64}, .rows = {16, 16, 16}};
    amx_loadconfig(&cfg);
    amx_tload(0, c, 64);
    amx_tload(1, a, 64);
    amx_tload(2, b, 64);
    amx_tdp(0, 1, 2);
    amx_tstore(0, c, 64);
}

static void test_emu_semantics(void)
{
    uint16_t a[16][32], b[16][32];
    float c[16][16];
    /* DAZ: a denormal bf16 (2^-133) times 2^127 would be 2^-6; read as 0 */
    memset(a, 0, sizeof a), memset(b, 0, sizeof b), memset(c, 0, sizeof c);
    a[0][0] = 0x0001, b[0][0] = bf(0x1p127f);
    dp_once(a, b, c);
    CHECK_MSG(c[0][0] == 0.0f, "denormal input not treated as zero: %g", c[0][0]);
    /* FTZ: 2^-70 * 2^-70 = 2^-140, a denormal fp32 result: flushed */
    a[0][0] = bf(0x1p-70f), b[0][0] = bf(0x1p-70f);
    dp_once(a, b, c);
    CHECK_MSG(c[0][0] == 0.0f, "denormal output not flushed: %g", c[0][0]);
    /* the two chains: lo products (1, 0), hi products (2^-24, 2^-24).  The SDM
     * sums each chain first: 1 + (2^-24 + 2^-24) = 1 + 2^-23.  Accumulating
     * pair by pair (vdpbf16ps) would lose both halves to ties: 1. */
    memset(a, 0, sizeof a), memset(b, 0, sizeof b), memset(c, 0, sizeof c);
    a[0][0] = bf(1.0f), a[0][1] = bf(0x1p-24f), a[0][3] = bf(0x1p-24f);
    b[0][0] = b[0][1] = b[1][0] = b[1][1] = bf(1.0f);
    dp_once(a, b, c);
    CHECK_MSG(c[0][0] == 1.0f + 0x1p-23f, "chains: %.9g", c[0][0]);
    /* and C is added last: C = 3, products 1 and 2 in row 2, column 5 */
    memset(a, 0, sizeof a), memset(b, 0, sizeof b), memset(c, 0, sizeof c);
    c[2][5] = 3, a[2][6] = bf(1.0f), a[2][7] = bf(2.0f), b[3][10] = b[3][11] = bf(1.0f);
    dp_once(a, b, c);
    CHECK_MSG(c[2][5] == 6.0f && c[2][4] == 0 && c[3][5] == 0, "placement: %g", c[2][5]);
}

/* c = bias + a @ W through the emulated table's xproj, against the double sum
 * of the bf16-rounded operands; padding columns exactly 0, rows past `rows`
 * untouched */
static double check_gemm(int64_t rows, int64_t K, int64_t lda, int64_t H, uint64_t seed)
{
    const ts_ukernels *uk = &ts_ukernels_generic_amx_emu;
    const int64_t Hp = (H + 63) / 64 * 64;
    float *w = malloc(sizeof(float) * (size_t)(K * H)), *bias = malloc(sizeof(float) * (size_t)H);
    float *a = malloc(sizeof(float) * (size_t)(rows * lda));
    float *c = ts_alloc(sizeof(float) * (size_t)((rows + 1) * 64));
    for (int64_t q = 0; q < K * H; q++)
        w[q] = ts_rand_uniform(&seed, -1, 1);
    for (int64_t q = 0; q < H; q++)
        bias[q] = ts_rand_uniform(&seed, -1, 1);
    for (int64_t q = 0; q < rows * lda; q++)
        a[q] = ts_rand_uniform(&seed, -2, 2);
    ts_pset ps;
    ts_err e;
    CHECK(ts_pset_pack(&ps, w, bias, K, 0, H, Hp, 1, uk->lanes, -1, 0, uk->wfmt, &e) == 0);
    double worst = 0;
    int pad_bad = 0, over = 0;
    for (int64_t p = 0; p < ps.panels; p++) {
        for (int j = 0; j < 64; j++)
            c[rows * 64 + j] = 12345.0f; /* the row after the last */
        uk->xproj(rows, K, a, lda, ts_pset_wx(&ps, p), ts_pset_bias(&ps, p), c);
        for (int j = 0; j < 64; j++)
            over += c[rows * 64 + j] != 12345.0f;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < 64; j++) {
                const int64_t u = p * 64 + j;
                if (u >= H) {
                    pad_bad += c[r * 64 + j] != 0.0f;
                    continue;
                }
                double ref = bias[u], mag = fabs(ref);
                for (int64_t k = 0; k < K; k++) {
                    double t = (double)ts_bf16_round(a[r * lda + k]) * ts_bf16_round(w[k * H + u]);
                    ref += t, mag += fabs(t);
                }
                double err = fabs(c[r * 64 + j] - ref) / (mag * (double)(K + 2) * FLT_EPSILON);
                worst = err > worst ? err : worst;
            }
    }
    CHECK_MSG(pad_bad == 0 && over == 0, "rows %lld K %lld: %d padding columns not 0, %d writes past the rows",
              (long long)rows, (long long)K, pad_bad, over);
    CHECK_MSG(worst <= 1.0, "rows %lld K %lld lda %lld H %lld: off the bf16 dot product by %.3g of (K+2)*eps*sum|.|",
              (long long)rows, (long long)K, (long long)lda, (long long)H, worst);
    ts_pset_free(&ps);
    free(w), free(bias), free(a), ts_free(c);
    return worst;
}

static void test_gemm(void)
{
    static const int64_t rows[] = {1, 5, 15, 16, 17, 33, 48};
    static const int64_t Ks[] = {1, 2, 7, 31, 32, 33, 64, 77};
    double worst = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (size_t j = 0; j < sizeof Ks / sizeof Ks[0]; j++) {
            double w = check_gemm(rows[i], Ks[j], Ks[j] + (int64_t)(i % 3) * 5, 64 + 37 * (int64_t)(j % 2), i * 31 + j);
            worst = w > worst ? w : worst;
        }
    /* the bound is not vacuous: the sums do round */
    CHECK_MSG(worst > 0, "no rounding error anywhere: the check compares nothing");
    printf("tile GEMM: worst error %.3g of (K+2)*eps*sum|.|\n", worst);
}

/* amx-bf16 is registered and, without AMX, says why it cannot run */
static void test_registered(void)
{
#if TS_HAVE_AVX512
    const ts_variant *v = ts_variant_find("amx-bf16");
    CHECK(v && v->precision == TS_PREC_BF16 && (v->isa & TS_ISA_AMX_BF16));
    char why[256] = "";
    if (v && !(ts_cpu_isa() & TS_ISA_AMX_BF16)) {
        CHECK(!ts_variant_isa_ok(v, why, sizeof why));
        CHECK_MSG(*ts_cpu_amx_why() && strstr(why, ts_cpu_amx_why()), "reason '%s'", why);
        printf("amx-bf16 here: %s\n", why);
    }
#endif
}

int main(void)
{
    test_emu_semantics();
    test_gemm();
    test_registered();
    printf("%d checks, %d failures\n", ts_test_checks, ts_test_failures);
    return ts_test_failures != 0;
}
