/*
 * Unit tests for producer/serde: the bytes Java's serializers write
 * (org.apache.kafka.common.serialization: big-endian integers,
 * Float.floatToRawIntBits, Double.doubleToLongBits, UUID.toString()), the
 * round trips, and the refusals of the deserializers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kafc/kafc.h"

TestSuite(serde, .timeout = 60);

static void expect_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "%s: byte %zu is %02x, want %02x", what, i, got[i], want[i]);
}

Test(serde, int16)
{
    uint8_t b[2];
    int16_t v;
    cr_assert_eq(kafc_serialize_int16(0x0102, b), 2);
    expect_bytes(b, (const uint8_t[]){0x01, 0x02}, 2, "0x0102");
    kafc_serialize_int16(-1, b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xff}, 2, "-1");
    kafc_serialize_int16(INT16_MIN, b);
    expect_bytes(b, (const uint8_t[]){0x80, 0x00}, 2, "INT16_MIN");
    cr_assert_eq(kafc_deserialize_int16(b, 2, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, INT16_MIN);
    cr_assert_eq(kafc_deserialize_int16("\x7f\xfe", 2, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, 0x7ffe);
}

Test(serde, int32)
{
    uint8_t b[4];
    int32_t v;
    cr_assert_eq(kafc_serialize_int32(0x01020304, b), 4);
    expect_bytes(b, (const uint8_t[]){0x01, 0x02, 0x03, 0x04}, 4, "0x01020304");
    cr_assert_eq(kafc_deserialize_int32(b, 4, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, 0x01020304);
    kafc_serialize_int32(-1, b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xff, 0xff, 0xff}, 4, "-1");
    cr_assert_eq(kafc_deserialize_int32(b, 4, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, -1);
    kafc_serialize_int32(INT32_MIN, b);
    expect_bytes(b, (const uint8_t[]){0x80, 0, 0, 0}, 4, "INT32_MIN");
    cr_assert_eq(kafc_deserialize_int32(b, 4, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, INT32_MIN);
    kafc_serialize_int32(-2, b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xff, 0xff, 0xfe}, 4, "-2");
}

Test(serde, int64)
{
    uint8_t b[8];
    int64_t v;
    cr_assert_eq(kafc_serialize_int64(INT64_C(0x0102030405060708), b), 8);
    expect_bytes(b, (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8}, 8, "0x0102030405060708");
    cr_assert_eq(kafc_deserialize_int64(b, 8, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, INT64_C(0x0102030405060708));
    kafc_serialize_int64(INT64_MIN, b);
    expect_bytes(b, (const uint8_t[]){0x80, 0, 0, 0, 0, 0, 0, 0}, 8, "INT64_MIN");
    cr_assert_eq(kafc_deserialize_int64(b, 8, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, INT64_MIN);
    kafc_serialize_int64(-1, b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8, "-1");
    cr_assert_eq(kafc_deserialize_int64(b, 8, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, -1);
    kafc_serialize_int64(INT64_MAX, b);
    expect_bytes(b, (const uint8_t[]){0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8,
                 "INT64_MAX");
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

Test(serde, float)
{
    uint8_t b[4];
    float v;
    cr_assert_eq(kafc_serialize_float(1.5f, b), 4);
    expect_bytes(b, (const uint8_t[]){0x3f, 0xc0, 0x00, 0x00}, 4, "1.5f");
    cr_assert_eq(kafc_deserialize_float(b, 4, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, 1.5f);
    kafc_serialize_float(-0.0f, b);
    expect_bytes(b, (const uint8_t[]){0x80, 0, 0, 0}, 4, "-0.0f");
    kafc_serialize_float(-2.0f, b);
    expect_bytes(b, (const uint8_t[]){0xc0, 0, 0, 0}, 4, "-2.0f");
    kafc_serialize_float(INFINITY, b);
    expect_bytes(b, (const uint8_t[]){0x7f, 0x80, 0, 0}, 4, "+inf");
    /* floatToRawIntBits: a NaN keeps its sign and payload. */
    kafc_serialize_float(bits_float(0x7fc00001u), b);
    expect_bytes(b, (const uint8_t[]){0x7f, 0xc0, 0x00, 0x01}, 4, "NaN payload 1");
    kafc_serialize_float(bits_float(0xffc00000u), b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xc0, 0x00, 0x00}, 4, "negative NaN");
    cr_assert_eq(kafc_deserialize_float("\x7f\xc0\x12\x34", 4, &v), KAFC_ERR_NONE);
    cr_assert(isnan(v));
    cr_assert_eq(float_bits(v), 0x7fc01234u, "intBitsToFloat keeps the payload");
}

