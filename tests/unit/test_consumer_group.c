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

/* The members' assignments: disjoint, covering nparts partitions of topic,
 * each member within one of the others. */
static int balanced(kafc_consumer_t **cs, int k, int nparts)
{
    int owner[64];
    int min = 1 << 30, max = 0;
    for (int i = 0; i < nparts; i++)
        owner[i] = -1;
    for (int m = 0; m < k; m++) {
        kafc_topic_partition_list_t *l = kafc_assignment(cs[m]);
        if (!l)
            return 0;
        for (int i = 0; i < l->cnt; i++) {
            int p = l->elems[i].partition;
            if (p < 0 || p >= nparts || owner[p] != -1) {
                kafc_topic_partition_list_destroy(l);
                return 0;
            }
            owner[p] = m;
        }
        min = l->cnt < min ? l->cnt : min;
        max = l->cnt > max ? l->cnt : max;
        kafc_topic_partition_list_destroy(l);
    }
    for (int i = 0; i < nparts; i++)
        if (owner[i] == -1)
            return 0;
    return max - min <= 1;
}

static int unique(const int *seen, int n)
{
    int u = 0;
    for (int i = 0; i < n; i++)
        u += seen[i] > 0;
    return u;
}

/* k members share t6. Once the group is balanced, every message arrives
 * exactly once. Then member 0 leaves while messages are waiting: the others
 * take its partitions over and nothing is lost (a rebalance may deliver a
 * few messages twice: at-least-once). */
