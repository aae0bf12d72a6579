/*
 * kl_source.c -- a stream of decompressed bytes from a file or stdin (see
 * kl_source.h).
 *
 * The "producer" turns the file into decompressed bytes: plain input is
 * read() as is, gzip input goes through zlib's inflate() driven by hand so
 * that truncation, trailing garbage and oversized output are all caught.  The
 * producer runs either on a background thread, filling a small ring of large
 * blocks ahead of the reader, or (no_thread, or when the thread cannot be
 * started) directly inside kl_source_read().  Both paths share the producer
 * code, so they behave the same byte for byte and error for error.
 */
#include "kl_source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kl_alloc.h"
#include "kl_crc32.h"

/* Large enough that syscalls and hand-overs are rare, small enough that a
 * block is still warm in the cache when the reader copies it out. */
#define KL_SOURCE_DEFAULT_BLOCK ((size_t)1 << 20)
/* Eight blocks in flight: the inflater, which sets the pace, can run up to
 * 8 MB ahead when the reader stalls for a moment (with 4 the read benchmark
 * varied by 10% from run to run, with 8 by 1%; 16 gained nothing more). */
#define KL_SOURCE_NBLOCKS 8

/* What follows a chunk of produced bytes. */
enum {
    KL_SOURCE_MORE = 0,   /* more may come */
    KL_SOURCE_END = 1,    /* clean end of the data */
    KL_SOURCE_FAIL = 2,   /* an error, described in perr */
    KL_SOURCE_STOPPED = 3 /* kl_source_close() asked the thread to stop */
};

typedef struct kl_source_block {
    char *data;
    size_t len;
    int status; /* what follows data[0..len) */
} kl_source_block;

struct kl_source {
    char *name;
    int fd;
    int own_fd;
    int is_gzip;
    uint64_t max_bytes;
    size_t block_cap;

    /* Producer side: touched only by the producer once the thread runs. */
    unsigned char *in; /* compressed (or, for plain input, raw) bytes */
    size_t in_cap;
    size_t in_pos, in_len; /* plain input: unread bytes of the first read */
    int in_eof;
    uint64_t in_total; /* bytes read from the file so far */
    uint64_t produced; /* decompressed bytes produced so far */
    z_stream zs;
    gz_header head;
    int zs_ready;
    int member_done; /* between two gzip members */
    /* The member's CRC and length are checked here, not by zlib (see
     * kl_source_gzip): */
    int zlib_checks;          /* zlib still validates (the member's header) */
    uint32_t crc;             /* kl_crc32 of the member's output so far */
    uint64_t member_out;      /* its output bytes so far */
    unsigned char last_in[8]; /* the last compressed bytes consumed: at the
                               * member's end, its trailer */
    kl_error perr;   /* the producer's error, valid once FAIL is posted */
    int wake_rd, wake_wr; /* wakes a thread blocked on a pipe at close */

    /* Hand-over between the thread and the reader. */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t has_data, has_room;
    kl_source_block blocks[KL_SOURCE_NBLOCKS];
    unsigned rd, wr, filled;
    int stop;

    /* Reader side. */
    const char *cur; /* unread part of the current chunk */
    size_t avail;
    int next_status; /* what follows the current chunk */
    int holding;     /* the reader holds blocks[rd] */
    int final;       /* 0 while live; END or FAIL once reached */
    kl_error ferr;   /* repeated by every read after a FAIL */
    uint64_t bytes_out;
};

/* ---- reading the file ---------------------------------------------------- */

/* Waits until fd is readable, or returns 1 when close asked us to stop.
 * Only used for pipes and terminals, where read() may block for ever. */
static int kl_source_wait(kl_source *src)
{
    struct pollfd pf[2] = {{src->fd, POLLIN, 0}, {src->wake_rd, POLLIN, 0}};
    int n = src->wake_rd >= 0 ? 2 : 1;

    while (poll(pf, (nfds_t)n, -1) < 0)
        if (errno != EINTR && errno != EAGAIN)
            return 0; /* let read() report what is wrong */
    return n == 2 && (pf[1].revents & POLLIN);
}

