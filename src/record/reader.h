/*
 * reader — iterates the batches and records of a Fetch response's `records`
 * bytes without copying them.
 *
 * A batch iterator walks the entries of a records range and, for each, gives
 * its header fields (kafc__batch_view_t). It dispatches on the magic byte at
 * offset 16: magic 2 is a record batch, magic 0 and 1 are legacy messages
 * (legacy.h) that appear as one-entry "batches" of the same view type. A
 * truncated trailing entry is normal in a Fetch response (the broker cuts at
 * max bytes) and ends the iteration without error; anything inconsistent in
 * the entries before it (bad length, unknown magic, CRC mismatch when
 * checking) is an error, and iteration stops there.
 *
 * A record iterator walks one batch's records and yields kafc__record_t
 * views: key, value and headers point into the batch bytes, or, for a
 * compressed batch, into the buffer its records section was decompressed to
 * (by the codec module, up to a hard cap). Every varint is checked, every
 * length must lie within its record, every record within the batch, and the
 * header's record count must match the records found.
 *
 * Threads and locks: any thread, no lock, no I/O. Nothing is allocated
 * except the decompressed copy of a compressed batch. An iterator is used by
 * one thread at a time.
 *
 * Ownership: iterators and views borrow the records bytes given at init;
 * views stay valid while those bytes are unchanged. A record iterator owns
 * the decompressed buffer of a compressed batch until it is detached (the
 * caller then frees it) or cleared.
 */
#ifndef KAFC_RECORD_READER_H
#define KAFC_RECORD_READER_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"
#include "record/batch.h"
#include "record/codec.h"
#include "util/buf.h"

/* The header fields of one batch (magic 2) or one legacy message (magic 0/1,
 * mapped as described per field). */
typedef struct kafc__batch_view {
    const uint8_t *data; /* the whole entry, borrowed */
    size_t size;         /* its bytes: 12 + length */
    /* Magic 2: the first record's offset. Legacy: the message's offset; for a
     * compressed wrapper that is the offset of its LAST inner message. */
    int64_t base_offset;
    int32_t length;
    int32_t partition_leader_epoch; /* legacy: -1 */
    int8_t magic;
    uint32_t crc;
    /* Magic 2: the batch attributes. Legacy: the message attributes, whose
     * codec (bits 0-2) and timestamp type (bit 3) bits mean the same. */
    int16_t attributes;
    int32_t last_offset_delta; /* legacy: 0 */
    int64_t base_timestamp;    /* legacy v1: the message timestamp; v0: -1 */
    int64_t max_timestamp;     /* likewise */
    int64_t producer_id;       /* legacy: -1 */
    int16_t producer_epoch;    /* legacy: -1 */
    int32_t base_sequence;     /* legacy: -1 */
    /* Magic 2: the header's count. Legacy: 1, or -1 for a compressed wrapper
     * (known only once decompressed). */
    int32_t record_count;
} kafc__batch_view_t;

static inline kafc__codec_t kafc__batch_view_codec(const kafc__batch_view_t *b)
{
    return (kafc__codec_t)(b->attributes & KAFC__BATCH_ATTR_CODEC_MASK);
}

static inline int kafc__batch_view_is_control(const kafc__batch_view_t *b)
{
    return b->magic >= 2 && (b->attributes & KAFC__BATCH_ATTR_CONTROL) != 0;
}

static inline int kafc__batch_view_is_transactional(const kafc__batch_view_t *b)
{
    return b->magic >= 2 && (b->attributes & KAFC__BATCH_ATTR_TRANSACTIONAL) != 0;
}

static inline int kafc__batch_view_log_append_time(const kafc__batch_view_t *b)
{
    return b->magic >= 1 && (b->attributes & KAFC__BATCH_ATTR_LOG_APPEND_TIME) != 0;
}

/* The offset of the batch's last record (base + lastOffsetDelta; a legacy
 * message's own offset): the consumer's next fetch offset is this + 1. */
