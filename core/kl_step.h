/*
 * kl_step.h -- running one step (a C plugin or a Lua script) against the
 * tables of a run.
 *
 * The workspace holds the run's tables by name: the datasets ("firms", ...)
 * and the outputs of steps already run (by step name), all sharing one
 * string pool.  kl_step_run() lends the step the kl_host function table of
 * klaster.h, collects what it emits into a new table with the step's
 * declared columns, and sorts it by the step's key columns.  A step may
 * read only the inputs and columns it declared; a step that fails leaves
 * nothing behind but its error message.
 */
#ifndef KL_STEP_H
#define KL_STEP_H

#include <pthread.h>
#include <stddef.h>

#include "klaster.h"
#include "kl_error.h"
#include "kl_plugin.h"
#include "kl_strpool.h"
#include "kl_table.h"

/*
 * Steps of a parallel run share one workspace: the lock guards the table
 * list and the string pool (read: lookups, comparisons, grouping; write:
 * adding a table, interning a new emitted string).  Table contents are
 * never changed once added, so columns are read without it -- except that
 * a dataset column is emptied once no step will read it any more
 * (kl_workspace_drop_columns).
 */
struct kl_ws_grouping;

typedef struct kl_workspace {
    kl_strpool *pool;     /* owned */
    kl_table **tables;    /* owned */
    size_t n, cap;
    pthread_rwlock_t lock;
    /* Groupings are shared by every step of the run: four indicators that
     * group firms by (year, region, cluster) build that grouping once.
     * group_lock guards the list; a grouping is built outside it, listed
     * meanwhile as being built, and a step wanting the same one waits on
     * group_built -- two different groupings are built at once. */
    struct kl_ws_grouping **groupings;
    size_t ngroupings, cap_groupings;
    pthread_mutex_t group_lock;
    pthread_cond_t group_built;
    /* How many steps still to finish read each dataset column (see
     * kl_workspace_hold_columns); guarded by group_lock. */
    struct kl_ws_hold *holds;
    size_t nholds, cap_holds;
} kl_workspace;

/* A new empty workspace with its own string pool. */
int kl_workspace_init(kl_workspace *ws, kl_error *err);
/* Adds t (ownership passes to ws, even on error); t->name must be unique. */
int kl_workspace_add(kl_workspace *ws, kl_table *t, kl_error *err);
/* The table called name, or NULL (takes the lock). */
kl_table *kl_workspace_get(kl_workspace *ws, const char *name);
/* Frees table `name` (if there) and the groupings built on it, to lower
 * peak memory once every step that reads it has finished: the caller
 * guarantees none is running or will run.  Text codes stay in the pool. */
void kl_workspace_release(kl_workspace *ws, const char *name);
/* Column by column release, to lower peak memory further: before anything
 * runs, each step that will read dataset `table` is counted as a reader of
 * the columns it declares of it (hold; only for datasets: a step's output
 * is written after the run).  When the step has finished, or will never
 * run, drop frees each held column it was the last reader of, with the
 * groupings built on it.  Hold returns KL_OK or an out-of-memory error. */
int kl_workspace_hold_columns(kl_workspace *ws, const kl_plugin *step, const char *table,
                              kl_error *err);
void kl_workspace_drop_columns(kl_workspace *ws, const kl_plugin *step);
/* Bytes per row that only `step` reads among the held columns (8 for a
 * number, 4 otherwise): what finishing it gives back, so a scheduler can
 * run it before steps that give back less. */
size_t kl_workspace_sole_bytes(const kl_workspace *ws, const kl_plugin *step);
void kl_workspace_free(kl_workspace *ws);

/* A parameter given to a step (name and value borrowed). */
typedef struct kl_param {
    const char *name;
    const char *value;
} kl_param;

typedef void (*kl_warn_fn)(void *userdata, const char *step, const char *message);

typedef struct kl_step_opts {
    const kl_param *params;
    size_t nparams;
    kl_warn_fn warn;      /* may be NULL: warnings dropped */
    void *warn_userdata;
} kl_step_opts;

/*
 * Runs def against ws.  On success *out is a new table named after the
 * step, with the step's declared columns, sorted by its key columns
 * (INT numerically, TEXT with "*" first, then by bytes); the caller owns it.
 * On failure err holds "STEP: message" and *out is NULL.
 */
int kl_step_run(const kl_step_def *def, kl_workspace *ws, const kl_step_opts *opts,
                kl_table **out, kl_error *err);

/* The canonical "*" code ordering: a < b in output order (TEXT keys). */
int kl_step_text_order(const kl_strpool *pool, uint32_t a, uint32_t b);

#endif /* KL_STEP_H */
