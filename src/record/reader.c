/*
 * reader — iteration over Fetch records bytes: batches (magic 2, and legacy
 * entries through legacy.c), records and headers. See reader.h.
 *
 * The record path is the consumer's hot path: one-byte varints are decoded
 * inline, longer ones in a small out-of-line function, and every length is
 * checked against the end of its record before it is used.
 */
#include "record/reader.h"

#include <stdlib.h>
#include <string.h>

#include "record/legacy.h"
#include "util/crc32c.h"

/* Smallest batchLength of a magic-2 batch: the header after baseOffset and
 * batchLength. */
#define V2_MIN_LENGTH (KAFC__BATCH_HEADER_SIZE - KAFC__BATCH_LOG_OVERHEAD)
/* Smallest record: length varint 1, attributes 1, timestampDelta 1,
 * offsetDelta 1, key length 1, value length 1, header count 1. */
#define MIN_RECORD_SIZE 7

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ---- varints ----------------------------------------------------------- */

/* The record decoders are inlined into the record loop, and return the new
 * cursor with the value (in two registers) instead of writing through
 * pointers, so the cursor never leaves a register; the rare multi-byte tails
 * stay out of line. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))

/* A decoded value and the cursor after it; p NULL on error. */
typedef struct dec {
    const uint8_t *p;
    int64_t v;
} dec_t;

/* Zigzag varint at p (bounded by end), at most 5 bytes as Java's
 * ByteUtils.readVarint (bits past 32 in the 5th byte are dropped); the
 * checked loop for input near the end. */
static NOINLINE dec_t varint_slow(const uint8_t *p, const uint8_t *end)
{
    dec_t d = {NULL, 0};
    uint32_t v = 0;

    for (unsigned shift = 0; shift < 35; shift += 7) {
        uint8_t c;
        if (p >= end)
            return d;
        c = *p++;
        v |= (uint32_t)(c & 0x7f) << shift;
        if (c < 0x80) {
            d.p = p;
            d.v = kafc__unzigzag32(v);
            return d;
        }
    }
    return d;
}

/* Zigzag varlong, at most 10 bytes. */
static NOINLINE dec_t varlong_slow(const uint8_t *p, const uint8_t *end)
{
    dec_t d = {NULL, 0};
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t c;
        if (p >= end)
            return d;
        c = *p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (c < 0x80) {
            d.p = p;
            d.v = kafc__unzigzag64(v);
            return d;
        }
    }
    return d;
}

/* Zigzag varint at p bounded by end. The common cases are unrolled: one
 * byte, and two to five bytes when five are there to read. */
static ALWAYS_INLINE dec_t get_varint(const uint8_t *p, const uint8_t *end)
{
    dec_t d;
    uint32_t v;

    if (__builtin_expect(p < end && *p < 0x80, 1)) {
        d.p = p + 1;
        d.v = kafc__unzigzag32(*p);
        return d;
    }
    if (__builtin_expect(end - p < 5, 0))
        return varint_slow(p, end);
    v = (p[0] & 0x7fu) | (uint32_t)p[1] << 7;
    if (p[1] < 0x80) {
        d.p = p + 2;
    } else {
        v = (v & 0x3fff) | (uint32_t)p[2] << 14;
        if (p[2] < 0x80) {
            d.p = p + 3;
        } else {
            v = (v & 0x1fffff) | (uint32_t)p[3] << 21;
            if (p[3] < 0x80) {
                d.p = p + 4;
            } else if (p[4] < 0x80) {
                v = (v & 0xfffffff) | (uint32_t)p[4] << 28;
                d.p = p + 5;
            } else {
                d.p = NULL;
            }
        }
    }
    d.v = kafc__unzigzag32(v);
    return d;
}

static ALWAYS_INLINE dec_t get_varlong(const uint8_t *p, const uint8_t *end)
{
    dec_t d;

    if (__builtin_expect(p < end && *p < 0x80, 1)) {
        d.p = p + 1;
        d.v = kafc__unzigzag64(*p);
        return d;
    }
    return varlong_slow(p, end);
}

/* A nullable byte field (varint length, -1 null) at p within end: fills
 * *out and returns the cursor after it, or NULL. */
