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
    CHECK(s.kernel == 12 * 14 && s.bias == 14 && s.cand_kernel == 12 * 7 && s.cand_bias == 7);
    CHECK(s.proj_w == 7 * 11 && s.proj_b == 11 && s.embedding == 11 * 5);
    CHECK(s.enc == 2 * 3 * 5 && s.dec == 4 * 3 * 5 && s.out == 4 * 3 * 7 && s.state == 21);

    /* accounting: DESIGN.md §5 by hand */
    CHECK(ts_problem_parse("lstm:b2:i3:h4:e5:d6", &p, &e) == 0);
    CHECK(ts_flops_per_step(&p) == 2.0 * 2 * 7 * 4 * 4);
    CHECK(ts_flops_total(&p) == 11 * 448.0);
    CHECK(ts_weight_bytes(&p) == 4.0 * 4 * 4 * 7);
    CHECK(ts_recurrent_bytes(&p) == 4.0 * 4 * 4 * 4);
    CHECK(ts_problem_parse("rnn:b2:i3:h4:e5:d6:greedy:v10", &p, &e) == 0);
    CHECK(ts_flops_total(&p) == 11 * (2.0 * 2 * 7 * 4) + 5 * (2.0 * 2 * 4 * 10));
    return ts_test_done("test_problem");
}