/* read() with retries.  Returns bytes read (0 at the end), -1 with perr set,
 * or -2 when stopped. */
static ssize_t kl_source_sysread(kl_source *src, void *buf, size_t cap)
{
    if (cap > ((size_t)1 << 30))
        cap = (size_t)1 << 30;
    for (;;) {
        if (src->wake_rd >= 0 && kl_source_wait(src))
            return -2;
        ssize_t n = read(src->fd, buf, cap);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* stdin may have been left non-blocking by whoever started us */
            if (src->wake_rd < 0 && kl_source_wait(src))
                return -2;
            continue;
        }
        kl_error_set(&src->perr, KL_ERR_IO, "%s: read error: %s", src->name, strerror(errno));
        return -1;
    }
}

/* Moves the unconsumed compressed bytes to the front of `in` and reads more
 * after them.  Returns MORE (possibly with in_eof now set), FAIL or STOPPED. */
static int kl_source_fetch(kl_source *src)
{
    size_t keep = src->zs.avail_in;
    ssize_t n;

    if (keep && src->zs.next_in != src->in)
        memmove(src->in, src->zs.next_in, keep);
    n = kl_source_sysread(src, src->in + keep, src->in_cap - keep);
    if (n == -2)
        return KL_SOURCE_STOPPED;
    if (n < 0)
        return KL_SOURCE_FAIL;
    src->zs.next_in = src->in;
    src->zs.avail_in = (uInt)(keep + (size_t)n);
    src->in_total += (uint64_t)n;
    if (n == 0)
        src->in_eof = 1;
    return KL_SOURCE_MORE;
}

/* ---- producing decompressed bytes ---------------------------------------- */

static int kl_source_plain(kl_source *src, char *out, size_t cap, size_t *got)
{
    ssize_t n;

    *got = 0;
    if (src->in_pos < src->in_len) {
        /* the bytes read at open to look for the gzip magic come first */
        size_t k = src->in_len - src->in_pos;
        if (k > cap)
            k = cap;
        memcpy(out, src->in + src->in_pos, k);
        src->in_pos += k;
        *got = k;
        return KL_SOURCE_MORE;
    }
    if (src->in_eof)
        return KL_SOURCE_END;
    n = kl_source_sysread(src, out, cap);
    if (n == -2)
        return KL_SOURCE_STOPPED;
    if (n < 0)
        return KL_SOURCE_FAIL;
    if (n == 0) {
        src->in_eof = 1;
        return KL_SOURCE_END;
    }
    src->in_total += (uint64_t)n;
    *got = (size_t)n;
    return KL_SOURCE_MORE;
}

static int kl_source_truncated(kl_source *src)
{
    /* zlib sets head.done once the whole member header has been parsed */
    kl_error_set(&src->perr, KL_ERR_DATA,
                 "%s: truncated gzip stream: unexpected end of file inside %s", src->name,
                 src->head.done ? "compressed data" : "the gzip header");
    return KL_SOURCE_FAIL;
}

/* The stream is corrupt (why: zlib's words), about where zlib has read to. */
static int kl_source_corrupt(kl_source *src, const char *why)
{
    kl_error_set(&src->perr, KL_ERR_DATA, "%s: corrupt gzip stream: %s (near compressed byte %llu)",
                 src->name, why, (unsigned long long)(src->in_total - src->zs.avail_in));
    return KL_SOURCE_FAIL;
}

static int kl_source_zfail(kl_source *src, int ret)
{
    if (ret == Z_MEM_ERROR) {
        kl_error_oom(&src->perr, "inflating gzip data");
        return KL_SOURCE_FAIL;
    }
    return kl_source_corrupt(src, src->zs.msg ? src->zs.msg : "invalid data");
}

/* After a call to inflate() that went from in0 and out0: the CRC and size
 * of the new output, and the last 8 compressed bytes consumed. */
