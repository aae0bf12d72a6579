/*
 * test_dataset.c -- the dataset loader: schema checks, column mapping,
 * wanted columns, typed cells, bad rows (fail or skip), duplicate keys,
 * and finding dataset files in a folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kt.h"
#include "kl_dataset.h"

static char kt_path[4096];

static const char *write_tmp(const char *name, const char *text)
{
    snprintf(kt_path, sizeof kt_path, "%s/%s", kt_tmpdir(), name);
    kt_write_file(kt_path, text, strlen(text));
    return kt_path;
}

/* Loads text as dataset `schema`; returns the status, table in *out. */
static int load(const char *schema, const char *text, const kl_load_opts *o, kl_load_report *rep,
                kl_strpool *pool, kl_table **out, kl_error *err)
{
    const char *path = write_tmp("data.csv", text);
    return kl_dataset_load(out, kl_schema_find(schema), path, pool, o, rep, err);
}

KT_TEST(dataset_loads_typed_columns)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    const kl_col *c;
    int rc = load("firms",
                  "year,region,cluster,firm,employees,revenue,innovating\n"
                  "2020,UZ-AN,A,f1,10,1.5,1\n"
                  "2020,UZ-AN,,f2,,2e3,0\n"
                  "2021,UZ-BU,B,f1,7,,\n",
                  NULL, NULL, pool, &t, &err);
    KT_EQ_INT(rc, KL_OK);
    KT_EQ_INT(t->nrows, 3);
    c = kl_table_col(t, "employees");
    KT_CHECK(c && c->type == KL_TYPE_INT);
    KT_EQ_INT(kl_col_int(c, 0), 10);
    KT_CHECK(kl_col_is_missing(c, 1));
    KT_EQ_INT(c->nmissing, 1);
    c = kl_table_col(t, "revenue");
    KT_EQ_NUM(kl_col_num(c, 1), 2000.0);
    KT_CHECK(kl_col_is_missing(c, 2));
    c = kl_table_col(t, "cluster");
    KT_EQ_INT(kl_col_code(c, 1), KL_STR_MISSING);
    KT_EQ_STR(kl_strpool_get(pool, kl_col_code(c, 2)), "B");
    /* The same firm id in two rows is one code. */
    c = kl_table_col(t, "firm");
    KT_EQ_INT(kl_col_code(c, 0), kl_col_code(c, 2));
    KT_EQ_INT(kl_table_row_line(t, 2), 4);
    kl_table_free(t);
    kl_strpool_free(pool);
}

KT_TEST(dataset_keeps_only_wanted_columns)
{
    static const char *const want[] = {"year", "revenue", NULL};
    kl_load_opts o = {.want = want};
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    int rc = load("firms", "year,region,cluster,firm,employees,revenue\n2020,R,C,f,1,2\n", &o, NULL,
                  pool, &t, &err);
    KT_EQ_INT(rc, KL_OK);
    KT_CHECK(kl_table_col(t, "revenue") != NULL);
    KT_CHECK(kl_table_col(t, "employees") == NULL);
    kl_table_free(t);
    kl_strpool_free(pool);
}

KT_TEST(dataset_wanted_column_absent_is_an_error)
{
    static const char *const want[] = {"year", "patents", NULL};
    kl_load_opts o = {.want = want};
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    int rc = load("firms", "year,region,cluster,firm\n2020,R,C,f\n", &o, NULL, pool, &t, &err);
    KT_EQ_INT(rc, KL_ERR_DATA);
    KT_CONTAINS(err.msg, "data.csv:1: missing required column(s) patents");
    KT_CONTAINS(err.msg, "--map firms.patents=YOUR_NAME");
    KT_CHECK(t == NULL);
    kl_strpool_free(pool);
}

KT_TEST(dataset_unknown_wanted_column_is_usage)
{
    static const char *const want[] = {"year", "nonsense", NULL};
    kl_load_opts o = {.want = want};
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n", &o, NULL, pool, &t, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "no column 'nonsense'");
    kl_strpool_free(pool);
}

KT_TEST(dataset_column_mapping)
{
    kl_colmap m;
    kl_error err;
    kl_load_opts o;
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    KT_EQ_INT(kl_colmap_parse(&m, "firms.employees=headcount", &err), KL_OK);
    memset(&o, 0, sizeof o);
    o.maps = &m;
    o.nmaps = 1;
    KT_EQ_INT(load("firms", "year,region,cluster,firm,headcount\n2020,R,C,f,12\n", &o, NULL, pool,
                   &t, &err),
              KL_OK);
    KT_EQ_INT(kl_col_int(kl_table_col(t, "employees"), 0), 12);
    kl_table_free(t);
    kl_colmap_clear(&m);
    kl_strpool_free(pool);
}

