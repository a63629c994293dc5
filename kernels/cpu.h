/* Run-time ISA detection.  TS_MAX_ISA=baseline|avx2|avx512|avx512_bf16 (env) caps
 * what is reported, like ONEDNN_MAX_CPU_ISA, so unsupported paths are testable
 * anywhere.  AMX is reported only when the CPU has it, XCR0 enables its tile
 * state and Linux granted this process the tile data (arch_prctl); otherwise
 * ts_cpu_amx_why says which of those is missing. */
#ifndef TS_CPU_H
#define TS_CPU_H
#include <stddef.h>
#include <stdint.h>

enum {
    TS_ISA_AVX2 = 1u << 0,
    TS_ISA_FMA = 1u << 1,
    TS_ISA_AVX512F = 1u << 2,
    TS_ISA_AVX512VL = 1u << 3,
    TS_ISA_AVX512BW = 1u << 4,
    TS_ISA_AVX512DQ = 1u << 5,
    TS_ISA_AVX512_BF16 = 1u << 6, /* vdpbf16ps, vcvtne2ps2bf16 (cpuid 7.1 eax bit 5) */
    TS_ISA_AMX_BF16 = 1u << 7,    /* amx-tile + amx-bf16 (tdpbf16ps), XCR0 17/18, OS permission */
};
#define TS_ISA_AVX2_FMA (TS_ISA_AVX2 | TS_ISA_FMA)
#define TS_ISA_AVX512 (TS_ISA_AVX2_FMA | TS_ISA_AVX512F | TS_ISA_AVX512VL | TS_ISA_AVX512BW | TS_ISA_AVX512DQ)
#define TS_ISA_AVX512BF16 (TS_ISA_AVX512 | TS_ISA_AVX512_BF16)
#define TS_ISA_AMX (TS_ISA_AVX512BF16 | TS_ISA_AMX_BF16)

/* Detected bits, capped by TS_MAX_ISA; re-read on each call (cheap; tests set the env). */
uint32_t ts_cpu_isa(void);
/* Why TS_ISA_AMX_BF16 is not reported ("" when it is): no CPU bits, XCR0 without
 * tile state, the kernel refused ARCH_REQ_XCOMP_PERM, or TS_MAX_ISA caps it. */
const char *ts_cpu_amx_why(void);
/* Space-separated names of the bits in isa ("avx2 fma"), or "baseline". */
void ts_isa_names(uint32_t isa, char *buf, size_t n);
/* The value of the first `key : value` line of /proc/cpuinfo ("flags"), or "unknown". */
void ts_cpuinfo_field(const char *key, char *buf, size_t n);
/* The CPU model string from /proc/cpuinfo, or "unknown". */
void ts_cpu_model(char *buf, size_t n);

#endif
