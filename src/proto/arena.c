/*
 * arena — chunked bump allocator; see arena.h.
 */
#include "proto/arena.h"

#include <stdlib.h>

/* First heap chunk payload, and the cap the doubling stops at. */
#define CHUNK_MIN 4096
#define CHUNK_MAX 65536

struct kafc__arena_chunk {
    kafc__arena_chunk_t *next;
    size_t size; /* payload bytes */
};

/* Payload starts after the header, rounded up to 16 so any type fits. */
#define HDR_SIZE ((sizeof(kafc__arena_chunk_t) + 15) & ~(size_t)15)

static uint8_t *chunk_new(kafc__arena_t *a, size_t size)
{
    kafc__arena_chunk_t *c = malloc(HDR_SIZE + size);

    if (c == NULL)
        return NULL;
    c->next = a->chunks;
    c->size = size;
    a->chunks = c;
    return (uint8_t *)c + HDR_SIZE;
}

void kafc__arena_init(kafc__arena_t *a)
{
    a->cur = a->first;
    a->left = sizeof(a->first);
    a->chunks = NULL;
    a->next_size = CHUNK_MIN;
}

void *kafc__arena_alloc(kafc__arena_t *a, size_t n)
{
    uint8_t *p;

    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - HDR_SIZE - 8)
        return NULL;
    n = (n + 7) & ~(size_t)7;
    if (n > a->left) {
        if (n > a->next_size / 2)
            return chunk_new(a, n); /* its own chunk; the current one stays */
        p = chunk_new(a, a->next_size);
        if (p == NULL)
            return NULL;
        a->cur = p;
        a->left = a->next_size;
        if (a->next_size < CHUNK_MAX)
            a->next_size *= 2;
    }
    p = a->cur;
    a->cur += n;
    a->left -= n;
    return p;
}

void kafc__arena_destroy(kafc__arena_t *a)
{
    kafc__arena_chunk_t *c = a->chunks;

    while (c != NULL) {
        kafc__arena_chunk_t *next = c->next;

        free(c);
        c = next;
    }
    kafc__arena_init(a);
}
