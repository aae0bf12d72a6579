/*
 * test_strpool.c -- unit tests of the string interner (core/kl_strpool.c):
 * codes, code 0, growth, UTF-8 validation and byte-order comparison.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kt.h"
#include "kl_alloc.h"
#include "kl_strpool.h"

static uint32_t intern_str(kl_strpool *pool, const char *s)
{
    kl_error err;
    kl_error_clear(&err);
    uint32_t code = kl_strpool_intern(pool, s, strlen(s), &err);
    KT_CHECK(code != UINT32_MAX);
    KT_EQ_INT(err.status, KL_OK);
    return code;
}

KT_TEST(strpool_empty_is_code_0)
{
    kl_strpool *pool = kl_strpool_new();
    KT_CHECK(pool != NULL);
    KT_EQ_INT(kl_strpool_count(pool), 1);
    KT_EQ_INT(kl_strpool_intern(pool, "", 0, NULL), KL_STR_MISSING);
    KT_EQ_INT(kl_strpool_intern(pool, "xyz", 0, NULL), KL_STR_MISSING);
    KT_EQ_INT(kl_strpool_find(pool, "", 0), KL_STR_MISSING);
    KT_EQ_STR(kl_strpool_get(pool, 0), "");
    KT_EQ_INT(kl_strpool_len(pool, 0), 0);
    KT_EQ_INT(kl_strpool_count(pool), 1);
    /* A code never given out. */
    KT_CHECK(kl_strpool_get(pool, 1) == NULL);
    KT_EQ_INT(kl_strpool_len(pool, 99), 0);
    kl_strpool_free(pool);
    kl_strpool_free(NULL);
}

KT_TEST(strpool_equal_and_distinct)
{
    kl_strpool *pool = kl_strpool_new();
    uint32_t an = intern_str(pool, "UZ-AN");
    uint32_t sa = intern_str(pool, "UZ-SA");
    KT_CHECK(an != 0 && sa != 0 && an != sa);
    KT_EQ_INT(intern_str(pool, "UZ-AN"), an);
    KT_EQ_INT(intern_str(pool, "UZ-SA"), sa);
    KT_EQ_INT(kl_strpool_count(pool), 3);

    /* Not NUL-terminated: a slice of a longer buffer. */
    const char *buf = "UZ-ANDIJAN";
    KT_EQ_INT(kl_strpool_intern(pool, buf, 5, NULL), an);
    uint32_t and = kl_strpool_intern(pool, buf, 6, NULL);
    KT_CHECK(and != an && and != UINT32_MAX);
    KT_EQ_STR(kl_strpool_get(pool, and), "UZ-AND");
    KT_EQ_INT(kl_strpool_len(pool, and), 6);
    KT_EQ_STR(kl_strpool_get(pool, an), "UZ-AN");

    /* find does not add. */
    KT_EQ_INT(kl_strpool_find(pool, "UZ-SA", 5), sa);
    KT_EQ_INT(kl_strpool_find(pool, "UZ-XX", 5), UINT32_MAX);
    KT_EQ_INT(kl_strpool_count(pool), 4);
    kl_strpool_free(pool);
}

/* Every length up to 100 (all the hash's tail paths), strings differing only
 * in one byte or in length. */
KT_TEST(strpool_lengths_and_near_misses)
{
    kl_strpool *pool = kl_strpool_new();
    char buf[128];
    uint32_t codes[101][2];
    for (size_t len = 1; len <= 100; len++) {
        memset(buf, 'a', len);
        codes[len][0] = kl_strpool_intern(pool, buf, len, NULL);
        buf[len - 1] = 'b';
        codes[len][1] = kl_strpool_intern(pool, buf, len, NULL);
        KT_CHECK(codes[len][0] != UINT32_MAX && codes[len][1] != UINT32_MAX);
        KT_CHECK(codes[len][0] != codes[len][1]);
    }
    KT_EQ_INT(kl_strpool_count(pool), 201);
    for (size_t len = 1; len <= 100; len++) {
        memset(buf, 'a', len);
        KT_EQ_INT(kl_strpool_find(pool, buf, len), codes[len][0]);
        KT_EQ_INT(kl_strpool_len(pool, codes[len][0]), len);
        buf[len] = '\0';
        KT_EQ_STR(kl_strpool_get(pool, codes[len][0]), buf);
    }
    kl_strpool_free(pool);
}

