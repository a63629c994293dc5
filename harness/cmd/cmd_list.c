#include "harness/cli.h"
#include "variants/peer.h"

#include <string.h>

int ts_cmd_list(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: tiedseq list\n\nEvery registered variant, the ISA it needs, and whether it runs on\n"
               "this CPU (TS_MAX_ISA=baseline|avx2 caps the detected ISA); then the peers\n"
               "(TensorFlow, PyTorch), which run only when named.\n");
        return 0;
    }
    if (argc > 1) {
        ts_cli_error("list", "unexpected argument '%s' (tiedseq list --help)", argv[1]);
        return TS_EXIT_USAGE;
    }
    char model[256], isa[128];
    ts_cpu_model(model, sizeof model);
    ts_isa_names(ts_cpu_isa(), isa, sizeof isa);
    const char *amx = ts_cpu_amx_why(); /* AMX needs the CPU, XCR0 and Linux's permission */
    printf("CPU: %s [%s]%s%s%s\n\n%-14s %-9s %-46s %-11s %s\n", model, isa, *amx ? "; no amx_bf16: " : "", amx,
           *amx ? "" : "", "variant", "precision", "needs", "status",
           "summary");
    for (size_t k = 0; k < ts_variant_count; k++) {
        const ts_variant *v = ts_variants[k];
        char need[128], why[256];
        ts_isa_names(v->isa, need, sizeof need);
        bool ok = ts_variant_isa_ok(v, why, sizeof why);
        printf("%-14s %-9s %-46s %-11s %s%s%s\n", v->name, ts_precision_name(v->precision), need,
               ok ? "available" : "unsupported",
               v->summary, ok ? "" : " -- ", ok ? "" : why);
    }
    /* peers start a Python worker to find out whether they run: only when asked */
    printf("\npeers (only when named: --peers LIST or --variants; docs/peers.md):\n");
    for (size_t k = 0; k < ts_peer_count; k++)
        printf("%-20s %s\n", ts_peers[k]->name, ts_peers[k]->summary);
    return 0;
}
