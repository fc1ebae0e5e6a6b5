/*
 * producer — see producer.h. The application side: kafc_producer_new,
 * kafc_produce (partitioning and appending to the open batch), delivery
 * reports, flush, purge, destroy.
 */
#include "producer/producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "error.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_STACK_HEADERS 16

/* ---- batches ------------------------------------------------------------ */

void kafc__pbatch_free(kafc_producer_t *p, kafc__pbatch_t *b)
{
    for (int32_t i = 0; i < b->nmsgs; i++)
        kafc_headers_destroy(b->msgs[i].headers);
    if (b->wire_owned)
        free(b->wire);
    kafc__bufpool_release(&p->pool, b->buf, b->cap);
    free(b->msgs);
    free(b);
}

/* A new empty batch for part with room for cap bytes, its buffer from the
 * pool (waiting up to timeout_ms: KAFC_ERR__QUEUE_FULL when memory stays
 * short). Any thread; no lock held. */
static kafc_err_t batch_new(kafc_producer_t *p, kafc__ppart_t *part, size_t cap, int timeout_ms,
                            kafc__pbatch_t **bp)
{
    uint8_t *buf = NULL;
    /* Batch memory comes back only when a poll serves the batch's
     * delivery reports (they point into it; Java frees at the broker's
     * answer instead). With no thread waiting in poll/flush now, waiting
     * here would stall a caller that polls between produce calls for all
     * of max.block.ms: say queue-full at once. */
    if (timeout_ms != 0 && atomic_load(&p->polling) == 0)
        timeout_ms = 0;
    kafc_err_t err = kafc__bufpool_alloc(&p->pool, cap, timeout_ms, &buf);
    if (err != KAFC_ERR_NONE)
        return err;
    kafc__pbatch_t *b = calloc(1, sizeof(*b));
    if (!b) {
        kafc__bufpool_release(&p->pool, buf, cap);
        return KAFC_ERR__NO_MEMORY;
    }
    kafc__batch_opts_t opts;
    kafc__batch_opts_default(&opts);
    b->buf = buf;
    b->cap = cap;
    b->part = part;
    b->created_ms = kafc__clock_ms();
    b->deadline_ms = b->created_ms + p->delivery_timeout_ms;
    b->base_sequence = -1;
    kafc__batch_init(&b->b, buf, cap, &opts);
    *bp = b;
    return KAFC_ERR_NONE;
}

/* ---- records read back ----------------------------------------------- */

/* A record of a batch read back from the batch buffer, which holds what
 * kafc__batch_append wrote. */
typedef struct {
    int64_t timestamp;
    const uint8_t *key, *value; /* NULL: null */
    int32_t key_len, value_len; /* -1: null */
} kafc__pbatch_record_t;

/* A reader over the records of b, for record_read. */
static void records_of(const kafc__pbatch_t *b, kafc__rbuf_t *rb)
{
    kafc__rbuf_init(rb, b->buf, kafc__batch_size(&b->b));
    kafc__rbuf_skip(rb, KAFC__BATCH_HEADER_SIZE);
}

/* Reads the next record of batch b from rb into *rec. */
static void record_read(const kafc__pbatch_t *b, kafc__rbuf_t *rb, kafc__pbatch_record_t *rec)
{
    int32_t len = kafc__rbuf_get_varint(rb);
    size_t next = rb->pos + (size_t)(len > 0 ? len : 0);
    kafc__rbuf_skip(rb, 1); /* attributes */
    rec->timestamp = b->b.base_timestamp + kafc__rbuf_get_varlong(rb);
    (void)kafc__rbuf_get_varint(rb); /* offset delta: records are in order */
    rec->key_len = kafc__rbuf_get_varint(rb);
    rec->key = rec->key_len >= 0 ? kafc__rbuf_get_raw(rb, (size_t)rec->key_len) : NULL;
    rec->value_len = kafc__rbuf_get_varint(rb);
    rec->value = rec->value_len >= 0 ? kafc__rbuf_get_raw(rb, (size_t)rec->value_len) : NULL;
    rb->pos = next <= rb->len ? next : rb->len; /* past the headers */
}

/* ---- delivery reports --------------------------------------------------- */

typedef struct dr_event {
    kafc__event_t ev;
    kafc_producer_t *p;
    kafc__pbatch_t *b;
    kafc_err_t err;
    int64_t base_offset;
    int64_t log_append_time;
    kafc_persisted_t status;
} dr_event_t;

