/*
 * codec — the compression codecs of Kafka record batches: gzip (zlib),
 * snappy (libsnappy, xerial framing), lz4 (LZ4 frame format) and zstd.
 *
 * The producer compresses a batch's records section with
 * kafc__codec_compress(); the consumer inflates it with
 * kafc__codec_decompress(), which never produces (nor allocates) more than a
 * caller-given cap, so a decompression bomb is an error and not an OOM.
 * Truncated, corrupt or inconsistent input gives KAFC_ERR__DECOMPRESS and is
 * never read or written out of bounds. The wire formats are the ones Kafka's
 * Java client writes and reads:
 *   gzip    a gzip member (RFC 1952); decoding also takes several
 *           concatenated members and a zlib (RFC 1950) wrapper.
 *   snappy  xerial's framing: the 16-byte header 82 'SNAPPY' 00, version 1,
 *           compatible 1, then [int32 BE length][raw snappy block] chunks of
 *           at most 32 KiB input each. Decoding also takes one raw snappy
 *           block (what librdkafka and kafka-python write without xerial).
 *   lz4     an LZ4 frame (lz4 spec v1.6.x, KIP-57): 64 KiB independent
 *           blocks, no checksums, the correct header checksum. Decoding takes
 *           any frame liblz4 reads (checksums, linked blocks, content size),
 *           several concatenated frames, and the wrong header checksum that
 *           Kafka 0.8/0.9 wrote (computed over the magic too).
 *   zstd    one zstd frame with its content size; decoding takes several
 *           concatenated frames and frames without a content size.
 *
 * Compression levels follow librdkafka's compression.level: -1 is the
 * codec's default everywhere; gzip 0..9 (default 6, zlib's); lz4 0..12
 * (default 0: fast mode like Java's and librdkafka's default; 3..12 are LZ4
 * HC); zstd 0..22 (default 3; 0 is zstd's own default, also 3); snappy has
 * no levels (-1 or 0). Negative zstd "fast" levels and lz4-java's 13..17 are
 * rejected: -1 would be ambiguous, and liblz4 stops at 12.
 *
 * Threads and ownership: every function here may run on any thread and takes
 * no lock. A kafc__codec_ctx_t holds reusable zlib/zstd/lz4 state (created
 * lazily, kept across calls, so the producer does not set up a compressor
 * per batch); one context belongs to one thread at a time: never share it
 * between threads without a lock. Source buffers are borrowed for the call;
 * compression writes into the caller's buffer; decompression returns a
 * malloc()ed buffer that the caller takes and frees with free().
 */
#ifndef KAFC_RECORD_CODEC_H
#define KAFC_RECORD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"

/* The codec ids are the low 3 bits of a record batch's attributes. */
typedef enum kafc__codec {
    KAFC__CODEC_NONE = 0,
    KAFC__CODEC_GZIP = 1,
    KAFC__CODEC_SNAPPY = 2,
    KAFC__CODEC_LZ4 = 3,
    KAFC__CODEC_ZSTD = 4
} kafc__codec_t;

/* The level that selects a codec's default. */
#define KAFC__CODEC_LEVEL_DEFAULT (-1)

/* xerial's chunk size: the most input one snappy chunk covers. */
#define KAFC__CODEC_SNAPPY_CHUNK (32 * 1024)

/* Reusable codec state; see the header comment for the thread rule. */
typedef struct kafc__codec_ctx kafc__codec_ctx_t;

/* A new, empty context (codec state is created on first use), or NULL when
 * memory is exhausted. Any thread. */
kafc__codec_ctx_t *kafc__codec_ctx_new(void);

/* Frees ctx and all codec state it holds. NULL is a no-op. Any thread, as
 * long as no other thread uses ctx. */
void kafc__codec_ctx_destroy(kafc__codec_ctx_t *ctx);

/* 1 when this build can compress and decompress with c (snappy only when
 * built with KAFC_WITH_SNAPPY; NONE always), 0 otherwise and for unknown
 * ids. Any thread. */
int kafc__codec_available(kafc__codec_t c);

/* "none", "gzip", "snappy", "lz4", "zstd", or "unknown". Static string. */
const char *kafc__codec_name(kafc__codec_t c);

/* Parses a compression.type value ("none", "gzip", "snappy", "lz4", "zstd";
 * exact, lower case) into *cp. Returns KAFC_ERR_NONE, or
 * KAFC_ERR__INVALID_ARG for any other name (*cp untouched). name borrowed. */
