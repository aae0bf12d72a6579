/*
 * export_diversification.c -- the `export_diversification` indicator: how
 * diversified the exports of each cluster (and of all clusters of a region,
 * `*`) are across products and partner countries, per year, from the
 * customs records of the `exports` dataset.
 *
 * Methodology: UNCTAD / World Bank WITS concentration indices
 * (Herfindahl-Hirschman, normalised HHI missing for a single product as in
 * WITS) and the IMF export-diversification work: Theil T over the year's
 * product universe with its within (intensive margin) / between (extensive
 * margin) decomposition after Cadot, Carrere & Strauss-Kahn (2011).  Note
 * that this is Theil T, not the Theil L some toolkits call theil().
 * Contract: klaster spec/indicators.md section 6.  Rows whose value is
 * missing or <= 0, or whose product or partner is empty, are ignored by
 * every measure (the product universe U(t) included).  Per group and year,
 * with v(p) the value of product p, V = sum v(p), N = #{p : v(p) > 0},
 * s(p) = v(p) / V (likewise v(c), M for partners c):
 *   hhi             sum s^2; normalised (hhi - 1/N) / (1 - 1/N), N > 1
 *   theil_within    sum s ln(s N)           (Theil T with mu = V / N)
 *   theil_between   ln(|U(t)| / N), U(t) = products with v > 0 in any row
 *                   of the year (any region, clustered or not)
 *   theil_products  theil_within + theil_between (Theil T over U(t))
 *   export_growth   100 (V(t) / V(t-1) - 1)
 * N = 0: export_value, products, partners 0, the rest missing.  Growth is
 * missing when the group has no row at t-1 (which covers no rows at all for
 * t-1) or V(t-1) = 0.  Results >= 0 by definition are clamped at 0.
 *
 * Per group, products and partners are summed in arrays indexed by their
 * text codes (stamped per group, so nothing is cleared): O(rows) in all.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "klaster.h"

static const kl_input_def ed_inputs[] = {
    {"exports", "year,region,cluster,product,partner,value", 0},
    {NULL, NULL, 0},
};

static const kl_column_def ed_columns[] = {
    {"year", KL_TYPE_INT, "", "year of the customs records"},
    {"region", KL_TYPE_TEXT, "", "region code, ISO 3166-2"},
    {"cluster", KL_TYPE_TEXT, "", "cluster id; * = all export rows of the region with a cluster"},
    {"export_value", KL_TYPE_NUM, "USD", "V: value of the group's exports"},
    {"products", KL_TYPE_INT, "products", "N: number of products (HS codes) exported"},
    {"partners", KL_TYPE_INT, "countries", "M: number of partner countries"},
    {"hhi_products", KL_TYPE_NUM, "",
     "Herfindahl-Hirschman index of product shares, 0-1 (1 = one product)"},
    {"hhi_products_norm", KL_TYPE_NUM, "",
     "normalised product HHI (HHI - 1/N) / (1 - 1/N), 0-1; missing for one product"},
    {"theil_products", KL_TYPE_NUM, "",
     "Theil T index of product concentration over all products the year's exports contain"},
    {"theil_within", KL_TYPE_NUM, "",
     "intensive margin: Theil T over the group's own products"},
    {"theil_between", KL_TYPE_NUM, "",
     "extensive margin: ln(number of products of the year / N)"},
    {"hhi_partners", KL_TYPE_NUM, "", "Herfindahl-Hirschman index of partner-country shares, 0-1"},
    {"hhi_partners_norm", KL_TYPE_NUM, "",
     "normalised partner HHI (HHI - 1/M) / (1 - 1/M), 0-1; missing for one partner"},
    {"export_growth", KL_TYPE_NUM, "%", "100 (V(t) / V(t-1) - 1)"},
    {NULL, 0, NULL, NULL},
};

enum { ED_NCOLS = 14 };

/* Sums per text code, stamped per group. */
typedef struct ed_bins {
    uint32_t *stamp; /* [ncodes] */
    double *sum;     /* [ncodes] */
    uint32_t *list;  /* the codes seen by the current group, [n] */
    size_t n;
} ed_bins;

typedef struct ed_state {
    kl_ctx *ctx;
    const kl_host *host;
    kl_column_view product, partner, value;
    const kl_groups *years;
    const double *universe; /* |U(t)| per year group */
    ed_bins prod, part;
    uint32_t stamp;
} ed_state;

