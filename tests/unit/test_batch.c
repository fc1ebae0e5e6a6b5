/* Unit tests for record/batch: the v2 batch builder, read back through
 * record/reader. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/batch.h"
#include "record/codec.h"
#include "record/reader.h"
#include "util/crc32c.h"

#define MAX_OUT (64u << 20)

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static int slice_eq(kafc__slice_t s, const void *p, int32_t len)
{
    if (len < 0)
        return s.len == -1 && s.ptr == NULL;
    return s.len == len && (len == 0 || memcmp(s.ptr, p, (size_t)len) == 0);
}

/* Reads the single batch at buf (len bytes) with CRC checks: fills *v,
 * starts *ri on it and asserts there is exactly one batch. */
static void open_one(const uint8_t *buf, size_t len, kafc__batch_view_t *v, kafc__record_iter_t *ri)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t extra;

    kafc__batch_iter_init(&it, buf, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, v), 1, "err %d", kafc__batch_iter_err(&it));
    cr_assert_eq(kafc__batch_iter_next(&it, &extra), 0);
    cr_assert_eq(kafc__batch_iter_err(&it), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_iter_partial(&it), 0);
    cr_assert_eq(kafc__record_iter_init(ri, v, NULL, MAX_OUT, 1), KAFC_ERR_NONE);
}

/* ---- golden bytes --------------------------------------------------------- */

/* One record: timestamp 1000, key "k", value "v", header "h"="x", no
 * producer id. Checked by hand against the v2 format; the CRC (and every
 * byte but partitionLeaderEpoch, which kafka-python writes as 0 and Java's
 * producer as -1) is what kafka-python 2.0.2's DefaultRecordBatchBuilder
 * writes for the same record. */
static const uint8_t golden[74] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* baseOffset 0 */
    0x00, 0x00, 0x00, 0x3e,                         /* batchLength 62 */
    0xff, 0xff, 0xff, 0xff,                         /* partitionLeaderEpoch -1 */
    0x02,                                           /* magic 2 */
    0x85, 0xd4, 0x93, 0x6f,                         /* crc32c(attributes..end) */
    0x00, 0x00,                                     /* attributes */
    0x00, 0x00, 0x00, 0x00,                         /* lastOffsetDelta 0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* baseTimestamp 1000 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* maxTimestamp 1000 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producerId -1 */
    0xff, 0xff,                                     /* producerEpoch -1 */
    0xff, 0xff, 0xff, 0xff,                         /* baseSequence -1 */
    0x00, 0x00, 0x00, 0x01,                         /* records count 1 */
    0x18,                                           /* record length 12 */
    0x00,                                           /* record attributes */
    0x00,                                           /* timestampDelta 0 */
    0x00,                                           /* offsetDelta 0 */
    0x02, 'k',                                      /* key length 1, key */
    0x02, 'v',                                      /* value length 1, value */
    0x02,                                           /* header count 1 */
    0x02, 'h',                                      /* header key */
    0x02, 'x',                                      /* header value */
};

Test(batch, golden_bytes)
{
    uint8_t buf[256];
    kafc__batch_builder_t b;
    kafc__record_header_t h = {"h", 1, "x", 1};

    memset(buf, 0xaa, sizeof(buf));
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_size(&b), KAFC__BATCH_HEADER_SIZE);
    cr_assert_eq(kafc__batch_append(&b, 1000, "k", 1, "v", 1, &h, 1), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_size(&b), sizeof(golden));
    cr_assert_eq(kafc__batch_close(&b), sizeof(golden));
    cr_assert_arr_eq(buf, golden, sizeof(golden));
    cr_assert_eq(buf[sizeof(golden)], 0xaa, "wrote past the batch");
    /* The CRC field is CRC-32C over attributes..end. */
    cr_assert_eq(rd32(buf + 17), kafc__crc32c(0, buf + 21, sizeof(golden) - 21));
}

