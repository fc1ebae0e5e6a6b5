/*
 * Unit tests for util/thread: mutexes, monotonic condition variables, named
 * threads. Every wait has a deadline; no sleep is used to order threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "util/clock.h"
#include "util/thread.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(thread, .timeout = 60);

/* Generous bound for "woken promptly" on a loaded 2-core machine. */
#define BOUND_MS 5000

typedef struct shared {
    kafc__mutex_t lock;
    kafc__cond_t cond;
    int flag;
    int woke_in_time; /* waiter saw flag before its deadline */
} shared_t;

static void shared_init(shared_t *s)
{
    memset(s, 0, sizeof(*s));
    cr_assert_eq(kafc__mutex_init(&s->lock), KAFC_ERR_NONE);
    cr_assert_eq(kafc__cond_init(&s->cond), KAFC_ERR_NONE);
}

static void shared_destroy(shared_t *s)
{
    kafc__cond_destroy(&s->cond);
    kafc__mutex_destroy(&s->lock);
}

Test(thread, timedwait_times_out_and_is_bounded)
{
    shared_t s;
    int64_t start, d, end;
    kafc_err_t err = KAFC_ERR_NONE;

    shared_init(&s);
    kafc__mutex_lock(&s.lock);
    start = kafc__clock_ms();
    d = kafc__deadline_ms(50);
    /* Spurious wake-ups return 0: loop, as every caller must. */
    while (err != KAFC_ERR__TIMED_OUT)
        err = kafc__cond_timedwait_ms(&s.cond, &s.lock, d);
    end = kafc__clock_ms();
    kafc__mutex_unlock(&s.lock);

    cr_assert_geq(end, d, "returned before the deadline");
    cr_assert_geq(end - start, 50);
    cr_assert_lt(end - start, BOUND_MS, "overslept");
    shared_destroy(&s);
}

Test(thread, timedwait_past_deadline_returns_at_once)
{
    shared_t s;
    int64_t start;

    shared_init(&s);
    kafc__mutex_lock(&s.lock);
    start = kafc__clock_ms();
    cr_assert_eq(kafc__cond_timedwait_ms(&s.cond, &s.lock, start - 1000), KAFC_ERR__TIMED_OUT);
    cr_assert_eq(kafc__cond_timedwait_ms(&s.cond, &s.lock, 0), KAFC_ERR__TIMED_OUT);
    cr_assert_lt(kafc__clock_ms() - start, BOUND_MS);
    kafc__mutex_unlock(&s.lock);
    shared_destroy(&s);
}

static void *set_flag_and_signal(void *arg)
{
    shared_t *s = arg;
    kafc__mutex_lock(&s->lock);
    s->flag = 1;
    kafc__cond_signal(&s->cond);
    kafc__mutex_unlock(&s->lock);
    return NULL;
}

Test(thread, signal_wakes_waiter_before_deadline)
{
    shared_t s;
    kafc__thread_t t;
    int64_t d;

    shared_init(&s);
    kafc__mutex_lock(&s.lock);
    cr_assert_eq(kafc__thread_create(&t, "kafc-test-sig", set_flag_and_signal, &s), 0);
    d = kafc__deadline_ms(BOUND_MS);
    while (!s.flag) {
        if (kafc__cond_timedwait_ms(&s.cond, &s.lock, d) == KAFC_ERR__TIMED_OUT)
            break;
    }
    cr_assert_eq(s.flag, 1, "not woken within %d ms", BOUND_MS);
    cr_assert_lt(kafc__clock_ms(), d);
    kafc__mutex_unlock(&s.lock);
    cr_assert_eq(kafc__thread_join(&t, NULL), 0);
    shared_destroy(&s);
}

static void *wait_for_flag(void *arg)
{
    shared_t *s = arg;
    int64_t d = kafc__deadline_ms(BOUND_MS);

    kafc__mutex_lock(&s->lock);
    while (!s->flag) {
        if (kafc__cond_timedwait_ms(&s->cond, &s->lock, d) == KAFC_ERR__TIMED_OUT)
            break;
    }
    if (s->flag)
        s->woke_in_time++;
    kafc__mutex_unlock(&s->lock);
    return NULL;
}

Test(thread, broadcast_wakes_every_waiter)
{
    shared_t s;
    kafc__thread_t t[3];

    shared_init(&s);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kafc__thread_create(&t[i], "kafc-test-bc", wait_for_flag, &s), 0);
    kafc__mutex_lock(&s.lock);
    s.flag = 1;
    kafc__cond_broadcast(&s.cond);
    kafc__mutex_unlock(&s.lock);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kafc__thread_join(&t[i], NULL), 0);
    cr_assert_eq(s.woke_in_time, 3);
    shared_destroy(&s);
}

typedef struct probe {
    char name[32];
    int sigint_blocked;
    int sigterm_blocked;
} probe_t;

static void *report_self(void *arg)
{
    probe_t *p = arg;
    sigset_t set;

    pthread_getname_np(pthread_self(), p->name, sizeof(p->name));
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    p->sigint_blocked = sigismember(&set, SIGINT);
    p->sigterm_blocked = sigismember(&set, SIGTERM);
    return (void *)0x1234;
}

Test(thread, create_names_thread_blocks_signals_join_returns_value)
{
    kafc__thread_t t;
    probe_t p;
    void *ret = NULL;
    sigset_t before, after;

    memset(&p, 0, sizeof(p));
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    cr_assert_eq(kafc__thread_create(&t, "kafc-io-thread-with-a-long-name", report_self, &p), 0);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    cr_assert_eq(kafc__thread_join(&t, &ret), 0);

    cr_assert_eq(ret, (void *)0x1234);
    cr_assert_str_eq(p.name, "kafc-io-thread-", "truncated to the 15 characters Linux keeps");
    cr_assert_eq(p.sigint_blocked, 1);
    cr_assert_eq(p.sigterm_blocked, 1);
    cr_assert_eq(sigismember(&before, SIGINT), sigismember(&after, SIGINT),
                 "creator's mask restored");
}

/* The spin lock excludes: three threads each add 200,000 to two counters
 * under it, and the counters end exact and equal. */
struct spin_ctx {
    kafc__spin_t lock;
    long a, b;
};

static void *spin_adder(void *arg)
{
    struct spin_ctx *x = arg;
    for (int i = 0; i < 200000; i++) {
        kafc__spin_lock(&x->lock);
        x->a++;
        x->b = x->a;
        kafc__spin_unlock(&x->lock);
    }
    return NULL;
}

Test(thread, spin_lock_excludes)
{
    static struct spin_ctx x; /* zero: unlocked */
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, spin_adder, &x), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(x.a, 600000);
    cr_assert_eq(x.b, 600000);
}
