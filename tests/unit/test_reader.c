/* Unit tests for record/reader: batch and record iteration over Fetch
 * records bytes, truncation, and hostile input. Every hostile buffer is a
 * heap block of exactly its length, so ASan builds catch any overread. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/batch.h"
#include "record/codec.h"
#include "record/reader.h"
#include "util/crc32c.h"

#define MAX_OUT (16u << 20)

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)(v >> 32));
    wr32(p + 4, (uint32_t)v);
}

static void fix_crc(uint8_t *b, size_t len)
{
    wr32(b + KAFC__BATCH_OFF_CRC, kafc__crc32c(0, b + 21, len - 21));
}

/* A heap copy of exactly len bytes (ASan sees any overread). */
static uint8_t *dup_exact(const void *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    cr_assert(q != NULL);
    if (len)
        memcpy(q, p, len);
    return q;
}

/* A magic-2 batch around hand-made records bytes: count records claimed,
 * attributes attrs, base offset 1000, base timestamp 500, CRC right.
 * Returns a heap block of exactly *lenp bytes. */
static uint8_t *raw_batch(const uint8_t *recs, size_t recs_len, int32_t count, int16_t attrs,
                          size_t *lenp)
{
    size_t len = KAFC__BATCH_HEADER_SIZE + recs_len;
    uint8_t *b = calloc(1, len);

    cr_assert(b != NULL);
    wr64(b, 1000);
    wr32(b + 8, (uint32_t)(len - 12));
    wr32(b + 12, 0);
    b[16] = 2;
    wr16(b + 21, (uint16_t)attrs);
    wr32(b + 23, (uint32_t)count - 1u);
    wr64(b + 27, 500);
    wr64(b + 35, 900);
    wr64(b + 43, (uint64_t)-1);
    wr16(b + 51, 0xffff);
    wr32(b + 53, 0xffffffff);
    wr32(b + 57, (uint32_t)count);
    if (recs_len)
        memcpy(b + KAFC__BATCH_HEADER_SIZE, recs, recs_len);
    fix_crc(b, len);
    *lenp = len;
    return b;
}

/* Iterates every batch and record of data with check_crcs; returns the
 * first error (batch or record level) and counts what it saw. */
typedef struct walk {
    int batches, records, headers;
    int partial;
} walk_t;

static kafc_err_t walk(const uint8_t *data, size_t len, int check, walk_t *w)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc_err_t err = KAFC_ERR_NONE;

    memset(w, 0, sizeof(*w));
    kafc__batch_iter_init(&it, data, len, check);
    while (kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t r;
        w->batches++;
        kafc__record_iter_init(&ri, &v, NULL, MAX_OUT, check);
        while (kafc__record_iter_next(&ri, &r)) {
            kafc__header_iter_t hi;
            kafc__slice_t k, hv;
            volatile uint8_t sink = 0;
            w->records++;
            /* Touch every byte of every view. */
            for (int32_t i = 0; i < r.key.len; i++)
                sink ^= r.key.ptr[i];
            for (int32_t i = 0; i < r.value.len; i++)
                sink ^= r.value.ptr[i];
            kafc__header_iter_init(&hi, &r);
            while (kafc__header_iter_next(&hi, &k, &hv)) {
                w->headers++;
                for (int32_t i = 0; i < k.len; i++)
                    sink ^= k.ptr[i];
                for (int32_t i = 0; i < hv.len; i++)
                    sink ^= hv.ptr[i];
            }
            (void)sink;
        }
        if (err == KAFC_ERR_NONE)
            err = kafc__record_iter_err(&ri);
        kafc__record_iter_clear(&ri);
    }
    w->partial = kafc__batch_iter_partial(&it);
    if (err == KAFC_ERR_NONE)
        err = kafc__batch_iter_err(&it);
    return err;
}

/* Builds a batch of n records (key "key-i", value of i+1 bytes, header on
 * odd records) into a heap block of exactly *lenp bytes. */
static uint8_t *good_batch(int n, int64_t base_offset, size_t *lenp)
{
    uint8_t buf[65536], val[512];
    kafc__batch_builder_t b;
    kafc__record_header_t h = {"hk", 2, "hv", 2};
    size_t len;

    memset(val, 'v', sizeof(val));
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    for (int i = 0; i < n; i++) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "key-%d", i);
        cr_assert_eq(kafc__batch_append(&b, 1000 + i, key, kl, val, i + 1, &h, (size_t)(i & 1)),
                     KAFC_ERR_NONE);
    }
    len = kafc__batch_close(&b);
    wr64(buf, (uint64_t)base_offset); /* baseOffset is outside the CRC */
    *lenp = len;
    return dup_exact(buf, len);
}

