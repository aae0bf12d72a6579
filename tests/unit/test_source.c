/*
 * test_source.c -- unit tests of kl_source: plain and gzip input, stdin,
 * concatenated members, every kind of damaged gzip stream, the size cap, and
 * the threaded and same-thread paths giving the same bytes and errors.
 */
#include "kt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kl_source.h"

/* ---- helpers ------------------------------------------------------------- */

static char *ts_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 4096, "%s/%s", kt_tmpdir(), name);
    return p;
}

/* One gzip member of data (optionally with name/comment/extra fields). */
static unsigned char *ts_gzip(const void *data, size_t len, int with_header, size_t *outlen)
{
    z_stream zs;
    gz_header h;
    size_t cap = compressBound((uLong)len) + 1024;
    unsigned char *out = malloc(cap);
    KT_CHECK(out != NULL);
    memset(&zs, 0, sizeof zs);
    KT_EQ_INT(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    if (with_header) {
        static unsigned char extra[] = "XYZW-some-extra-bytes";
        memset(&h, 0, sizeof h);
        h.name = (Bytef *)"a-rather-long-original-file-name.csv";
        h.comment = (Bytef *)"a comment in the gzip header";
        h.extra = extra;
        h.extra_len = sizeof extra - 1;
        h.hcrc = 1;
        KT_EQ_INT(deflateSetHeader(&zs, &h), Z_OK);
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    KT_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Deterministic, moderately compressible CSV-like text. */
static char *ts_text(size_t len)
{
    char *s = malloc(len + 1);
    uint32_t x = 12345;
    KT_CHECK(s != NULL);
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 16) % 40;
        s[i] = r < 26 ? (char)('a' + r) : r < 36 ? (char)('0' + r - 26) : r < 38 ? ',' : r == 38 ? '\n' : '"';
    }
    s[len] = '\0';
    return s;
}

typedef struct ts_result {
    char *data;
    size_t len;
    ssize_t last; /* the final return: 0 or -1 */
    kl_error err;
} ts_result;

/* Reads everything in chunks of `chunk` bytes. */
static void ts_drain(kl_source *src, size_t chunk, ts_result *r)
{
    size_t cap = 1 << 16;
    memset(r, 0, sizeof *r);
    r->data = malloc(cap);
    KT_CHECK(r->data != NULL);
    for (;;) {
        if (cap - r->len < chunk) {
            cap = cap * 2 + chunk;
            r->data = realloc(r->data, cap);
            KT_CHECK(r->data != NULL);
        }
        ssize_t n = kl_source_read(src, r->data + r->len, chunk, &r->err);
        if (n <= 0) {
            r->last = n;
            break;
        }
        KT_CHECK((size_t)n <= chunk);
        r->len += (size_t)n;
    }
}

/* Opens path with the given mode/block size and reads it all. */
static void ts_read_file(const char *path, int no_thread, size_t block, uint64_t max, size_t chunk,
                         ts_result *r)
{
    kl_source *src;
    kl_error err;
    kl_source_opts o = {0};
    o.no_thread = no_thread;
    o.block_size = block;
    o.max_bytes = max;
    kl_error_clear(&err);
    KT_EQ_INT(kl_source_open(&src, path, &o, &err), KL_OK);
    ts_drain(src, chunk, r);
    /* after the end, the same answer again */
    {
        char c;
        kl_error e2;
        KT_EQ_INT(kl_source_read(src, &c, 1, &e2), r->last);
        if (r->last < 0)
            KT_EQ_STR(e2.msg, r->err.msg);
    }
    kl_source_close(src);
}

static void ts_expect_data(const ts_result *r, const void *data, size_t len)
{
    KT_EQ_INT(r->last, 0);
    KT_EQ_INT(r->len, len);
    KT_CHECK(memcmp(r->data, data, len) == 0);
}

/* ---- plain input ---------------------------------------------------------- */

KT_TEST(source_plain_read)
{
    const char *text = "id,name\n1,alpha\n2,beta\n";
    const char *p = ts_path("plain.csv");
    kt_write_file(p, text, strlen(text));
    for (int nt = 0; nt < 2; nt++) {
        kl_source *src;
        kl_error err;
        ts_result r;
        KT_EQ_INT(kl_source_open(&src, p, &(kl_source_opts){.no_thread = nt}, &err), KL_OK);
        KT_EQ_INT(kl_source_is_gzip(src), 0);
        KT_EQ_STR(kl_source_name(src), p);
        ts_drain(src, 5, &r);
        ts_expect_data(&r, text, strlen(text));
        KT_EQ_INT(kl_source_bytes_out(src), strlen(text));
        kl_source_close(src);
        free(r.data);
    }
}

KT_TEST(source_plain_named_gz_reads_plain)
{
    const char *text = "a,b\n1,2\n";
    const char *p = ts_path("looks.csv.gz");
    kl_source *src;
    kl_error err;
    ts_result r;
    kt_write_file(p, text, strlen(text));
    KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_OK);
    KT_EQ_INT(kl_source_is_gzip(src), 0);
    ts_drain(src, 100, &r);
    ts_expect_data(&r, text, strlen(text));
    kl_source_close(src);
    free(r.data);
}

