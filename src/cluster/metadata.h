/*
 * metadata — the cluster metadata cache as plain data: brokers, topics,
 * partitions with leaders, leader epochs, replicas and ISR.
 *
 * Built from decoded Metadata responses and merged into the cluster's cache
 * on the I/O thread; deep-copied into snapshots for application threads (the
 * public kafc_metadata_t is such a snapshot). No I/O, no locks: the owner
 * decides who may touch a kafc__md_t. A kafc__md_t owns all its strings and
 * arrays.
 */
#ifndef KAFC_CLUSTER_METADATA_H
#define KAFC_CLUSTER_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"
#include "proto/proto.h"

typedef struct kafc__md_broker {
    int32_t id;
    char *host;
    int32_t port;
    char *rack; /* NULL when the broker has none */
} kafc__md_broker_t;

typedef struct kafc__md_partition {
    int32_t id;
    kafc_err_t err;
    int32_t leader; /* -1: none */
    int32_t leader_epoch;
    int32_t *replicas;
    int nreplicas;
    int32_t *isr;
    int nisr;
} kafc__md_partition_t;

typedef struct kafc__md_topic {
    char *name;
    kafc_err_t err;
    int internal;
    kafc__md_partition_t *partitions; /* sorted by id */
    int npartitions;
} kafc__md_topic_t;

struct kafc_metadata_s {
    kafc__md_broker_t *brokers; /* sorted by id */
    int nbrokers;
    kafc__md_topic_t *topics; /* sorted by name */
    int ntopics;
    int32_t controller_id;
    char *cluster_id; /* NULL when unknown */
};
typedef struct kafc_metadata_s kafc__md_t;

/* Fills md (previously zeroed or freed) from a decoded response. Returns
 * KAFC_ERR__NO_MEMORY (md then freed) or KAFC_ERR__BAD_MSG for a response
 * that contradicts itself (duplicate ids); on error md is left empty. */
kafc_err_t kafc__md_from_response(kafc__md_t *md, const kafc__metadata_response_t *r);

/* Merges fresh into cache: brokers, controller and cluster id are replaced;
 * topics in fresh replace those of the same name; with all_topics set (the
 * request asked for every topic) topics missing from fresh are dropped.
 * fresh is consumed (left empty). Returns KAFC_ERR__NO_MEMORY on failure,
 * with cache unchanged. */
kafc_err_t kafc__md_merge(kafc__md_t *cache, kafc__md_t *fresh, int all_topics);

/* A deep copy of md restricted to the named topics (all topics when names is
 * NULL). Topics not in md are absent from the copy. NULL when out of memory. */
kafc__md_t *kafc__md_snapshot(const kafc__md_t *md, const char *const *names, size_t n);

/* Frees what md holds and zeroes it (not md itself). */
void kafc__md_clear(kafc__md_t *md);

const kafc__md_topic_t *kafc__md_topic(const kafc__md_t *md, const char *name);
const kafc__md_broker_t *kafc__md_broker(const kafc__md_t *md, int32_t id);

#endif /* KAFC_CLUSTER_METADATA_H */
