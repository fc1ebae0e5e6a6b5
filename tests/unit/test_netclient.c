/* Tests of net/netclient against the test cluster (librdkafka's mock
 * brokers), driving the selector from the test thread. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netclient.h"
#include "proto/proto.h"
#include "test_cluster.h"
#include "util/clock.h"

static kafc_tc_t *tc;
static kafc__selector_t sel;
static kafc__logger_t lg;

struct log_capture {
    int n;
    char last[512];
};
static struct log_capture logs;

static void log_cb(void *opaque, int level, const char *ctx, const char *msg)
{
    struct log_capture *c = opaque;
    c->n++;
    snprintf(c->last, sizeof(c->last), "%s", msg);
}

static void setup(void)
{
    char errstr[128];
    tc = kafc_tc_start("-b 3 -t t1:4", 20000);
    cr_assert_not_null(tc, "test cluster did not start");
    cr_assert_eq(kafc__selector_init(&sel, errstr, sizeof(errstr)), KAFC_ERR_NONE);
    memset(&logs, 0, sizeof(logs));
    kafc__logger_init(&lg, "test", KAFC_LOG_INFO, 0, log_cb, &logs);
}

static void teardown(void)
{
    kafc__selector_destroy(&sel);
    kafc_tc_stop(tc);
}

/* host:port of broker id from the launcher. */
static void broker_addr(int id, char *host, size_t hsize, int *port)
{
    char reply[256];
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker addr %d", id), 0, "%s", reply);
    /* "ok HOST:PORT" */
    char *colon = strrchr(reply, ':');
    cr_assert_not_null(colon);
    *colon = '\0';
    snprintf(host, hsize, "%s", reply + 3);
    *port = atoi(colon + 1);
}

static kafc__nc_config_t default_cfg(void)
{
    kafc__nc_config_t cfg = {
        .client_id = "kafc-test",
        .request_timeout_ms = 5000,
        .setup_timeout_ms = 5000,
        .backoff_ms = 20,
        .backoff_max_ms = 200,
        .max_in_flight = 5,
        .max_frame = 100000000,
    };
    return cfg;
}

struct states {
    kafc__nc_state_t last;
    int ups, downs;
    kafc_err_t down_err;
    char reason[400];
};

static void on_state(void *owner, kafc__nc_state_t st, kafc_err_t err, const char *reason)
{
    struct states *s = owner;
    s->last = st;
    if (st == KAFC__NC_UP)
        s->ups++;
    if (st == KAFC__NC_DOWN) {
        s->downs++;
        s->down_err = err;
        snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
    }
}

static const kafc__nc_cbs_t cbs = {.on_state = on_state};

/* A Metadata request for all topics (v1+: null = all; v0: empty = all). */
static kafc_err_t md_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__metadata_request_t m;
    kafc__metadata_request_init(&m);
    m.topics.count = version >= 1 ? -1 : 0;
    return kafc__metadata_request_encode(&m, version, w);
}

struct result {
    int done;
    kafc_err_t err;
    int brokers;
    int topics;
    char errstr[160];
};

static void md_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    struct result *res = req->arg;
    res->done++;
    res->err = err;
    snprintf(res->errstr, sizeof(res->errstr), "%s", req->errstr);
    if (err == KAFC_ERR_NONE) {
        kafc__arena_t a;
        kafc__metadata_response_t m;
        kafc__arena_init(&a);
        res->err = kafc__metadata_response_decode(&m, req->version, body, &a);
        if (res->err == KAFC_ERR_NONE) {
            res->brokers = m.brokers.count;
            res->topics = m.topics.count;
        }
        kafc__arena_destroy(&a);
    }
}

static kafc__request_t *md_request(struct result *res)
{
    kafc__request_t *req = kafc__request_new(KAFC__API_METADATA, 0, 12, md_encode, md_done, res);
    cr_assert_not_null(req);
    return req;
}

static void run_until_count(const int *counter, int want, int timeout_ms)
{
    int64_t deadline = kafc__clock_ms() + timeout_ms;
    while (*counter < want && kafc__clock_ms() < deadline)
        kafc__selector_run_once(&sel, 50);
}

