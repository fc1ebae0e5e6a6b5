/*
 * codec — dispatch, levels, contexts, the bounded output buffer, and the
 * gzip and zstd codecs. lz4 is in codec_lz4.c, snappy in codec_snappy.c.
 */
#include "record/codec_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GZIP_DEFAULT_LEVEL 6 /* what Z_DEFAULT_COMPRESSION means */
#define GZIP_WINDOW_BITS 15
#define GZIP_MEM_LEVEL 8
#define ZSTD_MAX_LEVEL 22
#define LZ4_MAX_LEVEL 12 /* LZ4HC_CLEVEL_MAX */

/* The first output allocation is at least this (capped at max_out). */
#define OUT_MIN_GUESS ((size_t)16 * 1024)

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* ---- contexts --------------------------------------------------------- */

kafc__codec_ctx_t *kafc__codec_ctx_new(void)
{
    return calloc(1, sizeof(kafc__codec_ctx_t));
}

/* Frees everything ctx holds, leaving it empty (a stack context's teardown
 * too). */
static void ctx_clear(kafc__codec_ctx_t *ctx)
{
    if (ctx->deflate != NULL) {
        deflateEnd(ctx->deflate);
        free(ctx->deflate);
    }
    if (ctx->inflate != NULL) {
        inflateEnd(ctx->inflate);
        free(ctx->inflate);
    }
    ZSTD_freeCCtx(ctx->zstd_c);
    ZSTD_freeDCtx(ctx->zstd_d);
    if (ctx->lz4_c != NULL)
        LZ4F_freeCompressionContext(ctx->lz4_c);
    if (ctx->lz4_d != NULL)
        LZ4F_freeDecompressionContext(ctx->lz4_d);
    memset(ctx, 0, sizeof(*ctx));
}

void kafc__codec_ctx_destroy(kafc__codec_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    ctx_clear(ctx);
    free(ctx);
}

/* ---- names and levels ------------------------------------------------- */

int kafc__codec_available(kafc__codec_t c)
{
    switch (c) {
    case KAFC__CODEC_NONE:
    case KAFC__CODEC_GZIP:
    case KAFC__CODEC_LZ4:
    case KAFC__CODEC_ZSTD:
        return 1;
    case KAFC__CODEC_SNAPPY:
#ifdef KAFC_WITH_SNAPPY
        return 1;
#else
        return 0;
#endif
    }
    return 0;
}

const char *kafc__codec_name(kafc__codec_t c)
{
    switch (c) {
    case KAFC__CODEC_NONE:
        return "none";
    case KAFC__CODEC_GZIP:
        return "gzip";
    case KAFC__CODEC_SNAPPY:
        return "snappy";
    case KAFC__CODEC_LZ4:
        return "lz4";
    case KAFC__CODEC_ZSTD:
        return "zstd";
    }
    return "unknown";
}

kafc_err_t kafc__codec_from_name(const char *name, kafc__codec_t *cp)
{
    static const kafc__codec_t all[] = {KAFC__CODEC_NONE, KAFC__CODEC_GZIP, KAFC__CODEC_SNAPPY,
                                        KAFC__CODEC_LZ4, KAFC__CODEC_ZSTD};
    size_t i;

    if (name == NULL || cp == NULL)
        return KAFC_ERR__INVALID_ARG;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, kafc__codec_name(all[i])) == 0) {
            *cp = all[i];
            return KAFC_ERR_NONE;
        }
    }
    return KAFC_ERR__INVALID_ARG;
}

static void set_errstr(char *errstr, size_t errstr_size, const char *fmt, int level,
                       const char *name)
{
    if (errstr != NULL && errstr_size > 0)
        snprintf(errstr, errstr_size, fmt, level, name);
}

