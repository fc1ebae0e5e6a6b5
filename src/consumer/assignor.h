/*
 * assignor — the client-side partition assignors of the classic consumer
 * group protocol (partition.assignment.strategy): range, roundrobin, sticky
 * and cooperative-sticky, computing the assignments of Kafka's Java
 * RangeAssignor, RoundRobinAssignor, StickyAssignor and
 * CooperativeStickyAssignor (KIP-54, KIP-341, KIP-429). Racks are ignored.
 *
 * Pure logic, no I/O and no shared state: the group leader's consumer thread
 * calls kafc__assignor_assign() with the decoded member subscriptions and the
 * partition counts from metadata; any thread may call it, concurrently on
 * distinct results, with no lock. Every input is borrowed for the duration of
 * the call, except the topic names, which the result points into: the
 * result's kafc__asg_tp_t.topic is the `topic` pointer of the matching
 * kafc__asg_topic_t, so those strings must outlive the result. The result is
 * owned by the caller and freed with kafc__assignor_result_free().
 *
 * Member order, as in Java's AbstractPartitionAssignor.MemberInfo: static
 * members (group.instance.id set) first, by instance id, then dynamic members
 * by member id. Topics absent from the topic list (no metadata) or with no
 * partitions are skipped, as Java does. The output is deterministic.
 *
 * sticky / cooperative-sticky: a member's owned partitions count when the
 * partition still exists and the member is still subscribed to its topic; a
 * partition claimed by several members goes to the one with the highest
 * generation, and to none on a tie. With identical subscriptions the result
 * is balanced (counts within 1) and keeps the largest possible number of
 * owned partitions; with differing subscriptions, unowned partitions go to
 * the least loaded eligible member (most constrained partitions first), then
 * partitions move from a member to an eligible one with at least 2 fewer
 * until no such move exists. cooperative-sticky then applies KIP-429: a
 * partition that any other member still lists as owned is left unassigned
 * this round; its owner revokes it and the follow-up rebalance assigns it.
 *
 * The assignor-private part at the end is shared by assignor.c and
 * assignor_sticky.c only.
 */
#ifndef KAFC_CONSUMER_ASSIGNOR_H
#define KAFC_CONSUMER_ASSIGNOR_H

#include <stdint.h>

#include "conf.h"
#include "kafc/kafc.h"

/* One of the single KAFC__ASSIGNOR_* bits of conf.h. */
typedef enum kafc__assignor kafc__assignor_type_t;

typedef struct kafc__asg_tp {
    const char *topic;
    int32_t partition;
} kafc__asg_tp_t;

typedef struct kafc__asg_member {
    const char *member_id;     /* non-empty, unique within the group */
    const char *instance_id;   /* group.instance.id, or NULL for a dynamic member */
    const char *const *topics; /* subscribed topic names */
    int ntopics;
    const kafc__asg_tp_t *owned; /* currently owned partitions (sticky ones) */
    int nowned;
    int32_t generation; /* generation of `owned`; -1 when unknown */
} kafc__asg_member_t;

typedef struct kafc__asg_topic {
    const char *topic; /* unique within the list */
    int32_t partition_cnt;
} kafc__asg_topic_t;

/* One member's assignment, sorted by topic name then partition. */
typedef struct kafc__asg_assignment {
    kafc__asg_tp_t *tps; /* NULL when cnt is 0 */
    int cnt;
} kafc__asg_assignment_t;

/* "range", "roundrobin", "sticky", "cooperative-sticky"; NULL for anything
 * else. */
const char *kafc__assignor_name(kafc__assignor_type_t type);

/* 1 for cooperative-sticky (the COOPERATIVE rebalance protocol), else 0. */
int kafc__assignor_is_cooperative(kafc__assignor_type_t type);

/*
 * Computes every member's assignment. On success *resultp is an array of
 * nmembers assignments, in the order of `members`, taken by the caller
 * (kafc__assignor_result_free). nmembers may be 0 (*resultp is then NULL).
 *
 * Returns:
 *   KAFC_ERR__INVALID_ARG  unknown type, resultp NULL, a NULL array with a
 *                          non-zero count, a NULL/empty member id or topic
 *                          name, a duplicate member id or topic, a negative
 *                          count.
 *   KAFC_ERR__NO_MEMORY    allocation failed; *resultp is untouched.
 */
kafc_err_t kafc__assignor_assign(kafc__assignor_type_t type, const kafc__asg_member_t *members,
                                 int nmembers, const kafc__asg_topic_t *topics, int ntopics,
                                 kafc__asg_assignment_t **resultp);

/* Frees a result of kafc__assignor_assign(); NULL is fine. */
void kafc__assignor_result_free(kafc__asg_assignment_t *result, int nmembers);

/* ---- assignor-private: assignor.c <-> assignor_sticky.c ---- */

/* Partitions are numbered globally: topic i of the name-sorted topic list
 * holds indexes tbase[i] .. tbase[i + 1] - 1. */
typedef struct kafc__asg_ctx {
    const kafc__asg_member_t *members;
    int nm;
    const kafc__asg_topic_t *topics; /* sorted by name, copied */
    int nt;
    int32_t *tbase;     /* nt + 1 entries */
    int32_t np;         /* total partitions */
    int *tsubs;         /* per topic: number of subscribed members */
    unsigned char *sub; /* nm * nt: member m subscribes to topic t */
    int *order;         /* member indexes in MemberInfo order */
    int *rank;          /* rank[m]: position of member m in order */
    int32_t *owner;     /* per partition: assigned member, or -1 (the output) */
} kafc__asg_ctx_t;

/* Global index of tp, or -1 for an unknown topic or partition. */
int32_t kafc__assignor_tp_index(const kafc__asg_ctx_t *ctx, const kafc__asg_tp_t *tp);

/* Topic (sorted index) of global partition index pidx. */
int kafc__assignor_topic_of(const kafc__asg_ctx_t *ctx, int32_t pidx);

/* Fills ctx->owner for sticky (cooperative 0) or cooperative-sticky. */
kafc_err_t kafc__assignor_sticky(kafc__asg_ctx_t *ctx, int cooperative);

#endif /* KAFC_CONSUMER_ASSIGNOR_H */
