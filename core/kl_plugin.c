/*
 * kl_plugin.c -- the plugin loader and the step registry (see kl_plugin.h).
 */
#include "kl_plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kl_alloc.h"

#ifndef KL_PLUGINDIR
#define KL_PLUGINDIR "/usr/local/lib/klaster/plugins"
#endif

static int kl_plugin_name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int kl_plugin_columns_ok(const kl_plugin *d, const char *what, kl_error *err)
{
    size_t n = 0;
    for (const kl_column_def *c = d->columns; c->name; c++, n++) {
        if (c->type != KL_TYPE_INT && c->type != KL_TYPE_NUM && c->type != KL_TYPE_TEXT)
            return kl_error_set(err, KL_ERR_USAGE, "%s: output column '%s' has an unknown type %d",
                                what, c->name, c->type);
        for (const kl_column_def *o = d->columns; o != c; o++)
            if (strcmp(o->name, c->name) == 0)
                return kl_error_set(err, KL_ERR_USAGE, "%s: output column '%s' declared twice",
                                    what, c->name);
    }
    if (n == 0)
        return kl_error_set(err, KL_ERR_USAGE, "%s: declares no output columns", what);
    if (d->nkeys > n)
        return kl_error_set(err, KL_ERR_USAGE, "%s: nkeys %u exceeds its %zu columns", what,
                            (unsigned)d->nkeys, n);
    return KL_OK;
}

int kl_plugin_validate(const kl_plugin *d, const char *what, kl_error *err)
{
    if (!d)
        return kl_error_set(err, KL_ERR_USAGE, "%s: the entry function returned no descriptor", what);
    if (d->abi_major != KLASTER_ABI_MAJOR || d->abi_minor > KLASTER_ABI_MINOR)
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: built for plugin ABI %u.%u, but this klaster provides ABI %d.%d "
                            "(rebuild the plugin against this klaster's klaster.h)",
                            what, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                            KLASTER_ABI_MAJOR, KLASTER_ABI_MINOR);
    if (d->abi_check != KLASTER_ABI_CHECK || d->size < offsetof(kl_plugin, reserved))
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: built with an incompatible klaster.h (descriptor size %u, layout "
                            "check %#x; expected %zu, %#x)",
                            what, (unsigned)d->size, (unsigned)d->abi_check, sizeof(kl_plugin),
                            (unsigned)KLASTER_ABI_CHECK);
    if (!kl_plugin_name_ok(d->name))
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: plugin name '%s' is not valid (use a-z, 0-9 and _)", what,
                            d->name ? d->name : "(null)");
    if (!d->version || !d->description || !d->inputs || !d->columns || !d->compute)
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: descriptor lacks version, description, inputs, columns or compute",
                            what);
    for (const kl_input_def *in = d->inputs; in->table; in++)
        if (!in->columns)
            return kl_error_set(err, KL_ERR_USAGE, "%s: input '%s' lists no columns", what,
                                in->table);
    return kl_plugin_columns_ok(d, what, err);
}

void kl_step_def_clear(kl_step_def *def)
{
    if (!def)
        return;
    if (def->free_owner)
        def->free_owner(def->owner);
    if (def->handle)
        dlclose(def->handle);
    kl_free(def->path);
    memset(def, 0, sizeof *def);
}

int kl_plugin_open(const char *path, kl_step_def *def, kl_error *err)
{
    kl_plugin_entry_fn entry;
    void *sym;
    struct stat st;

    memset(def, 0, sizeof *def);
    if (stat(path, &st) != 0)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open plugin: %s", path, strerror(errno));
    dlerror();
    def->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!def->handle) {
        const char *why = dlerror();
        return kl_error_set(err, KL_ERR_USAGE, "%s: cannot load plugin: %s", path,
                            why ? why : "unknown reason");
    }
    def->kind = KL_STEP_PLUGIN;
    if (!(def->path = kl_strdup(path))) {
        kl_step_def_clear(def);
        return kl_error_oom(err, "loading a plugin");
    }
    sym = dlsym(def->handle, KLASTER_PLUGIN_SYMBOL);
    if (!sym) {
        kl_step_def_clear(def);
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: not a klaster plugin for ABI %d: it does not export '%s' (a plugin "
                            "for another ABI major exports another name)",
                            path, KLASTER_ABI_MAJOR, KLASTER_PLUGIN_SYMBOL);
    }
    /* POSIX guarantees function pointers survive a round trip through void *. */
    memcpy(&entry, &sym, sizeof entry);
    def->desc = entry();
    if (kl_plugin_validate(def->desc, path, err) != KL_OK) {
        kl_step_def_clear(def);
        return err->status;
    }
    return KL_OK;
}

