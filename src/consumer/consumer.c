/*
 * consumer — the public consumer API (include/kafc/consumer.h): creation,
 * the partition table, assignment, seek/pause/position, and poll, which
 * hands out messages that point into the fetched buffers.
 *
 * Threads and locks: see consumer.h. Callbacks run in poll without any lock
 * held. Requests that need the network (commit, committed, offsets) are
 * client ops run by the I/O thread; the caller waits for them on c->cond.
 */
#include "consumer/consumer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "record/codec.h"
#include "util/clock.h"

#define HASH_MIN 64
#define MAX_DECOMPRESSED ((size_t)256 << 20)

/* ---- buffers and chunks --------------------------------------------------- */

kafc__fbuf_t *kafc__fbuf_new(kafc_consumer_t *c, uint8_t *data, size_t size)
{
    kafc__fbuf_t *b = malloc(sizeof(*b));
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->data = data;
    b->size = size;
    b->c = c;
    return b;
}

void kafc__fbuf_unref(kafc__fbuf_t *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(b->data);
    free(b);
}

void kafc__fchunk_free(kafc__fchunk_t *ch)
{
    if (!ch)
        return;
    kafc__fbuf_unref(ch->buf);
    free(ch->aborted);
    free(ch);
}

void kafc__consumer_wake_io(kafc_consumer_t *c)
{
    /* The loop hook runs the fetcher after the next iteration. */
    kafc__selector_poke(&c->client->sel);
}

/* ---- partition table -------------------------------------------------------- */

static size_t tp_hash(const char *topic, int32_t partition)
{
    size_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h ^ (size_t)(uint32_t)partition * 2654435761u;
}

kafc__cpart_t *kafc__cpart_find(kafc_consumer_t *c, const char *topic, int32_t partition)
{
    if (!c->hsize)
        return NULL;
    for (kafc__cpart_t *p = c->hash[tp_hash(topic, partition) % c->hsize]; p; p = p->hnext)
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return p;
    return NULL;
}

static int rehash(kafc_consumer_t *c)
{
    size_t n = c->hsize ? c->hsize * 2 : HASH_MIN;
    kafc__cpart_t **h = calloc(n, sizeof(*h));
    if (!h)
        return -1;
    for (kafc__cpart_t *p = c->parts; p; p = p->next) {
        size_t i = tp_hash(p->topic, p->partition) % n;
        p->hnext = h[i];
        h[i] = p;
    }
    free(c->hash);
    c->hash = h;
    c->hsize = n;
    return 0;
}

kafc__cpart_t *kafc__cpart_get(kafc_consumer_t *c, const char *topic, int32_t partition)
{
    kafc__cpart_t *p = kafc__cpart_find(c, topic, partition);
    if (p)
        return p;
    if (c->nparts + 1 > c->hsize && rehash(c) != 0)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (!p || !(p->topic = strdup(topic))) {
        free(p);
        return NULL;
    }
    p->partition = partition;
    p->fetch_epoch = -1;
    p->hwm = p->lso = p->log_start = -1;
    p->committed = KAFC_OFFSET_INVALID;
    p->preferred_replica = -1;
    atomic_init(&p->version, 0);
    atomic_init(&p->app_pos, KAFC_OFFSET_INVALID);
    atomic_init(&p->app_epoch, -1);
    p->next = c->parts;
    c->parts = p;
    size_t i = tp_hash(topic, partition) % c->hsize;
    p->hnext = c->hash[i];
    c->hash[i] = p;
    c->nparts++;
    return p;
}

void kafc__consumer_enqueue(kafc_consumer_t *c, kafc__fchunk_t *ch)
{
    ch->next = NULL;
    if (c->q_tail)
        c->q_tail->next = ch;
    else
        c->q_head = ch;
    c->q_tail = ch;
    ch->part->queued++;
    atomic_fetch_add(&c->buffered, (long long)ch->len);
    kafc__cond_broadcast(&c->cond);
}

void kafc__consumer_event(kafc_consumer_t *c, kafc__cpart_t *part, kafc_err_t err, int64_t offset,
                          const char *fmt, ...)
{
    kafc__fchunk_t *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return;
    ch->part = part;
    ch->version = atomic_load(&part->version);
    ch->err = err;
    ch->err_offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ch->errstr, sizeof(ch->errstr), fmt, ap);
    va_end(ap);
    kafc__consumer_enqueue(c, ch);
}

/* Sets where a partition starts: an absolute offset, a logical one, or the
 * committed offset. Under c->lock. */
