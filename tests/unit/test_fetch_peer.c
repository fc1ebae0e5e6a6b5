/* Batches written by an independent producer (kcat / librdkafka) into the
 * test cluster, fetched raw with kafc's Fetch codec over a netclient and
 * decoded by kafc's record reader — for every compression codec. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netclient.h"
#include "proto/proto.h"
#include "record/codec.h"
#include "record/reader.h"
#include "test_cluster.h"
#include "util/clock.h"

#define NMSG 60

static kafc_tc_t *tc;

static void setup(void)
{
    tc = kafc_tc_start("-b 3", 20000);
    cr_assert_not_null(tc);
}

static void teardown(void)
{
    kafc_tc_stop(tc);
}

TestSuite(fetch_peer, .init = setup, .fini = teardown, .timeout = 90);

struct fetch_ctx {
    const char *topic;
    int64_t offset;
    int done;
    kafc_err_t err;
    int16_t version;
    uint8_t *body; /* copy of the response body */
    size_t len;
};

static kafc_err_t fetch_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    struct fetch_ctx *f = req->arg;
    kafc__fetch_request_t m;
    kafc__fetch_request_topic_t t;
    kafc__fetch_request_partition_t p;
    kafc__fetch_request_init(&m);
    kafc__fetch_request_topic_init(&t);
    kafc__fetch_request_partition_init(&p);
    p.partition = 0;
    p.fetch_offset = f->offset;
    p.partition_max_bytes = 1 << 20;
    t.topic = kafc__proto_str(f->topic);
    t.partitions.items = &p;
    t.partitions.count = 1;
    m.max_wait_ms = 100;
    m.min_bytes = 1;
    m.max_bytes = 1 << 20;
    m.topics.items = &t;
    m.topics.count = 1;
    m.forgotten_topics_data.count = 0;
    return kafc__fetch_request_encode(&m, version, w);
}

static void fetch_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    struct fetch_ctx *f = req->arg;
    f->done = 1;
    f->err = err;
    f->version = req->version;
    if (err == KAFC_ERR_NONE) {
        f->len = kafc__rbuf_remaining(body);
        f->body = malloc(f->len ? f->len : 1);
        memcpy(f->body, body->data + body->pos, f->len);
    }
}

static void produce_with_kcat(const char *topic, const char *codec)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "kcat -P -b '%s' -t %s -p 0 -z %s -K : -H trace=abc -X linger.ms=50 "
             "-X message.timeout.ms=10000",
             kafc_tc_bootstrap(tc), topic, codec);
    FILE *p = popen(cmd, "w");
    cr_assert_not_null(p);
    for (int i = 0; i < NMSG; i++)
        fprintf(p, "key-%d:value %d %s %s\n", i, i, codec,
                "a compressible payload, a compressible payload, a compressible payload");
    cr_assert_eq(pclose(p), 0, "kcat failed for %s", codec);
}

