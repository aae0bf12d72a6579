/*
 * budget_revenue.c -- the `budget_revenue` indicator: what each cluster
 * (and all clusters of a region, `*`) pays into the local budget per year,
 * from `firms` and, for the share, `regions`.
 *
 * Methodology: klaster spec/indicators.md section 4 (the cluster policy's
 * "local budget revenue" outcome):
 *   local_taxes        T(t) = sum of local_taxes (missing cells skipped)
 *   budget_share       100 T(t) / regions.local_budget_revenue(t, region)
 *   taxes_growth       100 (T(t) / T(t-1) - 1)
 *   taxes_per_employee sum local_taxes / sum employees, over the firms where
 *                      both are present
 * Missing: growth when the group has no non-missing local_taxes cell at t-1
 * (which covers no rows for t-1) or T(t-1) <= 0; share when there is no
 * regions row or its revenue is empty or <= 0; per employee on a zero
 * denominator; all four when the group has no non-missing local_taxes cell
 * at t.  Sums are the host's per-group aggregates (one pass per column).
 */
#include <stdint.h>
#include <string.h>

#include "klaster.h"

static const kl_input_def br_inputs[] = {
    {"firms", "year,region,cluster,employees,local_taxes", 0},
    {"regions", "year,region,local_budget_revenue", KL_INPUT_OPTIONAL},
    {NULL, NULL, 0},
};

static const kl_column_def br_columns[] = {
    {"year", KL_TYPE_INT, "", "reporting year t"},
    {"region", KL_TYPE_TEXT, "", "region code, ISO 3166-2"},
    {"cluster", KL_TYPE_TEXT, "", "cluster id; * = all firms of the region with a cluster"},
    {"local_taxes", KL_TYPE_NUM, "local currency",
     "T(t): taxes and fees paid to the local budget by the group's firms"},
    {"budget_share", KL_TYPE_NUM, "%",
     "100 T(t) / revenue of the region's local budget (regions dataset)"},
    {"taxes_growth", KL_TYPE_NUM, "%", "100 (T(t) / T(t-1) - 1)"},
    {"taxes_per_employee", KL_TYPE_NUM, "local currency per person",
     "local taxes per employee, over the firms with both fields present"},
    {NULL, 0, NULL, NULL},
};

enum { BR_NCOLS = 7 };

typedef struct br_state {
    kl_ctx *ctx;
    const kl_host *host;
    const kl_groups *regions; /* regions by (year, region); NULL if absent */
    kl_column_view reg_rev;
} br_state;

/* The region's local budget revenue in *out: 1 if there is a row with a
 * revenue > 0, else 0. */
static int br_region_revenue(br_state *s, int64_t year, int64_t region, double *out)
{
    int64_t key[2] = {year, region};
    if (!s->regions)
        return 0;
    uint32_t gi = s->host->group_find(s->ctx, s->regions, key);
    if (gi == KL_NO_GROUP || s->regions->offsets[gi] == s->regions->offsets[gi + 1])
        return 0;
    uint32_t r = s->regions->rows[s->regions->offsets[gi]];
    if (klaster_missing(&s->reg_rev, r))
        return 0;
    *out = klaster_num(&s->reg_rev, r);
    return *out > 0;
}

static int br_level(br_state *s, const kl_groups *g, int region_level)
{
    const kl_host *host = s->host;
    const double *tax, *present, *num, *den;
    int rc;

    if ((rc = host->aggregate(s->ctx, g, KL_AGG_SUM, "local_taxes", NULL, &tax)) != KL_OK ||
        (rc = host->aggregate(s->ctx, g, KL_AGG_PRESENT, "local_taxes", NULL, &present)) !=
            KL_OK ||
        (rc = host->aggregate(s->ctx, g, KL_AGG_SUM, "local_taxes", "employees", &num)) !=
            KL_OK ||
        (rc = host->aggregate(s->ctx, g, KL_AGG_SUM, "employees", "local_taxes", &den)) != KL_OK)
        return rc;

    for (uint32_t gi = 0; gi < g->ngroups; gi++) {
        kl_value row[BR_NCOLS];
        int64_t year = klaster_group_key(g, gi, 0), region = klaster_group_key(g, gi, 1);
        double rev;

        row[0] = klaster_int_value(year);
        row[1] = klaster_text_value(host->text(s->ctx, (uint32_t)region));
        row[2] = klaster_text_value(
            region_level ? "*" : host->text(s->ctx, (uint32_t)klaster_group_key(g, gi, 2)));
        for (int c = 3; c < BR_NCOLS; c++)
            row[c] = klaster_missing_value();

        if (present[gi] > 0) {
            double t = tax[gi];
            row[3] = klaster_num_value(t);
            if (br_region_revenue(s, year, region, &rev))
                row[4] = klaster_num_value(100.0 * t / rev);
            uint32_t gp = host->group_prev(s->ctx, g, gi, 0);
            if (gp != KL_NO_GROUP && present[gp] > 0 && tax[gp] > 0)
                row[5] = klaster_num_value(100.0 * (t / tax[gp] - 1.0));
            if (den[gi] != 0)
                row[6] = klaster_num_value(num[gi] / den[gi]);
        }
        if ((rc = host->emit(s->ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static int br_compute(kl_ctx *ctx, const kl_host *host)
{
    static const char *const cluster_keys[] = {"year", "region", "cluster"};
    static const char *const region_keys[] = {"year", "region"};
    static const char *const need_cluster[] = {"cluster", NULL};
    const kl_groups *gc, *gr;
    br_state s;
    size_t nreg;
    int rc;

    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.host = host;
    /* Region grouping first: the host builds different groupings at once,
     * and innovation_activity, which usually starts together with this
     * step, asks for the cluster one first -- each builds one, neither
     * waits for both. */
    if ((rc = host->group(ctx, "firms", region_keys, 2, need_cluster, &gr)) != KL_OK ||
        (rc = host->group(ctx, "firms", cluster_keys, 3, NULL, &gc)) != KL_OK)
        return rc;

    rc = host->rows(ctx, "regions", &nreg);
    if (rc == KL_OK) {
        if ((rc = host->column(ctx, "regions", "local_budget_revenue", &s.reg_rev)) != KL_OK ||
            (rc = host->group(ctx, "regions", region_keys, 2, NULL, &s.regions)) != KL_OK)
            return rc;
    } else if (rc != KL_ERR_NOINPUT) {
        return rc;
    }

    if ((rc = br_level(&s, gc, 0)) != KL_OK)
        return rc;
    return br_level(&s, gr, 1);
}

static const kl_plugin br_plugin = {
    KLASTER_PLUGIN_HEADER,
    .name = "budget_revenue",
    .version = "1.0.0",
    .description = "Local budget revenue from each cluster and region per year: local taxes "
                   "paid, their share of the local budget, growth and taxes per employee",
    .source = "klaster spec section 4: local taxes and fees of cluster firms against the "
              "region's local budget revenue",
    .inputs = br_inputs,
    .columns = br_columns,
    .nkeys = 3,
    .params = NULL,
    .compute = br_compute,
};

KLASTER_DEFINE_PLUGIN(br_plugin)
