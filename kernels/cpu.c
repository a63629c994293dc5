#include "cpu.h"

#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux's AMX permission request (asm/prctl.h; spelled out so older headers build) */
#define TS_ARCH_REQ_XCOMP_PERM 0x1023
#define TS_XFEATURE_XTILEDATA 18

static const struct { uint32_t bit; const char *name; } isa_table[] = {
    {TS_ISA_AVX2, "avx2"},         {TS_ISA_FMA, "fma"},           {TS_ISA_AVX512F, "avx512f"},
    {TS_ISA_AVX512VL, "avx512vl"}, {TS_ISA_AVX512BW, "avx512bw"}, {TS_ISA_AVX512DQ, "avx512dq"},
    {TS_ISA_AVX512_BF16, "avx512_bf16"}, {TS_ISA_AMX_BF16, "amx_bf16"},
};

static char amx_why[160];

/* XCR0 (the state components the OS saves); 0 without OSXSAVE.  xgetbv needs no
 * ISA flag, so this stays baseline code. */
static uint64_t xcr0(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

/* cpuid leaf 7 sub-leaf 1 eax bit 5: AVX512_BF16 (libgcc's table may predate it). */
static int cpu_has_avx512_bf16(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1;
}

/* AMX needs three things: the CPU (cpuid 7.0 edx: amx-bf16 bit 22, amx-tile bit
 * 24), the OS saving tile state (XCR0 bits 17 XTILECFG and 18 XTILEDATA), and on
 * Linux >= 5.16 this process's permission for the 8 KiB of tile data, asked once
 * (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); without it the first
 * tile instruction is SIGILL.  Sets amx_why to the first thing missing. */
static int amx_usable(void)
{
    static int asked = -1; /* the grant is for the process: ask once */
    unsigned a, b, c, d = 0;
    if (__get_cpuid_max(0, NULL) >= 7)
        __cpuid_count(7, 0, a, b, c, d);
    if (!((d >> 22) & 1) || !((d >> 24) & 1)) {
        snprintf(amx_why, sizeof amx_why, "the CPU has no amx_tile/amx_bf16 (cpuid 7.0 edx bits 24, 22)");
        return 0;
    }
    if ((xcr0() & (3u << 17)) != (3u << 17)) {
        snprintf(amx_why, sizeof amx_why, "the OS does not enable tile state (XCR0 bits 17, 18)");
        return 0;
    }
    static char refused[sizeof amx_why]; /* kept: later calls do not ask again */
    if (asked < 0) {
        asked = syscall(SYS_arch_prctl, TS_ARCH_REQ_XCOMP_PERM, TS_XFEATURE_XTILEDATA) == 0;
        if (!asked)
            snprintf(refused, sizeof refused, "Linux refused arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA): %s",
                     strerror(errno));
    }
    if (!asked)
        snprintf(amx_why, sizeof amx_why, "%s", refused);
    return asked;
}

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
    /* zmm state enabled (libgcc checked XCR0 for avx512f) and the instructions */
    if ((isa & TS_ISA_AVX512F) && cpu_has_avx512_bf16()) isa |= TS_ISA_AVX512_BF16;
    amx_why[0] = '\0';
    if (amx_usable()) isa |= TS_ISA_AMX_BF16;
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
    if (!strcmp(cap, "avx512")) /* oneDNN's avx512_core: no bf16, no AMX */
        return isa & TS_ISA_AVX512;
    if (!strcmp(cap, "avx512_bf16"))
        return isa & TS_ISA_AVX512BF16;
    return isa; /* "amx" or anything else: no cap */
}

const char *ts_cpu_amx_why(void)
{
    const char *cap = getenv("TS_MAX_ISA");
    if (!(detect() & TS_ISA_AMX_BF16))
        return amx_why;
    if (cap && *cap && !(ts_cpu_isa() & TS_ISA_AMX_BF16))
        return "TS_MAX_ISA caps it";
    return "";
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
