/*
 * sender — the producer's I/O-thread half (see producer.h): asks metadata
 * for new topics, gets a producer id when idempotent, drains ready batches
 * per leader into one ProduceRequest per broker (batch bytes spliced into
 * the frame, never copied), and handles responses: success, retry with
 * backoff at the head of the partition queue, failure, delivery timeout.
 *
 * I/O thread only, except where a partition lock is taken to move batches
 * on or off its queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/coord.h"
#include "error.h"
#include "producer/producer.h"
#include "util/clock.h"

/* A ProduceRequest in flight: the batches it carries, grouped by topic. */
typedef struct preq {
    struct preq *next, *prev; /* the producer's in-flight list */
    kafc_producer_t *p;
    int32_t broker;
    kafc__pbatch_t **batches; /* sorted by topic */
    int n;
    int purged; /* kafc_producer_purge(KAFC_PURGE_INFLIGHT) since sending */
} preq_t;

/* In-flight requests, for purging. I/O thread only. */
static void inflight_link(kafc_producer_t *p, preq_t *r)
{
    r->prev = NULL;
    r->next = p->inflight_reqs;
    if (r->next)
        r->next->prev = r;
    p->inflight_reqs = r;
}

static void inflight_unlink(kafc_producer_t *p, preq_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        p->inflight_reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static int64_t now_ms(kafc_producer_t *p)
{
    return p->client->sel.now_ms;
}

/* ---- metadata for new topics -------------------------------------------- */

static void md_answer(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    kafc_producer_t *p = arg;
    if (err == KAFC_ERR_NONE) {
        kafc__producer_metadata_update(p);
        return;
    }
    if (err == KAFC_ERR__DESTROY)
        return;
    kafc__log(&p->client->log, KAFC_LOG_WARNING, "producer", "metadata request failed: %s",
              errstr ? errstr : kafc_err_str(err));
    /* Ask again on the next loop for whatever is still unknown. */
    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t; t = t->next)
        if (t->npartitions <= 0)
            t->metadata_asked = 0;
    kafc__mutex_unlock(&p->topics_lock);
}

static void ask_metadata(kafc_producer_t *p)
{
    const char *names[64];
    size_t n = 0;
    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t && n < 64; t = t->next)
        if (t->npartitions <= 0 && !t->metadata_asked) {
            t->metadata_asked = 1;
            names[n++] = t->name;
        }
    kafc__mutex_unlock(&p->topics_lock);
    if (n)
        kafc__cluster_metadata_request(&p->client->cluster, names, n,
                                       (int)(p->max_block_ms > 0 ? p->max_block_ms : 60000),
                                       md_answer, p);
}

/* ---- producer id (idempotence) ------------------------------------------ */

static void reset_sequences(kafc_producer_t *p);

static kafc_err_t pid_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc_producer_t *p = req->arg;
    kafc__init_producer_id_request_t m;
    kafc__init_producer_id_request_init(&m);
    /* v3+ (KIP-360): ask for a bumped epoch of the id we have. Older
     * brokers hand out a new id instead, which serves the same purpose. */
    m.producer_id = p->producer_id;
    m.producer_epoch = p->producer_epoch;
    m.transactional_id = (kafc__slice_t){NULL, -1};
    m.transaction_timeout_ms = 60000;
    return kafc__init_producer_id_request_encode(&m, version, w);
}

static void pid_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc_producer_t *p = req->arg;
    if (err == KAFC_ERR__DESTROY)
        return;
    if (err == KAFC_ERR_NONE) {
        kafc__arena_t a;
        kafc__init_producer_id_response_t m;
        kafc__arena_init(&a);
        err = kafc__init_producer_id_response_decode(&m, req->version, body, &a);
        kafc__arena_destroy(&a);
        if (err == KAFC_ERR_NONE)
            err = m.error_code;
        if (err == KAFC_ERR_NONE) {
            int bumped = p->producer_id >= 0;
            p->producer_id = m.producer_id;
            p->producer_epoch = m.producer_epoch;
            p->pid_state = 2;
            if (bumped)
                reset_sequences(p);
            kafc__log(&p->client->log, KAFC_LOG_DEBUG, "eos", "producer id %lld epoch %d",
                      (long long)m.producer_id, m.producer_epoch);
            return;
        }
    }
    p->pid_state = 0; /* ask again on the next loop */
    if (!kafc__err_retriable(err) && err != KAFC_ERR__TRANSPORT && err != KAFC_ERR__TIMED_OUT) {
        snprintf(p->fatal_str, sizeof(p->fatal_str), "InitProducerId failed: %s",
                 req->errstr[0] ? req->errstr : kafc_err_str(err));
        atomic_store(&p->fatal_err, err == KAFC_ERR__UNSUPPORTED_VERSION ? err : KAFC_ERR__FATAL);
        kafc__log(&p->client->log, KAFC_LOG_ERR, "producer", "fatal: %s", p->fatal_str);
    }
}