static void dr_serve(kafc_client_t *c, kafc__event_t *ev)
{
    dr_event_t *d = (dr_event_t *)ev;
    kafc_producer_t *p = d->p;
    kafc__pbatch_t *b = d->b;
    const kafc__conf_cbs_t *cbs = kafc__conf_cbs(p->conf);
    kafc_message_t m;

    kafc__rbuf_t rb;
    kafc__pbatch_record_t rec;
    records_of(b, &rb);
    for (int32_t i = 0; i < b->nmsgs; i++) {
        kafc__pmsg_t *pm = &b->msgs[i];
        record_read(b, &rb, &rec);
        kafc__message_init(&m);
        m.topic = b->part->topic->name;
        m.partition = b->part->id;
        m.offset = d->base_offset >= 0 ? d->base_offset + i : -1;
        if (d->log_append_time >= 0) {
            m.timestamp = d->log_append_time;
            m.tstype = KAFC_TIMESTAMP_LOG_APPEND_TIME;
        } else {
            m.timestamp = rec.timestamp;
            m.tstype = KAFC_TIMESTAMP_CREATE_TIME;
        }
        m.key = rec.key;
        m.key_len = rec.key_len;
        m.value = rec.value;
        m.value_len = rec.value_len;
        m.headers = pm->headers;
        m.err = d->err;
        m.status = d->status;
        m.opaque = pm->opaque;
        for (int k = 0; k < cbs->ninterceptors; k++)
            if (cbs->interceptors[k].on_ack)
                cbs->interceptors[k].on_ack(&m, cbs->interceptors[k].opaque);
        if (p->dr_cb)
            p->dr_cb(p, &m, p->opaque);
    }
    atomic_fetch_sub(&p->outstanding, b->nmsgs);
    kafc__pbatch_free(p, b);
    free(d);
}

static void dr_drop(kafc_client_t *c, kafc__event_t *ev)
{
    dr_event_t *d = (dr_event_t *)ev;
    atomic_fetch_sub(&d->p->outstanding, d->b->nmsgs);
    kafc__pbatch_free(d->p, d->b);
    free(d);
}

void kafc__producer_report(kafc_producer_t *p, kafc__pbatch_t *b, kafc_err_t err,
                           int64_t base_offset, int64_t log_append_time, kafc_persisted_t status)
{
    dr_event_t *d = calloc(1, sizeof(*d));
    if (!d) {
        /* Cannot report: still release the memory and the count, so flush
         * and destroy do not wait for reports that will never come. */
        kafc__log(&p->client->log, KAFC_LOG_CRIT, "producer",
                  "out of memory: %d delivery reports lost", b->nmsgs);
        atomic_fetch_sub(&p->outstanding, b->nmsgs);
        kafc__pbatch_free(p, b);
        return;
    }
    d->ev.serve = dr_serve;
    d->ev.drop = dr_drop;
    d->ev.count = b->nmsgs;
    d->p = p;
    d->b = b;
    d->err = err;
    d->base_offset = err == KAFC_ERR_NONE ? base_offset : -1;
    d->log_append_time = log_append_time;
    d->status = status;
    kafc__client_push_event(p->client, &d->ev);
}

/* ---- topics ------------------------------------------------------------- */