static void set_start(kafc_consumer_t *c, kafc__cpart_t *p, int64_t offset, int32_t epoch)
{
    atomic_fetch_add(&p->version, 1);
    p->eof_sent = 0;
    p->retry_at_ms = 0;
    if (offset >= 0) {
        p->state = KAFC__CP_ACTIVE;
        p->fetch_pos = offset;
        p->fetch_epoch = epoch;
        atomic_store(&p->app_pos, offset);
    } else if (offset == KAFC_OFFSET_BEGINNING || offset == KAFC_OFFSET_END) {
        p->state = KAFC__CP_NEED_RESET;
        p->reset_to = offset;
    } else if (c->group_id) {
        p->state = KAFC__CP_NEED_COMMITTED;
    } else {
        p->state = KAFC__CP_NEED_RESET;
        p->reset_to = c->auto_reset == KAFC__AUTO_OFFSET_RESET_EARLIEST ? KAFC_OFFSET_BEGINNING
                                                                        : KAFC_OFFSET_END;
    }
}

kafc_err_t kafc__consumer_assign_add(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    for (int i = 0; l && i < l->cnt; i++) {
        kafc__cpart_t *p = kafc__cpart_get(c, l->elems[i].topic, l->elems[i].partition);
        if (!p)
            return KAFC_ERR__NO_MEMORY;
        p->assigned = 1;
        p->paused = 0;
        set_start(c, p, l->elems[i].offset, l->elems[i].leader_epoch);
    }
    kafc__consumer_wake_io(c);
    return KAFC_ERR_NONE;
}

void kafc__consumer_assign_remove(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    for (int i = 0; l && i < l->cnt; i++) {
        kafc__cpart_t *p = kafc__cpart_find(c, l->elems[i].topic, l->elems[i].partition);
        if (!p || !p->assigned)
            continue;
        p->assigned = 0;
        p->paused = 0;
        p->state = KAFC__CP_IDLE;
        atomic_fetch_add(&p->version, 1);
        atomic_store(&p->app_pos, KAFC_OFFSET_INVALID);
        p->committed = KAFC_OFFSET_INVALID;
    }
}

kafc_topic_partition_list_t *kafc__consumer_assignment(kafc_consumer_t *c)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
    if (!l)
        return NULL;
    kafc__mutex_lock(&c->lock);
    for (kafc__cpart_t *p = c->parts; p; p = p->next)
        if (p->assigned && !kafc_topic_partition_list_add(l, p->topic, p->partition)) {
            kafc__mutex_unlock(&c->lock);
            kafc_topic_partition_list_destroy(l);
            return NULL;
        }
    kafc__mutex_unlock(&c->lock);
    kafc_topic_partition_list_sort(l);
    return l;
}

kafc_topic_partition_list_t *
kafc__consumer_positions_to_commit(kafc_consumer_t *c, const kafc_topic_partition_list_t *only)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
    if (!l)
        return NULL;
    kafc__mutex_lock(&c->lock);
    for (kafc__cpart_t *p = c->parts; p; p = p->next) {
        if (!p->assigned)
            continue;
        if (only && !kafc_topic_partition_list_find(only, p->topic, p->partition))
            continue;
        int64_t pos = atomic_load(&p->app_pos);
        if (pos < 0 || pos == p->committed)
            continue;
        kafc_topic_partition_t *e = kafc_topic_partition_list_add(l, p->topic, p->partition);
        if (!e)
            break;
        e->offset = pos;
        e->leader_epoch = atomic_load(&p->app_epoch);
    }
    kafc__mutex_unlock(&c->lock);
    if (l->cnt == 0) {
        kafc_topic_partition_list_destroy(l);
        return NULL;
    }
    return l;
}

/* ---- errors ------------------------------------------------------------------ */

kafc_err_t kafc__consumer_set_err(kafc_consumer_t *c, kafc_err_t err, const char *fmt, ...)
{
    c->last_err = err;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->last_errstr, sizeof(c->last_errstr), fmt, ap);
        va_end(ap);
    } else {
        snprintf(c->last_errstr, sizeof(c->last_errstr), "%s", kafc_err_str(err));
    }
    return err;
}

KAFC_EXTERN kafc_err_t kafc_consumer_last_error(kafc_consumer_t *c, char *errstr,
                                                size_t errstr_size)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", c->last_err ? c->last_errstr : "");
    return c->last_err;
}

/* ---- client hooks --------------------------------------------------------------- */

static void on_start(kafc_client_t *cl, void *arg)
{
    kafc_consumer_t *c = arg;
    (void)cl;
    kafc__fetcher_run(c);
}

static void on_loop(kafc_client_t *cl, void *arg)
{
    kafc_consumer_t *c = arg;
    (void)cl;
    if (c->grp)
        kafc__group_run(c);
    kafc__fetcher_run(c);
}

static void on_stop(kafc_client_t *cl, void *arg)
{
    kafc_consumer_t *c = arg;
    kafc__timer_stop(&cl->sel, &c->fetch_timer);
    if (c->grp)
        kafc__group_destroy(c);
}

static void on_event(kafc_client_t *cl, void *arg)
{
    kafc_consumer_t *c = arg;
    (void)cl;
    atomic_store(&c->ev_pending, 1);
    /* May be called with c->lock held by this thread (a log line from the
     * I/O thread): never block on it. A poll that misses this signal wakes
     * within its wait slice. */
    if (kafc__mutex_trylock(&c->lock) == 0) {
        kafc__cond_broadcast(&c->cond);
        kafc__mutex_unlock(&c->lock);
    }
}

