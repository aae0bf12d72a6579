/*
 * test_report.c -- the report's number formatting (kl_fmt) and charts
 * (kl_svg): separators, decimals, missing values, escaping, ticks, and the
 * marks each chart draws.
 */
#include "kt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kl_fmt.h"
#include "kl_svg.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

KT_TEST(fmt_fixed_separators_and_sign)
{
    char b[KL_FMT_MAX];
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, 1234567.891, 2), "1,234,567.89");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, 999, 0), "999");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, 1000, 0), "1,000");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, -1234, 0), KL_FMT_MINUS "1,234");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, -0.001, 2), "0.00");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, 0, 0), "0");
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, NAN, 2), KL_FMT_MISSING);
    KT_EQ_STR(kl_fmt_fixed(b, sizeof b, INFINITY, 2), KL_FMT_MISSING);
}

KT_TEST(fmt_num_sensible_decimals)
{
    char b[KL_FMT_MAX];
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 6543137.68), "6,543,138");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 123.4), "123");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 12.345), "12.3");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 1.2345), "1.23");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 0.12345), "0.123");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, 0.012345), "0.0123");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, -19.86), KL_FMT_MINUS "19.9");
    KT_EQ_STR(kl_fmt_num(b, sizeof b, NAN), KL_FMT_MISSING);
}

KT_TEST(fmt_compact_axis_labels)
{
    char b[KL_FMT_MAX];
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 0), "0");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 950), "950");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 2.5), "2.5");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 0.25), "0.25");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 20), "20");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 5000), "5,000");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 12500), "12.5k");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 120000), "120k");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 3200000), "3.2M");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, 2e6), "2M");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, -1.5e9), KL_FMT_MINUS "1.5B");
    KT_EQ_STR(kl_fmt_compact(b, sizeof b, NAN), KL_FMT_MISSING);
}

KT_TEST(fmt_change_arrows)
{
    char b[KL_FMT_MAX];
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 10, 7, -1), "\xe2\x86\x91 +3.00");
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 5, 7.5, -1), "\xe2\x86\x93 " KL_FMT_MINUS "2.50");
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 1500, 200, -1), "\xe2\x86\x91 +1,300");
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 4, 4, -1), "\xe2\x86\x92 0");
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 4, NAN, -1), KL_FMT_MISSING);
    KT_EQ_STR(kl_fmt_change(b, sizeof b, NAN, 4, -1), KL_FMT_MISSING);
    KT_EQ_STR(kl_fmt_change(b, sizeof b, 970, 932, 0), "\xe2\x86\x91 +38"); /* counts */
}

/* Runs fn's output through a memory stream into a malloc'd string. */
#define KT_CAPTURE(buf, stmt)                                                  \
    do {                                                                       \
        size_t len_ = 0;                                                       \
        FILE *f = open_memstream(&(buf), &len_);                               \
        KT_CHECK(f != NULL);                                                   \
        stmt;                                                                  \
        KT_CHECK(fclose(f) == 0);                                              \
    } while (0)

KT_TEST(fmt_html_escapes)
{
    char *out = NULL;
    KT_CAPTURE(out, kl_fmt_html(f, "a<b>&\"c'"));
    KT_EQ_STR(out, "a&lt;b&gt;&amp;&quot;c&#39;");
    free(out);
}

KT_TEST(svg_ticks_are_nice)
{
    double t[16];
    size_t n = kl_svg_ticks(0, 97, 6, t);
    KT_EQ_INT(n, 6);
    KT_EQ_NUM(t[0], 0);
    KT_EQ_NUM(t[1], 20);
    KT_EQ_NUM(t[5], 100);
    n = kl_svg_ticks(-13.2, 8.7, 6, t);
    KT_EQ_NUM(t[0], -15);
    KT_EQ_NUM(t[n - 1], 10);
    KT_EQ_NUM(t[1] - t[0], 5);
    n = kl_svg_ticks(5, 5, 6, t); /* one value: widened */
    KT_CHECK(n >= 2 && t[0] <= 5 && t[n - 1] > 5);
    n = kl_svg_ticks(NAN, NAN, 6, t);
    KT_CHECK(n >= 2 && t[0] < t[n - 1]);
    n = kl_svg_ticks(0, 0.0042, 5, t);
    KT_CHECK(n >= 2 && n <= 6 && t[n - 1] >= 0.0042);
}

