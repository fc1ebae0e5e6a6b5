/*
 * client — see client.h. Also the public metadata snapshot accessors.
 */
#include "client.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util/clock.h"

#define MAX_QUEUED_LOGS 1000

/* ---- application events ------------------------------------------------ */

void kafc__client_push_event(kafc_client_t *c, kafc__event_t *ev)
{
    ev->next = NULL;
    kafc__mutex_lock(&c->lock);
    if (c->ev_tail)
        c->ev_tail->next = ev;
    else
        c->ev_head = ev;
    c->ev_tail = ev;
    if (ev->is_log)
        c->nlogs++;
    atomic_store_explicit(&c->ev_ready, 1, memory_order_release);
    kafc__cond_signal(&c->cond);
    kafc__mutex_unlock(&c->lock);
    if (c->hooks.on_event)
        c->hooks.on_event(c, c->hooks.arg);
}

typedef struct logrec {
    kafc__event_t ev;
    int level;
    char ctx[16];
    char msg[];
} logrec_t;

static void log_serve(kafc_client_t *c, kafc__event_t *ev)
{
    logrec_t *r = (logrec_t *)ev;
    c->log.cb(c->log.opaque, r->level, r->ctx, r->msg);
    free(r);
}

static void log_drop(kafc_client_t *c, kafc__event_t *ev)
{
    free(ev);
}

/* Logger hook, on the I/O thread: queue the record for poll. Bounded: past
 * MAX_QUEUED_LOGS records are counted and dropped, and the count is reported
 * with the next records served. */
static void enqueue_log(void *arg, int level, const char *ctx, const char *msg)
{
    kafc_client_t *c = arg;
    size_t len = strlen(msg);
    kafc__mutex_lock(&c->lock);
    int full = c->nlogs >= MAX_QUEUED_LOGS;
    if (full) {
        c->logs_dropped++;
        atomic_store_explicit(&c->ev_ready, 1, memory_order_release);
    }
    kafc__mutex_unlock(&c->lock);
    if (full)
        return;
    logrec_t *r = malloc(sizeof(*r) + len + 1);
    if (!r) {
        kafc__mutex_lock(&c->lock);
        c->logs_dropped++;
        atomic_store_explicit(&c->ev_ready, 1, memory_order_release);
        kafc__mutex_unlock(&c->lock);
        return;
    }
    memset(&r->ev, 0, sizeof(r->ev));
    r->ev.serve = log_serve;
    r->ev.drop = log_drop;
    r->ev.count = 1;
    r->ev.is_log = 1;
    r->level = level;
    snprintf(r->ctx, sizeof(r->ctx), "%s", ctx);
    memcpy(r->msg, msg, len + 1);
    kafc__client_push_event(c, &r->ev);
}

int kafc__client_serve(kafc_client_t *c, int timeout_ms)
{
    /* Applications poll after every produce: with nothing queued that must
     * cost neither a lock nor a clock read. */
    if (timeout_ms == 0 && !atomic_load_explicit(&c->ev_ready, memory_order_acquire))
        return 0;
    int64_t deadline = timeout_ms ? kafc__deadline_ms(timeout_ms) : 0;
    kafc__mutex_lock(&c->lock);
    while (!c->ev_head && !c->logs_dropped && timeout_ms != 0) {
        if (kafc__cond_timedwait_ms(&c->cond, &c->lock, deadline) == KAFC_ERR__TIMED_OUT)
            break;
    }
    kafc__event_t *list = c->ev_head;
    uint64_t dropped = c->logs_dropped;
    c->ev_head = c->ev_tail = NULL;
    c->nlogs = 0;
    c->logs_dropped = 0;
    atomic_store_explicit(&c->ev_ready, 0, memory_order_relaxed);
    kafc__mutex_unlock(&c->lock);

    int served = 0;
    /* Callbacks run without any lock held. */
    if (dropped && c->log.cb) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%llu log records dropped: the log queue was full",
                 (unsigned long long)dropped);
        c->log.cb(c->log.opaque, KAFC_LOG_WARNING, "generic", msg);
        served++;
    }
    while (list) {
        kafc__event_t *next = list->next;
        served += list->count;
        list->serve(c, list);
        list = next;
    }
    return served;
}

