/*
 * consumer — the consumer handle shared by the consumer's modules:
 * consumer.c (public API, partition table, poll), fetcher.c (Fetch,
 * ListOffsets: the I/O thread's reading side), group.c (group membership,
 * OffsetFetch/OffsetCommit) and tplist.c (topic/partition lists).
 *
 * Threads and locks:
 * - c->lock guards the partition table's shared fields, the fetched-chunk
 *   queue and the subscription. The I/O thread takes it to pick partitions
 *   to fetch and to queue what it fetched; application threads take it in
 *   poll (to take a chunk), assign, seek, pause...
 * - c->poll_lock guards the poll cursor (the chunk being handed out); it is
 *   taken before c->lock when both are needed, never after.
 * - A partition's app_pos (the next offset the application gets) is an
 *   atomic written by poll and read by commits on any thread.
 * - Group state (struct kafc__group) is the I/O thread's alone; application
 *   threads reach it through client ops.
 * Partition objects are never freed before the consumer, so chunks and
 * messages can point at them.
 */
#ifndef KAFC_CONSUMER_CONSUMER_H
#define KAFC_CONSUMER_CONSUMER_H

#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>

#include "client.h"
#include "conf.h"
#include "message.h"
#include "record/reader.h"
#include "util/thread.h"

typedef struct kafc__group kafc__group_t;

/* Fetched chunks one partition may have waiting for poll. */
#define KAFC__MAX_QUEUED 4

/* Fetch state of a partition. */
enum kafc__cp_state {
    KAFC__CP_IDLE = 0,       /* not assigned */
    KAFC__CP_NEED_COMMITTED, /* waiting for the group's committed offset */
    KAFC__CP_NEED_RESET,     /* waiting for ListOffsets (reset_to) */
    KAFC__CP_ACTIVE,         /* fetching from fetch_pos */
    KAFC__CP_FAILED          /* stopped on an error until the next seek */
};

/* A reference-counted block that consumed messages point into: a Fetch
 * response frame, or a decompressed batch. */
typedef struct kafc__fbuf {
    atomic_int refs;
    uint8_t *data;
    size_t size;
    struct kafc_consumer_s *c;
} kafc__fbuf_t;

typedef struct kafc__cpart {
    struct kafc__cpart *next;  /* every partition known (c->parts) */
    struct kafc__cpart *hnext; /* hash chain */
    char *topic;
    int32_t partition;
    /* Under c->lock: */
    int assigned;
    int paused;
    int state;         /* enum kafc__cp_state */
    int64_t fetch_pos; /* next offset to fetch (ACTIVE) */
    int32_t fetch_epoch;
    int64_t reset_to; /* NEED_RESET: KAFC_OFFSET_BEGINNING or _END */
    int64_t hwm, lso, log_start;
    int eof_sent;       /* EOF reported at fetch_pos == hwm */
    int queued;         /* chunks of it in c->q (fetching pauses at KAFC__MAX_QUEUED) */
    atomic_int version; /* bumped by seek/assign/unassign: older chunks are dropped */
    int64_t committed;  /* last offset committed or fetched from the group */
    /* Application position: the offset after the last message handed out
     * (KAFC_OFFSET_INVALID until known). */
    _Atomic int64_t app_pos;
    _Atomic int32_t app_epoch;
    /* I/O thread only: */
    int fetch_inflight;
    int offsets_inflight;
    int64_t retry_at_ms;
    int32_t preferred_replica; /* KIP-392, -1: the leader */
    int64_t preferred_until_ms;
} kafc__cpart_t;

/* One aborted transaction of a Fetch response (read_committed). */
typedef struct kafc__aborted {
    int64_t producer_id;
    int64_t first_offset;
} kafc__aborted_t;

/* What the fetcher hands to poll: one partition's records from one Fetch
 * response, or an event for the partition (data NULL, err set). */
typedef struct kafc__fchunk {
    struct kafc__fchunk *next;
    kafc__cpart_t *part;
    int version;       /* part->version when fetched */
    kafc__fbuf_t *buf; /* referenced; NULL for an event */
    const uint8_t *data;
    size_t len;
    int64_t from_offset;      /* records below are skipped (fetch offset) */
    int64_t next_offset;      /* the position after this chunk */
    kafc__aborted_t *aborted; /* sorted by first_offset; malloc()ed */
    int naborted;
    kafc_err_t err; /* event: PARTITION_EOF, CRC_MISMATCH, ... */
    int64_t err_offset;
    char errstr[200];
} kafc__fchunk_t;

/* A consumed message: the public struct plus what keeps its bytes alive. */
typedef struct kafc__cmsg {
    kafc_message_t m;
    kafc__fbuf_t *buf;  /* the response frame */
    kafc__fbuf_t *dbuf; /* the decompressed batch, or NULL */
    const uint8_t *hdr_enc;
    int32_t hdr_len, hdr_count;
    int32_t leader_epoch;
    char errstr[200]; /* error events */
} kafc__cmsg_t;