static kafc__ptopic_t *topic_find(kafc_producer_t *p, const char *name)
{
    for (kafc__ptopic_t *t = p->topics; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Sizes a topic's partition array the first time its metadata arrives
 * (under topics_lock; I/O thread). Partition structs hold locks and are
 * pointed to by batches, so they never move: later increases of the count
 * are not taken up (a new producer sees them). */
static kafc_err_t topic_resize(kafc__ptopic_t *t, int32_t n)
{
    if (t->npartitions > 0 || n <= 0)
        return KAFC_ERR_NONE;
    /* Cache-line aligned (kafc__ppart_t is _Alignas(64)); its size is a
     * multiple of 64, as aligned_alloc wants. */
    kafc__ppart_t *parts = aligned_alloc(_Alignof(kafc__ppart_t), (size_t)n * sizeof(*parts));
    if (parts)
        memset(parts, 0, (size_t)n * sizeof(*parts));
    uint8_t *avail = calloc((size_t)n, 1);
    if (!parts || !avail) {
        free(parts);
        free(avail);
        return KAFC_ERR__NO_MEMORY;
    }
    for (int32_t i = 0; i < n; i++) {
        parts[i].topic = t;
        parts[i].id = i;
        parts[i].leader = -1;
    }
    t->parts = parts;
    t->available = avail;
    t->npartitions = n;
    /* Publishes the above to topic_get's lock-free path. */
    atomic_store_explicit(&t->ready, 1, memory_order_release);
    return KAFC_ERR_NONE;
}

void kafc__producer_metadata_update(kafc_producer_t *p)
{
    const kafc__md_t *md = &p->client->cluster.md;
    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t; t = t->next) {
        const kafc__md_topic_t *mt = kafc__md_topic(md, t->name);
        if (!mt)
            continue;
        if (mt->err != KAFC_ERR_NONE && mt->npartitions == 0) {
            /* Transient errors (leader not available) keep waiting. */
            if (!kafc__err_retriable(mt->err) || mt->err == KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION)
                t->err = mt->err;
            continue;
        }
        t->err = KAFC_ERR_NONE;
        if (topic_resize(t, mt->npartitions) != KAFC_ERR_NONE)
            continue;
        for (int i = 0; i < mt->npartitions; i++) {
            const kafc__md_partition_t *mp = &mt->partitions[i];
            if (mp->id < 0 || mp->id >= t->npartitions)
                continue;
            t->parts[mp->id].leader = mp->leader;
            /* Read without the lock by the partitioner: atomic byte. */
            __atomic_store_n(&t->available[mp->id], (uint8_t)(mp->leader >= 0), __ATOMIC_RELAXED);
        }
    }
    kafc__cond_broadcast(&p->topics_cond);
    kafc__mutex_unlock(&p->topics_lock);
}

/* The max.block.ms deadline of a produce call, read from the clock only
 * when the call has to wait (*dl 0: not yet). */
static int64_t block_deadline(const kafc_producer_t *p, int64_t *dl)
{
    if (*dl == 0)
        *dl = kafc__deadline_ms((int)p->max_block_ms);
    return *dl;
}

/* The topic, created when new; waits up to the deadline for its metadata.
 * Returns the topic with *errp NONE, or NULL with *errp set. */
static kafc__ptopic_t *topic_get(kafc_producer_t *p, const char *name, int64_t *deadline,
                                 kafc_err_t *errp)
{
    /* Without the lock first: topics are only ever prepended (the head is
     * published with release) and live until the producer goes; a topic
     * with partitions has `ready` set after them. */
    for (kafc__ptopic_t *t = atomic_load_explicit(&p->topics_pub, memory_order_acquire); t;
         t = t->next)
        if (strcmp(t->name, name) == 0 && atomic_load_explicit(&t->ready, memory_order_acquire)) {
            *errp = KAFC_ERR_NONE;
            return t;
        }
    kafc__mutex_lock(&p->topics_lock);
    kafc__ptopic_t *t = topic_find(p, name);
    if (t && t->npartitions > 0) {
        kafc__mutex_unlock(&p->topics_lock);
        *errp = KAFC_ERR_NONE;
        return t;
    }
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t || !(t->name = strdup(name))) {
            free(t);
            kafc__mutex_unlock(&p->topics_lock);
            *errp = KAFC_ERR__NO_MEMORY;
            return NULL;
        }
        t->npartitions = -1;
        kafc__ptopic_state_init(&t->pstate);
        t->next = p->topics;
        p->topics = t;
        atomic_store_explicit(&p->topics_pub, t, memory_order_release);
        kafc__selector_wakeup(&p->client->sel); /* the sender asks for it */
    }
    while (t->npartitions <= 0 && t->err == KAFC_ERR_NONE && !atomic_load(&p->destroying)) {
        if (kafc__cond_timedwait_ms(&p->topics_cond, &p->topics_lock,
                                    block_deadline(p, deadline)) == KAFC_ERR__TIMED_OUT)
            break;
    }
    kafc_err_t err = KAFC_ERR_NONE;
    if (t->npartitions <= 0)
        err = t->err == KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION ? KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION
              : t->err                                      ? t->err
              : atomic_load(&p->destroying)                 ? KAFC_ERR__DESTROY
                                                            : KAFC_ERR__TIMED_OUT;
    kafc__mutex_unlock(&p->topics_lock);
    *errp = err;
    return err == KAFC_ERR_NONE ? t : NULL;
}

/* ---- appending ---------------------------------------------------------- */

/* Room for one more message entry. The first sizing guesses from the first
 * record (rec bytes) how many like it fill the batch (never more than most),
 * so that a batch of equal-sized records never reallocates. */
static kafc_err_t msgs_reserve(kafc__pbatch_t *b, size_t rec, int32_t most)
{
    if (b->nmsgs < b->msgs_cap)
        return KAFC_ERR_NONE;
    int32_t cap = b->msgs_cap * 2;
    if (!b->msgs_cap) {
        size_t per = b->cap / (rec > 16 ? rec : 16);
        size_t guess = per + per / 8 + 1; /* rec is an estimate */
        cap = guess > (size_t)most ? most : (int32_t)guess;
        if (cap < 1)
            cap = 1;
    }
    kafc__pmsg_t *m = realloc(b->msgs, (size_t)cap * sizeof(*m));
    if (!m)
        return KAFC_ERR__NO_MEMORY;
    b->msgs = m;
    b->msgs_cap = cap;
    return KAFC_ERR_NONE;
}

/* Appends to the open batch of part (partition lock held). Returns
 * KAFC_ERR__BUF_OVERFLOW when there is none or it is full (it is then
 * closed). */