/* ---- lifecycle ------------------------------------------------------------------ */

static int check_conf(const kafc_conf_t *conf, char *errstr, size_t errstr_size)
{
    int64_t session = kafc__conf_int(conf, KAFC__P_SESSION_TIMEOUT_MS);
    int64_t hb = kafc__conf_int(conf, KAFC__P_HEARTBEAT_INTERVAL_MS);
    const char *group = kafc__conf_str(conf, KAFC__P_GROUP_ID);
    const char *inst = kafc__conf_str(conf, KAFC__P_GROUP_INSTANCE_ID);
    if (hb >= session) {
        snprintf(errstr, errstr_size,
                 "heartbeat.interval.ms (%lld) must be lower than session.timeout.ms (%lld)",
                 (long long)hb, (long long)session);
        return -1;
    }
    if (inst && *inst && (!group || !*group)) {
        snprintf(errstr, errstr_size, "group.instance.id needs group.id");
        return -1;
    }
    if (kafc__conf_int(conf, KAFC__P_FETCH_MAX_BYTES) <
        kafc__conf_int(conf, KAFC__P_FETCH_MIN_BYTES)) {
        snprintf(errstr, errstr_size, "fetch.max.bytes must not be below fetch.min.bytes");
        return -1;
    }
    return 0;
}

KAFC_EXTERN kafc_consumer_t *kafc_consumer_new(const kafc_conf_t *conf, char *errstr,
                                               size_t errstr_size)
{
    char dummy[1];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = '\0';
    if (!conf) {
        snprintf(errstr, errstr_size, "conf is NULL");
        return NULL;
    }
    if (check_conf(conf, errstr, errstr_size) != 0)
        return NULL;
    kafc_consumer_t *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (kafc__mutex_init(&c->lock) != KAFC_ERR_NONE) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    kafc__cond_init(&c->cond);
    kafc__mutex_init(&c->poll_lock);
    atomic_init(&c->buffered, 0);
    atomic_init(&c->ev_pending, 0);
    atomic_init(&c->fetch_wake, 0);
    atomic_init(&c->closed, 0);
    atomic_init(&c->sub_version, 0);
    atomic_init(&c->last_poll_ms, kafc__clock_ms());
    if (rehash(c) != 0 || !(c->pctx = kafc__codec_ctx_new()) ||
        !(c->errpart = kafc__cpart_get(c, "", -1)))
        goto oom;

    kafc__client_hooks_t hooks = {.on_start = on_start,
                                  .on_loop = on_loop,
                                  .on_stop = on_stop,
                                  .on_event = on_event,
                                  .arg = c,
                                  .client_out = &c->client};
    /* Settings first: the I/O thread starts inside client_create. */
    c->check_crcs = (int)kafc__conf_int(conf, KAFC__P_CHECK_CRCS);
    c->read_committed =
        kafc__conf_int(conf, KAFC__P_ISOLATION_LEVEL) == KAFC__ISOLATION_LEVEL_READ_COMMITTED;
    c->partition_eof = (int)kafc__conf_int(conf, KAFC__P_ENABLE_PARTITION_EOF);
    c->auto_commit = (int)kafc__conf_int(conf, KAFC__P_ENABLE_AUTO_COMMIT);
    c->auto_reset = (int)kafc__conf_int(conf, KAFC__P_AUTO_OFFSET_RESET);
    c->fetch_min_bytes = (int32_t)kafc__conf_int(conf, KAFC__P_FETCH_MIN_BYTES);
    c->fetch_max_bytes = (int32_t)kafc__conf_int(conf, KAFC__P_FETCH_MAX_BYTES);
    c->partition_max_bytes = (int32_t)kafc__conf_int(conf, KAFC__P_MAX_PARTITION_FETCH_BYTES);
    c->max_wait_ms = (int32_t)kafc__conf_int(conf, KAFC__P_FETCH_MAX_WAIT_MS);
    c->max_poll_records = (int)kafc__conf_int(conf, KAFC__P_MAX_POLL_RECORDS);
    c->request_timeout_ms = kafc__conf_int(conf, KAFC__P_REQUEST_TIMEOUT_MS);
    c->retry_backoff_ms = kafc__conf_int(conf, KAFC__P_RETRY_BACKOFF_MS);
    c->buffered_max = kafc__conf_int(conf, KAFC__P_QUEUED_MAX_MESSAGES_KBYTES) * 1024;
    c->conf = kafc_conf_dup(conf);
    if (!c->conf)
        goto oom;
    c->cbs = kafc__conf_cbs(c->conf);
    const char *g = kafc__conf_str(c->conf, KAFC__P_GROUP_ID);
    c->group_id = g && *g ? g : NULL;
    const char *rack = kafc__conf_str(c->conf, KAFC__P_CLIENT_RACK);
    c->rack = rack && *rack ? rack : NULL;
    /* The group exists before the I/O thread can look at it. */
    if (c->group_id && kafc__group_new(c) != KAFC_ERR_NONE)
        goto oom;
    /* c->client is set through hooks.client_out before the I/O thread
     * starts; assigning the result again would race with that thread. */
    if (!kafc__client_create(c->conf, &hooks, errstr, errstr_size))
        goto fail;
    return c;

oom:
    snprintf(errstr, errstr_size, "out of memory");
fail:
    if (c->grp)
        kafc__group_destroy(c);
    kafc_conf_destroy(c->conf);
    kafc__codec_ctx_destroy(c->pctx);
    free(c->hash);
    kafc__mutex_destroy(&c->poll_lock);
    kafc__cond_destroy(&c->cond);
    kafc__mutex_destroy(&c->lock);
    free(c);
    return NULL;
}

