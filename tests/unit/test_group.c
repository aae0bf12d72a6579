/*
 * test_group.c -- unit tests of groupings and per-group aggregates
 * (core/kl_group.c): key order by string bytes, excluded rows, the
 * `require` filter, find/prev, every aggregate, int64 columns, empty tables,
 * and a large random table checked against a brute-force grouping.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kt.h"
#include "kl_group.h"

/* A small `firms`-like table, built row by row. */
typedef struct fx {
    kl_strpool *pool;
    kl_table *t;
    kl_col *year, *region, *cluster, *emp, *rev;
} fx;

static void fx_init(fx *f)
{
    kl_error err;
    kl_error_clear(&err);
    f->pool = kl_strpool_new();
    f->t = kl_table_new("firms", f->pool);
    KT_CHECK(f->pool && f->t);
    f->year = kl_table_add_col(f->t, "year", KL_TYPE_INT, &err);
    f->region = kl_table_add_col(f->t, "region", KL_TYPE_TEXT, &err);
    f->cluster = kl_table_add_col(f->t, "cluster", KL_TYPE_TEXT, &err);
    f->emp = kl_table_add_col(f->t, "employees", KL_TYPE_INT, &err);
    f->rev = kl_table_add_col(f->t, "revenue", KL_TYPE_NUM, &err);
    KT_CHECK(f->year && f->region && f->cluster && f->emp && f->rev);
}

static void fx_free(fx *f)
{
    kl_table_free(f->t);
    kl_strpool_free(f->pool);
}

static uint32_t fx_code(fx *f, const char *s)
{
    uint32_t c = kl_strpool_intern(f->pool, s, strlen(s), NULL);
    KT_CHECK(c != UINT32_MAX);
    return c;
}

/* year < 0 = missing; region/cluster NULL = missing (bitmap), "" = code 0;
 * emp < 0 = missing; rev NaN = missing. */
static void fx_row(fx *f, int64_t year, const char *region, const char *cluster, int64_t emp,
                   double rev)
{
    kl_error err;
    kl_error_clear(&err);
    KT_EQ_INT(kl_table_reserve(f->t, 1, &err), KL_OK);
    if (year < 0)
        KT_EQ_INT(kl_col_push_missing(f->year, &err), KL_OK);
    else
        KT_EQ_INT(kl_col_push_int(f->year, year, &err), KL_OK);
    if (!region)
        KT_EQ_INT(kl_col_push_missing(f->region, &err), KL_OK);
    else
        kl_col_push_code(f->region, fx_code(f, region));
    if (!cluster)
        KT_EQ_INT(kl_col_push_missing(f->cluster, &err), KL_OK);
    else
        kl_col_push_code(f->cluster, fx_code(f, cluster));
    if (emp < 0)
        KT_EQ_INT(kl_col_push_missing(f->emp, &err), KL_OK);
    else
        KT_EQ_INT(kl_col_push_int(f->emp, emp, &err), KL_OK);
    if (isnan(rev))
        KT_EQ_INT(kl_col_push_missing(f->rev, &err), KL_OK);
    else
        kl_col_push_num(f->rev, rev);
    f->t->nrows++;
}

