/* Producer tests against the test cluster: delivery reports, ordering,
 * placement, bad input, memory bounds, timeouts, destroy. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"
#include "test_cluster.h"
#include "util/clock.h"
#include "util/murmur2.h"

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

TestSuite(producer, .init = setup, .fini = teardown, .timeout = 90);

#define MAXMSG 20000

struct reports {
    int count[MAXMSG]; /* reports per message id */
    kafc_err_t err[MAXMSG];
    int32_t partition[MAXMSG];
    int64_t offset[MAXMSG];
    kafc_persisted_t status[MAXMSG];
    int total;
    int bad_content;
};
static struct reports *rep;

static void dr_cb(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    intptr_t id = (intptr_t)kafc_message_opaque(m);
    cr_assert(id >= 0 && id < MAXMSG);
    rep->count[id]++;
    rep->total++;
    rep->err[id] = kafc_message_err(m);
    rep->partition[id] = kafc_message_partition(m);
    rep->offset[id] = kafc_message_offset(m);
    rep->status[id] = kafc_message_persisted(m);
    /* The report carries the message itself. */
    char want[32];
    size_t vlen = 0;
    const void *v = kafc_message_value(m, &vlen);
    snprintf(want, sizeof(want), "value-%d", (int)id);
    if (!v || vlen != strlen(want) || memcmp(v, want, vlen) != 0)
        rep->bad_content++;
    /* Keyed or not, as produced; a create time from the producer's clock,
     * unless the broker gave a log append time (the mock always does). */
    size_t klen = 0;
    const void *k = kafc_message_key(m, &klen);
    snprintf(want, sizeof(want), "key-%d", (int)id);
    if (k && (klen != strlen(want) || memcmp(k, want, klen) != 0))
        rep->bad_content++;
    kafc_timestamp_type_t tstype;
    int64_t ts = kafc_message_timestamp(m, &tstype);
    if (tstype == KAFC_TIMESTAMP_CREATE_TIME && (ts < 1700000000000LL || ts > 4102444800000LL))
        rep->bad_content++;
}

static kafc_producer_t *new_producer(const char *const *kv, char *errstr, size_t errstr_size)
{
    kafc_conf_t *conf = kafc_conf_new();
    cr_assert_eq(kafc_conf_set(conf, "bootstrap.servers", kafc_tc_bootstrap(tc), NULL, 0), 0);
    for (int i = 0; kv && kv[i]; i += 2)
        cr_assert_eq(kafc_conf_set(conf, kv[i], kv[i + 1], errstr, errstr_size), 0, "%s", errstr);
    kafc_conf_set_dr_cb(conf, dr_cb);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, errstr_size);
    kafc_conf_destroy(conf);
    return p;
}

static void reset_reports(void)
{
    if (!rep)
        rep = malloc(sizeof(*rep));
    memset(rep, 0, sizeof(*rep));
}

static kafc_err_t produce_id(kafc_producer_t *p, const char *topic, int32_t part, int id, int keyed)
{
    char key[32], val[32];
    snprintf(key, sizeof(key), "key-%d", id);
    snprintf(val, sizeof(val), "value-%d", id);
    kafc_headers_t *h = kafc_headers_new();
    kafc_headers_add(h, "id", key, strlen(key));
    kafc_err_t err =
        kafc_produce(p, topic, part, KAFC_MSG_F_COPY, keyed ? key : NULL, keyed ? strlen(key) : 0,
                     val, strlen(val), h, 0, (void *)(intptr_t)id);
    if (err)
        kafc_headers_destroy(h);
    return err;
}

