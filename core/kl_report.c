/*
 * kl_report.c -- the HTML report of a run (see kl_report.h).
 *
 * The page is built in a memory stream and written with
 * kl_write_file_atomic, so a reader never sees half a report.  The run's
 * CSV outputs are read back into small string tables (kl_rtab): reports
 * are about regions and clusters, hundreds of rows, not millions.
 */
#include "kl_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "klaster.h"
#include "kl_alloc.h"
#include "kl_check.h"
#include "kl_csv.h"
#include "kl_fmt.h"
#include "kl_lua.h"
#include "kl_pipeline.h"
#include "kl_runs.h"
#include "kl_svg.h"
#include "kl_writer.h"

#define KL_REP_MAX_TABLES 32
#define KL_REP_MAX_YEARS 64
#define KL_REP_MAX_REGIONS 256
#define KL_REP_MAX_CLUSTERS 1024

/* ---- a step's output read back as strings ------------------------------- */

typedef struct kl_rtab {
    char *name;
    int loaded;      /* 1 when the file was read */
    size_t ncols, nrows, cap;
    char **head;     /* ncols names */
    char **cells;    /* nrows * ncols; NULL = empty cell */
} kl_rtab;

static void kl_rtab_free(kl_rtab *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        kl_free(t->head[i]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        kl_free(t->cells[i]);
    kl_free(t->head);
    kl_free(t->cells);
    kl_free(t->name);
    memset(t, 0, sizeof *t);
}

static int kl_rtab_add_row(kl_rtab *t, const kl_field *fs, size_t n, kl_error *err)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char **cells = kl_reallocarray(t->cells, cap * t->ncols, sizeof *cells);
        if (!cells)
            return kl_error_oom(err, "reading a result for the report");
        t->cells = cells;
        t->cap = cap;
    }
    /* The whole row is NULL first: a failed copy counts the row in (below),
     * and kl_rtab_free() must not see the cells after it uninitialised. */
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = NULL;
    for (size_t c = 0; c < t->ncols; c++) {
        char **cell = &t->cells[t->nrows * t->ncols + c];
        if (c < n && fs[c].len && !(*cell = kl_strndup(fs[c].ptr, fs[c].len))) {
            t->nrows++; /* so the cells already copied are freed */
            return kl_error_oom(err, "reading a result for the report");
        }
    }
    t->nrows++;
    return KL_OK;
}

static int kl_rtab_read(kl_rtab *t, const char *path, kl_error *err)
{
    kl_csv *csv = NULL;
    const kl_field *fs;
    size_t n;
    int rc, got;

    if ((rc = kl_csv_open(&csv, path, NULL, err)) != KL_OK)
        return rc;
    got = kl_csv_next_row(csv, &fs, &n, err);
    if (got == 1) {
        if (!(t->head = kl_calloc(n ? n : 1, sizeof *t->head)))
            rc = kl_error_oom(err, "reading a result for the report");
        for (size_t c = 0; c < n && rc == KL_OK; c++, t->ncols++)
            if (!(t->head[c] = kl_strndup(fs[c].ptr, fs[c].len)))
                rc = kl_error_oom(err, "reading a result for the report");
        while (rc == KL_OK && (got = kl_csv_next_row(csv, &fs, &n, err)) == 1)
            rc = kl_rtab_add_row(t, fs, n, err);
    }
    if (rc == KL_OK && got < 0)
        rc = err->status;
    kl_csv_close(csv);
    t->loaded = rc == KL_OK;
    return rc;
}

static int kl_rtab_col(const kl_rtab *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0)
            return (int)c;
    return -1;
}

static const char *kl_rtab_get(const kl_rtab *t, size_t row, int col)
{
    return col < 0 ? NULL : t->cells[row * t->ncols + (size_t)col];
}

static double kl_rtab_num(const kl_rtab *t, size_t row, int col)
{
    const char *s = kl_rtab_get(t, row, col);
    char *end;
    double v;
    if (!s)
        return NAN;
    v = strtod(s, &end);
    return *end ? NAN : v;
}

/* ---- the report's state ------------------------------------------------- */

typedef struct kl_rep {
    const kl_report_opts *o;
    FILE *f;
    const kl_registry *reg;
    char manifest[4096 + 32];
    kl_rtab tabs[KL_REP_MAX_TABLES];
    size_t ntabs;
    long years[KL_REP_MAX_YEARS];
    size_t nyears;
    const char *regions[KL_REP_MAX_REGIONS];
    size_t nregions;
    int nfigure;
} kl_rep;

/* The output of step `name`, read on first use; NULL when the run has none. */
static const kl_rtab *kl_rep_table(kl_rep *r, const char *name, kl_error *err)
{
    static const char *const exts[] = {".csv", ".csv.gz"};
    char path[4096 + 300];
    kl_rtab *t;

    for (size_t i = 0; i < r->ntabs; i++)
        if (strcmp(r->tabs[i].name, name) == 0)
            return r->tabs[i].loaded ? &r->tabs[i] : NULL;
    if (r->ntabs == KL_REP_MAX_TABLES)
        return NULL;
    t = &r->tabs[r->ntabs];
    if (!(t->name = kl_strdup(name))) {
        kl_error_oom(err, "the report");
        return NULL;
    }
    r->ntabs++;
    for (size_t e = 0; e < 2; e++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s%s", r->o->run_dir, name, exts[e]);
        if (stat(path, &st) != 0)
            continue;
        if (kl_rtab_read(t, path, err) != KL_OK)
            return NULL;
        return t;
    }
    return NULL;
}

