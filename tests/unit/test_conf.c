/*
 * Unit tests for the configuration module (src/conf.c, src/conf_props.c):
 * defaults, set/get per type, error reporting, aliases, reset, is_set
 * tracking, dup, dump, buffer sizing and the argument checks.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"
#include "conf.h"
#include "util/log.h"

static kafc_conf_t *conf;

static void setup(void)
{
    conf = kafc_conf_new();
    cr_assert_not_null(conf);
}

static void teardown(void)
{
    kafc_conf_destroy(conf);
    conf = NULL;
}

TestSuite(conf, .init = setup, .fini = teardown);

/* The value of name as text (static buffer). */
static const char *get(const kafc_conf_t *c, const char *name)
{
    static char buf[512];
    size_t size = sizeof(buf);
    kafc_err_t err = kafc_conf_get(c, name, buf, &size);

    cr_assert_eq(err, KAFC_ERR_NONE, "get %s: %s", name, kafc_err_name(err));
    cr_assert_eq(size, strlen(buf) + 1);
    return buf;
}

static void set_ok(const char *name, const char *value)
{
    char errstr[512] = "junk";
    kafc_err_t err = kafc_conf_set(conf, name, value, errstr, sizeof(errstr));

    cr_assert_eq(err, KAFC_ERR_NONE, "set %s=%s: %s: %s", name, value ? value : "(null)",
                 kafc_err_name(err), errstr);
    cr_expect_str_eq(errstr, "");
}

/* Sets name=value expecting err; returns errstr (static buffer). */
static const char *set_fail(const char *name, const char *value, kafc_err_t want)
{
    static char errstr[512];
    kafc_err_t err;

    errstr[0] = '\0';
    err = kafc_conf_set(conf, name, value, errstr, sizeof(errstr));
    cr_assert_eq(err, want, "set %s=%s gave %s, want %s", name, value, kafc_err_name(err),
                 kafc_err_name(want));
    cr_expect_neq(errstr[0], '\0', "empty errstr for %s=%s", name, value);
    return errstr;
}

static void expect_contains(const char *haystack, const char *needle)
{
    cr_expect_not_null(strstr(haystack, needle), "\"%s\" not in \"%s\"", needle, haystack);
}

/* ---- table sanity -------------------------------------------------------- */

Test(conf, table_complete)
{
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        const kafc__prop_t *p = &kafc__props[id];
        cr_assert_not_null(p->name, "property %d has no table entry", id);
        cr_expect_not_null(p->def, "%s has no default", p->name);
        cr_expect_not_null(p->doc, "%s has no doc", p->name);
        cr_expect_neq(p->scope, 0u, "%s has no scope", p->name);
        if (p->type == KAFC__PT_INT)
            cr_expect_leq(p->min, p->max, "%s range", p->name);
        if (p->type == KAFC__PT_ENUM)
            cr_expect_not_null(p->values, "%s values", p->name);
        if (p->type == KAFC__PT_LIST)
            cr_expect(p->values || p->parse_list, "%s list check", p->name);
        for (int j = 0; j < id; j++)
            cr_expect_str_neq(kafc__props[j].name, p->name, "duplicate name");
    }
}

/* CONFIGURATION.md groups properties by scope; kafc_conf_dump() promises
 * that order, which is the table order: all-client ones, then producer,
 * then consumer. */
Test(conf, table_grouped_by_scope)
{
    static const unsigned order[] = {KAFC__SCOPE_ALL, KAFC__SCOPE_PRODUCER | KAFC__SCOPE_CONSUMER,
                                     KAFC__SCOPE_PRODUCER, KAFC__SCOPE_CONSUMER, KAFC__SCOPE_ADMIN};
    size_t pos = 0;

    for (int id = 0; id < KAFC__P__COUNT; id++) {
        while (pos < 5 && order[pos] != kafc__props[id].scope)
            pos++;
        cr_assert_lt(pos, 5u, "%s is out of scope order", kafc__props[id].name);
    }
}

/* ---- defaults ------------------------------------------------------------ */

