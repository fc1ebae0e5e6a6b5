/*
 * Unit tests for util/queue: FIFO order, full/empty/timeout/close semantics,
 * and many producers and consumers moving every item exactly once. Every
 * wait is bounded; no sleep is used to order threads.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/queue.h"
#include "util/thread.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(queue, .timeout = 60);

/* Generous bound for "promptly" on a loaded 2-core machine. */
#define BOUND_MS 10000

#define ITEM(n) ((void *)(uintptr_t)(n))

Test(queue, init_rejects_zero_capacity)
{
    kafc__queue_t q;
    cr_assert_eq(kafc__queue_init(&q, 0), KAFC_ERR__INVALID_ARG);
}

Test(queue, fifo_and_wraparound)
{
    kafc__queue_t q;
    void *item;
    uintptr_t next_in = 1, next_out = 1;

    cr_assert_eq(kafc__queue_init(&q, 4), 0);
    cr_assert_eq(kafc__queue_len(&q), 0);
    /* Push 1..3 and pop 2, many times, so head and tail wrap around. */
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 3 && kafc__queue_len(&q) < 4; i++)
            cr_assert_eq(kafc__queue_push(&q, ITEM(next_in++), 0), 0);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(kafc__queue_pop(&q, &item, 0), 0);
            cr_assert_eq(item, ITEM(next_out), "round %d", round);
            next_out++;
        }
    }
    cr_assert_eq(kafc__queue_len(&q), next_in - next_out);
    while (kafc__queue_pop(&q, &item, 0) == 0) {
        cr_assert_eq(item, ITEM(next_out));
        next_out++;
    }
    cr_assert_eq(next_out, next_in);
    kafc__queue_destroy(&q);
}

Test(queue, full_queue_push_semantics)
{
    kafc__queue_t q;
    int64_t before, after;

    cr_assert_eq(kafc__queue_init(&q, 2), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(1), 0), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(2), 0), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(3), 0), KAFC_ERR__QUEUE_FULL);

    before = kafc__clock_ms();
    cr_assert_eq(kafc__queue_push(&q, ITEM(3), 30), KAFC_ERR__TIMED_OUT);
    after = kafc__clock_ms();
    cr_assert_geq(after - before, 30, "gave up early");
    cr_assert_lt(after - before, BOUND_MS, "overslept");
    cr_assert_eq(kafc__queue_len(&q), 2, "failed pushes queue nothing");
    kafc__queue_destroy(&q);
}

Test(queue, empty_queue_pop_semantics)
{
    kafc__queue_t q;
    void *item = ITEM(99);
    void *items[4];
    int64_t before, after;

    cr_assert_eq(kafc__queue_init(&q, 2), 0);
    cr_assert_eq(kafc__queue_pop(&q, &item, 0), KAFC_ERR__TIMED_OUT);
    cr_assert_null(item);

    before = kafc__clock_ms();
    cr_assert_eq(kafc__queue_pop(&q, &item, 30), KAFC_ERR__TIMED_OUT);
    after = kafc__clock_ms();
    cr_assert_geq(after - before, 30);
    cr_assert_lt(after - before, BOUND_MS);

    before = kafc__clock_ms();
    cr_assert_eq(kafc__queue_pop_many(&q, items, 4, 30), 0);
    after = kafc__clock_ms();
    cr_assert_geq(after - before, 30);
    cr_assert_lt(after - before, BOUND_MS);
    kafc__queue_destroy(&q);
}

Test(queue, pop_many_drains_in_order)
{
    kafc__queue_t q;
    void *items[100];

    cr_assert_eq(kafc__queue_init(&q, 16), 0);
    for (uintptr_t i = 1; i <= 10; i++)
        cr_assert_eq(kafc__queue_push(&q, ITEM(i), 0), 0);
    cr_assert_eq(kafc__queue_pop_many(&q, items, 0, 0), 0);
    cr_assert_eq(kafc__queue_pop_many(&q, items, 4, 0), 4);
    for (uintptr_t i = 0; i < 4; i++)
        cr_assert_eq(items[i], ITEM(i + 1));
    cr_assert_eq(kafc__queue_pop_many(&q, items, 100, 0), 6);
    for (uintptr_t i = 0; i < 6; i++)
        cr_assert_eq(items[i], ITEM(i + 5));
    cr_assert_eq(kafc__queue_pop_many(&q, items, 100, 0), 0);
    kafc__queue_destroy(&q);
}

