/* Tests of the fake broker (tests/fakebroker) itself: raw requests checked
 * against what a Kafka broker answers (sequence checks, fetch, list offsets,
 * scripted actions), then kafc's client and idempotent producer against it,
 * including a response lost after the batch was stored. */
#include <criterion/criterion.h>

/* tests/unit/test_*.c are globbed into the unit tests; until they link
 * kafc_fakebroker (which brings fakebroker.h's include path), this file
 * compiles to one skipped test instead of breaking the build. */
#if defined(__has_include)
#if __has_include("fakebroker.h")
#define KAFC_HAVE_FAKEBROKER 1
#endif
#endif
#ifndef KAFC_HAVE_FAKEBROKER
Test(fakebroker, not_linked)
{
    cr_skip_test("kafc_fakebroker is not linked into the unit tests: see tests/fakebroker/");
}
#else

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fakebroker.h"
#include "kafc/kafc.h"
#include "proto/proto.h"
#include "record/batch.h"
#include "record/reader.h"
#include "util/clock.h"

static kafc_fb_t *fb;

static void teardown(void)
{
    kafc_fb_stop(fb);
    fb = NULL;
}

TestSuite(fakebroker, .fini = teardown, .timeout = 90);

static void start(int nbrokers)
{
    fb = kafc_fb_start(nbrokers);
    cr_assert_not_null(fb, "the fake broker did not start");
}

/* ---- a raw client: one blocking socket, kafc's codecs ------------------- */

typedef struct raw {
    int fd;
    int32_t corrid;
} raw_t;

