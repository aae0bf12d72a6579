/*
 * kl_number.c -- strict, exact and fast number parsing and printing (see
 * kl_number.h).
 *
 * Parsing scans the text once, checking the strict syntax and gathering the
 * decimal significand (up to 19 digits) and the power-of-ten exponent.  The
 * common case -- a short significand and a small exponent, like "12345.67" --
 * is finished with Clinger's exact fast path: both the significand and the
 * power of ten are exact doubles, so one IEEE multiplication or division
 * rounds correctly.  Everything else goes to strtod_l in the "C" locale,
 * which is correctly rounded in glibc.
 *
 * Printing gives what the first of "%.1g" ... "%.17g" that reads back to
 * the same double would give.  Integers up to 2^53 are printed directly;
 * other values with 1e-5 <= |v| < 1e15 with exact 128-bit integer
 * arithmetic (kl_format_exact); the rest from one snprintf of 20 digits
 * rounded to 15, 16 or 17 (kl_format_shortest); subnormals by the plain
 * search.  The unit tests compare all of these with the plain search.
 */
#include "kl_number.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clinger's fast path is exact only when double arithmetic is evaluated in
 * double precision (not on the x87's extended registers). */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define KL_NUM_FAST_PATH 1
#else
#define KL_NUM_FAST_PATH 0
#endif

/* 2^53: every integer up to here is exact in a double. */
#define KL_NUM_EXACT_INT 9007199254740992.0
#define KL_NUM_EXACT_U64 ((uint64_t)1 << 53)
/* Digits of significand kept; 19 digits always fit in a uint64_t. */
#define KL_NUM_MAX_DIGITS 19

/* Powers of ten that are exact doubles: 10^k = 2^k * 5^k and 5^22 < 2^53. */
static const double kl_pow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t kl_pow10_u64[] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull};

/* ---- the "C" locale for strtod_l ---------------------------------------- */

/* strtod honours LC_NUMERIC: under a German locale it would stop at '.'.
 * klaster never calls setlocale, but a host program embedding the library
 * might, so the fallback uses an explicit "C" locale, created once.  (glibc
 * returns its static C locale object for "C", so nothing is leaked.) */
static locale_t kl_c_locale;
static pthread_once_t kl_c_locale_once = PTHREAD_ONCE_INIT;

static void kl_c_locale_init(void)
{
    kl_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static double kl_strtod_c(const char *s, char **end)
{
    pthread_once(&kl_c_locale_once, kl_c_locale_init);
    if (kl_c_locale != (locale_t)0)
        return strtod_l(s, end, kl_c_locale);
    /* newlocale failed (cannot happen for "C" in glibc): the process locale
     * is then the only one there is. */
    return strtod(s, end);
}

/* ---- shared scanning helpers -------------------------------------------- */

static int kl_is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int kl_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Narrows [*p, *end) to the text between surrounding spaces; 0 if nothing is
 * left. */
static int kl_trim(const char **p, const char **end)
{
    while (*p < *end && kl_is_space(**p))
        (*p)++;
    while (*end > *p && kl_is_space((*end)[-1]))
        (*end)--;
    return *p < *end;
}

/* Whether [p, end) is [sign] digits ',' digits: almost certainly a number
 * written with a decimal comma, which deserves its own message. */
static int kl_is_decimal_comma(const char *p, const char *end)
{
    const char *q;

    if (p < end && (*p == '+' || *p == '-'))
        p++;
    q = p;
    while (p < end && kl_is_digit(*p))
        p++;
    if (p == q || p == end || *p != ',')
        return 0;
    q = ++p;
    while (p < end && kl_is_digit(*p))
        p++;
    return p > q && p == end;
}

/* The status for text that failed the strict syntax. */
static kl_num_status kl_syntax_status(const char *p, const char *end)
{
    return kl_is_decimal_comma(p, end) ? KL_NUM_DECIMAL_COMMA : KL_NUM_SYNTAX;
}

/* ---- integers ----------------------------------------------------------- */

kl_num_status kl_parse_int(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len, *start;
    uint64_t acc = 0, limit;
    int negative = 0, overflow = 0;

    if (!kl_trim(&p, &end))
        return KL_NUM_EMPTY;
    start = p;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (p == end)
        return KL_NUM_SYNTAX;
    /* |INT64_MIN| = INT64_MAX + 1, so a negative number may go one further. */
    limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < end; p++) {
        unsigned d;
        if (!kl_is_digit(*p))
            return kl_syntax_status(start, end);
        d = (unsigned)(*p - '0');
        /* Keep scanning after an overflow: "9999999999999999999x" is a
         * syntax error, not a range error. */
        if (acc > (limit - d) / 10)
            overflow = 1;
        else
            acc = acc * 10 + d;
    }
    if (overflow)
        return KL_NUM_RANGE;
    if (negative)
        *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return KL_NUM_OK;
}

