/*
 * batch — builds Kafka record batches (magic 2) in caller memory.
 *
 * A builder appends records one at a time straight into a buffer the caller
 * provides (the producer's pooled batch buffer): the 61-byte batch header is
 * reserved first and filled in by kafc__batch_close(), which patches
 * batchLength, lastOffsetDelta, the timestamps, the record count, the
 * attributes and the CRC-32C (over attributes..end). An append that would not
 * fit writes nothing and returns KAFC_ERR__BUF_OVERFLOW, so the caller closes
 * the batch and opens a new one. kafc__batch_close_compressed() compresses the
 * records section (everything after the header) into a second caller buffer.
 * kafc__batch_set_producer() patches producer id, epoch and base sequence of a
 * closed batch (plain or compressed) and recomputes its CRC: the producer
 * assigns sequences when it drains a batch, after it was built.
 *
 * Threads and locks: any thread, no lock, no I/O. A builder is used by one
 * thread at a time (the producer's partition lock serialises appends).
 *
 * Ownership: the builder borrows its buffer from init until the caller stops
 * using the builder; it never allocates. Keys, values and headers given to
 * append are copied into the buffer before append returns.
 *
 * Wire format (all integers big-endian; see the offsets below):
 *   baseOffset int64, batchLength int32, partitionLeaderEpoch int32,
 *   magic int8 (2), crc uint32, attributes int16, lastOffsetDelta int32,
 *   baseTimestamp int64, maxTimestamp int64, producerId int64,
 *   producerEpoch int16, baseSequence int32, recordCount int32, records.
 *   Record: length varint, attributes int8, timestampDelta varlong,
 *   offsetDelta varint, keyLength varint (-1 null), key, valueLength varint,
 *   value, headerCount varint, headers (keyLength varint, key,
 *   valueLength varint (-1 null), value).
 */
#ifndef KAFC_RECORD_BATCH_H
#define KAFC_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"
#include "record/codec.h"

/* ---- format constants ---------------------------------------------------- */

#define KAFC__BATCH_MAGIC 2
/* Bytes before the first record. */
#define KAFC__BATCH_HEADER_SIZE 61
/* baseOffset + batchLength: the bytes batchLength does not count. */
#define KAFC__BATCH_LOG_OVERHEAD 12

/* Field offsets within the header. */
#define KAFC__BATCH_OFF_BASE_OFFSET 0
#define KAFC__BATCH_OFF_LENGTH 8
#define KAFC__BATCH_OFF_LEADER_EPOCH 12
#define KAFC__BATCH_OFF_MAGIC 16
#define KAFC__BATCH_OFF_CRC 17
#define KAFC__BATCH_OFF_ATTRIBUTES 21
#define KAFC__BATCH_OFF_LAST_OFFSET_DELTA 23
#define KAFC__BATCH_OFF_BASE_TIMESTAMP 27
#define KAFC__BATCH_OFF_MAX_TIMESTAMP 35
#define KAFC__BATCH_OFF_PRODUCER_ID 43
#define KAFC__BATCH_OFF_PRODUCER_EPOCH 51
#define KAFC__BATCH_OFF_BASE_SEQUENCE 53
#define KAFC__BATCH_OFF_RECORD_COUNT 57

/* Batch attribute bits. */
#define KAFC__BATCH_ATTR_CODEC_MASK 0x07
#define KAFC__BATCH_ATTR_LOG_APPEND_TIME 0x08
#define KAFC__BATCH_ATTR_TRANSACTIONAL 0x10
#define KAFC__BATCH_ATTR_CONTROL 0x20

/* "None" values of the producer fields, as Kafka writes them. */
#define KAFC__NO_PRODUCER_ID ((int64_t)-1)
#define KAFC__NO_PRODUCER_EPOCH ((int16_t)-1)
#define KAFC__NO_SEQUENCE ((int32_t)-1)
#define KAFC__NO_TIMESTAMP ((int64_t)-1)
/* partitionLeaderEpoch a producer writes (the broker sets it). */
#define KAFC__NO_PARTITION_LEADER_EPOCH ((int32_t)-1)
/* kafc__batch_opts_t.base_timestamp: take the first record's timestamp. */
#define KAFC__BATCH_TS_FIRST INT64_MIN

/* Upper bound of the bytes a record adds beyond its key, value and headers
 * bytes: length varint 5 + attributes 1 + timestampDelta 10 + offsetDelta 5
 * + key and value length varints 5 + 5 + header count 5. */