Test(queue, close_semantics)
{
    kafc__queue_t q;
    void *item;
    void *items[4];

    cr_assert_eq(kafc__queue_init(&q, 4), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(1), 0), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(2), 0), 0);
    kafc__queue_close(&q);
    kafc__queue_close(&q); /* idempotent */
    cr_assert_eq(kafc__queue_push(&q, ITEM(3), 0), KAFC_ERR__DESTROY);
    cr_assert_eq(kafc__queue_push(&q, ITEM(3), 1000), KAFC_ERR__DESTROY);
    cr_assert_eq(kafc__queue_len(&q), 2);
    /* What was queued before the close still comes out, in order. */
    cr_assert_eq(kafc__queue_pop(&q, &item, 0), 0);
    cr_assert_eq(item, ITEM(1));
    cr_assert_eq(kafc__queue_pop_many(&q, items, 4, 0), 1);
    cr_assert_eq(items[0], ITEM(2));
    cr_assert_eq(kafc__queue_pop(&q, &item, 0), KAFC_ERR__DESTROY);
    cr_assert_eq(kafc__queue_pop(&q, &item, 1000), KAFC_ERR__DESTROY, "no wait once closed");
    cr_assert_null(item);
    cr_assert_eq(kafc__queue_pop_many(&q, items, 4, 1000), 0);
    kafc__queue_destroy(&q);
}

typedef struct waiter {
    kafc__queue_t *q;
    int push; /* 1: push one item; 0: pop one */
    kafc_err_t err;
    void *item;
    int64_t elapsed_ms;
} waiter_t;

static void *wait_in_queue(void *arg)
{
    waiter_t *w = arg;
    int64_t start = kafc__clock_ms();
    if (w->push)
        w->err = kafc__queue_push(w->q, w->item, BOUND_MS);
    else
        w->err = kafc__queue_pop(w->q, &w->item, BOUND_MS);
    w->elapsed_ms = kafc__clock_ms() - start;
    return NULL;
}

Test(queue, close_wakes_blocked_pop_and_push)
{
    kafc__queue_t empty, full;
    waiter_t popper = {&empty, 0, -1, ITEM(7), 0};
    waiter_t pusher = {&full, 1, -1, ITEM(7), 0};
    kafc__thread_t t1, t2;

    cr_assert_eq(kafc__queue_init(&empty, 1), 0);
    cr_assert_eq(kafc__queue_init(&full, 1), 0);
    cr_assert_eq(kafc__queue_push(&full, ITEM(1), 0), 0);
    cr_assert_eq(kafc__thread_create(&t1, "kafc-test-pop", wait_in_queue, &popper), 0);
    cr_assert_eq(kafc__thread_create(&t2, "kafc-test-push", wait_in_queue, &pusher), 0);
    kafc__queue_close(&empty);
    kafc__queue_close(&full);
    cr_assert_eq(kafc__thread_join(&t1, NULL), 0);
    cr_assert_eq(kafc__thread_join(&t2, NULL), 0);

    cr_assert_eq(popper.err, KAFC_ERR__DESTROY);
    cr_assert_null(popper.item);
    cr_assert_lt(popper.elapsed_ms, BOUND_MS, "woken by close, not by its timeout");
    cr_assert_eq(pusher.err, KAFC_ERR__DESTROY);
    cr_assert_lt(pusher.elapsed_ms, BOUND_MS);
    cr_assert_eq(kafc__queue_len(&full), 1);
    kafc__queue_destroy(&empty);
    kafc__queue_destroy(&full);
}

Test(queue, blocked_push_completes_when_room_appears)
{
    kafc__queue_t q;
    waiter_t pusher = {&q, 1, -1, ITEM(2), 0};
    kafc__thread_t t;
    void *item;

    cr_assert_eq(kafc__queue_init(&q, 1), 0);
    cr_assert_eq(kafc__queue_push(&q, ITEM(1), 0), 0);
    cr_assert_eq(kafc__thread_create(&t, "kafc-test-push", wait_in_queue, &pusher), 0);
    cr_assert_eq(kafc__queue_pop(&q, &item, BOUND_MS), 0);
    cr_assert_eq(item, ITEM(1));
    /* The pusher's item arrives once there is room. */
    cr_assert_eq(kafc__queue_pop(&q, &item, BOUND_MS), 0);
    cr_assert_eq(item, ITEM(2));
    cr_assert_eq(kafc__thread_join(&t, NULL), 0);
    cr_assert_eq(pusher.err, 0);
    kafc__queue_destroy(&q);
}

/* ---- many producers, many consumers ----------------------------------- */

#define PRODUCERS 4
#define CONSUMERS 2
#define PER_PRODUCER 25000

