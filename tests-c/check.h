/*
 * check.h: a tiny test harness for the C API tests.
 *
 * Each test is a `static void test_xxx(void)`; a test file lists them in a
 * `struct test_case` array and calls `run_tests()` from main. A failing
 * CHECK prints `FAIL file:line [test]: what` (with the kind and message of
 * a wasihost_error_t when there is one) and the test goes on; REQUIRE_*
 * variants return from the test function at once (for when nothing after
 * makes sense). Checks may be made from any thread.
 *
 * Command line of a test binary:  test_xxx [--guests DIR] [NAME...]
 * DIR holds the C guests compiled to wasm (default: $WASIHOST_TEST_GUESTS);
 * NAMEs select tests whose name contains one of them.
 */
#ifndef CHECK_H
#define CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasihost.h"

static atomic_int check_failures;     /* failed checks in the current test */
static atomic_long check_count;       /* checks made in the whole run */
static const char *check_test_name = "?";
static const char *check_guest_dir;   /* where the compiled C guests are */

__attribute__((format(printf, 3, 4))) static void check_fail(const char *file, int line,
                                                             const char *fmt, ...) {
    atomic_fetch_add(&check_failures, 1);
    flockfile(stdout);
    printf("FAIL %s:%d [%s]: ", file, line, check_test_name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    funlockfile(stdout);
}

/* An error as text, for failure messages. */
__attribute__((unused)) static void check_describe(const wasihost_error_t *e, char *buf, size_t cap) {
    if (e == NULL) {
        snprintf(buf, cap, "no error");
        return;
    }
    snprintf(buf, cap, "error kind %u (%s), errno %u: %s", (unsigned)wasihost_error_kind(e),
             wasihost_error_kind_name(wasihost_error_kind(e)), (unsigned)wasihost_error_errno(e),
             wasihost_error_message(e));
}

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (!(cond))                                                                           \
            check_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                   \
    do {                                                                                       \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (!(cond))                                                                           \
            check_fail(__FILE__, __LINE__, __VA_ARGS__);                                       \
    } while (0)

#define REQUIRE(cond)                                                                          \
    do {                                                                                       \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (!(cond)) {                                                                         \
            check_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                              \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                       \
    do {                                                                                       \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);        \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (a_ != b_)                                                                          \
            check_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_);         \
    } while (0)

#define CHECK_EQ_I(a, b)                                                                       \
    do {                                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                                    \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (a_ != b_)                                                                          \
            check_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);         \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                     \
    do {                                                                                       \
        const char *a_ = (a), *b_ = (b);                                                       \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                   \
            check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,              \
                       a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                            \
    do {                                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                                \
        atomic_fetch_add(&check_count, 1);                                                     \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                              \
            check_fail(__FILE__, __LINE__, "%s contains \"%s\": it is \"%s\"", #hay, n_,      \
                       h_ ? h_ : "(null)");                                                    \
    } while (0)

/* Two byte strings are equal; on failure, says where they first differ. */
#define CHECK_MEM_EQ(p, plen, q, qlen)                                                         \
    check_mem_eq_((const void *)(p), (size_t)(plen), (const void *)(q), (size_t)(qlen),       \
                  __FILE__, __LINE__, #p, #q)

__attribute__((unused)) static bool check_mem_eq_(const void *p, size_t plen, const void *q, size_t qlen,
                          const char *file, int line, const char *ps, const char *qs) {
    atomic_fetch_add(&check_count, 1);
    const unsigned char *a = p, *b = q;
    size_t n = plen < qlen ? plen : qlen;
    size_t i = 0;
    if (n > 0 && (a == NULL || b == NULL)) {
        check_fail(file, line, "%s vs %s: NULL data with length %zu / %zu", ps, qs, plen,
                   qlen);
        return false;
    }
    while (i < n && a[i] == b[i])
        i++;
    if (i == n && plen == qlen)
        return true;
    if (i < n)
        check_fail(file, line, "%s == %s: lengths %zu and %zu, first difference at byte %zu "
                   "(0x%02x vs 0x%02x)", ps, qs, plen, qlen, i, a[i], b[i]);
    else
        check_fail(file, line, "%s == %s: lengths %zu and %zu (equal up to the shorter)", ps,
                   qs, plen, qlen);
    return false;
}

/* `expr` succeeded (returned NULL); else prints and frees the error. */
#define CHECK_OK(expr) check_ok_((expr), __FILE__, __LINE__, #expr)
#define REQUIRE_OK(expr)                                                                       \
    do {                                                                                       \
        if (!CHECK_OK(expr))                                                                   \
            return;                                                                            \
    } while (0)

__attribute__((unused)) static bool check_ok_(wasihost_error_t *e, const char *file, int line, const char *what) {
    atomic_fetch_add(&check_count, 1);
    if (e == NULL)
        return true;
    char buf[4096];
    check_describe(e, buf, sizeof buf);
    check_fail(file, line, "%s failed: %s", what, buf);
    wasihost_error_delete(e);
    return false;
}

/*
 * `expr` failed with an error of `kind`, a non-empty message that contains
 * `needle` (unless NULL), and WASI errno `err` (unless -1). Frees the
 * error. Returns whether all of that held.
 */
#define CHECK_ERR(expr, kind, needle) \
    check_err_((expr), (kind), -1, (needle), __FILE__, __LINE__, #expr)
#define CHECK_ERR_ERRNO(expr, kind, err, needle) \
    check_err_((expr), (kind), (err), (needle), __FILE__, __LINE__, #expr)

__attribute__((unused)) static bool check_err_(wasihost_error_t *e, wasihost_error_kind_t kind, int err,
                       const char *needle, const char *file, int line, const char *what) {
    atomic_fetch_add(&check_count, 1);
    if (e == NULL) {
        check_fail(file, line, "%s: expected an error of kind %u (%s), got success", what,
                   (unsigned)kind, wasihost_error_kind_name(kind));
        return false;
    }
    bool ok = true;
    char buf[4096];
    check_describe(e, buf, sizeof buf);
    const char *msg = wasihost_error_message(e);
    if (wasihost_error_kind(e) != kind) {
        check_fail(file, line, "%s: expected kind %u (%s), got %s", what, (unsigned)kind,
                   wasihost_error_kind_name(kind), buf);
        ok = false;
    } else if (msg == NULL || msg[0] == '\0') {
        check_fail(file, line, "%s: empty error message", what);
        ok = false;
    } else if (needle != NULL && strstr(msg, needle) == NULL) {
        check_fail(file, line, "%s: message does not contain \"%s\": %s", what, needle, buf);
        ok = false;
    } else if (err >= 0 && wasihost_error_errno(e) != (uint16_t)err) {
        check_fail(file, line, "%s: expected errno %d, got %s", what, err, buf);
        ok = false;
    }
    wasihost_error_delete(e);
    return ok;
}

/* ---- the runner ---------------------------------------------------------- */

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST_CASE(f) {#f, f}

__attribute__((unused)) static int run_tests(int argc, char **argv, const struct test_case *tests, size_t n) {
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    check_guest_dir = getenv("WASIHOST_TEST_GUESTS");
    int first_name = 1;
    if (argc > 2 && strcmp(argv[1], "--guests") == 0) {
        check_guest_dir = argv[2];
        first_name = 3;
    }
    /* A hang is a failure too: the default action of SIGALRM ends the run. */
    alarm(600);
    size_t run = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        bool selected = first_name >= argc;
        for (int a = first_name; a < argc && !selected; a++)
            selected = strstr(tests[i].name, argv[a]) != NULL;
        if (!selected)
            continue;
        check_test_name = tests[i].name;
        atomic_store(&check_failures, 0);
        tests[i].fn();
        run++;
        int f = atomic_load(&check_failures);
        if (f != 0) {
            failed++;
            printf("  %-44s FAILED (%d checks)\n", tests[i].name, f);
        } else {
            printf("  %-44s ok\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("%s: %zu tests, %zu passed, %zu failed (%ld checks)\n", prog, run, run - failed,
           failed, atomic_load(&check_count));
    fflush(stdout);
    return failed == 0 && run > 0 ? 0 : 1;
}

#endif /* CHECK_H */
