/*
 * codec_snappy — the snappy codec: xerial's framing (what Java's
 * SnappyOutputStream writes) around raw snappy blocks from libsnappy; a
 * lone raw snappy block is read too. Without KAFC_WITH_SNAPPY every entry
 * point says KAFC_ERR__UNSUPPORTED_FEATURE.
 */
#include "record/codec_int.h"

#include <string.h>

#ifdef KAFC_WITH_SNAPPY
#include <snappy-c.h>

/* 0x82 "SNAPPY" 0x00, then version 1 and compatible version 1 (int32 BE). */
static const uint8_t xerial_header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                                          0,    0,   0,   1,   0,   0,   0,   1};
#define XERIAL_MAGIC_LEN 8
#define XERIAL_HEADER_LEN 16

/* The most one snappy tag can expand: a 3-byte copy of 64 bytes. Anything
 * claiming more per input byte is corrupt, so it is refused before any
 * allocation. */
#define SNAPPY_MAX_RATIO 22

size_t kafc__codec_snappy_bound(size_t n)
{
    size_t full = n / KAFC__CODEC_SNAPPY_CHUNK, rest = n % KAFC__CODEC_SNAPPY_CHUNK;
    size_t per_chunk = 4 + snappy_max_compressed_length(KAFC__CODEC_SNAPPY_CHUNK);

    if (n > SIZE_MAX / 2)
        return SIZE_MAX;
    return XERIAL_HEADER_LEN + full * per_chunk +
           (rest > 0 ? 4 + snappy_max_compressed_length(rest) : 0);
}

kafc_err_t kafc__codec_snappy_compress(const void *src, size_t src_len, void *dst, size_t dst_cap,
                                       size_t *dst_len)
{
    const char *in = src;
    uint8_t *out = dst;
    size_t in_pos = 0, out_pos = XERIAL_HEADER_LEN;

    if (dst_cap < XERIAL_HEADER_LEN)
        return KAFC_ERR__BUF_OVERFLOW;
    memcpy(out, xerial_header, XERIAL_HEADER_LEN);
    /* Empty input is the header alone, as SnappyOutputStream writes it. */
    while (in_pos < src_len) {
        size_t n = src_len - in_pos < KAFC__CODEC_SNAPPY_CHUNK ? src_len - in_pos
                                                               : KAFC__CODEC_SNAPPY_CHUNK;
        size_t clen = snappy_max_compressed_length(n);

        if (dst_cap - out_pos < 4 || dst_cap - out_pos - 4 < clen)
            return KAFC_ERR__BUF_OVERFLOW;
        if (snappy_compress(in + in_pos, n, (char *)out + out_pos + 4, &clen) != SNAPPY_OK)
            return KAFC_ERR__COMPRESS;
        out[out_pos] = (uint8_t)(clen >> 24);
        out[out_pos + 1] = (uint8_t)(clen >> 16);
        out[out_pos + 2] = (uint8_t)(clen >> 8);
        out[out_pos + 3] = (uint8_t)clen;
        out_pos += 4 + clen;
        in_pos += n;
    }
    *dst_len = out_pos;
    return KAFC_ERR_NONE;
}

/* Appends the raw snappy block src[0..len) to o. */
static kafc_err_t raw_block(const uint8_t *src, size_t len, kafc__codec_out_t *o)
{
    size_t ulen, made;
    kafc_err_t err;

    if (snappy_uncompressed_length((const char *)src, len, &ulen) != SNAPPY_OK)
        return KAFC_ERR__DECOMPRESS;
    if (ulen / SNAPPY_MAX_RATIO > len)
        return KAFC_ERR__DECOMPRESS;        /* impossible expansion */
    err = kafc__codec_out_reserve(o, ulen); /* > max_out: _DECOMPRESS */
    if (err != KAFC_ERR_NONE)
        return err;
    made = ulen;
    if (snappy_uncompress((const char *)src, len, (char *)o->p + o->len, &made) != SNAPPY_OK ||
        made != ulen)
        return KAFC_ERR__DECOMPRESS;
    o->len += made;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__codec_snappy_decompress(const uint8_t *src, size_t src_len, kafc__codec_out_t *o)
{
    size_t pos = XERIAL_HEADER_LEN;

    /* xerial's reader looks at the magic only; so do we. A raw block could
     * in theory start with these 8 bytes, but every Kafka client makes the
     * same call. */
    if (src_len < XERIAL_HEADER_LEN || memcmp(src, xerial_header, XERIAL_MAGIC_LEN) != 0)
        return raw_block(src, src_len, o);

    while (pos < src_len) {
        uint32_t clen;
        kafc_err_t err;

        if (src_len - pos < 4)
            return KAFC_ERR__DECOMPRESS;
        clen = ((uint32_t)src[pos] << 24) | ((uint32_t)src[pos + 1] << 16) |
               ((uint32_t)src[pos + 2] << 8) | (uint32_t)src[pos + 3];
        pos += 4;
        if (clen == 0 || clen > src_len - pos) /* also catches negative int32 */
            return KAFC_ERR__DECOMPRESS;
        err = raw_block(src + pos, clen, o);
        if (err != KAFC_ERR_NONE)
            return err;
        pos += clen;
    }
    return KAFC_ERR_NONE;
}

#else /* !KAFC_WITH_SNAPPY */

size_t kafc__codec_snappy_bound(size_t n)
{
    (void)n;
    return 0;
}

kafc_err_t kafc__codec_snappy_compress(const void *src, size_t src_len, void *dst, size_t dst_cap,
                                       size_t *dst_len)
{
    (void)src, (void)src_len, (void)dst, (void)dst_cap, (void)dst_len;
    return KAFC_ERR__UNSUPPORTED_FEATURE;
}

kafc_err_t kafc__codec_snappy_decompress(const uint8_t *src, size_t src_len, kafc__codec_out_t *o)
{
    (void)src, (void)src_len, (void)o;
    return KAFC_ERR__UNSUPPORTED_FEATURE;
}

#endif /* KAFC_WITH_SNAPPY */