Test(batch, record_size_is_exact)
{
    uint8_t buf[4096];
    kafc__batch_builder_t b;
    kafc__record_header_t hs[2] = {{"a", 1, NULL, -1}, {"hdr", 3, "vvvvv", 5}};
    const int32_t lens[] = {-1, 0, 1, 63, 64, 200, 1000};
    kafc__batch_opts_t o;

    kafc__batch_opts_default(&o);
    o.base_timestamp = 0;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        static uint8_t data[1000];
        int64_t ts = (int64_t)i * 1000003 - 5000000;
        size_t before, want;
        cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR_NONE);
        kafc__batch_append(&b, 0, NULL, -1, NULL, -1, NULL, 0);
        before = kafc__batch_size(&b);
        want = kafc__batch_record_size(ts, 1, lens[i], lens[(i + 3) % 7], hs, i % 3);
        cr_assert_eq(kafc__batch_append(&b, ts, lens[i] < 0 ? NULL : data, lens[i],
                                        lens[(i + 3) % 7] < 0 ? NULL : data, lens[(i + 3) % 7], hs,
                                        i % 3),
                     KAFC_ERR_NONE);
        cr_assert_eq(kafc__batch_size(&b) - before, want, "case %zu", i);
        cr_assert_leq(want, kafc__batch_record_size_max(lens[i], lens[(i + 3) % 7], hs, i % 3));
    }
}

/* ---- round trips ------------------------------------------------------------ */

Test(batch, null_and_empty_fields_and_headers)
{
    uint8_t buf[1024];
    kafc__batch_builder_t b;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    kafc__header_iter_t hi;
    kafc__slice_t hk, hv;
    kafc__record_header_t hs[3] = {{"null", 4, NULL, -1}, {"", 0, "", 0}, {"k", 1, "val", 3}};
    size_t len;

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 10, NULL, -1, NULL, -1, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 11, "", 0, "", 0, NULL, 0), KAFC_ERR_NONE);
    /* NULL data with length 0 is an empty field, not a null one. */
    cr_assert_eq(kafc__batch_append(&b, 12, NULL, 0, "x", 1, hs, 3), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);

    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.record_count, 3);
    cr_assert_eq(v.last_offset_delta, 2);
    cr_assert_eq(v.base_timestamp, 10);
    cr_assert_eq(v.max_timestamp, 12);

    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.offset, 0);
    cr_assert_eq(r.timestamp, 10);
    cr_assert(slice_eq(r.key, NULL, -1));
    cr_assert(slice_eq(r.value, NULL, -1));
    cr_assert_eq(r.header_count, 0);

    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.offset, 1);
    cr_assert(slice_eq(r.key, "", 0) && r.key.ptr != NULL);
    cr_assert(slice_eq(r.value, "", 0) && r.value.ptr != NULL);

    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.offset, 2);
    cr_assert_eq(r.timestamp, 12);
    cr_assert(slice_eq(r.key, "", 0));
    cr_assert(slice_eq(r.value, "x", 1));
    cr_assert_eq(r.header_count, 3);
    kafc__header_iter_init(&hi, &r);
    cr_assert_eq(kafc__header_iter_next(&hi, &hk, &hv), 1);
    cr_assert(slice_eq(hk, "null", 4));
    cr_assert(slice_eq(hv, NULL, -1));
    cr_assert_eq(kafc__header_iter_next(&hi, &hk, &hv), 1);
    cr_assert(slice_eq(hk, "", 0));
    cr_assert(slice_eq(hv, "", 0));
    cr_assert_eq(kafc__header_iter_next(&hi, &hk, &hv), 1);
    cr_assert(slice_eq(hk, "k", 1));
    cr_assert(slice_eq(hv, "val", 3));
    /* Zero copy: the views point into the batch bytes. */
    cr_assert(hv.ptr > buf && hv.ptr < buf + len);
    cr_assert_eq(kafc__header_iter_next(&hi, &hk, &hv), 0);

    cr_assert_eq(kafc__record_iter_next(&ri, &r), 0);
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
    kafc__record_iter_clear(&ri);
}