Test(serde, double)
{
    uint8_t b[8];
    double v;
    cr_assert_eq(kafc_serialize_double(1.0, b), 8);
    expect_bytes(b, (const uint8_t[]){0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 8, "1.0");
    cr_assert_eq(kafc_deserialize_double(b, 8, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, 1.0);
    kafc_serialize_double(-2.5, b);
    expect_bytes(b, (const uint8_t[]){0xc0, 0x04, 0, 0, 0, 0, 0, 0}, 8, "-2.5");
    kafc_serialize_double(0.1, b);
    expect_bytes(b, (const uint8_t[]){0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}, 8, "0.1");
    cr_assert_eq(kafc_deserialize_double(b, 8, &v), KAFC_ERR_NONE);
    cr_assert_eq(v, 0.1);
    kafc_serialize_double(-INFINITY, b);
    expect_bytes(b, (const uint8_t[]){0xff, 0xf0, 0, 0, 0, 0, 0, 0}, 8, "-inf");
    /* doubleToLongBits (not Raw): every NaN becomes 0x7ff8000000000000. */
    static const uint64_t nans[] = {UINT64_C(0x7ff8000000000000), UINT64_C(0x7ff8000000000001),
                                    UINT64_C(0xfff8000000000000), UINT64_C(0x7ff0000000000001),
                                    UINT64_C(0xffffffffffffffff)};
    for (size_t i = 0; i < sizeof(nans) / sizeof(nans[0]); i++) {
        memset(b, 0, sizeof(b));
        kafc_serialize_double(bits_double(nans[i]), b);
        expect_bytes(b, (const uint8_t[]){0x7f, 0xf8, 0, 0, 0, 0, 0, 0}, 8, "NaN");
    }
    cr_assert_eq(kafc_deserialize_double("\x7f\xf8\0\0\0\0\0\x05", 8, &v), KAFC_ERR_NONE);
    cr_assert(isnan(v));
}

Test(serde, uuid_round_trip)
{
    static const uint8_t raw[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                                    0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
    char text[37];
    memset(text, 'x', sizeof(text));
    cr_assert_eq(kafc_serialize_uuid(raw, text), 36);
    cr_assert_str_eq(text, "123e4567-e89b-12d3-a456-426614174000");

    uint8_t back[16];
    cr_assert_eq(kafc_deserialize_uuid(text, 36, back), KAFC_ERR_NONE);
    cr_assert_eq(memcmp(back, raw, 16), 0);

    /* UUID.fromString takes upper case (and mixed) hex too. */
    memset(back, 0, sizeof(back));
    cr_assert_eq(kafc_deserialize_uuid("123E4567-E89B-12D3-A456-426614174000", 36, back),
                 KAFC_ERR_NONE);
    cr_assert_eq(memcmp(back, raw, 16), 0);

    static const uint8_t ff[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    kafc_serialize_uuid(ff, text);
    cr_assert_str_eq(text, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    cr_assert_eq(kafc_deserialize_uuid("fFfFfFfF-FfFf-fFfF-ffff-FFFFFFFFFFFF", 36, back),
                 KAFC_ERR_NONE);
    cr_assert_eq(memcmp(back, ff, 16), 0);
    static const uint8_t zero[16] = {0};
    kafc_serialize_uuid(zero, text);
    cr_assert_str_eq(text, "00000000-0000-0000-0000-000000000000");
}

Test(serde, uuid_refusals)
{
    uint8_t u[16], keep[16];
    memset(u, 0xaa, sizeof(u));
    memcpy(keep, u, sizeof(u));
    static const char *const bad[] = {
        "123e4567-e89b-12d3-a456-42661417400",   /* 35 chars */
        "123e4567-e89b-12d3-a456-4266141740000", /* 37 */
        "123e4567e89b-12d3-a456-4266141740000",  /* dash missing */
        "123e4567-e89b-12d3-a456_426614174000",  /* wrong separator */
        "123e4567-e89b-12d3-a4564-26614174000",  /* dash moved */
        "123e4567-e89b-12d3-a456-42661417400g",  /* not hex */
        "123e4567-e89b-12d3-a456-42661417400 ",  /* blank */
        "{23e4567-e89b-12d3-a456-426614174000",  "                                    ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(kafc_deserialize_uuid(bad[i], strlen(bad[i]), u), KAFC_ERR__INVALID_ARG,
                     "\"%s\"", bad[i]);
        cr_assert_eq(memcmp(u, keep, 16), 0, "output untouched on error");
    }
    /* The text with its NUL is not the 36-byte form. */
    cr_assert_eq(kafc_deserialize_uuid("123e4567-e89b-12d3-a456-426614174000", 37, u),
                 KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_uuid(NULL, 36, u), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_uuid("123e4567-e89b-12d3-a456-426614174000", 36, NULL),
                 KAFC_ERR__INVALID_ARG);
}

Test(serde, wrong_lengths_and_nulls)
{
    const uint8_t b[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    int16_t i16 = 42;
    int32_t i32 = 42;
    int64_t i64 = 42;
    float f = 42.0f;
    double d = 42.0;
    for (size_t len = 0; len <= 9; len++) {
        if (len != 2)
            cr_assert_eq(kafc_deserialize_int16(b, len, &i16), KAFC_ERR__INVALID_ARG, "%zu", len);
        if (len != 4) {
            cr_assert_eq(kafc_deserialize_int32(b, len, &i32), KAFC_ERR__INVALID_ARG, "%zu", len);
            cr_assert_eq(kafc_deserialize_float(b, len, &f), KAFC_ERR__INVALID_ARG, "%zu", len);
        }
        if (len != 8) {
            cr_assert_eq(kafc_deserialize_int64(b, len, &i64), KAFC_ERR__INVALID_ARG, "%zu", len);
            cr_assert_eq(kafc_deserialize_double(b, len, &d), KAFC_ERR__INVALID_ARG, "%zu", len);
        }
    }
    cr_assert_eq(i16, 42, "outputs untouched on error");
    cr_assert_eq(i32, 42);
    cr_assert_eq(i64, 42);
    cr_assert_eq(f, 42.0f);
    cr_assert_eq(d, 42.0);
    cr_assert_eq(kafc_deserialize_int16(NULL, 2, &i16), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_int32(NULL, 4, &i32), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_int64(NULL, 8, &i64), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_float(NULL, 4, &f), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_double(NULL, 8, &d), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_int16(b, 2, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_int32(b, 4, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_int64(b, 8, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_float(b, 4, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_deserialize_double(b, 8, NULL), KAFC_ERR__INVALID_ARG);
}