static inline int ed_valid(const ed_state *s, size_t r)
{
    return !klaster_missing(&s->value, r) && klaster_num(&s->value, r) > 0 &&
           !klaster_missing(&s->product, r) && klaster_code(&s->product, r) != 0 &&
           !klaster_missing(&s->partner, r) && klaster_code(&s->partner, r) != 0;
}

static inline void ed_add(ed_bins *b, uint32_t stamp, uint32_t code, double v)
{
    if (b->stamp[code] != stamp) {
        b->stamp[code] = stamp;
        b->sum[code] = 0;
        b->list[b->n++] = code;
    }
    b->sum[code] += v;
}

static int ed_bins_alloc(ed_state *s, ed_bins *b, const kl_column_view *c, size_t nrows)
{
    uint32_t maxcode = 0;
    for (size_t r = 0; r < nrows; r++) {
        uint32_t code = klaster_code(c, r);
        if (code > maxcode)
            maxcode = code;
    }
    size_t ncodes = (size_t)maxcode + 1, nlist = ncodes < nrows ? ncodes : nrows;
    b->stamp = s->host->alloc(s->ctx, ncodes * sizeof *b->stamp);
    b->sum = s->host->alloc(s->ctx, ncodes * sizeof *b->sum);
    b->list = s->host->alloc(s->ctx, (nlist ? nlist : 1) * sizeof *b->list);
    if (!b->stamp || !b->sum || !b->list)
        return s->host->error(s->ctx, KL_ERR_INTERNAL,
                              "export_diversification: out of memory (%zu codes)", ncodes);
    memset(b->stamp, 0, ncodes * sizeof *b->stamp);
    b->n = 0;
    return KL_OK;
}

/* |U(t)| for every year group: distinct products of the year's valid rows. */
static int ed_universe(ed_state *s)
{
    const kl_groups *y = s->years;
    double *u = s->host->alloc(s->ctx, (y->ngroups ? y->ngroups : 1) * sizeof *u);
    if (!u)
        return s->host->error(s->ctx, KL_ERR_INTERNAL, "export_diversification: out of memory");
    for (size_t gi = 0; gi < y->ngroups; gi++) {
        uint32_t st = ++s->stamp;
        size_t n = 0;
        for (uint32_t k = y->offsets[gi]; k < y->offsets[gi + 1]; k++) {
            uint32_t r = y->rows[k];
            if (!ed_valid(s, r))
                continue;
            uint32_t code = klaster_code(&s->product, r);
            if (s->prod.stamp[code] != st) {
                s->prod.stamp[code] = st;
                n++;
            }
        }
        u[gi] = (double)n;
    }
    s->universe = u;
    return KL_OK;
}

/* HHI of the sums in b (total V); its normalised form into *norm (NaN for
 * fewer than two codes). */
static double ed_hhi(const ed_bins *b, double V, double *norm)
{
    double h = 0;
    for (size_t i = 0; i < b->n; i++) {
        double sh = b->sum[b->list[i]] / V;
        h += sh * sh;
    }
    if (b->n > 1) {
        double inv = 1.0 / (double)b->n;
        *norm = fmax((h - inv) / (1.0 - inv), 0.0);
    } else {
        *norm = NAN;
    }
    return h;
}