static kl_grouping *build(const kl_table *t, const char *const *keys, size_t nkeys,
                          const char *const *require)
{
    kl_grouping *g = NULL;
    kl_error err;
    kl_error_clear(&err);
    if (kl_grouping_build(&g, t, keys, nkeys, require, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "build failed: %s", err.msg);
    KT_CHECK(g != NULL);
    return g;
}

static void check_key_text(const kl_grouping *g, const kl_strpool *pool, size_t group, size_t k,
                           const char *want)
{
    KT_EQ_STR(kl_strpool_get(pool, (uint32_t)kl_grouping_key(g, group, k)), want);
}

/* Codes are handed out in an order unlike the strings' byte order; groups
 * follow the bytes. */
KT_TEST(group_multikey_order_by_bytes)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2021, "UZ-SA", "silk", 10, 1.0);    /* row 0 */
    fx_row(&f, 2020, "UZ-SA", "cotton", 20, 2.0);  /* row 1 */
    fx_row(&f, 2021, "UZ-AN", "fruit", 30, 3.0);   /* row 2 */
    fx_row(&f, 2021, "UZ-SA", "cotton", 40, 4.0);  /* row 3 */
    fx_row(&f, 2020, "UZ-AN", "fruit", 50, 5.0);   /* row 4 */
    fx_row(&f, 2021, "UZ-SA", "silk", 60, 6.0);    /* row 5 */
    fx_row(&f, 2021, "UZ-AN", "Zeta", 70, 7.0);    /* row 6: 'Z' < 'f' */
    fx_row(&f, 2021, "UZ-SA", "cotton", 80, 8.0);  /* row 7 */
    fx_row(&f, 2019, "UZ-BU", "silk", 90, 9.0);    /* row 8 */

    const char *keys[] = {"year", "region", "cluster"};
    kl_grouping *g = build(f.t, keys, 3, NULL);
    KT_EQ_INT(g->nkeys, 3);
    KT_EQ_INT(g->ngroups, 7);
    static const struct {
        int64_t year;
        const char *region, *cluster;
        uint32_t rows[3];
        size_t nrows;
    } want[] = {
        {2019, "UZ-BU", "silk", {8}, 1},
        {2020, "UZ-AN", "fruit", {4}, 1},
        {2020, "UZ-SA", "cotton", {1}, 1},
        {2021, "UZ-AN", "Zeta", {6}, 1},
        {2021, "UZ-AN", "fruit", {2}, 1},
        {2021, "UZ-SA", "cotton", {3, 7}, 2},
        {2021, "UZ-SA", "silk", {0, 5}, 2},
    };
    for (size_t i = 0; i < 7; i++) {
        KT_EQ_INT(kl_grouping_key(g, i, 0), want[i].year);
        check_key_text(g, f.pool, i, 1, want[i].region);
        check_key_text(g, f.pool, i, 2, want[i].cluster);
        KT_EQ_INT(kl_grouping_size(g, i), want[i].nrows);
        for (size_t j = 0; j < want[i].nrows; j++) {
            KT_EQ_INT(g->rows[g->offsets[i] + j], want[i].rows[j]);
            KT_EQ_INT(g->row_group[want[i].rows[j]], i);
        }
    }
    KT_EQ_INT(g->offsets[7], 9);
    kl_grouping_free(g);

    /* Two keys, region first: TEXT then INT. */
    const char *keys2[] = {"region", "year"};
    g = build(f.t, keys2, 2, NULL);
    KT_EQ_INT(g->ngroups, 5);
    check_key_text(g, f.pool, 0, 0, "UZ-AN");
    KT_EQ_INT(kl_grouping_key(g, 0, 1), 2020);
    check_key_text(g, f.pool, 1, 0, "UZ-AN");
    KT_EQ_INT(kl_grouping_key(g, 1, 1), 2021);
    KT_EQ_INT(kl_grouping_size(g, 1), 2);
    check_key_text(g, f.pool, 2, 0, "UZ-BU");
    check_key_text(g, f.pool, 4, 0, "UZ-SA");
    KT_EQ_INT(kl_grouping_key(g, 4, 1), 2021);
    KT_EQ_INT(kl_grouping_size(g, 4), 4);
    kl_grouping_free(g);
    kl_grouping_free(NULL);
    fx_free(&f);
}

/* A missing key cell (bitmap or empty text) leaves the row out of every group. */
KT_TEST(group_missing_keys_excluded)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2020, "A", "c1", 1, 1.0);   /* 0 */
    fx_row(&f, -1, "A", "c1", 1, 1.0);     /* 1: year missing */
    fx_row(&f, 2020, NULL, "c1", 1, 1.0);  /* 2: region missing (bitmap) */
    fx_row(&f, 2020, "", "c1", 1, 1.0);    /* 3: region empty (code 0) */
    fx_row(&f, 2020, "A", "", 1, 1.0);     /* 4: cluster empty */
    fx_row(&f, 2020, "A", "c1", 1, 1.0);   /* 5 */
    fx_row(&f, 2020, "A", NULL, 1, 1.0);   /* 6: cluster missing */

    const char *keys[] = {"year", "region", "cluster"};
    kl_grouping *g = build(f.t, keys, 3, NULL);
    KT_EQ_INT(g->ngroups, 1);
    KT_EQ_INT(kl_grouping_size(g, 0), 2);
    KT_EQ_INT(g->rows[0], 0);
    KT_EQ_INT(g->rows[1], 5);
    for (size_t r = 1; r <= 6; r++)
        if (r != 5)
            KT_EQ_INT(g->row_group[r], KL_GROUP_NONE);
    kl_grouping_free(g);

    /* (year, region): the empty/missing cluster no longer matters. */
    g = build(f.t, keys, 2, NULL);
    KT_EQ_INT(g->ngroups, 1);
    KT_EQ_INT(kl_grouping_size(g, 0), 4); /* rows 0, 4, 5, 6 */
    KT_EQ_INT(g->rows[1], 4);
    KT_EQ_INT(g->rows[3], 6);
    kl_grouping_free(g);
    fx_free(&f);
}

