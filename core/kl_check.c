/*
 * kl_check.c -- `klaster check`: the data-quality report (see kl_check.h).
 *
 * Every dataset is loaded in "skip bad rows" mode so that one bad row does
 * not hide the rest of the report; the loader's counts and first examples
 * become the "bad rows" lines.  Coverage (years, regions, gaps) comes from
 * grouping by (year, region), the same engine the indicators use.
 */
#include "kl_check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kl_alloc.h"
#include "kl_group.h"

#define KL_CHECK_MAX_GAPS 12

typedef struct kl_check_state {
    const kl_check_opts *opts;
    FILE *out;
    kl_strpool *pool;
    unsigned problems;  /* errors: the data cannot be used as they are */
    unsigned warnings;  /* worth knowing, not fatal */
    unsigned datasets;  /* datasets found */
} kl_check_state;

static const char *kl_check_delim_name(char d)
{
    return d == '\t' ? "tab" : d == ';' ? "';'" : "','";
}

static double kl_check_pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void kl_check_columns(kl_check_state *st, const kl_schema *s, const kl_load_report *rep)
{
    size_t found = 0;
    for (size_t c = 0; c < s->ncols; c++)
        found += rep->found_as[c] != NULL;
    fprintf(st->out, "  columns: %zu of %zu found", found, s->ncols);
    if (found < s->ncols) {
        const char *sep = "; missing: ";
        for (size_t c = 0; c < s->ncols; c++)
            if (!rep->found_as[c]) {
                fprintf(st->out, "%s%s", sep, s->cols[c].name);
                sep = ", ";
            }
    }
    for (size_t c = 0; c < s->ncols; c++)
        if (rep->found_as[c] && strcmp(rep->found_as[c], s->cols[c].name) != 0)
            fprintf(st->out, "; %s read from '%s'", s->cols[c].name, rep->found_as[c]);
    fputc('\n', st->out);
    if (rep->extra_columns)
        fprintf(st->out, "  other columns (not used): %s\n", rep->extra_columns);
}

static void kl_check_missing_cells(kl_check_state *st, const kl_schema *s, const kl_table *t)
{
    const char *sep = "  missing cells: ";
    for (size_t c = 0; c < t->ncols; c++) {
        const kl_col *col = t->cols[c];
        const kl_schema_col *def = kl_schema_find_col(s, col->name);
        if (!col->nmissing)
            continue;
        if (def && def->empty_means) {
            fprintf(st->out, "  rows %s (empty %s): %zu (%.1f%%)\n", def->empty_means, col->name,
                    col->nmissing, kl_check_pct(col->nmissing, t->nrows));
            continue;
        }
        fprintf(st->out, "%s%s %zu (%.1f%%)", sep, col->name, col->nmissing,
                kl_check_pct(col->nmissing, t->nrows));
        sep = ", ";
    }
    if (*sep == ',')
        fputc('\n', st->out);
    else
        fprintf(st->out, "  missing cells: none\n");
}

static void kl_check_bad_rows(kl_check_state *st, const kl_schema *s, const kl_load_report *rep)
{
    if (rep->bad_rows)
        fprintf(st->out, "  rows with bad values: %llu\n", (unsigned long long)rep->bad_rows);
    if (rep->duplicate_rows) {
        fprintf(st->out, "  duplicate (");
        for (const char *const *u = s->unique; u && *u; u++)
            fprintf(st->out, "%s%s", u == s->unique ? "" : ", ", *u);
        fprintf(st->out, ") rows: %llu\n", (unsigned long long)rep->duplicate_rows);
    }
    for (size_t i = 0; i < rep->nexamples; i++)
        fprintf(st->out, "    %s\n", rep->examples[i]);
    if (rep->bad_rows + rep->duplicate_rows > rep->nexamples)
        fprintf(st->out, "    ... (%llu more)\n",
                (unsigned long long)(rep->bad_rows + rep->duplicate_rows - rep->nexamples));
    if (rep->bad_rows || rep->duplicate_rows)
        st->problems++;
}