static kafc_err_t try_append(kafc_producer_t *p, kafc__ppart_t *part, int64_t ts, const void *key,
                             int32_t klen, const void *value, int32_t vlen,
                             const kafc__record_header_t *rh, size_t nh, kafc_headers_t *hdrs,
                             void *opaque, int *readyp)
{
    kafc__pbatch_t *b = part->tail;
    if (!b || b->closed)
        return KAFC_ERR__BUF_OVERFLOW;
    if (b->nmsgs >= p->batch_num_messages) {
        b->closed = 1;
        return KAFC_ERR__BUF_OVERFLOW;
    }
    if (msgs_reserve(b, (size_t)(klen > 0 ? klen : 0) + (size_t)(vlen > 0 ? vlen : 0) + 8,
                     p->batch_num_messages) != KAFC_ERR_NONE)
        return KAFC_ERR__NO_MEMORY;
    kafc_err_t err = kafc__batch_append(&b->b, ts, key, klen, value, vlen, rh, nh);
    if (err != KAFC_ERR_NONE) {
        if (err == KAFC_ERR__BUF_OVERFLOW)
            b->closed = 1;
        return err;
    }
    kafc__pmsg_t *pm = &b->msgs[b->nmsgs];
    pm->opaque = opaque;
    pm->headers = hdrs;
    b->nmsgs++;
    /* Full for the next typical record: ready to go now. */
    if (b->nmsgs >= p->batch_num_messages || kafc__batch_room(&b->b) < 64) {
        b->closed = 1;
        *readyp = 1;
    }
    return KAFC_ERR_NONE;
}

static void wake_sender(kafc_producer_t *p)
{
    kafc__selector_poke(&p->client->sel);
}

/* Appends to part's open batch, or opens a new one. With sticky set (a
 * keyless message placed by the sticky partitioner), returns
 * KAFC_ERR__BUF_OVERFLOW instead of opening a new batch, after moving the
 * sticky partition on, when the last batch there is full (KIP-480) or
 * batch.size bytes went there since it became sticky (KIP-794: with
 * linger.ms=0 batches leave with one record, and moving on every batch
 * would spread one-record requests over every broker): the caller picks
 * again, as Java does. */
static kafc_err_t append(kafc_producer_t *p, kafc__ptopic_t *t, kafc__ppart_t *part, int64_t ts,
                         const void *key, int32_t klen, const void *value, int32_t vlen,
                         const kafc__record_header_t *rh, size_t nh, kafc_headers_t *hdrs,
                         void *opaque, size_t rec_max, int64_t *deadline, int sticky)
{
    int ready = 0;
    kafc__spin_lock(&part->lock);
    kafc_err_t err = try_append(p, part, ts, key, klen, value, vlen, rh, nh, hdrs, opaque, &ready);
    /* Still queued after an overflow: the last batch is full (a batch the
     * sender took has left the queue). */
    int tail_full = part->tail != NULL;
    kafc__spin_unlock(&part->lock);
    if (err == KAFC_ERR_NONE) {
        if (ready || p->linger_ms == 0)
            wake_sender(p);
        return KAFC_ERR_NONE;
    }
    if (err != KAFC_ERR__BUF_OVERFLOW)
        return err;
    if (sticky &&
        (tail_full || kafc__partitioner_sticky_bytes(&t->pstate) >= (int64_t)p->batch_size)) {
        kafc__partitioner_new_batch(&p->partitioner, &t->pstate, part->id, t->npartitions,
                                    t->available);
        return KAFC_ERR__BUF_OVERFLOW;
    }

    /* A new batch: memory first, without holding the partition lock. */
    size_t need = rec_max + KAFC__BATCH_HEADER_SIZE;
    size_t cap = need > (size_t)p->batch_size ? need : (size_t)p->batch_size;
    kafc__pbatch_t *b = NULL;
    err = batch_new(p, part, cap, kafc__remaining_ms(block_deadline(p, deadline)), &b);
    if (err != KAFC_ERR_NONE)
        return err;

    kafc__spin_lock(&part->lock);
    /* Another thread may have opened a batch meanwhile: use it if it fits. */
    err = try_append(p, part, ts, key, klen, value, vlen, rh, nh, hdrs, opaque, &ready);
    if (err == KAFC_ERR_NONE) {
        kafc__spin_unlock(&part->lock);
        kafc__pbatch_free(p, b);
        if (ready || p->linger_ms == 0)
            wake_sender(p);
        return KAFC_ERR_NONE;
    }
    if (part->tail)
        part->tail->closed = 1;
    b->order = part->next_order++;
    if (part->tail)
        part->tail->next = b;
    else
        part->head = b;
    part->tail = b;
    part->nqueued++;
    err = try_append(p, part, ts, key, klen, value, vlen, rh, nh, hdrs, opaque, &ready);
    kafc__spin_unlock(&part->lock);
    wake_sender(p); /* a new batch: the sender arms its linger timer */
    return err;
}

/* ---- splitting (MESSAGE_TOO_LARGE) -------------------------------------- */

