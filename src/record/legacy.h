/*
 * legacy — reads legacy message sets (magic 0 and 1), which brokers still
 * return in Fetch responses for old data or old message.format.version.
 *
 * Entry: offset int64, size int32, crc uint32 (CRC-32 IEEE, zlib's crc32,
 * over magic..end), magic int8, attributes int8, [v1: timestamp int64],
 * key bytes (int32 length, -1 null), value bytes. A compressed message
 * (codec in attributes bits 0-2) is a wrapper whose value is an inner message
 * set; it is decompressed (with a hard cap) and its inner messages iterated:
 * one level only (an inner compressed message is an error), inner magic equal
 * to the wrapper's. Magic 1 inner offsets are relative: inner offset =
 * wrapper offset - (last inner relative offset - inner relative offset).
 *
 * The batch iterator of reader.h calls kafc__legacy_view for magic 0/1
 * entries, and the record iterator calls kafc__legacy_iter_* for their
 * batches, so consumers see legacy messages through the same view types as
 * magic 2 batches.
 *
 * Threads and locks: any thread, no lock, no I/O. Ownership: as reader.h
 * (views borrow the entry bytes; the record iterator owns a decompressed
 * inner set until detached or cleared).
 */
#ifndef KAFC_RECORD_LEGACY_H
#define KAFC_RECORD_LEGACY_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"
#include "record/reader.h"

/* Smallest size field (bytes after offset+size) of a message: crc 4, magic 1,
 * attributes 1, [timestamp 8], key length 4, value length 4. */
#define KAFC__LEGACY_V0_MIN_SIZE 14
#define KAFC__LEGACY_V1_MIN_SIZE 22

/* Fills *out from one whole legacy entry of size bytes at p (12 + its size
 * field; magic at p[16] is 0 or 1, which the caller checked). Checks that
 * key and value lie exactly within the entry. Returns KAFC_ERR_NONE or
 * KAFC_ERR__BAD_MSG. Any thread. */
kafc_err_t kafc__legacy_view(const uint8_t *p, size_t size, kafc__batch_view_t *out);

/* KAFC_ERR_NONE when a legacy entry's CRC-32 matches, else
 * KAFC_ERR__CRC_MISMATCH. Any thread. */
kafc_err_t kafc__legacy_check_crc(const kafc__batch_view_t *b);

/* kafc__record_iter_init for a legacy entry (see reader.h). */
kafc_err_t kafc__legacy_iter_init(kafc__record_iter_t *it, const kafc__batch_view_t *b,
                                  kafc__codec_ctx_t *ctx, size_t max_decompressed, int check_crcs);

/* kafc__record_iter_next for a legacy iterator (see reader.h). */
int kafc__legacy_iter_next(kafc__record_iter_t *it, kafc__record_t *out);

#endif /* KAFC_RECORD_LEGACY_H */
