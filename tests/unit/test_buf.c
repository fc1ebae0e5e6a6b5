/*
 * Unit tests for util/buf: the wire-protocol writer and reader.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(buf, .timeout = 60);

/* The out-of-memory test asks for an impossible allocation; under the
 * sanitizers that must return NULL rather than abort the process. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif
#if defined(__SANITIZE_THREAD__)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

/* Asserts that w holds exactly the n bytes at exp, printing both in hex on
 * a mismatch. */
static void expect_bytes(const kafc__wbuf_t *w, const void *exp, size_t n)
{
    char got_hex[256] = "", exp_hex[256] = "";
    cr_assert_eq(w->err, 0, "writer error %d", w->err);
    if (w->len == n && memcmp(w->data, exp, n) == 0)
        return;
    for (size_t i = 0; i < w->len && i < 80; i++)
        snprintf(got_hex + 3 * i, 4, "%02x ", w->data[i]);
    for (size_t i = 0; i < n && i < 80; i++)
        snprintf(exp_hex + 3 * i, 4, "%02x ", ((const uint8_t *)exp)[i]);
    cr_assert_fail("got %zu bytes [%s], want %zu bytes [%s]", w->len, got_hex, n, exp_hex);
}

#define EXPECT(w, ...)                                                                             \
    do {                                                                                           \
        static const uint8_t exp_[] = {__VA_ARGS__};                                               \
        expect_bytes((w), exp_, sizeof(exp_));                                                     \
    } while (0)

/* ---- known encodings ---------------------------------------------------- */

Test(buf, fixed_width_big_endian)
{
    kafc__wbuf_t w;
    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_i8(&w, -2);
    kafc__wbuf_put_i16(&w, -2);
    kafc__wbuf_put_u16(&w, 0x0102);
    kafc__wbuf_put_i32(&w, 0x01020304);
    kafc__wbuf_put_u32(&w, 0xfffffffeu);
    kafc__wbuf_put_i64(&w, 0x0102030405060708LL);
    kafc__wbuf_put_f64(&w, 1.0);
    kafc__wbuf_put_bool(&w, 42);
    kafc__wbuf_put_bool(&w, 0);
    EXPECT(&w, 0xfe, 0xff, 0xfe, 0x01, 0x02, 0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe, 0x01,
           0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x01, 0x00);
    kafc__wbuf_free(&w);
}

