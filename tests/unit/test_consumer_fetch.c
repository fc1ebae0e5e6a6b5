/* Consumer fetch path against the fake broker (tests/fakebroker) with
 * crafted record batches: read_committed / read_uncommitted over aborted,
 * committed and interleaved transactions with the LSO and the aborted
 * transaction list; CRC mismatches; truncated, garbage and cut Fetch
 * responses; compressed batches of every codec; and the prefetch bound
 * (queued.max.messages.kbytes) measured on the consumer's buffer accounting. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer/consumer.h"
#include "fakebroker.h"
#include "kafc/kafc.h"
#include "proto/proto.h"
#include "record/batch.h"
#include "record/codec.h"
#include "record/reader.h"
#include "util/clock.h"

static kafc_fb_t *fb;
static kafc_consumer_t *cons; /* the test's consumer, destroyed by teardown */
#define BIG_HOLD 400          /* messages prefetch_bound keeps alive at a time */
static kafc_message_t *held[BIG_HOLD];

typedef struct tlog tlog_t;
static tlog_t *the_log_ptr(void);
static void tlog_free(tlog_t *lg);

/* Also after a failed assertion: nothing leaks into LeakSanitizer's report
 * and no broker callback runs after its test. */
static void teardown(void)
{
    for (int i = 0; i < BIG_HOLD; i++) {
        kafc_message_destroy(held[i]);
        held[i] = NULL;
    }
    kafc_consumer_destroy(cons);
    cons = NULL;
    kafc_fb_stop(fb);
    fb = NULL;
    tlog_free(the_log_ptr());
}

TestSuite(consumer_fetch, .fini = teardown, .timeout = 60);

static void start(int nbrokers)
{
    fb = kafc_fb_start(nbrokers);
    cr_assert_not_null(fb, "the fake broker did not start");
}

/* ---- building batches ----------------------------------------------------- */

typedef struct blob {
    uint8_t *data;
    size_t len;
} blob_t;

/* One record to put in a batch: value NULL with value_len -1 is null, key
 * likewise; hdr_value NULL: no header. */
typedef struct rec {
    const char *key;
    int32_t key_len;
    const char *value;
    int32_t value_len;
    int64_t timestamp;
    const char *hdr_value; /* header "h" */
} rec_t;

/* A batch of n records (copied) with producer pid (-1: none) and flags
 * (KAFC__BATCH_ATTR_TRANSACTIONAL or 0), compressed with codec. */
static blob_t batch_recs(int64_t pid, int16_t flags, const rec_t *recs, int n, kafc__codec_t codec)
{
    size_t cap = KAFC__BATCH_HEADER_SIZE;
    for (int i = 0; i < n; i++)
        cap += (size_t)(recs[i].key_len > 0 ? recs[i].key_len : 0) +
               (size_t)(recs[i].value_len > 0 ? recs[i].value_len : 0) + KAFC__RECORD_MAX_OVERHEAD +
               32;
    uint8_t *buf = malloc(cap);
    cr_assert_not_null(buf);
    kafc__batch_opts_t o;
    kafc__batch_opts_default(&o);
    if (pid >= 0) {
        o.producer_id = pid;
        o.producer_epoch = 0;
        o.base_sequence = 0;
    }
    o.flags = flags;
    kafc__batch_builder_t b;
    cr_assert_eq(kafc__batch_init(&b, buf, cap, &o), KAFC_ERR_NONE);
    for (int i = 0; i < n; i++) {
        kafc__record_header_t h = {"h", 1, recs[i].hdr_value,
                                   recs[i].hdr_value ? (int32_t)strlen(recs[i].hdr_value) : -1};
        cr_assert_eq(kafc__batch_append(&b, recs[i].timestamp, recs[i].key, recs[i].key_len,
                                        recs[i].value, recs[i].value_len, &h,
                                        recs[i].hdr_value ? 1 : 0),
                     KAFC_ERR_NONE);
    }
    blob_t out;
    if (codec == KAFC__CODEC_NONE) {
        out.data = buf;
        out.len = kafc__batch_close(&b);
        return out;
    }
    size_t dcap = kafc__batch_compressed_bound(&b, codec);
    cr_assert_neq(dcap, SIZE_MAX);
    out.data = malloc(dcap);
    cr_assert_not_null(out.data);
    cr_assert_eq(kafc__batch_close_compressed(&b, NULL, codec, KAFC__CODEC_LEVEL_DEFAULT, out.data,
                                              dcap, &out.len),
                 KAFC_ERR_NONE, "%s", kafc__codec_name(codec));
    free(buf);
    return out;
}

/* A batch of values (strings, no key, timestamp 1000000 + i), compressed
 * with codec when this build has it. */
static blob_t batch_vals_z(int64_t pid, int16_t flags, const char *const *vals, int n,
                           kafc__codec_t codec)
{
    rec_t recs[16];
    cr_assert_leq(n, 16);
    for (int i = 0; i < n; i++)
        recs[i] = (rec_t){NULL, -1, vals[i], (int32_t)strlen(vals[i]), 1000000 + i, NULL};
    return batch_recs(pid, flags, recs, n, kafc__codec_available(codec) ? codec : KAFC__CODEC_NONE);
}

static blob_t batch_vals(int64_t pid, int16_t flags, const char *const *vals, int n)
{
    return batch_vals_z(pid, flags, vals, n, KAFC__CODEC_NONE);
}

/* A control batch (one ABORT or COMMIT marker) of producer pid. */
static blob_t control_batch(int64_t pid, int16_t type)
{
    uint8_t *buf = malloc(256);
    cr_assert_not_null(buf);
    kafc__batch_opts_t o;
    kafc__batch_opts_default(&o);
    o.producer_id = pid;
    o.producer_epoch = 0;
    o.base_sequence = -1;
    o.flags = KAFC__BATCH_ATTR_TRANSACTIONAL | KAFC__BATCH_ATTR_CONTROL;
    kafc__batch_builder_t b;
    cr_assert_eq(kafc__batch_init(&b, buf, 256, &o), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append_control(&b, 2000000, type, 0), KAFC_ERR_NONE);
    return (blob_t){buf, kafc__batch_close(&b)};
}

/* ---- the test's copy of a partition's log --------------------------------- */

typedef struct tbatch {
    uint8_t *data; /* with the base offset the fake gave it */
    size_t len;
    int64_t base, last;
} tbatch_t;

struct tlog {
    const char *topic;
    int32_t partition;
    tbatch_t b[64];
    int n;
    int64_t end;
};

/* The one crafted log a test uses (static: teardown frees it). */
static tlog_t the_log;

static tlog_t *the_log_ptr(void)
{
    return &the_log;
}

static void tlog_init(tlog_t *lg, const char *topic, int32_t partition)
{
    memset(lg, 0, sizeof(*lg));
    lg->topic = topic;
    lg->partition = partition;
}

