/*
 * conf — client configuration: the property table and typed values.
 *
 * A kafc_conf_t holds one typed value per property (kafc__prop_id_t), each
 * either at its default or explicitly set by the user, plus the callbacks set
 * on the conf. The property table (names, types, ranges, allowed values,
 * defaults, scope, docs) lives in conf_props.c; the parsing, formatting and
 * public kafc_conf_* functions live in conf.c. The table is static read-only
 * data; a conf is owned by whoever created it and is not thread-safe: the
 * public API uses it from one application thread at a time, and a client
 * takes its own copy (kafc_conf_dup) at creation and only reads it after
 * that, so the accessors below need no lock on a client's private copy.
 *
 * Strings returned by the accessors are owned by the conf and stay valid
 * until the property is set again or the conf is destroyed.
 */
#ifndef KAFC_CONF_H
#define KAFC_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "kafc/kafc.h"

/* Every property, in the order of CONFIGURATION.md and kafc_conf_dump():
 * all-client properties first, then producer, then consumer. Appending or
 * reordering is fine (the ids are internal); keep conf_props.c in step. */
typedef enum kafc__prop_id {
    /* all clients */
    KAFC__P_BOOTSTRAP_SERVERS,
    KAFC__P_CLIENT_ID,
    KAFC__P_CLIENT_RACK,
    KAFC__P_DEBUG,
    KAFC__P_LOG_LEVEL,
    KAFC__P_STATISTICS_INTERVAL_MS,
    KAFC__P_SOCKET_SEND_BUFFER_BYTES,
    KAFC__P_SOCKET_RECEIVE_BUFFER_BYTES,
    KAFC__P_SOCKET_KEEPALIVE_ENABLE,
    KAFC__P_SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
    KAFC__P_RECEIVE_MESSAGE_MAX_BYTES,
    KAFC__P_REQUEST_TIMEOUT_MS,
    KAFC__P_METADATA_MAX_AGE_MS,
    KAFC__P_RECONNECT_BACKOFF_MS,
    KAFC__P_RECONNECT_BACKOFF_MAX_MS,
    KAFC__P_RETRY_BACKOFF_MS,
    KAFC__P_RETRY_BACKOFF_MAX_MS,
    KAFC__P_SECURITY_PROTOCOL,
    KAFC__P_SASL_MECHANISM,
    KAFC__P_SASL_USERNAME,
    KAFC__P_SASL_PASSWORD,
    KAFC__P_SSL_CA_LOCATION,
    KAFC__P_SSL_CERTIFICATE_LOCATION,
    KAFC__P_SSL_KEY_LOCATION,
    KAFC__P_SSL_KEY_PASSWORD,
    KAFC__P_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
    /* producer */
    KAFC__P_ACKS,
    KAFC__P_ENABLE_IDEMPOTENCE,
    KAFC__P_LINGER_MS,
    KAFC__P_BATCH_SIZE,
    KAFC__P_BATCH_NUM_MESSAGES,
    KAFC__P_BUFFER_MEMORY,
    KAFC__P_MAX_BLOCK_MS,
    KAFC__P_MAX_REQUEST_SIZE,
    KAFC__P_MESSAGE_MAX_BYTES,
    KAFC__P_COMPRESSION_TYPE,
    KAFC__P_COMPRESSION_LEVEL,
    KAFC__P_RETRIES,
    KAFC__P_DELIVERY_TIMEOUT_MS,
    KAFC__P_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    KAFC__P_PARTITIONER,
    KAFC__P_TRANSACTIONAL_ID,
    KAFC__P_TRANSACTION_TIMEOUT_MS,
    /* consumer */
    KAFC__P_GROUP_ID,
    KAFC__P_GROUP_INSTANCE_ID,
    KAFC__P_SESSION_TIMEOUT_MS,
    KAFC__P_HEARTBEAT_INTERVAL_MS,
    KAFC__P_MAX_POLL_INTERVAL_MS,
    KAFC__P_ENABLE_AUTO_COMMIT,
    KAFC__P_AUTO_COMMIT_INTERVAL_MS,
    KAFC__P_AUTO_OFFSET_RESET,
    KAFC__P_PARTITION_ASSIGNMENT_STRATEGY,
    KAFC__P_FETCH_MIN_BYTES,
    KAFC__P_FETCH_MAX_WAIT_MS,
    KAFC__P_FETCH_MAX_BYTES,
    KAFC__P_MAX_PARTITION_FETCH_BYTES,
    KAFC__P_QUEUED_MAX_MESSAGES_KBYTES,
    KAFC__P_CHECK_CRCS,
    KAFC__P_ISOLATION_LEVEL,
    KAFC__P_ENABLE_PARTITION_EOF,
    KAFC__P_MAX_POLL_RECORDS,
    KAFC__P_ALLOW_AUTO_CREATE_TOPICS,
    KAFC__P__COUNT
} kafc__prop_id_t;

