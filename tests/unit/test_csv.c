/*
 * test_csv.c -- unit tests of kl_csv: delimiter detection, RFC 4180 quoting,
 * line ends, BOM and blank lines, every rejected input with its
 * file:line:column, and records that straddle buffer refills and gzip
 * member boundaries (the parse must not depend on where the reads fall).
 */
#include "kt.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "kl_csv.h"

/* ---- helpers ------------------------------------------------------------- */

static char *tc_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 4096, "%s/%s", kt_tmpdir(), name);
    return p;
}

static unsigned char *tc_gzip(const void *data, size_t len, size_t *outlen)
{
    z_stream zs;
    size_t cap = compressBound((uLong)len) + 64;
    unsigned char *out = malloc(cap);
    KT_CHECK(out != NULL);
    memset(&zs, 0, sizeof zs);
    KT_EQ_INT(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    KT_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Writes data as gzip, split into members at the given offsets. */
static void tc_write_gzip(const char *path, const char *data, size_t len, const size_t *cuts,
                          size_t ncuts)
{
    FILE *f = fopen(path, "wb");
    size_t from = 0;
    KT_CHECK(f != NULL);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len, zl;
        unsigned char *z = tc_gzip(data + from, to - from, &zl);
        KT_EQ_INT(fwrite(z, 1, zl, f), zl);
        free(z);
        from = to;
    }
    fclose(f);
}

/* A growing string. */
typedef struct tc_str {
    char *s;
    size_t len, cap;
} tc_str;

static void tc_add(tc_str *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->len;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->s = realloc(b->s, b->cap);
        KT_CHECK(b->s != NULL);
    }
}

/* Reads every record and renders it as "LINE: [COL q 'text'] ..." lines
 * (a field that starts on another line than its record shows LINE:COL),
 * then "END" or "ERR status msg".  Checks the NUL terminators on the way. */
/* One record of a dump: "LINE: [COL 'text'] [FIELDLINE:COL q 'text'] ...". */
static void tc_add_record(tc_str *b, uint64_t line, const kl_field *f, size_t nf,
                          const uint64_t *fline, const uint64_t *fcol)
{
    tc_add(b, "%llu:", (unsigned long long)line);
    for (size_t i = 0; i < nf; i++) {
        KT_EQ_INT(f[i].ptr[f[i].len], '\0');
        if (fline[i] != line)
            tc_add(b, " [%llu:", (unsigned long long)fline[i]);
        else
            tc_add(b, " [");
        tc_add(b, "%llu%s '", (unsigned long long)fcol[i], f[i].quoted ? " q" : "");
        for (size_t k = 0; k < f[i].len; k++) {
            unsigned char c = (unsigned char)f[i].ptr[k];
            if (c == '\n')
                tc_add(b, "\\n");
            else if (c == '\r')
                tc_add(b, "\\r");
            else if (c < 0x20 || c >= 0x7f)
                tc_add(b, "\\x%02x", c);
            else
                tc_add(b, "%c", c);
        }
        tc_add(b, "']");
    }
    tc_add(b, "\n");
}

#define TC_MAX_FIELDS 4096

/* The dump through kl_csv_next_batch (max_rows a batch) instead of
 * kl_csv_next_row: must be the same text, errors included. */
static char *tc_dump_batches(const char *path, const kl_csv_opts *o, size_t max_rows)
{
    static uint64_t fline[TC_MAX_FIELDS], fcol[TC_MAX_FIELDS];
    tc_str b = {0};
    kl_csv *csv;
    kl_csv_batch bt;
    kl_error err;
    int r;
    if (kl_csv_open(&csv, path, o, &err) != KL_OK) {
        tc_add(&b, "OPEN %d %s\n", err.status, err.msg);
        return b.s;
    }
    tc_add(&b, "DELIM %d\n", kl_csv_delimiter(csv));
    while ((r = kl_csv_next_batch(csv, max_rows, &bt, &err)) == 1) {
        KT_CHECK(bt.nrows >= 1 && bt.nrows <= max_rows);
        for (size_t row = 0; row < bt.nrows; row++) {
            size_t nf = kl_csv_batch_nfields(&bt, row);
            KT_CHECK(nf <= TC_MAX_FIELDS);
            for (size_t i = 0; i < nf; i++) {
                fline[i] = kl_csv_batch_field_line(&bt, row, i);
                fcol[i] = kl_csv_batch_column(&bt, row, i);
            }
            KT_EQ_INT(kl_csv_batch_column(&bt, row, nf), 0);
            tc_add_record(&b, bt.lines[row], kl_csv_batch_field(&bt, row, 0), nf, fline, fcol);
        }
    }
    if (r == 0)
        tc_add(&b, "END\n");
    else
        tc_add(&b, "ERR %d %s\n", err.status, err.msg);
    KT_EQ_INT(kl_csv_next_batch(csv, max_rows, &bt, &err), r);
    kl_csv_close(csv);
    return b.s;
}

