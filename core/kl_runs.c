/*
 * kl_runs.c -- run folders, lock, `latest`, retention, history (see
 * kl_runs.h).  The calls that create the lock, the folders and `latest` go
 * through kl_io.h, so that the fault-injection build can fail them.
 */
#include "kl_runs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kl_alloc.h"
#include "kl_io.h"
#include "kl_sha256.h"
#include "kl_writer.h"

#define KL_PATH_MAX 4096

int kl_runs_lock(const char *out_dir, int wait, int *fd, kl_error *err)
{
    char path[KL_PATH_MAX];
    int rc;

    *fd = -1;
    if ((rc = kl_mkdir_p(out_dir, err)) != KL_OK)
        return rc;
    snprintf(path, sizeof path, "%s/.lock", out_dir);
    *fd = kl_io_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot create the lock file: %s", path,
                            strerror(errno));
    while (flock(*fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return kl_error_set(err, KL_ERR_TEMPFAIL,
                                "%s: another run of this pipeline is in progress (try again later, "
                                "or leave out --no-wait to wait for it)", out_dir);
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot lock: %s", path, strerror(e));
    }
    return KL_OK;
}

void kl_runs_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing drops the flock */
}

void kl_runs_new_id(char id[KL_RUN_ID_MAX], const char *salt)
{
    struct timespec ts;
    struct tm tm;
    char hex[65], when[32], seed[256];
    kl_sha256 h;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
    /* Milliseconds keep ids in time order even for runs a second apart. */
    snprintf(when + strlen(when), sizeof when - strlen(when), ".%03ldZ", ts.tv_nsec / 1000000);
    /* The hash part tells apart two runs started in the same second. */
    snprintf(seed, sizeof seed, "%s|%ld|%ld|%d", salt ? salt : "", (long)ts.tv_sec, ts.tv_nsec,
             (int)getpid());
    kl_sha256_init(&h);
    kl_sha256_update(&h, seed, strlen(seed));
    kl_sha256_final_hex(&h, hex);
    snprintf(id, KL_RUN_ID_MAX, "%s-%.6s", when, hex);
}

int kl_runs_create(const char *out_dir, const char *id, char *path, size_t cap, kl_error *err)
{
    if ((size_t)snprintf(path, cap, "%s/runs/%s", out_dir, id) >= cap)
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: path too long", out_dir);
    return kl_mkdir_p(path, err);
}

int kl_runs_latest(const char *out_dir, char id[KL_RUN_ID_MAX])
{
    char link[KL_PATH_MAX], target[KL_PATH_MAX];
    const char *slash;
    ssize_t n;

    snprintf(link, sizeof link, "%s/latest", out_dir);
    n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    slash = strrchr(target, '/');
    slash = slash ? slash + 1 : target;
    if (strlen(slash) >= KL_RUN_ID_MAX)
        return 0;
    memcpy(id, slash, strlen(slash) + 1);
    return id[0] != '\0';
}

static int kl_runs_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    kl_io_fsync(fd);
    close(fd);
    return 0;
}

int kl_runs_publish(const char *out_dir, const char *id, kl_error *err)
{
    char tmp[KL_PATH_MAX], link[KL_PATH_MAX], target[KL_PATH_MAX];

    snprintf(target, sizeof target, "runs/%s", id);
    snprintf(tmp, sizeof tmp, "%s/.latest.%d", out_dir, (int)getpid());
    snprintf(link, sizeof link, "%s/latest", out_dir);
    unlink(tmp);
    if (kl_io_symlink(target, tmp) != 0)
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot create a link: %s", tmp,
                            strerror(errno));
    if (kl_io_rename(tmp, link) != 0) {
        int e = errno;
        unlink(tmp);
        return kl_error_set(err, KL_ERR_CANTCREAT, "%s: cannot switch to run %s: %s", link, id,
                            strerror(e));
    }
    kl_runs_fsync_dir(out_dir);
    return KL_OK;
}

static int kl_runs_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run ids in OUT/runs, oldest first (ids sort by time).  *ids is
 * kl_malloc'd, each entry too; free with kl_runs_free_ids. */
