/*
 * kl_number.h -- parsing and printing numbers exactly and fast.
 *
 * Parsing is strict (what a statistics office's CSV should contain): an
 * optional sign, digits, for NUM an optional '.' fraction and e/E exponent;
 * surrounding spaces allowed; no hex, no "inf"/"nan", no thousands
 * separators, no decimal comma.  A NUM parse is correctly rounded (a fast
 * exact path for the common case, strtod otherwise) and overflow to
 * infinity (1e309) is an error.  Printing uses the shortest decimal form that
 * reads back to the same double, integers without ".0".
 */
#ifndef KL_NUMBER_H
#define KL_NUMBER_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kl_num_status {
    KL_NUM_OK = 0,
    KL_NUM_EMPTY,     /* only spaces: a missing cell */
    KL_NUM_SYNTAX,    /* not a number of that type */
    KL_NUM_RANGE,     /* does not fit: past int64, or |x| overflows a double */
    KL_NUM_DECIMAL_COMMA /* looks like "1,5": say so in the message */
} kl_num_status;

/* s[0..len) as an integer.  s need not be NUL-terminated. */
kl_num_status kl_parse_int(const char *s, size_t len, int64_t *out);
/* s[0..len) as a double. s must be NUL-terminated at s[len] (strtod fallback). */
kl_num_status kl_parse_num(const char *s, size_t len, double *out);
/*
 * Details of both parsers (added by the implementation):
 *  - "Spaces" are ASCII space and tab; only-spaces or len 0 is KL_NUM_EMPTY.
 *  - *out is written only on KL_NUM_OK.
 *  - INT takes [sign] digits only: "12.0", "1e3", "0x10" are KL_NUM_SYNTAX;
 *    past INT64_MIN..INT64_MAX is KL_NUM_RANGE (but "99999999999999999999x"
 *    is KL_NUM_SYNTAX: syntax is judged first).
 *  - NUM takes [sign] digits [. digits] [e|E [sign] digits], at least one
 *    digit before the exponent (".5" and "5." are fine); "-0" gives -0.0;
 *    underflow gives 0 or a subnormal (not an error), overflow to +-inf is
 *    KL_NUM_RANGE.  The result is bit-for-bit what strtod gives.
 *  - KL_NUM_DECIMAL_COMMA is returned, by both, for [sign] digits ',' digits
 *    ("1,5", "-12,75") and only that; "1,234,567" is KL_NUM_SYNTAX.
 *  - Neither depends on the locale (LC_NUMERIC) nor on any global state;
 *    both are thread-safe.  Neither allocates.
 */

/*
 * The loader's inline fast paths for the shape nearly every cell has: [-]
 * digits, and for NUM an optional '.' and digits, at most 15 digits in all
 * (so the digits make an exact double and one correctly rounded division by
 * an exact power of ten gives strtod's result -- Clinger's fast path), no
 * spaces.  Each returns 1 with *out set, or 0 (nothing written) when the
 * text has another shape: then call kl_parse_num / kl_parse_int, which
 * decide.  Never a different result from those.
 */
static inline int kl_parse_num_plain(const char *s, size_t len, double *out)
{
    static const double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s, *end = s + len, *digits;
    uint64_t m = 0;
    size_t nint, nfrac = 0;
    int negative = 0;

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return 0; /* x87 extended precision: the division would round twice */
#endif
    if (len == 0 || len > 17)
        return 0;
    if (*p == '-') {
        negative = 1;
        p++;
    }
    for (digits = p; p < end && (unsigned)(*p - '0') <= 9; p++)
        m = m * 10 + (unsigned)(*p - '0');
    nint = (size_t)(p - digits);
    if (nint == 0)
        return 0;
    if (p < end) {
        if (*p++ != '.')
            return 0;
        for (digits = p; p < end && (unsigned)(*p - '0') <= 9; p++)
            m = m * 10 + (unsigned)(*p - '0');
        nfrac = (size_t)(p - digits);
        if (p != end || nfrac == 0)
            return 0;
    }
    if (nint + nfrac > 15)
        return 0;
    double r = nfrac ? (double)m / pow10[nfrac] : (double)m;
    *out = negative ? -r : r;
    return 1;
}

static inline int kl_parse_int_plain(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    uint64_t m = 0;
    int negative = 0;

    if (len == 0 || len > 18)
        return 0;
    if (*p == '-') {
        negative = 1;
        if (++p == end)
            return 0;
    }
    for (; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9)
            return 0;
        m = m * 10 + d;
    }
    *out = negative ? -(int64_t)m : (int64_t)m; /* 18 digits: no overflow */
    return 1;
}

/* Longest text kl_format_num writes, NUL included. */
#define KL_NUM_FMT_MAX 32
/* Writes the shortest round-trip form of finite v into buf and returns its
 * length.  Integral values up to 2^53 in magnitude print as plain integers
 * ("12", not "12.0" or "1.2e+01"); -0 prints as "0". */
size_t kl_format_num(char *buf, double v);
size_t kl_format_int(char *buf, int64_t v);
/*
 * Details (added by the implementation): buf must hold KL_NUM_FMT_MAX bytes
 * for both; the text is NUL-terminated and its length returned.  Non-finite
 * v writes "" and returns 0.  Otherwise the text is exactly what the first of
 * "%.1g" ... "%.17g" that reads back as v would print in the "C" locale
 * (0.1 -> "0.1", 1e21 -> "1e+21", 1e-07 -> "1e-07", 5e-324 -> "5e-324"),
 * except that integral values up to 2^53 print as integers; it is valid JSON
 * and reads back with kl_parse_num.  Locale-independent and thread-safe.
 */

#endif /* KL_NUMBER_H */
