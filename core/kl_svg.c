/*
 * kl_svg.c -- bar and line charts as inline SVG (see kl_svg.h).
 */
#include "kl_svg.h"

#include <math.h>
#include <string.h>

#include "kl_fmt.h"

/* Okabe & Ito (2008), yellow last: it is faint on white paper. */
static const char *const kl_svg_palette[KL_SVG_PALETTE_SIZE] = {
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
static const char *const kl_svg_dashes[4] = {"", "6 3", "2 2", "8 3 2 3"};

#define KL_SVG_FONT "font-family=\"sans-serif\" font-size=\"11\" fill=\"#222\""

const char *kl_svg_color(size_t i)
{
    return kl_svg_palette[i % KL_SVG_PALETTE_SIZE];
}

static int kl_svg_ok(double v)
{
    return v - v == 0;
}

size_t kl_svg_ticks(double lo, double hi, size_t max, double *ticks)
{
    double span, raw, mag, step, first;
    size_t n = 0;

    if (!kl_svg_ok(lo) || !kl_svg_ok(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi == lo) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= lo == 0 ? 0 : pad;
        hi += pad;
    }
    if (max < 2)
        max = 2;
    span = hi - lo;
    raw = span / (double)(max - 1);
    mag = pow(10, floor(log10(raw)));
    step = raw <= mag ? mag : raw <= 2 * mag ? 2 * mag : raw <= 5 * mag ? 5 * mag : 10 * mag;
    first = floor(lo / step + 1e-9) * step;
    for (double t = first; n < max + 1; t += step) {
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
        if (t >= hi - step * 1e-9)
            break;
    }
    if (n < 2)
        ticks[n++] = first + step;
    return n;
}

/* A text element; anchor is "start", "middle" or "end". */
static void kl_svg_text(FILE *f, double x, double y, const char *anchor, const char *extra,
                        const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s%s>", x, y, anchor, KL_SVG_FONT,
            extra ? extra : "");
    kl_fmt_html(f, s);
    fputs("</text>\n", f);
}

static void kl_svg_open(FILE *f, int w, int h, const char *kind, size_t marks, const char *title)
{
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
               "width=\"%d\" height=\"%d\" role=\"img\" data-%s=\"%zu\">\n<title>",
            w, h, w, h, kind, marks);
    kl_fmt_html(f, title ? title : "");
    fputs("</title>\n", f);
}

/* ---- bar chart ---------------------------------------------------------- */

#define KL_BAR_ROW 18
#define KL_BAR_TOP 22
#define KL_BAR_BOTTOM 30

static size_t kl_svg_label_px(const char *s)
{
    /* about 7 px per character at 11 px sans-serif (capitals and digits
     * are wide); UTF-8 continuation bytes do not count */
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return (size_t)((double)n * 7.0) + 10;
}