KT_TEST(source_plain_tiny_files)
{
    /* 0, 1 and 2 bytes, including a lone gzip magic byte: all plain */
    const char *cases[] = {"", "x", "\x1f", "ab"};
    for (size_t i = 0; i < 4; i++) {
        const char *p = ts_path("tiny");
        ts_result r;
        kt_write_file(p, cases[i], strlen(cases[i]));
        for (int nt = 0; nt < 2; nt++) {
            ts_read_file(p, nt, 0, 0, 7, &r);
            ts_expect_data(&r, cases[i], strlen(cases[i]));
            free(r.data);
        }
    }
}

KT_TEST(source_plain_cap)
{
    char *text = ts_text(1000);
    const char *p = ts_path("capped.csv");
    ts_result r;
    kt_write_file(p, text, 1000);
    for (int nt = 0; nt < 2; nt++) {
        ts_read_file(p, nt, 64, 1000, 100, &r);
        ts_expect_data(&r, text, 1000);
        free(r.data);
        ts_read_file(p, nt, 64, 999, 100, &r);
        KT_EQ_INT(r.last, -1);
        KT_EQ_INT(r.err.status, KL_ERR_DATA);
        KT_EQ_INT(r.len, 999);
        KT_CONTAINS(r.err.msg, "exceeds the limit of 999 bytes");
        KT_CONTAINS(r.err.msg, "--max-input-size");
        free(r.data);
    }
    free(text);
}

KT_TEST(source_missing_file)
{
    kl_source *src = (kl_source *)1;
    kl_error err;
    char want[4200];
    const char *p = ts_path("does-not-exist.csv.gz");
    KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_ERR_NOINPUT);
    KT_CHECK(src == NULL);
    snprintf(want, sizeof want, "%s: cannot open: %s", p, strerror(ENOENT));
    KT_EQ_STR(err.msg, want);
}

KT_TEST(source_directory_is_noinput)
{
    kl_source *src;
    kl_error err;
    KT_EQ_INT(kl_source_open(&src, kt_tmpdir(), NULL, &err), KL_ERR_NOINPUT);
    KT_CONTAINS(err.msg, "cannot open");
}

KT_TEST(source_unreadable_file_is_noinput)
{
    kl_source *src;
    kl_error err;
    const char *p = ts_path("secret.csv");
    kt_write_file(p, "a\n", 2);
    KT_EQ_INT(chmod(p, 0), 0);
    /* root reads it anyway; this child process may become nobody */
    if (geteuid() == 0 && setuid(65534) != 0)
        return;
    KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_ERR_NOINPUT);
    KT_CONTAINS(err.msg, ": cannot open: ");
    KT_CONTAINS(err.msg, strerror(EACCES));
}

