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
#include <string.h>

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

/*
 * The same for text the caller can over-read: s[len] is a non-digit (the
 * CSV reader's NUL) and at least 16 bytes from s + len on are readable (its
 * buffer has KL_CSV_PAD bytes of padding).  Eight digits are read and
 * converted at once (SWAR), so a number costs no branch per digit and no
 * mispredicted loop exit.  Same results as kl_parse_*_plain.
 */

/* The 8 bytes at p with '0'..'9' turned into 0..9; *ndigits = how many of
 * them, from the first, are digits (0..8). */
static inline uint64_t kl_swar_load_digits(const char *p, size_t *ndigits)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w); /* the first character in the low byte */
#endif
    w ^= UINT64_C(0x3030303030303030);
    /* A byte is a digit iff it is now below 10: adding 0x76 sets its top
     * bit otherwise.  A carry out of a byte only disturbs later bytes, and
     * only the first non-digit matters. */
    uint64_t nondigit = ((w + UINT64_C(0x7676767676767676)) | w) & UINT64_C(0x8080808080808080);
    *ndigits = nondigit ? (size_t)__builtin_ctzll(nondigit) >> 3 : 8;
    return w;
}

/* The value of the first n (1..8) digits of w, from kl_swar_load_digits. */
static inline uint64_t kl_swar_value(uint64_t w, size_t n)
{
    w <<= 8 * (8 - n); /* leading zeros: the digits end at the top byte */
    w = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
    w = (w & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
    return (w & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}

static inline int kl_parse_num_padded(const char *s, size_t len, double *out)
{
    static const double pow10[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    static const uint64_t pow10u[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    const char *p = s;
    size_t nint, nfrac;
    uint64_t m, w;
    int negative = *p == '-';

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return kl_parse_num_plain(s, len, out); /* which declines */
#endif
    p += negative;
    w = kl_swar_load_digits(p, &nint);
    if (nint == 0 || nint == 8) /* none, or maybe more than 8 */
        return kl_parse_num_plain(s, len, out);
    m = kl_swar_value(w, nint);
    p += nint;
    if (p == s + len) {
        *out = negative ? -(double)m : (double)m;
        return 1;
    }
    if (*p != '.')
        return 0;
    w = kl_swar_load_digits(++p, &nfrac);
    if (nfrac == 0 || nfrac == 8 || p + nfrac != s + len)
        return kl_parse_num_plain(s, len, out);
    m = m * pow10u[nfrac] + kl_swar_value(w, nfrac); /* <= 14 digits: exact */
    double r = (double)m / pow10[nfrac];
    *out = negative ? -r : r;
    return 1;
}

static inline int kl_parse_int_padded(const char *s, size_t len, int64_t *out)
{
    const char *p = s;
    size_t n;
    uint64_t w;
    int negative = *p == '-';

    p += negative;
    w = kl_swar_load_digits(p, &n);
    if (n == 0 || n == 8 || p + n != s + len)
        return kl_parse_int_plain(s, len, out);
    uint64_t m = kl_swar_value(w, n);
    *out = negative ? -(int64_t)m : (int64_t)m;
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
