/*
 * kafc consumer. Included by <kafc/kafc.h>.
 *
 * A consumer reads partitions it is given by hand (kafc_assign) or through
 * a consumer group (kafc_subscribe with group.id). A background I/O thread
 * fetches ahead, bounded by queued.max.messages.kbytes over everything
 * buffered; kafc_consumer_poll() hands out messages that point straight into
 * the fetched response buffers (no copy per message).
 *
 * Every callback (rebalance, offset commit, logs) runs inside
 * kafc_consumer_poll() / _poll_batch() / _close() on the calling thread.
 * The API is thread-safe, but a consumer is normally used from one thread.
 */
#ifndef KAFC_CONSUMER_H
#define KAFC_CONSUMER_H

#ifndef KAFC_KAFC_H
#error "include <kafc/kafc.h>, not <kafc/consumer.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafc_consumer_s kafc_consumer_t;

/* Logical offsets. */
#define KAFC_OFFSET_BEGINNING (-2) /* the partition's first offset */
#define KAFC_OFFSET_END (-1)       /* the next offset to be written */
#define KAFC_OFFSET_STORED (-1000) /* the group's committed offset, else auto.offset.reset */
#define KAFC_OFFSET_INVALID (-1001)

/* ---- topic/partition lists ---------------------------------------------- */

typedef struct kafc_topic_partition {
    char *topic; /* owned by the list */
    int32_t partition;
    int64_t offset;       /* or a logical offset above */
    int32_t leader_epoch; /* -1: unknown */
    char *metadata;       /* commit metadata (owned; NULL: none) */
    kafc_err_t err;       /* per-partition result of an operation */
} kafc_topic_partition_t;

typedef struct kafc_topic_partition_list {
    int cnt;  /* elements in use */
    int size; /* allocated */
    kafc_topic_partition_t *elems;
} kafc_topic_partition_list_t;

/* A new empty list with room for size elements (grows as needed); NULL when
 * out of memory. */
KAFC_EXTERN kafc_topic_partition_list_t *kafc_topic_partition_list_new(int size);
KAFC_EXTERN void kafc_topic_partition_list_destroy(kafc_topic_partition_list_t *list);
/* Appends topic (copied) / partition with offset KAFC_OFFSET_INVALID and
 * returns the new element, or NULL (out of memory, NULL/empty topic). */
KAFC_EXTERN kafc_topic_partition_t *kafc_topic_partition_list_add(kafc_topic_partition_list_t *list,
                                                                  const char *topic,
                                                                  int32_t partition);
/* The element for topic/partition, or NULL. */
KAFC_EXTERN kafc_topic_partition_t *
kafc_topic_partition_list_find(const kafc_topic_partition_list_t *list, const char *topic,
                               int32_t partition);
/* A deep copy, or NULL when out of memory. */
KAFC_EXTERN kafc_topic_partition_list_t *
kafc_topic_partition_list_copy(const kafc_topic_partition_list_t *list);
/* Sorts by topic, then partition. */
KAFC_EXTERN void kafc_topic_partition_list_sort(kafc_topic_partition_list_t *list);

/* ---- callbacks ----------------------------------------------------------- */

typedef enum kafc_rebalance_event {
    KAFC_REBALANCE_ASSIGNED = 1, /* partitions were added to the assignment */
    KAFC_REBALANCE_REVOKED = 2,  /* partitions are being taken away */
    KAFC_REBALANCE_LOST = 3      /* partitions were lost (no commit possible) */
} kafc_rebalance_event_t;

/* Told of group assignment changes, as Java's ConsumerRebalanceListener:
 * kafc applies the change itself. REVOKED runs before the partitions go
 * (after the automatic commit when enable.auto.commit is on; the callback
 * may commit by hand); ASSIGNED after they are added (the callback may
 * seek). With the eager protocol REVOKED lists the whole assignment and
 * ASSIGNED the whole new one; with cooperative-sticky both list only what
 * changes. partitions is borrowed for the call. */
typedef void(kafc_rebalance_cb_t)(kafc_consumer_t *consumer, kafc_rebalance_event_t event,
                                  const kafc_topic_partition_list_t *partitions, void *opaque);

/* The outcome of a commit: err for the whole request (KAFC_ERR_NONE when
 * it reached the coordinator) and each partition's own err in offsets
 * (borrowed for the call). */
typedef void(kafc_offset_commit_cb_t)(kafc_consumer_t *consumer, kafc_err_t err,
                                      const kafc_topic_partition_list_t *offsets, void *opaque);