/* The region level of the spec: (year, region) over rows with a cluster. */
KT_TEST(group_require_filter)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2020, "A", "c1", 5, 1.0);      /* 0 */
    fx_row(&f, 2020, "A", "", 7, 2.0);        /* 1: no cluster */
    fx_row(&f, 2020, "A", NULL, 9, 3.0);      /* 2: no cluster */
    fx_row(&f, 2020, "B", "c2", -1, 4.0);     /* 3: employees missing */
    fx_row(&f, 2021, "A", "c1", 11, NAN);     /* 4: revenue missing */
    fx_row(&f, 2021, "B", "", 13, 6.0);       /* 5: no cluster: B/2021 has no row */

    const char *keys[] = {"year", "region"};
    const char *req[] = {"cluster", NULL};
    kl_grouping *g = build(f.t, keys, 2, req);
    KT_EQ_INT(g->ngroups, 3);
    KT_EQ_INT(kl_grouping_size(g, 0), 1); /* 2020 A: row 0 only */
    KT_EQ_INT(g->rows[0], 0);
    KT_EQ_INT(g->row_group[1], KL_GROUP_NONE);
    KT_EQ_INT(g->row_group[2], KL_GROUP_NONE);
    KT_EQ_INT(g->row_group[5], KL_GROUP_NONE);
    kl_grouping_free(g);

    /* Requiring INT and NUM columns. */
    const char *req2[] = {"cluster", "employees", "revenue", NULL};
    g = build(f.t, keys, 2, req2);
    KT_EQ_INT(g->ngroups, 1);
    KT_EQ_INT(kl_grouping_key(g, 0, 0), 2020);
    KT_EQ_INT(g->offsets[1], 1);
    kl_grouping_free(g);

    /* An empty require list is no filter. */
    const char *none[] = {NULL};
    g = build(f.t, keys, 2, none);
    KT_EQ_INT(g->ngroups, 4);
    KT_EQ_INT(g->offsets[4], 6);
    kl_grouping_free(g);
    fx_free(&f);
}

KT_TEST(group_find_and_prev)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2018, "A", "c", 1, 1.0);
    fx_row(&f, 2019, "A", "c", 1, 1.0);
    fx_row(&f, 2021, "A", "c", 1, 1.0); /* gap: no 2020 */
    fx_row(&f, 2021, "B", "c", 1, 1.0);
    fx_row(&f, 2022, "B", "c", 1, 1.0);
    const char *keys[] = {"year", "region", "cluster"};
    kl_grouping *g = build(f.t, keys, 3, NULL);
    KT_EQ_INT(g->ngroups, 5);
    int64_t a = fx_code(&f, "A"), b = fx_code(&f, "B"), c = fx_code(&f, "c");

    for (size_t i = 0; i < g->ngroups; i++)
        KT_EQ_INT(kl_grouping_find(g, g->key_values + i * 3), i);
    int64_t k1[] = {2019, a, c};
    KT_EQ_INT(kl_grouping_find(g, k1), 1);
    int64_t k2[] = {2020, a, c};
    KT_EQ_INT(kl_grouping_find(g, k2), KL_GROUP_NONE);
    int64_t k3[] = {2019, b, c};
    KT_EQ_INT(kl_grouping_find(g, k3), KL_GROUP_NONE);
    int64_t k4[] = {2021, b, 0};
    KT_EQ_INT(kl_grouping_find(g, k4), KL_GROUP_NONE);

    KT_EQ_INT(kl_grouping_prev(g, 1, 0), 0);             /* 2019 A -> 2018 A */
    KT_EQ_INT(kl_grouping_prev(g, 0, 0), KL_GROUP_NONE); /* first year */
    KT_EQ_INT(kl_grouping_prev(g, 2, 0), KL_GROUP_NONE); /* 2021 A: gap */
    KT_EQ_INT(kl_grouping_prev(g, 3, 0), KL_GROUP_NONE); /* 2021 B: B new */
    KT_EQ_INT(kl_grouping_prev(g, 4, 0), 3);             /* 2022 B -> 2021 B */
    KT_EQ_INT(kl_grouping_prev(g, 4, 1), KL_GROUP_NONE); /* a TEXT key */
    KT_EQ_INT(kl_grouping_prev(g, 4, 3), KL_GROUP_NONE); /* no such key */
    KT_EQ_INT(kl_grouping_prev(g, 99, 0), KL_GROUP_NONE);
    kl_grouping_free(g);
    fx_free(&f);
}

