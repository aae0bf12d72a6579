/*
 * kl_writer.c -- writing result tables atomically as CSV, gzip CSV or JSON
 * Lines (see kl_writer.h).
 *
 * Two layers.  kl_out is the file protocol: a temporary file created next to
 * the final name, written with checked write() calls, then fsync and close
 * (kl_out_finish), rename over the final name and fsync of the folder
 * (kl_out_commit); on any failure the temporary file is removed.  kl_writer
 * formats rows into a 256 KiB buffer and hands full buffers to kl_out,
 * through deflate for gzip.  Every file-system call that writes goes through
 * kl_io.h, so that the fault-injection build can fail it.
 *
 * Errors are sticky: after the first failed write every later call reports
 * the same error, and the writer must still be released (commit or abort),
 * which removes the temporary file.
 *
 * SIGXFSZ: writing past a file-size limit (ulimit -f, RLIMIT_FSIZE) raises
 * SIGXFSZ, whose default action kills the process -- leaving a temporary
 * file behind and no message.  So the first kl_writer_open() or
 * kl_write_file_atomic() sets SIGXFSZ to SIG_IGN if it is still SIG_DFL (a
 * handler the host installed is left alone); write() then fails with EFBIG,
 * which is reported like any other write error.
 */
#include "kl_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "kl_alloc.h"
#include "kl_io.h"
#include "kl_number.h"

/* Formatted text is gathered here before write(): big writes are cheap. */
#define KL_WRITER_BUF_SIZE ((size_t)256 * 1024)
/* Compressed output is gathered here before write(). */
#define KL_WRITER_ZBUF_SIZE ((size_t)64 * 1024)
/* Bytes of the final name kept in the temporary name, so that
 * ".NAME.tmp.XXXXXX" stays below NAME_MAX (255). */
#define KL_TMP_BASE_MAX 200
/* Temporary names tried before giving up (each collision is ~1 in 62^6). */
#define KL_TMP_ATTEMPTS 100
/* err_no value for a zlib failure (not an errno). */
#define KL_OUT_ZLIB_FAILED (-1)
/* gzip wrapper for deflateInit2: 15 window bits + 16. */
#define KL_GZIP_WINDOW_BITS (15 + 16)
#define KL_GZIP_LEVEL 6

/* ---- SIGXFSZ ------------------------------------------------------------ */

static pthread_once_t kl_sigxfsz_once = PTHREAD_ONCE_INIT;

static void kl_ignore_sigxfsz(void)
{
    struct sigaction old, sa;

    if (sigaction(SIGXFSZ, NULL, &old) != 0)
        return;
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
        return; /* the host decided already */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGXFSZ, &sa, NULL);
}

/* ---- kl_out: one output file, atomically ------------------------------- */

typedef struct kl_out {
    char *path;     /* the final name as given ("-" = standard output) */
    char *tmp_path; /* the temporary file; NULL for stdout or once renamed */
    char *dir;      /* the folder of path, fsync'd after the rename */
    int fd;         /* -1 when closed */
    int is_stdout;
    int err_no;     /* first write error (sticky), 0 if none */
} kl_out;

/* The name used in messages. */
static const char *kl_out_name(const kl_out *o)
{
    return o->is_stdout ? "<stdout>" : o->path;
}

/* The error for o's sticky write failure. */
static int kl_out_report(const kl_out *o, kl_error *err)
{
    if (o->err_no == KL_OUT_ZLIB_FAILED)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: cannot write: compression failed",
                            kl_out_name(o));
    return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot write: %s", kl_out_name(o),
                        strerror(o->err_no));
}

/* Closes and removes the temporary file (if any) and frees o's strings. */
static void kl_out_discard(kl_out *o)
{
    if (o->fd >= 0 && !o->is_stdout)
        close(o->fd);
    o->fd = -1;
    if (o->tmp_path)
        unlink(o->tmp_path);
    kl_free(o->tmp_path);
    kl_free(o->dir);
    kl_free(o->path);
    o->tmp_path = o->dir = o->path = NULL;
}

