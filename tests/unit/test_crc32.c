/*
 * test_crc32.c -- kl_crc32 against known values and against zlib's crc32
 * for every length and alignment around the 16- and 64-byte steps of the
 * folding code, for random data and starting values, in pieces.
 */
#include <zlib.h>

#include "kt.h"
#include "kl_crc32.h"

KT_TEST(crc32_known_values)
{
    /* the CRC-32 check value (of "123456789") and RFC 1952's empty input */
    KT_EQ_INT(kl_crc32(0, "123456789", 9), 0xCBF43926u);
    KT_EQ_INT(kl_crc32(0, "", 0), 0);
    static char zeros[4096];
    KT_EQ_INT(kl_crc32(0, zeros, sizeof zeros), (uint32_t)crc32_z(0, (const Bytef *)zeros, sizeof zeros));
}

KT_TEST(crc32_matches_zlib_for_every_length_and_alignment)
{
    static unsigned char buf[5000 + 16];
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < sizeof buf; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (unsigned char)(seed >> 56);
    }
    for (size_t align = 0; align < 16; align += 3)
        for (size_t len = 0; len <= 600; len++) {
            uint32_t start = (uint32_t)(len * 2654435761u);
            uint32_t want = (uint32_t)crc32_z(start, buf + align, len);
            uint32_t got = kl_crc32(start, buf + align, len);
            if (got != want)
                kt_fail(__FILE__, __LINE__, "length %zu at +%zu: %08x, zlib %08x", len, align,
                        (unsigned)got, (unsigned)want);
            KT_EQ_INT(kl_crc32_portable(start, buf + align, len), want);
        }
    /* pieces of every size chain like one call */
    uint32_t whole = (uint32_t)crc32_z(0, buf, 5000);
    for (size_t piece = 1; piece <= 200; piece += 7) {
        uint32_t c = 0;
        for (size_t off = 0; off < 5000; off += piece)
            c = kl_crc32(c, buf + off, 5000 - off < piece ? 5000 - off : piece);
        KT_EQ_INT(c, whole);
    }
}

/* Every x86-64 CPU of the last fifteen years has PCLMULQDQ: there the fast
 * path, not only the fallback, is what the test above checked. */
KT_TEST(crc32_uses_clmul_on_x86_64)
{
#if defined(__x86_64__)
    KT_CHECK(kl_crc32_accelerated());
#endif
}