static void tlog_free(tlog_t *lg)
{
    for (int i = 0; i < lg->n; i++)
        free(lg->b[i].data);
    lg->n = 0;
}

static int32_t rd_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (int32_t)kafc__buf_be32(v);
}

/* Appends batch (taken) to the fake's partition and, when lg is given,
 * keeps it with its offsets; returns its base offset. */
static int64_t put(tlog_t *lg, const char *topic, int32_t partition, blob_t batch)
{
    int64_t base = kafc_fb_partition_append(fb, topic, partition, batch.data, batch.len);
    cr_assert_geq(base, 0, "append to %s [%d] failed", topic, partition);
    if (!lg) {
        free(batch.data);
        return base;
    }
    cr_assert_eq(base, lg->end);
    cr_assert_lt(lg->n, 64);
    uint64_t be = kafc__buf_be64((uint64_t)base);
    memcpy(batch.data + KAFC__BATCH_OFF_BASE_OFFSET, &be, 8);
    tbatch_t *t = &lg->b[lg->n++];
    t->data = batch.data;
    t->len = batch.len;
    t->base = base;
    t->last = base + rd_be32(batch.data + KAFC__BATCH_OFF_LAST_OFFSET_DELTA);
    lg->end = t->last + 1;
    return base;
}

/* Keeps batch (taken) in lg at base offset base without the fake broker:
 * for logs only crafted responses serve (offset gaps, as compaction
 * leaves). */
static void put_local(tlog_t *lg, blob_t batch, int64_t base)
{
    cr_assert_lt(lg->n, 64);
    cr_assert_geq(base, lg->end);
    uint64_t be = kafc__buf_be64((uint64_t)base);
    memcpy(batch.data + KAFC__BATCH_OFF_BASE_OFFSET, &be, 8);
    tbatch_t *t = &lg->b[lg->n++];
    t->data = batch.data;
    t->len = batch.len;
    t->base = base;
    t->last = base + rd_be32(batch.data + KAFC__BATCH_OFF_LAST_OFFSET_DELTA);
    lg->end = t->last + 1;
}

/* ---- crafted Fetch responses ---------------------------------------------- */

enum craft_mode {
    CRAFT_CORRUPT,   /* the log from the fetch offset, one batch with a flipped byte */
    CRAFT_TRUNCATED, /* a whole response cut in the middle of its body */
    CRAFT_GARBAGE,   /* pseudo-random bytes */
    CRAFT_HUGE,      /* a response header claiming 2^31-1 topics */
    CRAFT_PARTIAL    /* two whole batches and half of the third (a broker's cut) */
};

typedef struct craft {
    tlog_t *log;
    enum craft_mode mode;
    int corrupt_idx;   /* CRAFT_CORRUPT: the batch of log */
    size_t corrupt_at; /* byte within it */
    atomic_int calls;
    atomic_int failed; /* the callback could not decode or encode */
} craft_t;

static void craft_init(craft_t *cr, tlog_t *log, enum craft_mode mode)
{
    memset(cr, 0, sizeof(*cr));
    cr->log = log;
    cr->mode = mode;
    cr->corrupt_idx = -1;
    atomic_init(&cr->calls, 0);
    atomic_init(&cr->failed, 0);
}

/* Encodes a Fetch response for the request: the craft's partition from its
 * fetch offset (the other partitions are left out: the consumer fetches
 * them again). Returns 0 or -1. Broker thread: no Criterion asserts. */
static int encode_response(craft_t *cr, int16_t version, const void *req, size_t req_len,
                           kafc__wbuf_t *out)
{
    kafc__arena_t a;
    kafc__rbuf_t r;
    kafc__fetch_request_t q;
    int rc = -1;
    kafc__arena_init(&a);
    kafc__rbuf_init(&r, req, req_len);
    if (kafc__fetch_request_decode(&q, version, &r, &a) != KAFC_ERR_NONE)
        goto out;
    const kafc__fetch_request_partition_t *rp = NULL;
    for (int32_t t = 0; t < q.topics.count && !rp; t++) {
        const kafc__fetch_request_topic_t *rt = &q.topics.items[t];
        if (rt->topic.len != (int32_t)strlen(cr->log->topic) ||
            memcmp(rt->topic.ptr, cr->log->topic, (size_t)rt->topic.len) != 0)
            continue;
        for (int32_t i = 0; i < rt->partitions.count; i++)
            if (rt->partitions.items[i].partition == cr->log->partition)
                rp = &rt->partitions.items[i];
    }
    if (!rp)
        goto out;
    const tlog_t *lg = cr->log;
    int first = 0;
    while (first < lg->n && lg->b[first].last < rp->fetch_offset)
        first++;
    int last = lg->n; /* exclusive */
    if (cr->mode == CRAFT_PARTIAL && last > first + 3)
        last = first + 3;
    size_t total = 0;
    for (int i = first; i < last; i++)
        total += lg->b[i].len;
    uint8_t *records = kafc__arena_alloc(&a, total ? total : 1);
    if (!records)
        goto out;
    size_t pos = 0;
    for (int i = first; i < last; i++) {
        memcpy(records + pos, lg->b[i].data, lg->b[i].len);
        if (cr->mode == CRAFT_CORRUPT && i == cr->corrupt_idx)
            records[pos + cr->corrupt_at] ^= 0x5a;
        pos += lg->b[i].len;
    }
    if (cr->mode == CRAFT_PARTIAL && last - first == 3)
        total -= lg->b[last - 1].len / 2;

    kafc__fetch_response_t m;
    kafc__fetch_response_fetchable_topic_response_t tr;
    kafc__fetch_response_partition_data_t pd;
    kafc__fetch_response_init(&m);
    kafc__fetch_response_fetchable_topic_response_init(&tr);
    kafc__fetch_response_partition_data_init(&pd);
    pd.partition_index = lg->partition;
    pd.error_code = 0;
    pd.high_watermark = lg->end;
    pd.last_stable_offset = lg->end;
    pd.log_start_offset = 0;
    pd.aborted_transactions.items = NULL;
    pd.aborted_transactions.count = -1;
    pd.preferred_read_replica = -1;
    pd.records = (kafc__slice_t){records, (int32_t)total};
    tr.topic = kafc__proto_str(lg->topic);
    tr.partitions.items = &pd;
    tr.partitions.count = 1;
    m.responses.items = &tr;
    m.responses.count = 1;
    m.node_endpoints.count = 0;
    if (kafc__fetch_response_encode(&m, version, out) == KAFC_ERR_NONE && !kafc__wbuf_err(out))
        rc = 0;
out:
    kafc__arena_destroy(&a);
    return rc;
}

