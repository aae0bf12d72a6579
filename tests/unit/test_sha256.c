/*
 * test_sha256.c -- SHA-256 against the FIPS 180-4 / NIST test vectors.
 */
#include <stdio.h>

#include "kt.h"
#include "kl_sha256.h"

static void kt_sha_of(const char *data, size_t len, size_t chunk, char hex[65])
{
    kl_sha256 h;
    kl_sha256_init(&h);
    for (size_t off = 0; off < len; off += chunk)
        kl_sha256_update(&h, data + off, len - off < chunk ? len - off : chunk);
    kl_sha256_final_hex(&h, hex);
}

KT_TEST(sha256_nist_vectors)
{
    static const char *const msgs[] = {
        "", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"};
    static const char *const want[] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"};
    char hex[65];
    for (size_t i = 0; i < 4; i++)
        for (size_t chunk = 1; chunk <= 65; chunk += 16) {
            kt_sha_of(msgs[i], strlen(msgs[i]), chunk, hex);
            KT_EQ_STR(hex, want[i]);
        }
}

KT_TEST(sha256_million_a_and_file)
{
    static char buf[1000000];
    char hex[65], path[4096];
    uint64_t size;
    kl_error err;
    memset(buf, 'a', sizeof buf);
    kt_sha_of(buf, sizeof buf, 4096, hex);
    KT_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    snprintf(path, sizeof path, "%s/a.bin", kt_tmpdir());
    kt_write_file(path, buf, sizeof buf);
    KT_EQ_INT(kl_sha256_file(path, hex, &size, &err), KL_OK);
    KT_EQ_INT(size, 1000000);
    KT_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    KT_EQ_INT(kl_sha256_file("/nonexistent", hex, &size, &err), KL_ERR_NOINPUT);
}
