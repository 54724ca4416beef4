// Kernels that need CPU instructions Swift cannot name: hardware CRC32C.
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Whether this CPU has the CRC32C instruction (SSE 4.2 on x86-64, the CRC
// extension on AArch64): checked once, at first call.
int kiln_crc32c_hardware(void);

// Continues the CRC-32C register `crc` (already inverted: callers pass ~crc
// and invert the result) over `n` bytes at `p`, with the hardware
// instruction. Only call when kiln_crc32c_hardware() is true.
uint32_t kiln_crc32c_update(uint32_t crc, const void *p, size_t n);

#endif