KT_TEST(source_read_error_is_io)
{
    /* reading address 0 of our own memory fails with EIO */
    kl_source *src;
    kl_error err;
    KT_EQ_INT(kl_source_open(&src, "/proc/self/mem", NULL, &err), KL_ERR_IO);
    KT_CONTAINS(err.msg, "/proc/self/mem: read error: ");
}

/* ---- gzip input ------------------------------------------------------------- */

KT_TEST(source_gzip_read_all_modes)
{
    size_t n = 3u << 20, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("big.csv.gz");
    size_t chunks[] = {1 << 20, 4093, 1 << 22};
    kt_write_file(p, gz, zlen);
    for (int nt = 0; nt < 2; nt++)
        for (size_t b = 0; b < 2; b++)
            for (size_t c = 0; c < 3; c++) {
                ts_result r;
                ts_read_file(p, nt, b ? 65536 : 0, 0, chunks[c], &r);
                ts_expect_data(&r, text, n);
                free(r.data);
            }
    {
        kl_source *src;
        kl_error err;
        KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_OK);
        KT_EQ_INT(kl_source_is_gzip(src), 1);
        kl_source_close(src);
    }
    free(gz);
    /* tiny blocks mean one hand-over per few bytes: less data for those */
    n = 15000;
    gz = ts_gzip(text, n, 0, &zlen);
    kt_write_file(p, gz, zlen);
    for (int nt = 0; nt < 2; nt++)
        for (size_t blk = 1; blk <= 1001; blk += blk < 4 ? 1 : 997) {
            ts_result r;
            ts_read_file(p, nt, blk, 0, 4093, &r);
            ts_expect_data(&r, text, n);
            free(r.data);
        }
    free(text);
    free(gz);
}

KT_TEST(source_gzip_single_byte_reads)
{
    size_t n = 5000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 1, &zlen);
    const char *p = ts_path("small.gz");
    kt_write_file(p, gz, zlen);
    for (int nt = 0; nt < 2; nt++) {
        ts_result r;
        ts_read_file(p, nt, 0, 0, 1, &r);
        ts_expect_data(&r, text, n);
        free(r.data);
        ts_read_file(p, nt, 2, 0, 1, &r);
        ts_expect_data(&r, text, n);
        free(r.data);
    }
    free(text);
    free(gz);
}

/* A | empty | B | C, where the pieces split the text unevenly. */
static void ts_members(const char *text, size_t n, size_t a, const size_t *blocks, size_t nblocks)
{
    size_t l1, l2, l3, l4;
    unsigned char *m1 = ts_gzip(text, a, 0, &l1);
    unsigned char *m2 = ts_gzip("", 0, 0, &l2);
    unsigned char *m3 = ts_gzip(text + a, 3, 1, &l3);
    unsigned char *m4 = ts_gzip(text + a + 3, n - a - 3, 0, &l4);
    size_t zlen = l1 + l2 + l3 + l4;
    unsigned char *all = malloc(zlen);
    const char *p = ts_path("members.gz");
    memcpy(all, m1, l1);
    memcpy(all + l1, m2, l2);
    memcpy(all + l1 + l2, m3, l3);
    memcpy(all + l1 + l2 + l3, m4, l4);
    kt_write_file(p, all, zlen);
    for (int nt = 0; nt < 2; nt++)
        for (size_t b = 0; b < nblocks; b++) {
            ts_result r;
            ts_read_file(p, nt, blocks[b], 0, 65536, &r);
            ts_expect_data(&r, text, n);
            free(r.data);
        }
    free(m1);
    free(m2);
    free(m3);
    free(m4);
    free(all);
}

KT_TEST(source_gzip_concatenated_members)
{
    char *text = ts_text(300000);
    size_t big[] = {0, 4096, 65537};
    size_t tiny[] = {1, 2, 7};
    ts_members(text, 300000, 70001, big, 3);
    /* tiny blocks: every member boundary falls inside a read somewhere */
    ts_members(text, 9000, 3001, tiny, 3);
    free(text);
}