static ALWAYS_INLINE const uint8_t *get_field(const uint8_t *p, const uint8_t *end,
                                              kafc__slice_t *out)
{
    dec_t d = get_varint(p, end);

    if (d.p == NULL || d.v < -1)
        return NULL;
    if (d.v < 0) {
        out->ptr = NULL;
        out->len = -1;
        return d.p;
    }
    if ((uint64_t)d.v > (uint64_t)(end - d.p))
        return NULL;
    out->ptr = d.p;
    out->len = (int32_t)d.v;
    return d.p + d.v;
}

/* ---- batches ------------------------------------------------------------ */

void kafc__batch_iter_init(kafc__batch_iter_t *it, const void *data, size_t len, int check_crcs)
{
    it->data = data;
    it->len = data != NULL ? len : 0;
    it->pos = 0;
    it->check_crcs = check_crcs;
    it->partial = 0;
    it->err = KAFC_ERR_NONE;
}

static int batch_fail(kafc__batch_iter_t *it, kafc_err_t err)
{
    it->err = err;
    return 0;
}

static void view_v2(const uint8_t *p, size_t size, kafc__batch_view_t *out)
{
    out->data = p;
    out->size = size;
    out->base_offset = (int64_t)be64(p + KAFC__BATCH_OFF_BASE_OFFSET);
    out->length = (int32_t)be32(p + KAFC__BATCH_OFF_LENGTH);
    out->partition_leader_epoch = (int32_t)be32(p + KAFC__BATCH_OFF_LEADER_EPOCH);
    out->magic = (int8_t)p[KAFC__BATCH_OFF_MAGIC];
    out->crc = be32(p + KAFC__BATCH_OFF_CRC);
    out->attributes = (int16_t)be16(p + KAFC__BATCH_OFF_ATTRIBUTES);
    out->last_offset_delta = (int32_t)be32(p + KAFC__BATCH_OFF_LAST_OFFSET_DELTA);
    out->base_timestamp = (int64_t)be64(p + KAFC__BATCH_OFF_BASE_TIMESTAMP);
    out->max_timestamp = (int64_t)be64(p + KAFC__BATCH_OFF_MAX_TIMESTAMP);
    out->producer_id = (int64_t)be64(p + KAFC__BATCH_OFF_PRODUCER_ID);
    out->producer_epoch = (int16_t)be16(p + KAFC__BATCH_OFF_PRODUCER_EPOCH);
    out->base_sequence = (int32_t)be32(p + KAFC__BATCH_OFF_BASE_SEQUENCE);
    out->record_count = (int32_t)be32(p + KAFC__BATCH_OFF_RECORD_COUNT);
}

int kafc__batch_iter_next(kafc__batch_iter_t *it, kafc__batch_view_t *out)
{
    const uint8_t *p;
    size_t rem, size, min_len;
    int32_t length;
    int8_t magic;
    kafc_err_t err;

    if (it->err != KAFC_ERR_NONE || it->partial || it->pos >= it->len)
        return 0;
    p = it->data + it->pos;
    rem = it->len - it->pos;
    /* As Java's ByteBufferLogInputStream: the size is checked as soon as it
     * is there, the magic as soon as it is there, and only then is a short
     * entry taken as the truncated tail of the response. */
    if (rem < KAFC__BATCH_LOG_OVERHEAD) {
        it->partial = 1;
        return 0;
    }
    length = (int32_t)be32(p + KAFC__BATCH_OFF_LENGTH);
    if (length < KAFC__LEGACY_V0_MIN_SIZE)
        return batch_fail(it, KAFC_ERR__BAD_MSG);
    if (rem <= KAFC__BATCH_OFF_MAGIC) {
        it->partial = 1;
        return 0;
    }
    magic = (int8_t)p[KAFC__BATCH_OFF_MAGIC];
    if (magic < 0 || magic > KAFC__BATCH_MAGIC)
        return batch_fail(it, KAFC_ERR__UNSUPPORTED_VERSION);
    min_len = magic == 2   ? V2_MIN_LENGTH
              : magic == 1 ? KAFC__LEGACY_V1_MIN_SIZE
                           : KAFC__LEGACY_V0_MIN_SIZE;
    if ((size_t)length < min_len)
        return batch_fail(it, KAFC_ERR__BAD_MSG);
    size = KAFC__BATCH_LOG_OVERHEAD + (size_t)length;
    if (size > rem) {
        it->partial = 1;
        return 0;
    }
    if (magic == KAFC__BATCH_MAGIC) {
        view_v2(p, size, out);
    } else {
        err = kafc__legacy_view(p, size, out);
        if (err != KAFC_ERR_NONE)
            return batch_fail(it, err);
    }
    if (it->check_crcs) {
        err = kafc__batch_view_check_crc(out);
        if (err != KAFC_ERR_NONE)
            return batch_fail(it, err);
    }
    it->pos += size;
    return 1;
}