Test(producer, every_message_reported_once_in_order)
{
    char errstr[256];
    reset_reports();
    const char *kv[] = {"linger.ms", "10", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    enum { N = 5000 };
    for (int i = 0; i < N; i++)
        cr_assert_eq(produce_id(p, "t4", KAFC_PARTITION_ANY, i, 1), 0);
    cr_assert_eq(kafc_producer_flush(p, 30000), KAFC_ERR_NONE);
    cr_assert_eq(kafc_producer_outstanding(p), 0);
    cr_assert_eq(rep->total, N);
    cr_assert_eq(rep->bad_content, 0);
    /* Per partition: offsets 0,1,2,... in production order. */
    int64_t next[4] = {0, 0, 0, 0};
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rep->count[i], 1, "message %d reported %d times", i, rep->count[i]);
        cr_assert_eq(rep->err[i], KAFC_ERR_NONE, "message %d: %s", i, kafc_err_name(rep->err[i]));
        cr_assert_eq(rep->status[i], KAFC_PERSISTED);
        int32_t pt = rep->partition[i];
        cr_assert(pt >= 0 && pt < 4);
        cr_assert_eq(rep->offset[i], next[pt], "message %d at offset %lld, expected %lld", i,
                     (long long)rep->offset[i], (long long)next[pt]);
        next[pt]++;
        /* The default partitioner places keys as Java's murmur2 does. */
        char key[32];
        snprintf(key, sizeof(key), "key-%d", i);
        cr_assert_eq(pt, kafc__murmur2_partition(key, strlen(key), 4));
    }
    kafc_producer_destroy(p, 5000);
}

Test(producer, bad_input_is_refused_clearly)
{
    char errstr[256];
    reset_reports();
    const char *kv[] = {"message.max.bytes", "1000", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(kafc_produce(p, NULL, -1, 0, NULL, 0, "v", 1, NULL, 0, NULL),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_produce(p, "", -1, 0, NULL, 0, "v", 1, NULL, 0, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_produce(p, "t4", -2, 0, NULL, 0, "v", 1, NULL, 0, NULL),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_produce(p, "t4", 4, 0, NULL, 0, "v", 1, NULL, 0, NULL),
                 KAFC_ERR__UNKNOWN_PARTITION);
    char big[2000];
    memset(big, 'x', sizeof(big));
    cr_assert_eq(kafc_produce(p, "t4", 0, 0, NULL, 0, big, sizeof(big), NULL, 0, NULL),
                 KAFC_ERR__MSG_SIZE_TOO_LARGE);
    cr_assert_eq(kafc_produce(p, "t4", 0, 0x80, NULL, 0, "v", 1, NULL, 0, NULL),
                 KAFC_ERR__INVALID_ARG);
    /* Nothing accepted, nothing reported. */
    cr_assert_eq(kafc_producer_flush(p, 5000), 0);
    cr_assert_eq(rep->total, 0);
    kafc_producer_destroy(p, 1000);
}

Test(producer, queue_full_at_once_then_accepts_again)
{
    char errstr[256];
    reset_reports();
    /* Room for 4 batches of 1 KiB; nothing can be sent while linger holds. */
    const char *kv[] = {"buffer.memory", "4096",  "batch.size", "1024", "max.block.ms", "0",
                        "linger.ms",     "60000", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    /* Metadata first (produce to a known topic never waits for it). */
    int id = 0;
    int64_t start = kafc__clock_ms();
    kafc_err_t err;
    while ((err = produce_id(p, "t4", 0, id, 0)) == KAFC_ERR__TIMED_OUT &&
           kafc__clock_ms() - start < 10000)
        kafc_producer_poll(p, 10);
    cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc_err_name(err));
    id++;
    int full_at = -1;
    for (; id < 1000; id++) {
        int32_t part = id % 4;
        int64_t t0 = kafc__clock_ms();
        err = produce_id(p, "t4", part, id, 0);
        if (err == KAFC_ERR__QUEUE_FULL) {
            cr_assert_lt(kafc__clock_ms() - t0, 500, "max.block.ms=0 returns at once");
            full_at = id;
            break;
        }
        cr_assert_eq(err, KAFC_ERR_NONE);
    }
    cr_assert_gt(full_at, 4, "several batches fitted first");
    /* Flush sends everything; the memory comes back; produce works again. */
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    cr_assert_eq(produce_id(p, "t4", 0, full_at, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    cr_assert_eq(rep->total, full_at + 1);
    kafc_producer_destroy(p, 1000);
}

Test(producer, delivery_timeout_reports_each_message_once)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"delivery.timeout.ms", "1500", "linger.ms", "0", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 0, 0), 0); /* learn metadata, connect */
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker down all"), 0);
    enum { N = 300 };
    for (int i = 1; i <= N; i++)
        cr_assert_eq(produce_id(p, "t1", 0, i, 0), 0);
    int64_t start = kafc__clock_ms();
    cr_assert_eq(kafc_producer_flush(p, 20000), 0, "all reported within the bound");
    cr_assert_lt(kafc__clock_ms() - start, 10000);
    for (int i = 1; i <= N; i++) {
        cr_assert_eq(rep->count[i], 1, "message %d reported %d times", i, rep->count[i]);
        cr_assert_eq(rep->err[i], KAFC_ERR__MSG_TIMED_OUT, "message %d: %s", i,
                     kafc_err_name(rep->err[i]));
    }
    kafc_producer_destroy(p, 1000);
}

Test(producer, destroy_with_brokers_down_is_bounded_and_reports_all)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"linger.ms", "0", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t4", 1, 0, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker down all"), 0);
    enum { N = 1000 };
    for (int i = 1; i <= N; i++)
        cr_assert_eq(produce_id(p, "t4", i % 4, i, 0), 0);
    int64_t start = kafc__clock_ms();
    kafc_producer_destroy(p, 500);
    cr_assert_lt(kafc__clock_ms() - start, 2500);
    for (int i = 0; i <= N; i++)
        cr_assert_eq(rep->count[i], 1, "message %d reported %d times", i, rep->count[i]);
    for (int i = 1; i <= N; i++)
        cr_assert_eq(rep->err[i], KAFC_ERR__DESTROY, "message %d: %s", i,
                     kafc_err_name(rep->err[i]));
}