static const kl_column_def *kl_rep_coldef(const kl_rep *r, const char *step, const char *column)
{
    const kl_step_def *d = r->reg ? kl_registry_find(r->reg, step) : NULL;
    if (!d)
        return NULL;
    for (const kl_column_def *c = d->desc->columns; c->name; c++)
        if (strcmp(c->name, column) == 0)
            return c;
    return NULL;
}

static const char *kl_rep_unit(const kl_rep *r, const char *step, const char *column)
{
    const kl_column_def *c = kl_rep_coldef(r, step, column);
    return c && c->unit ? c->unit : "";
}

/* Row of t for (year, region, cluster) -- cluster NULL: any; SIZE_MAX if none. */
static size_t kl_rep_find(const kl_rtab *t, long year, const char *region, const char *cluster)
{
    int cy = kl_rtab_col(t, "year"), cr = kl_rtab_col(t, "region"), cc = kl_rtab_col(t, "cluster");
    for (size_t i = 0; i < t->nrows; i++) {
        const char *y = kl_rtab_get(t, i, cy), *g = kl_rtab_get(t, i, cr), *c = kl_rtab_get(t, i, cc);
        if (y && strtol(y, NULL, 10) == year && (!region || (g && strcmp(g, region) == 0)) &&
            (!cluster || (c && strcmp(c, cluster) == 0)))
            return i;
    }
    return SIZE_MAX;
}

/* A value of step.column for (year, region, cluster); one_minus: 1 - v. */
static double kl_rep_value(kl_rep *r, const char *step, const char *column, int one_minus,
                           long year, const char *region, const char *cluster)
{
    kl_error err;
    const kl_rtab *t = kl_rep_table(r, step, &err);
    size_t row;
    double v;
    if (!t || (row = kl_rep_find(t, year, region, cluster)) == SIZE_MAX)
        return NAN;
    v = kl_rtab_num(t, row, kl_rtab_col(t, column));
    return one_minus ? 1 - v : v;
}

static int kl_rep_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int kl_rep_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Years and regions, from the region rows (cluster "*") of the mission
 * indicators' outputs. */
static void kl_rep_axes(kl_rep *r, const char *const *steps, size_t nsteps)
{
    kl_error err;
    for (size_t s = 0; s < nsteps; s++) {
        const kl_rtab *t = kl_rep_table(r, steps[s], &err);
        int cy, cr, cc;
        if (!t)
            continue;
        cy = kl_rtab_col(t, "year"), cr = kl_rtab_col(t, "region"), cc = kl_rtab_col(t, "cluster");
        for (size_t i = 0; i < t->nrows; i++) {
            const char *y = kl_rtab_get(t, i, cy), *g = kl_rtab_get(t, i, cr), *c = kl_rtab_get(t, i, cc);
            size_t k;
            long yv;
            if (!y || !g)
                continue;
            yv = strtol(y, NULL, 10);
            for (k = 0; k < r->nyears && r->years[k] != yv; k++)
                ;
            if (k == r->nyears && r->nyears < KL_REP_MAX_YEARS)
                r->years[r->nyears++] = yv;
            if (c && strcmp(c, "*") != 0)
                continue;
            for (k = 0; k < r->nregions && strcmp(r->regions[k], g) != 0; k++)
                ;
            if (k == r->nregions && r->nregions < KL_REP_MAX_REGIONS)
                r->regions[r->nregions++] = g;
        }
    }
    qsort(r->years, r->nyears, sizeof r->years[0], kl_rep_cmp_long);
    qsort(r->regions, r->nregions, sizeof r->regions[0], kl_rep_cmp_str);
}

/* The clusters of `region` in step's output (any year), sorted. */
static size_t kl_rep_clusters(kl_rep *r, const char *step, const char *region, const char **out,
                              size_t cap)
{
    kl_error err;
    const kl_rtab *t = kl_rep_table(r, step, &err);
    size_t n = 0;
    int cr, cc;
    if (!t)
        return 0;
    cr = kl_rtab_col(t, "region"), cc = kl_rtab_col(t, "cluster");
    for (size_t i = 0; i < t->nrows; i++) {
        const char *g = kl_rtab_get(t, i, cr), *c = kl_rtab_get(t, i, cc);
        size_t k;
        if (!g || !c || strcmp(g, region) != 0 || strcmp(c, "*") == 0)
            continue;
        for (k = 0; k < n && strcmp(out[k], c) != 0; k++)
            ;
        if (k == n && n < cap)
            out[n++] = c;
    }
    qsort(out, n, sizeof *out, kl_rep_cmp_str);
    return n;
}

static long kl_rep_latest(const kl_rep *r)
{
    return r->nyears ? r->years[r->nyears - 1] : 0;
}

/* ---- what the report shows (the meaning comes from the descriptors) ------ */

typedef struct kl_rep_measure {
    const char *step;
    const char *column;
    int one_minus;      /* show 1 - value (diversification from concentration) */
    const char *label;  /* a short heading for people */
} kl_rep_measure;

static const kl_rep_measure kl_rep_missions[] = {
    {"jobs_created", "net_rate", 0, "Jobs: net job-creation rate"},
    {"budget_revenue", "budget_share", 0, "Budget: local-tax share of the budget"},
    {"innovation_activity", "innovating_share", 0, "Innovation: share of innovating firms"},
    {"export_diversification", "hhi_products_norm", 1, "Exports: diversification"},
};

