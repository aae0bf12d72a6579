/*
 * kl_io.h -- the file-system calls through which the core writes its output.
 *
 * Every call that puts something a user or a later step reads on disk goes
 * through these: the result files and small files of kl_writer.c (which
 * also serve manifests, reports and systemd units), the folders of
 * kl_mkdir_p, the lock, run folders and `latest` pointer of kl_runs.c, and
 * in the fault-injection build standard output (kl_io_hook_stdout).
 * One choke point, like kl_alloc.h for memory, so that a fault-injection
 * build (-DKL_FAULT_INJECTION) can make the Nth such call and every later
 * one fail (KLASTER_FAIL_WRITE_AT=N; only the Nth with
 * KLASTER_FAIL_WRITE_ONCE=1) and the torture sweep can prove every failure
 * ends in a clean error with no half-written output.
 *
 * The functions behave like their POSIX namesakes (a return of -1 sets
 * errno).  In a normal build they are inline calls of those: no cost.
 * Reading, unlinking temporary files and taking a lock are not wrapped:
 * they publish nothing.
 */
#ifndef KL_IO_H
#define KL_IO_H

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef KL_FAULT_INJECTION

/* Each fails with a realistic errno once the call count reaches
 * KLASTER_FAIL_WRITE_AT: write ENOSPC, fsync EIO, close EIO (the descriptor
 * is still closed, as Linux does), rename EIO, open ENOSPC, mkdir ENOSPC
 * (EEXIST when the name exists, as Linux checks that first), symlink
 * ENOSPC. */
ssize_t kl_io_write(int fd, const void *buf, size_t n);
int kl_io_fsync(int fd);
int kl_io_close(int fd);
int kl_io_rename(const char *from, const char *to);
/* open(2) of a file for writing (flags with O_WRONLY/O_RDWR, maybe O_CREAT). */
int kl_io_open(const char *path, int flags, mode_t mode);
int kl_io_mkdir(const char *path, mode_t mode);
int kl_io_symlink(const char *target, const char *linkpath);

/*
 * Sends standard output through kl_io_write too, so that a program's
 * printed report (`klaster check`) is an output the sweep can fail.  Called
 * once at the start of main(); stdio buffering is kept.
 */
void kl_io_hook_stdout(void);

/* Number of the calls above made so far (for fault-injection sweeps). */
unsigned long kl_io_count(void);

#else /* a normal build: the libc calls themselves */

static inline ssize_t kl_io_write(int fd, const void *buf, size_t n)
{
    return write(fd, buf, n);
}
static inline int kl_io_fsync(int fd)
{
    return fsync(fd);
}
static inline int kl_io_close(int fd)
{
    return close(fd);
}
static inline int kl_io_rename(const char *from, const char *to)
{
    return rename(from, to);
}
static inline int kl_io_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}
static inline int kl_io_mkdir(const char *path, mode_t mode)
{
    return mkdir(path, mode);
}
static inline int kl_io_symlink(const char *target, const char *linkpath)
{
    return symlink(target, linkpath);
}
static inline void kl_io_hook_stdout(void)
{
}
static inline unsigned long kl_io_count(void)
{
    return 0;
}

#endif /* KL_FAULT_INJECTION */

#endif /* KL_IO_H */