/* ---- batches --------------------------------------------------------------- */

Test(reader, empty_range)
{
    walk_t w;
    cr_assert_eq(walk(NULL, 0, 1, &w), KAFC_ERR_NONE);
    cr_assert_eq(w.batches, 0);
    cr_assert_eq(w.partial, 0);
}

Test(reader, several_batches_offsets_and_headers)
{
    size_t l1, l2, total;
    uint8_t *b1 = good_batch(3, 100, &l1), *b2 = good_batch(5, 103, &l2), *all;
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    int64_t expect = 100;
    walk_t w;

    total = l1 + l2;
    all = malloc(total);
    memcpy(all, b1, l1);
    memcpy(all + l1, b2, l2);
    cr_assert_eq(walk(all, total, 1, &w), KAFC_ERR_NONE);
    cr_assert_eq(w.batches, 2);
    cr_assert_eq(w.records, 8);
    cr_assert_eq(w.headers, 1 + 2);

    kafc__batch_iter_init(&it, all, total, 1);
    while (kafc__batch_iter_next(&it, &v)) {
        cr_assert_eq(v.magic, 2);
        cr_assert_eq(kafc__batch_view_last_offset(&v), v.base_offset + v.record_count - 1);
        cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, 0, 1), KAFC_ERR_NONE);
        while (kafc__record_iter_next(&ri, &r)) {
            cr_assert_eq(r.offset, expect);
            /* Zero copy: views point into the caller's bytes. */
            cr_assert(r.value.ptr >= all && r.value.ptr + r.value.len <= all + total);
            expect++;
        }
        cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
    }
    cr_assert_eq(kafc__batch_iter_consumed(&it), total);
    cr_assert_eq(expect, 108);
    free(b1);
    free(b2);
    free(all);
}

Test(reader, every_prefix_is_a_clean_truncation)
{
    size_t l1, l2;
    uint8_t *b1 = good_batch(4, 0, &l1), *b2 = good_batch(3, 4, &l2), *all;

    all = malloc(l1 + l2);
    memcpy(all, b1, l1);
    memcpy(all + l1, b2, l2);
    for (size_t n = 0; n <= l1 + l2; n++) {
        uint8_t *p = dup_exact(all, n);
        walk_t w;
        cr_assert_eq(walk(p, n, 1, &w), KAFC_ERR_NONE, "prefix %zu", n);
        cr_assert_eq(w.batches, n < l1 ? 0 : n < l1 + l2 ? 1 : 2, "prefix %zu", n);
        cr_assert_eq(w.partial, n != 0 && n != l1 && n != l1 + l2, "prefix %zu", n);
        free(p);
    }
    free(b1);
    free(b2);
    free(all);
}

Test(reader, every_prefix_with_its_length_patched_is_an_error)
{
    size_t len;
    uint8_t *b = good_batch(4, 0, &len);

    /* The batch claims to end where the bytes end, so the records inside are
     * cut: with or without CRC checks that must be an error, never a read
     * past the end. */
    for (size_t n = KAFC__BATCH_HEADER_SIZE; n < len; n++) {
        uint8_t *p = dup_exact(b, n);
        walk_t w;
        wr32(p + 8, (uint32_t)(n - 12));
        fix_crc(p, n);
        cr_assert_eq(walk(p, n, 1, &w), KAFC_ERR__BAD_MSG, "prefix %zu", n);
        cr_assert_eq(walk(p, n, 0, &w), KAFC_ERR__BAD_MSG, "prefix %zu", n);
        free(p);
    }
    free(b);
}

