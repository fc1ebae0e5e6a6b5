/*
 * fetcher — the consumer's reading side on the I/O thread: one Fetch in
 * flight per broker for the assigned partitions led by it (or by their
 * preferred read replica, KIP-392), ListOffsets for partitions whose start
 * is a logical offset, and the hand-over of fetched records to poll.
 *
 * A Fetch response's frame is kept whole (kafc__request_take_response) in
 * a reference-counted buffer; each partition's records become a chunk that
 * points into it. Before queuing, the batch headers are walked (CRC-checked
 * when check.crcs is set) to find the next fetch offset and to cut the
 * records at a corrupt batch. Prefetch stops while the buffers alive exceed
 * queued.max.messages.kbytes; freeing one below the bound wakes the fetcher.
 *
 * I/O thread only, taking c->lock around the partition table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "error.h"
#include "conf.h"
#include "consumer/consumer.h"
#include "proto/proto.h"
#include "util/clock.h"

#define FETCH_MIN_VERSION 4
#define FETCH_MAX_VERSION 11
#define MIN_FETCH_BYTES (64 * 1024)
#define LO_MIN_VERSION 1
#define LO_MAX_VERSION 3
#define MAX_BROKERS_BUSY ((int)(sizeof(((kafc_consumer_t *)0)->fetch_busy) / sizeof(int32_t)))

/* One partition of a request, as it was when the request was built. */
typedef struct fpart {
    kafc__cpart_t *p;
    int version;
    int64_t offset;
    int32_t epoch;
} fpart_t;

typedef struct freq {
    kafc_consumer_t *c;
    int32_t broker;
    fpart_t *parts;
    int n;
    int is_fetch;       /* else ListOffsets */
    int32_t max_bytes;  /* Fetch: what it may bring (reserved against the bound) */
    int live;           /* Fetch: partitions not known to be at their end */
    struct lo_app *app; /* an application's ListOffsets */
} freq_t;

static void freq_free(freq_t *r)
{
    free(r->parts);
    free(r);
}

/* ---- leader lookup ----------------------------------------------------------- */

static const kafc__md_partition_t *md_part(kafc_consumer_t *c, const char *topic, int32_t id)
{
    const kafc__md_topic_t *t = kafc__md_topic(&c->client->cluster.md, topic);
    if (!t)
        return NULL;
    if (id < t->npartitions && t->partitions[id].id == id)
        return &t->partitions[id];
    for (int i = 0; i < t->npartitions; i++)
        if (t->partitions[i].id == id)
            return &t->partitions[i];
    return NULL;
}

/* ---- Fetch ---------------------------------------------------------------------- */

static int cmp_fpart(const void *a, const void *b)
{
    const fpart_t *x = a, *y = b;
    int c = strcmp(x->p->topic, y->p->topic);
    return c ? c : (x->p->partition > y->p->partition) - (x->p->partition < y->p->partition);
}

static kafc_err_t fetch_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    freq_t *r = req->arg;
    kafc_consumer_t *c = r->c;
    kafc__fetch_request_t m;
    kafc__fetch_request_init(&m);
    m.replica_id = -1;
    m.max_wait_ms = c->max_wait_ms;
    m.min_bytes = c->fetch_min_bytes;
    m.max_bytes = r->max_bytes;
    m.isolation_level = c->read_committed ? 1 : 0;
    m.session_id = 0;
    m.session_epoch = -1; /* no fetch session: full requests */
    m.rack_id = kafc__proto_str(c->rack ? c->rack : "");

    /* Topics: runs of equal names in the sorted parts. */
    int nt = 0;
    for (int i = 0; i < r->n; i++)
        if (i == 0 || strcmp(r->parts[i].p->topic, r->parts[i - 1].p->topic) != 0)
            nt++;
    kafc__fetch_request_topic_t *topics = calloc((size_t)(nt > 0 ? nt : 1), sizeof(*topics));
    kafc__fetch_request_partition_t *parts = calloc((size_t)(r->n > 0 ? r->n : 1), sizeof(*parts));
    if (!topics || !parts) {
        free(topics);
        free(parts);
        return KAFC_ERR__NO_MEMORY;
    }
    int t = -1;
    for (int i = 0; i < r->n; i++) {
        if (i == 0 || strcmp(r->parts[i].p->topic, r->parts[i - 1].p->topic) != 0) {
            t++;
            kafc__fetch_request_topic_init(&topics[t]);
            topics[t].topic = kafc__proto_str(r->parts[i].p->topic);
            topics[t].partitions.items = &parts[i];
            topics[t].partitions.count = 0;
        }
        kafc__fetch_request_partition_t *fp = &parts[i];
        kafc__fetch_request_partition_init(fp);
        fp->partition = r->parts[i].p->partition;
        fp->current_leader_epoch = r->parts[i].epoch;
        fp->fetch_offset = r->parts[i].offset;
        fp->log_start_offset = -1;
        fp->partition_max_bytes =
            c->partition_max_bytes < r->max_bytes ? c->partition_max_bytes : r->max_bytes;
        topics[t].partitions.count++;
    }
    m.topics.items = topics;
    m.topics.count = nt;
    m.forgotten_topics_data.count = 0;
    kafc_err_t err = kafc__fetch_request_encode(&m, version, w);
    free(topics);
    free(parts);
    return err;
}

