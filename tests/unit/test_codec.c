/*
 * Unit tests for src/record/codec: round trips at every level boundary, the
 * output cap (decompression bombs), truncated and corrupt input, the wire
 * shapes (headers, xerial, legacy lz4), and fixtures written by independent
 * implementations (tests/unit/data/codec/make_fixtures.py).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>
#include <zstd.h>

#include "record/codec.h"
#include "record/codec_int.h"

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)

static const kafc__codec_t all_codecs[] = {KAFC__CODEC_GZIP, KAFC__CODEC_SNAPPY, KAFC__CODEC_LZ4,
                                           KAFC__CODEC_ZSTD};
#define N_CODECS (sizeof(all_codecs) / sizeof(all_codecs[0]))

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint8_t *make_random(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n > 0 ? n : 1);
    cr_assert_not_null(p);
    rng_state = seed | 1;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
    return p;
}

/* JSON-ish log lines: compressible like a real batch. */
static uint8_t *make_text(size_t n, uint64_t seed)
{
    static const char *words[] = {"alpha",  "beta",   "kafka",  "broker", "fetch",
                                  "offset", "commit", "leader", "topic",  "produce"};
    uint8_t *p = malloc(n + 256);
    size_t len = 0;
    cr_assert_not_null(p);
    rng_state = seed | 1;
    while (len < n) {
        len += (size_t)snprintf(
            (char *)p + len, 256, "{\"ts\":%llu,\"host\":\"web-%02u\",\"msg\":\"%s %s %s\"}\n",
            (unsigned long long)(1717200000000ull + len), (unsigned)(rng() % 40), words[rng() % 10],
            words[rng() % 10], words[rng() % 10]);
    }
    return p; /* only the first n bytes are used */
}

static uint8_t *compress_or_die(kafc__codec_ctx_t *ctx, kafc__codec_t c, int level, const void *src,
                                size_t n, size_t *clen)
{
    size_t bound = kafc__codec_compress_bound(c, n);
    uint8_t *dst;
    kafc_err_t err;

    cr_assert(bound > 0 && bound != SIZE_MAX, "%s bound(%zu)", kafc__codec_name(c), n);
    dst = malloc(bound);
    cr_assert_not_null(dst);
    err = kafc__codec_ctx_compress(ctx, c, level, src, n, dst, bound, clen);
    cr_assert_eq(err, KAFC_ERR_NONE, "%s level %d n %zu: %s", kafc__codec_name(c), level, n,
                 kafc_err_name(err));
    cr_assert_leq(*clen, bound, "%s exceeded its bound", kafc__codec_name(c));
    return dst;
}

/* Round trip at one level; also checks the cap just below the true size. */
static void roundtrip(kafc__codec_ctx_t *ctx, kafc__codec_t c, int level, const uint8_t *src,
                      size_t n)
{
    size_t clen = 0, olen = 99;
    uint8_t *comp = compress_or_die(ctx, c, level, src, n, &clen);
    uint8_t *out = NULL;
    kafc_err_t err;

    err = kafc__codec_ctx_decompress(ctx, c, comp, clen, n, &out, &olen);
    cr_assert_eq(err, KAFC_ERR_NONE, "%s level %d n %zu: %s", kafc__codec_name(c), level, n,
                 kafc_err_name(err));
    cr_assert_not_null(out);
    cr_assert_eq(olen, n, "%s level %d: %zu != %zu", kafc__codec_name(c), level, olen, n);
    cr_assert(n == 0 || memcmp(out, src, n) == 0, "%s level %d n %zu: bytes differ",
              kafc__codec_name(c), level, n);
    free(out);

    if (n > 0) {
        out = (uint8_t *)1;
        olen = 99;
        err = kafc__codec_ctx_decompress(ctx, c, comp, clen, n - 1, &out, &olen);
        cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s level %d n %zu cap n-1: %s",
                     kafc__codec_name(c), level, n, kafc_err_name(err));
        cr_assert_null(out);
        cr_assert_eq(olen, 0);
    }
    free(comp);
}

static void level_range(kafc__codec_t c, int *lo, int *hi)
{
    switch (c) {
    case KAFC__CODEC_GZIP:
        *lo = 0, *hi = 9;
        break;
    case KAFC__CODEC_LZ4:
        *lo = 0, *hi = 12;
        break;
    case KAFC__CODEC_ZSTD:
        *lo = 0, *hi = 22;
        break;
    default:
        *lo = 0, *hi = 0;
        break;
    }
}

static uint8_t *read_fixture(const char *name, size_t *lenp)
{
    char path[512];
    FILE *f;
    long n;
    uint8_t *p;

    snprintf(path, sizeof(path), "%s/tests/unit/data/codec/%s", KAFC_SOURCE_DIR, name);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n > 0 ? (size_t)n : 1);
    cr_assert_not_null(p);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *lenp = (size_t)n;
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- names, levels, bounds -------------------------------------------- */

