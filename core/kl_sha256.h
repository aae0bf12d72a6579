/*
 * kl_sha256.h -- SHA-256 (FIPS 180-4), for the run manifest and for
 * `--if-changed`: a run is skipped only when the content of every input and
 * step is the same, never on timestamps.
 */
#ifndef KL_SHA256_H
#define KL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "kl_error.h"

typedef struct kl_sha256 {
    uint32_t state[8];
    uint64_t length;     /* bytes hashed so far */
    uint8_t block[64];
    size_t used;         /* bytes waiting in block */
} kl_sha256;

void kl_sha256_init(kl_sha256 *h);
void kl_sha256_update(kl_sha256 *h, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex[65]. */
void kl_sha256_final_hex(kl_sha256 *h, char hex[65]);

/* Hashes a whole file (raw bytes, as stored); *size receives its length. */
int kl_sha256_file(const char *path, char hex[65], uint64_t *size, kl_error *err);

#endif /* KL_SHA256_H */
