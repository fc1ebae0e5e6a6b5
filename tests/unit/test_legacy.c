/* Unit tests for record/legacy: message sets magic 0 and 1, read through the
 * reader's batch and record iterators. The fixtures under
 * tests/unit/data/record/ were written by kafka-python's legacy builder
 * (make_fixtures.py there); the expected contents below match it. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "record/codec.h"
#include "record/legacy.h"
#include "record/reader.h"

#define MAX_OUT (1u << 20)

typedef struct rec {
    int64_t offset;
    int64_t timestamp;
    const char *key; /* NULL: null */
    const char *value;
} rec_t;

static uint8_t *load(const char *name, size_t *lenp)
{
    char path[512];
    FILE *f;
    uint8_t *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/unit/data/record/%s", KAFC_SOURCE_DIR, name);
    f = fopen(path, "rb");
    cr_assert(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n);
    cr_assert(buf != NULL);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *lenp = (size_t)n;
    return buf;
}

static int slice_is(kafc__slice_t s, const char *str)
{
    if (str == NULL)
        return s.len == -1 && s.ptr == NULL;
    return s.len == (int32_t)strlen(str) && memcmp(s.ptr, str, strlen(str)) == 0;
}

/* Reads every record of data and compares with want[n]; returns the error. */
static kafc_err_t read_all(const uint8_t *data, size_t len, int check, const rec_t *want, size_t n,
                           size_t *got)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc_err_t err = KAFC_ERR_NONE;
    size_t i = 0;

    kafc__batch_iter_init(&it, data, len, check);
    while (err == KAFC_ERR_NONE && kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t r;
        err = kafc__record_iter_init(&ri, &v, NULL, MAX_OUT, check);
        while (kafc__record_iter_next(&ri, &r)) {
            if (want != NULL) {
                cr_assert_lt(i, n, "more records than expected");
                cr_assert_eq(r.offset, want[i].offset, "record %zu", i);
                cr_assert_eq(r.timestamp, want[i].timestamp, "record %zu", i);
                cr_assert(slice_is(r.key, want[i].key), "record %zu key", i);
                cr_assert(slice_is(r.value, want[i].value), "record %zu value", i);
                if (v.magic < 2)
                    cr_assert_eq(r.header_count, 0);
            }
            i++;
        }
        if (err == KAFC_ERR_NONE)
            err = kafc__record_iter_err(&ri);
        kafc__record_iter_clear(&ri);
    }
    if (err == KAFC_ERR_NONE)
        err = kafc__batch_iter_err(&it);
    if (got != NULL)
        *got = i;
    return err;
}

static void check_fixture(const char *name, const rec_t *want, size_t n)
{
    size_t len, got = 0;
    uint8_t *buf = load(name, &len);

    cr_assert_eq(read_all(buf, len, 1, want, n, &got), KAFC_ERR_NONE, "%s", name);
    cr_assert_eq(got, n, "%s", name);
    cr_assert_eq(read_all(buf, len, 0, want, n, &got), KAFC_ERR_NONE, "%s", name);
    free(buf);
}

static const rec_t v1_compressed[] = {
    {100, 2000, "k0", "v0"}, {101, 2001, NULL, "v1"}, {102, 2002, "k2", NULL}};

Test(legacy, v0_uncompressed)
{
    static const rec_t want[] = {{0, -1, "k0", "v0"}, {1, -1, NULL, "v1"}, {2, -1, "k2", NULL}};
    size_t len;
    uint8_t *buf = load("legacy_v0.bin", &len);
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    int n = 0;

    check_fixture("legacy_v0.bin", want, 3);
    /* Each uncompressed message is an entry of its own. */
    kafc__batch_iter_init(&it, buf, len, 1);
    while (kafc__batch_iter_next(&it, &v)) {
        cr_assert_eq(v.magic, 0);
        cr_assert_eq(v.record_count, 1);
        cr_assert_eq(v.base_offset, n);
        cr_assert_eq(kafc__batch_view_last_offset(&v), n);
        cr_assert_eq(v.producer_id, -1);
        cr_assert_eq(v.base_timestamp, -1);
        n++;
    }
    cr_assert_eq(n, 3);
    free(buf);
}

