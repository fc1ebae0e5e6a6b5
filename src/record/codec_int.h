/*
 * codec_int — what the codec source files (codec.c, codec_lz4.c,
 * codec_snappy.c) share with each other and with nobody else: the context
 * layout, the bounded output buffer used by every decompressor, and each
 * codec's entry points. Everything here follows codec.h's rules: any thread,
 * no lock, a context used by one thread at a time.
 */
#ifndef KAFC_RECORD_CODEC_INT_H
#define KAFC_RECORD_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <lz4frame.h>
#define ZLIB_CONST
#include <zlib.h>
/* For ZSTD_findDecompressedSize() and ZSTD_decompressBound(), exported by
 * libzstd 1.4+ (Debian 12 ships 1.5.4). */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "record/codec.h"

struct kafc__codec_ctx {
    z_stream *deflate; /* gzip compressor, deflateReset between calls */
    int deflate_level; /* the level deflate was set up with */
    z_stream *inflate; /* gzip decompressor, inflateReset between calls */
    ZSTD_CCtx *zstd_c;
    ZSTD_DCtx *zstd_d;
    LZ4F_cctx *lz4_c;
    LZ4F_dctx *lz4_d;
};

/* A decompressor's output: grows geometrically from a first guess, never
 * past max bytes. Owns p until detached. */
typedef struct kafc__codec_out {
    uint8_t *p;
    size_t len; /* bytes decoded */
    size_t cap; /* bytes allocated at p, <= max except the 1-byte minimum */
    size_t max; /* the caller's max_out */
} kafc__codec_out_t;

/* Sets up o with min(guess, max) bytes allocated (at least 1, so success
 * never gives NULL). KAFC_ERR__NO_MEMORY on allocation failure. */
kafc_err_t kafc__codec_out_init(kafc__codec_out_t *o, size_t guess, size_t max);

/* Makes room for at least need more bytes, doubling (capped at max).
 * KAFC_ERR__DECOMPRESS when len + need exceeds max; KAFC_ERR__NO_MEMORY when
 * the allocation fails. */
kafc_err_t kafc__codec_out_reserve(kafc__codec_out_t *o, size_t need);

/* Like kafc__codec_out_reserve(o, 1), except that a buffer already full at
 * max is not an error: returns KAFC_ERR_NONE with o->len == o->cap, and the
 * caller then probes whether the stream would produce more. */
kafc_err_t kafc__codec_out_more(kafc__codec_out_t *o);

/* Frees o's buffer. */
void kafc__codec_out_free(kafc__codec_out_t *o);

/* A first guess at the output size for src_len compressed bytes. */
size_t kafc__codec_out_guess(size_t src_len, size_t max);

/* ---- lz4 (codec_lz4.c) ---------------------------------------------- */

size_t kafc__codec_lz4_bound(size_t src_len);
kafc_err_t kafc__codec_lz4_compress(kafc__codec_ctx_t *ctx, int level, const void *src,
                                    size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);
kafc_err_t kafc__codec_lz4_decompress(kafc__codec_ctx_t *ctx, const uint8_t *src, size_t src_len,
                                      kafc__codec_out_t *o);
/* XXH32 (xxHash, 32-bit), for the lz4 frame header checksum. */
uint32_t kafc__codec_xxh32(const void *data, size_t len, uint32_t seed);

/* ---- snappy (codec_snappy.c) ---------------------------------------- */

size_t kafc__codec_snappy_bound(size_t src_len);
kafc_err_t kafc__codec_snappy_compress(const void *src, size_t src_len, void *dst, size_t dst_cap,
                                       size_t *dst_len);
kafc_err_t kafc__codec_snappy_decompress(const uint8_t *src, size_t src_len, kafc__codec_out_t *o);

#endif /* KAFC_RECORD_CODEC_INT_H */