typedef struct producer {
    kafc__queue_t *q;
    uintptr_t id;
    int failures;
} producer_t;

typedef struct consumer {
    kafc__queue_t *q;
    int use_pop_many;
    uint8_t seen[PRODUCERS][PER_PRODUCER];
    int64_t last_seq[PRODUCERS]; /* FIFO: each producer's items in order */
    size_t received;
    int order_errors;
    int bad_items;
    kafc_err_t end; /* why it stopped: DESTROY expected */
} consumer_t;

/* Item = producer id in the high bits, sequence below, plus one so it is
 * never NULL. */
static void *encode(uintptr_t producer, uintptr_t seq)
{
    return (void *)((producer << 20 | seq) + 1);
}

static void *produce(void *arg)
{
    producer_t *p = arg;
    for (uintptr_t seq = 0; seq < PER_PRODUCER; seq++)
        if (kafc__queue_push(p->q, encode(p->id, seq), BOUND_MS) != 0)
            p->failures++;
    return NULL;
}

static void take_item(consumer_t *c, void *item)
{
    uintptr_t v = (uintptr_t)item - 1;
    uintptr_t prod = v >> 20, seq = v & ((1u << 20) - 1);

    if (prod >= PRODUCERS || seq >= PER_PRODUCER) {
        c->bad_items++;
        return;
    }
    if ((int64_t)seq <= c->last_seq[prod])
        c->order_errors++;
    c->last_seq[prod] = (int64_t)seq;
    c->seen[prod][seq]++;
    c->received++;
}

static void *consume(void *arg)
{
    consumer_t *c = arg;
    for (int i = 0; i < PRODUCERS; i++)
        c->last_seq[i] = -1;
    for (;;) {
        if (c->use_pop_many) {
            void *items[16];
            size_t n = kafc__queue_pop_many(c->q, items, 16, BOUND_MS);
            if (n == 0) {
                void *dummy;
                /* Closed-and-empty or timed out: pop says which. */
                c->end = kafc__queue_pop(c->q, &dummy, 0);
                if (c->end == 0)
                    take_item(c, dummy);
                else
                    return NULL;
            }
            for (size_t i = 0; i < n; i++)
                take_item(c, items[i]);
        } else {
            void *item;
            kafc_err_t err = kafc__queue_pop(c->q, &item, BOUND_MS);
            if (err != 0) {
                c->end = err;
                return NULL;
            }
            take_item(c, item);
        }
    }
}

Test(queue, producers_and_consumers_move_every_item_once)
{
    kafc__queue_t q;
    producer_t prod[PRODUCERS];
    consumer_t *cons = calloc(CONSUMERS, sizeof(consumer_t));
    kafc__thread_t pt[PRODUCERS], ct[CONSUMERS];
    size_t total = 0;

    cr_assert_not_null(cons);
    cr_assert_eq(kafc__queue_init(&q, 64), 0);
    for (int i = 0; i < CONSUMERS; i++) {
        cons[i].q = &q;
        cons[i].use_pop_many = i % 2;
        cr_assert_eq(kafc__thread_create(&ct[i], "kafc-test-cons", consume, &cons[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        prod[i] = (producer_t){&q, (uintptr_t)i, 0};
        cr_assert_eq(kafc__thread_create(&pt[i], "kafc-test-prod", produce, &prod[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        cr_assert_eq(kafc__thread_join(&pt[i], NULL), 0);
        cr_assert_eq(prod[i].failures, 0, "producer %d had pushes fail", i);
    }
    /* Every item is queued: closing now lets consumers drain, then stop. */
    kafc__queue_close(&q);
    for (int i = 0; i < CONSUMERS; i++) {
        cr_assert_eq(kafc__thread_join(&ct[i], NULL), 0);
        cr_assert_eq(cons[i].end, KAFC_ERR__DESTROY, "consumer %d stopped with %d", i, cons[i].end);
        cr_assert_eq(cons[i].bad_items, 0);
        cr_assert_eq(cons[i].order_errors, 0, "consumer %d saw a producer's items out of order", i);
        total += cons[i].received;
    }
    cr_assert_eq(total, (size_t)PRODUCERS * PER_PRODUCER);
    for (int p = 0; p < PRODUCERS; p++)
        for (int s = 0; s < PER_PRODUCER; s++) {
            int n = 0;
            for (int i = 0; i < CONSUMERS; i++)
                n += cons[i].seen[p][s];
            cr_assert_eq(n, 1, "item %d/%d received %d times", p, s, n);
        }
    cr_assert_eq(kafc__queue_len(&q), 0);
    kafc__queue_destroy(&q);
    free(cons);
}