/* ---- doubles ------------------------------------------------------------ */

/* What one scan of a decimal number found. */
typedef struct kl_decimal {
    uint64_t mantissa;  /* the first KL_NUM_MAX_DIGITS significant digits */
    int64_t exp10;      /* value = mantissa * 10^exp10 (if not truncated) */
    int negative;
    int truncated;      /* a non-zero digit past KL_NUM_MAX_DIGITS was dropped */
} kl_decimal;

/* Adds the digits at *pp to d; returns how many digits were read.  Digits of
 * the fraction (frac != 0) lower the exponent; digits of the integer part
 * past the kept ones raise it.  Works on local copies: stores through d
 * inside the loop would be reloaded after every char read (aliasing). */
static size_t kl_scan_digits(const char **pp, const char *end, kl_decimal *d, int *nsig,
                             int frac)
{
    const char *p = *pp, *start = p;
    uint64_t m = d->mantissa;
    int64_t e = d->exp10;
    int n = *nsig;

    for (; p < end; p++) {
        unsigned digit = (unsigned)(unsigned char)*p - '0';
        if (digit > 9)
            break;
        if (n < KL_NUM_MAX_DIGITS) {
            m = m * 10 + digit;
            n += m != 0; /* leading zeros are not significant */
            e -= frac;
        } else {
            /* Dropped digit: zeros are exact ("1.000000000000000000000"). */
            if (digit != 0)
                d->truncated = 1;
            e += !frac;
        }
    }
    d->mantissa = m;
    d->exp10 = e;
    *nsig = n;
    *pp = p;
    return (size_t)(p - start);
}

/* Reads "e[+-]digits" at *pp into d's exponent; 0 on bad syntax. */
static int kl_scan_exponent(const char **pp, const char *end, kl_decimal *d)
{
    const char *p = *pp + 1; /* past the 'e' */
    int64_t e = 0;
    int negative = 0;

    if (p < end && (*p == '+' || *p == '-'))
        negative = *p++ == '-';
    if (p == end || !kl_is_digit(*p))
        return 0;
    for (; p < end && kl_is_digit(*p); p++) {
        /* Far past any double's range already; stop growing, keep scanning. */
        if (e < 1000000)
            e = e * 10 + (*p - '0');
    }
    d->exp10 += negative ? -e : e;
    *pp = p;
    return 1;
}

/* Checks the strict syntax of [p, end) and fills d; 0 on bad syntax. */
static int kl_scan_decimal(const char *p, const char *end, kl_decimal *d)
{
    size_t ndigits;
    int nsig = 0;

    memset(d, 0, sizeof *d);
    if (*p == '+' || *p == '-')
        d->negative = *p++ == '-';
    ndigits = kl_scan_digits(&p, end, d, &nsig, 0);
    if (p < end && *p == '.') {
        p++;
        ndigits += kl_scan_digits(&p, end, d, &nsig, 1);
    }
    if (ndigits == 0)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E') && !kl_scan_exponent(&p, end, d))
        return 0;
    return p == end;
}

/* Clinger's exact fast path; 0 if d is outside it. */
static int kl_fast_path(const kl_decimal *d, double *out)
{
    uint64_t m = d->mantissa;
    int64_t e = d->exp10;
    double r;

    if (!KL_NUM_FAST_PATH || d->truncated || m > KL_NUM_EXACT_U64)
        return 0;
    if (e >= 0 && e <= 22) {
        r = (double)m * kl_pow10[e];
    } else if (e < 0 && e >= -22) {
        r = (double)m / kl_pow10[-e];
    } else if (e > 22 && e <= 22 + 16 && m <= KL_NUM_EXACT_U64 / kl_pow10_u64[e - 22]) {
        /* "12e30": move the excess power into the significand while it
         * stays exact, then one multiplication by 1e22. */
        r = (double)(m * kl_pow10_u64[e - 22]) * 1e22;
    } else {
        return 0;
    }
    *out = d->negative ? -r : r;
    return 1;
}