static fpart_t *find_fpart(freq_t *r, kafc__slice_t topic, int32_t partition)
{
    for (int i = 0; i < r->n; i++) {
        kafc__cpart_t *p = r->parts[i].p;
        if (p->partition == partition && (int32_t)strlen(p->topic) == topic.len &&
            memcmp(p->topic, topic.ptr, (size_t)topic.len) == 0)
            return &r->parts[i];
    }
    return NULL;
}

static void busy_clear(kafc_consumer_t *c, int32_t broker);

/* A retriable problem with a partition: refresh metadata, try later. */
static void part_backoff(kafc_consumer_t *c, kafc__cpart_t *p, kafc_err_t err)
{
    p->retry_at_ms = kafc__clock_ms() + c->retry_backoff_ms;
    p->preferred_replica = -1;
    kafc__cluster_note_error(&c->client->cluster, err, p->topic);
}

static void offset_reset(kafc_consumer_t *c, kafc__cpart_t *p, int64_t at)
{
    if (c->auto_reset == KAFC__AUTO_OFFSET_RESET_NONE) {
        p->state = KAFC__CP_FAILED;
        kafc__consumer_event(c, p, KAFC_ERR_OFFSET_OUT_OF_RANGE, at,
                             "%s [%d]: offset %lld is out of range and auto.offset.reset is none",
                             p->topic, p->partition, (long long)at);
        return;
    }
    p->state = KAFC__CP_NEED_RESET;
    p->reset_to =
        c->auto_reset == KAFC__AUTO_OFFSET_RESET_EARLIEST ? KAFC_OFFSET_BEGINNING : KAFC_OFFSET_END;
    kafc__log(&c->client->log, KAFC_LOG_NOTICE, "fetch",
              "%s [%d]: offset %lld out of range: resetting to the %s", p->topic, p->partition,
              (long long)at, p->reset_to == KAFC_OFFSET_BEGINNING ? "beginning" : "end");
}

/* Walks the batch headers of one partition's records: queues the whole
 * batches as a chunk, moves the fetch position past them, and stops at a
 * corrupt batch with an error event. Under c->lock. */