/* The opaque for both is the one given to kafc_conf_set_opaque(). Pointers
 * are borrowed until every consumer made from this conf is destroyed. */
KAFC_EXTERN void kafc_conf_set_rebalance_cb(kafc_conf_t *conf, kafc_rebalance_cb_t *cb);
KAFC_EXTERN void kafc_conf_set_offset_commit_cb(kafc_conf_t *conf, kafc_offset_commit_cb_t *cb);

/* ---- lifecycle ------------------------------------------------------------ */

/* Creates a consumer from conf (copied). NULL with errstr set when the
 * configuration cannot work (empty bootstrap.servers, heartbeat.interval.ms
 * not below session.timeout.ms, group.instance.id without group.id...). */
KAFC_EXTERN kafc_consumer_t *kafc_consumer_new(const kafc_conf_t *conf, char *errstr,
                                               size_t errstr_size);

/* Leaves cleanly within timeout_ms: commits the positions when
 * enable.auto.commit is on, tells the rebalance callback the partitions are
 * REVOKED, leaves the group (static members stay: the group keeps their
 * partitions for session.timeout.ms), and stops fetching. Messages still
 * held by the application stay valid. Later polls return NULL and
 * kafc_consumer_last_error() says KAFC_ERR__STATE. Returns KAFC_ERR_NONE,
 * or the commit's error. */
KAFC_EXTERN kafc_err_t kafc_consumer_close(kafc_consumer_t *consumer, int timeout_ms);

/* Closes (when not done, with a 10 s bound) and frees the consumer. Destroy
 * every message from poll first: messages point into the consumer's
 * buffers. */
KAFC_EXTERN void kafc_consumer_destroy(kafc_consumer_t *consumer);

/* The underlying client (for kafc_metadata()). */
KAFC_EXTERN kafc_client_t *kafc_consumer_client(kafc_consumer_t *consumer);

/* ---- subscription and assignment ------------------------------------------ */

/* Joins group.id's consumer group with interest in topics: exact names, and
 * regular expressions (POSIX extended) for entries starting with '^',
 * matched against every topic in metadata and re-evaluated on each refresh.
 * Replaces an earlier subscription. Errors: KAFC_ERR__INVALID_ARG (empty
 * list, empty name, bad regex: errstr says which), KAFC_ERR__STATE (no
 * group.id, or a manual assignment is in place). */
KAFC_EXTERN kafc_err_t kafc_subscribe(kafc_consumer_t *consumer, const char *const *topics,
                                      int ntopics, char *errstr, size_t errstr_size);
/* Leaves the group (revoking the assignment). */
KAFC_EXTERN kafc_err_t kafc_unsubscribe(kafc_consumer_t *consumer);
/* The current subscription (a new list; partitions -1), or NULL. */
KAFC_EXTERN kafc_topic_partition_list_t *kafc_subscription(kafc_consumer_t *consumer);

/* Manual assignment: replaces the whole assignment with partitions (NULL or
 * empty: none). Each element's offset says where to start: an absolute
 * offset, KAFC_OFFSET_BEGINNING/END, or KAFC_OFFSET_STORED/INVALID for the
 * committed offset (with group.id) else auto.offset.reset. Errors:
 * KAFC_ERR__STATE when subscribed, KAFC_ERR__INVALID_ARG. */
KAFC_EXTERN kafc_err_t kafc_assign(kafc_consumer_t *consumer,
                                   const kafc_topic_partition_list_t *partitions);
/* Adds / removes partitions. Adding one already assigned, or removing one
 * not assigned, is KAFC_ERR__INVALID_ARG (nothing changes). */
KAFC_EXTERN kafc_err_t kafc_incremental_assign(kafc_consumer_t *consumer,
                                               const kafc_topic_partition_list_t *partitions);
KAFC_EXTERN kafc_err_t kafc_incremental_unassign(kafc_consumer_t *consumer,
                                                 const kafc_topic_partition_list_t *partitions);
/* The current assignment (a new list, sorted), or NULL when out of memory. */
KAFC_EXTERN kafc_topic_partition_list_t *kafc_assignment(kafc_consumer_t *consumer);
/* "EAGER" or "COOPERATIVE" (the protocol of the group's chosen assignor),
 * "NONE" before any rebalance. */
KAFC_EXTERN const char *kafc_rebalance_protocol(kafc_consumer_t *consumer);

/* ---- consuming ------------------------------------------------------------ */