static int craft_cb(void *arg, int16_t api_key, int16_t version, const void *req, size_t req_len,
                    kafc__wbuf_t *resp)
{
    craft_t *cr = arg;
    atomic_fetch_add(&cr->calls, 1);
    if (api_key != KAFC__API_FETCH) {
        atomic_store(&cr->failed, 1);
        return KAFC_FB_CB_DEFAULT;
    }
    switch (cr->mode) {
    case CRAFT_GARBAGE: {
        uint32_t x = 0x2545f491u;
        for (int i = 0; i < 97; i++) {
            x = x * 1664525u + 1013904223u;
            kafc__wbuf_put_i8(resp, (int8_t)(x >> 24));
        }
        return KAFC_FB_CB_SEND;
    }
    case CRAFT_HUGE:
        kafc__wbuf_put_i32(resp, 0);          /* throttle_time_ms */
        kafc__wbuf_put_i16(resp, 0);          /* error_code */
        kafc__wbuf_put_i32(resp, 0);          /* session_id */
        kafc__wbuf_put_i32(resp, 0x7fffffff); /* responses: count */
        kafc__wbuf_put_i16(resp, 3);          /* a topic name of 3 bytes... */
        kafc__wbuf_put_raw(resp, "mal", 3);
        kafc__wbuf_put_i32(resp, 0x7fffffff); /* ...with as many partitions */
        return KAFC_FB_CB_SEND;
    case CRAFT_TRUNCATED: {
        kafc__wbuf_t full;
        kafc__wbuf_init(&full, 1024);
        if (encode_response(cr, version, req, req_len, &full) != 0) {
            atomic_store(&cr->failed, 1);
            kafc__wbuf_free(&full);
            return KAFC_FB_CB_DEFAULT;
        }
        kafc__wbuf_put_raw(resp, full.data, full.len / 2);
        kafc__wbuf_free(&full);
        return KAFC_FB_CB_SEND;
    }
    case CRAFT_CORRUPT:
    case CRAFT_PARTIAL:
    default:
        if (encode_response(cr, version, req, req_len, resp) != 0) {
            atomic_store(&cr->failed, 1);
            return KAFC_FB_CB_DEFAULT;
        }
        return KAFC_FB_CB_SEND;
    }
}

/* Queues one crafted answer for the next Fetch naming the craft's partition. */
static void push_craft(craft_t *cr, int32_t broker)
{
    kafc_fb_action_t act = {.type = KAFC_FB_CALLBACK,
                            .fn = craft_cb,
                            .arg = cr,
                            .topic = cr->log->topic,
                            .partition = cr->log->partition};
    cr_assert_eq(kafc_fb_push(fb, broker, KAFC__API_FETCH, &act), 0);
}

/* ---- the consumer side -------------------------------------------------- */

static kafc_consumer_t *new_consumer(const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_fb_bootstrap(fb), NULL, 0), 0);
    /* Short long-polls: an empty fetch (the EOF probe) answers quickly. */
    cr_assert_eq(kafc_conf_set(conf, "fetch.max.wait.ms", "100", NULL, 0), 0);
    cr_assert_eq(kafc_conf_set(conf, "enable.partition.eof", "true", NULL, 0), 0);
    for (int i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kafc_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)), 0, "%s: %s",
                     kv[i], errstr);
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);
    cr_assert_null(cons, "one consumer per test");
    cons = c;
    return c;
}

static void destroy_consumer(void)
{
    kafc_consumer_destroy(cons);
    cons = NULL;
}

static void assign(kafc_consumer_t *c, const char *topic, int nparts, int64_t offset)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(nparts);
    for (int i = 0; i < nparts; i++)
        kafc_topic_partition_list_add(l, topic, i)->offset = offset;
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
}

static int64_t position(kafc_consumer_t *c, const char *topic, int32_t partition)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(1);
    kafc_topic_partition_list_add(l, topic, partition);
    cr_assert_eq(kafc_position(c, l), KAFC_ERR_NONE);
    cr_assert_eq(l->elems[0].err, KAFC_ERR_NONE);
    int64_t o = l->elems[0].offset;
    kafc_topic_partition_list_destroy(l);
    return o;
}

/* What a partition delivered, in order. */
#define GOT_MAX 256
typedef struct got {
    int64_t offset[GOT_MAX];
    char value[GOT_MAX][48];
    int n;
    int64_t eof_at; /* -1: no EOF seen */
} got_t;

/* Polls until topic/partition reports EOF (within 15 s), keeping its
 * records; any other message or event fails the test. */
static void poll_to_eof(kafc_consumer_t *c, const char *topic, int32_t partition, got_t *g)
{
    memset(g, 0, sizeof(*g));
    g->eof_at = -1;
    int64_t deadline = kafc__clock_ms() + 15000;
    while (g->eof_at < 0 && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        kafc_err_t err = kafc_message_err(m);
        cr_assert_str_eq(kafc_message_topic(m), topic);
        cr_assert_eq(kafc_message_partition(m), partition, "%s", kafc_err_name(err));
        if (err == KAFC_ERR__PARTITION_EOF) {
            g->eof_at = kafc_message_offset(m);
        } else {
            cr_assert_eq(err, KAFC_ERR_NONE, "%s at offset %lld", kafc_err_name(err),
                         (long long)kafc_message_offset(m));
            cr_assert_lt(g->n, GOT_MAX);
            size_t len = 0;
            const char *v = kafc_message_value(m, &len);
            cr_assert_not_null(v);
            cr_assert_lt(len, sizeof(g->value[0]));
            g->offset[g->n] = kafc_message_offset(m);
            memcpy(g->value[g->n], v, len);
            g->value[g->n][len] = '\0';
            g->n++;
        }
        kafc_message_destroy(m);
    }
    cr_assert_geq(g->eof_at, 0, "no EOF for %s [%d] within 15 s (%d records)", topic, partition,
                  g->n);
}

typedef struct expect {
    int64_t offset;
    const char *value;
} expect_t;

static void check_got(const got_t *g, const expect_t *e, int n, int64_t eof_at, const char *what)
{
    for (int i = 0; i < g->n && i < n; i++) {
        cr_assert_eq(g->offset[i], e[i].offset, "%s: record %d has offset %lld, expected %lld",
                     what, i, (long long)g->offset[i], (long long)e[i].offset);
        cr_assert_str_eq(g->value[i], e[i].value, "%s: offset %lld", what, (long long)e[i].offset);
    }
    cr_assert_eq(g->n, n, "%s: %d records delivered, expected %d", what, g->n, n);
    cr_assert_eq(g->eof_at, eof_at, "%s: EOF at %lld, expected %lld", what, (long long)g->eof_at,
                 (long long)eof_at);
}

/* ---- 1. transactions: read_committed and read_uncommitted -------------------- */

#define P1 4001 /* aborts every transaction */
#define P2 4002 /* commits */
#define P3 4003 /* open at the LSO, committed later */