Test(codec, names_and_availability)
{
    kafc__codec_t c = KAFC__CODEC_NONE;

    cr_assert_str_eq(kafc__codec_name(KAFC__CODEC_NONE), "none");
    cr_assert_str_eq(kafc__codec_name(KAFC__CODEC_GZIP), "gzip");
    cr_assert_str_eq(kafc__codec_name(KAFC__CODEC_SNAPPY), "snappy");
    cr_assert_str_eq(kafc__codec_name(KAFC__CODEC_LZ4), "lz4");
    cr_assert_str_eq(kafc__codec_name(KAFC__CODEC_ZSTD), "zstd");
    cr_assert_str_eq(kafc__codec_name((kafc__codec_t)5), "unknown");
    cr_assert_eq(kafc__codec_from_name("zstd", &c), KAFC_ERR_NONE);
    cr_assert_eq(c, KAFC__CODEC_ZSTD);
    cr_assert_eq(kafc__codec_from_name("none", &c), KAFC_ERR_NONE);
    cr_assert_eq(c, KAFC__CODEC_NONE);
    cr_assert_eq(kafc__codec_from_name("lz5", &c), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__codec_from_name("GZIP", &c), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(c, KAFC__CODEC_NONE);
    cr_assert(kafc__codec_available(KAFC__CODEC_NONE));
    cr_assert(kafc__codec_available(KAFC__CODEC_GZIP));
    cr_assert(kafc__codec_available(KAFC__CODEC_LZ4));
    cr_assert(kafc__codec_available(KAFC__CODEC_ZSTD));
    cr_assert_not(kafc__codec_available((kafc__codec_t)5));
    cr_assert_not(kafc__codec_available((kafc__codec_t)-1));
}

Test(codec, check_level)
{
    char errstr[128];

    for (size_t i = 0; i < N_CODECS; i++) {
        kafc__codec_t c = all_codecs[i];
        int lo, hi;
        if (!kafc__codec_available(c))
            continue;
        level_range(c, &lo, &hi);
        cr_assert_eq(kafc__codec_check_level(c, -1, NULL, 0), KAFC_ERR_NONE);
        cr_assert_eq(kafc__codec_check_level(c, lo, NULL, 0), KAFC_ERR_NONE);
        cr_assert_eq(kafc__codec_check_level(c, hi, NULL, 0), KAFC_ERR_NONE);
        errstr[0] = 0;
        cr_assert_eq(kafc__codec_check_level(c, hi + 1, errstr, sizeof(errstr)),
                     KAFC_ERR__INVALID_ARG);
        cr_assert(strstr(errstr, kafc__codec_name(c)) != NULL, "%s", errstr);
        cr_assert_eq(kafc__codec_check_level(c, -2, errstr, sizeof(errstr)), KAFC_ERR__INVALID_ARG);
        cr_assert_eq(kafc__codec_check_level(c, 1000, NULL, 0), KAFC_ERR__INVALID_ARG);
    }
    cr_assert_eq(kafc__codec_check_level(KAFC__CODEC_NONE, 7, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__codec_check_level(KAFC__CODEC_LZ4, 13, NULL, 0), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__codec_check_level(KAFC__CODEC_SNAPPY, 1, NULL, 0),
                 kafc__codec_available(KAFC__CODEC_SNAPPY) ? KAFC_ERR__INVALID_ARG
                                                           : KAFC_ERR__UNSUPPORTED_FEATURE);
    cr_assert_eq(kafc__codec_check_level((kafc__codec_t)6, -1, errstr, sizeof(errstr)),
                 KAFC_ERR__UNSUPPORTED_FEATURE);
}

Test(codec, bad_args)
{
    uint8_t buf[64], *out = (uint8_t *)1;
    size_t len = 5;

    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_GZIP, -1, "x", 1, NULL, 10, &len),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_GZIP, -1, NULL, 1, buf, 64, &len),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_GZIP, 10, "x", 1, buf, 64, &len),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(len, 0);
    cr_assert_eq(kafc__codec_compress((kafc__codec_t)7, -1, "x", 1, buf, 64, &len),
                 KAFC_ERR__UNSUPPORTED_FEATURE);
    cr_assert_eq(kafc__codec_decompress((kafc__codec_t)7, "x", 1, 10, &out, &len),
                 KAFC_ERR__UNSUPPORTED_FEATURE);
    cr_assert_null(out);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_GZIP, NULL, 1, 10, &out, &len),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_GZIP, "x", 1, 10, NULL, &len),
                 KAFC_ERR__INVALID_ARG);
    /* Empty input is no stream at all. */
    for (size_t i = 0; i < N_CODECS; i++) {
        if (!kafc__codec_available(all_codecs[i]))
            continue;
        cr_assert_eq(kafc__codec_decompress(all_codecs[i], NULL, 0, 10, &out, &len),
                     KAFC_ERR__DECOMPRESS);
        cr_assert_null(out);
    }
}

