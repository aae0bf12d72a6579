/*
 * kl_plugin.h -- finding, loading and checking indicator plugins.
 *
 * A registry holds every plugin of the plugin path, each loaded with
 * dlopen(RTLD_NOW | RTLD_LOCAL) -- so an unresolved symbol is an error at
 * load time, naming the file, instead of a crash in the middle of a run --
 * and each descriptor checked against the host's ABI before any of the
 * plugin's code runs.  Two plugins with the same name are an error naming
 * both files.  Lua scripts join the same registry (kl_registry_add_step),
 * so `list`, `info` and `compute` treat both kinds alike.
 */
#ifndef KL_PLUGIN_H
#define KL_PLUGIN_H

#include <stddef.h>

#include "klaster.h"
#include "kl_error.h"

typedef enum kl_step_kind { KL_STEP_PLUGIN = 1, KL_STEP_SCRIPT = 2 } kl_step_kind;

typedef struct kl_step_def {
    kl_step_kind kind;
    char *path;            /* the .so or .lua it came from */
    void *handle;          /* dlopen handle (plugins), owned */
    const kl_plugin *desc; /* plugins: in the .so; scripts: owned by `owner` */
    void *owner;           /* scripts: the bridge's object for desc */
    void (*free_owner)(void *owner);
} kl_step_def;

typedef struct kl_registry {
    kl_step_def *steps;
    size_t n, cap;
} kl_registry;

/*
 * Loads and checks one plugin file into *def.  Errors (KL_ERR_USAGE unless
 * the file is missing: KL_ERR_NOINPUT) name the file: cannot be loaded
 * (dlerror's reason, e.g. an undefined symbol), no entry symbol, ABI
 * mismatch (both versions named), malformed descriptor.
 */
int kl_plugin_open(const char *path, kl_step_def *def, kl_error *err);

/* Checks a descriptor (from a plugin or a script bridge); `what` names it. */
int kl_plugin_validate(const kl_plugin *desc, const char *what, kl_error *err);

/*
 * Fills reg from the plugin path: the folders in `user_path` (colon
 * separated, may be NULL), then $KLASTER_PLUGIN_PATH, then the default
 * folder (`plugins/` beside the program when it exists -- a build tree --
 * else the installed plugin folder).  Every *.so found is loaded.
 */
int kl_registry_load(kl_registry *reg, const char *user_path, kl_error *err);

/* Adds a step; takes ownership of def's resources (even on error). */
int kl_registry_add_step(kl_registry *reg, kl_step_def *def, kl_error *err);

/* The step called name, or NULL. */
const kl_step_def *kl_registry_find(const kl_registry *reg, const char *name);

void kl_registry_free(kl_registry *reg);

/* Releases one definition's resources (for defs not added to a registry). */
void kl_step_def_clear(kl_step_def *def);

#endif /* KL_PLUGIN_H */