/* The transactional log (offsets in the comments):
 *  0-2  plain a0 a1 a2           3-4  plain a3 a4
 *  5-6  P1 (aborted)             7    P1 ABORT
 *  8-9  P2                       10   P2 COMMIT
 *  11   P1 (aborted)             12-13 P2
 *  14   P1 (aborted)             15   plain a15
 *  16   P2                       17   P1 ABORT          18  P2 COMMIT
 *  19   P3 (open: LSO 19)
 * Aborted transactions listed by Fetch: (P1, 5) and (P1, 11), scripted in
 * the reverse order (the consumer must sort them). The batches at 11
 * (zstd) and 12-13 (gzip) are compressed. */
static void make_txn_log(const char *topic)
{
    cr_assert_eq(kafc_fb_topic_create(fb, topic, 1, 1), 0);
    const int16_t T = KAFC__BATCH_ATTR_TRANSACTIONAL;
    const char *a0[] = {"a0", "a1", "a2"}, *a3[] = {"a3", "a4"};
    const char *p1a[] = {"p1-5", "p1-6"}, *p2a[] = {"p2-8", "p2-9"};
    const char *p1b[] = {"p1-11"}, *p2b[] = {"p2-12", "p2-13"}, *p1c[] = {"p1-14"};
    const char *a15[] = {"a15"}, *p2c[] = {"p2-16"}, *p3[] = {"p3-19"};
    cr_assert_eq(put(NULL, topic, 0, batch_vals(-1, 0, a0, 3)), 0);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(-1, 0, a3, 2)), 3);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(P1, T, p1a, 2)), 5);
    cr_assert_eq(put(NULL, topic, 0, control_batch(P1, KAFC__CONTROL_ABORT)), 7);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(P2, T, p2a, 2)), 8);
    cr_assert_eq(put(NULL, topic, 0, control_batch(P2, KAFC__CONTROL_COMMIT)), 10);
    cr_assert_eq(put(NULL, topic, 0, batch_vals_z(P1, T, p1b, 1, KAFC__CODEC_ZSTD)), 11);
    cr_assert_eq(put(NULL, topic, 0, batch_vals_z(P2, T, p2b, 2, KAFC__CODEC_GZIP)), 12);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(P1, T, p1c, 1)), 14);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(-1, 0, a15, 1)), 15);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(P2, T, p2c, 1)), 16);
    cr_assert_eq(put(NULL, topic, 0, control_batch(P1, KAFC__CONTROL_ABORT)), 17);
    cr_assert_eq(put(NULL, topic, 0, control_batch(P2, KAFC__CONTROL_COMMIT)), 18);
    cr_assert_eq(put(NULL, topic, 0, batch_vals(P3, T, p3, 1)), 19);
    cr_assert_eq(kafc_fb_add_aborted_txn(fb, topic, 0, P1, 11), 0);
    cr_assert_eq(kafc_fb_add_aborted_txn(fb, topic, 0, P1, 5), 0);
    cr_assert_eq(kafc_fb_set_lso(fb, topic, 0, 19), 0);
}

/* P3 commits: its marker at 20, and nothing is open any more. */
static void commit_p3(const char *topic)
{
    cr_assert_eq(put(NULL, topic, 0, control_batch(P3, KAFC__CONTROL_COMMIT)), 20);
    cr_assert_eq(kafc_fb_set_lso(fb, topic, 0, -1), 0);
}

static const expect_t committed_before_lso[] = {
    {0, "a0"},   {1, "a1"},     {2, "a2"},     {3, "a3"},   {4, "a4"},    {8, "p2-8"},
    {9, "p2-9"}, {12, "p2-12"}, {13, "p2-13"}, {15, "a15"}, {16, "p2-16"}};

/* read_committed from start: up to the LSO, then past P3's commit. */
static void read_committed_case(const char *const *kv, int64_t start_at)
{
    start(1);
    make_txn_log("txn");
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "txn", 1, start_at);
    expect_t e[32];
    int n = 0;
    for (size_t i = 0; i < sizeof(committed_before_lso) / sizeof(committed_before_lso[0]); i++)
        if (start_at < 0 || committed_before_lso[i].offset >= start_at)
            e[n++] = committed_before_lso[i];
    got_t g;
    /* Up to the LSO: the open transaction of P3 is not returned yet. */
    poll_to_eof(c, "txn", 0, &g);
    check_got(&g, e, n, 19, "read_committed up to the LSO");
    cr_assert_eq(position(c, "txn", 0), 19);
    /* P3 commits: its record arrives, the marker does not, and the position
     * moves past the marker. */
    commit_p3("txn");
    poll_to_eof(c, "txn", 0, &g);
    static const expect_t after[] = {{19, "p3-19"}};
    check_got(&g, after, 1, 21, "read_committed after the commit");
    cr_assert_eq(position(c, "txn", 0), 21);
    destroy_consumer();
}

Test(consumer_fetch, read_committed)
{
    const char *kv[] = {"isolation.level", "read_committed", NULL};
    read_committed_case(kv, KAFC_OFFSET_BEGINNING);
}

/* One batch per Fetch response: the aborted transactions and their markers
 * arrive in different responses. */
Test(consumer_fetch, read_committed_one_batch_per_fetch)
{
    const char *kv[] = {"isolation.level", "read_committed", "max.partition.fetch.bytes", "1",
                        NULL};
    read_committed_case(kv, KAFC_OFFSET_BEGINNING);
}

/* Starting at 12, inside P1's second aborted transaction (first offset 11,
 * before the fetch offset): its batch at 14 is still skipped. */
Test(consumer_fetch, read_committed_from_middle)
{
    const char *kv[] = {"isolation.level", "read_committed", NULL};
    read_committed_case(kv, 12);
}

/* One producer aborts, commits, aborts: its ABORT marker ends the aborted
 * transaction, so its next (committed) transaction is delivered.
 *  0 P1 (aborted)  1 P1 ABORT  2 P1 (committed)  3 P1 COMMIT
 *  4 P1 (aborted)  5 P1 ABORT  6 plain a6
 * (Default fetch sizes: one response holds the whole log. Split over
 * several responses the fake broker would list (P1, 0) again after its
 * marker, which Kafka does not: see the report.) */
