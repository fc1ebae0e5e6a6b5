/*
 * bufpool — bounded pool of batch buffers. See bufpool.h.
 *
 * Memory is in one of three places, and the counters say how much of each:
 * unallocated (budget not backed by any buffer), the free list (free_count
 * buffers of poolable bytes), and in_use (handed out, or set aside for a
 * waiter). Moving bytes between them happens only under the lock, so the
 * three always add up to total.
 *
 * Fairness is decided by the releaser, not by whoever wakes first: a release
 * puts its bytes back and then serve() hands them to the oldest waiter on
 * the spot (a whole free-listed buffer when that waiter wants exactly
 * poolable bytes; otherwise bytes, freeing free-listed buffers to get them).
 * A waiter that cannot be satisfied yet keeps what it has collected, so a
 * large request makes progress with every release and nobody behind it can
 * overtake it; newcomers go straight to the back of the line while it is
 * non-empty. Each waiter sleeps on its own condition variable and is
 * signalled only once its request is complete (or the pool closes), so there
 * are no thundering herds and no lost hand-offs.
 *
 * malloc and free never run under the lock: a request backed by budget
 * rather than a free-listed buffer reserves the bytes, unlocks, then
 * mallocs; buffers freed to make room are collected on a chain (linked like
 * the free list) and freed after the unlock.
 */
#include "producer/bufpool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/clock.h"

/* Free-listed buffers are poisoned for AddressSanitizer (all but the link),
 * so a batch written after it was released is reported at the write. */
#if defined(__SANITIZE_ADDRESS__)
#define BUFPOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUFPOOL_ASAN 1
#endif
#endif
#ifdef BUFPOOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

enum waiter_state {
    W_WAITING, /* in the line */
    W_GRANTED, /* request complete: collected == size, or buf set */
    W_CLOSED   /* the pool closed; what it had collected was given back */
};

/* One blocked allocation, on its caller's stack while it waits. Every field
 * but cond is read and written under the pool's lock. */
struct kafc__bufpool_waiter {
    struct kafc__bufpool_waiter *prev, *next;
    kafc__cond_t cond; /* signalled once state leaves W_WAITING */
    size_t size;       /* bytes asked for */
    size_t collected;  /* bytes set aside so far (counted in in_use) */
    uint8_t *buf;      /* a whole free-listed buffer, when handed one */
    enum waiter_state state;
};

typedef struct kafc__bufpool_waiter waiter_t;

static void poison(uint8_t *buf, size_t size)
{
#ifdef BUFPOOL_ASAN
    __asan_poison_memory_region(buf + sizeof(uint8_t *), size - sizeof(uint8_t *));
#else
    (void)buf;
    (void)size;
#endif
}

static void unpoison(uint8_t *buf, size_t size)
{
#ifdef BUFPOOL_ASAN
    __asan_unpoison_memory_region(buf, size);
#else
    (void)buf;
    (void)size;
#endif
}

/* Free list and free chains are linked through each buffer's first bytes
 * (poolable >= sizeof(pointer) is checked at init). */
static uint8_t *next_of(const uint8_t *buf)
{
    uint8_t *next;
    memcpy(&next, buf, sizeof(next));
    return next;
}

static void set_next(uint8_t *buf, uint8_t *next)
{
    memcpy(buf, &next, sizeof(next));
}

/* ---- slabs -------------------------------------------------------------- */

#define SLAB_BYTES ((size_t)2 << 20) /* one transparent huge page */

struct kafc__bufpool_slab {
    struct kafc__bufpool_slab *next;
    uint8_t *mem; /* SLAB_BYTES, SLAB_BYTES-aligned */
};

/* Maps one slab aligned to its size (so that it can be one huge page) and
 * asks for huge pages. NULL when the system refuses. No lock. */
static uint8_t *slab_map(void)
{
    size_t len = 2 * SLAB_BYTES;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)m + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1);
    uint8_t *aligned = (uint8_t *)a;
    if (aligned > m)
        munmap(m, (size_t)(aligned - m));
    if (aligned + SLAB_BYTES < m + len)
        munmap(aligned + SLAB_BYTES, (size_t)(m + len - (aligned + SLAB_BYTES)));
#ifdef MADV_HUGEPAGE
    madvise(aligned, SLAB_BYTES, MADV_HUGEPAGE); /* a hint: fine if refused */
#endif
    return aligned;
}

/* A poolable buffer from the slabs: a spare one, else carved from the
 * newest slab, else from a new slab. The caller has reserved its bytes. No
 * pool lock held. */