/* After an epoch bump every partition starts again at sequence 0; batches
 * not yet acknowledged get new sequences when next sent. I/O thread. */
static void reset_sequences(kafc_producer_t *p)
{
    p->bump_pending = 0;
    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t; t = t->next)
        for (int32_t i = 0; i < t->npartitions; i++) {
            kafc__ppart_t *part = &t->parts[i];
            kafc__spin_lock(&part->lock);
            part->next_sequence = 0;
            for (kafc__pbatch_t *b = part->head; b; b = b->next)
                b->base_sequence = -1;
            kafc__spin_unlock(&part->lock);
        }
    kafc__mutex_unlock(&p->topics_lock);
    kafc__log(&p->client->log, KAFC_LOG_NOTICE, "eos",
              "producer epoch bumped to %d: sequence numbers start again", p->producer_epoch);
}

static void ask_pid(kafc_producer_t *p)
{
    kafc__broker_t *b = kafc__cluster_any_broker(&p->client->cluster);
    if (!b)
        return;
    kafc__request_t *req =
        kafc__request_new(KAFC__API_INIT_PRODUCER_ID, 0, 4, pid_encode, pid_done, p);
    if (!req)
        return;
    p->pid_state = 1;
    kafc__netclient_send(&b->nc, req);
}

/* ---- ProduceRequest ----------------------------------------------------- */

static int cmp_topic(const void *a, const void *b)
{
    const kafc__pbatch_t *x = *(kafc__pbatch_t *const *)a, *y = *(kafc__pbatch_t *const *)b;
    int c = strcmp(x->part->topic->name, y->part->topic->name);
    return c ? c : (x->part->id > y->part->id) - (x->part->id < y->part->id);
}

static void put_str(kafc__wbuf_t *w, const char *s, int flex)
{
    if (flex)
        kafc__wbuf_put_compact_string(w, s, -1);
    else
        kafc__wbuf_put_string(w, s, -1);
}

static void put_count(kafc__wbuf_t *w, int32_t n, int flex)
{
    if (flex)
        kafc__wbuf_put_compact_array_len(w, n);
    else
        kafc__wbuf_put_array_len(w, n);
}

/* Hand-written so that batch bytes are spliced in, not copied: v3..v10. */
static kafc_err_t produce_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    preq_t *r = req->arg;
    kafc_producer_t *p = r->p;
    int flex = version >= 9;
    put_str(w, NULL, flex); /* transactional_id */
    kafc__wbuf_put_i16(w, (int16_t)p->acks);
    kafc__wbuf_put_i32(w, (int32_t)p->request_timeout_ms);
    int ntopics = 0;
    for (int i = 0; i < r->n; i++)
        if (i == 0 || r->batches[i]->part->topic != r->batches[i - 1]->part->topic)
            ntopics++;
    put_count(w, ntopics, flex);
    for (int i = 0; i < r->n;) {
        kafc__ptopic_t *t = r->batches[i]->part->topic;
        int j = i;
        while (j < r->n && r->batches[j]->part->topic == t)
            j++;
        put_str(w, t->name, flex);
        put_count(w, j - i, flex);
        for (; i < j; i++) {
            kafc__pbatch_t *b = r->batches[i];
            kafc__wbuf_put_i32(w, b->part->id);
            if (flex)
                kafc__wbuf_put_uvarint(w, (uint32_t)b->wire_len + 1);
            else
                kafc__wbuf_put_i32(w, (int32_t)b->wire_len);
            kafc_err_t err = kafc__request_add_payload(req, w, b->wire, b->wire_len);
            if (err)
                return err;
            if (flex)
                kafc__wbuf_put_uvarint(w, 0);
        }
        if (flex)
            kafc__wbuf_put_uvarint(w, 0);
    }
    if (flex)
        kafc__wbuf_put_uvarint(w, 0);
    return kafc__wbuf_err(w);
}

