/*
 * kafc producer. Included by <kafc/kafc.h>.
 *
 * kafc_produce() is thread-safe and cheap: it encodes the record straight
 * into the open batch of its partition and returns. A background I/O thread
 * sends batches (grouped per broker), retries, and records the outcome; the
 * application receives one delivery report per accepted message from
 * kafc_producer_poll() / kafc_producer_flush(), on its own thread.
 */
#ifndef KAFC_PRODUCER_H
#define KAFC_PRODUCER_H

#ifndef KAFC_KAFC_H
#error "include <kafc/kafc.h>, not <kafc/producer.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafc_producer_s kafc_producer_t;

/* Let the partitioner choose the partition. */
#define KAFC_PARTITION_ANY (-1)

/* kafc_produce() flags: what happens to the key and value buffers. */
#define KAFC_MSG_F_COPY 0x0 /* copied during the call; the caller keeps them */
#define KAFC_MSG_F_FREE                                                                            \
    0x1 /* taken: kafc free()s them once they are encoded                                          \
           (on success; on failure the caller keeps them) */

/* The delivery report callback: called exactly once per message accepted by
 * kafc_produce(), from kafc_producer_poll()/flush() on the calling thread.
 * msg is borrowed until the callback returns. opaque is the value given to
 * kafc_conf_set_opaque(). */
typedef void(kafc_dr_cb_t)(kafc_producer_t *producer, const kafc_message_t *msg, void *opaque);

/* A custom partitioner: returns a partition in [0, partition_count) for the
 * key (NULL for a null key), or -1 to let kafc's configured partitioner
 * decide. Called on the thread calling kafc_produce(), possibly on several
 * threads at once. */
typedef int32_t(kafc_partitioner_cb_t)(const char *topic, const void *key, size_t key_len,
                                       int32_t partition_count, void *opaque);

/* Interceptors (called in the order they were added). on_send runs inside
 * kafc_produce() before partitioning; on_ack runs with each delivery report,
 * before the report callback. Neither may call back into the producer. */
typedef void(kafc_on_send_cb_t)(const char *topic, int32_t partition, const void *key,
                                size_t key_len, const void *value, size_t value_len,
                                void *ic_opaque);
typedef void(kafc_on_ack_cb_t)(const kafc_message_t *msg, void *ic_opaque);

/* Conf setters for the producer's callbacks (pointers borrowed until every
 * producer made from this conf is destroyed). */
KAFC_EXTERN void kafc_conf_set_dr_cb(kafc_conf_t *conf, kafc_dr_cb_t *cb);
KAFC_EXTERN void kafc_conf_set_opaque(kafc_conf_t *conf, void *opaque);
KAFC_EXTERN void kafc_conf_set_partitioner_cb(kafc_conf_t *conf, kafc_partitioner_cb_t *cb,
                                              void *opaque);
/* Adds an interceptor pair (either may be NULL). Returns KAFC_ERR__NO_MEMORY
 * or KAFC_ERR__INVALID_ARG (both NULL, or more than 16). */
KAFC_EXTERN kafc_err_t kafc_conf_add_interceptor(kafc_conf_t *conf, kafc_on_send_cb_t *on_send,
                                                 kafc_on_ack_cb_t *on_ack, void *ic_opaque);

/* Creates a producer from conf (copied). Returns NULL with errstr set when
 * the configuration cannot work: empty bootstrap.servers, conflicting
 * settings (e.g. enable.idempotence with acks other than all). Any thread. */
KAFC_EXTERN kafc_producer_t *kafc_producer_new(const kafc_conf_t *conf, char *errstr,
                                               size_t errstr_size);

/* Produces one message to topic (copied) at partition (or
 * KAFC_PARTITION_ANY). key/value may be NULL (null key / null value);
 * flags say whether they are copied or taken. headers (may be NULL) is
 * taken on success. timestamp is ms since the epoch, 0 for now. msg_opaque
 * comes back in the delivery report.
 *
 * Returns KAFC_ERR_NONE when accepted (exactly one delivery report will
 * follow), or, with nothing accepted and nothing taken:
 *   KAFC_ERR__INVALID_ARG         NULL/empty topic, partition < -1.
 *   KAFC_ERR__UNKNOWN_PARTITION   partition beyond the topic's count.
 *   KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION  the cluster says the topic does
 *                                 not exist (and does not create it).
 *   KAFC_ERR__MSG_SIZE_TOO_LARGE  the record exceeds message.max.bytes /
 *                                 max.request.size.
 *   KAFC_ERR__QUEUE_FULL          buffer.memory is used up and max.block.ms
 *                                 passed. It waits only while another
 *                                 thread is in kafc_producer_poll/flush
 *                                 with a timeout (batch memory comes back
 *                                 when a poll serves its delivery
 *                                 reports); otherwise, and when
 *                                 max.block.ms is 0, at once: poll, then
 *                                 produce again.
 *   KAFC_ERR__FATAL               the producer hit a fatal error (see
 *                                 kafc_producer_fatal_error()).
 *   KAFC_ERR__DESTROY             destroy has begun.
 *   KAFC_ERR__TIMED_OUT           the topic's metadata did not arrive within
 *                                 max.block.ms.
 * Any thread. */
KAFC_EXTERN kafc_err_t kafc_produce(kafc_producer_t *producer, const char *topic, int32_t partition,
                                    int flags, const void *key, size_t key_len, const void *value,
                                    size_t value_len, kafc_headers_t *headers, int64_t timestamp,
                                    void *msg_opaque);