Test(producer, idempotence_conflicts)
{
    char errstr[256];
    const char *explicit_conflict[] = {"enable.idempotence", "true", "acks", "1", NULL};
    kafc_producer_t *p = new_producer(explicit_conflict, errstr, sizeof(errstr));
    cr_assert_null(p);
    cr_assert(strstr(errstr, "enable.idempotence") && strstr(errstr, "acks"), "%s", errstr);
    /* Idempotence only by default: the user's acks=1 wins, idempotence off. */
    const char *implicit[] = {"acks", "1", NULL};
    p = new_producer(implicit, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    kafc_producer_destroy(p, 0);
}

Test(producer, acks_zero_and_one)
{
    char errstr[256];
    const char *acks[] = {"0", "1"};
    for (int a = 0; a < 2; a++) {
        reset_reports();
        const char *kv[] = {"acks", acks[a], "enable.idempotence", "false", NULL};
        kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
        cr_assert_not_null(p, "%s", errstr);
        for (int i = 0; i < 200; i++)
            cr_assert_eq(produce_id(p, "t4", i % 4, i, 0), 0);
        cr_assert_eq(kafc_producer_flush(p, 20000), 0);
        for (int i = 0; i < 200; i++) {
            cr_assert_eq(rep->count[i], 1);
            cr_assert_eq(rep->err[i], KAFC_ERR_NONE);
            if (a == 0)
                cr_assert_eq(rep->offset[i], -1, "acks=0: no offset");
            else
                cr_assert_geq(rep->offset[i], 0);
        }
        kafc_producer_destroy(p, 1000);
    }
}

Test(producer, fenced_producer_is_fatal)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"linger.ms", "0", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 0, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(rep->err[0], KAFC_ERR_NONE);
    /* The next Produce is answered PRODUCER_FENCED (90). */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "error push 0 90"), 0);
    cr_assert_eq(produce_id(p, "t1", 0, 1, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(rep->count[1], 1);
    cr_assert_eq(rep->err[1], KAFC_ERR_PRODUCER_FENCED, "%s", kafc_err_name(rep->err[1]));
    cr_assert_eq(kafc_producer_fatal_error(p, errstr, sizeof(errstr)), KAFC_ERR_PRODUCER_FENCED);
    cr_assert(strstr(errstr, "PRODUCER_FENCED") != NULL, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 2, 0), KAFC_ERR__FATAL);
    kafc_producer_destroy(p, 1000);
    cr_assert_eq(rep->total, 2);
}