Test(codec, none_copies_within_cap)
{
    uint8_t buf[8], *out = NULL;
    size_t len = 0;

    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_NONE, -1, "abcd", 4, buf, 8, &len),
                 KAFC_ERR_NONE);
    cr_assert_eq(len, 4);
    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_NONE, -1, "abcd", 4, buf, 3, &len),
                 KAFC_ERR__BUF_OVERFLOW);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_NONE, "abcd", 4, 4, &out, &len), KAFC_ERR_NONE);
    cr_assert_eq(len, 4);
    cr_assert_eq(memcmp(out, "abcd", 4), 0);
    free(out);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_NONE, "abcd", 4, 3, &out, &len),
                 KAFC_ERR__DECOMPRESS);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_NONE, NULL, 0, 0, &out, &len), KAFC_ERR_NONE);
    cr_assert_not_null(out);
    cr_assert_eq(len, 0);
    free(out);
}

Test(codec, compress_into_too_small_buffer)
{
    uint8_t *src = make_random(10000, 7);
    uint8_t dst[1000];
    size_t len = 1;

    for (size_t i = 0; i < N_CODECS; i++) {
        if (!kafc__codec_available(all_codecs[i]))
            continue;
        cr_assert_eq(kafc__codec_compress(all_codecs[i], -1, src, 10000, dst, sizeof(dst), &len),
                     KAFC_ERR__BUF_OVERFLOW, "%s", kafc__codec_name(all_codecs[i]));
        cr_assert_eq(len, 0);
        cr_assert_eq(kafc__codec_compress(all_codecs[i], -1, src, 10000, dst, 0, &len),
                     KAFC_ERR__BUF_OVERFLOW);
    }
    free(src);
}

/* ---- round trips -------------------------------------------------------- */

static void roundtrip_all_levels(kafc__codec_t c)
{
    static const size_t sizes[] = {0, 1, 100, 64 * KiB + 1, MiB};
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();
    int lo, hi;

    if (!kafc__codec_available(c)) {
        cr_skip_test("%s not built in", kafc__codec_name(c));
    }
    cr_assert_not_null(ctx);
    level_range(c, &lo, &hi);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        uint8_t *text = make_text(n, 1 + s), *rnd = make_random(n, 100 + s);
        int levels[] = {-1, lo, hi, (lo + hi) / 2};
        for (size_t l = 0; l < 4; l++) {
            /* The slowest levels on 1 MiB only at the default/low ends. */
            if (n == MiB && levels[l] == hi && hi > 9)
                continue;
            roundtrip(ctx, c, levels[l], text, n);
            roundtrip(ctx, c, levels[l], rnd, n);
            roundtrip(NULL, c, levels[l], text, n);
        }
        free(text);
        free(rnd);
    }
    /* The highest level on 256 KiB, where it is quick enough. */
    {
        uint8_t *text = make_text(256 * KiB, 3), *rnd = make_random(256 * KiB, 4);
        roundtrip(ctx, c, hi, text, 256 * KiB);
        roundtrip(ctx, c, hi, rnd, 256 * KiB);
        free(text);
        free(rnd);
    }
    kafc__codec_ctx_destroy(ctx);
}

Test(codec, roundtrip_gzip, .timeout = 60)
{
    roundtrip_all_levels(KAFC__CODEC_GZIP);
}

Test(codec, roundtrip_snappy, .timeout = 60)
{
    roundtrip_all_levels(KAFC__CODEC_SNAPPY);
}

Test(codec, roundtrip_lz4, .timeout = 60)
{
    roundtrip_all_levels(KAFC__CODEC_LZ4);
}

Test(codec, roundtrip_zstd, .timeout = 60)
{
    roundtrip_all_levels(KAFC__CODEC_ZSTD);
}

/* A reused context gives the same bytes as a fresh one, across codecs and
 * levels in any order. */