static void kl_source_account(kl_source *src, const Bytef *in0, const Bytef *out0)
{
    size_t used = (size_t)(src->zs.next_in - in0), made = (size_t)(src->zs.next_out - out0);

    src->crc = kl_crc32(src->crc, out0, made);
    src->member_out += made;
    if (used >= sizeof src->last_in) {
        memcpy(src->last_in, src->zs.next_in - sizeof src->last_in, sizeof src->last_in);
    } else if (used) {
        memmove(src->last_in, src->last_in + used, sizeof src->last_in - used);
        memcpy(src->last_in + sizeof src->last_in - used, in0, used);
    }
    /* The header is checked (its optional CRC too): from here on, the CRC of
     * the data is ours, several times faster than zlib's. */
    if (src->zlib_checks && src->head.done) {
        inflateValidate(&src->zs, 0);
        src->zlib_checks = 0;
    }
}

/* The member ended: its trailer (CRC-32 and size mod 2^32, little-endian)
 * against what came out.  Returns MORE or FAIL. */
static uint32_t kl_source_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int kl_source_check_trailer(kl_source *src)
{
    if (kl_source_le32(src->last_in) != src->crc)
        return kl_source_corrupt(src, "incorrect data check");
    if (kl_source_le32(src->last_in + 4) != (uint32_t)src->member_out)
        return kl_source_corrupt(src, "incorrect length check");
    return KL_SOURCE_MORE;
}

/* Starts checking a new member. */
static void kl_source_member_start(kl_source *src)
{
    src->crc = 0;
    src->member_out = 0;
    src->zlib_checks = 1;
    inflateValidate(&src->zs, 1);
}

/* Starts the next member, or rejects what follows the last one.  Returns
 * MORE, END or FAIL (or whatever fetching more input returned). */
static int kl_source_next_member(kl_source *src)
{
    z_stream *zs = &src->zs;

    while (zs->avail_in < 2 && !src->in_eof) {
        int st = kl_source_fetch(src);
        if (st != KL_SOURCE_MORE)
            return st;
    }
    if (zs->avail_in == 0)
        return KL_SOURCE_END;
    /* A lone 0x1f at the end is a member cut inside its header: let inflate
     * report it as truncated rather than call it garbage. */
    if (zs->next_in[0] == 0x1f && (zs->avail_in == 1 || zs->next_in[1] == 0x8b)) {
        if (inflateReset(zs) != Z_OK || inflateGetHeader(zs, &src->head) != Z_OK)
            return kl_source_zfail(src, Z_STREAM_ERROR);
        kl_source_member_start(src);
        src->member_done = 0;
        return KL_SOURCE_MORE;
    }
    kl_error_set(&src->perr, KL_ERR_DATA,
                 "%s: trailing garbage after gzip member at byte %llu (expected another gzip "
                 "member or the end of the file)",
                 src->name, (unsigned long long)(src->in_total - zs->avail_in));
    return KL_SOURCE_FAIL;
}

static int kl_source_gzip(kl_source *src, char *out, size_t cap, size_t *got)
{
    z_stream *zs = &src->zs;
    int st = KL_SOURCE_MORE;

    if (cap > ((size_t)1 << 30))
        cap = (size_t)1 << 30;
    zs->next_out = (Bytef *)out;
    zs->avail_out = (uInt)cap;
    while (zs->avail_out > 0 && st == KL_SOURCE_MORE) {
        int ret;
        if (src->member_done) {
            st = kl_source_next_member(src);
            continue;
        }
        if (zs->avail_in == 0 && !src->in_eof) {
            st = kl_source_fetch(src);
            continue;
        }
        const Bytef *in0 = zs->next_in, *out0 = zs->next_out;
        ret = inflate(zs, Z_NO_FLUSH);
        kl_source_account(src, in0, out0);
        if (ret == Z_STREAM_END) {
            src->member_done = 1;
            st = kl_source_check_trailer(src);
        }
        else if (ret == Z_BUF_ERROR && zs->avail_in == 0 && src->in_eof)
            st = kl_source_truncated(src); /* no progress and nothing left */
        else if (ret == Z_BUF_ERROR && zs->avail_in > 0)
            st = kl_source_zfail(src, ret); /* cannot happen; never spin */
        else if (ret != Z_OK && ret != Z_BUF_ERROR)
            st = kl_source_zfail(src, ret);
    }
    *got = cap - zs->avail_out;
    return st;
}

