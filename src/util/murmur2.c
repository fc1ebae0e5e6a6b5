/*
 * murmur2 — MurmurHash2 exactly as Kafka's Java client computes it.
 *
 * Java does the arithmetic on int with wrap-around; here it is done on
 * uint32_t, which wraps the same way without signed overflow. Java reads key
 * bytes as signed and masks each with 0xff before shifting, which is what
 * reading them as uint8_t gives. The tail switch falls through on purpose,
 * as in Java.
 */
#include "util/murmur2.h"

#define SEED 0x9747b28cu
#define M 0x5bd1e995u
#define R 24

uint32_t kafc__murmur2(const void *key, size_t len)
{
    const uint8_t *data = key;
    uint32_t length = (uint32_t)len; /* Java: int length = data.length */
    uint32_t h = SEED ^ length;
    size_t length4 = len / 4;
    size_t t = len & ~(size_t)3; /* start of the 0..3 tail bytes */

    for (size_t i = 0; i < length4; i++) {
        const uint8_t *p = data + i * 4;
        uint32_t k =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= M;
        k ^= k >> R;
        k *= M;
        h *= M;
        h ^= k;
    }

    switch (len % 4) {
    case 3:
        h ^= (uint32_t)data[t + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)data[t + 1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)data[t];
        h *= M;
        break;
    default:
        break;
    }

    h ^= h >> 13;
    h *= M;
    h ^= h >> 15;
    return h;
}

int32_t kafc__murmur2_partition(const void *key, size_t len, int32_t num_partitions)
{
    if (num_partitions <= 0)
        return -1;
    return (int32_t)((kafc__murmur2(key, len) & 0x7fffffffu) % (uint32_t)num_partitions);
}
