/*
 * avg_firm_size.c -- an example klaster indicator plugin, built out of tree.
 *
 * For each cluster and year: the number of firms, their average headcount,
 * and the share of small firms (fewer than 50 employees, the EU SME
 * threshold) -- the paper asks clusters to draw small businesses in.
 * Build: cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags klaster) \
 *            avg_firm_size.c -o avg_firm_size.so
 */
#include <klaster.h>

static const char *const by_cluster[] = {"year", "region", "cluster"};

static int avg_firm_size_compute(kl_ctx *ctx, const kl_host *host)
{
    const kl_groups *g;
    const double *firms, *mean;
    kl_column_view employees;
    int rc;

    /* Rows with an empty cluster belong to no group. */
    if ((rc = host->group(ctx, "firms", by_cluster, 3, NULL, &g)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_COUNT, "firm", NULL, &firms)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_MEAN, "employees", NULL, &mean)) != KL_OK ||
        (rc = host->column(ctx, "firms", "employees", &employees)) != KL_OK)
        return rc;

    for (size_t i = 0; i < g->ngroups; i++) {
        size_t small = 0, known = 0;
        kl_value row[6];
        for (uint32_t k = g->offsets[i]; k < g->offsets[i + 1]; k++) {
            uint32_t r = g->rows[k];
            if (klaster_missing(&employees, r))
                continue; /* an unknown headcount is neither small nor large */
            known++;
            small += klaster_int(&employees, r) < 50;
        }
        row[0] = klaster_int_value(klaster_group_key(g, i, 0));
        row[1] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, 1)));
        row[2] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, 2)));
        row[3] = klaster_int_value((int64_t)firms[i]);
        row[4] = klaster_num_value(mean[i]); /* NaN (no headcount known) -> missing */
        row[5] = known ? klaster_num_value(100.0 * (double)small / (double)known)
                       : klaster_missing_value();
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static const kl_input_def avg_firm_size_inputs[] = {
    {"firms", "year,region,cluster,firm,employees", 0},
    {NULL, NULL, 0},
};

static const kl_column_def avg_firm_size_columns[] = {
    {"year", KL_TYPE_INT, "", "reporting year"},
    {"region", KL_TYPE_TEXT, "", "region code, ISO 3166-2"},
    {"cluster", KL_TYPE_TEXT, "", "cluster id"},
    {"firms", KL_TYPE_INT, "firms", "firm rows of the cluster in the year"},
    {"avg_employees", KL_TYPE_NUM, "persons", "mean headcount over firms with a known headcount"},
    {"small_share", KL_TYPE_NUM, "%", "firms with fewer than 50 employees, of those with a known headcount"},
    {NULL, 0, NULL, NULL},
};

static const kl_plugin avg_firm_size = {
    KLASTER_PLUGIN_HEADER,
    "avg_firm_size",
    "1.0.0",
    "Average firm size and share of small firms per cluster",
    "EU SME definition (Commission Recommendation 2003/361/EC): small = fewer than 50 employees",
    avg_firm_size_inputs,
    avg_firm_size_columns,
    3, /* year, region, cluster identify a row */
    NULL,
    avg_firm_size_compute,
    {0},
};

KLASTER_DEFINE_PLUGIN(avg_firm_size)
