/*  A small test harness: each test is a function returning true when it
    passed; RUN prints "PASS name" or "FAIL name" and tests/run.sh counts. */
#ifndef GC_TESTUTIL_H_INCLUDED
#define GC_TESTUTIL_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

static int s_tests_passed, s_tests_failed;
//  Failures found outside a test's own checks (the store checker after a
//  step): they fail the test that is running
static int s_test_extra_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
            return false;                                                                          \
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