kafc_err_t kafc__batch_view_check_crc(const kafc__batch_view_t *b)
{
    if (b->magic != KAFC__BATCH_MAGIC)
        return kafc__legacy_check_crc(b);
    if (b->size < KAFC__BATCH_HEADER_SIZE ||
        kafc__crc32c(0, b->data + KAFC__BATCH_OFF_ATTRIBUTES,
                     b->size - KAFC__BATCH_OFF_ATTRIBUTES) != b->crc)
        return KAFC_ERR__CRC_MISMATCH;
    return KAFC_ERR_NONE;
}

/* ---- records ------------------------------------------------------------ */

static kafc_err_t iter_fail(kafc__record_iter_t *it, kafc_err_t err)
{
    if (it->err == KAFC_ERR_NONE)
        it->err = err;
    it->left = 0;
    return it->err;
}

kafc_err_t kafc__record_iter_init(kafc__record_iter_t *it, const kafc__batch_view_t *batch,
                                  kafc__codec_ctx_t *ctx, size_t max_decompressed, int check_crcs)
{
    kafc__codec_t codec;
    const uint8_t *records;
    size_t records_len;
    kafc_err_t err;

    memset(it, 0, sizeof(*it));
    if (batch->magic != KAFC__BATCH_MAGIC)
        return kafc__legacy_iter_init(it, batch, ctx, max_decompressed, check_crcs);

    it->magic = batch->magic;
    it->check_crcs = check_crcs;
    it->base_offset = batch->base_offset;
    it->base_timestamp = batch->base_timestamp;
    it->max_timestamp = batch->max_timestamp;
    it->log_append_time = kafc__batch_view_log_append_time(batch);
    if (batch->size < KAFC__BATCH_HEADER_SIZE || batch->record_count < 0)
        return iter_fail(it, KAFC_ERR__BAD_MSG);
    records = batch->data + KAFC__BATCH_HEADER_SIZE;
    records_len = batch->size - KAFC__BATCH_HEADER_SIZE;
    codec = kafc__batch_view_codec(batch);
    if ((int)codec > KAFC__CODEC_ZSTD)
        return iter_fail(it, KAFC_ERR__BAD_MSG);
    if (codec != KAFC__CODEC_NONE && batch->record_count > 0) {
        err = kafc__codec_ctx_decompress(ctx, codec, records, records_len, max_decompressed,
                                         &it->owned, &it->owned_len);
        if (err != KAFC_ERR_NONE)
            return iter_fail(it, err);
        records = it->owned;
        records_len = it->owned_len;
    } else if (codec != KAFC__CODEC_NONE) {
        /* An empty compressed batch (left by compaction): nothing to read,
         * whatever follows the header. */
        records_len = 0;
    }
    /* Each record takes at least MIN_RECORD_SIZE bytes. */
    if ((size_t)batch->record_count > records_len / MIN_RECORD_SIZE)
        return iter_fail(it, KAFC_ERR__BAD_MSG);
    it->p = records;
    it->end = records + records_len;
    it->left = batch->record_count;
    return KAFC_ERR_NONE;
}