Test(legacy, v1_uncompressed)
{
    static const rec_t want[] = {
        {10, 1000, "k0", "v0"}, {11, 1001, NULL, "v1"}, {12, 999, "k2", NULL}};
    check_fixture("legacy_v1.bin", want, 3);
}

Test(legacy, v1_gzip_relative_offsets)
{
    size_t len;
    uint8_t *buf = load("legacy_v1_gzip.bin", &len);
    kafc__batch_iter_t it;
    kafc__batch_view_t v;

    check_fixture("legacy_v1_gzip.bin", v1_compressed, 3);
    kafc__batch_iter_init(&it, buf, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 1);
    cr_assert_eq(v.magic, 1);
    cr_assert_eq(kafc__batch_view_codec(&v), KAFC__CODEC_GZIP);
    cr_assert_eq(v.record_count, -1);
    cr_assert_eq(kafc__batch_view_last_offset(&v), 102);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 0);
    cr_assert_eq(kafc__batch_iter_err(&it), KAFC_ERR_NONE);
    free(buf);
}

Test(legacy, v1_snappy)
{
    if (!kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy not in this build");
    check_fixture("legacy_v1_snappy.bin", v1_compressed, 3);
}

Test(legacy, v1_lz4)
{
    check_fixture("legacy_v1_lz4.bin", v1_compressed, 3);
}

Test(legacy, v1_gzip_log_append_time)
{
    static const rec_t want[] = {
        {200, 5555, "k0", "v0"}, {201, 5555, NULL, "v1"}, {202, 5555, "k2", NULL}};
    check_fixture("legacy_v1_gzip_logappend.bin", want, 3);
}

Test(legacy, v0_gzip_absolute_offsets)
{
    static const rec_t want[] = {{50, -1, "k0", "v0"}, {51, -1, NULL, "v1"}, {52, -1, "k2", NULL}};
    check_fixture("legacy_v0_gzip.bin", want, 3);
}

Test(legacy, mixed_with_v2)
{
    static const rec_t want[] = {{300, 3000, "k0", "v0"},   {301, 3001, NULL, "v1"},
                                 {302, 3002, "k2", NULL},   {303, -1, "old", "zero"},
                                 {304, 4000, "new", "two"}, {305, 4001, NULL, "three"}};
    check_fixture("mixed_v1_v0_v2.bin", want, 6);
}

static const char *fixtures[] = {"legacy_v0.bin",      "legacy_v1.bin",
                                 "legacy_v1_gzip.bin", "legacy_v1_snappy.bin",
                                 "legacy_v1_lz4.bin",  "legacy_v1_gzip_logappend.bin",
                                 "legacy_v0_gzip.bin", "mixed_v1_v0_v2.bin"};

Test(legacy, every_prefix_is_a_clean_truncation)
{
    for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
        size_t len;
        uint8_t *buf = load(fixtures[f], &len);
        for (size_t n = 0; n < len; n++) {
            uint8_t *p = malloc(n + 1);
            memcpy(p, buf, n);
            cr_assert_eq(read_all(p, n, 1, NULL, 0, NULL), KAFC_ERR_NONE, "%s prefix %zu",
                         fixtures[f], n);
            free(p);
        }
        free(buf);
    }
}

Test(legacy, every_byte_mutated)
{
    for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
        size_t len;
        uint8_t *buf = load(fixtures[f], &len);
        for (size_t i = 0; i < len; i++) {
            static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
            for (size_t j = 0; j < sizeof(vals); j++) {
                uint8_t *p = malloc(len);
                memcpy(p, buf, len);
                p[i] = vals[j];
                (void)read_all(p, len, 0, NULL, 0, NULL);
                (void)read_all(p, len, 1, NULL, 0, NULL);
                free(p);
            }
        }
        free(buf);
    }
}

/* ---- hand-made messages ------------------------------------------------------ */

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

