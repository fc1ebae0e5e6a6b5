/*
 * codec_lz4 — the lz4 codec: LZ4 frames (liblz4's LZ4F API) as Kafka writes
 * them since KIP-57, plus the legacy header checksum of Kafka 0.8/0.9.
 */
#include "record/codec_int.h"

#include <string.h>

#define LZ4_FRAME_MAGIC 0x184D2204u

/* Kafka's frame: 64 KiB independent blocks (Java's KafkaLZ4BlockInputStream
 * reads nothing else), no block or content checksum, no content size. */
static void lz4_prefs(LZ4F_preferences_t *p, int level)
{
    memset(p, 0, sizeof(*p));
    p->frameInfo.blockSizeID = LZ4F_max64KB;
    p->frameInfo.blockMode = LZ4F_blockIndependent;
    p->frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    p->frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    p->frameInfo.frameType = LZ4F_frame;
    p->frameInfo.contentSize = 0;
    /* 0..2 are liblz4's fast mode, 3..12 LZ4 HC. */
    p->compressionLevel = level < 0 ? 0 : level;
    p->autoFlush = 1;
}

size_t kafc__codec_lz4_bound(size_t src_len)
{
    LZ4F_preferences_t prefs;

    if (src_len > SIZE_MAX / 2)
        return SIZE_MAX;
    lz4_prefs(&prefs, 0);
    return LZ4F_compressFrameBound(src_len, &prefs);
}

kafc_err_t kafc__codec_lz4_compress(kafc__codec_ctx_t *ctx, int level, const void *src,
                                    size_t src_len, void *dst, size_t dst_cap, size_t *dst_len)
{
    LZ4F_preferences_t prefs;
    uint8_t *out = dst;
    size_t r, pos;

    /* liblz4 insists on room for the worst case before it starts. */
    if (dst_cap < kafc__codec_lz4_bound(src_len))
        return KAFC_ERR__BUF_OVERFLOW;
    if (ctx->lz4_c == NULL) {
        if (LZ4F_isError(LZ4F_createCompressionContext(&ctx->lz4_c, LZ4F_VERSION))) {
            ctx->lz4_c = NULL;
            return KAFC_ERR__NO_MEMORY;
        }
    }
    lz4_prefs(&prefs, level);
    /* Begin/update/end rather than LZ4F_compressFrame(), which would set up
     * a new context on every call. */
    r = LZ4F_compressBegin(ctx->lz4_c, out, dst_cap, &prefs);
    if (LZ4F_isError(r))
        return KAFC_ERR__COMPRESS;
    pos = r;
    if (src_len > 0) {
        r = LZ4F_compressUpdate(ctx->lz4_c, out + pos, dst_cap - pos, src, src_len, NULL);
        if (LZ4F_isError(r))
            return KAFC_ERR__COMPRESS;
        pos += r;
    }
    r = LZ4F_compressEnd(ctx->lz4_c, out + pos, dst_cap - pos, NULL);
    if (LZ4F_isError(r))
        return KAFC_ERR__COMPRESS;
    r += pos;
    *dst_len = r;
    return KAFC_ERR_NONE;
}

/* ---- XXH32 ------------------------------------------------------------ */

#define XXH_P1 2654435761u
#define XXH_P2 2246822519u
#define XXH_P3 3266489917u
#define XXH_P4 668265263u
#define XXH_P5 374761393u

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t xxh_round(uint32_t acc, uint32_t in)
{
    return rotl32(acc + in * XXH_P2, 13) * XXH_P1;
}