/* Values kafc__conf_int() returns for the enumerated properties: the index
 * of the value in the property's allowed list (acks: the acks number sent to
 * brokers). Keep in step with the value lists in conf_props.c. */
enum kafc__security_protocol {
    KAFC__SECURITY_PROTOCOL_PLAINTEXT,
    KAFC__SECURITY_PROTOCOL_SSL,
    KAFC__SECURITY_PROTOCOL_SASL_PLAINTEXT,
    KAFC__SECURITY_PROTOCOL_SASL_SSL
};

enum kafc__sasl_mechanism {
    KAFC__SASL_MECHANISM_GSSAPI,
    KAFC__SASL_MECHANISM_PLAIN,
    KAFC__SASL_MECHANISM_SCRAM_SHA_256,
    KAFC__SASL_MECHANISM_SCRAM_SHA_512,
    KAFC__SASL_MECHANISM_OAUTHBEARER
};

enum kafc__ssl_endpoint_identification {
    KAFC__SSL_ENDPOINT_IDENTIFICATION_HTTPS,
    KAFC__SSL_ENDPOINT_IDENTIFICATION_NONE
};

enum kafc__acks {
    KAFC__ACKS_ALL = -1, /* all in-sync replicas */
    KAFC__ACKS_NONE = 0, /* no response from the broker */
    KAFC__ACKS_LEADER = 1
};

enum kafc__compression {
    KAFC__COMPRESSION_NONE,
    KAFC__COMPRESSION_GZIP,
    KAFC__COMPRESSION_SNAPPY,
    KAFC__COMPRESSION_LZ4,
    KAFC__COMPRESSION_ZSTD
};

enum kafc__partitioner {
    KAFC__PARTITIONER_MURMUR2_RANDOM,
    KAFC__PARTITIONER_MURMUR2,
    KAFC__PARTITIONER_CONSISTENT_RANDOM,
    KAFC__PARTITIONER_CONSISTENT,
    KAFC__PARTITIONER_FNV1A_RANDOM,
    KAFC__PARTITIONER_FNV1A,
    KAFC__PARTITIONER_RANDOM,
    KAFC__PARTITIONER_ROUND_ROBIN
};

enum kafc__auto_offset_reset {
    KAFC__AUTO_OFFSET_RESET_EARLIEST,
    KAFC__AUTO_OFFSET_RESET_LATEST,
    KAFC__AUTO_OFFSET_RESET_NONE
};

enum kafc__isolation_level {
    KAFC__ISOLATION_LEVEL_READ_UNCOMMITTED,
    KAFC__ISOLATION_LEVEL_READ_COMMITTED
};

/* List properties: kafc__conf_int() returns a bit mask of the entries
 * present (bit i = allowed value i); kafc__conf_str() the list itself in the
 * user's order of preference, normalised ("range,cooperative-sticky").
 * `debug` is a list too: its mask is the KAFC__DBG_* bits of util/log.h. */
enum kafc__assignor {
    KAFC__ASSIGNOR_RANGE = 1 << 0,
    KAFC__ASSIGNOR_ROUNDROBIN = 1 << 1,
    KAFC__ASSIGNOR_STICKY = 1 << 2,
    KAFC__ASSIGNOR_COOPERATIVE_STICKY = 1 << 3
};

typedef enum kafc__prop_type {
    KAFC__PT_STR,  /* any string */
    KAFC__PT_INT,  /* decimal integer in min..max */
    KAFC__PT_BOOL, /* true/false */
    KAFC__PT_ENUM, /* one of values (or an alias of one) */
    KAFC__PT_LIST  /* comma-separated entries of values, or checked by parse_list */
} kafc__prop_type_t;

/* Which clients read a property. */
enum kafc__scope {
    KAFC__SCOPE_PRODUCER = 1 << 0,
    KAFC__SCOPE_CONSUMER = 1 << 1,
    KAFC__SCOPE_ADMIN = 1 << 2,
    KAFC__SCOPE_ALL = KAFC__SCOPE_PRODUCER | KAFC__SCOPE_CONSUMER | KAFC__SCOPE_ADMIN
};