KT_TEST(source_gzip_empty_members)
{
    size_t l;
    unsigned char *m = ts_gzip("", 0, 0, &l);
    unsigned char two[64];
    const char *p = ts_path("empty.gz");
    KT_CHECK(2 * l <= sizeof two);
    memcpy(two, m, l);
    memcpy(two + l, m, l);
    for (int k = 1; k <= 2; k++) {
        kt_write_file(p, two, k * l);
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            kl_source *src;
            kl_error err;
            KT_EQ_INT(kl_source_open(&src, p, &(kl_source_opts){.no_thread = nt}, &err), KL_OK);
            KT_EQ_INT(kl_source_is_gzip(src), 1);
            ts_drain(src, 10, &r);
            ts_expect_data(&r, "", 0);
            kl_source_close(src);
            free(r.data);
        }
    }
    free(m);
}

/* Every possible truncation of a stream is an error, the same in both
 * modes, after a prefix of the good bytes. */
static void ts_truncations(const unsigned char *gz, size_t zlen, const char *text, size_t n,
                           size_t from, size_t header_len)
{
    const char *p = ts_path("cut.gz");
    for (size_t cut = from; cut < zlen; cut++) {
        ts_result r[2];
        kt_write_file(p, gz, cut);
        for (int nt = 0; nt < 2; nt++) {
            /* the default 1 MiB blocks for a few cuts only: allocating
             * them thousands of times is slow under the sanitizers */
            ts_read_file(p, nt, cut % 97 == 0 ? 0 : cut % 101 == 0 ? 5 : 4096, 0, 4096, &r[nt]);
            if (r[nt].last != -1)
                kt_fail(__FILE__, __LINE__, "cut at %zu of %zu: no error", cut, zlen);
            KT_EQ_INT(r[nt].err.status, KL_ERR_DATA);
            KT_CONTAINS(r[nt].err.msg, ": truncated gzip stream: unexpected end of file inside ");
            if (cut < header_len)
                KT_CONTAINS(r[nt].err.msg, "inside the gzip header");
            else
                KT_CONTAINS(r[nt].err.msg, "inside compressed data");
            KT_CHECK(r[nt].len <= n);
            KT_CHECK(memcmp(r[nt].data, text, r[nt].len) == 0);
        }
        KT_EQ_INT(r[0].len, r[1].len);
        KT_EQ_STR(r[0].err.msg, r[1].err.msg);
        free(r[0].data);
        free(r[1].data);
    }
}

KT_TEST(source_gzip_truncated_everywhere)
{
    size_t n = 4000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    /* from 2: one byte 0x1f is not gzip magic, so it reads as plain */
    ts_truncations(gz, zlen, text, n, 2, 10);
    free(gz);
    /* a header with extra, name, comment and header CRC */
    gz = ts_gzip(text, n, 1, &zlen);
    size_t hlen = 10 + 2 + 21 + strlen("a-rather-long-original-file-name.csv") + 1 +
                  strlen("a comment in the gzip header") + 1 + 2;
    ts_truncations(gz, hlen + 40, text, n, 2, hlen);
    free(gz);
    free(text);
}

KT_TEST(source_gzip_truncated_trailer_delivers_all_data)
{
    size_t n = 100000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("trailer.gz");
    for (size_t cut = zlen - 8; cut < zlen; cut++) {
        kt_write_file(p, gz, cut);
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            ts_read_file(p, nt, 0, 0, 65536, &r);
            KT_EQ_INT(r.last, -1);
            KT_EQ_INT(r.len, n); /* all the data came out before the error */
            KT_CHECK(memcmp(r.data, text, n) == 0);
            KT_CONTAINS(r.err.msg, "truncated gzip stream");
            free(r.data);
        }
    }
    free(gz);
    free(text);
}