KAFC_EXTERN int kafc_client_poll(kafc_client_t *c, int timeout_ms)
{
    return c ? kafc__client_serve(c, timeout_ms) : 0;
}

/* ---- I/O thread --------------------------------------------------------- */

void kafc__client_submit(kafc_client_t *c, kafc__op_t *op)
{
    op->next = NULL;
    kafc__mutex_lock(&c->lock);
    if (c->ops_tail)
        c->ops_tail->next = op;
    else
        c->ops_head = op;
    c->ops_tail = op;
    kafc__mutex_unlock(&c->lock);
    kafc__selector_wakeup(&c->sel);
}

/* Runs queued ops; returns 1 when the client is terminating. */
static int run_ops(kafc_client_t *c)
{
    kafc__mutex_lock(&c->lock);
    kafc__op_t *ops = c->ops_head;
    int terminate = c->terminate;
    c->ops_head = c->ops_tail = NULL;
    kafc__mutex_unlock(&c->lock);
    while (ops) {
        kafc__op_t *next = ops->next;
        ops->run(c, ops, terminate);
        ops = next;
    }
    return terminate;
}

static void *io_main(void *arg)
{
    kafc_client_t *c = arg;
    kafc__log_mark_io_thread();
    kafc__cluster_start(&c->cluster);
    if (c->hooks.on_start)
        c->hooks.on_start(c, c->hooks.arg);
    while (!run_ops(c)) {
        kafc__selector_run_once(&c->sel, 1000);
        if (c->hooks.on_loop)
            c->hooks.on_loop(c, c->hooks.arg);
    }
    if (c->hooks.on_stop)
        c->hooks.on_stop(c, c->hooks.arg);
    kafc__cluster_destroy(&c->cluster);
    /* Ops submitted while we shut down still complete exactly once. */
    run_ops(c);
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

KAFC_EXTERN kafc_client_t *kafc_client_new(const kafc_conf_t *conf, char *errstr,
                                           size_t errstr_size)
{
    return kafc__client_create(conf, NULL, errstr, errstr_size);
}

kafc_client_t *kafc__client_create(const kafc_conf_t *conf, const kafc__client_hooks_t *hooks,
                                   char *errstr, size_t errstr_size)
{
    char dummy[1];
    if (!errstr || errstr_size == 0) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = '\0';
    if (!conf) {
        snprintf(errstr, errstr_size, "conf is NULL");
        return NULL;
    }
    kafc_client_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->conf = kafc_conf_dup(conf))) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    void *opaque = NULL;
    kafc_log_cb_t *cb = kafc__conf_log_cb(c->conf, &opaque);
    kafc__logger_init(&c->log, kafc__conf_str(c->conf, KAFC__P_CLIENT_ID),
                      (int)kafc__conf_int(c->conf, KAFC__P_LOG_LEVEL),
                      (uint32_t)kafc__conf_int(c->conf, KAFC__P_DEBUG), cb, opaque);
    c->log.enqueue = enqueue_log;
    c->log.enqueue_arg = c;
    if (hooks)
        c->hooks = *hooks;

    kafc__cluster_config_t cc = {
        .nc =
            {
                .client_id = kafc__conf_str(c->conf, KAFC__P_CLIENT_ID),
                .request_timeout_ms = kafc__conf_int(c->conf, KAFC__P_REQUEST_TIMEOUT_MS),
                .setup_timeout_ms =
                    kafc__conf_int(c->conf, KAFC__P_SOCKET_CONNECTION_SETUP_TIMEOUT_MS),
                .backoff_ms = kafc__conf_int(c->conf, KAFC__P_RECONNECT_BACKOFF_MS),
                .backoff_max_ms = kafc__conf_int(c->conf, KAFC__P_RECONNECT_BACKOFF_MAX_MS),
                .max_in_flight =
                    (int)kafc__conf_int(c->conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
                .max_frame = (int32_t)kafc__conf_int(c->conf, KAFC__P_RECEIVE_MESSAGE_MAX_BYTES),
                .sockopts =
                    {
                        .send_buf = (int)kafc__conf_int(c->conf, KAFC__P_SOCKET_SEND_BUFFER_BYTES),
                        .recv_buf =
                            (int)kafc__conf_int(c->conf, KAFC__P_SOCKET_RECEIVE_BUFFER_BYTES),
                        .keepalive = (int)kafc__conf_int(c->conf, KAFC__P_SOCKET_KEEPALIVE_ENABLE),
                    },
            },
        .metadata_max_age_ms = kafc__conf_int(c->conf, KAFC__P_METADATA_MAX_AGE_MS),
        .retry_backoff_ms = kafc__conf_int(c->conf, KAFC__P_RETRY_BACKOFF_MS),
        .allow_auto_create = (int)kafc__conf_int(c->conf, KAFC__P_ALLOW_AUTO_CREATE_TOPICS),
    };

    if (kafc__mutex_init(&c->lock) != KAFC_ERR_NONE) {
        kafc_conf_destroy(c->conf);
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (kafc__cond_init(&c->cond) != KAFC_ERR_NONE)
        goto fail_lock;
    if (kafc__selector_init(&c->sel, errstr, errstr_size) != KAFC_ERR_NONE)
        goto fail_cond;
    if (kafc__cluster_init(&c->cluster, &c->sel, &c->log, &cc,
                           kafc__conf_str(c->conf, KAFC__P_BOOTSTRAP_SERVERS), errstr,
                           errstr_size) != KAFC_ERR_NONE)
        goto fail_sel;
    if (c->hooks.client_out)
        *c->hooks.client_out = c;
    if (kafc__thread_create(&c->thread, "kafc-io", io_main, c) != KAFC_ERR_NONE) {
        if (c->hooks.client_out)
            *c->hooks.client_out = NULL;
        snprintf(errstr, errstr_size, "could not start the I/O thread");
        kafc__cluster_destroy(&c->cluster);
        goto fail_sel;
    }
    return c;

fail_sel:
    kafc__selector_destroy(&c->sel);
fail_cond:
    kafc__cond_destroy(&c->cond);
fail_lock:
    kafc__mutex_destroy(&c->lock);
    kafc_conf_destroy(c->conf);
    free(c);
    return NULL;
}

void kafc__client_stop(kafc_client_t *c)
{
    if (c->stopped)
        return;
    kafc__mutex_lock(&c->lock);
    c->terminate = 1;
    kafc__mutex_unlock(&c->lock);
    kafc__selector_wakeup(&c->sel);
    kafc__thread_join(&c->thread, NULL);
    c->stopped = 1;
}

KAFC_EXTERN void kafc_client_destroy(kafc_client_t *c)
{
    if (!c)
        return;
    kafc__client_stop(c);
    kafc__selector_destroy(&c->sel);
    for (kafc__event_t *ev = c->ev_head, *next; ev; ev = next) {
        next = ev->next;
        ev->drop(c, ev);
    }
    kafc__cond_destroy(&c->cond);
    kafc__mutex_destroy(&c->lock);
    kafc_conf_destroy(c->conf);
    free(c);
}

/* ---- kafc_metadata ------------------------------------------------------ */

/* Shared by the caller (waiting) and the I/O thread (answering); freed by
 * whichever lets go last. */
typedef struct md_call {
    kafc__op_t op;
    atomic_int refs;
    const char *const *topics;
    size_t ntopics; /* topics stay valid: the caller waits until done */
    int timeout_ms;
    kafc__mutex_t lock;
    kafc__cond_t cond;
    int done;
    kafc_err_t err;
    char errstr[400];
    kafc__md_t *result;
} md_call_t;

static void md_call_release(md_call_t *m)
{
    if (atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    if (m->result) {
        kafc__md_clear(m->result);
        free(m->result);
    }
    kafc__cond_destroy(&m->cond);
    kafc__mutex_destroy(&m->lock);
    free(m);
}

static void md_call_finish(md_call_t *m, kafc_err_t err, const char *errstr, kafc__md_t *res)
{
    kafc__mutex_lock(&m->lock);
    m->err = err;
    snprintf(m->errstr, sizeof(m->errstr), "%s", errstr ? errstr : "");
    m->result = res;
    m->done = 1;
    kafc__cond_signal(&m->cond);
    kafc__mutex_unlock(&m->lock);
    md_call_release(m);
}

static void md_call_answer(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    md_call_t *m = arg;
    kafc__md_t *snap = NULL;
    if (err == KAFC_ERR_NONE) {
        snap = kafc__md_snapshot(md, m->ntopics ? m->topics : NULL, m->ntopics);
        if (!snap)
            err = KAFC_ERR__NO_MEMORY;
    }
    md_call_finish(m, err, errstr, snap);
}

static void md_call_run(kafc_client_t *c, kafc__op_t *op, int destroying)
{
    md_call_t *m = (md_call_t *)op;
    if (destroying) {
        md_call_finish(m, KAFC_ERR__DESTROY, "client is being destroyed", NULL);
        return;
    }
    kafc_err_t err = kafc__cluster_metadata_request(&c->cluster, m->topics, m->ntopics,
                                                    m->timeout_ms, md_call_answer, m);
    if (err != KAFC_ERR_NONE)
        md_call_finish(m, err, kafc_err_str(err), NULL);
}

KAFC_EXTERN kafc_err_t kafc_metadata(kafc_client_t *c, const char *const *topics,
                                     size_t topic_count, int timeout_ms, kafc_metadata_t **mdp,
                                     char *errstr, size_t errstr_size)
{
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!c || !mdp || (topic_count && !topics)) {
        if (errstr && errstr_size)
            snprintf(errstr, errstr_size, "client, mdp and topics must not be NULL");
        return KAFC_ERR__INVALID_ARG;
    }
    for (size_t i = 0; i < topic_count; i++)
        if (!topics[i] || !topics[i][0]) {
            if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "topic name %zu is NULL or empty", i);
            return KAFC_ERR__INVALID_ARG;
        }
    *mdp = NULL;
    md_call_t *m = calloc(1, sizeof(*m));
    if (!m || kafc__mutex_init(&m->lock) != KAFC_ERR_NONE) {
        free(m);
        return KAFC_ERR__NO_MEMORY;
    }
    if (kafc__cond_init(&m->cond) != KAFC_ERR_NONE) {
        kafc__mutex_destroy(&m->lock);
        free(m);
        return KAFC_ERR__NO_MEMORY;
    }
    atomic_init(&m->refs, 2);
    m->op.run = md_call_run;
    m->topics = topics;
    m->ntopics = topic_count;
    m->timeout_ms = timeout_ms;
    kafc__client_submit(c, &m->op);

    /* Bounded without a timer here: the I/O thread always answers, by the
     * request's deadline at the latest (its waiter timer), or with
     * KAFC_ERR__DESTROY when the client shuts down. */
    kafc__mutex_lock(&m->lock);
    while (!m->done)
        kafc__cond_wait(&m->cond, &m->lock);
    kafc_err_t err = m->err;
    if (err == KAFC_ERR_NONE) {
        *mdp = m->result;
        m->result = NULL;
    } else if (errstr && errstr_size) {
        snprintf(errstr, errstr_size, "%s", m->errstr);
    }
    kafc__mutex_unlock(&m->lock);
    md_call_release(m);
    return err;
}