static void take_records(kafc_consumer_t *c, fpart_t *fp, kafc__fbuf_t *buf,
                         const kafc__fetch_response_partition_data_t *pd)
{
    kafc__cpart_t *p = fp->p;
    kafc__batch_iter_t it;
    kafc__batch_view_t bv;
    int64_t next = fp->offset;
    kafc__batch_iter_init(&it, pd->records.ptr, pd->records.len > 0 ? (size_t)pd->records.len : 0,
                          c->check_crcs);
    while (kafc__batch_iter_next(&it, &bv)) {
        int64_t last = kafc__batch_view_last_offset(&bv);
        if (last + 1 > next)
            next = last + 1;
    }
    size_t whole = kafc__batch_iter_consumed(&it);
    kafc_err_t err = kafc__batch_iter_err(&it);
    if (whole > 0 && next > fp->offset) {
        kafc__fchunk_t *ch = calloc(1, sizeof(*ch));
        int naborted = pd->aborted_transactions.count > 0 ? pd->aborted_transactions.count : 0;
        if (ch && c->read_committed && naborted) {
            ch->aborted = malloc((size_t)naborted * sizeof(*ch->aborted));
            if (!ch->aborted) {
                free(ch);
                ch = NULL;
            }
        }
        if (!ch) {
            p->retry_at_ms = kafc__clock_ms() + c->retry_backoff_ms;
            return;
        }
        if (c->read_committed) {
            for (int i = 0; i < naborted; i++) {
                ch->aborted[i].producer_id = pd->aborted_transactions.items[i].producer_id;
                ch->aborted[i].first_offset = pd->aborted_transactions.items[i].first_offset;
            }
            /* Sorted by first offset, as the cursor expects. */
            for (int i = 1; i < naborted; i++)
                for (int j = i;
                     j > 0 && ch->aborted[j].first_offset < ch->aborted[j - 1].first_offset; j--) {
                    kafc__aborted_t tmp = ch->aborted[j];
                    ch->aborted[j] = ch->aborted[j - 1];
                    ch->aborted[j - 1] = tmp;
                }
            ch->naborted = naborted;
        }
        ch->part = p;
        ch->version = fp->version;
        ch->buf = buf;
        kafc__fbuf_ref(buf);
        ch->data = pd->records.ptr;
        ch->len = whole;
        ch->from_offset = fp->offset;
        ch->next_offset = next;
        p->fetch_pos = next;
        p->eof_sent = 0;
        kafc__consumer_enqueue(c, ch);
    }
    if (err != KAFC_ERR_NONE) {
        /* The batch at the cut is corrupt: report it at its offset and stop
         * this partition until the application seeks past it. */
        int64_t at = p->fetch_pos;
        size_t left = (size_t)pd->records.len - whole;
        if (left >= 8) { /* its base offset: outside what the CRC covers */
            const uint8_t *b = pd->records.ptr + whole;
            uint64_t v = 0;
            for (int i = 0; i < 8; i++)
                v = v << 8 | b[i];
            if ((int64_t)v >= at)
                at = (int64_t)v;
        }
        p->state = KAFC__CP_FAILED;
        kafc__consumer_event(c, p, err, at, "%s [%d]: corrupt batch at offset %lld: %s", p->topic,
                             p->partition, (long long)at, kafc_err_str(err));
        kafc__log(&c->client->log, KAFC_LOG_ERR, "fetch",
                  "%s [%d]: corrupt batch at offset %lld: %s", p->topic, p->partition,
                  (long long)at, kafc_err_str(err));
    }
}

static void fetch_partition(kafc_consumer_t *c, freq_t *r, kafc__fbuf_t *buf, int16_t version,
                            kafc__slice_t topic, const kafc__fetch_response_partition_data_t *pd)
{
    fpart_t *fp = find_fpart(r, topic, pd->partition_index);
    if (!fp)
        return;
    kafc__cpart_t *p = fp->p;
    p->fetch_inflight = 0;
    if (atomic_load(&p->version) != fp->version || p->state != KAFC__CP_ACTIVE || !p->assigned)
        return; /* seeked, paused, revoked meanwhile */
    kafc_err_t err = pd->error_code;
    if (err == KAFC_ERR_NONE) {
        p->hwm = pd->high_watermark;
        p->lso = pd->last_stable_offset;
        if (pd->log_start_offset >= 0)
            p->log_start = pd->log_start_offset;
        if (version >= 11 && pd->preferred_read_replica >= 0 &&
            pd->preferred_read_replica != r->broker) {
            p->preferred_replica = pd->preferred_read_replica;
            p->preferred_until_ms =
                kafc__clock_ms() + kafc__conf_int(c->conf, KAFC__P_METADATA_MAX_AGE_MS);
        }
        if (pd->records.len > 0)
            take_records(c, fp, buf, pd);
        int64_t end = c->read_committed && p->lso >= 0 ? p->lso : p->hwm;
        if (c->partition_eof && !p->eof_sent && p->state == KAFC__CP_ACTIVE &&
            p->fetch_pos >= end && !p->queued) {
            p->eof_sent = 1;
            kafc__consumer_event(c, p, KAFC_ERR__PARTITION_EOF, p->fetch_pos,
                                 "%s [%d]: reached end at offset %lld", p->topic, p->partition,
                                 (long long)p->fetch_pos);
        }
        return;
    }
    switch (err) {
    case KAFC_ERR_OFFSET_OUT_OF_RANGE:
        if (p->preferred_replica >= 0) { /* the replica may lag: ask the leader */
            p->preferred_replica = -1;
            return;
        }
        offset_reset(c, p, fp->offset);
        return;
    case KAFC_ERR_TOPIC_AUTHORIZATION_FAILED:
        p->state = KAFC__CP_FAILED;
        kafc__consumer_event(c, p, err, fp->offset, "%s [%d]: %s", p->topic, p->partition,
                             kafc_err_str(err));
        return;
    default:
        kafc__log(&c->client->log, KAFC_LOG_DEBUG, "fetch", "%s [%d]: fetch error %s: retrying",
                  p->topic, p->partition, kafc_err_name(err));
        part_backoff(c, p, err);
        return;
    }
}