KT_TEST(dataset_bad_mappings)
{
    kl_colmap m;
    kl_error err;
    KT_EQ_INT(kl_colmap_parse(&m, "firms.employees", &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "DATASET.COLUMN=NAME");
    KT_EQ_INT(kl_colmap_parse(&m, "farms.employees=x", &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "no dataset 'farms'");
    KT_EQ_INT(kl_colmap_parse(&m, "firms.staff=x", &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "has no column 'staff'");
}

KT_TEST(dataset_bad_value_names_line_and_column)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    int rc = load("firms", "year,region,cluster,firm,employees\n2020,R,C,f,1\n2021,R,C,f,12a\n",
                  NULL, NULL, pool, &t, &err);
    KT_EQ_INT(rc, KL_ERR_DATA);
    KT_CONTAINS(err.msg, "data.csv:3:12: column 'employees': expected an integer, got \"12a\"");
    kl_strpool_free(pool);
}

KT_TEST(dataset_number_edge_cases)
{
    static const char *const bad[] = {"1e309", "-1e309", "NaN", "inf", "1,5", "0x10", "1.2.3", "1 000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        kl_strpool *pool = kl_strpool_new();
        kl_table *t;
        kl_error err;
        snprintf(text, sizeof text, "year;region;cluster;firm;revenue;employees\n2020;R;C;f;%s;1\n",
                 bad[i]);
        KT_EQ_INT(load("firms", text, NULL, NULL, pool, &t, &err), KL_ERR_DATA);
        KT_CONTAINS(err.msg, "column 'revenue'");
        kl_strpool_free(pool);
    }
}

KT_TEST(dataset_integer_past_int64_is_an_error)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm,patents\n2020,R,C,f,99999999999999999999\n",
                   NULL, NULL, pool, &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "(out of range)");
    kl_strpool_free(pool);
}

KT_TEST(dataset_integers_past_2_53_and_negative_zero)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm,patents,revenue\n2020,R,C,f,9007199254740993,-0\n",
                   NULL, NULL, pool, &t, &err),
              KL_OK);
    KT_CHECK(kl_col_int(kl_table_col(t, "patents"), 0) == INT64_C(9007199254740993));
    KT_CHECK(kl_col_num(kl_table_col(t, "revenue"), 0) == 0.0);
    kl_table_free(t);
    kl_strpool_free(pool);
}

KT_TEST(dataset_flag_column_accepts_only_0_and_1)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm,innovating\n2020,R,C,f,2\n", NULL, NULL, pool,
                   &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "expected 0 or 1, got \"2\"");
    kl_strpool_free(pool);
}

KT_TEST(dataset_identity_cells_must_not_be_empty)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n2020,R,C,\n", NULL, NULL, pool, &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "data.csv:2:10: column 'firm' must not be empty");
    kl_strpool_free(pool);
}

KT_TEST(dataset_ragged_row)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n2020,R,C,f,extra\n", NULL, NULL, pool, &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "data.csv:2:");
    KT_CONTAINS(err.msg, "expected 4 cells (as in the header), found 5");
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n2020,R\n", NULL, NULL, pool, &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "found 2");
    kl_strpool_free(pool);
}

KT_TEST(dataset_header_problems)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm,year\n", NULL, NULL, pool, &t, &err), KL_ERR_DATA);
    KT_CONTAINS(err.msg, "duplicate column name 'year' (columns 1 and 5)");
    KT_EQ_INT(load("firms", "year,region,,cluster,firm\n", NULL, NULL, pool, &t, &err), KL_ERR_DATA);
    KT_CONTAINS(err.msg, "column 3 has an empty name");
    KT_EQ_INT(load("firms", "", NULL, NULL, pool, &t, &err), KL_ERR_DATA);
    KT_CONTAINS(err.msg, "empty file");
    kl_strpool_free(pool);
}

KT_TEST(dataset_header_only_is_zero_rows)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n", NULL, NULL, pool, &t, &err), KL_OK);
    KT_EQ_INT(t->nrows, 0);
    kl_table_free(t);
    kl_strpool_free(pool);
}