static uint8_t *slab_take(kafc__bufpool_t *bp)
{
    uint8_t *buf = NULL;
    kafc__mutex_lock(&bp->slab_lock);
    for (int tries = 0; buf == NULL && tries < 2; tries++) {
        if (bp->spare_head != NULL) {
            buf = bp->spare_head;
            unpoison(buf, bp->poolable);
            bp->spare_head = next_of(buf);
        } else if ((size_t)(bp->bump_end - bp->bump) >= bp->poolable) {
            buf = bp->bump;
            bp->bump += bp->poolable;
        } else if (tries == 0) {
            kafc__mutex_unlock(&bp->slab_lock);
            struct kafc__bufpool_slab *sl = malloc(sizeof(*sl));
            uint8_t *mem = sl ? slab_map() : NULL;
            kafc__mutex_lock(&bp->slab_lock);
            if (mem == NULL) {
                free(sl);
                break;
            }
            sl->mem = mem;
            sl->next = bp->slabs;
            bp->slabs = sl;
            /* Another thread may have added a slab meanwhile: the rest of
             * the older one is left uncarved (the budget bounds the total
             * carved either way). */
            bp->bump = mem;
            bp->bump_end = mem + SLAB_BYTES;
        }
    }
    kafc__mutex_unlock(&bp->slab_lock);
    return buf;
}

/* Frees a chain collected by make_room(). No lock. Slab buffers become
 * spares (their memory is reused by the next carve). */
static void free_chain(kafc__bufpool_t *bp, uint8_t *chain)
{
    if (chain != NULL && bp->use_slabs) {
        kafc__mutex_lock(&bp->slab_lock);
        while (chain != NULL) {
            uint8_t *next = next_of(chain);
            set_next(chain, bp->spare_head);
            poison(chain, bp->poolable);
            bp->spare_head = chain;
            chain = next;
        }
        kafc__mutex_unlock(&bp->slab_lock);
        return;
    }
    while (chain != NULL) {
        uint8_t *next = next_of(chain);
        free(chain);
        chain = next;
    }
}

/* Pushes a poolable buffer on the free list. Caller holds bp->lock. */
static void free_push(kafc__bufpool_t *bp, uint8_t *buf)
{
    set_next(buf, bp->free_head);
    poison(buf, bp->poolable);
    bp->free_head = buf;
    bp->free_count++;
}

/* Pops the most recently freed buffer (warmest in cache). Caller holds
 * bp->lock and free_count > 0. */
static uint8_t *free_pop(kafc__bufpool_t *bp)
{
    uint8_t *buf = bp->free_head;

    unpoison(buf, bp->poolable);
    bp->free_head = next_of(buf);
    bp->free_count--;
    return buf;
}

/* Turns free-listed buffers into unallocated budget until at least need
 * bytes are unallocated or the free list is empty. The buffers are pushed on
 * *chain for the caller to free once unlocked. Caller holds bp->lock. */
static void make_room(kafc__bufpool_t *bp, size_t need, uint8_t **chain)
{
    while (bp->unallocated < need && bp->free_count > 0) {
        uint8_t *buf = free_pop(bp);
        bp->unallocated += bp->poolable;
        set_next(buf, *chain);
        *chain = buf;
    }
}

/* Moves n unallocated bytes to in_use, or back. Caller holds bp->lock. */
static void reserve(kafc__bufpool_t *bp, size_t n)
{
    assert(bp->unallocated >= n);
    bp->unallocated -= n;
    bp->in_use += n;
}

static void unreserve(kafc__bufpool_t *bp, size_t n)
{
    assert(bp->in_use >= n);
    bp->in_use -= n;
    bp->unallocated += n;
}

static void enqueue(kafc__bufpool_t *bp, waiter_t *w)
{
    w->next = NULL;
    w->prev = bp->wait_tail;
    if (bp->wait_tail != NULL)
        bp->wait_tail->next = w;
    else
        bp->wait_head = w;
    bp->wait_tail = w;
    bp->waiters++;
}

static void unlink_waiter(kafc__bufpool_t *bp, waiter_t *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        bp->wait_head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        bp->wait_tail = w->prev;
    w->prev = w->next = NULL;
    bp->waiters--;
}

/* Hands free memory to waiters, oldest first, until the oldest cannot be
 * completed. A completed waiter leaves the line and is signalled; the oldest
 * incomplete one keeps what it collected. Buffers freed to make room go on
 * *chain. Caller holds bp->lock. */
