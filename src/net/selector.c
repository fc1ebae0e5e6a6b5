/*
 * selector — see selector.h.
 */
#include "net/selector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/clock.h"

#define MAX_EVENTS 64

static void on_wake(void *arg, uint32_t events)
{
    kafc__selector_t *sel = arg;
    uint64_t v;
    /* Non-blocking eventfd: one read resets the counter. */
    while (read(sel->wakefd, &v, sizeof(v)) < 0 && errno == EINTR)
        ;
}

kafc_err_t kafc__selector_init(kafc__selector_t *sel, char *errstr, size_t errstr_size)
{
    memset(sel, 0, sizeof(*sel));
    sel->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sel->epfd < 0) {
        snprintf(errstr, errstr_size, "epoll_create1 failed: %s", strerror(errno));
        return KAFC_ERR__TRANSPORT;
    }
    sel->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sel->wakefd < 0) {
        snprintf(errstr, errstr_size, "eventfd failed: %s", strerror(errno));
        close(sel->epfd);
        return KAFC_ERR__TRANSPORT;
    }
    if (kafc__selector_add(sel, &sel->wake_io, sel->wakefd, EPOLLIN, on_wake, sel) !=
        KAFC_ERR_NONE) {
        snprintf(errstr, errstr_size, "epoll_ctl failed: %s", strerror(errno));
        close(sel->wakefd);
        close(sel->epfd);
        return KAFC_ERR__TRANSPORT;
    }
    sel->now_ms = kafc__clock_ms();
    return KAFC_ERR_NONE;
}

static void run_deferred(kafc__selector_t *sel)
{
    /* A free_fn may defer more frees; take them in the same pass. */
    for (size_t i = 0; i < sel->deferred_len; i++)
        sel->deferred[i].free_fn(sel->deferred[i].ptr);
    sel->deferred_len = 0;
}

kafc_err_t kafc__selector_defer_free(kafc__selector_t *sel, void *ptr, void (*free_fn)(void *))
{
    if (sel->deferred_len == sel->deferred_cap) {
        size_t cap = sel->deferred_cap ? sel->deferred_cap * 2 : 8;
        kafc__deferred_t *d = realloc(sel->deferred, cap * sizeof(*d));
        if (!d)
            return KAFC_ERR__NO_MEMORY;
        sel->deferred = d;
        sel->deferred_cap = cap;
    }
    sel->deferred[sel->deferred_len].free_fn = free_fn;
    sel->deferred[sel->deferred_len].ptr = ptr;
    sel->deferred_len++;
    return KAFC_ERR_NONE;
}

void kafc__selector_destroy(kafc__selector_t *sel)
{
    run_deferred(sel);
    free(sel->deferred);
    if (sel->wakefd >= 0)
        close(sel->wakefd);
    if (sel->epfd >= 0)
        close(sel->epfd);
    for (size_t i = 0; i < sel->heap_len; i++)
        sel->heap[i]->heap_idx = 0;
    free(sel->heap);
    memset(sel, 0, sizeof(*sel));
    sel->epfd = sel->wakefd = -1;
}