static void share_and_take_over(const char *strategy, int k, const char *group)
{
    const int n = 3000;
    int *seen = calloc(2 * n, sizeof(int));
    kafc_consumer_t *cs[3];
    struct rb_log logs[3] = {{0}};
    for (int m = 0; m < k; m++)
        cs[m] = new_member(group, strategy, &logs[m], "t6");
    int64_t deadline = kafc__clock_ms() + 60000;
    while (!balanced(cs, k, 6) && kafc__clock_ms() < deadline)
        for (int m = 0; m < k; m++)
            poll_one(cs[m], seen, 2 * n, 20);
    cr_assert(balanced(cs, k, 6), "%s: assignments overlap or leave partitions out", strategy);
    for (int m = 0; m < k; m++)
        cr_assert_eq(count_assigned(cs[m]), 6 / k);
    if (strcmp(strategy, "cooperative-sticky") == 0)
        cr_assert_str_eq(kafc_rebalance_protocol(cs[0]), "COOPERATIVE");
    else
        cr_assert_str_eq(kafc_rebalance_protocol(cs[0]), "EAGER");

    produce("t6", 6, 0, n);
    int total = 0;
    deadline = kafc__clock_ms() + 60000;
    while (total < n && kafc__clock_ms() < deadline)
        for (int m = 0; m < k; m++)
            total += poll_one(cs[m], seen, 2 * n, 20);
    cr_assert_eq(total, n, "%s: %d of %d messages", strategy, total, n);
    cr_assert_eq(poll_one(cs[0], seen, 2 * n, 300), 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(seen[i], 1, "%s: message %d seen %d times", strategy, i, seen[i]);

    /* Member 0 leaves with messages waiting; the others take over. */
    produce("t6", 6, n, n);
    for (int i = 0; i < 200; i++)
        total += poll_one(cs[0], seen, 2 * n, 20);
    cr_assert_eq(kafc_consumer_close(cs[0], 10000), KAFC_ERR_NONE);
    kafc_consumer_destroy(cs[0]);
    deadline = kafc__clock_ms() + 60000;
    while ((unique(seen, 2 * n) < 2 * n || !balanced(cs + 1, k - 1, 6)) &&
           kafc__clock_ms() < deadline)
        for (int m = 1; m < k; m++)
            total += poll_one(cs[m], seen, 2 * n, 20);
    cr_assert(balanced(cs + 1, k - 1, 6), "%s: no takeover", strategy);
    for (int i = 0; i < 2 * n; i++)
        cr_assert(seen[i] >= 1, "%s: message %d lost", strategy, i);
    cr_log_info("%s: %d deliveries for %d messages", strategy, total, 2 * n);
    for (int m = 1; m < k; m++)
        kafc_consumer_destroy(cs[m]);
    free(seen);
}

Test(group, two_members_range)
{
    share_and_take_over("range", 2, "g-range");
}

Test(group, three_members_roundrobin)
{
    share_and_take_over("roundrobin", 3, "g-rr");
}

Test(group, three_members_cooperative_sticky)
{
    share_and_take_over("cooperative-sticky", 3, "g-coop");
}

static int tc_ok(const char *fmt, const char *arg, int id)
{
    char reply[256];
    return kafc_tc_cmd(tc, reply, sizeof(reply), 10000, fmt, arg, id) == 0;
}

/* The coordinator moves and a broker goes down and up while a member reads:
 * every message still arrives. */
Test(group, coordinator_moves_and_broker_down_up)
{
    const int n = 3000;
    int *seen = calloc(2 * n, sizeof(int));
    produce("t6", 6, 0, 2 * n);
    kafc_consumer_t *c = new_member("g-fail", "range", NULL, "t6");
    int64_t deadline = kafc__clock_ms() + 60000;
    while (unique(seen, 2 * n) < n / 2 && kafc__clock_ms() < deadline)
        poll_one(c, seen, 2 * n, 50);
    cr_assert(tc_ok("coordinator group %s %d", "g-fail", 2));
    while (unique(seen, 2 * n) < n && kafc__clock_ms() < deadline)
        poll_one(c, seen, 2 * n, 50);
    cr_assert(unique(seen, 2 * n) >= n);
    /* Commits reach the new coordinator. */
    cr_assert_eq(kafc_commit(c, NULL), KAFC_ERR_NONE);
    /* Partitions led by broker 1 stall while it is down; the others go
     * on; nothing is lost once it is back. */
    cr_assert(tc_ok("broker down %s%d", "", 1));
    int64_t until = kafc__clock_ms() + 1500;
    while (kafc__clock_ms() < until)
        poll_one(c, seen, 2 * n, 50);
    cr_assert(tc_ok("broker up %s%d", "", 1));
    while (unique(seen, 2 * n) < 2 * n && kafc__clock_ms() < deadline)
        poll_one(c, seen, 2 * n, 50);
    for (int i = 0; i < 2 * n; i++)
        cr_assert(seen[i] >= 1, "message %d lost", i);
    kafc_consumer_destroy(c);
    free(seen);
}

/* A pattern subscription covers every matching topic, also one created
 * later. */
Test(group, regex_subscription_follows_new_topics)
{
    char errstr[256];
    kafc_conf_t *conf = base_conf((const char *[]){
        "group.id", "g-re", "auto.offset.reset", "earliest", "metadata.max.age.ms", "1000",
        "session.timeout.ms", "6000", "heartbeat.interval.ms", "300", NULL});
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    cr_assert_not_null(c, "%s", errstr);
    const char *topics[] = {"^t[0-9]+$"};
    cr_assert_eq(kafc_subscribe(c, topics, 1, errstr, sizeof(errstr)), KAFC_ERR_NONE, "%s", errstr);
    int64_t deadline = kafc__clock_ms() + 30000;
    while (count_assigned(c) != 10 && kafc__clock_ms() < deadline)
        kafc_message_destroy(kafc_consumer_poll(c, 50));
    cr_assert_eq(count_assigned(c), 10);
    cr_assert(tc_ok("topic create %s %d", "t9", 2));
    deadline = kafc__clock_ms() + 30000;
    while (count_assigned(c) != 12 && kafc__clock_ms() < deadline)
        kafc_message_destroy(kafc_consumer_poll(c, 50));
    cr_assert_eq(count_assigned(c), 12);
    kafc_consumer_destroy(c);
}

/* A member that stops polling leaves the group (the other takes over);
 * when it polls again it is told, loses its partitions and rejoins. */
Test(group, max_poll_interval_leaves_and_rejoins)
{
    char errstr[256];
    struct rb_log la = {0}, lb = {0};
    kafc_conf_t *conf = base_conf(
        (const char *[]){"group.id", "g-mpi", "auto.offset.reset", "earliest",
                         "max.poll.interval.ms", "2000", "partition.assignment.strategy", "range",
                         "heartbeat.interval.ms", "300", "session.timeout.ms", "6000", NULL});
    kafc_conf_set_rebalance_cb(conf, rebalance_cb);
    kafc_conf_set_opaque(conf, &la);
    kafc_consumer_t *a = kafc_consumer_new(conf, errstr, sizeof(errstr));
    cr_assert_not_null(a, "%s", errstr);
    kafc_conf_destroy(conf);
    const char *topics[] = {"t4"};
    cr_assert_eq(kafc_subscribe(a, topics, 1, errstr, sizeof(errstr)), KAFC_ERR_NONE);
    kafc_consumer_t *b = new_member("g-mpi", "range", &lb, "t4");
    kafc_consumer_t *cs[2] = {a, b};
    int dummy[1];
    int64_t deadline = kafc__clock_ms() + 30000;
    while (!balanced(cs, 2, 4) && kafc__clock_ms() < deadline)
        for (int m = 0; m < 2; m++)
            poll_one(cs[m], dummy, 0, 20);
    cr_assert(balanced(cs, 2, 4));
    /* a stops polling; b ends up with everything. */
    deadline = kafc__clock_ms() + 30000;
    while (count_assigned(b) != 4 && kafc__clock_ms() < deadline)
        poll_one(b, dummy, 0, 50);
    cr_assert_eq(count_assigned(b), 4);
    /* a's next poll reports it and its partitions are lost. */
    kafc_message_t *m = kafc_consumer_poll(a, 1000);
    cr_assert_not_null(m);
    cr_assert_eq(kafc_message_err(m), KAFC_ERR__TIMED_OUT);
    cr_assert_eq(kafc_message_partition(m), -1);
    kafc_message_destroy(m);
    cr_assert_eq(la.lost, 1);
    deadline = kafc__clock_ms() + 30000;
    while (!balanced(cs, 2, 4) && kafc__clock_ms() < deadline)
        for (int k = 0; k < 2; k++)
            poll_one(cs[k], dummy, 0, 20);
    cr_assert(balanced(cs, 2, 4));
    kafc_consumer_destroy(a);
    kafc_consumer_destroy(b);
}
