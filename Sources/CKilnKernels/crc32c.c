#include "kiln_kernels.h"

#include <string.h>

#if defined(__x86_64__)

int kiln_crc32c_hardware(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    return cached;
}

// One crc32q per 8 bytes: about 8 bytes per cycle of throughput-bound
// latency (3 cycles), ~8 GB/s at 3 GHz against ~1.5 GB/s for slicing-by-8.
__attribute__((target("sse4.2")))
uint32_t kiln_crc32c_update(uint32_t crc, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        c = __builtin_ia32_crc32di(c, w);
        b += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *b++);
        n--;
    }
    return c32;
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)

#include <arm_acle.h>

int kiln_crc32c_hardware(void) { return 1; }

uint32_t kiln_crc32c_update(uint32_t crc, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        crc = __crc32cd(crc, w);
        b += 8;
        n -= 8;
    }
    while (n > 0) {
        crc = __crc32cb(crc, *b++);
        n--;
    }
    return crc;
}

#else

int kiln_crc32c_hardware(void) { return 0; }

uint32_t kiln_crc32c_update(uint32_t crc, const void *p, size_t n) {
    (void)p;
    (void)n;
    return crc;
}

#endif