/* Writes one legacy message at p and returns its size. klen/vlen -1: null. */
static size_t put_msg(uint8_t *p, int magic, int64_t offset, uint8_t attrs, int64_t ts,
                      const void *key, int32_t klen, const void *val, int32_t vlen)
{
    uint8_t *q = p + 18;
    size_t size;

    wr64(p, (uint64_t)offset);
    p[16] = (uint8_t)magic;
    p[17] = attrs;
    if (magic == 1) {
        wr64(q, (uint64_t)ts);
        q += 8;
    }
    wr32(q, (uint32_t)klen);
    q += 4;
    if (klen > 0) {
        memcpy(q, key, (size_t)klen);
        q += klen;
    }
    wr32(q, (uint32_t)vlen);
    q += 4;
    if (vlen > 0) {
        memcpy(q, val, (size_t)vlen);
        q += vlen;
    }
    size = (size_t)(q - p);
    wr32(p + 8, (uint32_t)(size - 12));
    wr32(p + 12, (uint32_t)crc32(0, p + 16, (uInt)(size - 16)));
    return size;
}

/* Gzips inner (n bytes) into a magic-`magic` wrapper at offset off; returns
 * a heap block of exactly *lenp bytes. */
static uint8_t *wrap(int magic, int64_t off, uint8_t codec, const uint8_t *inner, size_t n,
                     size_t *lenp)
{
    uint8_t comp[8192], msg[8300];
    size_t clen = 0, len;
    uint8_t *out;

    cr_assert_eq(
        kafc__codec_compress((kafc__codec_t)codec, -1, inner, n, comp, sizeof(comp), &clen),
        KAFC_ERR_NONE);
    len = put_msg(msg, magic, off, codec, 7777, NULL, -1, comp, (int32_t)clen);
    out = malloc(len);
    memcpy(out, msg, len);
    *lenp = len;
    return out;
}

static kafc_err_t read_err(const uint8_t *p, size_t len, int check, size_t *got)
{
    return read_all(p, len, check, NULL, 0, got);
}

Test(legacy, bad_messages)
{
    uint8_t m[256];
    size_t n, got;
    uint8_t *p;

    /* Key length past the end. */
    n = put_msg(m, 1, 0, 0, 1, "key", 3, "v", 1);
    wr32(m + 26, 200);
    cr_assert_eq(read_err(m, n, 0, NULL), KAFC_ERR__BAD_MSG);
    /* Value length -2. */
    n = put_msg(m, 0, 0, 0, 0, "key", 3, "v", 1);
    wr32(m + 18 + 4 + 3, (uint32_t)-2);
    cr_assert_eq(read_err(m, n, 0, NULL), KAFC_ERR__BAD_MSG);
    /* A byte after the value, inside the message. */
    n = put_msg(m, 0, 0, 0, 0, "key", 3, "v", 1);
    m[n] = 0;
    wr32(m + 8, (uint32_t)(n + 1 - 12));
    cr_assert_eq(read_err(m, n + 1, 0, NULL), KAFC_ERR__BAD_MSG);
    /* A v1 message shorter than v1's minimum. */
    n = put_msg(m, 0, 0, 0, 0, NULL, -1, NULL, -1);
    m[16] = 1;
    cr_assert_eq(read_err(m, n, 0, NULL), KAFC_ERR__BAD_MSG);
    /* CRC mismatch of an uncompressed message. */
    n = put_msg(m, 1, 0, 0, 1, "key", 3, "v", 1);
    m[n - 1] ^= 1;
    cr_assert_eq(read_err(m, n, 1, &got), KAFC_ERR__CRC_MISMATCH);
    cr_assert_eq(read_err(m, n, 0, &got), KAFC_ERR_NONE);
    cr_assert_eq(got, 1);
    /* A compressed wrapper with a null value, and with codec 4 (zstd never
     * existed for magic 0/1). */
    n = put_msg(m, 1, 0, KAFC__CODEC_GZIP, 1, NULL, -1, NULL, -1);
    cr_assert_eq(read_err(m, n, 1, NULL), KAFC_ERR__BAD_MSG);
    n = put_msg(m, 1, 0, KAFC__CODEC_ZSTD, 1, NULL, -1, "x", 1);
    cr_assert_eq(read_err(m, n, 1, NULL), KAFC_ERR__BAD_MSG);
    /* Garbage as compressed data. */
    n = put_msg(m, 1, 0, KAFC__CODEC_GZIP, 1, NULL, -1, "garbage", 7);
    cr_assert_eq(read_err(m, n, 1, NULL), KAFC_ERR__DECOMPRESS);
    /* The same, cut in the middle of the wrapper: only a truncated tail. */
    p = malloc(n - 1);
    memcpy(p, m, n - 1);
    cr_assert_eq(read_err(p, n - 1, 1, &got), KAFC_ERR_NONE);
    cr_assert_eq(got, 0);
    free(p);
}