kafc_err_t kafc__codec_from_name(const char *name, kafc__codec_t *cp);

/* Checks that level is allowed for c (ranges in the header comment).
 * Returns KAFC_ERR_NONE, KAFC_ERR__INVALID_ARG (level out of range; errstr
 * says the range) or KAFC_ERR__UNSUPPORTED_FEATURE (codec unknown or not in
 * this build). errstr: caller's buffer of errstr_size bytes, may be NULL
 * when errstr_size is 0; NUL-terminated on failure. Any thread. */
kafc_err_t kafc__codec_check_level(kafc__codec_t c, int level, char *errstr, size_t errstr_size);

/* An upper bound on the compressed size of src_len input bytes, framing
 * included; kafc__codec_compress() never fails for room when given at least
 * this much. 0 for an unknown or unavailable codec, and SIZE_MAX when the
 * bound overflows. Any thread. */
size_t kafc__codec_compress_bound(kafc__codec_t c, size_t src_len);

/* Compresses src_len bytes at src (borrowed) into dst (the caller's, dst_cap
 * bytes) and sets *dst_len to the compressed size. level is checked as by
 * kafc__codec_check_level(). NONE copies. ctx may be NULL (state is then set
 * up and torn down for this call only). src may be NULL when src_len is 0.
 * Returns:
 *   KAFC_ERR_NONE                  *dst_len set.
 *   KAFC_ERR__BUF_OVERFLOW         dst_cap is too small; give it
 *                                  kafc__codec_compress_bound() bytes (lz4
 *                                  and snappy need the full bound up front).
 *   KAFC_ERR__INVALID_ARG          bad level, or NULL dst/dst_len.
 *   KAFC_ERR__UNSUPPORTED_FEATURE  unknown codec, or snappy not built in.
 *   KAFC_ERR__NO_MEMORY            codec state could not be allocated.
 *   KAFC_ERR__COMPRESS             the codec library failed otherwise.
 * On failure *dst_len is 0 and dst's contents are unspecified. Any thread;
 * ctx used by one thread at a time. */
kafc_err_t kafc__codec_ctx_compress(kafc__codec_ctx_t *ctx, kafc__codec_t c, int level,
                                    const void *src, size_t src_len, void *dst, size_t dst_cap,
                                    size_t *dst_len);

/* kafc__codec_ctx_compress() without a context. */
kafc_err_t kafc__codec_compress(kafc__codec_t c, int level, const void *src, size_t src_len,
                                void *dst, size_t dst_cap, size_t *dst_len);

/* Decompresses src_len bytes at src (borrowed) into a new buffer that the
 * caller takes: *outp (free() it; non-NULL on success, even for empty
 * output) holding *out_len bytes. The output grows geometrically as it is
 * decoded, never past max_out bytes, whatever sizes the input declares: no
 * output allocation is ever larger than max_out (or 1 byte), and input that
 * would decode to more fails as soon as the cap is reached. The codec
 * libraries keep their own bounded working memory (zstd is decoded in one
 * shot into the output, so it allocates no window). NONE copies. ctx may be
 * NULL.
 * Returns:
 *   KAFC_ERR_NONE                  *outp and *out_len set.
 *   KAFC_ERR__DECOMPRESS           the output would exceed max_out, or the
 *                                  input is empty, truncated, corrupt, or has
 *                                  trailing bytes that are not another frame.
 *   KAFC_ERR__INVALID_ARG          NULL outp/out_len, or NULL src with
 *                                  src_len > 0.
 *   KAFC_ERR__UNSUPPORTED_FEATURE  unknown codec, or snappy not built in.
 *   KAFC_ERR__NO_MEMORY            an allocation failed.
 * On failure *outp is NULL and *out_len 0. Any thread; ctx used by one
 * thread at a time. */
kafc_err_t kafc__codec_ctx_decompress(kafc__codec_ctx_t *ctx, kafc__codec_t c, const void *src,
                                      size_t src_len, size_t max_out, uint8_t **outp,
                                      size_t *out_len);

/* kafc__codec_ctx_decompress() without a context. */
kafc_err_t kafc__codec_decompress(kafc__codec_t c, const void *src, size_t src_len, size_t max_out,
                                  uint8_t **outp, size_t *out_len);

#endif /* KAFC_RECORD_CODEC_H */