Test(codec, context_reuse_is_stateless)
{
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();
    uint8_t *text = make_text(100 * KiB, 9);
    static const int levels[] = {1, -1, 9, 0, 3};

    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < N_CODECS; i++) {
            kafc__codec_t c = all_codecs[i];
            if (!kafc__codec_available(c))
                continue;
            for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
                int level = c == KAFC__CODEC_SNAPPY ? -1 : levels[l];
                size_t a_len, b_len;
                uint8_t *a = compress_or_die(ctx, c, level, text, 100 * KiB, &a_len);
                uint8_t *b = compress_or_die(NULL, c, level, text, 100 * KiB, &b_len);
                cr_assert_eq(a_len, b_len, "%s level %d", kafc__codec_name(c), level);
                cr_assert_eq(memcmp(a, b, a_len), 0, "%s level %d", kafc__codec_name(c), level);
                free(a);
                free(b);
            }
        }
    }
    kafc__codec_ctx_destroy(ctx);
    free(text);
}

/* ---- wire shapes -------------------------------------------------------- */

Test(codec, gzip_header)
{
    size_t len;
    uint8_t *z = compress_or_die(NULL, KAFC__CODEC_GZIP, -1, "hello", 5, &len);
    cr_assert_geq(len, 18);
    cr_assert_eq(z[0], 0x1f);
    cr_assert_eq(z[1], 0x8b);
    cr_assert_eq(z[2], 8); /* deflate */
    free(z);
}

Test(codec, lz4_frame_header)
{
    size_t len;
    uint8_t *z = compress_or_die(NULL, KAFC__CODEC_LZ4, -1, "hello", 5, &len);
    static const uint8_t magic[] = {0x04, 0x22, 0x4d, 0x18};

    cr_assert_geq(len, 7 + 4);
    cr_assert_eq(memcmp(z, magic, 4), 0);
    /* FLG: version 01, independent blocks, no checksums, no content size. */
    cr_assert_eq(z[4], 0x60, "FLG %02x", z[4]);
    cr_assert_eq(z[5], 0x40, "BD %02x (64 KiB blocks)", z[5]);
    /* KIP-57: the header checksum covers FLG and BD only. */
    cr_assert_eq(z[6], (uint8_t)(kafc__codec_xxh32(z + 4, 2, 0) >> 8));
    /* Ends with the end mark. */
    cr_assert_eq(z[len - 4] | z[len - 3] | z[len - 2] | z[len - 1], 0);
    free(z);
}

Test(codec, xxh32_vectors)
{
    static const char s[] = "Nobody inspects the spammish repetition";
    cr_assert_eq(kafc__codec_xxh32("", 0, 0), 0x02CC5D05u);
    cr_assert_eq(kafc__codec_xxh32("abc", 3, 0), 0x32D153FFu);
    cr_assert_eq(kafc__codec_xxh32(s, strlen(s), 0), 0xE2293B2Fu);
}

Test(codec, snappy_xerial_header)
{
    size_t len;
    uint8_t *text, *z;
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};

    if (!kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy not built in");
    text = make_text(100 * KiB, 5);
    z = compress_or_die(NULL, KAFC__CODEC_SNAPPY, -1, text, 100 * KiB, &len);
    cr_assert_eq(memcmp(z, hdr, 16), 0);
    /* 100 KiB = 3 full 32 KiB chunks and a 4 KiB one. */
    {
        size_t pos = 16, chunks = 0;
        while (pos < len) {
            uint32_t clen = ((uint32_t)z[pos] << 24) | ((uint32_t)z[pos + 1] << 16) |
                            ((uint32_t)z[pos + 2] << 8) | z[pos + 3];
            pos += 4 + clen;
            chunks++;
        }
        cr_assert_eq(pos, len);
        cr_assert_eq(chunks, 4);
    }
    free(z);
    /* Empty input: the header alone, as SnappyOutputStream writes it. */
    z = compress_or_die(NULL, KAFC__CODEC_SNAPPY, -1, "", 0, &len);
    cr_assert_eq(len, 16);
    free(z);
    free(text);
}

Test(codec, zstd_frame_has_content_size)
{
    size_t len;
    uint8_t *text = make_text(50 * KiB, 5);
    uint8_t *z = compress_or_die(NULL, KAFC__CODEC_ZSTD, -1, text, 50 * KiB, &len);
    static const uint8_t magic[] = {0x28, 0xb5, 0x2f, 0xfd};

    cr_assert_eq(memcmp(z, magic, 4), 0);
    cr_assert_eq(ZSTD_getFrameContentSize(z, len), 50 * KiB);
    free(z);
    free(text);
}

static void expect_decode(kafc__codec_t c, const void *src, size_t len, const char *want)
{
    uint8_t *out = NULL;
    size_t olen = 0;
    kafc_err_t err = kafc__codec_decompress(c, src, len, 1000, &out, &olen);
    cr_assert_eq(err, KAFC_ERR_NONE, "%s: %s", kafc__codec_name(c), kafc_err_name(err));
    cr_assert_eq(olen, strlen(want));
    cr_assert_eq(memcmp(out, want, olen), 0);
    free(out);
}