/* Deterministic pseudo-random numbers (xorshift). */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct spec {
    int64_t ts;
    int32_t klen, vlen;
    size_t nh;
} spec_t;

/* Fills data deterministically from the record index. */
static void fill(uint8_t *p, size_t n, size_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7);
}

static kafc__record_header_t hdrs[4] = {
    {"h0", 2, "zero", 4}, {"h1", 2, NULL, -1}, {"", 0, "e", 1}, {"h3", 2, "", 0}};

/* Builds n random records into buf (cap bytes) and returns the specs. */
static size_t build_random(uint8_t *buf, size_t cap, spec_t *specs, size_t n, int64_t base_ts,
                           kafc__batch_builder_t *b)
{
    static uint8_t data[70000];
    cr_assert_eq(kafc__batch_init(b, buf, cap, NULL), KAFC_ERR_NONE);
    for (size_t i = 0; i < n; i++) {
        spec_t *s = &specs[i];
        uint64_t r = rnd();
        /* Deltas both ways, some huge. */
        s->ts = i == 0 ? base_ts : base_ts + (int64_t)(r % 2000000) - 1000000;
        if (i % 97 == 5)
            s->ts = base_ts + (INT64_C(1) << 40);
        if (i % 101 == 7)
            s->ts = base_ts - (INT64_C(1) << 40);
        s->klen = (int32_t)((r >> 20) % 40) - 1;
        s->vlen = i % 50 == 3 ? 66000 : (int32_t)((r >> 30) % 400) - 1;
        s->nh = (size_t)(r >> 50) % 5;
        fill(data, 70000, i);
        cr_assert_eq(kafc__batch_append(b, s->ts, s->klen < 0 ? NULL : data, s->klen,
                                        s->vlen < 0 ? NULL : data + 1, s->vlen, hdrs, s->nh),
                     KAFC_ERR_NONE, "record %zu", i);
    }
    return kafc__batch_close(b);
}

static void check_random(const uint8_t *buf, size_t len, const spec_t *specs, size_t n)
{
    static uint8_t data[70000];
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    int64_t max_ts = INT64_MIN;

    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.record_count, (int32_t)n);
    cr_assert_eq(v.last_offset_delta, (int32_t)n - 1);
    cr_assert_eq(v.base_timestamp, specs[0].ts);
    for (size_t i = 0; i < n; i++) {
        kafc__header_iter_t hi;
        kafc__slice_t hk, hv;
        size_t nh = 0;
        if (specs[i].ts > max_ts)
            max_ts = specs[i].ts;
        cr_assert_eq(kafc__record_iter_next(&ri, &r), 1, "record %zu err %d", i,
                     kafc__record_iter_err(&ri));
        fill(data, 70000, i);
        cr_assert_eq(r.offset, (int64_t)i);
        cr_assert_eq(r.timestamp, specs[i].ts);
        cr_assert(slice_eq(r.key, data, specs[i].klen), "record %zu key", i);
        cr_assert(slice_eq(r.value, data + 1, specs[i].vlen), "record %zu value", i);
        kafc__header_iter_init(&hi, &r);
        while (kafc__header_iter_next(&hi, &hk, &hv)) {
            cr_assert(slice_eq(hk, hdrs[nh].key, hdrs[nh].key_len));
            cr_assert(slice_eq(hv, hdrs[nh].value, hdrs[nh].value_len));
            nh++;
        }
        cr_assert_eq(nh, specs[i].nh);
    }
    cr_assert_eq(v.max_timestamp, max_ts);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 0);
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
    kafc__record_iter_clear(&ri);
}

Test(batch, many_records_with_deltas_both_ways)
{
    size_t cap = 8u << 20, n = 5000, len;
    uint8_t *buf = malloc(cap);
    spec_t *specs = calloc(n, sizeof(*specs));
    kafc__batch_builder_t b;

    cr_assert(buf != NULL && specs != NULL);
    len = build_random(buf, cap, specs, n, INT64_C(1700000000000), &b);
    cr_assert_eq(len, kafc__batch_size(&b));
    check_random(buf, len, specs, n);
    free(buf);
    free(specs);
}

