/*
 * kl_fmt.c -- numbers and text for people (see kl_fmt.h).
 */
#include "kl_fmt.h"

#include <math.h>
#include <string.h>

static int kl_fmt_bad(double v)
{
    return v - v != 0; /* NaN or infinite */
}

static const char *kl_fmt_missing(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", KL_FMT_MISSING);
    return buf;
}

/* Copies the digits of `digits` into out with a ',' every three from the
 * right; returns the bytes written. */
static size_t kl_fmt_group(char *out, size_t cap, const char *digits)
{
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < cap)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return o;
}

const char *kl_fmt_fixed(char *buf, size_t cap, double v, int decimals)
{
    char tmp[KL_FMT_MAX * 2], *dot;
    size_t o = 0;
    int neg;

    if (kl_fmt_bad(v) || cap < 8)
        return kl_fmt_missing(buf, cap);
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    if (fabs(v) >= 1e18)
        decimals = 0;
    snprintf(tmp, sizeof tmp, "%.*f", decimals, fabs(v));
    /* -0.00 is 0: the sign goes only on values that show a digit */
    neg = v < 0 && strspn(tmp, "0.") != strlen(tmp);
    if (neg) {
        memcpy(buf, KL_FMT_MINUS, 3);
        o = 3;
    }
    dot = strchr(tmp, '.');
    if (dot)
        *dot = '\0';
    o += kl_fmt_group(buf + o, cap - o, tmp);
    if (dot && o + 1 < cap)
        snprintf(buf + o, cap - o, ".%s", dot + 1);
    return buf;
}

int kl_fmt_decimals(double v)
{
    double a = fabs(v);
    if (kl_fmt_bad(v) || a >= 100 || a == 0)
        return 0;
    if (a >= 10)
        return 1;
    if (a >= 1)
        return 2;
    if (a >= 0.1)
        return 3;
    return 4;
}

const char *kl_fmt_num(char *buf, size_t cap, double v)
{
    return kl_fmt_fixed(buf, cap, v, kl_fmt_decimals(v));
}

const char *kl_fmt_compact(char *buf, size_t cap, double v)
{
    static const struct {
        double from, scale;
        const char *suffix;
    } units[] = {{1e12, 1e12, "T"}, {1e9, 1e9, "B"}, {1e6, 1e6, "M"}, {1e4, 1e3, "k"}};
    char num[KL_FMT_MAX];
    double a = fabs(v);

    if (kl_fmt_bad(v))
        return kl_fmt_missing(buf, cap);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (a >= units[i].from) {
            double s = v / units[i].scale;
            /* 12.5k, 125k: one decimal below 100, trailing .0 dropped */
            int d = fabs(s) < 100 && fmod(fabs(s) * 10, 10) >= 0.5 ? 1 : 0;
            kl_fmt_fixed(num, sizeof num, s, d);
            snprintf(buf, cap, "%s%s", num, units[i].suffix);
            return buf;
        }
    }
    /* below 10k: at most two decimals, trailing zeros dropped */
    kl_fmt_fixed(num, sizeof num, v, a >= 100 || a == 0 ? 0 : a >= 10 ? 1 : 2);
    if (strchr(num, '.')) {
        size_t n = strlen(num);
        while (num[n - 1] == '0')
            num[--n] = '\0';
        if (num[n - 1] == '.')
            num[--n] = '\0';
    }
    snprintf(buf, cap, "%s", num);
    return buf;
}

const char *kl_fmt_change(char *buf, size_t cap, double now, double before, int decimals)
{
    char num[KL_FMT_MAX];
    double d = now - before;
    const char *arrow;

    if (kl_fmt_bad(now) || kl_fmt_bad(before) || kl_fmt_bad(d))
        return kl_fmt_missing(buf, cap);
    kl_fmt_fixed(num, sizeof num, fabs(d), decimals < 0 ? kl_fmt_decimals(d) : decimals);
    if (strspn(num, "0.,") == strlen(num))
        arrow = "\xe2\x86\x92"; /* → : no visible change */
    else
        arrow = d > 0 ? "\xe2\x86\x91" : "\xe2\x86\x93"; /* ↑ ↓ */
    snprintf(buf, cap, "%s %s%s", arrow,
             strcmp(arrow, "\xe2\x86\x92") == 0 ? "" : d > 0 ? "+" : KL_FMT_MINUS, num);
    return buf;
}

void kl_fmt_html(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}