/* Puts b back into its partition queue in creation order: ahead of every
 * batch created after it. Responses to consecutive batches can fail one
 * after the other; each goes back in its own place, so a partition's
 * batches always leave in the order they were produced (and, when
 * idempotent, in sequence order). */
static void requeue(kafc_producer_t *p, kafc__pbatch_t *b, int64_t backoff)
{
    kafc__ppart_t *part = b->part;
    b->retry_at_ms = now_ms(p) + backoff;
    kafc__spin_lock(&part->lock);
    kafc__pbatch_t **pp = &part->head;
    while (*pp && (*pp)->order < b->order)
        pp = &(*pp)->next;
    b->next = *pp;
    *pp = b;
    if (!b->next)
        part->tail = b;
    part->nqueued++;
    kafc__spin_unlock(&part->lock);
}

static int64_t backoff_for(kafc_producer_t *p, int attempts)
{
    int64_t b = p->retry_backoff_ms;
    for (int i = 1; i < attempts && b < p->retry_backoff_max_ms; i++)
        b *= 2;
    return b > p->retry_backoff_max_ms ? p->retry_backoff_max_ms : b;
}

/* The outcome of one batch. */
/* In-flight bookkeeping per partition (I/O thread only). */
static void inflight_add(kafc_producer_t *p, kafc__pbatch_t *b)
{
    kafc__ppart_t *part = b->part;
    if (part->inflight < (int)(sizeof(part->inflight_orders) / sizeof(part->inflight_orders[0])))
        part->inflight_orders[part->inflight] = b->order;
    part->inflight++;
    p->inflight_total++;
}

static void inflight_del(kafc_producer_t *p, kafc__pbatch_t *b)
{
    kafc__ppart_t *part = b->part;
    int n = part->inflight < 8 ? part->inflight : 8;
    for (int i = 0; i < n; i++)
        if (part->inflight_orders[i] == b->order) {
            part->inflight_orders[i] = part->inflight_orders[n - 1];
            break;
        }
    part->inflight--;
    p->inflight_total--;
}

/* True when a batch of b's partition created before b is not acknowledged
 * yet (waiting for a retry, or in flight again): b's
 * OUT_OF_ORDER_SEQUENCE_NUMBER is then just the consequence of that gap. */
static int earlier_batch_pending(kafc__pbatch_t *b)
{
    kafc__ppart_t *part = b->part;
    int n = part->inflight < 8 ? part->inflight : 8;
    for (int i = 0; i < n; i++)
        if (part->inflight_orders[i] < b->order)
            return 1;
    int found = 0;
    kafc__spin_lock(&part->lock);
    for (kafc__pbatch_t *q = part->head; q && !found; q = q->next)
        found = q->sent_once && q->order < b->order;
    kafc__spin_unlock(&part->lock);
    return found;
}

