/*
 * queue — a bounded multi-producer multi-consumer FIFO of void * items.
 *
 * A ring buffer of fixed capacity under one mutex, with one condition
 * variable for "not empty" (consumers wait on it) and one for "not full"
 * (producers wait on it). Used to hand work between application threads and
 * the I/O thread (delivery reports, fetched messages, ...). Any thread may
 * call any function; each takes the queue's own lock internally and none
 * must be called with it held.
 *
 * The queue owns its ring and locks, never the items: it neither copies nor
 * frees them. Items are taken by the queue on a successful push and handed
 * to the caller of a successful pop. kafc__queue_close() stops further
 * pushes and wakes every waiter; items already queued can still be popped.
 */
#ifndef KAFC_UTIL_QUEUE_H
#define KAFC_UTIL_QUEUE_H

#include <stddef.h>

#include "kafc/kafc.h"
#include "util/thread.h"

typedef struct kafc__queue {
    kafc__mutex_t lock;
    kafc__cond_t not_empty; /* consumers wait here */
    kafc__cond_t not_full;  /* producers wait here */
    void **ring;            /* capacity slots */
    size_t capacity;
    size_t head;  /* index of the oldest item */
    size_t count; /* items queued */
    int closed;
} kafc__queue_t;

/* Sets up an empty open queue of capacity items (>= 1). Returns
 * KAFC_ERR_NONE, KAFC_ERR__INVALID_ARG for capacity 0, or
 * KAFC_ERR__NO_MEMORY. Any thread; q not yet shared. */
kafc_err_t kafc__queue_init(kafc__queue_t *q, size_t capacity);

/* Frees the ring and locks. Items still queued are not freed: drain them
 * first if they own memory. Any thread, once no other thread uses q. */
void kafc__queue_destroy(kafc__queue_t *q);

/* Appends item (taken by the queue on success). timeout_ms: 0 = do not
 * wait, > 0 = wait at most that long for room, < 0 = wait without limit.
 * Returns:
 *   KAFC_ERR_NONE          queued.
 *   KAFC_ERR__QUEUE_FULL   full and timeout_ms was 0.
 *   KAFC_ERR__TIMED_OUT    still full when timeout_ms ran out.
 *   KAFC_ERR__DESTROY      the queue is closed (also when closed while
 *                          waiting); item was not queued.
 * Any thread; takes q's lock. */
kafc_err_t kafc__queue_push(kafc__queue_t *q, void *item, int timeout_ms);

/* Removes the oldest item into *itemp (handed to the caller). timeout_ms as
 * for push. Returns KAFC_ERR_NONE; KAFC_ERR__TIMED_OUT when still empty at
 * the deadline (at once for 0); KAFC_ERR__DESTROY when the queue is closed
 * and empty. *itemp is set to NULL on failure. Any thread; takes q's lock. */
kafc_err_t kafc__queue_pop(kafc__queue_t *q, void **itemp, int timeout_ms);

/* Like pop, but waits only for the first item and then moves up to max
 * items, oldest first, into items[] under one lock. Returns how many (0 on
 * timeout, when closed and empty, or when max is 0). Any thread; takes q's
 * lock. */
size_t kafc__queue_pop_many(kafc__queue_t *q, void **items, size_t max, int timeout_ms);

/* Items queued right now (may change as soon as it returns). Any thread;
 * takes q's lock. */
size_t kafc__queue_len(kafc__queue_t *q);

/* Closes q: later pushes fail with KAFC_ERR__DESTROY, pops drain what is
 * left and then fail with KAFC_ERR__DESTROY, and every thread waiting in a
 * push or pop wakes. Idempotent. Any thread; takes q's lock. */
void kafc__queue_close(kafc__queue_t *q);

#endif /* KAFC_UTIL_QUEUE_H */