/* ---- snapshot accessors ------------------------------------------------- */

KAFC_EXTERN void kafc_metadata_destroy(kafc_metadata_t *md)
{
    if (!md)
        return;
    kafc__md_clear(md);
    free(md);
}

static const kafc__md_topic_t *topic_at(const kafc_metadata_t *md, int t)
{
    return md && t >= 0 && t < md->ntopics ? &md->topics[t] : NULL;
}

static const kafc__md_partition_t *part_at(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_topic_t *tp = topic_at(md, t);
    return tp && p >= 0 && p < tp->npartitions ? &tp->partitions[p] : NULL;
}

static const kafc__md_broker_t *broker_at(const kafc_metadata_t *md, int i)
{
    return md && i >= 0 && i < md->nbrokers ? &md->brokers[i] : NULL;
}

KAFC_EXTERN const char *kafc_metadata_cluster_id(const kafc_metadata_t *md)
{
    return md ? md->cluster_id : NULL;
}

KAFC_EXTERN int32_t kafc_metadata_controller_id(const kafc_metadata_t *md)
{
    return md ? md->controller_id : -1;
}

KAFC_EXTERN int kafc_metadata_broker_count(const kafc_metadata_t *md)
{
    return md ? md->nbrokers : 0;
}

KAFC_EXTERN int32_t kafc_metadata_broker_id(const kafc_metadata_t *md, int i)
{
    const kafc__md_broker_t *b = broker_at(md, i);
    return b ? b->id : -1;
}