Test(buf, varint_known_encodings)
{
    static const struct {
        uint32_t v;
        uint8_t enc[5];
        size_t n;
    } u[] = {
        {0, {0x00}, 1},
        {1, {0x01}, 1},
        {127, {0x7f}, 1},
        {128, {0x80, 0x01}, 2},
        {300, {0xac, 0x02}, 2},
        {16383, {0xff, 0x7f}, 2},
        {16384, {0x80, 0x80, 0x01}, 3},
        {2097151, {0xff, 0xff, 0x7f}, 3},
        {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
        {268435455, {0xff, 0xff, 0xff, 0x7f}, 4},
        {268435456, {0x80, 0x80, 0x80, 0x80, 0x01}, 5},
        {UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
    };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        kafc__wbuf_t w;
        kafc__wbuf_init(&w, 0);
        kafc__wbuf_put_uvarint(&w, u[i].v);
        cr_assert_eq(kafc__uvarint_size(u[i].v), u[i].n, "size of %u", u[i].v);
        expect_bytes(&w, u[i].enc, u[i].n);
        kafc__wbuf_free(&w);
    }

    kafc__wbuf_t w;
    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_varint(&w, 0);
    kafc__wbuf_put_varint(&w, -1);
    kafc__wbuf_put_varint(&w, 1);
    kafc__wbuf_put_varint(&w, -2);
    kafc__wbuf_put_varint(&w, 150);
    EXPECT(&w, 0x00, 0x01, 0x02, 0x03, 0xac, 0x02);
    kafc__wbuf_reset(&w);
    kafc__wbuf_put_varint(&w, INT32_MIN);
    kafc__wbuf_put_varint(&w, INT32_MAX);
    EXPECT(&w, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xfe, 0xff, 0xff, 0xff, 0x0f);
    kafc__wbuf_reset(&w);
    kafc__wbuf_put_varlong(&w, -1);
    kafc__wbuf_put_varlong(&w, INT64_MIN);
    EXPECT(&w, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    kafc__wbuf_reset(&w);
    kafc__wbuf_put_varlong(&w, INT64_MAX);
    kafc__wbuf_put_uvarlong(&w, UINT64_MAX);
    kafc__wbuf_put_uvarlong(&w, 300);
    EXPECT(&w, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0xff,
           0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xac, 0x02);
    kafc__wbuf_free(&w);

    cr_assert_eq(kafc__varint_size(-1), 1);
    cr_assert_eq(kafc__varint_size(-65), 2);
    cr_assert_eq(kafc__varint_size(INT32_MIN), 5);
    cr_assert_eq(kafc__varlong_size(0), 1);
    cr_assert_eq(kafc__varlong_size(-1), 1);
    cr_assert_eq(kafc__varlong_size(INT64_MIN), 10);
    cr_assert_eq(kafc__varlong_size(INT64_MAX), 10);
    cr_assert_eq(kafc__varlong_size((int64_t)1 << 61), 9);
    cr_assert_eq(kafc__varlong_size((int64_t)1 << 62), 10);
}

Test(buf, strings_bytes_arrays_known_encodings)
{
    kafc__wbuf_t w;
    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_string(&w, "hello", -1);
    kafc__wbuf_put_string(&w, "hello", 2);
    kafc__wbuf_put_string(&w, "", -1);
    kafc__wbuf_put_string(&w, NULL, 7);
    EXPECT(&w, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 2, 'h', 'e', 0, 0, 0xff, 0xff);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_compact_string(&w, "hello", -1);
    kafc__wbuf_put_compact_string(&w, "", 0);
    kafc__wbuf_put_compact_string(&w, NULL, -1);
    EXPECT(&w, 6, 'h', 'e', 'l', 'l', 'o', 1, 0);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_bytes(&w, "ab", 2);
    kafc__wbuf_put_bytes(&w, "", 0);
    kafc__wbuf_put_bytes(&w, NULL, 0);
    kafc__wbuf_put_compact_bytes(&w, "ab", 2);
    kafc__wbuf_put_compact_bytes(&w, "", 0);
    kafc__wbuf_put_compact_bytes(&w, NULL, 3);
    EXPECT(&w, 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 3, 'a', 'b', 1, 0);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_array_len(&w, 3);
    kafc__wbuf_put_array_len(&w, 0);
    kafc__wbuf_put_array_len(&w, -1);
    kafc__wbuf_put_array_len(&w, -7);
    kafc__wbuf_put_compact_array_len(&w, 3);
    kafc__wbuf_put_compact_array_len(&w, 0);
    kafc__wbuf_put_compact_array_len(&w, -1);
    kafc__wbuf_put_compact_array_len(&w, 127);
    EXPECT(&w, 0, 0, 0, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 4, 1, 0,
           0x80, 0x01);

    kafc__wbuf_reset(&w);
    static const uint8_t id[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    kafc__wbuf_put_uuid(&w, id);
    kafc__wbuf_put_raw(&w, "xyz", 3);
    kafc__wbuf_put_raw(&w, NULL, 0);
    EXPECT(&w, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 'x', 'y', 'z');
    kafc__wbuf_free(&w);
}

/* ---- round trips -------------------------------------------------------- */

Test(buf, roundtrip_fixed_width)
{
    static const int8_t i8s[] = {0, 1, -1, INT8_MIN, INT8_MAX};
    static const int16_t i16s[] = {0, 1, -1, INT16_MIN, INT16_MAX};
    static const uint16_t u16s[] = {0, 1, 0x8000, UINT16_MAX};
    static const int32_t i32s[] = {0, 1, -1, INT32_MIN, INT32_MAX};
    static const uint32_t u32s[] = {0, 1, 0x80000000u, UINT32_MAX};
    static const int64_t i64s[] = {0, 1, -1, INT64_MIN, INT64_MAX};
    const double f64s[] = {0.0, -0.0, 1.5, -2.25, DBL_MAX, -DBL_MIN, INFINITY, -INFINITY};
    uint8_t id[16], id_out[16];
    kafc__wbuf_t w;
    kafc__rbuf_t r;

    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(0xf0 + i);
    kafc__wbuf_init(&w, 16);
    for (size_t i = 0; i < sizeof(i8s) / sizeof(i8s[0]); i++)
        kafc__wbuf_put_i8(&w, i8s[i]);
    for (size_t i = 0; i < sizeof(i16s) / sizeof(i16s[0]); i++)
        kafc__wbuf_put_i16(&w, i16s[i]);
    for (size_t i = 0; i < sizeof(u16s) / sizeof(u16s[0]); i++)
        kafc__wbuf_put_u16(&w, u16s[i]);
    for (size_t i = 0; i < sizeof(i32s) / sizeof(i32s[0]); i++)
        kafc__wbuf_put_i32(&w, i32s[i]);
    for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
        kafc__wbuf_put_u32(&w, u32s[i]);
    for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++)
        kafc__wbuf_put_i64(&w, i64s[i]);
    for (size_t i = 0; i < sizeof(f64s) / sizeof(f64s[0]); i++)
        kafc__wbuf_put_f64(&w, f64s[i]);
    kafc__wbuf_put_f64(&w, NAN);
    kafc__wbuf_put_bool(&w, 1);
    kafc__wbuf_put_bool(&w, 0);
    kafc__wbuf_put_uuid(&w, id);
    cr_assert_eq(kafc__wbuf_err(&w), 0);

    kafc__rbuf_init(&r, w.data, w.len);
    for (size_t i = 0; i < sizeof(i8s) / sizeof(i8s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_i8(&r), i8s[i]);
    for (size_t i = 0; i < sizeof(i16s) / sizeof(i16s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_i16(&r), i16s[i]);
    for (size_t i = 0; i < sizeof(u16s) / sizeof(u16s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_u16(&r), u16s[i]);
    for (size_t i = 0; i < sizeof(i32s) / sizeof(i32s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_i32(&r), i32s[i]);
    for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_u32(&r), u32s[i]);
    for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++)
        cr_assert_eq(kafc__rbuf_get_i64(&r), i64s[i]);
    for (size_t i = 0; i < sizeof(f64s) / sizeof(f64s[0]); i++) {
        double d = kafc__rbuf_get_f64(&r);
        cr_assert_eq(memcmp(&d, &f64s[i], 8), 0, "f64 #%zu", i); /* bit-exact, incl. -0.0 */
    }
    cr_assert(isnan(kafc__rbuf_get_f64(&r)));
    cr_assert_eq(kafc__rbuf_get_bool(&r), 1);
    cr_assert_eq(kafc__rbuf_get_bool(&r), 0);
    kafc__rbuf_get_uuid(&r, id_out);
    cr_assert_eq(memcmp(id, id_out, 16), 0);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    cr_assert_eq(kafc__rbuf_remaining(&r), 0);
    kafc__wbuf_free(&w);
}

Test(buf, bool_reads_any_nonzero_as_true)
{
    static const uint8_t in[] = {0, 1, 2, 0xff};
    kafc__rbuf_t r;
    kafc__rbuf_init(&r, in, sizeof(in));
    cr_assert_eq(kafc__rbuf_get_bool(&r), 0);
    cr_assert_eq(kafc__rbuf_get_bool(&r), 1);
    cr_assert_eq(kafc__rbuf_get_bool(&r), 1);
    cr_assert_eq(kafc__rbuf_get_bool(&r), 1);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
}

Test(buf, roundtrip_varints)
{
    uint32_t u32s[80];
    size_t nu = 0;
    uint64_t u64s[200];
    size_t nl = 0;
    kafc__wbuf_t w;
    kafc__rbuf_t r;

    /* 0, every 2^k - 1, 2^k, 2^k + 1, and the extremes. */
    u32s[nu++] = 0;
    for (int k = 1; k < 32; k++) {
        u32s[nu++] = (1u << k) - 1;
        u32s[nu++] = 1u << k;
    }
    u32s[nu++] = UINT32_MAX;
    u64s[nl++] = 0;
    for (int k = 1; k < 64; k++) {
        u64s[nl++] = ((uint64_t)1 << k) - 1;
        u64s[nl++] = (uint64_t)1 << k;
        u64s[nl++] = ((uint64_t)1 << k) + 1;
    }
    u64s[nl++] = UINT64_MAX;

    kafc__wbuf_init(&w, 0);
    for (size_t i = 0; i < nu; i++) {
        size_t before = w.len;
        kafc__wbuf_put_uvarint(&w, u32s[i]);
        cr_assert_eq(w.len - before, kafc__uvarint_size(u32s[i]));
        before = w.len;
        kafc__wbuf_put_varint(&w, (int32_t)u32s[i]);
        cr_assert_eq(w.len - before, kafc__varint_size((int32_t)u32s[i]));
        kafc__wbuf_put_varint(&w, -(int32_t)(u32s[i] & 0x7fffffff));
    }
    for (size_t i = 0; i < nl; i++) {
        size_t before = w.len;
        kafc__wbuf_put_uvarlong(&w, u64s[i]);
        cr_assert_eq(w.len - before, kafc__uvarlong_size(u64s[i]));
        before = w.len;
        kafc__wbuf_put_varlong(&w, (int64_t)u64s[i]);
        cr_assert_eq(w.len - before, kafc__varlong_size((int64_t)u64s[i]));
    }
    kafc__wbuf_put_varint(&w, INT32_MIN);
    kafc__wbuf_put_varlong(&w, INT64_MIN);
    kafc__wbuf_put_varlong(&w, -1);
    cr_assert_eq(kafc__wbuf_err(&w), 0);

    kafc__rbuf_init(&r, w.data, w.len);
    for (size_t i = 0; i < nu; i++) {
        cr_assert_eq(kafc__rbuf_get_uvarint(&r), u32s[i]);
        cr_assert_eq(kafc__rbuf_get_varint(&r), (int32_t)u32s[i]);
        cr_assert_eq(kafc__rbuf_get_varint(&r), -(int32_t)(u32s[i] & 0x7fffffff));
    }
    for (size_t i = 0; i < nl; i++) {
        cr_assert_eq(kafc__rbuf_get_uvarlong(&r), u64s[i]);
        cr_assert_eq(kafc__rbuf_get_varlong(&r), (int64_t)u64s[i]);
    }
    cr_assert_eq(kafc__rbuf_get_varint(&r), INT32_MIN);
    cr_assert_eq(kafc__rbuf_get_varlong(&r), INT64_MIN);
    cr_assert_eq(kafc__rbuf_get_varlong(&r), -1);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    cr_assert_eq(kafc__rbuf_remaining(&r), 0);
    kafc__wbuf_free(&w);
}

Test(buf, roundtrip_strings_bytes_arrays)
{
    char big[0x7fff + 1];
    kafc__wbuf_t w;
    kafc__rbuf_t r;
    kafc__slice_t s;

    memset(big, 'x', sizeof(big));
    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_string(&w, "kafka", -1);
    kafc__wbuf_put_string(&w, "", 0);
    kafc__wbuf_put_string(&w, NULL, -1);
    kafc__wbuf_put_string(&w, big, 0x7fff);
    kafc__wbuf_put_compact_string(&w, "kafka", 5);
    kafc__wbuf_put_compact_string(&w, "", -1);
    kafc__wbuf_put_compact_string(&w, NULL, 0);
    kafc__wbuf_put_compact_string(&w, big, 0x7fff);
    kafc__wbuf_put_bytes(&w, "\x00\x01\x02", 3);
    kafc__wbuf_put_bytes(&w, "", 0);
    kafc__wbuf_put_bytes(&w, NULL, 0);
    kafc__wbuf_put_compact_bytes(&w, "\xff", 1);
    kafc__wbuf_put_compact_bytes(&w, "", 0);
    kafc__wbuf_put_compact_bytes(&w, NULL, 0);
    kafc__wbuf_put_array_len(&w, 2);
    kafc__wbuf_put_i32(&w, 7);
    kafc__wbuf_put_i32(&w, 8);
    kafc__wbuf_put_array_len(&w, -1);
    kafc__wbuf_put_compact_array_len(&w, 1);
    kafc__wbuf_put_i64(&w, 9);
    kafc__wbuf_put_compact_array_len(&w, -1);
    kafc__wbuf_put_compact_array_len(&w, 0);
    cr_assert_eq(kafc__wbuf_err(&w), 0);

    kafc__rbuf_init(&r, w.data, w.len);
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(s.len, 5);
    cr_assert_eq(memcmp(s.ptr, "kafka", 5), 0);
    cr_assert_eq(s.ptr, w.data + 2, "zero-copy view into the input");
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(s.len, 0);
    cr_assert_not_null(s.ptr, "empty is not null");
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(s.len, -1);
    cr_assert_null(s.ptr);
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(s.len, 0x7fff);
    cr_assert_eq(memcmp(s.ptr, big, 0x7fff), 0);
    kafc__rbuf_get_compact_string(&r, &s);
    cr_assert_eq(s.len, 5);
    cr_assert_eq(memcmp(s.ptr, "kafka", 5), 0);
    kafc__rbuf_get_compact_string(&r, &s);
    cr_assert_eq(s.len, 0);
    cr_assert_not_null(s.ptr);
    kafc__rbuf_get_compact_string(&r, &s);
    cr_assert_eq(s.len, -1);
    cr_assert_null(s.ptr);
    kafc__rbuf_get_compact_string(&r, &s);
    cr_assert_eq(s.len, 0x7fff);
    kafc__rbuf_get_bytes(&r, &s);
    cr_assert_eq(s.len, 3);
    cr_assert_eq(memcmp(s.ptr, "\x00\x01\x02", 3), 0);
    kafc__rbuf_get_bytes(&r, &s);
    cr_assert_eq(s.len, 0);
    kafc__rbuf_get_bytes(&r, &s);
    cr_assert_eq(s.len, -1);
    cr_assert_null(s.ptr);
    kafc__rbuf_get_compact_bytes(&r, &s);
    cr_assert_eq(s.len, 1);
    cr_assert_eq(s.ptr[0], 0xff);
    kafc__rbuf_get_compact_bytes(&r, &s);
    cr_assert_eq(s.len, 0);
    kafc__rbuf_get_compact_bytes(&r, &s);
    cr_assert_eq(s.len, -1);
    cr_assert_null(s.ptr);
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 4), 2);
    cr_assert_eq(kafc__rbuf_get_i32(&r), 7);
    cr_assert_eq(kafc__rbuf_get_i32(&r), 8);
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 4), -1);
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 8), 1);
    cr_assert_eq(kafc__rbuf_get_i64(&r), 9);
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 8), -1);
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 8), 0);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    cr_assert_eq(kafc__rbuf_remaining(&r), 0);
    kafc__wbuf_free(&w);
}