KAFC_EXTERN kafc_client_t *kafc_consumer_client(kafc_consumer_t *c)
{
    return c ? c->client : NULL;
}

/* ---- poll ------------------------------------------------------------------------ */

static void cursor_end_batch(kafc__cursor_t *cu)
{
    if (cu->in_batch) {
        kafc__record_iter_clear(&cu->ri);
        cu->in_batch = 0;
    }
    kafc__fbuf_unref(cu->dbuf);
    cu->dbuf = NULL;
}

/* Drops the cursor's chunk. Poll side. */
static void cursor_release(kafc_consumer_t *c)
{
    kafc__cursor_t *cu = &c->cur;
    cursor_end_batch(cu);
    if (cu->chunk) {
        long long len = (long long)cu->chunk->len;
        long long left = atomic_fetch_sub(&c->buffered, len) - len;
        /* The fetcher stopped at the bound: let it go on now there is
         * room. */
        if (left < c->buffered_max && atomic_load(&c->fetch_wake) &&
            atomic_exchange(&c->fetch_wake, 0) && c->client)
            kafc__consumer_wake_io(c);
    }
    kafc__fchunk_free(cu->chunk);
    cu->chunk = NULL;
    cu->nabort_pids = 0;
    cu->next_aborted = 0;
    (void)c;
}

/* Takes the next chunk off the queue into the cursor; 0 when none. */
static int cursor_take(kafc_consumer_t *c)
{
    int wake = 0;
    kafc__mutex_lock(&c->lock);
    kafc__fchunk_t *ch = c->q_head;
    if (ch) {
        c->q_head = ch->next;
        if (!c->q_head)
            c->q_tail = NULL;
        /* Room for another fetch of this partition. */
        wake = ch->part->queued-- == KAFC__MAX_QUEUED || ch->part->queued == 0;
    }
    kafc__mutex_unlock(&c->lock);
    if (!ch)
        return 0;
    if (wake)
        kafc__consumer_wake_io(c);
    c->cur.chunk = ch;
    if (ch->data)
        kafc__batch_iter_init(&c->cur.bi, ch->data, ch->len, 0); /* CRCs checked on arrival */
    return 1;
}

static kafc__cmsg_t *cmsg_new(kafc__cpart_t *p)
{
    kafc__cmsg_t *m = malloc(sizeof(*m));
    if (!m)
        return NULL;
    kafc__message_init(&m->m);
    m->m.topic = p->topic;
    m->m.partition = p->partition;
    m->buf = m->dbuf = NULL;
    m->hdr_enc = NULL;
    m->hdr_len = m->hdr_count = 0;
    m->leader_epoch = -1;
    m->errstr[0] = '\0';
    return m;
}

static kafc__cmsg_t *event_msg(kafc__cpart_t *p, kafc_err_t err, int64_t offset, const char *str)
{
    kafc__cmsg_t *m = cmsg_new(p);
    if (!m)
        return NULL;
    m->m.err = err;
    m->m.offset = offset;
    snprintf(m->errstr, sizeof(m->errstr), "%s", str);
    m->m.value = m->errstr;
    m->m.value_len = (int32_t)strlen(m->errstr);
    return m;
}

/* A record error found while reading: report it and stop the partition
 * until the application seeks. Poll side. */
static kafc__cmsg_t *record_error(kafc_consumer_t *c, kafc__fchunk_t *ch, kafc_err_t err,
                                  int64_t offset)
{
    char str[200];
    snprintf(str, sizeof(str), "%s [%d]: unreadable batch at offset %lld: %s", ch->part->topic,
             ch->part->partition, (long long)offset, kafc_err_str(err));
    kafc__mutex_lock(&c->lock);
    if (atomic_load(&ch->part->version) == ch->version) {
        ch->part->state = KAFC__CP_FAILED;
        atomic_fetch_add(&ch->part->version, 1);
    }
    kafc__mutex_unlock(&c->lock);
    kafc__log(&c->client->log, KAFC_LOG_ERR, "fetch", "%s", str);
    return event_msg(ch->part, err, offset, str);
}

