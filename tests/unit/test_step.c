/*
 * test_step.c -- the workspace's column by column release
 * (kl_workspace_hold_columns / _drop_columns): a dataset column is emptied
 * when its last declared reader has finished, not before, together with
 * the cached groupings on it; columns and groupings others still read stay.
 * And the grouping cache under concurrent steps: a grouping asked for by
 * several steps at once is built once, two different ones are built at
 * once, and a grouping that cannot be built fails every step asking for it
 * without leaving a trace or a waiter behind.  (`make tsan` runs the
 * threaded ones under ThreadSanitizer.)
 */
#include "kt.h"

#include <pthread.h>

#include "kl_alloc.h"
#include "kl_dataset.h"
#include "kl_step.h"

#define TS_DATA "tests/fixtures/lua/data"

static const char *const ts_year_region[] = {"year", "region"};
static const char *const ts_year_cluster[] = {"year", "cluster"};

/* Groups firms by (year, region) and emits nothing. */
static int ts_group_region(kl_ctx *ctx, const kl_host *host)
{
    const kl_groups *g;
    return host->group(ctx, "firms", ts_year_region, 2, NULL, &g);
}

/* Groups firms by (year, cluster), requiring rd_spend. */
static int ts_group_cluster(kl_ctx *ctx, const kl_host *host)
{
    static const char *const require[] = {"rd_spend", NULL};
    const kl_groups *g;
    return host->group(ctx, "firms", ts_year_cluster, 2, require, &g);
}

/* Groups firms by a number column: refused by the host. */
static int ts_group_number(kl_ctx *ctx, const kl_host *host)
{
    static const char *const keys[] = {"year", "rd_spend"};
    const kl_groups *g;
    return host->group(ctx, "firms", keys, 2, NULL, &g);
}

static const kl_input_def ts_in_a[] = {{"firms", "year, region,employees", 0}, {NULL, NULL, 0}};
static const kl_input_def ts_in_b[] = {{"firms", "year,cluster, rd_spend ,employees", 0},
                                       {NULL, NULL, 0}};
static const kl_column_def ts_out[] = {{"year", KL_TYPE_INT, "", "year"}, {NULL, 0, NULL, NULL}};

static const kl_plugin ts_a = {KLASTER_PLUGIN_HEADER, "ts_a", "1", "", "", ts_in_a, ts_out, 1,
                               NULL, ts_group_region, {0}};
static const kl_plugin ts_b = {KLASTER_PLUGIN_HEADER, "ts_b", "1", "", "", ts_in_b, ts_out, 1,
                               NULL, ts_group_cluster, {0}};

static const kl_plugin ts_bad = {KLASTER_PLUGIN_HEADER, "ts_bad", "1", "", "", ts_in_b, ts_out, 1,
                                 NULL, ts_group_number, {0}};