static char *tc_dump_opts(const char *path, const kl_csv_opts *o)
{
    static uint64_t fline[TC_MAX_FIELDS], fcol[TC_MAX_FIELDS];
    static const size_t batch_sizes[] = {1, 2, 3, 512};
    tc_str b = {0};
    kl_csv *csv;
    kl_error err;
    const kl_field *f;
    size_t nf;
    int r;
    if (kl_csv_open(&csv, path, o, &err) != KL_OK) {
        tc_add(&b, "OPEN %d %s\n", err.status, err.msg);
        return b.s;
    }
    tc_add(&b, "DELIM %d\n", kl_csv_delimiter(csv));
    while ((r = kl_csv_next_row(csv, &f, &nf, &err)) == 1) {
        KT_CHECK(nf <= TC_MAX_FIELDS);
        for (size_t i = 0; i < nf; i++) {
            fline[i] = kl_csv_field_line(csv, i);
            fcol[i] = kl_csv_field_column(csv, i);
        }
        tc_add_record(&b, kl_csv_row_line(csv), f, nf, fline, fcol);
    }
    if (r == 0)
        tc_add(&b, "END\n");
    else
        tc_add(&b, "ERR %d %s\n", err.status, err.msg);
    /* the same answer once more */
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), r);
    kl_csv_close(csv);
    /* and the same records, reading in batches of any size */
    for (size_t k = 0; k < sizeof batch_sizes / sizeof *batch_sizes; k++) {
        char *other = tc_dump_batches(path, o, batch_sizes[k]);
        if (strcmp(other, b.s) != 0)
            kt_fail(__FILE__, __LINE__, "batches of %zu differ:\n%s--- one by one:\n%s",
                    batch_sizes[k], other, b.s);
        free(other);
    }
    return b.s;
}

static char *tc_dump(const char *path)
{
    return tc_dump_opts(path, NULL);
}

/* Writes text to a file and checks the dump, with the path shown as P. */
static void tc_expect_impl(const char *file, int line, const char *text, size_t len,
                           const kl_csv_opts *o, const char *want)
{
    const char *p = tc_path("t.csv");
    char *got;
    tc_str w = {0};
    kt_write_file(p, text, len);
    got = tc_dump_opts(p, o);
    /* replace P by the path in want */
    for (const char *s = want; *s; s++) {
        if (*s == 'P' && s[1] == ':')
            tc_add(&w, "%s", p);
        else
            tc_add(&w, "%c", *s);
    }
    if (strcmp(got, w.s) != 0)
        kt_fail(file, line, "input:\n%.*s\n--- got:\n%s--- expected:\n%s", (int)len, text, got, w.s);
    free(got);
    free(w.s);
}
#define TC_EXPECT(text, opts, want) tc_expect_impl(__FILE__, __LINE__, text, sizeof(text) - 1, opts, want)

/* ---- good input -------------------------------------------------------------- */

KT_TEST(csv_basic)
{
    TC_EXPECT("id,name,score\n1,alpha,3.5\n2,beta,\n", NULL,
              "DELIM 44\n"
              "1: [1 'id'] [4 'name'] [9 'score']\n"
              "2: [1 '1'] [3 'alpha'] [9 '3.5']\n"
              "3: [1 '2'] [3 'beta'] [8 '']\n"
              "END\n");
}

KT_TEST(csv_api_details)
{
    const char *p = tc_path("api.csv");
    const char *text = "a,b\n10,20\n";
    kl_csv *csv;
    kl_error err;
    const kl_field *f;
    size_t nf;
    kt_write_file(p, text, strlen(text));
    KT_EQ_INT(kl_csv_open(&csv, p, NULL, &err), KL_OK);
    KT_EQ_STR(kl_csv_name(csv), p);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
    KT_EQ_INT(nf, 2);
    KT_EQ_STR(f[0].ptr, "a");
    KT_EQ_INT(kl_csv_bytes(csv), 4);
    KT_EQ_INT(kl_csv_field_column(csv, 1), 3);
    KT_EQ_INT(kl_csv_field_column(csv, 2), 0);
    KT_EQ_INT(kl_csv_field_line(csv, 1), 1);
    KT_EQ_INT(kl_csv_field_line(csv, 2), 0);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
    KT_EQ_STR(f[1].ptr, "20");
    KT_EQ_INT(f[1].quoted, 0);
    KT_EQ_INT(kl_csv_bytes(csv), 10);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 0);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 0);
    KT_EQ_INT(kl_csv_bytes(csv), 10);
    kl_csv_close(csv);
    kl_csv_close(NULL);
}

