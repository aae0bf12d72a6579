/*
 * kl_sha256.c -- SHA-256 after FIPS 180-4 (see kl_sha256.h).
 */
#include "kl_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kl_alloc.h"

static const uint32_t kl_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define KL_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void kl_sha256_block(uint32_t s[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = KL_ROTR(w[i - 15], 7) ^ KL_ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = KL_ROTR(w[i - 2], 17) ^ KL_ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (KL_ROTR(e, 6) ^ KL_ROTR(e, 11) ^ KL_ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                      kl_sha256_k[i] + w[i];
        uint32_t t2 = (KL_ROTR(a, 2) ^ KL_ROTR(a, 13) ^ KL_ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s[0] += a, s[1] += b, s[2] += c, s[3] += d, s[4] += e, s[5] += f, s[6] += g, s[7] += h;
}

void kl_sha256_init(kl_sha256 *h)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, iv, sizeof iv);
    h->length = 0;
    h->used = 0;
}

void kl_sha256_update(kl_sha256 *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    h->length += len;
    if (h->used) {
        size_t take = 64 - h->used < len ? 64 - h->used : len;
        memcpy(h->block + h->used, p, take);
        h->used += take;
        p += take;
        len -= take;
        if (h->used < 64)
            return;
        kl_sha256_block(h->state, h->block);
        h->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        kl_sha256_block(h->state, p);
    memcpy(h->block, p, len);
    h->used = len;
}

void kl_sha256_final_hex(kl_sha256 *h, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint64_t bits = h->length * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (h->used < 56 ? 56 : 120) - h->used;

    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    kl_sha256_update(h, pad, padlen + 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) {
            uint8_t byte = (uint8_t)(h->state[i] >> (24 - 8 * j));
            hex[8 * i + 2 * j] = digits[byte >> 4];
            hex[8 * i + 2 * j + 1] = digits[byte & 15];
        }
    hex[64] = '\0';
}

int kl_sha256_file(const char *path, char hex[65], uint64_t *size, kl_error *err)
{
    enum { KL_SHA_BUF = 1 << 20 };
    kl_sha256 h;
    uint8_t *buf;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    if (!(buf = kl_malloc(KL_SHA_BUF))) {
        close(fd);
        return kl_error_oom(err, "hashing a file");
    }
    kl_sha256_init(&h);
    while ((n = read(fd, buf, KL_SHA_BUF)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            kl_error_set(err, KL_ERR_IO, "%s: read error: %s", path, strerror(errno));
            kl_free(buf);
            close(fd);
            return KL_ERR_IO;
        }
        kl_sha256_update(&h, buf, (size_t)n);
    }
    kl_free(buf);
    close(fd);
    if (size)
        *size = h.length;
    kl_sha256_final_hex(&h, hex);
    return KL_OK;
}
