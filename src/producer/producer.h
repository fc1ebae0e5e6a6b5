/*
 * producer — the producer handle: topics and partitions as the producer sees
 * them, per-partition queues of record batches (the accumulator), and
 * delivery reports. The sender (sender.c) drains the queues on the I/O
 * thread.
 *
 * Threads and locks:
 * - kafc_produce() runs on any application thread. It takes p->topics_lock
 *   (read-mostly topic table) briefly, then the partition's lock to append.
 * - The sender runs on the client's I/O thread and takes a partition's lock
 *   only to take batches off its queue or put them back.
 * - Delivery reports travel as client events and are served by poll.
 * Lock order: topics_lock before a partition lock; never the other way.
 */
#ifndef KAFC_PRODUCER_PRODUCER_H
#define KAFC_PRODUCER_PRODUCER_H

#include <stdatomic.h>
#include <stdint.h>

#include "client.h"
#include "message.h"
#include "producer/bufpool.h"
#include "producer/partitioner.h"
#include "record/batch.h"
#include "record/codec.h"
#include "util/thread.h"

/* What a batch keeps per message beyond its record: key, value and
 * timestamp are read back from the record in the batch buffer (see
 * kafc__pbatch_record_t in producer.c), so this stays at 16 bytes. */
typedef struct kafc__pmsg {
    void *opaque;
    kafc_headers_t *headers; /* taken from the caller; NULL when none */
} kafc__pmsg_t;

typedef struct kafc__pbatch kafc__pbatch_t;
typedef struct kafc__ppart kafc__ppart_t;
typedef struct kafc__ptopic kafc__ptopic_t;

struct kafc__pbatch {
    kafc__pbatch_t *next;
    kafc__ppart_t *part;
    uint8_t *buf; /* from the pool: the uncompressed batch */
    size_t cap;
    kafc__batch_builder_t b;
    int closed; /* no more appends */
    kafc__pmsg_t *msgs;
    int32_t nmsgs, msgs_cap;
    int64_t created_ms;
    int64_t deadline_ms; /* delivery.timeout.ms of its first message */
    int64_t retry_at_ms; /* not before (retry backoff) */
    int attempts;
    uint64_t order;        /* creation order within the partition */
    int32_t base_sequence; /* idempotence: assigned at first send */
    int sent_once;         /* went out at least once: possibly persisted */
    /* What goes on the wire (compressed copy, or buf itself). */
    uint8_t *wire;
    size_t wire_len;
    int wire_owned; /* wire was malloc'd (compressed) */
};

/* Each partition starts a cache line, and its I/O-thread-only part starts
 * another: the partition an application thread appends to then shares no
 * line with what the I/O thread writes for its neighbours. */
struct kafc__ppart {
    _Alignas(64) kafc__spin_t lock; /* guards the queue and the open batch */
    kafc__ptopic_t *topic;
    int32_t id;
    kafc__pbatch_t *head, *tail; /* queued batches, oldest first */
    /* Changed under lock; read without it by the sender to skip partitions
     * with nothing queued (seq_cst: see drain() in sender.c). */
    atomic_int nqueued;
    uint64_t next_order; /* under lock: the next batch's order */
    /* I/O thread only: */
    _Alignas(64) int32_t leader;
    int inflight;                /* batches of this partition in flight */
    uint64_t inflight_orders[8]; /* their creation orders (<= 5 in flight) */
    int32_t next_sequence;       /* idempotence */
};

struct kafc__ptopic {
    kafc__ptopic_t *next;
    char *name;
    /* Published by the I/O thread under topics_lock; read under it. */
    int32_t npartitions; /* -1: metadata not known yet */
    kafc_err_t err;      /* e.g. UNKNOWN_TOPIC_OR_PARTITION once known */
    kafc__ppart_t *parts;
    uint8_t *available; /* per partition: has a leader */
    kafc__ptopic_state_t pstate;
    int metadata_asked;
    atomic_int ready; /* set (release) once parts/npartitions are published */
};

struct kafc_producer_s {
    kafc_client_t *client;
    kafc_conf_t *conf; /* the client's copy (borrowed) */
    kafc__bufpool_t pool;
    kafc__partitioner_t partitioner;
    kafc_dr_cb_t *dr_cb;
    void *opaque;

    kafc__mutex_t topics_lock;
    kafc__cond_t topics_cond; /* metadata arrived for some topic */
    kafc__ptopic_t *topics;
    _Atomic(kafc__ptopic_t *) topics_pub; /* = topics, for lock-free readers */

    atomic_llong outstanding; /* accepted, not yet reported */
    atomic_int polling;       /* threads waiting in kafc_producer_poll/flush */
    atomic_int destroying;
    atomic_int fatal_err;
    char fatal_str[256];
    atomic_int flush_requested;
    atomic_int purge_flags; /* KAFC_PURGE_* asked, for the I/O thread */

    /* Settings read on the hot path. */
    int64_t linger_ms, delivery_timeout_ms, max_block_ms, retry_backoff_ms, retry_backoff_max_ms,
        request_timeout_ms;
    int32_t batch_size, batch_num_messages, max_request_size, message_max_bytes;
    int acks, codec, codec_level, idempotent, max_inflight;
    int sticky_null; /* keyless messages use the sticky partition */
    int32_t retries;

    /* I/O thread only: */
    kafc__codec_ctx_t *cctx;
    kafc__timer_t linger_timer;
    int64_t producer_id;
    int16_t producer_epoch;
    int pid_state;      /* 0 none, 1 asking, 2 have */
    int bump_pending;   /* KIP-360: bump the epoch once nothing is in flight */
    int inflight_total; /* batches in flight, all partitions */
    int64_t md_version_seen;
    struct preq *inflight_reqs; /* ProduceRequests awaiting completion */
};

/* ---- producer.c --------------------------------------------------------- */

/* Queues a delivery report event for every message of b (err, offset base
 * and persistence per message) and hands b to it: the batch's buffers are
 * released when the reports have been served. I/O thread. */
void kafc__producer_report(kafc_producer_t *p, kafc__pbatch_t *b, kafc_err_t err,
                           int64_t base_offset, int64_t log_append_time, kafc_persisted_t status);

/* Publishes fresh metadata to the topic table (partition counts, leaders,
 * availability) and wakes producers waiting for it. I/O thread. */
void kafc__producer_metadata_update(kafc_producer_t *p);

/* Splits b (MESSAGE_TOO_LARGE) into two batches holding its first and
 * second half, re-encoded, with b's order, deadline and (when it had one)
 * sequence range; frees b. Returns -1 (b untouched) when b holds one
 * message or memory is short. I/O thread. */
int kafc__producer_split(kafc_producer_t *p, kafc__pbatch_t *b, kafc__pbatch_t **firstp,
                         kafc__pbatch_t **secondp);

/* ---- sender.c ----------------------------------------------------------- */

/* Client hooks (arg: the producer). I/O thread. */
void kafc__sender_start(kafc_client_t *c, void *producer);
void kafc__sender_loop(kafc_client_t *c, void *producer);
void kafc__sender_stop(kafc_client_t *c, void *producer);

/* Frees a batch and returns its buffer to the pool. Any thread. */
void kafc__pbatch_free(kafc_producer_t *p, kafc__pbatch_t *b);

#endif /* KAFC_PRODUCER_PRODUCER_H */