KT_TEST(group_aggregates)
{
    fx f;
    fx_init(&f);
    /* group A (2020): employees 10, -, 30; revenue 1.5, 2.5, - */
    fx_row(&f, 2020, "A", "c", 10, 1.5);
    fx_row(&f, 2020, "A", "", -1, 2.5);
    fx_row(&f, 2020, "B", "c", -1, NAN); /* group B: nothing present */
    fx_row(&f, 2020, "A", "c", 30, NAN);
    fx_row(&f, 2020, "C", "c", -5 + 5, -4.0); /* group C: employees 0 */
    fx_row(&f, 2020, "C", "c", 7, 3.0);
    fx_row(&f, -1, "A", "c", 1000, 1000.0); /* in no group */

    const char *keys[] = {"year", "region"};
    kl_grouping *g = build(f.t, keys, 2, NULL);
    KT_EQ_INT(g->ngroups, 3);
    double out[3];
    kl_error err;
    kl_error_clear(&err);

#define AGG(agg, col, also)                                                    \
    KT_EQ_INT(kl_grouping_aggregate(g, agg, col, also, out, &err), KL_OK)

    AGG(KL_AGG_SUM, f.emp, NULL);
    KT_EQ_NUM(out[0], 40.0);
    KT_EQ_NUM(out[1], 0.0);
    KT_EQ_NUM(out[2], 7.0);
    AGG(KL_AGG_COUNT, f.emp, NULL);
    KT_EQ_NUM(out[0], 3.0);
    KT_EQ_NUM(out[1], 1.0);
    KT_EQ_NUM(out[2], 2.0);
    AGG(KL_AGG_COUNT, f.region, f.rev); /* any type; `also` ignored */
    KT_EQ_NUM(out[0], 3.0);
    AGG(KL_AGG_PRESENT, f.emp, NULL);
    KT_EQ_NUM(out[0], 2.0);
    KT_EQ_NUM(out[1], 0.0);
    KT_EQ_NUM(out[2], 2.0);
    AGG(KL_AGG_MEAN, f.emp, NULL);
    KT_EQ_NUM(out[0], 20.0);
    KT_CHECK(isnan(out[1]));
    KT_EQ_NUM(out[2], 3.5);
    AGG(KL_AGG_MIN, f.emp, NULL);
    KT_EQ_NUM(out[0], 10.0);
    KT_CHECK(isnan(out[1]));
    KT_EQ_NUM(out[2], 0.0);
    AGG(KL_AGG_MAX, f.emp, NULL);
    KT_EQ_NUM(out[0], 30.0);
    KT_CHECK(isnan(out[1]));
    KT_EQ_NUM(out[2], 7.0);

    AGG(KL_AGG_SUM, f.rev, NULL);
    KT_EQ_NUM(out[0], 4.0);
    KT_EQ_NUM(out[1], 0.0);
    KT_EQ_NUM(out[2], -1.0);
    AGG(KL_AGG_MIN, f.rev, NULL);
    KT_EQ_NUM(out[2], -4.0);
    AGG(KL_AGG_MAX, f.rev, NULL);
    KT_EQ_NUM(out[2], 3.0);
    AGG(KL_AGG_MEAN, f.rev, NULL);
    KT_EQ_NUM(out[0], 2.0);

    /* `also`: only rows where both are present (A: row 0 only). */
    AGG(KL_AGG_SUM, f.rev, f.emp);
    KT_EQ_NUM(out[0], 1.5);
    KT_EQ_NUM(out[1], 0.0);
    KT_EQ_NUM(out[2], -1.0);
    AGG(KL_AGG_SUM, f.emp, f.rev);
    KT_EQ_NUM(out[0], 10.0);
    KT_EQ_NUM(out[2], 7.0);
    AGG(KL_AGG_PRESENT, f.emp, f.rev);
    KT_EQ_NUM(out[0], 1.0);
    AGG(KL_AGG_MEAN, f.rev, f.emp);
    KT_EQ_NUM(out[0], 1.5);
    KT_CHECK(isnan(out[1]));
    AGG(KL_AGG_MAX, f.rev, f.emp);
    KT_EQ_NUM(out[0], 1.5);
    KT_CHECK(isnan(out[1]));
    /* A TEXT `also`: present means a non-empty string (A: rows 0, 3). */
    AGG(KL_AGG_SUM, f.rev, f.cluster);
    KT_EQ_NUM(out[0], 1.5);
    AGG(KL_AGG_SUM, f.emp, f.cluster);
    KT_EQ_NUM(out[0], 40.0);
    AGG(KL_AGG_PRESENT, f.emp, f.cluster);
    KT_EQ_NUM(out[0], 2.0);
#undef AGG

    /* Only number columns aggregate (COUNT aside). */
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_SUM, f.region, NULL, out, &err), KL_ERR_USAGE);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_MIN, NULL, NULL, out, &err), KL_ERR_USAGE);
    KT_EQ_INT(kl_grouping_aggregate(g, (kl_agg)42, f.emp, NULL, out, &err), KL_ERR_USAGE);
    kl_grouping_free(g);
    fx_free(&f);
}