Test(buf, raw_skip_and_remaining)
{
    static const uint8_t in[] = {1, 2, 3, 4, 5};
    kafc__rbuf_t r;
    kafc__rbuf_init(&r, in, sizeof(in));
    cr_assert_eq(kafc__rbuf_get_raw(&r, 2), in);
    kafc__rbuf_skip(&r, 1);
    cr_assert_eq(kafc__rbuf_remaining(&r), 2);
    cr_assert_eq(kafc__rbuf_get_raw(&r, 0), in + 3);
    cr_assert_null(kafc__rbuf_get_raw(&r, 3));
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BUF_UNDERFLOW);
    cr_assert_eq(kafc__rbuf_remaining(&r), 2, "a failed read consumes nothing");
}

/* ---- malformed and truncated input ------------------------------------ */

/* Writes one value of every kind (no arrays with elements, whose counts are
 * checked against the bytes left and so fail as BAD_MSG when cut). */
static void write_everything(kafc__wbuf_t *w)
{
    static const uint8_t id[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    kafc__wbuf_put_i8(w, -5);
    kafc__wbuf_put_i16(w, 1234);
    kafc__wbuf_put_u16(w, 65000);
    kafc__wbuf_put_i32(w, INT32_MIN);
    kafc__wbuf_put_u32(w, 0xdeadbeef);
    kafc__wbuf_put_i64(w, INT64_MAX);
    kafc__wbuf_put_f64(w, 3.5);
    kafc__wbuf_put_bool(w, 1);
    kafc__wbuf_put_uuid(w, id);
    kafc__wbuf_put_uvarint(w, UINT32_MAX);
    kafc__wbuf_put_uvarlong(w, UINT64_MAX);
    kafc__wbuf_put_varint(w, -300);
    kafc__wbuf_put_varlong(w, INT64_MIN);
    kafc__wbuf_put_string(w, "topic", -1);
    kafc__wbuf_put_string(w, NULL, -1);
    kafc__wbuf_put_compact_string(w, "group", -1);
    kafc__wbuf_put_bytes(w, "value", 5);
    kafc__wbuf_put_compact_bytes(w, "key", 3);
    kafc__wbuf_put_array_len(w, -1);
    kafc__wbuf_put_compact_array_len(w, 0);
    kafc__wbuf_put_raw(w, "tail", 4);
}

/* Reads back what write_everything wrote; returns r's error. */
static kafc_err_t read_everything(kafc__rbuf_t *r, int check_values)
{
    uint8_t id[16];
    kafc__slice_t s;
    int8_t i8 = kafc__rbuf_get_i8(r);
    int16_t i16 = kafc__rbuf_get_i16(r);
    uint16_t u16 = kafc__rbuf_get_u16(r);
    int32_t i32 = kafc__rbuf_get_i32(r);
    uint32_t u32 = kafc__rbuf_get_u32(r);
    int64_t i64 = kafc__rbuf_get_i64(r);
    double f64 = kafc__rbuf_get_f64(r);
    int b = kafc__rbuf_get_bool(r);
    kafc__rbuf_get_uuid(r, id);
    uint32_t uv = kafc__rbuf_get_uvarint(r);
    uint64_t ul = kafc__rbuf_get_uvarlong(r);
    int32_t v = kafc__rbuf_get_varint(r);
    int64_t l = kafc__rbuf_get_varlong(r);
    if (check_values) {
        cr_assert_eq(i8, -5);
        cr_assert_eq(i16, 1234);
        cr_assert_eq(u16, 65000);
        cr_assert_eq(i32, INT32_MIN);
        cr_assert_eq(u32, 0xdeadbeef);
        cr_assert_eq(i64, INT64_MAX);
        cr_assert_eq(f64, 3.5);
        cr_assert_eq(b, 1);
        cr_assert_eq(id[15], 9);
        cr_assert_eq(uv, UINT32_MAX);
        cr_assert_eq(ul, UINT64_MAX);
        cr_assert_eq(v, -300);
        cr_assert_eq(l, INT64_MIN);
    }
    kafc__rbuf_get_string(r, &s);
    if (check_values)
        cr_assert(s.len == 5 && memcmp(s.ptr, "topic", 5) == 0);
    kafc__rbuf_get_string(r, &s);
    if (check_values)
        cr_assert_eq(s.len, -1);
    kafc__rbuf_get_compact_string(r, &s);
    if (check_values)
        cr_assert(s.len == 5 && memcmp(s.ptr, "group", 5) == 0);
    kafc__rbuf_get_bytes(r, &s);
    if (check_values)
        cr_assert(s.len == 5 && memcmp(s.ptr, "value", 5) == 0);
    kafc__rbuf_get_compact_bytes(r, &s);
    if (check_values)
        cr_assert(s.len == 3 && memcmp(s.ptr, "key", 3) == 0);
    int32_t a1 = kafc__rbuf_get_array_len(r, 1);
    int32_t a2 = kafc__rbuf_get_compact_array_len(r, 1);
    const uint8_t *tail = kafc__rbuf_get_raw(r, 4);
    if (check_values) {
        cr_assert_eq(a1, -1);
        cr_assert_eq(a2, 0);
        cr_assert(tail != NULL && memcmp(tail, "tail", 4) == 0);
    }
    return kafc__rbuf_err(r);
}

Test(buf, truncated_input_at_every_prefix)
{
    kafc__wbuf_t w;
    kafc__rbuf_t r;

    kafc__wbuf_init(&w, 0);
    write_everything(&w);
    cr_assert_eq(kafc__wbuf_err(&w), 0);

    kafc__rbuf_init(&r, w.data, w.len);
    cr_assert_eq(read_everything(&r, 1), 0);
    cr_assert_eq(kafc__rbuf_remaining(&r), 0);

    for (size_t n = 0; n < w.len; n++) {
        /* An exact-size heap copy, so a read past the end is caught by the
         * address sanitizer build. */
        uint8_t *copy = malloc(n > 0 ? n : 1);
        cr_assert_not_null(copy);
        memcpy(copy, w.data, n);
        kafc__rbuf_init(&r, copy, n);
        cr_assert_eq(read_everything(&r, 0), KAFC_ERR__BUF_UNDERFLOW, "prefix %zu of %zu", n,
                     w.len);
        cr_assert_leq(r.pos, n);
        /* Sticky: later reads give 0 and keep the first error. */
        cr_assert_eq(kafc__rbuf_get_i8(&r), 0);
        cr_assert_eq(kafc__rbuf_get_uvarint(&r), 0);
        cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BUF_UNDERFLOW);
        free(copy);
    }
    kafc__wbuf_free(&w);
}

