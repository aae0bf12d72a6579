/*
 * test_writer.c -- unit tests of kl_writer: the exact bytes of each format,
 * gzip output that decompresses to the CSV, and the atomicity protocol
 * (abort, failed writes, a file-size limit, a missing folder, stdout).
 */
#include "kt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kl_writer.h"

/* ---- helpers ------------------------------------------------------------ */

#define W_NCOLS 4
static const char *const w_columns[W_NCOLS] = {"name", "n", "x", "note, with comma"};

static kl_value w_missing(void)
{
    kl_value v = {0};
    return v;
}

static kl_value w_int(int64_t i)
{
    kl_value v = {.type = KL_TYPE_INT};
    v.u.i = i;
    return v;
}

static kl_value w_num(double n)
{
    kl_value v = {.type = KL_TYPE_NUM};
    v.u.n = n;
    return v;
}

static kl_value w_text(const char *s)
{
    kl_value v = {.type = KL_TYPE_TEXT};
    v.u.s = s;
    return v;
}

/* A small table touching every rule: quoting, missing values, extremes. */
#define W_NROWS 7
static void w_rows(kl_value rows[W_NROWS][W_NCOLS])
{
    kl_value r[W_NROWS][W_NCOLS] = {
        {w_text("plain"), w_int(1), w_num(0.1), w_text("a,b")},
        {w_text("say \"hi\""), w_missing(), w_num(1e21), w_text(" lead")},
        {w_text("trail "), w_int(-5), w_num(-0.0), w_text("line\nbreak")},
        {w_missing(), w_int(INT64_MIN), w_num(NAN), w_text("cr\rhere")},
        {w_text(""), w_int(0), w_num(12345.67), w_text("tab\tinside")},
        {w_text("\xc3\xbcn\xc3\xaf" "code"), w_int(42), w_num(1.5e-7), w_missing()},
        {w_text("ctl\x01\x1f\\/"), w_int(7), w_num(INFINITY), w_text("\b\f")},
    };
    memcpy(rows, r, sizeof r);
}

static const char w_expected_csv[] =
    "name,n,x,\"note, with comma\"\n"
    "plain,1,0.1,\"a,b\"\n"
    "\"say \"\"hi\"\"\",,1e+21,\" lead\"\n"
    "\"trail \",-5,0,\"line\nbreak\"\n"
    ",-9223372036854775808,,\"cr\rhere\"\n"
    ",0,12345.67,tab\tinside\n"
    "\xc3\xbcn\xc3\xaf" "code,42,1.5e-07,\n"
    "ctl\x01\x1f\\/,7,,\b\f\n";

static const char w_expected_jsonl[] =
    "{\"name\":\"plain\",\"n\":1,\"x\":0.1,\"note, with comma\":\"a,b\"}\n"
    "{\"name\":\"say \\\"hi\\\"\",\"n\":null,\"x\":1e+21,\"note, with comma\":\" lead\"}\n"
    "{\"name\":\"trail \",\"n\":-5,\"x\":0,\"note, with comma\":\"line\\nbreak\"}\n"
    "{\"name\":null,\"n\":-9223372036854775808,\"x\":null,\"note, with comma\":\"cr\\rhere\"}\n"
    "{\"name\":\"\",\"n\":0,\"x\":12345.67,\"note, with comma\":\"tab\\tinside\"}\n"
    "{\"name\":\"\xc3\xbcn\xc3\xaf" "code\",\"n\":42,\"x\":1.5e-07,\"note, with comma\":null}\n"
    "{\"name\":\"ctl\\u0001\\u001f\\\\/\",\"n\":7,\"x\":null,\"note, with comma\":\"\\b\\f\"}\n";

static void w_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", kt_tmpdir(), name);
}