/* Re-encodes messages [from, to) of old into nb. */
static kafc_err_t refill(kafc__pbatch_t *nb, kafc__pbatch_t *old, int32_t from, int32_t to)
{
    kafc__rbuf_t rb;
    kafc__pbatch_record_t rec;
    records_of(old, &rb);
    for (int32_t i = 0; i < from; i++)
        record_read(old, &rb, &rec);
    for (int32_t i = from; i < to; i++) {
        kafc__pmsg_t *pm = &old->msgs[i];
        record_read(old, &rb, &rec);
        kafc__record_header_t stack_rh[MAX_STACK_HEADERS], *rh = stack_rh;
        size_t nh = pm->headers ? kafc_headers_count(pm->headers) : 0;
        if (nh > MAX_STACK_HEADERS && !(rh = malloc(nh * sizeof(*rh))))
            return KAFC_ERR__NO_MEMORY;
        for (size_t k = 0; k < nh; k++)
            kafc__headers_at(pm->headers, k, &rh[k].key, &rh[k].key_len, &rh[k].value,
                             &rh[k].value_len);
        kafc_err_t err = msgs_reserve(nb, 64, to - from);
        if (!err)
            err = kafc__batch_append(&nb->b, rec.timestamp, rec.key, rec.key_len, rec.value,
                                     rec.value_len, rh, nh);
        if (rh != stack_rh)
            free(rh);
        if (err)
            return err;
        nb->msgs[nb->nmsgs++] = *pm;
    }
    return KAFC_ERR_NONE;
}

int kafc__producer_split(kafc_producer_t *p, kafc__pbatch_t *b, kafc__pbatch_t **firstp,
                         kafc__pbatch_t **secondp)
{
    if (b->nmsgs < 2)
        return -1;
    int32_t half = b->nmsgs / 2;
    /* No waiting for memory: this runs on the I/O thread. */
    kafc__pbatch_t *x = NULL, *y = NULL;
    if (batch_new(p, b->part, b->cap, 0, &x) == KAFC_ERR_NONE)
        batch_new(p, b->part, b->cap, 0, &y);
    if (!x || !y || refill(x, b, 0, half) || refill(y, b, half, b->nmsgs)) {
        if (x) {
            x->nmsgs = 0; /* the headers still belong to b */
            kafc__pbatch_free(p, x);
        }
        if (y) {
            y->nmsgs = 0;
            kafc__pbatch_free(p, y);
        }
        return -1;
    }
    kafc__pbatch_t *halves[2] = {x, y};
    for (int h = 0; h < 2; h++) {
        kafc__pbatch_t *n = halves[h];
        n->closed = 1;
        n->order = b->order;
        n->created_ms = b->created_ms;
        n->deadline_ms = b->deadline_ms;
        n->attempts = b->attempts;
        n->sent_once = b->sent_once;
        if (b->base_sequence >= 0) /* keep the sequence range, in halves */
            n->base_sequence = b->base_sequence + (h ? half : 0);
    }
    b->nmsgs = 0; /* messages and headers now belong to the halves */
    kafc__pbatch_free(p, b);
    *firstp = x;
    *secondp = y;
    return 0;
}

/* ---- kafc_produce ------------------------------------------------------- */

static kafc_err_t produce_one(kafc_producer_t *p, kafc__ptopic_t *t, int32_t partition, int flags,
                              const void *key, size_t key_len, const void *value, size_t value_len,
                              kafc_headers_t *hdrs, int64_t timestamp, void *opaque,
                              int64_t *deadline)
{
    kafc__record_header_t stack_rh[MAX_STACK_HEADERS], *rh = stack_rh;
    size_t nh = hdrs ? kafc_headers_count(hdrs) : 0;
    const kafc__conf_cbs_t *cbs = kafc__conf_cbs(p->conf);

    if (key_len > INT32_MAX || value_len > INT32_MAX)
        return KAFC_ERR__MSG_SIZE_TOO_LARGE;
    if (nh > MAX_STACK_HEADERS && !(rh = malloc(nh * sizeof(*rh))))
        return KAFC_ERR__NO_MEMORY;
    for (size_t i = 0; i < nh; i++)
        kafc__headers_at(hdrs, i, &rh[i].key, &rh[i].key_len, &rh[i].value, &rh[i].value_len);
    int32_t klen = key ? (int32_t)key_len : -1, vlen = value ? (int32_t)value_len : -1;
    size_t rec_max = kafc__batch_record_size_max(klen, vlen, rh, nh);
    kafc_err_t err = KAFC_ERR_NONE;
    if (rec_max + KAFC__BATCH_HEADER_SIZE > (size_t)p->message_max_bytes ||
        rec_max + KAFC__BATCH_HEADER_SIZE > (size_t)p->max_request_size) {
        err = KAFC_ERR__MSG_SIZE_TOO_LARGE;
        goto out;
    }
    for (int k = 0; k < cbs->ninterceptors; k++)
        if (cbs->interceptors[k].on_send)
            cbs->interceptors[k].on_send(t->name, partition, key, key_len, value, value_len,
                                         cbs->interceptors[k].opaque);
    int picked = partition == KAFC_PARTITION_ANY;
    if (!picked && partition >= t->npartitions) {
        err = KAFC_ERR__UNKNOWN_PARTITION;
        goto out;
    }
    if (timestamp <= 0)
        timestamp = kafc__wallclock_ms();
    atomic_fetch_add(&p->outstanding, 1);
    /* A keyless message that would open a new batch on the sticky
     * partition moves the sticky partition and is placed again (once). */
    for (int round = 0; round < 2; round++) {
        if (picked) {
            partition = kafc__partitioner_pick(&p->partitioner, &t->pstate, t->name, key, key_len,
                                               t->npartitions, t->available);
            if (partition < 0) {
                err = KAFC_ERR__UNKNOWN_PARTITION;
                break;
            }
        }
        int sticky = picked && !key && round == 0 && p->sticky_null;
        err = append(p, t, &t->parts[partition], timestamp, key, klen, value, vlen, rh, nh, hdrs,
                     opaque, rec_max, deadline, sticky);
        if (err != KAFC_ERR__BUF_OVERFLOW || !sticky)
            break;
    }
    if (err == KAFC_ERR_NONE && picked && !key && p->sticky_null)
        kafc__partitioner_produced(&t->pstate, partition, rec_max);
    if (err != KAFC_ERR_NONE)
        atomic_fetch_sub(&p->outstanding, 1);
out:
    if (rh != stack_rh)
        free(rh);
    if (err == KAFC_ERR_NONE && (flags & KAFC_MSG_F_FREE)) {
        free((void *)key);
        free((void *)value);
    }
    return err;
}

