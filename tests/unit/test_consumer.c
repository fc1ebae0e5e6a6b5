/* Consumer tests against the test cluster, manual assignment: content,
 * offsets, EOF, seek, pause/resume, positions, watermarks, offsets for
 * times, out-of-range resets, bad input, the prefetch bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"
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
