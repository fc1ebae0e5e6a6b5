/*
 * Unit tests for producer/bufpool: recycling of batch.size buffers, exact
 * large allocations, the buffer.memory bound with its timeouts, FIFO service
 * of waiters, close, allocation failure, and four threads hammering one pool.
 * The accounting invariant (available + in_use == total) is checked after
 * every step. Every wait is bounded; threads are ordered by observing the
 * pool's waiter count and by joins, never by sleeping.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "producer/bufpool.h"
#include "util/clock.h"
#include "util/thread.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(bufpool, .timeout = 60);

/* The out-of-memory test asks for an impossible allocation; under the
 * sanitizers that must return NULL rather than abort the process. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif
#if defined(__SANITIZE_THREAD__)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

/* Generous bound for "promptly" on a loaded 2-core machine. */
#define BOUND_MS 10000

#define P ((size_t)1024) /* batch.size of most tests */

static void check_accounting(kafc__bufpool_t *bp)
{
    kafc__bufpool_stats_t st;
    kafc__bufpool_stats(bp, &st);
    cr_assert_eq(st.available + st.in_use, st.total, "available %zu + in_use %zu != total %zu",
                 st.available, st.in_use, st.total);
}

static void expect_pool(kafc__bufpool_t *bp, size_t in_use, size_t available, int waiters)
{
    check_accounting(bp);
    cr_assert_eq(kafc__bufpool_in_use(bp), in_use, "in_use %zu, expected %zu",
                 kafc__bufpool_in_use(bp), in_use);
    cr_assert_eq(kafc__bufpool_available(bp), available, "available %zu, expected %zu",
                 kafc__bufpool_available(bp), available);
    cr_assert_eq(kafc__bufpool_waiters(bp), waiters);
}

/* Waits (bounded) until the pool has n waiters: the observable sign that a
 * thread has queued in kafc__bufpool_alloc. */
static int await_waiters(kafc__bufpool_t *bp, int n)
{
    int64_t deadline = kafc__deadline_ms(BOUND_MS);
    while (kafc__bufpool_waiters(bp) != n) {
        if (kafc__remaining_ms(deadline) == 0)
            return 0;
        sched_yield();
    }
    return 1;
}

/* One allocation run on its own thread. */
typedef struct alloc_job {
    kafc__bufpool_t *bp;
    size_t size;
    int timeout_ms;
    kafc_err_t err;
    uint8_t *buf;
    int64_t elapsed_ms;
    /* Completion order across jobs sharing `order`. */
    atomic_int *order;
    int finished_as;
} alloc_job_t;

static void *run_alloc(void *arg)
{
    alloc_job_t *j = arg;
    int64_t start = kafc__clock_ms();

    j->err = kafc__bufpool_alloc(j->bp, j->size, j->timeout_ms, &j->buf);
    j->elapsed_ms = kafc__clock_ms() - start;
    if (j->order != NULL)
        j->finished_as = atomic_fetch_add(j->order, 1);
    if (j->err == KAFC_ERR_NONE)
        memset(j->buf, 0xab, j->size); /* the whole buffer is the caller's */
    return NULL;
}

static void start_alloc(kafc__thread_t *t, alloc_job_t *j, kafc__bufpool_t *bp, size_t size,
                        int timeout_ms, atomic_int *order)
{
    memset(j, 0, sizeof(*j));
    j->bp = bp;
    j->size = size;
    j->timeout_ms = timeout_ms;
    j->err = -1;
    j->order = order;
    cr_assert_eq(kafc__thread_create(t, "kafc-test-bp", run_alloc, j), 0);
}