static const kl_rep_measure kl_rep_headline[] = {
    {"jobs_created", "employment", 0, "Employment"},
    {"jobs_created", "net_jobs", 0, "Net jobs"},
    {"jobs_created", "jc_rate", 0, "Job-creation rate"},
    {"budget_revenue", "budget_share", 0, "Local-tax share of budget"},
    {"innovation_activity", "innovating_share", 0, "Innovating firms"},
    {"export_diversification", "export_value", 0, "Export value"},
    {"export_diversification", "hhi_products_norm", 1, "Export diversification"},
};

#define KL_N(a) (sizeof(a) / sizeof((a)[0]))

static void kl_rep_measure_name(FILE *f, const kl_rep_measure *m)
{
    fprintf(f, "%s<code>%s.%s</code>", m->one_minus ? "1 &minus; " : "", m->step, m->column);
}

/* The description of a measure from its descriptor, escaped. */
static void kl_rep_measure_desc(const kl_rep *r, const kl_rep_measure *m)
{
    const kl_column_def *c = kl_rep_coldef(r, m->step, m->column);
    if (m->one_minus)
        fputs("1 &minus; (", r->f);
    kl_fmt_html(r->f, c && c->description ? c->description : "(no description: step not found)");
    if (m->one_minus)
        fputs(")", r->f);
}

static void kl_rep_unit_html(const kl_rep *r, const kl_rep_measure *m)
{
    const char *u = m->one_minus ? "" : kl_rep_unit(r, m->step, m->column);
    if (*u) {
        fputs(" (", r->f);
        kl_fmt_html(r->f, u);
        fputs(")", r->f);
    }
}

/* ---- sections ----------------------------------------------------------- */

static const char kl_rep_css[] =
    "body{font-family:sans-serif;color:#222;background:#fff;margin:0 auto;max-width:960px;"
    "padding:16px 24px;line-height:1.4;font-size:14px}\n"
    "h1{font-size:24px;margin:8px 0}h2{font-size:19px;border-bottom:2px solid #0072B2;"
    "padding-bottom:3px;margin-top:32px}h3{font-size:15px;margin:20px 0 4px}\n"
    "table{border-collapse:collapse;margin:8px 0;font-size:12.5px}\n"
    "th,td{border-bottom:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}\n"
    "th{background:#f2f5f8}td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    ".chg{display:block;color:#555;font-size:11px}\n"
    "figure{margin:10px 0;break-inside:avoid}figcaption{font-size:12px;color:#444}\n"
    "svg.chart{max-width:100%;height:auto;display:block}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:6px 14px}\n"
    ".grid figure{margin:4px 0}.grid figcaption{font-weight:bold;color:#222}\n"
    ".meta{color:#555}.note{color:#555;font-style:italic}code{font-size:12px}\n"
    "pre{white-space:pre-wrap;font-size:11.5px;background:#f6f6f6;padding:6px}\n"
    "td.hash{font-family:monospace;font-size:11px;word-break:break-all}\n"
    "nav ol{columns:2;font-size:13px}\n"
    ".warn{color:#a34000}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}"
    "h2{break-before:page}h2.first{break-before:auto}tr,figure{break-inside:avoid}"
    "a{color:inherit;text-decoration:none}}\n";

static void kl_rep_field(kl_rep *r, const char *key, char *buf, size_t cap)
{
    if (!kl_manifest_field(r->manifest, key, buf, cap))
        snprintf(buf, cap, "%s", KL_FMT_MISSING);
}

static void kl_rep_head(kl_rep *r)
{
    char id[128], fin[64], status[32];
    FILE *f = r->f;
    kl_rep_field(r, "run_id", id, sizeof id);
    kl_rep_field(r, "finished", fin, sizeof fin);
    kl_rep_field(r, "status", status, sizeof status);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>Regional cluster indicators \xe2\x80\x94 run ", f);
    kl_fmt_html(f, id);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
               "<h1>Regional cluster indicators</h1>\n<p class=\"meta\">Run <code>", kl_rep_css);
    kl_fmt_html(f, id);
    fputs("</code>, finished ", f);
    kl_fmt_html(f, fin);
    fputs(" (", f);
    kl_fmt_html(f, status);
    fprintf(f, "). Latest year in the data: <b>%ld</b>. Made by klaster %s.</p>\n</header>\n",
            kl_rep_latest(r), KLASTER_VERSION);
    fputs("<nav><ol>\n<li><a href=\"#headline\">Regions at a glance</a></li>\n"
          "<li><a href=\"#missions\">The four missions</a></li>\n"
          "<li><a href=\"#efficiency\">Cluster efficiency ranking</a></li>\n"
          "<li><a href=\"#quality\">Data quality</a></li>\n"
          "<li><a href=\"#provenance\">Provenance</a></li>\n"
          "<li><a href=\"#definitions\">Definitions</a></li>\n</ol></nav>\n", f);
}

static void kl_rep_headline_cell(kl_rep *r, const kl_rep_measure *m, const char *region, long year)
{
    char a[KL_FMT_MAX], b[KL_FMT_MAX];
    double now = kl_rep_value(r, m->step, m->column, m->one_minus, year, region, "*");
    double before = kl_rep_value(r, m->step, m->column, m->one_minus, year - 1, region, "*");
    const kl_column_def *c = kl_rep_coldef(r, m->step, m->column);
    int whole = c && c->type == KL_TYPE_INT; /* counts have no decimals */
    fprintf(r->f, "<td class=\"n\">%s<span class=\"chg\">%s</span></td>",
            whole ? kl_fmt_fixed(a, sizeof a, now, 0) : kl_fmt_num(a, sizeof a, now),
            kl_fmt_change(b, sizeof b, now, before, whole ? 0 : -1));
}