KT_TEST(csv_detect_delimiter)
{
    TC_EXPECT("a;b;c\n1;2,5;3\n", NULL, "DELIM 59\n1: [1 'a'] [3 'b'] [5 'c']\n2: [1 '1'] [3 '2,5'] [7 '3']\nEND\n");
    TC_EXPECT("a\tb\n1\t2\n", NULL, "DELIM 9\n1: [1 'a'] [3 'b']\n2: [1 '1'] [3 '2']\nEND\n");
    /* tie between comma and semicolon: comma */
    TC_EXPECT("a,b;c\n", NULL, "DELIM 44\n1: [1 'a'] [3 'b;c']\nEND\n");
    /* tie between semicolon and tab: comma */
    TC_EXPECT("a;b\tc\n", NULL, "DELIM 44\n1: [1 'a;b\\x09c']\nEND\n");
    /* none: comma */
    TC_EXPECT("abc\n", NULL, "DELIM 44\n1: [1 'abc']\nEND\n");
    /* delimiters inside quotes do not count, also across an embedded line end */
    TC_EXPECT("\"x;y;z\",b\n", NULL, "DELIM 44\n1: [1 q 'x;y;z'] [9 'b']\nEND\n");
    TC_EXPECT("\"a,b\nc,d,e\";f;g\n", NULL, "DELIM 59\n1: [1 q 'a,b\\nc,d,e'] [2:8 'f'] [2:10 'g']\nEND\n");
    /* only the header line counts */
    TC_EXPECT("a;b\n1,2,3,4,5\n", NULL, "DELIM 59\n1: [1 'a'] [3 'b']\n2: [1 '1,2,3,4,5']\nEND\n");
    /* after a BOM and blank lines; no line end at all */
    TC_EXPECT("\xEF\xBB\xBF\n\r\nx\ty", NULL, "DELIM 9\n3: [1 'x'] [3 'y']\nEND\n");
}

KT_TEST(csv_detect_long_header_small_buffer)
{
    /* the header does not fit the first buffer: detection reads on */
    tc_str h = {0};
    for (int i = 0; i < 300; i++)
        tc_add(&h, "%scolumn_%d", i ? ";" : "", i);
    tc_add(&h, "\n1,2,3\n");
    const char *p = tc_path("wide.csv");
    kt_write_file(p, h.s, h.len);
    kl_csv_opts o = {0};
    o.buffer_size = 16;
    kl_csv *csv;
    kl_error err;
    const kl_field *f;
    size_t nf;
    KT_EQ_INT(kl_csv_open(&csv, p, &o, &err), KL_OK);
    KT_EQ_INT(kl_csv_delimiter(csv), ';');
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
    KT_EQ_INT(nf, 300);
    KT_EQ_STR(f[299].ptr, "column_299");
    kl_csv_close(csv);
    free(h.s);
}

KT_TEST(csv_forced_delimiter)
{
    kl_csv_opts o = {0};
    o.delimiter = ';';
    TC_EXPECT("a,b,c;d\n1;2\n", &o, "DELIM 59\n1: [1 'a,b,c'] [7 'd']\n2: [1 '1'] [3 '2']\nEND\n");
    o.delimiter = '\t';
    TC_EXPECT("a,b\tc\n", &o, "DELIM 9\n1: [1 'a,b'] [5 'c']\nEND\n");
    o.delimiter = ',';
    TC_EXPECT("a;b;c,d\n", &o, "DELIM 44\n1: [1 'a;b;c'] [7 'd']\nEND\n");
    o.delimiter = '|';
    TC_EXPECT("a|b\n", &o, "OPEN 64 invalid CSV delimiter 0x7c (expected ',', ';' or tab)\n");
}