static void expect_fail(kafc__codec_t c, const void *src, size_t len)
{
    uint8_t *out = (uint8_t *)1;
    size_t olen = 1;
    kafc_err_t err = kafc__codec_decompress(c, src, len, 1000, &out, &olen);
    cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s: %s", kafc__codec_name(c), kafc_err_name(err));
    cr_assert_null(out);
    cr_assert_eq(olen, 0);
}

Test(codec, snappy_hand_built_streams)
{
    /* Raw snappy blocks: "hello" (one literal), and "abcabcabcabc" (a
     * literal "abc" and a copy of 9 bytes at offset 3). */
    static const uint8_t raw_hello[] = {5, 0x10, 'h', 'e', 'l', 'l', 'o'};
    static const uint8_t raw_abc[] = {12, 0x08, 'a', 'b', 'c', 0x15, 3};
    /* xerial: header, then two chunks "hello" and " world". */
    static const uint8_t xerial[] = {
        0x82, 'S',  'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0,    0,   0,   1,   0,   0,   0,  7,
        5,    0x10, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 8, 6, 0x14, ' ', 'w', 'o', 'r', 'l', 'd'};
    uint8_t bad[sizeof(xerial)];

    if (!kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy not built in");
    expect_decode(KAFC__CODEC_SNAPPY, raw_hello, sizeof(raw_hello), "hello");
    expect_decode(KAFC__CODEC_SNAPPY, raw_abc, sizeof(raw_abc), "abcabcabcabc");
    expect_decode(KAFC__CODEC_SNAPPY, xerial, sizeof(xerial), "hello world");
    /* Header only: empty. */
    expect_decode(KAFC__CODEC_SNAPPY, xerial, 16, "");
    /* A chunk length past the end, a cut length field, a zero length, a
     * negative one, and a chunk whose content is corrupt. */
    expect_fail(KAFC__CODEC_SNAPPY, xerial, sizeof(xerial) - 1);
    expect_fail(KAFC__CODEC_SNAPPY, xerial, 16 + 2);
    memcpy(bad, xerial, sizeof(bad));
    bad[19] = 0;
    expect_fail(KAFC__CODEC_SNAPPY, bad, sizeof(bad));
    memcpy(bad, xerial, sizeof(bad));
    bad[16] = 0x80;
    expect_fail(KAFC__CODEC_SNAPPY, bad, sizeof(bad));
    memcpy(bad, xerial, sizeof(bad));
    bad[20] = 9; /* claims 9 bytes, holds 5 */
    expect_fail(KAFC__CODEC_SNAPPY, bad, sizeof(bad));
    /* A raw block whose copy reaches before the start. */
    {
        static const uint8_t raw_bad[] = {12, 0x08, 'a', 'b', 'c', 0x15, 4};
        expect_fail(KAFC__CODEC_SNAPPY, raw_bad, sizeof(raw_bad));
    }
    /* A raw block declaring 4 GiB from 5 bytes: refused before allocating. */
    {
        static const uint8_t raw_huge[] = {0x80, 0x80, 0x80, 0x80, 0x0f};
        uint8_t *out = NULL;
        size_t olen;
        cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_SNAPPY, raw_huge, sizeof(raw_huge),
                                            SIZE_MAX, &out, &olen),
                     KAFC_ERR__DECOMPRESS);
    }
}

Test(codec, concatenated_streams)
{
    uint8_t *text = make_text(200 * KiB, 11);
    static const kafc__codec_t cs[] = {KAFC__CODEC_GZIP, KAFC__CODEC_LZ4, KAFC__CODEC_ZSTD,
                                       KAFC__CODEC_SNAPPY};

    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        kafc__codec_t c = cs[i];
        size_t a_len, b_len, olen;
        uint8_t *a, *b, *both, *out;
        if (!kafc__codec_available(c))
            continue;
        a = compress_or_die(NULL, c, -1, text, 70 * KiB, &a_len);
        b = compress_or_die(NULL, c, -1, text + 70 * KiB, 130 * KiB, &b_len);
        both = malloc(a_len + b_len);
        memcpy(both, a, a_len);
        if (c == KAFC__CODEC_SNAPPY) { /* one xerial stream: drop b's header */
            b_len -= 16;
            memmove(b, b + 16, b_len);
        }
        memcpy(both + a_len, b, b_len);
        cr_assert_eq(kafc__codec_decompress(c, both, a_len + b_len, MiB, &out, &olen),
                     KAFC_ERR_NONE, "%s", kafc__codec_name(c));
        cr_assert_eq(olen, 200 * KiB);
        cr_assert_eq(memcmp(out, text, olen), 0);
        free(out);
        /* The cap counts the whole output, across frames. */
        cr_assert_eq(kafc__codec_decompress(c, both, a_len + b_len, 200 * KiB - 1, &out, &olen),
                     KAFC_ERR__DECOMPRESS, "%s", kafc__codec_name(c));
        /* Trailing garbage after a complete frame is an error. */
        if (c != KAFC__CODEC_SNAPPY) {
            both[a_len] ^= 0x55;
            cr_assert_eq(kafc__codec_decompress(c, both, a_len + 3, MiB, &out, &olen),
                         KAFC_ERR__DECOMPRESS, "%s", kafc__codec_name(c));
        }
        free(a);
        free(b);
        free(both);
    }
    free(text);
}

