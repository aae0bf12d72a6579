/*
 * kl_fmt.h -- numbers and text formatted for people, for the HTML report.
 *
 * Numbers get thousands separators (1,234,567), a number of decimals that
 * suits their size (1,235 but 12.3 and 0.123), a real minus sign, and "—"
 * when missing (NaN).  Text is HTML-escaped.  Everything writes into a
 * caller's buffer or FILE; nothing allocates.
 */
#ifndef KL_FMT_H
#define KL_FMT_H

#include <stddef.h>
#include <stdio.h>

#define KL_FMT_MISSING "\xe2\x80\x94" /* U+2014 EM DASH */
#define KL_FMT_MINUS "\xe2\x88\x92"   /* U+2212 MINUS SIGN */
#define KL_FMT_MAX 64                 /* enough for any formatted number */

/* v with `decimals` decimals and thousands separators; "—" for NaN or
 * infinity.  Returns buf. */
const char *kl_fmt_fixed(char *buf, size_t cap, double v, int decimals);

/* The decimals kl_fmt_num uses for v: 0 from 100 up, 1 from 10, 2 from 1,
 * else enough for three significant digits (at most 4). */
int kl_fmt_decimals(double v);

/* v with kl_fmt_decimals(v) decimals. */
const char *kl_fmt_num(char *buf, size_t cap, double v);

/* Short form for axis labels: 950, 12.5k, 3.2M, 1.1B. */
const char *kl_fmt_compact(char *buf, size_t cap, double v);

/* A signed change with an arrow: "↑ +1,234" / "↓ −0.52" / "→ 0"; "—" when
 * either side is missing.  decimals < 0: as kl_fmt_num chooses. */
const char *kl_fmt_change(char *buf, size_t cap, double now, double before, int decimals);

/* Writes s to f with & < > " ' escaped. */
void kl_fmt_html(FILE *f, const char *s);

#endif /* KL_FMT_H */