KT_TEST(csv_quoted_fields)
{
    TC_EXPECT("\"a\",\"b \"\"x\"\" c\",\"\",\"d,e\"\n"
              "\"multi\nline\",2,\"\"\"\"\n"
              "\"cr\r\nlf\",\"x\ry\",z\n"
              "last,\"\"\n",
              NULL,
              "DELIM 44\n"
              "1: [1 q 'a'] [5 q 'b \"x\" c'] [17 q ''] [20 q 'd,e']\n"
              "2: [1 q 'multi\\nline'] [3:7 '2'] [3:9 q '\"']\n"
              "4: [1 q 'cr\\r\\nlf'] [5:5 q 'x\\ry'] [6:4 'z']\n"
              "7: [1 'last'] [6 q '']\n"
              "END\n");
    /* a quote inside an unquoted field is kept as is */
    TC_EXPECT("a,b\nx\"y,\"\"\"z\"\n", NULL,
              "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 'x\"y'] [5 q '\"z']\nEND\n");
}

KT_TEST(csv_line_endings)
{
    TC_EXPECT("a,b\r\n1,2\r\n3,4\r5,6\n7,8", NULL,
              "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 '1'] [3 '2']\n3: [1 '3'] [3 '4']\n"
              "4: [1 '5'] [3 '6']\n5: [1 '7'] [3 '8']\nEND\n");
    /* CR CR is a blank line; LF CR too */
    TC_EXPECT("a\r\rb\n\rc\r\n\r\nd\r", NULL,
              "DELIM 44\n1: [1 'a']\n3: [1 'b']\n5: [1 'c']\n7: [1 'd']\nEND\n");
}

KT_TEST(csv_blank_lines_and_last_line)
{
    TC_EXPECT("\n\na,b\n\n\n1,2\n\n", NULL,
              "DELIM 44\n3: [1 'a'] [3 'b']\n6: [1 '1'] [3 '2']\nEND\n");
    TC_EXPECT("a,b\n1,", NULL, "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 '1'] [3 '']\nEND\n");
    TC_EXPECT("a,b\n\"q\"", NULL, "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 q 'q']\nEND\n");
    TC_EXPECT("a,b\n,\n", NULL, "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 ''] [2 '']\nEND\n");
    /* spaces are content, not blank */
    TC_EXPECT("a\n \n", NULL, "DELIM 44\n1: [1 'a']\n2: [1 ' ']\nEND\n");
}

KT_TEST(csv_bom)
{
    TC_EXPECT("\xEF\xBB\xBF" "a,b\n1,2\n", NULL, "DELIM 44\n1: [1 'a'] [3 'b']\n2: [1 '1'] [3 '2']\nEND\n");
    /* only at the very start */
    TC_EXPECT("a\n\xEF\xBB\xBFx\n", NULL, "DELIM 44\n1: [1 'a']\n2: [1 '\\xef\\xbb\\xbfx']\nEND\n");
    TC_EXPECT("\xEF\xBB\xBF\xEF\xBB\xBF" "a\n", NULL, "DELIM 44\n1: [1 '\\xef\\xbb\\xbfa']\nEND\n");
    /* a partial BOM is data */
    TC_EXPECT("\xEF\xBB" "a\n", NULL, "DELIM 44\n1: [1 '\\xef\\xbba']\nEND\n");
}

KT_TEST(csv_columns)
{
    TC_EXPECT("ab,\"cd\",,e\n\"x\ny\",\"p\nqq\",r\n", NULL,
              "DELIM 44\n"
              "1: [1 'ab'] [4 q 'cd'] [9 ''] [10 'e']\n"
              "2: [1 q 'x\\ny'] [3:4 q 'p\\nqq'] [4:5 'r']\n"
              "END\n");
}

KT_TEST(csv_many_fields)
{
    tc_str t = {0};
    const char *p = tc_path("many.csv");
    for (int i = 0; i < 5000; i++)
        tc_add(&t, "%s%d", i ? "," : "", i);
    tc_add(&t, "\n");
    kt_write_file(p, t.s, t.len);
    kl_csv *csv;
    kl_error err;
    const kl_field *f;
    size_t nf;
    KT_EQ_INT(kl_csv_open(&csv, p, NULL, &err), KL_OK);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
    KT_EQ_INT(nf, 5000);
    for (int i = 0; i < 5000; i++)
        KT_EQ_INT(atoi(f[i].ptr), i);
    KT_EQ_INT(kl_csv_field_column(csv, 4999), t.len - 4);
    KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 0);
    kl_csv_close(csv);
    free(t.s);
}

/* ---- bad input --------------------------------------------------------------------- */

