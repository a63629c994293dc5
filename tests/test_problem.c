/* The descriptor: round trips, strict errors naming the field, size overflow. */
#include "kernels/tiedseq.h"
#include "tests/check.h"

static void roundtrip(const char *in, const char *canonical)
{
    ts_problem p;
    ts_err e = {{0}};
    char buf[128];
    int rc = ts_problem_parse(in, &p, &e);
    CHECK_MSG(rc == 0, "%s: %s", in, e.msg);
    if (rc)
        return;
    ts_problem_format(&p, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, canonical), "%s -> %s, wanted %s", in, buf, canonical);
}

static void bad(const char *in, const char *needle)
{
    ts_problem p;
    ts_err e = {{0}};
    CHECK_ERR(ts_problem_parse(in, &p, &e), e, needle);
}

/* lL resK peep clipX projP pclipX: syntax, canonical order, errors naming the field */
static void model_fields(void)
{
    /* defaults print nothing: every existing descriptor keeps its form */
    roundtrip("lstm:b1:i2:h3:e1:d0:l1", "lstm:b1:i2:h3:e1:d0:teacher:t1");
    roundtrip("gru:b2:i4:h4:e3:d3:res1:l3", "gru:b2:i4:h4:e3:d3:teacher:t1:l3:res1");
    roundtrip("rnn:b2:i3:h4:e3:d3:l16:res2", "rnn:b2:i3:h4:e3:d3:teacher:t1:l16:res2");
    roundtrip("lstm:b2:i3:h4:e3:d3:pclip0.50:proj5:clip3:peep:l2:fb0",
              "lstm:b2:i3:h4:e3:d3:teacher:t1:fb0:l2:peep:clip3:proj5:pclip0.5");
    roundtrip("lstm:b2:i5:h4:e3:d3:proj5:res1", "lstm:b2:i5:h4:e3:d3:teacher:t1:res1:proj5");
    roundtrip("lstm:b1:i2:h3:e1:d1:clip0.000000001", "lstm:b1:i2:h3:e1:d1:teacher:t1:clip0.000000001");
    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b2:i3:h4:e3:d3:l3:res2:peep:clip0.5:proj6:pclip2.25", &p, &e) == 0);
    CHECK(p.layers == 3 && p.res_from == 2 && p.peep && p.has_cell_clip && p.cell_clip == 0.5f);
    CHECK(p.P == 6 && p.has_proj_clip && p.proj_clip == 2.25f && ts_out_width(&p) == 6);
    CHECK(ts_layer_input(&p, 0) == 3 && ts_layer_input(&p, 1) == 6 && ts_layer_input(&p, 2) == 6);
    CHECK(!ts_layer_residual(&p, 0) && ts_layer_residual(&p, 1) && ts_layer_residual(&p, 2));

    bad("lstm:b1:i1:h1:e1:d1:l0", "'l': 0 is out of range (expected 1..16)");
    bad("lstm:b1:i1:h1:e1:d1:l17", "'l': 17 is out of range (expected 1..16)");
    bad("lstm:b1:i1:h1:e1:d1:l2:l3", "'l' given twice");
    bad("lstm:b1:i1:h1:e1:d1:lx", "unknown field 'lx'");
    bad("lstm:b1:i1:h1:e1:d1:l2:res3", "'res': 3 is out of range (expected 1..2");
    bad("lstm:b1:i1:h1:e1:d1:res0", "'res': 0 is out of range");
    bad("lstm:b1:i1:h1:e1:d1:res", "'res': missing value");
    bad("lstm:b1:i3:h4:e1:d1:res1", "'res': layer 1's input width i3 differs from its output width 4");
    bad("lstm:b1:i4:h4:e1:d1:proj3:res1", "'res': layer 1's input width i4 differs from its output width 3");
    bad("lstm:b1:i1:h1:e1:d1:res1:res1", "'res' given twice");
    bad("lstm:b1:i1:h1:e1:d1:peep:peep", "'peep' given twice");
    bad("lstm:b1:i1:h1:e1:d1:peeps", "unknown field 'peeps'");
    bad("lstm:b1:i1:h1:e1:d1:clip0", "'clip' (cell_clip): 0 must be > 0");
    bad("lstm:b1:i1:h1:e1:d1:clip-1", "'clip' (cell_clip): -1 must be > 0");
    bad("lstm:b1:i1:h1:e1:d1:clip1e3", "'clip' (cell_clip): '1e3' is not a plain decimal");
    bad("lstm:b1:i1:h1:e1:d1:clipinf", "'clip'");
    bad("lstm:b1:i1:h1:e1:d1:clip2000000", "'clip' (cell_clip): 2000000 is out of range");
    bad("lstm:b1:i1:h1:e1:d1:clip1:clip2", "'clip' given twice");
    bad("lstm:b1:i1:h1:e1:d1:proj0", "'proj': 0 is out of range (expected 1..1048576)");
    bad("lstm:b1:i1:h1:e1:d1:proj", "'proj': missing value");
    bad("lstm:b1:i1:h1:e1:d1:pclip1", "'pclip': proj_clip needs projN");
    bad("lstm:b1:i1:h1:e1:d1:proj2:pclip0", "'pclip' (proj_clip): 0 must be > 0");
    bad("lstm:b1:i1:h1:e1:d1:proj2:pclip1:pclip1", "'pclip' given twice");
    bad("rnn:b1:i1:h1:e1:d1:peep", "'peep': applies to lstm only");
    bad("gru:b1:i1:h1:e1:d1:clip1", "'clip': applies to lstm only");
    bad("rnn:b1:i1:h1:e1:d1:proj2", "'proj': applies to lstm only");
    bad("gru:b1:i1:h1:e1:d1:proj2:pclip1", "'proj': applies to lstm only");

    /* hand-built problems: the same rules */
    CHECK(ts_problem_parse("lstm:b1:i4:h4:e1:d1", &p, &e) == 0);
    ts_problem q = p;
    q.layers = 0;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'l'");
    q = p, q.res_from = 2;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'res'");
    q = p, q.has_cell_clip = true, q.cell_clip = -1;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'clip'");
    q = p, q.has_proj_clip = true, q.proj_clip = 1;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'pclip'");
    q = p, q.cell = TS_CELL_GRU, q.peep = true;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'peep'");
    q = p, q.P = -1;
    CHECK_ERR(ts_problem_check(&q, &e), e, "'proj'");
    q = p, q.has_cell_clip = true, q.cell_clip = 1e-12f;
    CHECK_ERR(ts_problem_check(&q, &e), e, "descriptor form");

    /* the optimized variants' shared refusal names the feature and the variant */
    char why[128];
    CHECK(ts_problem_is_basic(&p, "avx2", why, sizeof why));
    CHECK(ts_problem_parse("lstm:b1:i4:h4:e1:d1:proj3:pclip1", &p, &e) == 0);
    CHECK(!ts_problem_is_basic(&p, "avx2", why, sizeof why));
    CHECK_MSG(!strcmp(why, "unsupported: projection (proj) not implemented in avx2 yet"), "%s", why);
    CHECK(ts_problem_parse("gru:b1:i4:h4:e1:d1:l2", &p, &e) == 0);
    CHECK(!ts_problem_is_basic(&p, "blocked", why, sizeof why) && strstr(why, "multiple layers (l)"));
}