Test(conf, defaults)
{
    static const char *const want[][2] = {
        {"bootstrap.servers", ""},
        {"client.id", "kafc"},
        {"client.rack", ""},
        {"debug", ""},
        {"log_level", "6"},
        {"socket.send.buffer.bytes", "0"},
        {"socket.keepalive.enable", "false"},
        {"socket.connection.setup.timeout.ms", "10000"},
        {"receive.message.max.bytes", "100000000"},
        {"request.timeout.ms", "30000"},
        {"metadata.max.age.ms", "300000"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "1000"},
        {"retry.backoff.ms", "100"},
        {"retry.backoff.max.ms", "1000"},
        {"security.protocol", "plaintext"},
        {"sasl.mechanism", "GSSAPI"},
        {"ssl.endpoint.identification.algorithm", "https"},
        {"statistics.interval.ms", "0"},
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"linger.ms", "5"},
        {"batch.size", "16384"},
        {"batch.num.messages", "10000"},
        {"buffer.memory", "33554432"},
        {"max.block.ms", "60000"},
        {"max.request.size", "1048576"},
        {"message.max.bytes", "1000000"},
        {"compression.type", "none"},
        {"compression.level", "-1"},
        {"retries", "2147483647"},
        {"delivery.timeout.ms", "120000"},
        {"max.in.flight.requests.per.connection", "5"},
        {"partitioner", "murmur2_random"},
        {"transactional.id", ""},
        {"transaction.timeout.ms", "60000"},
        {"group.id", ""},
        {"session.timeout.ms", "45000"},
        {"heartbeat.interval.ms", "3000"},
        {"max.poll.interval.ms", "300000"},
        {"enable.auto.commit", "true"},
        {"auto.commit.interval.ms", "5000"},
        {"auto.offset.reset", "latest"},
        {"partition.assignment.strategy", "range,cooperative-sticky"},
        {"fetch.min.bytes", "1"},
        {"fetch.max.wait.ms", "500"},
        {"fetch.max.bytes", "52428800"},
        {"max.partition.fetch.bytes", "1048576"},
        {"queued.max.messages.kbytes", "65536"},
        {"check.crcs", "true"},
        {"isolation.level", "read_uncommitted"},
        {"enable.partition.eof", "false"},
        {"max.poll.records", "500"},
        {"allow.auto.create.topics", "true"},
    };

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_str_eq(get(conf, want[i][0]), want[i][1], "default of %s", want[i][0]);
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        cr_expect_str_eq(get(conf, kafc__props[id].name), kafc__props[id].def, "default text of %s",
                         kafc__props[id].name);
        cr_expect_eq(kafc__conf_is_set(conf, id), 0);
    }
}

Test(conf, default_accessors)
{
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_LINGER_MS), 5);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ENABLE_IDEMPOTENCE), 1);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ACKS), KAFC__ACKS_ALL);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_COMPRESSION_TYPE), KAFC__COMPRESSION_NONE);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITIONER), KAFC__PARTITIONER_MURMUR2_RANDOM);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_AUTO_OFFSET_RESET), KAFC__AUTO_OFFSET_RESET_LATEST);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY),
                 KAFC__ASSIGNOR_RANGE | KAFC__ASSIGNOR_COOPERATIVE_STICKY);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_DEBUG), 0);
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_CLIENT_ID), "kafc");
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_GROUP_ID), "");
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_SECURITY_PROTOCOL), "plaintext");
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY),
                     "range,cooperative-sticky");
}

/* ---- set/get per type ---------------------------------------------------- */

Test(conf, string_round_trip)
{
    set_ok("bootstrap.servers", "b1:9092,b2:9092");
    cr_expect_str_eq(get(conf, "bootstrap.servers"), "b1:9092,b2:9092");
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_BOOTSTRAP_SERVERS), "b1:9092,b2:9092");
    set_ok("group.id", "");
    cr_expect_str_eq(get(conf, "group.id"), "");
    cr_expect(kafc__conf_is_set(conf, KAFC__P_GROUP_ID));
    set_ok("client.id", "another name with spaces");
    cr_expect_str_eq(get(conf, "client.id"), "another name with spaces");
}