/* Writes the small table to path in fmt and commits. */
static void w_write_table(const char *path, kl_format fmt)
{
    kl_value rows[W_NROWS][W_NCOLS];
    kl_writer *w = NULL;
    kl_error err = {0};

    w_rows(rows);
    KT_EQ_INT(kl_writer_open(&w, path, fmt, w_columns, W_NCOLS, &err), KL_OK);
    for (size_t i = 0; i < W_NROWS; i++)
        KT_EQ_INT(kl_writer_row(w, rows[i], &err), KL_OK);
    KT_EQ_INT(kl_writer_rows(w), W_NROWS);
    KT_EQ_INT(kl_writer_commit(w, &err), KL_OK);
}

/* Number of entries in the test's folder (temporary files included). */
static int w_count_files(void)
{
    DIR *d = opendir(kt_tmpdir());
    struct dirent *e;
    int n = 0;
    KT_CHECK(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int w_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void w_check_content(const char *path, const char *want, size_t want_len)
{
    size_t len;
    char *got = kt_read_file(path, &len);
    if (len != want_len || memcmp(got, want, len) != 0)
        kt_fail(__FILE__, __LINE__, "%s holds %zu bytes:\n%s\nexpected %zu bytes:\n%s", path,
                len, got, want_len, want);
    free(got);
}

/* Decompresses a gzip file with zlib into a malloc'd buffer. */
static char *w_gunzip(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    size_t n = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    int got;
    KT_CHECK(gz != NULL && buf != NULL);
    while ((got = gzread(gz, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            KT_CHECK(buf != NULL);
        }
    }
    KT_CHECK(got == 0);
    KT_EQ_INT(gzclose(gz), Z_OK);
    *len = n;
    return buf;
}

/* A row of the big table: long enough texts that rows straddle the
 * writer's buffer boundaries, with quoting. */
static void w_big_row(size_t i, kl_value row[W_NCOLS], char *text, size_t cap)
{
    snprintf(text, cap, "row %zu says \"%0*zu\", then more", i, (int)(i % 97), i);
    row[0] = w_text(text);
    row[1] = w_int((int64_t)i * 7919 - 5000000);
    row[2] = w_num((double)i / 7.0);
    row[3] = i % 5 ? w_text("x") : w_missing();
}

/* ---- formats ------------------------------------------------------------ */

KT_TEST(writer_format_names)
{
    KT_EQ_INT(kl_format_from_name("csv"), KL_FORMAT_CSV);
    KT_EQ_INT(kl_format_from_name("csv.gz"), KL_FORMAT_CSV_GZ);
    KT_EQ_INT(kl_format_from_name("jsonl"), KL_FORMAT_JSONL);
    KT_EQ_INT(kl_format_from_name("json"), 0);
    KT_EQ_INT(kl_format_from_name(""), 0);
    KT_EQ_INT(kl_format_from_name(NULL), 0);
    KT_EQ_STR(kl_format_extension(KL_FORMAT_CSV), ".csv");
    KT_EQ_STR(kl_format_extension(KL_FORMAT_CSV_GZ), ".csv.gz");
    KT_EQ_STR(kl_format_extension(KL_FORMAT_JSONL), ".jsonl");
    KT_EQ_STR(kl_format_extension((kl_format)0), "");
}

KT_TEST(writer_csv_bytes)
{
    char path[4096];
    w_path(path, sizeof path, "out.csv");
    w_write_table(path, KL_FORMAT_CSV);
    w_check_content(path, w_expected_csv, sizeof w_expected_csv - 1);
    KT_EQ_INT(w_count_files(), 1); /* no temporary file left */
}

KT_TEST(writer_jsonl_bytes)
{
    char path[4096];
    w_path(path, sizeof path, "out.jsonl");
    w_write_table(path, KL_FORMAT_JSONL);
    w_check_content(path, w_expected_jsonl, sizeof w_expected_jsonl - 1);
    KT_EQ_INT(w_count_files(), 1);
}

KT_TEST(writer_gzip_decompresses_to_csv)
{
    char path[4096];
    size_t len;
    char *csv;
    w_path(path, sizeof path, "out.csv.gz");
    w_write_table(path, KL_FORMAT_CSV_GZ);
    csv = w_gunzip(path, &len);
    KT_EQ_INT(len, sizeof w_expected_csv - 1);
    KT_CHECK(memcmp(csv, w_expected_csv, len) == 0);
    free(csv);
    KT_EQ_INT(w_count_files(), 1);
}

/* Many rows, through many buffer flushes: CSV, gzip CSV and JSONL agree with
 * a reference built in memory row by row. */
KT_TEST(writer_big_tables)
{
    enum { NROWS = 60000 };
    static const kl_format fmts[] = {KL_FORMAT_CSV, KL_FORMAT_CSV_GZ, KL_FORMAT_JSONL};
    char csv_path[4096], gz_path[4096], jsonl_path[4096], small[4096];
    const char *paths[3] = {csv_path, gz_path, jsonl_path};
    kl_writer *w[3];
    kl_error err = {0};
    char text[256];
    kl_value row[W_NCOLS];
    char *got;
    size_t len, total = 0;

    w_path(csv_path, sizeof csv_path, "big.csv");
    w_path(gz_path, sizeof gz_path, "big.csv.gz");
    w_path(jsonl_path, sizeof jsonl_path, "big.jsonl");
    for (int f = 0; f < 3; f++)
        KT_EQ_INT(kl_writer_open(&w[f], paths[f], fmts[f], w_columns, W_NCOLS, &err), KL_OK);
    for (size_t i = 0; i < NROWS; i++) {
        w_big_row(i, row, text, sizeof text);
        for (int f = 0; f < 3; f++)
            KT_EQ_INT(kl_writer_row(w[f], row, &err), KL_OK);
    }
    for (int f = 0; f < 3; f++) {
        KT_EQ_INT(kl_writer_rows(w[f]), NROWS);
        KT_EQ_INT(kl_writer_commit(w[f], &err), KL_OK);
    }
    KT_EQ_INT(w_count_files(), 3);

    /* Each row written alone gives the same bytes as its slice of the big
     * file: check the CSV slice by slice, and the gzip against the CSV. */
    got = kt_read_file(csv_path, &len);
    KT_CHECK(len > 3 * 256 * 1024); /* several buffers' worth */
    for (size_t i = 0; i < NROWS; i += 997) {
        char want[512];
        int n;
        w_big_row(i, row, text, sizeof text);
        n = snprintf(want, sizeof want, "\"row %zu says \"\"%0*zu\"\", then more\",%lld,",
                     i, (int)(i % 97), i, (long long)row[1].u.i);
        KT_CHECK(n > 0 && strstr(got, want) != NULL);
    }
    {
        size_t zlen;
        char *unz = w_gunzip(gz_path, &zlen);
        KT_EQ_INT(zlen, len);
        KT_CHECK(memcmp(unz, got, len) == 0);
        free(unz);
    }
    for (const char *p = got; *p; p = strchr(p, '\n') + 1)
        total++;
    KT_EQ_INT(total, NROWS + 1);
    free(got);

    got = kt_read_file(jsonl_path, &len);
    total = 0;
    for (const char *p = got; *p; p = strchr(p, '\n') + 1)
        total++;
    KT_EQ_INT(total, NROWS);
    snprintf(small, sizeof small, "{\"name\":\"row 0 says \\\"0\\\", then more\",\"n\":-5000000,"
                                  "\"x\":0,\"note, with comma\":null}\n");
    KT_CHECK(strncmp(got, small, strlen(small)) == 0);
    free(got);
}

KT_TEST(writer_invalid_value_type)
{
    char path[4096];
    kl_writer *w = NULL;
    kl_error err = {0};
    kl_value row[W_NCOLS] = {w_text("a"), w_int(1), w_num(2.5), w_missing()};

    w_path(path, sizeof path, "out.csv");
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err), KL_OK);
    row[3].type = 9;
    KT_EQ_INT(kl_writer_row(w, row, &err), KL_ERR_INTERNAL);
    KT_CONTAINS(err.msg, "invalid value type 9");
    KT_EQ_INT(kl_writer_rows(w), 0);
    row[3].type = 0;
    KT_EQ_INT(kl_writer_row(w, row, &err), KL_OK);
    KT_EQ_INT(kl_writer_commit(w, &err), KL_OK);
    w_check_content(path, "name,n,x,\"note, with comma\"\na,1,2.5,\n",
                    strlen("name,n,x,\"note, with comma\"\na,1,2.5,\n"));
}

/* ---- atomicity ---------------------------------------------------------- */

KT_TEST(writer_abort_leaves_nothing)
{
    static const kl_format fmts[] = {KL_FORMAT_CSV, KL_FORMAT_CSV_GZ, KL_FORMAT_JSONL};
    kl_value rows[W_NROWS][W_NCOLS];
    char path[4096];

    w_rows(rows);
    w_path(path, sizeof path, "out");
    for (int f = 0; f < 3; f++) {
        kl_writer *w = NULL;
        kl_error err = {0};
        KT_EQ_INT(kl_writer_open(&w, path, fmts[f], w_columns, W_NCOLS, &err), KL_OK);
        KT_EQ_INT(w_count_files(), 1); /* the temporary file */
        KT_CHECK(!w_exists(path));
        for (size_t i = 0; i < W_NROWS; i++)
            KT_EQ_INT(kl_writer_row(w, rows[i], &err), KL_OK);
        kl_writer_abort(w);
        KT_CHECK(!w_exists(path));
        KT_EQ_INT(w_count_files(), 0);
    }
    kl_writer_abort(NULL);
}

KT_TEST(writer_existing_file_untouched_until_commit)
{
    kl_value rows[W_NROWS][W_NCOLS];
    char path[4096];
    kl_writer *w = NULL;
    kl_error err = {0};

    w_rows(rows);
    w_path(path, sizeof path, "out.csv");
    kt_write_file(path, "old\n", 4);
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err), KL_OK);
    for (size_t i = 0; i < W_NROWS; i++)
        KT_EQ_INT(kl_writer_row(w, rows[i], &err), KL_OK);
    w_check_content(path, "old\n", 4);
    KT_EQ_INT(w_count_files(), 2);
    KT_EQ_INT(kl_writer_commit(w, &err), KL_OK);
    w_check_content(path, w_expected_csv, sizeof w_expected_csv - 1);
    KT_EQ_INT(w_count_files(), 1);

    /* An aborted rewrite leaves the previous file as it was. */
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_JSONL, w_columns, W_NCOLS, &err), KL_OK);
    KT_EQ_INT(kl_writer_row(w, rows[0], &err), KL_OK);
    kl_writer_abort(w);
    w_check_content(path, w_expected_csv, sizeof w_expected_csv - 1);
    KT_EQ_INT(w_count_files(), 1);
}

