/* Tests of the client handle and kafc_metadata() against the test cluster. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"
#include "test_cluster.h"
#include "util/clock.h"

static kafc_tc_t *tc;

static void setup(void)
{
    tc = kafc_tc_start("-b 3 -t t1:4 -t t2:2", 20000);
    cr_assert_not_null(tc, "test cluster did not start");
}

static void teardown(void)
{
    kafc_tc_stop(tc);
}

TestSuite(client, .init = setup, .fini = teardown, .timeout = 60);

static kafc_client_t *new_client(const char *bootstrap, const char *extra_name,
                                 const char *extra_value)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)), 0,
                 "%s", errstr);
    cr_assert_eq(kafc_conf_set(conf, "reconnect.backoff.max.ms", "200", errstr, sizeof(errstr)), 0);
    if (extra_name)
        cr_assert_eq(kafc_conf_set(conf, extra_name, extra_value, errstr, sizeof(errstr)), 0, "%s",
                     errstr);
    kafc_client_t *c = kafc_client_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);
    return c;
}

static void cmd(const char *fmt, const char *arg)
{
    char reply[256], line[256];
    snprintf(line, sizeof(line), fmt, arg);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "%s", line), 0, "%s: %s", line, reply);
}

static int topic_index(const kafc_metadata_t *md, const char *name)
{
    for (int t = 0; t < kafc_metadata_topic_count(md); t++)
        if (strcmp(kafc_metadata_topic_name(md, t), name) == 0)
            return t;
    return -1;
}

Test(client, metadata_of_three_brokers)
{
    char errstr[256], reply[256];
    kafc_metadata_t *md = NULL;
    kafc_client_t *c = new_client(kafc_tc_bootstrap(tc), NULL, NULL);
    cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), KAFC_ERR_NONE, "%s",
                 errstr);
    cr_assert_eq(kafc_metadata_broker_count(md), 3);
    for (int i = 0; i < 3; i++) {
        int32_t id = kafc_metadata_broker_id(md, i);
        cr_assert_eq(id, i + 1);
        cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker addr %d", id), 0);
        char expect[300];
        snprintf(expect, sizeof(expect), "ok %s:%d", kafc_metadata_broker_host(md, i),
                 kafc_metadata_broker_port(md, i));
        cr_assert_str_eq(reply, expect);
    }
    int t1 = topic_index(md, "t1"), t2 = topic_index(md, "t2");
    cr_assert_geq(t1, 0);
    cr_assert_geq(t2, 0);
    cr_assert_eq(kafc_metadata_topic_err(md, t1), KAFC_ERR_NONE);
    cr_assert_eq(kafc_metadata_partition_count(md, t1), 4);
    cr_assert_eq(kafc_metadata_partition_count(md, t2), 2);
    for (int p = 0; p < 4; p++) {
        cr_assert_eq(kafc_metadata_partition_id(md, t1, p), p);
        int32_t leader = kafc_metadata_partition_leader(md, t1, p);
        cr_assert(leader >= 1 && leader <= 3, "leader %d", leader);
        cr_assert_eq(kafc_metadata_replica_count(md, t1, p), 3);
        cr_assert_eq(kafc_metadata_isr_count(md, t1, p), 3);
    }
    /* Out-of-range indexes answer, never crash. */
    cr_assert_null(kafc_metadata_topic_name(md, 99));
    cr_assert_eq(kafc_metadata_partition_leader(md, t1, 99), -1);
    cr_assert_eq(kafc_metadata_replica(md, t1, 0, 99), -1);
    kafc_metadata_destroy(md);

    /* Asking for one topic returns just that one. */
    const char *want[] = {"t2"};
    cr_assert_eq(kafc_metadata(c, want, 1, 10000, &md, errstr, sizeof(errstr)), KAFC_ERR_NONE);
    cr_assert_eq(kafc_metadata_topic_count(md), 1);
    cr_assert_str_eq(kafc_metadata_topic_name(md, 0), "t2");
    kafc_metadata_destroy(md);
    kafc_client_destroy(c);
}