uint32_t kafc__codec_xxh32(const void *data, size_t len, uint32_t seed)
{
    const uint8_t *p = data, *end = p + len;
    uint32_t h;

    if (len >= 16) {
        uint32_t v1 = seed + XXH_P1 + XXH_P2, v2 = seed + XXH_P2, v3 = seed, v4 = seed - XXH_P1;
        do {
            v1 = xxh_round(v1, read_le32(p));
            v2 = xxh_round(v2, read_le32(p + 4));
            v3 = xxh_round(v3, read_le32(p + 8));
            v4 = xxh_round(v4, read_le32(p + 12));
            p += 16;
        } while ((size_t)(end - p) >= 16);
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + XXH_P5;
    }
    h += (uint32_t)len;
    while ((size_t)(end - p) >= 4) {
        h = rotl32(h + read_le32(p) * XXH_P3, 17) * XXH_P4;
        p += 4;
    }
    while (p < end) {
        h = rotl32(h + (*p++) * XXH_P5, 11) * XXH_P1;
    }
    h ^= h >> 15;
    h *= XXH_P2;
    h ^= h >> 13;
    h *= XXH_P3;
    h ^= h >> 16;
    return h;
}

/* Kafka before KIP-57 (message format v0) computed the frame's header
 * checksum over the magic number too. When the first frame's checksum is
 * wrong in exactly that way, copies its header into hdr with the checksum
 * corrected and returns the header's length; else 0 (liblz4 then judges the
 * header itself). */
static size_t lz4_legacy_header(const uint8_t *src, size_t len, uint8_t hdr[LZ4F_HEADER_SIZE_MAX])
{
    size_t desc;
    uint8_t hc;

    if (len < 7 || read_le32(src) != LZ4_FRAME_MAGIC)
        return 0;
    desc = 2 + ((src[4] & 0x08) ? 8 : 0) + ((src[4] & 0x01) ? 4 : 0); /* FLG, BD, size, dict */
    if (len < 4 + desc + 1)
        return 0;
    hc = (uint8_t)(kafc__codec_xxh32(src + 4, desc, 0) >> 8);
    if (src[4 + desc] == hc || src[4 + desc] != (uint8_t)(kafc__codec_xxh32(src, 4 + desc, 0) >> 8))
        return 0;
    memcpy(hdr, src, 4 + desc);
    hdr[4 + desc] = hc;
    return 4 + desc + 1;
}

kafc_err_t kafc__codec_lz4_decompress(kafc__codec_ctx_t *ctx, const uint8_t *src, size_t src_len,
                                      kafc__codec_out_t *o)
{
    uint8_t hdr[LZ4F_HEADER_SIZE_MAX];
    size_t hdr_len, in_pos = 0;
    uint8_t probe[1];
    int stalls = 0;

    if (ctx->lz4_d == NULL) {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx->lz4_d, LZ4F_VERSION))) {
            ctx->lz4_d = NULL;
            return KAFC_ERR__NO_MEMORY;
        }
    } else {
        LZ4F_resetDecompressionContext(ctx->lz4_d);
    }
    hdr_len = lz4_legacy_header(src, src_len, hdr);

    for (;;) {
        kafc_err_t err = kafc__codec_out_more(o);
        int probing = o->len == o->cap; /* full at max: may not grow */
        uint8_t *out = probing ? probe : o->p + o->len;
        size_t out_avail = probing ? sizeof(probe) : o->cap - o->len;
        /* The corrected header (if any) stands in for the first bytes. */
        const uint8_t *in = in_pos < hdr_len ? hdr + in_pos : src + in_pos;
        size_t in_avail = in_pos < hdr_len ? hdr_len - in_pos : src_len - in_pos;
        size_t made = out_avail, used = in_avail, r;

        if (err != KAFC_ERR_NONE)
            return err;
        r = LZ4F_decompress(ctx->lz4_d, out, &made, in, &used, NULL);
        if (LZ4F_isError(r))
            return KAFC_ERR__DECOMPRESS;
        in_pos += used;
        if (made > 0) {
            if (probing)
                return KAFC_ERR__DECOMPRESS; /* more than max_out */
            o->len += made;
        }
        if (r == 0) { /* a frame ended; the context is ready for the next */
            if (in_pos == src_len)
                return KAFC_ERR_NONE;
            continue;
        }
        if (used == 0 && made == 0) {
            /* Out of input mid-frame: truncated. (With input left, liblz4
             * always makes progress; the stall count is a safety net.) */
            if (in_pos == src_len || ++stalls > 2)
                return KAFC_ERR__DECOMPRESS;
        } else {
            stalls = 0;
        }
    }
}