static int pid_in(const kafc__cursor_t *cu, int64_t pid)
{
    for (int i = 0; i < cu->nabort_pids; i++)
        if (cu->abort_pids[i] == pid)
            return i;
    return -1;
}

static void pid_add(kafc__cursor_t *cu, int64_t pid)
{
    if (pid_in(cu, pid) >= 0)
        return;
    if (cu->nabort_pids == cu->abort_cap) {
        int n = cu->abort_cap ? cu->abort_cap * 2 : 8;
        int64_t *a = realloc(cu->abort_pids, (size_t)n * sizeof(*a));
        if (!a)
            return;
        cu->abort_pids = a;
        cu->abort_cap = n;
    }
    cu->abort_pids[cu->nabort_pids++] = pid;
}

/* read_committed: 1 when the batch belongs to an aborted transaction. Keeps
 * the set of producers whose aborted transaction is open at this point, as
 * Kafka's consumers do: a producer enters at its aborted transaction's
 * first offset and leaves at its ABORT marker. */
static int skip_aborted(kafc__cursor_t *cu, const kafc__fchunk_t *ch, const kafc__batch_view_t *bv)
{
    while (cu->next_aborted < ch->naborted &&
           ch->aborted[cu->next_aborted].first_offset <= kafc__batch_view_last_offset(bv))
        pid_add(cu, ch->aborted[cu->next_aborted++].producer_id);
    if (kafc__batch_view_is_control(bv)) {
        int i = pid_in(cu, bv->producer_id);
        if (i >= 0) /* its marker closes the transaction (abort or not) */
            cu->abort_pids[i] = cu->abort_pids[--cu->nabort_pids];
        return 1;
    }
    return kafc__batch_view_is_transactional(bv) && pid_in(cu, bv->producer_id) >= 0;
}

static kafc__cmsg_t *record_msg(kafc_consumer_t *c, kafc__cursor_t *cu, const kafc__record_t *r)
{
    kafc__fchunk_t *ch = cu->chunk;
    kafc__cmsg_t *m = cmsg_new(ch->part);
    if (!m)
        return NULL;
    m->m.offset = r->offset;
    m->m.timestamp = r->timestamp;
    m->m.tstype = cu->bv.magic == 0                           ? KAFC_TIMESTAMP_NOT_AVAILABLE
                  : kafc__batch_view_log_append_time(&cu->bv) ? KAFC_TIMESTAMP_LOG_APPEND_TIME
                                                              : KAFC_TIMESTAMP_CREATE_TIME;
    m->m.key = r->key.len >= 0 ? r->key.ptr : NULL;
    m->m.key_len = r->key.len;
    m->m.value = r->value.len >= 0 ? r->value.ptr : NULL;
    m->m.value_len = r->value.len;
    m->leader_epoch = cu->bv.partition_leader_epoch;
    if (r->header_count > 0) {
        kafc_headers_t *h = kafc_headers_new();
        kafc__header_iter_t hi;
        kafc__slice_t k, v;
        kafc__header_iter_init(&hi, r);
        while (h && kafc__header_iter_next(&hi, &k, &v))
            if (kafc__headers_add_n(h, (const char *)k.ptr, k.len, v.ptr, v.len) != KAFC_ERR_NONE) {
                kafc_headers_destroy(h);
                h = NULL;
            }
        if (!h) {
            free(m);
            return NULL;
        }
        m->m.headers = h;
    }
    m->buf = ch->buf;
    kafc__fbuf_ref(ch->buf);
    if (cu->dbuf) {
        m->dbuf = cu->dbuf;
        kafc__fbuf_ref(cu->dbuf);
    }
    atomic_store_explicit(&ch->part->app_pos, r->offset + 1, memory_order_relaxed);
    atomic_store_explicit(&ch->part->app_epoch, m->leader_epoch, memory_order_relaxed);
    (void)c;
    return m;
}

