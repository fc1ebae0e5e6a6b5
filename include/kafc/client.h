/*
 * kafc client handle and cluster metadata. Included by <kafc/kafc.h>.
 *
 * A kafc_client_t connects to a cluster and keeps its metadata: it owns one
 * background I/O thread that serves every broker connection. The producer and
 * consumer handles each contain one (kafc_producer_client() /
 * kafc_consumer_client() give it), so the calls here work on any client; a
 * bare kafc_client_t is useful for metadata queries alone.
 */
#ifndef KAFC_CLIENT_H
#define KAFC_CLIENT_H

#ifndef KAFC_KAFC_H
#error "include <kafc/kafc.h>, not <kafc/client.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafc_client_s kafc_client_t;

/* Cluster metadata: a snapshot taken when it was returned, owned by the
 * caller, read through the accessors below, freed with
 * kafc_metadata_destroy(). Indexes run from 0 to the matching count - 1;
 * out-of-range indexes give -1 / NULL / KAFC_ERR__INVALID_ARG. All accessors
 * may be called from any thread; the snapshot never changes. */
typedef struct kafc_metadata_s kafc_metadata_t;

/* Creates a client from conf (copied; the caller still destroys its own) and
 * starts its I/O thread, which bootstraps from bootstrap.servers in the
 * background. Returns NULL with errstr set when the configuration cannot
 * work (bootstrap.servers empty or malformed: KAFC_ERR__INVALID_CONFIG_VALUE
 * in words) or resources are exhausted. Any thread. */
KAFC_EXTERN kafc_client_t *kafc_client_new(const kafc_conf_t *conf, char *errstr,
                                           size_t errstr_size);

/* Stops the I/O thread, closes every connection and frees the client.
 * Outstanding requests complete with KAFC_ERR__DESTROY. Returns promptly
 * (within about one second) even when every broker is unreachable. Log
 * records still queued are dropped. kafc_client_destroy(NULL) is a no-op.
 * Call from an application thread, not from a callback. */
KAFC_EXTERN void kafc_client_destroy(kafc_client_t *client);

/* Serves queued callbacks (today: log records from the I/O thread when a
 * log callback is set) on the calling thread, waiting up to timeout_ms
 * (0 = don't wait, -1 = until something is served) for the first one.
 * Returns how many were served. Any application thread. */
KAFC_EXTERN int kafc_client_poll(kafc_client_t *client, int timeout_ms);

/* Fetches fresh metadata from the cluster: for the topics listed (topics has
 * topic_count names, copied), or for every topic when topic_count is 0.
 * Waits up to timeout_ms (-1 = 1 hour). On success *mdp is a new snapshot
 * the caller frees with kafc_metadata_destroy(); topics that do not exist
 * appear with an error (KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION) unless the cluster
 * creates them automatically.
 *
 * Returns:
 *   KAFC_ERR_NONE          *mdp set.
 *   KAFC_ERR__TIMED_OUT    no broker answered in time; errstr has the last
 *                          connection error (e.g. "Connection refused").
 *   KAFC_ERR__INVALID_ARG  client or mdp NULL, or a NULL/empty topic name.
 *   KAFC_ERR__NO_MEMORY    allocation failed.
 *   KAFC_ERR__DESTROY      the client is being destroyed.
 * errstr (may be NULL when errstr_size is 0) receives the reason on failure.
 * Any application thread; blocks the caller. */
KAFC_EXTERN kafc_err_t kafc_metadata(kafc_client_t *client, const char *const *topics,
                                     size_t topic_count, int timeout_ms, kafc_metadata_t **mdp,
                                     char *errstr, size_t errstr_size);

/* Frees a snapshot. kafc_metadata_destroy(NULL) is a no-op. */
KAFC_EXTERN void kafc_metadata_destroy(kafc_metadata_t *md);

/* The cluster id (NULL when the cluster did not say) and controller id (-1
 * when unknown). Strings are owned by md. */
KAFC_EXTERN const char *kafc_metadata_cluster_id(const kafc_metadata_t *md);
KAFC_EXTERN int32_t kafc_metadata_controller_id(const kafc_metadata_t *md);

/* Brokers, ordered by id. host and rack (NULL when none) are owned by md. */
KAFC_EXTERN int kafc_metadata_broker_count(const kafc_metadata_t *md);
KAFC_EXTERN int32_t kafc_metadata_broker_id(const kafc_metadata_t *md, int i);
KAFC_EXTERN const char *kafc_metadata_broker_host(const kafc_metadata_t *md, int i);
KAFC_EXTERN int32_t kafc_metadata_broker_port(const kafc_metadata_t *md, int i);
KAFC_EXTERN const char *kafc_metadata_broker_rack(const kafc_metadata_t *md, int i);

/* Topics, ordered by name. A topic's error is KAFC_ERR_NONE or why the
 * cluster could not describe it. */
KAFC_EXTERN int kafc_metadata_topic_count(const kafc_metadata_t *md);
KAFC_EXTERN const char *kafc_metadata_topic_name(const kafc_metadata_t *md, int t);
KAFC_EXTERN kafc_err_t kafc_metadata_topic_err(const kafc_metadata_t *md, int t);
KAFC_EXTERN int kafc_metadata_topic_is_internal(const kafc_metadata_t *md, int t);

/* Partitions of topic t, ordered by partition id; p indexes that order. */
KAFC_EXTERN int kafc_metadata_partition_count(const kafc_metadata_t *md, int t);
KAFC_EXTERN int32_t kafc_metadata_partition_id(const kafc_metadata_t *md, int t, int p);
KAFC_EXTERN kafc_err_t kafc_metadata_partition_err(const kafc_metadata_t *md, int t, int p);
/* The leader's broker id, -1 when there is none. */
KAFC_EXTERN int32_t kafc_metadata_partition_leader(const kafc_metadata_t *md, int t, int p);
KAFC_EXTERN int32_t kafc_metadata_partition_leader_epoch(const kafc_metadata_t *md, int t, int p);
/* Replicas and in-sync replicas: count, then the broker id at index r. */
KAFC_EXTERN int kafc_metadata_replica_count(const kafc_metadata_t *md, int t, int p);
KAFC_EXTERN int32_t kafc_metadata_replica(const kafc_metadata_t *md, int t, int p, int r);
KAFC_EXTERN int kafc_metadata_isr_count(const kafc_metadata_t *md, int t, int p);
KAFC_EXTERN int32_t kafc_metadata_isr(const kafc_metadata_t *md, int t, int p, int r);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_CLIENT_H */