kl_num_status kl_parse_num(const char *s, size_t len, double *out)
{
    const char *p = s, *end = s + len;
    kl_decimal d;
    char *stop;
    double r;

    if (!kl_trim(&p, &end))
        return KL_NUM_EMPTY;
    if (!kl_scan_decimal(p, end, &d))
        return kl_syntax_status(p, end);
    if (d.mantissa == 0) {
        /* All digits zero: the exponent does not matter ("0e999"). */
        *out = d.negative ? -0.0 : 0.0;
        return KL_NUM_OK;
    }
    if (kl_fast_path(&d, out))
        return KL_NUM_OK;
    /* The syntax is checked, so strtod reads exactly [p, end): it stops at
     * the trailing space or at the NUL the caller guarantees at s[len]. */
    r = kl_strtod_c(p, &stop);
    if (stop != end)
        return KL_NUM_SYNTAX; /* cannot happen; be safe rather than wrong */
    if (isinf(r))
        return KL_NUM_RANGE;
    *out = r;
    return KL_NUM_OK;
}

/* ---- printing ----------------------------------------------------------- */

size_t kl_format_int(char *buf, int64_t v)
{
    char tmp[24];
    size_t n = 0, len = 0;
    /* Work on the magnitude as unsigned so INT64_MIN has no overflow. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* Whether text (NUL-terminated at text[len]) reads back as exactly v. */
static int kl_reads_back(const char *text, size_t len, double v)
{
    double back;
    return kl_parse_num(text, len, &back) == KL_NUM_OK && back == v;
}

/* "%.*g" with precision prec into buf; returns the length. */
static size_t kl_format_g(char *buf, int prec, double v)
{
    int n = snprintf(buf, KL_NUM_FMT_MAX, "%.*g", prec, v);
    return n > 0 && n < KL_NUM_FMT_MAX ? (size_t)n : 0;
}

/* Significant digits taken from one "%.*e": enough beyond 17 that rounding
 * them to 15, 16 or 17 digits is almost never ambiguous. */
#define KL_NUM_DIGITS 20

typedef struct kl_digits {
    char d[KL_NUM_DIGITS]; /* '0'..'9', d[0] != '0' */
    int exp10;             /* value = d[0].d[1]d[2]... * 10^exp10 */
} kl_digits;

/* The first KL_NUM_DIGITS correctly rounded digits of a > 0; 0 on failure. */
static int kl_digits_of(double a, kl_digits *out)
{
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%.*e", KL_NUM_DIGITS - 1, a);
    const char *e = tmp + KL_NUM_DIGITS + 1; /* "D.DDD...De+XX": the 'e' */
    int x = 0;

    if (n < KL_NUM_DIGITS + 4 || n >= (int)sizeof tmp || *e != 'e')
        return 0;
    out->d[0] = tmp[0];
    memcpy(out->d + 1, tmp + 2, KL_NUM_DIGITS - 1);
    for (const char *q = e + 2; *q; q++)
        x = x * 10 + (*q - '0');
    out->exp10 = e[1] == '-' ? -x : x;
    return 1;
}

/*
 * Rounds in to prec digits (half up, carrying), as printf would round the
 * exact value -- unless the dropped digits are exactly "500...0": then the
 * exact value may lie either side of the halfway point (the digits are
 * rounded themselves), and 0 says "ask printf".
 */
static int kl_digits_round(const kl_digits *in, int prec, kl_digits *out)
{
    int i;

    if (in->d[prec] == '5') {
        for (i = prec + 1; i < KL_NUM_DIGITS && in->d[i] == '0'; i++)
            ;
        if (i == KL_NUM_DIGITS)
            return 0;
    }
    memcpy(out->d, in->d, (size_t)prec);
    out->exp10 = in->exp10;
    if (in->d[prec] < '5')
        return 1;
    for (i = prec - 1; i >= 0 && out->d[i] == '9'; i--)
        out->d[i] = '0';
    if (i >= 0) {
        out->d[i]++;
    } else { /* 9.99..9 rounds to 10.00..0 */
        out->d[0] = '1';
        out->exp10++;
    }
    return 1;
}

/* Writes prec digits the way "%.*g" does: trailing zeros dropped, fixed
 * notation when -4 <= exponent < prec, else d.ddde+XX. */
static size_t kl_digits_render(char *buf, int negative, const kl_digits *dg, int prec)
{
    int nd = prec, x = dg->exp10, ax = x < 0 ? -x : x;
    size_t len = 0;

    while (nd > 1 && dg->d[nd - 1] == '0')
        nd--;
    if (negative)
        buf[len++] = '-';
    if (x >= -4 && x < prec) {
        if (x < 0) {
            buf[len++] = '0';
            buf[len++] = '.';
            for (int i = 0; i < -x - 1; i++)
                buf[len++] = '0';
            memcpy(buf + len, dg->d, (size_t)nd);
            len += (size_t)nd;
        } else {
            for (int i = 0; i <= x; i++)
                buf[len++] = i < nd ? dg->d[i] : '0';
            if (nd > x + 1) {
                buf[len++] = '.';
                memcpy(buf + len, dg->d + x + 1, (size_t)(nd - x - 1));
                len += (size_t)(nd - x - 1);
            }
        }
    } else {
        buf[len++] = dg->d[0];
        if (nd > 1) {
            buf[len++] = '.';
            memcpy(buf + len, dg->d + 1, (size_t)(nd - 1));
            len += (size_t)(nd - 1);
        }
        buf[len++] = 'e';
        buf[len++] = x < 0 ? '-' : '+';
        if (ax >= 100)
            buf[len++] = (char)('0' + ax / 100);
        buf[len++] = (char)('0' + ax / 10 % 10);
        buf[len++] = (char)('0' + ax % 10);
    }
    buf[len] = '\0';
    return len;
}

/* The plain search: the first precision 1..17 whose "%.*g" reads back. */
static size_t kl_format_search(char *buf, double v)
{
    size_t n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = kl_format_g(buf, prec, v);
        if (n && kl_reads_back(buf, n, v))
            break;
    }
    return n; /* %.17g always reads back, so the loop always breaks */
}

