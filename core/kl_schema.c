/*
 * kl_schema.c -- the canonical schema as a table of data (spec section 1).
 */
#include "kl_schema.h"

#include <string.h>

#include "kl_alloc.h"

#define KL_REQ KL_COL_REQUIRED
#define KL_KEY (KL_COL_REQUIRED | KL_COL_NONEMPTY)

static const kl_schema_col kl_firms_cols[] = {
    {"year", KL_TYPE_INT, KL_KEY, "reporting year", NULL},
    {"region", KL_TYPE_TEXT, KL_KEY, "region code, ISO 3166-2 (e.g. UZ-AN)", NULL},
    {"cluster", KL_TYPE_TEXT, KL_REQ, "cluster id; empty = firm in no cluster", "in no cluster"},
    {"firm", KL_TYPE_TEXT, KL_KEY, "firm id (tax id), unique within a year", NULL},
    {"sector", KL_TYPE_TEXT, 0, "activity code (NACE/OKED), e.g. 13.20", NULL},
    {"employees", KL_TYPE_INT, 0, "average number of employees in the year", NULL},
    {"revenue", KL_TYPE_NUM, 0, "sales, local currency", NULL},
    {"local_taxes", KL_TYPE_NUM, 0, "taxes and fees paid to the local budget", NULL},
    {"rd_spend", KL_TYPE_NUM, 0, "R&D and innovation expenditure", NULL},
    {"innov_revenue", KL_TYPE_NUM, 0, "sales of new or significantly improved products", NULL},
    {"innovating", KL_TYPE_INT, KL_COL_FLAG, "1 = introduced a product or process innovation", NULL},
    {"patents", KL_TYPE_INT, 0, "patents and utility models granted this year", NULL},
};

static const kl_schema_col kl_exports_cols[] = {
    {"year", KL_TYPE_INT, KL_KEY, "year of the customs records", NULL},
    {"region", KL_TYPE_TEXT, KL_KEY, "region code, ISO 3166-2", NULL},
    {"cluster", KL_TYPE_TEXT, KL_REQ, "cluster id; empty = no cluster", "in no cluster"},
    {"firm", KL_TYPE_TEXT, 0, "exporting firm id", NULL},
    {"product", KL_TYPE_TEXT, KL_REQ, "HS product code", NULL},
    {"partner", KL_TYPE_TEXT, KL_REQ, "partner country, ISO 3166-1 alpha-3", NULL},
    {"value", KL_TYPE_NUM, KL_REQ, "export value, USD", NULL},
};

static const kl_schema_col kl_regions_cols[] = {
    {"year", KL_TYPE_INT, KL_KEY, "year", NULL},
    {"region", KL_TYPE_TEXT, KL_KEY, "region code, ISO 3166-2", NULL},
    {"population", KL_TYPE_INT, 0, "population", NULL},
    {"employment", KL_TYPE_INT, 0, "all employees in the region", NULL},
    {"local_budget_revenue", KL_TYPE_NUM, 0, "revenue of the local budget", NULL},
};

static const kl_schema_col kl_clusters_cols[] = {
    {"cluster", KL_TYPE_TEXT, KL_KEY, "cluster id", NULL},
    {"region", KL_TYPE_TEXT, KL_KEY, "region code, ISO 3166-2", NULL},
    {"type", KL_TYPE_TEXT, 0, "innovation, vertical or conglomerate", NULL},
    {"sector", KL_TYPE_TEXT, 0, "main activity code", NULL},
    {"founded", KL_TYPE_INT, 0, "year founded", NULL},
};

#define KL_N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kl_firms_unique[] = {"year", "firm", NULL};
static const char *const kl_regions_unique[] = {"year", "region", NULL};
static const char *const kl_clusters_unique[] = {"cluster", NULL};

static const kl_schema kl_schemas[] = {
    {"firms", "one row per firm per year", kl_firms_cols, KL_N(kl_firms_cols), kl_firms_unique},
    {"exports", "customs records: firm x product x partner x year", kl_exports_cols,
     KL_N(kl_exports_cols), NULL},
    {"regions", "one row per region per year", kl_regions_cols, KL_N(kl_regions_cols),
     kl_regions_unique},
    {"clusters", "one row per cluster", kl_clusters_cols, KL_N(kl_clusters_cols),
     kl_clusters_unique},
};

const kl_schema *kl_schema_all(size_t *n)
{
    *n = KL_N(kl_schemas);
    return kl_schemas;
}

const kl_schema *kl_schema_find(const char *name)
{
    for (size_t i = 0; i < KL_N(kl_schemas); i++)
        if (strcmp(kl_schemas[i].name, name) == 0)
            return &kl_schemas[i];
    return NULL;
}

const kl_schema_col *kl_schema_find_col(const kl_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return &s->cols[i];
    return NULL;
}

void kl_colmap_clear(kl_colmap *m)
{
    kl_free(m->dataset);
    kl_free(m->column);
    kl_free(m->source);
    memset(m, 0, sizeof *m);
}

int kl_colmap_parse(kl_colmap *m, const char *spec, kl_error *err)
{
    const char *dot = strchr(spec, '.');
    const char *eq = strchr(spec, '=');
    const kl_schema *s;

    memset(m, 0, sizeof *m);
    if (!dot || !eq || eq < dot || dot == spec || eq == dot + 1 || eq[1] == '\0')
        return kl_error_set(err, KL_ERR_USAGE,
                            "bad column mapping '%s': expected DATASET.COLUMN=NAME, "
                            "e.g. firms.employees=headcount", spec);
    m->dataset = kl_strndup(spec, (size_t)(dot - spec));
    m->column = kl_strndup(dot + 1, (size_t)(eq - dot - 1));
    m->source = kl_strdup(eq + 1);
    if (!m->dataset || !m->column || !m->source) {
        kl_colmap_clear(m);
        return kl_error_oom(err, "reading a column mapping");
    }
    s = kl_schema_find(m->dataset);
    if (!s) {
        kl_error_set(err, KL_ERR_USAGE,
                     "bad column mapping '%s': no dataset '%s' (datasets: firms, exports, "
                     "regions, clusters)", spec, m->dataset);
        kl_colmap_clear(m);
        return KL_ERR_USAGE;
    }
    if (!kl_schema_find_col(s, m->column)) {
        kl_error_set(err, KL_ERR_USAGE, "bad column mapping '%s': dataset '%s' has no column '%s'",
                     spec, m->dataset, m->column);
        kl_colmap_clear(m);
        return KL_ERR_USAGE;
    }
    return KL_OK;
}
