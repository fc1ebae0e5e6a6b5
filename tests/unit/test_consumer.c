/* Consumer tests against the test cluster, manual assignment: content,
 * offsets, EOF, seek, pause/resume, positions, watermarks, offsets for
 * times, out-of-range resets, bad input, the prefetch bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"
#include "consumer/consumer.h"
#include "fakebroker.h"
#include "test_cluster.h"
#include "util/clock.h"

static kafc_tc_t *tc;

static void setup(void)
{
    tc = kafc_tc_start("-b 3 -t t4:4 -t t1:1", 20000);
    cr_assert_not_null(tc);
}

static void teardown(void)
{
    kafc_tc_stop(tc);
}

TestSuite(consumer, .init = setup, .fini = teardown, .timeout = 120);

static kafc_conf_t *base_conf(const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_tc_bootstrap(tc), NULL, 0), 0);
    for (int i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kafc_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)), 0, "%s",
                     errstr);
    return conf;
}

static kafc_consumer_t *new_consumer(const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf(kv);
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);
    return c;
}

/* Produces n messages "value-<i>" with key "key-<i>" (and a header
 * "h"="<i>") round-robin over partitions 0..nparts-1 of topic, with the
 * timestamp 1000000 + i. */
static void produce(const char *topic, int nparts, int n, const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf(kv);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    for (int i = 0; i < n; i++) {
        char k[32], v[32], h[16];
        snprintf(k, sizeof(k), "key-%d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        snprintf(h, sizeof(h), "%d", i);
        kafc_headers_t *hd = kafc_headers_new();
        kafc_headers_add(hd, "h", h, strlen(h));
        kafc_err_t err;
        while ((err = kafc_produce(p, topic, i % nparts, 0, k, strlen(k), v, strlen(v), hd,
                                   1000000 + i, NULL)) == KAFC_ERR__QUEUE_FULL)
            kafc_producer_poll(p, 10);
        cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc_err_name(err));
    }
    cr_assert_eq(kafc_producer_flush(p, 30000), KAFC_ERR_NONE);
    kafc_producer_destroy(p, 5000);
}

static kafc_topic_partition_list_t *parts_of(const char *topic, int n, int64_t offset)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        kafc_topic_partition_list_add(l, topic, i)->offset = offset;
    return l;
}

/* Consumes until every one of nparts partitions reported EOF (and no
 * message came after), with a bound. Counts messages per id in seen. */
static int consume_to_eof(kafc_consumer_t *c, int nparts, int *seen, int n, int check_content)
{
    int eofs = 0, msgs = 0;
    int *at_eof = calloc((size_t)nparts, sizeof(int));
    int64_t deadline = kafc__clock_ms() + 60000;
    while (eofs < nparts && kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 200);
        if (!m)
            continue;
        int32_t part = kafc_message_partition(m);
        kafc_err_t err = kafc_message_err(m);
        if (err == KAFC_ERR__PARTITION_EOF) {
            cr_assert(part >= 0 && part < nparts);
            if (!at_eof[part]) {
                at_eof[part] = 1;
                eofs++;
            }
            kafc_message_destroy(m);
            continue;
        }
        cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc_err_name(err));
        if (at_eof[part]) {
            at_eof[part] = 0;
            eofs--;
        }
        size_t vlen, klen;
        const char *v = kafc_message_value(m, &vlen);
        const char *k = kafc_message_key(m, &klen);
        cr_assert_not_null(v);
        int id = atoi(v + 6);
        cr_assert(id >= 0 && id < n, "id %d", id);
        seen[id]++;
        msgs++;
        if (check_content) {
            char want[32];
            snprintf(want, sizeof(want), "value-%d", id);
            cr_assert_eq(vlen, strlen(want));
            cr_assert_eq(memcmp(v, want, vlen), 0);
            snprintf(want, sizeof(want), "key-%d", id);
            cr_assert_eq(klen, strlen(want));
            cr_assert_eq(memcmp(k, want, klen), 0);
            kafc_timestamp_type_t tt;
            cr_assert_eq(kafc_message_timestamp(m, &tt), 1000000 + id);
            cr_assert_eq(tt, KAFC_TIMESTAMP_CREATE_TIME);
            const kafc_headers_t *h = kafc_message_headers(m);
            cr_assert_eq(kafc_headers_count(h), 1);
            const char *hn;
            const void *hv;
            size_t hl;
            cr_assert_eq(kafc_headers_get(h, 0, &hn, &hv, &hl), KAFC_ERR_NONE);
            cr_assert_str_eq(hn, "h");
            snprintf(want, sizeof(want), "%d", id);
            cr_assert_eq(hl, strlen(want));
            cr_assert_eq(memcmp(hv, want, hl), 0);
            /* Round-robin production: message i is at offset i / nparts. */
            cr_assert_eq(part, id % nparts);
            cr_assert_eq(kafc_message_offset(m), id / nparts);
        }
        kafc_message_destroy(m);
    }
    free(at_eof);
    cr_assert_eq(eofs, nparts, "only %d of %d partitions reached EOF", eofs, nparts);
    return msgs;
}

