/*
 * thread — thin wrappers over pthread mutexes, condition variables and
 * threads, so the rest of kafc speaks kafc_err_t and absolute monotonic
 * deadlines.
 *
 * Condition variables wait on CLOCK_MONOTONIC, so a wall-clock step (NTP, a
 * user changing the time) never shortens or stretches a timeout. Deadlines
 * are absolute milliseconds from kafc__deadline_ms() (util/clock.h), with
 * INT64_MAX meaning "no deadline". The wrappers own nothing beyond the
 * pthread objects they embed; any thread may call them, under the locking
 * rules of pthreads (noted per function).
 */
#ifndef KAFC_UTIL_THREAD_H
#define KAFC_UTIL_THREAD_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kafc/kafc.h"

typedef struct kafc__mutex {
    pthread_mutex_t m;
} kafc__mutex_t;

typedef struct kafc__cond {
    pthread_cond_t c;
} kafc__cond_t;

typedef struct kafc__thread {
    pthread_t t;
} kafc__thread_t;

/* A thread's body: gets the arg given to kafc__thread_create; its return
 * value is handed to kafc__thread_join. */
typedef void *(kafc__thread_fn_t)(void *arg);

/* ---- spin lock ---------------------------------------------------------- */

/* For data held a few hundred nanoseconds at a time by two threads, taken
 * millions of times a second by one of them (a producer's partition
 * queues). Release is a plain store (no fence: the holder's writes drain
 * from the store buffer in the background); a waiter spins briefly, then
 * yields its core, so a preempted holder costs the waiter little. No
 * condition variables. Zero-initialised = unlocked. */
typedef struct kafc__spin {
    atomic_int v;
} kafc__spin_t;

static inline void kafc__spin_lock(kafc__spin_t *s)
{
    for (;;) {
        if (!atomic_exchange_explicit(&s->v, 1, memory_order_acquire))
            return;
        for (int n = 0; atomic_load_explicit(&s->v, memory_order_relaxed); n++) {
            if (n < 100) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();
            }
        }
    }
}

static inline void kafc__spin_unlock(kafc__spin_t *s)
{
    atomic_store_explicit(&s->v, 0, memory_order_release);
}

/* ---- mutex -------------------------------------------------------------- */

/* Returns KAFC_ERR_NONE, or KAFC_ERR__NO_MEMORY when the system is out of
 * resources. Any thread; mtx not yet shared. */
kafc_err_t kafc__mutex_init(kafc__mutex_t *mtx);

/* Any thread; mtx must be unlocked and no longer used by anyone. */
void kafc__mutex_destroy(kafc__mutex_t *mtx);

/* Any thread; not recursive. Aborts on a corrupted or misused mutex (a bug
 * no caller could recover from). */
void kafc__mutex_lock(kafc__mutex_t *mtx);

/* Takes mtx when it is free: returns 0, or -1 (without blocking) when
 * another holder has it. Any thread. */
int kafc__mutex_trylock(kafc__mutex_t *mtx);

/* Any thread holding mtx. */
void kafc__mutex_unlock(kafc__mutex_t *mtx);

/* ---- condition variable ------------------------------------------------- */

/* A condition variable on CLOCK_MONOTONIC. Returns KAFC_ERR_NONE or
 * KAFC_ERR__NO_MEMORY. Any thread; cond not yet shared. */
kafc_err_t kafc__cond_init(kafc__cond_t *cond);

/* Any thread; no thread may be waiting on cond. */
void kafc__cond_destroy(kafc__cond_t *cond);

/* Wakes one / every waiter. Any thread, with or without the waiters' mutex
 * held (holding it avoids lost wake-ups if the predicate changed outside
 * it). */
void kafc__cond_signal(kafc__cond_t *cond);
void kafc__cond_broadcast(kafc__cond_t *cond);

/* Waits with no deadline. Caller holds mtx; it is held again on return. May
 * wake spuriously: always re-check the predicate in a loop. */
void kafc__cond_wait(kafc__cond_t *cond, kafc__mutex_t *mtx);

/* Waits until woken or until the monotonic clock reaches deadline_ms
 * (absolute, from kafc__deadline_ms; INT64_MAX = no deadline). Caller holds
 * mtx; it is held again on return. Returns KAFC_ERR_NONE when woken (maybe
 * spuriously: re-check the predicate) or KAFC_ERR__TIMED_OUT once the
 * deadline has passed. */
kafc_err_t kafc__cond_timedwait_ms(kafc__cond_t *cond, kafc__mutex_t *mtx, int64_t deadline_ms);

/* ---- threads ------------------------------------------------------------ */

/* Starts fn(arg) on a new joinable thread named name (copied; truncated to
 * the 15 characters Linux keeps; NULL for no name). The new thread starts
 * with every signal blocked, so signals meant for the application are
 * delivered to the application's own threads. Returns KAFC_ERR_NONE, or
 * KAFC_ERR__NO_MEMORY when the system cannot create a thread. Any thread. */
kafc_err_t kafc__thread_create(kafc__thread_t *thr, const char *name, kafc__thread_fn_t *fn,
                               void *arg);

/* Waits for thr to end and stores its return value in *retp (retp may be
 * NULL). Returns KAFC_ERR_NONE, or KAFC_ERR__INVALID_ARG when thr is not
 * joinable (already joined, or the calling thread itself). Any thread but
 * thr. */
kafc_err_t kafc__thread_join(kafc__thread_t *thr, void **retp);

#endif /* KAFC_UTIL_THREAD_H */