static void batch_result(kafc_producer_t *p, kafc__pbatch_t *b, kafc_err_t err, int64_t base_offset,
                         int64_t log_append_time)
{
    inflight_del(p, b);
    if (err == KAFC_ERR_NONE || err == KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        kafc__producer_report(p, b, KAFC_ERR_NONE, p->acks == 0 ? -1 : base_offset, log_append_time,
                              p->acks == 0 ? KAFC_POSSIBLY_PERSISTED : KAFC_PERSISTED);
        return;
    }
    kafc__cluster_note_error(&p->client->cluster, err, b->part->topic->name);
    if (err == KAFC_ERR_PRODUCER_FENCED || err == KAFC_ERR_INVALID_PRODUCER_EPOCH ||
        err == KAFC_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
        err == KAFC_ERR_CLUSTER_AUTHORIZATION_FAILED) {
        /* The producer cannot go on: every later produce fails with it. */
        if (!atomic_load(&p->fatal_err)) {
            snprintf(p->fatal_str, sizeof(p->fatal_str), "%s producing to %s [%d]: %s",
                     kafc_err_name(err), b->part->topic->name, b->part->id, kafc_err_str(err));
            atomic_store(&p->fatal_err, err);
            kafc__log(&p->client->log, KAFC_LOG_ERR, "producer", "fatal error: %s", p->fatal_str);
        }
        kafc__producer_report(p, b, err, -1, -1, KAFC_NOT_PERSISTED);
        return;
    }
    if (err == KAFC_ERR_MESSAGE_TOO_LARGE && now_ms(p) < b->deadline_ms) {
        kafc__pbatch_t *x, *y;
        if (kafc__producer_split(p, b, &x, &y) == 0) {
            /* Second half first: requeue puts equal orders ahead. */
            requeue(p, y, 0);
            requeue(p, x, 0);
            return;
        }
    }
    if (p->idempotent && err == KAFC_ERR_UNKNOWN_PRODUCER_ID) {
        /* The broker forgot us (log truncated): KIP-360 epoch bump, then
         * the batch goes again with new sequences. */
        p->bump_pending = 1;
        err = KAFC_ERR__TRANSPORT; /* retry it below */
    } else if (p->idempotent && err == KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER &&
               !earlier_batch_pending(b)) {
        /* A gap nobody explains: this batch fails (as in Java); the epoch
         * is bumped so later batches can go on with fresh sequences. */
        p->bump_pending = 1;
        kafc__log(&p->client->log, KAFC_LOG_WARNING, "eos",
                  "%s [%d]: out-of-order sequence %d: failing the batch, bumping the epoch",
                  b->part->topic->name, b->part->id, b->base_sequence);
        kafc__producer_report(p, b, err, -1, -1, KAFC_NOT_PERSISTED);
        return;
    }
    int retriable = kafc__err_retriable(err) || err == KAFC_ERR__TRANSPORT ||
                    err == KAFC_ERR__TIMED_OUT ||
                    (p->idempotent && err == KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    if (retriable && b->attempts < p->retries && now_ms(p) < b->deadline_ms &&
        !atomic_load(&p->destroying)) {
        b->attempts++;
        requeue(p, b, backoff_for(p, b->attempts));
        return;
    }
    kafc_persisted_t st = err == KAFC_ERR__TRANSPORT || err == KAFC_ERR__TIMED_OUT
                              ? KAFC_POSSIBLY_PERSISTED
                              : KAFC_NOT_PERSISTED;
    if (retriable && now_ms(p) >= b->deadline_ms)
        err = KAFC_ERR__MSG_TIMED_OUT;
    kafc__producer_report(p, b, err, -1, -1, st);
}

static void produce_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    preq_t *r = req->arg;
    kafc_producer_t *p = r->p;
    inflight_unlink(p, r);
    if (r->purged) {
        /* The batch memory was borrowed by the request until now. */
        for (int i = 0; i < r->n; i++) {
            inflight_del(p, r->batches[i]);
            kafc__producer_report(p, r->batches[i], KAFC_ERR__PURGE_INFLIGHT, -1, -1,
                                  KAFC_POSSIBLY_PERSISTED);
        }
        goto out;
    }
    if (err == KAFC_ERR__DESTROY) {
        for (int i = 0; i < r->n; i++) {
            inflight_del(p, r->batches[i]);
            kafc__producer_report(p, r->batches[i], KAFC_ERR__DESTROY, -1, -1,
                                  KAFC_POSSIBLY_PERSISTED);
        }
        goto out;
    }
    if (err == KAFC_ERR_NONE && body == NULL) { /* acks=0: done when sent */
        for (int i = 0; i < r->n; i++)
            batch_result(p, r->batches[i], KAFC_ERR_NONE, -1, -1);
        goto out;
    }
    kafc__arena_t a;
    kafc__produce_response_t m;
    kafc__arena_init(&a);
    if (err == KAFC_ERR_NONE)
        err = kafc__produce_response_decode(&m, req->version, body, &a);
    for (int i = 0; i < r->n; i++) {
        kafc__pbatch_t *b = r->batches[i];
        kafc_err_t berr = err;
        int64_t off = -1, lat = -1;
        if (err == KAFC_ERR_NONE) {
            berr = KAFC_ERR__BAD_MSG; /* absent from the answer */
            for (int32_t ti = 0; ti < m.responses.count; ti++) {
                kafc__produce_response_topic_produce_response_t *tr = &m.responses.items[ti];
                if (!kafc__proto_slice_is(tr->name, b->part->topic->name,
                                          (int32_t)strlen(b->part->topic->name)))
                    continue;
                for (int32_t pi = 0; pi < tr->partition_responses.count; pi++) {
                    kafc__produce_response_partition_produce_response_t *pr =
                        &tr->partition_responses.items[pi];
                    if (pr->index == b->part->id) {
                        berr = pr->error_code;
                        off = pr->base_offset;
                        lat = pr->log_append_time_ms;
                    }
                }
            }
        }
        batch_result(p, b, berr, off, lat);
    }
    kafc__arena_destroy(&a);
out:
    free(r->batches);
    free(r);
}

