/*
 * message — the structs behind the public kafc_headers_t and kafc_message_t
 * (include/kafc/message.h), and internal helpers for the producer and the
 * consumer that fill and read them.
 *
 * kafc_headers_t keeps every header of a list in one growable byte buffer
 * (each name NUL-terminated, followed by its value) plus an index array of
 * offsets into it, so a list costs two allocations whatever its length and
 * the producer can walk it (kafc__headers_at) to encode a record without
 * copying. kafc_message_t is a plain struct the producer (delivery reports)
 * and the consumer (fetched records) fill in; the public accessors only read
 * it.
 *
 * Ownership: a header list owns its buffer and index; the pointers the
 * accessors return are borrowed from the list until it is destroyed or (for
 * the buffer) until the next add. A kafc_message_t owns nothing: its topic,
 * key, value and headers are borrowed from whoever filled it, who keeps them
 * alive as long as the message is visible to the application.
 *
 * Threads: no locks. A header list or message is used by one thread at a
 * time; concurrent reads of one that nobody modifies are fine.
 */
#ifndef KAFC_MESSAGE_INTERNAL_H
#define KAFC_MESSAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"

/* One header: offsets into kafc_headers_s.buf. */
typedef struct kafc__hdr {
    size_t name_off;  /* NUL-terminated name */
    size_t value_off; /* value bytes (meaningless for a null value) */
    int32_t name_len;
    int32_t value_len; /* -1: null value */
} kafc__hdr_t;

struct kafc_headers_s {
    char *buf; /* names (each NUL-terminated) and values, back to back */
    size_t len, cap;
    kafc__hdr_t *idx;
    size_t count, idx_cap;
};

struct kafc_message_s {
    const char *topic;
    int32_t partition; /* -1: not assigned */
    int64_t offset;    /* -1: unknown */
    int64_t timestamp; /* ms since the epoch; -1 when not available */
    kafc_timestamp_type_t tstype;
    const void *key;
    int32_t key_len; /* -1: null key */
    const void *value;
    int32_t value_len;       /* -1: null value */
    kafc_headers_t *headers; /* NULL: no headers */
    kafc_err_t err;
    kafc_persisted_t status;
    void *opaque; /* the per-message opaque given to kafc_produce() */
};

/* Resets every field of msg to "unknown": no topic, partition and offset -1,
 * no timestamp, null key and value, no headers, no error, not persisted, no
 * opaque. Any thread owning msg. */
void kafc__message_init(kafc_message_t *msg);

/* Appends a header whose name is name_len bytes (not necessarily
 * NUL-terminated; it is stored with a NUL after it, so a name containing NUL
 * bytes reads back truncated through the public accessor) and whose value is
 * value_len bytes, or null when value_len is -1. Both are copied. For the
 * consumer, which decodes names and values from record bytes.
 * Returns KAFC_ERR__INVALID_ARG (hdrs NULL, name NULL with name_len > 0,
 * value NULL with value_len > 0, value_len < -1, name_len < 0) or
 * KAFC_ERR__NO_MEMORY; on error hdrs is unchanged. An empty name is allowed
 * here (the wire allows it). Any thread owning hdrs. */
kafc_err_t kafc__headers_add_n(kafc_headers_t *hdrs, const char *name, int32_t name_len,
                               const void *value, int32_t value_len);

/* Header i of hdrs for encoding: *namep (name_len bytes, NUL-terminated),
 * *valuep and *value_lenp (-1 and *valuep NULL for a null value; a non-NULL
 * pointer for an empty value). Every out pointer may be NULL. The pointers
 * are borrowed from hdrs until it is destroyed or added to. Returns
 * KAFC_ERR__INVALID_ARG when hdrs is NULL or i >= count. Any thread; no lock
 * (no concurrent add). */
kafc_err_t kafc__headers_at(const kafc_headers_t *hdrs, size_t i, const char **namep,
                            int32_t *name_lenp, const void **valuep, int32_t *value_lenp);

#endif /* KAFC_MESSAGE_INTERNAL_H */