/* The next message or per-partition event, waiting up to timeout_ms (-1:
 * forever), or NULL when there is none. Check kafc_message_err(): messages
 * have KAFC_ERR_NONE; KAFC_ERR__PARTITION_EOF says a partition reached its
 * end (with enable.partition.eof; offset = the end offset); other errors
 * concern the message's partition (e.g. KAFC_ERR__CRC_MISMATCH at the
 * offset of a corrupt batch) or the consumer (partition -1, topic ""); the
 * value of an error message is a description. Serves the callbacks that
 * are due. Destroy each message with kafc_message_destroy. */
KAFC_EXTERN kafc_message_t *kafc_consumer_poll(kafc_consumer_t *consumer, int timeout_ms);
/* Up to max (at most max.poll.records when max <= 0) messages into msgs;
 * waits up to timeout_ms for the first. Returns the count (0 on timeout). */
KAFC_EXTERN int kafc_consumer_poll_batch(kafc_consumer_t *consumer, kafc_message_t **msgs, int max,
                                         int timeout_ms);
/* Frees a message from poll (the buffers it points into are released with
 * the last message using them). NULL is a no-op. */
KAFC_EXTERN void kafc_message_destroy(kafc_message_t *msg);
/* The leader epoch of the batch a consumed message came from (-1: unknown). */
KAFC_EXTERN int32_t kafc_message_leader_epoch(const kafc_message_t *msg);

/* The error of the last API call that returned NULL or a count, with a
 * description in errstr (may be NULL). */
KAFC_EXTERN kafc_err_t kafc_consumer_last_error(kafc_consumer_t *consumer, char *errstr,
                                                size_t errstr_size);

/* ---- positions and offsets -------------------------------------------------- */

/* Moves the partition (assigned) to offset (absolute or logical); messages
 * of the old position already fetched are discarded. Errors:
 * KAFC_ERR__UNKNOWN_PARTITION when not assigned. */
KAFC_EXTERN kafc_err_t kafc_seek(kafc_consumer_t *consumer, const char *topic, int32_t partition,
                                 int64_t offset);
/* Stops / resumes fetching the listed (assigned) partitions; polls return no
 * new messages for paused ones. */
KAFC_EXTERN kafc_err_t kafc_pause(kafc_consumer_t *consumer,
                                  const kafc_topic_partition_list_t *partitions);
KAFC_EXTERN kafc_err_t kafc_resume(kafc_consumer_t *consumer,
                                   const kafc_topic_partition_list_t *partitions);
/* Fills each element's offset with the consumer's position: the offset of
 * the next message poll would return (KAFC_OFFSET_INVALID when none was
 * returned or set yet), err KAFC_ERR__UNKNOWN_PARTITION when not assigned. */
KAFC_EXTERN kafc_err_t kafc_position(kafc_consumer_t *consumer,
                                     kafc_topic_partition_list_t *partitions);

/* Commits offsets (NULL: the positions of every assigned partition that
 * moved since its last commit) to the group coordinator. Committing a
 * partition that is not assigned is allowed with explicit offsets only when
 * not subscribed (standalone commit); in a group it is
 * KAFC_ERR__INVALID_ARG. kafc_commit waits up to request.timeout.ms and
 * returns the first error (per-partition errors also in offsets when given);
 * kafc_commit_async returns at once and reports through the offset commit
 * callback inside a later poll. KAFC_ERR__NO_OFFSET: nothing to commit. */
KAFC_EXTERN kafc_err_t kafc_commit(kafc_consumer_t *consumer, kafc_topic_partition_list_t *offsets);
KAFC_EXTERN kafc_err_t kafc_commit_async(kafc_consumer_t *consumer,
                                         const kafc_topic_partition_list_t *offsets);
/* Fills each element's offset (and metadata) with the group's committed
 * offset (KAFC_OFFSET_INVALID when none). */
KAFC_EXTERN kafc_err_t kafc_committed(kafc_consumer_t *consumer,
                                      kafc_topic_partition_list_t *partitions, int timeout_ms);

/* For each element, replaces its offset (a timestamp in ms) with the
 * earliest offset whose timestamp is at or after it (KAFC_OFFSET_END when
 * none); per-partition errors in err. */
KAFC_EXTERN kafc_err_t kafc_offsets_for_times(kafc_consumer_t *consumer,
                                              kafc_topic_partition_list_t *partitions,
                                              int timeout_ms);
/* The partition's first offset and its high watermark, asked from the
 * leader. */
KAFC_EXTERN kafc_err_t kafc_query_watermark_offsets(kafc_consumer_t *consumer, const char *topic,
                                                    int32_t partition, int64_t *low, int64_t *high,
                                                    int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_CONSUMER_H */