size_t kl_svg_bar_chart(FILE *f, const kl_svg_bars *c)
{
    int w = c->width > 0 ? c->width : 680;
    double lo = 0, hi = 0, ticks[16], left = 60, note_w = 0, right, x0, scale;
    size_t nt, drawn = 0;
    int h = KL_BAR_TOP + (int)c->n * KL_BAR_ROW + KL_BAR_BOTTOM;
    char num[KL_FMT_MAX];

    for (size_t i = 0; i < c->n; i++) {
        size_t px = kl_svg_label_px(c->labels[i]);
        if ((double)px > left)
            left = (double)px;
        if (c->notes && (double)kl_svg_label_px(c->notes[i]) > note_w)
            note_w = (double)kl_svg_label_px(c->notes[i]);
        if (kl_svg_ok(c->values[i])) {
            drawn++;
            lo = c->values[i] < lo ? c->values[i] : lo;
            hi = c->values[i] > hi ? c->values[i] : hi;
        }
    }
    if (left > w * 0.3)
        left = w * 0.3;
    if (note_w > w * 0.3)
        note_w = w * 0.3;
    right = w - note_w - 56; /* room for the value after the longest bar */
    nt = kl_svg_ticks(lo, hi, 6, ticks);
    lo = ticks[0];
    hi = ticks[nt - 1];
    scale = (right - left) / (hi - lo);
    x0 = left + (0 - lo) * scale;

    kl_svg_open(f, w, h, "bars", drawn, c->title);
    /* grid and tick labels */
    for (size_t t = 0; t < nt; t++) {
        double x = left + (ticks[t] - lo) * scale;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x,
                KL_BAR_TOP - 4, x, h - KL_BAR_BOTTOM + 2);
        kl_svg_text(f, x, h - KL_BAR_BOTTOM + 15, "middle", NULL,
                    kl_fmt_compact(num, sizeof num, ticks[t]));
    }
    kl_svg_text(f, (left + right) / 2, h - 3, "middle", " font-style=\"italic\"",
                c->unit && *c->unit ? c->unit : "value");
    for (size_t i = 0; i < c->n; i++) {
        double y = KL_BAR_TOP + (double)i * KL_BAR_ROW, v = c->values[i];
        const char *col = kl_svg_color(c->colors ? c->colors[i] : 0);
        kl_svg_text(f, left - 6, y + 12.5, "end", NULL, c->labels[i]);
        if (kl_svg_ok(v)) {
            double x1 = left + (v - lo) * scale;
            double bx = v < 0 ? x1 : x0, bw = fabs(x1 - x0);
            fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
                       "fill=\"%s\"><title>",
                    bx, y + 3, bw < 0.5 ? 0.5 : bw, KL_BAR_ROW - 5, col);
            kl_fmt_html(f, c->labels[i]);
            fprintf(f, ": %s</title></rect>\n", kl_fmt_num(num, sizeof num, v));
            /* the value beyond the bar's end: left of a negative bar */
            kl_svg_text(f, v < 0 ? x1 - 4 : x1 + 4, y + 12.5, v < 0 ? "end" : "start", NULL, num);
        } else {
            kl_svg_text(f, x0 + 4, y + 12.5, "start", " fill-opacity=\"0.6\"", KL_FMT_MISSING);
        }
        if (c->notes)
            kl_svg_text(f, w - note_w, y + 12.5, "start", " fill-opacity=\"0.8\"", c->notes[i]);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>\n", x0,
            KL_BAR_TOP - 4, x0, h - KL_BAR_BOTTOM + 2);
    fputs("</svg>\n", f);
    return drawn;
}

/* ---- line chart --------------------------------------------------------- */

#define KL_LINE_LEFT 46
#define KL_LINE_TOP 10
#define KL_LINE_RIGHT 18
#define KL_LINE_LEGEND 14

static void kl_svg_line_axes(FILE *f, const kl_svg_lines *c, const double *ticks, size_t nt,
                             double pw, double ph, double xlo, double xhi)
{
    char num[KL_FMT_MAX];
    double lo = ticks[0], hi = ticks[nt - 1];
    size_t every = c->nx > 8 ? (c->nx + 7) / 8 : 1;

    for (size_t t = 0; t < nt; t++) {
        double y = KL_LINE_TOP + ph - (ticks[t] - lo) / (hi - lo) * ph;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                KL_LINE_LEFT, y, KL_LINE_LEFT + pw, y, ticks[t] == 0 ? "#888" : "#ddd");
        kl_svg_text(f, KL_LINE_LEFT - 4, y + 4, "end", NULL, kl_fmt_compact(num, sizeof num, ticks[t]));
    }
    for (size_t i = 0; i < c->nx; i += every) {
        double x = KL_LINE_LEFT + (xhi > xlo ? (c->x[i] - xlo) / (xhi - xlo) * pw : pw / 2);
        snprintf(num, sizeof num, "%.0f", c->x[i]);
        kl_svg_text(f, x, KL_LINE_TOP + ph + 14, "middle", NULL, num);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>\n", KL_LINE_LEFT,
            KL_LINE_TOP, KL_LINE_LEFT, KL_LINE_TOP + ph);
}