Test(reader, corrupt_batch_in_the_middle_is_an_error)
{
    size_t l1, l2;
    uint8_t *b1 = good_batch(2, 0, &l1), *b2 = good_batch(2, 2, &l2), *all;
    walk_t w;

    all = malloc(l1 + l2);
    memcpy(all, b1, l1);
    memcpy(all + l1, b2, l2);
    /* batchLength below the v2 minimum. */
    wr32(all + 8, 48);
    cr_assert_eq(walk(all, l1 + l2, 0, &w), KAFC_ERR__BAD_MSG);
    cr_assert_eq(w.batches, 0);
    /* Below the legacy minimum, and negative. */
    wr32(all + 8, 13);
    cr_assert_eq(walk(all, l1 + l2, 0, &w), KAFC_ERR__BAD_MSG);
    wr32(all + 8, 0x80000000u);
    cr_assert_eq(walk(all, l1 + l2, 0, &w), KAFC_ERR__BAD_MSG);
    /* A huge length is only a truncated tail. */
    wr32(all + 8, 0x7fffffff);
    cr_assert_eq(walk(all, l1 + l2, 0, &w), KAFC_ERR_NONE);
    cr_assert_eq(w.partial, 1);
    wr32(all + 8, (uint32_t)(l1 - 12));
    /* Corrupt CRC in the first batch stops before the second. */
    all[l1 - 1] ^= 1;
    cr_assert_eq(walk(all, l1 + l2, 1, &w), KAFC_ERR__CRC_MISMATCH);
    cr_assert_eq(w.batches, 0);
    all[l1 - 1] ^= 1;
    /* Unknown magic in the second. */
    all[l1 + 16] = 3;
    cr_assert_eq(walk(all, l1 + l2, 1, &w), KAFC_ERR__UNSUPPORTED_VERSION);
    cr_assert_eq(w.batches, 1);
    all[l1 + 16] = 0xff;
    cr_assert_eq(walk(all, l1 + l2, 0, &w), KAFC_ERR__UNSUPPORTED_VERSION);
    /* ... even when that batch is cut short after its magic. */
    cr_assert_eq(walk(all, l1 + 17, 0, &w), KAFC_ERR__UNSUPPORTED_VERSION);
    free(b1);
    free(b2);
    free(all);
}

Test(reader, log_append_time)
{
    size_t len;
    uint8_t *b = good_batch(3, 0, &len);
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;

    b[22] |= KAFC__BATCH_ATTR_LOG_APPEND_TIME;
    wr64(b + 35, 99999);
    fix_crc(b, len);
    kafc__batch_iter_init(&it, b, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 1);
    cr_assert(kafc__batch_view_log_append_time(&v));
    cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, 0, 1), KAFC_ERR_NONE);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
        cr_assert_eq(r.timestamp, 99999);
    }
    free(b);
}

/* ---- hostile records --------------------------------------------------------- */

/* Record bytes: length, attrs, tsDelta, offsetDelta, key, value, headers. */
static kafc_err_t try_records(const uint8_t *recs, size_t n, int32_t count, int *records)
{
    size_t len;
    uint8_t *b = raw_batch(recs, n, count, 0, &len);
    walk_t w;
    kafc_err_t err = walk(b, len, 1, &w);
    if (records != NULL)
        *records = w.records;
    free(b);
    return err;
}

Test(reader, hand_made_record_is_read)
{
    /* length 11: attrs 0, tsDelta 3 (6), offsetDelta 0, key "ab", value null,
     * 1 header "h" = null */
    const uint8_t rec[] = {0x16, 0, 6, 0, 4, 'a', 'b', 1, 2, 2, 'h', 1};
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    kafc__header_iter_t hi;
    kafc__slice_t k, val;
    size_t len;
    uint8_t *b = raw_batch(rec, sizeof(rec), 1, 0, &len);

    kafc__batch_iter_init(&it, b, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 1);
    cr_assert_eq(v.base_offset, 1000);
    cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, 0, 1), KAFC_ERR_NONE);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.offset, 1000);
    cr_assert_eq(r.timestamp, 503);
    cr_assert_eq(r.key.len, 2);
    cr_assert_eq(r.value.len, -1);
    cr_assert_eq(r.header_count, 1);
    kafc__header_iter_init(&hi, &r);
    cr_assert_eq(kafc__header_iter_next(&hi, &k, &val), 1);
    cr_assert_eq(k.len, 1);
    cr_assert_eq(val.len, -1);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 0);
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
    free(b);
}

Test(reader, record_length_past_batch_end)
{
    const uint8_t rec[] = {0x16, 0, 0, 0, 1, 1, 0}; /* says 11 bytes, has 6 */
    cr_assert_eq(try_records(rec, sizeof(rec), 1, NULL), KAFC_ERR__BAD_MSG);
}