KT_TEST(source_gzip_truncated_second_member)
{
    size_t n = 3000, l1;
    char *text = ts_text(n);
    unsigned char *m = ts_gzip(text, n, 0, &l1);
    unsigned char *two = malloc(2 * l1);
    const char *p = ts_path("second.gz");
    memcpy(two, m, l1);
    memcpy(two + l1, m, l1);
    for (size_t extra = 1; extra < l1; extra += (extra < 40 ? 1 : 97)) {
        kt_write_file(p, two, l1 + extra);
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            ts_read_file(p, nt, 0, 0, 65536, &r);
            KT_EQ_INT(r.last, -1);
            KT_CONTAINS(r.err.msg, "truncated gzip stream");
            if (extra < 10)
                KT_CONTAINS(r.err.msg, "inside the gzip header");
            KT_CHECK(r.len >= n);
            free(r.data);
        }
    }
    free(m);
    free(two);
    free(text);
}

KT_TEST(source_gzip_bad_crc_and_length)
{
    size_t n = 50000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("crc.gz");
    struct {
        size_t at;
        const char *msg;
    } cases[] = {{zlen - 8, "incorrect data check"},
                 {zlen - 5, "incorrect data check"},
                 {zlen - 4, "incorrect length check"},
                 {zlen - 1, "incorrect length check"}};
    for (size_t i = 0; i < 4; i++) {
        gz[cases[i].at] ^= 0x40;
        kt_write_file(p, gz, zlen);
        gz[cases[i].at] ^= 0x40;
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            ts_read_file(p, nt, i % 2 ? 7 : 0, 0, 8192, &r);
            KT_EQ_INT(r.last, -1);
            KT_EQ_INT(r.err.status, KL_ERR_DATA);
            KT_CONTAINS(r.err.msg, p);
            KT_CONTAINS(r.err.msg, ": corrupt gzip stream: ");
            KT_CONTAINS(r.err.msg, cases[i].msg);
            KT_EQ_INT(r.len, n); /* the check comes after the data */
            free(r.data);
        }
    }
    free(gz);
    free(text);
}

/* The CRC of the data is checked by klaster, the header's by zlib: a bad
 * header CRC is still caught, in the first member and in a later one, and
 * a good two-member file with header CRCs reads whole. */
KT_TEST(source_gzip_header_crc_in_every_member)
{
    size_t n = 30000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 1, &zlen);
    size_t hlen = 10 + 2 + 21 + strlen("a-rather-long-original-file-name.csv") + 1 +
                  strlen("a comment in the gzip header") + 1 + 2;
    unsigned char *two = malloc(2 * zlen);
    const char *p = ts_path("hcrc.gz");
    KT_CHECK(two != NULL);
    memcpy(two, gz, zlen);
    memcpy(two + zlen, gz, zlen);
    for (int bad = -1; bad < 2; bad++) { /* none, the first member's, the second's */
        if (bad >= 0)
            two[(size_t)bad * zlen + hlen - 2] ^= 0x10;
        kt_write_file(p, two, 2 * zlen);
        if (bad >= 0)
            two[(size_t)bad * zlen + hlen - 2] ^= 0x10;
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            ts_read_file(p, nt, nt ? 5 : 0, 0, 4096, &r);
            if (bad < 0) {
                KT_EQ_INT(r.last, 0);
                KT_EQ_INT(r.len, 2 * n);
                KT_CHECK(memcmp(r.data, text, n) == 0 && memcmp(r.data + n, text, n) == 0);
            } else {
                KT_EQ_INT(r.last, -1);
                KT_CONTAINS(r.err.msg, "header crc mismatch");
                KT_EQ_INT(r.len, (size_t)bad * n);
            }
            free(r.data);
        }
    }
    free(two);
    free(gz);
    free(text);
}