/* The next message or event from the queue, or NULL. Under poll_lock. */
static kafc__cmsg_t *cursor_next(kafc_consumer_t *c)
{
    kafc__cursor_t *cu = &c->cur;
    for (;;) {
        if (!cu->chunk && !cursor_take(c))
            return NULL;
        kafc__fchunk_t *ch = cu->chunk;
        kafc__cpart_t *p = ch->part;
        if (atomic_load(&p->version) != ch->version) {
            cursor_release(c);
            continue;
        }
        if (!ch->data) {
            kafc__cmsg_t *m = event_msg(p, ch->err, ch->err_offset, ch->errstr);
            cursor_release(c);
            return m;
        }
        if (cu->in_batch) {
            kafc__record_t r;
            if (kafc__record_iter_next(&cu->ri, &r)) {
                if (r.offset < ch->from_offset)
                    continue;
                return record_msg(c, cu, &r);
            }
            kafc_err_t err = kafc__record_iter_err(&cu->ri);
            int64_t at = cu->bv.base_offset;
            cursor_end_batch(cu);
            if (err != KAFC_ERR_NONE) {
                kafc__cmsg_t *m = record_error(c, ch, err, at);
                cursor_release(c);
                return m;
            }
            continue;
        }
        if (!kafc__batch_iter_next(&cu->bi, &cu->bv)) {
            /* Chunk done: the position moves past what was skipped
             * (control records, aborted transactions) too. */
            int64_t pos = atomic_load(&p->app_pos);
            if (ch->next_offset > pos)
                atomic_store(&p->app_pos, ch->next_offset);
            cursor_release(c);
            continue;
        }
        if (kafc__batch_view_last_offset(&cu->bv) < ch->from_offset)
            continue;
        if (ch->naborted || kafc__batch_view_is_control(&cu->bv)) {
            if (skip_aborted(cu, ch, &cu->bv))
                continue;
        }
        kafc_err_t err =
            kafc__record_iter_init(&cu->ri, &cu->bv, c->pctx, MAX_DECOMPRESSED, c->check_crcs);
        if (err != KAFC_ERR_NONE) {
            kafc__record_iter_clear(&cu->ri);
            kafc__cmsg_t *m = record_error(c, ch, err, cu->bv.base_offset);
            cursor_release(c);
            return m;
        }
        cu->in_batch = 1;
        size_t dlen = 0;
        uint8_t *d = kafc__record_iter_detach(&cu->ri, &dlen);
        if (d && !(cu->dbuf = kafc__fbuf_new(c, d, dlen)))
            free(d);
    }
}

static void serve_events(kafc_consumer_t *c)
{
    if (atomic_exchange(&c->ev_pending, 0))
        kafc__client_serve(c->client, 0);
}

static void note_poll(kafc_consumer_t *c)
{
    atomic_store_explicit(&c->last_poll_ms, kafc__clock_ms(), memory_order_relaxed);
}

/* Waits for a chunk or an event until deadline; 0 when it passed. */
static int wait_data(kafc_consumer_t *c, int64_t deadline)
{
    int64_t now = kafc__clock_ms();
    if (now >= deadline)
        return 0;
    kafc__mutex_lock(&c->lock);
    if (!c->q_head && !atomic_load(&c->ev_pending)) {
        int64_t slice = now + 100; /* see on_event */
        kafc__cond_timedwait_ms(&c->cond, &c->lock, slice < deadline ? slice : deadline);
    }
    kafc__mutex_unlock(&c->lock);
    return 1;
}

KAFC_EXTERN int kafc_consumer_poll_batch(kafc_consumer_t *c, kafc_message_t **msgs, int max,
                                         int timeout_ms)
{
    if (!c || !msgs)
        return 0;
    if (atomic_load(&c->closed)) {
        kafc__consumer_set_err(c, KAFC_ERR__STATE, "the consumer is closed");
        return 0;
    }
    if (max <= 0)
        max = c->max_poll_records;
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    note_poll(c);
    int n = 0;
    for (;;) {
        serve_events(c);
        kafc__mutex_lock(&c->poll_lock);
        while (n < max) {
            kafc__cmsg_t *m = cursor_next(c);
            if (!m)
                break;
            msgs[n++] = &m->m;
        }
        kafc__mutex_unlock(&c->poll_lock);
        if (n > 0 || !wait_data(c, deadline))
            break;
    }
    note_poll(c);
    c->last_err = KAFC_ERR_NONE;
    return n;
}

KAFC_EXTERN kafc_message_t *kafc_consumer_poll(kafc_consumer_t *c, int timeout_ms)
{
    kafc_message_t *m = NULL;
    return kafc_consumer_poll_batch(c, &m, 1, timeout_ms) == 1 ? m : NULL;
}

KAFC_EXTERN void kafc_message_destroy(kafc_message_t *msg)
{
    if (!msg)
        return;
    kafc__cmsg_t *m = (kafc__cmsg_t *)msg;
    kafc_headers_destroy(m->m.headers);
    kafc__fbuf_unref(m->buf);
    kafc__fbuf_unref(m->dbuf);
    free(m);
}

KAFC_EXTERN int32_t kafc_message_leader_epoch(const kafc_message_t *msg)
{
    return msg ? ((const kafc__cmsg_t *)msg)->leader_epoch : -1;
}

/* ---- assignment ------------------------------------------------------------------ */

kafc_err_t kafc__consumer_check_list(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    for (int i = 0; l && i < l->cnt; i++)
        if (!l->elems[i].topic || !*l->elems[i].topic || l->elems[i].partition < 0)
            return kafc__consumer_set_err(c, KAFC_ERR__INVALID_ARG, "element %d: %s", i,
                                          l->elems[i].partition < 0 ? "negative partition"
                                                                    : "no topic");
    return KAFC_ERR_NONE;
}