Test(buf, varint_too_long_is_bad_msg)
{
    static const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t five_cont[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t ten_max[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t cut[] = {0x80, 0x80};
    kafc__rbuf_t r;

    kafc__rbuf_init(&r, six, sizeof(six));
    cr_assert_eq(kafc__rbuf_get_uvarint(&r), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    kafc__rbuf_init(&r, six, sizeof(six));
    cr_assert_eq(kafc__rbuf_get_varint(&r), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    kafc__rbuf_init(&r, five_cont, sizeof(five_cont));
    kafc__rbuf_get_uvarint(&r);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    /* Six continuation bytes are a fine varlong; eleven are not. */
    kafc__rbuf_init(&r, six, sizeof(six));
    cr_assert_eq(kafc__rbuf_get_uvarlong(&r), (uint64_t)1 << 35);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    kafc__rbuf_init(&r, eleven, sizeof(eleven));
    cr_assert_eq(kafc__rbuf_get_varlong(&r), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    kafc__rbuf_init(&r, ten_max, sizeof(ten_max));
    cr_assert_eq(kafc__rbuf_get_uvarlong(&r), (uint64_t)1 << 63);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    /* Running out inside a varint is truncation, not malformation. */
    kafc__rbuf_init(&r, cut, sizeof(cut));
    kafc__rbuf_get_uvarint(&r);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BUF_UNDERFLOW);
    kafc__rbuf_init(&r, cut, sizeof(cut));
    kafc__rbuf_get_varlong(&r);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BUF_UNDERFLOW);
}

Test(buf, varint_fifth_byte_high_bits_dropped_like_java)
{
    /* Java's ByteUtils.readUnsignedVarint accepts a 5th byte above 0x0f and
     * drops the bits past 32; so does kafc, for the same wire behaviour. */
    static const uint8_t in[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    kafc__rbuf_t r;
    kafc__rbuf_init(&r, in, sizeof(in));
    cr_assert_eq(kafc__rbuf_get_uvarint(&r), UINT32_MAX);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
}

Test(buf, bad_lengths)
{
    static const uint8_t str_neg2[] = {0xff, 0xfe, 'a'};
    static const uint8_t bytes_neg5[] = {0xff, 0xff, 0xff, 0xfb, 'a'};
    static const uint8_t str_past_end[] = {0x00, 0x05, 'a', 'b'};
    static const uint8_t cstr_too_long[] = {0x81, 0x80, 0x02}; /* 32768 + 1 */
    static const uint8_t cbytes_huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    kafc__rbuf_t r;
    kafc__slice_t s;

    kafc__rbuf_init(&r, str_neg2, sizeof(str_neg2));
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    cr_assert(s.ptr == NULL && s.len == -1);

    kafc__rbuf_init(&r, bytes_neg5, sizeof(bytes_neg5));
    kafc__rbuf_get_bytes(&r, &s);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    kafc__rbuf_init(&r, str_past_end, sizeof(str_past_end));
    kafc__rbuf_get_string(&r, &s);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BUF_UNDERFLOW);
    cr_assert(s.ptr == NULL && s.len == -1);

    kafc__rbuf_init(&r, cstr_too_long, sizeof(cstr_too_long));
    kafc__rbuf_get_compact_string(&r, &s);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    kafc__rbuf_init(&r, cbytes_huge, sizeof(cbytes_huge));
    kafc__rbuf_get_compact_bytes(&r, &s);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG, "length 2^32-2 overflows int32");
}

Test(buf, hostile_array_counts)
{
    static const uint8_t max_count[] = {0x7f, 0xff, 0xff, 0xff, 1, 2, 3};
    static const uint8_t neg2[] = {0xff, 0xff, 0xff, 0xfe};
    static const uint8_t compact_huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    static const uint8_t compact_big[] = {0x80, 0x80, 0x80, 0x80, 0x04}; /* 2^30 + 1 */
    static const uint8_t three[] = {0, 0, 0, 3, 'a', 'b', 'c'};
    static const uint8_t compact_three[] = {4, 'a', 'b', 'c'};
    kafc__rbuf_t r;

    kafc__rbuf_init(&r, max_count, sizeof(max_count));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 1), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    kafc__rbuf_init(&r, neg2, sizeof(neg2));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 1), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    kafc__rbuf_init(&r, compact_huge, sizeof(compact_huge));
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 0), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    kafc__rbuf_init(&r, compact_big, sizeof(compact_big));
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 0), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);

    /* Exactly enough bytes passes; one byte per element too many fails. */
    kafc__rbuf_init(&r, three, sizeof(three));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 1), 3);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    kafc__rbuf_init(&r, three, sizeof(three));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 0), 3, "min_elem_size 0 counts as 1");
    kafc__rbuf_init(&r, three, sizeof(three));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, 2), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    kafc__rbuf_init(&r, three, sizeof(three));
    cr_assert_eq(kafc__rbuf_get_array_len(&r, SIZE_MAX), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    kafc__rbuf_init(&r, compact_three, sizeof(compact_three));
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 1), 3);
    cr_assert_eq(kafc__rbuf_err(&r), 0);
    kafc__rbuf_init(&r, compact_three, sizeof(compact_three));
    cr_assert_eq(kafc__rbuf_get_compact_array_len(&r, 4), 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
}