static void raw_connect(raw_t *r, int32_t broker_id)
{
    struct sockaddr_in sa;
    struct timeval tv = {.tv_sec = 10};
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)kafc_fb_port(fb, broker_id));
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    r->corrid = 100;
    cr_assert_geq(r->fd, 0);
    /* Every read is bounded: a hang fails the test instead. */
    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    cr_assert_eq(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void raw_close(raw_t *r)
{
    close(r->fd);
}

static void raw_send(raw_t *r, int16_t api, int16_t version, const kafc__wbuf_t *body)
{
    kafc__wbuf_t f;
    kafc__request_header_t h;
    kafc__wbuf_init(&f, body->len + 64);
    size_t at = kafc__wbuf_reserve(&f, 4);
    kafc__request_header_init(&h);
    h.request_api_key = api;
    h.request_api_version = version;
    h.correlation_id = ++r->corrid;
    h.client_id = kafc__proto_str("raw");
    cr_assert_eq(
        kafc__request_header_encode(&h, kafc__proto_request_header_version(api, version), &f), 0);
    kafc__wbuf_put_raw(&f, body->data, body->len);
    kafc__wbuf_patch_i32(&f, at, (int32_t)(f.len - 4));
    cr_assert_eq(kafc__wbuf_err(&f), 0);
    cr_assert_eq(send(r->fd, f.data, f.len, MSG_NOSIGNAL), (ssize_t)f.len);
    kafc__wbuf_free(&f);
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, (uint8_t *)buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Reads the next response; *framep (free it) holds it, *body its body.
 * Returns 0, or -1 when the connection was closed (or timed out). */
static int raw_recv(raw_t *r, int16_t api, int16_t version, uint8_t **framep, kafc__rbuf_t *body)
{
    uint32_t size;
    kafc__response_header_t h;
    kafc__arena_t a;
    *framep = NULL;
    if (read_full(r->fd, &size, 4) < 0)
        return -1;
    size = ntohl(size);
    cr_assert_lt(size, 64u * 1024 * 1024);
    uint8_t *f = malloc(size ? size : 1);
    cr_assert_not_null(f);
    if (read_full(r->fd, f, size) < 0) {
        free(f);
        return -1;
    }
    kafc__rbuf_init(body, f, size);
    kafc__arena_init(&a);
    cr_assert_eq(kafc__response_header_decode(&h, kafc__proto_response_header_version(api, version),
                                              body, &a),
                 0);
    kafc__arena_destroy(&a);
    cr_assert_eq(h.correlation_id, r->corrid);
    *framep = f;
    return 0;
}

/* One batch of n records "v<first+i>" with the given producer fields. */
static size_t make_batch(uint8_t *buf, size_t cap, int first, int n, int64_t pid, int16_t epoch,
                         int32_t seq)
{
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    kafc__batch_opts_default(&o);
    cr_assert_eq(kafc__batch_init(&b, buf, cap, &o), 0);
    for (int i = 0; i < n; i++) {
        char v[32];
        int len = snprintf(v, sizeof(v), "v%d", first + i);
        cr_assert_eq(kafc__batch_append(&b, 1000 + first + i, NULL, -1, v, len, NULL, 0), 0);
    }
    kafc__batch_builder_set_producer(&b, pid, epoch, seq);
    return kafc__batch_close(&b);
}

/* The current leader hint (id, or -1) of the last raw_produce answer, and
 * the port its node endpoint gave (or -1). */
static int32_t hint_leader, hint_port;

/* Produces one batch to topic/partition at version; returns the partition's
 * error code and *base_offset. */
static int16_t raw_produce(raw_t *r, int16_t version, const char *topic, int32_t partition,
                           const uint8_t *batch, size_t len, int64_t *base_offset)
{
    kafc__produce_request_t m;
    kafc__produce_request_topic_produce_data_t td;
    kafc__produce_request_partition_produce_data_t pd;
    kafc__wbuf_t w;
    kafc__produce_request_init(&m);
    kafc__produce_request_topic_produce_data_init(&td);
    kafc__produce_request_partition_produce_data_init(&pd);
    pd.index = partition;
    pd.records = (kafc__slice_t){batch, (int32_t)len};
    td.name = kafc__proto_str(topic);
    td.partition_data.items = &pd;
    td.partition_data.count = 1;
    m.transactional_id = (kafc__slice_t){NULL, -1};
    m.acks = -1;
    m.timeout_ms = 5000;
    m.topic_data.items = &td;
    m.topic_data.count = 1;
    kafc__wbuf_init(&w, 256);
    cr_assert_eq(kafc__produce_request_encode(&m, version, &w), 0);
    raw_send(r, KAFC__API_PRODUCE, version, &w);
    kafc__wbuf_free(&w);

    uint8_t *f;
    kafc__rbuf_t body;
    kafc__arena_t a;
    kafc__produce_response_t resp;
    cr_assert_eq(raw_recv(r, KAFC__API_PRODUCE, version, &f, &body), 0, "no Produce response");
    kafc__arena_init(&a);
    cr_assert_eq(kafc__produce_response_decode(&resp, version, &body, &a), 0);
    cr_assert_eq(resp.responses.count, 1);
    cr_assert_eq(resp.responses.items[0].partition_responses.count, 1);
    kafc__produce_response_partition_produce_response_t *pr =
        &resp.responses.items[0].partition_responses.items[0];
    int16_t err = pr->error_code;
    *base_offset = pr->base_offset;
    hint_leader = pr->has_current_leader ? pr->current_leader.leader_id : -1;
    hint_port = -1;
    for (int32_t i = 0; i < resp.node_endpoints.count; i++)
        if (resp.node_endpoints.items[i].node_id == hint_leader)
            hint_port = resp.node_endpoints.items[i].port;
    kafc__arena_destroy(&a);
    free(f);
    return err;
}

/* ---- raw protocol ---------------------------------------------------------- */

Test(fakebroker, api_versions_v3_and_unknown_version)
{
    start(1);
    raw_t r;
    raw_connect(&r, 1);
    for (int16_t version = 0; version <= 4; version++) {
        kafc__api_versions_request_t q;
        kafc__api_versions_response_t m;
        kafc__wbuf_t w;
        kafc__arena_t a;
        uint8_t *f;
        kafc__rbuf_t body;
        kafc__api_versions_request_init(&q);
        q.client_software_name = kafc__proto_str("raw");
        q.client_software_version = kafc__proto_str("1.0");
        kafc__wbuf_init(&w, 64);
        /* v4 does not exist in kafc's codec: send a v3 body labelled v4 */
        cr_assert_eq(kafc__api_versions_request_encode(&q, version > 3 ? 3 : version, &w), 0);
        raw_send(&r, KAFC__API_API_VERSIONS, version, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_API_VERSIONS, version, &f, &body), 0);
        kafc__arena_init(&a);
        /* An unsupported version is answered in a v0 body. */
        cr_assert_eq(kafc__api_versions_response_decode(&m, version > 3 ? 0 : version, &body, &a),
                     0, "v%d", version);
        cr_assert_eq(kafc__rbuf_remaining(&body), 0, "v%d: trailing bytes", version);
        cr_assert_eq(m.error_code, version > 3 ? KAFC_ERR_UNSUPPORTED_VERSION : 0);
        int found = 0;
        for (int32_t i = 0; i < m.api_keys.count; i++)
            if (m.api_keys.items[i].api_key == KAFC__API_PRODUCE) {
                cr_assert_eq(m.api_keys.items[i].min_version, 3);
                cr_assert_eq(m.api_keys.items[i].max_version, 10);
                found = 1;
            }
        cr_assert(found);
        kafc__arena_destroy(&a);
        free(f);
    }
    cr_assert_eq(kafc_fb_request_count(fb, 1, KAFC__API_API_VERSIONS), 5);
    raw_close(&r);
}

Test(fakebroker, idempotent_sequence_checks)
{
    start(2);
    cr_assert_eq(kafc_fb_topic_create(fb, "s", 2, 1), 0);
    raw_t r;
    raw_connect(&r, 1);
    uint8_t buf[4096];
    size_t len;
    int64_t off;
    const int64_t pid = 1000;

    /* unknown producer, sequence not 0 */
    len = make_batch(buf, sizeof(buf), 0, 3, pid, 0, 5);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_UNKNOWN_PRODUCER_ID);
    /* 0..2 at offset 0, 3..4 at offset 3 */
    len = make_batch(buf, sizeof(buf), 0, 3, pid, 0, 0);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), 0);
    cr_assert_eq(off, 0);
    len = make_batch(buf, sizeof(buf), 3, 2, pid, 0, 3);
    cr_assert_eq(raw_produce(&r, 7, "s", 0, buf, len, &off), 0);
    cr_assert_eq(off, 3);
    /* the same two again: duplicate of the last, with its original offset */
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER);
    cr_assert_eq(off, 3);
    /* the first again: still remembered (Kafka keeps 5) */
    len = make_batch(buf, sizeof(buf), 0, 3, pid, 0, 0);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER);
    cr_assert_eq(off, 0);
    /* a gap, and a smaller sequence that is not a duplicate */
    len = make_batch(buf, sizeof(buf), 6, 1, pid, 0, 6);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    len = make_batch(buf, sizeof(buf), 2, 2, pid, 0, 2);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    /* a new epoch must start at 0; then the old epoch is stale */
    len = make_batch(buf, sizeof(buf), 5, 1, pid, 1, 5);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    len = make_batch(buf, sizeof(buf), 5, 1, pid, 1, 0);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), 0);
    cr_assert_eq(off, 5);
    len = make_batch(buf, sizeof(buf), 6, 1, pid, 0, 5);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_INVALID_PRODUCER_EPOCH);
    /* sequences are per partition; a broker that does not lead refuses */
    len = make_batch(buf, sizeof(buf), 0, 1, pid, 0, 0);
    cr_assert_eq(raw_produce(&r, 9, "s", 1, buf, len, &off), 0);
    cr_assert_eq(off, 0);
    cr_assert_eq(kafc_fb_set_leader(fb, "s", 1, 2), 0);
    len = make_batch(buf, sizeof(buf), 1, 1, pid, 0, 1);
    cr_assert_eq(raw_produce(&r, 10, "s", 1, buf, len, &off), KAFC_ERR_NOT_LEADER_OR_FOLLOWER);
    cr_assert_eq(hint_leader, 2, "KIP-951 current leader");
    cr_assert_eq(hint_port, kafc_fb_port(fb, 2));
    /* a corrupted batch */
    len = make_batch(buf, sizeof(buf), 6, 1, pid, 1, 1);
    buf[len - 1] ^= 0x55;
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), KAFC_ERR_CORRUPT_MESSAGE);
    /* no producer id: never checked */
    len = make_batch(buf, sizeof(buf), 6, 1, -1, -1, -1);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), 0);
    cr_assert_eq(off, 6);
    cr_assert_eq(raw_produce(&r, 9, "s", 0, buf, len, &off), 0);
    cr_assert_eq(off, 7);

    kafc_fb_produce_batch_t last[4];
    cr_assert_eq(kafc_fb_last_produce(fb, last, 4), 1);
    cr_assert_str_eq(last[0].topic, "s");
    cr_assert_eq(last[0].producer_id, -1);
    cr_assert_eq(last[0].base_offset, 7);

    kafc_fb_records_t recs;
    cr_assert_eq(kafc_fb_partition_records(fb, "s", 0, &recs), 0);
    cr_assert_eq(recs.count, 8);
    static const int32_t want_seq[] = {0, 1, 2, 3, 4, 0, -1, -1};
    static const int16_t want_epoch[] = {0, 0, 0, 0, 0, 1, -1, -1};
    for (size_t i = 0; i < recs.count; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i == 7 ? 6 : (int)i);
        cr_assert_eq(recs.v[i].offset, (int64_t)i);
        cr_assert_eq(recs.v[i].sequence, want_seq[i], "offset %zu", i);
        cr_assert_eq(recs.v[i].producer_epoch, want_epoch[i], "offset %zu", i);
        cr_assert_eq(recs.v[i].key_len, -1);
        cr_assert_null(recs.v[i].key);
        cr_assert_eq(recs.v[i].value_len, (int32_t)strlen(v));
        cr_assert_eq(memcmp(recs.v[i].value, v, strlen(v)), 0);
    }
    kafc_fb_records_free(&recs);
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER), 2);
    raw_close(&r);
}