/* Writes all n bytes, retrying short writes and EINTR; -1 records errno. */
static int kl_out_write(kl_out *o, const void *data, size_t n)
{
    const char *p = data;

    if (o->err_no)
        return -1;
    while (n > 0) {
        ssize_t got = kl_io_write(o->fd, p, n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            o->err_no = errno;
            return -1;
        }
        if (got == 0) { /* should not happen for a regular file; don't spin */
            o->err_no = EIO;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* Six random-looking characters for a temporary name.  Not mkstemp: it
 * creates files with mode 0600, and the result should get the usual
 * 0666 & ~umask (which cannot be read without changing it). */
static void kl_tmp_suffix(char out[7], unsigned attempt)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static atomic_uint_fast64_t counter;
    struct timespec ts;
    uint64_t x;

    clock_gettime(CLOCK_REALTIME, &ts);
    x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
        (atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15ull) ^ attempt;
    /* splitmix64's finaliser spreads every input bit over the output. */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    for (int i = 0; i < 6; i++) {
        out[i] = alphabet[x % 62];
        x /= 62;
    }
    out[6] = '\0';
}

/* Splits o->path into o->dir and returns the base name (inside o->path). */
static const char *kl_out_split(kl_out *o)
{
    const char *slash = strrchr(o->path, '/');

    if (!slash)
        o->dir = kl_strdup(".");
    else if (slash == o->path)
        o->dir = kl_strdup("/");
    else
        o->dir = kl_strndup(o->path, (size_t)(slash - o->path));
    return slash ? slash + 1 : o->path;
}

/* Creates the temporary file ".BASE.tmp.XXXXXX" in o->dir. */
static int kl_out_create_tmp(kl_out *o, const char *base, kl_error *err)
{
    size_t blen = strlen(base), cap;
    int saved = 0;

    if (blen > KL_TMP_BASE_MAX)
        blen = KL_TMP_BASE_MAX;
    cap = strlen(o->dir) + blen + sizeof "/..tmp.XXXXXX";
    o->tmp_path = kl_malloc(cap);
    if (!o->tmp_path)
        return kl_error_oom(err, "opening an output file");
    for (unsigned attempt = 0; attempt < KL_TMP_ATTEMPTS; attempt++) {
        char suffix[7];
        kl_tmp_suffix(suffix, attempt);
        snprintf(o->tmp_path, cap, "%s/.%.*s.tmp.%s", o->dir, (int)blen, base, suffix);
        o->fd = kl_io_open(o->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (o->fd >= 0)
            return KL_OK;
        saved = errno;
        if (saved != EEXIST && saved != EINTR)
            break;
    }
    kl_free(o->tmp_path);
    o->tmp_path = NULL;
    return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot create a file in folder %s: %s",
                        o->path, o->dir, strerror(saved));
}

/* Starts an output: stdout for "-", else a temporary file next to path. */
static int kl_out_open(kl_out *o, const char *path, kl_error *err)
{
    struct stat st;
    const char *base;
    int rc;

    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (!path || !*path)
        return kl_error_set(err, KL_ERR_CANTCREAT, "cannot create an output with an empty name");
    pthread_once(&kl_sigxfsz_once, kl_ignore_sigxfsz);
    o->path = kl_strdup(path);
    if (!o->path)
        return kl_error_oom(err, "opening an output file");
    if (strcmp(path, "-") == 0) {
        /* Anything the program printed through stdio must come first. */
        fflush(stdout);
        o->is_stdout = 1;
        o->fd = STDOUT_FILENO;
        return KL_OK;
    }
    base = kl_out_split(o);
    if (!o->dir) {
        rc = kl_error_oom(err, "opening an output file");
    } else if (!*base || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        /* Caught here, not by rename() after all the work. */
        rc = kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot create: it is a folder", path);
    } else {
        rc = kl_out_create_tmp(o, base, err);
    }
    if (rc != KL_OK)
        kl_out_discard(o);
    return rc;
}

/* fsync of the folder makes the rename itself durable.  Best effort: the
 * new file is complete under its name already; a folder that cannot be
 * opened or synced (some network file systems) only weakens durability
 * across a power cut, which is not worth failing a finished run for. */
static void kl_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)kl_io_fsync(fd);
        close(fd);
    }
}