/* finish writes everything out but publishes nothing; commit then renames,
 * abort removes it; a row after finish is refused. */
KT_TEST(writer_finish_then_commit_or_abort)
{
    static const kl_format fmts[] = {KL_FORMAT_CSV, KL_FORMAT_CSV_GZ, KL_FORMAT_JSONL};
    kl_value rows[W_NROWS][W_NCOLS];
    char path[4096];

    w_rows(rows);
    w_path(path, sizeof path, "out");
    for (int f = 0; f < 3; f++) {
        for (int commit = 0; commit < 2; commit++) {
            kl_writer *w = NULL;
            kl_error err = {0};
            KT_EQ_INT(kl_writer_open(&w, path, fmts[f], w_columns, W_NCOLS, &err), KL_OK);
            for (size_t i = 0; i < W_NROWS; i++)
                KT_EQ_INT(kl_writer_row(w, rows[i], &err), KL_OK);
            KT_EQ_INT(kl_writer_finish(w, &err), KL_OK);
            KT_EQ_INT(kl_writer_finish(w, &err), KL_OK); /* again: nothing more to do */
            KT_CHECK(!w_exists(path));
            KT_EQ_INT(w_count_files(), 1);
            KT_EQ_INT(kl_writer_row(w, rows[0], &err), KL_ERR_INTERNAL);
            if (!commit) {
                kl_writer_abort(w);
                KT_EQ_INT(w_count_files(), 0);
                continue;
            }
            KT_EQ_INT(kl_writer_commit(w, &err), KL_OK);
            KT_EQ_INT(w_count_files(), 1);
            if (fmts[f] == KL_FORMAT_CSV)
                w_check_content(path, w_expected_csv, sizeof w_expected_csv - 1);
            else if (fmts[f] == KL_FORMAT_JSONL)
                w_check_content(path, w_expected_jsonl, sizeof w_expected_jsonl - 1);
            else {
                size_t len;
                char *csv = w_gunzip(path, &len);
                KT_CHECK(len == sizeof w_expected_csv - 1 &&
                         memcmp(csv, w_expected_csv, len) == 0);
                free(csv);
            }
            unlink(path);
        }
    }
}