Test(fakebroker, duplicate_answered_none_when_asked)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "d", 1, 1), 0);
    kafc_fb_set_duplicate_error(fb, 0);
    raw_t r;
    raw_connect(&r, 1);
    uint8_t buf[1024];
    int64_t off;
    size_t len = make_batch(buf, sizeof(buf), 0, 2, 7, 0, 0);
    cr_assert_eq(raw_produce(&r, 8, "d", 0, buf, len, &off), 0);
    cr_assert_eq(raw_produce(&r, 8, "d", 0, buf, len, &off), 0);
    cr_assert_eq(off, 0);
    cr_assert_eq(kafc_fb_partition_end_offset(fb, "d", 0), 2);
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER), 1);
    raw_close(&r);
}

Test(fakebroker, init_producer_id_bumps_epoch)
{
    start(1);
    raw_t r;
    raw_connect(&r, 1);
    struct {
        int16_t version;
        int64_t pid;
        int16_t epoch;
        int16_t want_err;
        int64_t want_pid;
        int16_t want_epoch;
    } steps[] = {
        {4, -1, -1, 0, 1000, 0},
        {4, 1000, 0, 0, 1000, 1},                       /* KIP-360 bump */
        {3, 1000, 1, 0, 1000, 2},                       /* again */
        {4, 1000, 0, KAFC_ERR_PRODUCER_FENCED, -1, -1}, /* stale epoch */
        {3, 1000, 0, KAFC_ERR_INVALID_PRODUCER_EPOCH, -1, -1},
        {2, 1000, 2, 0, 1001, 0}, /* v2 has no pid: a new one */
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        kafc__init_producer_id_request_t q;
        kafc__init_producer_id_response_t m;
        kafc__wbuf_t w;
        kafc__arena_t a;
        uint8_t *f;
        kafc__rbuf_t body;
        kafc__init_producer_id_request_init(&q);
        q.transactional_id = (kafc__slice_t){NULL, -1};
        q.transaction_timeout_ms = 60000;
        q.producer_id = steps[i].pid;
        q.producer_epoch = steps[i].epoch;
        kafc__wbuf_init(&w, 64);
        cr_assert_eq(kafc__init_producer_id_request_encode(&q, steps[i].version, &w), 0);
        raw_send(&r, KAFC__API_INIT_PRODUCER_ID, steps[i].version, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_INIT_PRODUCER_ID, steps[i].version, &f, &body), 0);
        kafc__arena_init(&a);
        cr_assert_eq(kafc__init_producer_id_response_decode(&m, steps[i].version, &body, &a), 0);
        cr_assert_eq(m.error_code, steps[i].want_err, "step %zu", i);
        cr_assert_eq(m.producer_id, steps[i].want_pid, "step %zu", i);
        cr_assert_eq(m.producer_epoch, steps[i].want_epoch, "step %zu", i);
        kafc__arena_destroy(&a);
        free(f);
    }
    raw_close(&r);
}

/* Sends a Fetch v12 for one partition. */
static void send_fetch(raw_t *r, const char *topic, int32_t partition, int64_t offset,
                       int32_t max_wait, int8_t isolation)
{
    kafc__fetch_request_t q;
    kafc__fetch_request_topic_t t;
    kafc__fetch_request_partition_t p;
    kafc__wbuf_t w;
    kafc__fetch_request_init(&q);
    kafc__fetch_request_topic_init(&t);
    kafc__fetch_request_partition_init(&p);
    p.partition = partition;
    p.fetch_offset = offset;
    p.partition_max_bytes = 1 << 20;
    t.topic = kafc__proto_str(topic);
    t.partitions.items = &p;
    t.partitions.count = 1;
    q.max_wait_ms = max_wait;
    q.min_bytes = 1;
    q.isolation_level = isolation;
    q.topics.items = &t;
    q.topics.count = 1;
    q.forgotten_topics_data.count = 0;
    q.rack_id = kafc__proto_str("");
    kafc__wbuf_init(&w, 128);
    cr_assert_eq(kafc__fetch_request_encode(&q, 12, &w), 0);
    raw_send(r, KAFC__API_FETCH, 12, &w);
    kafc__wbuf_free(&w);
}

