/*
 * fakebroker — see fakebroker.h.
 *
 * Layout: one mutex (fb->lock) guards the cluster state (topics, logs,
 * producer ids, actions, counters); the connections belong to the broker
 * thread alone. The broker thread handles a request with the lock held,
 * except while a scripted callback runs. Waiters sleep on fb->cond, which
 * is broadcast whenever a request has been handled.
 */
#include "fakebroker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/proto.h"
#include "record/batch.h"
#include "record/reader.h"
#include "util/clock.h"
#include "util/thread.h"

#define FB_API_MAX 128
#define FB_MAX_FRAME (256 * 1024 * 1024)
#define FB_DEDUP_CACHE 5 /* batches remembered per producer, as Kafka */
#define FB_MAX_DECOMPRESSED (256u * 1024 * 1024)
#define FB_FIRST_PRODUCER_ID 1000

/* ---- state ---------------------------------------------------------------- */

typedef struct fb_batch {
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    uint8_t *data; /* the batch as stored (base offset rewritten) */
    size_t len;
} fb_batch_t;

typedef struct fb_seqmeta {
    int32_t first_seq;
    int32_t last_seq;
    int64_t base_offset;
} fb_seqmeta_t;

/* Idempotence state of one producer id in one partition. */
typedef struct fb_pstate {
    int64_t pid;
    int16_t epoch;
    int32_t last_seq;
    fb_seqmeta_t cache[FB_DEDUP_CACHE];
    int ncache; /* entries used; cache[ncache - 1] is the newest */
} fb_pstate_t;

typedef struct fb_aborted {
    int64_t pid;
    int64_t first_offset;
} fb_aborted_t;

typedef struct fb_partition {
    int32_t id;
    int32_t leader; /* broker id, -1 none */
    int32_t leader_epoch;
    fb_batch_t *log;
    size_t nlog, caplog;
    int64_t end_offset;
    int64_t lso; /* -1: the high watermark */
    fb_aborted_t *aborted;
    size_t naborted;
    fb_pstate_t *ps;
    size_t nps;
} fb_partition_t;

typedef struct fb_topic {
    struct fb_topic *next;
    char *name;
    uint8_t id[16];
    int32_t npart;
    fb_partition_t *parts;
} fb_topic_t;

typedef struct fb_action {
    struct fb_action *next;
    int32_t broker;
    int16_t api_key;
    kafc_fb_action_t a; /* a.topic owned */
} fb_action_t;

typedef struct fb_coord {
    struct fb_coord *next;
    char *key;
    int32_t broker;
} fb_coord_t;

typedef struct fb_pid {
    struct fb_pid *next;
    char *txn_id; /* NULL: idempotent only */
    int64_t pid;
    int16_t epoch;
} fb_pid_t;

typedef struct fb_conn {
    struct fb_conn *next;
    int fd;
    int32_t broker;
    uint8_t *in; /* received bytes; frames start at in_pos */
    size_t in_pos, in_len, in_cap;
    kafc__wbuf_t out; /* bytes to write, from out_pos */
    size_t out_pos;
    /* A response held back (delay), or forever (no response): the
     * connection handles nothing else until it is released. */
    int held;
    int64_t held_due;
    uint8_t *held_frame; /* NULL: nothing to send */
    size_t held_len;
    int held_close; /* close instead of (after) sending */
    /* A Fetch waiting for data (max_wait_ms). */
    int parked;
    int64_t park_deadline;
    uint64_t park_gen;
    uint8_t *park_frame;
    size_t park_len;
    int closing; /* close once out is written; read nothing more */
    int dead;
    int trace;
} fb_conn_t;

struct kafc_fb {
    int n;
    int lfd[KAFC_FB_MAX_BROKERS];
    int port[KAFC_FB_MAX_BROKERS];
    char bootstrap[KAFC_FB_MAX_BROKERS * 24];
    int wake[2];
    kafc__thread_t thr;
    int thread_started;
    atomic_int stop;

    kafc__mutex_t lock;
    kafc__cond_t cond;
    /* under lock */
    int down[KAFC_FB_MAX_BROKERS + 1];
    fb_topic_t *topics;
    fb_action_t *actions, **actions_tail;
    int nactions;
    fb_coord_t *coords;
    int32_t default_coord;
    fb_pid_t *pids;
    int64_t next_pid;
    int16_t api_min[FB_API_MAX], api_max[FB_API_MAX];
    int16_t dup_err;
    int64_t counts[KAFC_FB_MAX_BROKERS + 1][FB_API_MAX]; /* [0]: all brokers */
    kafc_fb_produce_batch_t *last_prod;
    int nlast_prod;
    int64_t prod_errs[256]; /* Produce answers per error code + 128 */
    uint64_t log_gen;       /* bumped on every append */

    /* broker thread only */
    fb_conn_t *conns;
    int trace; /* KAFC_FB_TRACE set: one stderr line per request */
};

/* ---- small helpers ---------------------------------------------------------- */

static void trace(const kafc_fb_t *fb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(const kafc_fb_t *fb, const char *fmt, ...)
{
    if (!fb->trace)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "fakebroker %lld: %s\n", (long long)kafc__clock_ms(), line);
}

static void fb_wake(kafc_fb_t *fb)
{
    char c = 1;
    ssize_t r = write(fb->wake[1], &c, 1);
    (void)r; /* a full pipe already wakes the thread */
}

static int slice_eq(kafc__slice_t s, const char *str)
{
    return str && s.len >= 0 && kafc__proto_slice_is(s, str, (int32_t)strlen(str));
}