static void serve(kafc__bufpool_t *bp, uint8_t **chain)
{
    waiter_t *w;

    while ((w = bp->wait_head) != NULL) {
        if (w->size == bp->poolable && bp->free_count > 0) {
            /* A whole buffer: no malloc for the waiter; whatever bytes it
             * had collected go back for the next one. */
            unreserve(bp, w->collected);
            w->buf = free_pop(bp);
            bp->in_use += bp->poolable;
            w->collected = bp->poolable;
        } else {
            size_t need = w->size - w->collected;
            size_t take;

            make_room(bp, need, chain);
            take = bp->unallocated < need ? bp->unallocated : need;
            reserve(bp, take);
            w->collected += take;
            if (w->collected < w->size)
                return;
        }
        unlink_waiter(bp, w);
        w->state = W_GRANTED;
        kafc__cond_signal(&w->cond);
    }
}

kafc_err_t kafc__bufpool_init(kafc__bufpool_t *bp, size_t total_bytes, size_t poolable_size)
{
    kafc_err_t err;

    if (total_bytes == 0 || poolable_size < sizeof(uint8_t *))
        return KAFC_ERR__INVALID_ARG;
    memset(bp, 0, sizeof(*bp));
    err = kafc__mutex_init(&bp->lock);
    if (err != KAFC_ERR_NONE)
        return err;
    bp->total = total_bytes;
    bp->poolable = poolable_size;
    bp->unallocated = total_bytes;
    /* Slabs when at least four buffers share one and the budget fills one;
     * ASan builds keep malloc, which reports overruns between buffers. */
#ifndef BUFPOOL_ASAN
    bp->use_slabs = poolable_size <= SLAB_BYTES / 4 && total_bytes >= SLAB_BYTES;
#endif
    if (bp->use_slabs && kafc__mutex_init(&bp->slab_lock) != KAFC_ERR_NONE) {
        kafc__mutex_destroy(&bp->lock);
        return KAFC_ERR__NO_MEMORY;
    }
    return KAFC_ERR_NONE;
}

void kafc__bufpool_destroy(kafc__bufpool_t *bp)
{
    uint8_t *chain = NULL;

    assert(bp->in_use == 0 && bp->waiters == 0);
    while (bp->free_count > 0) {
        uint8_t *buf = free_pop(bp);
        set_next(buf, chain);
        chain = buf;
    }
    free_chain(bp, chain);
    kafc__mutex_destroy(&bp->lock);
    if (bp->use_slabs) {
        while (bp->slabs != NULL) {
            struct kafc__bufpool_slab *sl = bp->slabs;
            bp->slabs = sl->next;
            munmap(sl->mem, SLAB_BYTES);
            free(sl);
        }
        kafc__mutex_destroy(&bp->slab_lock);
    }
}

/* Waits in line for size bytes. On KAFC_ERR_NONE the bytes are in in_use
 * and *bufp is a free-listed buffer or NULL (the caller mallocs). Caller
 * holds bp->lock; it is held again on return. */
static kafc_err_t wait_for(kafc__bufpool_t *bp, size_t size, int timeout_ms, uint8_t **bufp)
{
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    uint8_t *chain = NULL;
    int timed_out = 0;
    kafc_err_t err;
    waiter_t w;

    memset(&w, 0, sizeof(w));
    err = kafc__cond_init(&w.cond);
    if (err != KAFC_ERR_NONE)
        return err;
    w.size = size;
    w.state = W_WAITING;
    enqueue(bp, &w);
    serve(bp, &chain); /* at the head, take what is free now */

    for (;;) {
        if (chain != NULL) {
            /* Not under the lock; state is re-read after. */
            kafc__mutex_unlock(&bp->lock);
            free_chain(bp, chain);
            chain = NULL;
            kafc__mutex_lock(&bp->lock);
            continue;
        }
        if (w.state != W_WAITING || timed_out)
            break;
        if (kafc__cond_timedwait_ms(&w.cond, &bp->lock, deadline) == KAFC_ERR__TIMED_OUT)
            timed_out = 1; /* the state is checked once more */
    }

    switch (w.state) {
    case W_GRANTED:
        *bufp = w.buf;
        err = KAFC_ERR_NONE;
        break;
    case W_CLOSED:
        err = KAFC_ERR__DESTROY;
        break;
    case W_WAITING:
    default:
        /* Out of time: give back what was collected; the next in line may
         * now be complete. */
        unlink_waiter(bp, &w);
        unreserve(bp, w.collected);
        serve(bp, &chain);
        err = KAFC_ERR__QUEUE_FULL;
        break;
    }
    /* The signal (if any) was sent under the lock we hold: nobody touches
     * w.cond any more. */
    kafc__cond_destroy(&w.cond);
    if (chain != NULL) {
        kafc__mutex_unlock(&bp->lock);
        free_chain(bp, chain);
        kafc__mutex_lock(&bp->lock);
    }
    return err;
}