typedef struct fetched {
    int16_t err;
    int64_t hw, lso;
    int nrecords;
    int64_t first, last;
    int32_t naborted;
} fetched_t;

static fetched_t recv_fetch(raw_t *r)
{
    fetched_t out = {0};
    uint8_t *f;
    kafc__rbuf_t body;
    kafc__arena_t a;
    kafc__fetch_response_t m;
    cr_assert_eq(raw_recv(r, KAFC__API_FETCH, 12, &f, &body), 0, "no Fetch response");
    kafc__arena_init(&a);
    cr_assert_eq(kafc__fetch_response_decode(&m, 12, &body, &a), 0);
    cr_assert_eq(m.responses.count, 1);
    cr_assert_eq(m.responses.items[0].partitions.count, 1);
    kafc__fetch_response_partition_data_t *pd = &m.responses.items[0].partitions.items[0];
    out.err = pd->error_code;
    out.hw = pd->high_watermark;
    out.lso = pd->last_stable_offset;
    out.naborted = pd->aborted_transactions.count;
    out.first = out.last = -1;
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__batch_iter_init(&it, pd->records.ptr, pd->records.len > 0 ? (size_t)pd->records.len : 0,
                          1);
    while (kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t rec;
        cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, 1 << 20, 1), 0);
        while (kafc__record_iter_next(&ri, &rec)) {
            if (out.first < 0)
                out.first = rec.offset;
            cr_assert(out.last < 0 || rec.offset == out.last + 1);
            out.last = rec.offset;
            out.nrecords++;
        }
        cr_assert_eq(kafc__record_iter_err(&ri), 0);
        kafc__record_iter_clear(&ri);
    }
    cr_assert_eq(kafc__batch_iter_err(&it), 0);
    kafc__arena_destroy(&a);
    free(f);
    return out;
}

Test(fakebroker, fetch_list_offsets_and_long_poll)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "f", 1, 1), 0);
    raw_t r;
    raw_connect(&r, 1);
    uint8_t buf[4096];
    int64_t off;
    for (int i = 0; i < 4; i++) {
        size_t len = make_batch(buf, sizeof(buf), i * 5, 5, -1, -1, -1);
        cr_assert_eq(raw_produce(&r, 9, "f", 0, buf, len, &off), 0);
        cr_assert_eq(off, i * 5);
    }
    /* from the middle of a batch: the whole batch comes back */
    send_fetch(&r, "f", 0, 7, 0, 0);
    fetched_t x = recv_fetch(&r);
    cr_assert_eq(x.err, 0);
    cr_assert_eq(x.hw, 20);
    cr_assert_eq(x.first, 5);
    cr_assert_eq(x.last, 19);
    cr_assert_eq(x.naborted, -1);
    /* past the end */
    send_fetch(&r, "f", 0, 21, 0, 0);
    cr_assert_eq(recv_fetch(&r).err, KAFC_ERR_OFFSET_OUT_OF_RANGE);
    /* read_committed: cut at the scripted LSO, aborted transactions listed */
    cr_assert_eq(kafc_fb_set_lso(fb, "f", 0, 10), 0);
    cr_assert_eq(kafc_fb_add_aborted_txn(fb, "f", 0, 4242, 5), 0);
    send_fetch(&r, "f", 0, 0, 0, 1);
    x = recv_fetch(&r);
    cr_assert_eq(x.lso, 10);
    cr_assert_eq(x.last, 9);
    cr_assert_eq(x.naborted, 1);
    cr_assert_eq(kafc_fb_set_lso(fb, "f", 0, -1), 0);

    /* ListOffsets: earliest, latest, by timestamp (record i has 1000 + i) */
    {
        kafc__list_offsets_request_t q;
        kafc__list_offsets_request_topic_t t;
        kafc__list_offsets_request_partition_t p[3];
        kafc__list_offsets_response_t m;
        kafc__wbuf_t w;
        kafc__arena_t a;
        uint8_t *f;
        kafc__rbuf_t body;
        int64_t ts[3] = {-2, -1, 1012};
        int64_t want[3] = {0, 20, 12};
        kafc__list_offsets_request_init(&q);
        kafc__list_offsets_request_topic_init(&t);
        for (int i = 0; i < 3; i++) {
            kafc__list_offsets_request_partition_init(&p[i]);
            p[i].partition_index = 0;
            p[i].timestamp = ts[i];
        }
        t.name = kafc__proto_str("f");
        t.partitions.items = p;
        t.partitions.count = 3;
        q.replica_id = -1;
        q.topics.items = &t;
        q.topics.count = 1;
        kafc__wbuf_init(&w, 64);
        cr_assert_eq(kafc__list_offsets_request_encode(&q, 5, &w), 0);
        raw_send(&r, KAFC__API_LIST_OFFSETS, 5, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_LIST_OFFSETS, 5, &f, &body), 0);
        kafc__arena_init(&a);
        cr_assert_eq(kafc__list_offsets_response_decode(&m, 5, &body, &a), 0);
        cr_assert_eq(m.topics.items[0].partitions.count, 3);
        for (int i = 0; i < 3; i++) {
            cr_assert_eq(m.topics.items[0].partitions.items[i].error_code, 0);
            cr_assert_eq(m.topics.items[0].partitions.items[i].offset, want[i], "ts %lld",
                         (long long)ts[i]);
        }
        kafc__arena_destroy(&a);
        free(f);
    }

    /* Long poll: a Fetch at the end waits (up to 20 s) until data comes. */
    send_fetch(&r, "f", 0, 20, 20000, 0);
    cr_assert_eq(kafc_fb_wait_requests(fb, KAFC__API_FETCH, 4, 200), -1,
                 "an empty fetch must wait, not answer");
    size_t len = make_batch(buf, sizeof(buf), 20, 3, -1, -1, -1);
    cr_assert_eq(kafc_fb_partition_append(fb, "f", 0, buf, len), 20);
    x = recv_fetch(&r);
    cr_assert_eq(x.err, 0);
    cr_assert_eq(x.first, 20);
    cr_assert_eq(x.last, 22);
    cr_assert_eq(kafc_fb_wait_requests(fb, KAFC__API_FETCH, 4, 5000), 0);
    /* A short max wait answers empty. */
    send_fetch(&r, "f", 0, 23, 50, 0);
    x = recv_fetch(&r);
    cr_assert_eq(x.err, 0);
    cr_assert_eq(x.nrecords, 0);
    cr_assert_eq(x.hw, 23);
    raw_close(&r);
}