static void fetch_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    freq_t *r = req->arg;
    kafc_consumer_t *c = r->c;
    if (err == KAFC_ERR__DESTROY) {
        freq_free(r);
        return;
    }
    c->fetch_reqs--;
    c->fetch_reserved -= r->max_bytes;
    busy_clear(c, r->broker);
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__fetch_response_t m;
    kafc__fbuf_t *buf = NULL;
    if (err == KAFC_ERR_NONE) {
        err = kafc__fetch_response_decode(&m, req->version, body, &a);
        if (err == KAFC_ERR_NONE)
            err = m.error_code;
    }
    if (err == KAFC_ERR_NONE) {
        uint8_t *frame = kafc__request_take_response(req);
        buf = kafc__fbuf_new(c, frame, body->len);
        if (!buf) {
            free(frame);
            err = KAFC_ERR__NO_MEMORY;
        }
    }
    kafc__mutex_lock(&c->lock);
    if (err == KAFC_ERR_NONE) {
        for (int32_t t = 0; t < m.responses.count; t++) {
            const kafc__fetch_response_fetchable_topic_response_t *tr = &m.responses.items[t];
            for (int32_t i = 0; i < tr->partitions.count; i++)
                fetch_partition(c, r, buf, req->version, tr->topic, &tr->partitions.items[i]);
        }
    }
    /* Partitions the response did not mention (or every one, on error). */
    for (int i = 0; i < r->n; i++) {
        kafc__cpart_t *p = r->parts[i].p;
        if (!p->fetch_inflight)
            continue;
        p->fetch_inflight = 0;
        if (err != KAFC_ERR_NONE && atomic_load(&p->version) == r->parts[i].version)
            part_backoff(c, p, err);
    }
    kafc__mutex_unlock(&c->lock);
    if (err != KAFC_ERR_NONE && err != KAFC_ERR__DESTROY)
        kafc__log(&c->client->log, KAFC_LOG_DEBUG, "fetch", "fetch from broker %d failed: %s%s%s",
                  r->broker, kafc_err_name(err), req->errstr[0] ? ": " : "", req->errstr);
    kafc__fbuf_unref(buf);
    kafc__arena_destroy(&a);
    freq_free(r);
}

/* ---- ListOffsets ------------------------------------------------------------------ */

/* An application's single-partition ListOffsets. */
typedef struct lo_app {
    kafc_consumer_t *c;
    char *topic;
    int32_t partition;
    int64_t timestamp;
    int64_t deadline;
    kafc__lo_cb_t *cb;
    void *arg;
} lo_app_t;

static void lo_app_attempt(lo_app_t *q);
static void lo_app_req_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body);

static kafc_err_t lo_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    freq_t *r = req->arg;
    kafc__list_offsets_request_t m;
    kafc__list_offsets_request_init(&m);
    m.replica_id = -1;
    m.isolation_level = r->c->read_committed ? 1 : 0;
    int nt = 0;
    for (int i = 0; i < r->n; i++)
        if (i == 0 || strcmp(r->parts[i].p->topic, r->parts[i - 1].p->topic) != 0)
            nt++;
    kafc__list_offsets_request_topic_t *topics = calloc((size_t)(nt > 0 ? nt : 1), sizeof(*topics));
    kafc__list_offsets_request_partition_t *parts =
        calloc((size_t)(r->n > 0 ? r->n : 1), sizeof(*parts));
    if (!topics || !parts) {
        free(topics);
        free(parts);
        return KAFC_ERR__NO_MEMORY;
    }
    int t = -1;
    for (int i = 0; i < r->n; i++) {
        if (i == 0 || strcmp(r->parts[i].p->topic, r->parts[i - 1].p->topic) != 0) {
            t++;
            kafc__list_offsets_request_topic_init(&topics[t]);
            topics[t].name = kafc__proto_str(r->parts[i].p->topic);
            topics[t].partitions.items = &parts[i];
            topics[t].partitions.count = 0;
        }
        kafc__list_offsets_request_partition_init(&parts[i]);
        parts[i].partition_index = r->parts[i].p->partition;
        parts[i].timestamp = r->parts[i].offset; /* -2 earliest, -1 latest */
        parts[i].current_leader_epoch = -1;
        topics[t].partitions.count++;
    }
    m.topics.items = topics;
    m.topics.count = nt;
    kafc_err_t err = kafc__list_offsets_request_encode(&m, version, w);
    free(topics);
    free(parts);
    return err;
}