KT_TEST(dataset_duplicate_key_names_both_lines)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(load("firms", "year,region,cluster,firm\n2020,R,C,f\n2021,R,C,f\n2020,S,D,f\n", NULL,
                   NULL, pool, &t, &err),
              KL_ERR_DATA);
    KT_CONTAINS(err.msg, "data.csv:4: duplicate row for year 2020, firm 'f' (first at line 2)");
    kl_strpool_free(pool);
}

KT_TEST(dataset_skip_bad_rows_counts_and_keeps_the_rest)
{
    kl_load_opts o;
    kl_load_report rep;
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    memset(&o, 0, sizeof o);
    memset(&rep, 0, sizeof rep);
    o.skip_bad_rows = 1;
    KT_EQ_INT(load("firms",
                   "year,region,cluster,firm,employees\n"
                   "2020,R,C,f1,1\n"
                   "2020,R,C,f2,x\n"  /* bad value */
                   "2020,R,C\n"       /* ragged */
                   "2020,R,C,f1,3\n"  /* duplicate of line 2 */
                   "2020,R,C,f3,4\n",
                   &o, &rep, pool, &t, &err),
              KL_OK);
    KT_EQ_INT(t->nrows, 2);
    KT_EQ_INT(rep.rows_read, 5);
    KT_EQ_INT(rep.bad_rows, 2);
    KT_EQ_INT(rep.duplicate_rows, 1);
    KT_EQ_INT(rep.nexamples, 3);
    KT_CONTAINS(rep.examples[0], "data.csv:3:");
    KT_CONTAINS(rep.examples[2], "data.csv:5: duplicate row");
    KT_EQ_INT(kl_col_int(kl_table_col(t, "employees"), 1), 4);
    /* The line map survives dropping the duplicate. */
    KT_EQ_INT(kl_table_row_line(t, 1), 6);
    kl_table_free(t);
    kl_load_report_clear(&rep);
    kl_strpool_free(pool);
}

KT_TEST(dataset_report_lists_found_and_extra_columns)
{
    kl_load_report rep;
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    memset(&rep, 0, sizeof rep);
    KT_EQ_INT(load("regions", "year\tregion\tnote\temployment\n2020\tR\thi\t5\n", NULL, &rep, pool, &t,
                   &err),
              KL_OK);
    KT_EQ_INT(rep.delimiter, '\t');
    KT_EQ_STR(rep.found_as[0], "year");
    KT_CHECK(rep.found_as[2] == NULL); /* population */
    KT_EQ_STR(rep.extra_columns, "note");
    kl_table_free(t);
    kl_load_report_clear(&rep);
    kl_strpool_free(pool);
}

KT_TEST(dataset_missing_file_is_noinput)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    KT_EQ_INT(kl_dataset_load(&t, kl_schema_find("firms"), "/nonexistent/firms.csv", pool, NULL, NULL,
                              &err),
              KL_ERR_NOINPUT);
    KT_CONTAINS(err.msg, "/nonexistent/firms.csv");
    kl_strpool_free(pool);
}