Test(consumer, assign_reads_everything_once_with_content)
{
    const int n = 20000;
    produce("t4", 4, n, (const char *[]){"compression.type", "lz4", NULL});
    kafc_consumer_t *c = new_consumer((const char *[]){
        "enable.partition.eof", "true", "debug", getenv("KDEBUG") ? getenv("KDEBUG") : "", NULL});
    kafc_topic_partition_list_t *l = parts_of("t4", 4, KAFC_OFFSET_BEGINNING);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
    int *seen = calloc(n, sizeof(int));
    cr_assert_eq(consume_to_eof(c, 4, seen, n, 1), n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(seen[i], 1, "message %d seen %d times", i, seen[i]);
    /* Positions are past the last message of each partition. */
    l = parts_of("t4", 4, 0);
    cr_assert_eq(kafc_position(c, l), KAFC_ERR_NONE);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(l->elems[i].offset, n / 4);
    kafc_topic_partition_list_destroy(l);
    int64_t lo = -5, hi = -5;
    cr_assert_eq(kafc_query_watermark_offsets(c, "t4", 2, &lo, &hi, 10000), KAFC_ERR_NONE);
    cr_assert_eq(lo, 0);
    cr_assert_eq(hi, n / 4);
    free(seen);
    cr_assert_eq(kafc_consumer_close(c, 10000), KAFC_ERR_NONE);
    cr_assert_null(kafc_consumer_poll(c, 0));
    cr_assert_eq(kafc_consumer_last_error(c, NULL, 0), KAFC_ERR__STATE);
    kafc_consumer_destroy(c);
}

/* Next data message from c within the bound (errors other than EOF fail). */
static kafc_message_t *next_msg(kafc_consumer_t *c, int timeout_ms)
{
    int64_t deadline = kafc__clock_ms() + timeout_ms;
    while (kafc__clock_ms() < deadline) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        if (kafc_message_err(m) == KAFC_ERR__PARTITION_EOF) {
            kafc_message_destroy(m);
            continue;
        }
        return m;
    }
    return NULL;
}

static int64_t next_offset(kafc_consumer_t *c)
{
    kafc_message_t *m = next_msg(c, 20000);
    cr_assert_not_null(m, "no message");
    cr_assert_eq(kafc_message_err(m), KAFC_ERR_NONE, "%s", kafc_err_name(kafc_message_err(m)));
    int64_t o = kafc_message_offset(m);
    kafc_message_destroy(m);
    return o;
}

static kafc_consumer_t *assigned_consumer(const char *const *kv, int64_t offset)
{
    kafc_consumer_t *c = new_consumer(kv);
    kafc_topic_partition_list_t *l = parts_of("t1", 1, offset);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
    return c;
}

Test(consumer, seek_pause_resume_position)
{
    produce("t1", 1, 400, NULL);
    kafc_consumer_t *c = assigned_consumer(NULL, KAFC_OFFSET_BEGINNING);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(next_offset(c), i);
    kafc_topic_partition_list_t *l = parts_of("t1", 1, 0);
    cr_assert_eq(kafc_position(c, l), KAFC_ERR_NONE);
    cr_assert_eq(l->elems[0].offset, 100);
    /* Seek back: the prefetched data beyond is dropped. */
    cr_assert_eq(kafc_seek(c, "t1", 0, 50), KAFC_ERR_NONE);
    cr_assert_eq(next_offset(c), 50);
    cr_assert_eq(next_offset(c), 51);
    /* Paused: nothing arrives; resumed: it goes on where it stopped. */
    cr_assert_eq(kafc_pause(c, l), KAFC_ERR_NONE);
    int64_t until = kafc__clock_ms() + 500;
    while (kafc__clock_ms() < until) {
        kafc_message_t *m = kafc_consumer_poll(c, 50);
        cr_assert_null(m, "a message from a paused partition");
    }
    cr_assert_eq(kafc_resume(c, l), KAFC_ERR_NONE);
    cr_assert_eq(next_offset(c), 52);
    /* Logical seeks. */
    cr_assert_eq(kafc_seek(c, "t1", 0, KAFC_OFFSET_BEGINNING), KAFC_ERR_NONE);
    cr_assert_eq(next_offset(c), 0);
    kafc_topic_partition_list_destroy(l);
    kafc_consumer_destroy(c);
}