KT_TEST(csv_empty_inputs)
{
    const char *want = "OPEN 65 P: empty file (expected a header line)\n";
    TC_EXPECT("", NULL, want);
    TC_EXPECT("\xEF\xBB\xBF", NULL, want);
    TC_EXPECT("\n\n\r\n\r", NULL, want);
    TC_EXPECT("\xEF\xBB\xBF\r\n", NULL, want);
    /* gzip of nothing, one and two members */
    const char *p = tc_path("empty.csv.gz");
    char *got;
    char exp[4200];
    snprintf(exp, sizeof exp, "OPEN 65 %s: empty file (expected a header line)\n", p);
    size_t cuts[] = {0};
    tc_write_gzip(p, "", 0, NULL, 0);
    got = tc_dump(p);
    KT_EQ_STR(got, exp);
    free(got);
    tc_write_gzip(p, "", 0, cuts, 1);
    got = tc_dump(p);
    KT_EQ_STR(got, exp);
    free(got);
    tc_write_gzip(p, "\n\n", 2, cuts, 1);
    got = tc_dump(p);
    KT_EQ_STR(got, exp);
    free(got);
}

KT_TEST(csv_unterminated_quote)
{
    TC_EXPECT("a,b\n1,\"abc\ndef\n\n", NULL,
              "DELIM 44\n1: [1 'a'] [3 'b']\n"
              "ERR 65 P:2:3: quoted field is never closed (expected a closing '\"' before the end of the input)\n");
    TC_EXPECT("\"abc", NULL,
              "DELIM 44\n"
              "ERR 65 P:1:1: quoted field is never closed (expected a closing '\"' before the end of the input)\n");
}

KT_TEST(csv_char_after_closing_quote)
{
    TC_EXPECT("a,b\n\"x\"y,2\n", NULL,
              "DELIM 44\n1: [1 'a'] [3 'b']\n"
              "ERR 65 P:2:4: unexpected 'y' after the closing quote of a field (expected the "
              "delimiter ',' or the end of the line)\n");
    TC_EXPECT("a\n\"x\ny\" \n", NULL,
              "DELIM 44\n1: [1 'a']\n"
              "ERR 65 P:3:3: unexpected ' ' after the closing quote of a field (expected the "
              "delimiter ',' or the end of the line)\n");
    TC_EXPECT("a;b\n\"x\"\x01;\n", NULL,
              "DELIM 59\n1: [1 'a'] [3 'b']\n"
              "ERR 65 P:2:4: unexpected byte 0x01 after the closing quote of a field (expected the "
              "delimiter ';' or the end of the line)\n");
}

KT_TEST(csv_nul_byte)
{
    TC_EXPECT("a,b\n1,2\0x\n", NULL,
              "DELIM 44\n1: [1 'a'] [3 'b']\n"
              "ERR 65 P:2:4: NUL byte in the data (expected text; is this a binary file?)\n");
    TC_EXPECT("a\n\"x\ny\0\"\n", NULL,
              "DELIM 44\n1: [1 'a']\n"
              "ERR 65 P:3:2: NUL byte in the data (expected text; is this a binary file?)\n");
    TC_EXPECT("a\n\"x\"\0\n", NULL,
              "DELIM 44\n1: [1 'a']\n"
              "ERR 65 P:2:4: NUL byte in the data (expected text; is this a binary file?)\n");
    TC_EXPECT("a\n\0", NULL,
              "DELIM 44\n1: [1 'a']\n"
              "ERR 65 P:2:1: NUL byte in the data (expected text; is this a binary file?)\n");
}

KT_TEST(csv_field_too_large)
{
    kl_csv_opts o = {0};
    o.max_field = 10;
    TC_EXPECT("a\n0123456789\n\"0123456789\"\n\"01234\"\"678\"\n", &o,
              "DELIM 44\n1: [1 'a']\n2: [1 '0123456789']\n3: [1 q '0123456789']\n"
              "4: [1 q '01234\"678']\nEND\n");
    TC_EXPECT("a\nx,01234567890\n", &o,
              "DELIM 44\n1: [1 'a']\nERR 65 P:2:3: field is longer than the limit of 10 bytes "
              "(raise it with --max-field-size)\n");
    TC_EXPECT("a\nx,\"0\n2345678\"\"9\"\n", &o,
              "DELIM 44\n1: [1 'a']\nERR 65 P:2:3: field is longer than the limit of 10 bytes "
              "(raise it with --max-field-size)\n");
    /* the last field, at the end of the file */
    TC_EXPECT("a\n01234567890", &o,
              "DELIM 44\n1: [1 'a']\nERR 65 P:2:1: field is longer than the limit of 10 bytes "
              "(raise it with --max-field-size)\n");
}