/* ---- draining ----------------------------------------------------------- */

/* Readies b's wire bytes: close (compress) and producer fields. */
static kafc_err_t seal(kafc_producer_t *p, kafc__pbatch_t *b)
{
    if (b->wire) {
        /* A retry: same bytes and sequence, unless an epoch bump reset the
         * sequences: then new producer fields (the CRC is recomputed). */
        if (p->idempotent && b->base_sequence < 0) {
            b->base_sequence = b->part->next_sequence;
            b->part->next_sequence += b->nmsgs;
            return kafc__batch_set_producer(b->wire, b->wire_len, p->producer_id, p->producer_epoch,
                                            b->base_sequence);
        }
        return KAFC_ERR_NONE;
    }
    if (p->idempotent) {
        if (b->base_sequence < 0) {
            b->base_sequence = b->part->next_sequence;
            b->part->next_sequence += b->nmsgs;
        }
        kafc__batch_builder_set_producer(&b->b, p->producer_id, p->producer_epoch,
                                         b->base_sequence);
    }
    if (p->codec != KAFC__CODEC_NONE) {
        size_t bound = kafc__batch_compressed_bound(&b->b, (kafc__codec_t)p->codec);
        uint8_t *dst = malloc(bound);
        size_t len = 0;
        if (dst &&
            kafc__batch_close_compressed(&b->b, p->cctx, (kafc__codec_t)p->codec, p->codec_level,
                                         dst, bound, &len) == KAFC_ERR_NONE) {
            b->wire = dst;
            b->wire_len = len;
            b->wire_owned = 1;
            return KAFC_ERR_NONE;
        }
        free(dst); /* not smaller, or failed: send it uncompressed */
    }
    b->wire_len = kafc__batch_close(&b->b);
    b->wire = b->buf;
    return KAFC_ERR_NONE;
}

typedef struct broker_batches {
    int32_t broker;
    kafc__pbatch_t **v;
    int n, cap;
    size_t bytes;
} broker_batches_t;

static int add_to(broker_batches_t *bb, kafc__pbatch_t *b)
{
    if (bb->n == bb->cap) {
        int cap = bb->cap ? bb->cap * 2 : 16;
        kafc__pbatch_t **v = realloc(bb->v, (size_t)cap * sizeof(*v));
        if (!v)
            return -1;
        bb->v = v;
        bb->cap = cap;
    }
    bb->v[bb->n++] = b;
    /* Sealed (compressed) later, outside the locks: count the raw size. */
    bb->bytes += b->wire ? b->wire_len : kafc__batch_size(&b->b);
    return 0;
}

static void send_request(kafc_producer_t *p, broker_batches_t *bb)
{
    kafc__broker_t *br = kafc__cluster_broker(&p->client->cluster, bb->broker);
    preq_t *r = calloc(1, sizeof(*r));
    kafc__request_t *req =
        r ? kafc__request_new(KAFC__API_PRODUCE, 3, 10, produce_encode, produce_done, r) : NULL;
    if (!br || !req) {
        free(r);
        for (int i = 0; i < bb->n; i++) {
            inflight_add(p, bb->v[i]); /* batch_result removes it */
            batch_result(p, bb->v[i], KAFC_ERR__TRANSPORT, -1, -1);
        }
        free(bb->v);
        return;
    }
    /* Compression and producer fields, with no lock held: produce() on
     * other threads is not kept waiting. */
    for (int i = 0; i < bb->n; i++)
        seal(p, bb->v[i]);
    qsort(bb->v, (size_t)bb->n, sizeof(*bb->v), cmp_topic);
    r->p = p;
    r->broker = bb->broker;
    r->batches = bb->v;
    r->n = bb->n;
    req->no_response = p->acks == 0;
    req->fail_unsent_on_down = 1; /* requeued by the producer, in order */
    for (int i = 0; i < bb->n; i++) {
        inflight_add(p, bb->v[i]);
        bb->v[i]->sent_once = 1;
    }
    inflight_link(p, r);
    kafc__netclient_send(&br->nc, req);
}

