/* Run-time ISA detection.  TS_MAX_ISA=baseline|avx2|avx512 (env) caps what is
 * reported, like ONEDNN_MAX_CPU_ISA, so unsupported paths are testable anywhere. */
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
};
#define TS_ISA_AVX2_FMA (TS_ISA_AVX2 | TS_ISA_FMA)
#define TS_ISA_AVX512 (TS_ISA_AVX2_FMA | TS_ISA_AVX512F | TS_ISA_AVX512VL | TS_ISA_AVX512BW | TS_ISA_AVX512DQ)

/* Detected bits, capped by TS_MAX_ISA; re-read on each call (cheap; tests set the env). */
uint32_t ts_cpu_isa(void);
/* Space-separated names of the bits in isa ("avx2 fma"), or "baseline". */
void ts_isa_names(uint32_t isa, char *buf, size_t n);
/* The value of the first `key : value` line of /proc/cpuinfo ("flags"), or "unknown". */
void ts_cpuinfo_field(const char *key, char *buf, size_t n);
/* The CPU model string from /proc/cpuinfo, or "unknown". */
void ts_cpu_model(char *buf, size_t n);

#endif