/* Produces up to cap bytes into out, enforcing max_bytes.  *got may be > 0
 * whatever the status; the bytes come before the status. */
static int kl_source_produce(kl_source *src, char *out, size_t cap, size_t *got)
{
    uint64_t room = src->max_bytes - src->produced;
    int st;

    /* One byte past the limit is enough to know the data goes on, so a
     * decompression bomb is stopped after max_bytes + 1 bytes. */
    if (room < UINT64_MAX && (uint64_t)cap > room + 1)
        cap = (size_t)(room + 1);
    st = src->is_gzip ? kl_source_gzip(src, out, cap, got) : kl_source_plain(src, out, cap, got);
    src->produced += *got;
    if (src->produced > src->max_bytes) {
        *got -= (size_t)(src->produced - src->max_bytes);
        src->produced = src->max_bytes;
        kl_error_set(&src->perr, KL_ERR_DATA,
                     "%s: %s exceeds the limit of %llu bytes of %s data (raise it with "
                     "--max-input-size)",
                     src->name, src->is_gzip ? "gzip stream" : "input",
                     (unsigned long long)src->max_bytes, src->is_gzip ? "decompressed" : "input");
        st = KL_SOURCE_FAIL;
    }
    return st;
}

/* ---- the background thread ---------------------------------------------- */

static void *kl_source_thread_main(void *arg)
{
    kl_source *src = arg;

    for (;;) {
        kl_source_block *b;
        unsigned slot;
        int st;

        pthread_mutex_lock(&src->mu);
        while (src->filled == KL_SOURCE_NBLOCKS && !src->stop)
            pthread_cond_wait(&src->has_room, &src->mu);
        st = src->stop;
        slot = src->wr;
        pthread_mutex_unlock(&src->mu);
        if (st)
            break;
        /* blocks[slot] is neither filled nor held, so it is ours alone */
        b = &src->blocks[slot];
        st = kl_source_produce(src, b->data, src->block_cap, &b->len);
        if (st == KL_SOURCE_STOPPED)
            break;
        b->status = st;
        pthread_mutex_lock(&src->mu);
        src->wr = (slot + 1) % KL_SOURCE_NBLOCKS;
        src->filled++;
        pthread_cond_signal(&src->has_data);
        pthread_mutex_unlock(&src->mu);
        if (st != KL_SOURCE_MORE)
            break;
    }
    return NULL;
}

/* Gives back the block the reader finished and waits for the next one. */
static void kl_source_next_block(kl_source *src)
{
    kl_source_block *b;

    pthread_mutex_lock(&src->mu);
    if (src->holding) {
        src->holding = 0;
        src->rd = (src->rd + 1) % KL_SOURCE_NBLOCKS;
        src->filled--;
        pthread_cond_signal(&src->has_room);
    }
    while (src->filled == 0)
        pthread_cond_wait(&src->has_data, &src->mu);
    b = &src->blocks[src->rd];
    src->holding = 1;
    src->cur = b->data;
    src->avail = b->len;
    src->next_status = b->status;
    if (b->status == KL_SOURCE_FAIL)
        src->ferr = src->perr; /* written before the block was posted */
    pthread_mutex_unlock(&src->mu);
}