/* Reads one magic-2 record. Returns 1, or 0 after setting an error. */
static ALWAYS_INLINE int next_v2(kafc__record_iter_t *it, kafc__record_t *out)
{
    const uint8_t *p, *rend;
    int64_t ts_delta, offset_delta, count;
    dec_t d;

    d = get_varint(it->p, it->end);
    if (d.p == NULL || d.v < MIN_RECORD_SIZE - 1 || (uint64_t)d.v > (uint64_t)(it->end - d.p))
        goto bad;
    p = d.p;
    rend = p + d.v;
    out->attributes = (int8_t)*p++;
    d = get_varlong(p, rend);
    if (d.p == NULL)
        goto bad;
    ts_delta = d.v;
    d = get_varint(d.p, rend);
    if (d.p == NULL)
        goto bad;
    offset_delta = d.v;
    p = get_field(d.p, rend, &out->key);
    if (p == NULL)
        goto bad;
    p = get_field(p, rend, &out->value);
    if (p == NULL)
        goto bad;
    d = get_varint(p, rend);
    if (d.p == NULL || d.v < 0)
        goto bad;
    p = d.p;
    count = d.v;
    out->offset = (int64_t)((uint64_t)it->base_offset + (uint64_t)offset_delta);
    out->timestamp = it->log_append_time
                         ? it->max_timestamp
                         : (int64_t)((uint64_t)it->base_timestamp + (uint64_t)ts_delta);
    out->header_count = (int32_t)count;
    out->headers = p;
    if (count > 0) {
        /* A header takes at least 2 bytes (two length varints). */
        if ((uint64_t)count > (uint64_t)(rend - p) / 2)
            goto bad;
        for (int64_t i = 0; i < count; i++) {
            kafc__slice_t k, v;
            p = get_field(p, rend, &k);
            if (p == NULL || k.len < 0)
                goto bad;
            p = get_field(p, rend, &v);
            if (p == NULL)
                goto bad;
        }
    }
    if (p != rend)
        goto bad;
    out->headers_len = (int32_t)(p - out->headers);
    it->p = p;
    it->left--;
    return 1;
bad:
    iter_fail(it, KAFC_ERR__BAD_MSG);
    return 0;
}

int kafc__record_iter_next(kafc__record_iter_t *it, kafc__record_t *out)
{
    if (it->magic != KAFC__BATCH_MAGIC)
        return kafc__legacy_iter_next(it, out);
    if (it->left > 0)
        return next_v2(it, out);
    /* All promised records read: bytes left over mean the count lied. */
    if (it->err == KAFC_ERR_NONE && it->p != it->end)
        iter_fail(it, KAFC_ERR__BAD_MSG);
    return 0;
}

uint8_t *kafc__record_iter_detach(kafc__record_iter_t *it, size_t *lenp)
{
    uint8_t *p = it->owned;

    if (lenp != NULL)
        *lenp = it->owned_len;
    it->owned = NULL;
    it->owned_len = 0;
    return p;
}

void kafc__record_iter_clear(kafc__record_iter_t *it)
{
    free(it->owned);
    it->owned = NULL;
    it->owned_len = 0;
    it->p = it->end = NULL;
    it->left = 0;
}

/* ---- headers ------------------------------------------------------------ */

void kafc__header_iter_init(kafc__header_iter_t *hi, const kafc__record_t *rec)
{
    hi->p = rec->headers;
    hi->end = rec->headers != NULL ? rec->headers + rec->headers_len : NULL;
    hi->left = rec->headers != NULL ? rec->header_count : 0;
}

int kafc__header_iter_next(kafc__header_iter_t *hi, kafc__slice_t *key, kafc__slice_t *value)
{
    const uint8_t *p;

    if (hi->left <= 0)
        return 0;
    p = get_field(hi->p, hi->end, key);
    if (p != NULL && key->len >= 0)
        p = get_field(p, hi->end, value);
    else
        p = NULL;
    if (p == NULL) {
        hi->left = 0;
        return 0;
    }
    hi->p = p;
    hi->left--;
    return 1;
}

/* ---- control records ---------------------------------------------------- */

kafc_err_t kafc__control_record_parse(const kafc__record_t *rec, kafc__control_record_t *out)
{
    out->value_version = -1;
    out->coordinator_epoch = -1;
    if (rec->key.len < 4)
        return KAFC_ERR__BAD_MSG;
    out->version = (int16_t)be16(rec->key.ptr);
    out->type = (int16_t)be16(rec->key.ptr + 2);
    if (out->version < 0)
        return KAFC_ERR__BAD_MSG;
    if (out->type != KAFC__CONTROL_ABORT && out->type != KAFC__CONTROL_COMMIT)
        return KAFC_ERR_NONE;
    if (rec->value.len < 6)
        return KAFC_ERR__BAD_MSG;
    out->value_version = (int16_t)be16(rec->value.ptr);
    out->coordinator_epoch = (int32_t)be32(rec->value.ptr + 2);
    return KAFC_ERR_NONE;
}