/*
 * The shortest "%.*g" that reads back as v, for a normal double.  If some
 * p <= 15 digits read back, the correctly rounded 15-digit form is that
 * p-digit form padded with zeros (both lie within half an ulp, 2^-53
 * relative, of v, while 15-digit neighbours are over 1e-15 relative apart),
 * and %g drops those zeros -- in the same notation, as a non-integral value
 * has more digits than its exponent and integers past 2^53 have an exponent
 * >= 15.  So the answer is the 15-, 16- or 17-digit form, whichever reads
 * back first (17 digits always do).  All three come from one snprintf of 20
 * digits; a rare ambiguous rounding asks snprintf for that precision.
 * Subnormals have fewer bits, which breaks the bound: they take the plain
 * search.
 */
static size_t kl_format_shortest(char *buf, double v)
{
    kl_digits all, dg;
    size_t n = 0;

    if (fabs(v) < DBL_MIN || !kl_digits_of(fabs(v), &all))
        return kl_format_search(buf, v);
    for (int prec = 15; prec <= 17; prec++) {
        if (kl_digits_round(&all, prec, &dg))
            n = kl_digits_render(buf, v < 0, &dg, prec);
        else
            n = kl_format_g(buf, prec, v);
        if (prec == 17 || kl_reads_back(buf, n, v))
            break;
    }
    return n;
}

/* kl_format_shortest or the plain search, printing in the "C" locale:
 * snprintf honours LC_NUMERIC too ("0,1" under de_DE). */
static size_t kl_format_general(char *buf, double v)
{
    locale_t saved = (locale_t)0;
    size_t n;

    pthread_once(&kl_c_locale_once, kl_c_locale_init);
    if (kl_c_locale != (locale_t)0)
        saved = uselocale(kl_c_locale);
    n = kl_format_shortest(buf, v);
    if (saved != (locale_t)0)
        uselocale(saved);
    return n;
}

#if defined(__SIZEOF_INT128__)
/*
 * The common range without snprintf: non-integral values with
 * 1e-5 <= |v| < 1e15 (shares, rates, money).  There v = M * 2^-s exactly
 * (M < 2^53, s <= 69), so with k <= 21 fraction digits M * 10^k < 2^123 fits
 * in 128 bits, and the correctly rounded P-digit decimal m = round(v * 10^k)
 * comes out exactly (ties to even, as printf does), together with its
 * distance to v.  That distance decides exactly whether m reads back as v:
 * less than half the gap to the neighbouring double (the gap below a power
 * of two is half as wide), or equal to it with M even.  Tried for P = 15,
 * 16, 17 (see kl_format_shortest for why nothing shorter than 15 need be
 * tried).  Returns 0 outside that range.
 */
