/*
 * conf_props — the configuration property table (see conf.h). Data only:
 * parsing and formatting are in conf.c. Names and defaults follow Kafka's
 * Java client, or librdkafka where Java has no such property.
 */
#include "conf.h"

#include "util/log.h"

#define I32_MAX INT64_C(2147483647)

/* ---- value lists -------------------------------------------------------- */

static const char *const security_protocols[] = {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl",
                                                 NULL};

static const char *const sasl_mechanisms[] = {"GSSAPI",        "PLAIN",       "SCRAM-SHA-256",
                                              "SCRAM-SHA-512", "OAUTHBEARER", NULL};

static const char *const ssl_endpoint_identifications[] = {"https", "none", NULL};

static const char *const acks_values[] = {"all", "0", "1", NULL};
static const int64_t acks_ivals[] = {KAFC__ACKS_ALL, KAFC__ACKS_NONE, KAFC__ACKS_LEADER};
static const kafc__prop_alias_t acks_aliases[] = {{"-1", 0}, {NULL, 0}};

static const char *const compression_types[] = {"none", "gzip", "snappy", "lz4", "zstd", NULL};

static const char *const partitioners[] = {"murmur2_random", "murmur2",      "consistent_random",
                                           "consistent",     "fnv1a_random", "fnv1a",
                                           "random",         "round_robin",  NULL};

static const char *const auto_offset_resets[] = {"earliest", "latest", "none", NULL};
static const kafc__prop_alias_t auto_offset_reset_aliases[] = {
    {"smallest", KAFC__AUTO_OFFSET_RESET_EARLIEST}, {"beginning", KAFC__AUTO_OFFSET_RESET_EARLIEST},
    {"largest", KAFC__AUTO_OFFSET_RESET_LATEST},    {"end", KAFC__AUTO_OFFSET_RESET_LATEST},
    {"error", KAFC__AUTO_OFFSET_RESET_NONE},        {NULL, 0}};

static const char *const isolation_levels[] = {"read_uncommitted", "read_committed", NULL};

static const char *const assignors[] = {"range", "roundrobin", "sticky", "cooperative-sticky",
                                        NULL};

/* ---- the debug list, checked by the logger's own parser ------------------ */

static kafc_err_t parse_debug(const char *list, int64_t *maskp, char *errstr, size_t errstr_size)
{
    uint32_t mask = 0;
    kafc_err_t err = kafc__log_parse_debug(list, &mask, errstr, errstr_size);
    if (err == KAFC_ERR_NONE)
        *maskp = mask;
    return err;
}

/* ---- the table ----------------------------------------------------------- */

#define ALL KAFC__SCOPE_ALL
#define PRODUCER KAFC__SCOPE_PRODUCER
#define CONSUMER KAFC__SCOPE_CONSUMER