static int crafted_md(void *arg, int16_t api_key, int16_t version, const void *req, size_t len,
                      kafc__wbuf_t *resp)
{
    int *calls = arg;
    (*calls)++;
    kafc__wbuf_put_raw(resp, "\x01\x02\x03", 3); /* anything: the test reads it back */
    return KAFC_FB_CB_SEND;
}

static int peek_only(void *arg, int16_t api_key, int16_t version, const void *req, size_t len,
                     kafc__wbuf_t *resp)
{
    int *calls = arg;
    (*calls)++;
    return KAFC_FB_CB_DEFAULT;
}

Test(fakebroker, scripted_actions)
{
    start(2);
    cr_assert_eq(kafc_fb_topic_create(fb, "a", 2, 0), 0); /* p0 on 1, p1 on 2 */
    uint8_t buf[1024];
    int64_t off;
    size_t len = make_batch(buf, sizeof(buf), 0, 1, -1, -1, -1);
    raw_t r;
    raw_connect(&r, 1);

    /* error on one partition, once; not for another broker */
    kafc_fb_action_t act = {
        .type = KAFC_FB_ERROR, .err = KAFC_ERR_NOT_ENOUGH_REPLICAS, .topic = "a", .partition = 0};
    cr_assert_eq(kafc_fb_push(fb, 2, KAFC__API_PRODUCE, &act), 0);
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &act), 0);
    cr_assert_eq(kafc_fb_pending_actions(fb), 2);
    cr_assert_eq(raw_produce(&r, 9, "a", 0, buf, len, &off), KAFC_ERR_NOT_ENOUGH_REPLICAS);
    cr_assert_eq(kafc_fb_pending_actions(fb), 1, "the broker-2 action stays");
    cr_assert_eq(raw_produce(&r, 9, "a", 0, buf, len, &off), 0);
    cr_assert_eq(off, 0);

    /* a callback crafting the bytes, and one that only looks */
    int crafted = 0, peeked = 0;
    kafc_fb_action_t cb = {.type = KAFC_FB_CALLBACK, .fn = crafted_md, .arg = &crafted};
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_METADATA, &cb), 0);
    cb.fn = peek_only;
    cb.arg = &peeked;
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_METADATA, &cb), 0);
    for (int i = 0; i < 2; i++) {
        kafc__metadata_request_t q;
        kafc__wbuf_t w;
        uint8_t *f;
        kafc__rbuf_t body;
        kafc__metadata_request_init(&q);
        q.topics.count = -1;
        kafc__wbuf_init(&w, 64);
        cr_assert_eq(kafc__metadata_request_encode(&q, 12, &w), 0);
        raw_send(&r, KAFC__API_METADATA, 12, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_METADATA, 12, &f, &body), 0);
        if (i == 0) {
            cr_assert_eq(kafc__rbuf_remaining(&body), 3);
            cr_assert_eq(memcmp(body.data + body.pos, "\x01\x02\x03", 3), 0);
        } else {
            kafc__metadata_response_t m;
            kafc__arena_t a;
            kafc__arena_init(&a);
            cr_assert_eq(kafc__metadata_response_decode(&m, 12, &body, &a), 0);
            cr_assert_eq(m.brokers.count, 2);
            cr_assert_eq(m.topics.count, 1);
            cr_assert_eq(m.topics.items[0].partitions.count, 2);
            cr_assert_eq(m.topics.items[0].partitions.items[1].leader_id, 2);
            kafc__arena_destroy(&a);
        }
        free(f);
    }
    cr_assert_eq(crafted, 1);
    cr_assert_eq(peeked, 1);

    /* close after storing: stored, but the answer never comes */
    kafc_fb_action_t ca = {.type = KAFC_FB_CLOSE_AFTER};
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &ca), 0);
    len = make_batch(buf, sizeof(buf), 1, 1, -1, -1, -1);
    {
        /* raw_produce asserts a response: send by hand */
        kafc__produce_request_t q;
        kafc__produce_request_topic_produce_data_t td;
        kafc__produce_request_partition_produce_data_t pd;
        kafc__wbuf_t w;
        uint8_t *f;
        kafc__rbuf_t body;
        kafc__produce_request_init(&q);
        kafc__produce_request_topic_produce_data_init(&td);
        kafc__produce_request_partition_produce_data_init(&pd);
        pd.index = 0;
        pd.records = (kafc__slice_t){buf, (int32_t)len};
        td.name = kafc__proto_str("a");
        td.partition_data = (kafc__produce_request_partition_produce_data_array_t){&pd, 1};
        q.acks = -1;
        q.timeout_ms = 1000;
        q.topic_data = (kafc__produce_request_topic_produce_data_array_t){&td, 1};
        kafc__wbuf_init(&w, 128);
        cr_assert_eq(kafc__produce_request_encode(&q, 9, &w), 0);
        raw_send(&r, KAFC__API_PRODUCE, 9, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_PRODUCE, 9, &f, &body), -1, "connection closed");
    }
    raw_close(&r);
    cr_assert_eq(kafc_fb_partition_end_offset(fb, "a", 0), 2);

    /* drop: nothing stored, connection closed */
    kafc_fb_action_t drop = {.type = KAFC_FB_DROP};
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &drop), 0);
    raw_connect(&r, 1);
    {
        kafc__produce_request_t q;
        kafc__produce_request_topic_produce_data_t td;
        kafc__produce_request_partition_produce_data_t pd;
        kafc__wbuf_t w;
        uint8_t *f;
        kafc__rbuf_t body;
        kafc__produce_request_init(&q);
        kafc__produce_request_topic_produce_data_init(&td);
        kafc__produce_request_partition_produce_data_init(&pd);
        pd.index = 0;
        pd.records = (kafc__slice_t){buf, (int32_t)len};
        td.name = kafc__proto_str("a");
        td.partition_data = (kafc__produce_request_partition_produce_data_array_t){&pd, 1};
        q.acks = -1;
        q.timeout_ms = 1000;
        q.topic_data = (kafc__produce_request_topic_produce_data_array_t){&td, 1};
        kafc__wbuf_init(&w, 128);
        cr_assert_eq(kafc__produce_request_encode(&q, 9, &w), 0);
        raw_send(&r, KAFC__API_PRODUCE, 9, &w);
        kafc__wbuf_free(&w);
        cr_assert_eq(raw_recv(&r, KAFC__API_PRODUCE, 9, &f, &body), -1, "connection closed");
    }
    raw_close(&r);
    cr_assert_eq(kafc_fb_partition_end_offset(fb, "a", 0), 2);

    /* a delayed answer holds the requests behind it on that connection */
    kafc_fb_action_t delay = {.type = KAFC_FB_DELAY, .delay_ms = 300};
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &delay), 0);
    raw_connect(&r, 1);
    int64_t t0 = kafc__clock_ms();
    cr_assert_eq(raw_produce(&r, 9, "a", 0, buf, len, &off), 0);
    cr_assert_geq(kafc__clock_ms() - t0, 250, "answered before its delay");
    cr_assert_eq(off, 2);
    raw_close(&r);

    cr_assert_eq(kafc_fb_wait_requests(fb, KAFC__API_PRODUCE, 1000, 50), -1);
    cr_assert_eq(kafc_fb_pending_actions(fb), 1);

    /* no response: handled, never answered, connection kept */
    kafc_fb_action_t none = {.type = KAFC_FB_NO_RESPONSE};
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_PRODUCE, &none), 0);
    raw_connect(&r, 1);
    int64_t before = kafc_fb_request_count(fb, 0, KAFC__API_PRODUCE);
    {
        kafc__produce_request_t q;
        kafc__produce_request_topic_produce_data_t td;
        kafc__produce_request_partition_produce_data_t pd;
        kafc__wbuf_t w;
        kafc__produce_request_init(&q);
        kafc__produce_request_topic_produce_data_init(&td);
        kafc__produce_request_partition_produce_data_init(&pd);
        pd.index = 0;
        pd.records = (kafc__slice_t){buf, (int32_t)len};
        td.name = kafc__proto_str("a");
        td.partition_data = (kafc__produce_request_partition_produce_data_array_t){&pd, 1};
        q.acks = -1;
        q.timeout_ms = 1000;
        q.topic_data = (kafc__produce_request_topic_produce_data_array_t){&td, 1};
        kafc__wbuf_init(&w, 128);
        cr_assert_eq(kafc__produce_request_encode(&q, 9, &w), 0);
        raw_send(&r, KAFC__API_PRODUCE, 9, &w);
        kafc__wbuf_free(&w);
    }
    cr_assert_eq(kafc_fb_wait_requests(fb, KAFC__API_PRODUCE, before + 1, 5000), 0);
    cr_assert_eq(kafc_fb_partition_end_offset(fb, "a", 0), 4);
    struct pollfd pfd = {.fd = r.fd, .events = POLLIN};
    cr_assert_eq(poll(&pfd, 1, 100), 0, "no answer, no close");
    raw_close(&r);

    /* a broker that is down closes every connection */
    cr_assert_eq(kafc_fb_broker_set_down(fb, 1, 1), 0);
    raw_connect(&r, 1);
    {
        uint8_t *f;
        kafc__rbuf_t body;
        cr_assert_eq(raw_recv(&r, KAFC__API_API_VERSIONS, 0, &f, &body), -1, "closed at once");
    }
    raw_close(&r);
    cr_assert_eq(kafc_fb_broker_set_down(fb, 1, 0), 0);
    raw_connect(&r, 1);
    len = make_batch(buf, sizeof(buf), 9, 1, -1, -1, -1);
    cr_assert_eq(raw_produce(&r, 3, "a", 0, buf, len, &off), 0);
    cr_assert_eq(off, 4);
    raw_close(&r);
}