/* Writes rows until the file-size limit bites; returns the failing status. */
static int w_write_past_limit(const char *path, kl_format fmt, kl_error *err)
{
    kl_writer *w = NULL;
    char text[256];
    kl_value row[W_NCOLS];
    int rc;

    KT_EQ_INT(kl_writer_open(&w, path, fmt, w_columns, W_NCOLS, err), KL_OK);
    for (size_t i = 0; i < 100000; i++) {
        w_big_row(i, row, text, sizeof text);
        row[2] = w_num((double)(i * 2654435761u % 1000003) / 977.0); /* poorly compressible */
        rc = kl_writer_row(w, row, err);
        if (rc != KL_OK) {
            /* A failed row leaves the writer to be released. */
            KT_EQ_INT(kl_writer_row(w, row, err), rc); /* the error is sticky */
            kl_writer_abort(w);
            return rc;
        }
    }
    return kl_writer_commit(w, err);
}

/* ulimit -f: SIGXFSZ must not kill the process (the default action); the
 * write fails with EFBIG, reported as a clean error, and the previous file
 * and the folder are left as they were. */
KT_TEST(writer_file_size_limit)
{
    static const kl_format fmts[] = {KL_FORMAT_CSV, KL_FORMAT_CSV_GZ};
    struct rlimit saved, small;
    char path[4096];

    w_path(path, sizeof path, "out.csv");
    kt_write_file(path, "old\n", 4);
    KT_EQ_INT(getrlimit(RLIMIT_FSIZE, &saved), 0);
    for (int f = 0; f < 2; f++) {
        kl_error err = {0};
        int rc;
        small = saved;
        small.rlim_cur = 100 * 1024; /* beyond the writer's 64 KiB minimum buffer */
        KT_EQ_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
        rc = w_write_past_limit(path, fmts[f], &err);
        KT_EQ_INT(setrlimit(RLIMIT_FSIZE, &saved), 0);
        KT_EQ_INT(rc, KL_ERR_CANTCREAT);
        KT_EQ_INT(err.status, KL_ERR_CANTCREAT);
        KT_CONTAINS(err.msg, path);
        KT_CONTAINS(err.msg, "cannot write: File too large");
        w_check_content(path, "old\n", 4);
        KT_EQ_INT(w_count_files(), 1);
    }
    /* The same through kl_write_file_atomic. */
    {
        kl_error err = {0};
        size_t big = 300 * 1024;
        char *data = calloc(1, big);
        KT_CHECK(data != NULL);
        small = saved;
        small.rlim_cur = 100 * 1024;
        KT_EQ_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
        KT_EQ_INT(kl_write_file_atomic(path, data, big, &err), KL_ERR_CANTCREAT);
        KT_EQ_INT(setrlimit(RLIMIT_FSIZE, &saved), 0);
        free(data);
        KT_CONTAINS(err.msg, "cannot write: File too large");
        w_check_content(path, "old\n", 4);
        KT_EQ_INT(w_count_files(), 1);
    }
}