/* Compensated sums: 1e16 + 1 - 1e16 is 1, not 0. */
KT_TEST(group_sum_compensated)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2020, "A", "c", 1, 1e16);
    fx_row(&f, 2020, "A", "c", 1, 1.0);
    fx_row(&f, 2020, "A", "c", 1, -1e16);
    for (int i = 0; i < 10; i++)
        fx_row(&f, 2021, "A", "c", 1, 0.1);
    const char *keys[] = {"year"};
    kl_grouping *g = build(f.t, keys, 1, NULL);
    double out[2];
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_SUM, f.rev, NULL, out, NULL), KL_OK);
    KT_CHECK(out[0] == 1.0);
    KT_CHECK(out[1] == 1.0);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_MEAN, f.rev, NULL, out, NULL), KL_OK);
    KT_CHECK(out[1] == 0.1);
    kl_grouping_free(g);
    fx_free(&f);
}

/* INT columns widened to 64 bits, as keys (ordered numerically, negatives
 * first) and as aggregated columns. */
KT_TEST(group_int64_columns)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_error err;
    kl_error_clear(&err);
    kl_col *k = kl_table_add_col(t, "k", KL_TYPE_INT, &err);
    kl_col *v = kl_table_add_col(t, "v", KL_TYPE_INT, &err);
    const int64_t ks[] = {5, -3, INT64_C(6000000000), -3, 5, INT64_MIN, 5};
    const int64_t vs[] = {1, 2, INT64_C(4000000000), 4, INT64_C(-4000000000), 6, 7};
    KT_EQ_INT(kl_table_reserve(t, 7, &err), KL_OK);
    for (size_t r = 0; r < 7; r++) {
        KT_EQ_INT(kl_col_push_int(k, ks[r], &err), KL_OK);
        KT_EQ_INT(kl_col_push_int(v, vs[r], &err), KL_OK);
    }
    t->nrows = 7;
    KT_EQ_INT(k->int_width, 8);
    KT_EQ_INT(v->int_width, 8);
    const char *keys[] = {"k"};
    kl_grouping *g = build(t, keys, 1, NULL);
    KT_EQ_INT(g->ngroups, 4);
    KT_CHECK(kl_grouping_key(g, 0, 0) == INT64_MIN);
    KT_EQ_INT(kl_grouping_key(g, 1, 0), -3);
    KT_EQ_INT(kl_grouping_key(g, 2, 0), 5);
    KT_EQ_INT(kl_grouping_key(g, 3, 0), INT64_C(6000000000));
    KT_EQ_INT(kl_grouping_prev(g, 0, 0), KL_GROUP_NONE); /* no wrap-around */
    double out[4];
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_SUM, v, NULL, out, &err), KL_OK);
    KT_EQ_NUM(out[0], 6.0);
    KT_EQ_NUM(out[1], 6.0);
    KT_EQ_NUM(out[2], 1.0 + 7.0 - 4000000000.0);
    KT_EQ_NUM(out[3], 4000000000.0);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_MIN, v, NULL, out, &err), KL_OK);
    KT_EQ_NUM(out[2], -4000000000.0);
    /* Grouping with the wide key and a narrow one. */
    kl_col *y = kl_table_add_col(t, "y", KL_TYPE_INT, &err);
    KT_EQ_INT(kl_col_reserve(y, 7, &err), KL_OK);
    for (size_t r = 0; r < 7; r++)
        KT_EQ_INT(kl_col_push_int(y, 2000 + (int64_t)(r % 2), &err), KL_OK);
    kl_grouping_free(g);
    const char *keys2[] = {"k", "y"};
    g = build(t, keys2, 2, NULL);
    KT_EQ_INT(g->ngroups, 4); /* y = 2000 + r % 2 happens to split no k */
    int64_t probe[] = {5, 2000};
    uint32_t grp = kl_grouping_find(g, probe);
    KT_CHECK(grp != KL_GROUP_NONE);
    KT_EQ_INT(kl_grouping_size(g, grp), 3); /* rows 0, 4, 6 */
    kl_grouping_free(g);
    kl_table_free(t);
}

