/*
 * test_step.c -- the workspace's column by column release
 * (kl_workspace_hold_columns / _drop_columns): a dataset column is emptied
 * when its last declared reader has finished, not before, together with
 * the cached groupings on it; columns and groupings others still read stay.
 */
#include "kt.h"

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

static const kl_input_def ts_in_a[] = {{"firms", "year, region,employees", 0}, {NULL, NULL, 0}};
static const kl_input_def ts_in_b[] = {{"firms", "year,cluster, rd_spend ,employees", 0},
                                       {NULL, NULL, 0}};
static const kl_column_def ts_out[] = {{"year", KL_TYPE_INT, "", "year"}, {NULL, 0, NULL, NULL}};

static const kl_plugin ts_a = {KLASTER_PLUGIN_HEADER, "ts_a", "1", "", "", ts_in_a, ts_out, 1,
                               NULL, ts_group_region, {0}};
static const kl_plugin ts_b = {KLASTER_PLUGIN_HEADER, "ts_b", "1", "", "", ts_in_b, ts_out, 1,
                               NULL, ts_group_cluster, {0}};

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

KT_TEST(workspace_column_freed_after_its_last_reader)
{
    static const char *const want[] = {"year", "region", "cluster", "employees", "rd_spend", NULL};
    kl_workspace ws;
    kl_table *t = NULL;
    kl_load_opts lo;
    char *path = NULL;
    kl_error err;

    kl_error_clear(&err);
    memset(&lo, 0, sizeof lo);
    lo.want = want;
    KT_EQ_INT(kl_workspace_init(&ws, &err), KL_OK);
    KT_EQ_INT(kl_dataset_find(TS_DATA, "firms", &path, &err), KL_OK);
    KT_EQ_INT(kl_dataset_load(&t, kl_schema_find("firms"), path, ws.pool, &lo, NULL, &err), KL_OK);
    kl_free(path);
    KT_EQ_INT(kl_workspace_add(&ws, t, &err), KL_OK);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_a, "firms", &err), KL_OK);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_b, "firms", &err), KL_OK);
    KT_EQ_INT(kl_workspace_hold_columns(&ws, &ts_b, "exports", &err), KL_OK); /* not read: no-op */

    /* what finishing each gives back: a region (4), b cluster + rd_spend (4 + 8) */
    KT_EQ_INT(kl_workspace_sole_bytes(&ws, &ts_a, "firms"), 4);
    KT_EQ_INT(kl_workspace_sole_bytes(&ws, &ts_b, "firms"), 12);

    ts_run(&ws, &ts_a);
    ts_run(&ws, &ts_b);
    KT_EQ_INT(ws.ngroupings, 2);

    kl_workspace_drop_columns(&ws, &ts_a, "firms");
    KT_CHECK(!ts_loaded(&ws, "region"));  /* only a read it */
    KT_CHECK(ts_loaded(&ws, "year"));     /* b still will */
    KT_CHECK(ts_loaded(&ws, "employees"));
    KT_CHECK(ts_loaded(&ws, "cluster"));
    KT_EQ_INT(ws.ngroupings, 1); /* (year, region) went with region; (year, cluster) stays */

    kl_workspace_drop_columns(&ws, &ts_b, "firms");
    KT_CHECK(!ts_loaded(&ws, "year"));
    KT_CHECK(!ts_loaded(&ws, "cluster"));
    KT_CHECK(!ts_loaded(&ws, "rd_spend"));
    KT_EQ_INT(ws.ngroupings, 0);
    /* a second drop (a step counted once) changes nothing and frees nothing twice */
    kl_workspace_drop_columns(&ws, &ts_b, "firms");
    KT_EQ_INT(kl_workspace_get(&ws, "firms")->nrows, 13);
    kl_workspace_release(&ws, "firms");
    kl_workspace_free(&ws);
}
