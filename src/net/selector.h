/*
 * selector — the I/O thread's event loop: epoll over sockets, an eventfd for
 * wake-ups from other threads, and one-shot timers in a binary min-heap.
 *
 * One selector belongs to one client handle and is driven by that handle's
 * I/O thread, which calls kafc__selector_run_once() in a loop. Everything
 * except kafc__selector_wakeup() is I/O-thread only and takes no lock. The
 * selector owns its epoll fd and eventfd; it borrows every kafc__io_t and
 * kafc__timer_t registered with it (the owner keeps them alive until it
 * removes or stops them).
 */
#ifndef KAFC_NET_SELECTOR_H
#define KAFC_NET_SELECTOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"

/* Called with the ready epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). */
typedef void(kafc__io_cb_t)(void *arg, uint32_t events);
typedef void(kafc__timer_cb_t)(void *arg);

/* A registered file descriptor. Embedded in its owner. */
typedef struct kafc__io {
    int fd;
    uint32_t events; /* currently requested epoll events */
    kafc__io_cb_t *cb;
    void *arg;
} kafc__io_t;

/* A one-shot timer. Embedded in its owner; zero-initialised = not armed. */
typedef struct kafc__timer {
    int64_t due_ms;  /* monotonic ms */
    size_t heap_idx; /* 0 = not armed, else index + 1 */
    kafc__timer_cb_t *cb;
    void *arg;
} kafc__timer_t;

/* An object whose freeing waits until the current dispatch batch is over. */
typedef struct kafc__deferred {
    void (*free_fn)(void *);
    void *ptr;
} kafc__deferred_t;

typedef struct kafc__selector {
    int epfd;
    int wakefd;
    kafc__io_t wake_io;
    kafc__timer_t **heap; /* min-heap on due_ms */
    size_t heap_len;
    size_t heap_cap;
    int64_t now_ms; /* monotonic time of the current loop iteration */
    kafc__deferred_t *deferred;
    size_t deferred_len;
    size_t deferred_cap;
    atomic_int sleeping; /* the I/O thread is in (or entering) epoll_wait */
    atomic_int poked;    /* kafc__selector_poke() since the last iteration began */
} kafc__selector_t;

/* Creates the epoll fd and eventfd. Returns KAFC_ERR__TRANSPORT when the
 * kernel refuses (errstr says why) or KAFC_ERR__NO_MEMORY. Any thread,
 * before the I/O thread starts. */
kafc_err_t kafc__selector_init(kafc__selector_t *sel, char *errstr, size_t errstr_size);

/* Closes the fds and frees the heap. Registered ios and timers are simply
 * forgotten (their owners must not use the selector afterwards). */
void kafc__selector_destroy(kafc__selector_t *sel);

/* Registers io->fd for events (EPOLLIN/EPOLLOUT, edge-triggered is not
 * used). io is borrowed until kafc__selector_del(). I/O thread. Returns
 * KAFC_ERR__TRANSPORT on failure. */
kafc_err_t kafc__selector_add(kafc__selector_t *sel, kafc__io_t *io, int fd, uint32_t events,
                              kafc__io_cb_t *cb, void *arg);

/* Changes the requested events; a no-op when they are unchanged. I/O thread. */
kafc_err_t kafc__selector_mod(kafc__selector_t *sel, kafc__io_t *io, uint32_t events);

/* Unregisters io (does not close its fd). I/O thread. */
void kafc__selector_del(kafc__selector_t *sel, kafc__io_t *io);

/* Arms (or re-arms) t to fire once after delay_ms (>= 0). I/O thread. */
kafc_err_t kafc__timer_start(kafc__selector_t *sel, kafc__timer_t *t, int64_t delay_ms,
                             kafc__timer_cb_t *cb, void *arg);

/* Arms t to fire at the absolute monotonic time due_ms. I/O thread. */
kafc_err_t kafc__timer_start_at(kafc__selector_t *sel, kafc__timer_t *t, int64_t due_ms,
                                kafc__timer_cb_t *cb, void *arg);

/* Disarms t; a no-op when it is not armed. I/O thread. */
void kafc__timer_stop(kafc__selector_t *sel, kafc__timer_t *t);

static inline int kafc__timer_armed(const kafc__timer_t *t)
{
    return t->heap_idx != 0;
}

/* Frees ptr with free_fn once the current dispatch batch is over. Callbacks
 * must use this (after kafc__selector_del / kafc__timer_stop) for any object
 * that embeds a kafc__io_t, because epoll may already have returned an event
 * for it in the same batch. Outside run_once the free happens at the start
 * of the next run_once or in kafc__selector_destroy. On allocation failure
 * KAFC_ERR__NO_MEMORY is returned and nothing is freed (a leak is safer than
 * an early free); the caller may retry. I/O thread. */
kafc_err_t kafc__selector_defer_free(kafc__selector_t *sel, void *ptr, void (*free_fn)(void *));

/* Wakes a kafc__selector_run_once() that is waiting. Any thread;
 * async-signal-safe; cheap (one write to an eventfd). */
void kafc__selector_wakeup(kafc__selector_t *sel);

/* Makes sure the I/O thread runs one more loop iteration (and so its loop
 * hooks) after this call, waking it only when it sleeps or is about to:
 * cheaper than kafc__selector_wakeup() for frequent signals, as a busy loop
 * is not written to. Any thread. Pairs with run_once's check of `poked`
 * after setting `sleeping` (both seq_cst): either this call sees the loop
 * asleep and writes the eventfd, or the loop sees the poke and does not
 * block. */
void kafc__selector_poke(kafc__selector_t *sel);

/* Waits up to max_wait_ms (-1 = until an event or timer) for I/O, a due timer
 * or a wake-up, then dispatches io callbacks and due timers. Returns 1 when
 * woken by kafc__selector_wakeup(), else 0. I/O thread. */
int kafc__selector_run_once(kafc__selector_t *sel, int max_wait_ms);

#endif /* KAFC_NET_SELECTOR_H */