kafc_err_t kafc__selector_add(kafc__selector_t *sel, kafc__io_t *io, int fd, uint32_t events,
                              kafc__io_cb_t *cb, void *arg)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->fd = fd;
    io->events = events;
    io->cb = cb;
    io->arg = arg;
    if (epoll_ctl(sel->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return KAFC_ERR__TRANSPORT;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__selector_mod(kafc__selector_t *sel, kafc__io_t *io, uint32_t events)
{
    if (io->events == events)
        return KAFC_ERR_NONE;
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(sel->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
        return KAFC_ERR__TRANSPORT;
    io->events = events;
    return KAFC_ERR_NONE;
}

void kafc__selector_del(kafc__selector_t *sel, kafc__io_t *io)
{
    if (io->fd >= 0)
        epoll_ctl(sel->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->cb = NULL;
    io->events = 0;
}

void kafc__selector_wakeup(kafc__selector_t *sel)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: a wake-up is pending. */
    while (write(sel->wakefd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

void kafc__selector_poke(kafc__selector_t *sel)
{
    if (atomic_exchange(&sel->poked, 1) == 0 && atomic_load(&sel->sleeping))
        kafc__selector_wakeup(sel);
}

/* ---- timer heap --------------------------------------------------------- */

static void heap_set(kafc__selector_t *sel, size_t i, kafc__timer_t *t)
{
    sel->heap[i] = t;
    t->heap_idx = i + 1;
}

static void sift_up(kafc__selector_t *sel, size_t i)
{
    kafc__timer_t *t = sel->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (sel->heap[parent]->due_ms <= t->due_ms)
            break;
        heap_set(sel, i, sel->heap[parent]);
        i = parent;
    }
    heap_set(sel, i, t);
}

static void sift_down(kafc__selector_t *sel, size_t i)
{
    kafc__timer_t *t = sel->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        int64_t min_due = t->due_ms;
        if (l < sel->heap_len && sel->heap[l]->due_ms < min_due) {
            min = l;
            min_due = sel->heap[l]->due_ms;
        }
        if (r < sel->heap_len && sel->heap[r]->due_ms < min_due)
            min = r;
        if (min == i)
            break;
        heap_set(sel, i, sel->heap[min]);
        i = min;
    }
    heap_set(sel, i, t);
}

void kafc__timer_stop(kafc__selector_t *sel, kafc__timer_t *t)
{
    if (!t->heap_idx)
        return;
    size_t i = t->heap_idx - 1;
    t->heap_idx = 0;
    sel->heap_len--;
    if (i == sel->heap_len)
        return;
    kafc__timer_t *last = sel->heap[sel->heap_len];
    heap_set(sel, i, last);
    if (i > 0 && sel->heap[(i - 1) / 2]->due_ms > last->due_ms)
        sift_up(sel, i);
    else
        sift_down(sel, i);
}

kafc_err_t kafc__timer_start_at(kafc__selector_t *sel, kafc__timer_t *t, int64_t due_ms,
                                kafc__timer_cb_t *cb, void *arg)
{
    kafc__timer_stop(sel, t);
    if (sel->heap_len == sel->heap_cap) {
        size_t cap = sel->heap_cap ? sel->heap_cap * 2 : 16;
        kafc__timer_t **h = realloc(sel->heap, cap * sizeof(*h));
        if (!h)
            return KAFC_ERR__NO_MEMORY;
        sel->heap = h;
        sel->heap_cap = cap;
    }
    t->due_ms = due_ms;
    t->cb = cb;
    t->arg = arg;
    heap_set(sel, sel->heap_len++, t);
    sift_up(sel, sel->heap_len - 1);
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__timer_start(kafc__selector_t *sel, kafc__timer_t *t, int64_t delay_ms,
                             kafc__timer_cb_t *cb, void *arg)
{
    return kafc__timer_start_at(sel, t, kafc__clock_ms() + (delay_ms > 0 ? delay_ms : 0), cb, arg);
}

/* ---- loop --------------------------------------------------------------- */

static void fire_due_timers(kafc__selector_t *sel)
{
    /* Timers armed by a callback for "now" fire in the next iteration, so a
     * callback that re-arms itself with delay 0 cannot starve the loop. */
    int64_t now = sel->now_ms;
    size_t budget = sel->heap_len;
    while (budget-- > 0 && sel->heap_len > 0 && sel->heap[0]->due_ms <= now) {
        kafc__timer_t *t = sel->heap[0];
        kafc__timer_stop(sel, t);
        t->cb(t->arg);
    }
}

int kafc__selector_run_once(kafc__selector_t *sel, int max_wait_ms)
{
    struct epoll_event evs[MAX_EVENTS];
    int woken = 0;
    int wait = max_wait_ms;

    run_deferred(sel);
    sel->now_ms = kafc__clock_ms();
    if (sel->heap_len > 0) {
        int64_t until = sel->heap[0]->due_ms - sel->now_ms;
        if (until < 0)
            until = 0;
        if (wait < 0 || until < wait)
            wait = until > 0x7fffffff ? 0x7fffffff : (int)until;
    }

    if (wait != 0) {
        atomic_store(&sel->sleeping, 1);
        if (atomic_load(&sel->poked))
            wait = 0;
    }
    int n = epoll_wait(sel->epfd, evs, MAX_EVENTS, wait);
    if (wait != 0)
        atomic_store(&sel->sleeping, 0);
    /* Pokes from here on are for the next iteration; the ones before are
     * served by this one's callbacks and the loop hooks after it. */
    if (atomic_load(&sel->poked))
        atomic_store(&sel->poked, 0);
    sel->now_ms = kafc__clock_ms();
    for (int i = 0; i < n; i++) {
        kafc__io_t *io = evs[i].data.ptr;
        if (io == &sel->wake_io)
            woken = 1;
        /* A callback earlier in this batch may have unregistered io. */
        if (io->cb)
            io->cb(io->arg, evs[i].events);
    }
    fire_due_timers(sel);
    run_deferred(sel);
    return woken;
}
