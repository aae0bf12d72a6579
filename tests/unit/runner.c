/*
 * runner.c -- runs the registered unit tests, each in its own child process
 * with a time limit, and prints "N passed, N failed" last.
 *
 * Usage: unit [SUBSTRING...]   runs the tests whose name contains one of the
 * substrings (all tests without arguments).  KT_TIMEOUT (seconds, default
 * 60) bounds each test.
 */
#include "kt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct kt_case {
    const char *name;
    const char *file;
    kt_fn fn;
} kt_case;

static kt_case kt_cases[1024];
static size_t kt_ncases;
static char kt_dir[4096];

void kt_register(const char *name, const char *file, kt_fn fn)
{
    if (kt_ncases < sizeof kt_cases / sizeof kt_cases[0])
        kt_cases[kt_ncases++] = (kt_case){name, file, fn};
}

void kt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

const char *kt_tmpdir(void)
{
    return kt_dir;
}

void kt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        kt_fail(__FILE__, __LINE__, "cannot create %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        kt_fail(__FILE__, __LINE__, "cannot write %s", path);
    fclose(f);
}

char *kt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        kt_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            if (!buf)
                kt_fail(__FILE__, __LINE__, "out of memory");
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void kt_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char sub[4096];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            kt_remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int kt_selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i]))
            return 1;
    return 0;
}

static int kt_run_one(const kt_case *c, unsigned timeout)
{
    int status;
    pid_t pid;

    snprintf(kt_dir, sizeof kt_dir, "/tmp/kt-%s-XXXXXX", c->name);
    if (!mkdtemp(kt_dir)) {
        fprintf(stderr, "    cannot make a temporary folder: %s\n", strerror(errno));
        return 0;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        alarm(timeout);
        c->fn();
        exit(0); /* not _exit: LeakSanitizer reports at exit */
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "    cannot run: %s\n", strerror(errno));
        kt_remove_tree(kt_dir);
        return 0;
    }
    kt_remove_tree(kt_dir);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "    killed by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
        return 0;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    const char *t = getenv("KT_TIMEOUT");
    unsigned timeout = t ? (unsigned)atoi(t) : 60;
    int passed = 0, failed = 0;

    for (size_t i = 0; i < kt_ncases; i++) {
        const kt_case *c = &kt_cases[i];
        if (!kt_selected(c->name, argc, argv))
            continue;
        if (kt_run_one(c, timeout)) {
            passed++;
            printf("ok   %s\n", c->name);
        } else {
            failed++;
            printf("FAIL %s (%s)\n", c->name, c->file);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