static int kl_source_make_wake_pipe(kl_source *src)
{
    int p[2];

    if (pipe(p) != 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    src->wake_rd = p[0];
    src->wake_wr = p[1];
    return 0;
}

/* Starts the thread.  Returns KL_OK, or an error for out-of-memory; when
 * the thread itself cannot be started the source quietly stays same-thread. */
static int kl_source_start_thread(kl_source *src, kl_error *err)
{
    struct stat st;
    sigset_t all, old;
    int rc;

    for (int i = 0; i < KL_SOURCE_NBLOCKS; i++)
        if (!(src->blocks[i].data = kl_malloc(src->block_cap)))
            return kl_error_oom(err, "allocating input buffers");
    /* read() on a pipe can block for ever; close must be able to wake it */
    if (fstat(src->fd, &st) == 0 && !S_ISREG(st.st_mode) && kl_source_make_wake_pipe(src) != 0)
        return KL_OK;
    if (pthread_mutex_init(&src->mu, NULL) != 0)
        return KL_OK;
    if (pthread_cond_init(&src->has_data, NULL) != 0) {
        pthread_mutex_destroy(&src->mu);
        return KL_OK;
    }
    if (pthread_cond_init(&src->has_room, NULL) != 0) {
        pthread_cond_destroy(&src->has_data);
        pthread_mutex_destroy(&src->mu);
        return KL_OK;
    }
    /* signals are for the program's main thread, not for the inflater */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&src->thread, NULL, kl_source_thread_main, src);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&src->has_room);
        pthread_cond_destroy(&src->has_data);
        pthread_mutex_destroy(&src->mu);
        return KL_OK;
    }
    src->threaded = 1;
    return KL_OK;
}

/* ---- opening -------------------------------------------------------------- */

static voidpf kl_source_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return kl_reallocarray(NULL, items, size);
}

static void kl_source_zfree(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    kl_free(ptr);
}

static int kl_source_open_fd(kl_source *src, const char *path, kl_error *err)
{
    struct stat st;

    if (strcmp(path, "-") == 0) {
        src->fd = STDIN_FILENO;
        return KL_OK;
    }
    src->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (src->fd < 0)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    src->own_fd = 1;
    if (fstat(src->fd, &st) == 0 && S_ISDIR(st.st_mode))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(EISDIR));
#ifdef POSIX_FADV_SEQUENTIAL
    if (S_ISREG(st.st_mode))
        posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return KL_OK;
}

/* Reads until the two magic bytes are known (or the input ends). */
static int kl_source_sniff(kl_source *src, kl_error *err)
{
    while (src->in_len < 2) {
        ssize_t n = kl_source_sysread(src, src->in + src->in_len, src->in_cap - src->in_len);
        if (n < 0) {
            *err = src->perr;
            return err->status;
        }
        if (n == 0) {
            src->in_eof = 1;
            break;
        }
        src->in_len += (size_t)n;
        src->in_total += (uint64_t)n;
    }
    src->is_gzip = src->in_len >= 2 && src->in[0] == 0x1f && src->in[1] == 0x8b;
    return KL_OK;
}

static int kl_source_init_zlib(kl_source *src, kl_error *err)
{
    int ret;

    src->zs.zalloc = kl_source_zalloc;
    src->zs.zfree = kl_source_zfree;
    src->zs.next_in = src->in;
    src->zs.avail_in = (uInt)src->in_len;
    ret = inflateInit2(&src->zs, 15 + 16); /* gzip wrapper only */
    if (ret == Z_MEM_ERROR)
        return kl_error_oom(err, "starting the gzip decoder");
    if (ret != Z_OK)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: cannot start the gzip decoder: %s",
                            src->name, zError(ret));
    src->zs_ready = 1;
    if (inflateGetHeader(&src->zs, &src->head) != Z_OK)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: cannot start the gzip decoder", src->name);
    kl_source_member_start(src);
    src->in_pos = src->in_len = 0; /* now owned by zs */
    return KL_OK;
}

