/*
 * jobs_created.c -- the `jobs_created` indicator: job creation and job
 * destruction of each cluster (and of all clusters of a region, `*`) per
 * year, with their rates, from the `firms` dataset.
 *
 * Methodology: Davis, Haltiwanger & Schuh, "Job Creation and Destruction"
 * (1996), as used by the US Census Bureau's Business Dynamics Statistics
 * (BDS).  For a group g and year t, e(f,t) is firm f's employees if f is in
 * g in year t, else 0; over the firms in g at t or t-1:
 *   JC = sum max(e(f,t) - e(f,t-1), 0)    JD = sum max(e(f,t-1) - e(f,t), 0)
 *   Z  = sum (e(f,t) + e(f,t-1)) / 2      rates = 100 * flow / Z
 *   reallocation_rate = jc_rate + jd_rate - |net_rate| (BDS excess
 *   reallocation), regional_share = 100 * E(t) / regions.employment.
 * Contract: spec/indicators.md section 3, including its edge cases:
 *   - no `firms` rows at all for t-1 (first year, gap): flows missing;
 *   - a firm row with missing employees adds nothing to E(t) and the firm
 *     is left out of JC, JD and Z of that group for t-1 -> t and t -> t+1
 *     (a firm that left the group is gone from it whatever its headcount
 *     elsewhere: its e(f,t) in the group is 0);
 *   - a group with rows at t-1 and none at t, for a year t of `firms`,
 *     gets a row with firms 0 and employment 0 (the losses in JD);
 *   - Z = 0: rates missing; no regions row / employment <= 0: share missing.
 *
 * Firms are matched across years in O(rows): per group, the firms of the
 * same group at t-1 are stamped in an array indexed by firm code, then the
 * rows at t look themselves up.
 */
#include <stdint.h>
#include <string.h>

#include "klaster.h"

static const kl_input_def jc_inputs[] = {
    {"firms", "year,region,cluster,firm,employees", 0},
    {"regions", "year,region,employment", KL_INPUT_OPTIONAL},
    {NULL, NULL, 0},
};

static const kl_column_def jc_columns[] = {
    {"year", KL_TYPE_INT, "", "reporting year t"},
    {"region", KL_TYPE_TEXT, "", "region code, ISO 3166-2"},
    {"cluster", KL_TYPE_TEXT, "", "cluster id; * = all firms of the region with a cluster"},
    {"firms", KL_TYPE_INT, "firms", "number of firm rows of the group in year t"},
    {"employment", KL_TYPE_INT, "persons",
     "E(t): employees of the group's firms in year t (a missing headcount adds nothing)"},
    {"job_creation", KL_TYPE_INT, "persons",
     "JC: employment gains of entering and growing firms from t-1 to t"},
    {"job_destruction", KL_TYPE_INT, "persons",
     "JD: employment losses of exiting and shrinking firms from t-1 to t"},
    {"net_jobs", KL_TYPE_INT, "persons", "JC - JD"},
    {"jc_rate", KL_TYPE_NUM, "%",
     "job creation rate: 100 JC / Z, Z = sum over firms of (e(t) + e(t-1)) / 2"},
    {"jd_rate", KL_TYPE_NUM, "%", "job destruction rate: 100 JD / Z"},
    {"net_rate", KL_TYPE_NUM, "%", "net job creation rate: 100 (JC - JD) / Z"},
    {"reallocation_rate", KL_TYPE_NUM, "%",
     "excess reallocation rate: jc_rate + jd_rate - |net_rate| (BDS REALLOCATION_RATE)"},
    {"regional_share", KL_TYPE_NUM, "%",
     "100 E(t) / employment of the region in year t (regions dataset)"},
    {NULL, 0, NULL, NULL},
};

enum { JC_NCOLS = 13 };

/* Firm matching scratch, indexed by firm code. */
typedef struct jc_match {
    uint32_t *mark;  /* stamp of the group pass that last saw the code */
    int64_t *prev;   /* employees at t-1 (valid when mark says present) */
    uint32_t stamp;  /* per group: stamp = present at t-1, +1 = present with
                        missing employees, +2 = matched at t */
} jc_match;

/* The flows of one group from t-1 to t. */
typedef struct jc_flows {
    int64_t jc, jd;
    int64_t z2; /* 2 Z: sum of e(f,t) + e(f,t-1) */
} jc_flows;