KT_TEST(writer_missing_folder)
{
    char path[4096], folder[2048];
    kl_writer *w = (kl_writer *)&path; /* must be reset to NULL */
    kl_error err = {0};

    w_path(folder, sizeof folder, "no/such");
    snprintf(path, sizeof path, "%s/out.csv", folder);
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err),
              KL_ERR_CANTCREAT);
    KT_CHECK(w == NULL);
    KT_EQ_INT(err.status, KL_ERR_CANTCREAT);
    KT_CONTAINS(err.msg, "folder");
    KT_CONTAINS(err.msg, folder);
    KT_CONTAINS(err.msg, "No such file or directory");

    kl_error_clear(&err);
    KT_EQ_INT(kl_write_file_atomic(path, "x", 1, &err), KL_ERR_CANTCREAT);
    KT_CONTAINS(err.msg, folder);
    KT_EQ_INT(w_count_files(), 0);
}

KT_TEST(writer_unwritable_folder)
{
    char folder[2048], path[4096];
    kl_writer *w = NULL;
    kl_error err = {0};

    if (geteuid() == 0)
        return; /* root writes anywhere: nothing to test */
    w_path(folder, sizeof folder, "ro");
    KT_EQ_INT(mkdir(folder, 0555), 0);
    snprintf(path, sizeof path, "%s/out.csv", folder);
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err),
              KL_ERR_CANTCREAT);
    KT_CONTAINS(err.msg, folder);
    KT_CONTAINS(err.msg, "Permission denied");
    chmod(folder, 0755);
}

