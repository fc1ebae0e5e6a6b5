/*
 * arena — a chunked bump allocator for decoded protocol messages.
 *
 * A decoder takes every array of a message from one arena; the caller frees
 * the whole message at once with kafc__arena_destroy(). The first
 * KAFC__ARENA_INLINE bytes live inside the arena itself, so decoding a small
 * response (a Heartbeat, an ApiVersions of a few dozen entries) allocates
 * nothing from the heap when the arena is on the stack. Later chunks come
 * from malloc, doubling up to 64 KiB; a request for more than half a chunk
 * gets a chunk of its own, so big arrays waste nothing.
 *
 * An arena belongs to one thread at a time and takes no lock. It must not be
 * copied or moved after kafc__arena_init (it points into itself).
 */
#ifndef KAFC_PROTO_ARENA_H
#define KAFC_PROTO_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the arena's built-in first chunk. */
#define KAFC__ARENA_INLINE 1024

typedef struct kafc__arena_chunk kafc__arena_chunk_t;

typedef struct kafc__arena {
    uint8_t *cur;                /* next free byte of the current chunk */
    size_t left;                 /* free bytes at cur */
    kafc__arena_chunk_t *chunks; /* heap chunks, newest first */
    size_t next_size;            /* payload size of the next regular heap chunk */
    _Alignas(8) uint8_t first[KAFC__ARENA_INLINE];
} kafc__arena_t;

/* Sets up an empty arena (no heap memory yet). Any thread. */
void kafc__arena_init(kafc__arena_t *a);

/* n bytes, 8-byte aligned, uninitialised, valid until kafc__arena_destroy.
 * n 0 is treated as 1. Returns NULL when memory is exhausted or n is too big
 * to represent; the arena stays usable. Any thread (the arena's owner). */
void *kafc__arena_alloc(kafc__arena_t *a, size_t n);

/* Frees everything allocated from a and leaves it empty, ready for reuse
 * (kafc__arena_init is not needed again). Safe to call twice. */
void kafc__arena_destroy(kafc__arena_t *a);

#endif /* KAFC_PROTO_ARENA_H */