Test(client, moved_leader_is_seen_on_refresh)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    const char *want[] = {"t1"};
    kafc_client_t *c = new_client(kafc_tc_bootstrap(tc), NULL, NULL);
    cmd("leader t1 0 %s", "1");
    cr_assert_eq(kafc_metadata(c, want, 1, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_eq(kafc_metadata_partition_leader(md, 0, 0), 1);
    kafc_metadata_destroy(md);
    cmd("leader t1 0 %s", "3");
    cr_assert_eq(kafc_metadata(c, want, 1, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_eq(kafc_metadata_partition_leader(md, 0, 0), 3);
    kafc_metadata_destroy(md);
    kafc_client_destroy(c);
}

Test(client, all_brokers_down_then_up)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    kafc_client_t *c = new_client(kafc_tc_bootstrap(tc), NULL, NULL);
    cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    kafc_metadata_destroy(md);

    cmd("broker down %s", "all");
    int64_t start = kafc__clock_ms();
    kafc_err_t err = kafc_metadata(c, NULL, 0, 1000, &md, errstr, sizeof(errstr));
    int64_t took = kafc__clock_ms() - start;
    cr_assert_eq(err, KAFC_ERR__TIMED_OUT, "%s", kafc_err_name(err));
    cr_assert_null(md);
    cr_assert(strstr(errstr, "Connection refused") || strstr(errstr, "connection closed"),
              "errstr: %s", errstr);
    cr_assert_geq(took, 900);
    cr_assert_lt(took, 3000, "bounded by the timeout: %lld ms", (long long)took);

    /* Back up: reconnected (with backoff) and used again. */
    cmd("broker up %s", "all");
    cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_eq(kafc_metadata_broker_count(md), 3);
    kafc_metadata_destroy(md);
    kafc_client_destroy(c);
}

Test(client, one_broker_down_others_answer)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    kafc_client_t *c = new_client(kafc_tc_bootstrap(tc), NULL, NULL);
    cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), 0, "%s", errstr);
    kafc_metadata_destroy(md);
    cmd("broker down %s", "1");
    cmd("broker down %s", "2");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kafc_metadata(c, NULL, 0, 10000, &md, errstr, sizeof(errstr)), 0,
                     "round %d: %s", i, errstr);
        cr_assert_eq(kafc_metadata_broker_count(md), 3);
        kafc_metadata_destroy(md);
    }
    kafc_client_destroy(c);
}

Test(client, destroy_is_bounded_when_brokers_are_down)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    cmd("broker down %s", "all");
    kafc_client_t *c = new_client(kafc_tc_bootstrap(tc), NULL, NULL);
    cr_assert_eq(kafc_metadata(c, NULL, 0, 300, &md, errstr, sizeof(errstr)), KAFC_ERR__TIMED_OUT);
    int64_t start = kafc__clock_ms();
    kafc_client_destroy(c);
    cr_assert_lt(kafc__clock_ms() - start, 1500);
}

Test(client, unresolvable_bootstrap_is_clear)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    kafc_client_t *c = new_client("no-such-host.invalid:9092", NULL, NULL);
    cr_assert_eq(kafc_metadata(c, NULL, 0, 500, &md, errstr, sizeof(errstr)), KAFC_ERR__TIMED_OUT);
    cr_assert(strstr(errstr, "no-such-host.invalid") != NULL, "errstr: %s", errstr);
    kafc_client_destroy(c);
}

Test(client, bad_bootstrap_is_refused_with_a_reason)
{
    char errstr[256];
    const char *bad[] = {"", " , ", "host:notaport", "host:0", "host:70000", "::1:9092"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kafc_conf_t *conf = kafc_conf_new();
        kafc_conf_set(conf, "bootstrap.servers", bad[i], errstr, sizeof(errstr));
        errstr[0] = '\0';
        kafc_client_t *c = kafc_client_new(conf, errstr, sizeof(errstr));
        kafc_conf_destroy(conf);
        cr_assert_null(c, "accepted \"%s\"", bad[i]);
        cr_assert(strstr(errstr, "bootstrap.servers") != NULL, "\"%s\": %s", bad[i], errstr);
    }
}

static pthread_t log_thread;
static int log_count, log_wrong_thread;

static void log_cb(void *opaque, int level, const char *ctx, const char *msg)
{
    log_count++;
    if (!pthread_equal(pthread_self(), log_thread))
        log_wrong_thread++;
}

Test(client, log_callback_runs_on_the_polling_thread)
{
    char errstr[256];
    kafc_metadata_t *md = NULL;
    log_thread = pthread_self();
    log_count = log_wrong_thread = 0;
    cmd("broker down %s", "all");
    kafc_conf_t *conf = kafc_conf_new();
    kafc_conf_set(conf, "bootstrap.servers", kafc_tc_bootstrap(tc), errstr, sizeof(errstr));
    kafc_conf_set(conf, "debug", "broker,metadata", errstr, sizeof(errstr));
    kafc_conf_set_log_cb(conf, log_cb, NULL);
    kafc_client_t *c = kafc_client_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c);
    /* Connection failures are logged on the I/O thread... */
    cr_assert_eq(kafc_metadata(c, NULL, 0, 500, &md, errstr, sizeof(errstr)), KAFC_ERR__TIMED_OUT);
    cr_assert_eq(log_count, 0, "nothing reaches the callback until poll");
    /* ...and served here. */
    int served = kafc_client_poll(c, 1000);
    cr_assert_gt(served, 0);
    cr_assert_eq(log_count, served);
    cr_assert_eq(log_wrong_thread, 0);
    kafc_client_destroy(c);
}