Test(buf, sticky_read_error_keeps_first)
{
    static const uint8_t in[] = {0xff, 0xfe, 0, 0, 0, 0, 0, 0};
    kafc__rbuf_t r;
    kafc__slice_t s;
    uint8_t id[16];

    kafc__rbuf_init(&r, in, sizeof(in));
    kafc__rbuf_get_string(&r, &s); /* -2: BAD_MSG */
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
    cr_assert_eq(kafc__rbuf_get_i32(&r), 0);
    cr_assert_eq(kafc__rbuf_get_i64(&r), 0);
    kafc__rbuf_get_uuid(&r, id);
    cr_assert_eq(id[0], 0);
    cr_assert_eq(kafc__rbuf_err(&r), KAFC_ERR__BAD_MSG);
}

/* ---- writer errors and memory ----------------------------------------- */

Test(buf, fixed_writer_overflow_is_sticky)
{
    uint8_t mem[8];
    kafc__wbuf_t w;
    size_t len = 99;

    memset(mem, 0xaa, sizeof(mem));
    kafc__wbuf_init_fixed(&w, mem, 5);
    kafc__wbuf_put_i32(&w, 0x01020304);
    cr_assert_eq(kafc__wbuf_err(&w), 0);
    kafc__wbuf_put_i16(&w, 7); /* needs 2, 1 left */
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__BUF_OVERFLOW);
    cr_assert_eq(w.len, 4, "nothing of the failed put is written");
    kafc__wbuf_put_i8(&w, 1); /* would fit, but the error is sticky */
    kafc__wbuf_put_string(&w, "x", 1);
    kafc__wbuf_put_uvarint(&w, 1);
    cr_assert_eq(w.len, 4);
    cr_assert_eq(mem[4], 0xaa);
    cr_assert_eq(mem[5], 0xaa, "never writes past cap");
    cr_assert_eq(kafc__wbuf_reserve(&w, 1), SIZE_MAX);
    cr_assert_null(kafc__wbuf_detach(&w, &len));
    cr_assert_eq(len, 0);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__BUF_OVERFLOW);

    kafc__wbuf_reset(&w);
    cr_assert_eq(kafc__wbuf_err(&w), 0);
    kafc__wbuf_put_raw(&w, "abcde", 5);
    EXPECT(&w, 'a', 'b', 'c', 'd', 'e');
    kafc__wbuf_free(&w); /* fixed: frees nothing */
    cr_assert_eq(mem[0], 'a');
}