KT_TEST(csv_huge_field_stops_early)
{
    /* 64 MiB without a line end and the default 1 MiB cap: the error comes
     * long before the reader has buffered the whole line */
    size_t n = 64u << 20;
    char *big = malloc(n);
    const char *p = tc_path("huge.csv.gz");
    memset(big, 'x', n);
    memcpy(big, "h\n\"", 3);
    tc_write_gzip(p, big, n, NULL, 0);
    char *got = tc_dump(p);
    char exp[4200];
    snprintf(exp, sizeof exp,
             "DELIM 44\n1: [1 'h']\nERR 65 %s:2:1: field is longer than the limit of 1048576 bytes "
             "(raise it with --max-field-size)\n",
             p);
    KT_EQ_STR(got, exp);
    free(got);
    free(big);
}

/* ---- records across reads and gzip members ----------------------------------------- */

static const char tc_tricky[] =
    "\xEF\xBB\xBF" "id,\"na\"\"me\",note\r\n"
    "1,\"a,b\",\"line1\nline2\"\r\n"
    "\r\n"
    "2,\"\"\"\"\"\"\"\",x\r"
    "3,,\"\"\n"
    "\n"
    "4,\"ends with cr\r\",\"q\"\"\r\n\"\n"
    "5,plain,\"a\"\"\"\"b\"\r\n"
    "6,\"\",last\n"
    "7,0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789,"
    "\"0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
    "8,\"x\",y";

KT_TEST(csv_boundaries_everywhere_plain)
{
    const char *p = tc_path("tricky.csv");
    kt_write_file(p, tc_tricky, sizeof tc_tricky - 1);
    char *ref = tc_dump(p);
    KT_CONTAINS(ref, "\nEND\n");
    KT_CONTAINS(ref, "8: [1 '4'] [3 q 'ends with cr\\r'] [9:3 q 'q\"\\r\\n']\n");
    for (size_t buf = 4; buf <= 48; buf++)
        for (size_t blk = 1; blk <= 9; blk += 4)
            for (int nt = 0; nt < 2; nt++) {
                kl_csv_opts o = {0};
                o.buffer_size = buf;
                o.source.block_size = blk;
                o.source.no_thread = nt;
                char *got = tc_dump_opts(p, &o);
                if (strcmp(got, ref) != 0)
                    kt_fail(__FILE__, __LINE__, "buffer %zu block %zu nt %d:\n%s\nexpected:\n%s", buf,
                            blk, nt, got, ref);
                free(got);
            }
    free(ref);
}

KT_TEST(csv_boundaries_everywhere_gzip_members)
{
    const char *plain = tc_path("tricky.csv");
    const char *p = tc_path("tricky.csv.gz");
    size_t n = sizeof tc_tricky - 1;
    kt_write_file(plain, tc_tricky, n);
    char *ref = tc_dump(plain);
    /* the path differs; compare from the first record on */
    for (size_t cut = 0; cut <= n; cut++) {
        size_t cuts[2] = {cut, cut + (n - cut) / 2};
        tc_write_gzip(p, tc_tricky, n, cuts, 2);
        kl_csv_opts o = {0};
        o.buffer_size = 4 + cut % 11;
        o.source.block_size = 1 + cut % 5;
        o.source.no_thread = (int)(cut % 2);
        char *got = tc_dump_opts(p, &o);
        if (strcmp(got, ref) != 0)
            kt_fail(__FILE__, __LINE__, "members split at %zu and %zu:\n%s\nexpected:\n%s", cuts[0],
                    cuts[1], got, ref);
        free(got);
    }
    free(ref);
}