static int kl_runs_list(const char *out_dir, char ***ids, size_t *n, kl_error *err)
{
    char path[KL_PATH_MAX];
    DIR *d;
    struct dirent *e;
    size_t cap = 0;

    *ids = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/runs", out_dir);
    if (!(d = opendir(path)))
        return errno == ENOENT ? KL_OK
                               : kl_error_set(err, KL_ERR_NOINPUT, "%s: %s", path, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            char **grown = kl_reallocarray(*ids, cap ? cap * 2 : 16, sizeof *grown);
            if (!grown)
                break;
            *ids = grown;
            cap = cap ? cap * 2 : 16;
        }
        if (!((*ids)[*n] = kl_strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (e != NULL) {
        for (size_t i = 0; i < *n; i++)
            kl_free((*ids)[i]);
        kl_free(*ids);
        *ids = NULL;
        *n = 0;
        return kl_error_oom(err, "listing runs");
    }
    if (*n)
        qsort(*ids, *n, sizeof **ids, kl_runs_cmp);
    return KL_OK;
}

static void kl_runs_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kl_free(ids[i]);
    kl_free(ids);
}

/* rm -r of one run folder (its files are flat: outputs and the manifest). */
static int kl_runs_remove(const char *out_dir, const char *id)
{
    char path[KL_PATH_MAX], file[KL_PATH_MAX + 256];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof path, "%s/runs/%s", out_dir, id);
    if (!(d = opendir(path)))
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        unlink(file);
    }
    closedir(d);
    return rmdir(path);
}

int kl_runs_prune(const char *out_dir, unsigned keep, unsigned *removed, kl_error *err)
{
    char latest[KL_RUN_ID_MAX] = "";
    char **ids;
    size_t n, excess;
    int rc;

    *removed = 0;
    if (keep == 0)
        return KL_OK;
    if ((rc = kl_runs_list(out_dir, &ids, &n, err)) != KL_OK)
        return rc;
    kl_runs_latest(out_dir, latest);
    excess = n > keep ? n - keep : 0;
    for (size_t i = 0; i < n && excess > 0; i++) {
        if (strcmp(ids[i], latest) == 0)
            continue; /* the last good run always stays */
        if (kl_runs_remove(out_dir, ids[i]) == 0)
            (*removed)++;
        excess--;
    }
    kl_runs_free_ids(ids, n);
    return KL_OK;
}

int kl_manifest_field(const char *manifest_path, const char *key, char *buf, size_t cap)
{
    char line[4096], want[256];
    FILE *f = fopen(manifest_path, "r");
    size_t wlen;
    int found = 0;

    if (!f || cap == 0)
        return f ? (fclose(f), 0) : 0;
    /* klaster writes top-level fields one per line, indented by two spaces. */
    snprintf(want, sizeof want, "  \"%s\": ", key);
    wlen = strlen(want);
    while (!found && fgets(line, sizeof line, f)) {
        char *v, *end;
        if (strncmp(line, want, wlen) != 0)
            continue;
        v = line + wlen;
        end = v + strcspn(v, "\n");
        while (end > v && (end[-1] == ',' || end[-1] == ' '))
            end--;
        if (*v == '"' && end > v + 1 && end[-1] == '"') {
            v++;
            end--;
        }
        *end = '\0';
        if ((size_t)(end - v) >= cap)
            end = v + cap - 1;
        memcpy(buf, v, (size_t)(end - v));
        buf[end - v] = '\0';
        found = 1;
    }
    fclose(f);
    return found;
}

int kl_runs_history(const char *out_dir, FILE *out, kl_error *err)
{
    char latest[KL_RUN_ID_MAX] = "";
    char **ids;
    size_t n;
    struct stat st;
    int rc, locked = 0;

    if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: no such folder", out_dir);
    if ((rc = kl_runs_list(out_dir, &ids, &n, err)) != KL_OK)
        return rc;
    kl_runs_latest(out_dir, latest);
    {
        /* A "running" manifest is a run in progress only while the lock is
         * held; otherwise that run died (kill -9, power cut). */
        char lock[KL_PATH_MAX];
        int fd;
        snprintf(lock, sizeof lock, "%s/.lock", out_dir);
        fd = open(lock, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            locked = flock(fd, LOCK_SH | LOCK_NB) != 0;
            close(fd);
        }
    }
    if (n == 0)
        fprintf(out, "no runs in %s\n", out_dir);
    else
        fprintf(out, "%-2s %-28s %-11s %10s  %s\n", "", "run", "status", "duration", "changes");
    for (size_t i = n; i-- > 0;) {
        char manifest[KL_PATH_MAX], status[64] = "incomplete", duration[64] = "-", changes[1024] = "";
        snprintf(manifest, sizeof manifest, "%s/runs/%s/manifest.json", out_dir, ids[i]);
        kl_manifest_field(manifest, "status", status, sizeof status);
        if (kl_manifest_field(manifest, "duration_seconds", duration, sizeof duration) &&
            strcmp(duration, "null") != 0)
            strncat(duration, " s", sizeof duration - strlen(duration) - 1);
        else
            memcpy(duration, "-", 2);
        kl_manifest_field(manifest, "changes", changes, sizeof changes);
        if (strcmp(status, "running") == 0 && !(locked && i == n - 1))
            memcpy(status, "interrupted", sizeof "interrupted");
        fprintf(out, "%-2s %-28s %-11s %10s  %s\n", strcmp(ids[i], latest) == 0 ? "*" : "", ids[i],
                status, duration, changes);
    }
    kl_runs_free_ids(ids, n);
    return KL_OK;
}