Test(consumer_fetch, read_committed_producer_reuse)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "reuse", 1, 1), 0);
    const int16_t T = KAFC__BATCH_ATTR_TRANSACTIONAL;
    const char *v0[] = {"p1-0"}, *v2[] = {"p1-2"}, *v4[] = {"p1-4"}, *v6[] = {"a6"};
    cr_assert_eq(put(NULL, "reuse", 0, batch_vals(P1, T, v0, 1)), 0);
    cr_assert_eq(put(NULL, "reuse", 0, control_batch(P1, KAFC__CONTROL_ABORT)), 1);
    cr_assert_eq(put(NULL, "reuse", 0, batch_vals(P1, T, v2, 1)), 2);
    cr_assert_eq(put(NULL, "reuse", 0, control_batch(P1, KAFC__CONTROL_COMMIT)), 3);
    cr_assert_eq(put(NULL, "reuse", 0, batch_vals(P1, T, v4, 1)), 4);
    cr_assert_eq(put(NULL, "reuse", 0, control_batch(P1, KAFC__CONTROL_ABORT)), 5);
    cr_assert_eq(put(NULL, "reuse", 0, batch_vals(-1, 0, v6, 1)), 6);
    cr_assert_eq(kafc_fb_add_aborted_txn(fb, "reuse", 0, P1, 0), 0);
    cr_assert_eq(kafc_fb_add_aborted_txn(fb, "reuse", 0, P1, 4), 0);
    const char *kv[] = {"isolation.level", "read_committed", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "reuse", 1, KAFC_OFFSET_BEGINNING);
    got_t g;
    poll_to_eof(c, "reuse", 0, &g);
    static const expect_t e[] = {{2, "p1-2"}, {6, "a6"}};
    check_got(&g, e, 2, 7, "read_committed, one producer aborting and committing");
    cr_assert_eq(position(c, "reuse", 0), 7);
    destroy_consumer();
}

Test(consumer_fetch, read_uncommitted)
{
    start(1);
    make_txn_log("txn");
    const char *kv[] = {"isolation.level", "read_uncommitted", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "txn", 1, KAFC_OFFSET_BEGINNING);
    static const expect_t all[] = {{0, "a0"},     {1, "a1"},     {2, "a2"},     {3, "a3"},
                                   {4, "a4"},     {5, "p1-5"},   {6, "p1-6"},   {8, "p2-8"},
                                   {9, "p2-9"},   {11, "p1-11"}, {12, "p2-12"}, {13, "p2-13"},
                                   {14, "p1-14"}, {15, "a15"},   {16, "p2-16"}, {19, "p3-19"}};
    got_t g;
    /* The LSO does not hold read_uncommitted back: the end is the log end. */
    poll_to_eof(c, "txn", 0, &g);
    check_got(&g, all, (int)(sizeof(all) / sizeof(all[0])), 20, "read_uncommitted");
    cr_assert_eq(position(c, "txn", 0), 20);
    commit_p3("txn");
    poll_to_eof(c, "txn", 0, &g);
    check_got(&g, NULL, 0, 21, "read_uncommitted after the commit marker");
    cr_assert_eq(position(c, "txn", 0), 21);
    destroy_consumer();
}

/* ---- 2. CRC mismatch ------------------------------------------------------------ */

#define CRC_BATCHES 4
#define CRC_PER_BATCH 5

/* Topic "crc": partition 0 on broker 1, partition 1 on broker 2, each with
 * 4 batches of 5 records "p<part>-<offset>". lg gets partition 0's. */
static void make_crc_topic(tlog_t *lg)
{
    cr_assert_eq(kafc_fb_topic_create(fb, "crc", 2, 0), 0);
    tlog_init(lg, "crc", 0);
    for (int part = 0; part < 2; part++)
        for (int b = 0; b < CRC_BATCHES; b++) {
            char vals[CRC_PER_BATCH][16];
            const char *vp[CRC_PER_BATCH];
            for (int i = 0; i < CRC_PER_BATCH; i++) {
                snprintf(vals[i], sizeof(vals[i]), "p%d-%d", part, b * CRC_PER_BATCH + i);
                vp[i] = vals[i];
            }
            put(part == 0 ? lg : NULL, "crc", part, batch_vals(-1, 0, vp, CRC_PER_BATCH));
        }
}

/* Where value "p0-7" (in the second batch) lies in lg's batch 1. */
static size_t value_pos(const tlog_t *lg, int idx, const char *value)
{
    const tbatch_t *t = &lg->b[idx];
    size_t vl = strlen(value);
    for (size_t i = KAFC__BATCH_HEADER_SIZE; i + vl <= t->len; i++)
        if (memcmp(t->data + i, value, vl) == 0)
            return i;
    cr_assert_fail("value %s not in batch %d", value, idx);
    return 0;
}

Test(consumer_fetch, crc_mismatch)
{
    start(2);
    make_crc_topic(&the_log);
    /* The first Fetch of partition 0 (broker 1) carries the log with the
     * value "p0-7" of the second batch altered: its CRC fails. */
    static craft_t cr;
    craft_init(&cr, &the_log, CRAFT_CORRUPT);
    cr.corrupt_idx = 1;
    cr.corrupt_at = value_pos(&the_log, 1, "p0-7") + 3;
    push_craft(&cr, 1);
    kafc_consumer_t *c = new_consumer(NULL); /* check.crcs defaults to true */
    assign(c, "crc", 2, KAFC_OFFSET_BEGINNING);

    int64_t p0_next = 0, p1_next = 0, p1_eof = -1, crc_at = -1;
    int64_t deadline = kafc__clock_ms() + 15000;
    while ((crc_at < 0 || p1_eof < 0) && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        kafc_err_t err = kafc_message_err(m);
        int32_t part = kafc_message_partition(m);
        int64_t off = kafc_message_offset(m);
        cr_assert_str_eq(kafc_message_topic(m), "crc");
        if (err == KAFC_ERR__CRC_MISMATCH) {
            cr_assert_eq(part, 0);
            cr_assert_eq(crc_at, -1, "a second CRC error");
            cr_assert_eq(p0_next, CRC_PER_BATCH, "CRC error after %lld records of partition 0",
                         (long long)p0_next);
            crc_at = off;
        } else if (err == KAFC_ERR__PARTITION_EOF) {
            cr_assert_eq(part, 1, "EOF of partition %d at %lld", part, (long long)off);
            p1_eof = off;
        } else {
            cr_assert_eq(err, KAFC_ERR_NONE, "%s [%d] at %lld", kafc_err_name(err), part,
                         (long long)off);
            char want[16];
            size_t len;
            const char *v = kafc_message_value(m, &len);
            int64_t *next = part == 0 ? &p0_next : &p1_next;
            cr_assert_eq(off, *next, "partition %d: offset %lld, expected %lld", part,
                         (long long)off, (long long)*next);
            snprintf(want, sizeof(want), "p%d-%lld", part, (long long)off);
            cr_assert_eq(len, strlen(want));
            cr_assert_eq(memcmp(v, want, len), 0);
            (*next)++;
        }
        kafc_message_destroy(m);
    }
    cr_assert_eq(atomic_load(&cr.failed), 0);
    cr_assert_eq(atomic_load(&cr.calls), 1, "the crafted Fetch was not used");
    cr_assert_eq(crc_at, CRC_PER_BATCH, "CRC error at %lld, expected the base offset %d",
                 (long long)crc_at, CRC_PER_BATCH);
    cr_assert_eq(p0_next, CRC_PER_BATCH);
    cr_assert_eq(p1_next, CRC_BATCHES * CRC_PER_BATCH);
    cr_assert_eq(p1_eof, CRC_BATCHES * CRC_PER_BATCH);
    /* The position stays at the corrupt batch. */
    cr_assert_eq(position(c, "crc", 0), CRC_PER_BATCH);

    /* Past the bad batch, the rest of partition 0 arrives. */
    cr_assert_eq(kafc_seek(c, "crc", 0, 2 * CRC_PER_BATCH), KAFC_ERR_NONE);
    got_t g;
    poll_to_eof(c, "crc", 0, &g);
    expect_t e[2 * CRC_PER_BATCH];
    char vals[2 * CRC_PER_BATCH][16];
    for (int i = 0; i < 2 * CRC_PER_BATCH; i++) {
        snprintf(vals[i], sizeof(vals[i]), "p0-%d", 2 * CRC_PER_BATCH + i);
        e[i] = (expect_t){2 * CRC_PER_BATCH + i, vals[i]};
    }
    check_got(&g, e, 2 * CRC_PER_BATCH, CRC_BATCHES * CRC_PER_BATCH, "partition 0 after seek");
    cr_assert_eq(position(c, "crc", 0), CRC_BATCHES * CRC_PER_BATCH);
    destroy_consumer();
}