Test(batch, fixed_base_timestamp_gives_negative_first_delta)
{
    uint8_t buf[512];
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    size_t len;

    kafc__batch_opts_default(&o);
    o.base_timestamp = 5000;
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 4000, "a", 1, "b", 1, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, INT64_MAX, "a", 1, "b", 1, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, INT64_MIN + 1, "a", 1, "b", 1, NULL, 0), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.base_timestamp, 5000);
    cr_assert_eq(v.max_timestamp, INT64_MAX);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.timestamp, 4000);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.timestamp, INT64_MAX);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(r.timestamp, INT64_MIN + 1);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 0);
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
}

Test(batch, empty_batch)
{
    uint8_t buf[KAFC__BATCH_HEADER_SIZE];
    kafc__batch_builder_t b;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_close(&b), KAFC__BATCH_HEADER_SIZE);
    open_one(buf, sizeof(buf), &v, &ri);
    cr_assert_eq(v.record_count, 0);
    cr_assert_eq(v.last_offset_delta, -1);
    cr_assert_eq(v.max_timestamp, -1);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 0);
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
}

/* ---- buffer full -------------------------------------------------------------- */

Test(batch, full_buffer_takes_exactly_what_fits)
{
    uint8_t value[100], key[10];
    size_t rec = kafc__batch_record_size(0, 0, 10, 100, NULL, 0);
    size_t cap = KAFC__BATCH_HEADER_SIZE + 7 * rec + rec - 1; /* room for 7 and a bit */
    uint8_t *buf = malloc(cap);
    kafc__batch_builder_t b;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    size_t before, len, n = 0;

    memset(value, 'v', sizeof(value));
    memset(key, 'k', sizeof(key));
    cr_assert_eq(kafc__batch_init(&b, buf, cap, NULL), KAFC_ERR_NONE);
    for (;;) {
        kafc_err_t err;
        before = kafc__batch_size(&b);
        err = kafc__batch_append(&b, 1000, key, 10, value, 100, NULL, 0);
        if (err != KAFC_ERR_NONE) {
            cr_assert_eq(err, KAFC_ERR__BUF_OVERFLOW);
            break;
        }
        n++;
    }
    cr_assert_eq(n, 7);
    cr_assert_eq(kafc__batch_count(&b), 7);
    cr_assert_eq(kafc__batch_size(&b), before, "a refused append changed the batch");
    cr_assert_eq(kafc__batch_room(&b), rec - 1);
    /* A smaller record still fits in the room left. */
    cr_assert_eq(kafc__batch_append(&b, 1000, key, 10, value, 90, NULL, 0), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    cr_assert_leq(len, cap);
    open_one(buf, len, &v, &ri);
    while (kafc__record_iter_next(&ri, &r))
        n++;
    cr_assert_eq(kafc__record_iter_err(&ri), KAFC_ERR_NONE);
    cr_assert_eq(n, 7 + 8);
    free(buf);
}

Test(batch, first_record_fits_a_buffer_sized_for_it)
{
    static uint8_t big[5000];
    kafc__record_header_t h = {"trace", 5, big, 300};
    size_t exact = kafc__batch_record_size(0, 0, 20, 4000, &h, 1);
    size_t max = kafc__batch_record_size_max(20, 4000, &h, 1);
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    uint8_t *buf = malloc(KAFC__BATCH_HEADER_SIZE + max);

    cr_assert_gt(max, exact);
    cr_assert_eq(kafc__batch_init(&b, buf, KAFC__BATCH_HEADER_SIZE + exact, NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 123456789, big, 20, big, 4000, &h, 1), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_room(&b), 0);
    cr_assert_eq(kafc__batch_append(&b, 123456789, NULL, -1, NULL, -1, NULL, 0),
                 KAFC_ERR__BUF_OVERFLOW);

    cr_assert_eq(kafc__batch_init(&b, buf, KAFC__BATCH_HEADER_SIZE + exact - 1, NULL),
                 KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 123456789, big, 20, big, 4000, &h, 1),
                 KAFC_ERR__BUF_OVERFLOW);
    cr_assert_eq(kafc__batch_count(&b), 0);

    /* With a fixed base far away the delta is 10 bytes: max still fits. */
    kafc__batch_opts_default(&o);
    o.base_timestamp = 0;
    cr_assert_eq(kafc__batch_init(&b, buf, KAFC__BATCH_HEADER_SIZE + max, &o), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, INT64_MIN, big, 20, big, 4000, &h, 1), KAFC_ERR_NONE);
    free(buf);
}