kafc_err_t kafc__bufpool_alloc(kafc__bufpool_t *bp, size_t size, int timeout_ms, uint8_t **bufp)
{
    uint8_t *chain = NULL;
    uint8_t *buf = NULL;
    kafc_err_t err = KAFC_ERR_NONE;

    if (bufp == NULL)
        return KAFC_ERR__INVALID_ARG;
    *bufp = NULL;
    if (size == 0)
        return KAFC_ERR__INVALID_ARG;
    if (size > bp->total) /* immutable after init: no lock needed */
        return KAFC_ERR__MSG_SIZE_TOO_LARGE;

    kafc__mutex_lock(&bp->lock);
    if (bp->closed) {
        err = KAFC_ERR__DESTROY;
    } else if (bp->wait_head == NULL && size == bp->poolable && bp->free_count > 0) {
        /* The hot path: one lock/unlock, no malloc. */
        buf = free_pop(bp);
        bp->in_use += size;
    } else if (bp->wait_head == NULL && bp->unallocated + bp->free_count * bp->poolable >= size) {
        make_room(bp, size, &chain);
        reserve(bp, size);
    } else if (timeout_ms == 0) {
        err = KAFC_ERR__QUEUE_FULL;
    } else {
        err = wait_for(bp, size, timeout_ms, &buf);
    }
    kafc__mutex_unlock(&bp->lock);
    free_chain(bp, chain);
    if (err != KAFC_ERR_NONE)
        return err;

    if (buf == NULL) {
        buf = bp->use_slabs && size == bp->poolable ? slab_take(bp) : malloc(size);
        if (buf == NULL) {
            chain = NULL;
            kafc__mutex_lock(&bp->lock);
            unreserve(bp, size);
            serve(bp, &chain);
            kafc__mutex_unlock(&bp->lock);
            free_chain(bp, chain);
            return KAFC_ERR__NO_MEMORY;
        }
    }
    *bufp = buf;
    return KAFC_ERR_NONE;
}

void kafc__bufpool_release(kafc__bufpool_t *bp, uint8_t *buf, size_t size)
{
    uint8_t *chain = NULL;

    if (buf == NULL)
        return;
    if (size != bp->poolable)
        free(buf); /* before the lock: bytes are counted as in use a moment longer */

    kafc__mutex_lock(&bp->lock);
    assert(bp->in_use >= size);
    bp->in_use -= size;
    if (size == bp->poolable)
        free_push(bp, buf); /* serve() may hand it straight on */
    else
        bp->unallocated += size;
    serve(bp, &chain);
    kafc__mutex_unlock(&bp->lock);
    free_chain(bp, chain);
}

void kafc__bufpool_close(kafc__bufpool_t *bp)
{
    waiter_t *w;

    kafc__mutex_lock(&bp->lock);
    bp->closed = 1;
    while ((w = bp->wait_head) != NULL) {
        unlink_waiter(bp, w);
        unreserve(bp, w->collected);
        w->collected = 0;
        w->state = W_CLOSED;
        kafc__cond_signal(&w->cond);
    }
    kafc__mutex_unlock(&bp->lock);
}

void kafc__bufpool_stats(kafc__bufpool_t *bp, kafc__bufpool_stats_t *st)
{
    kafc__mutex_lock(&bp->lock);
    st->total = bp->total;
    st->available = bp->unallocated + bp->free_count * bp->poolable;
    st->in_use = bp->in_use;
    st->free_buffers = bp->free_count;
    st->waiters = bp->waiters;
    kafc__mutex_unlock(&bp->lock);
}

size_t kafc__bufpool_available(kafc__bufpool_t *bp)
{
    kafc__bufpool_stats_t st;
    kafc__bufpool_stats(bp, &st);
    return st.available;
}

size_t kafc__bufpool_in_use(kafc__bufpool_t *bp)
{
    kafc__bufpool_stats_t st;
    kafc__bufpool_stats(bp, &st);
    return st.in_use;
}

int kafc__bufpool_waiters(kafc__bufpool_t *bp)
{
    kafc__bufpool_stats_t st;
    kafc__bufpool_stats(bp, &st);
    return st.waiters;
}