/* check.crcs=false: the altered batch is delivered as it is. */
Test(consumer_fetch, crc_unchecked)
{
    start(2);
    make_crc_topic(&the_log);
    static craft_t cr;
    craft_init(&cr, &the_log, CRAFT_CORRUPT);
    cr.corrupt_idx = 1;
    cr.corrupt_at = value_pos(&the_log, 1, "p0-7") + 3; /* '7' ^ 0x5a = 'm' */
    push_craft(&cr, 1);
    const char *kv[] = {"check.crcs", "false", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "crc", 1, KAFC_OFFSET_BEGINNING);
    got_t g;
    poll_to_eof(c, "crc", 0, &g);
    expect_t e[CRC_BATCHES * CRC_PER_BATCH];
    char vals[CRC_BATCHES * CRC_PER_BATCH][16];
    for (int i = 0; i < CRC_BATCHES * CRC_PER_BATCH; i++) {
        snprintf(vals[i], sizeof(vals[i]), "p0-%d", i);
        e[i] = (expect_t){i, vals[i]};
    }
    vals[7][3] = (char)('7' ^ 0x5a);
    check_got(&g, e, CRC_BATCHES * CRC_PER_BATCH, CRC_BATCHES * CRC_PER_BATCH, "check.crcs=false");
    cr_assert_eq(atomic_load(&cr.calls), 1);
    cr_assert_eq(atomic_load(&cr.failed), 0);
    destroy_consumer();
}

/* A compacted log has offset gaps: batch 0-4, then the corrupt batch at
 * 10-14. The error names the corrupt batch's own base offset (10), as
 * Java's consumer does, not the offset after the previous batch. */
Test(consumer_fetch, crc_mismatch_after_gap)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "gap", 1, 1), 0);
    tlog_init(&the_log, "gap", 0);
    const char *v0[] = {"g-0", "g-1", "g-2", "g-3", "g-4"};
    const char *v1[] = {"g-10", "g-11", "g-12", "g-13", "g-14"};
    put_local(&the_log, batch_vals(-1, 0, v0, 5), 0);
    put_local(&the_log, batch_vals(-1, 0, v1, 5), 10);
    static craft_t cr;
    craft_init(&cr, &the_log, CRAFT_CORRUPT);
    cr.corrupt_idx = 1;
    cr.corrupt_at = value_pos(&the_log, 1, "g-12") + 3;
    push_craft(&cr, 1);
    kafc_consumer_t *c = new_consumer(NULL);
    assign(c, "gap", 1, KAFC_OFFSET_BEGINNING);
    int64_t next = 0, crc_at = -1;
    int64_t deadline = kafc__clock_ms() + 15000;
    while (crc_at < 0 && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        kafc_err_t err = kafc_message_err(m);
        cr_assert_eq(kafc_message_partition(m), 0);
        if (err == KAFC_ERR__CRC_MISMATCH) {
            crc_at = kafc_message_offset(m);
        } else {
            cr_assert_eq(err, KAFC_ERR_NONE, "%s at %lld", kafc_err_name(err),
                         (long long)kafc_message_offset(m));
            cr_assert_eq(kafc_message_offset(m), next);
            next++;
        }
        kafc_message_destroy(m);
    }
    cr_assert_eq(atomic_load(&cr.calls), 1);
    cr_assert_eq(next, 5);
    cr_assert_eq(crc_at, 10, "CRC error reported at %lld, the corrupt batch starts at 10",
                 (long long)crc_at);
    destroy_consumer();
}

/* ---- 3. malformed Fetch responses ---------------------------------------------- */

#define MAL_BATCHES 6
#define MAL_PER_BATCH 10

Test(consumer_fetch, malformed_responses)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "mal", 1, 1), 0);
    tlog_init(&the_log, "mal", 0);
    for (int b = 0; b < MAL_BATCHES; b++) {
        char vals[MAL_PER_BATCH][16];
        const char *vp[MAL_PER_BATCH];
        for (int i = 0; i < MAL_PER_BATCH; i++) {
            snprintf(vals[i], sizeof(vals[i]), "m-%d", b * MAL_PER_BATCH + i);
            vp[i] = vals[i];
        }
        put(&the_log, "mal", 0, batch_vals(-1, 0, vp, MAL_PER_BATCH));
    }
    /* In order: a response cut in half, garbage, a header claiming 2^31-1
     * topics, a good response ending in half a batch (the consumer goes on
     * from that batch), and a response lost with its connection. */
    static craft_t trunc, garbage, huge, partial;
    craft_init(&trunc, &the_log, CRAFT_TRUNCATED);
    craft_init(&garbage, &the_log, CRAFT_GARBAGE);
    craft_init(&huge, &the_log, CRAFT_HUGE);
    craft_init(&partial, &the_log, CRAFT_PARTIAL);
    push_craft(&trunc, 1);
    push_craft(&garbage, 1);
    push_craft(&huge, 1);
    push_craft(&partial, 1);
    kafc_fb_action_t close_after = {.type = KAFC_FB_CLOSE_AFTER, .topic = "mal", .partition = 0};
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_FETCH, &close_after), 0);

    const char *kv[] = {"retry.backoff.ms", "20", "reconnect.backoff.ms", "20", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "mal", 1, KAFC_OFFSET_BEGINNING);
    got_t g;
    poll_to_eof(c, "mal", 0, &g);
    expect_t e[MAL_BATCHES * MAL_PER_BATCH];
    char vals[MAL_BATCHES * MAL_PER_BATCH][16];
    for (int i = 0; i < MAL_BATCHES * MAL_PER_BATCH; i++) {
        snprintf(vals[i], sizeof(vals[i]), "m-%d", i);
        e[i] = (expect_t){i, vals[i]};
    }
    check_got(&g, e, MAL_BATCHES * MAL_PER_BATCH, MAL_BATCHES * MAL_PER_BATCH,
              "after malformed responses");
    cr_assert_eq(kafc_fb_pending_actions(fb), 0, "not every scripted Fetch answer was used");
    cr_assert_eq(atomic_load(&trunc.calls), 1);
    cr_assert_eq(atomic_load(&garbage.calls), 1);
    cr_assert_eq(atomic_load(&huge.calls), 1);
    cr_assert_eq(atomic_load(&partial.calls), 1);
    cr_assert_eq(atomic_load(&trunc.failed) + atomic_load(&partial.failed), 0);
    /* 5 scripted answers, the good one after them and the empty EOF probe. */
    cr_assert_geq(kafc_fb_request_count(fb, 0, KAFC__API_FETCH), 7);
    cr_assert_eq(position(c, "mal", 0), MAL_BATCHES * MAL_PER_BATCH);
    destroy_consumer();
}