/* per-layer sizes and the totals, counted by hand */
static void model_sizes(void)
{
    ts_problem p;
    ts_err e;
    ts_sizes s;
    /* L = 3, I = 5, H = 4, P = 3: layer 0 kernel [(5+3) x 16], layers 1, 2 [(3+3) x 16] */
    CHECK(ts_problem_parse("lstm:b2:i5:h4:e3:d6:greedy:v7:l3:peep:proj3", &p, &e) == 0);
    CHECK(ts_problem_sizes(&p, &s, &e) == 0);
    CHECK(s.cell[0].in == 5 && s.cell[0].rows == 8 && s.cell[0].kernel == 8 * 16);
    CHECK(s.cell[1].in == 3 && s.cell[1].rows == 6 && s.cell[2].kernel == 6 * 16);
    CHECK(s.cell[1].bias == 16 && s.cell[1].diag == 4 && s.cell[1].proj_kernel == 4 * 3);
    CHECK(s.cell[0].total == 8 * 16 + 16 + 3 * 4 + 12 && s.cell[1].total == 6 * 16 + 16 + 3 * 4 + 12);
    CHECK(s.weights == s.cell[0].total + 2 * s.cell[1].total && s.cell[3].total == 0);
    CHECK(s.proj_w == 3 * 7 && s.out == 6 * 2 * 3);
    CHECK(s.state_h == 3 * 2 * 3 && s.state_c == 3 * 2 * 4);
    CHECK(s.states_h == 6 * 3 * 2 * 3 && s.states_c == 6 * 3 * 2 * 4);
    ts_layer_sizes ls;
    CHECK(ts_cell_sizes(&p, 2, &ls, &e) == 0 && ls.kernel == 6 * 16);
    CHECK_ERR(ts_cell_sizes(&p, 3, &ls, &e), e, "layer 3 is out of range");
    /* overflow in a deep, wide problem is refused, not wrapped */
    CHECK(ts_problem_parse("lstm:b1:i1048576:h1048576:e1:d1:l16:proj1048576", &p, &e) == 0);
    CHECK_ERR(ts_problem_check_memory(&p, &e), e, "GiB");
}