static kafc_topic_partition_list_t *all_assigned(kafc_consumer_t *c)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
    for (kafc__cpart_t *p = c->parts; l && p; p = p->next)
        if (p->assigned)
            kafc_topic_partition_list_add(l, p->topic, p->partition);
    return l;
}

KAFC_EXTERN kafc_err_t kafc_assign(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    if (kafc__consumer_check_list(c, l) != KAFC_ERR_NONE)
        return c->last_err;
    kafc__mutex_lock(&c->lock);
    if (c->subscribed) {
        kafc__mutex_unlock(&c->lock);
        return kafc__consumer_set_err(c, KAFC_ERR__STATE,
                                      "kafc_assign: the consumer is subscribed");
    }
    kafc_topic_partition_list_t *old = all_assigned(c);
    kafc__consumer_assign_remove(c, old);
    kafc_topic_partition_list_destroy(old);
    kafc_err_t err = kafc__consumer_assign_add(c, l);
    c->manual = l && l->cnt > 0;
    kafc__mutex_unlock(&c->lock);
    return err ? kafc__consumer_set_err(c, err, NULL) : KAFC_ERR_NONE;
}

static kafc_err_t incremental(kafc_consumer_t *c, const kafc_topic_partition_list_t *l, int add)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    if (kafc__consumer_check_list(c, l) != KAFC_ERR_NONE)
        return c->last_err;
    kafc_err_t err = KAFC_ERR_NONE;
    kafc__mutex_lock(&c->lock);
    for (int i = 0; l && i < l->cnt; i++) {
        kafc__cpart_t *p = kafc__cpart_find(c, l->elems[i].topic, l->elems[i].partition);
        int assigned = p && p->assigned;
        if (assigned == add) {
            kafc__mutex_unlock(&c->lock);
            return kafc__consumer_set_err(c, KAFC_ERR__INVALID_ARG, "%s [%d] is %s",
                                          l->elems[i].topic, l->elems[i].partition,
                                          add ? "already assigned" : "not assigned");
        }
    }
    if (add)
        err = kafc__consumer_assign_add(c, l);
    else
        kafc__consumer_assign_remove(c, l);
    if (!c->subscribed) {
        kafc_topic_partition_list_t *now = all_assigned(c);
        c->manual = now && now->cnt > 0;
        kafc_topic_partition_list_destroy(now);
    }
    kafc__mutex_unlock(&c->lock);
    return err ? kafc__consumer_set_err(c, err, NULL) : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_incremental_assign(kafc_consumer_t *c,
                                               const kafc_topic_partition_list_t *l)
{
    return incremental(c, l, 1);
}

KAFC_EXTERN kafc_err_t kafc_incremental_unassign(kafc_consumer_t *c,
                                                 const kafc_topic_partition_list_t *l)
{
    return incremental(c, l, 0);
}

KAFC_EXTERN kafc_topic_partition_list_t *kafc_assignment(kafc_consumer_t *c)
{
    return c ? kafc__consumer_assignment(c) : NULL;
}

KAFC_EXTERN const char *kafc_rebalance_protocol(kafc_consumer_t *c)
{
    return c && c->grp ? kafc__group_protocol(c) : "NONE";
}

KAFC_EXTERN kafc_err_t kafc_seek(kafc_consumer_t *c, const char *topic, int32_t partition,
                                 int64_t offset)
{
    if (!c || !topic)
        return KAFC_ERR__INVALID_ARG;
    if (offset < 0 && offset != KAFC_OFFSET_BEGINNING && offset != KAFC_OFFSET_END &&
        offset != KAFC_OFFSET_STORED && offset != KAFC_OFFSET_INVALID)
        return kafc__consumer_set_err(c, KAFC_ERR__INVALID_ARG, "invalid offset %lld",
                                      (long long)offset);
    kafc__mutex_lock(&c->lock);
    kafc__cpart_t *p = kafc__cpart_find(c, topic, partition);
    if (!p || !p->assigned) {
        kafc__mutex_unlock(&c->lock);
        return kafc__consumer_set_err(c, KAFC_ERR__UNKNOWN_PARTITION, "%s [%d] is not assigned",
                                      topic, partition);
    }
    set_start(c, p, offset, -1);
    kafc__mutex_unlock(&c->lock);
    kafc__consumer_wake_io(c);
    return KAFC_ERR_NONE;
}

