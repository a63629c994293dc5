/* libFuzzer: the descriptor parser.  Any input either is refused with a message or
 * parses; a parsed problem must print (ts_problem_format) and parse back to the
 * same problem, and its printed form must be a fixed point. */
#include "kernels/tiedseq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_problem: %s: '%s' / '%s'\n", what, a, b);
    abort();
}

static int same(const ts_problem *a, const ts_problem *b)
{
    /* field by field (the struct has padding); floats bitwise, so -0 stays -0 */
    return a->cell == b->cell && a->B == b->B && a->I == b->I && a->H == b->H && a->E == b->E &&
           a->D == b->D && a->feed == b->feed && a->V == b->V && a->threads == b->threads &&
           !memcmp(&a->forget_bias, &b->forget_bias, sizeof a->forget_bias) && a->layers == b->layers &&
           a->res_from == b->res_from && a->peep == b->peep && a->P == b->P &&
           a->has_cell_clip == b->has_cell_clip && a->has_proj_clip == b->has_proj_clip &&
           !memcmp(&a->cell_clip, &b->cell_clip, sizeof a->cell_clip) &&
           !memcmp(&a->proj_clip, &b->proj_clip, sizeof a->proj_clip);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char in[512];
    if (size >= sizeof in || memchr(data, '\0', size))
        return 0; /* a C string cannot hold NUL; the parser's own length limit is 255 */
    memcpy(in, data, size);
    in[size] = '\0';
    ts_problem p, q;
    ts_err e;
    if (ts_problem_parse(in, &p, &e)) {
        if (!e.msg[0] || strchr(e.msg, '\n'))
            fail("error message empty or not one line", in, e.msg);
        return 0;
    }
    char out[256], again[256];
    if (ts_problem_format(&p, out, sizeof out) < 0)
        fail("a parsed problem does not format", in, "");
    if (ts_problem_parse(out, &q, &e))
        fail("the canonical form does not parse", out, e.msg);
    if (!same(&p, &q))
        fail("round trip changed the problem", in, out);
    if (ts_problem_format(&q, again, sizeof again) < 0 || strcmp(out, again))
        fail("canonical form is not a fixed point", out, again);
    return 0;
}