Test(bufpool, rejects_bad_arguments)
{
    kafc__bufpool_t bp;
    uint8_t *buf = (uint8_t *)&bp;

    cr_assert_eq(kafc__bufpool_init(&bp, 0, P), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, sizeof(void *) - 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, 0, 0, &buf), KAFC_ERR__INVALID_ARG);
    cr_assert_null(buf);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, NULL), KAFC_ERR__INVALID_ARG);
    kafc__bufpool_release(&bp, NULL, P); /* no-op */
    expect_pool(&bp, 0, 4 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, poolable_buffers_are_recycled)
{
    kafc__bufpool_t bp;
    kafc__bufpool_stats_t st;
    uint8_t *a, *b, *c, *d;

    cr_assert_eq(kafc__bufpool_init(&bp, 8 * P, P), 0);
    expect_pool(&bp, 0, 8 * P, 0);

    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &a), 0);
    memset(a, 1, P);
    expect_pool(&bp, P, 7 * P, 0);
    kafc__bufpool_release(&bp, a, P);
    expect_pool(&bp, 0, 8 * P, 0);
    kafc__bufpool_stats(&bp, &st);
    cr_assert_eq(st.free_buffers, 1, "kept on the free list, not freed");

    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &b), 0);
    cr_assert_eq(b, a, "the free-listed buffer is handed out again");
    memset(b, 2, P);

    /* Two out, two back, two out again: the same two buffers. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &c), 0);
    cr_assert_neq(c, b);
    kafc__bufpool_release(&bp, b, P);
    kafc__bufpool_release(&bp, c, P);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &a), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &d), 0);
    cr_assert((a == b && d == c) || (a == c && d == b), "recycled buffers, no new ones");
    kafc__bufpool_stats(&bp, &st);
    cr_assert_eq(st.free_buffers, 0);
    expect_pool(&bp, 2 * P, 6 * P, 0);
    kafc__bufpool_release(&bp, a, P);
    kafc__bufpool_release(&bp, d, P);
    expect_pool(&bp, 0, 8 * P, 0);
    kafc__bufpool_destroy(&bp); /* frees the free list (ASan: no leak) */
}

Test(bufpool, other_sizes_are_exact_and_accounted)
{
    kafc__bufpool_t bp;
    kafc__bufpool_stats_t st;
    uint8_t *big, *small;
    const size_t big_size = 3 * P + 7, small_size = P / 2 + 1;

    cr_assert_eq(kafc__bufpool_init(&bp, 8 * P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, big_size, 0, &big), 0);
    memset(big, 3, big_size); /* all of it is usable (ASan checks the bound) */
    expect_pool(&bp, big_size, 8 * P - big_size, 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, small_size, 0, &small), 0);
    memset(small, 4, small_size);
    expect_pool(&bp, big_size + small_size, 8 * P - big_size - small_size, 0);

    kafc__bufpool_release(&bp, big, big_size);
    kafc__bufpool_release(&bp, small, small_size);
    expect_pool(&bp, 0, 8 * P, 0);
    kafc__bufpool_stats(&bp, &st);
    cr_assert_eq(st.free_buffers, 0, "exact allocations are freed, never free-listed");

    /* The whole budget in one request is allowed. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, 8 * P, 0, &big), 0);
    expect_pool(&bp, 8 * P, 0, 0);
    kafc__bufpool_release(&bp, big, 8 * P);
    expect_pool(&bp, 0, 8 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, free_listed_buffers_give_way_to_a_large_request)
{
    kafc__bufpool_t bp;
    kafc__bufpool_stats_t st;
    uint8_t *bufs[4], *big;

    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, P), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &bufs[i]), 0);
    for (int i = 0; i < 4; i++)
        kafc__bufpool_release(&bp, bufs[i], P);
    kafc__bufpool_stats(&bp, &st);
    cr_assert_eq(st.free_buffers, 4);
    expect_pool(&bp, 0, 4 * P, 0);

    /* All the budget sits on the free list: it is freed to make room. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, 3 * P + 1, 0, &big), 0);
    kafc__bufpool_stats(&bp, &st);
    cr_assert_eq(st.free_buffers, 0);
    expect_pool(&bp, 3 * P + 1, P - 1, 0);
    memset(big, 5, 3 * P + 1);
    kafc__bufpool_release(&bp, big, 3 * P + 1);
    expect_pool(&bp, 0, 4 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, request_over_the_whole_budget_fails_at_once)
{
    kafc__bufpool_t bp;
    uint8_t *buf = (uint8_t *)&bp;
    int64_t start;

    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, P), 0);
    start = kafc__clock_ms();
    /* Even with no time limit: no release could ever make it fit. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, 4 * P + 1, -1, &buf), KAFC_ERR__MSG_SIZE_TOO_LARGE);
    cr_assert_eq(kafc__bufpool_alloc(&bp, SIZE_MAX, 5000, &buf), KAFC_ERR__MSG_SIZE_TOO_LARGE);
    cr_assert_lt(kafc__clock_ms() - start, BOUND_MS);
    cr_assert_null(buf);
    expect_pool(&bp, 0, 4 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, exhausted_with_timeout_zero_fails_at_once)
{
    kafc__bufpool_t bp;
    uint8_t *a, *b, *c = (uint8_t *)&bp;
    int64_t start;

    cr_assert_eq(kafc__bufpool_init(&bp, 2 * P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &a), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P - 10, 0, &b), 0);
    expect_pool(&bp, 2 * P - 10, 10, 0);

    start = kafc__clock_ms();
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &c), KAFC_ERR__QUEUE_FULL);
    cr_assert_null(c);
    cr_assert_eq(kafc__bufpool_alloc(&bp, 11, 0, &c), KAFC_ERR__QUEUE_FULL);
    cr_assert_lt(kafc__clock_ms() - start, 1000, "did not wait");
    expect_pool(&bp, 2 * P - 10, 10, 0);

    /* What does fit is still served. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, 10, 0, &c), 0);
    expect_pool(&bp, 2 * P, 0, 0);
    kafc__bufpool_release(&bp, a, P);
    kafc__bufpool_release(&bp, b, P - 10);
    kafc__bufpool_release(&bp, c, 10);
    expect_pool(&bp, 0, 2 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, exhausted_with_timeout_waits_then_fails)
{
    kafc__bufpool_t bp;
    uint8_t *a, *b = (uint8_t *)&bp;
    int64_t start, elapsed;

    cr_assert_eq(kafc__bufpool_init(&bp, P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &a), 0);

    start = kafc__clock_ms();
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 200, &b), KAFC_ERR__QUEUE_FULL);
    elapsed = kafc__clock_ms() - start;
    cr_assert_null(b);
    /* A behaviour bound (it waited for max.block.ms, then gave up), not a
     * speed target. */
    cr_assert_geq(elapsed, 150, "gave up early: %lld ms", (long long)elapsed);
    cr_assert_leq(elapsed, 2000, "overslept: %lld ms", (long long)elapsed);
    expect_pool(&bp, P, 0, 0);

    kafc__bufpool_release(&bp, a, P);
    expect_pool(&bp, 0, P, 0);
    kafc__bufpool_destroy(&bp);
}