#define KAFC__RECORD_MAX_OVERHEAD 36

/* Control record types (the key's type field). */
#define KAFC__CONTROL_ABORT 0
#define KAFC__CONTROL_COMMIT 1

/* A record header to append: key is a string (key_len bytes, not
 * NUL-terminated, key_len >= 0), value is bytes: value NULL with value_len -1
 * is a null value. Borrowed for the append call. */
typedef struct kafc__record_header {
    const char *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
} kafc__record_header_t;

/* Settings of a new batch. kafc__batch_opts_default() fills the defaults:
 * no producer id/epoch/sequence, base timestamp from the first record, no
 * flags. */
typedef struct kafc__batch_opts {
    int64_t producer_id;    /* KAFC__NO_PRODUCER_ID when not idempotent */
    int16_t producer_epoch; /* KAFC__NO_PRODUCER_EPOCH */
    int32_t base_sequence;  /* KAFC__NO_SEQUENCE */
    /* KAFC__BATCH_TS_FIRST, or a fixed base all deltas are taken from. */
    int64_t base_timestamp;
    /* 0, or KAFC__BATCH_ATTR_TRANSACTIONAL and/or KAFC__BATCH_ATTR_CONTROL.
     * Timestamps are CreateTime; the codec is set at close. */
    int16_t flags;
} kafc__batch_opts_t;

/* The builder. Fields are private to batch.c; read them through the
 * accessors below. */
typedef struct kafc__batch_builder {
    uint8_t *buf;   /* borrowed: the caller's buffer */
    size_t cap;     /* usable bytes at buf (at most INT32_MAX) */
    size_t len;     /* bytes used, header included */
    int32_t count;  /* records appended */
    int16_t flags;  /* attribute bits other than the codec */
    int fixed_base; /* 1: base_timestamp came from the opts */
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
} kafc__batch_builder_t;

/* Fills *opts with the defaults described at kafc__batch_opts_t. */
void kafc__batch_opts_default(kafc__batch_opts_t *opts);

/* Starts an empty batch in buf (cap bytes, borrowed while b is used; only the
 * first INT32_MAX bytes are used). opts NULL means the defaults.
 * Errors: KAFC_ERR__BUF_OVERFLOW when cap < KAFC__BATCH_HEADER_SIZE;
 * KAFC_ERR__INVALID_ARG for a NULL b or buf, or flags other than
 * TRANSACTIONAL | CONTROL. Any thread; no lock. */
kafc_err_t kafc__batch_init(kafc__batch_builder_t *b, void *buf, size_t cap,
                            const kafc__batch_opts_t *opts);

/* Exact encoded size of one record (length varint included) with the given
 * deltas, key_len/value_len (-1 for null) and headers. Returns SIZE_MAX for
 * arguments that cannot be encoded (see kafc__batch_append). Any thread. */
size_t kafc__batch_record_size(int64_t timestamp_delta, int32_t offset_delta, int32_t key_len,
                               int32_t value_len, const kafc__record_header_t *headers,
                               size_t n_headers);

/* Upper bound of the encoded size of a record whatever its deltas: a batch
 * buffer of KAFC__BATCH_HEADER_SIZE + this many bytes always takes the
 * record as its first one. SIZE_MAX for arguments that cannot be encoded.
 * Any thread. */
size_t kafc__batch_record_size_max(int32_t key_len, int32_t value_len,
                                   const kafc__record_header_t *headers, size_t n_headers);

/* Appends one record: timestamp (ms; the first record's becomes the base
 * unless opts fixed one), key (key_len bytes; key_len -1: null key), value
 * likewise, n_headers headers. Everything is copied into the buffer.
 * Errors, each leaving the batch unchanged:
 * KAFC_ERR__BUF_OVERFLOW: the record does not fit in the room left (an empty
 *   batch takes any record that fits in cap - KAFC__BATCH_HEADER_SIZE);
 * KAFC_ERR__INVALID_ARG: a length below -1, NULL data with a positive length,
 *   a header key_len < 0 or NULL header key with key_len > 0, or more than
 *   INT32_MAX headers or records.
 * Any thread; one builder per thread at a time. */
kafc_err_t kafc__batch_append(kafc__batch_builder_t *b, int64_t timestamp, const void *key,
                              int32_t key_len, const void *value, int32_t value_len,
                              const kafc__record_header_t *headers, size_t n_headers);

