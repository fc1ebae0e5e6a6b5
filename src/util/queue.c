/*
 * queue — bounded MPMC ring under a mutex and two condition variables. See
 * queue.h.
 *
 * Every wait loops on its predicate against one absolute deadline, so
 * spurious wake-ups and wake-ups lost to another thread never stretch a
 * timeout. A pop that frees one slot signals one producer; pop_many, which
 * may free several, broadcasts.
 */
#include "util/queue.h"

#include <stdlib.h>

#include "util/clock.h"

kafc_err_t kafc__queue_init(kafc__queue_t *q, size_t capacity)
{
    kafc_err_t err;

    if (capacity == 0 || capacity > SIZE_MAX / sizeof(void *))
        return KAFC_ERR__INVALID_ARG;
    q->ring = calloc(capacity, sizeof(void *));
    if (q->ring == NULL)
        return KAFC_ERR__NO_MEMORY;
    q->capacity = capacity;
    q->head = 0;
    q->count = 0;
    q->closed = 0;

    err = kafc__mutex_init(&q->lock);
    if (err != KAFC_ERR_NONE)
        goto fail_ring;
    err = kafc__cond_init(&q->not_empty);
    if (err != KAFC_ERR_NONE)
        goto fail_lock;
    err = kafc__cond_init(&q->not_full);
    if (err != KAFC_ERR_NONE)
        goto fail_not_empty;
    return KAFC_ERR_NONE;

fail_not_empty:
    kafc__cond_destroy(&q->not_empty);
fail_lock:
    kafc__mutex_destroy(&q->lock);
fail_ring:
    free(q->ring);
    q->ring = NULL;
    return err;
}

void kafc__queue_destroy(kafc__queue_t *q)
{
    kafc__cond_destroy(&q->not_full);
    kafc__cond_destroy(&q->not_empty);
    kafc__mutex_destroy(&q->lock);
    free(q->ring);
    q->ring = NULL;
}

/* Waits on cond until woken or deadline. Returns KAFC_ERR__TIMED_OUT when
 * the deadline has passed, or when timeout_ms was 0. Caller holds q->lock. */
static kafc_err_t wait_on(kafc__queue_t *q, kafc__cond_t *cond, int timeout_ms, int64_t deadline)
{
    if (timeout_ms == 0)
        return KAFC_ERR__TIMED_OUT;
    return kafc__cond_timedwait_ms(cond, &q->lock, deadline);
}

/* Removes the oldest item. Caller holds q->lock and q->count > 0. */
static void *take(kafc__queue_t *q)
{
    void *item = q->ring[q->head];
    q->ring[q->head] = NULL;
    q->head = q->head + 1 == q->capacity ? 0 : q->head + 1;
    q->count--;
    return item;
}

kafc_err_t kafc__queue_push(kafc__queue_t *q, void *item, int timeout_ms)
{
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    kafc_err_t err = KAFC_ERR_NONE;

    kafc__mutex_lock(&q->lock);
    for (;;) {
        if (q->closed) {
            err = KAFC_ERR__DESTROY;
            break;
        }
        if (q->count < q->capacity) {
            size_t tail = q->head + q->count;
            if (tail >= q->capacity)
                tail -= q->capacity;
            q->ring[tail] = item;
            q->count++;
            kafc__cond_signal(&q->not_empty);
            err = KAFC_ERR_NONE;
            break;
        }
        if (err == KAFC_ERR__TIMED_OUT) /* re-checked once after the timeout */
            break;
        err = wait_on(q, &q->not_full, timeout_ms, deadline);
        if (err == KAFC_ERR__TIMED_OUT && timeout_ms == 0) {
            err = KAFC_ERR__QUEUE_FULL;
            break;
        }
    }
    kafc__mutex_unlock(&q->lock);
    return err;
}

/* Waits for the first item and moves up to max (>= 1) items into items[].
 * Returns how many; when 0, *errp says why: KAFC_ERR__DESTROY (closed and
 * empty) or KAFC_ERR__TIMED_OUT. Takes q's lock. */
static size_t pop_some(kafc__queue_t *q, void **items, size_t max, int timeout_ms, kafc_err_t *errp)
{
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    kafc_err_t err = KAFC_ERR_NONE;
    size_t n = 0;

    kafc__mutex_lock(&q->lock);
    for (;;) {
        if (q->count > 0) {
            while (n < max && q->count > 0)
                items[n++] = take(q);
            if (n == 1)
                kafc__cond_signal(&q->not_full);
            else
                kafc__cond_broadcast(&q->not_full);
            err = KAFC_ERR_NONE;
            break;
        }
        if (q->closed) {
            err = KAFC_ERR__DESTROY;
            break;
        }
        if (err == KAFC_ERR__TIMED_OUT) /* re-checked once after the timeout */
            break;
        err = wait_on(q, &q->not_empty, timeout_ms, deadline);
    }
    kafc__mutex_unlock(&q->lock);
    *errp = err;
    return n;
}

kafc_err_t kafc__queue_pop(kafc__queue_t *q, void **itemp, int timeout_ms)
{
    kafc_err_t err;
    void *item = NULL;

    (void)pop_some(q, &item, 1, timeout_ms, &err);
    *itemp = item;
    return err;
}

size_t kafc__queue_pop_many(kafc__queue_t *q, void **items, size_t max, int timeout_ms)
{
    kafc_err_t err;

    if (max == 0)
        return 0;
    return pop_some(q, items, max, timeout_ms, &err);
}

size_t kafc__queue_len(kafc__queue_t *q)
{
    size_t n;
    kafc__mutex_lock(&q->lock);
    n = q->count;
    kafc__mutex_unlock(&q->lock);
    return n;
}

void kafc__queue_close(kafc__queue_t *q)
{
    kafc__mutex_lock(&q->lock);
    q->closed = 1;
    kafc__cond_broadcast(&q->not_empty);
    kafc__cond_broadcast(&q->not_full);
    kafc__mutex_unlock(&q->lock);
}
