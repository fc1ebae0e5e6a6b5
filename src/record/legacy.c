/*
 * legacy — message sets magic 0 and 1 (read only). See legacy.h.
 */
#include "record/legacy.h"

#include <string.h>
#include <zlib.h>

#include "record/batch.h"
#include "record/codec.h"
#include "util/buf.h"

/* Offsets within a legacy entry. */
#define OFF_SIZE 8
#define OFF_CRC 12
#define OFF_MAGIC 16
#define OFF_ATTRIBUTES 17
#define OFF_TIMESTAMP 18
#define LOG_OVERHEAD 12

typedef struct msg {
    int64_t offset;
    uint32_t crc;
    int8_t magic;
    uint8_t attributes;
    int64_t timestamp;
    kafc__slice_t key;
    kafc__slice_t value;
} msg_t;

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static inline size_t min_size(int8_t magic)
{
    return magic == 0 ? KAFC__LEGACY_V0_MIN_SIZE : KAFC__LEGACY_V1_MIN_SIZE;
}

/* Reads a BYTES field (int32 length, -1 null) at *qp, bounded by end. */
static int get_bytes(const uint8_t **qp, const uint8_t *end, kafc__slice_t *out)
{
    const uint8_t *q = *qp;
    int32_t len;

    if (end - q < 4)
        return -1;
    len = (int32_t)be32(q);
    q += 4;
    if (len < -1 || (len > 0 && (size_t)len > (size_t)(end - q)))
        return -1;
    if (len < 0) {
        out->ptr = NULL;
        out->len = -1;
    } else {
        out->ptr = q;
        out->len = len;
        q += len;
    }
    *qp = q;
    return 0;
}

/* Parses one whole entry of size bytes at p: key and value must end exactly
 * at p + size. */
static kafc_err_t parse_msg(const uint8_t *p, size_t size, msg_t *m)
{
    const uint8_t *q, *end = p + size;

    if (size < LOG_OVERHEAD + KAFC__LEGACY_V0_MIN_SIZE ||
        (size_t)be32(p + OFF_SIZE) + LOG_OVERHEAD != size)
        return KAFC_ERR__BAD_MSG;
    m->offset = (int64_t)be64(p);
    m->crc = be32(p + OFF_CRC);
    m->magic = (int8_t)p[OFF_MAGIC];
    m->attributes = p[OFF_ATTRIBUTES];
    q = p + OFF_TIMESTAMP;
    if (m->magic == 1) {
        if (size < LOG_OVERHEAD + KAFC__LEGACY_V1_MIN_SIZE)
            return KAFC_ERR__BAD_MSG;
        m->timestamp = (int64_t)be64(q);
        q += 8;
    } else if (m->magic == 0) {
        m->timestamp = KAFC__NO_TIMESTAMP;
    } else {
        return KAFC_ERR__BAD_MSG;
    }
    if (get_bytes(&q, end, &m->key) != 0 || get_bytes(&q, end, &m->value) != 0 || q != end)
        return KAFC_ERR__BAD_MSG;
    return KAFC_ERR_NONE;
}

static int crc_ok(const uint8_t *p, size_t size)
{
    /* size came from an int32 field: it fits zlib's uInt. */
    uLong crc = crc32(0L, p + OFF_MAGIC, (uInt)(size - OFF_MAGIC));
    return (uint32_t)crc == be32(p + OFF_CRC);
}