static inline int64_t kafc__batch_view_last_offset(const kafc__batch_view_t *b)
{
    return (int64_t)((uint64_t)b->base_offset + (uint64_t)(int64_t)b->last_offset_delta);
}

/* Iterator over the entries of a records range. Fields are private. */
typedef struct kafc__batch_iter {
    const uint8_t *data; /* borrowed */
    size_t len;
    size_t pos;
    int check_crcs;
    int partial;    /* 1 once a truncated trailing entry ended iteration */
    kafc_err_t err; /* first error, sticky */
} kafc__batch_iter_t;

/* Starts iterating len bytes at data (borrowed while the iterator and its
 * views are used; NULL with len 0 is an empty range). check_crcs nonzero
 * verifies each entry's CRC (CRC-32C for magic 2, CRC-32 for legacy). */
void kafc__batch_iter_init(kafc__batch_iter_t *it, const void *data, size_t len, int check_crcs);

/* Fills *out with the next entry and returns 1; returns 0 at the end or on
 * error (see kafc__batch_iter_err). Errors: KAFC_ERR__BAD_MSG (length below
 * the minimum for its magic; a legacy message whose key and value do not
 * fill it exactly), KAFC_ERR__UNSUPPORTED_VERSION (magic not 0, 1 or 2),
 * KAFC_ERR__CRC_MISMATCH (when checking). A truncated last entry is not an
 * error: it ends iteration and sets kafc__batch_iter_partial(). Any thread. */
int kafc__batch_iter_next(kafc__batch_iter_t *it, kafc__batch_view_t *out);

/* The first error met, or KAFC_ERR_NONE (also after a clean end). */
static inline kafc_err_t kafc__batch_iter_err(const kafc__batch_iter_t *it)
{
    return it->err;
}

/* 1 when iteration stopped at a truncated trailing entry. */
static inline int kafc__batch_iter_partial(const kafc__batch_iter_t *it)
{
    return it->partial;
}

/* Bytes of whole entries consumed so far. */
static inline size_t kafc__batch_iter_consumed(const kafc__batch_iter_t *it)
{
    return it->pos;
}

/* Checks the CRC of one entry (the view from kafc__batch_iter_next).
 * Returns KAFC_ERR_NONE or KAFC_ERR__CRC_MISMATCH. Any thread. */
kafc_err_t kafc__batch_view_check_crc(const kafc__batch_view_t *b);

/* One record, as views into the batch (or decompressed) bytes. */
typedef struct kafc__record {
    int64_t offset;
    /* CreateTime: base + delta (legacy: the message's); LogAppendTime: the
     * batch's maxTimestamp (legacy: the wrapper's). -1 for magic 0. */
    int64_t timestamp;
    kafc__slice_t key;      /* len -1 (ptr NULL): null */
    kafc__slice_t value;    /* len -1 (ptr NULL): null */
    const uint8_t *headers; /* the encoded headers (validated), for headers_iter */
    int32_t headers_len;
    int32_t header_count; /* 0 for legacy */
    int8_t attributes;    /* record attributes (magic 2: unused, 0) */
} kafc__record_t;

/* Iterator over the records of one batch. Fields are private. */
typedef struct kafc__record_iter {
    const uint8_t *p;   /* next record */
    const uint8_t *end; /* end of the records section */
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int32_t left; /* records the header still promises */
    int log_append_time;
    int8_t magic;
    int check_crcs;
    kafc_err_t err;
    int64_t legacy_adjust; /* legacy: added to inner offsets (magic 1) */
    uint8_t *owned;        /* decompressed records section, malloc()ed */
    size_t owned_len;
} kafc__record_iter_t;