kafc_err_t kafc__codec_check_level(kafc__codec_t c, int level, char *errstr, size_t errstr_size)
{
    int lo, hi;

    if (!kafc__codec_available(c)) {
        set_errstr(errstr, errstr_size, "compression.level %d: codec %s is not available", level,
                   kafc__codec_name(c));
        return KAFC_ERR__UNSUPPORTED_FEATURE;
    }
    switch (c) {
    case KAFC__CODEC_GZIP:
        lo = 0, hi = 9;
        break;
    case KAFC__CODEC_LZ4:
        lo = 0, hi = LZ4_MAX_LEVEL;
        break;
    case KAFC__CODEC_ZSTD:
        lo = 0, hi = ZSTD_MAX_LEVEL;
        break;
    case KAFC__CODEC_SNAPPY:
        lo = 0, hi = 0;
        break;
    default: /* NONE ignores the level */
        return KAFC_ERR_NONE;
    }
    if (level == KAFC__CODEC_LEVEL_DEFAULT || (level >= lo && level <= hi))
        return KAFC_ERR_NONE;
    if (errstr != NULL && errstr_size > 0)
        snprintf(errstr, errstr_size,
                 "compression.level %d is out of range for %s: %d..%d, or -1 for the default",
                 level, kafc__codec_name(c), lo, hi);
    return KAFC_ERR__INVALID_ARG;
}

size_t kafc__codec_compress_bound(kafc__codec_t c, size_t n)
{
    size_t b;

    if (!kafc__codec_available(c))
        return 0;
    switch (c) {
    case KAFC__CODEC_NONE:
        return n;
    case KAFC__CODEC_GZIP:
        /* zlib's tight deflateBound() for windowBits 15, memLevel 8 (any
         * level), with the 18-byte gzip header and trailer. */
        if (n > SIZE_MAX / 2)
            return SIZE_MAX;
        return n + (n >> 12) + (n >> 14) + (n >> 25) + 7 + 18;
    case KAFC__CODEC_SNAPPY:
        return kafc__codec_snappy_bound(n);
    case KAFC__CODEC_LZ4:
        return kafc__codec_lz4_bound(n);
    case KAFC__CODEC_ZSTD:
        b = ZSTD_compressBound(n);
        return ZSTD_isError(b) ? SIZE_MAX : b;
    }
    return 0;
}

/* ---- the bounded output buffer --------------------------------------- */

size_t kafc__codec_out_guess(size_t src_len, size_t max)
{
    size_t g = src_len > SIZE_MAX / 4 ? SIZE_MAX : src_len * 4;
    if (g < OUT_MIN_GUESS)
        g = OUT_MIN_GUESS;
    return min_size(g, max);
}

/* cap is the logical capacity (<= max); at least 1 byte is allocated so a
 * successful empty result is never NULL. */