KT_TEST(writer_target_is_folder)
{
    char path[4096];
    kl_writer *w = NULL;
    kl_error err = {0};

    w_path(path, sizeof path, "sub");
    KT_EQ_INT(mkdir(path, 0755), 0);
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err),
              KL_ERR_CANTCREAT);
    KT_CONTAINS(err.msg, "is a folder");
    snprintf(path + strlen(path), sizeof path - strlen(path), "/");
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err),
              KL_ERR_CANTCREAT);
    KT_EQ_INT(kl_writer_open(&w, "", KL_FORMAT_CSV, w_columns, W_NCOLS, &err),
              KL_ERR_CANTCREAT);
    KT_EQ_INT(kl_writer_open(&w, path, (kl_format)9, w_columns, W_NCOLS, &err),
              KL_ERR_INTERNAL);
    KT_EQ_INT(w_count_files(), 1);
}

/* Results get the usual permissions (0666 & ~umask), not mkstemp's 0600. */
KT_TEST(writer_file_mode)
{
    char path[4096];
    struct stat st;
    kl_error err = {0};

    umask(022);
    w_path(path, sizeof path, "out.txt");
    KT_EQ_INT(kl_write_file_atomic(path, "hello\n", 6, &err), KL_OK);
    KT_EQ_INT(stat(path, &st), 0);
    KT_EQ_INT(st.st_mode & 0777, 0644);
}

KT_TEST(writer_file_atomic)
{
    char path[4096];
    kl_error err = {0};

    w_path(path, sizeof path, "manifest.json");
    KT_EQ_INT(kl_write_file_atomic(path, "{\"a\":1}\n", 8, &err), KL_OK);
    w_check_content(path, "{\"a\":1}\n", 8);
    KT_EQ_INT(kl_write_file_atomic(path, "{}\n", 3, &err), KL_OK);
    w_check_content(path, "{}\n", 3);
    KT_EQ_INT(kl_write_file_atomic(path, NULL, 0, &err), KL_OK);
    w_check_content(path, "", 0);
    KT_EQ_INT(w_count_files(), 1);

    /* A relative name: the temporary file goes into the current folder. */
    KT_EQ_INT(chdir(kt_tmpdir()), 0);
    KT_EQ_INT(kl_write_file_atomic("plain.txt", "p", 1, &err), KL_OK);
    w_path(path, sizeof path, "plain.txt");
    w_check_content(path, "p", 1);
    KT_EQ_INT(w_count_files(), 2);
}

/* Runs the small table to "-" with standard output redirected to target;
 * returns the commit status. */