/* Makes the temporary file complete on disk: fsync, close (called again
 * after that, a no-op).  On failure the caller's kl_out_discard() removes
 * it. */
static int kl_out_finish(kl_out *o, kl_error *err)
{
    int fd;

    if (o->err_no)
        return kl_out_report(o, err);
    if (o->is_stdout || o->fd < 0)
        return KL_OK;
    /* Write errors can surface only here (delayed allocation, NFS). */
    if (kl_io_fsync(o->fd) != 0 && errno != EINVAL) {
        o->err_no = errno;
        return kl_out_report(o, err);
    }
    fd = o->fd;
    o->fd = -1;
    /* Linux closes the descriptor even when close() says EINTR. */
    if (kl_io_close(fd) != 0 && errno != EINTR) {
        o->err_no = errno;
        return kl_out_report(o, err);
    }
    return KL_OK;
}

/* Makes the output final: finish, rename, fsync the folder.  On failure
 * the caller's kl_out_discard() removes the temporary file. */
static int kl_out_commit(kl_out *o, kl_error *err)
{
    int rc = kl_out_finish(o, err);

    if (rc != KL_OK || o->is_stdout)
        return rc;
    if (kl_io_rename(o->tmp_path, o->path) != 0)
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot put the file in place: %s",
                            o->path, strerror(errno));
    kl_free(o->tmp_path);
    o->tmp_path = NULL; /* renamed: nothing left to remove */
    kl_sync_dir(o->dir);
    return KL_OK;
}

/* ---- formats ------------------------------------------------------------ */

kl_format kl_format_from_name(const char *name)
{
    if (!name)
        return (kl_format)0;
    if (strcmp(name, "csv") == 0)
        return KL_FORMAT_CSV;
    if (strcmp(name, "csv.gz") == 0)
        return KL_FORMAT_CSV_GZ;
    if (strcmp(name, "jsonl") == 0)
        return KL_FORMAT_JSONL;
    return (kl_format)0;
}

const char *kl_format_extension(kl_format fmt)
{
    switch (fmt) {
    case KL_FORMAT_CSV:
        return ".csv";
    case KL_FORMAT_CSV_GZ:
        return ".csv.gz";
    case KL_FORMAT_JSONL:
        return ".jsonl";
    }
    return "";
}

/* ---- the writer --------------------------------------------------------- */

struct kl_writer {
    kl_out out;
    kl_format fmt;
    char **columns; /* copies of the header names */
    size_t ncols;
    char *buf;      /* formatted text not yet written, KL_WRITER_BUF_SIZE */
    size_t len;
    z_stream zs;    /* gzip only */
    int zs_ready;
    unsigned char *zbuf; /* gzip only: compressed bytes, KL_WRITER_ZBUF_SIZE */
    size_t rows;
    int finished;   /* kl_writer_finish() succeeded: only the rename is left */
};

/* zlib allocates through the klaster allocator too (fault injection). */
static voidpf kl_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return kl_calloc(items, size);
}

static void kl_zfree(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    kl_free(ptr);
}