__extension__ typedef unsigned __int128 kl_u128;

#define KL_EXACT_MIN 1e-5
#define KL_EXACT_MAX 1e15
#define KL_EXACT_MAX_K 21

static kl_u128 kl_pow10_u128(int k)
{
    return k <= 19 ? (kl_u128)kl_pow10_u64[k]
                   : (kl_u128)kl_pow10_u64[19] * kl_pow10_u64[k - 19];
}

/* The correctly rounded prec-digit decimal of v = M * 2^-s as m * 10^-k,
 * with *x corrected to floor(log10 v); 0 if it does not read back. */
static int kl_exact_round(uint64_t M, int s, int prec, int *x, uint64_t *m)
{
    kl_u128 n, q, rem, half, dist, scaled_dist, pk;
    int up, k;

    /* *x is an estimate of floor(log10 v): correct it until q has exactly
     * prec digits (at most one step each way). */
    for (int tries = 0;; tries++) {
        k = prec - 1 - *x;
        if (k < 0 || k > KL_EXACT_MAX_K || tries > 2)
            return 0;
        pk = kl_pow10_u128(k);
        n = (kl_u128)M * pk;
        q = n >> s;
        if (q >= kl_pow10_u64[prec])
            (*x)++;
        else if (q < kl_pow10_u64[prec - 1])
            (*x)--;
        else
            break;
    }
    rem = n & (((kl_u128)1 << s) - 1);
    half = (kl_u128)1 << (s - 1);
    up = rem > half || (rem == half && (q & 1));
    *m = (uint64_t)q + (uint64_t)up;
    dist = up ? ((kl_u128)1 << s) - rem : rem; /* |m * 2^s - n| */
    /* |m*10^-k - v| = dist / (2^s * 10^k), against half a gap 2^-s / 2
     * (2^-s / 4 below v when v is a power of two). */
    scaled_dist = (!up && M == (uint64_t)1 << 52) ? 4 * dist : 2 * dist;
    return scaled_dist < pk || (scaled_dist == pk && !(M & 1));
}

/* Division rounding towards minus infinity (d > 0). */
static int kl_floor_div(int n, int d)
{
    return n >= 0 ? n / d : -((-n + d - 1) / d);
}

static size_t kl_format_exact(char *buf, double v)
{
    double a = fabs(v);
    uint64_t bits, M, m = 0;
    int e2, s, x, prec;
    kl_digits dg;

    if (!(a >= KL_EXACT_MIN && a < KL_EXACT_MAX))
        return 0;
    /* a is normal here: a = M * 2^(e2 - 53) with M = 1.fraction bits. */
    memcpy(&bits, &a, sizeof bits);
    M = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
    e2 = (int)(bits >> 52) - 1022;
    s = 53 - e2;
    /* floor((e2 - 1) * log10(2)) is within one of floor(log10 a);
     * 78913 / 2^18 is log10(2) closely enough for |e2| < 100. */
    x = kl_floor_div((e2 - 1) * 78913, 1 << 18);
    for (prec = 15; prec <= 17; prec++)
        if (kl_exact_round(M, s, prec, &x, &m))
            break;
    if (prec > 17)
        return 0; /* 17 digits always read back; not reached */
    if (m == kl_pow10_u64[prec]) { /* rounding carried: 99.9.. -> 100.0.. */
        m /= 10;
        x++;
    }
    /* m has prec digits; kl_digits_render drops the trailing zeros. */
    for (int i = prec - 1; i >= 0; i--, m /= 10)
        dg.d[i] = (char)('0' + m % 10);
    dg.exp10 = x;
    return kl_digits_render(buf, v < 0, &dg, prec);
}
#else
static size_t kl_format_exact(char *buf, double v)
{
    (void)buf;
    (void)v;
    return 0; /* no 128-bit integers: kl_format_general does it all */
}
#endif

size_t kl_format_num(char *buf, double v)
{
    size_t n;

    if (!isfinite(v)) {
        buf[0] = '\0';
        return 0;
    }
    /* Integral and exact: print as an integer (-0 becomes "0" here too). */
    if (fabs(v) <= KL_NUM_EXACT_INT && v == (double)(int64_t)v)
        return kl_format_int(buf, (int64_t)v);
    n = kl_format_exact(buf, v);
    return n ? n : kl_format_general(buf, v);
}