/* Export rows every export indicator ignores (spec section 6). */
static void kl_check_ignored_exports(kl_check_state *st, const kl_table *t)
{
    const kl_col *value = kl_table_col(t, "value");
    const kl_col *product = kl_table_col(t, "product");
    const kl_col *partner = kl_table_col(t, "partner");
    uint64_t nonpos = 0, noproduct = 0, nopartner = 0, ignored = 0;

    if (!value || !product || !partner)
        return;
    for (size_t r = 0; r < t->nrows; r++) {
        int bad_value = kl_col_is_missing(value, r) || !(kl_col_num(value, r) > 0);
        int bad_product = kl_col_code(product, r) == KL_STR_MISSING;
        int bad_partner = kl_col_code(partner, r) == KL_STR_MISSING;
        nonpos += (uint64_t)bad_value;
        noproduct += (uint64_t)bad_product;
        nopartner += (uint64_t)bad_partner;
        ignored += (uint64_t)(bad_value || bad_product || bad_partner);
    }
    if (!ignored) {
        fprintf(st->out, "  rows the export indicators ignore: none\n");
        return;
    }
    fprintf(st->out,
            "  rows the export indicators ignore: %llu (value missing or <= 0: %llu, "
            "empty product: %llu, empty partner: %llu)\n",
            (unsigned long long)ignored, (unsigned long long)nonpos,
            (unsigned long long)noproduct, (unsigned long long)nopartner);
    st->warnings++;
}

static int kl_check_cmp_code(const void *a, const void *b, void *pool)
{
    return kl_strpool_cmp(pool, *(const uint32_t *)a, *(const uint32_t *)b);
}

/* Years and regions covered, and the (year, region) pairs with no rows. */
static int kl_check_coverage(kl_check_state *st, const kl_table *t, kl_error *err)
{
    static const char *const keys[] = {"year", "region"};
    kl_grouping *g = NULL;
    uint32_t *regions = NULL;
    size_t nregions = 0, ngaps = 0;
    int64_t first, last, prev;

    if (!kl_table_col(t, "year") || !kl_table_col(t, "region") || t->nrows == 0)
        return KL_OK;
    if (kl_grouping_build(&g, t, keys, 2, NULL, err) != KL_OK)
        return err->status;
    if (g->ngroups == 0) {
        kl_grouping_free(g);
        return KL_OK;
    }
    regions = kl_malloc(g->ngroups * sizeof *regions);
    if (!regions) {
        kl_grouping_free(g);
        return kl_error_oom(err, "checking coverage");
    }
    for (size_t i = 0; i < g->ngroups; i++)
        regions[nregions++] = (uint32_t)kl_grouping_key(g, i, 1);
    qsort_r(regions, nregions, sizeof *regions, kl_check_cmp_code, t->pool);
    {
        size_t u = 0;
        for (size_t i = 0; i < nregions; i++)
            if (u == 0 || regions[u - 1] != regions[i])
                regions[u++] = regions[i];
        nregions = u;
    }
    first = kl_grouping_key(g, 0, 0);
    last = kl_grouping_key(g, g->ngroups - 1, 0);
    if (first == last)
        fprintf(st->out, "  years: %lld", (long long)first);
    else
        fprintf(st->out, "  years: %lld-%lld", (long long)first, (long long)last);
    prev = first;
    for (size_t i = 0; i < g->ngroups; i++) {
        int64_t y = kl_grouping_key(g, i, 0);
        if (y > prev + 1) {
            fprintf(st->out, "%s", ngaps++ ? ", " : "; no rows in ");
            if (y == prev + 2)
                fprintf(st->out, "%lld", (long long)(prev + 1));
            else
                fprintf(st->out, "%lld-%lld", (long long)(prev + 1), (long long)(y - 1));
        }
        prev = y;
    }
    fputc('\n', st->out);
    if (ngaps)
        st->warnings++;
    fprintf(st->out, "  regions: %zu (", nregions);
    for (size_t i = 0; i < nregions; i++)
        fprintf(st->out, "%s%s", i ? " " : "", kl_strpool_get(t->pool, regions[i]));
    fprintf(st->out, ")\n");
    ngaps = 0;
    for (size_t i = 0; i < g->ngroups;) {
        int64_t y = kl_grouping_key(g, i, 0);
        size_t j = i, r = 0;
        /* Groups of one year are in region order: walk both lists. */
        for (; r < nregions; r++) {
            int64_t key[2] = {y, regions[r]};
            if (kl_grouping_find(g, key) != KL_GROUP_NONE)
                continue;
            if (ngaps < KL_CHECK_MAX_GAPS)
                fprintf(st->out, "  gap: %s has no rows in %lld\n",
                        kl_strpool_get(t->pool, regions[r]), (long long)y);
            ngaps++;
        }
        while (j < g->ngroups && kl_grouping_key(g, j, 0) == y)
            j++;
        i = j;
    }
    if (ngaps > KL_CHECK_MAX_GAPS)
        fprintf(st->out, "  ... %zu more gaps\n", ngaps - KL_CHECK_MAX_GAPS);
    if (ngaps)
        st->warnings++;
    kl_free(regions);
    kl_grouping_free(g);
    return KL_OK;
}