/* ---- kafc's client and producer against the fake ---------------------- */

static kafc_conf_t *new_conf(const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(
        kafc_conf_set(conf, "bootstrap.servers", kafc_fb_bootstrap(fb), errstr, sizeof(errstr)), 0,
        "%s", errstr);
    for (int i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kafc_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)), 0, "%s=%s: %s",
                     kv[i], kv[i + 1], errstr);
    return conf;
}

static int topic_index(const kafc_metadata_t *md, const char *name)
{
    for (int t = 0; t < kafc_metadata_topic_count(md); t++)
        if (strcmp(kafc_metadata_topic_name(md, t), name) == 0)
            return t;
    return -1;
}

Test(fakebroker, kafc_metadata_sees_the_fake)
{
    start(3);
    cr_assert_eq(kafc_fb_topic_create(fb, "four", 4, 0), 0);
    cr_assert_eq(kafc_fb_topic_create(fb, "one", 1, 2), 0);
    cr_assert_eq(kafc_fb_topic_create(fb, "one", 1, 2), -1, "exists");
    char errstr[256];
    kafc_conf_t *conf = new_conf(NULL);
    kafc_client_t *c = kafc_client_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);

    kafc_metadata_t *md = NULL;
    cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_eq(kafc_metadata_broker_count(md), 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kafc_metadata_broker_id(md, i), i + 1);
        cr_assert_str_eq(kafc_metadata_broker_host(md, i), "127.0.0.1");
        cr_assert_eq(kafc_metadata_broker_port(md, i), kafc_fb_port(fb, i + 1));
    }
    cr_assert_eq(kafc_metadata_controller_id(md), 1);
    cr_assert_eq(kafc_metadata_topic_count(md), 2);
    int t = topic_index(md, "four");
    cr_assert_geq(t, 0);
    cr_assert_eq(kafc_metadata_partition_count(md, t), 4);
    for (int p = 0; p < 4; p++)
        cr_assert_eq(kafc_metadata_partition_leader(md, t, p), p % 3 + 1);
    t = topic_index(md, "one");
    cr_assert_eq(kafc_metadata_partition_leader(md, t, 0), 2);
    kafc_metadata_destroy(md);

    /* a leader move shows in the next metadata; unknown topics are errors */
    cr_assert_eq(kafc_fb_set_leader(fb, "one", 0, 3), 0);
    const char *names[] = {"one", "nope"};
    cr_assert_eq(kafc_metadata(c, names, 2, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    t = topic_index(md, "one");
    cr_assert_eq(kafc_metadata_partition_leader(md, t, 0), 3);
    cr_assert_eq(kafc_metadata_partition_leader_epoch(md, t, 0), 1);
    t = topic_index(md, "nope");
    cr_assert_geq(t, 0);
    cr_assert_eq(kafc_metadata_topic_err(md, t), KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafc_metadata_destroy(md);
    kafc_client_destroy(c);
    cr_assert_geq(kafc_fb_request_count(fb, 0, KAFC__API_API_VERSIONS), 1);
    cr_assert_geq(kafc_fb_request_count(fb, 0, KAFC__API_METADATA), 2);
}

#define NMSG 1000

struct reports {
    int count[NMSG];
    kafc_err_t err[NMSG];
    int64_t offset[NMSG];
    int total;
};
static struct reports rep;

static void dr_cb(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    intptr_t id = (intptr_t)kafc_message_opaque(m);
    cr_assert(id >= 0 && id < NMSG);
    rep.count[id]++;
    rep.err[id] = kafc_message_err(m);
    rep.offset[id] = kafc_message_offset(m);
    rep.total++;
    /* The report carries the record as produced (read back from the batch,
     * also after retries, splits and epoch bumps). */
    char want[32];
    size_t len;
    const void *k = kafc_message_key(m, &len);
    int n = snprintf(want, sizeof(want), "k%d", (int)id);
    cr_assert(k && len == (size_t)n && memcmp(k, want, len) == 0, "key of %d", (int)id);
    const void *v = kafc_message_value(m, &len);
    n = snprintf(want, sizeof(want), "value-%d", (int)id);
    cr_assert(v && len == (size_t)n && memcmp(v, want, len) == 0, "value of %d", (int)id);
    kafc_timestamp_type_t tstype;
    cr_assert_eq(kafc_message_timestamp(m, &tstype), 1700000000000LL + id);
    cr_assert_eq(tstype, KAFC_TIMESTAMP_CREATE_TIME);
}

static kafc_producer_t *new_producer(void)
{
    static const char *const kv[] = {"enable.idempotence",
                                     "true",
                                     "linger.ms",
                                     "5",
                                     "batch.size",
                                     "2000",
                                     "retry.backoff.ms",
                                     "20",
                                     "reconnect.backoff.ms",
                                     "20",
                                     NULL};
    char errstr[256];
    kafc_conf_t *conf = new_conf(kv);
    kafc_conf_set_dr_cb(conf, dr_cb);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    memset(&rep, 0, sizeof(rep));
    return p;
}

static void produce_all(kafc_producer_t *p, const char *topic)
{
    for (int i = 0; i < NMSG; i++) {
        char key[16], val[32];
        int kl = snprintf(key, sizeof(key), "k%d", i);
        int vl = snprintf(val, sizeof(val), "value-%d", i);
        cr_assert_eq(kafc_produce(p, topic, 0, KAFC_MSG_F_COPY, key, (size_t)kl, val, (size_t)vl,
                                  NULL, 1700000000000LL + i, (void *)(intptr_t)i),
                     0, "message %d", i);
    }
    cr_assert_eq(kafc_producer_flush(p, 30000), 0, "flush timed out; %d reported", rep.total);
}

/* Every message reported once, without error, and stored exactly once in
 * produce order by one producer id with contiguous sequences: 0..NMSG-1 in
 * epoch 0, or, when bumps are allowed (KIP-360), starting again at 0 with
 * each new epoch. */
static void check_exactly_once(const char *topic, int allow_bump)
{
    int16_t epoch = 0;
    int32_t seq = 0;
    for (int i = 0; i < NMSG; i++) {
        cr_assert_eq(rep.count[i], 1, "message %d reported %d times", i, rep.count[i]);
        cr_assert_eq(rep.err[i], 0, "message %d: %s", i, kafc_err_name(rep.err[i]));
        cr_assert_eq(rep.offset[i], i, "message %d reported at offset %lld", i,
                     (long long)rep.offset[i]);
    }
    kafc_fb_records_t recs;
    cr_assert_eq(kafc_fb_partition_records(fb, topic, 0, &recs), 0);
    cr_assert_eq(recs.count, NMSG, "stored %zu records", recs.count);
    for (size_t i = 0; i < recs.count; i++) {
        char key[16], val[32];
        int kl = snprintf(key, sizeof(key), "k%zu", i);
        int vl = snprintf(val, sizeof(val), "value-%zu", i);
        const kafc_fb_record_t *r = &recs.v[i];
        cr_assert_eq(r->offset, (int64_t)i);
        cr_assert_eq(r->key_len, kl, "offset %zu", i);
        cr_assert_eq(memcmp(r->key, key, (size_t)kl), 0, "offset %zu", i);
        cr_assert_eq(r->value_len, vl, "offset %zu", i);
        cr_assert_eq(memcmp(r->value, val, (size_t)vl), 0, "offset %zu: not value-%zu", i, i);
        cr_assert_eq(r->producer_id, recs.v[0].producer_id);
        cr_assert_geq(r->producer_id, 1000);
        if (r->producer_epoch != epoch) {
            cr_assert(allow_bump, "offset %zu: epoch %d", i, r->producer_epoch);
            cr_assert_gt(r->producer_epoch, epoch, "offset %zu: epoch went back", i);
            epoch = r->producer_epoch;
            seq = 0;
        }
        cr_assert_eq(r->sequence, seq, "offset %zu has sequence %d, not %d (epoch %d)", i,
                     r->sequence, seq, epoch);
        seq++;
        cr_assert_not(r->transactional);
    }
    kafc_fb_records_free(&recs);
}

Test(fakebroker, idempotent_producer_1000_in_order)
{
    start(3);
    cr_assert_eq(kafc_fb_topic_create(fb, "idem", 1, 2), 0);
    kafc_producer_t *p = new_producer();
    produce_all(p, "idem");
    check_exactly_once("idem", 0);
    cr_assert_gt(kafc_fb_request_count(fb, 2, KAFC__API_PRODUCE), 1, "small batches expected");
    cr_assert_eq(kafc_fb_request_count(fb, 1, KAFC__API_PRODUCE) +
                     kafc_fb_request_count(fb, 3, KAFC__API_PRODUCE),
                 0);
    cr_assert_eq(kafc_fb_request_count(fb, 0, KAFC__API_INIT_PRODUCER_ID), 1);
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER), 0);
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER), 0);
    kafc_fb_produce_batch_t last;
    cr_assert_eq(kafc_fb_last_produce(fb, &last, 1), 1);
    cr_assert_eq(last.producer_epoch, 0);
    cr_assert_eq(last.base_sequence + last.record_count, NMSG);
    kafc_producer_destroy(p, 5000);
}

