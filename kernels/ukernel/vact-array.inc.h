/* Array wrappers over vact.inc.h: TS_VACT_ARRAY(name, fn) defines
 * void name(const float *x, float *y, size_t n), full vectors then one masked tail.
 * Include after a simd-<isa>.h and vact.inc.h. */
#ifndef TS_VACT_ARRAY_INC_H
#define TS_VACT_ARRAY_INC_H

#define TS_VACT_ARRAY(name, fn)                                     \
    void name(const float *x, float *y, size_t n)                   \
    {                                                               \
        size_t k = 0;                                               \
        for (; k + VF_LANES <= n; k += VF_LANES)                    \
            vf_storeu(y + k, fn(vf_loadu(x + k)));                  \
        if (k < n)                                                  \
            vf_storen(y + k, fn(vf_loadn(x + k, (int)(n - k))), (int)(n - k)); \
    }

#endif