typedef struct jc_state {
    kl_ctx *ctx;
    const kl_host *host;
    kl_column_view firm, emp;
    /* The years with firm rows: has_year[y - year_lo] for y in year_lo ..
     * year_hi (see jc_find_years), or, for a range too wide for that, the
     * firms grouped by year. */
    int64_t year_lo, year_hi;
    const unsigned char *has_year;
    const kl_groups *years;
    const kl_groups *regions; /* regions by (year, region); NULL if absent */
    kl_column_view reg_emp;
    jc_match m;
} jc_state;

static void jc_add_change(jc_flows *f, int64_t now, int64_t before)
{
    int64_t d = now - before;
    if (d > 0)
        f->jc += d;
    else
        f->jd -= d;
    f->z2 += now + before;
}

/* Flows from group gp (year t-1) to group g (year t); either may be
 * KL_NO_GROUP for "no rows". */
static jc_flows jc_group_flows(jc_state *s, const kl_groups *g, uint32_t gi, uint32_t gp)
{
    jc_flows f = {0, 0, 0};
    jc_match *m = &s->m;
    uint32_t st = m->stamp;
    m->stamp += 3;

    if (gp != KL_NO_GROUP)
        for (uint32_t k = g->offsets[gp]; k < g->offsets[gp + 1]; k++) {
            uint32_t r = g->rows[k], code = klaster_code(&s->firm, r);
            if (code == 0)
                continue;
            if (klaster_missing(&s->emp, r)) {
                m->mark[code] = st + 1;
            } else {
                m->mark[code] = st;
                m->prev[code] = klaster_int(&s->emp, r);
            }
        }
    if (gi != KL_NO_GROUP)
        for (uint32_t k = g->offsets[gi]; k < g->offsets[gi + 1]; k++) {
            uint32_t r = g->rows[k], code = klaster_code(&s->firm, r);
            int missing = klaster_missing(&s->emp, r);
            int64_t e = missing ? 0 : klaster_int(&s->emp, r);
            if (code != 0 && (m->mark[code] == st || m->mark[code] == st + 1)) {
                /* continuing firm: left out if either headcount is missing */
                int was_missing = m->mark[code] == st + 1;
                m->mark[code] = st + 2;
                if (!missing && !was_missing)
                    jc_add_change(&f, e, m->prev[code]);
            } else if (!missing) { /* entrant */
                jc_add_change(&f, e, 0);
            }
        }
    if (gp != KL_NO_GROUP)
        for (uint32_t k = g->offsets[gp]; k < g->offsets[gp + 1]; k++) {
            uint32_t r = g->rows[k], code = klaster_code(&s->firm, r);
            if (klaster_missing(&s->emp, r))
                continue;
            if (code == 0 || m->mark[code] == st) /* exit */
                jc_add_change(&f, 0, klaster_int(&s->emp, r));
        }
    return f;
}

static int jc_year_present(jc_state *s, int64_t year)
{
    if (s->has_year)
        return year >= s->year_lo && year <= s->year_hi && s->has_year[year - s->year_lo];
    return s->years && s->host->group_find(s->ctx, s->years, &year) != KL_NO_GROUP;
}

/* Which years have firm rows.  One pass over the year column (two bytes a
 * row) instead of a grouping of every row by year, which would write 8
 * bytes a row only to be asked whether a year exists -- and this step is
 * usually the last to finish. */