/* A million distinct strings: many table resizes and arena chunks; codes and
 * string pointers stay stable throughout. */
KT_TEST(strpool_growth_million)
{
    enum { N = 1000000 };
    kl_strpool *pool = kl_strpool_new();
    char buf[32];
    uint32_t first = intern_str(pool, "first");
    const char *first_ptr = kl_strpool_get(pool, first);

    for (int i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "firm-%07d", i);
        uint32_t code = kl_strpool_intern(pool, buf, (size_t)len, NULL);
        if (code != (uint32_t)i + 2)
            KT_EQ_INT(code, i + 2);
    }
    KT_EQ_INT(kl_strpool_count(pool), N + 2);
    KT_CHECK(kl_strpool_get(pool, first) == first_ptr);
    KT_EQ_STR(first_ptr, "first");
    for (int i = 0; i < N; i += 7) {
        int len = snprintf(buf, sizeof buf, "firm-%07d", i);
        if (kl_strpool_find(pool, buf, (size_t)len) != (uint32_t)i + 2)
            KT_EQ_INT(kl_strpool_find(pool, buf, (size_t)len), i + 2);
        if (strcmp(kl_strpool_get(pool, (uint32_t)i + 2), buf) != 0)
            KT_EQ_STR(kl_strpool_get(pool, (uint32_t)i + 2), buf);
    }
    /* Interning again adds nothing. */
    for (int i = 0; i < N; i += 13) {
        int len = snprintf(buf, sizeof buf, "firm-%07d", i);
        KT_CHECK(kl_strpool_intern(pool, buf, (size_t)len, NULL) == (uint32_t)i + 2);
    }
    KT_EQ_INT(kl_strpool_count(pool), N + 2);
    KT_CHECK(kl_strpool_bytes(pool) > (size_t)N * 12);

    /* Shrinking keeps every string; interning goes on afterwards. */
    size_t before = kl_strpool_bytes(pool);
    kl_strpool_shrink(pool);
    KT_CHECK(kl_strpool_bytes(pool) <= before);
    KT_EQ_STR(kl_strpool_get(pool, N + 1), "firm-0999999");
    KT_EQ_INT(intern_str(pool, "after shrink"), N + 2);
    KT_EQ_INT(intern_str(pool, "firm-0000000"), 2);
    KT_EQ_STR(kl_strpool_get(pool, N + 2), "after shrink");
    kl_strpool_free(pool);
}

/* Strings larger than an arena chunk get chunks of their own. */
KT_TEST(strpool_big_strings)
{
    kl_strpool *pool = kl_strpool_new();
    size_t sizes[] = {300000, 5, (size_t)3 << 20, 7, 100000, 9};
    uint32_t codes[6];
    char *big = malloc((size_t)3 << 20);
    KT_CHECK(big != NULL);
    for (size_t i = 0; i < 6; i++) {
        memset(big, 'a' + (int)i, sizes[i]);
        codes[i] = kl_strpool_intern(pool, big, sizes[i], NULL);
        KT_CHECK(codes[i] != UINT32_MAX);
    }
    for (size_t i = 0; i < 6; i++) {
        const char *s = kl_strpool_get(pool, codes[i]);
        KT_EQ_INT(kl_strpool_len(pool, codes[i]), sizes[i]);
        KT_EQ_INT(strlen(s), sizes[i]);
        KT_CHECK(s[0] == 'a' + (int)i && s[sizes[i] - 1] == 'a' + (int)i);
        memset(big, 'a' + (int)i, sizes[i]);
        KT_EQ_INT(kl_strpool_find(pool, big, sizes[i]), codes[i]);
    }
    free(big);
    kl_strpool_free(pool);
}

KT_TEST(strpool_utf8_valid)
{
    kl_strpool *pool = kl_strpool_new();
    const char *ok[] = {
        "Андижан",                 /* 2-byte sequences */
        "日本",                    /* 3-byte */
        "\xF0\x9F\x98\x80",        /* U+1F600, 4-byte */
        "\xF4\x8F\xBF\xBF",        /* U+10FFFF, the last code point */
        "\xEF\xBF\xBF",            /* U+FFFF */
        "\xED\x9F\xBF",            /* U+D7FF, just below the surrogates */
        "\xEE\x80\x80",            /* U+E000, just above them */
        "\xC2\x80",                /* U+0080, the shortest 2-byte form */
        "\xE0\xA0\x80",            /* U+0800 */
        "\xF0\x90\x80\x80",        /* U+10000 */
        "a long ASCII prefix, then \xC3\xA9 and a long ASCII tail again",
        "\x7F\x01",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t code = intern_str(pool, ok[i]);
        KT_EQ_STR(kl_strpool_get(pool, code), ok[i]);
    }
    kl_strpool_free(pool);
}

