/*
 * A minimal stand-in for Criterion, used ONLY in the ThreadSanitizer build.
 *
 * Criterion's runner forks each test into a sandbox with a shared-memory
 * arena that ThreadSanitizer's memory layout does not allow ("Could not
 * initialize inheritable arena"), so under TSan the same test sources are
 * compiled against this header instead: tests run one after another in one
 * process, each with its suite/test .init/.fini, a .timeout enforced with
 * alarm(), fatal assertions leaving the test through longjmp. It supports the
 * subset of Criterion the suite uses; add to it rather than working around it.
 */
#ifndef KAFC_TSAN_CRITERION_SHIM_H
#define KAFC_TSAN_CRITERION_SHIM_H

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct criterion_test_extra_data {
    void (*init)(void);
    void (*fini)(void);
    double timeout;
    int disabled;
    const char *description;
    int shim_pad_;
};

struct shim_test {
    const char *suite;
    const char *name;
    void (*fn)(void);
    struct criterion_test_extra_data *opts;
    struct shim_test *next;
};

struct shim_suite {
    const char *name;
    struct criterion_test_extra_data *opts;
    struct shim_suite *next;
};

static struct shim_test *shim_tests_head, **shim_tests_tail = &shim_tests_head;
static struct shim_suite *shim_suites;
static jmp_buf shim_jmp;
static int shim_failed, shim_skipped;
static const char *shim_current = "";

static inline void shim_register(struct shim_test *t)
{
    *shim_tests_tail = t;
    shim_tests_tail = &t->next;
}

#define SHIM_CAT_(a, b) a##b
#define SHIM_CAT(a, b) SHIM_CAT_(a, b)