Test(conf, int_round_trip)
{
    set_ok("linger.ms", "0");
    cr_expect_str_eq(get(conf, "linger.ms"), "0");
    set_ok("linger.ms", "900000");
    cr_expect_str_eq(get(conf, "linger.ms"), "900000");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_LINGER_MS), 900000);
    set_ok("compression.level", "-1");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_COMPRESSION_LEVEL), -1);
    set_ok("compression.level", "22");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_COMPRESSION_LEVEL), 22);
    set_ok("buffer.memory", "1099511627776");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_BUFFER_MEMORY), INT64_C(1099511627776));
    set_ok("batch.size", "007");
    cr_expect_str_eq(get(conf, "batch.size"), "7");
}

Test(conf, bool_round_trip)
{
    static const char *const yes[] = {"true", "TRUE", "True", "1", "yes", "YES", "on", "On"};
    static const char *const no[] = {"false", "FALSE", "0", "no", "No", "off", "OFF"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        set_ok("check.crcs", "false");
        set_ok("check.crcs", yes[i]);
        cr_expect_str_eq(get(conf, "check.crcs"), "true", "%s", yes[i]);
        cr_expect_eq(kafc__conf_int(conf, KAFC__P_CHECK_CRCS), 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        set_ok("check.crcs", "true");
        set_ok("check.crcs", no[i]);
        cr_expect_str_eq(get(conf, "check.crcs"), "false", "%s", no[i]);
        cr_expect_eq(kafc__conf_int(conf, KAFC__P_CHECK_CRCS), 0);
    }
}

Test(conf, enum_round_trip)
{
    set_ok("compression.type", "lz4");
    cr_expect_str_eq(get(conf, "compression.type"), "lz4");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_COMPRESSION_TYPE), KAFC__COMPRESSION_LZ4);
    set_ok("compression.type", "ZSTD");
    cr_expect_str_eq(get(conf, "compression.type"), "zstd");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_COMPRESSION_TYPE), KAFC__COMPRESSION_ZSTD);

    set_ok("security.protocol", "SASL_SSL");
    cr_expect_str_eq(get(conf, "security.protocol"), "sasl_ssl");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_SECURITY_PROTOCOL), KAFC__SECURITY_PROTOCOL_SASL_SSL);

    set_ok("sasl.mechanism", "scram-sha-512");
    cr_expect_str_eq(get(conf, "sasl.mechanism"), "SCRAM-SHA-512");
    cr_expect_str_eq(kafc__conf_str(conf, KAFC__P_SASL_MECHANISM), "SCRAM-SHA-512");

    set_ok("isolation.level", "read_committed");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ISOLATION_LEVEL),
                 KAFC__ISOLATION_LEVEL_READ_COMMITTED);

    set_ok("partitioner", "fnv1a_random");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITIONER), KAFC__PARTITIONER_FNV1A_RANDOM);
}

Test(conf, acks_values)
{
    set_ok("acks", "0");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ACKS), 0);
    cr_expect_str_eq(get(conf, "acks"), "0");
    set_ok("acks", "1");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ACKS), 1);
    set_ok("acks", "-1");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ACKS), -1);
    cr_expect_str_eq(get(conf, "acks"), "all");
    set_ok("acks", "1");
    set_ok("acks", "ALL");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_ACKS), KAFC__ACKS_ALL);

    const char *e = set_fail("acks", "2", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "\"acks\"");
    expect_contains(e, "all, 0, 1");
}