/* Property flags. */
enum {
    KAFC__PF_SENSITIVE = 1 << 0 /* a secret: never log its value */
};

/* Another accepted spelling of an enum value or list entry. */
typedef struct kafc__prop_alias {
    const char *alias;
    int index; /* into the property's values */
} kafc__prop_alias_t;

/* One row of the property table. */
typedef struct kafc__prop {
    const char *name;
    kafc__prop_type_t type;
    unsigned scope;  /* KAFC__SCOPE_* bits */
    unsigned flags;  /* KAFC__PF_* bits */
    const char *def; /* default, as the text a user would set */
    int64_t min;     /* INT: range */
    int64_t max;
    /* ENUM/LIST: the canonical values, NULL-terminated; matched
     * case-insensitively. */
    const char *const *values;
    /* ENUM: kafc__conf_int() of each value; NULL means its index. */
    const int64_t *ivals;
    const kafc__prop_alias_t *aliases; /* NULL or {NULL, 0}-terminated */
    /* LIST without values: checks a list and returns its mask, or
     * KAFC_ERR__INVALID_CONFIG_VALUE with errstr naming the property. */
    kafc_err_t (*parse_list)(const char *list, int64_t *maskp, char *errstr, size_t errstr_size);
    /* LIST without values: the valid entries, for docs. */
    const char *(*list_entries)(void);
    const char *name_alias; /* another accepted property name, or NULL */
    const char *doc;        /* one line, for CONFIGURATION.md */
} kafc__prop_t;

/* The table, indexed by kafc__prop_id_t (conf_props.c). Any thread. */
extern const kafc__prop_t kafc__props[KAFC__P__COUNT];

/* Another client's name for a property, suggested (not accepted) when a
 * user sets it. */
typedef struct kafc__prop_hint {
    const char *other;
    kafc__prop_id_t id;
} kafc__prop_hint_t;

/* {NULL, 0}-terminated (conf_props.c). Any thread. */
extern const kafc__prop_hint_t kafc__prop_hints[];

/* The value of an INT, BOOL (0/1), ENUM (see the enums above) or LIST (mask)
 * property. Any thread holding the conf. */
int64_t kafc__conf_int(const kafc_conf_t *conf, kafc__prop_id_t id);

/* The value of a STR, ENUM (canonical name) or LIST (normalised list)
 * property; never NULL ("" when empty or unset). Owned by conf. Any thread
 * holding the conf. */
const char *kafc__conf_str(const kafc_conf_t *conf, kafc__prop_id_t id);

/* 1 when the user set the property explicitly with kafc_conf_set() (to any
 * value, the default included), 0 while it is at its default. Any thread
 * holding the conf. */
int kafc__conf_is_set(const kafc_conf_t *conf, kafc__prop_id_t id);

/* Changes an INT, BOOL or ENUM property (value as kafc__conf_int() would
 * return it; it must be allowed) without marking it as set by the user: for
 * a client adjusting its own copy, e.g. a default that depends on another
 * property. The caller owns conf (no lock). */
void kafc__conf_adjust_int(kafc_conf_t *conf, kafc__prop_id_t id, int64_t value);

/* The log callback and its opaque (stored in *opaquep when opaquep is not
 * NULL); NULL when none is set. Any thread holding the conf. */
kafc_log_cb_t *kafc__conf_log_cb(const kafc_conf_t *conf, void **opaquep);

#define KAFC__MAX_INTERCEPTORS 16

/* The callbacks a conf carries besides logging. */
typedef struct kafc__conf_cbs {
    kafc_dr_cb_t *dr_cb;
    void *opaque;
    kafc_partitioner_cb_t *partitioner_cb;
    void *partitioner_opaque;
    struct {
        kafc_on_send_cb_t *on_send;
        kafc_on_ack_cb_t *on_ack;
        void *opaque;
    } interceptors[KAFC__MAX_INTERCEPTORS];
    int ninterceptors;
    kafc_rebalance_cb_t *rebalance_cb;  /* consumer */
    kafc_offset_commit_cb_t *commit_cb; /* consumer */
} kafc__conf_cbs_t;

const kafc__conf_cbs_t *kafc__conf_cbs(const kafc_conf_t *conf);

/* Writes CONFIGURATION.md (every property, one table per scope) to out.
 * Any thread. */
void kafc__conf_doc_markdown(FILE *out);

#endif /* KAFC_CONF_H */
