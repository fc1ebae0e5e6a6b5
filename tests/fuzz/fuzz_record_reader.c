/*
 * fuzz_record_reader — libFuzzer target for the record batch reader
 * (src/record/reader.c, legacy.c): the input is a Fetch response's
 * `records` bytes.
 *
 * Every batch (magic 2) and legacy entry (magic 0/1) is iterated with CRC
 * checks on and then off; each batch's records are iterated (compressed ones
 * decompressed with a 1 MiB cap), every key, value and header byte is read,
 * and control records are parsed. Invariants checked beyond "no sanitizer
 * report": errors are kafc's codes, views lie inside the input or the
 * decompressed buffer, a truncated tail is never an error together with a
 * batch count that differs between the two passes, and a range that iterated
 * cleanly reads the same records when re-iterated.
 *
 * Random bytes rarely survive as compressed data, so inputs whose first byte
 * is 0x81 or 0x82 are also wrapped before the walk, to reach the parsers of
 * decompressed bytes: 0x81 makes data[2..] the (gzip-compressed) inner set
 * of a legacy wrapper of magic data[1] & 1; 0x82 makes data[2..] the
 * (lz4-compressed) records section of a v2 batch claiming data[1] records.
 *
 * One codec context is reused across inputs, as the consumer does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/batch.h"
#include "record/codec.h"
#include "record/reader.h"

#define MAX_OUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kafc__codec_ctx_t *ctx;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_record_reader: invariant broken: %s\n", what);
        abort();
    }
}

static int inside(kafc__slice_t s, const uint8_t *lo, size_t len)
{
    if (s.len < 0)
        return s.len == -1 && s.ptr == NULL;
    return lo != NULL && s.ptr >= lo && (size_t)s.len <= len &&
           (size_t)(s.ptr - lo) <= len - (size_t)s.len;
}

static int known_err(kafc_err_t err)
{
    return err == KAFC_ERR_NONE || err == KAFC_ERR__BAD_MSG || err == KAFC_ERR__CRC_MISMATCH ||
           err == KAFC_ERR__UNSUPPORTED_VERSION || err == KAFC_ERR__DECOMPRESS ||
           err == KAFC_ERR__UNSUPPORTED_FEATURE || err == KAFC_ERR__NO_MEMORY;
}

typedef struct summary {
    int batches;
    int records;
    uint64_t hash; /* of offsets, timestamps, keys, values, headers */
    kafc_err_t err;
} summary_t;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t mix_slice(uint64_t h, kafc__slice_t s)
{
    h = mix(h, &s.len, sizeof(s.len));
    return s.len > 0 ? mix(h, s.ptr, (size_t)s.len) : h;
}