Test(codec, zstd_without_content_size)
{
    uint8_t *text = make_text(300 * KiB, 12);
    size_t cap = ZSTD_compressBound(300 * KiB), len, olen;
    uint8_t *z = malloc(cap), *out;
    ZSTD_CCtx *cc = ZSTD_createCCtx();

    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    len = ZSTD_compress2(cc, z, cap, text, 300 * KiB);
    cr_assert_not(ZSTD_isError(len));
    cr_assert_eq(ZSTD_getFrameContentSize(z, len), ZSTD_CONTENTSIZE_UNKNOWN);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, z, len, MiB, &out, &olen), KAFC_ERR_NONE);
    cr_assert_eq(olen, 300 * KiB);
    cr_assert_eq(memcmp(out, text, olen), 0);
    free(out);
    /* Caps below, at, and far below the size. */
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, z, len, 300 * KiB - 1, &out, &olen),
                 KAFC_ERR__DECOMPRESS);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, z, len, 300 * KiB, &out, &olen),
                 KAFC_ERR_NONE);
    free(out);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, z, len, 1000, &out, &olen),
                 KAFC_ERR__DECOMPRESS);
    /* A flipped byte in the data: the checksum catches it if nothing else. */
    z[len / 2] ^= 1;
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, z, len, MiB, &out, &olen),
                 KAFC_ERR__DECOMPRESS);
    ZSTD_freeCCtx(cc);
    free(z);
    free(text);
}

/* Kafka 0.8/0.9 (message format v0) wrote the lz4 header checksum over the
 * magic too; such frames still decode. */
Test(codec, lz4_legacy_header_checksum)
{
    uint8_t *text = make_text(10 * KiB, 13), *out;
    size_t len, olen;
    uint8_t *z = compress_or_die(NULL, KAFC__CODEC_LZ4, -1, text, 10 * KiB, &len);
    uint8_t good = z[6], legacy = (uint8_t)(kafc__codec_xxh32(z, 6, 0) >> 8);

    cr_assert_neq(good, legacy);
    z[6] = legacy;
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_LZ4, z, len, MiB, &out, &olen), KAFC_ERR_NONE);
    cr_assert_eq(olen, 10 * KiB);
    cr_assert_eq(memcmp(out, text, olen), 0);
    free(out);
    /* Any other wrong checksum is refused. */
    for (z[6] = 0; z[6] == good || z[6] == legacy; z[6]++)
        ;
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_LZ4, z, len, MiB, &out, &olen),
                 KAFC_ERR__DECOMPRESS);
    free(z);
    free(text);
}

/* ---- the output cap ------------------------------------------------------ */

/* 100 MiB of zeros, compressed, against a 1 MiB cap: an error, quickly, and
 * never a 100 MiB allocation (the output buffer is bounded by the cap; the
 * out pointer stays NULL). */
Test(codec, decompression_bomb, .timeout = 60)
{
    size_t n = 100 * MiB;
    uint8_t *zeros = calloc(1, n);
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    cr_assert_not_null(zeros);
    for (size_t i = 0; i < N_CODECS; i++) {
        kafc__codec_t c = all_codecs[i];
        size_t clen, olen = 7;
        uint8_t *bomb, *out = (uint8_t *)1;
        double t0;
        kafc_err_t err;
        if (!kafc__codec_available(c))
            continue;
        bomb = compress_or_die(ctx, c, c == KAFC__CODEC_GZIP ? 1 : -1, zeros, n, &clen);
        t0 = now_s();
        err = kafc__codec_ctx_decompress(ctx, c, bomb, clen, MiB, &out, &olen);
        cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s: %s", kafc__codec_name(c), kafc_err_name(err));
        cr_assert_null(out);
        cr_assert_eq(olen, 0);
        cr_assert_lt(now_s() - t0, 1.0, "%s took %.3f s", kafc__codec_name(c), now_s() - t0);
        /* With the cap at the true size it decodes. */
        err = kafc__codec_ctx_decompress(ctx, c, bomb, clen, n, &out, &olen);
        cr_assert_eq(err, KAFC_ERR_NONE, "%s", kafc__codec_name(c));
        cr_assert_eq(olen, n);
        free(out);
        free(bomb);
    }
    kafc__codec_ctx_destroy(ctx);
    free(zeros);
}