static int w_write_stdout(const char *target, kl_format fmt, kl_error *err)
{
    kl_value rows[W_NROWS][W_NCOLS];
    kl_writer *w = NULL;
    int saved = dup(STDOUT_FILENO), fd, rc;

    w_rows(rows);
    fflush(stdout);
    fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    KT_CHECK(saved >= 0 && fd >= 0);
    KT_EQ_INT(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    rc = kl_writer_open(&w, "-", fmt, w_columns, W_NCOLS, err);
    for (size_t i = 0; rc == KL_OK && i < W_NROWS; i++)
        rc = kl_writer_row(w, rows[i], err);
    if (rc == KL_OK)
        rc = kl_writer_commit(w, err);
    else
        kl_writer_abort(w);
    KT_EQ_INT(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    return rc;
}

KT_TEST(writer_stdout)
{
    char path[4096];
    kl_error err = {0};
    size_t len;
    char *csv;

    w_path(path, sizeof path, "captured");
    KT_EQ_INT(w_write_stdout(path, KL_FORMAT_JSONL, &err), KL_OK);
    w_check_content(path, w_expected_jsonl, sizeof w_expected_jsonl - 1);
    KT_EQ_INT(w_write_stdout(path, KL_FORMAT_CSV, &err), KL_OK);
    w_check_content(path, w_expected_csv, sizeof w_expected_csv - 1);
    KT_EQ_INT(w_write_stdout(path, KL_FORMAT_CSV_GZ, &err), KL_OK);
    csv = w_gunzip(path, &len);
    KT_EQ_INT(len, sizeof w_expected_csv - 1);
    KT_CHECK(memcmp(csv, w_expected_csv, len) == 0);
    free(csv);
    KT_EQ_INT(w_count_files(), 1); /* no temporary file for stdout */
}

/* A full device: the message names stdout and says why. */
KT_TEST(writer_stdout_full)
{
    kl_error err = {0};
    if (access("/dev/full", W_OK) != 0)
        return;
    KT_EQ_INT(w_write_stdout("/dev/full", KL_FORMAT_CSV, &err), KL_ERR_CANTCREAT);
    KT_EQ_STR(err.msg, "<stdout>: cannot write: No space left on device");
}

/* The final name turns into a folder while the writer runs: the rename
 * fails at commit, which reports it and removes the temporary file. */
KT_TEST(writer_rename_failure)
{
    char path[4096], inner[4200];
    kl_value rows[W_NROWS][W_NCOLS];
    kl_writer *w = NULL;
    kl_error err = {0};

    w_rows(rows);
    w_path(path, sizeof path, "out.csv");
    KT_EQ_INT(kl_writer_open(&w, path, KL_FORMAT_CSV, w_columns, W_NCOLS, &err), KL_OK);
    KT_EQ_INT(kl_writer_row(w, rows[0], &err), KL_OK);
    KT_EQ_INT(mkdir(path, 0755), 0);
    snprintf(inner, sizeof inner, "%s/keep", path);
    kt_write_file(inner, "k", 1);
    KT_EQ_INT(kl_writer_commit(w, &err), KL_ERR_CANTCREAT);
    KT_CONTAINS(err.msg, path);
    KT_CONTAINS(err.msg, "cannot put the file in place");
    KT_EQ_INT(w_count_files(), 1); /* just the folder */
    w_check_content(inner, "k", 1);
}

KT_TEST(writer_file_atomic_stdout)
{
    char path[4096];
    kl_error err = {0};
    int saved = dup(STDOUT_FILENO), fd;

    w_path(path, sizeof path, "captured");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    KT_CHECK(saved >= 0 && fd >= 0);
    fflush(stdout);
    KT_EQ_INT(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    KT_EQ_INT(kl_write_file_atomic("-", "to stdout\n", 10, &err), KL_OK);
    KT_EQ_INT(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    w_check_content(path, "to stdout\n", 10);
    KT_EQ_INT(w_count_files(), 1);
}