Test(consumer, out_of_range_resets_per_policy)
{
    produce("t1", 1, 20, NULL);
    kafc_consumer_t *c =
        assigned_consumer((const char *[]){"auto.offset.reset", "earliest", NULL}, 100000);
    cr_assert_eq(next_offset(c), 0);
    kafc_consumer_destroy(c);

    c = assigned_consumer((const char *[]){"auto.offset.reset", "none", NULL}, 100000);
    kafc_message_t *m = next_msg(c, 20000);
    cr_assert_not_null(m);
    cr_assert_eq(kafc_message_err(m), KAFC_ERR_OFFSET_OUT_OF_RANGE);
    cr_assert_eq(kafc_message_offset(m), 100000);
    kafc_message_destroy(m);
    kafc_consumer_destroy(c);

    /* latest: only what is produced after the reset. */
    c = assigned_consumer(
        (const char *[]){"auto.offset.reset", "latest", "enable.partition.eof", "true", NULL},
        100000);
    m = NULL;
    int64_t deadline = kafc__clock_ms() + 20000;
    while (!m && kafc__clock_ms() < deadline)
        m = kafc_consumer_poll(c, 100); /* the EOF at the end offset */
    cr_assert_not_null(m);
    cr_assert_eq(kafc_message_err(m), KAFC_ERR__PARTITION_EOF);
    cr_assert_eq(kafc_message_offset(m), 20);
    kafc_message_destroy(m);
    produce("t1", 1, 5, NULL);
    cr_assert_eq(next_offset(c), 20);
    kafc_consumer_destroy(c);
}