/* Fails and removes queued batches past their delivery timeout, or all of
 * them when purging/destroying. Partition lock held by the caller. */
static kafc__pbatch_t *take_expired(kafc_producer_t *p, kafc__ppart_t *part, int purge)
{
    kafc__pbatch_t *out = NULL, **tail = &out;
    kafc__pbatch_t **pp = &part->head, *prev = NULL;
    int64_t now = now_ms(p);
    while (*pp) {
        kafc__pbatch_t *b = *pp;
        if (purge || now >= b->deadline_ms) {
            *pp = b->next;
            b->next = NULL;
            *tail = b;
            tail = &b->next;
            part->nqueued--;
            continue;
        }
        prev = b;
        pp = &b->next;
    }
    part->tail = prev;
    return out;
}

/* Scans every partition: expires, purges, and sends what is ready.
 * Returns the earliest time something will become ready (for the timer). */
static int64_t drain(kafc_producer_t *p)
{
    int64_t now = now_ms(p), next_due = INT64_MAX;
    int flush = atomic_load(&p->flush_requested) > 0 || atomic_load(&p->destroying);
    /* Read before writing: the line is shared with fields every produce()
     * touches. */
    int purge = atomic_load(&p->purge_flags) ? atomic_exchange(&p->purge_flags, 0) : 0;
    if (purge & KAFC_PURGE_INFLIGHT)
        for (preq_t *r = p->inflight_reqs; r; r = r->next)
            r->purged = 1;
    broker_batches_t per[64];
    int nper = 0;
    /* Per partition: max.in.flight.requests.per.connection (<= 5 when
     * idempotent; more in flight then relies on the broker's sequence
     * checks to keep order across retries). */
    int max_per_part = p->max_inflight;

    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t; t = t->next) {
        for (int32_t i = 0; i < t->npartitions; i++) {
            kafc__ppart_t *part = &t->parts[i];
            kafc__pbatch_t *expired = NULL;
            /* Nothing queued: nothing to send or expire, and no lock to
             * take from a producing thread. A batch queued after this
             * read gets another loop iteration: produce() increments
             * nqueued, then pokes the selector (both seq_cst), and the
             * selector clears its poke before the hooks run, so either
             * this read sees the batch or the poke comes after the clear
             * and the loop does not block (kafc__selector_poke). */
            if (atomic_load(&part->nqueued) == 0 && !(purge & KAFC_PURGE_QUEUE))
                continue;
            kafc__spin_lock(&part->lock);
            if (part->head && (purge & KAFC_PURGE_QUEUE || part->head->deadline_ms <= now))
                expired = take_expired(p, part, purge & KAFC_PURGE_QUEUE);
            do { /* at most one batch of this partition; break = done with it */
                if (!part->head || part->inflight >= max_per_part)
                    break;
                kafc__pbatch_t *b = part->head;
                int ready = b->closed || flush || now - b->created_ms >= p->linger_ms;
                if (!ready) {
                    if (b->created_ms + p->linger_ms < next_due)
                        next_due = b->created_ms + p->linger_ms;
                    break;
                }
                if (b->retry_at_ms > now) {
                    if (b->retry_at_ms < next_due)
                        next_due = b->retry_at_ms;
                    break;
                }
                kafc__broker_t *br = part->leader >= 0
                                         ? kafc__cluster_broker(&p->client->cluster, part->leader)
                                         : NULL;
                if (!br) {
                    kafc__cluster_refresh(&p->client->cluster, "partition without leader");
                    break;
                }
                if (br->nc.state != KAFC__NC_UP) {
                    kafc__netclient_connect(&br->nc);
                    break;
                }
                if (p->idempotent && (p->pid_state != 2 || p->bump_pending))
                    break;
                /* One request per broker per scan, bounded by max.request.size. */
                int k;
                for (k = 0; k < nper && per[k].broker != part->leader; k++)
                    ;
                if (k == nper) {
                    if (nper == 64)
                        break;
                    memset(&per[nper], 0, sizeof(per[nper]));
                    per[nper].broker = part->leader;
                    nper++;
                }
                if (per[k].n && per[k].bytes + b->cap > (size_t)p->max_request_size) {
                    next_due = now;
                    break;
                }
                part->head = b->next;
                if (!part->head)
                    part->tail = NULL;
                part->nqueued--;
                b->next = NULL;
                b->closed = 1;
                if (add_to(&per[k], b) < 0) {
                    /* Out of memory: put it back and try later. */
                    b->next = part->head;
                    part->head = b;
                    if (!part->tail)
                        part->tail = b;
                    part->nqueued++;
                    break;
                }
                /* A ProduceRequest carries at most one batch per partition
                 * (brokers do not promise to apply two in order); the next
                 * one goes in the next request. */
                if (part->head)
                    next_due = now;
            } while (0);
            kafc__spin_unlock(&part->lock);
            while (expired) {
                kafc__pbatch_t *n = expired->next;
                /* A sent batch given up leaves a sequence gap (KIP-360). */
                if (p->idempotent && expired->sent_once)
                    p->bump_pending = 1;
                kafc_err_t e =
                    purge & KAFC_PURGE_QUEUE ? KAFC_ERR__PURGE_QUEUE : KAFC_ERR__MSG_TIMED_OUT;
                kafc__producer_report(p, expired, e, -1, -1,
                                      expired->sent_once ? KAFC_POSSIBLY_PERSISTED
                                                         : KAFC_NOT_PERSISTED);
                expired = n;
            }
        }
    }
    kafc__mutex_unlock(&p->topics_lock);
    for (int k = 0; k < nper; k++)
        if (per[k].n)
            send_request(p, &per[k]);
        else
            free(per[k].v);
    return next_due;
}