#define Test(suite, name, ...)                                                                     \
    static void suite##_##name##_impl(void);                                                       \
    static struct criterion_test_extra_data suite##_##name##_opts = {.shim_pad_ = 0, __VA_ARGS__}; \
    static struct shim_test suite##_##name##_test = {#suite, #name, suite##_##name##_impl,         \
                                                     &suite##_##name##_opts, NULL};                \
    __attribute__((constructor)) static void suite##_##name##_reg(void)                            \
    {                                                                                              \
        shim_register(&suite##_##name##_test);                                                     \
    }                                                                                              \
    static void suite##_##name##_impl(void)

#define TestSuite(suite, ...)                                                                      \
    static struct criterion_test_extra_data suite##_suite_opts = {.shim_pad_ = 0, __VA_ARGS__};    \
    static struct shim_suite suite##_suite = {#suite, &suite##_suite_opts, NULL};                  \
    __attribute__((constructor)) static void suite##_suite_reg(void)                               \
    {                                                                                              \
        suite##_suite.next = shim_suites;                                                          \
        shim_suites = &suite##_suite;                                                              \
    }

__attribute__((format(printf, 6, 7))) static inline void
shim_check(int ok, int fatal, const char *file, int line, const char *text, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    fprintf(stderr, "[FAIL] %s: %s:%d: %s:", shim_current, file, line, text);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    shim_failed = 1;
    if (fatal)
        longjmp(shim_jmp, 1);
}

/* The message is the assertion text, then the test's own format, if any
 * (the leading space keeps an absent format from being a zero-length one). */
#define SHIM_ASSERT(fatal, cond, text, ...)                                                        \
    shim_check(!!(cond), fatal, __FILE__, __LINE__, text, " " __VA_ARGS__)
#define SHIM_CMP(fatal, a, op, b, ...) SHIM_ASSERT(fatal, (a)op(b), #a " " #op " " #b, __VA_ARGS__)

#define cr_assert(c, ...) SHIM_ASSERT(1, c, #c, __VA_ARGS__)
#define cr_expect(c, ...) SHIM_ASSERT(0, c, #c, __VA_ARGS__)
#define cr_assert_not(c, ...) SHIM_ASSERT(1, !(c), "!" #c, __VA_ARGS__)
#define cr_expect_not(c, ...) SHIM_ASSERT(0, !(c), "!" #c, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) SHIM_CMP(1, a, ==, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) SHIM_CMP(0, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) SHIM_CMP(1, a, !=, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) SHIM_CMP(0, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) SHIM_CMP(1, a, <, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) SHIM_CMP(0, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) SHIM_CMP(1, a, <=, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) SHIM_CMP(0, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) SHIM_CMP(1, a, >, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) SHIM_CMP(0, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) SHIM_CMP(1, a, >=, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) SHIM_CMP(0, a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...) SHIM_ASSERT(1, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...) SHIM_ASSERT(0, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) SHIM_ASSERT(1, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) SHIM_ASSERT(0, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)                                                                \
    SHIM_ASSERT(1, strcmp((a), (b)) == 0, #a " streq " #b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...)                                                                \
    SHIM_ASSERT(0, strcmp((a), (b)) == 0, #a " streq " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...)                                                               \
    SHIM_ASSERT(1, strcmp((a), (b)) != 0, #a " strneq " #b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...)                                                               \
    SHIM_ASSERT(0, strcmp((a), (b)) != 0, #a " strneq " #b, __VA_ARGS__)
#define cr_assert_arr_eq(a, b, n, ...)                                                             \
    SHIM_ASSERT(1, memcmp((a), (b), (n)) == 0, #a " arreq " #b, __VA_ARGS__)
#define cr_expect_arr_eq(a, b, n, ...)                                                             \
    SHIM_ASSERT(0, memcmp((a), (b), (n)) == 0, #a " arreq " #b, __VA_ARGS__)
#define cr_assert_fail(...) SHIM_ASSERT(1, 0, "cr_assert_fail", __VA_ARGS__)
#define cr_skip_test(...)                                                                          \
    do {                                                                                           \
        shim_skipped = 1;                                                                          \
        longjmp(shim_jmp, 2);                                                                      \
    } while (0)
#define cr_log_info(...) fprintf(stderr, __VA_ARGS__)
#define cr_log_warn(...) fprintf(stderr, __VA_ARGS__)

static void shim_on_alarm(int sig)
{
    static const char msg[] = "[FAIL] test timed out\n";
    (void)sig;
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(3);
}

/* Runs fn; a fatal assertion or skip inside it returns here. */
static __attribute__((noinline)) void shim_phase(void (*fn)(void))
{
    if (setjmp(shim_jmp) == 0)
        fn();
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    (void)argc;
    (void)argv;
    signal(SIGALRM, shim_on_alarm);
    for (struct shim_test *t = shim_tests_head; t; t = t->next) {
        struct criterion_test_extra_data *s = NULL;
        for (struct shim_suite *su = shim_suites; su; su = su->next)
            if (strcmp(su->name, t->suite) == 0)
                s = su->opts;
        void (*init)(void) = t->opts->init ? t->opts->init : (s ? s->init : NULL);
        void (*fini)(void) = t->opts->fini ? t->opts->fini : (s ? s->fini : NULL);
        double timeout = t->opts->timeout > 0 ? t->opts->timeout : (s ? s->timeout : 0);
        if (t->opts->disabled)
            continue;
        static char namebuf[256];
        snprintf(namebuf, sizeof(namebuf), "%s::%s", t->suite, t->name);
        shim_current = namebuf;
        shim_failed = shim_skipped = 0;
        alarm(timeout > 0 ? (unsigned)timeout + 1 : 300);
        if (init)
            shim_phase(init);
        if (!shim_failed && !shim_skipped)
            shim_phase(t->fn);
        if (fini)
            shim_phase(fini);
        alarm(0);
        if (shim_skipped)
            skipped++;
        else if (shim_failed)
            failed++;
        else
            passed++;
    }
    fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Skipped: %d\n",
            passed + failed, passed, failed, skipped);
    return failed ? 1 : 0;
}

#endif /* KAFC_TSAN_CRITERION_SHIM_H */