const kafc__prop_t kafc__props[KAFC__P__COUNT] = {
    /* all clients */
    [KAFC__P_BOOTSTRAP_SERVERS] = {.name = "bootstrap.servers",
                                   .type = KAFC__PT_STR,
                                   .scope = ALL,
                                   .def = "",
                                   .doc = "Comma-separated host:port pairs of brokers to fetch the "
                                          "initial cluster metadata from; the rest of the cluster "
                                          "is discovered from there."},
    [KAFC__P_CLIENT_ID] = {.name = "client.id",
                           .type = KAFC__PT_STR,
                           .scope = ALL,
                           .def = "kafc",
                           .doc = "Name this client sends with every request, for broker logs, "
                                  "metrics and quotas."},
    [KAFC__P_CLIENT_RACK] = {.name = "client.rack",
                             .type = KAFC__PT_STR,
                             .scope = ALL,
                             .def = "",
                             .doc = "Rack (or availability zone) of this client; consumers use it "
                                    "to fetch from a replica in the same rack when the brokers "
                                    "allow it."},
    [KAFC__P_DEBUG] = {.name = "debug",
                       .type = KAFC__PT_LIST,
                       .scope = ALL,
                       .def = "",
                       .parse_list = parse_debug,
                       .list_entries = kafc__log_debug_contexts,
                       .doc = "Comma-separated debug contexts to log; any context raises the "
                              "effective log level to 7 (debug)."},
    [KAFC__P_LOG_LEVEL] = {.name = "log_level",
                           .type = KAFC__PT_INT,
                           .scope = ALL,
                           .def = "6",
                           .min = 0,
                           .max = 7,
                           .doc = "Most verbose syslog level logged: 0 emergencies only ... 6 "
                                  "informational, 7 debug."},
    [KAFC__P_STATISTICS_INTERVAL_MS] = {.name = "statistics.interval.ms",
                                        .type = KAFC__PT_INT,
                                        .scope = ALL,
                                        .def = "0",
                                        .min = 0,
                                        .max = 86400000,
                                        .doc = "How often to emit client statistics, in "
                                               "milliseconds; 0 disables them."},
    [KAFC__P_SOCKET_SEND_BUFFER_BYTES] = {.name = "socket.send.buffer.bytes",
                                          .type = KAFC__PT_INT,
                                          .scope = ALL,
                                          .def = "0",
                                          .min = 0,
                                          .max = 100000000,
                                          .doc = "Kernel send buffer size of broker sockets "
                                                 "(SO_SNDBUF); 0 keeps the system default."},
    [KAFC__P_SOCKET_RECEIVE_BUFFER_BYTES] = {.name = "socket.receive.buffer.bytes",
                                             .type = KAFC__PT_INT,
                                             .scope = ALL,
                                             .def = "0",
                                             .min = 0,
                                             .max = 100000000,
                                             .doc = "Kernel receive buffer size of broker sockets "
                                                    "(SO_RCVBUF); 0 keeps the system default."},
    [KAFC__P_SOCKET_KEEPALIVE_ENABLE] = {.name = "socket.keepalive.enable",
                                         .type = KAFC__PT_BOOL,
                                         .scope = ALL,
                                         .def = "false",
                                         .doc = "Turn on TCP keep-alive probes (SO_KEEPALIVE) on "
                                                "broker sockets."},
    [KAFC__P_SOCKET_CONNECTION_SETUP_TIMEOUT_MS] = {.name = "socket.connection.setup.timeout.ms",
                                                    .type = KAFC__PT_INT,
                                                    .scope = ALL,
                                                    .def = "10000",
                                                    .min = 1000,
                                                    .max = I32_MAX,
                                                    .doc = "Time allowed to bring a broker "
                                                           "connection up (TCP, TLS and SASL "
                                                           "handshakes) before giving up on that "
                                                           "attempt."},
    [KAFC__P_RECEIVE_MESSAGE_MAX_BYTES] = {.name = "receive.message.max.bytes",
                                           .type = KAFC__PT_INT,
                                           .scope = ALL,
                                           .def = "100000000",
                                           .min = 1000,
                                           .max = I32_MAX,
                                           .doc = "Largest broker response accepted, in bytes; a "
                                                  "guard against memory exhaustion from a bad "
                                                  "length field."},
    [KAFC__P_REQUEST_TIMEOUT_MS] = {.name = "request.timeout.ms",
                                    .type = KAFC__PT_INT,
                                    .scope = ALL,
                                    .def = "30000",
                                    .min = 1,
                                    .max = I32_MAX,
                                    .doc = "How long to wait for a broker's response to a request "
                                           "before failing it (and retrying where allowed)."},
    [KAFC__P_METADATA_MAX_AGE_MS] = {.name = "metadata.max.age.ms",
                                     .type = KAFC__PT_INT,
                                     .scope = ALL,
                                     .def = "300000",
                                     .min = 1,
                                     .max = 86400000,
                                     .doc = "Refresh cluster metadata at least this often, even "
                                            "without errors, to notice new brokers and "
                                            "partitions."},
    [KAFC__P_RECONNECT_BACKOFF_MS] = {.name = "reconnect.backoff.ms",
                                      .type = KAFC__PT_INT,
                                      .scope = ALL,
                                      .def = "50",
                                      .min = 0,
                                      .max = 3600000,
                                      .doc = "First wait before reconnecting to a broker; it "
                                             "doubles on each failed attempt, with jitter."},
    [KAFC__P_RECONNECT_BACKOFF_MAX_MS] = {.name = "reconnect.backoff.max.ms",
                                          .type = KAFC__PT_INT,
                                          .scope = ALL,
                                          .def = "1000",
                                          .min = 0,
                                          .max = 3600000,
                                          .doc = "Upper bound of the reconnect wait."},
    [KAFC__P_RETRY_BACKOFF_MS] = {.name = "retry.backoff.ms",
                                  .type = KAFC__PT_INT,
                                  .scope = ALL,
                                  .def = "100",
                                  .min = 1,
                                  .max = 300000,
                                  .doc = "First wait before retrying a failed request; it grows "
                                         "exponentially on repeated failures."},
    [KAFC__P_RETRY_BACKOFF_MAX_MS] = {.name = "retry.backoff.max.ms",
                                      .type = KAFC__PT_INT,
                                      .scope = ALL,
                                      .def = "1000",
                                      .min = 1,
                                      .max = 300000,
                                      .doc = "Upper bound of the retry wait."},
    [KAFC__P_SECURITY_PROTOCOL] = {.name = "security.protocol",
                                   .type = KAFC__PT_ENUM,
                                   .scope = ALL,
                                   .def = "plaintext",
                                   .values = security_protocols,
                                   .doc = "How to talk to brokers: in the clear or over TLS, each "
                                          "with or without SASL authentication."},
    [KAFC__P_SASL_MECHANISM] = {.name = "sasl.mechanism",
                                .type = KAFC__PT_ENUM,
                                .scope = ALL,
                                .def = "GSSAPI",
                                .values = sasl_mechanisms,
                                .name_alias = "sasl.mechanisms",
                                .doc = "SASL mechanism to authenticate with when "
                                       "security.protocol is sasl_plaintext or sasl_ssl."},
    [KAFC__P_SASL_USERNAME] = {.name = "sasl.username",
                               .type = KAFC__PT_STR,
                               .scope = ALL,
                               .def = "",
                               .doc = "User name for the PLAIN and SCRAM mechanisms."},
    [KAFC__P_SASL_PASSWORD] = {.name = "sasl.password",
                               .type = KAFC__PT_STR,
                               .scope = ALL,
                               .flags = KAFC__PF_SENSITIVE,
                               .def = "",
                               .doc = "Password for the PLAIN and SCRAM mechanisms."},
    [KAFC__P_SSL_CA_LOCATION] = {.name = "ssl.ca.location",
                                 .type = KAFC__PT_STR,
                                 .scope = ALL,
                                 .def = "",
                                 .doc = "File or directory of CA certificates (PEM) to verify "
                                        "brokers with; empty uses the system's trust store."},
    [KAFC__P_SSL_CERTIFICATE_LOCATION] = {.name = "ssl.certificate.location",
                                          .type = KAFC__PT_STR,
                                          .scope = ALL,
                                          .def = "",
                                          .doc = "This client's certificate (PEM), for TLS "
                                                 "client authentication."},
    [KAFC__P_SSL_KEY_LOCATION] = {.name = "ssl.key.location",
                                  .type = KAFC__PT_STR,
                                  .scope = ALL,
                                  .def = "",
                                  .doc = "Private key (PEM) of the client certificate."},
    [KAFC__P_SSL_KEY_PASSWORD] = {.name = "ssl.key.password",
                                  .type = KAFC__PT_STR,
                                  .scope = ALL,
                                  .flags = KAFC__PF_SENSITIVE,
                                  .def = "",
                                  .doc = "Passphrase of the private key, when it is encrypted."},
    [KAFC__P_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM] =
        {.name = "ssl.endpoint.identification.algorithm",
         .type = KAFC__PT_ENUM,
         .scope = ALL,
         .def = "https",
         .values = ssl_endpoint_identifications,
         .doc = "https checks that a broker's certificate matches its host name; none skips "
                "that check."},

    /* producer */
    [KAFC__P_ACKS] = {.name = "acks",
                      .type = KAFC__PT_ENUM,
                      .scope = PRODUCER,
                      .def = "all",
                      .values = acks_values,
                      .ivals = acks_ivals,
                      .aliases = acks_aliases,
                      .doc = "Replicas that must have a batch before the leader acknowledges it: "
                             "all (every in-sync replica), 1 (leader only) or 0 (no "
                             "acknowledgement)."},
    [KAFC__P_ENABLE_IDEMPOTENCE] = {.name = "enable.idempotence",
                                    .type = KAFC__PT_BOOL,
                                    .scope = PRODUCER,
                                    .def = "true",
                                    .doc = "Write each message exactly once and in order per "
                                           "partition, even across retries (needs acks=all and at "
                                           "most 5 requests in flight)."},
    [KAFC__P_LINGER_MS] = {.name = "linger.ms",
                           .type = KAFC__PT_INT,
                           .scope = PRODUCER,
                           .def = "5",
                           .min = 0,
                           .max = 900000,
                           .doc = "How long a batch may wait for more messages before it is sent; "
                                  "larger batches cost latency but save requests."},
    [KAFC__P_BATCH_SIZE] = {.name = "batch.size",
                            .type = KAFC__PT_INT,
                            .scope = PRODUCER,
                            .def = "16384",
                            .min = 1,
                            .max = I32_MAX,
                            .doc = "Target size in bytes of one partition's batch; a full batch is "
                                   "sent without waiting for linger.ms."},
    [KAFC__P_BATCH_NUM_MESSAGES] = {.name = "batch.num.messages",
                                    .type = KAFC__PT_INT,
                                    .scope = PRODUCER,
                                    .def = "10000",
                                    .min = 1,
                                    .max = 1000000,
                                    .doc = "Most messages in one batch."},
    [KAFC__P_BUFFER_MEMORY] = {.name = "buffer.memory",
                               .type = KAFC__PT_INT,
                               .scope = PRODUCER,
                               .def = "33554432",
                               .min = 1024,
                               .max = INT64_C(1099511627776),
                               .doc = "Bytes of memory the producer may hold in unsent and "
                                      "unacknowledged batches."},
    [KAFC__P_MAX_BLOCK_MS] = {.name = "max.block.ms",
                              .type = KAFC__PT_INT,
                              .scope = PRODUCER,
                              .def = "60000",
                              .min = 0,
                              .max = I32_MAX,
                              .doc = "How long produce may wait for buffer room or metadata; 0 "
                                     "fails at once with a queue-full error."},
    [KAFC__P_MAX_REQUEST_SIZE] = {.name = "max.request.size",
                                  .type = KAFC__PT_INT,
                                  .scope = PRODUCER,
                                  .def = "1048576",
                                  .min = 1,
                                  .max = I32_MAX,
                                  .doc = "Largest produce request sent, in bytes; also caps the "
                                         "size of a single record."},
    [KAFC__P_MESSAGE_MAX_BYTES] = {.name = "message.max.bytes",
                                   .type = KAFC__PT_INT,
                                   .scope = PRODUCER,
                                   .def = "1000000",
                                   .min = 1000,
                                   .max = 1000000000,
                                   .doc = "Largest message accepted by produce, in bytes (key, "
                                          "value and headers encoded); bigger ones fail at once."},
    [KAFC__P_COMPRESSION_TYPE] = {.name = "compression.type",
                                  .type = KAFC__PT_ENUM,
                                  .scope = PRODUCER,
                                  .def = "none",
                                  .values = compression_types,
                                  .doc = "Codec used to compress record batches."},
    [KAFC__P_COMPRESSION_LEVEL] = {.name = "compression.level",
                                   .type = KAFC__PT_INT,
                                   .scope = PRODUCER,
                                   .def = "-1",
                                   .min = -1,
                                   .max = 22,
                                   .doc = "Codec level, higher compressing more at more CPU "
                                          "cost; -1 is the codec's default. Ranges per codec: "
                                          "gzip 1..9, lz4 1..12, zstd 1..22; snappy has none."},
    [KAFC__P_RETRIES] = {.name = "retries",
                         .type = KAFC__PT_INT,
                         .scope = PRODUCER,
                         .def = "2147483647",
                         .min = 0,
                         .max = I32_MAX,
                         .doc = "How many times to resend a batch that failed with a retriable "
                                "error; delivery.timeout.ms bounds the total time anyway."},
    [KAFC__P_DELIVERY_TIMEOUT_MS] = {.name = "delivery.timeout.ms",
                                     .type = KAFC__PT_INT,
                                     .scope = PRODUCER,
                                     .def = "120000",
                                     .min = 1,
                                     .max = I32_MAX,
                                     .doc = "Time from produce to a delivery report, retries "
                                            "included; a message not acknowledged by then fails "
                                            "with a timeout."},
    [KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION] =
        {.name = "max.in.flight.requests.per.connection",
         .type = KAFC__PT_INT,
         .scope = PRODUCER,
         .def = "5",
         .min = 1,
         .max = 1000000,
         .doc = "Unanswered produce requests allowed per broker connection."},
    [KAFC__P_PARTITIONER] = {.name = "partitioner",
                             .type = KAFC__PT_ENUM,
                             .scope = PRODUCER,
                             .def = "murmur2_random",
                             .values = partitioners,
                             .doc = "How a message without an explicit partition is placed: "
                                    "murmur2 hashes the key like the Java client, consistent "
                                    "(CRC32) and fnv1a (FNV-1a) like librdkafka. Keyless "
                                    "messages go to a sticky partition, chosen at random among "
                                    "those with a leader and changed when its batch is done, "
                                    "except with consistent and fnv1a, which hash them as an "
                                    "empty key like librdkafka does; consistent_random also "
                                    "treats an empty key as keyless. random places each message "
                                    "at random and round_robin cycles over the partitions with a "
                                    "leader, both ignoring the key."},
    [KAFC__P_TRANSACTIONAL_ID] = {.name = "transactional.id",
                                  .type = KAFC__PT_STR,
                                  .scope = PRODUCER,
                                  .def = "",
                                  .doc = "Stable identity for a transactional producer; setting "
                                         "it enables transactions."},
    [KAFC__P_TRANSACTION_TIMEOUT_MS] = {.name = "transaction.timeout.ms",
                                        .type = KAFC__PT_INT,
                                        .scope = PRODUCER,
                                        .def = "60000",
                                        .min = 1000,
                                        .max = I32_MAX,
                                        .doc = "How long the transaction coordinator lets a "
                                               "transaction stay open before aborting it."},

    /* consumer */
    [KAFC__P_GROUP_ID] = {.name = "group.id",
                          .type = KAFC__PT_STR,
                          .scope = CONSUMER,
                          .def = "",
                          .doc = "Consumer group to join; needed for subscribe and for committed "
                                 "offsets."},
    [KAFC__P_GROUP_INSTANCE_ID] = {.name = "group.instance.id",
                                   .type = KAFC__PT_STR,
                                   .scope = CONSUMER,
                                   .def = "",
                                   .doc = "Static member name: a restart within "
                                          "session.timeout.ms keeps the assignment without a "
                                          "rebalance."},
    [KAFC__P_SESSION_TIMEOUT_MS] = {.name = "session.timeout.ms",
                                    .type = KAFC__PT_INT,
                                    .scope = CONSUMER,
                                    .def = "45000",
                                    .min = 1,
                                    .max = 3600000,
                                    .doc = "A member that sends no heartbeat for this long is "
                                           "removed from the group."},
    [KAFC__P_HEARTBEAT_INTERVAL_MS] = {.name = "heartbeat.interval.ms",
                                       .type = KAFC__PT_INT,
                                       .scope = CONSUMER,
                                       .def = "3000",
                                       .min = 1,
                                       .max = 3600000,
                                       .doc = "How often to send heartbeats to the group "
                                              "coordinator."},
    [KAFC__P_MAX_POLL_INTERVAL_MS] = {.name = "max.poll.interval.ms",
                                      .type = KAFC__PT_INT,
                                      .scope = CONSUMER,
                                      .def = "300000",
                                      .min = 1,
                                      .max = 86400000,
                                      .doc = "Longest allowed gap between poll calls; past it "
                                             "the consumer leaves the group so its partitions "
                                             "move elsewhere."},
    [KAFC__P_ENABLE_AUTO_COMMIT] = {.name = "enable.auto.commit",
                                    .type = KAFC__PT_BOOL,
                                    .scope = CONSUMER,
                                    .def = "true",
                                    .doc = "Commit the offsets of polled messages in the "
                                           "background every auto.commit.interval.ms."},
    [KAFC__P_AUTO_COMMIT_INTERVAL_MS] = {.name = "auto.commit.interval.ms",
                                         .type = KAFC__PT_INT,
                                         .scope = CONSUMER,
                                         .def = "5000",
                                         .min = 0,
                                         .max = 86400000,
                                         .doc = "Period of automatic offset commits."},
    [KAFC__P_AUTO_OFFSET_RESET] = {.name = "auto.offset.reset",
                                   .type = KAFC__PT_ENUM,
                                   .scope = CONSUMER,
                                   .def = "latest",
                                   .values = auto_offset_resets,
                                   .aliases = auto_offset_reset_aliases,
                                   .doc = "Where to start when there is no committed offset or it "
                                          "is out of range: the earliest or latest offset, or "
                                          "none to report an error."},
    [KAFC__P_PARTITION_ASSIGNMENT_STRATEGY] = {.name = "partition.assignment.strategy",
                                               .type = KAFC__PT_LIST,
                                               .scope = CONSUMER,
                                               .def = "range,cooperative-sticky",
                                               .values = assignors,
                                               .doc = "Assignors this member supports, most "
                                                      "preferred first; the group uses the "
                                                      "first one every member supports."},
    [KAFC__P_FETCH_MIN_BYTES] = {.name = "fetch.min.bytes",
                                 .type = KAFC__PT_INT,
                                 .scope = CONSUMER,
                                 .def = "1",
                                 .min = 1,
                                 .max = 100000000,
                                 .doc = "The broker holds a fetch response until it has this "
                                        "many bytes or fetch.max.wait.ms passes."},
    [KAFC__P_FETCH_MAX_WAIT_MS] = {.name = "fetch.max.wait.ms",
                                   .type = KAFC__PT_INT,
                                   .scope = CONSUMER,
                                   .def = "500",
                                   .min = 0,
                                   .max = 300000,
                                   .doc = "Longest time the broker holds a fetch waiting for "
                                          "fetch.min.bytes."},
    [KAFC__P_FETCH_MAX_BYTES] = {.name = "fetch.max.bytes",
                                 .type = KAFC__PT_INT,
                                 .scope = CONSUMER,
                                 .def = "52428800",
                                 .min = 1,
                                 .max = INT64_C(2147483135),
                                 .doc = "Most data one fetch response should carry (a first batch "
                                        "larger than this is still returned)."},
    [KAFC__P_MAX_PARTITION_FETCH_BYTES] = {.name = "max.partition.fetch.bytes",
                                           .type = KAFC__PT_INT,
                                           .scope = CONSUMER,
                                           .def = "1048576",
                                           .min = 1,
                                           .max = 1000000000,
                                           .doc = "Most data one fetch response should carry "
                                                  "per partition."},
    [KAFC__P_QUEUED_MAX_MESSAGES_KBYTES] = {.name = "queued.max.messages.kbytes",
                                            .type = KAFC__PT_INT,
                                            .scope = CONSUMER,
                                            .def = "65536",
                                            .min = 1,
                                            .max = 2097151,
                                            .doc = "Cap, in KiB, on fetched data buffered in the "
                                                   "consumer and not yet polled; fetching pauses "
                                                   "above it."},
    [KAFC__P_CHECK_CRCS] = {.name = "check.crcs",
                            .type = KAFC__PT_BOOL,
                            .scope = CONSUMER,
                            .def = "true",
                            .doc = "Verify the CRC32C of each fetched record batch."},
    [KAFC__P_ISOLATION_LEVEL] = {.name = "isolation.level",
                                 .type = KAFC__PT_ENUM,
                                 .scope = CONSUMER,
                                 .def = "read_uncommitted",
                                 .values = isolation_levels,
                                 .doc = "read_committed returns only committed transactional "
                                        "messages and stops at the first open transaction; "
                                        "read_uncommitted returns everything."},
    [KAFC__P_ENABLE_PARTITION_EOF] = {.name = "enable.partition.eof",
                                      .type = KAFC__PT_BOOL,
                                      .scope = CONSUMER,
                                      .def = "false",
                                      .doc = "Report an end-of-partition event each time the "
                                             "consumer catches up with a partition's end."},
    [KAFC__P_MAX_POLL_RECORDS] = {.name = "max.poll.records",
                                  .type = KAFC__PT_INT,
                                  .scope = CONSUMER,
                                  .def = "500",
                                  .min = 1,
                                  .max = I32_MAX,
                                  .doc = "Most messages one batch poll call returns."},
    [KAFC__P_ALLOW_AUTO_CREATE_TOPICS] = {.name = "allow.auto.create.topics",
                                          .type = KAFC__PT_BOOL,
                                          .scope = CONSUMER,
                                          .def = "true",
                                          .doc = "Let the broker create a subscribed topic that "
                                                 "does not exist (if the broker allows it too)."},
};

/* Names other clients (mostly librdkafka) use for these properties: only
 * suggested in the unknown-property error, never accepted, since their
 * units or edge cases may differ. */
const kafc__prop_hint_t kafc__prop_hints[] = {
    {"metadata.broker.list", KAFC__P_BOOTSTRAP_SERVERS},
    {"request.required.acks", KAFC__P_ACKS},
    {"queue.buffering.max.ms", KAFC__P_LINGER_MS},
    {"queue.buffering.max.kbytes", KAFC__P_BUFFER_MEMORY},
    {"compression.codec", KAFC__P_COMPRESSION_TYPE},
    {"message.send.max.retries", KAFC__P_RETRIES},
    {"message.timeout.ms", KAFC__P_DELIVERY_TIMEOUT_MS},
    {"max.in.flight", KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION},
    {"fetch.wait.max.ms", KAFC__P_FETCH_MAX_WAIT_MS},
    {"fetch.message.max.bytes", KAFC__P_MAX_PARTITION_FETCH_BYTES},
    {"topic.metadata.refresh.interval.ms", KAFC__P_METADATA_MAX_AGE_MS},
    {"socket.timeout.ms", KAFC__P_REQUEST_TIMEOUT_MS},
    {NULL, 0},
};