/* The internal output buffer grows geometrically and stops at the cap. */
Test(codec, output_buffer_bounded)
{
    kafc__codec_out_t o;

    cr_assert_eq(kafc__codec_out_init(&o, 10, 100), KAFC_ERR_NONE);
    cr_assert_eq(o.cap, 10);
    cr_assert_eq(kafc__codec_out_reserve(&o, 100), KAFC_ERR_NONE);
    cr_assert_eq(o.cap, 100);
    o.len = 100;
    cr_assert_eq(kafc__codec_out_reserve(&o, 1), KAFC_ERR__DECOMPRESS);
    cr_assert_eq(kafc__codec_out_more(&o), KAFC_ERR_NONE);
    cr_assert_eq(o.cap, 100);
    kafc__codec_out_free(&o);
    cr_assert_eq(kafc__codec_out_init(&o, 1000, 0), KAFC_ERR_NONE);
    cr_assert_eq(o.cap, 0);
    cr_assert_not_null(o.p);
    kafc__codec_out_free(&o);
    cr_assert_eq(kafc__codec_out_init(&o, 16, SIZE_MAX), KAFC_ERR_NONE);
    cr_assert_eq(kafc__codec_out_reserve(&o, 20000), KAFC_ERR_NONE);
    cr_assert_geq(o.cap, 20000);
    cr_assert_leq(o.cap, 40000);
    kafc__codec_out_free(&o);
}

/* A zstd frame that declares 1 GiB of content is refused against a 1 MiB
 * cap before anything is allocated for it. */
Test(codec, zstd_declared_size_over_cap)
{
    /* Magic, FHD 0xA0 (single segment, 4-byte content size), size 2^30,
     * then an empty raw last block. */
    static const uint8_t frame[] = {0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x40, 1, 0, 0};
    uint8_t *out = (uint8_t *)1;
    size_t olen = 3;
    cr_assert_eq(ZSTD_getFrameContentSize(frame, sizeof(frame)), 1ull << 30);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_ZSTD, frame, sizeof(frame), MiB, &out, &olen),
                 KAFC_ERR__DECOMPRESS);
    cr_assert_null(out);
}

/* ---- truncated and corrupt input ---------------------------------------- */

Test(codec, truncated_input, .timeout = 60)
{
    uint8_t *text = make_text(100 * KiB, 21);
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    for (size_t i = 0; i < N_CODECS; i++) {
        kafc__codec_t c = all_codecs[i];
        size_t clen;
        uint8_t *z;
        if (!kafc__codec_available(c))
            continue;
        z = compress_or_die(ctx, c, -1, text, 100 * KiB, &clen);
        for (size_t cut = 0; cut < clen; cut += (cut < 300 || clen - cut < 300) ? 1 : 97) {
            /* A copy of exactly cut bytes, so ASan sees any over-read. */
            uint8_t *p = malloc(cut > 0 ? cut : 1), *out = (uint8_t *)1;
            size_t olen = 5;
            kafc_err_t err;
            memcpy(p, z, cut);
            err = kafc__codec_ctx_decompress(ctx, c, p, cut, MiB, &out, &olen);
            if (c == KAFC__CODEC_SNAPPY && err == KAFC_ERR_NONE) {
                /* xerial has no end marker: a cut at a chunk boundary is a
                 * shorter valid stream (the batch CRC catches that). */
                cr_assert_lt(olen, 100 * KiB);
                cr_assert_eq(olen % KAFC__CODEC_SNAPPY_CHUNK, 0);
                cr_assert(olen == 0 || memcmp(out, text, olen) == 0);
                free(out);
            } else {
                cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s cut %zu/%zu: %s", kafc__codec_name(c),
                             cut, clen, kafc_err_name(err));
                cr_assert_null(out);
                cr_assert_eq(olen, 0);
            }
            free(p);
        }
        free(z);
    }
    kafc__codec_ctx_destroy(ctx);
    free(text);
}

Test(codec, garbage_input)
{
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    for (size_t i = 0; i < N_CODECS; i++) {
        kafc__codec_t c = all_codecs[i];
        if (!kafc__codec_available(c))
            continue;
        for (size_t n = 1; n < 5000; n = n * 3 + 1) {
            for (uint64_t seed = 1; seed < 20; seed++) {
                uint8_t *g = make_random(n, seed * 7919 + n), *out = (uint8_t *)1;
                size_t olen = 5;
                kafc_err_t err;
                if (c == KAFC__CODEC_SNAPPY)
                    g[0] = 0xff; /* raw snappy: a length varint longer than the data */
                err = kafc__codec_ctx_decompress(ctx, c, g, n, MiB, &out, &olen);
                cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s n %zu seed %llu: %s",
                             kafc__codec_name(c), n, (unsigned long long)seed, kafc_err_name(err));
                cr_assert_null(out);
                free(g);
            }
        }
    }
    kafc__codec_ctx_destroy(ctx);
}