KT_TEST(svg_palette_is_okabe_ito)
{
    KT_EQ_STR(kl_svg_color(0), "#0072B2");
    KT_EQ_STR(kl_svg_color(1), "#E69F00");
    KT_EQ_STR(kl_svg_color(KL_SVG_PALETTE_SIZE), kl_svg_color(0));
}

KT_TEST(svg_bar_chart_marks_and_labels)
{
    const char *labels[4] = {"UZ-AN", "<b>&", "UZ-QR", "UZ-XO"};
    const double vals[4] = {12.5, NAN, -3.25, 40};
    const char *notes[4] = {"1 identification", "2", "3", "4"};
    kl_svg_bars c;
    char *out = NULL;
    size_t drawn;
    memset(&c, 0, sizeof c);
    c.title = "Share & more";
    c.unit = "%";
    c.n = 4;
    c.labels = labels;
    c.values = vals;
    c.notes = notes;
    KT_CAPTURE(out, drawn = kl_svg_bar_chart(f, &c));
    KT_EQ_INT(drawn, 3);
    KT_EQ_INT(count(out, "<svg"), 1);
    KT_EQ_INT(count(out, "class=\"bar\""), 3);
    KT_CHECK(strstr(out, "data-bars=\"3\""));
    KT_CHECK(strstr(out, "&lt;b&gt;&amp;"));  /* label escaped */
    KT_CHECK(!strstr(out, "<b>&"));
    KT_CHECK(strstr(out, "Share &amp; more"));
    KT_CHECK(strstr(out, ">" KL_FMT_MISSING "<")); /* the missing value */
    KT_CHECK(strstr(out, ">12.5<"));
    KT_CHECK(strstr(out, ">" KL_FMT_MINUS "3.25<"));
    KT_CHECK(strstr(out, ">%<"));               /* the unit on the axis */
    KT_CHECK(strstr(out, ">1 identification<"));
    KT_CHECK(strstr(out, "fill=\"#0072B2\""));
    free(out);
}

KT_TEST(svg_bar_chart_all_missing)
{
    const char *labels[2] = {"a", "b"};
    const double vals[2] = {NAN, NAN};
    kl_svg_bars c;
    char *out = NULL;
    size_t drawn;
    memset(&c, 0, sizeof c);
    c.n = 2;
    c.labels = labels;
    c.values = vals;
    KT_CAPTURE(out, drawn = kl_svg_bar_chart(f, &c));
    KT_EQ_INT(drawn, 0);
    KT_EQ_INT(count(out, "class=\"bar\""), 0);
    KT_CHECK(!strstr(out, "nan") && !strstr(out, "inf"));
    free(out);
}

KT_TEST(svg_line_chart_lines_gaps_legend)
{
    const double x[4] = {2021, 2022, 2023, 2024};
    const double y[12] = {1, 2, NAN, 4,  /* a gap: two pieces */
                          NAN, NAN, NAN, NAN, /* nothing: no line */
                          1500, 1700, 1600, 1800};
    const char *names[3] = {"AN-AUT-01", "empty", "A&B"};
    kl_svg_lines c;
    char *out = NULL;
    size_t drawn;
    memset(&c, 0, sizeof c);
    c.title = "t";
    c.unit = "persons";
    c.nx = 4;
    c.x = x;
    c.nseries = 3;
    c.names = names;
    c.y = y;
    KT_CAPTURE(out, drawn = kl_svg_line_chart(f, &c));
    KT_EQ_INT(drawn, 2);
    KT_EQ_INT(count(out, "class=\"line\""), 2);
    KT_CHECK(strstr(out, "data-lines=\"2\""));
    KT_CHECK(strstr(out, "d=\"M"));
    KT_CHECK(strstr(out, ">2021<") && strstr(out, ">2024<"));
    KT_CHECK(strstr(out, ">A&amp;B<"));
    KT_CHECK(strstr(out, ">AN-AUT-01<"));
    KT_CHECK(strstr(out, ">2,000<")); /* an axis tick */
    KT_CHECK(!strstr(out, "nan") && !strstr(out, "inf"));
    /* the first series breaks at its gap: two moves */
    {
        const char *p = strstr(out, "class=\"line\"");
        const char *d = strstr(p, " d=\"");
        const char *end = strchr(d + 4, '"');
        size_t moves = 0;
        for (const char *q = d + 4; q < end; q++)
            moves += *q == 'M';
        KT_EQ_INT(moves, 2);
    }
    free(out);
}