Test(buf, growable_writer_grows_and_detaches)
{
    kafc__wbuf_t w;
    uint8_t *p;
    size_t len;

    kafc__wbuf_init(&w, 3);
    cr_assert_eq(w.cap, 3);
    for (uint32_t i = 0; i < 100000; i++)
        kafc__wbuf_put_u32(&w, i);
    cr_assert_eq(kafc__wbuf_err(&w), 0);
    cr_assert_eq(w.len, 400000);
    cr_assert_geq(w.cap, w.len);
    cr_assert_lt(w.cap, 2 * w.len, "capacity doubles, no more");

    p = kafc__wbuf_detach(&w, &len);
    cr_assert_not_null(p);
    cr_assert_eq(len, 400000);
    cr_assert_null(w.data);
    cr_assert_eq(w.len, 0);
    for (uint32_t i = 0; i < 100000; i += 997) {
        kafc__rbuf_t r;
        kafc__rbuf_init(&r, p + 4 * (size_t)i, 4);
        cr_assert_eq(kafc__rbuf_get_u32(&r), i);
    }
    free(p);

    /* Nothing written: detach still returns a buffer to free. */
    p = kafc__wbuf_detach(&w, &len);
    cr_assert_not_null(p);
    cr_assert_eq(len, 0);
    free(p);
    kafc__wbuf_free(&w);
    kafc__wbuf_free(&w); /* twice is fine */
}