/* One series: a path broken at gaps, and a dot on every point. */
static int kl_svg_series(FILE *f, const kl_svg_lines *c, size_t s, double lo, double hi, double pw,
                         double ph, double xlo, double xhi)
{
    const double *y = c->y + s * c->nx;
    int any = 0, pen = 0;
    for (size_t i = 0; i < c->nx; i++)
        any |= kl_svg_ok(y[i]);
    if (!any)
        return 0;
    fprintf(f, "<path class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
               "stroke-dasharray=\"%s\" d=\"",
            kl_svg_color(s), kl_svg_dashes[(s / KL_SVG_PALETTE_SIZE + s) % 4]);
    for (size_t i = 0; i < c->nx; i++) {
        double px = KL_LINE_LEFT + (xhi > xlo ? (c->x[i] - xlo) / (xhi - xlo) * pw : pw / 2);
        double py = KL_LINE_TOP + ph - (y[i] - lo) / (hi - lo) * ph;
        if (!kl_svg_ok(y[i])) {
            pen = 0;
            continue;
        }
        fprintf(f, "%s%.1f %.1f ", pen ? "L" : "M", px, py);
        pen = 1;
    }
    fputs("\"><title>", f);
    kl_fmt_html(f, c->names[s]);
    fputs("</title></path>\n", f);
    for (size_t i = 0; i < c->nx; i++) {
        double px = KL_LINE_LEFT + (xhi > xlo ? (c->x[i] - xlo) / (xhi - xlo) * pw : pw / 2);
        if (kl_svg_ok(y[i]))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n", px,
                    KL_LINE_TOP + ph - (y[i] - lo) / (hi - lo) * ph, kl_svg_color(s));
    }
    return 1;
}

size_t kl_svg_line_chart(FILE *f, const kl_svg_lines *c)
{
    int w = c->width > 0 ? c->width : 320, h = c->height > 0 ? c->height : 200;
    double lo = 0, hi = 0, ticks[16], xlo = c->nx ? c->x[0] : 0, xhi = c->nx ? c->x[c->nx - 1] : 1;
    size_t nt, drawn = 0, rows = (c->nseries + 2) / 3;
    int first = 1, legend_h = (int)rows * KL_LINE_LEGEND;
    double pw, ph;

    for (size_t s = 0; s < c->nseries; s++) {
        int any = 0;
        for (size_t i = 0; i < c->nx; i++) {
            double v = c->y[s * c->nx + i];
            if (!kl_svg_ok(v))
                continue;
            any = 1;
            lo = first || v < lo ? v : lo;
            hi = first || v > hi ? v : hi;
            first = 0;
        }
        drawn += (size_t)any;
    }
    if (lo > 0 && lo < hi * 0.5)
        lo = 0; /* start at zero unless that flattens the lines */
    nt = kl_svg_ticks(lo, hi, 5, ticks);
    pw = w - KL_LINE_LEFT - KL_LINE_RIGHT;
    ph = h - KL_LINE_TOP - 22 - legend_h;
    kl_svg_open(f, w, h, "lines", drawn, c->title);
    kl_svg_line_axes(f, c, ticks, nt, pw, ph, xlo, xhi);
    for (size_t s = 0; s < c->nseries; s++) {
        double lx = KL_LINE_LEFT + (double)(s % 3) * (pw / 3);
        double ly = h - legend_h + (double)(s / 3) * KL_LINE_LEGEND + 6;
        kl_svg_series(f, c, s, ticks[0], ticks[nt - 1], pw, ph, xlo, xhi);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n",
                lx, ly, lx + 14, ly, kl_svg_color(s), kl_svg_dashes[(s / KL_SVG_PALETTE_SIZE + s) % 4]);
        kl_svg_text(f, lx + 18, ly + 4, "start", NULL, c->names[s]);
    }
    fputs("</svg>\n", f);
    return drawn;
}