Test(consumer, bad_input_gives_clear_errors)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf((const char *[]){
        "heartbeat.interval.ms", "5000", "session.timeout.ms", "5000", "group.id", "g", NULL});
    cr_assert_null(kafc_consumer_new(conf, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "heartbeat.interval.ms"), "%s", errstr);
    kafc_conf_destroy(conf);

    /* No group: no subscribe, no commit. */
    kafc_consumer_t *c = new_consumer(NULL);
    const char *topics[] = {"t1"};
    cr_assert_eq(kafc_subscribe(c, topics, 1, errstr, sizeof(errstr)), KAFC_ERR__STATE);
    cr_assert(strstr(errstr, "group.id"), "%s", errstr);
    cr_assert_eq(kafc_commit(c, NULL), KAFC_ERR__STATE);
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(1);
    kafc_topic_partition_list_add(l, "t1", -3);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR__INVALID_ARG);
    l->elems[0].partition = 0;
    cr_assert_eq(kafc_incremental_unassign(c, l), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_seek(c, "t1", 0, 5), KAFC_ERR__UNKNOWN_PARTITION);
    cr_assert_eq(kafc_incremental_assign(c, l), KAFC_ERR_NONE);
    cr_assert_eq(kafc_incremental_assign(c, l), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_seek(c, "t1", 0, -77), KAFC_ERR__INVALID_ARG);
    kafc_consumer_destroy(c);

    /* A group member: bad patterns, empty lists, assign while subscribed,
     * commits of partitions it does not own. */
    c = new_consumer((const char *[]){"group.id", "g-bad", NULL});
    const char *bad[] = {"^t(1"};
    cr_assert_eq(kafc_subscribe(c, bad, 1, errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
    cr_assert(strstr(errstr, "regular expression"), "%s", errstr);
    const char *empty[] = {""};
    cr_assert_eq(kafc_subscribe(c, empty, 1, errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_subscribe(c, NULL, 0, errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
    cr_assert_null(kafc_subscription(c));
    cr_assert_eq(kafc_subscribe(c, topics, 1, errstr, sizeof(errstr)), KAFC_ERR_NONE);
    kafc_topic_partition_list_t *sub = kafc_subscription(c);
    cr_assert_eq(sub->cnt, 1);
    cr_assert_str_eq(sub->elems[0].topic, "t1");
    kafc_topic_partition_list_destroy(sub);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR__STATE);
    l->elems[0].offset = 3;
    cr_assert_eq(kafc_commit(c, l), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_consumer_last_error(c, errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
    cr_assert(strstr(errstr, "not assigned"), "%s", errstr);
    cr_assert_eq(kafc_consumer_close(c, 10000), KAFC_ERR_NONE);
    cr_assert_null(kafc_consumer_poll(c, 10));
    cr_assert_eq(kafc_consumer_last_error(c, NULL, 0), KAFC_ERR__STATE);
    cr_assert_eq(kafc_subscribe(c, topics, 1, errstr, sizeof(errstr)), KAFC_ERR__STATE);
    kafc_consumer_destroy(c);
    kafc_topic_partition_list_destroy(l);
}

/* The test broker answers ListOffsets by timestamp with -1: this one runs
 * against the fake broker, which searches timestamps like Kafka. */
Test(consumer_fb, offsets_for_times)
{
    kafc_fb_t *fb = kafc_fb_start(1);
    cr_assert_not_null(fb);
    cr_assert_eq(kafc_fb_topic_create(fb, "t1", 1, 1), 0);
    tc = NULL;
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_fb_bootstrap(fb), NULL, 0), 0);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(kafc_produce(p, "t1", 0, 0, NULL, 0, "v", 1, NULL, 1000000 + i, NULL),
                     KAFC_ERR_NONE);
    cr_assert_eq(kafc_producer_flush(p, 30000), KAFC_ERR_NONE);
    kafc_producer_destroy(p, 5000);
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    cr_assert_not_null(c, "%s", errstr);
    kafc_conf_destroy(conf);
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(1);
    kafc_topic_partition_list_add(l, "t1", 0)->offset = 1000000 + 150;
    cr_assert_eq(kafc_offsets_for_times(c, l, 10000), KAFC_ERR_NONE);
    cr_assert_eq(l->elems[0].offset, 150, "got %lld", (long long)l->elems[0].offset);
    l->elems[0].offset = 9000000;
    cr_assert_eq(kafc_offsets_for_times(c, l, 10000), KAFC_ERR_NONE);
    cr_assert_eq(l->elems[0].offset, KAFC_OFFSET_END);
    int64_t lo = -5, hi = -5;
    cr_assert_eq(kafc_query_watermark_offsets(c, "t1", 0, &lo, &hi, 10000), KAFC_ERR_NONE);
    cr_assert_eq(lo, 0);
    cr_assert_eq(hi, 300);
    cr_assert_eq(kafc_query_watermark_offsets(c, "nope", 0, &lo, &hi, 3000),
                 KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kafc_topic_partition_list_destroy(l);
    kafc_consumer_destroy(c);
    kafc_fb_stop(fb);
}

/* Leaders move while a consumer reads: it follows them (metadata refresh,
 * fenced epochs) and every message arrives exactly once, in order. */
Test(consumer, follows_leader_moves)
{
    const int n = 8000;
    produce("t4", 4, n, NULL);
    /* Small fetches: most of the log is still to fetch when leaders move. */
    kafc_consumer_t *c = new_consumer(
        (const char *[]){"max.partition.fetch.bytes", "2048", "fetch.max.bytes", "8192", NULL});
    kafc_topic_partition_list_t *l = parts_of("t4", 4, KAFC_OFFSET_BEGINNING);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
    int *seen = calloc(n, sizeof(int));
    int64_t next[4] = {0, 0, 0, 0};
    int got = 0, moved = 0;
    int64_t deadline = kafc__clock_ms() + 60000;
    while (got < n && kafc__clock_ms() < deadline) {
        if (!moved && got >= n / 4) {
            char reply[128];
            for (int part = 0; part < 4; part++)
                cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 10000, "leader t4 %d %d", part,
                                         part % 3 + 1),
                             0, "%s", reply);
            moved = 1;
        }
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m)
            continue;
        cr_assert_eq(kafc_message_err(m), KAFC_ERR_NONE, "%s", kafc_err_name(kafc_message_err(m)));
        int32_t part = kafc_message_partition(m);
        cr_assert_eq(kafc_message_offset(m), next[part], "partition %d", part);
        next[part]++;
        size_t len;
        const char *v = kafc_message_value(m, &len);
        seen[atoi(v + 6)]++;
        got++;
        kafc_message_destroy(m);
    }
    cr_assert_eq(got, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(seen[i], 1);
    free(seen);
    kafc_consumer_destroy(c);
}

/* Consuming a million messages keeps what is fetched and not yet handed
 * out within queued.max.messages.kbytes (plus at most one Fetch response),
 * by the consumer's own accounting. */
Test(consumer, million_messages_within_the_prefetch_bound, .timeout = 300)
{
#if defined(__SANITIZE_THREAD__)
    const int n = 200000; /* ThreadSanitizer is ~10x slower */
#else
    const int n = 1000000;
#endif
    char reply[128];
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 10000, "topic create big 32"), 0, "%s",
                 reply);
    char errstr[256];
    kafc_conf_t *conf = base_conf((const char *[]){"linger.ms", "20", NULL});
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    static char v[100];
    memset(v, 'x', sizeof(v));
    for (int i = 0; i < n; i++) {
        kafc_err_t err;
        while ((err = kafc_produce(p, "big", i % 32, 0, NULL, 0, v, sizeof(v), NULL, 0, NULL)) ==
               KAFC_ERR__QUEUE_FULL)
            kafc_producer_poll(p, 10);
        cr_assert_eq(err, KAFC_ERR_NONE);
        kafc_producer_poll(p, 0);
    }
    cr_assert_eq(kafc_producer_flush(p, 60000), KAFC_ERR_NONE);
    kafc_producer_destroy(p, 5000);

    const int64_t bound = 1024 * 1024, fetch_max = 262144;
    kafc_consumer_t *c = new_consumer(
        (const char *[]){"queued.max.messages.kbytes", "1024", "fetch.max.bytes", "262144", NULL});
    kafc_topic_partition_list_t *l = parts_of("big", 32, KAFC_OFFSET_BEGINNING);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
    int64_t max_buffered = 0;
    int got = 0;
    int64_t deadline = kafc__clock_ms() + 240000;
    kafc_message_t *batch[500];
    while (got < n && kafc__clock_ms() < deadline) {
        int k = kafc_consumer_poll_batch(c, batch, 500, 100);
        int64_t b = atomic_load(&((struct kafc_consumer_s *)c)->buffered);
        if (b > max_buffered)
            max_buffered = b;
        for (int i = 0; i < k; i++) {
            cr_assert_eq(kafc_message_err(batch[i]), KAFC_ERR_NONE);
            kafc_message_destroy(batch[i]);
        }
        got += k;
    }
    cr_assert_eq(got, n);
    cr_assert(max_buffered <= bound + fetch_max, "%lld bytes buffered, bound %lld + %lld",
              (long long)max_buffered, (long long)bound, (long long)fetch_max);
    cr_log_info("max buffered %lld bytes for a %lld-byte bound", (long long)max_buffered,
                (long long)bound);
    kafc_consumer_destroy(c);
}