static void lo_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    freq_t *r = req->arg;
    kafc_consumer_t *c = r->c;
    if (err == KAFC_ERR__DESTROY) {
        freq_free(r);
        return;
    }
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__list_offsets_response_t m;
    if (err == KAFC_ERR_NONE)
        err = kafc__list_offsets_response_decode(&m, req->version, body, &a);
    kafc__mutex_lock(&c->lock);
    if (err == KAFC_ERR_NONE) {
        for (int32_t t = 0; t < m.topics.count; t++) {
            const kafc__list_offsets_response_topic_response_t *tr = &m.topics.items[t];
            for (int32_t i = 0; i < tr->partitions.count; i++) {
                const kafc__list_offsets_response_partition_response_t *pr =
                    &tr->partitions.items[i];
                fpart_t *fp = find_fpart(r, tr->name, pr->partition_index);
                if (!fp || !fp->p->offsets_inflight)
                    continue;
                kafc__cpart_t *p = fp->p;
                p->offsets_inflight = 0;
                if (atomic_load(&p->version) != fp->version || p->state != KAFC__CP_NEED_RESET)
                    continue;
                if (pr->error_code != KAFC_ERR_NONE) {
                    part_backoff(c, p, pr->error_code);
                    continue;
                }
                p->state = KAFC__CP_ACTIVE;
                p->fetch_pos = pr->offset;
                p->fetch_epoch = pr->leader_epoch;
                atomic_store(&p->app_pos, pr->offset);
                kafc__log(&c->client->log, KAFC_LOG_DEBUG, "fetch", "%s [%d]: starting at %lld",
                          p->topic, p->partition, (long long)pr->offset);
            }
        }
    }
    for (int i = 0; i < r->n; i++) {
        kafc__cpart_t *p = r->parts[i].p;
        if (!p->offsets_inflight)
            continue;
        p->offsets_inflight = 0;
        if (atomic_load(&p->version) == r->parts[i].version)
            part_backoff(c, p, err ? err : KAFC_ERR__BAD_MSG);
    }
    kafc__mutex_unlock(&c->lock);
    kafc__arena_destroy(&a);
    freq_free(r);
    kafc__consumer_wake_io(c);
}

/* ---- the loop ------------------------------------------------------------------------ */

static int busy_has(kafc_consumer_t *c, int32_t broker)
{
    for (int i = 0; i < MAX_BROKERS_BUSY; i++)
        if (c->fetch_busy[i] == broker + 1)
            return 1;
    return 0;
}

/* Returns -1 when every slot is taken (the broker waits for a free one). */
static int busy_set(kafc_consumer_t *c, int32_t broker)
{
    for (int i = 0; i < MAX_BROKERS_BUSY; i++)
        if (c->fetch_busy[i] == 0) {
            c->fetch_busy[i] = broker + 1;
            return 0;
        }
    return -1;
}

static void busy_clear(kafc_consumer_t *c, int32_t broker)
{
    for (int i = 0; i < MAX_BROKERS_BUSY; i++)
        if (c->fetch_busy[i] == broker + 1)
            c->fetch_busy[i] = 0;
}

static void tick(void *arg)
{
    (void)arg; /* the loop hook runs after every timer */
}

/* Requests being built, one per (broker, kind). */
typedef struct building {
    freq_t *reqs[64];
    int n;
} building_t;

static freq_t *building_get(building_t *b, kafc_consumer_t *c, int32_t broker, int is_fetch)
{
    for (int i = 0; i < b->n; i++)
        if (b->reqs[i]->broker == broker && b->reqs[i]->is_fetch == is_fetch)
            return b->reqs[i];
    if (b->n == (int)(sizeof(b->reqs) / sizeof(b->reqs[0])))
        return NULL;
    freq_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->c = c;
    r->broker = broker;
    r->is_fetch = is_fetch;
    b->reqs[b->n++] = r;
    return r;
}

static int freq_add(freq_t *r, kafc__cpart_t *p, int64_t offset, int32_t epoch)
{
    if ((r->n & (r->n - 1)) == 0) { /* grow at powers of two */
        fpart_t *n = realloc(r->parts, (size_t)(r->n ? r->n * 2 : 8) * sizeof(*n));
        if (!n)
            return -1;
        r->parts = n;
    }
    r->parts[r->n].p = p;
    r->parts[r->n].version = atomic_load(&p->version);
    r->parts[r->n].offset = offset;
    r->parts[r->n].epoch = epoch;
    r->n++;
    return 0;
}