/* Releases one buffer once the pool has a waiter. */
typedef struct releaser {
    kafc__bufpool_t *bp;
    uint8_t *buf;
    size_t size;
    int saw_waiter;
} releaser_t;

static void *release_when_waited_for(void *arg)
{
    releaser_t *r = arg;
    r->saw_waiter = await_waiters(r->bp, 1);
    kafc__bufpool_release(r->bp, r->buf, r->size);
    return NULL;
}

Test(bufpool, waiter_is_woken_by_a_release_from_another_thread)
{
    kafc__bufpool_t bp;
    uint8_t *a, *b, *got = NULL;
    releaser_t rel;
    kafc__thread_t t;
    int64_t start;

    cr_assert_eq(kafc__bufpool_init(&bp, 2 * P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &a), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &b), 0);

    /* A poolable buffer is handed over whole: the waiter gets that very
     * buffer. */
    rel = (releaser_t){&bp, a, P, 0};
    cr_assert_eq(kafc__thread_create(&t, "kafc-test-rel", release_when_waited_for, &rel), 0);
    start = kafc__clock_ms();
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, BOUND_MS, &got), 0);
    cr_assert_lt(kafc__clock_ms() - start, BOUND_MS, "woken by the release, not the timeout");
    cr_assert_eq(kafc__thread_join(&t, NULL), 0);
    cr_assert(rel.saw_waiter);
    cr_assert_eq(got, a);
    expect_pool(&bp, 2 * P, 0, 0);

    /* An exact-size waiter collects the bytes of a released buffer. */
    rel = (releaser_t){&bp, b, P, 0};
    cr_assert_eq(kafc__thread_create(&t, "kafc-test-rel", release_when_waited_for, &rel), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P - 1, -1, &b), 0);
    cr_assert_eq(kafc__thread_join(&t, NULL), 0);
    cr_assert(rel.saw_waiter);
    memset(b, 6, P - 1);
    expect_pool(&bp, 2 * P - 1, 1, 0);

    kafc__bufpool_release(&bp, got, P);
    kafc__bufpool_release(&bp, b, P - 1);
    expect_pool(&bp, 0, 2 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, large_waiter_queued_first_is_served_before_later_small_ones)
{
    kafc__bufpool_t bp;
    uint8_t *held[4];
    alloc_job_t large, small;
    kafc__thread_t tl, ts;
    atomic_int order = 0;

    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, P), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &held[i]), 0);

    start_alloc(&tl, &large, &bp, 3 * P, BOUND_MS, &order);
    cr_assert(await_waiters(&bp, 1));
    start_alloc(&ts, &small, &bp, P, BOUND_MS, &order);
    cr_assert(await_waiters(&bp, 2));

    /* Each release goes to the large request, which is first in line; the
     * small one, which a single release would satisfy, gets nothing. */
    kafc__bufpool_release(&bp, held[0], P);
    expect_pool(&bp, 4 * P, 0, 2);
    kafc__bufpool_release(&bp, held[1], P);
    expect_pool(&bp, 4 * P, 0, 2);
    kafc__bufpool_release(&bp, held[2], P);
    cr_assert_eq(kafc__thread_join(&tl, NULL), 0);
    cr_assert_eq(large.err, 0);
    cr_assert_eq(large.finished_as, 0, "the large request finished first");
    expect_pool(&bp, 4 * P, 0, 1);

    kafc__bufpool_release(&bp, held[3], P);
    cr_assert_eq(kafc__thread_join(&ts, NULL), 0);
    cr_assert_eq(small.err, 0);
    cr_assert_eq(small.finished_as, 1);
    cr_assert_eq(small.buf, held[3], "handed the released buffer itself");
    expect_pool(&bp, 4 * P, 0, 0);

    kafc__bufpool_release(&bp, large.buf, 3 * P);
    kafc__bufpool_release(&bp, small.buf, P);
    expect_pool(&bp, 0, 4 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, waiter_that_times_out_passes_its_share_on)
{
    kafc__bufpool_t bp;
    uint8_t *held[4];
    alloc_job_t large, small;
    kafc__thread_t tl, ts;

    cr_assert_eq(kafc__bufpool_init(&bp, 4 * P, P), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &held[i]), 0);

    start_alloc(&tl, &large, &bp, 4 * P, 1000, NULL);
    cr_assert(await_waiters(&bp, 1));
    start_alloc(&ts, &small, &bp, P, BOUND_MS, NULL);
    cr_assert(await_waiters(&bp, 2));

    /* The large request collects this buffer's bytes, then runs out of
     * time; what it had collected goes to the small one behind it. */
    kafc__bufpool_release(&bp, held[0], P);
    expect_pool(&bp, 4 * P, 0, 2);
    cr_assert_eq(kafc__thread_join(&tl, NULL), 0);
    cr_assert_eq(large.err, KAFC_ERR__QUEUE_FULL);
    cr_assert_null(large.buf);
    cr_assert_eq(kafc__thread_join(&ts, NULL), 0);
    cr_assert_eq(small.err, 0);
    cr_assert_lt(small.elapsed_ms, BOUND_MS);
    expect_pool(&bp, 4 * P, 0, 0);

    kafc__bufpool_release(&bp, small.buf, P);
    for (int i = 1; i < 4; i++)
        kafc__bufpool_release(&bp, held[i], P);
    expect_pool(&bp, 0, 4 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, close_wakes_every_waiter_with_destroy)
{
    kafc__bufpool_t bp;
    uint8_t *held[2], *buf = (uint8_t *)&bp;
    alloc_job_t large, small;
    kafc__thread_t tl, ts;

    cr_assert_eq(kafc__bufpool_init(&bp, 2 * P, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &held[0]), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &held[1]), 0);
    start_alloc(&tl, &large, &bp, 2 * P, -1, NULL);
    cr_assert(await_waiters(&bp, 1));
    start_alloc(&ts, &small, &bp, P, -1, NULL);
    cr_assert(await_waiters(&bp, 2));
    kafc__bufpool_release(&bp, held[0], P); /* the large one now holds P */
    expect_pool(&bp, 2 * P, 0, 2);

    kafc__bufpool_close(&bp);
    cr_assert_eq(kafc__thread_join(&tl, NULL), 0);
    cr_assert_eq(kafc__thread_join(&ts, NULL), 0);
    cr_assert_eq(large.err, KAFC_ERR__DESTROY);
    cr_assert_eq(small.err, KAFC_ERR__DESTROY);
    cr_assert_null(large.buf);
    cr_assert_null(small.buf);
    /* What the large waiter had collected is back. */
    expect_pool(&bp, P, P, 0);

    /* Closed for allocation, even with room; releases still work. */
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &buf), KAFC_ERR__DESTROY);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, BOUND_MS, &buf), KAFC_ERR__DESTROY);
    cr_assert_null(buf);
    kafc__bufpool_close(&bp); /* idempotent */
    kafc__bufpool_release(&bp, held[1], P);
    expect_pool(&bp, 0, 2 * P, 0);
    kafc__bufpool_destroy(&bp);
}

