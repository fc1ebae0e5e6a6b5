/*
 * group — the consumer group member (group.c: membership; offsets.c:
 * OffsetCommit/OffsetFetch, auto-commit, requests waiting for the
 * coordinator). I/O thread only unless a function says otherwise.
 */
#ifndef KAFC_CONSUMER_GROUP_H
#define KAFC_CONSUMER_GROUP_H

#include <stdatomic.h>
#include <stdint.h>

#include "consumer/assignor.h"
#include "consumer/consumer.h"

enum kafc__group_state {
    KAFC__G_INIT = 0,  /* not a member, nothing asked yet */
    KAFC__G_NEED_JOIN, /* (re)join as soon as possible */
    KAFC__G_JOINING,   /* JoinGroup in flight */
    KAFC__G_SYNCING,   /* assigning (leader) / SyncGroup in flight */
    KAFC__G_STABLE,    /* member with an assignment: heartbeating */
    KAFC__G_LEFT       /* closed: nothing more */
};

typedef struct kafc__goffop kafc__goffop_t; /* offsets.c */
struct lmember;

struct kafc__group {
    kafc_consumer_t *c;
    int state;
    char *member_id; /* "" before the first join */
    const char *instance_id;
    int32_t generation;
    kafc__assignor_type_t protocol; /* the group's chosen assignor, 0 before */
    atomic_int proto_kind;          /* 0 none, 1 eager, 2 cooperative (any thread) */
    kafc__assignor_type_t assignors[4];
    int nassignors;
    int64_t session_timeout_ms, heartbeat_interval_ms, max_poll_interval_ms, metadata_max_age_ms,
        auto_commit_interval_ms;

    int32_t coord_id;       /* -1: unknown */
    kafc__netclient_t *cnc; /* our own connection to the coordinator */
    int32_t cnc_id;         /* the broker it goes to */
    int coord_lookup;
    int inflight_join, inflight_sync, inflight_hb;
    int64_t retry_at_ms, next_hb_ms, last_hb_ok_ms, next_md_ms, next_autocommit_ms;
    int64_t sync_at_ms; /* leader: when to send SyncGroup (0: not waiting) */
    int32_t sync_gen;   /* the generation sync_at_ms belongs to */
    int md_inflight;
    int64_t md_seen;
    int sub_seen;
    int waiting_app;      /* rebalance events not yet served */
    int rejoin_after_app; /* cooperative: rejoin once revocations are served */
    int poll_expired;
    kafc__timer_t timer;
    kafc__timer_t otimer; /* offsets.c */

    char **topics; /* the subscribed topic set, sorted */
    int ntopics;
    kafc_topic_partition_list_t *owned; /* this member's assignment, sorted */

    /* Leader state between JoinGroup and SyncGroup. */
    struct lmember *lm;
    int nlm;
    kafc__wbuf_t *assign_bytes;
    int nassign;
    int32_t leader_gen;

    /* offsets.c */
    kafc__goffop_t *ops; /* waiting for the coordinator */
    int fetch_inflight;  /* OffsetFetch for NEED_COMMITTED partitions */
    int autocommit_inflight;
};

/* The connection to the coordinator, or NULL (a lookup is then under
 * way). */
kafc__netclient_t *kafc__group_coordinator(kafc__group_t *g);
/* Forgets the coordinator after err. */
void kafc__group_coord_dead(kafc__group_t *g, kafc_err_t err);
/* 1 for errors that mean "find the coordinator again". Any thread. */
int kafc__group_err_coord(kafc_err_t err);

/* offsets.c: runs waiting requests, OffsetFetch for NEED_COMMITTED
 * partitions, auto-commit. */
void kafc__offsets_run(kafc__group_t *g, int64_t now);
void kafc__offsets_destroy(kafc__group_t *g);

#endif /* KAFC_CONSUMER_GROUP_H */