KT_TEST(source_gzip_corrupt_deflate_data)
{
    size_t n = 50000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("corrupt.gz");
    gz[10] |= 0x06; /* first block: BTYPE 11, reserved */
    kt_write_file(p, gz, zlen);
    for (int nt = 0; nt < 2; nt++) {
        ts_result r;
        ts_read_file(p, nt, 0, 0, 8192, &r);
        KT_EQ_INT(r.last, -1);
        KT_EQ_INT(r.err.status, KL_ERR_DATA);
        KT_CONTAINS(r.err.msg, "corrupt gzip stream: invalid block type");
        KT_EQ_INT(r.len, 0);
        free(r.data);
    }
    /* garbage in the middle of the data: some error, never a crash or hang */
    gz[10] &= (unsigned char)~0x06;
    for (size_t at = 20; at < zlen - 8; at += 997) {
        gz[at] ^= 0xa5;
        kt_write_file(p, gz, zlen);
        gz[at] ^= 0xa5;
        for (int nt = 0; nt < 2; nt++) {
            ts_result r;
            ts_read_file(p, nt, 0, 0, 8192, &r);
            KT_EQ_INT(r.last, -1);
            KT_EQ_INT(r.err.status, KL_ERR_DATA);
            free(r.data);
        }
    }
    free(gz);
    free(text);
}

KT_TEST(source_gzip_trailing_garbage)
{
    size_t n = 20000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    unsigned char *buf = malloc(zlen + 16);
    const char *p = ts_path("garbage.gz");
    const char *tails[] = {"garbage", "\0\0\0\0", "x", "\x1f\x8c", "\x8b\x1f"};
    size_t tlen[] = {7, 4, 1, 2, 2};
    char want[256];
    memcpy(buf, gz, zlen);
    snprintf(want, sizeof want, "trailing garbage after gzip member at byte %zu", zlen);
    for (size_t i = 0; i < 5; i++) {
        memcpy(buf + zlen, tails[i], tlen[i]);
        kt_write_file(p, buf, zlen + tlen[i]);
        for (int nt = 0; nt < 2; nt++)
            for (size_t blk = 0; blk < 2; blk++) {
                ts_result r;
                ts_read_file(p, nt, blk ? 3 : 0, 0, 4096, &r);
                KT_EQ_INT(r.last, -1);
                KT_EQ_INT(r.err.status, KL_ERR_DATA);
                KT_CONTAINS(r.err.msg, want);
                KT_EQ_INT(r.len, n);
                KT_CHECK(memcmp(r.data, text, n) == 0);
                free(r.data);
            }
    }
    /* a lone 0x1f after a member is the start of a member cut short */
    buf[zlen] = 0x1f;
    kt_write_file(p, buf, zlen + 1);
    {
        ts_result r;
        ts_read_file(p, 0, 0, 0, 4096, &r);
        KT_EQ_INT(r.last, -1);
        KT_CONTAINS(r.err.msg, "truncated gzip stream");
        free(r.data);
    }
    free(buf);
    free(gz);
    free(text);
}