#define JC_MAX_YEAR_SPAN 100000
static int jc_find_years(jc_state *s, size_t nrows)
{
    static const char *const year_key[] = {"year"};
    kl_column_view y;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    int rc = s->host->column(s->ctx, "firms", "year", &y);
    const uint64_t *miss;

    if (rc != KL_OK)
        return rc;
    miss = y.missing; /* a local: the stores below would make it reload */
    if (y.type != KL_TYPE_INT)
        return s->host->error(s->ctx, KL_ERR_DATA, "jobs_created: firms.year must be an integer");
    /* one loop per cell width, so that the width is not decoded per row */
#define JC_YEAR_LOOP(CTYPE, BODY)                                              \
    do {                                                                       \
        const CTYPE *v = y.data;                                               \
        for (size_t r = 0; r < nrows; r++)                                     \
            if (!miss || !((miss[r >> 6] >> (r & 63)) & 1u)) {                 \
                BODY                                                           \
            }                                                                  \
    } while (0)
#define JC_YEAR_WIDTHS(BODY)                                                   \
    switch (y.int_width) {                                                     \
    case 1: JC_YEAR_LOOP(int8_t, BODY); break;                                 \
    case 2: JC_YEAR_LOOP(int16_t, BODY); break;                                \
    case 4: JC_YEAR_LOOP(int32_t, BODY); break;                                \
    default: JC_YEAR_LOOP(int64_t, BODY); break;                               \
    }
    JC_YEAR_WIDTHS({
        lo = v[r] < lo ? v[r] : lo;
        hi = v[r] > hi ? v[r] : hi;
    })
    if (lo > hi) /* no rows: no year */
        return KL_OK;
    if ((uint64_t)hi - (uint64_t)lo >= JC_MAX_YEAR_SPAN)
        return s->host->group(s->ctx, "firms", year_key, 1, NULL, &s->years);
    unsigned char *has = s->host->alloc(s->ctx, (size_t)(hi - lo) + 1);
    if (!has)
        return s->host->error(s->ctx, KL_ERR_INTERNAL, "jobs_created: out of memory");
    memset(has, 0, (size_t)(hi - lo) + 1);
    int64_t prev = lo; /* firms come year by year: mark each change only */
    has[0] = 1;        /* lo itself is a year */
    JC_YEAR_WIDTHS({
        if (v[r] != prev) {
            prev = v[r];
            has[prev - lo] = 1;
        }
    })
#undef JC_YEAR_WIDTHS
#undef JC_YEAR_LOOP
    s->year_lo = lo;
    s->year_hi = hi;
    s->has_year = has;
    return KL_OK;
}

/* regions.employment of (year, region) into *out: 1 when there is a row
 * with employment > 0, else 0 (the share is then missing). */
static int jc_region_employment(jc_state *s, int64_t year, int64_t region, double *out)
{
    int64_t key[2] = {year, region};
    if (!s->regions)
        return 0;
    uint32_t gi = s->host->group_find(s->ctx, s->regions, key);
    if (gi == KL_NO_GROUP || s->regions->offsets[gi] == s->regions->offsets[gi + 1])
        return 0;
    uint32_t r = s->regions->rows[s->regions->offsets[gi]];
    if (klaster_missing(&s->reg_emp, r))
        return 0;
    *out = klaster_num(&s->reg_emp, r);
    return *out > 0;
}

static int jc_emit(jc_state *s, const int64_t *key, int region_level, int64_t nfirms, int64_t employment, const jc_flows *f)
{
    kl_value row[JC_NCOLS];
    double remp;

    row[0] = klaster_int_value(key[0]);
    row[1] = klaster_text_value(s->host->text(s->ctx, (uint32_t)key[1]));
    row[2] = klaster_text_value(region_level ? "*" : s->host->text(s->ctx, (uint32_t)key[2]));
    row[3] = klaster_int_value(nfirms);
    row[4] = klaster_int_value(employment);
    if (f) {
        int64_t net = f->jc - f->jd, lo = f->jc < f->jd ? f->jc : f->jd;
        row[5] = klaster_int_value(f->jc);
        row[6] = klaster_int_value(f->jd);
        row[7] = klaster_int_value(net);
        if (f->z2 != 0) {
            /* 100 x / Z with Z = z2 / 2; reallocation = 100 (JC + JD - |JC - JD|) / Z */
            double z2 = (double)f->z2;
            row[8] = klaster_num_value(200.0 * (double)f->jc / z2);
            row[9] = klaster_num_value(200.0 * (double)f->jd / z2);
            row[10] = klaster_num_value(200.0 * (double)net / z2);
            row[11] = klaster_num_value(400.0 * (double)lo / z2);
        } else {
            for (int c = 8; c <= 11; c++)
                row[c] = klaster_missing_value();
        }
    } else {
        for (int c = 5; c <= 11; c++)
            row[c] = klaster_missing_value();
    }
    if (jc_region_employment(s, key[0], key[1], &remp))
        row[12] = klaster_num_value(100.0 * (double)employment / remp);
    else
        row[12] = klaster_missing_value();
    return s->host->emit(s->ctx, row);
}

