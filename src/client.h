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

typedef struct kafc__logrec {
    struct kafc__logrec *next;
    int level;
    char ctx[16];
    char msg[];
} kafc__logrec_t;

struct kafc_client_s {
    kafc_conf_t *conf;
    kafc__logger_t log;
    kafc__selector_t sel;
    kafc__cluster_t cluster;
    kafc__thread_t thread;

    kafc__mutex_t lock; /* guards ops, logs, terminate */
    kafc__cond_t cond;  /* signalled when a log record is queued */
    kafc__op_t *ops_head, *ops_tail;
    kafc__logrec_t *logs_head, *logs_tail;
    int nlogs;
    uint64_t logs_dropped;
    int terminate;
};

/* Queues op for the I/O thread and wakes it. Any thread. */
void kafc__client_submit(kafc_client_t *c, kafc__op_t *op);

#endif /* KAFC_CLIENT_INTERNAL_H */