/* Bytes read by this process so far (all threads), or 0 if unknown. */
static unsigned long long ts_rchar(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[256];
    unsigned long long v = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

KT_TEST(source_gzip_bomb_stops_early)
{
    /* 20000 members of 1 MiB of zeros: ~20 GB once inflated */
    size_t one = 1 << 20, ml, count = 20000;
    char *zeros = calloc(1, one);
    unsigned char *m = ts_gzip(zeros, one, 0, &ml);
    const char *p = ts_path("bomb.gz");
    FILE *f = fopen(p, "wb");
    KT_CHECK(f != NULL);
    for (size_t i = 0; i < count; i++)
        KT_EQ_INT(fwrite(m, 1, ml, f), ml);
    fclose(f);
    for (int nt = 0; nt < 2; nt++) {
        ts_result r;
        unsigned long long before = ts_rchar(), after;
        ts_read_file(p, nt, 0, 3000000, 1 << 20, &r);
        after = ts_rchar();
        KT_EQ_INT(r.last, -1);
        KT_EQ_INT(r.err.status, KL_ERR_DATA);
        KT_EQ_INT(r.len, 3000000);
        KT_CONTAINS(r.err.msg, "exceeds the limit of 3000000 bytes of decompressed data "
                               "(raise it with --max-input-size)");
        /* stopped after a few MiB of input, not after the ~20 MB file */
        if (before && after)
            KT_CHECK(after - before < (8u << 20));
        free(r.data);
    }
    /* exactly at the cap is fine */
    {
        ts_result r;
        kt_write_file(p, m, ml);
        ts_read_file(p, 0, 0, one, 4096, &r);
        ts_expect_data(&r, zeros, one);
        free(r.data);
        ts_read_file(p, 1, 0, one - 1, 4096, &r);
        KT_EQ_INT(r.last, -1);
        KT_EQ_INT(r.len, one - 1);
        free(r.data);
    }
    free(m);
    free(zeros);
}

/* ---- stdin ----------------------------------------------------------------------- */

KT_TEST(source_stdin_file)
{
    size_t n = 300000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("in.gz");
    kt_write_file(p, gz, zlen);
    for (int nt = 0; nt < 2; nt++) {
        int fd = open(p, O_RDONLY);
        kl_source *src;
        kl_error err;
        ts_result r;
        KT_CHECK(fd >= 0);
        KT_CHECK(dup2(fd, 0) == 0);
        close(fd);
        KT_EQ_INT(kl_source_open(&src, "-", &(kl_source_opts){.no_thread = nt}, &err), KL_OK);
        KT_EQ_STR(kl_source_name(src), "<stdin>");
        KT_EQ_INT(kl_source_is_gzip(src), 1);
        ts_drain(src, 10000, &r);
        ts_expect_data(&r, text, n);
        kl_source_close(src);
        free(r.data);
    }
    free(gz);
    free(text);
}

typedef struct ts_writer {
    int fd;
    const unsigned char *data;
    size_t len;
    size_t step;
} ts_writer;

static void *ts_writer_main(void *arg)
{
    ts_writer *w = arg;
    for (size_t off = 0; off < w->len;) {
        size_t k = w->len - off < w->step ? w->len - off : w->step;
        ssize_t n = write(w->fd, w->data + off, k);
        if (n <= 0)
            break;
        off += (size_t)n;
        if (off % 5 == 0)
            usleep(100); /* let the reader find the pipe empty now and then */
    }
    close(w->fd);
    return NULL;
}

KT_TEST(source_stdin_pipe)
{
    size_t n = 400000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    for (int mode = 0; mode < 4; mode++) {
        int fds[2];
        pthread_t t;
        ts_writer w;
        kl_source *src;
        kl_error err;
        ts_result r;
        KT_EQ_INT(pipe(fds), 0);
        KT_CHECK(fds[0] != 0 && fds[1] != 0);
        KT_CHECK(dup2(fds[0], 0) == 0); /* replaces the previous round's pipe */
        close(fds[0]);
        w = (ts_writer){fds[1], mode < 2 ? gz : (const unsigned char *)text, mode < 2 ? zlen : n,
                        97 + (size_t)mode * 1000};
        KT_EQ_INT(pthread_create(&t, NULL, ts_writer_main, &w), 0);
        KT_EQ_INT(kl_source_open(&src, "-", &(kl_source_opts){.no_thread = mode % 2}, &err), KL_OK);
        KT_EQ_INT(kl_source_is_gzip(src), mode < 2);
        ts_drain(src, 65536, &r);
        ts_expect_data(&r, text, n);
        kl_source_close(src);
        pthread_join(t, NULL);
        free(r.data);
    }
    free(gz);
    free(text);
}

KT_TEST(source_close_early_on_idle_pipe)
{
    /* The writer sends a little and then keeps the pipe open: close must
     * still stop the thread, which is blocked waiting for input. */
    int fds[2];
    kl_source *src;
    kl_error err;
    char buf[16];
    alarm(20);
    KT_EQ_INT(pipe(fds), 0);
    KT_CHECK(dup2(fds[0], 0) == 0);
    close(fds[0]);
    KT_EQ_INT(write(fds[1], "abc,def\n", 8), 8);
    KT_EQ_INT(kl_source_open(&src, "-", NULL, &err), KL_OK);
    KT_EQ_INT(kl_source_read(src, buf, 3, &err), 3);
    KT_CHECK(memcmp(buf, "abc", 3) == 0);
    usleep(20000);
    kl_source_close(src);
    close(fds[1]);
}

KT_TEST(source_close_early_big_gzip)
{
    size_t n = 8u << 20, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("early.gz");
    kt_write_file(p, gz, zlen);
    for (int k = 0; k < 20; k++) {
        kl_source *src;
        kl_error err;
        char buf[100];
        KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_OK);
        if (k % 2)
            KT_EQ_INT(kl_source_read(src, buf, sizeof buf, &err), (ssize_t)sizeof buf);
        if (k % 4 == 3)
            usleep(5000); /* let the thread fill its queue and wait for room */
        kl_source_close(src);
    }
    kl_source_close(NULL);
    free(gz);
    free(text);
}

