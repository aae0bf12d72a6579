/*
 * innovation_activity.c -- the `innovation_activity` indicator: innovative
 * activity of each cluster (and of all clusters of a region, `*`) per year,
 * above all of small businesses, from the `firms` dataset.
 *
 * Methodology: the OECD/Eurostat Oslo Manual and the Community Innovation
 * Survey (share of innovating enterprises), the Regional Innovation
 * Scoreboard (R&D intensity, sales of new products, patents), and the EU SME
 * definition ("small" = fewer than 50 employees; a missing headcount is not
 * small).  Contract: klaster spec/indicators.md section 5:
 *   innovating_share       100 #(innovating = 1) / #(innovating present)
 *   small_innovating_share the same over firms with employees < 50
 *   rd_intensity           100 sum rd_spend / sum revenue
 *   innov_sales_share      100 sum innov_revenue / sum revenue
 *   patents_per_1000       1000 sum patents / sum employees
 * Each ratio sums only over the firms where both of its fields are present;
 * a zero or empty denominator makes it missing.
 *
 * The sums are the host's per-group aggregates with the `also` column; the
 * two shares are counted in one pass over the rows for both levels.
 */
#include <stdint.h>
#include <string.h>

#include "klaster.h"

static const kl_input_def ia_inputs[] = {
    {"firms", "year,region,cluster,employees,revenue,rd_spend,innov_revenue,innovating,patents",
     0},
    {NULL, NULL, 0},
};

static const kl_column_def ia_columns[] = {
    {"year", KL_TYPE_INT, "", "reporting year"},
    {"region", KL_TYPE_TEXT, "", "region code, ISO 3166-2"},
    {"cluster", KL_TYPE_TEXT, "", "cluster id; * = all firms of the region with a cluster"},
    {"innovating_share", KL_TYPE_NUM, "%",
     "share of firms that introduced a product or process innovation (of firms reporting it)"},
    {"small_innovating_share", KL_TYPE_NUM, "%",
     "the same over small firms (fewer than 50 employees)"},
    {"rd_intensity", KL_TYPE_NUM, "%", "R&D and innovation expenditure as a share of sales"},
    {"innov_sales_share", KL_TYPE_NUM, "%",
     "sales of new or significantly improved products as a share of sales"},
    {"patents_per_1000", KL_TYPE_NUM, "per 1000 employees",
     "patents and utility models granted per 1000 employees"},
    {NULL, 0, NULL, NULL},
};

enum { IA_NCOLS = 8, IA_SMALL = 50 };

/* Per-group counts for the two shares. */
typedef struct ia_counts {
    uint32_t *reported, *innovating;             /* innovating present; = 1 */
    uint32_t *small_reported, *small_innovating; /* the same, employees < 50 */
} ia_counts;

static int ia_alloc_counts(kl_ctx *ctx, const kl_host *host, size_t n, ia_counts *c)
{
    size_t bytes = (n ? n : 1) * sizeof(uint32_t);
    uint32_t *p = host->alloc(ctx, 4 * bytes);
    if (!p)
        return host->error(ctx, KL_ERR_INTERNAL, "innovation_activity: out of memory");
    memset(p, 0, 4 * bytes);
    c->reported = p;
    c->innovating = p + (n ? n : 1);
    c->small_reported = p + 2 * (n ? n : 1);
    c->small_innovating = p + 3 * (n ? n : 1);
    return KL_OK;
}

static void ia_count(ia_counts *c, uint32_t g, int innovating, int small)
{
    c->reported[g]++;
    c->innovating[g] += innovating;
    if (small) {
        c->small_reported[g]++;
        c->small_innovating[g] += innovating;
    }
}

/* scale * a / b, missing when b is 0. */
static kl_value ia_ratio(double scale, double a, double b)
{
    return b != 0 ? klaster_num_value(scale * a / b) : klaster_missing_value();
}