/* Every byte of a valid stream flipped in turn: an error or (where the
 * format has no checksum over that byte) some output, never a crash or an
 * out-of-bounds access (ASan builds check that). */
Test(codec, bit_flips, .timeout = 60)
{
    uint8_t *text = make_text(20 * KiB, 31);
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    for (size_t i = 0; i < N_CODECS; i++) {
        kafc__codec_t c = all_codecs[i];
        size_t clen;
        uint8_t *z;
        if (!kafc__codec_available(c))
            continue;
        z = compress_or_die(ctx, c, -1, text, 20 * KiB, &clen);
        for (size_t pos = 0; pos < clen; pos++) {
            uint8_t *out = NULL;
            size_t olen;
            kafc_err_t err;
            z[pos] ^= (uint8_t)(1u << (pos % 8));
            err = kafc__codec_ctx_decompress(ctx, c, z, clen, 20 * KiB, &out, &olen);
            cr_assert(err == KAFC_ERR_NONE || err == KAFC_ERR__DECOMPRESS, "%s",
                      kafc_err_name(err));
            cr_assert(err == KAFC_ERR_NONE ? olen <= 20 * KiB : out == NULL);
            free(out);
            z[pos] ^= (uint8_t)(1u << (pos % 8));
        }
        free(z);
    }
    kafc__codec_ctx_destroy(ctx);
    free(text);
}

/* ---- interop fixtures ---------------------------------------------------- */

static const struct {
    const char *file;
    kafc__codec_t codec;
} fixtures[] = {
    {"gzip_kafka_python.bin", KAFC__CODEC_GZIP},
    {"gzip_two_members.bin", KAFC__CODEC_GZIP},
    {"snappy_xerial_kafka_python.bin", KAFC__CODEC_SNAPPY},
    {"snappy_raw_kafka_python.bin", KAFC__CODEC_SNAPPY},
    {"snappy_xerial_8k_chunks.bin", KAFC__CODEC_SNAPPY},
    {"lz4_kafka_python.bin", KAFC__CODEC_LZ4},
    {"lz4_linked_checksums.bin", KAFC__CODEC_LZ4},
    {"lz4_hc_two_frames.bin", KAFC__CODEC_LZ4},
    {"zstd_kafka_python.bin", KAFC__CODEC_ZSTD},
    {"zstd_no_size_checksum.bin", KAFC__CODEC_ZSTD},
    {"zstd_two_frames.bin", KAFC__CODEC_ZSTD},
};

Test(codec, fixtures_from_other_implementations)
{
    size_t plain_len;
    uint8_t *plain = read_fixture("plain.bin", &plain_len);
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    cr_assert_gt(plain_len, 100000);
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        size_t len, olen;
        uint8_t *z, *out;
        kafc_err_t err;
        if (!kafc__codec_available(fixtures[i].codec))
            continue;
        z = read_fixture(fixtures[i].file, &len);
        err = kafc__codec_ctx_decompress(ctx, fixtures[i].codec, z, len, plain_len, &out, &olen);
        cr_assert_eq(err, KAFC_ERR_NONE, "%s: %s", fixtures[i].file, kafc_err_name(err));
        cr_assert_eq(olen, plain_len, "%s", fixtures[i].file);
        cr_assert_eq(memcmp(out, plain, olen), 0, "%s", fixtures[i].file);
        free(out);
        err =
            kafc__codec_ctx_decompress(ctx, fixtures[i].codec, z, len, plain_len - 1, &out, &olen);
        cr_assert_eq(err, KAFC_ERR__DECOMPRESS, "%s under cap", fixtures[i].file);
        free(z);
    }
    kafc__codec_ctx_destroy(ctx);
    free(plain);
}

/* Without snappy in the build, snappy says so. */
Test(codec, snappy_unavailable_says_so)
{
    uint8_t buf[64], *out;
    size_t len;

    if (kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy is built in");
    cr_assert_eq(kafc__codec_compress(KAFC__CODEC_SNAPPY, -1, "x", 1, buf, 64, &len),
                 KAFC_ERR__UNSUPPORTED_FEATURE);
    cr_assert_eq(kafc__codec_decompress(KAFC__CODEC_SNAPPY, "x", 1, 64, &out, &len),
                 KAFC_ERR__UNSUPPORTED_FEATURE);
    cr_assert_eq(kafc__codec_compress_bound(KAFC__CODEC_SNAPPY, 10), 0);
}