Test(producer, retried_batches_keep_their_order)
{
    char errstr[256], reply[128];
    reset_reports();
    /* Small batches, the first Produce answers fail with a retriable
     * error: every batch must still land in order. One request in flight
     * per partition: with more, order across retries rests on the broker
     * rejecting later sequences, which the test broker does not do for
     * non-transactional producers (TESTING.md). */
    const char *kv[] = {"batch.num.messages",
                        "10",
                        "linger.ms",
                        "0",
                        "retry.backoff.ms",
                        "10",
                        "max.in.flight.requests.per.connection",
                        "1",
                        NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 0, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    /* REQUEST_TIMED_OUT (7) for the next three Produce requests. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "error push 0 7 7 7"), 0);
    enum { N = 500 };
    for (int i = 1; i <= N; i++)
        cr_assert_eq(produce_id(p, "t1", 0, i, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    for (int i = 0; i <= N; i++) {
        cr_assert_eq(rep->count[i], 1, "message %d reported %d times", i, rep->count[i]);
        cr_assert_eq(rep->err[i], KAFC_ERR_NONE, "message %d: %s", i, kafc_err_name(rep->err[i]));
        cr_assert_eq(rep->offset[i], i, "message %d at offset %lld", i, (long long)rep->offset[i]);
    }
    kafc_producer_destroy(p, 1000);
}

Test(producer, message_too_large_splits_the_batch)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"linger.ms", "50", "max.in.flight.requests.per.connection", "1", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 0, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    /* The next Produce answer says MESSAGE_TOO_LARGE (10): the batch is
     * split in halves and sent again; nothing is lost or reordered. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "error push 0 10"), 0);
    enum { N = 200 };
    for (int i = 1; i <= N; i++)
        cr_assert_eq(produce_id(p, "t1", 0, i, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    for (int i = 0; i <= N; i++) {
        cr_assert_eq(rep->count[i], 1, "message %d reported %d times", i, rep->count[i]);
        cr_assert_eq(rep->err[i], KAFC_ERR_NONE, "message %d: %s", i, kafc_err_name(rep->err[i]));
        cr_assert_eq(rep->offset[i], i, "message %d at offset %lld", i, (long long)rep->offset[i]);
    }
    cr_assert_eq(rep->bad_content, 0, "reports carry the right values after the split");
    kafc_producer_destroy(p, 1000);
}

Test(producer, single_message_too_large_fails)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"linger.ms", "0", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    cr_assert_eq(produce_id(p, "t1", 0, 0, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "error push 0 10"), 0);
    cr_assert_eq(produce_id(p, "t1", 0, 1, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(rep->count[1], 1);
    cr_assert_eq(rep->err[1], KAFC_ERR_MESSAGE_TOO_LARGE, "%s", kafc_err_name(rep->err[1]));
    cr_assert_eq(rep->status[1], KAFC_NOT_PERSISTED);
    kafc_producer_destroy(p, 1000);
}

/* KIP-794: with linger.ms=0 every batch leaves with the few records that
 * came before the sender took it; the sticky partition still stays until
 * batch.size bytes of records went there, so keyless messages are not
 * sprayed one by one over every partition (and every broker). */
Test(producer, sticky_partition_holds_batch_size_bytes_at_linger_0)
{
    char errstr[256];
    reset_reports();
    const char *kv[] = {"linger.ms", "0", "batch.size", "1000", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    enum { N = 1000 };
    for (int i = 0; i < N; i++) {
        cr_assert_eq(produce_id(p, "t4", KAFC_PARTITION_ANY, i, 0), 0);
        if (i % 50 == 0)
            kafc_producer_poll(p, 0);
    }
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    /* Records here are under 60 bytes each: 1000 bytes hold at least 16. */
    int run = 1, runs = 0;
    for (int i = 1; i <= N; i++) {
        cr_assert_eq(rep->count[i - 1], 1);
        if (i < N && rep->partition[i] == rep->partition[i - 1]) {
            run++;
            continue;
        }
        if (i < N)
            cr_assert_geq(run, 16, "the sticky partition moved after %d records (at %d)", run, i);
        run = 1;
        runs++;
    }
    cr_assert_gt(runs, 1, "the sticky partition moved");
    kafc_producer_destroy(p, 1000);
}

Test(producer, sticky_partitioning_for_keyless_messages)
{
    char errstr[256];
    reset_reports();
    /* Batches of 50: keyless messages fill one partition's batch, then the
     * sticky partition moves; no one-message batches are left behind. */
    const char *kv[] = {"batch.num.messages", "50", "linger.ms", "60000", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    enum { N = 1000 };
    for (int i = 0; i < N; i++)
        cr_assert_eq(produce_id(p, "t4", KAFC_PARTITION_ANY, i, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    /* Runs of consecutive messages on one partition are whole batches. */
    int run = 1, runs = 0, partitions_used[4] = {0};
    for (int i = 1; i <= N; i++) {
        if (i < N && rep->partition[i] == rep->partition[i - 1]) {
            run++;
            continue;
        }
        partitions_used[rep->partition[i - 1]] = 1;
        if (i < N)
            cr_assert_eq(run % 50, 0, "a run of %d keyless messages ended at %d", run, i);
        run = 1;
        runs++;
    }
    cr_assert_gt(runs, 1, "the sticky partition moved");
    cr_assert_eq(
        partitions_used[0] + partitions_used[1] + partitions_used[2] + partitions_used[3] > 1, 1);
    kafc_producer_destroy(p, 1000);
}

Test(producer, purge_queued_and_inflight)
{
    char errstr[256], reply[128];
    reset_reports();
    const char *kv[] = {"linger.ms", "60000", NULL};
    kafc_producer_t *p = new_producer(kv, errstr, sizeof(errstr));
    cr_assert_not_null(p, "%s", errstr);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(produce_id(p, "t1", 0, i, 0), 0);
    cr_assert_eq(kafc_producer_purge(p, KAFC_PURGE_QUEUE), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(rep->count[i], 1);
        cr_assert_eq(rep->err[i], KAFC_ERR__PURGE_QUEUE, "%s", kafc_err_name(rep->err[i]));
        cr_assert_eq(rep->status[i], KAFC_NOT_PERSISTED);
    }
    /* In flight: the broker holds the answer back for 3 s; purge fails the
     * messages when the request completes, as possibly persisted. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "leader t1 0 1"), 0);
    /* Warm up: the producer learns the leader and connects to it. */
    kafc_metadata_t *md = NULL;
    cr_assert_eq(kafc_metadata(kafc_producer_client(p), NULL, 0, 5000, &md, NULL, 0), 0);
    kafc_metadata_destroy(md);
    cr_assert_eq(produce_id(p, "t1", 0, 40, 0), 0);
    cr_assert_eq(kafc_producer_flush(p, 10000), 0);
    cr_assert_eq(rep->err[40], KAFC_ERR_NONE);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker rtt 1 3000"), 0);
    for (int i = 20; i < 40; i++)
        cr_assert_eq(produce_id(p, "t1", 0, i, 0), 0);
    kafc_producer_flush(p, 500); /* sends them; the answer is 3 s away */
    cr_assert_eq(kafc_producer_purge(p, KAFC_PURGE_INFLIGHT), 0);
    cr_assert_eq(kafc_producer_flush(p, 20000), 0);
    for (int i = 20; i < 40; i++) {
        cr_assert_eq(rep->count[i], 1);
        cr_assert_eq(rep->err[i], KAFC_ERR__PURGE_INFLIGHT, "%s", kafc_err_name(rep->err[i]));
        cr_assert_eq(rep->status[i], KAFC_POSSIBLY_PERSISTED);
    }
    cr_assert_eq(kafc_producer_purge(p, 0), KAFC_ERR__INVALID_ARG);
    kafc_producer_destroy(p, 1000);
}