kafc_err_t kafc__legacy_view(const uint8_t *p, size_t size, kafc__batch_view_t *out)
{
    msg_t m;
    kafc_err_t err = parse_msg(p, size, &m);

    if (err != KAFC_ERR_NONE)
        return err;
    out->data = p;
    out->size = size;
    out->base_offset = m.offset;
    out->length = (int32_t)(size - LOG_OVERHEAD);
    out->partition_leader_epoch = KAFC__NO_PARTITION_LEADER_EPOCH;
    out->magic = m.magic;
    out->crc = m.crc;
    out->attributes = (int16_t)m.attributes;
    out->last_offset_delta = 0;
    out->base_timestamp = m.timestamp;
    out->max_timestamp = m.timestamp;
    out->producer_id = KAFC__NO_PRODUCER_ID;
    out->producer_epoch = KAFC__NO_PRODUCER_EPOCH;
    out->base_sequence = KAFC__NO_SEQUENCE;
    out->record_count = (m.attributes & KAFC__BATCH_ATTR_CODEC_MASK) != 0 ? -1 : 1;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__legacy_check_crc(const kafc__batch_view_t *b)
{
    if (b->size < LOG_OVERHEAD + KAFC__LEGACY_V0_MIN_SIZE || !crc_ok(b->data, b->size))
        return KAFC_ERR__CRC_MISMATCH;
    return KAFC_ERR_NONE;
}

static kafc_err_t fail(kafc__record_iter_t *it, kafc_err_t err)
{
    if (it->err == KAFC_ERR_NONE)
        it->err = err;
    it->left = 0;
    return it->err;
}

/* Walks the inner message set [p, end) once: every entry whole, of the
 * wrapper's magic, uncompressed. Sets *count and *last (the last inner
 * offset). */
static kafc_err_t scan_inner(const uint8_t *p, const uint8_t *end, int8_t magic, int32_t *count,
                             int64_t *last)
{
    int32_t n = 0;

    *last = 0;
    while (p < end) {
        size_t rem = (size_t)(end - p), size;
        if (rem < LOG_OVERHEAD + KAFC__LEGACY_V0_MIN_SIZE)
            return KAFC_ERR__BAD_MSG;
        size = be32(p + OFF_SIZE);
        if ((int8_t)p[OFF_MAGIC] != magic || size > INT32_MAX || size < min_size(magic) ||
            size > rem - LOG_OVERHEAD)
            return KAFC_ERR__BAD_MSG;
        if ((p[OFF_ATTRIBUTES] & KAFC__BATCH_ATTR_CODEC_MASK) != 0 || n == INT32_MAX)
            return KAFC_ERR__BAD_MSG;
        *last = (int64_t)be64(p);
        n++;
        p += LOG_OVERHEAD + size;
    }
    *count = n;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__legacy_iter_init(kafc__record_iter_t *it, const kafc__batch_view_t *b,
                                  kafc__codec_ctx_t *ctx, size_t max_decompressed, int check_crcs)
{
    msg_t m;
    kafc__codec_t codec;
    int64_t last = 0;
    int32_t count = 0;
    kafc_err_t err;

    it->magic = b->magic;
    it->check_crcs = check_crcs;
    err = parse_msg(b->data, b->size, &m);
    if (err != KAFC_ERR_NONE)
        return fail(it, err);
    it->max_timestamp = m.timestamp;
    codec = (kafc__codec_t)(m.attributes & KAFC__BATCH_ATTR_CODEC_MASK);
    if (codec == KAFC__CODEC_NONE) {
        it->p = b->data;
        it->end = b->data + b->size;
        it->left = 1;
        return KAFC_ERR_NONE;
    }
    /* zstd (4) and up never existed for magic 0/1. */
    if ((int)codec > KAFC__CODEC_LZ4 || m.value.len < 0)
        return fail(it, KAFC_ERR__BAD_MSG);
    err = kafc__codec_ctx_decompress(ctx, codec, m.value.ptr, (size_t)m.value.len, max_decompressed,
                                     &it->owned, &it->owned_len);
    if (err != KAFC_ERR_NONE)
        return fail(it, err);
    err = scan_inner(it->owned, it->owned + it->owned_len, m.magic, &count, &last);
    if (err != KAFC_ERR_NONE)
        return fail(it, err);
    it->p = it->owned;
    it->end = it->owned + it->owned_len;
    it->left = count;
    it->log_append_time = m.magic == 1 && (m.attributes & KAFC__BATCH_ATTR_LOG_APPEND_TIME) != 0;
    /* Magic 1 inner offsets are relative to the wrapper's, which is the
     * last inner message's absolute offset; magic 0 inner offsets are
     * absolute. */
    if (m.magic == 1)
        it->legacy_adjust = (int64_t)((uint64_t)m.offset - (uint64_t)last);
    return KAFC_ERR_NONE;
}

int kafc__legacy_iter_next(kafc__record_iter_t *it, kafc__record_t *out)
{
    const uint8_t *p = it->p;
    size_t size;
    msg_t m;

    if (it->left <= 0 || it->err != KAFC_ERR_NONE)
        return 0;
    if (it->end - p < LOG_OVERHEAD + KAFC__LEGACY_V0_MIN_SIZE) {
        fail(it, KAFC_ERR__BAD_MSG);
        return 0;
    }
    size = (size_t)be32(p + OFF_SIZE) + LOG_OVERHEAD;
    if (size > (size_t)(it->end - p) || parse_msg(p, size, &m) != KAFC_ERR_NONE) {
        fail(it, KAFC_ERR__BAD_MSG);
        return 0;
    }
    /* The outer entry's CRC is the batch iterator's to check. */
    if (it->check_crcs && it->owned != NULL && !crc_ok(p, size)) {
        fail(it, KAFC_ERR__CRC_MISMATCH);
        return 0;
    }
    out->offset = (int64_t)((uint64_t)m.offset + (uint64_t)it->legacy_adjust);
    if (m.magic == 0)
        out->timestamp = KAFC__NO_TIMESTAMP;
    else if (it->log_append_time)
        out->timestamp = it->max_timestamp;
    else
        out->timestamp = m.timestamp;
    out->key = m.key;
    out->value = m.value;
    out->headers = NULL;
    out->headers_len = 0;
    out->header_count = 0;
    out->attributes = (int8_t)m.attributes;
    it->p = p + size;
    it->left--;
    return 1;
}