Test(bufpool, failed_malloc_gives_the_budget_back)
{
    kafc__bufpool_t bp;
    uint8_t *buf = (uint8_t *)&bp;
    const size_t total = SIZE_MAX / 2;

    /* A budget so large that a request within it cannot be backed. */
    cr_assert_eq(kafc__bufpool_init(&bp, total, P), 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, SIZE_MAX / 4, 0, &buf), KAFC_ERR__NO_MEMORY);
    cr_assert_null(buf);
    expect_pool(&bp, 0, total, 0);
    cr_assert_eq(kafc__bufpool_alloc(&bp, P, 0, &buf), 0);
    kafc__bufpool_release(&bp, buf, P);
    expect_pool(&bp, 0, total, 0);
    kafc__bufpool_destroy(&bp);
}

/* ---- four threads, random sizes ------------------------------------------ */

#define STRESS_THREADS 4
#define STRESS_OPS_PER_THREAD 25000 /* 100,000 in all */
#define STRESS_P ((size_t)4096)
#define STRESS_TOTAL (16 * STRESS_P)
#define STRESS_HOLD 6 /* buffers one thread holds at most */

typedef struct stress {
    kafc__bufpool_t *bp;
    atomic_size_t *held_bytes; /* across all threads: never above the budget */
    atomic_int *violations;
    int id;
    long allocs, queue_full, timed_out, bad_tag;
} stress_t;

