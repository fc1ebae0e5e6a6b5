/*
 * murmur2 — the key hash of Kafka's default partitioner.
 *
 * A bit-exact port of the Java client's
 * org.apache.kafka.common.utils.Utils.murmur2 (MurmurHash2, seed 0x9747b28c),
 * so that a key lands on the same partition whichever client produced it.
 * Pure functions over borrowed bytes: any thread, no lock, no state.
 */
#ifndef KAFC_UTIL_MURMUR2_H
#define KAFC_UTIL_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* Utils.murmur2(key) as an unsigned value: (int32_t) of the result equals the
 * Java int. key (len bytes, borrowed for the call) may be NULL when len is 0.
 * Like Java, which hashes a byte[] whose length is an int, only keys shorter
 * than 2 GiB are meaningful. Any thread; no lock. */
uint32_t kafc__murmur2(const void *key, size_t len);

/* The default partitioner's choice for a keyed record:
 * Utils.toPositive(murmur2(key)) % num_partitions, i.e.
 * (hash & 0x7fffffff) % num_partitions. Returns -1 when num_partitions <= 0.
 * Any thread; no lock. */
int32_t kafc__murmur2_partition(const void *key, size_t len, int32_t num_partitions);

#endif /* KAFC_UTIL_MURMUR2_H */