static void check_codec(const char *codec, kafc__codec_t want_codec)
{
    char topic[64], reply[256], host[128];
    int port;
    snprintf(topic, sizeof(topic), "peer_%s", codec);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "topic create %s 1 3", topic), 0, "%s",
                 reply);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "leader %s 0 2", topic), 0);
    produce_with_kcat(topic, codec);

    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker addr 2"), 0);
    char *colon = strrchr(reply, ':');
    *colon = '\0';
    snprintf(host, sizeof(host), "%s", reply + 3);
    port = atoi(colon + 1);

    kafc__selector_t sel;
    kafc__logger_t lg;
    char errstr[128];
    cr_assert_eq(kafc__selector_init(&sel, errstr, sizeof(errstr)), 0);
    kafc__logger_init(&lg, "t", KAFC_LOG_ERR, 0, NULL, NULL);
    kafc__nc_config_t cfg = {.client_id = "t",
                             .request_timeout_ms = 5000,
                             .setup_timeout_ms = 5000,
                             .backoff_ms = 20,
                             .backoff_max_ms = 200,
                             .max_in_flight = 1,
                             .max_frame = 100000000};
    kafc__netclient_t nc;
    kafc__netclient_init(&nc, &sel, &lg, "b2", host, port, &cfg, NULL, NULL);
    kafc__codec_ctx_t *cctx = kafc__codec_ctx_new();

    int64_t next = 0;
    int seen = 0, compressed_batches = 0;
    int64_t deadline = kafc__clock_ms() + 30000;
    while (next < NMSG && kafc__clock_ms() < deadline) {
        struct fetch_ctx f = {.topic = topic, .offset = next};
        /* v4..11: record batches v2; the mock has Fetch up to 11. */
        kafc__netclient_send(
            &nc, kafc__request_new(KAFC__API_FETCH, 4, 11, fetch_encode, fetch_done, &f));
        while (!f.done)
            kafc__selector_run_once(&sel, 50);
        cr_assert_eq(f.err, KAFC_ERR_NONE, "%s", kafc_err_name(f.err));

        kafc__arena_t arena;
        kafc__fetch_response_t m;
        kafc__rbuf_t r;
        kafc__arena_init(&arena);
        kafc__rbuf_init(&r, f.body, f.len);
        cr_assert_eq(kafc__fetch_response_decode(&m, f.version, &r, &arena), 0);
        cr_assert_eq(m.responses.count, 1);
        kafc__fetch_response_partition_data_t *pd = &m.responses.items[0].partitions.items[0];
        cr_assert_eq(pd->error_code, 0, "%s", kafc_err_name(pd->error_code));
        cr_assert_eq(pd->high_watermark, NMSG);

        kafc__batch_iter_t bi;
        kafc__batch_view_t bv;
        kafc__batch_iter_init(&bi, pd->records.ptr, pd->records.len > 0 ? pd->records.len : 0, 1);
        while (kafc__batch_iter_next(&bi, &bv)) {
            if (kafc__batch_view_codec(&bv) == want_codec && want_codec != KAFC__CODEC_NONE)
                compressed_batches++;
            kafc__record_iter_t ri;
            kafc__record_t rec;
            cr_assert_eq(kafc__record_iter_init(&ri, &bv, cctx, 64 << 20, 1), 0, "%s", codec);
            while (kafc__record_iter_next(&ri, &rec)) {
                char key[32], val[256];
                cr_assert_eq(rec.offset, next, "offset");
                snprintf(key, sizeof(key), "key-%d", seen);
                snprintf(val, sizeof(val), "value %d %s %s", seen, codec,
                         "a compressible payload, a compressible payload, a compressible payload");
                cr_assert_eq(rec.key.len, (int32_t)strlen(key));
                cr_assert_eq(memcmp(rec.key.ptr, key, strlen(key)), 0);
                cr_assert_eq(rec.value.len, (int32_t)strlen(val));
                cr_assert_eq(memcmp(rec.value.ptr, val, strlen(val)), 0);
                cr_assert_gt(rec.timestamp, 1600000000000LL);
                kafc__header_iter_t hi;
                kafc__slice_t hk, hv;
                kafc__header_iter_init(&hi, &rec);
                cr_assert(kafc__header_iter_next(&hi, &hk, &hv));
                cr_assert_eq(hk.len, 5);
                cr_assert_eq(memcmp(hk.ptr, "trace", 5), 0);
                cr_assert_eq(hv.len, 3);
                cr_assert_eq(memcmp(hv.ptr, "abc", 3), 0);
                cr_assert_not(kafc__header_iter_next(&hi, &hk, &hv));
                seen++;
                next++;
            }
            cr_assert_eq(kafc__record_iter_err(&ri), 0, "%s", codec);
            kafc__record_iter_clear(&ri);
        }
        cr_assert_eq(kafc__batch_iter_err(&bi), 0);
        kafc__arena_destroy(&arena);
        free(f.body);
    }
    cr_assert_eq(seen, NMSG, "%s: read %d", codec, seen);
    if (want_codec != KAFC__CODEC_NONE)
        cr_assert_gt(compressed_batches, 0, "%s: kcat's batches were compressed", codec);
    kafc__codec_ctx_destroy(cctx);
    kafc__netclient_destroy(&nc);
    kafc__selector_run_once(&sel, 0);
    kafc__selector_destroy(&sel);
}

Test(fetch_peer, none)
{
    check_codec("none", KAFC__CODEC_NONE);
}

Test(fetch_peer, gzip)
{
    check_codec("gzip", KAFC__CODEC_GZIP);
}

Test(fetch_peer, snappy)
{
    if (!kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy not in this build");
    check_codec("snappy", KAFC__CODEC_SNAPPY);
}

Test(fetch_peer, lz4)
{
    check_codec("lz4", KAFC__CODEC_LZ4);
}

Test(fetch_peer, zstd)
{
    check_codec("zstd", KAFC__CODEC_ZSTD);
}