KT_TEST(group_zero_rows)
{
    fx f;
    fx_init(&f);
    const char *keys[] = {"year", "region", "cluster"};
    const char *req[] = {"employees", NULL};
    kl_grouping *g = build(f.t, keys, 3, req);
    KT_EQ_INT(g->ngroups, 0);
    KT_EQ_INT(g->offsets[0], 0);
    int64_t key[] = {2020, 1, 1};
    KT_EQ_INT(kl_grouping_find(g, key), KL_GROUP_NONE);
    KT_EQ_INT(kl_grouping_prev(g, 0, 0), KL_GROUP_NONE);
    double out[1] = {42.0};
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_SUM, f.emp, NULL, out, NULL), KL_OK);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_MEAN, f.rev, f.cluster, out, NULL), KL_OK);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_COUNT, f.rev, NULL, out, NULL), KL_OK);
    KT_EQ_NUM(out[0], 42.0); /* nothing written */
    kl_grouping_free(g);

    /* Rows, but every one left out. */
    fx_row(&f, 2020, "A", "", 1, 1.0);
    fx_row(&f, 2020, "A", "c", -1, 1.0);
    g = build(f.t, keys, 3, req);
    KT_EQ_INT(g->ngroups, 0);
    KT_EQ_INT(g->row_group[0], KL_GROUP_NONE);
    KT_EQ_INT(g->row_group[1], KL_GROUP_NONE);
    kl_grouping_free(g);
    fx_free(&f);
}