/* ---- hooks -------------------------------------------------------------- */

static void on_timer(void *arg)
{
    (void)arg; /* the loop hook runs after every iteration */
}

void kafc__sender_start(kafc_client_t *c, void *arg)
{
    kafc_producer_t *p = arg;
    p->cctx = kafc__codec_ctx_new();
}

void kafc__sender_loop(kafc_client_t *c, void *arg)
{
    kafc_producer_t *p = arg;
    if (c->cluster.md_updated_ms != p->md_version_seen) {
        p->md_version_seen = c->cluster.md_updated_ms;
        kafc__producer_metadata_update(p);
    }
    ask_metadata(p);
    if (p->idempotent && p->bump_pending && p->pid_state == 2 && p->inflight_total == 0)
        p->pid_state = 0; /* bump now: nothing of the old epoch in flight */
    if (p->idempotent && p->pid_state == 0 && !atomic_load(&p->fatal_err))
        ask_pid(p);
    int64_t due = drain(p);
    if (due != INT64_MAX)
        kafc__timer_start_at(&c->sel, &p->linger_timer, due, on_timer, p);
    else
        kafc__timer_stop(&c->sel, &p->linger_timer);
}

void kafc__sender_stop(kafc_client_t *c, void *arg)
{
    kafc_producer_t *p = arg;
    kafc__timer_stop(&c->sel, &p->linger_timer);
    /* Everything still queued fails now; what is in flight fails when the
     * cluster closes its connections (KAFC_ERR__DESTROY). */
    kafc__mutex_lock(&p->topics_lock);
    for (kafc__ptopic_t *t = p->topics; t; t = t->next)
        for (int32_t i = 0; i < t->npartitions; i++) {
            kafc__ppart_t *part = &t->parts[i];
            kafc__spin_lock(&part->lock);
            kafc__pbatch_t *left = take_expired(p, part, 1);
            kafc__spin_unlock(&part->lock);
            while (left) {
                kafc__pbatch_t *n = left->next;
                kafc__producer_report(p, left, KAFC_ERR__DESTROY, -1, -1,
                                      left->sent_once ? KAFC_POSSIBLY_PERSISTED
                                                      : KAFC_NOT_PERSISTED);
                left = n;
            }
        }
    kafc__mutex_unlock(&p->topics_lock);
    kafc__codec_ctx_destroy(p->cctx);
    p->cctx = NULL;
}