static void ts_run(kl_workspace *ws, const kl_plugin *desc)
{
    kl_step_def def = {.kind = KL_STEP_PLUGIN, .desc = desc};
    kl_table *out = NULL;
    kl_error err;
    kl_error_clear(&err);
    if (kl_step_run(&def, ws, NULL, &out, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    kl_table_free(out);
}

static int ts_loaded(kl_workspace *ws, const char *column)
{
    const kl_col *c = kl_table_col(kl_workspace_get(ws, "firms"), column);
    KT_CHECK(c != NULL);
    return c->data != NULL && c->n == kl_workspace_get(ws, "firms")->nrows;
}

/* A workspace with the fixture's firms (the columns the test steps read). */
static void ts_workspace(kl_workspace *ws)
{
    static const char *const want[] = {"year", "region", "cluster", "employees", "rd_spend", NULL};
    kl_table *t = NULL;
    kl_load_opts lo;
    char *path = NULL;
    kl_error err;

    kl_error_clear(&err);
    memset(&lo, 0, sizeof lo);
    lo.want = want;
    KT_EQ_INT(kl_workspace_init(ws, &err), KL_OK);
    KT_EQ_INT(kl_dataset_find(TS_DATA, "firms", &path, &err), KL_OK);
    KT_EQ_INT(kl_dataset_load(&t, kl_schema_find("firms"), path, ws->pool, &lo, NULL, &err), KL_OK);
    kl_free(path);
    KT_EQ_INT(kl_workspace_add(ws, t, &err), KL_OK);
}

KT_TEST(workspace_column_freed_after_its_last_reader)
{
    kl_workspace ws;
    kl_error err;

    kl_error_clear(&err);
    ts_workspace(&ws);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_a, "firms", &err), KL_OK);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_b, "firms", &err), KL_OK);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_b, "exports", &err), KL_OK); /* not read: no-op */

    /* what finishing each gives back: a region (4), b cluster + rd_spend (4 + 8) */
    KT_EQ_INT(kl_workspace_sole_bytes(&ws, &ts_a), 4);
    KT_EQ_INT(kl_workspace_sole_bytes(&ws, &ts_b), 12);

    ts_run(&ws, &ts_a);
    ts_run(&ws, &ts_b);
    KT_EQ_INT(ws.ngroupings, 2);

    kl_workspace_drop_columns(&ws, &ts_a);
    KT_CHECK(!ts_loaded(&ws, "region"));  /* only a read it */
    KT_CHECK(ts_loaded(&ws, "year"));     /* b still will */
    KT_CHECK(ts_loaded(&ws, "employees"));
    KT_CHECK(ts_loaded(&ws, "cluster"));
    KT_EQ_INT(ws.ngroupings, 1); /* (year, region) went with region; (year, cluster) stays */

    kl_workspace_drop_columns(&ws, &ts_b);
    KT_CHECK(!ts_loaded(&ws, "year"));
    KT_CHECK(!ts_loaded(&ws, "cluster"));
    KT_CHECK(!ts_loaded(&ws, "rd_spend"));
    KT_EQ_INT(ws.ngroupings, 0);
    /* a second drop (a step counted once) changes nothing and frees nothing twice */
    kl_workspace_drop_columns(&ws, &ts_b);
    KT_EQ_INT(kl_workspace_get(&ws, "firms")->nrows, 13);
    kl_workspace_release(&ws, "firms");
    kl_workspace_free(&ws);
}

typedef struct ts_thread {
    kl_workspace *ws;
    const kl_plugin *desc;
    pthread_barrier_t *start;
    int rc;
    kl_error err;
} ts_thread;

static void *ts_thread_main(void *arg)
{
    ts_thread *th = arg;
    kl_step_def def = {.kind = KL_STEP_PLUGIN, .desc = th->desc};
    kl_table *out = NULL;
    kl_error_clear(&th->err);
    pthread_barrier_wait(th->start);
    th->rc = kl_step_run(&def, th->ws, NULL, &out, &th->err);
    kl_table_free(out);
    return NULL;
}

KT_TEST(workspace_groupings_shared_by_concurrent_steps)
{
    /* a, b, a, b, bad, bad started together, many times over */
    const kl_plugin *const descs[] = {&ts_a, &ts_b, &ts_a, &ts_b, &ts_bad, &ts_bad};
    enum { N = sizeof descs / sizeof descs[0] };

    for (int round = 0; round < 20; round++) {
        kl_workspace ws;
        pthread_barrier_t start;
        pthread_t tid[N];
        ts_thread th[N];

        ts_workspace(&ws);
        pthread_barrier_init(&start, NULL, N);
        for (size_t i = 0; i < N; i++) {
            th[i] = (ts_thread){.ws = &ws, .desc = descs[i], .start = &start};
            KT_EQ_INT(pthread_create(&tid[i], NULL, ts_thread_main, &th[i]), 0);
        }
        for (size_t i = 0; i < N; i++)
            pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&start);
        for (size_t i = 0; i < 4; i++)
            KT_EQ_INT(th[i].rc, KL_OK);
        for (size_t i = 4; i < N; i++) {
            KT_EQ_INT(th[i].rc, KL_ERR_USAGE);
            KT_CONTAINS(th[i].err.msg, "number column");
        }
        KT_EQ_INT(ws.ngroupings, 2); /* (year, region) and (year, cluster | rd_spend), once each */
        kl_workspace_free(&ws);
    }
}
