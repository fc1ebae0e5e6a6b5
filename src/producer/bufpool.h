/*
 * bufpool — the producer's batch buffers, bounded by buffer.memory.
 *
 * Purpose: every record batch the accumulator opens is one buffer from this
 * pool, and the sum of all buffers handed out never exceeds total_bytes
 * (buffer.memory). Buffers of exactly poolable_size bytes (batch.size) are
 * recycled through a free list, so the common case costs one lock/unlock and
 * no malloc. Any other size (a record bigger than batch.size) is an exact
 * malloc that counts against the same budget and is freed on release. When a
 * request needs more than the free list and the unallocated budget hold
 * separately, free-listed buffers are given back to the system to make room.
 *
 * Waiting: when the budget is used up, an allocation waits up to its
 * timeout (max.block.ms; 0 = fail at once) for memory to be released.
 * Waiters are served strictly first come, first served: a release hands its
 * memory to the oldest waiter (a large one collects it piece by piece until
 * it has enough), and while anyone waits, newcomers queue behind them even if
 * their own request would fit, so small requests cannot starve a large one.
 * kafc__bufpool_close() wakes every waiter with KAFC_ERR__DESTROY.
 *
 * Threads and locks: allocation runs on application threads (produce) and on
 * the I/O thread (splitting batches); release on the I/O thread. Every
 * function takes the pool's one mutex internally and none may be called with
 * it held. Ownership: the pool owns its free-listed buffers; an allocated
 * buffer belongs to the caller until it is handed back with
 * kafc__bufpool_release() with the size it was allocated with.
 *
 * Accounting: available (unallocated + free-listed bytes) plus in_use (bytes
 * handed out, plus bytes already set aside for a waiter that is still
 * collecting) equals total_bytes at all times.
 */
#ifndef KAFC_PRODUCER_BUFPOOL_H
#define KAFC_PRODUCER_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"
#include "util/thread.h"

struct kafc__bufpool_waiter; /* private to bufpool.c; lives on a waiter's stack */

typedef struct kafc__bufpool {
    kafc__mutex_t lock;
    size_t total;       /* buffer.memory */
    size_t poolable;    /* batch.size: the one size kept on the free list */
    size_t unallocated; /* budget neither handed out nor free-listed */
    size_t in_use;      /* handed out + set aside for waiters */
    uint8_t *free_head; /* free list, linked through each buffer's first bytes */
    size_t free_count;
    struct kafc__bufpool_waiter *wait_head; /* oldest waiter; served first */
    struct kafc__bufpool_waiter *wait_tail;
    int waiters;
    int closed;
    /* Poolable buffers are carved from 2 MiB slabs (transparent huge pages
     * where the system allows: one page fault instead of 512), not malloc'd,
     * when batch.size is small enough to share a slab. slab_lock guards the
     * fields below; it is never taken with lock held, nor lock with it. */
    int use_slabs;
    kafc__mutex_t slab_lock;
    struct kafc__bufpool_slab *slabs; /* every slab, for destroy */
    uint8_t *bump, *bump_end;         /* uncarved rest of the newest slab */
    uint8_t *spare_head;              /* carved buffers not in use nor free-listed: their
                                         bytes are unallocated budget, the memory kept */
} kafc__bufpool_t;

/* A consistent view of the counters, taken under one lock. */
typedef struct kafc__bufpool_stats {
    size_t total;
    size_t available; /* unallocated + free-listed bytes */
    size_t in_use;    /* total - available */
    size_t free_buffers;
    int waiters;
} kafc__bufpool_stats_t;

/* Sets up an empty open pool of total_bytes (buffer.memory) recycling
 * buffers of poolable_size bytes (batch.size). Nothing is allocated until
 * asked for. Returns KAFC_ERR_NONE; KAFC_ERR__INVALID_ARG when total_bytes is
 * 0 or poolable_size is smaller than a pointer (the free list is linked
 * through the buffers); KAFC_ERR__NO_MEMORY when the mutex cannot be made.
 * Any thread; bp not yet shared. */
kafc_err_t kafc__bufpool_init(kafc__bufpool_t *bp, size_t total_bytes, size_t poolable_size);

/* Frees the free-listed buffers and the lock. Every allocated buffer must
 * have been released and no thread may be inside a pool call. Any thread,
 * once no other thread uses bp. */
void kafc__bufpool_destroy(kafc__bufpool_t *bp);

/* Allocates size bytes into *bufp (the caller's until released; contents
 * undefined). A poolable_size request reuses a free-listed buffer when there
 * is one; other sizes are exact allocations. timeout_ms: 0 = do not wait,
 * -1 (any negative) = wait without limit, > 0 = wait at most that long for
 * memory to be released (waiters are served in arrival order). Returns:
 *   KAFC_ERR_NONE                 *bufp set.
 *   KAFC_ERR__QUEUE_FULL          not enough memory now and timeout_ms was 0,
 *                                 or still not enough when it ran out
 *                                 (max.block.ms passed).
 *   KAFC_ERR__MSG_SIZE_TOO_LARGE  size exceeds the whole budget, so no wait
 *                                 could ever satisfy it; at once. The caller
 *                                 words it, e.g. "record batch of N bytes is
 *                                 larger than buffer.memory (M)".
 *   KAFC_ERR__DESTROY             the pool is closed (also when closed while
 *                                 waiting).
 *   KAFC_ERR__NO_MEMORY           the system refused the allocation (the
 *                                 budget is given back).
 *   KAFC_ERR__INVALID_ARG         size is 0 or bufp is NULL.
 * *bufp is NULL on failure. Any thread; takes bp's lock (and, when waiting,
 * releases it while blocked). */
kafc_err_t kafc__bufpool_alloc(kafc__bufpool_t *bp, size_t size, int timeout_ms, uint8_t **bufp);

/* Hands buf back; size must be the size it was allocated with (the pool
 * keeps no per-buffer header). A poolable_size buffer goes straight to the
 * oldest waiter that needs exactly that, else onto the free list (or is
 * freed when a larger waiter needs its bytes); other sizes are freed and
 * their bytes go to the waiters in order. buf may be NULL (no-op). Works
 * after close too. Any thread (normally the I/O thread); takes bp's lock. */
void kafc__bufpool_release(kafc__bufpool_t *bp, uint8_t *buf, size_t size);

/* Closes the pool: every current waiter returns KAFC_ERR__DESTROY with
 * whatever it had collected given back, and later allocations fail with it.
 * Releases still work. Idempotent. Any thread; takes bp's lock. */
void kafc__bufpool_close(kafc__bufpool_t *bp);

/* Unallocated + free-listed bytes. Any thread; takes bp's lock. */
size_t kafc__bufpool_available(kafc__bufpool_t *bp);

/* Bytes handed out or set aside for waiters (total - available). Any
 * thread; takes bp's lock. */
size_t kafc__bufpool_in_use(kafc__bufpool_t *bp);

/* Threads currently waiting in kafc__bufpool_alloc. Any thread; takes bp's
 * lock. */
int kafc__bufpool_waiters(kafc__bufpool_t *bp);

/* Fills *st with every counter at one instant (for stats and tests). Any
 * thread; takes bp's lock. */
void kafc__bufpool_stats(kafc__bufpool_t *bp, kafc__bufpool_stats_t *st);

#endif /* KAFC_PRODUCER_BUFPOOL_H */
