/* Gate-interleaved panel packing (see pack.h for the layout). */
#include "pack.h"

#include <string.h>

/* Weight (row k of the nrows taken from r0, packed column c of panel p); zero
 * past H and past the rows (the pair of an odd last row). */
static float src_weight(const ts_pset *ps, const float *kernel, int64_t r0, int64_t nrows, int64_t p,
                        int64_t k, int64_t c)
{
    int64_t g = c / ps->upp, u = p * ps->upp + c % ps->upp;
    return u < ps->H && k < nrows ? kernel[(r0 + k) * ps->gates * ps->H + g * ps->H + u] : 0.0f;
}

/* Element index of (row k, column c) inside one panel of the format (pack.h). */
static int64_t packed_index(const ts_pset *ps, int64_t k, int64_t c)
{
    if (ps->fmt != TS_WFMT_BF16_PAIRS)
        return k * ps->nw + c;
    return (k & ~(int64_t)1) * ps->nw + 2 * c + (k & 1);
}

/* Rows [r0, r0+nrows) of kernel into panel-major dst[panels][stored][nw] in
 * the set's format: fp32 copied, bf16 rounded once (RNE). */
static void pack_rows(const ts_pset *ps, const float *kernel, int64_t r0, int64_t nrows, int64_t stored,
                      void *dst)
{
    for (int64_t p = 0; p < ps->panels; p++)
        for (int64_t k = 0; k < stored; k++)
            for (int64_t c = 0; c < ps->nw; c++) {
                float v = src_weight(ps, kernel, r0, nrows, p, k, c);
                int64_t at = p * stored * ps->nw + packed_index(ps, k, c);
                if (ps->fmt == TS_WFMT_F32)
                    ((float *)dst)[at] = v;
                else
                    ((uint16_t *)dst)[at] = ts_bf16_bits(v);
            }
}

int ts_pset_pack(ts_pset *ps, const float *kernel, const float *bias, int64_t I, int64_t R, int64_t H,
                 int64_t Hp, int gates, int lanes, int fb_gate, float fb, ts_wfmt fmt, ts_err *e)
{
    memset(ps, 0, sizeof *ps);
    ps->gates = gates;
    ps->fmt = fmt;
    ps->esize = fmt == TS_WFMT_F32 ? 4 : 2;
    ps->Is = fmt == TS_WFMT_BF16_PAIRS ? (I + 1) & ~(int64_t)1 : I;
    ps->Rs = fmt == TS_WFMT_BF16_PAIRS ? (R + 1) & ~(int64_t)1 : R;
    ps->nw = (int64_t)TS_PANEL_VECS * lanes;
    ps->upp = ps->nw / gates;
    ps->I = I;
    ps->R = R;
    ps->H = H;
    if (ps->upp * gates != ps->nw || Hp % ps->upp)
        return ts_fail(e, "pack: %d gates do not tile %lld units in panels of %lld", gates,
                       (long long)Hp, (long long)ps->upp);
    ps->panels = Hp / ps->upp;
    size_t per_row = (size_t)(ps->panels * ps->nw);
    bool hx = false, hh = false;
    ps->wx = ts_alloc_big(per_row * (size_t)(ps->Is ? ps->Is : 1) * (size_t)ps->esize, &hx);
    ps->wh = R ? ts_alloc_big(per_row * (size_t)ps->Rs * (size_t)ps->esize, &hh) : NULL;
    ps->huge = hx || hh;
    ps->bias = ts_alloc(per_row * sizeof(float));
    if (!ps->wx || (R && !ps->wh) || !ps->bias) {
        ts_pset_free(ps);
        return ts_fail(e, "pack: out of memory for %.1f MiB of packed weights",
                       (double)per_row * (double)(ps->Is * ps->esize + ps->Rs * ps->esize + 4) / (1 << 20));
    }
    pack_rows(ps, kernel, 0, I, ps->Is, ps->wx);
    if (R)
        pack_rows(ps, kernel, I, R, ps->Rs, ps->wh);
    for (int64_t p = 0; p < ps->panels; p++)
        for (int64_t c = 0; c < ps->nw; c++) {
            int64_t g = c / ps->upp, u = p * ps->upp + c % ps->upp;
            float b = u < H && bias ? bias[g * H + u] : 0.0f;
            ps->bias[p * ps->nw + c] = u < H && g == fb_gate ? b + fb : b;
        }
    return 0;
}

void ts_pset_free(ts_pset *ps)
{
    ts_free(ps->wx);
    ts_free(ps->wh);
    ts_free(ps->bias);
    memset(ps, 0, sizeof *ps);
}
