/* Tests of cluster/coord (FindCoordinator, cache, invalidation) against the
 * test cluster, driving the cluster's selector from the test thread. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cluster/coord.h"
#include "test_cluster.h"
#include "util/clock.h"

static kafc_tc_t *tc;
static kafc__selector_t sel;
static kafc__logger_t lg;
static kafc__cluster_t cl;

static void setup(void)
{
    char errstr[256];
    tc = kafc_tc_start("-b 3 -t t1:2", 20000);
    cr_assert_not_null(tc);
    cr_assert_eq(kafc__selector_init(&sel, errstr, sizeof(errstr)), 0);
    kafc__logger_init(&lg, "test", KAFC_LOG_ERR, 0, NULL, NULL);
    kafc__cluster_config_t cfg = {
        .nc = {.client_id = "t",
               .request_timeout_ms = 5000,
               .setup_timeout_ms = 5000,
               .backoff_ms = 20,
               .backoff_max_ms = 200,
               .max_in_flight = 5,
               .max_frame = 100000000},
        .metadata_max_age_ms = 300000,
        .retry_backoff_ms = 50,
        .allow_auto_create = 1,
    };
    cr_assert_eq(
        kafc__cluster_init(&cl, &sel, &lg, &cfg, kafc_tc_bootstrap(tc), errstr, sizeof(errstr)), 0,
        "%s", errstr);
    kafc__cluster_start(&cl);
}

static void teardown(void)
{
    kafc__cluster_destroy(&cl);
    kafc__selector_destroy(&sel);
    kafc_tc_stop(tc);
}

TestSuite(coord, .init = setup, .fini = teardown, .timeout = 60);

struct found {
    int calls;
    kafc_err_t err;
    int32_t id;
    char errstr[400];
};

static void on_found(void *arg, kafc_err_t err, const char *errstr, kafc__broker_t *b)
{
    struct found *f = arg;
    f->calls++;
    f->err = err;
    f->id = b ? b->id : -1;
    snprintf(f->errstr, sizeof(f->errstr), "%s", errstr ? errstr : "");
}

static void find(int8_t type, const char *key, struct found *f, int timeout_ms)
{
    memset(f, 0, sizeof(*f));
    cr_assert_eq(kafc__coord_find(&cl, type, key, timeout_ms, on_found, f), 0);
    int64_t deadline = kafc__clock_ms() + timeout_ms + 5000;
    while (!f->calls && kafc__clock_ms() < deadline)
        kafc__selector_run_once(&sel, 50);
    cr_assert_eq(f->calls, 1);
}

static void cmd(const char *line)
{
    char reply[256];
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), 5000, "%s", line), 0, "%s: %s", line, reply);
}

Test(coord, finds_caches_and_follows_a_move)
{
    struct found f;
    cmd("coordinator group g1 2");
    find(KAFC__COORD_GROUP, "g1", &f, 10000);
    cr_assert_eq(f.err, KAFC_ERR_NONE, "%s", f.errstr);
    cr_assert_eq(f.id, 2);

    /* Moved: the cache still answers 2 until a caller reports it stale. */
    cmd("coordinator group g1 3");
    find(KAFC__COORD_GROUP, "g1", &f, 10000);
    cr_assert_eq(f.id, 2);
    cr_assert(kafc__coord_err_is_stale(KAFC_ERR_NOT_COORDINATOR));
    kafc__coord_invalidate(&cl, KAFC__COORD_GROUP, "g1");
    find(KAFC__COORD_GROUP, "g1", &f, 10000);
    cr_assert_eq(f.err, KAFC_ERR_NONE, "%s", f.errstr);
    cr_assert_eq(f.id, 3);
}

Test(coord, transactional_ids_too)
{
    struct found f;
    cmd("coordinator txn tx-1 1");
    find(KAFC__COORD_TXN, "tx-1", &f, 10000);
    cr_assert_eq(f.err, KAFC_ERR_NONE, "%s", f.errstr);
    cr_assert_eq(f.id, 1);
}

Test(coord, retries_coordinator_not_available)
{
    struct found f;
    cmd("coordinator group g2 1");
    /* FindCoordinator (api key 10) fails twice, then answers. */
    cmd("error push 10 15 15");
    find(KAFC__COORD_GROUP, "g2", &f, 10000);
    cr_assert_eq(f.err, KAFC_ERR_NONE, "%s", f.errstr);
    cr_assert_eq(f.id, 1);
}

Test(coord, non_retriable_error_is_final)
{
    struct found f;
    cmd("error push 10 30"); /* GROUP_AUTHORIZATION_FAILED */
    find(KAFC__COORD_GROUP, "g3", &f, 10000);
    cr_assert_eq(f.err, KAFC_ERR_GROUP_AUTHORIZATION_FAILED, "%s", kafc_err_name(f.err));
}

Test(coord, times_out_when_no_broker_answers)
{
    struct found f;
    cmd("broker down all");
    int64_t start = kafc__clock_ms();
    find(KAFC__COORD_GROUP, "g4", &f, 800);
    cr_assert_eq(f.err, KAFC_ERR__TIMED_OUT, "%s", kafc_err_name(f.err));
    cr_assert(strstr(f.errstr, "g4") != NULL, "%s", f.errstr);
    cr_assert_lt(kafc__clock_ms() - start, 3000);
}