/* One message for kafc_produce_batch(): an input descriptor (fields are only
 * ever added in a new major version). err is set by the call. */
typedef struct kafc_produce_msg {
    int32_t partition; /* or KAFC_PARTITION_ANY */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    kafc_headers_t *headers; /* taken when the message is accepted */
    int64_t timestamp;       /* 0: now */
    void *opaque;
    kafc_err_t err; /* out: KAFC_ERR_NONE when accepted, else as kafc_produce */
} kafc_produce_msg_t;

/* Produces count messages to topic in one call (one lock round per
 * partition batch instead of one per message), with the same flags for all.
 * Returns how many were accepted; msgs[i].err tells each one's fate. Stops
 * at nothing: every message is tried. Any thread. */
KAFC_EXTERN size_t kafc_produce_batch(kafc_producer_t *producer, const char *topic, int flags,
                                      kafc_produce_msg_t *msgs, size_t count);

/* Serves delivery reports (and log callbacks): waits up to timeout_ms
 * (0 = no wait, -1 = until one arrives) for the first, then serves what is
 * ready. Returns the number of events served. Any application thread. */
KAFC_EXTERN int kafc_producer_poll(kafc_producer_t *producer, int timeout_ms);

/* Sends everything queued now (ignoring linger.ms) and serves delivery
 * reports until every message produced before the call is reported or
 * timeout_ms passes (-1: no limit). Returns KAFC_ERR_NONE or
 * KAFC_ERR__TIMED_OUT (messages remain outstanding). */
KAFC_EXTERN kafc_err_t kafc_producer_flush(kafc_producer_t *producer, int timeout_ms);

/* Messages accepted but not yet reported. Any thread. */
KAFC_EXTERN int64_t kafc_producer_outstanding(kafc_producer_t *producer);

/* What kafc_producer_purge() drops. */
#define KAFC_PURGE_QUEUE 0x1 /* messages not yet sent: KAFC_ERR__PURGE_QUEUE */
#define KAFC_PURGE_INFLIGHT                                                                        \
    0x2 /* messages sent, awaiting a response:                                                     \
           KAFC_ERR__PURGE_INFLIGHT (possibly persisted) */

/* Fails the selected messages; their reports are served by the next poll.
 * Returns KAFC_ERR__INVALID_ARG for unknown flags. Any thread. */
KAFC_EXTERN kafc_err_t kafc_producer_purge(kafc_producer_t *producer, int flags);

/* KAFC_ERR_NONE, or the fatal error that stopped the producer (idempotence
 * violated, producer fenced) with its reason in errstr. Any thread. */
KAFC_EXTERN kafc_err_t kafc_producer_fatal_error(kafc_producer_t *producer, char *errstr,
                                                 size_t errstr_size);

/* The client inside the producer (borrowed, for kafc_metadata()). */
KAFC_EXTERN kafc_client_t *kafc_producer_client(kafc_producer_t *producer);

/* Flushes for up to timeout_ms (-1: no limit), then fails whatever remains
 * (KAFC_ERR__DESTROY; reported through the callback before this returns),
 * stops the I/O thread and frees the producer. Returns within timeout_ms
 * plus about one second even with every broker down. NULL is a no-op. */
KAFC_EXTERN void kafc_producer_destroy(kafc_producer_t *producer, int timeout_ms);

/* ---- serializers -------------------------------------------------------- */

/* Java's serializers, byte for byte: big-endian integers and IEEE-754
 * floating point (IntegerSerializer, LongSerializer, ShortSerializer,
 * FloatSerializer, DoubleSerializer), and UUIDSerializer's text form. Each
 * writes into out (of the size given) and returns the number of bytes. */
KAFC_EXTERN size_t kafc_serialize_int16(int16_t v, uint8_t out[2]);
KAFC_EXTERN size_t kafc_serialize_int32(int32_t v, uint8_t out[4]);
KAFC_EXTERN size_t kafc_serialize_int64(int64_t v, uint8_t out[8]);
KAFC_EXTERN size_t kafc_serialize_float(float v, uint8_t out[4]);
KAFC_EXTERN size_t kafc_serialize_double(double v, uint8_t out[8]);
/* uuid (16 bytes, big-endian) as the 36-character lowercase text Java's
 * UUID.toString() gives; out receives 36 bytes plus a NUL. */
KAFC_EXTERN size_t kafc_serialize_uuid(const uint8_t uuid[16], char out[37]);
/* And back; each returns KAFC_ERR__INVALID_ARG on a wrong length/format. */
KAFC_EXTERN kafc_err_t kafc_deserialize_int16(const void *in, size_t len, int16_t *v);
KAFC_EXTERN kafc_err_t kafc_deserialize_int32(const void *in, size_t len, int32_t *v);
KAFC_EXTERN kafc_err_t kafc_deserialize_int64(const void *in, size_t len, int64_t *v);
KAFC_EXTERN kafc_err_t kafc_deserialize_float(const void *in, size_t len, float *v);
KAFC_EXTERN kafc_err_t kafc_deserialize_double(const void *in, size_t len, double *v);
KAFC_EXTERN kafc_err_t kafc_deserialize_uuid(const void *in, size_t len, uint8_t uuid[16]);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_PRODUCER_H */