static int ed_level(ed_state *s, const kl_groups *g, int region_level)
{
    const kl_host *host = s->host;
    double *vtot = host->alloc(s->ctx, (g->ngroups ? g->ngroups : 1) * sizeof *vtot);
    int rc;

    if (!vtot)
        return host->error(s->ctx, KL_ERR_INTERNAL, "export_diversification: out of memory");
    for (uint32_t gi = 0; gi < g->ngroups; gi++) {
        kl_value row[ED_NCOLS];
        int64_t year = klaster_group_key(g, gi, 0);
        uint32_t st = ++s->stamp;

        s->prod.n = s->part.n = 0;
        for (uint32_t k = g->offsets[gi]; k < g->offsets[gi + 1]; k++) {
            uint32_t r = g->rows[k];
            if (!ed_valid(s, r))
                continue;
            double v = klaster_num(&s->value, r);
            ed_add(&s->prod, st, klaster_code(&s->product, r), v);
            ed_add(&s->part, st, klaster_code(&s->partner, r), v);
        }
        double V = 0;
        for (size_t i = 0; i < s->prod.n; i++)
            V += s->prod.sum[s->prod.list[i]];
        vtot[gi] = V;

        row[0] = klaster_int_value(year);
        row[1] = klaster_text_value(host->text(s->ctx, (uint32_t)klaster_group_key(g, gi, 1)));
        row[2] = klaster_text_value(
            region_level ? "*" : host->text(s->ctx, (uint32_t)klaster_group_key(g, gi, 2)));
        row[3] = klaster_num_value(V);
        row[4] = klaster_int_value((int64_t)s->prod.n);
        row[5] = klaster_int_value((int64_t)s->part.n);
        for (int c = 6; c < ED_NCOLS; c++)
            row[c] = klaster_missing_value();

        if (s->prod.n > 0) {
            double N = (double)s->prod.n, norm, within = 0, U = 0;
            uint32_t yg = host->group_find(s->ctx, s->years, &year);
            if (yg != KL_NO_GROUP)
                U = s->universe[yg];
            row[6] = klaster_num_value(ed_hhi(&s->prod, V, &norm));
            row[7] = klaster_num_value(norm);
            for (size_t i = 0; i < s->prod.n; i++) {
                double v = s->prod.sum[s->prod.list[i]];
                within += (v / V) * log(v * N / V);
            }
            within = fmax(within, 0.0);
            double between = fmax(log(U / N), 0.0);
            row[8] = klaster_num_value(within + between);
            row[9] = klaster_num_value(within);
            row[10] = klaster_num_value(between);
            row[11] = klaster_num_value(ed_hhi(&s->part, V, &norm));
            row[12] = klaster_num_value(norm);
            /* Groups are in key order, year first: t-1 was done before t. */
            uint32_t gp = host->group_prev(s->ctx, g, gi, 0);
            if (gp != KL_NO_GROUP && gp < gi && vtot[gp] > 0)
                row[13] = klaster_num_value(100.0 * (V / vtot[gp] - 1.0));
        }
        if ((rc = host->emit(s->ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static int ed_compute(kl_ctx *ctx, const kl_host *host)
{
    static const char *const cluster_keys[] = {"year", "region", "cluster"};
    static const char *const region_keys[] = {"year", "region"};
    static const char *const year_key[] = {"year"};
    static const char *const need_cluster[] = {"cluster", NULL};
    const kl_groups *gc, *gr;
    ed_state s;
    size_t nrows;
    int rc;

    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.host = host;
    if ((rc = host->rows(ctx, "exports", &nrows)) != KL_OK ||
        (rc = host->column(ctx, "exports", "product", &s.product)) != KL_OK ||
        (rc = host->column(ctx, "exports", "partner", &s.partner)) != KL_OK ||
        (rc = host->column(ctx, "exports", "value", &s.value)) != KL_OK ||
        (rc = host->group(ctx, "exports", year_key, 1, NULL, &s.years)) != KL_OK ||
        (rc = host->group(ctx, "exports", cluster_keys, 3, NULL, &gc)) != KL_OK ||
        (rc = host->group(ctx, "exports", region_keys, 2, need_cluster, &gr)) != KL_OK)
        return rc;
    if (s.product.type != KL_TYPE_TEXT || s.partner.type != KL_TYPE_TEXT ||
        (s.value.type != KL_TYPE_NUM && s.value.type != KL_TYPE_INT))
        return host->error(ctx, KL_ERR_DATA, "export_diversification: exports.product and "
                                             "exports.partner must be text, exports.value a number");
    if ((rc = ed_bins_alloc(&s, &s.prod, &s.product, nrows)) != KL_OK ||
        (rc = ed_bins_alloc(&s, &s.part, &s.partner, nrows)) != KL_OK ||
        (rc = ed_universe(&s)) != KL_OK)
        return rc;

    if ((rc = ed_level(&s, gc, 0)) != KL_OK)
        return rc;
    return ed_level(&s, gr, 1);
}

static const kl_plugin ed_plugin = {
    KLASTER_PLUGIN_HEADER,
    .name = "export_diversification",
    .version = "1.0.0",
    .description = "Diversification of each cluster's and region's exports per year across "
                   "products and partner countries: HHI, Theil T with its within/between "
                   "decomposition, growth",
    .source = "UNCTAD / World Bank WITS concentration indices; IMF export diversification, "
              "Theil T decomposition after Cadot, Carrere & Strauss-Kahn (2011); klaster spec "
              "section 6",
    .inputs = ed_inputs,
    .columns = ed_columns,
    .nkeys = 3,
    .params = NULL,
    .compute = ed_compute,
};

KLASTER_DEFINE_PLUGIN(ed_plugin)