static int ia_level(kl_ctx *ctx, const kl_host *host, const kl_groups *g, const ia_counts *c,
                    int region_level)
{
    const double *rd, *rd_rev, *inn, *inn_rev, *pat, *pat_emp;
    int rc;

    if ((rc = host->aggregate(ctx, g, KL_AGG_SUM, "rd_spend", "revenue", &rd)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "revenue", "rd_spend", &rd_rev)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "innov_revenue", "revenue", &inn)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "revenue", "innov_revenue", &inn_rev)) !=
            KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "patents", "employees", &pat)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "employees", "patents", &pat_emp)) != KL_OK)
        return rc;

    for (uint32_t gi = 0; gi < g->ngroups; gi++) {
        kl_value row[IA_NCOLS];
        row[0] = klaster_int_value(klaster_group_key(g, gi, 0));
        row[1] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, gi, 1)));
        row[2] = klaster_text_value(
            region_level ? "*" : host->text(ctx, (uint32_t)klaster_group_key(g, gi, 2)));
        row[3] = ia_ratio(100.0, c->innovating[gi], c->reported[gi]);
        row[4] = ia_ratio(100.0, c->small_innovating[gi], c->small_reported[gi]);
        row[5] = ia_ratio(100.0, rd[gi], rd_rev[gi]);
        row[6] = ia_ratio(100.0, inn[gi], inn_rev[gi]);
        row[7] = ia_ratio(1000.0, pat[gi], pat_emp[gi]);
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static int ia_compute(kl_ctx *ctx, const kl_host *host)
{
    static const char *const cluster_keys[] = {"year", "region", "cluster"};
    static const char *const region_keys[] = {"year", "region"};
    static const char *const need_cluster[] = {"cluster", NULL};
    const kl_groups *gc, *gr;
    kl_column_view innov, emp;
    ia_counts cc, cr;
    size_t nrows;
    int rc;

    if ((rc = host->rows(ctx, "firms", &nrows)) != KL_OK ||
        (rc = host->column(ctx, "firms", "innovating", &innov)) != KL_OK ||
        (rc = host->column(ctx, "firms", "employees", &emp)) != KL_OK ||
        (rc = host->group(ctx, "firms", cluster_keys, 3, NULL, &gc)) != KL_OK ||
        (rc = host->group(ctx, "firms", region_keys, 2, need_cluster, &gr)) != KL_OK)
        return rc;
    if (innov.type != KL_TYPE_INT || emp.type != KL_TYPE_INT)
        return host->error(ctx, KL_ERR_DATA, "innovation_activity: firms.innovating and "
                                             "firms.employees must be integer columns");
    if ((rc = ia_alloc_counts(ctx, host, gc->ngroups, &cc)) != KL_OK ||
        (rc = ia_alloc_counts(ctx, host, gr->ngroups, &cr)) != KL_OK)
        return rc;

    /* One pass: the two shares, for both levels.  A region-level row is
     * always in a cluster-level group too (same keys plus the cluster). */
    for (size_t r = 0; r < nrows; r++) {
        uint32_t g1 = gc->row_group[r];
        if (g1 == KL_NO_GROUP || klaster_missing(&innov, r))
            continue;
        int is_innov = klaster_int(&innov, r) == 1;
        int small = !klaster_missing(&emp, r) && klaster_int(&emp, r) < IA_SMALL;
        ia_count(&cc, g1, is_innov, small);
        uint32_t g2 = gr->row_group[r];
        if (g2 != KL_NO_GROUP)
            ia_count(&cr, g2, is_innov, small);
    }

    if ((rc = ia_level(ctx, host, gc, &cc, 0)) != KL_OK)
        return rc;
    return ia_level(ctx, host, gr, &cr, 1);
}

static const kl_plugin ia_plugin = {
    KLASTER_PLUGIN_HEADER,
    .name = "innovation_activity",
    .version = "1.0.0",
    .description = "Innovative activity of each cluster and region per year: share of "
                   "innovating firms (all and small), R&D intensity, sales of new products, "
                   "patents per 1000 employees",
    .source = "OECD/Eurostat Oslo Manual and Community Innovation Survey; Regional Innovation "
              "Scoreboard; EU SME definition (small = fewer than 50 employees); klaster spec "
              "section 5",
    .inputs = ia_inputs,
    .columns = ia_columns,
    .nkeys = 3,
    .params = NULL,
    .compute = ia_compute,
};

KLASTER_DEFINE_PLUGIN(ia_plugin)