Test(batch, bad_arguments)
{
    uint8_t buf[256];
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    kafc__record_header_t bad_key = {"k", -1, "v", 1};
    kafc__record_header_t bad_val = {"k", 1, NULL, 3};
    kafc__record_header_t bad_len = {"k", 1, "v", -2};

    cr_assert_eq(kafc__batch_init(&b, buf, KAFC__BATCH_HEADER_SIZE - 1, NULL),
                 KAFC_ERR__BUF_OVERFLOW);
    cr_assert_eq(kafc__batch_init(&b, NULL, 100, NULL), KAFC_ERR__INVALID_ARG);
    kafc__batch_opts_default(&o);
    o.flags = KAFC__BATCH_ATTR_LOG_APPEND_TIME;
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", -2, "v", 1, NULL, 0), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, NULL, 1, "v", 1, NULL, 0), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, NULL, 5, NULL, 0), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, "v", 1, NULL, 2), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, "v", 1, &bad_key, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, "v", 1, &bad_val, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, "v", 1, &bad_len, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_append(&b, 0, "k", 1, "v", INT32_MAX, NULL, 0),
                 KAFC_ERR__BUF_OVERFLOW);
    cr_assert_eq(kafc__batch_count(&b), 0);
    cr_assert_eq(kafc__batch_size(&b), KAFC__BATCH_HEADER_SIZE);
    cr_assert_eq(kafc__batch_record_size(0, 0, -2, 0, NULL, 0), SIZE_MAX);
    cr_assert_eq(kafc__batch_record_size(0, 0, INT32_MAX, INT32_MAX, NULL, 0), SIZE_MAX);
}

/* ---- producer fields, flags, CRC ------------------------------------------------ */

Test(batch, producer_fields_at_init_and_set_after_close)
{
    uint8_t buf[512];
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    size_t len;

    kafc__batch_opts_default(&o);
    o.producer_id = 4242;
    o.producer_epoch = 7;
    o.base_sequence = 100;
    o.flags = KAFC__BATCH_ATTR_TRANSACTIONAL;
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR_NONE);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(kafc__batch_append(&b, 1000 + i, "key", 3, "value", 5, NULL, 0),
                     KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.producer_id, 4242);
    cr_assert_eq(v.producer_epoch, 7);
    cr_assert_eq(v.base_sequence, 100);
    cr_assert(kafc__batch_view_is_transactional(&v));
    cr_assert(!kafc__batch_view_is_control(&v));
    cr_assert_eq(v.partition_leader_epoch, -1);

    /* The sender assigns the sequence at drain time. */
    cr_assert_eq(kafc__batch_set_producer(buf, len, INT64_C(0x123456789a), 32000, INT32_MAX - 4),
                 KAFC_ERR_NONE);
    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.producer_id, INT64_C(0x123456789a));
    cr_assert_eq(v.producer_epoch, 32000);
    cr_assert_eq(v.base_sequence, INT32_MAX - 4);
    cr_assert_eq(v.record_count, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
        cr_assert_eq(r.timestamp, 1000 + i);
    }

    /* Not a whole batch: refused, nothing written. */
    cr_assert_eq(kafc__batch_set_producer(buf, len - 1, 1, 1, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__batch_set_producer(buf, 60, 1, 1, 1), KAFC_ERR__INVALID_ARG);
    buf[16] = 1;
    cr_assert_eq(kafc__batch_set_producer(buf, len, 1, 1, 1), KAFC_ERR__INVALID_ARG);
    buf[16] = 2;

    /* Before close, on the builder. */
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 1, "k", 1, "v", 1, NULL, 0), KAFC_ERR_NONE);
    kafc__batch_builder_set_producer(&b, 9, 8, 7);
    len = kafc__batch_close(&b);
    open_one(buf, len, &v, &ri);
    cr_assert_eq(v.producer_id, 9);
    cr_assert_eq(v.producer_epoch, 8);
    cr_assert_eq(v.base_sequence, 7);
}