int main(void)
{
    roundtrip("lstm:b16:i512:h512:e25:d25:teacher:t2", "lstm:b16:i512:h512:e25:d25:teacher:t2");
    roundtrip("gru:h37:b3:i5:e7:d7:greedy:v11", "gru:b3:i5:h37:e7:d7:greedy:v11:t1");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb0", "lstm:b1:i2:h3:e1:d0:teacher:t1:fb0");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb0.25:t4", "lstm:b1:i2:h3:e1:d0:teacher:t4:fb0.25");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb1", "lstm:b1:i2:h3:e1:d0:teacher:t1");
    /* fb prints as the shortest exact decimal, never %g's exponent form */
    roundtrip("lstm:b1:i2:h3:e1:d0:fb0.000001", "lstm:b1:i2:h3:e1:d0:teacher:t1:fb0.000001");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb-1000000", "lstm:b1:i2:h3:e1:d0:teacher:t1:fb-1000000");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb0.100000000", "lstm:b1:i2:h3:e1:d0:teacher:t1:fb0.1");
    roundtrip("lstm:b1:i2:h3:e1:d0:fb007", "lstm:b1:i2:h3:e1:d0:teacher:t1:fb7");


    ts_problem p;
    ts_err e;
    CHECK(ts_problem_parse("lstm:b16:i256:h512:e10:d20:greedy:v7:t2:fb0.5", &p, &e) == 0);
    CHECK(p.cell == TS_CELL_LSTM && p.B == 16 && p.I == 256 && p.H == 512 && p.E == 10 && p.D == 20);
    CHECK(p.feed == TS_FEED_GREEDY && p.V == 7 && p.threads == 2 && p.forget_bias == 0.5f);

    bad("", "empty");
    bad("cnn:b1:i1:h1:e1:d1", "'cell'");
    bad("b1:i1:h1:e1:d1", "'cell'");
    bad("rnn:b0:i1:h1:e1:d1", "'b': 0 is out of range");
    bad("rnn:b-1:i1:h1:e1:d1", "'b'");
    bad("rnn:bx:i1:h1:e1:d1", "'b': 'x' is not");
    bad("rnn:b1:i1:h1:e0:d1", "'e'");
    bad("rnn:b1:i1:h1:e1", "'d' is missing");
    bad("rnn:b1:i1:e1:d1", "'h' is missing");
    bad("rnn:b1:i1:h1:e1:d1:greedy", "'v'");
    bad("rnn:b1:i1:h1:e1:d1:greedy:v0", "'v': 0 is out of range");
    bad("rnn:b1:i1:h1:e1:d1:teacher:v3", "greedy feed only");
    bad("rnn:b1:b2:i1:h1:e1:d1", "'b' given twice");
    bad("rnn:b1:i1:h1:e1:d1:t0", "'t'");
    bad("rnn:b1:i1:h1:e1:d1:fb0", "lstm only");
    bad("lstm:b1:i1:h1:e1:d1:fbx", "'fb'");
    bad("rnn:b1:i1:h1:e1:d1:zz", "unknown field 'zz'");
    bad("rnn:b1::i1:h1:e1:d1", "empty field");
    /* issue #12: strtod/strtok leniencies are refused, each naming the field */
    bad(":lstm:b1:i1:h1:e1:d1", "empty field");
    bad("lstm:b1:i1:h1:e1:d1:", "empty field");
    bad("lstm: b16:i1:h1:e1:d1", "unknown field ' b16'");
    bad("lstm:b 16:i1:h1:e1:d1", "'b'");
    bad("lstm:b1:i1:h1:e1:d1:fb 1", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fb0x10", "'fb'");
    bad("lstm:b0x10:i1:h1:e1:d1", "'b'");
    bad("lstm:b1:i1:h1:e1:d1:fbinf", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fbnan", "'fb'");
    bad("lstm:b+5:i1:h1:e1:d1", "'b'");
    bad("lstm:b1:i1:h1:e1:d1:t+2", "unknown field 't+2'");
    bad("lstm:b1:i1:h1:e1:d1:fb+1", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fb1e3", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fb.5", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fb1.", "'fb'");
    bad("lstm:b1:i1:h1:e1:d1:fb1.0000000001", "at most 9 decimals");
    bad("lstm:b1:i1:h1:e1:d1:fb1000000.5", "out of range");
    bad("lstm:b1:i1:h1:e1:d1:fb", "'fb'");
    bad("lstm:b1\n:i1:h1:e1:d1", "control character (byte 0x0a) at position 7");
    bad("rnn:b99999999999999999999:i1:h1:e1:d1", "'b'");
    bad("rnn:b2000000:i1:h1:e1:d1", "out of range");

    /* sizes: the largest allowed fields overflow no size_t but exceed memory */
    CHECK(ts_problem_parse("lstm:b1048576:i1048576:h1048576:e1048576:d1048576", &p, &e) == 0);
    ts_sizes s;
    int rc = ts_problem_sizes(&p, &s, &e);
    CHECK_ERR(rc, e, "overflow");
    CHECK(ts_problem_parse("lstm:b4096:i4096:h4096:e4096:d4096", &p, &e) == 0);
    CHECK(ts_problem_sizes(&p, &s, &e) == 0);
    rc = ts_problem_check_memory(&p, &e);
    CHECK_ERR(rc, e, "GiB");

    /* a hand-built forget_bias the grammar cannot name is refused, not printed as "1e-12" */
    CHECK(ts_problem_parse("lstm:b1:i2:h3:e1:d0", &p, &e) == 0);
    p.forget_bias = 1e-12f;
    char fbuf[128];
    rc = ts_problem_check(&p, &e);
    CHECK_ERR(rc, e, "no descriptor form");
    CHECK(ts_problem_format(&p, fbuf, sizeof fbuf) == -1);

    /* sizes of a small problem, counted by hand */
    CHECK(ts_problem_parse("gru:b3:i5:h7:e2:d4:greedy:v11", &p, &e) == 0);
    CHECK(ts_problem_sizes(&p, &s, &e) == 0);
    CHECK(s.cell[0].kernel == 12 * 14 && s.cell[0].bias == 14 && s.cell[0].cand_kernel == 12 * 7 &&
          s.cell[0].cand_bias == 7 && s.cell[0].diag == 0 && s.cell[0].proj_kernel == 0);
    CHECK(s.weights == 12 * 14 + 14 + 12 * 7 + 7 && s.cell[1].kernel == 0);
    CHECK(s.proj_w == 7 * 11 && s.proj_b == 11 && s.embedding == 11 * 5);
    CHECK(s.enc == 2 * 3 * 5 && s.dec == 4 * 3 * 5 && s.out == 4 * 3 * 7 && s.state_h == 21 &&
          s.state_c == 0 && s.states_h == 4 * 21 && s.states_c == 0);

    model_fields();
    model_sizes();

    /* accounting: docs/design.md's accounting by hand */
    CHECK(ts_problem_parse("lstm:b2:i3:h4:e5:d6", &p, &e) == 0);
    CHECK(ts_flops_per_step(&p) == 2.0 * 2 * 7 * 4 * 4);
    CHECK(ts_flops_total(&p) == 11 * 448.0);
    CHECK(ts_weight_bytes(&p) == 4.0 * 4 * 4 * 7);
    CHECK(ts_recurrent_bytes(&p) == 4.0 * 4 * 4 * 4);
    CHECK(ts_problem_parse("rnn:b2:i3:h4:e5:d6:greedy:v10", &p, &e) == 0);
    CHECK(ts_flops_total(&p) == 11 * (2.0 * 2 * 7 * 4) + 5 * (2.0 * 2 * 4 * 10));
    return ts_test_done("test_problem");
}