/* Compresses the buffer (and with finish, ends the gzip stream). */
static int kl_writer_deflate(kl_writer *w, int finish)
{
    w->zs.next_in = (Bytef *)w->buf;
    w->zs.avail_in = (uInt)w->len;
    for (;;) {
        int zrc;
        size_t have;
        w->zs.next_out = w->zbuf;
        w->zs.avail_out = (uInt)KL_WRITER_ZBUF_SIZE;
        zrc = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            w->out.err_no = KL_OUT_ZLIB_FAILED;
            return -1;
        }
        have = KL_WRITER_ZBUF_SIZE - w->zs.avail_out;
        if (have && kl_out_write(&w->out, w->zbuf, have) != 0)
            return -1;
        /* Done when all input is taken and the output was not full (or,
         * finishing, when zlib says the stream is complete). */
        if (finish ? zrc == Z_STREAM_END : w->zs.avail_out != 0)
            break;
    }
    w->len = 0;
    return 0;
}

/* Hands the buffered text on; -1 on a (sticky) write error. */
static int kl_writer_flush(kl_writer *w, int finish)
{
    if (w->out.err_no)
        return -1;
    if (w->fmt == KL_FORMAT_CSV_GZ)
        return kl_writer_deflate(w, finish);
    if (w->len && kl_out_write(&w->out, w->buf, w->len) != 0)
        return -1;
    w->len = 0;
    return 0;
}

static int kl_put(kl_writer *w, const char *data, size_t n)
{
    while (n > 0) {
        size_t room = KL_WRITER_BUF_SIZE - w->len, take;
        if (room == 0) {
            if (kl_writer_flush(w, 0) != 0)
                return -1;
            room = KL_WRITER_BUF_SIZE;
        }
        take = n < room ? n : room;
        memcpy(w->buf + w->len, data, take);
        w->len += take;
        data += take;
        n -= take;
    }
    return 0;
}

static int kl_putc(kl_writer *w, char c)
{
    if (w->len == KL_WRITER_BUF_SIZE && kl_writer_flush(w, 0) != 0)
        return -1;
    w->buf[w->len++] = c;
    return 0;
}

/* ---- CSV ---------------------------------------------------------------- */

/* RFC 4180 quoting, plus leading/trailing blanks, which many readers trim. */
static int kl_csv_needs_quotes(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        return 1;
    return strcspn(s, ",\"\r\n") < n;
}

static int kl_csv_text(kl_writer *w, const char *s)
{
    size_t n = strlen(s);
    const char *q;

    if (!kl_csv_needs_quotes(s, n))
        return kl_put(w, s, n);
    if (kl_putc(w, '"') != 0)
        return -1;
    /* Copy up to and including each quote, then double it. */
    while ((q = memchr(s, '"', n)) != NULL) {
        size_t run = (size_t)(q - s) + 1;
        if (kl_put(w, s, run) != 0 || kl_putc(w, '"') != 0)
            return -1;
        s += run;
        n -= run;
    }
    if (kl_put(w, s, n) != 0)
        return -1;
    return kl_putc(w, '"');
}

static int kl_put_num(kl_writer *w, double v)
{
    char tmp[KL_NUM_FMT_MAX];
    return kl_put(w, tmp, kl_format_num(tmp, v));
}

static int kl_put_int(kl_writer *w, int64_t v)
{
    char tmp[KL_NUM_FMT_MAX];
    return kl_put(w, tmp, kl_format_int(tmp, v));
}

/* Whether v is written as missing (empty cell / null). */
static int kl_value_missing(const kl_value *v)
{
    return v->type == 0 || (v->type == KL_TYPE_NUM && !isfinite(v->u.n)) ||
           (v->type == KL_TYPE_TEXT && !v->u.s);
}

static int kl_csv_value(kl_writer *w, const kl_value *v)
{
    if (kl_value_missing(v))
        return 0;
    switch (v->type) {
    case KL_TYPE_INT:
        return kl_put_int(w, v->u.i);
    case KL_TYPE_NUM:
        return kl_put_num(w, v->u.n);
    default:
        return kl_csv_text(w, v->u.s);
    }
}