/* Appends a control record (the batch should have been opened with
 * KAFC__BATCH_ATTR_CONTROL): key version 0 + type (KAFC__CONTROL_ABORT or
 * _COMMIT), value version 0 + coordinator_epoch. Errors as kafc__batch_append.
 * Any thread. */
kafc_err_t kafc__batch_append_control(kafc__batch_builder_t *b, int64_t timestamp, int16_t type,
                                      int32_t coordinator_epoch);

/* Bytes used so far, header included: what kafc__batch_close would return. */
static inline size_t kafc__batch_size(const kafc__batch_builder_t *b)
{
    return b->len;
}

/* Records appended so far. */
static inline int32_t kafc__batch_count(const kafc__batch_builder_t *b)
{
    return b->count;
}

/* Bytes still free in the buffer. */
static inline size_t kafc__batch_room(const kafc__batch_builder_t *b)
{
    return b->cap - b->len;
}

/* Sets producer id, epoch and base sequence of a batch still being built
 * (taken into the header at close). Any thread. */
void kafc__batch_builder_set_producer(kafc__batch_builder_t *b, int64_t producer_id,
                                      int16_t producer_epoch, int32_t base_sequence);

/* Writes the header (baseOffset 0, batchLength, partitionLeaderEpoch -1,
 * magic 2, attributes without codec, lastOffsetDelta, timestamps, producer
 * fields, count) and the CRC-32C, and returns the batch's total length: the
 * batch is buf[0 .. return). An empty batch is closed with lastOffsetDelta
 * -1 and timestamps -1 (unless a base was fixed). Calling it again (after
 * more appends, or after kafc__batch_close_compressed) rewrites the header.
 * Any thread. */
size_t kafc__batch_close(kafc__batch_builder_t *b);

/* Bytes dst needs for kafc__batch_close_compressed with codec: the header
 * plus the codec's bound for the records section. SIZE_MAX for an unknown
 * codec. Any thread. */
size_t kafc__batch_compressed_bound(const kafc__batch_builder_t *b, kafc__codec_t codec);

/* Closes the batch as a compressed batch in dst (dst_cap bytes, borrowed for
 * the call; it must not overlap b's buffer): the header is copied, the
 * records section compressed with codec at level (as codec.h defines it;
 * KAFC__CODEC_LEVEL_DEFAULT for the default) after it, and length,
 * attributes and CRC patched. ctx is a codec context of this thread, or NULL. *dst_len gets
 * the compressed batch's total length. codec KAFC__CODEC_NONE copies the
 * batch as kafc__batch_close would write it.
 * b's own buffer is left with a header but no valid CRC: call
 * kafc__batch_close to use the uncompressed batch instead (for instance when
 * compression did not shrink it).
 * Errors: KAFC_ERR__BUF_OVERFLOW when dst_cap is too small (give it
 * kafc__batch_compressed_bound bytes) or the result exceeds INT32_MAX;
 * KAFC_ERR__INVALID_ARG for an unknown codec or a bad level; the codec's own
 * errors (KAFC_ERR__COMPRESS, KAFC_ERR__UNSUPPORTED_FEATURE for a codec this
 * build lacks, KAFC_ERR__NO_MEMORY). Any thread; ctx used by one thread at a
 * time. */
kafc_err_t kafc__batch_close_compressed(kafc__batch_builder_t *b, kafc__codec_ctx_t *ctx,
                                        kafc__codec_t codec, int level, void *dst, size_t dst_cap,
                                        size_t *dst_len);

/* Patches producer id, epoch and base sequence of a closed batch of len
 * bytes at buf (plain or compressed; borrowed for the call) and recomputes
 * its CRC.
 * Errors: KAFC_ERR__INVALID_ARG when buf is not one whole magic-2 batch
 * (len < header, magic not 2, or batchLength + 12 != len). Any thread. */
kafc_err_t kafc__batch_set_producer(void *buf, size_t len, int64_t producer_id,
                                    int16_t producer_epoch, int32_t base_sequence);

/* Recomputes and writes the CRC-32C of a whole magic-2 batch of len bytes at
 * buf (after any other patch). Errors as kafc__batch_set_producer. */
kafc_err_t kafc__batch_patch_crc(void *buf, size_t len);

#endif /* KAFC_RECORD_BATCH_H */