Test(conf, list_round_trip)
{
    set_ok("partition.assignment.strategy", " cooperative-sticky , RANGE");
    cr_expect_str_eq(get(conf, "partition.assignment.strategy"), "cooperative-sticky,range");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY),
                 KAFC__ASSIGNOR_RANGE | KAFC__ASSIGNOR_COOPERATIVE_STICKY);
    set_ok("partition.assignment.strategy", "roundrobin");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY),
                 KAFC__ASSIGNOR_ROUNDROBIN);

    const char *e =
        set_fail("partition.assignment.strategy", "range,foo", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "partition.assignment.strategy");
    expect_contains(e, "\"foo\"");
    expect_contains(e, "range, roundrobin, sticky, cooperative-sticky");
    e = set_fail("partition.assignment.strategy", " , ", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "partition.assignment.strategy");
    e = set_fail("partition.assignment.strategy", "range,Range", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "duplicate");
    /* A failed set leaves the value alone. */
    cr_expect_str_eq(get(conf, "partition.assignment.strategy"), "roundrobin");
}

Test(conf, debug_list)
{
    set_ok("debug", "broker, Metadata");
    cr_expect_str_eq(get(conf, "debug"), "broker,metadata");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_DEBUG), KAFC__DBG_BROKER | KAFC__DBG_METADATA);
    set_ok("debug", "all");
    cr_expect_eq((uint32_t)kafc__conf_int(conf, KAFC__P_DEBUG), KAFC__DBG_ALL);
    set_ok("debug", "");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_DEBUG), 0);

    const char *e = set_fail("debug", "broker,bogus", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "\"debug\"");
    expect_contains(e, "bogus");
    expect_contains(e, "metadata");
}

/* ---- errors -------------------------------------------------------------- */

Test(conf, unknown_name_with_suggestion)
{
    const char *e = set_fail("linger.msx", "5", KAFC_ERR__UNKNOWN_CONFIG);
    cr_expect_str_eq(e, "Unknown configuration property \"linger.msx\" (did you mean "
                        "\"linger.ms\"?)");
    e = set_fail("bootstrap.server", "x", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "\"bootstrap.servers\"");
    e = set_fail("Group.Id", "x", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "(did you mean \"group.id\"?)");
    e = set_fail("enable.idempotnece", "x", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "\"enable.idempotence\"");
    e = set_fail("ack", "1", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "\"acks\"");
}

Test(conf, other_clients_names_suggested)
{
    const char *e = set_fail("fetch.wait.max.ms", "5", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "(did you mean \"fetch.max.wait.ms\"?)");
    e = set_fail("metadata.broker.list", "b:9092", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "(did you mean \"bootstrap.servers\"?)");
    for (size_t i = 0; kafc__prop_hints[i].other; i++)
        cr_expect_lt((int)kafc__prop_hints[i].id, KAFC__P__COUNT);
}

Test(conf, unknown_name_without_suggestion)
{
    const char *e = set_fail("no.such.thing.at.all", "5", KAFC_ERR__UNKNOWN_CONFIG);
    cr_expect_str_eq(e, "Unknown configuration property \"no.such.thing.at.all\"");
    e = set_fail("", "5", KAFC_ERR__UNKNOWN_CONFIG);
    expect_contains(e, "Unknown configuration property");

    char longname[600];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    set_fail(longname, "5", KAFC_ERR__UNKNOWN_CONFIG);

    size_t size = 16;
    char buf[16];
    cr_expect_eq(kafc_conf_get(conf, "linger.msx", buf, &size), KAFC_ERR__UNKNOWN_CONFIG);
}

Test(conf, bad_ints)
{
    static const char *const bad[] = {"abc",
                                      "",
                                      " 5",
                                      "5 ",
                                      "5ms",
                                      "+5",
                                      "0x10",
                                      "1e3",
                                      "-",
                                      "5.0",
                                      "-1",
                                      "900001",
                                      "99999999999999999999",
                                      "-99999999999999999999"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *e = set_fail("linger.ms", bad[i], KAFC_ERR__INVALID_CONFIG_VALUE);
        expect_contains(e, "\"linger.ms\"");
        expect_contains(e, "expected an integer in 0..900000");
    }
    cr_expect_str_eq(set_fail("linger.ms", "abc", KAFC_ERR__INVALID_CONFIG_VALUE),
                     "Invalid value \"abc\" for \"linger.ms\": expected an integer in 0..900000");
    cr_expect_str_eq(get(conf, "linger.ms"), "5");
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_LINGER_MS), 0);

    const char *e = set_fail("compression.level", "23", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "-1..22");
    e = set_fail("compression.level", "-2", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "compression.level");
    e = set_fail("buffer.memory", "9223372036854775808", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "buffer.memory");
    e = set_fail("log_level", "8", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "0..7");
}