static int kl_csv_row(kl_writer *w, const kl_value *values)
{
    for (size_t i = 0; i < w->ncols; i++) {
        if (i && kl_putc(w, ',') != 0)
            return -1;
        if (kl_csv_value(w, &values[i]) != 0)
            return -1;
    }
    return kl_putc(w, '\n');
}

static int kl_csv_header(kl_writer *w)
{
    for (size_t i = 0; i < w->ncols; i++) {
        if (i && kl_putc(w, ',') != 0)
            return -1;
        if (kl_csv_text(w, w->columns[i]) != 0)
            return -1;
    }
    return kl_putc(w, '\n');
}

/* ---- JSON Lines --------------------------------------------------------- */

/* A JSON string.  Control characters use the short escapes JSON has (\b \f
 * \n \r \t) and \u00XX otherwise; other bytes pass through (text is UTF-8). */
static int kl_json_text(kl_writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    if (kl_putc(w, '"') != 0)
        return -1;
    for (;; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (kl_put(w, run, (size_t)(s - run)) != 0)
            return -1;
        if (c == '\0')
            break;
        run = s + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (kl_put(w, esc, elen) != 0)
            return -1;
    }
    return kl_putc(w, '"');
}

static int kl_json_value(kl_writer *w, const kl_value *v)
{
    if (kl_value_missing(v))
        return kl_put(w, "null", 4);
    switch (v->type) {
    case KL_TYPE_INT:
        return kl_put_int(w, v->u.i);
    case KL_TYPE_NUM:
        return kl_put_num(w, v->u.n);
    default:
        return kl_json_text(w, v->u.s);
    }
}

static int kl_jsonl_row(kl_writer *w, const kl_value *values)
{
    for (size_t i = 0; i < w->ncols; i++) {
        if (kl_putc(w, i ? ',' : '{') != 0 || kl_json_text(w, w->columns[i]) != 0 ||
            kl_putc(w, ':') != 0 || kl_json_value(w, &values[i]) != 0)
            return -1;
    }
    if (w->ncols == 0 && kl_putc(w, '{') != 0)
        return -1;
    return kl_put(w, "}\n", 2);
}

/* ---- the public writer API ---------------------------------------------- */

/* Frees w; the temporary file, if still there, is removed. */
static void kl_writer_free(kl_writer *w)
{
    kl_out_discard(&w->out);
    if (w->zs_ready)
        deflateEnd(&w->zs);
    if (w->columns)
        for (size_t i = 0; i < w->ncols; i++)
            kl_free(w->columns[i]);
    kl_free(w->columns);
    kl_free(w->buf);
    kl_free(w->zbuf);
    kl_free(w);
}

