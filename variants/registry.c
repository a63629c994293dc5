#include "variant.h"
#include "peer.h"

#include <stdio.h>
#include <string.h>

const ts_variant *const ts_variants[] = {
#define TS_VARIANT(id) &ts_variant_##id,
#include "variants.def"
#undef TS_VARIANT
};
const size_t ts_variant_count = sizeof ts_variants / sizeof ts_variants[0];

const ts_variant *ts_variant_find(const char *name)
{
    for (size_t k = 0; k < ts_variant_count; k++)
        if (!strcmp(ts_variants[k]->name, name))
            return ts_variants[k];
    return ts_peer_find(name); /* peers run only when named */
}

int ts_variant_prepare(const ts_variant *v, const ts_problem *p, const ts_weights *w, ts_plan **plan, ts_err *e)
{
    return v->prepare(v->impl, p, w, plan, e);
}

bool ts_variant_isa_ok(const ts_variant *v, char *why, size_t n)
{
    uint32_t have = ts_cpu_isa();
    if ((have & v->isa) == v->isa)
        return true;
    char need[128], got[128];
    ts_isa_names(v->isa & ~have, need, sizeof need);
    ts_isa_names(have, got, sizeof got);
    const char *amx = (v->isa & ~have & TS_ISA_AMX_BF16) ? ts_cpu_amx_why() : "";
    snprintf(why, n, "needs %s; CPU has %s%s%s%s", need, got, *amx ? " (" : "", amx, *amx ? ")" : "");
    return false;
}

bool ts_variant_available(const ts_variant *v, const ts_problem *p, char *why, size_t n)
{
    if (!ts_variant_isa_ok(v, why, n))
        return false;
    return v->supports ? v->supports(p, why, n) : true;
}