/* Produce request number skip + 1 is stored, then its connection closes
 * unanswered (with whatever was pipelined behind it): the producer retries
 * and must end with every message exactly once, in order. */
static void response_lost(int skip, int16_t dup_err)
{
    start(1);
    cr_assert_eq(kafc_fb_topic_create(fb, "lost", 1, 1), 0);
    kafc_fb_set_duplicate_error(fb, dup_err);
    kafc_fb_action_t pass = {.type = KAFC_FB_DELAY, .delay_ms = 0};
    for (int i = 0; i < skip; i++)
        cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &pass), 0);
    kafc_fb_action_t ca = {.type = KAFC_FB_CLOSE_AFTER};
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &ca), 0);
    kafc_producer_t *p = new_producer();
    produce_all(p, "lost");
    cr_assert_eq(kafc_fb_pending_actions(fb), 0);
    /* The retry of the stored batch was recognised as a duplicate. */
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER), 1);
    check_exactly_once("lost", 0);
    kafc_producer_destroy(p, 5000);
}

Test(fakebroker, idempotent_producer_response_lost_after_store)
{
    response_lost(0, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER);
}

Test(fakebroker, idempotent_producer_response_lost_mid_pipeline)
{
    response_lost(2, KAFC_ERR_DUPLICATE_SEQUENCE_NUMBER);
}