KT_TEST(csv_long_field_across_default_buffers)
{
    /* a 3 MiB quoted field with doubled quotes and line ends, in a file
     * read through the default 1 MiB buffer; plain and gzip */
    size_t flen = 3u << 20;
    tc_str t = {0};
    tc_add(&t, "k,v\n1,\"");
    char *field = malloc(flen + 1);
    char *want = malloc(flen + 1);
    size_t wl = 0;
    for (size_t i = 0; i < flen; i++) {
        char c = i % 1000 == 999 ? '\n' : i % 777 == 0 ? '"' : (char)('a' + i % 26);
        field[i] = c;
        want[wl++] = c;
    }
    field[flen] = '\0';
    for (size_t i = 0; i < flen; i++) {
        if (field[i] == '"')
            tc_add(&t, "\"\"");
        else
            tc_add(&t, "%c", field[i]);
    }
    tc_add(&t, "\",end\n2,x,y\n");
    const char *paths[2] = {tc_path("long.csv"), tc_path("long.csv.gz")};
    kt_write_file(paths[0], t.s, t.len);
    tc_write_gzip(paths[1], t.s, t.len, NULL, 0);
    for (int k = 0; k < 2; k++) {
        kl_csv_opts o = {0};
        o.max_field = 8u << 20;
        kl_csv *csv;
        kl_error err;
        const kl_field *f;
        size_t nf;
        KT_EQ_INT(kl_csv_open(&csv, paths[k], &o, &err), KL_OK);
        KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
        KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
        KT_EQ_INT(nf, 3);
        KT_EQ_INT(kl_csv_row_line(csv), 2);
        KT_EQ_INT(f[1].len, wl);
        KT_EQ_INT(f[1].quoted, 1);
        KT_CHECK(memcmp(f[1].ptr, want, wl) == 0);
        KT_EQ_INT(f[1].ptr[wl], '\0');
        KT_EQ_STR(f[2].ptr, "end");
        KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
        KT_EQ_INT(kl_csv_row_line(csv), 2 + flen / 1000 + 1);
        KT_EQ_STR(f[2].ptr, "y");
        KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 0);
        kl_csv_close(csv);
    }
    free(field);
    free(want);
    free(t.s);
}

/* ---- the source underneath ----------------------------------------------------------- */

static char *tc_rows_text(int rows, size_t *len)
{
    tc_str t = {0};
    tc_add(&t, "id,region,value,label\n");
    for (int i = 1; i <= rows; i++)
        tc_add(&t, "%d,R%03d,%d.%02d,\"label %d, \"\"quoted\"\"\"\n", i, i % 97, i * 7, i % 100, i);
    *len = t.len;
    return t.s;
}

