/*
 * coord — finds the coordinator broker of a consumer group or a
 * transactional id (FindCoordinator), caches the answer, and forgets it when
 * a caller reports NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
 *
 * I/O thread only; no locks. Owned by the cluster (kafc__cluster_t.coords).
 */
#ifndef KAFC_CLUSTER_COORD_H
#define KAFC_CLUSTER_COORD_H

#include <stdint.h>

#include "cluster/cluster.h"

#define KAFC__COORD_GROUP 0
#define KAFC__COORD_TXN 1

/* Called once: with the coordinator broker (borrowed; valid until the next
 * metadata change), or an error (KAFC_ERR__TIMED_OUT with the last reason,
 * a non-retriable Kafka error such as GROUP_AUTHORIZATION_FAILED, or
 * KAFC_ERR__DESTROY). */
typedef void(kafc__coord_cb_t)(void *arg, kafc_err_t err, const char *errstr,
                               kafc__broker_t *coordinator);

/* Looks up the coordinator for (key_type, key): from the cache when known,
 * else by FindCoordinator, retried with retry.backoff.ms on retriable errors
 * until timeout_ms. key is copied. The callback may run before this
 * returns (cache hit). I/O thread. */
kafc_err_t kafc__coord_find(kafc__cluster_t *cl, int8_t key_type, const char *key, int timeout_ms,
                            kafc__coord_cb_t *cb, void *arg);

/* Forgets the cached coordinator for (key_type, key). I/O thread. */
void kafc__coord_invalidate(kafc__cluster_t *cl, int8_t key_type, const char *key);

/* True for the errors that mean "ask again who the coordinator is". */
int kafc__coord_err_is_stale(kafc_err_t err);

/* Frees the cache and fails pending lookups with KAFC_ERR__DESTROY. */
void kafc__coord_destroy(kafc__cluster_t *cl);

#endif /* KAFC_CLUSTER_COORD_H */