static void kl_rep_section_headline(kl_rep *r)
{
    FILE *f = r->f;
    long y = kl_rep_latest(r);
    fprintf(f, "<section id=\"headline\">\n<h2 class=\"first\">1. Regions at a glance, %ld</h2>\n", y);
    if (!r->nregions) {
        fputs("<p class=\"note\">No regional results in this run.</p>\n</section>\n", f);
        return;
    }
    fprintf(f, "<p>Each region in %ld; below each value, the change since %ld "
               "(\xe2\x86\x91 up, \xe2\x86\x93 down). \xe2\x80\x94 means no value. "
               "Definitions are in section 6.</p>\n<table>\n<thead><tr><th>Region</th>",
            y, y - 1);
    for (size_t k = 0; k < KL_N(kl_rep_headline); k++) {
        const kl_rep_measure *m = &kl_rep_headline[k];
        fputs("<th title=\"", f);
        kl_rep_measure_desc(r, m);
        fputs("\">", f);
        kl_fmt_html(f, m->label);
        kl_rep_unit_html(r, m);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t g = 0; g < r->nregions; g++) {
        fputs("<tr><th>", f);
        kl_fmt_html(f, r->regions[g]);
        fputs("</th>", f);
        for (size_t k = 0; k < KL_N(kl_rep_headline); k++)
            kl_rep_headline_cell(r, &kl_rep_headline[k], r->regions[g], y);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n</section>\n", f);
}

/* Small multiples: one chart per region, one line per cluster. */
static void kl_rep_mission_lines(kl_rep *r, const kl_rep_measure *m)
{
    const char *clusters[16];
    double x[KL_REP_MAX_YEARS], y[16 * KL_REP_MAX_YEARS];
    FILE *f = r->f;

    for (size_t i = 0; i < r->nyears; i++)
        x[i] = (double)r->years[i];
    fputs("<div class=\"grid\">\n", f);
    for (size_t g = 0; g < r->nregions; g++) {
        size_t nc = kl_rep_clusters(r, m->step, r->regions[g], clusters, 16);
        kl_svg_lines c;
        char title[256];
        if (!nc)
            continue;
        for (size_t s = 0; s < nc; s++)
            for (size_t i = 0; i < r->nyears; i++)
                y[s * r->nyears + i] = kl_rep_value(r, m->step, m->column, m->one_minus,
                                                    r->years[i], r->regions[g], clusters[s]);
        snprintf(title, sizeof title, "%s, clusters of %s, by year", m->label, r->regions[g]);
        memset(&c, 0, sizeof c);
        c.title = title;
        c.unit = kl_rep_unit(r, m->step, m->column);
        c.nx = r->nyears;
        c.x = x;
        c.nseries = nc;
        c.names = clusters;
        c.y = y;
        c.width = 300;
        c.height = 170 + (int)((nc + 2) / 3) * 14;
        fputs("<figure><figcaption>", f);
        kl_fmt_html(f, r->regions[g]);
        fputs("</figcaption>\n", f);
        kl_svg_line_chart(f, &c);
        fputs("</figure>\n", f);
    }
    fputs("</div>\n", f);
}

static void kl_rep_mission(kl_rep *r, size_t k)
{
    const kl_rep_measure *m = &kl_rep_missions[k];
    const kl_step_def *d = r->reg ? kl_registry_find(r->reg, m->step) : NULL;
    double vals[KL_REP_MAX_REGIONS];
    kl_svg_bars b;
    kl_error err;
    char title[256];
    long y = kl_rep_latest(r);
    FILE *f = r->f;

    fprintf(f, "<h3 id=\"m-%s\">2.%zu ", m->step, k + 1);
    kl_fmt_html(f, m->label);
    fputs("</h3>\n<p>", f);
    kl_rep_measure_name(f, m);
    kl_rep_unit_html(r, m);
    fputs(": ", f);
    kl_rep_measure_desc(r, m);
    if (d) {
        fputs(". <span class=\"meta\">From the indicator: ", f);
        kl_fmt_html(f, d->desc->description);
        fputs("</span>", f);
    }
    fputs("</p>\n", f);
    if (!kl_rep_table(r, m->step, &err)) {
        fputs("<p class=\"note\">This run has no output of this step.</p>\n", f);
        return;
    }
    for (size_t g = 0; g < r->nregions; g++)
        vals[g] = kl_rep_value(r, m->step, m->column, m->one_minus, y, r->regions[g], "*");
    snprintf(title, sizeof title, "%s by region, %ld", m->label, y);
    memset(&b, 0, sizeof b);
    b.title = title;
    b.unit = m->one_minus ? "1 \xe2\x88\x92 normalised HHI (0 = one product, 1 = even spread)"
                          : kl_rep_unit(r, m->step, m->column);
    b.n = r->nregions;
    b.labels = r->regions;
    b.values = vals;
    fprintf(f, "<figure>\n<figcaption>By region, %ld</figcaption>\n", y);
    kl_svg_bar_chart(f, &b);
    fputs("</figure>\n<p class=\"meta\">Over the years, per cluster (one chart per region, one "
          "line per cluster):</p>\n", f);
    kl_rep_mission_lines(r, m);
}

static void kl_rep_section_missions(kl_rep *r)
{
    fputs("<section id=\"missions\">\n<h2>2. The four missions</h2>\n", r->f);
    for (size_t k = 0; k < KL_N(kl_rep_missions); k++)
        kl_rep_mission(r, k);
    fputs("</section>\n", r->f);
}

typedef struct kl_rep_rank {
    const char *label;
    double index;
    size_t stage;
    char stage_name[64];
    char note[96];
} kl_rep_rank;

static int kl_rep_cmp_rank(const void *a, const void *b)
{
    const kl_rep_rank *x = a, *y = b;
    int mx = isnan(x->index), my = isnan(y->index);
    if (mx || my)
        return mx - my;
    return (x->index < y->index) - (x->index > y->index);
}

/* Fills one ranked cluster's stage and type from cluster_stage. */
static void kl_rep_rank_stage(kl_rep *r, kl_rep_rank *k, long year, const char *region,
                              const char *cluster)
{
    kl_error err;
    const kl_rtab *st = kl_rep_table(r, "cluster_stage", &err);
    size_t row = st ? kl_rep_find(st, year, region, cluster) : SIZE_MAX;
    const char *stage = NULL, *name = NULL, *type = NULL;
    if (row != SIZE_MAX) {
        stage = kl_rtab_get(st, row, kl_rtab_col(st, "stage"));
        name = kl_rtab_get(st, row, kl_rtab_col(st, "stage_name"));
        type = kl_rtab_get(st, row, kl_rtab_col(st, "type"));
    }
    k->stage = stage ? (size_t)strtoul(stage, NULL, 10) : 0;
    snprintf(k->stage_name, sizeof k->stage_name, "%s %s", stage ? stage : "",
             name ? name : KL_FMT_MISSING);
    snprintf(k->note, sizeof k->note, "%s%s%s \xc2\xb7 %s", stage ? stage : "",
             stage ? " " : "", name ? name : KL_FMT_MISSING, type ? type : KL_FMT_MISSING);
}

/* The legend of the stage colours, from the stages the ranking shows. */
static void kl_rep_stage_legend(kl_rep *r, const kl_rep_rank *ranks, size_t n)
{
    int seen[17] = {0};
    fputs("<p class=\"meta\">Bar colour = development stage: ", r->f);
    for (size_t s = 0; s <= 16; s++)
        for (size_t i = 0; i < n; i++) {
            size_t k = ranks[i].stage <= 16 ? ranks[i].stage : 0;
            if (k != s || seen[k]++)
                continue;
            fprintf(r->f, "<span style=\"color:%s\">&#9632;</span> ", kl_svg_color(k ? k - 1 : 7));
            kl_fmt_html(r->f, k ? ranks[i].stage_name : "stage unknown");
            fputs(" &nbsp; ", r->f);
        }
    fputs("</p>\n", r->f);
}

static void kl_rep_section_efficiency(kl_rep *r)
{
    kl_error err;
    const kl_rtab *t = kl_rep_table(r, "cluster_efficiency", &err);
    const kl_step_def *d = r->reg ? kl_registry_find(r->reg, "cluster_efficiency") : NULL;
    long y = kl_rep_latest(r);
    kl_rep_rank *ranks = NULL;
    FILE *f = r->f;
    size_t n = 0;

    fprintf(f, "<section id=\"efficiency\">\n<h2>3. Cluster efficiency ranking, %ld</h2>\n", y);
    if (d) {
        fputs("<p>", f);
        kl_fmt_html(f, d->desc->description);
        fputs(". <code>index</code>: ", f);
        kl_rep_measure_desc(r, &(kl_rep_measure){"cluster_efficiency", "index", 0, ""});
        fputs(". Stage and type come from <code>cluster_stage</code>.</p>\n", f);
    }
    if (t && (ranks = kl_calloc(t->nrows ? t->nrows : 1, sizeof *ranks)) != NULL) {
        int cy = kl_rtab_col(t, "year"), cr = kl_rtab_col(t, "region"), cc = kl_rtab_col(t, "cluster");
        int ci = kl_rtab_col(t, "index");
        for (size_t i = 0; i < t->nrows; i++) {
            const char *yr = kl_rtab_get(t, i, cy), *c = kl_rtab_get(t, i, cc);
            if (!yr || strtol(yr, NULL, 10) != y || !c || strcmp(c, "*") == 0)
                continue;
            ranks[n].label = c;
            ranks[n].index = kl_rtab_num(t, i, ci);
            kl_rep_rank_stage(r, &ranks[n], y, kl_rtab_get(t, i, cr), c);
            n++;
        }
    }
    if (n) {
        const char **labels = kl_calloc(n, sizeof *labels), **notes = kl_calloc(n, sizeof *notes);
        double *vals = kl_calloc(n, sizeof *vals);
        size_t *cols = kl_calloc(n, sizeof *cols);
        qsort(ranks, n, sizeof *ranks, kl_rep_cmp_rank);
        if (labels && notes && vals && cols) {
            kl_svg_bars b;
            char title[128];
            for (size_t i = 0; i < n; i++) {
                labels[i] = ranks[i].label;
                notes[i] = ranks[i].note;
                vals[i] = ranks[i].index;
                cols[i] = ranks[i].stage ? ranks[i].stage - 1 : 7;
            }
            kl_rep_stage_legend(r, ranks, n);
            snprintf(title, sizeof title, "Cluster efficiency index, %ld, highest first", y);
            memset(&b, 0, sizeof b);
            b.title = title;
            b.unit = kl_rep_unit(r, "cluster_efficiency", "index");
            b.n = n;
            b.labels = labels;
            b.values = vals;
            b.notes = notes;
            b.colors = cols;
            fprintf(f, "<figure>\n<figcaption>Clusters by efficiency index, %ld, highest first "
                       "(right: stage \xc2\xb7 type)</figcaption>\n", y);
            kl_svg_bar_chart(f, &b);
            fputs("</figure>\n", f);
        }
        kl_free(labels);
        kl_free(notes);
        kl_free(vals);
        kl_free(cols);
    } else {
        fputs("<p class=\"note\">This run has no cluster efficiency results for that year.</p>\n", f);
    }
    kl_free(ranks);
    fputs("</section>\n", f);
}

/* ---- data quality: the findings of `klaster check` ----------------------- */

static int kl_rep_is_warning(const char *line)
{
    static const char *const words[] = {"missing cells", "ignore", "gap", "bad", "duplicate",
                                        "not found", "missing:"};
    if (strstr(line, ": none"))
        return 0;
    for (size_t i = 0; i < KL_N(words); i++)
        if (strstr(line, words[i]))
            return 1;
    return 0;
}

/* The check's text report as headed tables: one per dataset. */
static void kl_rep_check_html(FILE *f, char *text)
{
    int open = 0;
    for (char *line = text, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n'), *colon;
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        if (!*line || strncmp(line, "klaster check:", 14) == 0)
            continue;
        if (line[0] == ' ' && (colon = strchr(line, ':')) != NULL) {
            char *p = line;
            int warn;
            while (*p == ' ')
                p++;
            warn = kl_rep_is_warning(p); /* the whole line: "missing cells: none" is fine */
            *colon = '\0';
            fprintf(f, "<tr%s><th>", warn ? " class=\"warn\"" : "");
            kl_fmt_html(f, p);
            fputs("</th><td>", f);
            kl_fmt_html(f, colon + 1 + (colon[1] == ' '));
            fputs("</td></tr>\n", f);
            continue;
        }
        if (open)
            fputs("</table>\n", f);
        open = 0;
        if (line[0] != ' ' && strchr(line, '(') && !strchr(line, ':')) {
            fputs("<h3>", f);
            kl_fmt_html(f, line);
            fputs("</h3>\n<table>\n", f);
            open = 1;
        } else {
            fputs("<p><b>", f);
            kl_fmt_html(f, line);
            fputs("</b></p>\n", f);
        }
    }
    if (open)
        fputs("</table>\n", f);
}

static void kl_rep_section_quality(kl_rep *r, const char *data_dir, const kl_colmap *maps,
                                   size_t nmaps)
{
    FILE *f = r->f, *mem;
    char *buf = NULL;
    size_t len = 0;
    kl_check_opts co;
    kl_error err;
    int rc;

    fputs("<section id=\"quality\">\n<h2>4. Data quality</h2>\n", f);
    if (!data_dir) {
        fputs("<p class=\"note\">The datasets' folder is not known (the pipeline file named in "
              "the manifest cannot be read), so the data were not checked.</p>\n</section>\n", f);
        return;
    }
    fputs("<p>What <code>klaster check</code> finds in the input data of folder <code>", f);
    kl_fmt_html(f, data_dir);
    fputs("</code> (as it is now): rows, missing cells, rows the indicators ignore, and gaps "
          "in the years and regions covered. Lines that call for attention are "
          "<span class=\"warn\">marked</span>.</p>\n", f);
    if (!(mem = open_memstream(&buf, &len))) {
        fputs("<p class=\"note\">Out of memory: no data-quality report.</p>\n</section>\n", f);
        return;
    }
    memset(&co, 0, sizeof co);
    co.data_dir = data_dir;
    co.maps = maps;
    co.nmaps = nmaps;
    kl_error_clear(&err);
    rc = kl_check_run(&co, mem, &err);
    fclose(mem);
    kl_rep_check_html(f, buf);
    if (rc != KL_OK) {
        fputs("<p class=\"warn\"><b>The check failed:</b> ", f);
        kl_fmt_html(f, err.msg);
        fputs("</p>\n", f);
    }
    free(buf); /* open_memstream's buffer comes from malloc */
    fputs("</section>\n", f);
}

/* ---- provenance ---------------------------------------------------------- */

/* The value of "key" in one line of the manifest (a string, unescaped for
 * the simple escapes klaster writes, or a bare token); 0 when absent. */
static int kl_rep_json_get(const char *line, const char *key, char *buf, size_t cap)
{
    char pat[64];
    const char *p;
    size_t o = 0;
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    if (!(p = strstr(line, pat)))
        return 0;
    p += strlen(pat);
    if (*p == '"') {
        for (p++; *p && *p != '"' && o + 1 < cap; p++) {
            if (*p == '\\' && p[1])
                p++;
            buf[o++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && o + 1 < cap)
            buf[o++] = *p++;
    }
    buf[o] = '\0';
    return 1;
}

static char *kl_rep_read_text(const char *path)
{
    FILE *in = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!in)
        return NULL;
    if ((buf = kl_malloc((size_t)1 << 20)) != NULL) {
        n = fread(buf, 1, ((size_t)1 << 20) - 1, in);
        buf[n] = '\0';
    }
    fclose(in);
    return buf;
}

static void kl_rep_cells(FILE *f, const char *line, const char *const *keys, size_t nkeys)
{
    char v[4096];
    fputs("<tr>", f);
    for (size_t k = 0; k < nkeys; k++) {
        int hash = strcmp(keys[k], "sha256") == 0;
        if (!kl_rep_json_get(line, keys[k], v, sizeof v) || strcmp(v, "null") == 0)
            snprintf(v, sizeof v, "%s", KL_FMT_MISSING);
        if (strcmp(keys[k], "rows") == 0 || strcmp(keys[k], "size") == 0) {
            char num[KL_FMT_MAX];
            fprintf(f, "<td class=\"n\">%s</td>", kl_fmt_fixed(num, sizeof num, strtod(v, NULL), 0));
            continue;
        }
        fputs(hash ? "<td class=\"hash\">" : "<td>", f);
        kl_fmt_html(f, v);
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

/* The manifest's lines that start with `start`, as a table. */
static void kl_rep_manifest_table(FILE *f, const char *text, const char *start,
                                  const char *const *keys, const char *const *heads, size_t nkeys)
{
    char *copy = kl_strdup(text);
    if (!copy)
        return;
    fputs("<table>\n<thead><tr>", f);
    for (size_t k = 0; k < nkeys; k++)
        fprintf(f, "<th>%s</th>", heads[k]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (char *line = copy, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        while (*line == ' ')
            line++;
        if (strncmp(line, start, strlen(start)) == 0)
            kl_rep_cells(f, line, keys, nkeys);
    }
    fputs("</tbody>\n</table>\n", f);
    kl_free(copy);
}

static void kl_rep_section_provenance(kl_rep *r)
{
    static const char *const top[] = {"run_id", "status", "started", "finished", "duration_seconds",
                                      "klaster_version", "pipeline", "pipeline_sha256",
                                      "fingerprint", "changes"};
    static const char *const in_keys[] = {"dataset", "path", "rows", "size", "sha256"};
    static const char *const in_heads[] = {"Dataset", "File", "Rows", "Bytes", "SHA-256"};
    static const char *const st_keys[] = {"name", "kind", "version", "status", "rows", "sha256"};
    static const char *const st_heads[] = {"Step", "Kind", "Version", "Status", "Rows",
                                           "SHA-256 of its file"};
    char v[4096];
    char *text = kl_rep_read_text(r->manifest);
    FILE *f = r->f;

    fputs("<section id=\"provenance\">\n<h2>5. Provenance</h2>\n<p>From the run's "
          "<code>manifest.json</code>: what was computed, from which inputs, by which "
          "versions, when.</p>\n<table>\n", f);
    for (size_t k = 0; k < KL_N(top); k++) {
        if (!kl_manifest_field(r->manifest, top[k], v, sizeof v))
            snprintf(v, sizeof v, "%s", KL_FMT_MISSING);
        fprintf(f, "<tr><th>%s</th><td%s>", top[k],
                strstr(top[k], "sha") || strcmp(top[k], "fingerprint") == 0 ? " class=\"hash\"" : "");
        kl_fmt_html(f, v);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (text) {
        fputs("<h3>Inputs</h3>\n", f);
        kl_rep_manifest_table(f, text, "{\"dataset\": ", in_keys, in_heads, KL_N(in_keys));
        fputs("<h3>Steps</h3>\n", f);
        kl_rep_manifest_table(f, text, "{\"name\": ", st_keys, st_heads, KL_N(st_keys));
        kl_free(text);
    }
    fputs("</section>\n", f);
}

/* ---- definitions, from the descriptors ----------------------------------- */

static const char *kl_rep_type_name(int t)
{
    return t == KL_TYPE_INT ? "integer" : t == KL_TYPE_NUM ? "number" : "text";
}

static void kl_rep_definition(kl_rep *r, const kl_step_def *d)
{
    const kl_plugin *p = d->desc;
    FILE *f = r->f;
    fprintf(f, "<h3 id=\"def-%s\"><code>%s</code> <span class=\"meta\">(%s, version ", p->name,
            p->name, d->kind == KL_STEP_PLUGIN ? "C plugin" : "Lua script");
    kl_fmt_html(f, p->version);
    fputs(")</span></h3>\n<p>", f);
    kl_fmt_html(f, p->description);
    fputs("</p>\n<p class=\"meta\">Source: ", f);
    kl_fmt_html(f, p->source && *p->source ? p->source : KL_FMT_MISSING);
    fputs("</p>\n<table>\n<thead><tr><th>Column</th><th>Type</th><th>Unit</th><th>Meaning</th>"
          "</tr></thead>\n<tbody>\n", f);
    for (const kl_column_def *c = p->columns; c->name; c++) {
        fputs("<tr><td><code>", f);
        kl_fmt_html(f, c->name);
        fprintf(f, "</code></td><td>%s</td><td>", kl_rep_type_name(c->type));
        kl_fmt_html(f, c->unit && *c->unit ? c->unit : KL_FMT_MISSING);
        fputs("</td><td>", f);
        kl_fmt_html(f, c->description);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void kl_rep_section_definitions(kl_rep *r)
{
    size_t shown = 0;
    kl_error err;
    fputs("<section id=\"definitions\">\n<h2>6. Definitions</h2>\n<p>Every indicator of this run "
          "as its plugin or script describes itself (the same text as "
          "<code>klaster info NAME</code>).</p>\n", r->f);
    for (size_t i = 0; r->reg && i < r->reg->n; i++)
        if (kl_rep_table(r, r->reg->steps[i].desc->name, &err)) {
            kl_rep_definition(r, &r->reg->steps[i]);
            shown++;
        }
    if (!shown)
        fputs("<p class=\"note\">No plugin or script of this run was found, so their definitions "
              "cannot be shown (give --plugin-path / --script-path).</p>\n", r->f);
    fputs("</section>\n", r->f);
}

/* ---- putting it together ------------------------------------------------- */

static int kl_rep_build(kl_rep *r, const char *data_dir, const kl_colmap *maps, size_t nmaps,
                        kl_error *err)
{
    const char *steps[KL_N(kl_rep_missions)];
    for (size_t k = 0; k < KL_N(kl_rep_missions); k++)
        steps[k] = kl_rep_missions[k].step;
    kl_rep_axes(r, steps, KL_N(steps));
    kl_rep_head(r);
    kl_rep_section_headline(r);
    kl_rep_section_missions(r);
    kl_rep_section_efficiency(r);
    kl_rep_section_quality(r, data_dir, maps, nmaps);
    kl_rep_section_provenance(r);
    kl_rep_section_definitions(r);
    fprintf(r->f, "<footer><p class=\"meta\">klaster %s \xe2\x80\x94 this page is self-contained: "
                  "it loads nothing from anywhere.</p></footer>\n</body>\n</html>\n",
            KLASTER_VERSION);
    (void)err;
    return KL_OK;
}

/* The pipeline's datasets' column maps, as one array (shallow copies). */
static kl_colmap *kl_rep_pipeline_maps(const kl_pipeline *p, size_t *n)
{
    size_t total = 0, o = 0;
    kl_colmap *m;
    for (size_t i = 0; i < p->ndatasets; i++)
        total += p->datasets[i].nmaps;
    *n = 0;
    if (!total || !(m = kl_calloc(total, sizeof *m)))
        return NULL;
    for (size_t i = 0; i < p->ndatasets; i++)
        for (size_t k = 0; k < p->datasets[i].nmaps; k++)
            m[o++] = p->datasets[i].maps[k];
    *n = o;
    return m;
}

/* The pipeline: the caller's, or the file the manifest names read into
 * *own (*have set); NULL when neither is there. */
static const kl_pipeline *kl_rep_pipeline(const kl_report_opts *o, const char *manifest,
                                          kl_pipeline *own, int *have)
{
    char path[4096];
    kl_error perr;
    *have = 0;
    if (o->pipeline)
        return o->pipeline;
    if (o->reg && o->data_dir)
        return NULL; /* nothing needed from it */
    if (!kl_manifest_field(manifest, "pipeline", path, sizeof path))
        return NULL;
    *have = kl_pipeline_load(own, path, &perr) == KL_OK;
    if (!*have)
        kl_pipeline_free(own);
    return *have ? own : NULL;
}

int kl_report_write(const kl_report_opts *o, kl_error *err)
{
    kl_rep *r = kl_calloc(1, sizeof *r);
    kl_registry own = {0};
    kl_pipeline p;
    const kl_pipeline *pp;
    int have_p = 0, rc = KL_OK;
    char *buf = NULL;
    size_t len = 0, nmaps = o->nmaps;
    kl_colmap *pmaps = NULL;
    const kl_colmap *maps = o->maps;
    const char *data_dir = o->data_dir;
    struct stat st;

    if (!r)
        return kl_error_oom(err, "writing the report");
    memset(&p, 0, sizeof p);
    r->o = o;
    r->reg = o->reg;
    snprintf(r->manifest, sizeof r->manifest, "%s/manifest.json", o->run_dir);
    if (stat(r->manifest, &st) != 0) {
        kl_free(r);
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: not a run folder (no manifest.json)", o->run_dir);
    }
    pp = kl_rep_pipeline(o, r->manifest, &p, &have_p);
    if (pp && !data_dir) {
        data_dir = pp->data_dir;
        maps = pmaps = kl_rep_pipeline_maps(pp, &nmaps);
    }
    if (!r->reg) {
        kl_lua_limits lim = {0, 0};
        const char *plp = o->plugin_path ? o->plugin_path : pp ? pp->plugin_path : NULL;
        const char *scp = o->script_path ? o->script_path : pp ? pp->script_path : NULL;
        if ((rc = kl_registry_load(&own, plp, err)) == KL_OK)
            rc = kl_lua_load_path(&own, scp, &lim, err);
        r->reg = &own;
    }
    if (rc == KL_OK && !(r->f = open_memstream(&buf, &len)))
        rc = kl_error_oom(err, "writing the report");
    if (rc == KL_OK) {
        rc = kl_rep_build(r, data_dir, maps, nmaps, err);
        if (fclose(r->f) != 0 && rc == KL_OK)
            rc = kl_error_oom(err, "writing the report");
        if (rc == KL_OK)
            rc = kl_write_file_atomic(o->out_path, buf, len, err);
    }
    free(buf); /* open_memstream's buffer comes from malloc */
    for (size_t i = 0; i < r->ntabs; i++)
        kl_rtab_free(&r->tabs[i]);
    kl_free(pmaps);
    if (have_p)
        kl_pipeline_free(&p);
    kl_registry_free(&own);
    kl_free(r);
    return rc;
}