KT_TEST(source_sticky_end_and_error)
{
    const char *p = ts_path("sticky.gz");
    size_t zlen;
    unsigned char *gz = ts_gzip("abc", 3, 0, &zlen);
    kt_write_file(p, gz, zlen - 1);
    for (int nt = 0; nt < 2; nt++) {
        kl_source *src;
        kl_error err;
        char buf[10];
        KT_EQ_INT(kl_source_open(&src, p, &(kl_source_opts){.no_thread = nt}, &err), KL_OK);
        KT_EQ_INT(kl_source_read(src, buf, 10, &err), 3);
        for (int i = 0; i < 3; i++) {
            kl_error_clear(&err);
            KT_EQ_INT(kl_source_read(src, buf, 10, &err), -1);
            KT_EQ_INT(err.status, KL_ERR_DATA);
            KT_CONTAINS(err.msg, "truncated gzip stream");
            KT_EQ_INT(kl_source_read(src, buf, 10, NULL), -1);
        }
        KT_EQ_INT(kl_source_bytes_out(src), 3);
        kl_source_close(src);
    }
    kt_write_file(p, gz, zlen);
    {
        kl_source *src;
        kl_error err;
        char buf[10];
        KT_EQ_INT(kl_source_open(&src, p, NULL, &err), KL_OK);
        KT_EQ_INT(kl_source_read(src, buf, 0, &err), 0);
        KT_EQ_INT(kl_source_read(src, buf, 10, &err), 3);
        for (int i = 0; i < 3; i++)
            KT_EQ_INT(kl_source_read(src, buf, 10, &err), 0);
        kl_source_close(src);
    }
    free(gz);
}

#ifdef KL_FAULT_INJECTION
#include <sys/wait.h>
KT_TEST(source_out_of_memory_is_clean)
{
    size_t n = 100000, zlen;
    char *text = ts_text(n);
    unsigned char *gz = ts_gzip(text, n, 0, &zlen);
    const char *p = ts_path("oom.gz");
    kt_write_file(p, gz, zlen);
    for (int at = 1; at <= 12; at++)
        for (int nt = 0; nt < 2; nt++) {
            pid_t pid = fork();
            int status;
            if (pid == 0) {
                char v[16];
                kl_source *src;
                kl_error err;
                ts_result r;
                snprintf(v, sizeof v, "%d", at);
                setenv("KLASTER_FAIL_ALLOC_AT", v, 1);
                free(gz); /* so that LeakSanitizer sees only the reader's leaks */
                if (kl_source_open(&src, p, &(kl_source_opts){.no_thread = nt}, &err) != KL_OK) {
                    KT_EQ_INT(err.status, KL_ERR_INTERNAL);
                    KT_CONTAINS(err.msg, "out of memory");
                    free(text);
                    exit(0);
                }
                ts_drain(src, 4096, &r);
                if (r.last < 0)
                    KT_CONTAINS(r.err.msg, "out of memory");
                else
                    ts_expect_data(&r, text, n);
                kl_source_close(src);
                free(r.data);
                free(text);
                exit(0);
            }
            KT_CHECK(pid > 0);
            KT_CHECK(waitpid(pid, &status, 0) == pid);
            KT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    free(gz);
    free(text);
}
#endif