KAFC_EXTERN const char *kafc_metadata_broker_host(const kafc_metadata_t *md, int i)
{
    const kafc__md_broker_t *b = broker_at(md, i);
    return b ? b->host : NULL;
}

KAFC_EXTERN int32_t kafc_metadata_broker_port(const kafc_metadata_t *md, int i)
{
    const kafc__md_broker_t *b = broker_at(md, i);
    return b ? b->port : -1;
}

KAFC_EXTERN const char *kafc_metadata_broker_rack(const kafc_metadata_t *md, int i)
{
    const kafc__md_broker_t *b = broker_at(md, i);
    return b ? b->rack : NULL;
}

KAFC_EXTERN int kafc_metadata_topic_count(const kafc_metadata_t *md)
{
    return md ? md->ntopics : 0;
}

KAFC_EXTERN const char *kafc_metadata_topic_name(const kafc_metadata_t *md, int t)
{
    const kafc__md_topic_t *tp = topic_at(md, t);
    return tp ? tp->name : NULL;
}

KAFC_EXTERN kafc_err_t kafc_metadata_topic_err(const kafc_metadata_t *md, int t)
{
    const kafc__md_topic_t *tp = topic_at(md, t);
    return tp ? tp->err : KAFC_ERR__INVALID_ARG;
}

