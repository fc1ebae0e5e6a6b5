/* Producer API details: interceptors, unknown topics (against the fake
 * broker, which does not create topics), the batch variant. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fakebroker.h"
#include "kafc/kafc.h"

static kafc_fb_t *fb;

static void setup(void)
{
    fb = kafc_fb_start(1);
    cr_assert_not_null(fb);
    cr_assert_eq(kafc_fb_topic_create(fb, "known", 2, 0), 0);
}

static void teardown(void)
{
    kafc_fb_stop(fb);
}

TestSuite(producer_api, .init = setup, .fini = teardown, .timeout = 60);

static char trace[4096];

static void on_send_a(const char *topic, int32_t partition, const void *key, size_t key_len,
                      const void *value, size_t value_len, void *opaque)
{
    snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "sendA:%s:%.*s;", topic,
             (int)value_len, (const char *)value);
}

static void on_send_b(const char *topic, int32_t partition, const void *key, size_t key_len,
                      const void *value, size_t value_len, void *opaque)
{
    snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "sendB:%s;",
             (const char *)opaque);
}

static void on_ack_a(const kafc_message_t *m, void *opaque)
{
    snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "ackA:%s;",
             kafc_err_name(kafc_message_err(m)));
}

static void on_ack_b(const kafc_message_t *m, void *opaque)
{
    snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "ackB;");
}

static void dr(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace), "dr:%lld;",
             (long long)kafc_message_offset(m));
}

static kafc_producer_t *producer(int interceptors)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_fb_bootstrap(fb), NULL, 0), 0);
    cr_assert_eq(kafc_conf_set(conf, "max.block.ms", "3000", NULL, 0), 0);
    kafc_conf_set_dr_cb(conf, dr);
    if (interceptors) {
        cr_assert_eq(kafc_conf_add_interceptor(conf, on_send_a, on_ack_a, NULL), 0);
        cr_assert_eq(kafc_conf_add_interceptor(conf, on_send_b, on_ack_b, "b"), 0);
        cr_assert_eq(kafc_conf_add_interceptor(conf, NULL, NULL, NULL), KAFC_ERR__INVALID_ARG);
    }
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    return p;
}

Test(producer_api, interceptors_run_in_order_around_the_report)
{
    trace[0] = '\0';
    kafc_producer_t *p = producer(1);
    cr_assert_eq(kafc_produce(p, "known", 0, 0, NULL, 0, "v1", 2, NULL, 0, NULL), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_str_eq(trace, "sendA:known:v1;sendB:b;ackA:NONE;ackB;dr:0;");
    kafc_producer_destroy(p, 1000);
}

Test(producer_api, unknown_topic_fails_clearly)
{
    trace[0] = '\0';
    kafc_producer_t *p = producer(0);
    kafc_err_t err =
        kafc_produce(p, "no-such-topic", KAFC_PARTITION_ANY, 0, NULL, 0, "v", 1, NULL, 0, NULL);
    cr_assert_eq(err, KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION, "%s", kafc_err_name(err));
    cr_assert_eq(kafc_producer_outstanding(p), 0, "nothing accepted");
    /* The known topic still works. */
    cr_assert_eq(kafc_produce(p, "known", 1, 0, NULL, 0, "v", 1, NULL, 0, NULL), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_str_eq(trace, "dr:0;");
    kafc_producer_destroy(p, 1000);
}

Test(producer_api, produce_batch_reports_each_message)
{
    trace[0] = '\0';
    kafc_producer_t *p = producer(0);
    kafc_produce_msg_t msgs[4] = {
        {.partition = 0, .value = "a", .value_len = 1},
        {.partition = 0, .value = "b", .value_len = 1},
        {.partition = 7, .value = "bad partition", .value_len = 13},
        {.partition = 0, .key = "k", .key_len = 1, .value = "c", .value_len = 1},
    };
    cr_assert_eq(kafc_produce_batch(p, "known", 0, msgs, 4), 3);
    cr_assert_eq(msgs[0].err, 0);
    cr_assert_eq(msgs[2].err, KAFC_ERR__UNKNOWN_PARTITION);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_str_eq(trace, "dr:0;dr:1;dr:2;");
    kafc_producer_destroy(p, 1000);
}

static int drs;

static void count_dr(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    (void)p;
    (void)opaque;
    if (kafc_message_err(m) == KAFC_ERR_NONE)
        drs++;
}

/* One thread producing and polling in turn, with buffer.memory full of
 * delivery reports only its own poll can serve: produce says queue-full at
 * once instead of waiting out max.block.ms (a minute) for memory that
 * cannot come back while it waits. */
Test(producer_api, full_memory_held_by_reports_is_queue_full_not_a_stall)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_fb_bootstrap(fb), NULL, 0), 0);
    cr_assert_eq(kafc_conf_set(conf, "buffer.memory", "262144", NULL, 0), 0);
    cr_assert_eq(kafc_conf_set(conf, "batch.size", "16384", NULL, 0), 0);
    cr_assert_eq(kafc_conf_set(conf, "max.block.ms", "600000", NULL, 0), 0);
    kafc_conf_set_dr_cb(conf, count_dr);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    static char value[1000];
    memset(value, 'v', sizeof(value));
    drs = 0;
    int accepted = 0, full = 0;
    while (accepted < 5000) {
        kafc_err_t err =
            kafc_produce(p, "known", 0, 0, NULL, 0, value, sizeof(value), NULL, 0, NULL);
        if (err == KAFC_ERR__QUEUE_FULL) {
            full++;
            kafc_producer_poll(p, 0);
            continue;
        }
        cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc_err_name(err));
        accepted++;
    }
    cr_assert(full > 0, "buffer.memory never filled");
    cr_assert_eq(kafc_producer_flush(p, 30000), KAFC_ERR_NONE);
    cr_assert_eq(drs, 5000);
    kafc_producer_destroy(p, 5000);
}