static int kl_check_dataset(kl_check_state *st, const kl_schema *s, kl_error *err)
{
    kl_load_opts lo;
    kl_load_report rep;
    kl_table *t = NULL;
    char *path = NULL;
    int rc;

    fprintf(st->out, "\n%s", s->name);
    rc = kl_dataset_find(st->opts->data_dir, s->name, &path, err);
    if (rc == KL_ERR_NOINPUT) {
        fprintf(st->out, ": not present\n");
        kl_error_clear(err);
        return KL_OK;
    }
    if (rc != KL_OK) {
        fprintf(st->out, "\n  ERROR: %s\n", err->msg);
        st->datasets++;
        st->problems++;
        kl_error_clear(err);
        return KL_OK;
    }
    st->datasets++;
    memset(&lo, 0, sizeof lo);
    memset(&rep, 0, sizeof rep);
    lo.csv = st->opts->csv;
    lo.skip_bad_rows = 1;
    lo.maps = st->opts->maps;
    lo.nmaps = st->opts->nmaps;
    rc = kl_dataset_load(&t, s, path, st->pool, &lo, &rep, err);
    if (rc == KL_ERR_INTERNAL) {
        kl_free(path);
        kl_load_report_clear(&rep);
        return rc;
    }
    if (rc != KL_OK) {
        fprintf(st->out, " (%s)\n  ERROR: %s\n", path, err->msg);
        st->problems++;
        kl_error_clear(err);
        rc = KL_OK;
    } else {
        fprintf(st->out, " (%s%s, delimiter %s)\n", path, rep.gzip ? ", gzip" : "",
                kl_check_delim_name(rep.delimiter));
        fprintf(st->out, "  rows: %zu\n", t->nrows);
        kl_check_columns(st, s, &rep);
        kl_check_missing_cells(st, s, t);
        kl_check_bad_rows(st, s, &rep);
        if (strcmp(s->name, "exports") == 0)
            kl_check_ignored_exports(st, t);
        rc = kl_check_coverage(st, t, err);
    }
    kl_table_free(t);
    kl_free(path);
    kl_load_report_clear(&rep);
    return rc;
}

int kl_check_run(const kl_check_opts *opts, FILE *out, kl_error *err)
{
    kl_check_state st = {.opts = opts, .out = out};
    size_t n;
    const kl_schema *all = kl_schema_all(&n);
    int rc = KL_OK;

    struct stat sb;

    if (stat(opts->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: no such folder", opts->data_dir);
    st.pool = kl_strpool_new();
    if (!st.pool)
        return kl_error_oom(err, "checking data");
    fprintf(out, "klaster check: %s\n", opts->data_dir);
    for (size_t i = 0; i < n && rc == KL_OK; i++)
        rc = kl_check_dataset(&st, &all[i], err);
    kl_strpool_free(st.pool);
    if (rc != KL_OK)
        return rc;
    if (st.datasets == 0)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: no dataset found (firms, exports, regions, "
                            "clusters as .csv, .tsv or .gz)", opts->data_dir);
    fprintf(out, "\n%s: %u problem(s), %u warning(s)\n", st.problems ? "FAILED" : "OK",
            st.problems, st.warnings);
    if (st.problems)
        return kl_error_set(err, KL_ERR_DATA, "%s: %u problem(s) in the data (see the report)",
                            opts->data_dir, st.problems);
    return KL_OK;
}