KAFC_EXTERN int kafc_metadata_topic_is_internal(const kafc_metadata_t *md, int t)
{
    const kafc__md_topic_t *tp = topic_at(md, t);
    return tp ? tp->internal : 0;
}

KAFC_EXTERN int kafc_metadata_partition_count(const kafc_metadata_t *md, int t)
{
    const kafc__md_topic_t *tp = topic_at(md, t);
    return tp ? tp->npartitions : 0;
}

KAFC_EXTERN int32_t kafc_metadata_partition_id(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->id : -1;
}

KAFC_EXTERN kafc_err_t kafc_metadata_partition_err(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->err : KAFC_ERR__INVALID_ARG;
}

KAFC_EXTERN int32_t kafc_metadata_partition_leader(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->leader : -1;
}

KAFC_EXTERN int32_t kafc_metadata_partition_leader_epoch(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->leader_epoch : -1;
}

KAFC_EXTERN int kafc_metadata_replica_count(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->nreplicas : 0;
}

KAFC_EXTERN int32_t kafc_metadata_replica(const kafc_metadata_t *md, int t, int p, int r)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp && r >= 0 && r < pp->nreplicas ? pp->replicas[r] : -1;
}

KAFC_EXTERN int kafc_metadata_isr_count(const kafc_metadata_t *md, int t, int p)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp ? pp->nisr : 0;
}

KAFC_EXTERN int32_t kafc_metadata_isr(const kafc_metadata_t *md, int t, int p, int r)
{
    const kafc__md_partition_t *pp = part_at(md, t, p);
    return pp && r >= 0 && r < pp->nisr ? pp->isr[r] : -1;
}