/* The broker to fetch p from: its preferred read replica while that is
 * fresh, else its leader; -1 when unknown. */
static int32_t fetch_broker(kafc_consumer_t *c, kafc__cpart_t *p, int64_t now)
{
    if (p->preferred_replica >= 0 && now < p->preferred_until_ms &&
        kafc__cluster_broker(&c->client->cluster, p->preferred_replica))
        return p->preferred_replica;
    p->preferred_replica = -1;
    const kafc__md_partition_t *mp = md_part(c, p->topic, p->partition);
    return mp ? mp->leader : -1;
}

/* The least a Fetch asks for (below it, waiting for room is better),
 * never more than the settings allow. */
static int64_t min_fetch(const kafc_consumer_t *c)
{
    int64_t m = MIN_FETCH_BYTES;
    if (m > c->fetch_max_bytes)
        m = c->fetch_max_bytes;
    if (m > c->buffered_max)
        m = c->buffered_max;
    return m;
}

/* Sends the requests built; Fetches share room, the bytes the prefetch
 * bound still allows. */
static void send_built(kafc_consumer_t *c, building_t *b, int64_t room)
{
    kafc__cluster_t *cl = &c->client->cluster;
    int nfetch = 0;
    for (int i = 0; i < b->n; i++)
        nfetch += b->reqs[i]->is_fetch;
    int64_t per = nfetch ? room / nfetch : 0;
    if (per < min_fetch(c))
        per = min_fetch(c);
    if (per > c->fetch_max_bytes)
        per = c->fetch_max_bytes;
    for (int i = 0; i < b->n; i++) {
        b->reqs[i]->max_bytes = (int32_t)per;
        freq_t *r = b->reqs[i];
        kafc__broker_t *br = kafc__cluster_broker(cl, r->broker);
        kafc__request_t *req = NULL;
        qsort(r->parts, (size_t)r->n, sizeof(*r->parts), cmp_fpart);
        if (br) {
            if (r->is_fetch)
                req = kafc__request_new(KAFC__API_FETCH, FETCH_MIN_VERSION, FETCH_MAX_VERSION,
                                        fetch_encode, fetch_done, r);
            else
                req = kafc__request_new(KAFC__API_LIST_OFFSETS, LO_MIN_VERSION, LO_MAX_VERSION,
                                        lo_encode, lo_done, r);
        }
        if (!req) {
            kafc__mutex_lock(&c->lock);
            for (int j = 0; j < r->n; j++) {
                r->parts[j].p->fetch_inflight = 0;
                r->parts[j].p->offsets_inflight = 0;
                part_backoff(c, r->parts[j].p, KAFC_ERR_LEADER_NOT_AVAILABLE);
            }
            kafc__mutex_unlock(&c->lock);
            freq_free(r);
            continue;
        }
        if (r->is_fetch) {
            c->fetch_reqs++;
            c->fetch_reserved += r->max_bytes;
            busy_set(c, r->broker);
            /* Long polls must not time out before the broker answers. */
            req->timeout_ms = c->request_timeout_ms + c->max_wait_ms;
        }
        kafc__netclient_send(&br->nc, req);
    }
}

static void md_answer(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    kafc_consumer_t *c = arg;
    (void)err;
    (void)errstr;
    (void)md;
    if (err != KAFC_ERR__DESTROY)
        c->md_inflight = 0;
}

/* Asks for the metadata of assigned topics the cache lacks. */
static void want_topic(kafc_consumer_t *c, const char **names, int *n, int cap, const char *t)
{
    if (c->md_inflight || kafc__md_topic(&c->client->cluster.md, t))
        return;
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], t) == 0)
            return;
    if (*n < cap)
        names[(*n)++] = t;
}

