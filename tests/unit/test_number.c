/*
 * test_number.c -- unit tests of kl_number: strict integer and decimal
 * parsing (agreeing bit for bit with strtod), shortest round-trip printing.
 *
 * KL_TEST_SCALE (a divisor, default 1) shrinks the random sweeps, e.g. for a
 * run under valgrind.
 */
#include "kt.h"

#include <float.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "kl_number.h"

/* A deterministic generator (splitmix64): failures are reproducible. */
static uint64_t num_rng_state = 0x0123456789abcdefull;

static uint64_t num_rand(void)
{
    uint64_t z = (num_rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned num_below(unsigned n)
{
    return (unsigned)(num_rand() % n);
}

/* How many random cases to run: n divided by KL_TEST_SCALE. */
static long num_iterations(long n)
{
    const char *s = getenv("KL_TEST_SCALE");
    long scale = s ? atol(s) : 1;
    return scale > 1 ? n / scale : n;
}

static uint64_t num_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double num_from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* Parses a NUL-terminated string (the caller's guarantee). */
static kl_num_status num_parse(const char *s, double *out)
{
    return kl_parse_num(s, strlen(s), out);
}

static kl_num_status int_parse(const char *s, int64_t *out)
{
    return kl_parse_int(s, strlen(s), out);
}

/* ---- integers ----------------------------------------------------------- */

KT_TEST(number_int_valid)
{
    static const struct {
        const char *text;
        int64_t value;
    } cases[] = {
        {"42", 42},
        {"  42  ", 42},
        {"\t42\t", 42},
        {"+7", 7},
        {"-7", -7},
        {"0", 0},
        {"-0", 0},
        {"007", 7},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"00000000000000000000000000000001", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -12345;
        if (int_parse(cases[i].text, &v) != KL_NUM_OK)
            kt_fail(__FILE__, __LINE__, "\"%s\" rejected", cases[i].text);
        if (v != cases[i].value)
            kt_fail(__FILE__, __LINE__, "\"%s\" -> %lld", cases[i].text, (long long)v);
    }
}

KT_TEST(number_int_invalid)
{
    static const struct {
        const char *text;
        kl_num_status status;
    } cases[] = {
        {"", KL_NUM_EMPTY},
        {"   ", KL_NUM_EMPTY},
        {"-", KL_NUM_SYNTAX},
        {"+", KL_NUM_SYNTAX},
        {"--1", KL_NUM_SYNTAX},
        {"+-1", KL_NUM_SYNTAX},
        {"- 1", KL_NUM_SYNTAX},
        {"1 2", KL_NUM_SYNTAX},
        {"12.0", KL_NUM_SYNTAX},
        {"1e3", KL_NUM_SYNTAX},
        {"0x10", KL_NUM_SYNTAX},
        {"abc", KL_NUM_SYNTAX},
        {"1,234,567", KL_NUM_SYNTAX},
        {",5", KL_NUM_SYNTAX},
        {"5,", KL_NUM_SYNTAX},
        {"1,5", KL_NUM_DECIMAL_COMMA},
        {" -1,5 ", KL_NUM_DECIMAL_COMMA},
        {"9223372036854775808", KL_NUM_RANGE},
        {"-9223372036854775809", KL_NUM_RANGE},
        {"99999999999999999999999", KL_NUM_RANGE},
        {"99999999999999999999999x", KL_NUM_SYNTAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 99;
        kl_num_status st = int_parse(cases[i].text, &v);
        if (st != cases[i].status)
            kt_fail(__FILE__, __LINE__, "\"%s\" -> status %d, expected %d", cases[i].text,
                    (int)st, (int)cases[i].status);
        KT_EQ_INT(v, 99); /* untouched on failure */
    }
}

KT_TEST(number_int_not_terminated)
{
    int64_t v = 0;
    KT_EQ_INT(kl_parse_int("12345", 3, &v), KL_NUM_OK);
    KT_EQ_INT(v, 123);
    KT_EQ_INT(kl_parse_int("7x", 1, &v), KL_NUM_OK);
    KT_EQ_INT(v, 7);
    KT_EQ_INT(kl_parse_int("x", 0, &v), KL_NUM_EMPTY);
}

KT_TEST(number_int_random)
{
    long n = num_iterations(200000);
    for (long i = 0; i < n; i++) {
        int64_t x = (int64_t)num_rand() >> num_below(64), back = 0;
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)x);
        KT_EQ_INT(int_parse(text, &back), KL_NUM_OK);
        KT_CHECK(back == x);
        KT_EQ_INT(kl_format_int(text, x), strlen(text));
        KT_EQ_INT(int_parse(text, &back), KL_NUM_OK);
        KT_CHECK(back == x);
    }
}

KT_TEST(number_format_int)
{
    char buf[KL_NUM_FMT_MAX];
    KT_EQ_INT(kl_format_int(buf, 0), 1);
    KT_EQ_STR(buf, "0");
    kl_format_int(buf, -1);
    KT_EQ_STR(buf, "-1");
    kl_format_int(buf, 1234567890);
    KT_EQ_STR(buf, "1234567890");
    KT_EQ_INT(kl_format_int(buf, INT64_MIN), 20);
    KT_EQ_STR(buf, "-9223372036854775808");
    kl_format_int(buf, INT64_MAX);
    KT_EQ_STR(buf, "9223372036854775807");
}

/* ---- parsing doubles ---------------------------------------------------- */

/* Parses text with kl_parse_num and with strtod; they must agree exactly. */
static void num_check_against_strtod(const char *file, int line, const char *text)
{
    double got = 0, want;
    const char *p = text;
    char *end;
    kl_num_status st = num_parse(text, &got);

    while (*p == ' ' || *p == '\t')
        p++;
    want = strtod(p, &end);
    if (isinf(want)) {
        if (st != KL_NUM_RANGE)
            kt_fail(file, line, "\"%s\" -> status %d, expected RANGE", text, (int)st);
        return;
    }
    if (st != KL_NUM_OK)
        kt_fail(file, line, "\"%s\" -> status %d", text, (int)st);
    if (num_bits(got) != num_bits(want))
        kt_fail(file, line, "\"%s\" -> %a, strtod says %a", text, got, want);
}

#define NUM_AGREES(text) num_check_against_strtod(__FILE__, __LINE__, (text))

KT_TEST(number_num_edge_cases)
{
    static const char *const texts[] = {
        "0", "-0", "+0", "0.0", "-0.0", "0e999999999999999999", "-0e-5", "5e-324",
        "4.9406564584124654e-324", "2.4703282292062328e-324", "2.4703282292062327e-324",
        "1e-400", "2.2250738585072014e-308", "2.2250738585072011e-308",
        "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740992",
        "9007199254740993", "9007199254740994", "9007199254740995", "0.1", "1e22", "1e23",
        "1e-22", "1e-23", "12345.67", "  42  ", "+7", ".5", "5.", "-.5e1", "5.E-1",
        "123456789012345678901234567890", "1.00000000000000000000000000000000000000001",
        "1.0000000000000000000000000000", "100000000000000000000000", "12e30",
        "9007199254740993e22", "3.14159265358979323846264338327950288", "1e0", "1E+0",
        "0.000000000000000000000000000000000000000000001", "7e-10", "1e308", "1e-307",
        "18446744073709551615", "18446744073709551616", "9999999999999999999",
        "99999999999999999999", "0.30000000000000004", "1448997445238699", "\t1.5\t"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        NUM_AGREES(texts[i]);
}

KT_TEST(number_num_values)
{
    double v = 1;
    KT_EQ_INT(num_parse("-0", &v), KL_NUM_OK);
    KT_CHECK(v == 0 && signbit(v));
    KT_EQ_INT(num_parse("-0.0e10", &v), KL_NUM_OK);
    KT_CHECK(v == 0 && signbit(v));
    KT_EQ_INT(num_parse("0", &v), KL_NUM_OK);
    KT_CHECK(v == 0 && !signbit(v));
    KT_EQ_INT(num_parse("  42  ", &v), KL_NUM_OK);
    KT_CHECK(v == 42);
    KT_EQ_INT(num_parse("+7", &v), KL_NUM_OK);
    KT_CHECK(v == 7);
    KT_EQ_INT(num_parse("5e-324", &v), KL_NUM_OK);
    KT_CHECK(v == 4.9406564584124654e-324);
    KT_EQ_INT(num_parse("1.7976931348623157e308", &v), KL_NUM_OK);
    KT_CHECK(v == DBL_MAX);
    KT_EQ_INT(num_parse("9007199254740993", &v), KL_NUM_OK);
    KT_CHECK(v == 9007199254740992.0); /* halfway: rounds to even */
    KT_EQ_INT(num_parse("12345.67", &v), KL_NUM_OK);
    KT_CHECK(v == 12345.67);
}

KT_TEST(number_num_invalid)
{
    static const struct {
        const char *text;
        kl_num_status status;
    } cases[] = {
        {"", KL_NUM_EMPTY},
        {"  ", KL_NUM_EMPTY},
        {"\t", KL_NUM_EMPTY},
        {"-", KL_NUM_SYNTAX},
        {"+", KL_NUM_SYNTAX},
        {".", KL_NUM_SYNTAX},
        {"-.", KL_NUM_SYNTAX},
        {"1e", KL_NUM_SYNTAX},
        {"1e+", KL_NUM_SYNTAX},
        {"1e-", KL_NUM_SYNTAX},
        {"e5", KL_NUM_SYNTAX},
        {".e5", KL_NUM_SYNTAX},
        {"nan", KL_NUM_SYNTAX},
        {"NaN", KL_NUM_SYNTAX},
        {"inf", KL_NUM_SYNTAX},
        {"-Infinity", KL_NUM_SYNTAX},
        {"0x1p3", KL_NUM_SYNTAX},
        {"0x10", KL_NUM_SYNTAX},
        {"1.2.3", KL_NUM_SYNTAX},
        {"1e5.5", KL_NUM_SYNTAX},
        {"1e5e5", KL_NUM_SYNTAX},
        {"--1", KL_NUM_SYNTAX},
        {"1 2", KL_NUM_SYNTAX},
        {"1d5", KL_NUM_SYNTAX},
        {"1_000", KL_NUM_SYNTAX},
        {"1,234,567", KL_NUM_SYNTAX},
        {"1,5e3", KL_NUM_SYNTAX},
        {"1.5,", KL_NUM_SYNTAX},
        {"\xd9\xa1", KL_NUM_SYNTAX},
        {"1,5", KL_NUM_DECIMAL_COMMA},
        {" -12,75 ", KL_NUM_DECIMAL_COMMA},
        {"1e309", KL_NUM_RANGE},
        {"-1e309", KL_NUM_RANGE},
        {"1.8e308", KL_NUM_RANGE},
        {"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
         KL_NUM_RANGE},
        {"1e99999999999999999999", KL_NUM_RANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 99;
        kl_num_status st = num_parse(cases[i].text, &v);
        if (st != cases[i].status)
            kt_fail(__FILE__, __LINE__, "\"%s\" -> status %d, expected %d", cases[i].text,
                    (int)st, (int)cases[i].status);
        KT_CHECK(v == 99); /* untouched on failure */
    }
}

/* Surrounding spaces and the NUL at s[len] (not a NUL right after the
 * number) are what the CSV reader gives. */
KT_TEST(number_num_trailing_spaces_and_len)
{
    double v = 0;
    const char *text = "1.5e-300   ";
    KT_EQ_INT(kl_parse_num(text, strlen(text), &v), KL_NUM_OK);
    KT_CHECK(v == 1.5e-300);
    KT_EQ_INT(kl_parse_num("  123456789012345678901234  ", 28, &v), KL_NUM_OK);
    KT_CHECK(v == 123456789012345678901234.0);
}

/* Appends a random decimal number to buf (no exponent when exp is 0). */
static void num_random_text(char *buf, size_t cap)
{
    size_t n = 0;
    unsigned nint = num_below(8) == 0 ? num_below(30) : num_below(10);
    unsigned nfrac = num_below(3) == 0 ? 0 : num_below(num_below(4) == 0 ? 30 : 12);
    unsigned lead = num_below(4) == 0 ? num_below(4) : 0;

    if (num_below(6) == 0)
        buf[n++] = ' ';
    if (num_below(3) == 0)
        buf[n++] = num_below(4) ? '-' : '+';
    if (nint == 0 && nfrac == 0)
        nint = 1;
    while (lead--)
        buf[n++] = '0';
    for (unsigned i = 0; i < nint; i++)
        buf[n++] = (char)('0' + num_below(10));
    if (nfrac || num_below(10) == 0)
        buf[n++] = '.';
    for (unsigned i = 0; i < nfrac; i++)
        buf[n++] = (char)('0' + num_below(10));
    if (num_below(2) == 0) {
        /* Small exponents mostly (the fast path), sometimes the extremes. */
        int e = num_below(3) ? (int)num_below(61) - 30 : (int)num_below(700) - 350;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%d", num_below(2) ? "e" : "E",
                              e >= 0 && num_below(2) ? "+" : "", e);
    }
    if (num_below(6) == 0)
        buf[n++] = ' ';
    buf[n] = '\0';
}

KT_TEST(number_num_random_vs_strtod)
{
    long n = num_iterations(1000000);
    char text[160];
    for (long i = 0; i < n; i++) {
        num_random_text(text, sizeof text);
        NUM_AGREES(text);
    }
}

/* Decimal strings very close to halfway between two doubles: the hardest
 * rounding cases (all go through the strtod fallback, which must be reached
 * correctly), and random doubles printed with 15 to 17 digits. */
KT_TEST(number_num_near_halfway)
{
    long n = num_iterations(200000);
    char text[128];
    for (long i = 0; i < n; i++) {
        double v = num_from_bits(num_rand() & ~(UINT64_C(1) << 63));
        if (!isfinite(v))
            continue;
        long double mid = ((long double)v + (long double)nextafter(v, INFINITY)) / 2;
        snprintf(text, sizeof text, "%.*Le", 17 + (int)num_below(25), mid);
        NUM_AGREES(text);
        snprintf(text, sizeof text, "%.*g", 15 + (int)num_below(3), v);
        NUM_AGREES(text);
    }
}

/* ---- printing ----------------------------------------------------------- */

static void num_check_format(const char *file, int line, double v, const char *want)
{
    char buf[KL_NUM_FMT_MAX];
    size_t n = kl_format_num(buf, v);
    if (strcmp(buf, want) != 0 || n != strlen(want))
        kt_fail(file, line, "%a printed as \"%s\" (%zu), expected \"%s\"", v, buf, n, want);
}

#define NUM_PRINTS(v, want) num_check_format(__FILE__, __LINE__, (v), (want))

KT_TEST(number_format_cases)
{
    NUM_PRINTS(0.0, "0");
    NUM_PRINTS(-0.0, "0");
    NUM_PRINTS(12.0, "12");
    NUM_PRINTS(-12.0, "-12");
    NUM_PRINTS(0.1, "0.1");
    NUM_PRINTS(0.1 + 0.2, "0.30000000000000004");
    NUM_PRINTS(-1.5, "-1.5");
    NUM_PRINTS(12345.67, "12345.67");
    NUM_PRINTS(1e-7, "1e-07");
    NUM_PRINTS(5e-324, "5e-324");
    NUM_PRINTS(-5e-324, "-5e-324");
    NUM_PRINTS(DBL_MIN, "2.2250738585072014e-308");
    NUM_PRINTS(DBL_MAX, "1.7976931348623157e+308");
    NUM_PRINTS(9007199254740992.0, "9007199254740992");
    NUM_PRINTS(-9007199254740992.0, "-9007199254740992");
    NUM_PRINTS(9007199254740994.0, "9007199254740994");
    NUM_PRINTS(1e15, "1000000000000000");
    NUM_PRINTS(1e21, "1e+21");
    NUM_PRINTS(1e22, "1e+22");
    NUM_PRINTS(1e23, "1e+23");
    NUM_PRINTS(123456789012345680000.0, "1.2345678901234568e+20");
    NUM_PRINTS(2.5, "2.5");
    NUM_PRINTS(1.0 / 3, "0.3333333333333333");
    NUM_PRINTS(2.0 / 3, "0.6666666666666666");
    NUM_PRINTS(100.5, "100.5");
}

KT_TEST(number_format_non_finite)
{
    char buf[KL_NUM_FMT_MAX];
    memset(buf, 'x', sizeof buf);
    KT_EQ_INT(kl_format_num(buf, NAN), 0);
    KT_EQ_STR(buf, "");
    KT_EQ_INT(kl_format_num(buf, INFINITY), 0);
    KT_EQ_STR(buf, "");
    KT_EQ_INT(kl_format_num(buf, -INFINITY), 0);
    KT_EQ_STR(buf, "");
}

/* A random finite double of one of several kinds, covering each printing
 * path: random bits (mostly huge or tiny), short decimals, full-precision
 * values in the everyday range, binary fractions whose exact decimal
 * expansion ends in ...5 (printf's round-half-even ties), powers of two
 * (a narrower gap below), subnormals, integers past 2^53. */
static double num_random_double(void)
{
    double v;
    int sign = num_below(2) ? 1 : -1;
    switch (num_below(8)) {
    case 0:
        return (double)(int64_t)(num_rand() % 2000000001) / 100.0 - 1e7;
    case 1:
        return num_from_bits(num_rand() & UINT64_C(0x800fffffffffffff)); /* subnormal */
    case 2:
        return ldexp((double)(num_rand() >> 11), (int)num_below(20));
    case 3: /* full precision, 1e-7 .. 1e17 */
        return sign * ldexp(0.5 + (double)(num_rand() >> 11) * 0x1p-54,
                            (int)num_below(80) - 23);
    case 4: /* few binary fraction digits: exact decimal expansions, ties */
        return sign * ldexp((double)(num_rand() >> (11 + num_below(30))),
                            -(int)num_below(25));
    case 5: /* powers of two and their neighbours */
        v = ldexp(1.0, (int)num_below(120) - 60);
        return num_below(3) == 0 ? nextafter(v, 0) : num_below(2) ? v : nextafter(v, 1e300);
    case 6: /* near powers of ten */
        v = num_below(2) ? 1e-5 : 1.0;
        v *= pow(10, num_below(21));
        for (int i = (int)num_below(4); i > 0; i--)
            v = nextafter(v, num_below(2) ? 0 : 1e300);
        return sign * v;
    default:
        do
            v = num_from_bits(num_rand());
        while (!isfinite(v));
        return v;
    }
}

KT_TEST(number_format_round_trip)
{
    long n = num_iterations(1000000);
    char buf[KL_NUM_FMT_MAX];
    for (long i = 0; i < n; i++) {
        double v = i < n / 2 ? num_random_double() : num_from_bits(num_rand()), back = 1;
        size_t len;
        if (!isfinite(v))
            continue;
        len = kl_format_num(buf, v);
        KT_CHECK(len > 0 && len < KL_NUM_FMT_MAX && len == strlen(buf));
        if (kl_parse_num(buf, len, &back) != KL_NUM_OK || back != v)
            kt_fail(__FILE__, __LINE__, "%a printed as \"%s\" reads back as %a", v, buf, back);
        /* Both zeros print as "0"; every other value keeps its bits. */
        KT_CHECK(v == 0 || num_bits(back) == num_bits(v));
    }
}

/* The reference: the first precision 1..17 whose "%.*g" strtod reads back,
 * integers up to 2^53 as integers. */
static void num_reference_format(char *buf, size_t cap, double v)
{
    if (v == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    if (fabs(v) <= 9007199254740992.0 && v == trunc(v)) {
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

KT_TEST(number_format_shortest)
{
    long n = num_iterations(300000);
    char got[KL_NUM_FMT_MAX], want[64];
    for (long i = 0; i < n; i++) {
        double v = num_random_double();
        kl_format_num(got, v);
        num_reference_format(want, sizeof want, v);
        if (strcmp(got, want) != 0)
            kt_fail(__FILE__, __LINE__, "%a printed as \"%s\", expected \"%s\"", v, got, want);
    }
}

/* A host program may switch LC_NUMERIC to a decimal-comma locale; neither
 * parsing nor printing may follow it.  Skipped when no such locale is
 * installed (LOCPATH can point at one made with localedef). */
KT_TEST(number_locale_independent)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                        "fr_FR.utf8", "nl_NL.UTF-8"};
    char buf[KL_NUM_FMT_MAX];
    double v = 0;
    int found = 0;

    for (size_t i = 0; i < sizeof names / sizeof names[0] && !found; i++)
        found = setlocale(LC_NUMERIC, names[i]) != NULL;
    if (!found)
        return;
    KT_EQ_STR(localeconv()->decimal_point, ","); /* the locale is in force */
    KT_EQ_INT(num_parse("1.5e-300", &v), KL_NUM_OK); /* the strtod fallback */
    KT_CHECK(v == 1.5e-300);
    KT_EQ_INT(num_parse("123456789012345678901.5", &v), KL_NUM_OK);
    KT_CHECK(v == 123456789012345678901.5);
    kl_format_num(buf, 0.1);
    KT_EQ_STR(buf, "0.1");
    kl_format_num(buf, 1.5e-300);
    KT_EQ_STR(buf, "1.5e-300");
    setlocale(LC_NUMERIC, "C");
}

/* The loader's inline fast paths: whenever they answer, the answer is the
 * general parser's (and strtod's), bit for bit; they decline every other
 * shape, leaving it to the general parser. */
KT_TEST(number_plain_paths_agree)
{
    static const char alphabet[] = "0123456789.-+e ,x";
    char text[40];
    long taken = 0;

    for (long i = 0; i < num_iterations(400000); i++) {
        size_t len = 1 + num_below(i & 1 ? 19 : 12);
        double plain = -1.0, general = -2.0;
        int64_t iplain = -1, igeneral = -2;
        for (size_t k = 0; k < len; k++)
            text[k] = i % 4 == 0 ? alphabet[num_below(sizeof alphabet - 1)]
                      : k == 0 && num_below(3) == 0 ? '-'
                      : num_below(12) == 0        ? '.'
                                                  : (char)('0' + num_below(10));
        text[len] = '\0';
        if (kl_parse_num_plain(text, len, &plain)) {
            taken++;
            KT_EQ_INT(kl_parse_num(text, len, &general), KL_NUM_OK);
            KT_CHECK(num_bits(plain) == num_bits(general));
            KT_CHECK(num_bits(plain) == num_bits(strtod(text, NULL)));
        }
        if (kl_parse_int_plain(text, len, &iplain)) {
            KT_EQ_INT(kl_parse_int(text, len, &igeneral), KL_NUM_OK);
            KT_CHECK(iplain == igeneral);
        }
        /* The over-reading versions, with junk after the NUL: same answers. */
        char padded[64];
        memcpy(padded, text, len + 1);
        for (size_t k = len + 1; k < sizeof padded; k++)
            padded[k] = (char)('0' + num_below(10));
        double swar = -3.0;
        int64_t iswar = -3;
        int took = kl_parse_num_padded(padded, len, &swar);
        KT_EQ_INT(took, kl_parse_num_plain(text, len, &plain));
        KT_CHECK(!took || num_bits(swar) == num_bits(plain));
        took = kl_parse_int_padded(padded, len, &iswar);
        KT_EQ_INT(took, kl_parse_int_plain(text, len, &iplain));
        KT_CHECK(!took || iswar == iplain);
    }
    KT_CHECK(taken > num_iterations(400000) / 4); /* the fast path did run */
    /* Shapes it must leave alone, and edge cases it takes. */
    const char *declined[] = {"", " 1", "1 ", "+1", ".5", "5.", "1e3", "1,5", "-",
                              "1234567890123456", "0.1234567890123456", "--1", "1.2.3"};
    for (size_t k = 0; k < sizeof declined / sizeof *declined; k++) {
        double v = 7.0;
        KT_CHECK(!kl_parse_num_plain(declined[k], strlen(declined[k]), &v));
        KT_CHECK(v == 7.0);
    }
    double v;
    KT_CHECK(kl_parse_num_plain("-0", 2, &v) && v == 0.0 && signbit(v));
    KT_CHECK(kl_parse_num_plain("0.1", 3, &v) && v == 0.1);
    KT_CHECK(kl_parse_num_plain("123456789012345", 15, &v) && v == 123456789012345.0);
    int64_t iv = 5;
    KT_CHECK(!kl_parse_int_plain("1234567890123456789", 19, &iv) && iv == 5);
    KT_CHECK(!kl_parse_int_plain("-", 1, &iv) && !kl_parse_int_plain("1.0", 3, &iv));
    KT_CHECK(kl_parse_int_plain("-000123", 7, &iv) && iv == -123);
}
