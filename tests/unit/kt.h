/*
 * kt.h -- klaster's small unit-test framework (in the style of libuv's).
 *
 * A test is a function declared with KT_TEST(name); it registers itself at
 * start-up.  The runner (runner.c) runs each test in a child process with a
 * time limit, so a crash or a hang fails that test only, and ends with the
 * line "N passed, N failed".  A failed check prints file:line and ends the
 * child.  Tests run with the repository root as the working directory.
 */
#ifndef KT_H
#define KT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef void (*kt_fn)(void);
void kt_register(const char *name, const char *file, kt_fn fn);
void kt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* A fresh temporary folder for this test (removed by the runner afterwards). */
const char *kt_tmpdir(void);
/* Writes len bytes to path (in a test: fails the test on error). */
void kt_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd NUL-terminated buffer (test fails if absent). */
char *kt_read_file(const char *path, size_t *len);

#define KT_TEST(name)                                                          \
    static void name(void);                                                    \
    __attribute__((constructor)) static void name##_register(void)             \
    {                                                                          \
        kt_register(#name, __FILE__, name);                                    \
    }                                                                          \
    static void name(void)

#define KT_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond))                                                           \
            kt_fail(__FILE__, __LINE__, "check failed: %s", #cond);            \
    } while (0)

#define KT_EQ_INT(a, b)                                                        \
    do {                                                                       \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);              \
        if (kt_a_ != kt_b_)                                                    \
            kt_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, \
                    kt_a_, #b, kt_b_);                                         \
    } while (0)

#define KT_EQ_STR(a, b)                                                        \
    do {                                                                       \
        const char *kt_a_ = (a), *kt_b_ = (b);                                 \
        if (!kt_a_ || !kt_b_ || strcmp(kt_a_, kt_b_) != 0)                    \
            kt_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,    \
                    kt_a_ ? kt_a_ : "(null)", kt_b_ ? kt_b_ : "(null)");       \
    } while (0)

/* Equal within a relative 1e-9 (the spec's tolerance); NaN equals NaN. */
#define KT_EQ_NUM(a, b)                                                        \
    do {                                                                       \
        double kt_a_ = (a), kt_b_ = (b);                                       \
        int kt_ok_ = (isnan(kt_a_) && isnan(kt_b_)) ||                         \
                     fabs(kt_a_ - kt_b_) <= 1e-9 * fmax(fabs(kt_b_), 1e-300) || \
                     kt_a_ == kt_b_;                                           \
        if (!kt_ok_)                                                           \
            kt_fail(__FILE__, __LINE__, "%s == %.17g, expected %.17g", #a,     \
                    kt_a_, kt_b_);                                             \
    } while (0)

/* The substring needle occurs in haystack. */
#define KT_CONTAINS(haystack, needle)                                          \
    do {                                                                       \
        const char *kt_h_ = (haystack), *kt_n_ = (needle);                     \
        if (!kt_h_ || !strstr(kt_h_, kt_n_))                                   \
            kt_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"",      \
                    kt_h_ ? kt_h_ : "(null)", kt_n_);                          \
    } while (0)

#endif /* KT_H */