Test(batch, every_flipped_byte_after_crc_is_caught)
{
    uint8_t buf[256];
    kafc__batch_builder_t b;
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    size_t len;

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 77, "key", 3, "value", 5, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 78, "key", 3, "value", 5, NULL, 0), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    for (size_t i = KAFC__BATCH_OFF_CRC; i < len; i++) {
        buf[i] ^= 0x10;
        kafc__batch_iter_init(&it, buf, len, 1);
        cr_assert_eq(kafc__batch_iter_next(&it, &v), 0, "byte %zu", i);
        cr_assert_eq(kafc__batch_iter_err(&it), KAFC_ERR__CRC_MISMATCH, "byte %zu", i);
        /* Without the check the header still parses. */
        kafc__batch_iter_init(&it, buf, len, 0);
        cr_assert_eq(kafc__batch_iter_next(&it, &v), 1, "byte %zu", i);
        buf[i] ^= 0x10;
    }
    /* partitionLeaderEpoch is outside the CRC (the broker sets it). */
    buf[13] ^= 0xff;
    kafc__batch_iter_init(&it, buf, len, 1);
    cr_assert_eq(kafc__batch_iter_next(&it, &v), 1);
}

Test(batch, control_batch)
{
    uint8_t buf[256];
    kafc__batch_builder_t b;
    kafc__batch_opts_t o;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__record_t r;
    kafc__control_record_t c;
    size_t len;

    kafc__batch_opts_default(&o);
    o.producer_id = 11;
    o.producer_epoch = 2;
    o.flags = KAFC__BATCH_ATTR_TRANSACTIONAL | KAFC__BATCH_ATTR_CONTROL;
    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append_control(&b, 5000, KAFC__CONTROL_COMMIT, 17), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    open_one(buf, len, &v, &ri);
    cr_assert(kafc__batch_view_is_control(&v));
    cr_assert(kafc__batch_view_is_transactional(&v));
    cr_assert_eq(v.attributes, 0x30);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.version, 0);
    cr_assert_eq(c.type, KAFC__CONTROL_COMMIT);
    cr_assert_eq(c.value_version, 0);
    cr_assert_eq(c.coordinator_epoch, 17);
    /* Key bytes exactly as Java's ControlRecordType.COMMIT.recordKey(). */
    cr_assert(slice_eq(r.key, "\0\0\0\1", 4));
    cr_assert(slice_eq(r.value, "\0\0\0\0\0\x11", 6));

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), &o), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append_control(&b, 5000, KAFC__CONTROL_ABORT, -1), KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    open_one(buf, len, &v, &ri);
    cr_assert_eq(kafc__record_iter_next(&ri, &r), 1);
    cr_assert_eq(kafc__control_record_parse(&r, &c), KAFC_ERR_NONE);
    cr_assert_eq(c.type, KAFC__CONTROL_ABORT);
    cr_assert_eq(c.coordinator_epoch, -1);
}

/* ---- compression ---------------------------------------------------------------- */