/* The cursor poll keeps over the chunk it is handing out. */
typedef struct kafc__cursor {
    kafc__fchunk_t *chunk;
    kafc__batch_iter_t bi;
    int in_batch;
    kafc__batch_view_t bv;
    kafc__record_iter_t ri;
    kafc__fbuf_t *dbuf;  /* decompressed records of the current batch */
    int64_t *abort_pids; /* read_committed: producers with an open abort */
    int nabort_pids, abort_cap;
    int next_aborted; /* index into chunk->aborted */
} kafc__cursor_t;

struct kafc_consumer_s {
    kafc_client_t *client;
    kafc_conf_t *conf; /* the client's copy */
    const kafc__conf_cbs_t *cbs;

    kafc__mutex_t lock;
    kafc__cond_t cond; /* chunks queued, events pending, wakeups */
    kafc__cpart_t *parts;
    kafc__cpart_t **hash;
    size_t hsize, nparts;
    kafc__fchunk_t *q_head, *q_tail;
    atomic_llong buffered; /* bytes of live fetch buffers */
    int64_t buffered_max;  /* queued.max.messages.kbytes */
    atomic_int ev_pending; /* client events wait to be served */
    atomic_int fetch_wake; /* the fetcher was throttled: wake it when drained */

    /* Subscription (under lock). */
    char **sub_names;
    int nsub;
    regex_t *sub_re;
    char **sub_re_src;
    int nre;
    int subscribed;
    int manual; /* a manual assignment is in place */
    atomic_int sub_version;

    /* Poll side (under poll_lock). */
    kafc__mutex_t poll_lock;
    kafc__cursor_t cur;
    kafc__codec_ctx_t *pctx;
    _Atomic int64_t last_poll_ms;

    kafc__cpart_t *errpart; /* "" [-1]: consumer-level events */
    atomic_int closed;
    kafc_err_t last_err;
    char last_errstr[256];

    /* Settings. */
    int check_crcs, read_committed, partition_eof, auto_commit, auto_reset;
    int32_t fetch_min_bytes, fetch_max_bytes, partition_max_bytes, max_wait_ms;
    int max_poll_records;
    int64_t request_timeout_ms, retry_backoff_ms;
    const char *group_id; /* NULL: no group */
    const char *rack;     /* NULL: none */

    /* I/O thread only. */
    kafc__group_t *grp;
    kafc__timer_t fetch_timer;
    int fetch_reqs;         /* Fetch requests in flight */
    int64_t fetch_reserved; /* their max_bytes, counted against the bound */
    int md_inflight;        /* a metadata request for unknown topics */
    int32_t fetch_busy[64]; /* brokers with a Fetch in flight (id + 1; 0: free) */
    int32_t fetch_session_rotation;
    int64_t md_seen;
};

/* ---- consumer.c --------------------------------------------------------- */

/* The partition object for topic/partition, created when absent (NULL when
 * out of memory). Under c->lock. */
kafc__cpart_t *kafc__cpart_get(kafc_consumer_t *c, const char *topic, int32_t partition);
/* The partition object or NULL. Under c->lock. */
kafc__cpart_t *kafc__cpart_find(kafc_consumer_t *c, const char *topic, int32_t partition);