Test(reader, record_length_too_small_or_negative)
{
    const uint8_t small[] = {0x0a, 0, 0, 0, 1, 1, 0};  /* 5: below the minimum 6 */
    const uint8_t neg[] = {0x03, 0, 0, 0, 1, 1, 0, 0}; /* -2 */
    cr_assert_eq(try_records(small, sizeof(small), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(neg, sizeof(neg), 1, NULL), KAFC_ERR__BAD_MSG);
}

Test(reader, fields_must_end_exactly_at_record_end)
{
    /* length 7 but the fields take 6: one byte left inside the record. */
    const uint8_t longer[] = {0x0e, 0, 0, 0, 1, 1, 0, 0};
    /* length 6, key claims 2 bytes that would run into the next record. */
    const uint8_t key_over[] = {0x0c, 0, 0, 0, 4, 'a', 'b', 1, 0, 0x0c, 0, 0, 0, 1, 1, 0};
    cr_assert_eq(try_records(longer, sizeof(longer), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(key_over, sizeof(key_over), 2, NULL), KAFC_ERR__BAD_MSG);
}

Test(reader, count_larger_or_smaller_than_records)
{
    const uint8_t two[] = {0x0c, 0, 0, 0, 1, 1, 0, 0x0c, 0, 0, 2, 1, 1, 0};
    int n = 0;
    cr_assert_eq(try_records(two, sizeof(two), 2, &n), KAFC_ERR_NONE);
    cr_assert_eq(n, 2);
    cr_assert_eq(try_records(two, sizeof(two), 3, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(two, sizeof(two), 1000000, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(two, sizeof(two), INT32_MAX, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(two, sizeof(two), 1, &n), KAFC_ERR__BAD_MSG);
    cr_assert_eq(n, 1);
    cr_assert_eq(try_records(two, sizeof(two), -1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(two, sizeof(two), INT32_MIN, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(two, sizeof(two), 0, NULL), KAFC_ERR__BAD_MSG);
}

Test(reader, negative_lengths_other_than_minus_one)
{
    const uint8_t key[] = {0x0c, 0, 0, 0, 3, 1, 0};               /* key length -2 */
    const uint8_t value[] = {0x0c, 0, 0, 0, 1, 5, 0};             /* value length -3 */
    const uint8_t hcount[] = {0x0c, 0, 0, 0, 1, 1, 1};            /* header count -1 */
    const uint8_t hkey[] = {0x10, 0, 0, 0, 1, 1, 2, 1, 1};        /* header key null */
    const uint8_t hval[] = {0x12, 0, 0, 0, 1, 1, 2, 2, 'h', 3};   /* header value -2 */
    const uint8_t hmany[] = {0x12, 0, 0, 0, 1, 1, 0x7e, 0, 0, 0}; /* 63 headers in 4 bytes */
    cr_assert_eq(try_records(key, sizeof(key), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(value, sizeof(value), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(hcount, sizeof(hcount), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(hkey, sizeof(hkey), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(hval, sizeof(hval), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(hmany, sizeof(hmany), 1, NULL), KAFC_ERR__BAD_MSG);
}

Test(reader, varint_overflow)
{
    /* Record length: 6 bytes of continuation. */
    const uint8_t len6[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0, 0, 1, 1, 0};
    /* timestampDelta varlong of 11 bytes, inside a record that holds it. */
    uint8_t ts11[] = {0x22, 0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0xff, 0xff, 0x01, 0,    1,    1,    0,    0};
    /* offsetDelta varint of 6 bytes. */
    const uint8_t off6[] = {0x18, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 1, 1, 0, 0};
    /* key length varint cut by the record end. */
    const uint8_t cut[] = {0x0c, 0, 0, 0, 0x80, 0x80, 0x80};
    /* The largest legal varints decode (5 and 10 bytes). */
    const uint8_t big[] = {0x1e, 0,    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xff, 0xff, 0x01, 0,    1,    1,    0};
    cr_assert_eq(try_records(len6, sizeof(len6), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(ts11, sizeof(ts11), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(off6, sizeof(off6), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(cut, sizeof(cut), 1, NULL), KAFC_ERR__BAD_MSG);
    cr_assert_eq(try_records(big, sizeof(big), 1, NULL), KAFC_ERR_NONE);
}

Test(reader, unknown_codec_and_corrupt_compressed_data)
{
    const uint8_t rec[] = {0x0c, 0, 0, 0, 1, 1, 0};
    size_t len;
    uint8_t *b;
    walk_t w;

    b = raw_batch(rec, sizeof(rec), 1, 5, &len);
    cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR__BAD_MSG);
    free(b);
    for (int codec = 1; codec <= 4; codec++) {
        if (!kafc__codec_available((kafc__codec_t)codec))
            continue;
        b = raw_batch(rec, sizeof(rec), 1, (int16_t)codec, &len);
        cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR__DECOMPRESS, "codec %d", codec);
        free(b);
        /* An empty compressed batch (after compaction) has nothing to read. */
        b = raw_batch(NULL, 0, 0, (int16_t)codec, &len);
        cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR_NONE, "codec %d", codec);
        free(b);
    }
}

/* A compressed batch whose decompressed records lie: count too large, or a
 * record cut short. */
Test(reader, compressed_records_are_validated)
{
    const uint8_t two[] = {0x0c, 0, 0, 0, 1, 1, 0, 0x0c, 0, 0, 2, 1, 1, 0};
    uint8_t comp[256];
    size_t clen, len;
    uint8_t *b;
    walk_t w;

    cr_assert_eq(
        kafc__codec_compress(KAFC__CODEC_GZIP, -1, two, sizeof(two), comp, sizeof(comp), &clen),
        KAFC_ERR_NONE);
    b = raw_batch(comp, clen, 2, KAFC__CODEC_GZIP, &len);
    cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR_NONE);
    cr_assert_eq(w.records, 2);
    free(b);
    b = raw_batch(comp, clen, 3, KAFC__CODEC_GZIP, &len);
    cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR__BAD_MSG);
    free(b);
    b = raw_batch(comp, clen, 1, KAFC__CODEC_GZIP, &len);
    cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR__BAD_MSG);
    free(b);
    cr_assert_eq(
        kafc__codec_compress(KAFC__CODEC_GZIP, -1, two, sizeof(two) - 1, comp, sizeof(comp), &clen),
        KAFC_ERR_NONE);
    b = raw_batch(comp, clen, 2, KAFC__CODEC_GZIP, &len);
    cr_assert_eq(walk(b, len, 1, &w), KAFC_ERR__BAD_MSG);
    free(b);
}

/* Every single-byte change of a valid range (two batches, one compressed),
 * CRC checks off: whatever happens, no out-of-bounds access (ASan) and a
 * well-defined result. */
Test(reader, every_byte_mutated)
{
    size_t l1, l2 = 0;
    uint8_t *b1 = good_batch(3, 0, &l1), buf[4096], *all;
    kafc__batch_builder_t b;

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    for (int i = 0; i < 4; i++)
        kafc__batch_append(&b, 10 + i, "kk", 2, "value value value", 17, NULL, 0);
    all = malloc(l1 + 4096);
    memcpy(all, b1, l1);
    cr_assert_eq(kafc__batch_close_compressed(&b, NULL, KAFC__CODEC_GZIP, -1, all + l1, 4096, &l2),
                 KAFC_ERR_NONE);
    for (size_t i = 0; i < l1 + l2; i++) {
        static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
        for (size_t j = 0; j < sizeof(vals); j++) {
            uint8_t *p = dup_exact(all, l1 + l2);
            walk_t w;
            p[i] = vals[j];
            (void)walk(p, l1 + l2, 0, &w);
            (void)walk(p, l1 + l2, 1, &w);
            free(p);
        }
    }
    free(b1);
    free(all);
}

/* ---- control records ------------------------------------------------------ */

Test(reader, control_record_parse)
{
    kafc__record_t r;
    kafc__control_record_t c;
    const uint8_t commit[4] = {0, 0, 0, 1}, abort_[4] = {0, 0, 0, 0};
    const uint8_t value[6] = {0, 0, 0, 0, 0, 9}, future_key[6] = {0, 1, 0, 1, 7, 7};
    const uint8_t unknown[4] = {0, 0, 0, 5}, neg[4] = {0xff, 0xff, 0, 1};

    memset(&r, 0, sizeof(r));
    r.key = (kafc__slice_t){commit, 4};
    r.value = (kafc__slice_t){value, 6};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.type, KAFC__CONTROL_COMMIT);
    cr_assert_eq(c.coordinator_epoch, 9);
    r.key = (kafc__slice_t){abort_, 4};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.type, KAFC__CONTROL_ABORT);
    /* A later key version with more bytes still parses. */
    r.key = (kafc__slice_t){future_key, 6};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.version, 1);
    cr_assert_eq(c.type, KAFC__CONTROL_COMMIT);
    /* Unknown type: returned, value not needed. */
    r.key = (kafc__slice_t){unknown, 4};
    r.value = (kafc__slice_t){NULL, -1};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.type, 5);
    cr_assert_eq(c.coordinator_epoch, -1);
    /* Errors. */
    r.key = (kafc__slice_t){commit, 3};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR__BAD_MSG);
    r.key = (kafc__slice_t){NULL, -1};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR__BAD_MSG);
    r.key = (kafc__slice_t){neg, 4};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR__BAD_MSG);
    r.key = (kafc__slice_t){commit, 4};
    r.value = (kafc__slice_t){value, 5};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR__BAD_MSG);
    r.value = (kafc__slice_t){NULL, -1};
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR__BAD_MSG);
}