Test(fakebroker, idempotent_producer_response_lost_duplicate_answered_none)
{
    response_lost(1, KAFC_ERR_NONE);
}

Test(fakebroker, idempotent_producer_retries_scripted_errors)
{
    start(2);
    cr_assert_eq(kafc_fb_topic_create(fb, "retry", 1, 1), 0);
    kafc_fb_action_t act = {.type = KAFC_FB_ERROR, .err = KAFC_ERR_NOT_ENOUGH_REPLICAS};
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &act), 0);
    act.err = KAFC_ERR_REQUEST_TIMED_OUT;
    act.delay_ms = 50;
    cr_assert_eq(kafc_fb_push(fb, 0, KAFC__API_PRODUCE, &act), 0);
    kafc_producer_t *p = new_producer();
    produce_all(p, "retry");
    cr_assert_eq(kafc_fb_pending_actions(fb), 0);
    cr_assert_eq(kafc_fb_produce_errors(fb, KAFC_ERR_NOT_ENOUGH_REPLICAS), 1);
    check_exactly_once("retry", 1);
    kafc_producer_destroy(p, 5000);
}

/* Moves the leader of move/0 to broker 2 while the request is in hand, then
 * lets the fake answer it: NOT_LEADER_OR_FOLLOWER. */
static int move_leader(void *arg, int16_t api_key, int16_t version, const void *req, size_t len,
                       kafc__wbuf_t *resp)
{
    kafc_fb_t *f = arg;
    cr_assert_eq(kafc_fb_set_leader(f, "move", 0, 2), 0);
    return KAFC_FB_CB_DEFAULT;
}

Test(fakebroker, idempotent_producer_follows_leader_move)
{
    start(2);
    cr_assert_eq(kafc_fb_topic_create(fb, "move", 1, 1), 0);
    kafc_fb_action_t pass = {.type = KAFC_FB_DELAY, .delay_ms = 0};
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_PRODUCE, &pass), 0);
    kafc_fb_action_t cb = {.type = KAFC_FB_CALLBACK, .fn = move_leader, .arg = fb};
    cr_assert_eq(kafc_fb_push(fb, 1, KAFC__API_PRODUCE, &cb), 0);
    kafc_producer_t *p = new_producer();
    produce_all(p, "move");
    cr_assert_eq(kafc_fb_pending_actions(fb), 0);
    cr_assert_geq(kafc_fb_produce_errors(fb, KAFC_ERR_NOT_LEADER_OR_FOLLOWER), 1);
    cr_assert_gt(kafc_fb_request_count(fb, 2, KAFC__API_PRODUCE), 0);
    /* the sequence state moves with the partition, as Kafka's replicas */
    check_exactly_once("move", 0);
    kafc_producer_destroy(p, 5000);
}

#endif /* fakebroker.h available */