/* Queues a chunk for poll and wakes it. Under c->lock. */
void kafc__consumer_enqueue(kafc_consumer_t *c, kafc__fchunk_t *ch);
/* Queues an event (error/EOF) chunk for part. Under c->lock. */
void kafc__consumer_event(kafc_consumer_t *c, kafc__cpart_t *part, kafc_err_t err, int64_t offset,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Applies an assignment change under c->lock: add (with start offsets from
 * the elements; KAFC_OFFSET_INVALID/STORED = committed offset) or remove.
 * Returns KAFC_ERR_NONE or KAFC_ERR__NO_MEMORY. */
kafc_err_t kafc__consumer_assign_add(kafc_consumer_t *c, const kafc_topic_partition_list_t *l);
void kafc__consumer_assign_remove(kafc_consumer_t *c, const kafc_topic_partition_list_t *l);
/* The current assignment as a new sorted list (NULL: out of memory). Takes
 * c->lock. */
kafc_topic_partition_list_t *kafc__consumer_assignment(kafc_consumer_t *c);

/* Commits, from the application thread and waiting, the positions of the
 * listed partitions that moved since their last commit. */
void kafc__consumer_commit_positions(kafc_consumer_t *c, const kafc_topic_partition_list_t *only);
/* Queues the offset commit callback (when one is set) for a finished
 * commit; takes list. Any thread. */
void kafc__consumer_commit_report(kafc_consumer_t *c, kafc_err_t err,
                                  kafc_topic_partition_list_t *list);

/* Records the error of the last API call (kafc_consumer_last_error) and
 * returns err. Application thread. */
kafc_err_t kafc__consumer_set_err(kafc_consumer_t *c, kafc_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* KAFC_ERR__INVALID_ARG (recorded) for an element without topic or with a
 * negative partition. */
kafc_err_t kafc__consumer_check_list(kafc_consumer_t *c, const kafc_topic_partition_list_t *l);
/* The first per-partition error of l, or KAFC_ERR_NONE. */
kafc_err_t kafc__consumer_first_err(const kafc_topic_partition_list_t *l);

/* ---- calls.c ------------------------------------------------------------ */

enum kafc__call_kind { CALL_COMMIT, CALL_COMMITTED, CALL_LIST_OFFSETS, CALL_LEAVE, CALL_SUBSCRIBE };

/* Runs a call on the I/O thread and waits for it unless async (the result
 * then goes to the offset commit callback). Takes list; *outp (may be
 * NULL) gets the resulting list. Application thread. */
kafc_err_t kafc__consumer_call(kafc_consumer_t *c, enum kafc__call_kind kind,
                               kafc_topic_partition_list_t *list, int timeout_ms, int async,
                               kafc_topic_partition_list_t **outp);
/* Frees the subscription. Under c->lock (or when nothing else runs). */
void kafc__consumer_sub_clear(kafc_consumer_t *c);
/* Gives up the whole group assignment on this thread: commits positions
 * (auto-commit), tells the rebalance callback, unassigns. */
void kafc__consumer_revoke_all(kafc_consumer_t *c);

/* fbuf helpers (any thread). */
kafc__fbuf_t *kafc__fbuf_new(kafc_consumer_t *c, uint8_t *data, size_t size);
void kafc__fbuf_unref(kafc__fbuf_t *b);
static inline void kafc__fbuf_ref(kafc__fbuf_t *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}
void kafc__fchunk_free(kafc__fchunk_t *ch);

/* Wakes the I/O thread (from any thread). */
void kafc__consumer_wake_io(kafc_consumer_t *c);

/* ---- fetcher.c (I/O thread) --------------------------------------------- */

/* Sends the Fetch and ListOffsets requests due; called from the client's
 * loop hook. */
void kafc__fetcher_run(kafc_consumer_t *c);

/* ListOffsets for one partition at a timestamp (-2 earliest, -1 latest, or
 * a time), for the application (offsets_for_times, watermarks). cb runs on
 * the I/O thread once. */
typedef void(kafc__lo_cb_t)(void *arg, kafc_err_t err, int64_t offset, int64_t timestamp);
void kafc__fetcher_list_offset(kafc_consumer_t *c, const char *topic, int32_t partition,
                               int64_t timestamp, int64_t deadline_ms, kafc__lo_cb_t *cb,
                               void *arg);

/* ---- group.c (I/O thread unless said) ------------------------------------- */

kafc_err_t kafc__group_new(kafc_consumer_t *c);
void kafc__group_destroy(kafc_consumer_t *c);
/* Runs the group state machine; called from the loop hook. */
void kafc__group_run(kafc_consumer_t *c);
/* The subscription changed (or was removed): rejoin or leave. */
void kafc__group_subscription_changed(kafc_consumer_t *c);
/* Partitions in NEED_COMMITTED: fetch their committed offsets. */
void kafc__group_fetch_committed(kafc_consumer_t *c);
/* The application finished serving a rebalance event of generation gen. */
void kafc__group_rebalance_done(kafc_consumer_t *c, int32_t gen);
/* Commits offsets (taken). done(arg, err, offsets) runs on the I/O thread
 * once; offsets then carry per-partition errors and are freed by done. */
typedef void(kafc__commit_done_t)(kafc_consumer_t *c, void *arg, kafc_err_t err,
                                  kafc_topic_partition_list_t *offsets);
void kafc__group_commit(kafc_consumer_t *c, kafc_topic_partition_list_t *offsets,
                        int64_t deadline_ms, kafc__commit_done_t *done, void *arg);
/* Committed offsets for partitions (taken) from the coordinator. */
void kafc__group_committed(kafc_consumer_t *c, kafc_topic_partition_list_t *partitions,
                           int64_t deadline_ms, kafc__commit_done_t *done, void *arg);
/* Leaves the group (close/unsubscribe): done runs once left (or failed). */
void kafc__group_leave(kafc_consumer_t *c, int64_t deadline_ms, kafc__commit_done_t *done,
                       void *arg);
/* "EAGER", "COOPERATIVE", "NONE". Any thread. */
const char *kafc__group_protocol(kafc_consumer_t *c);
/* Positions to auto-commit: assigned partitions whose app_pos moved past
 * their committed offset (NULL when none). Takes c->lock. */
kafc_topic_partition_list_t *
kafc__consumer_positions_to_commit(kafc_consumer_t *c, const kafc_topic_partition_list_t *only);

#endif /* KAFC_CONSUMER_CONSUMER_H */
