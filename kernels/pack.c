/* Gate-interleaved panel packing (see pack.h for the layout). */
#include "pack.h"

#include <string.h>

/* Copy rows [r0, r0+nrows) of kernel into panel-major dst[panels][nrows][nw]. */
static void pack_rows(const ts_pset *ps, const float *kernel, int64_t r0, int64_t nrows, float *dst)
{
    const int64_t cols = ps->gates * ps->H;
    for (int64_t p = 0; p < ps->panels; p++)
        for (int64_t k = 0; k < nrows; k++) {
            const float *src = kernel + (r0 + k) * cols;
            float *row = dst + (p * nrows + k) * ps->nw;
            for (int64_t c = 0; c < ps->nw; c++) {
                int64_t g = c / ps->upp, u = p * ps->upp + c % ps->upp;
                row[c] = u < ps->H ? src[g * ps->H + u] : 0.0f;
            }
        }
}

int ts_pset_pack(ts_pset *ps, const float *kernel, const float *bias, int64_t I, int64_t R, int64_t H,
                 int64_t Hp, int gates, int lanes, int fb_gate, float fb, ts_err *e)
{
    memset(ps, 0, sizeof *ps);
    ps->gates = gates;
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
    ps->wx = ts_alloc_big(per_row * (size_t)I * sizeof(float), &hx);
    ps->wh = R ? ts_alloc_big(per_row * (size_t)R * sizeof(float), &hh) : NULL;
    ps->huge = hx || hh;
    ps->bias = ts_alloc(per_row * sizeof(float));
    if (!ps->wx || (R && !ps->wh) || !ps->bias) {
        ts_pset_free(ps);
        return ts_fail(e, "pack: out of memory for %.1f MiB of packed weights",
                       (double)per_row * (double)(I + R + 1) * 4.0 / (1 << 20));
    }
    pack_rows(ps, kernel, 0, I, ps->wx);
    if (R)
        pack_rows(ps, kernel, I, R, ps->wh);
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
