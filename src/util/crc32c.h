/*
 * crc32c — CRC-32C (Castagnoli), the checksum of Kafka record batches v2.
 *
 * kafc__crc32c() picks, once per process, the SSE4.2 crc32 instruction path
 * when the CPU has it and a portable slicing-by-8 table path otherwise. Both
 * paths are exported so tests can compare them. The module owns only
 * read-only tables, built once on first use (pthread_once), so every
 * function is safe on any thread without a lock.
 *
 * The result is the standard CRC-32C (pre- and post-inverted, reflected):
 * start with crc 0 and chain calls like zlib's crc32(), e.g.
 * kafc__crc32c(kafc__crc32c(0, a, na), b, nb) == CRC of a followed by b.
 */
#ifndef KAFC_UTIL_CRC32C_H
#define KAFC_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of len bytes at data (borrowed for the call), continuing from crc
 * (0 to start). data may be NULL when len is 0. Any thread; no lock. */
uint32_t kafc__crc32c(uint32_t crc, const void *data, size_t len);

/* The portable slicing-by-8 path. Any thread; no lock. */
uint32_t kafc__crc32c_sw(uint32_t crc, const void *data, size_t len);

/* The SSE4.2 path: three interleaved crc32 streams combined with
 * precomputed shift tables. Only call it when kafc__crc32c_hw_available();
 * on builds without the x86-64 path it is the software path. Any thread. */
uint32_t kafc__crc32c_hw(uint32_t crc, const void *data, size_t len);

/* 1 when this build and CPU can use the SSE4.2 path, else 0. Any thread. */
int kafc__crc32c_hw_available(void);

#endif /* KAFC_UTIL_CRC32C_H */