const kl_step_def *kl_registry_find(const kl_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->steps[i].desc->name, name) == 0)
            return &reg->steps[i];
    return NULL;
}

int kl_registry_add_step(kl_registry *reg, kl_step_def *def, kl_error *err)
{
    const kl_step_def *twin = kl_registry_find(reg, def->desc->name);
    if (twin) {
        kl_error_set(err, KL_ERR_USAGE, "two steps are named '%s': %s and %s (remove or rename one)",
                     def->desc->name, twin->path, def->path);
        kl_step_def_clear(def);
        return KL_ERR_USAGE;
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        kl_step_def *grown = kl_reallocarray(reg->steps, cap, sizeof *grown);
        if (!grown) {
            kl_step_def_clear(def);
            return kl_error_oom(err, "registering a plugin");
        }
        reg->steps = grown;
        reg->cap = cap;
    }
    reg->steps[reg->n++] = *def;
    memset(def, 0, sizeof *def);
    return KL_OK;
}

static int kl_registry_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is this very file (same device and inode) in reg already?  The same
 * folder may be on the path twice, e.g. --plugin-path naming the default. */
static int kl_registry_has_file(const kl_registry *reg, const char *path)
{
    struct stat a, b;
    if (stat(path, &a) != 0)
        return 0;
    for (size_t i = 0; i < reg->n; i++)
        if (reg->steps[i].path && stat(reg->steps[i].path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return 1;
    return 0;
}

/* Loads every *.so of dir, in name order (so errors are reproducible). */
static int kl_registry_load_dir(kl_registry *reg, const char *dir, kl_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = KL_OK;

    if (!d)
        return KL_OK; /* a folder of the path that does not exist holds no plugin */
    while (rc == KL_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        if (n == cap) {
            char **grown = kl_reallocarray(names, cap ? cap * 2 : 16, sizeof *names);
            if (!grown) {
                rc = kl_error_oom(err, "listing plugins");
                break;
            }
            names = grown;
            cap = cap ? cap * 2 : 16;
        }
        if (!(names[n] = kl_malloc(strlen(dir) + len + 2)))
            rc = kl_error_oom(err, "listing plugins");
        else
            snprintf(names[n], strlen(dir) + len + 2, "%s/%s", dir, e->d_name), n++;
    }
    closedir(d);
    if (rc == KL_OK && n)
        qsort(names, n, sizeof *names, kl_registry_cmp_names);
    for (size_t i = 0; i < n; i++) {
        kl_step_def def;
        if (rc == KL_OK && !kl_registry_has_file(reg, names[i]) &&
            (rc = kl_plugin_open(names[i], &def, err)) == KL_OK)
            rc = kl_registry_add_step(reg, &def, err);
        kl_free(names[i]);
    }
    kl_free(names);
    return rc;
}

/* Loads each folder of a colon-separated list. */
static int kl_registry_load_list(kl_registry *reg, const char *list, kl_error *err)
{
    char *copy, *save = NULL;
    int rc = KL_OK;

    if (!list || !*list)
        return KL_OK;
    if (!(copy = kl_strdup(list)))
        return kl_error_oom(err, "reading the plugin path");
    for (char *dir = strtok_r(copy, ":", &save); dir && rc == KL_OK; dir = strtok_r(NULL, ":", &save))
        rc = kl_registry_load_dir(reg, dir, err);
    kl_free(copy);
    return rc;
}

/* `plugins/` beside the running program, if it exists (a build tree). */
static int kl_registry_beside_program(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat st;
    char *slash;

    if (n <= 0)
        return 0;
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return 0;
    *slash = '\0';
    if ((size_t)snprintf(buf, cap, "%s/plugins", exe) >= cap)
        return 0;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

int kl_registry_load(kl_registry *reg, const char *user_path, kl_error *err)
{
    char beside[PATH_MAX + 16];
    int rc = kl_registry_load_list(reg, user_path, err);

    if (rc == KL_OK)
        rc = kl_registry_load_list(reg, getenv("KLASTER_PLUGIN_PATH"), err);
    if (rc == KL_OK)
        rc = kl_registry_load_dir(reg, kl_registry_beside_program(beside, sizeof beside)
                                           ? beside : KL_PLUGINDIR, err);
    return rc;
}

void kl_registry_free(kl_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++)
        kl_step_def_clear(&reg->steps[i]);
    kl_free(reg->steps);
    memset(reg, 0, sizeof *reg);
}