Test(buf, reserve_and_patch)
{
    kafc__wbuf_t w;
    size_t off;

    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_i8(&w, 0x11);
    off = kafc__wbuf_reserve(&w, 4);
    cr_assert_eq(off, 1);
    kafc__wbuf_put_string(&w, "abc", -1);
    kafc__wbuf_patch_i32(&w, off, (int32_t)(w.len - off - 4));
    kafc__wbuf_patch_u32(&w, w.len - 4, 0xcafebabe); /* last 4 bytes */
    EXPECT(&w, 0x11, 0, 0, 0, 5, 0, 0xca, 0xfe, 0xba, 0xbe);

    kafc__wbuf_patch_u32(&w, w.len - 3, 0); /* would run past the end */
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__INVALID_ARG);
    kafc__wbuf_reset(&w);
    cr_assert_eq(kafc__wbuf_reserve(&w, 0), 0);
    off = kafc__wbuf_reserve(&w, 8);
    cr_assert_eq(off, 0);
    EXPECT(&w, 0, 0, 0, 0, 0, 0, 0, 0);
    kafc__wbuf_free(&w);
}

Test(buf, invalid_puts)
{
    static char big[0x8000];
    kafc__wbuf_t w;

    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_string(&w, big, 0x8000);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(w.len, 0);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_compact_string(&w, big, 0x8000);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__INVALID_ARG);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_bytes(&w, "x", -2);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__INVALID_ARG);

    kafc__wbuf_reset(&w);
    kafc__wbuf_put_compact_bytes(&w, "x", -1);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__INVALID_ARG);
    kafc__wbuf_free(&w);
}

Test(buf, allocation_failure_is_sticky_no_memory)
{
    kafc__wbuf_t w;
    size_t len = 1;

    kafc__wbuf_init(&w, (size_t)1 << 62);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__NO_MEMORY);
    kafc__wbuf_free(&w);

    kafc__wbuf_init(&w, 0);
    kafc__wbuf_put_i32(&w, 1);
    cr_assert_eq(kafc__wbuf_reserve(&w, (size_t)1 << 62), SIZE_MAX);
    cr_assert_eq(kafc__wbuf_err(&w), KAFC_ERR__NO_MEMORY);
    cr_assert_eq(w.len, 4, "the bytes already written stay");
    kafc__wbuf_put_i8(&w, 1);
    cr_assert_eq(w.len, 4);
    cr_assert_null(kafc__wbuf_detach(&w, &len));
    cr_assert_eq(len, 0);
    kafc__wbuf_free(&w);
}