static kafc_err_t out_resize(kafc__codec_out_t *o, size_t cap)
{
    uint8_t *p = realloc(o->p, cap > 0 ? cap : 1);
    if (p == NULL)
        return KAFC_ERR__NO_MEMORY;
    o->p = p;
    o->cap = cap;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__codec_out_init(kafc__codec_out_t *o, size_t guess, size_t max)
{
    o->p = NULL;
    o->len = 0;
    o->cap = 0;
    o->max = max;
    return out_resize(o, min_size(guess, max));
}

kafc_err_t kafc__codec_out_reserve(kafc__codec_out_t *o, size_t need)
{
    size_t cap;

    if (need > o->max - o->len)
        return KAFC_ERR__DECOMPRESS;
    if (o->cap - o->len >= need)
        return KAFC_ERR_NONE;
    cap = o->cap > o->max / 2 ? o->max : o->cap * 2;
    if (cap < o->len + need)
        cap = o->len + need;
    if (cap < OUT_MIN_GUESS)
        cap = min_size(OUT_MIN_GUESS, o->max);
    return out_resize(o, cap);
}

kafc_err_t kafc__codec_out_more(kafc__codec_out_t *o)
{
    if (o->len < o->cap || o->cap == o->max)
        return KAFC_ERR_NONE;
    return kafc__codec_out_reserve(o, 1);
}

void kafc__codec_out_free(kafc__codec_out_t *o)
{
    free(o->p);
    o->p = NULL;
    o->len = o->cap = 0;
}

/* ---- gzip ------------------------------------------------------------ */

static kafc_err_t gzip_compress(kafc__codec_ctx_t *ctx, int level, const uint8_t *src,
                                size_t src_len, uint8_t *dst, size_t dst_cap, size_t *dst_len)
{
    z_stream *zs = ctx->deflate;
    size_t in_pos = 0, out_pos = 0;

    if (level == KAFC__CODEC_LEVEL_DEFAULT)
        level = GZIP_DEFAULT_LEVEL;
    if (zs != NULL && ctx->deflate_level != level) {
        deflateEnd(zs);
        free(zs);
        zs = ctx->deflate = NULL;
    }
    if (zs == NULL) {
        zs = calloc(1, sizeof(*zs));
        if (zs == NULL)
            return KAFC_ERR__NO_MEMORY;
        /* windowBits + 16: a gzip wrapper, as Java's GZIPOutputStream. */
        switch (deflateInit2(zs, level, Z_DEFLATED, GZIP_WINDOW_BITS + 16, GZIP_MEM_LEVEL,
                             Z_DEFAULT_STRATEGY)) {
        case Z_OK:
            break;
        case Z_MEM_ERROR:
            free(zs);
            return KAFC_ERR__NO_MEMORY;
        default:
            free(zs);
            return KAFC_ERR__COMPRESS;
        }
        ctx->deflate = zs;
        ctx->deflate_level = level;
    } else if (deflateReset(zs) != Z_OK) {
        return KAFC_ERR__COMPRESS;
    }

    for (;;) {
        size_t in_avail = min_size(src_len - in_pos, UINT_MAX);
        size_t out_avail = min_size(dst_cap - out_pos, UINT_MAX);
        int last = in_pos + in_avail == src_len;
        int rc;

        zs->next_in = src + in_pos;
        zs->avail_in = (uInt)in_avail;
        zs->next_out = dst + out_pos;
        zs->avail_out = (uInt)out_avail;
        rc = deflate(zs, last ? Z_FINISH : Z_NO_FLUSH);
        in_pos += in_avail - zs->avail_in;
        out_pos += out_avail - zs->avail_out;
        if (rc == Z_STREAM_END) {
            *dst_len = out_pos;
            return KAFC_ERR_NONE;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return KAFC_ERR__COMPRESS;
        if (out_pos == dst_cap)
            return KAFC_ERR__BUF_OVERFLOW;
        if (rc == Z_BUF_ERROR) /* no progress with room on both sides */
            return KAFC_ERR__COMPRESS;
    }
}

static kafc_err_t gzip_decompress(kafc__codec_ctx_t *ctx, const uint8_t *src, size_t src_len,
                                  kafc__codec_out_t *o)
{
    z_stream *zs = ctx->inflate;
    size_t in_pos = 0;
    uint8_t probe[1];

    if (zs == NULL) {
        zs = calloc(1, sizeof(*zs));
        if (zs == NULL)
            return KAFC_ERR__NO_MEMORY;
        /* windowBits + 32: a gzip or a zlib wrapper, detected. */
        switch (inflateInit2(zs, GZIP_WINDOW_BITS + 32)) {
        case Z_OK:
            break;
        case Z_MEM_ERROR:
            free(zs);
            return KAFC_ERR__NO_MEMORY;
        default:
            free(zs);
            return KAFC_ERR__DECOMPRESS;
        }
        ctx->inflate = zs;
    } else if (inflateReset(zs) != Z_OK) {
        return KAFC_ERR__DECOMPRESS;
    }

    for (;;) {
        kafc_err_t err = kafc__codec_out_more(o);
        int probing = o->len == o->cap; /* full at max: may not grow */
        uint8_t *out = probing ? probe : o->p + o->len;
        size_t out_avail = probing ? sizeof(probe) : min_size(o->cap - o->len, UINT_MAX);
        size_t in_avail = min_size(src_len - in_pos, UINT_MAX);
        size_t made;
        int rc;

        if (err != KAFC_ERR_NONE)
            return err;
        zs->next_in = src + in_pos;
        zs->avail_in = (uInt)in_avail;
        zs->next_out = out;
        zs->avail_out = (uInt)out_avail;
        rc = inflate(zs, Z_NO_FLUSH);
        in_pos += in_avail - zs->avail_in;
        made = out_avail - zs->avail_out;
        if (made > 0) {
            if (probing)
                return KAFC_ERR__DECOMPRESS; /* more than max_out */
            o->len += made;
        }
        switch (rc) {
        case Z_OK:
            break;
        case Z_STREAM_END:
            if (in_pos == src_len)
                return KAFC_ERR_NONE;
            /* Another member follows (or garbage, which inflate rejects). */
            if (inflateReset(zs) != Z_OK)
                return KAFC_ERR__DECOMPRESS;
            break;
        case Z_MEM_ERROR:
            return KAFC_ERR__NO_MEMORY;
        default: /* Z_BUF_ERROR: truncated; Z_DATA_ERROR, Z_NEED_DICT: corrupt */
            return KAFC_ERR__DECOMPRESS;
        }
    }
}

/* ---- zstd ------------------------------------------------------------ */

static kafc_err_t zstd_err(size_t r, kafc_err_t otherwise)
{
    switch (ZSTD_getErrorCode(r)) {
    case ZSTD_error_memory_allocation:
        return KAFC_ERR__NO_MEMORY;
    case ZSTD_error_dstSize_tooSmall:
        return otherwise == KAFC_ERR__COMPRESS ? KAFC_ERR__BUF_OVERFLOW : otherwise;
    default:
        return otherwise;
    }
}

static kafc_err_t zstd_compress(kafc__codec_ctx_t *ctx, int level, const void *src, size_t src_len,
                                void *dst, size_t dst_cap, size_t *dst_len)
{
    size_t r;

    if (ctx->zstd_c == NULL) {
        ctx->zstd_c = ZSTD_createCCtx();
        if (ctx->zstd_c == NULL)
            return KAFC_ERR__NO_MEMORY;
    }
    ZSTD_CCtx_reset(ctx->zstd_c, ZSTD_reset_session_and_parameters);
    r = ZSTD_CCtx_setParameter(ctx->zstd_c, ZSTD_c_compressionLevel,
                               level == KAFC__CODEC_LEVEL_DEFAULT ? ZSTD_CLEVEL_DEFAULT : level);
    if (ZSTD_isError(r))
        return KAFC_ERR__COMPRESS;
    /* One-shot: the frame gets its content size and a window no larger
     * than the input. */
    r = ZSTD_compress2(ctx->zstd_c, dst, dst_cap, src, src_len);
    if (ZSTD_isError(r))
        return zstd_err(r, KAFC_ERR__COMPRESS);
    *dst_len = r;
    return KAFC_ERR_NONE;
}

/* One-shot decoding into a buffer sized from the frames (content sizes, or
 * the bound their block headers give), capped at max_out, retried with a
 * doubled buffer while it is too small. One-shot decoding writes straight
 * into the output, so no window buffer is allocated whatever window size a
 * frame declares. */
static kafc_err_t zstd_decompress(kafc__codec_ctx_t *ctx, const uint8_t *src, size_t src_len,
                                  kafc__codec_out_t *o)
{
    unsigned long long size = ZSTD_findDecompressedSize(src, src_len);
    int exact = 1;
    kafc_err_t err;

    if (size == ZSTD_CONTENTSIZE_ERROR)
        return KAFC_ERR__DECOMPRESS;
    if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
        exact = 0;
        size = ZSTD_decompressBound(src, src_len);
        if (size == ZSTD_CONTENTSIZE_ERROR)
            return KAFC_ERR__DECOMPRESS;
        if (size > o->max)
            size = kafc__codec_out_guess(src_len, o->max);
    } else if (size > o->max) {
        return KAFC_ERR__DECOMPRESS;
    }
    if (ctx->zstd_d == NULL) {
        ctx->zstd_d = ZSTD_createDCtx();
        if (ctx->zstd_d == NULL)
            return KAFC_ERR__NO_MEMORY;
    }
    if (o->cap < size) {
        err = kafc__codec_out_reserve(o, (size_t)size);
        if (err != KAFC_ERR_NONE)
            return err;
    }
    for (;;) {
        size_t r = ZSTD_decompressDCtx(ctx->zstd_d, o->p, o->cap, src, src_len);
        if (!ZSTD_isError(r)) {
            if (exact && r != size)
                return KAFC_ERR__DECOMPRESS;
            o->len = r;
            return KAFC_ERR_NONE;
        }
        if (ZSTD_getErrorCode(r) != ZSTD_error_dstSize_tooSmall || exact)
            return zstd_err(r, KAFC_ERR__DECOMPRESS);
        if (o->cap == o->max)
            return KAFC_ERR__DECOMPRESS; /* more than max_out */
        err = kafc__codec_out_reserve(o, o->cap + 1);
        if (err != KAFC_ERR_NONE)
            return err;
    }
}

/* ---- dispatch -------------------------------------------------------- */

kafc_err_t kafc__codec_ctx_compress(kafc__codec_ctx_t *ctx, kafc__codec_t c, int level,
                                    const void *src, size_t src_len, void *dst, size_t dst_cap,
                                    size_t *dst_len)
{
    kafc__codec_ctx_t tmp;
    kafc_err_t err;

    if (dst_len == NULL)
        return KAFC_ERR__INVALID_ARG;
    *dst_len = 0;
    if (dst == NULL || (src == NULL && src_len > 0))
        return KAFC_ERR__INVALID_ARG;
    err = kafc__codec_check_level(c, level, NULL, 0);
    if (err != KAFC_ERR_NONE)
        return err;
    if (src == NULL)
        src = "";

    switch (c) {
    case KAFC__CODEC_NONE:
        if (src_len > dst_cap)
            return KAFC_ERR__BUF_OVERFLOW;
        memcpy(dst, src, src_len);
        *dst_len = src_len;
        return KAFC_ERR_NONE;
    case KAFC__CODEC_SNAPPY:
        return kafc__codec_snappy_compress(src, src_len, dst, dst_cap, dst_len);
    default:
        break;
    }

    if (ctx == NULL) {
        memset(&tmp, 0, sizeof(tmp));
        ctx = &tmp;
    }
    if (c == KAFC__CODEC_GZIP)
        err = gzip_compress(ctx, level, src, src_len, dst, dst_cap, dst_len);
    else if (c == KAFC__CODEC_LZ4)
        err = kafc__codec_lz4_compress(ctx, level, src, src_len, dst, dst_cap, dst_len);
    else
        err = zstd_compress(ctx, level, src, src_len, dst, dst_cap, dst_len);
    if (err != KAFC_ERR_NONE)
        *dst_len = 0;
    if (ctx == &tmp)
        ctx_clear(&tmp);
    return err;
}

kafc_err_t kafc__codec_compress(kafc__codec_t c, int level, const void *src, size_t src_len,
                                void *dst, size_t dst_cap, size_t *dst_len)
{
    return kafc__codec_ctx_compress(NULL, c, level, src, src_len, dst, dst_cap, dst_len);
}

kafc_err_t kafc__codec_ctx_decompress(kafc__codec_ctx_t *ctx, kafc__codec_t c, const void *src,
                                      size_t src_len, size_t max_out, uint8_t **outp,
                                      size_t *out_len)
{
    kafc__codec_ctx_t tmp;
    kafc__codec_out_t o;
    kafc_err_t err;

    if (outp == NULL || out_len == NULL)
        return KAFC_ERR__INVALID_ARG;
    *outp = NULL;
    *out_len = 0;
    if (src == NULL && src_len > 0)
        return KAFC_ERR__INVALID_ARG;
    if (!kafc__codec_available(c))
        return KAFC_ERR__UNSUPPORTED_FEATURE;
    if (c == KAFC__CODEC_NONE) {
        if (src_len > max_out)
            return KAFC_ERR__DECOMPRESS;
        err = kafc__codec_out_init(&o, src_len, max_out);
        if (err != KAFC_ERR_NONE)
            return err;
        if (src_len > 0)
            memcpy(o.p, src, src_len);
        *outp = o.p;
        *out_len = src_len;
        return KAFC_ERR_NONE;
    }
    if (src_len == 0) /* every codec writes at least a header */
        return KAFC_ERR__DECOMPRESS;

    /* zstd sizes its own output. */
    err = kafc__codec_out_init(
        &o, c == KAFC__CODEC_ZSTD ? 0 : kafc__codec_out_guess(src_len, max_out), max_out);
    if (err != KAFC_ERR_NONE)
        return err;
    if (ctx == NULL) {
        memset(&tmp, 0, sizeof(tmp));
        ctx = &tmp;
    }
    switch (c) {
    case KAFC__CODEC_GZIP:
        err = gzip_decompress(ctx, src, src_len, &o);
        break;
    case KAFC__CODEC_SNAPPY:
        err = kafc__codec_snappy_decompress(src, src_len, &o);
        break;
    case KAFC__CODEC_LZ4:
        err = kafc__codec_lz4_decompress(ctx, src, src_len, &o);
        break;
    default:
        err = zstd_decompress(ctx, src, src_len, &o);
        break;
    }
    if (ctx == &tmp)
        ctx_clear(&tmp);
    if (err != KAFC_ERR_NONE) {
        kafc__codec_out_free(&o);
        return err;
    }
    *outp = o.p;
    *out_len = o.len;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__codec_decompress(kafc__codec_t c, const void *src, size_t src_len, size_t max_out,
                                  uint8_t **outp, size_t *out_len)
{
    return kafc__codec_ctx_decompress(NULL, c, src, src_len, max_out, outp, out_len);
}
