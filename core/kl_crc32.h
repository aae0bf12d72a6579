/*
 * kl_crc32.h -- the CRC-32 of gzip (ISO 3309 / ITU-T V.42, reflected
 * polynomial 0xEDB88320), fast.
 *
 * zlib computes it while inflating, at about a tenth of the inflate's own
 * cost; the gzip reader turns zlib's check off and computes it here instead,
 * folding 64 bytes at a time with carry-less multiplies where the CPU has
 * them (PCLMULQDQ, every x86-64 since 2010), several times faster.
 */
#ifndef KL_CRC32_H
#define KL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of buf[0..len) continuing from crc, exactly as zlib's
 * crc32(crc, buf, len): start from 0, and kl_crc32(kl_crc32(0, a), b) is
 * the CRC of a followed by b. */
uint32_t kl_crc32(uint32_t crc, const void *buf, size_t len);

/* Added for tests and benchmarks: the same computed without carry-less
 * multiplies (zlib's tables). */
uint32_t kl_crc32_portable(uint32_t crc, const void *buf, size_t len);

/* Nonzero when kl_crc32 uses carry-less multiplies on this CPU. */
int kl_crc32_accelerated(void);

#endif /* KL_CRC32_H */
