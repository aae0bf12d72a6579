/*
 * kl_io.c -- the core's output file-system choke point (see kl_io.h).
 *
 * Only the fault-injection build has code here: a normal build uses the
 * inline libc calls of kl_io.h.  Built with -DKL_FAULT_INJECTION, the
 * environment variable KLASTER_FAIL_WRITE_AT=N makes the Nth call (counting
 * from 1) and every later one fail -- a disk that fills up and stays full --
 * the way KLASTER_FAIL_ALLOC_AT does for allocations (kl_alloc.c); with
 * KLASTER_FAIL_WRITE_ONCE=1 as well, only the Nth call fails.
 */
#include "kl_io.h"

#ifdef KL_FAULT_INJECTION

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong kl_io_calls;

static unsigned long kl_io_fail_at(void)
{
    static atomic_ulong cached; /* 0 = not read yet; ULONG_MAX = never fail */
    unsigned long v = atomic_load(&cached);
    if (v == 0) {
        const char *s = getenv("KLASTER_FAIL_WRITE_AT");
        v = (s && *s) ? strtoul(s, NULL, 10) : 0;
        if (v == 0)
            v = (unsigned long)-1;
        atomic_store(&cached, v);
    }
    return v;
}

/* KLASTER_FAIL_WRITE_ONCE=1: only the Nth call fails (a passing fault),
 * which catches an error that is lost because the next call works. */
static int kl_io_fail_once(void)
{
    static atomic_int cached = -1;
    int v = atomic_load(&cached);
    if (v < 0) {
        const char *s = getenv("KLASTER_FAIL_WRITE_ONCE");
        v = s && *s && strcmp(s, "0") != 0;
        atomic_store(&cached, v);
    }
    return v;
}

/* Counts the call; 1 (with errno = e) when it is to fail. */
static int kl_io_fail(int e)
{
    unsigned long n = atomic_fetch_add(&kl_io_calls, 1) + 1, at = kl_io_fail_at();
    if (n < at || (n > at && kl_io_fail_once()))
        return 0;
    errno = e;
    return 1;
}

unsigned long kl_io_count(void)
{
    return atomic_load(&kl_io_calls);
}

ssize_t kl_io_write(int fd, const void *buf, size_t n)
{
    return kl_io_fail(ENOSPC) ? -1 : write(fd, buf, n);
}

int kl_io_fsync(int fd)
{
    return kl_io_fail(EIO) ? -1 : fsync(fd);
}

int kl_io_close(int fd)
{
    if (kl_io_fail(EIO)) {
        close(fd); /* Linux releases the descriptor even when close fails */
        errno = EIO;
        return -1;
    }
    return close(fd);
}

int kl_io_rename(const char *from, const char *to)
{
    return kl_io_fail(EIO) ? -1 : rename(from, to);
}

int kl_io_open(const char *path, int flags, mode_t mode)
{
    return kl_io_fail(ENOSPC) ? -1 : open(path, flags, mode);
}

int kl_io_mkdir(const char *path, mode_t mode)
{
    struct stat st;

    if (!kl_io_fail(ENOSPC))
        return mkdir(path, mode);
    /* Linux looks the name up first: a full disk cannot fail the mkdir of
     * a folder that is there already. */
    errno = lstat(path, &st) == 0 ? EEXIST : ENOSPC;
    return -1;
}

int kl_io_symlink(const char *target, const char *linkpath)
{
    return kl_io_fail(ENOSPC) ? -1 : symlink(target, linkpath);
}

/* fopencookie's write: all n bytes or a short count (stdio then marks the
 * stream as failed, and main() reports it). */
static ssize_t kl_io_stdout_write(void *cookie, const char *buf, size_t n)
{
    size_t done = 0;

    (void)cookie;
    while (done < n) {
        ssize_t got = kl_io_write(STDOUT_FILENO, buf + done, n - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += (size_t)got;
    }
    return (ssize_t)done;
}

void kl_io_hook_stdout(void)
{
    cookie_io_functions_t fns = {.write = kl_io_stdout_write};
    FILE *f;

    fflush(stdout);
    f = fopencookie(NULL, "w", fns);
    if (f)
        stdout = f; /* glibc's stdout is an ordinary variable */
}

#else

typedef int kl_io_nothing_here; /* ISO C wants a declaration in every file */

#endif /* KL_FAULT_INJECTION */
