/*
 * fuzz_codec — libFuzzer target for the record-batch decompressors
 * (src/record/codec*.c).
 *
 * Input: one selector byte, then the compressed bytes. The selector's low 3
 * bits pick the codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5..7 are
 * unknown ids and must be refused); its high 5 bits pick the level of the
 * re-compression. The rest is decompressed with a 1 MiB cap; when that
 * succeeds, the output is compressed again, decompressed again, and must
 * come back byte for byte. Any crash, sanitizer report, over-cap output,
 * unexpected error code or mismatch is a finding.
 *
 * One codec context is reused across inputs, as the consumer reuses one
 * across batches, so state leaking from one input into the next shows too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/codec.h"

#define MAX_OUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kafc__codec_ctx_t *ctx;

/* A level from the selector's high bits: -1 or lo..hi, kept to the
 * quicker levels so the fuzzer stays fast (the round trip tests cover the
 * top levels). */
static int pick_level(kafc__codec_t c, unsigned sel)
{
    int span;

    switch (c) {
    case KAFC__CODEC_GZIP:
        span = 10; /* 0..9 */
        break;
    case KAFC__CODEC_LZ4:
        span = 10; /* 0..9 */
        break;
    case KAFC__CODEC_ZSTD:
        span = 8; /* 0..7 */
        break;
    default:
        return -1;
    }
    return sel == 0 ? -1 : (int)((sel - 1) % (unsigned)span);
}

static void die(const char *what, kafc__codec_t c, kafc_err_t err)
{
    fprintf(stderr, "fuzz_codec: %s (codec %d, err %d)\n", what, (int)c, (int)err);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kafc__codec_t c;
    uint8_t *out = NULL, *comp, *back = NULL;
    size_t out_len = 0, comp_len = 0, bound, back_len = 0;
    int level;
    kafc_err_t err;

    if (size < 1)
        return 0;
    if (ctx == NULL && (ctx = kafc__codec_ctx_new()) == NULL)
        abort();
    c = (kafc__codec_t)(data[0] & 7);
    level = pick_level(c, data[0] >> 3);

    /* A copy of exactly the input bytes, so ASan sees any over-read. */
    {
        uint8_t *src = size > 1 ? malloc(size - 1) : NULL;
        if (size > 1) {
            if (src == NULL)
                return 0;
            memcpy(src, data + 1, size - 1);
        }
        err = kafc__codec_ctx_decompress(ctx, c, src, size - 1, MAX_OUT, &out, &out_len);
        free(src);
    }
    if (!kafc__codec_available(c)) {
        if (err != KAFC_ERR__UNSUPPORTED_FEATURE)
            die("unknown codec not refused", c, err);
        return 0;
    }
    if (err != KAFC_ERR_NONE) {
        if (err != KAFC_ERR__DECOMPRESS && err != KAFC_ERR__NO_MEMORY)
            die("unexpected error", c, err);
        if (out != NULL || out_len != 0)
            die("output left on error", c, err);
        return 0;
    }
    if (out == NULL || out_len > MAX_OUT)
        die("bad output on success", c, err);

    bound = kafc__codec_compress_bound(c, out_len);
    comp = malloc(bound > 0 ? bound : 1);
    if (comp == NULL) {
        free(out);
        return 0;
    }
    err = kafc__codec_ctx_compress(ctx, c, level, out, out_len, comp, bound, &comp_len);
    if (err != KAFC_ERR_NONE)
        die("re-compression failed", c, err);
    if (comp_len > bound)
        die("compress_bound exceeded", c, err);
    err = kafc__codec_ctx_decompress(ctx, c, comp, comp_len, out_len, &back, &back_len);
    if (err != KAFC_ERR_NONE)
        die("round trip failed", c, err);
    if (back_len != out_len || (out_len > 0 && memcmp(back, out, out_len) != 0))
        die("round trip mismatch", c, err);
    free(back);
    free(comp);
    free(out);
    return 0;
}