int kl_source_open(kl_source **out, const char *path, const kl_source_opts *opts, kl_error *err)
{
    kl_source *src;
    int rc;

    *out = NULL;
    if (!path)
        return kl_error_set(err, KL_ERR_USAGE, "no input file given");
    if (!(src = kl_calloc(1, sizeof *src)))
        return kl_error_oom(err, "opening an input");
    src->fd = -1;
    src->wake_rd = src->wake_wr = -1;
    src->max_bytes = opts && opts->max_bytes ? opts->max_bytes : KL_SOURCE_DEFAULT_MAX_BYTES;
    src->block_cap = opts && opts->block_size ? opts->block_size : KL_SOURCE_DEFAULT_BLOCK;
    src->in_cap = src->block_cap < 2 ? 2 : src->block_cap;
    src->name = kl_strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
    src->in = kl_malloc(src->in_cap);
    if (!src->name || !src->in) {
        kl_source_close(src);
        return kl_error_oom(err, "opening an input");
    }
    rc = kl_source_open_fd(src, path, err);
    if (rc == KL_OK)
        rc = kl_source_sniff(src, err);
    if (rc == KL_OK && src->is_gzip)
        rc = kl_source_init_zlib(src, err);
    if (rc == KL_OK && !(opts && opts->no_thread))
        rc = kl_source_start_thread(src, err);
    if (rc != KL_OK) {
        kl_source_close(src);
        return rc;
    }
    *out = src;
    return KL_OK;
}

/* ---- the reader ------------------------------------------------------------ */

static ssize_t kl_source_finished(kl_source *src, kl_error *err)
{
    if (src->final == KL_SOURCE_END)
        return 0;
    if (err)
        *err = src->ferr;
    return -1;
}

ssize_t kl_source_read(kl_source *src, char *buf, size_t cap, kl_error *err)
{
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX;
    if (cap == 0)
        return src->final == KL_SOURCE_FAIL ? kl_source_finished(src, err) : 0;
    for (;;) {
        if (src->final)
            return kl_source_finished(src, err);
        if (src->avail) {
            size_t n = src->avail < cap ? src->avail : cap;
            memcpy(buf, src->cur, n);
            src->cur += n;
            src->avail -= n;
            src->bytes_out += n;
            return (ssize_t)n;
        }
        if (src->next_status != KL_SOURCE_MORE) {
            src->final = src->next_status;
            continue;
        }
        if (src->threaded) {
            kl_source_next_block(src);
        } else {
            /* same thread: produce straight into the caller's buffer */
            size_t got;
            src->next_status = kl_source_produce(src, buf, cap, &got);
            if (src->next_status == KL_SOURCE_FAIL)
                src->ferr = src->perr;
            if (got) {
                src->bytes_out += got;
                return (ssize_t)got;
            }
        }
    }
}

const char *kl_source_name(const kl_source *src)
{
    return src->name;
}

int kl_source_is_gzip(const kl_source *src)
{
    return src->is_gzip;
}

uint64_t kl_source_bytes_out(const kl_source *src)
{
    return src->bytes_out;
}

void kl_source_close(kl_source *src)
{
    if (!src)
        return;
    if (src->threaded) {
        pthread_mutex_lock(&src->mu);
        src->stop = 1;
        pthread_cond_broadcast(&src->has_room);
        pthread_mutex_unlock(&src->mu);
        if (src->wake_wr >= 0) {
            ssize_t w;
            do
                w = write(src->wake_wr, "x", 1);
            while (w < 0 && errno == EINTR);
        }
        pthread_join(src->thread, NULL);
        pthread_cond_destroy(&src->has_room);
        pthread_cond_destroy(&src->has_data);
        pthread_mutex_destroy(&src->mu);
    }
    if (src->wake_rd >= 0)
        close(src->wake_rd);
    if (src->wake_wr >= 0)
        close(src->wake_wr);
    if (src->zs_ready)
        inflateEnd(&src->zs);
    for (int i = 0; i < KL_SOURCE_NBLOCKS; i++)
        kl_free(src->blocks[i].data);
    if (src->own_fd)
        close(src->fd);
    kl_free(src->in);
    kl_free(src->name);
    kl_free(src);
}