static fb_topic_t *find_topic(kafc_fb_t *fb, const char *name)
{
    for (fb_topic_t *t = fb->topics; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static fb_topic_t *find_topic_slice(kafc_fb_t *fb, kafc__slice_t name)
{
    for (fb_topic_t *t = fb->topics; t; t = t->next)
        if (slice_eq(name, t->name))
            return t;
    return NULL;
}

static fb_topic_t *find_topic_id(kafc_fb_t *fb, const uint8_t id[16])
{
    for (fb_topic_t *t = fb->topics; t; t = t->next)
        if (memcmp(t->id, id, 16) == 0)
            return t;
    return NULL;
}

static fb_partition_t *find_part(kafc_fb_t *fb, const char *topic, int32_t partition)
{
    fb_topic_t *t = topic ? find_topic(fb, topic) : NULL;
    if (!t || partition < 0 || partition >= t->npart)
        return NULL;
    return &t->parts[partition];
}

static int64_t part_lso(const fb_partition_t *p)
{
    return p->lso >= 0 && p->lso < p->end_offset ? p->lso : p->end_offset;
}

static void *arena_calloc(kafc__arena_t *a, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    void *p = kafc__arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int32_t seq_add(int32_t seq, int32_t delta)
{
    int64_t v = (int64_t)seq + delta;
    return v > INT32_MAX ? (int32_t)(v - INT32_MAX - 1) : (int32_t)v;
}

/* ---- log ---------------------------------------------------------------------- */

/* Appends one validated batch (wire bytes) to p's log at its end offset,
 * rewriting base offset and leader epoch. Returns the base offset or -1. */
static int64_t log_append(kafc_fb_t *fb, fb_partition_t *p, const kafc__batch_view_t *v)
{
    if (p->nlog == p->caplog) {
        size_t cap = p->caplog ? p->caplog * 2 : 64;
        fb_batch_t *nl = realloc(p->log, cap * sizeof(*nl));
        if (!nl)
            return -1;
        p->log = nl;
        p->caplog = cap;
    }
    uint8_t *copy = malloc(v->size);
    if (!copy)
        return -1;
    memcpy(copy, v->data, v->size);
    int64_t base = p->end_offset;
    uint64_t be = kafc__buf_be64((uint64_t)base);
    memcpy(copy + KAFC__BATCH_OFF_BASE_OFFSET, &be, 8);
    uint32_t ep = kafc__buf_be32((uint32_t)p->leader_epoch);
    memcpy(copy + KAFC__BATCH_OFF_LEADER_EPOCH, &ep, 4);
    fb_batch_t *b = &p->log[p->nlog++];
    b->base_offset = base;
    b->last_offset = base + v->last_offset_delta;
    b->max_timestamp = v->max_timestamp;
    b->data = copy;
    b->len = v->size;
    p->end_offset = b->last_offset + 1;
    fb->log_gen++;
    return base;
}

/* Decodes every record of v: the count must match the header and offset
 * deltas run 0..count-1. Returns 0 or a Kafka error. */
static int16_t validate_records(const kafc__batch_view_t *v)
{
    kafc__record_iter_t ri;
    kafc__record_t rec;
    int32_t n = 0;
    int16_t err = 0;
    if (kafc__record_iter_init(&ri, v, NULL, FB_MAX_DECOMPRESSED, 1) != KAFC_ERR_NONE) {
        kafc__record_iter_clear(&ri);
        return KAFC_ERR_CORRUPT_MESSAGE;
    }
    while (kafc__record_iter_next(&ri, &rec)) {
        if (rec.offset != v->base_offset + n)
            err = KAFC_ERR_INVALID_RECORD;
        n++;
    }
    if (kafc__record_iter_err(&ri) != KAFC_ERR_NONE)
        err = KAFC_ERR_CORRUPT_MESSAGE;
    else if (!err && (n != v->record_count || n == 0 || v->last_offset_delta != n - 1))
        err = KAFC_ERR_INVALID_RECORD;
    kafc__record_iter_clear(&ri);
    return err;
}

static fb_pstate_t *find_pstate(fb_partition_t *p, int64_t pid)
{
    for (size_t i = 0; i < p->nps; i++)
        if (p->ps[i].pid == pid)
            return &p->ps[i];
    return NULL;
}

/* Kafka's producer state checks for a batch of v; *dup_offset gets the
 * original base offset of a duplicate (then DUPLICATE is returned). */
static int16_t check_sequence(fb_partition_t *p, const kafc__batch_view_t *v, int64_t *dup_offset)
{
    fb_pstate_t *s = find_pstate(p, v->producer_id);
    int32_t first = v->base_sequence;
    int32_t last = seq_add(first, v->last_offset_delta);
    if (first < 0)
        return KAFC_ERR_INVALID_RECORD;
    if (!s)
        return first == 0 ? 0 : KAFC_ERR_UNKNOWN_PRODUCER_ID;
    if (v->producer_epoch < s->epoch)
        return KAFC_ERR_INVALID_PRODUCER_EPOCH;
    if (v->producer_epoch > s->epoch)
        return first == 0 ? 0 : KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    for (int i = 0; i < s->ncache; i++)
        if (s->cache[i].first_seq == first && s->cache[i].last_seq == last) {
            *dup_offset = s->cache[i].base_offset;
            return KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER;
        }
    if (first != seq_add(s->last_seq, 1))
        return KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    return 0;
}

static int update_pstate(fb_partition_t *p, const kafc__batch_view_t *v, int64_t base_offset)
{
    fb_pstate_t *s = find_pstate(p, v->producer_id);
    if (!s) {
        fb_pstate_t *nps = realloc(p->ps, (p->nps + 1) * sizeof(*nps));
        if (!nps)
            return -1;
        p->ps = nps;
        s = &p->ps[p->nps++];
        memset(s, 0, sizeof(*s));
        s->pid = v->producer_id;
        s->epoch = v->producer_epoch;
    }
    if (v->producer_epoch != s->epoch) {
        s->epoch = v->producer_epoch;
        s->ncache = 0;
    }
    s->last_seq = seq_add(v->base_sequence, v->last_offset_delta);
    if (s->ncache == FB_DEDUP_CACHE) {
        memmove(&s->cache[0], &s->cache[1], (FB_DEDUP_CACHE - 1) * sizeof(s->cache[0]));
        s->ncache--;
    }
    s->cache[s->ncache].first_seq = v->base_sequence;
    s->cache[s->ncache].last_seq = s->last_seq;
    s->cache[s->ncache].base_offset = base_offset;
    s->ncache++;
    return 0;
}

/* Validates and stores the records of one partition of a Produce request.
 * Returns the error to answer; *base_offset the offset to answer. */
static int16_t produce_partition(kafc_fb_t *fb, fb_partition_t *p, kafc__slice_t records,
                                 kafc__batch_view_t *view, int64_t *base_offset, int *is_dup)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    int n = 0;
    *base_offset = -1;
    view->producer_id = -1;
    view->producer_epoch = -1;
    view->base_sequence = -1;
    view->record_count = 0;
    if (records.len <= 0)
        return KAFC_ERR_CORRUPT_MESSAGE;
    kafc__batch_iter_init(&it, records.ptr, (size_t)records.len, 1);
    while (kafc__batch_iter_next(&it, &v)) {
        if (n == 0)
            *view = v;
        n++;
    }
    if (kafc__batch_iter_err(&it) != KAFC_ERR_NONE || kafc__batch_iter_partial(&it))
        return KAFC_ERR_CORRUPT_MESSAGE;
    if (n != 1 || view->magic != 2)
        return KAFC_ERR_INVALID_RECORD; /* v3+: exactly one batch, magic 2 */
    int16_t err = validate_records(view);
    if (err)
        return err;
    if (view->producer_id >= 0) {
        int64_t dup = -1;
        err = check_sequence(p, view, &dup);
        if (err == KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER) {
            fb->prod_errs[KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER + 128]++;
            *is_dup = 1;
            *base_offset = dup;
            return fb->dup_err;
        }
        if (err)
            return err;
    }
    int64_t base = log_append(fb, p, view);
    if (base < 0)
        return KAFC_ERR_KAFKA_STORAGE_ERROR;
    if (view->producer_id >= 0 && update_pstate(p, view, base) < 0)
        return KAFC_ERR_KAFKA_STORAGE_ERROR;
    *base_offset = base;
    return 0;
}

/* ---- request handling ----------------------------------------------------- */

typedef union fb_req {
    kafc__api_versions_request_t api_versions;
    kafc__metadata_request_t metadata;
    kafc__init_producer_id_request_t init_pid;
    kafc__produce_request_t produce;
    kafc__fetch_request_t fetch;
    kafc__list_offsets_request_t list_offsets;
    kafc__find_coordinator_request_t find_coord;
} fb_req_t;

typedef struct fb_ctx {
    kafc_fb_t *fb;
    fb_conn_t *c;
    int32_t broker;
    int16_t api;
    int16_t version;
    kafc__arena_t arena;
    fb_req_t req;
    int decoded;
    /* a scripted error */
    int force;
    int16_t force_err;
    const char *force_topic;
    int32_t force_part;
    /* Fetch: may wait for data; set when it should */
    int allow_park;
    int park;
    int no_response; /* Produce acks=0 */
} fb_ctx_t;

static int16_t forced(const fb_ctx_t *x, kafc__slice_t topic, int32_t partition)
{
    if (!x->force)
        return 0;
    if (x->force_topic && !slice_eq(topic, x->force_topic))
        return 0;
    if (x->force_topic && x->force_part >= 0 && partition >= 0 && partition != x->force_part)
        return 0;
    return x->force_err;
}

static int decode_request(fb_ctx_t *x, const uint8_t *body, size_t len)
{
    kafc__rbuf_t r;
    kafc_err_t err;
    int16_t vmin, vmax;
    if (kafc__proto_api_versions(x->api, &vmin, &vmax) != KAFC_ERR_NONE || x->version < vmin ||
        x->version > vmax)
        return -1;
    kafc__rbuf_init(&r, body, len);
    switch (x->api) {
    case KAFC__API_API_VERSIONS:
        err = kafc__api_versions_request_decode(&x->req.api_versions, x->version, &r, &x->arena);
        break;
    case KAFC__API_METADATA:
        err = kafc__metadata_request_decode(&x->req.metadata, x->version, &r, &x->arena);
        break;
    case KAFC__API_INIT_PRODUCER_ID:
        err = kafc__init_producer_id_request_decode(&x->req.init_pid, x->version, &r, &x->arena);
        break;
    case KAFC__API_PRODUCE:
        err = kafc__produce_request_decode(&x->req.produce, x->version, &r, &x->arena);
        break;
    case KAFC__API_FETCH:
        err = kafc__fetch_request_decode(&x->req.fetch, x->version, &r, &x->arena);
        break;
    case KAFC__API_LIST_OFFSETS:
        err = kafc__list_offsets_request_decode(&x->req.list_offsets, x->version, &r, &x->arena);
        break;
    case KAFC__API_FIND_COORDINATOR:
        err = kafc__find_coordinator_request_decode(&x->req.find_coord, x->version, &r, &x->arena);
        break;
    default:
        return -1;
    }
    return err == KAFC_ERR_NONE ? 0 : -1;
}

/* Whether the decoded request names topic (and partition, >= 0). */
static int request_mentions(const fb_ctx_t *x, const char *topic, int32_t partition)
{
    if (!x->decoded)
        return 0;
    switch (x->api) {
    case KAFC__API_METADATA: {
        const kafc__metadata_request_topic_array_t *ts = &x->req.metadata.topics;
        if (ts->count < 0)
            return 1;
        for (int32_t i = 0; i < ts->count; i++)
            if (slice_eq(ts->items[i].name, topic))
                return 1;
        return 0;
    }
    case KAFC__API_PRODUCE: {
        const kafc__produce_request_topic_produce_data_array_t *ts = &x->req.produce.topic_data;
        for (int32_t i = 0; i < ts->count; i++) {
            if (!slice_eq(ts->items[i].name, topic))
                continue;
            for (int32_t j = 0; j < ts->items[i].partition_data.count; j++)
                if (partition < 0 || ts->items[i].partition_data.items[j].index == partition)
                    return 1;
        }
        return 0;
    }
    case KAFC__API_FETCH: {
        const kafc__fetch_request_topic_array_t *ts = &x->req.fetch.topics;
        for (int32_t i = 0; i < ts->count; i++) {
            if (!slice_eq(ts->items[i].topic, topic))
                continue;
            for (int32_t j = 0; j < ts->items[i].partitions.count; j++)
                if (partition < 0 || ts->items[i].partitions.items[j].partition == partition)
                    return 1;
        }
        return 0;
    }
    case KAFC__API_LIST_OFFSETS: {
        const kafc__list_offsets_request_topic_array_t *ts = &x->req.list_offsets.topics;
        for (int32_t i = 0; i < ts->count; i++) {
            if (!slice_eq(ts->items[i].name, topic))
                continue;
            for (int32_t j = 0; j < ts->items[i].partitions.count; j++)
                if (partition < 0 || ts->items[i].partitions.items[j].partition_index == partition)
                    return 1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* ApiVersions: the advertised table; an unknown version gets
 * UNSUPPORTED_VERSION in a v0 body, as Kafka answers. */
static kafc_err_t h_api_versions(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    kafc__api_versions_response_t m;
    int16_t version = x->version;
    kafc__api_versions_response_init(&m);
    if (version > fb->api_max[KAFC__API_API_VERSIONS] ||
        version < fb->api_min[KAFC__API_API_VERSIONS]) {
        m.error_code = KAFC_ERR_UNSUPPORTED_VERSION;
        version = 0;
    }
    int n = 0;
    for (int k = 0; k < FB_API_MAX; k++)
        if (fb->api_max[k] >= 0)
            n++;
    m.api_keys.items = arena_calloc(&x->arena, (size_t)n, sizeof(*m.api_keys.items));
    if (n && !m.api_keys.items)
        return KAFC_ERR__NO_MEMORY;
    m.api_keys.count = 0;
    for (int k = 0; k < FB_API_MAX; k++)
        if (fb->api_max[k] >= 0) {
            kafc__api_versions_response_api_version_t *e = &m.api_keys.items[m.api_keys.count++];
            kafc__api_versions_response_api_version_init(e);
            e->api_key = (int16_t)k;
            e->min_version = fb->api_min[k];
            e->max_version = fb->api_max[k];
        }
    if (x->force && !m.error_code)
        m.error_code = x->force_err;
    return kafc__api_versions_response_encode(&m, version, w);
}

static kafc__slice_t host_slice(void)
{
    return kafc__proto_str("127.0.0.1");
}

static int fill_md_topic(fb_ctx_t *x, kafc__metadata_response_topic_t *mt, fb_topic_t *t)
{
    kafc__metadata_response_topic_init(mt);
    mt->name = kafc__proto_str(t->name);
    memcpy(mt->topic_id, t->id, 16);
    int16_t terr = forced(x, mt->name, -1);
    if (terr && (!x->force_topic || x->force_part < 0)) {
        mt->error_code = terr;
        mt->partitions.count = 0;
        return 0;
    }
    mt->partitions.items = arena_calloc(&x->arena, (size_t)t->npart, sizeof(*mt->partitions.items));
    if (!mt->partitions.items)
        return -1;
    mt->partitions.count = t->npart;
    for (int32_t i = 0; i < t->npart; i++) {
        fb_partition_t *p = &t->parts[i];
        kafc__metadata_response_partition_t *mp = &mt->partitions.items[i];
        kafc__metadata_response_partition_init(mp);
        mp->partition_index = p->id;
        mp->leader_id = p->leader;
        mp->leader_epoch = p->leader_epoch;
        if (p->leader > 0) {
            int32_t *nodes = kafc__arena_alloc(&x->arena, sizeof(int32_t));
            if (!nodes)
                return -1;
            nodes[0] = p->leader;
            mp->replica_nodes = (kafc__int32_array_t){nodes, 1};
            mp->isr_nodes = (kafc__int32_array_t){nodes, 1};
        } else {
            mp->error_code = KAFC_ERR_LEADER_NOT_AVAILABLE;
            mp->replica_nodes = (kafc__int32_array_t){NULL, 0};
            mp->isr_nodes = (kafc__int32_array_t){NULL, 0};
        }
        mp->offline_replicas = (kafc__int32_array_t){NULL, 0};
        int16_t perr = forced(x, mt->name, p->id);
        if (perr)
            mp->error_code = perr;
    }
    return 0;
}

static kafc_err_t h_metadata(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__metadata_request_t *rq = &x->req.metadata;
    kafc__metadata_response_t m;
    kafc__metadata_response_init(&m);
    m.brokers.items = arena_calloc(&x->arena, (size_t)fb->n, sizeof(*m.brokers.items));
    if (!m.brokers.items)
        return KAFC_ERR__NO_MEMORY;
    m.brokers.count = fb->n;
    for (int i = 0; i < fb->n; i++) {
        kafc__metadata_response_broker_init(&m.brokers.items[i]);
        m.brokers.items[i].node_id = i + 1;
        m.brokers.items[i].host = host_slice();
        m.brokers.items[i].port = fb->port[i];
    }
    m.cluster_id = kafc__proto_str("kafc-fakebroker");
    m.controller_id = 1;
    int32_t n = 0;
    if (rq->topics.count < 0)
        for (fb_topic_t *t = fb->topics; t; t = t->next)
            n++;
    else
        n = rq->topics.count;
    m.topics.items = arena_calloc(&x->arena, (size_t)n, sizeof(*m.topics.items));
    if (n && !m.topics.items)
        return KAFC_ERR__NO_MEMORY;
    m.topics.count = n;
    if (rq->topics.count < 0) {
        int32_t i = 0;
        for (fb_topic_t *t = fb->topics; t; t = t->next)
            if (fill_md_topic(x, &m.topics.items[i++], t) < 0)
                return KAFC_ERR__NO_MEMORY;
    } else {
        for (int32_t i = 0; i < n; i++) {
            const kafc__metadata_request_topic_t *rt = &rq->topics.items[i];
            kafc__metadata_response_topic_t *mt = &m.topics.items[i];
            fb_topic_t *t = rt->name.len >= 0 ? find_topic_slice(fb, rt->name)
                                              : find_topic_id(fb, rt->topic_id);
            if (t) {
                if (fill_md_topic(x, mt, t) < 0)
                    return KAFC_ERR__NO_MEMORY;
                continue;
            }
            kafc__metadata_response_topic_init(mt);
            mt->name = rt->name;
            memcpy(mt->topic_id, rt->topic_id, 16);
            mt->error_code =
                rt->name.len >= 0 ? KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION : KAFC_ERR_UNKNOWN_TOPIC_ID;
            if (rt->name.len < 0 && x->version < 12)
                mt->name = kafc__proto_str("");
            mt->partitions.count = 0;
        }
    }
    return kafc__metadata_response_encode(&m, x->version, w);
}

static fb_pid_t *new_pid(kafc_fb_t *fb, kafc__slice_t txn)
{
    fb_pid_t *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (txn.len >= 0) {
        e->txn_id = malloc((size_t)txn.len + 1);
        if (!e->txn_id) {
            free(e);
            return NULL;
        }
        if (txn.len)
            memcpy(e->txn_id, txn.ptr, (size_t)txn.len);
        e->txn_id[txn.len] = 0;
    }
    e->pid = fb->next_pid++;
    e->epoch = 0;
    e->next = fb->pids;
    fb->pids = e;
    return e;
}

static void bump_pid(kafc_fb_t *fb, fb_pid_t *e)
{
    if (e->epoch >= INT16_MAX - 1) { /* exhausted: a new id, as Kafka */
        e->pid = fb->next_pid++;
        e->epoch = 0;
    } else {
        e->epoch++;
    }
}

static kafc_err_t h_init_pid(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__init_producer_id_request_t *rq = &x->req.init_pid;
    kafc__init_producer_id_response_t m;
    kafc__init_producer_id_response_init(&m);
    m.producer_id = -1;
    m.producer_epoch = -1;
    int16_t fenced = x->version >= 4 ? KAFC_ERR_PRODUCER_FENCED : KAFC_ERR_INVALID_PRODUCER_EPOCH;
    int has_pid = x->version >= 3 && rq->producer_id >= 0;
    fb_pid_t *e = NULL;
    if (x->force) {
        m.error_code = x->force_err;
        return kafc__init_producer_id_response_encode(&m, x->version, w);
    }
    if (rq->transactional_id.len >= 0) {
        for (e = fb->pids; e; e = e->next)
            if (e->txn_id && slice_eq(rq->transactional_id, e->txn_id))
                break;
        if (!e) {
            e = new_pid(fb, rq->transactional_id);
        } else if (has_pid && (rq->producer_id != e->pid || rq->producer_epoch != e->epoch)) {
            m.error_code = fenced;
            e = NULL;
        } else {
            bump_pid(fb, e);
        }
    } else if (has_pid) {
        for (e = fb->pids; e; e = e->next)
            if (!e->txn_id && e->pid == rq->producer_id)
                break;
        if (!e)
            e = new_pid(fb, (kafc__slice_t){NULL, -1});
        else if (rq->producer_epoch != e->epoch) {
            m.error_code = fenced;
            e = NULL;
        } else
            bump_pid(fb, e);
    } else {
        e = new_pid(fb, (kafc__slice_t){NULL, -1});
    }
    if (e) {
        m.producer_id = e->pid;
        m.producer_epoch = e->epoch;
    } else if (!m.error_code) {
        m.error_code = KAFC_ERR_UNKNOWN_SERVER_ERROR;
    }
    return kafc__init_producer_id_response_encode(&m, x->version, w);
}

static kafc_err_t h_produce(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__produce_request_t *rq = &x->req.produce;
    kafc__produce_response_t m;
    int nb = 0, ib = 0;
    uint32_t leaders = 0; /* brokers named as current leader (KIP-951) */
    kafc__produce_response_init(&m);
    for (int32_t i = 0; i < rq->topic_data.count; i++)
        nb += rq->topic_data.items[i].partition_data.count;
    free(fb->last_prod);
    fb->last_prod = calloc((size_t)(nb ? nb : 1), sizeof(*fb->last_prod));
    fb->nlast_prod = 0;
    if (!fb->last_prod)
        return KAFC_ERR__NO_MEMORY;
    m.responses.count = rq->topic_data.count;
    m.responses.items =
        arena_calloc(&x->arena, (size_t)rq->topic_data.count, sizeof(*m.responses.items));
    if (rq->topic_data.count > 0 && !m.responses.items)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t i = 0; i < rq->topic_data.count; i++) {
        const kafc__produce_request_topic_produce_data_t *td = &rq->topic_data.items[i];
        kafc__produce_response_topic_produce_response_t *tr = &m.responses.items[i];
        kafc__produce_response_topic_produce_response_init(tr);
        tr->name = td->name;
        fb_topic_t *t = find_topic_slice(fb, td->name);
        tr->partition_responses.count = td->partition_data.count;
        tr->partition_responses.items = arena_calloc(&x->arena, (size_t)td->partition_data.count,
                                                     sizeof(*tr->partition_responses.items));
        if (td->partition_data.count > 0 && !tr->partition_responses.items)
            return KAFC_ERR__NO_MEMORY;
        for (int32_t j = 0; j < td->partition_data.count; j++) {
            const kafc__produce_request_partition_produce_data_t *pd = &td->partition_data.items[j];
            kafc__produce_response_partition_produce_response_t *pr =
                &tr->partition_responses.items[j];
            kafc__batch_view_t v;
            int64_t off = -1;
            int16_t err;
            int dup = 0;
            memset(&v, 0, sizeof(v));
            v.producer_id = -1;
            v.producer_epoch = -1;
            v.base_sequence = -1;
            kafc__produce_response_partition_produce_response_init(pr);
            pr->index = pd->index;
            fb_partition_t *p =
                t && pd->index >= 0 && pd->index < t->npart ? &t->parts[pd->index] : NULL;
            if (!p)
                err = KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->leader != x->broker)
                err = KAFC_ERR_NOT_LEADER_OR_FOLLOWER;
            else if ((err = forced(x, td->name, pd->index)) != 0) {
                /* scripted: nothing stored; still say what the batch was */
                kafc__batch_iter_t it;
                if (pd->records.len > 0) {
                    kafc__batch_iter_init(&it, pd->records.ptr, (size_t)pd->records.len, 0);
                    if (!kafc__batch_iter_next(&it, &v))
                        v.producer_id = -1;
                }
            } else
                err = produce_partition(fb, p, pd->records, &v, &off, &dup);
            pr->error_code = err;
            pr->base_offset = off;
            pr->log_start_offset = 0;
            if (err == KAFC_ERR_NOT_LEADER_OR_FOLLOWER && p) {
                pr->has_current_leader = 1;
                pr->current_leader.leader_id = p->leader;
                pr->current_leader.leader_epoch = p->leader_epoch;
                if (p->leader > 0)
                    leaders |= 1u << p->leader;
            }
            trace(fb,
                  "  broker %d produce %.*s [%d]: pid %lld epoch %d seq %d count %d -> %s offset "
                  "%lld%s",
                  x->broker, td->name.len, td->name.ptr ? (const char *)td->name.ptr : "",
                  pd->index, (long long)v.producer_id, v.producer_epoch, v.base_sequence,
                  v.record_count, err ? kafc_err_name(err) : "ok", (long long)off,
                  dup ? " (duplicate)" : "");
            if (!dup && err >= -128 && err < 128)
                fb->prod_errs[err + 128]++;
            kafc_fb_produce_batch_t *lb = &fb->last_prod[ib++];
            size_t tl = td->name.len > 0 ? (size_t)td->name.len : 0;
            if (tl >= sizeof(lb->topic))
                tl = sizeof(lb->topic) - 1;
            if (tl)
                memcpy(lb->topic, td->name.ptr, tl);
            lb->topic[tl] = 0;
            lb->partition = pd->index;
            lb->producer_id = v.producer_id;
            lb->producer_epoch = v.producer_epoch;
            lb->base_sequence = v.base_sequence;
            lb->record_count = v.record_count;
            lb->error = err;
            lb->base_offset = off;
        }
    }
    fb->nlast_prod = ib;
    if (rq->acks == 0)
        x->no_response = 1;
    if (leaders && x->version >= 10) {
        int n = __builtin_popcount(leaders);
        m.node_endpoints.items =
            arena_calloc(&x->arena, (size_t)n, sizeof(*m.node_endpoints.items));
        if (!m.node_endpoints.items)
            return KAFC_ERR__NO_MEMORY;
        m.node_endpoints.count = 0;
        for (int b = 1; b <= fb->n; b++)
            if (leaders & (1u << b)) {
                kafc__produce_response_node_endpoint_t *e =
                    &m.node_endpoints.items[m.node_endpoints.count++];
                kafc__produce_response_node_endpoint_init(e);
                e->node_id = b;
                e->host = host_slice();
                e->port = fb->port[b - 1];
                e->rack = (kafc__slice_t){NULL, -1};
            }
    }
    return kafc__produce_response_encode(&m, x->version, w);
}

/* Index of the first batch of p whose last offset is >= off. */
static size_t log_seek(const fb_partition_t *p, int64_t off)
{
    size_t lo = 0, hi = p->nlog;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->log[mid].last_offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static kafc_err_t h_fetch(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__fetch_request_t *rq = &x->req.fetch;
    int committed = x->version >= 4 && rq->isolation_level == 1;
    int64_t max_bytes = rq->max_bytes > 0 ? rq->max_bytes : INT32_MAX;
    int64_t total = 0;
    int any_data = 0, any_error = 0;
    kafc__fetch_response_t m;
    kafc__fetch_response_init(&m);
    m.responses.count = rq->topics.count > 0 ? rq->topics.count : 0;
    m.responses.items =
        arena_calloc(&x->arena, (size_t)m.responses.count, sizeof(*m.responses.items));
    if (m.responses.count && !m.responses.items)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t i = 0; i < m.responses.count; i++) {
        const kafc__fetch_request_topic_t *rt = &rq->topics.items[i];
        kafc__fetch_response_fetchable_topic_response_t *mt = &m.responses.items[i];
        kafc__fetch_response_fetchable_topic_response_init(mt);
        mt->topic = rt->topic;
        memcpy(mt->topic_id, rt->topic_id, 16);
        fb_topic_t *t = find_topic_slice(fb, rt->topic);
        mt->partitions.count = rt->partitions.count > 0 ? rt->partitions.count : 0;
        mt->partitions.items =
            arena_calloc(&x->arena, (size_t)mt->partitions.count, sizeof(*mt->partitions.items));
        if (mt->partitions.count && !mt->partitions.items)
            return KAFC_ERR__NO_MEMORY;
        for (int32_t j = 0; j < mt->partitions.count; j++) {
            const kafc__fetch_request_partition_t *rp = &rt->partitions.items[j];
            kafc__fetch_response_partition_data_t *pd = &mt->partitions.items[j];
            kafc__fetch_response_partition_data_init(pd);
            pd->partition_index = rp->partition;
            pd->records = (kafc__slice_t){NULL, 0};
            pd->aborted_transactions.count = committed ? 0 : -1;
            fb_partition_t *p = t && rp->partition >= 0 && rp->partition < t->npart
                                    ? &t->parts[rp->partition]
                                    : NULL;
            int16_t err;
            if (!p)
                err = KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->leader != x->broker)
                err = KAFC_ERR_NOT_LEADER_OR_FOLLOWER;
            else
                err = forced(x, rt->topic, rp->partition);
            if (p) {
                pd->high_watermark = p->end_offset;
                pd->last_stable_offset = part_lso(p);
                pd->log_start_offset = 0;
            }
            if (!err && (rp->fetch_offset < 0 || rp->fetch_offset > p->end_offset))
                err = KAFC_ERR_OFFSET_OUT_OF_RANGE;
            pd->error_code = err;
            if (err == KAFC_ERR_NOT_LEADER_OR_FOLLOWER) {
                pd->has_current_leader = 1;
                pd->current_leader.leader_id = p->leader;
                pd->current_leader.leader_epoch = p->leader_epoch;
            }
            if (err) {
                pd->high_watermark = p ? pd->high_watermark : -1;
                any_error = 1;
                continue;
            }
            int64_t limit = committed ? part_lso(p) : p->end_offset;
            int64_t pmax = rp->partition_max_bytes > 0 ? rp->partition_max_bytes : 0;
            size_t first = log_seek(p, rp->fetch_offset), k;
            int64_t pbytes = 0;
            for (k = first; k < p->nlog && p->log[k].last_offset < limit; k++) {
                int64_t len = (int64_t)p->log[k].len;
                if (!(total == 0 && pbytes == 0) &&
                    (pbytes + len > pmax || total + len > max_bytes))
                    break;
                pbytes += len;
                total += len;
            }
            if (pbytes == 0)
                continue;
            uint8_t *buf = kafc__arena_alloc(&x->arena, (size_t)pbytes);
            if (!buf)
                return KAFC_ERR__NO_MEMORY;
            size_t pos = 0;
            for (size_t b = first; b < k; b++) {
                memcpy(buf + pos, p->log[b].data, p->log[b].len);
                pos += p->log[b].len;
            }
            pd->records = (kafc__slice_t){buf, (int32_t)pbytes};
            any_data = 1;
            if (committed && p->naborted) {
                int64_t upto = p->log[k - 1].last_offset;
                int32_t na = 0;
                for (size_t a = 0; a < p->naborted; a++)
                    if (p->aborted[a].first_offset <= upto)
                        na++;
                pd->aborted_transactions.items =
                    arena_calloc(&x->arena, (size_t)na, sizeof(*pd->aborted_transactions.items));
                if (na && !pd->aborted_transactions.items)
                    return KAFC_ERR__NO_MEMORY;
                pd->aborted_transactions.count = 0;
                for (size_t a = 0; a < p->naborted; a++)
                    if (p->aborted[a].first_offset <= upto) {
                        kafc__fetch_response_aborted_transaction_t *at =
                            &pd->aborted_transactions.items[pd->aborted_transactions.count++];
                        at->producer_id = p->aborted[a].pid;
                        at->first_offset = p->aborted[a].first_offset;
                    }
            }
        }
    }
    if (x->allow_park && !any_data && !any_error && rq->max_wait_ms > 0 && rq->min_bytes > 0) {
        x->park = 1;
        return KAFC_ERR_NONE;
    }
    return kafc__fetch_response_encode(&m, x->version, w);
}

/* The offset/timestamp ListOffsets answers for ts in p. */
static void list_offset(const fb_partition_t *p, int64_t ts, int committed, int64_t *offp,
                        int64_t *tsp)
{
    *offp = -1;
    *tsp = -1;
    if (ts == -2) {
        *offp = 0;
        return;
    }
    if (ts == -1) {
        *offp = committed ? part_lso(p) : p->end_offset;
        return;
    }
    int64_t best_ts = -1, best_off = -1;
    for (size_t b = 0; b < p->nlog; b++) {
        if (ts >= 0 && p->log[b].max_timestamp < ts)
            continue;
        kafc__batch_iter_t it;
        kafc__batch_view_t v;
        kafc__batch_iter_init(&it, p->log[b].data, p->log[b].len, 0);
        if (!kafc__batch_iter_next(&it, &v))
            continue;
        kafc__record_iter_t ri;
        kafc__record_t rec;
        if (kafc__record_iter_init(&ri, &v, NULL, FB_MAX_DECOMPRESSED, 0) == KAFC_ERR_NONE) {
            while (kafc__record_iter_next(&ri, &rec)) {
                if (ts == -3) {
                    if (rec.timestamp > best_ts) {
                        best_ts = rec.timestamp;
                        best_off = rec.offset;
                    }
                } else if (rec.timestamp >= ts) {
                    *offp = rec.offset;
                    *tsp = rec.timestamp;
                    kafc__record_iter_clear(&ri);
                    return;
                }
            }
        }
        kafc__record_iter_clear(&ri);
    }
    if (ts == -3) {
        *offp = best_off;
        *tsp = best_ts;
    }
}

static kafc_err_t h_list_offsets(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__list_offsets_request_t *rq = &x->req.list_offsets;
    int committed = x->version >= 2 && rq->isolation_level == 1;
    kafc__list_offsets_response_t m;
    kafc__list_offsets_response_init(&m);
    m.topics.count = rq->topics.count > 0 ? rq->topics.count : 0;
    m.topics.items = arena_calloc(&x->arena, (size_t)m.topics.count, sizeof(*m.topics.items));
    if (m.topics.count && !m.topics.items)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t i = 0; i < m.topics.count; i++) {
        const kafc__list_offsets_request_topic_t *rt = &rq->topics.items[i];
        kafc__list_offsets_response_topic_response_t *mt = &m.topics.items[i];
        kafc__list_offsets_response_topic_response_init(mt);
        mt->name = rt->name;
        fb_topic_t *t = find_topic_slice(fb, rt->name);
        mt->partitions.count = rt->partitions.count > 0 ? rt->partitions.count : 0;
        mt->partitions.items =
            arena_calloc(&x->arena, (size_t)mt->partitions.count, sizeof(*mt->partitions.items));
        if (mt->partitions.count && !mt->partitions.items)
            return KAFC_ERR__NO_MEMORY;
        for (int32_t j = 0; j < mt->partitions.count; j++) {
            const kafc__list_offsets_request_partition_t *rp = &rt->partitions.items[j];
            kafc__list_offsets_response_partition_response_t *pr = &mt->partitions.items[j];
            kafc__list_offsets_response_partition_response_init(pr);
            pr->partition_index = rp->partition_index;
            pr->old_style_offsets = (kafc__int64_array_t){NULL, 0};
            fb_partition_t *p = t && rp->partition_index >= 0 && rp->partition_index < t->npart
                                    ? &t->parts[rp->partition_index]
                                    : NULL;
            int16_t err;
            if (!p)
                err = KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->leader != x->broker)
                err = KAFC_ERR_NOT_LEADER_OR_FOLLOWER;
            else
                err = forced(x, rt->name, rp->partition_index);
            pr->error_code = err;
            if (err)
                continue;
            list_offset(p, rp->timestamp, committed, &pr->offset, &pr->timestamp);
            pr->leader_epoch = p->leader_epoch;
            if (x->version == 0 && pr->offset >= 0) {
                int64_t *o = kafc__arena_alloc(&x->arena, sizeof(int64_t));
                if (!o)
                    return KAFC_ERR__NO_MEMORY;
                *o = pr->offset;
                pr->old_style_offsets = (kafc__int64_array_t){o, 1};
            }
        }
    }
    return kafc__list_offsets_response_encode(&m, x->version, w);
}

static int32_t coordinator_for(kafc_fb_t *fb, kafc__slice_t key)
{
    for (fb_coord_t *c = fb->coords; c; c = c->next)
        if (slice_eq(key, c->key))
            return c->broker;
    return fb->default_coord;
}

static kafc_err_t h_find_coordinator(fb_ctx_t *x, kafc__wbuf_t *w)
{
    kafc_fb_t *fb = x->fb;
    const kafc__find_coordinator_request_t *rq = &x->req.find_coord;
    kafc__find_coordinator_response_t m;
    kafc__find_coordinator_response_init(&m);
    if (x->version < 4) {
        int32_t b = coordinator_for(fb, rq->key);
        m.error_code = x->force ? x->force_err : 0;
        m.error_message = (kafc__slice_t){NULL, -1};
        if (m.error_code) {
            m.node_id = -1;
            m.host = kafc__proto_str("");
            m.port = -1;
        } else {
            m.node_id = b;
            m.host = host_slice();
            m.port = b >= 1 && b <= fb->n ? fb->port[b - 1] : -1;
        }
        return kafc__find_coordinator_response_encode(&m, x->version, w);
    }
    int32_t n = rq->coordinator_keys.count > 0 ? rq->coordinator_keys.count : 0;
    m.coordinators.count = n;
    m.coordinators.items = arena_calloc(&x->arena, (size_t)n, sizeof(*m.coordinators.items));
    if (n && !m.coordinators.items)
        return KAFC_ERR__NO_MEMORY;
    for (int32_t i = 0; i < n; i++) {
        kafc__find_coordinator_response_coordinator_t *c = &m.coordinators.items[i];
        kafc__find_coordinator_response_coordinator_init(c);
        c->key = rq->coordinator_keys.items[i];
        c->error_message = (kafc__slice_t){NULL, -1};
        c->error_code = x->force ? x->force_err : 0;
        int32_t b = coordinator_for(fb, c->key);
        if (c->error_code) {
            c->node_id = -1;
            c->host = kafc__proto_str("");
            c->port = -1;
        } else {
            c->node_id = b;
            c->host = host_slice();
            c->port = b >= 1 && b <= fb->n ? fb->port[b - 1] : -1;
        }
    }
    return kafc__find_coordinator_response_encode(&m, x->version, w);
}

/* ---- connections ------------------------------------------------------------ */

static void conn_close(fb_conn_t *c)
{
    if (!c->dead) {
        if (c->trace)
            fprintf(stderr, "fakebroker %lld: broker %d conn %d closed\n",
                    (long long)kafc__clock_ms(), c->broker, c->fd);
        close(c->fd);
        c->fd = -1;
        c->dead = 1;
    }
}

static void conn_free(fb_conn_t *c)
{
    conn_close(c);
    free(c->in);
    kafc__wbuf_free(&c->out);
    free(c->held_frame);
    free(c->park_frame);
    free(c);
}

/* Stop reading; close once what is queued has been written. */
static void conn_closing(fb_conn_t *c)
{
    c->closing = 1;
    c->in_pos = c->in_len = 0;
}

static void conn_flush(fb_conn_t *c)
{
    while (!c->dead && c->out_pos < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_pos, c->out.len - c->out_pos, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_pos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_close(c);
        return;
    }
    if (c->out_pos == c->out.len) {
        kafc__wbuf_reset(&c->out);
        c->out_pos = 0;
        if (c->closing)
            conn_close(c);
    }
}

/* Queues a response frame now, or holds it until due. frame NULL: no bytes
 * (close and/or nothing). Takes frame. */
static void conn_respond(fb_conn_t *c, uint8_t *frame, size_t len, int64_t due, int close_after)
{
    if (due > kafc__clock_ms()) {
        c->held = 1;
        c->held_due = due;
        c->held_frame = frame;
        c->held_len = len;
        c->held_close = close_after;
        return;
    }
    if (frame)
        kafc__wbuf_put_raw(&c->out, frame, len);
    free(frame);
    if (close_after)
        conn_closing(c);
}

/* Frames body (len bytes) as the response to corrid. Returns a malloc'd
 * frame or NULL. */
static uint8_t *make_frame(int16_t api, int16_t version, int32_t corrid, const uint8_t *body,
                           size_t len, size_t *flen)
{
    kafc__wbuf_t f;
    kafc__response_header_t h;
    kafc__wbuf_init(&f, len + 16);
    size_t at = kafc__wbuf_reserve(&f, 4);
    kafc__response_header_init(&h);
    h.correlation_id = corrid;
    kafc__response_header_encode(&h, kafc__proto_response_header_version(api, version), &f);
    kafc__wbuf_put_raw(&f, body, len);
    kafc__wbuf_patch_i32(&f, at, (int32_t)(f.len - 4));
    if (kafc__wbuf_err(&f)) {
        kafc__wbuf_free(&f);
        return NULL;
    }
    return kafc__wbuf_detach(&f, flen);
}

static fb_action_t *take_action(kafc_fb_t *fb, fb_ctx_t *x)
{
    for (fb_action_t **pp = &fb->actions; *pp; pp = &(*pp)->next) {
        fb_action_t *a = *pp;
        if (a->api_key >= 0 && a->api_key != x->api)
            continue;
        if (a->broker && a->broker != x->broker)
            continue;
        if (a->a.topic && !request_mentions(x, a->a.topic, a->a.partition))
            continue;
        *pp = a->next;
        if (fb->actions_tail == &a->next)
            fb->actions_tail = pp;
        fb->nactions--;
        return a;
    }
    return NULL;
}

static void count_request(kafc_fb_t *fb, int32_t broker, int16_t api)
{
    if (api >= 0 && api < FB_API_MAX) {
        fb->counts[0][api]++;
        fb->counts[broker][api]++;
    }
    kafc__cond_broadcast(&fb->cond);
}

/* Handles one request frame (without its size). reparked: 0 a new request;
 * 1 a parked Fetch looked at again (may park again); 2 a parked Fetch whose
 * time is up (answers). Returns 1 when the Fetch is (still) parked: c then
 * keeps a copy of the frame. Lock not held on entry or exit. */
static int handle_frame(kafc_fb_t *fb, fb_conn_t *c, const uint8_t *f, size_t flen, int reparked)
{
    fb_ctx_t x;
    kafc__request_header_t hdr;
    kafc__rbuf_t r;
    kafc__wbuf_t body;
    fb_action_t *act = NULL;
    int64_t due = 0;
    int close_after = 0, hold_forever = 0, parked = 0;

    if (flen < 8) {
        conn_closing(c);
        return 0;
    }
    memset(&x, 0, sizeof(x));
    x.fb = fb;
    x.c = c;
    x.broker = c->broker;
    x.api = (int16_t)(((uint16_t)f[0] << 8) | f[1]);
    x.version = (int16_t)(((uint16_t)f[2] << 8) | f[3]);
    kafc__arena_init(&x.arena);
    kafc__wbuf_init(&body, 256);
    kafc__rbuf_init(&r, f, flen);
    if (kafc__request_header_decode(&hdr, kafc__proto_request_header_version(x.api, x.version), &r,
                                    &x.arena) != KAFC_ERR_NONE) {
        conn_closing(c);
        goto out;
    }
    const uint8_t *req = r.data + r.pos;
    size_t req_len = kafc__rbuf_remaining(&r);
    x.decoded = decode_request(&x, req, req_len) == 0;

    kafc__mutex_lock(&fb->lock);
    if (!reparked)
        act = take_action(fb, &x);
    trace(fb, "broker %d conn %d: %s v%d corrid %d%s%s", x.broker, c->fd,
          kafc__proto_api_name(x.api), x.version, hdr.correlation_id, reparked ? " (parked)" : "",
          !act                                 ? ""
          : act->a.type == KAFC_FB_ERROR       ? " action ERROR"
          : act->a.type == KAFC_FB_DROP        ? " action DROP"
          : act->a.type == KAFC_FB_CLOSE_AFTER ? " action CLOSE_AFTER"
          : act->a.type == KAFC_FB_DELAY       ? " action DELAY"
          : act->a.type == KAFC_FB_NO_RESPONSE ? " action NO_RESPONSE"
                                               : " action CALLBACK");
    if (act) {
        due = act->a.delay_ms > 0 ? kafc__clock_ms() + act->a.delay_ms : 0;
        switch (act->a.type) {
        case KAFC_FB_DROP:
            count_request(fb, x.broker, x.api);
            kafc__mutex_unlock(&fb->lock);
            conn_closing(c);
            goto out;
        case KAFC_FB_CALLBACK: {
            kafc__wbuf_t resp;
            kafc__wbuf_init(&resp, 256);
            kafc__mutex_unlock(&fb->lock);
            int rc = act->a.fn ? act->a.fn(act->a.arg, x.api, x.version, req, req_len, &resp)
                               : KAFC_FB_CB_DEFAULT;
            kafc__mutex_lock(&fb->lock);
            if (rc == KAFC_FB_CB_DEFAULT) {
                kafc__wbuf_free(&resp);
                break;
            }
            count_request(fb, x.broker, x.api);
            kafc__mutex_unlock(&fb->lock);
            if (rc == KAFC_FB_CB_SEND && !kafc__wbuf_err(&resp)) {
                size_t fl = 0;
                uint8_t *fr =
                    make_frame(x.api, x.version, hdr.correlation_id, resp.data, resp.len, &fl);
                if (fr)
                    conn_respond(c, fr, fl, due, 0);
                else
                    conn_closing(c);
            } else if (rc == KAFC_FB_CB_NO_RESPONSE) {
                conn_respond(c, NULL, 0, INT64_MAX, 0);
            } else {
                conn_respond(c, NULL, 0, due, 1);
            }
            kafc__wbuf_free(&resp);
            goto out;
        }
        case KAFC_FB_ERROR:
            x.force = 1;
            x.force_err = act->a.err;
            x.force_topic = act->a.topic;
            x.force_part = act->a.topic ? act->a.partition : -1;
            break;
        case KAFC_FB_CLOSE_AFTER:
            close_after = 1;
            break;
        case KAFC_FB_NO_RESPONSE:
            hold_forever = 1;
            break;
        case KAFC_FB_DELAY:
        default:
            break;
        }
    }
    /* Default handling. */
    int supported = x.api >= 0 && x.api < FB_API_MAX && fb->api_max[x.api] >= 0 &&
                    x.version >= fb->api_min[x.api] && x.version <= fb->api_max[x.api];
    if (!supported && x.api != KAFC__API_API_VERSIONS) {
        count_request(fb, x.broker, x.api);
        kafc__mutex_unlock(&fb->lock);
        conn_closing(c);
        goto out;
    }
    if (!x.decoded && supported) {
        count_request(fb, x.broker, x.api);
        kafc__mutex_unlock(&fb->lock);
        conn_closing(c);
        goto out;
    }
    x.allow_park = reparked == 0 ? !act : reparked == 1;
    kafc_err_t err;
    switch (x.api) {
    case KAFC__API_API_VERSIONS:
        err = h_api_versions(&x, &body);
        break;
    case KAFC__API_METADATA:
        err = h_metadata(&x, &body);
        break;
    case KAFC__API_INIT_PRODUCER_ID:
        err = h_init_pid(&x, &body);
        break;
    case KAFC__API_PRODUCE:
        err = h_produce(&x, &body);
        break;
    case KAFC__API_FETCH:
        err = h_fetch(&x, &body);
        break;
    case KAFC__API_LIST_OFFSETS:
        err = h_list_offsets(&x, &body);
        break;
    case KAFC__API_FIND_COORDINATOR:
        err = h_find_coordinator(&x, &body);
        break;
    default:
        err = KAFC_ERR__UNSUPPORTED_VERSION;
        break;
    }
    if (x.park) {
        uint64_t gen = fb->log_gen;
        kafc__mutex_unlock(&fb->lock);
        if (!reparked) {
            uint8_t *copy = malloc(flen);
            if (!copy) {
                conn_closing(c);
                goto out;
            }
            memcpy(copy, f, flen);
            c->parked = 1;
            c->park_frame = copy;
            c->park_len = flen;
            c->park_deadline = kafc__clock_ms() + x.req.fetch.max_wait_ms;
        }
        c->park_gen = gen;
        parked = 1;
        goto out;
    }
    count_request(fb, x.broker, x.api);
    kafc__mutex_unlock(&fb->lock);
    if (err != KAFC_ERR_NONE || kafc__wbuf_err(&body)) {
        fprintf(stderr, "fakebroker: cannot answer %s v%d: %s\n", kafc__proto_api_name(x.api),
                x.version, kafc_err_str(err ? err : kafc__wbuf_err(&body)));
        conn_closing(c);
        goto out;
    }
    int16_t rversion = x.version;
    if (x.api == KAFC__API_API_VERSIONS && !supported)
        rversion = 0;
    if (hold_forever) {
        conn_respond(c, NULL, 0, INT64_MAX, 0);
    } else if (close_after) {
        conn_respond(c, NULL, 0, due, 1);
    } else if (x.no_response) {
        /* acks=0: nothing to send */
    } else {
        size_t fl = 0;
        uint8_t *fr = make_frame(x.api, rversion, hdr.correlation_id, body.data, body.len, &fl);
        if (fr)
            conn_respond(c, fr, fl, due, 0);
        else
            conn_closing(c);
    }
out:
    if (act) {
        free((char *)act->a.topic);
        free(act);
    }
    kafc__wbuf_free(&body);
    kafc__arena_destroy(&x.arena);
    return parked;
}

/* Handles the complete frames buffered on c while it is free to. */
static void conn_pump(kafc_fb_t *fb, fb_conn_t *c)
{
    while (!c->dead && !c->closing && !c->held && !c->parked) {
        size_t avail = c->in_len - c->in_pos;
        if (avail < 4)
            break;
        uint32_t size;
        memcpy(&size, c->in + c->in_pos, 4);
        size = kafc__buf_be32(size);
        if (size > FB_MAX_FRAME) {
            conn_closing(c);
            break;
        }
        if (avail - 4 < size)
            break;
        const uint8_t *f = c->in + c->in_pos + 4;
        c->in_pos += 4 + (size_t)size;
        (void)handle_frame(fb, c, f, size, 0);
    }
    if (c->in_pos == c->in_len)
        c->in_pos = c->in_len = 0;
    conn_flush(c);
}

static void conn_read(kafc_fb_t *fb, fb_conn_t *c)
{
    for (int rounds = 0; rounds < 64 && !c->dead && !c->closing; rounds++) {
        if (c->in_pos > 0 && c->in_pos == c->in_len)
            c->in_pos = c->in_len = 0;
        if (c->in_cap - c->in_len < 65536) {
            if (c->in_pos > 0) {
                memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
                c->in_len -= c->in_pos;
                c->in_pos = 0;
            }
            if (c->in_cap - c->in_len < 65536) {
                size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
                uint8_t *ni = realloc(c->in, cap);
                if (!ni) {
                    conn_close(c);
                    return;
                }
                c->in = ni;
                c->in_cap = cap;
            }
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_close(c); /* EOF or error: the client left */
        return;
    }
    conn_pump(fb, c);
}

/* Held responses that are due, parked fetches with news or out of time. */
static void conn_timers(kafc_fb_t *fb, fb_conn_t *c, int64_t now, uint64_t gen)
{
    if (c->dead)
        return;
    if (c->held && c->held_due <= now) {
        uint8_t *fr = c->held_frame;
        c->held = 0;
        c->held_frame = NULL;
        conn_respond(c, fr, c->held_len, 0, c->held_close);
        conn_pump(fb, c);
    }
    if (c->parked && (c->park_gen != gen || c->park_deadline <= now)) {
        uint8_t *fr = c->park_frame;
        if (!handle_frame(fb, c, fr, c->park_len, c->park_deadline <= now ? 2 : 1)) {
            c->parked = 0;
            c->park_frame = NULL;
            free(fr);
            conn_pump(fb, c);
        }
    }
}

/* ---- the broker thread -------------------------------------------------------- */

static void accept_conns(kafc_fb_t *fb, int i)
{
    for (int k = 0; k < 64; k++) {
        int fd = accept4(fb->lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        kafc__mutex_lock(&fb->lock);
        int down = fb->down[i + 1];
        kafc__mutex_unlock(&fb->lock);
        if (down) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fb_conn_t *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->broker = i + 1;
        c->trace = fb->trace;
        kafc__wbuf_init(&c->out, 0);
        c->next = fb->conns;
        fb->conns = c;
    }
}

static void *broker_main(void *arg)
{
    kafc_fb_t *fb = arg;
    struct pollfd *pfds = NULL;
    fb_conn_t **pconn = NULL;
    size_t pcap = 0;

    while (!atomic_load(&fb->stop)) {
        size_t nconn = 0;
        int down[KAFC_FB_MAX_BROKERS + 1];
        kafc__mutex_lock(&fb->lock);
        memcpy(down, fb->down, sizeof(down));
        uint64_t gen = fb->log_gen;
        kafc__mutex_unlock(&fb->lock);
        int64_t now = kafc__clock_ms();

        /* timers, reaping */
        for (fb_conn_t **pp = &fb->conns; *pp;) {
            fb_conn_t *c = *pp;
            if (!c->dead && down[c->broker])
                conn_close(c);
            conn_timers(fb, c, now, gen);
            if (c->dead) {
                *pp = c->next;
                conn_free(c);
                continue;
            }
            nconn++;
            pp = &c->next;
        }
        size_t need = 1 + (size_t)fb->n + nconn;
        if (need > pcap) {
            struct pollfd *np = realloc(pfds, need * sizeof(*np));
            if (np)
                pfds = np;
            fb_conn_t **nc = realloc(pconn, need * sizeof(*nc));
            if (nc)
                pconn = nc;
            if (!np || !nc) {
                fprintf(stderr, "fakebroker: out of memory\n");
                break;
            }
            pcap = need;
        }
        size_t k = 0;
        pfds[k++] = (struct pollfd){.fd = fb->wake[0], .events = POLLIN};
        for (int i = 0; i < fb->n; i++)
            pfds[k++] = (struct pollfd){.fd = fb->lfd[i], .events = POLLIN};
        int64_t next = now + 200;
        for (fb_conn_t *c = fb->conns; c; c = c->next) {
            short ev = 0;
            if (!c->closing)
                ev |= POLLIN; /* read on even when busy: EOF must be seen */
            if (c->out_pos < c->out.len)
                ev |= POLLOUT;
            if (c->held && c->held_due < next)
                next = c->held_due;
            if (c->parked && c->park_deadline < next)
                next = c->park_deadline;
            pconn[k] = c;
            pfds[k++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        int timeout = next <= now ? 0 : (int)(next - now);
        int rc = poll(pfds, (nfds_t)k, timeout);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "fakebroker: poll: %s\n", strerror(errno));
            break;
        }
        if (rc <= 0)
            continue;
        if (pfds[0].revents) {
            char buf[64];
            while (read(fb->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        for (int i = 0; i < fb->n; i++)
            if (pfds[1 + i].revents)
                accept_conns(fb, i);
        for (size_t j = 1 + (size_t)fb->n; j < k; j++) {
            fb_conn_t *c = pconn[j];
            if (c->dead || !pfds[j].revents)
                continue;
            if (pfds[j].revents & (POLLIN | POLLHUP | POLLERR))
                conn_read(fb, c);
            if (!c->dead && (pfds[j].revents & POLLOUT))
                conn_flush(c);
        }
    }
    free(pfds);
    free(pconn);
    return NULL;
}

/* ---- public: life cycle ------------------------------------------------------ */

static void set_default_apis(kafc_fb_t *fb)
{
    for (int k = 0; k < FB_API_MAX; k++)
        fb->api_min[k] = fb->api_max[k] = -1;
    static const int16_t table[][3] = {
        {KAFC__API_API_VERSIONS, 0, 3},     {KAFC__API_METADATA, 1, 12},
        {KAFC__API_INIT_PRODUCER_ID, 0, 4}, {KAFC__API_PRODUCE, 3, 10},
        {KAFC__API_FETCH, 4, 12},           {KAFC__API_LIST_OFFSETS, 1, 7},
        {KAFC__API_FIND_COORDINATOR, 0, 4},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        fb->api_min[table[i][0]] = table[i][1];
        fb->api_max[table[i][0]] = table[i][2];
    }
}

static void free_state(kafc_fb_t *fb)
{
    while (fb->topics) {
        fb_topic_t *t = fb->topics;
        fb->topics = t->next;
        for (int32_t i = 0; i < t->npart; i++) {
            fb_partition_t *p = &t->parts[i];
            for (size_t b = 0; b < p->nlog; b++)
                free(p->log[b].data);
            free(p->log);
            free(p->aborted);
            free(p->ps);
        }
        free(t->parts);
        free(t->name);
        free(t);
    }
    while (fb->actions) {
        fb_action_t *a = fb->actions;
        fb->actions = a->next;
        free((char *)a->a.topic);
        free(a);
    }
    while (fb->coords) {
        fb_coord_t *c = fb->coords;
        fb->coords = c->next;
        free(c->key);
        free(c);
    }
    while (fb->pids) {
        fb_pid_t *e = fb->pids;
        fb->pids = e->next;
        free(e->txn_id);
        free(e);
    }
    free(fb->last_prod);
    fb->last_prod = NULL;
}

kafc_fb_t *kafc_fb_start(int nbrokers)
{
    if (nbrokers < 1 || nbrokers > KAFC_FB_MAX_BROKERS) {
        fprintf(stderr, "fakebroker: %d brokers: 1..%d\n", nbrokers, KAFC_FB_MAX_BROKERS);
        return NULL;
    }
    kafc_fb_t *fb = calloc(1, sizeof(*fb));
    if (!fb)
        return NULL;
    fb->n = nbrokers;
    fb->wake[0] = fb->wake[1] = -1;
    for (int i = 0; i < KAFC_FB_MAX_BROKERS; i++)
        fb->lfd[i] = -1;
    fb->actions_tail = &fb->actions;
    fb->default_coord = 1;
    fb->next_pid = FB_FIRST_PRODUCER_ID;
    fb->dup_err = KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER;
    const char *tr = getenv("KAFC_FB_TRACE");
    fb->trace = tr && *tr && strcmp(tr, "0") != 0;
    set_default_apis(fb);
    atomic_init(&fb->stop, 0);
    if (kafc__mutex_init(&fb->lock) != KAFC_ERR_NONE) {
        free(fb);
        return NULL;
    }
    if (kafc__cond_init(&fb->cond) != KAFC_ERR_NONE) {
        kafc__mutex_destroy(&fb->lock);
        free(fb);
        return NULL;
    }
    if (pipe2(fb->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        fprintf(stderr, "fakebroker: pipe: %s\n", strerror(errno));
        goto fail;
    }
    size_t bl = 0;
    for (int i = 0; i < nbrokers; i++) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        int one = 1;
        fb->lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fb->lfd[i] < 0)
            goto sockfail;
        setsockopt(fb->lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = 0;
        if (bind(fb->lfd[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            listen(fb->lfd[i], 64) != 0 ||
            getsockname(fb->lfd[i], (struct sockaddr *)&sa, &sl) != 0)
            goto sockfail;
        fb->port[i] = ntohs(sa.sin_port);
        bl += (size_t)snprintf(fb->bootstrap + bl, sizeof(fb->bootstrap) - bl, "%s127.0.0.1:%d",
                               i ? "," : "", fb->port[i]);
    }
    if (kafc__thread_create(&fb->thr, "kafc-fakebroker", broker_main, fb) != KAFC_ERR_NONE) {
        fprintf(stderr, "fakebroker: cannot start its thread\n");
        goto fail;
    }
    fb->thread_started = 1;
    return fb;
sockfail:
    fprintf(stderr, "fakebroker: listener: %s\n", strerror(errno));
fail:
    kafc_fb_stop(fb);
    return NULL;
}

const char *kafc_fb_bootstrap(const kafc_fb_t *fb)
{
    return fb->bootstrap;
}

int kafc_fb_port(const kafc_fb_t *fb, int32_t broker_id)
{
    return broker_id >= 1 && broker_id <= fb->n ? fb->port[broker_id - 1] : -1;
}

void kafc_fb_stop(kafc_fb_t *fb)
{
    if (!fb)
        return;
    if (fb->thread_started) {
        atomic_store(&fb->stop, 1);
        fb_wake(fb);
        kafc__thread_join(&fb->thr, NULL);
    }
    while (fb->conns) {
        fb_conn_t *c = fb->conns;
        fb->conns = c->next;
        conn_free(c);
    }
    for (int i = 0; i < KAFC_FB_MAX_BROKERS; i++)
        if (fb->lfd[i] >= 0)
            close(fb->lfd[i]);
    if (fb->wake[0] >= 0)
        close(fb->wake[0]);
    if (fb->wake[1] >= 0)
        close(fb->wake[1]);
    free_state(fb);
    kafc__cond_destroy(&fb->cond);
    kafc__mutex_destroy(&fb->lock);
    free(fb);
}

/* ---- public: cluster state ---------------------------------------------------- */

int kafc_fb_topic_create(kafc_fb_t *fb, const char *name, int32_t partitions,
                         int32_t leader_broker_id)
{
    if (!name || !*name || strlen(name) >= 250 || partitions < 1 || partitions > 10000 ||
        leader_broker_id < 0 || leader_broker_id > fb->n)
        return -1;
    fb_topic_t *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    t->name = strdup(name);
    t->parts = calloc((size_t)partitions, sizeof(*t->parts));
    if (!t->name || !t->parts) {
        free(t->name);
        free(t->parts);
        free(t);
        return -1;
    }
    uint64_t h1 = fnv1a(name, 1469598103934665603ull), h2 = fnv1a(name, h1 ^ 0x9e3779b97f4a7c15ull);
    memcpy(t->id, &h1, 8);
    memcpy(t->id + 8, &h2, 8);
    t->id[0] |= 1; /* never the zero uuid */
    t->npart = partitions;
    for (int32_t i = 0; i < partitions; i++) {
        t->parts[i].id = i;
        t->parts[i].leader = leader_broker_id ? leader_broker_id : i % fb->n + 1;
        t->parts[i].leader_epoch = 0;
        t->parts[i].lso = -1;
    }
    kafc__mutex_lock(&fb->lock);
    if (find_topic(fb, name)) {
        kafc__mutex_unlock(&fb->lock);
        free(t->name);
        free(t->parts);
        free(t);
        return -1;
    }
    /* sorted by name, as Kafka lists them */
    fb_topic_t **pp = &fb->topics;
    while (*pp && strcmp((*pp)->name, name) < 0)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    kafc__mutex_unlock(&fb->lock);
    return 0;
}

int kafc_fb_set_leader(kafc_fb_t *fb, const char *topic, int32_t partition, int32_t broker_id)
{
    if (broker_id != -1 && (broker_id < 1 || broker_id > fb->n))
        return -1;
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    if (p) {
        p->leader = broker_id;
        p->leader_epoch++;
    }
    kafc__mutex_unlock(&fb->lock);
    fb_wake(fb);
    return p ? 0 : -1;
}

int kafc_fb_broker_set_down(kafc_fb_t *fb, int32_t broker_id, int down)
{
    if (broker_id < 1 || broker_id > fb->n)
        return -1;
    kafc__mutex_lock(&fb->lock);
    fb->down[broker_id] = down != 0;
    kafc__mutex_unlock(&fb->lock);
    fb_wake(fb);
    return 0;
}

int kafc_fb_set_coordinator(kafc_fb_t *fb, const char *key, int32_t broker_id)
{
    if (broker_id < 1 || broker_id > fb->n)
        return -1;
    kafc__mutex_lock(&fb->lock);
    if (!key) {
        fb->default_coord = broker_id;
        kafc__mutex_unlock(&fb->lock);
        return 0;
    }
    fb_coord_t *c;
    for (c = fb->coords; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            break;
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (c)
            c->key = strdup(key);
        if (!c || !c->key) {
            free(c);
            kafc__mutex_unlock(&fb->lock);
            return -1;
        }
        c->next = fb->coords;
        fb->coords = c;
    }
    c->broker = broker_id;
    kafc__mutex_unlock(&fb->lock);
    return 0;
}

int kafc_fb_set_api_versions(kafc_fb_t *fb, int16_t api_key, int16_t min_version,
                             int16_t max_version)
{
    if (api_key < 0 || api_key >= FB_API_MAX || (max_version >= 0 && min_version > max_version))
        return -1;
    kafc__mutex_lock(&fb->lock);
    fb->api_min[api_key] = max_version >= 0 ? min_version : -1;
    fb->api_max[api_key] = max_version >= 0 ? max_version : -1;
    kafc__mutex_unlock(&fb->lock);
    return 0;
}

void kafc_fb_set_duplicate_error(kafc_fb_t *fb, int16_t err)
{
    kafc__mutex_lock(&fb->lock);
    fb->dup_err = err;
    kafc__mutex_unlock(&fb->lock);
}

int kafc_fb_set_lso(kafc_fb_t *fb, const char *topic, int32_t partition, int64_t lso)
{
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    if (p) {
        p->lso = lso < 0 ? -1 : lso;
        fb->log_gen++;
    }
    kafc__mutex_unlock(&fb->lock);
    fb_wake(fb);
    return p ? 0 : -1;
}

int kafc_fb_add_aborted_txn(kafc_fb_t *fb, const char *topic, int32_t partition,
                            int64_t producer_id, int64_t first_offset)
{
    int rc = -1;
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    if (p) {
        fb_aborted_t *na = realloc(p->aborted, (p->naborted + 1) * sizeof(*na));
        if (na) {
            p->aborted = na;
            na[p->naborted].pid = producer_id;
            na[p->naborted].first_offset = first_offset;
            p->naborted++;
            rc = 0;
        }
    }
    kafc__mutex_unlock(&fb->lock);
    return rc;
}

int64_t kafc_fb_partition_append(kafc_fb_t *fb, const char *topic, int32_t partition,
                                 const void *batches, size_t len)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    int64_t first = -1;
    int n = 0;
    kafc__batch_iter_init(&it, batches, len, 1);
    while (kafc__batch_iter_next(&it, &v)) {
        if (v.magic != 2)
            return -1;
        n++;
    }
    if (n == 0 || kafc__batch_iter_err(&it) || kafc__batch_iter_partial(&it))
        return -1;
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    if (p) {
        kafc__batch_iter_init(&it, batches, len, 0);
        while (kafc__batch_iter_next(&it, &v)) {
            int64_t off = log_append(fb, p, &v);
            if (first < 0)
                first = off;
            if (off < 0)
                break;
        }
    }
    kafc__mutex_unlock(&fb->lock);
    fb_wake(fb);
    return first;
}

/* ---- public: actions ------------------------------------------------------------ */

int kafc_fb_push(kafc_fb_t *fb, int32_t broker_id, int16_t api_key, const kafc_fb_action_t *action)
{
    if (!action || broker_id < 0 || broker_id > fb->n || api_key >= FB_API_MAX ||
        action->type < KAFC_FB_ERROR || action->type > KAFC_FB_CALLBACK ||
        (action->type == KAFC_FB_CALLBACK && !action->fn))
        return -1;
    fb_action_t *a = calloc(1, sizeof(*a));
    if (!a)
        return -1;
    a->broker = broker_id;
    a->api_key = api_key < 0 ? -1 : api_key;
    a->a = *action;
    if (action->topic) {
        a->a.topic = strdup(action->topic);
        if (!a->a.topic) {
            free(a);
            return -1;
        }
    }
    kafc__mutex_lock(&fb->lock);
    *fb->actions_tail = a;
    fb->actions_tail = &a->next;
    fb->nactions++;
    kafc__mutex_unlock(&fb->lock);
    return 0;
}

int kafc_fb_pending_actions(kafc_fb_t *fb)
{
    kafc__mutex_lock(&fb->lock);
    int n = fb->nactions;
    kafc__mutex_unlock(&fb->lock);
    return n;
}

/* ---- public: observations -------------------------------------------------------- */

int64_t kafc_fb_request_count(kafc_fb_t *fb, int32_t broker_id, int16_t api_key)
{
    if (broker_id < 0 || broker_id > fb->n || api_key < 0 || api_key >= FB_API_MAX)
        return 0;
    kafc__mutex_lock(&fb->lock);
    int64_t n = fb->counts[broker_id][api_key];
    kafc__mutex_unlock(&fb->lock);
    return n;
}

int kafc_fb_wait_requests(kafc_fb_t *fb, int16_t api_key, int64_t n, int timeout_ms)
{
    if (api_key < 0 || api_key >= FB_API_MAX)
        return -1;
    int64_t deadline = kafc__deadline_ms(timeout_ms);
    int rc = 0;
    kafc__mutex_lock(&fb->lock);
    while (fb->counts[0][api_key] < n) {
        if (kafc__cond_timedwait_ms(&fb->cond, &fb->lock, deadline) == KAFC_ERR__TIMED_OUT) {
            rc = fb->counts[0][api_key] >= n ? 0 : -1;
            break;
        }
    }
    kafc__mutex_unlock(&fb->lock);
    return rc;
}

int64_t kafc_fb_partition_end_offset(kafc_fb_t *fb, const char *topic, int32_t partition)
{
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    int64_t off = p ? p->end_offset : -1;
    kafc__mutex_unlock(&fb->lock);
    return off;
}

int kafc_fb_last_produce(kafc_fb_t *fb, kafc_fb_produce_batch_t *out, int max)
{
    kafc__mutex_lock(&fb->lock);
    int n = fb->nlast_prod;
    for (int i = 0; i < n && i < max; i++)
        out[i] = fb->last_prod[i];
    kafc__mutex_unlock(&fb->lock);
    return n;
}

int64_t kafc_fb_produce_errors(kafc_fb_t *fb, int16_t err)
{
    if (err < -128 || err >= 128)
        return 0;
    kafc__mutex_lock(&fb->lock);
    int64_t n = fb->prod_errs[err + 128];
    kafc__mutex_unlock(&fb->lock);
    return n;
}

void kafc_fb_records_free(kafc_fb_records_t *recs)
{
    if (!recs)
        return;
    free(recs->v);
    free(recs->mem_);
    recs->v = NULL;
    recs->mem_ = NULL;
    recs->count = 0;
}

int kafc_fb_partition_records(kafc_fb_t *fb, const char *topic, int32_t partition,
                              kafc_fb_records_t *out)
{
    kafc__wbuf_t log, kv;
    size_t n = 0, cap = 0;
    kafc_fb_record_t *v = NULL;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    kafc__wbuf_init(&log, 0);
    kafc__wbuf_init(&kv, 0);
    kafc__mutex_lock(&fb->lock);
    fb_partition_t *p = find_part(fb, topic, partition);
    if (p)
        for (size_t b = 0; b < p->nlog; b++)
            kafc__wbuf_put_raw(&log, p->log[b].data, p->log[b].len);
    kafc__mutex_unlock(&fb->lock);
    if (!p || kafc__wbuf_err(&log))
        goto done;

    kafc__batch_iter_t it;
    kafc__batch_view_t bv;
    kafc__batch_iter_init(&it, log.data, log.len, 1);
    while (kafc__batch_iter_next(&it, &bv)) {
        kafc__record_iter_t ri;
        kafc__record_t rec;
        if (kafc__record_iter_init(&ri, &bv, NULL, FB_MAX_DECOMPRESSED, 1) != KAFC_ERR_NONE) {
            kafc__record_iter_clear(&ri);
            goto done;
        }
        while (kafc__record_iter_next(&ri, &rec)) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                kafc_fb_record_t *nv = realloc(v, ncap * sizeof(*nv));
                if (!nv) {
                    kafc__record_iter_clear(&ri);
                    goto done;
                }
                v = nv;
                cap = ncap;
            }
            kafc_fb_record_t *r = &v[n++];
            memset(r, 0, sizeof(*r));
            r->offset = rec.offset;
            r->timestamp = rec.timestamp;
            /* offsets into kv for now; pointers fixed at the end */
            r->key_len = rec.key.len;
            r->key = (const uint8_t *)(uintptr_t)kv.len;
            if (rec.key.len > 0)
                kafc__wbuf_put_raw(&kv, rec.key.ptr, (size_t)rec.key.len);
            r->value_len = rec.value.len;
            r->value = (const uint8_t *)(uintptr_t)kv.len;
            if (rec.value.len > 0)
                kafc__wbuf_put_raw(&kv, rec.value.ptr, (size_t)rec.value.len);
            r->header_count = rec.header_count;
            r->producer_id = bv.producer_id;
            r->producer_epoch = bv.producer_epoch;
            r->sequence = bv.base_sequence >= 0
                              ? seq_add(bv.base_sequence, (int32_t)(rec.offset - bv.base_offset))
                              : -1;
            r->transactional = kafc__batch_view_is_transactional(&bv);
            r->control = kafc__batch_view_is_control(&bv);
        }
        kafc_err_t rerr = kafc__record_iter_err(&ri);
        kafc__record_iter_clear(&ri);
        if (rerr != KAFC_ERR_NONE)
            goto done;
    }
    if (kafc__batch_iter_err(&it) || kafc__wbuf_err(&kv))
        goto done;
    {
        size_t kvlen = 0;
        uint8_t *mem = kafc__wbuf_detach(&kv, &kvlen);
        if (!mem)
            goto done;
        for (size_t i = 0; i < n; i++) {
            v[i].key = v[i].key_len >= 0 ? mem + (uintptr_t)v[i].key : NULL;
            v[i].value = v[i].value_len >= 0 ? mem + (uintptr_t)v[i].value : NULL;
        }
        out->v = v;
        out->count = n;
        out->mem_ = mem;
        v = NULL;
        rc = 0;
    }
done:
    free(v);
    kafc__wbuf_free(&log);
    kafc__wbuf_free(&kv);
    return rc;
}