KT_TEST(group_errors)
{
    fx f;
    fx_init(&f);
    fx_row(&f, 2020, "A", "c", 1, 1.0);
    kl_grouping *g = (kl_grouping *)&f; /* must be reset to NULL on failure */
    kl_error err;
    const char *unknown[] = {"year", "nope"};
    const char *num[] = {"revenue"};
    const char *keys[] = {"year", "year", "year", "year", "year", "year", "year", "year", "year"};
    const char *bad_req[] = {"missing_col", NULL};

    kl_error_clear(&err);
    KT_EQ_INT(kl_grouping_build(&g, f.t, unknown, 2, NULL, &err), KL_ERR_USAGE);
    KT_CHECK(g == NULL);
    KT_CONTAINS(err.msg, "nope");
    KT_EQ_INT(kl_grouping_build(&g, f.t, num, 1, NULL, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "revenue");
    KT_EQ_INT(kl_grouping_build(&g, f.t, keys, 0, NULL, &err), KL_ERR_USAGE);
    KT_EQ_INT(kl_grouping_build(&g, f.t, keys, 9, NULL, &err), KL_ERR_USAGE);
    KT_EQ_INT(kl_grouping_build(&g, f.t, keys, 1, bad_req, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "missing_col");
    KT_CHECK(g == NULL);
    /* Eight keys (the most), repeated columns allowed. */
    KT_EQ_INT(kl_grouping_build(&g, f.t, keys, 8, NULL, &err), KL_OK);
    KT_EQ_INT(g->ngroups, 1);
    kl_grouping_free(g);
    fx_free(&f);
}

/* ---- a large random table against a brute-force grouping ---------------- */

typedef struct ref_row {
    int64_t year;
    const char *region;
    const char *cluster;
    uint32_t row;
} ref_row;

static int ref_cmp(const void *pa, const void *pb)
{
    const ref_row *a = pa, *b = pb;
    int c;
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if ((c = strcmp(a->region, b->region)) != 0)
        return c;
    if ((c = strcmp(a->cluster, b->cluster)) != 0)
        return c;
    return a->row < b->row ? -1 : a->row > b->row;
}

KT_TEST(group_random_against_reference)
{
    enum { N = 200000 };
    fx f;
    fx_init(&f);
    char regions[40][8], clusters[1500][12];
    uint64_t s = 12345;
#define RND() (s = s * 6364136223846793005u + 1442695040888963407u, (uint32_t)(s >> 33))
    for (int i = 0; i < 40; i++)
        snprintf(regions[i], sizeof regions[i], "R%02u", RND() % 100);
    for (int i = 0; i < 1500; i++)
        snprintf(clusters[i], sizeof clusters[i], "c%u", RND() % 100000);
    ref_row *ref = malloc(N * sizeof *ref);
    size_t nref = 0;
    for (uint32_t r = 0; r < N; r++) {
        int64_t year = 2000 + RND() % 20;
        const char *reg = regions[RND() % 40];
        const char *clu = RND() % 10 == 0 ? "" : clusters[RND() % 1500];
        double rev = (double)(RND() % 1000) / 8.0;
        fx_row(&f, year, reg, clu, RND() % 300, rev);
        if (*clu)
            ref[nref++] = (ref_row){year, reg, clu, r};
    }
    qsort(ref, nref, sizeof *ref, ref_cmp);

    const char *keys[] = {"year", "region", "cluster"};
    kl_grouping *g = build(f.t, keys, 3, NULL);
    size_t grp = 0, pos = 0;
    double *sum = malloc(g->ngroups * sizeof *sum);
    KT_EQ_INT(kl_grouping_aggregate(g, KL_AGG_SUM, f.rev, NULL, sum, NULL), KL_OK);
    for (size_t i = 0; i < nref; i++) {
        if (i > 0 && ref_cmp(&(ref_row){ref[i].year, ref[i].region, ref[i].cluster, 0},
                             &(ref_row){ref[i - 1].year, ref[i - 1].region,
                                        ref[i - 1].cluster, 0}) != 0) {
            KT_EQ_INT(pos, kl_grouping_size(g, grp));
            grp++;
            pos = 0;
        }
        KT_CHECK(grp < g->ngroups);
        if (g->rows[g->offsets[grp] + pos] != ref[i].row)
            KT_EQ_INT(g->rows[g->offsets[grp] + pos], ref[i].row);
        if (kl_grouping_key(g, grp, 0) != ref[i].year ||
            strcmp(kl_strpool_get(f.pool, (uint32_t)kl_grouping_key(g, grp, 1)), ref[i].region) ||
            strcmp(kl_strpool_get(f.pool, (uint32_t)kl_grouping_key(g, grp, 2)), ref[i].cluster))
            kt_fail(__FILE__, __LINE__, "group %zu has the wrong key", grp);
        pos++;
    }
    KT_EQ_INT(grp + 1, g->ngroups);
    KT_EQ_INT(g->offsets[g->ngroups], nref);
    /* Every group finds itself; its sum equals a direct sum. */
    for (size_t i = 0; i < g->ngroups; i++) {
        if (kl_grouping_find(g, g->key_values + i * 3) != i)
            KT_EQ_INT(kl_grouping_find(g, g->key_values + i * 3), i);
        double direct = 0;
        for (uint32_t j = g->offsets[i]; j < g->offsets[i + 1]; j++)
            direct += kl_col_num(f.rev, g->rows[j]);
        KT_EQ_NUM(sum[i], direct);
        uint32_t p = kl_grouping_prev(g, i, 0);
        if (p != KL_GROUP_NONE) {
            KT_EQ_INT(kl_grouping_key(g, p, 0), kl_grouping_key(g, i, 0) - 1);
            KT_EQ_INT(kl_grouping_key(g, p, 1), kl_grouping_key(g, i, 1));
            KT_EQ_INT(kl_grouping_key(g, p, 2), kl_grouping_key(g, i, 2));
        }
    }
#undef RND
    free(sum);
    free(ref);
    kl_grouping_free(g);
    fx_free(&f);
}

/* A group's sum in long double, row by row, skipping missing cells. */
static double direct_sum(const kl_grouping *g, const kl_col *c, size_t grp)
{
    long double s = 0;
    for (uint32_t k = g->offsets[grp]; k < g->offsets[grp + 1]; k++)
        if (!kl_col_is_missing(c, g->rows[k]))
            s += kl_col_num(c, g->rows[k]);
    return (double)s;
}

/* Aggregates go group by group when each group is a run of the table in
 * order (rows_in_order) and row by row otherwise; both ways must give the
 * same bits for every aggregate, column width and `also` column, with
 * missing cells, rows in no group, and values of mixed sign and size. */
KT_TEST(group_runs_and_row_scan_agree)
{
    static const char *const regions[] = {"UZ-AN", "UZ-BU", "UZ-FA"};
    static const char *const clusters[] = {"C1", "C2", NULL, NULL}; /* most in none */
    static const char *const keys[] = {"year", "region", "cluster"};
    static const char *const need_cluster[] = {"cluster", NULL};
    fx f;
    kl_error err;
    unsigned seed = 12345;
    fx_init(&f);
    /* sorted by (year, region, cluster): groups are runs */
    for (int y = 2019; y <= 2021; y++)
        for (int rg = 0; rg < 3; rg++)
            for (int c = 0; c < 4; c++)
                for (int k = 0; k < 29 + 17 * c + 5 * rg + y % 3; k++) { /* runs of all lengths */
                    seed = seed * 1103515245u + 12345u;
                    int64_t emp = (seed >> 8) % 7 == 0 ? -1 : (int64_t)((seed >> 4) % 30000);
                    /* magnitudes from 1e-14 to 1e18: compensation is not exact, so
                     * adding in another order would show in the bits */
                    double rev = (seed >> 12) % 9 == 0 ? NAN
                                 : ((double)((seed >> 3) % 2000003) - 1e6) *
                                       pow(10.0, (double)((seed >> 20) % 27) - 20.0);
                    fx_row(&f, y, regions[rg], clusters[c] ? clusters[c] : (k % 2 ? "" : NULL), emp, rev);
                }
    KT_EQ_INT(f.emp->int_width, 2);
    /* (year, region, cluster): each group one unbroken run of rows; (year,
     * region) over rows with a cluster: runs with gaps (rows in none). */
    for (int by = 0; by < 2; by++) {
        kl_grouping *gg = by == 0 ? build(f.t, keys, 3, NULL) : build(f.t, keys, 2, need_cluster);
        KT_CHECK(gg->rows_in_order);
        KT_EQ_INT(gg->ngroups, by == 0 ? 3 * 3 * 2 : 3 * 3);
        for (int agg = KL_AGG_SUM; agg <= KL_AGG_MAX; agg++)
            for (int c = 0; c < 6; c++) {
                const kl_col *col = c < 2 ? f.rev : c < 4 ? f.emp : f.rev;
                const kl_col *also = c == 1 ? f.emp : c == 3 ? f.rev : c >= 4 ? f.cluster : NULL;
                double runs[32], scan[32];
                if (agg == KL_AGG_COUNT)
                    continue;
                gg->rows_in_order = 1;
                KT_EQ_INT(kl_grouping_aggregate(gg, (kl_agg)agg, col, also, runs, &err), KL_OK);
                gg->rows_in_order = 0;
                KT_EQ_INT(kl_grouping_aggregate(gg, (kl_agg)agg, col, also, scan, &err), KL_OK);
                KT_CHECK(memcmp(runs, scan, gg->ngroups * sizeof *runs) == 0);
                if (agg == KL_AGG_SUM && c == 0)
                    for (size_t i = 0; i < gg->ngroups; i++) /* against a plain loop */
                        KT_CHECK(fabs(runs[i] - direct_sum(gg, f.rev, i)) <=
                                 1e-9 * fmax(1.0, fabs(runs[i])));
            }
        kl_grouping_free(gg);
    }
    kl_grouping *g;
    /* a table whose groups interleave is not in order */
    fx_row(&f, 2019, "UZ-AN", "C1", 5, 1.0);
    g = build(f.t, keys, 3, NULL);
    KT_CHECK(!g->rows_in_order);
    kl_grouping_free(g);
    fx_free(&f);
}