/* How many bytes zlib can inflate from the first len bytes of a gzip file. */
static size_t tc_inflatable(const unsigned char *gz, size_t len, size_t cap)
{
    z_stream zs;
    unsigned char *out = malloc(cap);
    size_t got;
    memset(&zs, 0, sizeof zs);
    KT_EQ_INT(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (unsigned char *)gz;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    (void)inflate(&zs, Z_SYNC_FLUSH);
    got = cap - zs.avail_out;
    inflateEnd(&zs);
    free(out);
    return got;
}

/* "LINE:COL" of the byte after the first n bytes of text. */
static void tc_position(const char *text, size_t n, char *buf, size_t cap)
{
    unsigned long long line = 1, col = 1;
    for (size_t i = 0; i < n; i++) {
        col++;
        if (text[i] == '\n')
            line++, col = 1;
    }
    snprintf(buf, cap, "%llu:%llu", line, col);
}

KT_TEST(csv_gzip_errors_carry_the_line)
{
    size_t n, zl;
    char *text = tc_rows_text(20000, &n);
    unsigned char *gz = tc_gzip(text, n, &zl);
    const char *p = tc_path("firms.csv.gz");
    for (int mode = 0; mode < 3; mode++) {
        size_t wl = mode == 0 ? zl / 2 : zl;
        unsigned char *w = malloc(zl + 8);
        memcpy(w, gz, zl);
        if (mode == 2) {
            memcpy(w + zl, "junk", 4);
            wl += 4;
        }
        kt_write_file(p, w, wl);
        for (int nt = 0; nt < 2; nt++) {
            kl_csv_opts o = {0};
            kl_csv *csv;
            kl_error err;
            const kl_field *f;
            size_t nf;
            int r;
            uint64_t rows = 0, prev = 0;
            char want[4300];
            o.source.no_thread = nt;
            if (mode == 1)
                o.source.max_bytes = n / 3;
            KT_EQ_INT(kl_csv_open(&csv, p, &o, &err), KL_OK);
            while ((r = kl_csv_next_row(csv, &f, &nf, &err)) == 1) {
                rows++;
                KT_EQ_INT(kl_csv_row_line(csv), rows);
                KT_EQ_INT(nf, 4);
                if (rows > 1) {
                    KT_EQ_INT(atoi(f[0].ptr), (long long)prev + 1);
                    prev = (uint64_t)atoi(f[0].ptr);
                }
            }
            KT_EQ_INT(r, -1);
            KT_EQ_INT(err.status, KL_ERR_DATA);
            /* The position is where the good bytes end: after all of
             * them, after the first n / 3, after what zlib could inflate. */
            char at[64];
            tc_position(text, mode == 2 ? n : mode == 1 ? n / 3 : tc_inflatable(gz, wl, n), at,
                        sizeof at);
            KT_EQ_INT(strtoull(at, NULL, 10), rows + 1);
            if (mode == 2) {
                /* all rows first, then the garbage, at the line after the last */
                KT_EQ_INT(rows, 20001);
                snprintf(want, sizeof want, "%s:20002:1: trailing garbage after gzip member at byte %zu",
                         p, zl);
            } else if (mode == 1) {
                snprintf(want, sizeof want,
                         "%s:%s: gzip stream exceeds the limit of %zu bytes of decompressed data", p, at,
                         n / 3);
            } else {
                snprintf(want, sizeof want,
                         "%s:%s: truncated gzip stream: unexpected end of file inside compressed data",
                         p, at);
            }
            KT_CONTAINS(err.msg, want);
            KT_CHECK(rows > 1000);
            kl_csv_close(csv);
        }
        free(w);
    }
    free(gz);
    free(text);
}

KT_TEST(csv_missing_file)
{
    kl_csv *csv = (kl_csv *)1;
    kl_error err;
    const char *p = tc_path("nope.csv");
    KT_EQ_INT(kl_csv_open(&csv, p, NULL, &err), KL_ERR_NOINPUT);
    KT_CHECK(csv == NULL);
    KT_CONTAINS(err.msg, ": cannot open: ");
}

KT_TEST(csv_stdin)
{
    size_t n, zl;
    char *text = tc_rows_text(3000, &n);
    unsigned char *gz = tc_gzip(text, n, &zl);
    const char *p = tc_path("in.gz");
    kt_write_file(p, gz, zl);
    int fd = open(p, O_RDONLY);
    KT_CHECK(fd >= 0);
    KT_CHECK(dup2(fd, 0) == 0);
    close(fd);
    kl_csv *csv;
    kl_error err;
    const kl_field *f;
    size_t nf;
    uint64_t rows = 0;
    KT_EQ_INT(kl_csv_open(&csv, "-", NULL, &err), KL_OK);
    KT_EQ_STR(kl_csv_name(csv), "<stdin>");
    while (kl_csv_next_row(csv, &f, &nf, &err) == 1)
        rows++;
    KT_EQ_INT(rows, 3001);
    KT_EQ_STR(f[3].ptr, "label 3000, \"quoted\"");
    KT_EQ_INT(kl_csv_bytes(csv), n);
    kl_csv_close(csv);
    free(gz);
    free(text);
}

KT_TEST(csv_close_early)
{
    size_t n, zl;
    char *text = tc_rows_text(200000, &n);
    unsigned char *gz = tc_gzip(text, n, &zl);
    const char *p = tc_path("early.csv.gz");
    kt_write_file(p, gz, zl);
    for (int k = 0; k < 10; k++) {
        kl_csv *csv;
        kl_error err;
        const kl_field *f;
        size_t nf;
        KT_EQ_INT(kl_csv_open(&csv, p, NULL, &err), KL_OK);
        for (int i = 0; i < k * 1000; i++)
            KT_EQ_INT(kl_csv_next_row(csv, &f, &nf, &err), 1);
        kl_csv_close(csv);
    }
    free(gz);
    free(text);
}

#ifdef KL_FAULT_INJECTION
#include <sys/wait.h>
KT_TEST(csv_out_of_memory_is_clean)
{
    size_t n, zl;
    char *text = tc_rows_text(2000, &n);
    unsigned char *gz = tc_gzip(text, n, &zl);
    const char *p = tc_path("oom.csv.gz");
    kt_write_file(p, gz, zl);
    for (int at = 1; at <= 16; at++) {
        pid_t pid = fork();
        int status;
        if (pid == 0) {
            char v[16];
            kl_csv *csv;
            kl_error err;
            const kl_field *f;
            size_t nf;
            kl_csv_opts o = {0};
            int r;
            o.buffer_size = 64; /* so that the buffer has to grow */
            free(gz); /* so that LeakSanitizer sees only the reader's leaks */
            free(text);
            snprintf(v, sizeof v, "%d", at);
            setenv("KLASTER_FAIL_ALLOC_AT", v, 1);
            if (kl_csv_open(&csv, p, &o, &err) != KL_OK) {
                KT_EQ_INT(err.status, KL_ERR_INTERNAL);
                KT_CONTAINS(err.msg, "out of memory");
                exit(0);
            }
            while ((r = kl_csv_next_row(csv, &f, &nf, &err)) == 1)
                ;
            if (r < 0)
                KT_CONTAINS(err.msg, "out of memory");
            kl_csv_close(csv);
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