Test(conf, bad_bools)
{
    static const char *const bad[] = {"", "maybe", "2", "tru", "yes!", " true", "truee"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *e = set_fail("enable.idempotence", bad[i], KAFC_ERR__INVALID_CONFIG_VALUE);
        expect_contains(e, "\"enable.idempotence\"");
        expect_contains(e, "true or false");
    }
}

Test(conf, bad_enums)
{
    const char *e = set_fail("compression.type", "brotli", KAFC_ERR__INVALID_CONFIG_VALUE);
    cr_expect_str_eq(e, "Invalid value \"brotli\" for \"compression.type\": expected one of "
                        "none, gzip, snappy, lz4, zstd");
    e = set_fail("security.protocol", "tls", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "plaintext, ssl, sasl_plaintext, sasl_ssl");
    e = set_fail("auto.offset.reset", "start", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "\"auto.offset.reset\"");
    expect_contains(e, "earliest, latest, none");
    expect_contains(e, "smallest = earliest");
    e = set_fail("partitioner", "roundrobin", KAFC_ERR__INVALID_CONFIG_VALUE);
    expect_contains(e, "murmur2_random");
    set_fail("compression.type", "", KAFC_ERR__INVALID_CONFIG_VALUE);
    set_fail("compression.type", "lz4 ", KAFC_ERR__INVALID_CONFIG_VALUE);
}

Test(conf, aliases)
{
    static const char *const aliases[][2] = {
        {"smallest", "earliest"}, {"beginning", "earliest"}, {"largest", "latest"},
        {"end", "latest"},        {"error", "none"},         {"EARLIEST", "earliest"},
    };

    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        set_ok("auto.offset.reset", aliases[i][0]);
        cr_expect_str_eq(get(conf, "auto.offset.reset"), aliases[i][1], "%s", aliases[i][0]);
    }
    set_ok("auto.offset.reset", "beginning");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_AUTO_OFFSET_RESET), KAFC__AUTO_OFFSET_RESET_EARLIEST);

    /* A property known by another name. */
    set_ok("sasl.mechanisms", "PLAIN");
    cr_expect_str_eq(get(conf, "sasl.mechanism"), "PLAIN");
    cr_expect_str_eq(get(conf, "sasl.mechanisms"), "PLAIN");
    cr_expect(kafc__conf_is_set(conf, KAFC__P_SASL_MECHANISM));
}

/* ---- reset, is_set, adjust ----------------------------------------------- */

Test(conf, null_value_resets)
{
    set_ok("linger.ms", "100");
    set_ok("client.id", "me");
    set_ok("compression.type", "gzip");
    set_ok("partition.assignment.strategy", "sticky");
    set_ok("linger.ms", NULL);
    set_ok("client.id", NULL);
    set_ok("compression.type", NULL);
    set_ok("partition.assignment.strategy", NULL);
    cr_expect_str_eq(get(conf, "linger.ms"), "5");
    cr_expect_str_eq(get(conf, "client.id"), "kafc");
    cr_expect_str_eq(get(conf, "compression.type"), "none");
    cr_expect_str_eq(get(conf, "partition.assignment.strategy"), "range,cooperative-sticky");
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY),
                 KAFC__ASSIGNOR_RANGE | KAFC__ASSIGNOR_COOPERATIVE_STICKY);
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_LINGER_MS), 0);
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_CLIENT_ID), 0);
    set_fail("no.such", NULL, KAFC_ERR__UNKNOWN_CONFIG);
}