/* One level: groups keyed (year, region[, cluster]). */
static int jc_level(jc_state *s, const kl_groups *g, int region_level)
{
    int64_t key[3];
    int rc;

    for (uint32_t gi = 0; gi < g->ngroups; gi++) {
        memcpy(key, g->keys + (size_t)gi * g->nkeys, g->nkeys * sizeof *key);
        int64_t nfirms = g->offsets[gi + 1] - g->offsets[gi], employment = 0;
        for (uint32_t k = g->offsets[gi]; k < g->offsets[gi + 1]; k++) {
            uint32_t r = g->rows[k];
            if (!klaster_missing(&s->emp, r))
                employment += klaster_int(&s->emp, r);
        }
        if (key[0] > INT64_MIN && jc_year_present(s, key[0] - 1)) {
            uint32_t gp = s->host->group_prev(s->ctx, g, gi, 0);
            jc_flows f = jc_group_flows(s, g, gi, gp);
            rc = jc_emit(s, key, region_level, nfirms, employment, &f);
        } else {
            rc = jc_emit(s, key, region_level, nfirms, employment, NULL);
        }
        if (rc != KL_OK)
            return rc;

        /* Rows in t and none in t+1, t+1 a year of `firms`: a row for t+1. */
        if (key[0] == INT64_MAX || !jc_year_present(s, key[0] + 1))
            continue;
        key[0]++;
        if (s->host->group_find(s->ctx, g, key) == KL_NO_GROUP) {
            jc_flows f = jc_group_flows(s, g, KL_NO_GROUP, gi);
            rc = jc_emit(s, key, region_level, 0, 0, &f);
            if (rc != KL_OK)
                return rc;
        }
    }
    return KL_OK;
}

static int jc_compute(kl_ctx *ctx, const kl_host *host)
{
    static const char *const cluster_keys[] = {"year", "region", "cluster"};
    static const char *const region_keys[] = {"year", "region"};
    static const char *const need_cluster[] = {"cluster", NULL};
    jc_state s;
    const kl_groups *gc, *gr;
    size_t nrows, nreg;
    int rc;

    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.host = host;
    if ((rc = host->rows(ctx, "firms", &nrows)) != KL_OK ||
        (rc = host->column(ctx, "firms", "firm", &s.firm)) != KL_OK ||
        (rc = host->column(ctx, "firms", "employees", &s.emp)) != KL_OK ||
        (rc = jc_find_years(&s, nrows)) != KL_OK ||
        (rc = host->group(ctx, "firms", cluster_keys, 3, NULL, &gc)) != KL_OK ||
        (rc = host->group(ctx, "firms", region_keys, 2, need_cluster, &gr)) != KL_OK)
        return rc;
    if (s.firm.type != KL_TYPE_TEXT || s.emp.type != KL_TYPE_INT)
        return host->error(ctx, KL_ERR_DATA,
                           "jobs_created: firms.firm must be text and firms.employees an integer");

    rc = host->rows(ctx, "regions", &nreg);
    if (rc == KL_OK) {
        static const char *const reg_keys[] = {"year", "region"};
        if ((rc = host->column(ctx, "regions", "employment", &s.reg_emp)) != KL_OK ||
            (rc = host->group(ctx, "regions", reg_keys, 2, NULL, &s.regions)) != KL_OK)
            return rc;
    } else if (rc != KL_ERR_NOINPUT) {
        return rc;
    }

    /* Scratch indexed by firm code. */
    uint32_t maxcode = 0;
    for (size_t r = 0; r < nrows; r++) {
        uint32_t c = klaster_code(&s.firm, r);
        if (c > maxcode)
            maxcode = c;
    }
    size_t ncodes = (size_t)maxcode + 1;
    s.m.mark = host->alloc(ctx, ncodes * sizeof *s.m.mark);
    s.m.prev = host->alloc(ctx, ncodes * sizeof *s.m.prev);
    if (!s.m.mark || !s.m.prev)
        return host->error(ctx, KL_ERR_INTERNAL, "jobs_created: out of memory (%zu firm codes)",
                           ncodes);
    memset(s.m.mark, 0, ncodes * sizeof *s.m.mark);
    s.m.stamp = 1;

    if ((rc = jc_level(&s, gc, 0)) != KL_OK)
        return rc;
    return jc_level(&s, gr, 1);
}

static const kl_plugin jc_plugin = {
    KLASTER_PLUGIN_HEADER,
    .name = "jobs_created",
    .version = "1.0.0",
    .description = "Jobs created and destroyed by each cluster and region per year: gross "
                   "job flows, their rates, and the clusters' share of regional employment",
    .source = "Davis, Haltiwanger & Schuh (1996) job flows, as in the US Census Bureau "
              "Business Dynamics Statistics (BDS); klaster spec section 3",
    .inputs = jc_inputs,
    .columns = jc_columns,
    .nkeys = 3,
    .params = NULL,
    .compute = jc_compute,
};

KLASTER_DEFINE_PLUGIN(jc_plugin)