KT_TEST(dataset_find_files)
{
    kl_error err;
    char *path;
    char p[4096];
    KT_EQ_INT(kl_dataset_find(kt_tmpdir(), "firms", &path, &err), KL_ERR_NOINPUT);
    snprintf(p, sizeof p, "%s/firms.tsv.gz", kt_tmpdir());
    kt_write_file(p, "x", 1);
    KT_EQ_INT(kl_dataset_find(kt_tmpdir(), "firms", &path, &err), KL_OK);
    KT_EQ_STR(path, p);
    free(path);
    snprintf(p, sizeof p, "%s/firms.csv", kt_tmpdir());
    kt_write_file(p, "x", 1);
    KT_EQ_INT(kl_dataset_find(kt_tmpdir(), "firms", &path, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "more than one file for dataset 'firms'");
    KT_EQ_INT(kl_dataset_find("/nonexistent", "firms", &path, &err), KL_ERR_NOINPUT);
}

/*
 * Firm ids repeat in the same order year after year, so the loader follows
 * the earlier year instead of hashing each id (kl_load_text_follow).  Every
 * kind of break in the order must still give each row the code of its own
 * text: exits (one, two and 40 in a row), entrants (one, and a new
 * cluster's 700), bad rows (invalid UTF-8, an empty id, a ragged row, a bad
 * number) dropped in the middle of batches, a year in reverse order
 * (following fails, back to hashing), and a duplicate.
 */
KT_TEST(dataset_text_follows_earlier_years_exactly)
{
    enum { NF = 12000, MAXROWS = 80000 };
    static char ids[MAXROWS + 2][24]; /* expected id by line; "" = not kept */
    kl_load_opts o;
    kl_load_report rep;
    kl_strpool *pool = kl_strpool_new();
    kl_table *t;
    kl_error err;
    size_t cap = (size_t)MAXROWS * 64, len = 0;
    char *csv = malloc(cap);
    unsigned order[NF], seed = 7;
    uint64_t line = 1, nbad = 0;
    KT_CHECK(csv != NULL);
    for (unsigned i = 0; i < NF; i++)
        order[i] = i;
    for (unsigned i = NF - 1; i > 0; i--) { /* a fixed shuffle */
        seed = seed * 1103515245u + 12345u;
        unsigned j = (seed >> 8) % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    len += (size_t)snprintf(csv + len, cap - len, "year,region,cluster,firm,employees\n");
#define ROW(year, id, emp)                                                                         \
    do {                                                                                           \
        line++;                                                                                    \
        len += (size_t)snprintf(csv + len, cap - len, "%d,R,C,%s,%s\n", year, id, emp);            \
        snprintf(ids[line], sizeof ids[line], "%s", id);                                          \
    } while (0)
    char id[24];
    for (int year = 2019; year <= 2023; year++) {
        for (unsigned k = 0; k < NF; k++) {
            unsigned i = year == 2022 ? order[NF - 1 - k] : order[k];
            int exit_ = year >= 2020 && (i % 23 == 5 || (i % 97 == 3 && year != 2022) || (k >= 5000 && k < 5040 && year == 2021));
            if (exit_)
                continue;
            snprintf(id, sizeof id, "F%07u", i * 7919u % 10000000u);
            ROW(year, id, "1");
            if (year >= 2020 && i % 31 == 0) { /* an entrant after it */
                snprintf(id, sizeof id, "N%d-%u", year, i);
                ROW(year, id, "2");
            }
            if (year == 2020 && k == 9000) /* a new cluster's firms */
                for (unsigned n = 0; n < 700; n++) {
                    snprintf(id, sizeof id, "C%u", n);
                    ROW(year, id, "3");
                }
            if (year == 2021 && k % 400 == 7) { /* bad rows, not kept */
                static const char *const bad[] = {"2021,R,C,\xff\xfe,1\n", "2021,R,C,,1\n",
                                                  "2021,R,C\n", "2021,R,C,Fbad,x\n"};
                for (int twice = 0; twice <= ((k / 400) % 4 == 0); twice++) { /* the same bad text again */
                    line++;
                    nbad++;
                    len += (size_t)snprintf(csv + len, cap - len, "%s", bad[(k / 400) % 4]);
                }
            }
        }
    }
    /* a duplicate (year, firm) of the first row: dropped */
    snprintf(id, sizeof id, "F%07u", order[0] * 7919u % 10000000u);
    line++;
    len += (size_t)snprintf(csv + len, cap - len, "2019,R,C,%s,9\n", id);
#undef ROW
    KT_CHECK(line < MAXROWS && len < cap);
    memset(&o, 0, sizeof o);
    memset(&rep, 0, sizeof rep);
    o.skip_bad_rows = 1;
    KT_EQ_INT(load("firms", csv, &o, &rep, pool, &t, &err), KL_OK);
    KT_EQ_INT(rep.bad_rows, nbad);
    KT_CHECK(nbad >= 4);
    KT_EQ_INT(rep.duplicate_rows, 1);
    /* most of 2021 and part of 2020 went by following */
    if (rep.text_followed <= (uint64_t)NF / 2)
        kt_fail(__FILE__, __LINE__, "followed %llu", (unsigned long long)rep.text_followed);
    const kl_col *firm = kl_table_col(t, "firm");
    for (size_t r = 0; r < t->nrows; r++) {
        uint64_t at = kl_table_row_line(t, r);
        const char *got = kl_strpool_get(pool, kl_col_code(firm, r));
        if (at > line || !got || strcmp(got, ids[at]) != 0)
            kt_fail(__FILE__, __LINE__, "row %zu (line %llu): firm %s, expected %s", r,
                    (unsigned long long)at, got ? got : "(none)", at <= line ? ids[at] : "?");
    }
    KT_EQ_INT(t->nrows, line - 1 - rep.bad_rows - rep.duplicate_rows);
    kl_table_free(t);
    kl_load_report_clear(&rep);
    kl_strpool_free(pool);
    free(csv);
}
