/*
 * kl_crc32.c -- gzip's CRC-32 by folding with carry-less multiplies (see
 * kl_crc32.h).
 *
 * The method is Gopal et al., "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ Instruction" (Intel, 2009), in the bit-reflected domain
 * gzip uses.  Four 128-bit accumulators each take every fourth 16-byte
 * block: multiplying an accumulator by x^512 mod P (the constants k1, k2)
 * moves it 64 bytes on, where it is xored with the next data.  At the end
 * the four fold into one (k3, k4), remaining 16-byte blocks fold in the
 * same way, 128 bits reduce to 64 (k5) and a Barrett reduction gives the 32
 * bits.  The constants are x^n mod P(x) for the n the paper gives, bit-
 * reflected and shifted left by one; they are the ones Linux and zlib
 * derivatives use.  Any tail under 16 bytes, short buffers and CPUs
 * without PCLMULQDQ go to zlib's crc32_z.  Only SSE2 (every x86-64) is
 * needed besides PCLMULQDQ.
 */
#include "kl_crc32.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KL_CRC32_CLMUL 1
#include <emmintrin.h>
#include <wmmintrin.h>
#endif

uint32_t kl_crc32_portable(uint32_t crc, const void *buf, size_t len)
{
    return (uint32_t)crc32_z(crc, buf, len);
}

#ifdef KL_CRC32_CLMUL

#define KL_CRC32_TARGET __attribute__((target("pclmul,sse2")))

/* a * k, both halves folded: clmul(a.lo, k.lo) ^ clmul(a.hi, k.hi). */
KL_CRC32_TARGET static inline __m128i kl_crc32_fold(__m128i a, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11));
}

/*
 * The CRC register (inverted, as the paper keeps it) after buf[0..len),
 * len >= 64 and a multiple of 16; state is the inverted register before.
 */
KL_CRC32_TARGET static uint32_t kl_crc32_clmul(uint32_t state, const unsigned char *buf,
                                               size_t len)
{
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
    const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    const __m128i low32 = _mm_set_epi32(0, -1, 0, -1);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)buf);
    __m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 16));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 32));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 48));
    __m128i t;

    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)state));
    for (buf += 64, len -= 64; len >= 64; buf += 64, len -= 64) {
        x1 = _mm_xor_si128(kl_crc32_fold(x1, k1k2), _mm_loadu_si128((const __m128i *)(const void *)buf));
        x2 = _mm_xor_si128(kl_crc32_fold(x2, k1k2),
                           _mm_loadu_si128((const __m128i *)(const void *)(buf + 16)));
        x3 = _mm_xor_si128(kl_crc32_fold(x3, k1k2),
                           _mm_loadu_si128((const __m128i *)(const void *)(buf + 32)));
        x4 = _mm_xor_si128(kl_crc32_fold(x4, k1k2),
                           _mm_loadu_si128((const __m128i *)(const void *)(buf + 48)));
    }
    /* four accumulators into one, then the remaining 16-byte blocks */
    x1 = _mm_xor_si128(kl_crc32_fold(x1, k3k4), x2);
    x1 = _mm_xor_si128(kl_crc32_fold(x1, k3k4), x3);
    x1 = _mm_xor_si128(kl_crc32_fold(x1, k3k4), x4);
    for (; len >= 16; buf += 16, len -= 16)
        x1 = _mm_xor_si128(kl_crc32_fold(x1, k3k4),
                           _mm_loadu_si128((const __m128i *)(const void *)buf));

    /* 128 bits to 64 */
    t = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
    t = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00), t);

    /* Barrett reduction to 32 bits */
    t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), poly, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly, 0x00);
    x1 = _mm_xor_si128(x1, t);
    return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(x1, 4));
}

int kl_crc32_accelerated(void)
{
    /* reads what libgcc found at start-up: no cache needed */
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
}

uint32_t kl_crc32(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len >= 64 && kl_crc32_accelerated()) {
        size_t bulk = len & ~(size_t)15;
        crc = ~kl_crc32_clmul(~crc, p, bulk);
        p += bulk;
        len -= bulk;
    }
    return len ? kl_crc32_portable(crc, p, len) : crc;
}

#else /* no carry-less multiply */

int kl_crc32_accelerated(void)
{
    return 0;
}

uint32_t kl_crc32(uint32_t crc, const void *buf, size_t len)
{
    return kl_crc32_portable(crc, buf, len);
}

#endif
