/* Minimal assertion helpers for the ctest programs: each failure prints file:line
 * and the expression; main returns the failure count (0 = pass). */
#ifndef TS_TEST_CHECK_H
#define TS_TEST_CHECK_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int ts_test_failures;
static int ts_test_checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        ts_test_checks++;                                                            \
        if (!(cond)) {                                                               \
            ts_test_failures++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        ts_test_checks++;                                                            \
        if (!(cond)) {                                                               \
            ts_test_failures++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol) \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.9g vs %.9g (tol %.3g)", (double)(a), (double)(b), (double)(tol))

/* error message must contain `needle` */
#define CHECK_ERR(rc, err, needle) \
    CHECK_MSG((rc) != 0 && strstr((err).msg, (needle)), "rc=%d msg='%s' wanted '%s'", (rc), (err).msg, (needle))

static inline int ts_test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, ts_test_checks, ts_test_failures);
    return ts_test_failures ? 1 : 0;
}
#endif