/* KIP-392: when the leader names a preferred read replica, fetching moves
 * there; with the leader then down, the replica still serves. */
Test(consumer, fetches_from_the_preferred_read_replica)
{
    char reply[128];
    produce("t1", 1, 2000, NULL);
    kafc_consumer_t *c =
        new_consumer((const char *[]){"client.rack", "rack-a", "max.partition.fetch.bytes", "1024",
                                      "fetch.max.bytes", "4096", NULL});
    kafc_metadata_t *md = NULL;
    const char *names[] = {"t1"};
    cr_assert_eq(kafc_metadata(kafc_consumer_client(c), names, 1, 10000, &md, NULL, 0),
                 KAFC_ERR_NONE);
    int32_t leader = kafc_metadata_partition_leader(md, 0, 0);
    kafc_metadata_destroy(md);
    cr_assert(leader >= 1 && leader <= 3, "leader %d", leader);
    int32_t replica = leader % 3 + 1;
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 10000, "follower t1 0 %d", replica), 0, "%s",
                 reply);
    kafc_topic_partition_list_t *l = parts_of("t1", 1, KAFC_OFFSET_BEGINNING);
    cr_assert_eq(kafc_assign(c, l), KAFC_ERR_NONE);
    kafc_topic_partition_list_destroy(l);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(next_offset(c), i);
    /* Small fetches: most of the log is still to come. With the leader down,
     * only the replica can serve it. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 10000, "broker down %d", leader), 0);
    for (int i = 100; i < 2000; i++)
        cr_assert_eq(next_offset(c), i);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 10000, "broker up %d", leader), 0);
    kafc_consumer_destroy(c);
}
