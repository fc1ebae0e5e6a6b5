/* Unit tests for net/selector: io readiness, timers, wake-ups, deferred frees. */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/selector.h"
#include "util/clock.h"

static kafc__selector_t sel;

static void setup(void)
{
    char errstr[128];
    cr_assert_eq(kafc__selector_init(&sel, errstr, sizeof(errstr)), KAFC_ERR_NONE, "%s", errstr);
}

static void teardown(void)
{
    kafc__selector_destroy(&sel);
}

struct fired {
    int order[64];
    int n;
};

struct targ {
    struct fired *f;
    int id;
};

static void on_timer(void *arg)
{
    struct targ *t = arg;
    t->f->order[t->f->n++] = t->id;
}

/* Runs the loop until cond(arg) or the deadline; returns cond's last value. */
static int run_until(int (*cond)(void *), void *arg, int timeout_ms)
{
    int64_t deadline = kafc__clock_ms() + timeout_ms;
    while (!cond(arg) && kafc__clock_ms() < deadline)
        kafc__selector_run_once(&sel, 50);
    return cond(arg);
}

static int fired_at_least_5(void *arg)
{
    return ((struct fired *)arg)->n >= 5;
}

Test(selector, timers_fire_in_due_order, .init = setup, .fini = teardown)
{
    struct fired f = {0};
    kafc__timer_t t[6] = {0};
    struct targ a[6];
    int64_t delays[6] = {40, 10, 30, 0, 20, 25};
    for (int i = 0; i < 6; i++) {
        a[i] = (struct targ){&f, i};
        cr_assert_eq(kafc__timer_start(&sel, &t[i], delays[i], on_timer, &a[i]), KAFC_ERR_NONE);
    }
    kafc__timer_stop(&sel, &t[5]); /* stopped timers never fire */
    cr_assert_not(kafc__timer_armed(&t[5]));
    cr_assert(run_until(fired_at_least_5, &f, 5000));
    int expected[5] = {3, 1, 4, 2, 0};
    cr_assert_eq(f.n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(f.order[i], expected[i], "position %d", i);
    /* Nothing more fires later. */
    kafc__selector_run_once(&sel, 60);
    cr_assert_eq(f.n, 5);
}

Test(selector, rearm_moves_timer, .init = setup, .fini = teardown)
{
    struct fired f = {0};
    kafc__timer_t t1 = {0}, t2 = {0};
    struct targ a1 = {&f, 1}, a2 = {&f, 2};
    kafc__timer_start(&sel, &t1, 5, on_timer, &a1);
    kafc__timer_start(&sel, &t2, 20, on_timer, &a2);
    kafc__timer_start(&sel, &t1, 40, on_timer, &a1); /* re-arm later */
    int64_t deadline = kafc__clock_ms() + 5000;
    while (f.n < 2 && kafc__clock_ms() < deadline)
        kafc__selector_run_once(&sel, 50);
    cr_assert_eq(f.n, 2);
    cr_assert_eq(f.order[0], 2);
    cr_assert_eq(f.order[1], 1);
}

static void *wake_thread(void *arg)
{
    kafc__selector_wakeup(arg);
    return NULL;
}

Test(selector, wakeup_from_another_thread_returns_early, .init = setup, .fini = teardown)
{
    pthread_t th;
    int64_t start = kafc__clock_ms();
    pthread_create(&th, NULL, wake_thread, &sel);
    int woken = 0;
    /* Without the wake-up this would wait 10 s per call. */
    while (!woken && kafc__clock_ms() - start < 10000)
        woken = kafc__selector_run_once(&sel, 10000);
    pthread_join(th, NULL);
    cr_assert_eq(woken, 1);
    cr_assert_lt(kafc__clock_ms() - start, 10000);
}

/* A poke while the loop is busy costs no write, yet the next run_once does
 * not block: the hooks after it see what the poker published. */
Test(selector, poke_before_sleep_keeps_the_next_wait_from_blocking, .init = setup, .fini = teardown)
{
    kafc__selector_poke(&sel);
    int64_t start = kafc__clock_ms();
    int woken = kafc__selector_run_once(&sel, 10000);
    cr_assert_eq(woken, 0, "no eventfd write for a loop that was not asleep");
    cr_assert_lt(kafc__clock_ms() - start, 5000, "the poke kept run_once from waiting");
    /* Served: the next wait is a full one again. */
    start = kafc__clock_ms();
    cr_assert_eq(kafc__selector_run_once(&sel, 200), 0);
    cr_assert_geq(kafc__clock_ms() - start, 150);
}

static void *poke_when_asleep(void *arg)
{
    kafc__selector_t *s = arg;
    int64_t start = kafc__clock_ms();
    while (!atomic_load(&s->sleeping) && kafc__clock_ms() - start < 10000)
        sched_yield();
    kafc__selector_poke(s);
    return NULL;
}

Test(selector, poke_wakes_a_sleeping_loop, .init = setup, .fini = teardown)
{
    pthread_t th;
    int64_t start = kafc__clock_ms();
    pthread_create(&th, NULL, poke_when_asleep, &sel);
    int woken = 0;
    while (!woken && kafc__clock_ms() - start < 10000)
        woken = kafc__selector_run_once(&sel, 10000);
    pthread_join(th, NULL);
    cr_assert_eq(woken, 1, "the poke wrote the eventfd of a sleeping loop");
    cr_assert_lt(kafc__clock_ms() - start, 10000);
}

struct pipe_ctx {
    int fds[2];
    int reads;
    char got;
};

static void on_readable(void *arg, uint32_t events)
{
    struct pipe_ctx *p = arg;
    if (events & EPOLLIN) {
        cr_assert_eq(read(p->fds[0], &p->got, 1), 1);
        p->reads++;
    }
}

static int got_read(void *arg)
{
    return ((struct pipe_ctx *)arg)->reads > 0;
}

Test(selector, io_readiness_dispatch_and_del, .init = setup, .fini = teardown)
{
    struct pipe_ctx p = {0};
    kafc__io_t io;
    cr_assert_eq(pipe(p.fds), 0);
    cr_assert_eq(kafc__selector_add(&sel, &io, p.fds[0], EPOLLIN, on_readable, &p), KAFC_ERR_NONE);
    cr_assert_eq(write(p.fds[1], "x", 1), 1);
    cr_assert(run_until(got_read, &p, 2000));
    cr_assert_eq(p.got, 'x');
    kafc__selector_del(&sel, &io);
    cr_assert_eq(write(p.fds[1], "y", 1), 1);
    kafc__selector_run_once(&sel, 30);
    cr_assert_eq(p.reads, 1, "no dispatch after del");
    close(p.fds[0]);
    close(p.fds[1]);
}

/* A callback that frees ANOTHER io's owner in the same dispatch batch must
 * not cause a use-after-free: the free is deferred. (ASan checks this.) */
struct owner {
    kafc__io_t io;
    int fds[2];
    struct owner *victim;
    int *calls;
};

static struct owner *last_freed;

static void free_owner(void *ptr)
{
    struct owner *o = ptr;
    last_freed = o;
    close(o->fds[0]);
    close(o->fds[1]);
    free(o);
}

static void on_owner_ready(void *arg, uint32_t events)
{
    struct owner *o = arg;
    char c;
    (*o->calls)++;
    cr_assert_eq(read(o->fds[0], &c, 1), 1);
    if (o->victim) {
        kafc__selector_del(&sel, &o->victim->io);
        kafc__selector_defer_free(&sel, o->victim, free_owner);
        o->victim->victim = NULL;
        o->victim = NULL;
    }
}

Test(selector, deferred_free_survives_same_batch, .init = setup, .fini = teardown)
{
    int calls = 0;
    last_freed = NULL;
    struct owner *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    cr_assert_eq(pipe(a->fds), 0);
    cr_assert_eq(pipe(b->fds), 0);
    a->calls = b->calls = &calls;
    a->victim = b;
    b->victim = a;
    kafc__selector_add(&sel, &a->io, a->fds[0], EPOLLIN, on_owner_ready, a);
    kafc__selector_add(&sel, &b->io, b->fds[0], EPOLLIN, on_owner_ready, b);
    cr_assert_eq(write(a->fds[1], "1", 1), 1);
    cr_assert_eq(write(b->fds[1], "2", 1), 1);
    kafc__selector_run_once(&sel, 1000);
    /* Whichever ran first freed the other, whose callback then did not run;
     * the free itself happened at the end of run_once. */
    cr_assert_eq(calls, 1);
    cr_assert(last_freed == a || last_freed == b);
    struct owner *survivor = last_freed == a ? b : a;
    kafc__selector_del(&sel, &survivor->io);
    free_owner(survivor);
}