/* ---- 4. compressed batches ------------------------------------------------------- */

#define Z_PER_BATCH 120

/* Record i of batch b: key "k<b>-<i>" (null every 7th), a value of a
 * length varying up to ~600 bytes (null every 11th, empty every 13th), a
 * header h=<i> (none every 5th), timestamp 5000000 + 1000 * b + i. */
static void z_record(int b, int i, rec_t *r, char *key, char *val)
{
    int klen = snprintf(key, 32, "k%d-%d", b, i);
    int vlen = (i * 37 + b * 101) % 600;
    for (int j = 0; j < vlen; j++)
        val[j] = (char)('a' + (j * (i + 1) + b) % 26);
    int n = snprintf(val, 24, "v%d-%d:", b, i);
    if (n < vlen)
        val[n] = '|';
    else
        vlen = n;
    r->key = i % 7 == 0 ? NULL : key;
    r->key_len = i % 7 == 0 ? -1 : klen;
    r->value = i % 11 == 0 ? NULL : val;
    r->value_len = i % 11 == 0 ? -1 : i % 13 == 0 ? 0 : vlen;
    r->timestamp = 5000000 + 1000 * b + i;
    r->hdr_value = NULL;
}

Test(consumer_fetch, compressed)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "z", 1, 1), 0);
    static const kafc__codec_t all[] = {KAFC__CODEC_NONE, KAFC__CODEC_GZIP, KAFC__CODEC_SNAPPY,
                                        KAFC__CODEC_LZ4, KAFC__CODEC_ZSTD};
    kafc__codec_t codecs[10];
    int nb = 0;
    /* Every available codec twice, so that batches of each follow others. */
    for (int round = 0; round < 2; round++)
        for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
            if (kafc__codec_available(all[k]))
                codecs[nb++] = all[k];
    cr_assert_geq(nb, 8, "gzip, lz4 and zstd are build dependencies");
    static char keys[10][Z_PER_BATCH][32];
    static char vals[10][Z_PER_BATCH][640];
    static char hdrs[10][Z_PER_BATCH][16];
    static rec_t recs[10][Z_PER_BATCH];
    for (int b = 0; b < nb; b++) {
        for (int i = 0; i < Z_PER_BATCH; i++) {
            z_record(b, i, &recs[b][i], keys[b][i], vals[b][i]);
            if (i % 5 != 0) {
                snprintf(hdrs[b][i], sizeof(hdrs[b][i]), "%d", i);
                recs[b][i].hdr_value = hdrs[b][i];
            }
        }
        blob_t z = batch_recs(-1, 0, recs[b], Z_PER_BATCH, codecs[b]);
        cr_assert_eq(z.data[KAFC__BATCH_OFF_ATTRIBUTES + 1] & KAFC__BATCH_ATTR_CODEC_MASK,
                     codecs[b]);
        cr_assert_eq(put(NULL, "z", 0, z), (int64_t)b * Z_PER_BATCH);
    }
    /* Small responses too: several compressed batches per Fetch, and
     * one per Fetch. */
    const char *kv[] = {"max.partition.fetch.bytes", "20000", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    assign(c, "z", 1, KAFC_OFFSET_BEGINNING);
    int64_t next = 0, eof = -1, total = (int64_t)nb * Z_PER_BATCH;
    int64_t deadline = kafc__clock_ms() + 15000;
    while (eof < 0 && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        kafc_err_t err = kafc_message_err(m);
        if (err == KAFC_ERR__PARTITION_EOF) {
            eof = kafc_message_offset(m);
            kafc_message_destroy(m);
            break;
        }
        cr_assert_eq(err, KAFC_ERR_NONE, "%s at %lld", kafc_err_name(err),
                     (long long)kafc_message_offset(m));
        cr_assert_eq(kafc_message_offset(m), next);
        int b = (int)(next / Z_PER_BATCH), i = (int)(next % Z_PER_BATCH);
        const rec_t *r = &recs[b][i];
        const char *codec = kafc__codec_name(codecs[b]);
        size_t klen = 99, vlen = 99;
        const void *k = kafc_message_key(m, &klen);
        const void *v = kafc_message_value(m, &vlen);
        if (!r->key) {
            cr_assert_null(k, "%s offset %lld: key", codec, (long long)next);
            cr_assert_eq(klen, 0);
        } else {
            cr_assert_not_null(k);
            cr_assert_eq(klen, (size_t)r->key_len);
            cr_assert_eq(memcmp(k, r->key, klen), 0, "%s offset %lld: key", codec, (long long)next);
        }
        if (!r->value) {
            cr_assert_null(v, "%s offset %lld: value", codec, (long long)next);
            cr_assert_eq(vlen, 0);
        } else {
            cr_assert_eq(vlen, (size_t)r->value_len, "%s offset %lld: value length", codec,
                         (long long)next);
            cr_assert(vlen == 0 || memcmp(v, r->value, vlen) == 0, "%s offset %lld: value", codec,
                      (long long)next);
        }
        kafc_timestamp_type_t tt;
        cr_assert_eq(kafc_message_timestamp(m, &tt), r->timestamp);
        cr_assert_eq(tt, KAFC_TIMESTAMP_CREATE_TIME);
        const kafc_headers_t *h = kafc_message_headers(m);
        cr_assert_not_null(h);
        if (!r->hdr_value) {
            cr_assert_eq(kafc_headers_count(h), 0);
        } else {
            const char *name;
            const void *hv;
            size_t hl;
            cr_assert_eq(kafc_headers_count(h), 1);
            cr_assert_eq(kafc_headers_get(h, 0, &name, &hv, &hl), KAFC_ERR_NONE);
            cr_assert_str_eq(name, "h");
            cr_assert_eq(hl, strlen(r->hdr_value));
            cr_assert_eq(memcmp(hv, r->hdr_value, hl), 0);
        }
        next++;
        kafc_message_destroy(m);
    }
    cr_assert_eq(next, total, "%lld of %lld records", (long long)next, (long long)total);
    cr_assert_eq(eof, total);
    cr_assert_eq(position(c, "z", 0), total);
    destroy_consumer();
}

