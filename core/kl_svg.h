/*
 * kl_svg.h -- the charts of the HTML report, drawn as inline SVG.
 *
 * Two kinds: a horizontal bar chart (one bar per label, sorted or not by
 * the caller; negative values grow left of a zero line) and a line chart
 * (years on x, one line per series, gaps where a value is missing).  Both
 * have a value axis with "nice" ticks (1, 2, 5 x 10^k), the unit as axis
 * title, labels, and colours from the Okabe-Ito palette, which stays
 * distinct under the common colour-vision deficiencies; lines also differ
 * by dash pattern.  Each <svg> carries data-bars / data-lines with the
 * number of marks drawn, and every mark a class ("bar", "line"), so tests
 * can count them.  Text is HTML-escaped.
 */
#ifndef KL_SVG_H
#define KL_SVG_H

#include <stddef.h>
#include <stdio.h>

#define KL_SVG_PALETTE_SIZE 8
/* The colour of palette entry i (wraps around). */
const char *kl_svg_color(size_t i);

/*
 * Nice ticks covering [lo, hi]: at most `max` of them, spaced 1, 2 or 5 x
 * 10^k, the first <= lo and the last >= hi.  Returns the count (>= 2); lo ==
 * hi is widened.  ticks must hold max + 2 values.
 */
size_t kl_svg_ticks(double lo, double hi, size_t max, double *ticks);

typedef struct kl_svg_bars {
    const char *title;          /* for screen readers (<title>) */
    const char *unit;           /* axis title, e.g. "%" or "USD" */
    size_t n;
    const char *const *labels;  /* n labels, left of the bars */
    const double *values;       /* n values; NaN = missing (no bar, "—") */
    const char *const *notes;   /* NULL, or n notes shown at the right */
    const size_t *colors;       /* NULL (all palette 0), or n palette indexes */
    int width;                  /* pixels; 0 = 680 */
} kl_svg_bars;

/* Writes the chart; returns the number of bars drawn. */
size_t kl_svg_bar_chart(FILE *f, const kl_svg_bars *c);

typedef struct kl_svg_lines {
    const char *title;
    const char *unit;
    size_t nx;
    const double *x;            /* nx increasing x values (years) */
    size_t nseries;
    const char *const *names;   /* nseries names, in the legend */
    const double *y;            /* nseries * nx values, series-major; NaN = gap */
    int width, height;          /* pixels; 0 = 320 x 200 */
} kl_svg_lines;

/* Writes the chart; returns the number of lines drawn (series with a value). */
size_t kl_svg_line_chart(FILE *f, const kl_svg_lines *c);

#endif /* KL_SVG_H */