static void walk(const uint8_t *data, size_t size, int check_crcs, summary_t *sum)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc_err_t err = KAFC_ERR_NONE;

    memset(sum, 0, sizeof(*sum));
    sum->hash = 0xcbf29ce484222325ull;
    kafc__batch_iter_init(&it, data, size, check_crcs);
    while (kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t r;
        kafc_err_t rerr;
        const uint8_t *base;
        size_t base_len, dec_len = 0;
        uint8_t *dec;

        sum->batches++;
        check(v.data >= data && v.size <= size && (size_t)(v.data - data) <= size - v.size,
              "batch view outside the input");
        (void)kafc__batch_view_check_crc(&v);
        rerr = kafc__record_iter_init(&ri, &v, ctx, MAX_OUT, check_crcs);
        check(known_err(rerr), "unknown error from record_iter_init");
        /* Views point into the batch, or into the decompressed buffer. */
        dec = kafc__record_iter_detach(&ri, &dec_len);
        check(dec_len <= MAX_OUT, "decompressed past the cap");
        base = dec != NULL ? dec : v.data;
        base_len = dec != NULL ? dec_len : v.size;
        while (kafc__record_iter_next(&ri, &r)) {
            kafc__header_iter_t hi;
            kafc__slice_t hk, hv;
            int32_t n = 0;
            sum->records++;
            check(inside(r.key, base, base_len), "key outside");
            check(inside(r.value, base, base_len), "value outside");
            sum->hash = mix(sum->hash, &r.offset, sizeof(r.offset));
            sum->hash = mix(sum->hash, &r.timestamp, sizeof(r.timestamp));
            sum->hash = mix_slice(sum->hash, r.key);
            sum->hash = mix_slice(sum->hash, r.value);
            kafc__header_iter_init(&hi, &r);
            while (kafc__header_iter_next(&hi, &hk, &hv)) {
                check(hk.len >= 0 && inside(hk, base, base_len), "header key outside");
                check(inside(hv, base, base_len), "header value outside");
                sum->hash = mix_slice(mix_slice(sum->hash, hk), hv);
                n++;
            }
            check(n == r.header_count, "header count differs from headers read");
            if (kafc__batch_view_is_control(&v)) {
                kafc__control_record_t c;
                (void)kafc__control_record_parse(&r, &c);
            }
        }
        rerr = kafc__record_iter_err(&ri);
        check(known_err(rerr), "unknown error from record_iter_next");
        if (rerr == KAFC_ERR_NONE && v.magic == 2)
            check(v.record_count >= 0, "negative count accepted");
        if (err == KAFC_ERR_NONE)
            err = rerr;
        kafc__record_iter_clear(&ri);
        free(dec);
    }
    check(known_err(kafc__batch_iter_err(&it)), "unknown error from batch_iter_next");
    check(kafc__batch_iter_consumed(&it) <= size, "consumed past the input");
    if (err == KAFC_ERR_NONE)
        err = kafc__batch_iter_err(&it);
    sum->err = err;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Wraps in[0..n) (compressed) into a legacy message or a v2 batch and walks
 * the result. */
static void walk_wrapped(uint8_t mode, uint8_t arg, const uint8_t *in, size_t n)
{
    kafc__codec_t codec = mode == 0x81 ? KAFC__CODEC_GZIP : KAFC__CODEC_LZ4;
    size_t bound = kafc__codec_compress_bound(codec, n), clen = 0, hdr, len;
    uint8_t *buf;
    summary_t sum;

    if (bound == 0 || bound == SIZE_MAX)
        return;
    hdr = mode == 0x81 ? 12 + 4 + 2 + 8 * (arg & 1) + 4 + 4 : KAFC__BATCH_HEADER_SIZE;
    buf = calloc(1, hdr + bound);
    check(buf != NULL, "out of memory");
    if (kafc__codec_ctx_compress(ctx, codec, 1, in, n, buf + hdr, bound, &clen) != KAFC_ERR_NONE) {
        free(buf);
        return;
    }
    len = hdr + clen;
    wr32(buf + 8, (uint32_t)(len - 12));
    if (mode == 0x81) {
        buf[7] = 100;                     /* wrapper offset */
        buf[16] = arg & 1;                /* magic */
        buf[17] = (uint8_t)codec;         /* attributes */
        wr32(buf + hdr - 8, 0xffffffffu); /* null key */
        wr32(buf + hdr - 4, (uint32_t)clen);
    } else {
        buf[16] = 2;
        buf[22] = (uint8_t)codec;
        wr32(buf + KAFC__BATCH_OFF_RECORD_COUNT, arg);
        (void)kafc__batch_patch_crc(buf, len);
    }
    walk(buf, len, 0, &sum);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    summary_t on, off, again;

    if (ctx == NULL)
        ctx = kafc__codec_ctx_new();
    if (size >= 2 && (data[0] == 0x81 || data[0] == 0x82))
        walk_wrapped(data[0], data[1], data + 2, size - 2);
    walk(data, size, 1, &on);
    walk(data, size, 0, &off);
    /* Checking CRCs can only stop iteration earlier. */
    check(on.batches <= off.batches, "CRC checks found more batches");
    if (on.err == KAFC_ERR_NONE) {
        check(off.err == KAFC_ERR_NONE && on.batches == off.batches && on.hash == off.hash,
              "CRC checks changed a clean result");
        walk(data, size, 1, &again);
        check(again.hash == on.hash && again.records == on.records, "not deterministic");
    }
    return 0;
}