/* Starts iterating the records of batch (a view from kafc__batch_iter_next;
 * the view is copied, the bytes it points at borrowed). A compressed batch's
 * records section (a legacy wrapper's value) is decompressed with the codec
 * module (ctx: a codec context of this thread, or NULL) into a buffer the
 * iterator owns, of at most max_decompressed bytes: more is an error, never
 * a larger allocation. Then the records' views point into that buffer: keep
 * it with kafc__record_iter_detach, or free it with kafc__record_iter_clear.
 * check_crcs verifies the CRC-32 of the inner messages of legacy compressed
 * sets (outer CRCs are the batch iterator's job).
 * Always call kafc__record_iter_clear (or _detach) after init, even when init
 * failed. Returns KAFC_ERR_NONE, or the error (also kept for
 * kafc__record_iter_err):
 * KAFC_ERR__BAD_MSG (negative count, a count the bytes cannot hold, codec
 * number over 4 (over 3 for legacy), legacy null wrapper value, nested
 * compression, an inner message set that is truncated or mixes magics),
 * KAFC_ERR__DECOMPRESS (corrupt, or over max_decompressed),
 * KAFC_ERR__UNSUPPORTED_FEATURE (codec not in this build),
 * KAFC_ERR__NO_MEMORY, KAFC_ERR__CRC_MISMATCH (legacy inner message, when
 * checking). Any thread. */
kafc_err_t kafc__record_iter_init(kafc__record_iter_t *it, const kafc__batch_view_t *batch,
                                  kafc__codec_ctx_t *ctx, size_t max_decompressed, int check_crcs);

/* Fills *out with the next record and returns 1; returns 0 at the end or on
 * error. Errors (kafc__record_iter_err): KAFC_ERR__BAD_MSG for a malformed
 * varint, a length outside its record, a record outside the batch, a header
 * count below 0, or a record count that does not match the records present;
 * KAFC_ERR__CRC_MISMATCH for a legacy inner message (when checking). */
int kafc__record_iter_next(kafc__record_iter_t *it, kafc__record_t *out);

static inline kafc_err_t kafc__record_iter_err(const kafc__record_iter_t *it)
{
    return it->err;
}

/* Hands the decompressed buffer (NULL for an uncompressed batch) to the
 * caller, who free()s it when done with the records' views; *lenp (may be
 * NULL) gets its length. The iterator can still be used. */
uint8_t *kafc__record_iter_detach(kafc__record_iter_t *it, size_t *lenp);

/* Frees the decompressed buffer the iterator still owns (views into it die)
 * and ends iteration. Safe to call twice. */
void kafc__record_iter_clear(kafc__record_iter_t *it);

/* Iterator over one record's headers. */
typedef struct kafc__header_iter {
    const uint8_t *p;
    const uint8_t *end;
    int32_t left;
} kafc__header_iter_t;

void kafc__header_iter_init(kafc__header_iter_t *hi, const kafc__record_t *rec);

/* Fills the next header's key (never null) and value (len -1: null) and
 * returns 1, or returns 0 when there are no more. The record iterator
 * validated the headers; this still never reads past them. */
int kafc__header_iter_next(kafc__header_iter_t *hi, kafc__slice_t *key, kafc__slice_t *value);

/* A parsed control record (commit/abort marker). */
typedef struct kafc__control_record {
    int16_t version;           /* key version */
    int16_t type;              /* KAFC__CONTROL_ABORT, _COMMIT, or another (unknown) */
    int16_t value_version;     /* -1 when not an ABORT/COMMIT */
    int32_t coordinator_epoch; /* -1 when not an ABORT/COMMIT */
} kafc__control_record_t;

/* Parses a record of a control batch. key: version int16 + type int16 (more
 * bytes from later versions are ignored); for ABORT and COMMIT the value is
 * version int16 + coordinatorEpoch int32. Unknown types are returned as they
 * are (Kafka skips them). Errors: KAFC_ERR__BAD_MSG for a null or short key,
 * a negative key version, or a null/short value of an ABORT/COMMIT marker.
 * Any thread. */
kafc_err_t kafc__control_record_parse(const kafc__record_t *rec, kafc__control_record_t *out);

#endif /* KAFC_RECORD_READER_H */
