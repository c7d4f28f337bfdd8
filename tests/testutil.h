/*  A small test harness: each test is a function returning true when it
    passed; RUN prints "PASS name" or "FAIL name" and tests/run.sh counts.

    CHECK (cond) stops the test when COND is false (a guard: what follows
    depends on it). CHECK_OP (a, op, b) does the same for a comparison and
    prints both values. EXPECT_CONTAINS (text, part) and EXPECT_OP (a, op,
    b) print what they saw and let the test go on, so one run shows every
    check that failed; the test fails at its end. */
#ifndef GC_TESTUTIL_H_INCLUDED
#define GC_TESTUTIL_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int s_tests_passed, s_tests_failed;
//  Failures that let the test go on (EXPECT_*, the store checker after a
//  step): they fail the test that is running
static int s_test_extra_failures;

//  A value as text, whatever its type
static inline void
s_show_signed (char *out, size_t size, long long value)
{
    snprintf (out, size, "%lld", value);
}
static inline void
s_show_unsigned (char *out, size_t size, unsigned long long value)
{
    snprintf (out, size, "%llu", value);
}
static inline void
s_show_double (char *out, size_t size, double value)
{
    snprintf (out, size, "%.17g", value);
}
static inline void
s_show_string (char *out, size_t size, const char *value)
{
    if (value)
        snprintf (out, size, "\"%.200s\"%s", value, strlen (value) > 200 ? "..." : "");
    else
        snprintf (out, size, "NULL");
}
static inline void
s_show_pointer (char *out, size_t size, const void *value)
{
    snprintf (out, size, "%p", value);
}
#define SHOW_VALUE(out, x)                                                                         \
    _Generic ((x),                                                                                 \
        char *: s_show_string,                                                                     \
        const char *: s_show_string,                                                               \
        unsigned char: s_show_unsigned,                                                            \
        unsigned short: s_show_unsigned,                                                           \
        unsigned int: s_show_unsigned,                                                             \
        unsigned long: s_show_unsigned,                                                            \
        unsigned long long: s_show_unsigned,                                                       \
        float: s_show_double,                                                                      \
        double: s_show_double,                                                                     \
        void *: s_show_pointer,                                                                    \
        const void *: s_show_pointer,                                                              \
        default: s_show_signed) (out, sizeof (out), x)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

//  COND holds; when not, the test goes on and fails at its end
#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
            s_test_extra_failures++;                                                               \
        }                                                                                          \
    } while (0)

//  A comparison: each side evaluated once, both shown when it fails; FATAL
//  returns from the test, else it goes on
#define COMPARE_(a, op, b, fatal)                                                                  \
    do {                                                                                           \
        __auto_type a_ = (a);                                                                      \
        __auto_type b_ = (b);                                                                      \
        _Pragma ("GCC diagnostic push");                                                           \
        _Pragma ("GCC diagnostic ignored \"-Wsign-compare\"");                                     \
        bool held_ = a_ op b_;                                                                     \
        _Pragma ("GCC diagnostic pop");                                                            \
        if (!held_) {                                                                              \
            char sa_[256], sb_[256];                                                               \
            SHOW_VALUE (sa_, a_);                                                                  \
            SHOW_VALUE (sb_, b_);                                                                  \
            fprintf (stderr,                                                                       \
                     "%s:%d: check failed: %s %s %s, with %s on the left, %s on the right\n",      \
                     __FILE__, __LINE__, #a, #op, #b, sa_, sb_);                                   \
            if (fatal)                                                                             \
                return false;                                                                      \
            s_test_extra_failures++;                                                               \
        }                                                                                          \
    } while (0)
#define CHECK_OP(a, op, b) COMPARE_ (a, op, b, true)
#define EXPECT_OP(a, op, b) COMPARE_ (a, op, b, false)

//  TEXT holds PART; when not, both are shown and the test goes on
#define EXPECT_CONTAINS(text, part)                                                                \
    do {                                                                                           \
        const char *t_ = (text), *p_ = (part);                                                     \
        if (!t_ || !strstr (t_, p_)) {                                                             \
            fprintf (stderr,                                                                       \
                     "%s:%d: check failed: %s does not contain %s\n  wanted: %s\n  in: %.2000s\n", \
                     __FILE__, __LINE__, #text, #part, p_, t_ ? t_ : "NULL");                      \
            s_test_extra_failures++;                                                               \
        }                                                                                          \
    } while (0)

#define RUN(test)                                                                                  \
    do {                                                                                           \
        bool ok_ = test ();                                                                        \
        if (s_test_extra_failures)                                                                 \
            ok_ = false;                                                                           \
        s_test_extra_failures = 0;                                                                 \
        printf ("%s %s\n", ok_ ? "PASS" : "FAIL", #test);                                          \
        fflush (stdout);                                                                           \
        if (ok_)                                                                                   \
            s_tests_passed++;                                                                      \
        else                                                                                       \
            s_tests_failed++;                                                                      \
    } while (0)

#define TESTS_DONE() (s_tests_failed ? 1 : 0)

#endif