Test(netclient, apiversions_fallback_then_metadata, .init = setup, .fini = teardown, .timeout = 60)
{
    char host[128];
    int port;
    struct states st = {0};
    struct result res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();

    broker_addr(1, host, sizeof(host), &port);
    kafc__netclient_init(&nc, &sel, &lg, "broker1", host, port, &cfg, &cbs, &st);
    kafc__netclient_send(&nc, md_request(&res));
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.err, KAFC_ERR_NONE, "%s: %s", kafc_err_name(res.err), res.errstr);
    cr_assert_eq(res.brokers, 3);
    cr_assert_geq(res.topics, 1);
    cr_assert_eq(st.ups, 1);
    cr_assert_eq(nc.state, KAFC__NC_UP);
    /* The mock answers ApiVersions v3 with a body that does not decode; we
     * fell back to v0 and learned its ranges (Metadata 0..N, Produce 0..7). */
    cr_assert(nc.have_versions);
    cr_assert_eq(nc.api_min[KAFC__API_METADATA], 0);
    cr_assert_geq(nc.api_max[KAFC__API_METADATA], 1);
    cr_assert_eq(nc.api_max[KAFC__API_PRODUCE], 7);
    /* An API the broker lacks is a clear error naming it. */
    cr_assert_lt(kafc__netclient_version(&nc, KAFC__API_DESCRIBE_CLUSTER, 0, 1), 0);
    kafc__netclient_destroy(&nc);
}

static kafc_err_t dc_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__describe_cluster_request_t m;
    kafc__describe_cluster_request_init(&m);
    return kafc__describe_cluster_request_encode(&m, version, w);
}

Test(netclient, missing_api_is_named, .init = setup, .fini = teardown, .timeout = 60)
{
    char host[128];
    int port;
    struct states st = {0};
    struct result res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    broker_addr(2, host, sizeof(host), &port);
    kafc__netclient_init(&nc, &sel, &lg, "broker2", host, port, &cfg, &cbs, &st);
    kafc__request_t *req =
        kafc__request_new(KAFC__API_DESCRIBE_CLUSTER, 0, 1, dc_encode, md_done, &res);
    kafc__netclient_send(&nc, req);
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.err, KAFC_ERR__UNSUPPORTED_VERSION);
    cr_assert(strstr(res.errstr, "DescribeCluster") != NULL, "errstr: %s", res.errstr);
    kafc__netclient_destroy(&nc);
}

Test(netclient, ten_thousand_pipelined_requests_complete_once, .init = setup, .fini = teardown,
     .timeout = 120)
{
    char host[128];
    int port;
    struct states st = {0};
    enum { N = 10000 };
    static struct result res[N];
    memset(res, 0, sizeof(res));
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    cfg.max_in_flight = 100;
    broker_addr(1, host, sizeof(host), &port);
    kafc__netclient_init(&nc, &sel, &lg, "broker1", host, port, &cfg, &cbs, &st);
    for (int i = 0; i < N; i++)
        kafc__netclient_send(&nc, md_request(&res[i]));
    int64_t deadline = kafc__clock_ms() + 90000;
    int done = 0;
    while (kafc__clock_ms() < deadline) {
        kafc__selector_run_once(&sel, 50);
        done = 0;
        for (int i = 0; i < N; i++)
            done += res[i].done;
        if (done == N)
            break;
    }
    cr_assert_eq(done, N);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(res[i].done, 1, "request %d completed %d times", i, res[i].done);
        cr_assert_eq(res[i].err, KAFC_ERR_NONE, "request %d: %s", i, kafc_err_name(res[i].err));
    }
    cr_assert_eq(st.ups, 1, "one connection served them all");
    kafc__netclient_destroy(&nc);
}