void kafc__fetcher_run(kafc_consumer_t *c)
{
    const char *unknown[32];
    int nunknown = 0;
    kafc__cluster_t *cl = &c->client->cluster;
    if (!cl->have_md || atomic_load(&c->closed))
        return;
    int64_t now = kafc__clock_ms(), next_due = INT64_MAX;
    /* The bound covers what is buffered and what Fetches in flight may
     * still bring. */
    int64_t room = c->buffered_max - atomic_load(&c->buffered) - c->fetch_reserved;
    int throttled = room < min_fetch(c);
    if (throttled) {
        atomic_store(&c->fetch_wake, 1);
        room = c->buffered_max - atomic_load(&c->buffered) - c->fetch_reserved;
        throttled = room < min_fetch(c); /* drained meanwhile? */
    }
    building_t b = {.n = 0};
    int32_t blocked[16]; /* brokers with partitions waiting for poll to drain them */
    int nblocked = 0;
    kafc__mutex_lock(&c->lock);
    for (kafc__cpart_t *p = c->parts; p; p = p->next) {
        if (!p->assigned)
            continue;
        if (p->state == KAFC__CP_ACTIVE && !p->paused && p->queued >= KAFC__MAX_QUEUED &&
            nblocked < 16)
            blocked[nblocked++] = fetch_broker(c, p, now);
        int wants_offsets = p->state == KAFC__CP_NEED_RESET && !p->offsets_inflight;
        int wants_fetch = p->state == KAFC__CP_ACTIVE && !p->paused && !p->fetch_inflight &&
                          p->queued < KAFC__MAX_QUEUED && !throttled;
        if (!wants_offsets && !wants_fetch)
            continue;
        if (p->retry_at_ms > now) {
            if (p->retry_at_ms < next_due)
                next_due = p->retry_at_ms;
            continue;
        }
        int32_t broker = wants_fetch ? fetch_broker(c, p, now) : -1;
        if (wants_offsets) {
            const kafc__md_partition_t *mp = md_part(c, p->topic, p->partition);
            broker = mp ? mp->leader : -1;
        }
        if (broker < 0) {
            want_topic(c, unknown, &nunknown, 32, p->topic);
            part_backoff(c, p, KAFC_ERR_LEADER_NOT_AVAILABLE);
            if (p->retry_at_ms < next_due)
                next_due = p->retry_at_ms;
            continue;
        }
        if (wants_fetch && busy_has(c, broker))
            continue;
        /* The leader epoch we know from metadata: a leader that moved on
         * answers FENCED_LEADER_EPOCH and metadata is refreshed. */
        const kafc__md_partition_t *mp = wants_fetch ? md_part(c, p->topic, p->partition) : NULL;
        freq_t *r = building_get(&b, c, broker, wants_fetch);
        if (!r || freq_add(r, p, wants_fetch ? p->fetch_pos : p->reset_to,
                           mp ? mp->leader_epoch : -1) != 0)
            continue;
        if (wants_fetch) {
            p->fetch_inflight = 1;
            r->live += p->hwm < 0 || p->fetch_pos < p->hwm;
        } else {
            p->offsets_inflight = 1;
        }
    }
    /* A Fetch of partitions that are all at their end is held by the broker
     * for fetch.max.wait.ms, and a broker answers one request per
     * connection at a time: while partitions with data wait for poll to
     * drain them, do not park their connection on such a Fetch. */
    for (int i = 0; i < b.n; i++) {
        freq_t *r = b.reqs[i];
        int parked = 0;
        for (int k = 0; r->is_fetch && !r->live && k < nblocked; k++)
            parked |= blocked[k] == r->broker;
        if (!parked)
            continue;
        for (int j = 0; j < r->n; j++)
            r->parts[j].p->fetch_inflight = 0;
        freq_free(r);
        b.reqs[i--] = b.reqs[--b.n];
    }
    /* Names are copied by the request; partition objects outlive it. */
    if (nunknown &&
        kafc__cluster_metadata_request(cl, unknown, (size_t)nunknown, (int)c->request_timeout_ms,
                                       md_answer, c) == KAFC_ERR_NONE)
        c->md_inflight = 1;
    kafc__mutex_unlock(&c->lock);
    send_built(c, &b, room);
    if (next_due != INT64_MAX &&
        (!kafc__timer_armed(&c->fetch_timer) || c->fetch_timer.due_ms > next_due))
        kafc__timer_start_at(&c->client->sel, &c->fetch_timer, next_due, tick, c);
}

/* ---- the application's ListOffsets ---------------------------------------------------- */

