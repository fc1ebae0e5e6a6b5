/*
 * crc32c — software (slicing-by-8) and SSE4.2 CRC-32C, chosen at run time.
 *
 * The hardware path follows the design Mark Adler described for crc32c: the
 * crc32 instruction has a latency of ~3 cycles but a throughput of one per
 * cycle, so the input is cut into three adjacent blocks whose CRCs run as
 * three independent streams, then combined. Combining needs "the CRC register
 * after n more zero bytes", which is multiplication by x^(8n) modulo the
 * polynomial; for a fixed n that is linear in the register, so it is done with
 * four 256-entry tables (one per register byte) built once at start-up.
 */
#include "util/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HW 1
#include <nmmintrin.h>
#else
#define HAVE_HW 0
#endif

/* The Castagnoli polynomial, bit-reflected. */
#define POLY 0x82f63b78u

/* Per-stream block sizes of the three-stream loop: LONG_BLOCK for big inputs
 * (few combines), SHORT_BLOCK for the rest. Each needs its own shift table. */
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t sw_table[8][256];
#if HAVE_HW
static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];
#endif
static int hw_ok;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#if HAVE_HW
/* a * b modulo POLY, both reflected (bit 31 is x^0). */
static uint32_t multmodp(uint32_t a, uint32_t b)
{
    uint32_t m = 1u << 31, p = 0;

    if (a == 0)
        return 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

/* x^(8n) modulo POLY, reflected: the operator "append n zero bytes". */
static uint32_t x8nmodp(size_t n)
{
    uint32_t p = 1u << 31;  /* x^0 */
    uint32_t sq = 1u << 23; /* x^8 */

    while (n != 0) {
        if (n & 1)
            p = multmodp(sq, p);
        sq = multmodp(sq, sq);
        n >>= 1;
    }
    return p;
}

static void build_shift(uint32_t tbl[4][256], size_t n)
{
    uint32_t xn = x8nmodp(n);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            tbl[k][b] = multmodp(xn, b << (8 * k));
}

/* The raw CRC register crc advanced over the zero bytes tbl was built for. */
static inline uint32_t shift(const uint32_t tbl[4][256], uint32_t crc)
{
    return tbl[0][crc & 0xff] ^ tbl[1][(crc >> 8) & 0xff] ^ tbl[2][(crc >> 16) & 0xff] ^
           tbl[3][crc >> 24];
}
#endif

static void init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        sw_table[0][n] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t n = 0; n < 256; n++)
            sw_table[k][n] = (sw_table[k - 1][n] >> 8) ^ sw_table[0][sw_table[k - 1][n] & 0xff];
#if HAVE_HW
    build_shift(long_shift, LONG_BLOCK);
    build_shift(short_shift, SHORT_BLOCK);
    __builtin_cpu_init();
    hw_ok = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

/* Little-endian 32-bit load from any address. */
static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t kafc__crc32c_sw(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    pthread_once(&init_once, init);
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo = load_le32(p) ^ crc;
        uint32_t hi = load_le32(p + 4);
        crc = sw_table[7][lo & 0xff] ^ sw_table[6][(lo >> 8) & 0xff] ^
              sw_table[5][(lo >> 16) & 0xff] ^ sw_table[4][lo >> 24] ^ sw_table[3][hi & 0xff] ^
              sw_table[2][(hi >> 8) & 0xff] ^ sw_table[1][(hi >> 16) & 0xff] ^
              sw_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = sw_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if HAVE_HW
__attribute__((target("sse4.2"))) static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Three streams over blocks of n bytes each while at least 3n remain; *pp,
 * *lenp advanced. crc is the raw (inverted) register. */
__attribute__((target("sse4.2"))) static inline uint64_t
three_way(uint64_t crc, const uint8_t **pp, size_t *lenp, size_t n, const uint32_t tbl[4][256])
{
    const uint8_t *p = *pp;
    size_t len = *lenp;

    while (len >= 3 * n) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + n;
        do {
            crc = _mm_crc32_u64(crc, load64(p));
            c1 = _mm_crc32_u64(c1, load64(p + n));
            c2 = _mm_crc32_u64(c2, load64(p + 2 * n));
            p += 8;
        } while (p < end);
        crc = shift(tbl, (uint32_t)crc) ^ c1;
        crc = shift(tbl, (uint32_t)crc) ^ c2;
        p += 2 * n;
        len -= 3 * n;
    }
    *pp = p;
    *lenp = len;
    return crc;
}

__attribute__((target("sse4.2"))) static uint32_t hw(uint32_t crc32, const uint8_t *p, size_t len)
{
    uint64_t crc = (uint32_t)~crc32;

    /* Align so the 8-byte loads below never split a cache line. */
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        crc = _mm_crc32_u8((uint32_t)crc, *p++);
        len--;
    }
    crc = three_way(crc, &p, &len, LONG_BLOCK, long_shift);
    crc = three_way(crc, &p, &len, SHORT_BLOCK, short_shift);
    while (len >= 8) {
        crc = _mm_crc32_u64(crc, load64(p));
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        crc = _mm_crc32_u8((uint32_t)crc, *p++);
        len--;
    }
    return ~(uint32_t)crc;
}
#endif

uint32_t kafc__crc32c_hw(uint32_t crc, const void *data, size_t len)
{
#if HAVE_HW
    pthread_once(&init_once, init);
    return hw(crc, data, len);
#else
    return kafc__crc32c_sw(crc, data, len);
#endif
}

int kafc__crc32c_hw_available(void)
{
    pthread_once(&init_once, init);
    return hw_ok;
}

uint32_t kafc__crc32c(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&init_once, init);
#if HAVE_HW
    if (hw_ok)
        return hw(crc, data, len);
#endif
    return kafc__crc32c_sw(crc, data, len);
}
