/*
 * cluster — what a client knows of its Kafka cluster and how it reaches it:
 * the broker registry (one netclient per broker), bootstrap from
 * bootstrap.servers, the metadata cache and its refreshes (periodic,
 * on demand for wanted topics, after errors that mean it is stale), and
 * metadata requests on behalf of callers.
 *
 * Everything runs on the client's I/O thread; no locks. The cluster owns its
 * brokers and the cache; it borrows the selector and logger.
 */
#ifndef KAFC_CLUSTER_CLUSTER_H
#define KAFC_CLUSTER_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/metadata.h"
#include "kafc/kafc.h"
#include "net/netclient.h"

typedef struct kafc__cluster kafc__cluster_t;

typedef struct kafc__broker {
    struct kafc__broker *next;
    kafc__cluster_t *cl;
    int32_t id; /* bootstrap entries: -1, -2, ... until metadata is known */
    char host[256];
    int port;
    int bootstrap;
    kafc__netclient_t nc;
} kafc__broker_t;

/* Completion of a metadata request: md is the cache (borrowed for the call)
 * when err is KAFC_ERR_NONE. */
typedef void(kafc__md_waiter_cb_t)(void *arg, kafc_err_t err, const char *errstr,
                                   const kafc__md_t *md);

typedef struct kafc__md_waiter {
    struct kafc__md_waiter *next;
    char **topics; /* NULL: all topics */
    size_t ntopics;
    int64_t deadline_ms;
    kafc__md_waiter_cb_t *cb;
    void *arg;
} kafc__md_waiter_t;

typedef struct kafc__cluster_config {
    kafc__nc_config_t nc;
    int64_t metadata_max_age_ms;
    int64_t retry_backoff_ms;
    int allow_auto_create;
} kafc__cluster_config_t;

struct kafc__cluster {
    kafc__selector_t *sel;
    const kafc__logger_t *log;
    kafc__cluster_config_t cfg;
    kafc__broker_t *brokers;
    int next_bootstrap_id;

    kafc__md_t md;
    int have_md;
    int64_t md_updated_ms;

    int refresh_inflight;
    int refresh_queued; /* another refresh was asked while one was in flight */
    int64_t last_refresh_ms;
    kafc__timer_t refresh_timer;
    kafc__timer_t waiter_timer;
    kafc__md_waiter_t *waiters;
    char last_error[300];
    int destroying;
    struct kafc__coord_entry *coords;   /* coordinator cache (coord.c) */
    struct kafc__coord_lookup *lookups; /* lookups under way (coord.c) */
};

/* Parses bootstrap.servers ("host:port,[v6addr]:port,host") and creates one
 * bootstrap broker per entry, in random order. Returns
 * KAFC_ERR__INVALID_CONFIG_VALUE with errstr for an empty or malformed list.
 * Any thread before the I/O thread starts. */
kafc_err_t kafc__cluster_init(kafc__cluster_t *cl, kafc__selector_t *sel, const kafc__logger_t *log,
                              const kafc__cluster_config_t *cfg, const char *bootstrap,
                              char *errstr, size_t errstr_size);

/* Starts connecting and the first metadata refresh. I/O thread. */
void kafc__cluster_start(kafc__cluster_t *cl);

/* Closes every broker (requests complete with KAFC_ERR__DESTROY), completes
 * waiters with KAFC_ERR__DESTROY and frees everything. I/O thread. */
void kafc__cluster_destroy(kafc__cluster_t *cl);

/* Asks for a metadata refresh soon (rate-limited by retry.backoff.ms; one in
 * flight at a time). reason is logged under debug=metadata. I/O thread. */
void kafc__cluster_refresh(kafc__cluster_t *cl, const char *reason);

/* Requests metadata for topics (NULL/0: all topics) and calls cb once with
 * the result or an error (KAFC_ERR__TIMED_OUT at timeout_ms, with the last
 * connection error in errstr). topics are copied. I/O thread. */
kafc_err_t kafc__cluster_metadata_request(kafc__cluster_t *cl, const char *const *topics,
                                          size_t ntopics, int timeout_ms, kafc__md_waiter_cb_t *cb,
                                          void *arg);

/* True for errors that mean the cached metadata is stale: NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
 * KAFKA_STORAGE_ERROR, and local transport errors. Any thread. */
int kafc__err_is_stale_metadata(kafc_err_t err);

/* Called by request owners (producer, consumer) with a per-partition or
 * connection error: asks for a refresh when the error means stale metadata.
 * Returns 1 when a refresh was asked. I/O thread. */
int kafc__cluster_note_error(kafc__cluster_t *cl, kafc_err_t err, const char *topic);

/* The broker with this id, or NULL. I/O thread. */
kafc__broker_t *kafc__cluster_broker(kafc__cluster_t *cl, int32_t id);

/* The broker with this id, added at host:port when the registry does not
 * have it yet (a coordinator named before metadata lists it). NULL when out
 * of memory. I/O thread. */
kafc__broker_t *kafc__cluster_ensure_broker(kafc__cluster_t *cl, int32_t id, const char *host,
                                            int port);

/* An UP broker with the fewest requests in flight; when none is up, makes
 * sure a connection attempt is under way and returns NULL. I/O thread. */
kafc__broker_t *kafc__cluster_any_broker(kafc__cluster_t *cl);

/* Parses one "host:port" / "[v6]:port" / "host" entry (port 9092 when
 * absent). Returns 0, or -1 when malformed. Any thread. */
int kafc__parse_hostport(const char *s, size_t len, char *host, size_t hsize, int *port);

#endif /* KAFC_CLUSTER_CLUSTER_H */