static kafc_err_t check_state(kafc_producer_t *p)
{
    if (atomic_load(&p->destroying))
        return KAFC_ERR__DESTROY;
    if (atomic_load(&p->fatal_err))
        return KAFC_ERR__FATAL;
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_produce(kafc_producer_t *p, const char *topic, int32_t partition,
                                    int flags, const void *key, size_t key_len, const void *value,
                                    size_t value_len, kafc_headers_t *headers, int64_t timestamp,
                                    void *msg_opaque)
{
    if (!p || !topic || !*topic || partition < KAFC_PARTITION_ANY || (flags & ~KAFC_MSG_F_FREE))
        return KAFC_ERR__INVALID_ARG;
    kafc_err_t err = check_state(p);
    if (err != KAFC_ERR_NONE)
        return err;
    int64_t deadline = 0;
    kafc__ptopic_t *t = topic_get(p, topic, &deadline, &err);
    if (!t)
        return err;
    return produce_one(p, t, partition, flags, key, key_len, value, value_len, headers, timestamp,
                       msg_opaque, &deadline);
}

KAFC_EXTERN size_t kafc_produce_batch(kafc_producer_t *p, const char *topic, int flags,
                                      kafc_produce_msg_t *msgs, size_t count)
{
    size_t ok = 0;
    kafc_err_t err = KAFC_ERR_NONE;
    kafc__ptopic_t *t = NULL;
    if (!p || !topic || !*topic || (flags & ~KAFC_MSG_F_FREE))
        err = KAFC_ERR__INVALID_ARG;
    if (err == KAFC_ERR_NONE)
        err = check_state(p);
    int64_t deadline = 0;
    if (err == KAFC_ERR_NONE)
        t = topic_get(p, topic, &deadline, &err);
    for (size_t i = 0; i < count; i++) {
        kafc_produce_msg_t *m = &msgs[i];
        if (!t) {
            m->err = err;
            continue;
        }
        m->err = m->partition < KAFC_PARTITION_ANY
                     ? KAFC_ERR__INVALID_ARG
                     : produce_one(p, t, m->partition, flags, m->key, m->key_len, m->value,
                                   m->value_len, m->headers, m->timestamp, m->opaque, &deadline);
        if (m->err == KAFC_ERR_NONE)
            ok++;
    }
    return ok;
}

/* ---- poll, flush, purge ------------------------------------------------- */

KAFC_EXTERN int kafc_producer_poll(kafc_producer_t *p, int timeout_ms)
{
    if (!p)
        return 0;
    if (timeout_ms == 0)
        return kafc__client_serve(p->client, 0);
    atomic_fetch_add(&p->polling, 1);
    int n = kafc__client_serve(p->client, timeout_ms);
    atomic_fetch_sub(&p->polling, 1);
    return n;
}

KAFC_EXTERN int64_t kafc_producer_outstanding(kafc_producer_t *p)
{
    return p ? atomic_load(&p->outstanding) : 0;
}

KAFC_EXTERN kafc_err_t kafc_producer_flush(kafc_producer_t *p, int timeout_ms)
{
    if (!p)
        return KAFC_ERR__INVALID_ARG;
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    atomic_fetch_add(&p->flush_requested, 1);
    atomic_fetch_add(&p->polling, 1);
    wake_sender(p);
    while (atomic_load(&p->outstanding) > 0) {
        int left = kafc__remaining_ms(deadline);
        if (left == 0)
            break;
        kafc__client_serve(p->client, left < 0 || left > 100 ? 100 : left);
    }
    atomic_fetch_sub(&p->polling, 1);
    kafc__client_serve(p->client, 0);
    atomic_fetch_sub(&p->flush_requested, 1);
    return atomic_load(&p->outstanding) > 0 ? KAFC_ERR__TIMED_OUT : KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_producer_purge(kafc_producer_t *p, int flags)
{
    if (!p || (flags & ~(KAFC_PURGE_QUEUE | KAFC_PURGE_INFLIGHT)) || !flags)
        return KAFC_ERR__INVALID_ARG;
    atomic_fetch_or(&p->purge_flags, flags);
    kafc__selector_wakeup(&p->client->sel);
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_producer_fatal_error(kafc_producer_t *p, char *errstr,
                                                 size_t errstr_size)
{
    if (!p)
        return KAFC_ERR__INVALID_ARG;
    kafc_err_t err = atomic_load(&p->fatal_err);
    if (err && errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", p->fatal_str);
    return err;
}

KAFC_EXTERN kafc_client_t *kafc_producer_client(kafc_producer_t *p)
{
    return p ? p->client : NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Idempotence needs acks=all, retries > 0 and at most 5 in flight. When the
 * user asked for idempotence explicitly, a conflict is an error; when it is
 * only the default, idempotence is turned off and we say so (Java does the
 * same). */
static int check_idempotence(kafc_conf_t *conf, kafc__logger_t *lg, char *errstr,
                             size_t errstr_size)
{
    if (!kafc__conf_int(conf, KAFC__P_ENABLE_IDEMPOTENCE))
        return 0;
    const char *why = NULL;
    if (kafc__conf_int(conf, KAFC__P_ACKS) != -1)
        why = "acks must be all (-1)";
    else if (kafc__conf_int(conf, KAFC__P_RETRIES) == 0)
        why = "retries must be greater than 0";
    else if (kafc__conf_int(conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION) > 5)
        why = "max.in.flight.requests.per.connection must be at most 5";
    if (!why)
        return 0;
    if (kafc__conf_is_set(conf, KAFC__P_ENABLE_IDEMPOTENCE)) {
        snprintf(errstr, errstr_size,
                 "Conflicting configuration: enable.idempotence=true "
                 "requires that %s",
                 why);
        return -1;
    }
    kafc__conf_adjust_int(conf, KAFC__P_ENABLE_IDEMPOTENCE, 0);
    kafc__log(lg, KAFC_LOG_NOTICE, "conf",
              "idempotence disabled: enable.idempotence was not set and %s (as configured)", why);
    return 0;
}

static void producer_free(kafc_producer_t *p)
{
    for (kafc__ptopic_t *t = p->topics, *next; t; t = next) {
        next = t->next;
        for (int32_t i = 0; i < t->npartitions; i++) {
            for (kafc__pbatch_t *b = t->parts[i].head, *bn; b; b = bn) {
                bn = b->next;
                kafc__pbatch_free(p, b);
            }
        }
        free(t->parts);
        free(t->available);
        free(t->name);
        free(t);
    }
    kafc__bufpool_destroy(&p->pool);
    kafc__cond_destroy(&p->topics_cond);
    kafc__mutex_destroy(&p->topics_lock);
    free(p);
}

KAFC_EXTERN kafc_producer_t *kafc_producer_new(const kafc_conf_t *conf_in, char *errstr,
                                               size_t errstr_size)
{
    char dummy[1];
    if (!errstr || !errstr_size) {
        errstr = dummy;
        errstr_size = sizeof(dummy);
    }
    errstr[0] = '\0';
    if (!conf_in) {
        snprintf(errstr, errstr_size, "conf is NULL");
        return NULL;
    }
    kafc_conf_t *conf = kafc_conf_dup(conf_in);
    if (!conf) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    kafc__logger_t lg;
    void *lopaque = NULL;
    kafc_log_cb_t *lcb = kafc__conf_log_cb(conf, &lopaque);
    kafc__logger_init(&lg, kafc__conf_str(conf, KAFC__P_CLIENT_ID),
                      (int)kafc__conf_int(conf, KAFC__P_LOG_LEVEL), 0, lcb, lopaque);
    if (check_idempotence(conf, &lg, errstr, errstr_size) < 0) {
        kafc_conf_destroy(conf);
        return NULL;
    }

    kafc_producer_t *p = calloc(1, sizeof(*p));
    if (!p) {
        kafc_conf_destroy(conf);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->linger_ms = kafc__conf_int(conf, KAFC__P_LINGER_MS);
    p->delivery_timeout_ms = kafc__conf_int(conf, KAFC__P_DELIVERY_TIMEOUT_MS);
    p->max_block_ms = kafc__conf_int(conf, KAFC__P_MAX_BLOCK_MS);
    p->retry_backoff_ms = kafc__conf_int(conf, KAFC__P_RETRY_BACKOFF_MS);
    p->retry_backoff_max_ms = kafc__conf_int(conf, KAFC__P_RETRY_BACKOFF_MAX_MS);
    p->request_timeout_ms = kafc__conf_int(conf, KAFC__P_REQUEST_TIMEOUT_MS);
    p->batch_size = (int32_t)kafc__conf_int(conf, KAFC__P_BATCH_SIZE);
    p->batch_num_messages = (int32_t)kafc__conf_int(conf, KAFC__P_BATCH_NUM_MESSAGES);
    p->max_request_size = (int32_t)kafc__conf_int(conf, KAFC__P_MAX_REQUEST_SIZE);
    p->message_max_bytes = (int32_t)kafc__conf_int(conf, KAFC__P_MESSAGE_MAX_BYTES);
    p->acks = (int)kafc__conf_int(conf, KAFC__P_ACKS);
    kafc__codec_t codec = KAFC__CODEC_NONE;
    p->codec = kafc__codec_from_name(kafc__conf_str(conf, KAFC__P_COMPRESSION_TYPE), &codec)
                   ? -1
                   : (int)codec;
    p->codec_level = (int)kafc__conf_int(conf, KAFC__P_COMPRESSION_LEVEL);
    p->idempotent = (int)kafc__conf_int(conf, KAFC__P_ENABLE_IDEMPOTENCE);
    p->max_inflight = (int)kafc__conf_int(conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
    p->retries = (int32_t)kafc__conf_int(conf, KAFC__P_RETRIES);
    p->producer_id = -1;
    p->producer_epoch = -1;
    const kafc__conf_cbs_t *cbs = kafc__conf_cbs(conf);
    p->dr_cb = cbs->dr_cb;
    p->opaque = cbs->opaque;

    if (p->codec < 0 || !kafc__codec_available((kafc__codec_t)p->codec)) {
        snprintf(errstr, errstr_size, "compression.type %s is not available in this build",
                 kafc__conf_str(conf, KAFC__P_COMPRESSION_TYPE));
        free(p);
        kafc_conf_destroy(conf);
        return NULL;
    }
    if (kafc__codec_check_level((kafc__codec_t)p->codec, p->codec_level, errstr, errstr_size)) {
        free(p);
        kafc_conf_destroy(conf);
        return NULL;
    }
    kafc__mutex_init(&p->topics_lock);
    kafc__cond_init(&p->topics_cond);
    if (kafc__bufpool_init(&p->pool, (size_t)kafc__conf_int(conf, KAFC__P_BUFFER_MEMORY),
                           (size_t)p->batch_size) != KAFC_ERR_NONE ||
        kafc__partitioner_init(&p->partitioner, (int)kafc__conf_int(conf, KAFC__P_PARTITIONER),
                               cbs->partitioner_cb, cbs->partitioner_opaque, 0) != KAFC_ERR_NONE) {
        snprintf(errstr, errstr_size, "out of memory");
        kafc__cond_destroy(&p->topics_cond);
        kafc__mutex_destroy(&p->topics_lock);
        free(p);
        kafc_conf_destroy(conf);
        return NULL;
    }

    /* Keyless messages are sticky (KIP-480) for the hashing partitioners
     * except the plain consistent/fnv1a ones, which hash an empty key as
     * librdkafka does; not with a user callback. */
    int ptype = (int)kafc__conf_int(conf, KAFC__P_PARTITIONER);
    p->sticky_null = !cbs->partitioner_cb && ptype != KAFC__PARTITIONER_RANDOM &&
                     ptype != KAFC__PARTITIONER_ROUND_ROBIN &&
                     ptype != KAFC__PARTITIONER_CONSISTENT && ptype != KAFC__PARTITIONER_FNV1A;

    kafc__client_hooks_t hooks = {
        .on_start = kafc__sender_start,
        .on_loop = kafc__sender_loop,
        .on_stop = kafc__sender_stop,
        .arg = p,
        .client_out = &p->client,
    };
    /* p->client is set inside, before the I/O thread starts. */
    kafc_client_t *c = kafc__client_create(conf, &hooks, errstr, errstr_size);
    kafc_conf_destroy(conf);
    if (!c) {
        producer_free(p);
        return NULL;
    }
    p->conf = p->client->conf;
    return p;
}

KAFC_EXTERN void kafc_producer_destroy(kafc_producer_t *p, int timeout_ms)
{
    if (!p)
        return;
    if (timeout_ms != 0)
        kafc_producer_flush(p, timeout_ms);
    atomic_store(&p->destroying, 1);
    kafc__mutex_lock(&p->topics_lock);
    kafc__cond_broadcast(&p->topics_cond);
    kafc__mutex_unlock(&p->topics_lock);
    kafc__bufpool_close(&p->pool);
    /* The I/O thread fails what is left (KAFC_ERR__DESTROY) and stops. */
    kafc__client_stop(p->client);
    /* Every accepted message gets its report, even now. */
    while (kafc__client_serve(p->client, 0) > 0)
        ;
    kafc_client_destroy(p->client);
    producer_free(p);
}
