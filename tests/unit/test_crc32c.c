/*
 * Unit tests for util/crc32c: known answers, and the SSE4.2 path against the
 * software path and a bit-at-a-time reference at every length and alignment.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc32c.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(crc32c, .timeout = 60);

typedef uint32_t(crc_fn)(uint32_t, const void *, size_t);

/* The definition itself, one bit at a time: independent of every table in
 * the implementation. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
    crc = ~crc;
    while (len-- > 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

/* RFC 3720 appendix B.4 (repeated in RFC 7143 A.4): an iSCSI SCSI Read (10)
 * command PDU. */
static const uint8_t iscsi_read[48] = {
    0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
    0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void check_known_answers(crc_fn *fn, const char *name)
{
    uint8_t buf[32];

    memset(buf, 0, sizeof(buf));
    cr_assert_eq(fn(0, buf, 32), 0x8A9136AAu, "%s: 32 zeros", name);
    memset(buf, 0xff, sizeof(buf));
    cr_assert_eq(fn(0, buf, 32), 0x62A8AB43u, "%s: 32 x 0xff", name);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    cr_assert_eq(fn(0, buf, 32), 0x46DD794Eu, "%s: 0..31", name);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    cr_assert_eq(fn(0, buf, 32), 0x113FDB5Cu, "%s: 31..0", name);
    cr_assert_eq(fn(0, iscsi_read, 48), 0xD9963A56u, "%s: iSCSI read PDU", name);
    /* The CRC-32C "check" value of the CRC catalogues. */
    cr_assert_eq(fn(0, "123456789", 9), 0xE3069283u, "%s: 123456789", name);
    /* Empty input leaves the running value alone. */
    cr_assert_eq(fn(0, NULL, 0), 0u, "%s: empty", name);
    cr_assert_eq(fn(0x12345678u, NULL, 0), 0x12345678u, "%s: empty, chained", name);
}

static void require_hw(void)
{
    if (!kafc__crc32c_hw_available())
        cr_skip_test("no SSE4.2 path on this build/CPU");
}

Test(crc32c, reference_is_right)
{
    check_known_answers((crc_fn *)crc_bitwise, "bitwise reference");
}

Test(crc32c, known_answers_sw)
{
    check_known_answers(kafc__crc32c_sw, "sw");
}

Test(crc32c, known_answers_hw)
{
    require_hw();
    check_known_answers(kafc__crc32c_hw, "hw");
}

Test(crc32c, known_answers_dispatch)
{
    check_known_answers(kafc__crc32c, "kafc__crc32c");
}

/* 1 MiB: 1 KiB of 0x7a, then the iSCSI PDU repeated to the end. Long enough
 * for the hardware path's big-block loop. */
Test(crc32c, one_mebibyte_known_answer)
{
    size_t len = 1 << 20;
    uint8_t *buf = malloc(len);

    cr_assert_not_null(buf);
    memset(buf, 0x7a, 1024);
    for (size_t off = 1024; off < len; off += 48)
        memcpy(buf + off, iscsi_read, 48);
    cr_assert_eq(crc_bitwise(0, buf, len), 0x93a9ae7au);
    cr_assert_eq(kafc__crc32c_sw(0, buf, len), 0x93a9ae7au);
    cr_assert_eq(kafc__crc32c(0, buf, len), 0x93a9ae7au);
    if (kafc__crc32c_hw_available())
        cr_assert_eq(kafc__crc32c_hw(0, buf, len), 0x93a9ae7au);
    free(buf);
}

static uint8_t *pattern(size_t len)
{
    uint8_t *buf = malloc(len);
    uint32_t x = 2463534242u;

    cr_assert_not_null(buf);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13; /* xorshift32 */
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    return buf;
}

Test(crc32c, every_length_and_alignment_agree)
{
    uint8_t *buf = pattern(300 + 16);
    int hw = kafc__crc32c_hw_available();

    for (size_t start = 0; start < 16; start++) {
        for (size_t len = 0; len <= 300; len++) {
            /* An exact-size copy so the sanitizer build catches over-reads. */
            uint8_t *copy = malloc(start + len + 1);
            const uint8_t *p = copy + start;
            uint32_t want;

            cr_assert_not_null(copy);
            memcpy(copy + start, buf, len);
            want = crc_bitwise(0, p, len);
            cr_assert_eq(kafc__crc32c_sw(0, p, len), want, "sw len %zu start %zu", len, start);
            cr_assert_eq(kafc__crc32c(0, p, len), want, "dispatch len %zu start %zu", len, start);
            if (hw)
                cr_assert_eq(kafc__crc32c_hw(0, p, len), want, "hw len %zu start %zu", len, start);
            free(copy);
        }
    }
    free(buf);
}

Test(crc32c, block_boundaries_agree)
{
    /* Around the hardware path's block sizes: 3 x 256 and 3 x 8192 bytes. */
    static const size_t lens[] = {767,   768,   769,   1535,  1536,   1537,   2303,
                                  8191,  8192,  8193,  16384, 24575,  24576,  24577,
                                  25343, 25344, 49152, 49153, 100003, 262144, 262151};
    size_t max = 262151 + 8;
    uint8_t *buf = pattern(max);
    int hw = kafc__crc32c_hw_available();

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (size_t start = 0; start < 8; start += 3) {
            uint32_t want = crc_bitwise(0, buf + start, lens[i]);
            cr_assert_eq(kafc__crc32c_sw(0, buf + start, lens[i]), want, "sw len %zu", lens[i]);
            if (hw)
                cr_assert_eq(kafc__crc32c_hw(0, buf + start, lens[i]), want, "hw len %zu", lens[i]);
        }
    }
    free(buf);
}

static void check_chaining(crc_fn *fn, const char *name)
{
    uint8_t *buf = pattern(30000);
    uint32_t whole = crc_bitwise(0, buf, 300);

    for (size_t cut = 0; cut <= 300; cut++) {
        uint32_t c = fn(0, buf, cut);
        cr_assert_eq(fn(c, buf + cut, 300 - cut), whole, "%s: cut at %zu", name, cut);
    }
    /* Three pieces of a long input, cut off the block grid. */
    whole = crc_bitwise(0, buf, 30000);
    cr_assert_eq(fn(fn(fn(0, buf, 7), buf + 7, 25000), buf + 25007, 4993), whole, "%s: 3 pieces",
                 name);
    free(buf);
}

Test(crc32c, chaining_sw)
{
    check_chaining(kafc__crc32c_sw, "sw");
}

Test(crc32c, chaining_hw)
{
    require_hw();
    check_chaining(kafc__crc32c_hw, "hw");
}

Test(crc32c, chaining_dispatch)
{
    check_chaining(kafc__crc32c, "dispatch");
}