Test(conf, is_set_tracking)
{
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_ACKS), 0);
    set_ok("acks", "all"); /* the default, but set explicitly */
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_ACKS), 1);
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_ENABLE_IDEMPOTENCE), 0);
    set_fail("enable.idempotence", "perhaps", KAFC_ERR__INVALID_CONFIG_VALUE);
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_ENABLE_IDEMPOTENCE), 0);

    kafc__conf_adjust_int(conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    cr_expect_eq(kafc__conf_int(conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 1);
    cr_expect_eq(kafc__conf_is_set(conf, KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 0);
    kafc__conf_adjust_int(conf, KAFC__P_ACKS, KAFC__ACKS_LEADER);
    cr_expect_str_eq(get(conf, "acks"), "1");
    kafc__conf_adjust_int(conf, KAFC__P_ENABLE_IDEMPOTENCE, 0);
    cr_expect_str_eq(get(conf, "enable.idempotence"), "false");
}

/* ---- dup, dump, log callback --------------------------------------------- */

static void log_cb(void *opaque, int level, const char *ctx, const char *msg) {}

Test(conf, dup_is_deep)
{
    int marker;
    void *opaque = NULL;

    set_ok("client.id", "original");
    set_ok("linger.ms", "42");
    set_ok("partition.assignment.strategy", "sticky,range");
    kafc_conf_set_log_cb(conf, log_cb, &marker);

    kafc_conf_t *d = kafc_conf_dup(conf);
    cr_assert_not_null(d);
    set_ok("client.id", "changed");
    set_ok("linger.ms", "43");
    set_ok("partition.assignment.strategy", NULL);
    kafc_conf_set_log_cb(conf, NULL, NULL);

    cr_expect_str_eq(get(d, "client.id"), "original");
    cr_expect_str_eq(get(d, "linger.ms"), "42");
    cr_expect_str_eq(get(d, "partition.assignment.strategy"), "sticky,range");
    cr_expect(kafc__conf_is_set(d, KAFC__P_CLIENT_ID));
    cr_expect(!kafc__conf_is_set(d, KAFC__P_GROUP_ID));
    cr_expect_eq(kafc__conf_log_cb(d, &opaque), log_cb);
    cr_expect_eq(opaque, &marker);
    cr_expect_null(kafc__conf_log_cb(conf, &opaque));
    cr_expect_null(opaque);
    cr_expect_str_eq(get(conf, "client.id"), "changed");

    kafc_conf_destroy(d);
    cr_expect_str_eq(get(conf, "client.id"), "changed");
    cr_expect_null(kafc_conf_dup(NULL));
}

Test(conf, dump_lists_every_property_once)
{
    size_t count = 12345;

    set_ok("client.id", "dumped");
    const char **arr = kafc_conf_dump(conf, &count);
    cr_assert_not_null(arr);
    cr_assert_eq(count, (size_t)KAFC__P__COUNT);
    for (size_t i = 0; i < count; i++) {
        cr_expect_str_eq(arr[2 * i], kafc__props[i].name, "dump order at %zu", i);
        for (size_t j = 0; j < i; j++)
            cr_expect_str_neq(arr[2 * i], arr[2 * j]);
        cr_expect_str_eq(arr[2 * i + 1], get(conf, arr[2 * i]));
    }
    kafc_conf_dump_free(arr, count);

    count = 7;
    cr_expect_null(kafc_conf_dump(NULL, &count));
    cr_expect_eq(count, 0u);
    cr_expect_null(kafc_conf_dump(conf, NULL));
}

/* ---- buffers and arguments ----------------------------------------------- */

Test(conf, get_small_buffer)
{
    char buf[64];
    size_t size = 0;

    set_ok("client.id", "0123456789");
    cr_expect_eq(kafc_conf_get(conf, "client.id", NULL, &size), KAFC_ERR_NONE);
    cr_expect_eq(size, 11u);

    size = 5;
    memset(buf, 'x', sizeof(buf));
    cr_expect_eq(kafc_conf_get(conf, "client.id", buf, &size), KAFC_ERR__BUF_OVERFLOW);
    cr_expect_eq(size, 11u);
    cr_expect_eq(buf[5], 'x', "wrote past the given size");

    size = 10;
    cr_expect_eq(kafc_conf_get(conf, "client.id", buf, &size), KAFC_ERR__BUF_OVERFLOW);
    cr_expect_eq(size, 11u);

    size = 11;
    cr_expect_eq(kafc_conf_get(conf, "client.id", buf, &size), KAFC_ERR_NONE);
    cr_expect_str_eq(buf, "0123456789");
    cr_expect_eq(size, 11u);

    size = 0;
    cr_expect_eq(kafc_conf_get(conf, "linger.ms", buf, &size), KAFC_ERR__BUF_OVERFLOW);
    cr_expect_eq(size, 2u);
}

Test(conf, errstr_truncation)
{
    char errstr[16];

    for (size_t n = 1; n <= 8; n *= 2) {
        memset(errstr, 'x', sizeof(errstr));
        cr_expect_eq(kafc_conf_set(conf, "linger.msx", "1", errstr, n), KAFC_ERR__UNKNOWN_CONFIG);
        cr_expect_eq(errstr[n - 1], '\0', "size %zu not NUL-terminated", n);
        cr_expect_eq(strlen(errstr), n - 1);
        cr_expect_eq(errstr[n], 'x', "size %zu: wrote past the end", n);

        memset(errstr, 'x', sizeof(errstr));
        cr_expect_eq(kafc_conf_set(conf, "linger.ms", "abc", errstr, n),
                     KAFC_ERR__INVALID_CONFIG_VALUE);
        cr_expect_eq(errstr[n - 1], '\0');
        cr_expect_eq(errstr[n], 'x');

        memset(errstr, 'x', sizeof(errstr));
        cr_expect_eq(kafc_conf_set(conf, "debug", "nope", errstr, n),
                     KAFC_ERR__INVALID_CONFIG_VALUE);
        cr_expect_eq(errstr[n - 1], '\0');
        cr_expect_eq(errstr[n], 'x');

        memset(errstr, 'x', sizeof(errstr));
        cr_expect_eq(kafc_conf_set(conf, "partition.assignment.strategy", "nope", errstr, n),
                     KAFC_ERR__INVALID_CONFIG_VALUE);
        cr_expect_eq(errstr[n - 1], '\0');
        cr_expect_eq(errstr[n], 'x');
    }
    /* No errstr at all. */
    cr_expect_eq(kafc_conf_set(conf, "linger.ms", "abc", NULL, 0), KAFC_ERR__INVALID_CONFIG_VALUE);
    cr_expect_eq(kafc_conf_set(conf, "linger.msx", "1", NULL, 0), KAFC_ERR__UNKNOWN_CONFIG);
    cr_expect_eq(kafc_conf_set(conf, "debug", "nope", NULL, 0), KAFC_ERR__INVALID_CONFIG_VALUE);
    cr_expect_eq(kafc_conf_set(conf, "linger.ms", "1", NULL, 0), KAFC_ERR_NONE);
}

Test(conf, null_args)
{
    char errstr[128];
    char buf[16];
    size_t size = sizeof(buf);

    cr_expect_eq(kafc_conf_set(NULL, "linger.ms", "1", errstr, sizeof(errstr)),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_neq(errstr[0], '\0');
    cr_expect_eq(kafc_conf_set(conf, NULL, "1", errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc_conf_set(conf, NULL, "1", NULL, 0), KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc_conf_get(NULL, "linger.ms", buf, &size), KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc_conf_get(conf, NULL, buf, &size), KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc_conf_get(conf, "linger.ms", buf, NULL), KAFC_ERR__INVALID_ARG);
    kafc_conf_destroy(NULL);
    kafc_conf_set_log_cb(NULL, log_cb, NULL);
}

/* ---- the generated reference --------------------------------------------- */

Test(conf, doc_mentions_every_property)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    kafc__conf_doc_markdown(f);
    fclose(f);
    for (int id = 0; id < KAFC__P__COUNT; id++) {
        char cell[128];
        snprintf(cell, sizeof(cell), "| `%s` |", kafc__props[id].name);
        expect_contains(text, cell);
    }
    expect_contains(text, "## Producer");
    expect_contains(text, "## Consumer");
    expect_contains(text, "## All clients");
    free(text);
}
