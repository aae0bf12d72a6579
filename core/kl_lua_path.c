/*
 * kl_lua_path.c -- the script path: which .lua files become steps (see
 * kl_lua_load_path in kl_lua.h).  Folders give their *.lua files in name
 * order; a file reached twice through the path is loaded once.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kl_alloc.h"
#include "kl_lua.h"

#ifndef KL_SCRIPTDIR
#define KL_SCRIPTDIR "/usr/local/share/klaster/scripts"
#endif

typedef struct kl_lua_seen {
    char **paths; /* real paths of the files loaded so far */
    size_t n, cap;
} kl_lua_seen;

/* Was this file loaded already (same file reached twice through the path)?
 * Records it if not.  Returns 1 seen, 0 new, -1 out of memory. */
static int kl_lua_seen_before(kl_lua_seen *seen, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    for (size_t i = 0; i < seen->n; i++)
        if (strcmp(seen->paths[i], real) == 0)
            return 1;
    if (seen->n == seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 16;
        char **grown = kl_reallocarray(seen->paths, cap, sizeof *grown);
        if (!grown)
            return -1;
        seen->paths = grown;
        seen->cap = cap;
    }
    if (!(seen->paths[seen->n] = kl_strdup(real)))
        return -1;
    seen->n++;
    return 0;
}

static int kl_lua_load_file(kl_registry *reg, const char *path, const kl_lua_limits *lim,
                            kl_lua_seen *seen, kl_error *err)
{
    kl_step_def def;
    int rc = kl_lua_seen_before(seen, path);
    if (rc < 0)
        return kl_error_oom(err, "loading scripts");
    if (rc > 0)
        return KL_OK;
    if ((rc = kl_lua_open(path, lim, &def, err)) != KL_OK)
        return rc;
    return kl_registry_add_step(reg, &def, err);
}

static int kl_lua_is_script(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && name[0] != '.' && strcmp(name + len - 4, ".lua") == 0;
}

static int kl_lua_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.lua files of dir, sorted (NULL-terminated, kl_malloc'd). */
static int kl_lua_list_dir(const char *dir, char ***out, size_t *n, kl_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (!d)
        return KL_OK; /* a folder of the path that does not exist holds no script */
    while ((e = readdir(d)) != NULL) {
        if (!kl_lua_is_script(e->d_name))
            continue;
        if (*n == cap) {
            char **grown = kl_reallocarray(names, cap ? cap * 2 : 16, sizeof *names);
            if (!grown)
                break;
            names = grown;
            cap = cap ? cap * 2 : 16;
        }
        if (!(names[*n] = kl_malloc(strlen(dir) + strlen(e->d_name) + 2)))
            break;
        sprintf(names[*n], "%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (e) {
        for (size_t i = 0; i < *n; i++)
            kl_free(names[i]);
        kl_free(names);
        *n = 0;
        return kl_error_oom(err, "listing scripts");
    }
    if (*n)
        qsort(names, *n, sizeof *names, kl_lua_cmp_names);
    *out = names;
    return KL_OK;
}

/* One entry of the path: a folder (its *.lua files) or a .lua file. */
static int kl_lua_load_entry(kl_registry *reg, const char *entry, const kl_lua_limits *lim,
                             kl_lua_seen *seen, kl_error *err)
{
    struct stat st;
    char **names;
    size_t n;
    int rc;

    if (stat(entry, &st) == 0 && S_ISREG(st.st_mode))
        return kl_lua_load_file(reg, entry, lim, seen, err);
    if (kl_lua_is_script(entry) && stat(entry, &st) != 0)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open script: %s", entry,
                            strerror(errno));
    if ((rc = kl_lua_list_dir(entry, &names, &n, err)) != KL_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (rc == KL_OK)
            rc = kl_lua_load_file(reg, names[i], lim, seen, err);
        kl_free(names[i]);
    }
    kl_free(names);
    return rc;
}

static int kl_lua_load_list(kl_registry *reg, const char *list, const kl_lua_limits *lim,
                            kl_lua_seen *seen, kl_error *err)
{
    char *copy, *save = NULL;
    int rc = KL_OK;

    if (!list || !*list)
        return KL_OK;
    if (!(copy = kl_strdup(list)))
        return kl_error_oom(err, "reading the script path");
    for (char *e = strtok_r(copy, ":", &save); e && rc == KL_OK; e = strtok_r(NULL, ":", &save))
        rc = kl_lua_load_entry(reg, e, lim, seen, err);
    kl_free(copy);
    return rc;
}

/* <program's folder>/../scripts if it holds a .lua file (a build tree), as a
 * path relative to the working folder when it lies below it. */
static int kl_lua_source_tree_dir(char *buf, size_t cap)
{
    char exe[PATH_MAX], dir[PATH_MAX + 16], real[PATH_MAX], cwd[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash, **names;
    size_t count, len;
    kl_error ignored;

    if (n <= 0)
        return 0;
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return 0;
    *slash = '\0';
    snprintf(dir, sizeof dir, "%s/../scripts", exe);
    if (!realpath(dir, real) || kl_lua_list_dir(real, &names, &count, &ignored) != KL_OK)
        return 0;
    for (size_t i = 0; i < count; i++)
        kl_free(names[i]);
    kl_free(names);
    if (count == 0)
        return 0;
    len = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (len && strncmp(real, cwd, len) == 0 && real[len] == '/')
        return (size_t)snprintf(buf, cap, "%s", real + len + 1) < cap;
    return (size_t)snprintf(buf, cap, "%s", real) < cap;
}

int kl_lua_load_path(kl_registry *reg, const char *user_path, const kl_lua_limits *lim,
                     kl_error *err)
{
    char tree[PATH_MAX];
    kl_lua_seen seen = {0};
    int rc = kl_lua_load_list(reg, user_path, lim, &seen, err);

    if (rc == KL_OK)
        rc = kl_lua_load_list(reg, getenv("KLASTER_SCRIPT_PATH"), lim, &seen, err);
    if (rc == KL_OK)
        rc = kl_lua_load_entry(reg, kl_lua_source_tree_dir(tree, sizeof tree) ? tree
                                                                                : KL_SCRIPTDIR,
                               lim, &seen, err);
    for (size_t i = 0; i < seen.n; i++)
        kl_free(seen.paths[i]);
    kl_free(seen.paths);
    return rc;
}