Test(legacy, bad_inner_sets)
{
    uint8_t inner[1024], nested[512];
    size_t n, len, got;
    uint8_t *w;

    /* Good: two v1 inner messages, relative offsets 0 and 1. */
    n = put_msg(inner, 1, 0, 0, 10, "a", 1, "b", 1);
    n += put_msg(inner + n, 1, 1, 0, 11, NULL, -1, "c", 1);
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, n, &len);
    cr_assert_eq(read_err(w, len, 1, &got), KAFC_ERR_NONE);
    cr_assert_eq(got, 2);
    free(w);

    /* An inner CRC flipped: caught only when checking. */
    inner[n - 1] ^= 1;
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, n, &len);
    cr_assert_eq(read_err(w, len, 1, NULL), KAFC_ERR__CRC_MISMATCH);
    cr_assert_eq(read_err(w, len, 0, &got), KAFC_ERR_NONE);
    cr_assert_eq(got, 2);
    free(w);
    inner[n - 1] ^= 1;

    /* Truncated inner set: an error (unlike the outer range). */
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, n - 1, &len);
    cr_assert_eq(read_err(w, len, 0, NULL), KAFC_ERR__BAD_MSG);
    free(w);

    /* Inner magic differs from the wrapper's. */
    w = wrap(0, 41, KAFC__CODEC_GZIP, inner, n, &len);
    cr_assert_eq(read_err(w, len, 0, NULL), KAFC_ERR__BAD_MSG);
    free(w);

    /* Nested compression: one level only. */
    {
        size_t wlen;
        uint8_t *inner_w = wrap(1, 1, KAFC__CODEC_GZIP, inner, n, &wlen);
        memcpy(nested, inner_w, wlen);
        free(inner_w);
        w = wrap(1, 1, KAFC__CODEC_GZIP, nested, wlen, &len);
        cr_assert_eq(read_err(w, len, 0, NULL), KAFC_ERR__BAD_MSG);
        free(w);
    }

    /* Inner size field below the minimum, or past the set. */
    wr32(inner + 8, 13);
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, n, &len);
    cr_assert_eq(read_err(w, len, 0, NULL), KAFC_ERR__BAD_MSG);
    free(w);
    wr32(inner + 8, 0x7fffffff);
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, n, &len);
    cr_assert_eq(read_err(w, len, 0, NULL), KAFC_ERR__BAD_MSG);
    free(w);

    /* An empty inner set yields no records and no error. */
    w = wrap(1, 41, KAFC__CODEC_GZIP, inner, 0, &len);
    cr_assert_eq(read_err(w, len, 1, &got), KAFC_ERR_NONE);
    cr_assert_eq(got, 0);
    free(w);
}

Test(legacy, decompression_cap)
{
    static uint8_t inner[300000];
    size_t n = 0, len;
    uint8_t *w;
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    static uint8_t val[1000];

    while (n + 1100 < sizeof(inner))
        n += put_msg(inner + n, 1, (int64_t)n, 0, 1, NULL, -1, val, sizeof(val));
    {
        /* Compress into a big enough buffer by hand. */
        size_t clen = 0, cap = kafc__codec_compress_bound(KAFC__CODEC_GZIP, n);
        uint8_t *comp = malloc(cap), *msg = malloc(cap + 100);
        cr_assert_eq(kafc__codec_compress(KAFC__CODEC_GZIP, -1, inner, n, comp, cap, &clen),
                     KAFC_ERR_NONE);
        len = put_msg(msg, 1, 5, KAFC__CODEC_GZIP, 1, NULL, -1, comp, (int32_t)clen);
        w = msg;
        free(comp);
    }
    kafc__batch_iter_init(&it, w, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 1);
    cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, n - 1, 1), KAFC_ERR__DECOMPRESS);
    kafc__record_iter_clear(&ri);
    cr_assert_eq(kafc__record_iter_init(&ri, &v, NULL, n, 1), KAFC_ERR_NONE);
    kafc__record_iter_clear(&ri);
    free(w);
}
