/*
 * client — the client handle that owns one background I/O thread and wires
 * the layers: conf, logger, selector, cluster. Producer and consumer handles
 * embed one.
 *
 * Threads: kafc_client_new/destroy/poll and kafc__client_submit run on
 * application threads; everything the I/O thread touches (selector, cluster)
 * is owned by it. The op list and the log queue are the only shared state,
 * each under c->lock.
 */
#ifndef KAFC_CLIENT_INTERNAL_H
#define KAFC_CLIENT_INTERNAL_H

#include <stdatomic.h>

#include "cluster/cluster.h"
#include "kafc/kafc.h"
#include "net/selector.h"
#include "util/log.h"
#include "util/thread.h"

/* Work handed from an application thread to the I/O thread. run is called
 * on the I/O thread exactly once, with destroying set when the client is
 * shutting down (the op must then finish without network work). */
typedef struct kafc__op {
    struct kafc__op *next;
    void (*run)(kafc_client_t *c, struct kafc__op *op, int destroying);
} kafc__op_t;

/* Something for an application thread to serve in poll (a log record, a
 * batch of delivery reports). serve() runs it without any lock held and
 * frees it; drop() frees it unserved (destroy). count is how many poll
 * events it is worth. */
typedef struct kafc__event {
    struct kafc__event *next;
    void (*serve)(kafc_client_t *c, struct kafc__event *ev);
    void (*drop)(kafc_client_t *c, struct kafc__event *ev);
    int count;
    int is_log; /* counted against the log bound */
} kafc__event_t;

/* Hooks a producer or consumer gives its client: run on the I/O thread at
 * start, after every loop iteration, and before the cluster is torn down. */
typedef struct kafc__client_hooks {
    void (*on_start)(kafc_client_t *c, void *arg);
    void (*on_loop)(kafc_client_t *c, void *arg);
    void (*on_stop)(kafc_client_t *c, void *arg);
    /* Any thread, no lock held: an event was queued for poll. */
    void (*on_event)(kafc_client_t *c, void *arg);
    void *arg;
    kafc_client_t **client_out; /* set before the I/O thread starts */
} kafc__client_hooks_t;

struct kafc_client_s {
    kafc_conf_t *conf;
    kafc__logger_t log;
    kafc__selector_t sel;
    kafc__cluster_t cluster;
    kafc__thread_t thread;

    kafc__client_hooks_t hooks;

    kafc__mutex_t lock; /* guards ops, events, terminate */
    kafc__cond_t cond;  /* signalled when an event is queued */
    kafc__op_t *ops_head, *ops_tail;
    kafc__event_t *ev_head, *ev_tail;
    int nlogs;
    uint64_t logs_dropped;
    atomic_int ev_ready; /* events or dropped logs wait: serve's lock-free check */
    int terminate;
    int stopped; /* application thread only */
};

/* Creates a client (and starts its I/O thread) with hooks (copied; may be
 * NULL). kafc_client_new() is this without hooks. Any thread. */
kafc_client_t *kafc__client_create(const kafc_conf_t *conf, const kafc__client_hooks_t *hooks,
                                   char *errstr, size_t errstr_size);

/* Stops the I/O thread (on_stop runs, then the cluster closes: outstanding
 * requests complete with KAFC_ERR__DESTROY) and joins it; events stay
 * queued so the owner can still serve them. Idempotent. Application thread. */
void kafc__client_stop(kafc_client_t *c);

/* Queues op for the I/O thread and wakes it. Any thread. */
void kafc__client_submit(kafc_client_t *c, kafc__op_t *op);

/* Queues ev for poll and wakes a waiting poll. Any thread. */
void kafc__client_push_event(kafc_client_t *c, kafc__event_t *ev);

/* Waits up to timeout_ms for events and serves them; returns the count. */
int kafc__client_serve(kafc_client_t *c, int timeout_ms);

#endif /* KAFC_CLIENT_INTERNAL_H */