static void compressed_round_trip(kafc__codec_t codec)
{
    size_t cap = 4u << 20, n = 1500, len, bound, clen = 0;
    uint8_t *buf = malloc(cap), *dst;
    spec_t *specs = calloc(n, sizeof(*specs));
    kafc__batch_builder_t b;
    kafc__batch_view_t v;
    kafc__record_iter_t ri;
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    cr_assert(buf != NULL && specs != NULL && ctx != NULL);
    len = build_random(buf, cap, specs, n, 1000, &b);
    bound = kafc__batch_compressed_bound(&b, codec);
    cr_assert_neq(bound, SIZE_MAX);
    dst = malloc(bound);
    cr_assert_eq(
        kafc__batch_close_compressed(&b, ctx, codec, KAFC__CODEC_LEVEL_DEFAULT, dst, bound, &clen),
        KAFC_ERR_NONE, "%s", kafc__codec_name(codec));
    cr_assert_lt(clen, len, "%s did not shrink", kafc__codec_name(codec));
    open_one(dst, clen, &v, &ri);
    cr_assert_eq(kafc__batch_view_codec(&v), codec);
    {
        size_t dl = 0;
        uint8_t *d = kafc__record_iter_detach(&ri, &dl);
        cr_assert(d != NULL);
        cr_assert_eq(dl, len - KAFC__BATCH_HEADER_SIZE);
        free(d);
    }
    kafc__record_iter_clear(&ri);
    check_random(dst, clen, specs, n);

    /* The sender patches pid/epoch/sequence of the compressed batch. */
    cr_assert_eq(kafc__batch_set_producer(dst, clen, 77, 3, 1234), KAFC_ERR_NONE);
    open_one(dst, clen, &v, &ri);
    cr_assert_eq(v.base_sequence, 1234);
    kafc__record_iter_clear(&ri);
    check_random(dst, clen, specs, n);

    /* The decompression cap is hard. */
    cr_assert_eq(kafc__record_iter_init(&ri, &v, ctx, len - KAFC__BATCH_HEADER_SIZE - 1, 1),
                 KAFC_ERR__DECOMPRESS);
    kafc__record_iter_clear(&ri);
    cr_assert_eq(kafc__record_iter_init(&ri, &v, ctx, len - KAFC__BATCH_HEADER_SIZE, 1),
                 KAFC_ERR_NONE);
    kafc__record_iter_clear(&ri);

    /* The uncompressed batch is still there after close again. */
    cr_assert_eq(kafc__batch_close(&b), len);
    check_random(buf, len, specs, n);

    /* Too small a destination: an error, never an overrun. */
    cr_assert_neq(kafc__batch_close_compressed(&b, ctx, codec, KAFC__CODEC_LEVEL_DEFAULT, dst,
                                               KAFC__BATCH_HEADER_SIZE + 10, &clen),
                  KAFC_ERR_NONE);
    free(dst);
    free(buf);
    free(specs);
    kafc__codec_ctx_destroy(ctx);
}

Test(batch, compressed_gzip)
{
    compressed_round_trip(KAFC__CODEC_GZIP);
}

Test(batch, compressed_snappy)
{
    if (!kafc__codec_available(KAFC__CODEC_SNAPPY))
        cr_skip_test("snappy not in this build");
    compressed_round_trip(KAFC__CODEC_SNAPPY);
}

Test(batch, compressed_lz4)
{
    compressed_round_trip(KAFC__CODEC_LZ4);
}

Test(batch, compressed_zstd)
{
    compressed_round_trip(KAFC__CODEC_ZSTD);
}

Test(batch, compressed_none_copies)
{
    uint8_t buf[256], dst[256];
    kafc__batch_builder_t b;
    size_t len, clen;

    cr_assert_eq(kafc__batch_init(&b, buf, sizeof(buf), NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc__batch_append(&b, 1, "k", 1, "v", 1, NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(
        kafc__batch_close_compressed(&b, NULL, KAFC__CODEC_NONE, 0, dst, sizeof(dst), &clen),
        KAFC_ERR_NONE);
    len = kafc__batch_close(&b);
    cr_assert_eq(clen, len);
    cr_assert_arr_eq(dst, buf, len);
    cr_assert_eq(
        kafc__batch_close_compressed(&b, NULL, (kafc__codec_t)5, 0, dst, sizeof(dst), &clen),
        KAFC_ERR__INVALID_ARG);
    cr_assert_eq(rd64(buf), 0);
}
