#include "cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { uint32_t bit; const char *name; } isa_table[] = {
    {TS_ISA_AVX2, "avx2"},         {TS_ISA_FMA, "fma"},           {TS_ISA_AVX512F, "avx512f"},
    {TS_ISA_AVX512VL, "avx512vl"}, {TS_ISA_AVX512BW, "avx512bw"}, {TS_ISA_AVX512DQ, "avx512dq"},
};

static uint32_t detect(void)
{
    __builtin_cpu_init(); /* libgcc also checks XCR0: the OS saves the wide registers */
    uint32_t isa = 0;
    if (__builtin_cpu_supports("avx2")) isa |= TS_ISA_AVX2;
    if (__builtin_cpu_supports("fma")) isa |= TS_ISA_FMA;
    if (__builtin_cpu_supports("avx512f")) isa |= TS_ISA_AVX512F;
    if (__builtin_cpu_supports("avx512vl")) isa |= TS_ISA_AVX512VL;
    if (__builtin_cpu_supports("avx512bw")) isa |= TS_ISA_AVX512BW;
    if (__builtin_cpu_supports("avx512dq")) isa |= TS_ISA_AVX512DQ;
    return isa;
}

uint32_t ts_cpu_isa(void)
{
    uint32_t isa = detect();
    const char *cap = getenv("TS_MAX_ISA");
    if (!cap || !*cap)
        return isa;
    if (!strcmp(cap, "baseline") || !strcmp(cap, "sse2"))
        return 0;
    if (!strcmp(cap, "avx2"))
        return isa & TS_ISA_AVX2_FMA;
    return isa; /* "avx512" or anything else: no cap */
}

void ts_isa_names(uint32_t isa, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof isa_table / sizeof isa_table[0]; k++)
        if (isa & isa_table[k].bit) {
            int w = snprintf(buf + used, n - used, "%s%s", used ? " " : "", isa_table[k].name);
            if (w < 0 || (size_t)w >= n - used)
                return;
            used += (size_t)w;
        }
    if (!used)
        snprintf(buf, n, "baseline");
}

void ts_cpuinfo_field(const char *key, char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    size_t klen = strlen(key);
    char line[8192]; /* the flags line of a modern x86 is over 1500 characters */
    while (fgets(line, sizeof line, f)) {
        char *v = strchr(line, ':');
        if (strncmp(line, key, klen) || !v || strspn(line + klen, " \t") != (size_t)(v - line - klen))
            continue;
        v += 1 + strspn(v + 1, " \t");
        v[strcspn(v, "\r\n")] = '\0';
        snprintf(buf, n, "%s", v);
        break;
    }
    fclose(f);
}

void ts_cpu_model(char *buf, size_t n) { ts_cpuinfo_field("model name", buf, n); }