static kafc_err_t pause_resume(kafc_consumer_t *c, const kafc_topic_partition_list_t *l, int pause)
{
    if (!c || !l)
        return KAFC_ERR__INVALID_ARG;
    kafc_err_t first = KAFC_ERR_NONE;
    kafc__mutex_lock(&c->lock);
    for (int i = 0; i < l->cnt; i++) {
        kafc_topic_partition_t *e = &l->elems[i];
        kafc__cpart_t *p = e->topic ? kafc__cpart_find(c, e->topic, e->partition) : NULL;
        if (!p || !p->assigned) {
            e->err = KAFC_ERR__UNKNOWN_PARTITION;
            if (!first)
                first = e->err;
            continue;
        }
        e->err = KAFC_ERR_NONE;
        if (p->paused == pause)
            continue;
        p->paused = pause;
        if (pause) {
            /* Drop what was fetched beyond the application's position; the
             * fetch resumes from there. */
            atomic_fetch_add(&p->version, 1);
            int64_t pos = atomic_load(&p->app_pos);
            if (p->state == KAFC__CP_ACTIVE && pos >= 0)
                p->fetch_pos = pos;
        }
    }
    kafc__mutex_unlock(&c->lock);
    if (!pause)
        kafc__consumer_wake_io(c);
    return first ? kafc__consumer_set_err(c, first, "some partitions are not assigned")
                 : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_pause(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    return pause_resume(c, l, 1);
}

KAFC_EXTERN kafc_err_t kafc_resume(kafc_consumer_t *c, const kafc_topic_partition_list_t *l)
{
    return pause_resume(c, l, 0);
}

KAFC_EXTERN kafc_err_t kafc_position(kafc_consumer_t *c, kafc_topic_partition_list_t *l)
{
    if (!c || !l)
        return KAFC_ERR__INVALID_ARG;
    kafc__mutex_lock(&c->lock);
    for (int i = 0; i < l->cnt; i++) {
        kafc_topic_partition_t *e = &l->elems[i];
        kafc__cpart_t *p = e->topic ? kafc__cpart_find(c, e->topic, e->partition) : NULL;
        if (!p || !p->assigned) {
            e->err = KAFC_ERR__UNKNOWN_PARTITION;
            e->offset = KAFC_OFFSET_INVALID;
            continue;
        }
        e->err = KAFC_ERR_NONE;
        e->offset = atomic_load(&p->app_pos);
        e->leader_epoch = atomic_load(&p->app_epoch);
    }
    kafc__mutex_unlock(&c->lock);
    return KAFC_ERR_NONE;
}

/* ---- close and destroy ------------------------------------------------------------------ */

KAFC_EXTERN kafc_err_t kafc_consumer_close(kafc_consumer_t *c, int timeout_ms)
{
    if (!c)
        return KAFC_ERR__INVALID_ARG;
    if (atomic_load(&c->closed))
        return KAFC_ERR_NONE;
    kafc_err_t err = KAFC_ERR_NONE;
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    if (c->grp) {
        kafc__mutex_lock(&c->lock);
        int subscribed = c->subscribed;
        kafc__mutex_unlock(&c->lock);
        if (subscribed) {
            kafc__consumer_revoke_all(c);
        } else if (c->auto_commit) {
            kafc_topic_partition_list_t *pos = kafc__consumer_positions_to_commit(c, NULL);
            if (pos) {
                kafc_topic_partition_list_t *out = NULL;
                err =
                    kafc__consumer_call(c, CALL_COMMIT, pos, kafc__remaining_ms(deadline), 0, &out);
                if (!err)
                    err = kafc__consumer_first_err(out);
                kafc_topic_partition_list_destroy(out);
            }
        }
        kafc__mutex_lock(&c->lock);
        c->subscribed = 0;
        kafc__mutex_unlock(&c->lock);
        kafc__consumer_call(c, CALL_LEAVE, NULL, kafc__remaining_ms(deadline), 0, NULL);
    }
    kafc__mutex_lock(&c->lock);
    kafc_topic_partition_list_t *all = all_assigned(c);
    kafc__consumer_assign_remove(c, all);
    c->manual = 0;
    kafc__mutex_unlock(&c->lock);
    kafc_topic_partition_list_destroy(all);
    serve_events(c);
    atomic_store(&c->closed, 1);
    return err;
}

KAFC_EXTERN void kafc_consumer_destroy(kafc_consumer_t *c)
{
    if (!c)
        return;
    if (!atomic_load(&c->closed))
        kafc_consumer_close(c, 10000);
    kafc__mutex_lock(&c->poll_lock);
    cursor_release(c);
    kafc__mutex_unlock(&c->poll_lock);
    kafc_client_destroy(c->client); /* stops the I/O thread: no more chunks */
    c->client = NULL;
    atomic_store(&c->fetch_wake, 0); /* nobody left to wake */
    for (kafc__fchunk_t *ch = c->q_head, *next; ch; ch = next) {
        next = ch->next;
        kafc__fchunk_free(ch);
    }
    for (kafc__cpart_t *p = c->parts, *next; p; p = next) {
        next = p->next;
        free(p->topic);
        free(p);
    }
    kafc__consumer_sub_clear(c);
    free(c->cur.abort_pids);
    free(c->hash);
    kafc__codec_ctx_destroy(c->pctx);
    kafc_conf_destroy(c->conf);
    kafc__mutex_destroy(&c->poll_lock);
    kafc__cond_destroy(&c->cond);
    kafc__mutex_destroy(&c->lock);
    free(c);
}