/* ---- 5. the prefetch bound --------------------------------------------------------- */

#define BIG_PARTS 4
#define BIG_BATCHES 50
#define BIG_PER_BATCH 100
#define BIG_VALUE 1000

#define BOUND (1024 * 1024)     /* queued.max.messages.kbytes=1024 */
#define FETCH_MAX (1024 * 1024) /* fetch.max.bytes */

/* Consumes "big" over nbrokers brokers (its partitions spread over them)
 * while holding the last BIG_HOLD messages, sampling the buffered bytes
 * after every poll; asserts every record once and returns the maximum.
 * With several brokers, each broker's first Fetch is answered 300 ms late
 * and nothing is polled for up to 2 s (or until the bound is broken): the
 * first Fetches are then all in flight together, and what they bring
 * stays buffered, whatever the timing of the application. */
static int64_t prefetch_case(int nbrokers)
{
    start(nbrokers);
    cr_assert_eq(kafc_fb_topic_create(fb, "big", BIG_PARTS, nbrokers == 1 ? 1 : 0), 0);
    /* 4 partitions x 50 batches x 100 records of 1000 bytes: ~20 MiB, in
     * batches of ~100 KB, so that a 1 MiB response holds 10 of them. */
    static char vals[BIG_PER_BATCH][BIG_VALUE];
    rec_t recs[BIG_PER_BATCH];
    for (int part = 0; part < BIG_PARTS; part++)
        for (int b = 0; b < BIG_BATCHES; b++) {
            for (int i = 0; i < BIG_PER_BATCH; i++) {
                int n = snprintf(vals[i], BIG_VALUE, "%d:%d:", part, b * BIG_PER_BATCH + i);
                memset(vals[i] + n, 'a' + (i + b) % 26, BIG_VALUE - (size_t)n);
                recs[i] = (rec_t){NULL, -1, vals[i], BIG_VALUE, 1000 + i, NULL};
            }
            put(NULL, "big", part, batch_recs(-1, 0, recs, BIG_PER_BATCH, KAFC__CODEC_NONE));
        }
    for (int b = 1; nbrokers > 1 && b <= nbrokers; b++) {
        kafc_fb_action_t late = {.type = KAFC_FB_DELAY, .delay_ms = 300};
        cr_assert_eq(kafc_fb_push(fb, b, KAFC__API_FETCH, &late), 0);
    }
    const char *kv[] = {"queued.max.messages.kbytes", "1024", "fetch.max.bytes", "1048576", NULL};
    kafc_consumer_t *c = new_consumer(kv);
    /* Absolute start offsets: no ListOffsets, every partition is ready for
     * its first Fetch at once. */
    assign(c, "big", BIG_PARTS, 0);
    int64_t max_buffered = 0;
    /* Sampling, not synchronisation: the loop ends early only when the
     * bound is already broken. */
    for (int64_t until = kafc__clock_ms() + 2000; nbrokers > 1 && kafc__clock_ms() < until;) {
        int64_t b = atomic_load(&c->buffered);
        if (b > max_buffered)
            max_buffered = b;
        if (max_buffered > BOUND + FETCH_MAX)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
    }

    static uint8_t seen[BIG_PARTS][BIG_BATCHES * BIG_PER_BATCH];
    memset(seen, 0, sizeof(seen));
    int hold_at = 0, eofs = 0;
    int64_t got = 0, samples = 0;
    int64_t eof_at[BIG_PARTS];
    for (int i = 0; i < BIG_PARTS; i++)
        eof_at[i] = -1;
    const int64_t total = (int64_t)BIG_PARTS * BIG_BATCHES * BIG_PER_BATCH;
    int64_t deadline = kafc__clock_ms() + 40000;
    while ((eofs < BIG_PARTS || got < total) && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        int64_t buffered = atomic_load(&c->buffered);
        samples++;
        if (buffered > max_buffered)
            max_buffered = buffered;
        if (!m)
            continue;
        kafc_err_t err = kafc_message_err(m);
        int32_t part = kafc_message_partition(m);
        cr_assert(part >= 0 && part < BIG_PARTS);
        if (err == KAFC_ERR__PARTITION_EOF) {
            if (eof_at[part] < 0)
                eofs++;
            eof_at[part] = kafc_message_offset(m);
            kafc_message_destroy(m);
            continue;
        }
        cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc_err_name(err));
        int64_t off = kafc_message_offset(m);
        cr_assert(off >= 0 && off < BIG_BATCHES * BIG_PER_BATCH);
        size_t len;
        const char *v = kafc_message_value(m, &len);
        char want[32];
        int n = snprintf(want, sizeof(want), "%d:%lld:", part, (long long)off);
        cr_assert_eq(len, BIG_VALUE);
        cr_assert_eq(memcmp(v, want, (size_t)n), 0, "partition %d offset %lld", part,
                     (long long)off);
        cr_assert_eq(seen[part][off], 0, "partition %d offset %lld twice", part, (long long)off);
        seen[part][off] = 1;
        got++;
        /* Keep the last BIG_HOLD messages alive: their buffers stay counted. */
        kafc_message_destroy(held[hold_at]);
        held[hold_at] = m;
        hold_at = (hold_at + 1) % BIG_HOLD;
    }
    for (int i = 0; i < BIG_HOLD; i++) {
        kafc_message_destroy(held[i]);
        held[i] = NULL;
    }
    cr_assert_eq(got, total, "%lld of %lld records arrived", (long long)got, (long long)total);
    for (int p = 0; p < BIG_PARTS; p++)
        cr_assert_eq(eof_at[p], BIG_BATCHES * BIG_PER_BATCH, "partition %d EOF at %lld", p,
                     (long long)eof_at[p]);
    cr_assert_gt(max_buffered, 0);
    cr_log_info("prefetch over %d broker(s): max %lld bytes buffered over %lld polls", nbrokers,
                (long long)max_buffered, (long long)samples);
    destroy_consumer();
    return max_buffered;
}

/* One broker, one Fetch in flight: at most the bound plus one response. */
Test(consumer_fetch, prefetch_bound)
{
    int64_t max = prefetch_case(1);
    cr_assert_leq(max, BOUND + FETCH_MAX,
                  "%lld bytes buffered, above queued.max.messages.kbytes + fetch.max.bytes = %d",
                  (long long)max, BOUND + FETCH_MAX);
}

/* Four brokers each leading one partition: the bound covers everything
 * buffered (include/kafc/consumer.h), so it must still hold with a Fetch
 * in flight per broker. */
Test(consumer_fetch, prefetch_bound_four_brokers)
{
    int64_t max = prefetch_case(4);
    cr_assert_leq(max, BOUND + FETCH_MAX,
                  "%lld bytes buffered, above queued.max.messages.kbytes + fetch.max.bytes = %d",
                  (long long)max, BOUND + FETCH_MAX);
}