static void lo_app_req_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    freq_t *r = req->arg;
    lo_app_t *q = r->app;
    int64_t offset = -1, ts = -1;
    if (err == KAFC_ERR_NONE) {
        kafc__arena_t a;
        kafc__arena_init(&a);
        kafc__list_offsets_response_t m;
        err = kafc__list_offsets_response_decode(&m, req->version, body, &a);
        if (err == KAFC_ERR_NONE)
            err = KAFC_ERR__BAD_MSG; /* unless the partition is in it */
        for (int32_t t = 0; t < m.topics.count && err == KAFC_ERR__BAD_MSG; t++)
            for (int32_t i = 0; i < m.topics.items[t].partitions.count; i++) {
                const kafc__list_offsets_response_partition_response_t *pr =
                    &m.topics.items[t].partitions.items[i];
                if (pr->partition_index != q->partition)
                    continue;
                err = pr->error_code;
                offset = pr->offset;
                ts = pr->timestamp;
                break;
            }
        kafc__arena_destroy(&a);
    }
    freq_free(r);
    if (err != KAFC_ERR_NONE && err != KAFC_ERR__DESTROY && kafc__err_retriable(err) &&
        kafc__clock_ms() < q->deadline) {
        kafc__cluster_note_error(&q->c->client->cluster, err, q->topic);
        lo_app_attempt(q);
        return;
    }
    q->cb(q->arg, err, offset, ts);
    free(q->topic);
    free(q);
}

static void lo_app_md(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    lo_app_t *q = arg;
    (void)md;
    (void)errstr;
    if (err != KAFC_ERR_NONE) {
        q->cb(q->arg, err, -1, -1);
        free(q->topic);
        free(q);
        return;
    }
    const kafc__md_partition_t *mp = md_part(q->c, q->topic, q->partition);
    if (!mp) {
        const kafc__md_topic_t *t = kafc__md_topic(&q->c->client->cluster.md, q->topic);
        q->cb(q->arg,
              t && t->err ? t->err : (t ? KAFC_ERR__UNKNOWN_PARTITION : KAFC_ERR__UNKNOWN_TOPIC),
              -1, -1);
        free(q->topic);
        free(q);
        return;
    }
    lo_app_attempt(q);
}

static void lo_app_attempt(lo_app_t *q)
{
    kafc_consumer_t *c = q->c;
    const kafc__md_partition_t *mp = md_part(c, q->topic, q->partition);
    int64_t left = q->deadline - kafc__clock_ms();
    if (left <= 0) {
        q->cb(q->arg, KAFC_ERR__TIMED_OUT, -1, -1);
        free(q->topic);
        free(q);
        return;
    }
    kafc__broker_t *br =
        mp && mp->leader >= 0 ? kafc__cluster_broker(&c->client->cluster, mp->leader) : NULL;
    if (!br) {
        const char *t = q->topic;
        if (kafc__cluster_metadata_request(&c->client->cluster, &t, 1,
                                           (int)(left > INT32_MAX ? INT32_MAX : left), lo_app_md,
                                           q) != KAFC_ERR_NONE) {
            q->cb(q->arg, KAFC_ERR__NO_MEMORY, -1, -1);
            free(q->topic);
            free(q);
        }
        return;
    }
    /* A one-partition request; the partition object gives the encoder its
     * topic. */
    freq_t *r = calloc(1, sizeof(*r));
    fpart_t *fp = calloc(1, sizeof(*fp));
    kafc__mutex_lock(&c->lock);
    kafc__cpart_t *p = kafc__cpart_get(c, q->topic, q->partition);
    kafc__mutex_unlock(&c->lock);
    kafc__request_t *req = NULL;
    if (r && fp && p) {
        r->c = c;
        r->broker = mp->leader;
        fp->p = p;
        fp->offset = q->timestamp;
        fp->epoch = -1;
        r->parts = fp;
        r->n = 1;
        r->app = q;
        req = kafc__request_new(KAFC__API_LIST_OFFSETS, LO_MIN_VERSION, LO_MAX_VERSION, lo_encode,
                                lo_app_req_done, r);
    }
    if (!req) {
        free(fp);
        free(r);
        q->cb(q->arg, KAFC_ERR__NO_MEMORY, -1, -1);
        free(q->topic);
        free(q);
        return;
    }
    kafc__netclient_send(&br->nc, req);
}

void kafc__fetcher_list_offset(kafc_consumer_t *c, const char *topic, int32_t partition,
                               int64_t timestamp, int64_t deadline_ms, kafc__lo_cb_t *cb, void *arg)
{
    lo_app_t *q = calloc(1, sizeof(*q));
    if (!q || !(q->topic = strdup(topic))) {
        free(q);
        cb(arg, KAFC_ERR__NO_MEMORY, -1, -1);
        return;
    }
    q->c = c;
    q->partition = partition;
    q->timestamp = timestamp;
    q->deadline = deadline_ms;
    q->cb = cb;
    q->arg = arg;
    lo_app_attempt(q);
}
