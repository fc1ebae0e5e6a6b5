/* Consumer group tests against the test cluster: subscribe, commits that
 * survive a restart, groups of two and three kafc consumers splitting the
 * partitions and taking over when one leaves (range, roundrobin,
 * cooperative-sticky), rebalance callbacks. */
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
    tc = kafc_tc_start("-b 3 -t t4:4 -t t6:6", 20000);
    cr_assert_not_null(tc);
}

static void teardown(void)
{
    kafc_tc_stop(tc);
}

TestSuite(group, .init = setup, .fini = teardown, .timeout = 180);

static kafc_conf_t *base_conf(const char *const *kv)
{
    char errstr[256];
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_tc_bootstrap(tc), NULL, 0), 0);
    const char *dbg = getenv("KDEBUG");
    if (dbg)
        cr_assert_eq(kafc_conf_set(conf, "debug", dbg, NULL, 0), 0);
    for (int i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kafc_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr)), 0, "%s",
                     errstr);
    return conf;
}

/* Per test: what the rebalance callback saw, per consumer opaque. */
struct rb_log {
    int assigned, revoked, lost;
};

static void rebalance_cb(kafc_consumer_t *c, kafc_rebalance_event_t ev,
                         const kafc_topic_partition_list_t *parts, void *opaque)
{
    struct rb_log *log = opaque;
    (void)c;
    (void)parts;
    if (!log)
        return;
    if (ev == KAFC_REBALANCE_ASSIGNED)
        log->assigned++;
    else if (ev == KAFC_REBALANCE_REVOKED)
        log->revoked++;
    else
        log->lost++;
}

static kafc_consumer_t *new_member(const char *group, const char *strategy, struct rb_log *log,
                                   const char *topic)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf((const char *[]){
        "group.id", group, "auto.offset.reset", "earliest", "partition.assignment.strategy",
        strategy, "heartbeat.interval.ms", "300", "session.timeout.ms", "6000", NULL});
    kafc_conf_set_rebalance_cb(conf, rebalance_cb);
    kafc_conf_set_opaque(conf, log);
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);
    const char *topics[] = {topic};
    cr_assert_eq(kafc_subscribe(c, topics, 1, errstr, sizeof(errstr)), KAFC_ERR_NONE, "%s", errstr);
    return c;
}

static void produce(const char *topic, int nparts, int from, int n)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf(NULL);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(p, "%s", errstr);
    for (int i = from; i < from + n; i++) {
        char v[32];
        snprintf(v, sizeof(v), "value-%d", i);
        kafc_err_t err;
        while ((err = kafc_produce(p, topic, i % nparts, 0, NULL, 0, v, strlen(v), NULL, 0,
                                   NULL)) == KAFC_ERR__QUEUE_FULL)
            kafc_producer_poll(p, 10);
        cr_assert_eq(err, KAFC_ERR_NONE);
    }
    cr_assert_eq(kafc_producer_flush(p, 30000), KAFC_ERR_NONE);
    kafc_producer_destroy(p, 5000);
}

/* Polls one message from c (up to timeout) and counts it in seen. Returns
 * 1 when a message came. */
static int poll_one(kafc_consumer_t *c, int *seen, int n, int timeout_ms)
{
    kafc_message_t *m = kafc_consumer_poll(c, timeout_ms);
    if (!m)
        return 0;
    int got = 0;
    if (kafc_message_err(m) == KAFC_ERR_NONE) {
        size_t len;
        const char *v = kafc_message_value(m, &len);
        int id = atoi(v + 6);
        cr_assert(id >= 0 && id < n, "id %d", id);
        seen[id]++;
        got = 1;
    }
    kafc_message_destroy(m);
    return got;
}

static int count_assigned(kafc_consumer_t *c)
{
    kafc_topic_partition_list_t *l = kafc_assignment(c);
    int n = l ? l->cnt : -1;
    kafc_topic_partition_list_destroy(l);
    return n;
}

Test(group, subscribe_consume_commit_and_resume_after_restart)
{
    const int n = 4000;
    produce("t4", 4, 0, n);
    int *seen = calloc(2 * n, sizeof(int));
    struct rb_log log = {0};
    kafc_consumer_t *c = new_member("g-resume", "range", &log, "t4");
    int total = 0;
    int64_t deadline = kafc__clock_ms() + 60000;
    while (total < n && kafc__clock_ms() < deadline)
        total += poll_one(c, seen, 2 * n, 200);
    cr_assert_eq(total, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(seen[i], 1, "message %d seen %d times", i, seen[i]);
    cr_assert_eq(log.assigned, 1);
    cr_assert_eq(count_assigned(c), 4);
    cr_assert_str_eq(kafc_rebalance_protocol(c), "EAGER");
    cr_assert_eq(kafc_commit(c, NULL), KAFC_ERR_NONE);
    /* committed() reads back what was committed. */
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(4);
    for (int i = 0; i < 4; i++)
        kafc_topic_partition_list_add(l, "t4", i);
    cr_assert_eq(kafc_committed(c, l, 10000), KAFC_ERR_NONE);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(l->elems[i].offset, n / 4, "partition %d committed %lld", i,
                     (long long)l->elems[i].offset);
    kafc_topic_partition_list_destroy(l);
    cr_assert_eq(kafc_consumer_close(c, 10000), KAFC_ERR_NONE);
    cr_assert_eq(log.revoked, 1);
    kafc_consumer_destroy(c);

    /* A new member of the group starts at the committed offsets: only the
     * new messages arrive. */
    produce("t4", 4, n, n);
    memset(&log, 0, sizeof(log));
    c = new_member("g-resume", "range", &log, "t4");
    total = 0;
    deadline = kafc__clock_ms() + 60000;
    while (total < n && kafc__clock_ms() < deadline)
        total += poll_one(c, seen, 2 * n, 200);
    cr_assert_eq(total, n);
    /* Nothing more is pending. */
    cr_assert_eq(poll_one(c, seen, 2 * n, 500), 0);
    for (int i = 0; i < 2 * n; i++)
        cr_assert_eq(seen[i], 1, "message %d seen %d times", i, seen[i]);
    kafc_consumer_destroy(c);
    free(seen);
}