Test(netclient, connection_refused_is_clear, .init = setup, .fini = teardown, .timeout = 60)
{
    char host[128], reply[128];
    int port;
    struct states st = {0};
    struct result res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    broker_addr(3, host, sizeof(host), &port);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker down 3"), 0);
    kafc__netclient_init(&nc, &sel, &lg, "broker3", host, port, &cfg, &cbs, &st);
    kafc__request_t *req = md_request(&res);
    req->send_deadline_ms = kafc__clock_ms() + 1000;
    kafc__netclient_send(&nc, req);
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.err, KAFC_ERR__TIMED_OUT, "%s", kafc_err_name(res.err));
    cr_assert_geq(st.downs, 1);
    cr_assert_eq(st.down_err, KAFC_ERR__TRANSPORT);
    cr_assert(strstr(st.reason, "Connection refused") != NULL, "reason: %s", st.reason);
    cr_assert(strstr(logs.last, "Connection refused") != NULL, "log: %s", logs.last);
    /* It keeps retrying with backoff (several attempts within a second),
     * and once the broker is back the next request succeeds. */
    cr_assert_geq(st.downs, 2, "retried: %d attempts", st.downs);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker up 3"), 0);
    struct result res2 = {0};
    kafc__netclient_send(&nc, md_request(&res2));
    run_until_count(&res2.done, 1, 10000);
    cr_assert_eq(res2.err, KAFC_ERR_NONE, "%s: %s", kafc_err_name(res2.err), res2.errstr);
    cr_assert_eq(st.ups, 1);
    kafc__netclient_destroy(&nc);
}

Test(netclient, unresolvable_host_is_clear, .init = setup, .fini = teardown, .timeout = 60)
{
    struct states st = {0};
    struct result res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    kafc__netclient_init(&nc, &sel, &lg, "nowhere", "no-such-host.invalid", 9092, &cfg, &cbs, &st);
    kafc__request_t *req = md_request(&res);
    req->send_deadline_ms = kafc__clock_ms() + 500;
    kafc__netclient_send(&nc, req);
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(st.down_err, KAFC_ERR__RESOLVE);
    cr_assert(strstr(st.reason, "no-such-host.invalid") != NULL, "reason: %s", st.reason);
    kafc__netclient_destroy(&nc);
}

Test(netclient, request_timeout_under_rtt, .init = setup, .fini = teardown, .timeout = 60)
{
    char host[128], reply[128];
    int port;
    struct states st = {0};
    struct result warm = {0}, res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    cfg.request_timeout_ms = 300;
    broker_addr(1, host, sizeof(host), &port);
    kafc__netclient_init(&nc, &sel, &lg, "broker1", host, port, &cfg, &cbs, &st);
    kafc__netclient_send(&nc, md_request(&warm));
    run_until_count(&warm.done, 1, 10000);
    cr_assert_eq(warm.err, KAFC_ERR_NONE);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "broker rtt 1 2000"), 0);
    int64_t start = kafc__clock_ms();
    kafc__netclient_send(&nc, md_request(&res));
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.err, KAFC_ERR__TIMED_OUT, "%s", kafc_err_name(res.err));
    cr_assert(strstr(res.errstr, "timed out") != NULL, "%s", res.errstr);
    /* It fired at the request timeout, not at the broker's 2 s rtt. */
    cr_assert_lt(kafc__clock_ms() - start, 1900);
    kafc__netclient_destroy(&nc);
}

Test(netclient, oversized_response_closes_without_allocating, .init = setup, .fini = teardown,
     .timeout = 60)
{
    char host[128];
    int port;
    struct states st = {0};
    struct result res = {0};
    kafc__netclient_t nc;
    kafc__nc_config_t cfg = default_cfg();
    char reply[128];
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "topic create big 100"), 0);
    /* Big enough for ApiVersions, far too small for the Metadata of a
     * 100-partition topic. */
    cfg.max_frame = 400;
    broker_addr(1, host, sizeof(host), &port);
    kafc__netclient_init(&nc, &sel, &lg, "broker1", host, port, &cfg, &cbs, &st);
    kafc__request_t *req = md_request(&res);
    kafc__netclient_send(&nc, req);
    run_until_count(&res.done, 1, 10000);
    cr_assert_eq(res.done, 1);
    cr_assert_eq(res.err, KAFC_ERR__MSG_SIZE_TOO_LARGE, "%s: %s", kafc_err_name(res.err),
                 res.errstr);
    cr_assert(strstr(res.errstr, "receive.message.max.bytes") != NULL, "%s", res.errstr);
    kafc__netclient_destroy(&nc);
}