/* Copies the header names and allocates the buffers (and zlib's state). */
static int kl_writer_setup(kl_writer *w, const char *const *columns, kl_error *err)
{
    w->columns = kl_calloc(w->ncols ? w->ncols : 1, sizeof *w->columns);
    w->buf = kl_malloc(KL_WRITER_BUF_SIZE);
    if (!w->columns || !w->buf)
        return kl_error_oom(err, "opening an output file");
    for (size_t i = 0; i < w->ncols; i++) {
        w->columns[i] = kl_strdup(columns[i] ? columns[i] : "");
        if (!w->columns[i])
            return kl_error_oom(err, "opening an output file");
    }
    if (w->fmt != KL_FORMAT_CSV_GZ)
        return KL_OK;
    w->zbuf = kl_malloc(KL_WRITER_ZBUF_SIZE);
    if (!w->zbuf)
        return kl_error_oom(err, "opening an output file");
    w->zs.zalloc = kl_zalloc;
    w->zs.zfree = kl_zfree;
    w->zs.opaque = Z_NULL;
    if (deflateInit2(&w->zs, KL_GZIP_LEVEL, Z_DEFLATED, KL_GZIP_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return kl_error_oom(err, "starting gzip compression");
    w->zs_ready = 1;
    return KL_OK;
}

int kl_writer_open(kl_writer **out, const char *path, kl_format fmt,
                   const char *const *columns, size_t ncols, kl_error *err)
{
    kl_writer *w;
    int rc;

    *out = NULL;
    if (fmt != KL_FORMAT_CSV && fmt != KL_FORMAT_CSV_GZ && fmt != KL_FORMAT_JSONL)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: unknown output format %d",
                            path ? path : "(null)", (int)fmt);
    w = kl_calloc(1, sizeof *w);
    if (!w)
        return kl_error_oom(err, "opening an output file");
    w->out.fd = -1;
    w->fmt = fmt;
    w->ncols = ncols;
    /* Memory first, file second: an out-of-memory leaves no file to remove. */
    rc = kl_writer_setup(w, columns, err);
    if (rc == KL_OK)
        rc = kl_out_open(&w->out, path, err);
    if (rc == KL_OK && fmt != KL_FORMAT_JSONL && kl_csv_header(w) != 0)
        rc = kl_out_report(&w->out, err);
    if (rc != KL_OK) {
        kl_writer_free(w);
        return rc;
    }
    *out = w;
    return KL_OK;
}

int kl_writer_row(kl_writer *w, const kl_value *values, kl_error *err)
{
    int rc;

    if (w->out.err_no)
        return kl_out_report(&w->out, err);
    if (w->finished)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: a row after the output was finished",
                            kl_out_name(&w->out));
    /* Check first so that a bad row leaves no half-written line. */
    for (size_t i = 0; i < w->ncols; i++) {
        int t = values[i].type;
        if (t != 0 && t != KL_TYPE_INT && t != KL_TYPE_NUM && t != KL_TYPE_TEXT)
            return kl_error_set(err, KL_ERR_INTERNAL, "%s: column %s: invalid value type %d",
                                kl_out_name(&w->out), w->columns[i], t);
    }
    rc = w->fmt == KL_FORMAT_JSONL ? kl_jsonl_row(w, values) : kl_csv_row(w, values);
    if (rc != 0)
        return kl_out_report(&w->out, err);
    w->rows++;
    return KL_OK;
}

size_t kl_writer_rows(const kl_writer *w)
{
    return w->rows;
}

int kl_writer_finish(kl_writer *w, kl_error *err)
{
    if (!w)
        return kl_error_set(err, KL_ERR_INTERNAL, "finishing an output that is not open");
    if (w->finished)
        return KL_OK;
    if (kl_writer_flush(w, 1) != 0)
        return kl_out_report(&w->out, err);
    if (kl_out_finish(&w->out, err) != KL_OK)
        return err->status;
    w->finished = 1;
    return KL_OK;
}

int kl_writer_commit(kl_writer *w, kl_error *err)
{
    int rc;

    if (!w)
        return kl_error_set(err, KL_ERR_INTERNAL, "committing an output that is not open");
    rc = kl_writer_finish(w, err);
    if (rc == KL_OK)
        rc = kl_out_commit(&w->out, err);
    kl_writer_free(w);
    return rc;
}

void kl_writer_abort(kl_writer *w)
{
    if (w)
        kl_writer_free(w);
}

int kl_write_file_atomic(const char *path, const void *data, size_t len, kl_error *err)
{
    kl_out o;
    int rc = kl_out_open(&o, path, err);

    if (rc != KL_OK)
        return rc;
    if (len && kl_out_write(&o, data, len) != 0)
        rc = kl_out_report(&o, err);
    else
        rc = kl_out_commit(&o, err);
    kl_out_discard(&o);
    return rc;
}

int kl_mkdir_p(const char *dir, kl_error *err)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len >= sizeof path)
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: path too long", dir);
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (kl_io_mkdir(path, 0777) != 0 && errno != EEXIST)
            return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot create folder: %s", path,
                                strerror(errno));
        path[i] = dir[i];
    }
    return KL_OK;
}