KT_TEST(strpool_utf8_invalid)
{
    static const struct {
        const char *s;
        size_t len;
        const char *why;
    } bad[] = {
        {"\xC0\x80", 2, "overlong"},
        {"\xC1\xBF", 2, "overlong"},
        {"\xE0\x80\x80", 3, "overlong"},
        {"\xE0\x9F\xBF", 3, "overlong"},
        {"\xF0\x80\x80\x80", 4, "overlong"},
        {"\xF0\x8F\xBF\xBF", 4, "overlong"},
        {"\xED\xA0\x80", 3, "surrogate"},
        {"\xED\xBF\xBF", 3, "surrogate"},
        {"\xF4\x90\x80\x80", 4, "U+10FFFF"},
        {"\xF5\x80\x80\x80", 4, "U+10FFFF"},
        {"\xFF", 1, "U+10FFFF"},
        {"a\0b", 3, "NUL"},
        {"abcdefgh\0", 9, "NUL"},
        {"\0", 1, "NUL"},
        {"\x80", 1, "continuation"},
        {"abc\xBF", 4, "continuation"},
        {"\xE2\x82", 2, "truncated"},
        {"abc\xE2", 4, "truncated"},
        {"\xE2\x28\xA1", 3, "truncated"},
        {"\xF0\x9F\x98", 3, "truncated"},
        {"\xF0\x9F\x28\x80", 4, "truncated"},
        {"0123456789abcdef\xC3", 17, "truncated"},
    };
    kl_strpool *pool = kl_strpool_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kl_error err;
        kl_error_clear(&err);
        uint32_t code = kl_strpool_intern(pool, bad[i].s, bad[i].len, &err);
        if (code != UINT32_MAX)
            kt_fail(__FILE__, __LINE__, "case %zu accepted", i);
        KT_EQ_INT(err.status, KL_ERR_DATA);
        KT_CONTAINS(err.msg, "invalid UTF-8");
        KT_CONTAINS(err.msg, bad[i].why);
        KT_EQ_INT(kl_strpool_find(pool, bad[i].s, bad[i].len), UINT32_MAX);
    }
    KT_EQ_INT(kl_strpool_count(pool), 1);
    /* The pool is still usable; a NULL err is allowed. */
    KT_EQ_INT(kl_strpool_intern(pool, "\xC0\x80", 2, NULL), UINT32_MAX);
    KT_EQ_INT(intern_str(pool, "ok"), 1);
    kl_strpool_free(pool);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Byte order, not code order: codes are given in an order unlike the bytes'. */
KT_TEST(strpool_cmp_order)
{
    kl_strpool *pool = kl_strpool_new();
    const char *s[] = {"b", "a", "ab", "\xC3\xA9", "B", "aa", "a b", "z", "ba"};
    uint32_t c[9];
    for (size_t i = 0; i < 9; i++)
        c[i] = intern_str(pool, s[i]);
    for (size_t i = 0; i < 9; i++) {
        KT_EQ_INT(kl_strpool_cmp(pool, c[i], c[i]), 0);
        KT_EQ_INT(sign(kl_strpool_cmp(pool, c[i], 0)), 1); /* "" sorts first */
        KT_EQ_INT(sign(kl_strpool_cmp(pool, 0, c[i])), -1);
        for (size_t j = 0; j < 9; j++)
            KT_EQ_INT(kl_strpool_cmp(pool, c[i], c[j]), sign(strcmp(s[i], s[j])));
    }
    /* "é" (0xC3...) sorts after every ASCII string. */
    KT_EQ_INT(kl_strpool_cmp(pool, c[3], c[7]), 1);
    KT_EQ_INT(kl_strpool_cmp(pool, c[1], c[2]), -1); /* prefix first */
    kl_strpool_free(pool);
}