static uint64_t next_rand(uint64_t *s)
{
    /* xorshift64*: deterministic per thread, no shared state. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Marks both ends of a buffer, so a buffer handed to two owners at once, or
 * written after release, shows up as a bad tag. */
static void tag(uint8_t *buf, size_t size, uint64_t t)
{
    size_t n = size < sizeof(t) ? size : sizeof(t);
    memcpy(buf, &t, n);
    if (size >= 2 * sizeof(t))
        memcpy(buf + size - n, &t, n);
}

static int tag_ok(const uint8_t *buf, size_t size, uint64_t t)
{
    size_t n = size < sizeof(t) ? size : sizeof(t);
    if (memcmp(buf, &t, n) != 0)
        return 0;
    return size < 2 * sizeof(t) || memcmp(buf + size - n, &t, n) == 0;
}

static void *stress_run(void *arg)
{
    stress_t *s = arg;
    uint8_t *bufs[STRESS_HOLD];
    size_t sizes[STRESS_HOLD];
    uint64_t tags[STRESS_HOLD];
    uint64_t rnd = 0x9e3779b97f4a7c15ULL * (uint64_t)(s->id + 1);
    int held = 0;

    for (int op = 0; op < STRESS_OPS_PER_THREAD; op++) {
        uint64_t r = next_rand(&rnd);
        if (held == STRESS_HOLD || (held > 0 && r % 2 == 0)) {
            int i = (int)((r >> 8) % (uint64_t)held);
            if (!tag_ok(bufs[i], sizes[i], tags[i]))
                s->bad_tag++;
            atomic_fetch_sub(s->held_bytes, sizes[i]);
            kafc__bufpool_release(s->bp, bufs[i], sizes[i]);
            held--;
            bufs[i] = bufs[held];
            sizes[i] = sizes[held];
            tags[i] = tags[held];
            continue;
        }
        size_t size;
        unsigned kind = (unsigned)((r >> 8) % 100);
        if (kind < 70)
            size = STRESS_P;
        else if (kind < 85)
            size = 1 + (size_t)((r >> 16) % (STRESS_P - 1));
        else
            size = STRESS_P + 1 + (size_t)((r >> 16) % (3 * STRESS_P));
        int timeout = (r >> 40) % 2 == 0 ? 0 : (int)((r >> 41) % 5) + 1;
        uint8_t *buf;
        kafc_err_t err = kafc__bufpool_alloc(s->bp, size, timeout, &buf);
        if (err == KAFC_ERR__QUEUE_FULL) {
            s->queue_full++;
            s->timed_out += timeout > 0;
            continue;
        }
        if (err != KAFC_ERR_NONE) {
            atomic_fetch_add(s->violations, 1);
            continue;
        }
        s->allocs++;
        if (atomic_fetch_add(s->held_bytes, size) + size > STRESS_TOTAL)
            atomic_fetch_add(s->violations, 1);
        bufs[held] = buf;
        sizes[held] = size;
        tags[held] = ((uint64_t)s->id << 48) ^ (uint64_t)op ^ r;
        tag(buf, size, tags[held]);
        held++;
        if (op % 512 == 0) {
            kafc__bufpool_stats_t st;
            kafc__bufpool_stats(s->bp, &st);
            if (st.available + st.in_use != st.total || st.in_use > st.total)
                atomic_fetch_add(s->violations, 1);
        }
    }
    while (held > 0) {
        held--;
        if (!tag_ok(bufs[held], sizes[held], tags[held]))
            s->bad_tag++;
        atomic_fetch_sub(s->held_bytes, sizes[held]);
        kafc__bufpool_release(s->bp, bufs[held], sizes[held]);
    }
    return NULL;
}

Test(bufpool, four_threads_random_sizes_stay_in_budget)
{
    kafc__bufpool_t bp;
    kafc__thread_t threads[STRESS_THREADS];
    stress_t st[STRESS_THREADS];
    atomic_size_t held_bytes = 0;
    atomic_int violations = 0;
    long allocs = 0, queue_full = 0, timed_out = 0;

    cr_assert_eq(kafc__bufpool_init(&bp, STRESS_TOTAL, STRESS_P), 0);
    for (int i = 0; i < STRESS_THREADS; i++) {
        st[i] =
            (stress_t){.bp = &bp, .held_bytes = &held_bytes, .violations = &violations, .id = i};
        cr_assert_eq(kafc__thread_create(&threads[i], "kafc-test-bp", stress_run, &st[i]), 0);
    }
    for (int i = 0; i < STRESS_THREADS; i++)
        cr_assert_eq(kafc__thread_join(&threads[i], NULL), 0);

    for (int i = 0; i < STRESS_THREADS; i++) {
        cr_expect_eq(st[i].bad_tag, 0, "thread %d: a buffer was shared or overwritten", i);
        allocs += st[i].allocs;
        queue_full += st[i].queue_full;
        timed_out += st[i].timed_out;
    }
    cr_assert_eq(atomic_load(&violations), 0, "budget or accounting violated");
    cr_assert_gt(allocs, 10000, "only %ld allocations succeeded", allocs);
    cr_log_info("bufpool stress: %ld allocations, %ld queue-full (%ld after waiting)\n", allocs,
                queue_full, timed_out);
    expect_pool(&bp, 0, STRESS_TOTAL, 0);
    kafc__bufpool_destroy(&bp);
}

/* Large enough budgets carve batch.size buffers from 2 MiB slabs (not under
 * ASan, which keeps malloc). Buffers given back to make room for a large
 * request become spares and are carved again: the budget holds, every
 * buffer is distinct and whole, and the pool ends as it began. */
Test(bufpool, slab_buffers_given_back_for_a_large_request_are_reused)
{
    enum { SB = 64 * 1024, N = 64 }; /* 4 MiB: two slabs */
    kafc__bufpool_t bp;
    kafc__bufpool_stats_t st;
    uint8_t *bufs[N], *big;

    cr_assert_eq(kafc__bufpool_init(&bp, (size_t)N * SB, SB), 0);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            cr_assert_eq(kafc__bufpool_alloc(&bp, SB, 0, &bufs[i]), 0, "round %d buffer %d", round,
                         i);
            memset(bufs[i], i, SB);
        }
        expect_pool(&bp, (size_t)N * SB, 0, 0);
        uint8_t *extra;
        cr_assert_eq(kafc__bufpool_alloc(&bp, SB, 0, &extra), KAFC_ERR__QUEUE_FULL);
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++)
                cr_assert(i == j || bufs[i] != bufs[j]);
            cr_assert_eq(bufs[i][0], (uint8_t)i);
            cr_assert_eq(bufs[i][SB - 1], (uint8_t)i, "no overlap between buffers");
        }
        for (int i = 0; i < N; i++)
            kafc__bufpool_release(&bp, bufs[i], SB);
        kafc__bufpool_stats(&bp, &st);
        cr_assert_eq(st.free_buffers, (size_t)N);
        /* 1 MiB of odd size: 16 free-listed buffers give their bytes. */
        cr_assert_eq(kafc__bufpool_alloc(&bp, 16 * SB + 1, 0, &big), 0);
        memset(big, 0xee, 16 * SB + 1);
        kafc__bufpool_stats(&bp, &st);
        cr_assert_eq(st.free_buffers, (size_t)N - 17);
        expect_pool(&bp, 16 * SB + 1, (size_t)(N - 16) * SB - 1, 0);
        kafc__bufpool_release(&bp, big, 16 * SB + 1);
        expect_pool(&bp, 0, (size_t)N * SB, 0);
    }
    kafc__bufpool_destroy(&bp);
}
