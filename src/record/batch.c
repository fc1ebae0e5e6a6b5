/*
 * batch — record batch v2 builder. See batch.h.
 *
 * The append path is the producer's hot path: it computes the record's size
 * from the lengths alone (varint sizes by bit length), checks the room once,
 * then writes with hand-rolled varint encoders and no further checks.
 */
#include "record/batch.h"

#include <string.h>

#include "util/buf.h"
#include "util/crc32c.h"

/* ---- encoding helpers ---------------------------------------------------- */

/* Varint sizes from the bit length: ceil(bits / 7) as (bits * 9 + 64) / 64,
 * exact for 1..64 bits, with no division. */
static inline size_t uvarint_size(uint32_t v)
{
    unsigned bits = 32u - (unsigned)__builtin_clz(v | 1u);
    return (bits * 9u + 64u) >> 6;
}

static inline size_t uvarlong_size(uint64_t v)
{
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1u);
    return (bits * 9u + 64u) >> 6;
}

static inline uint8_t *put_uvarint(uint8_t *p, uint32_t v)
{
    if (v < 0x80) {
        *p = (uint8_t)v;
        return p + 1;
    }
    if (v < 0x4000) {
        p[0] = (uint8_t)(v | 0x80);
        p[1] = (uint8_t)(v >> 7);
        return p + 2;
    }
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *put_uvarlong(uint8_t *p, uint64_t v)
{
    if (v < 0x80) {
        *p = (uint8_t)v;
        return p + 1;
    }
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Size of a nullable byte field: length varint plus the bytes. len >= -1. */
static inline size_t field_size(int32_t len)
{
    if (len < 0)
        return 1;
    return uvarint_size(kafc__zigzag32(len)) + (size_t)len;
}

/* Writes a nullable byte field (len >= -1; data may be NULL when len <= 0). */
static inline uint8_t *put_field(uint8_t *p, const void *data, int32_t len)
{
    p = put_uvarint(p, kafc__zigzag32(len));
    if (len > 0) {
        memcpy(p, data, (size_t)len);
        p += len;
    }
    return p;
}

static inline int bad_field(const void *data, int32_t len)
{
    return len < -1 || (data == NULL && len > 0);
}

/* Encoded size of the header count and headers, or SIZE_MAX when one is
 * invalid. At most ~2^31 headers of at most ~2^32 bytes each: no overflow in
 * 64-bit size_t arithmetic. */
static size_t headers_size(const kafc__record_header_t *headers, size_t n)
{
    size_t size;

    if (n > INT32_MAX || (n > 0 && headers == NULL))
        return SIZE_MAX;
    size = uvarint_size(kafc__zigzag32((int32_t)n));
    for (size_t i = 0; i < n; i++) {
        const kafc__record_header_t *h = &headers[i];
        if (h->key_len < 0 || bad_field(h->key, h->key_len) || bad_field(h->value, h->value_len))
            return SIZE_MAX;
        size += field_size(h->key_len) + field_size(h->value_len);
    }
    return size;
}

/* Size of the record body (what the length varint counts), or SIZE_MAX. */
static inline size_t body_size(uint64_t zts, uint32_t zoff, int32_t key_len, int32_t value_len,
                               size_t hsize)
{
    return 1 + uvarlong_size(zts) + uvarint_size(zoff) + field_size(key_len) +
           field_size(value_len) + hsize;
}

/* Body size plus its length varint, or SIZE_MAX when over INT32_MAX. */
static inline size_t framed_size(size_t body)
{
    if (body > INT32_MAX)
        return SIZE_MAX;
    return uvarint_size(kafc__zigzag32((int32_t)body)) + body;
}

/* ---- public functions ---------------------------------------------------- */

void kafc__batch_opts_default(kafc__batch_opts_t *opts)
{
    opts->producer_id = KAFC__NO_PRODUCER_ID;
    opts->producer_epoch = KAFC__NO_PRODUCER_EPOCH;
    opts->base_sequence = KAFC__NO_SEQUENCE;
    opts->base_timestamp = KAFC__BATCH_TS_FIRST;
    opts->flags = 0;
}

kafc_err_t kafc__batch_init(kafc__batch_builder_t *b, void *buf, size_t cap,
                            const kafc__batch_opts_t *opts)
{
    kafc__batch_opts_t defaults;

    if (b == NULL || buf == NULL)
        return KAFC_ERR__INVALID_ARG;
    if (opts == NULL) {
        kafc__batch_opts_default(&defaults);
        opts = &defaults;
    }
    if ((opts->flags & ~(KAFC__BATCH_ATTR_TRANSACTIONAL | KAFC__BATCH_ATTR_CONTROL)) != 0)
        return KAFC_ERR__INVALID_ARG;
    if (cap < KAFC__BATCH_HEADER_SIZE)
        return KAFC_ERR__BUF_OVERFLOW;
    b->buf = buf;
    b->cap = cap > INT32_MAX ? INT32_MAX : cap;
    b->len = KAFC__BATCH_HEADER_SIZE;
    b->count = 0;
    b->flags = opts->flags;
    b->fixed_base = opts->base_timestamp != KAFC__BATCH_TS_FIRST;
    b->base_timestamp = b->fixed_base ? opts->base_timestamp : KAFC__NO_TIMESTAMP;
    b->max_timestamp = KAFC__NO_TIMESTAMP;
    b->producer_id = opts->producer_id;
    b->producer_epoch = opts->producer_epoch;
    b->base_sequence = opts->base_sequence;
    return KAFC_ERR_NONE;
}

size_t kafc__batch_record_size(int64_t timestamp_delta, int32_t offset_delta, int32_t key_len,
                               int32_t value_len, const kafc__record_header_t *headers,
                               size_t n_headers)
{
    size_t hsize;

    if (key_len < -1 || value_len < -1)
        return SIZE_MAX;
    hsize = headers_size(headers, n_headers);
    if (hsize == SIZE_MAX)
        return SIZE_MAX;
    return framed_size(body_size(kafc__zigzag64(timestamp_delta), kafc__zigzag32(offset_delta),
                                 key_len, value_len, hsize));
}

size_t kafc__batch_record_size_max(int32_t key_len, int32_t value_len,
                                   const kafc__record_header_t *headers, size_t n_headers)
{
    /* The largest deltas encode in 10 and 5 bytes. */
    return kafc__batch_record_size(INT64_MIN, INT32_MIN, key_len, value_len, headers, n_headers);
}

kafc_err_t kafc__batch_append(kafc__batch_builder_t *b, int64_t timestamp, const void *key,
                              int32_t key_len, const void *value, int32_t value_len,
                              const kafc__record_header_t *headers, size_t n_headers)
{
    size_t hsize = 1, body, total;
    int64_t base;
    uint64_t zts;
    uint32_t zoff;
    uint8_t *p;

    if (bad_field(key, key_len) || bad_field(value, value_len) || b->count == INT32_MAX)
        return KAFC_ERR__INVALID_ARG;
    if (n_headers > 0) {
        hsize = headers_size(headers, n_headers);
        if (hsize == SIZE_MAX)
            return KAFC_ERR__INVALID_ARG;
    }
    base = b->count == 0 && !b->fixed_base ? timestamp : b->base_timestamp;
    zts = kafc__zigzag64((int64_t)((uint64_t)timestamp - (uint64_t)base));
    zoff = kafc__zigzag32(b->count);
    body = body_size(zts, zoff, key_len, value_len, hsize);
    total = framed_size(body);
    if (total > b->cap - b->len)
        return KAFC_ERR__BUF_OVERFLOW;

    p = put_uvarint(b->buf + b->len, kafc__zigzag32((int32_t)body));
    *p++ = 0; /* record attributes: unused */
    p = put_uvarlong(p, zts);
    p = put_uvarint(p, zoff);
    p = put_field(p, key, key_len);
    p = put_field(p, value, value_len);
    p = put_uvarint(p, kafc__zigzag32((int32_t)n_headers));
    for (size_t i = 0; i < n_headers; i++) {
        p = put_field(p, headers[i].key, headers[i].key_len);
        p = put_field(p, headers[i].value, headers[i].value_len);
    }

    b->len += total;
    if (b->count == 0) {
        b->base_timestamp = base;
        b->max_timestamp = timestamp;
    } else if (timestamp > b->max_timestamp) {
        b->max_timestamp = timestamp;
    }
    b->count++;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__batch_append_control(kafc__batch_builder_t *b, int64_t timestamp, int16_t type,
                                      int32_t coordinator_epoch)
{
    uint8_t key[4], value[6];

    put_be16(key, 0);
    put_be16(key + 2, (uint16_t)type);
    put_be16(value, 0);
    put_be32(value + 2, (uint32_t)coordinator_epoch);
    return kafc__batch_append(b, timestamp, key, 4, value, 6, NULL, 0);
}

void kafc__batch_builder_set_producer(kafc__batch_builder_t *b, int64_t producer_id,
                                      int16_t producer_epoch, int32_t base_sequence)
{
    b->producer_id = producer_id;
    b->producer_epoch = producer_epoch;
    b->base_sequence = base_sequence;
}

/* Writes every header field but the CRC (zeroed) into hdr, for a batch whose
 * records section is records_len bytes. */
static void write_header(const kafc__batch_builder_t *b, uint8_t *hdr, size_t records_len,
                         int16_t codec_bits)
{
    int64_t base_ts = b->base_timestamp;
    int64_t max_ts = b->count > 0 ? b->max_timestamp : base_ts;

    put_be64(hdr + KAFC__BATCH_OFF_BASE_OFFSET, 0);
    put_be32(hdr + KAFC__BATCH_OFF_LENGTH,
             (uint32_t)(KAFC__BATCH_HEADER_SIZE - KAFC__BATCH_LOG_OVERHEAD + records_len));
    put_be32(hdr + KAFC__BATCH_OFF_LEADER_EPOCH, (uint32_t)KAFC__NO_PARTITION_LEADER_EPOCH);
    hdr[KAFC__BATCH_OFF_MAGIC] = KAFC__BATCH_MAGIC;
    put_be32(hdr + KAFC__BATCH_OFF_CRC, 0);
    put_be16(hdr + KAFC__BATCH_OFF_ATTRIBUTES, (uint16_t)(b->flags | codec_bits));
    put_be32(hdr + KAFC__BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(b->count - 1));
    put_be64(hdr + KAFC__BATCH_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
    put_be64(hdr + KAFC__BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    put_be64(hdr + KAFC__BATCH_OFF_PRODUCER_ID, (uint64_t)b->producer_id);
    put_be16(hdr + KAFC__BATCH_OFF_PRODUCER_EPOCH, (uint16_t)b->producer_epoch);
    put_be32(hdr + KAFC__BATCH_OFF_BASE_SEQUENCE, (uint32_t)b->base_sequence);
    put_be32(hdr + KAFC__BATCH_OFF_RECORD_COUNT, (uint32_t)b->count);
}

static void write_crc(uint8_t *buf, size_t len)
{
    uint32_t crc =
        kafc__crc32c(0, buf + KAFC__BATCH_OFF_ATTRIBUTES, len - KAFC__BATCH_OFF_ATTRIBUTES);
    put_be32(buf + KAFC__BATCH_OFF_CRC, crc);
}

size_t kafc__batch_close(kafc__batch_builder_t *b)
{
    write_header(b, b->buf, b->len - KAFC__BATCH_HEADER_SIZE, 0);
    write_crc(b->buf, b->len);
    return b->len;
}

size_t kafc__batch_compressed_bound(const kafc__batch_builder_t *b, kafc__codec_t codec)
{
    size_t records_len = b->len - KAFC__BATCH_HEADER_SIZE;
    size_t bound;

    if (codec == KAFC__CODEC_NONE)
        return b->len;
    if ((int)codec < KAFC__CODEC_GZIP || (int)codec > KAFC__CODEC_ZSTD)
        return SIZE_MAX;
    bound = kafc__codec_compress_bound(codec, records_len);
    if (bound == 0 || bound > SIZE_MAX - KAFC__BATCH_HEADER_SIZE)
        return SIZE_MAX;
    return KAFC__BATCH_HEADER_SIZE + bound;
}

kafc_err_t kafc__batch_close_compressed(kafc__batch_builder_t *b, kafc__codec_ctx_t *ctx,
                                        kafc__codec_t codec, int level, void *dst, size_t dst_cap,
                                        size_t *dst_len)
{
    uint8_t *out = dst;
    size_t records_len = b->len - KAFC__BATCH_HEADER_SIZE, clen = 0, total;
    kafc_err_t err;

    *dst_len = 0;
    if ((int)codec < KAFC__CODEC_NONE || (int)codec > KAFC__CODEC_ZSTD || dst == NULL)
        return KAFC_ERR__INVALID_ARG;
    if (dst_cap < KAFC__BATCH_HEADER_SIZE)
        return KAFC_ERR__BUF_OVERFLOW;
    if (codec == KAFC__CODEC_NONE) {
        if (dst_cap < b->len)
            return KAFC_ERR__BUF_OVERFLOW;
        total = kafc__batch_close(b);
        memcpy(out, b->buf, total);
        *dst_len = total;
        return KAFC_ERR_NONE;
    }

    err = kafc__codec_ctx_compress(ctx, codec, level, b->buf + KAFC__BATCH_HEADER_SIZE, records_len,
                                   out + KAFC__BATCH_HEADER_SIZE, dst_cap - KAFC__BATCH_HEADER_SIZE,
                                   &clen);
    if (err != KAFC_ERR_NONE)
        return err;
    if (clen > (size_t)INT32_MAX - KAFC__BATCH_HEADER_SIZE ||
        clen > dst_cap - KAFC__BATCH_HEADER_SIZE)
        return KAFC_ERR__BUF_OVERFLOW;
    /* b's buffer gets the header too (without CRC), so a later
     * kafc__batch_close finds it consistent. */
    write_header(b, b->buf, records_len, 0);
    write_header(b, out, clen, (int16_t)codec);
    total = KAFC__BATCH_HEADER_SIZE + clen;
    write_crc(out, total);
    *dst_len = total;
    return KAFC_ERR_NONE;
}

/* 1 when buf[0..len) is exactly one magic-2 batch. */
static int whole_batch(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= KAFC__BATCH_HEADER_SIZE && len <= (size_t)INT32_MAX + 12 &&
           buf[KAFC__BATCH_OFF_MAGIC] == KAFC__BATCH_MAGIC &&
           (size_t)get_be32(buf + KAFC__BATCH_OFF_LENGTH) + KAFC__BATCH_LOG_OVERHEAD == len;
}

kafc_err_t kafc__batch_patch_crc(void *buf, size_t len)
{
    if (!whole_batch(buf, len))
        return KAFC_ERR__INVALID_ARG;
    write_crc(buf, len);
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__batch_set_producer(void *buf, size_t len, int64_t producer_id,
                                    int16_t producer_epoch, int32_t base_sequence)
{
    uint8_t *p = buf;

    if (!whole_batch(p, len))
        return KAFC_ERR__INVALID_ARG;
    put_be64(p + KAFC__BATCH_OFF_PRODUCER_ID, (uint64_t)producer_id);
    put_be16(p + KAFC__BATCH_OFF_PRODUCER_EPOCH, (uint16_t)producer_epoch);
    put_be32(p + KAFC__BATCH_OFF_BASE_SEQUENCE, (uint32_t)base_sequence);
    write_crc(p, len);
    return KAFC_ERR_NONE;
}
