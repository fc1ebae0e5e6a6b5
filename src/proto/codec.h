/*
 * codec — the runtime the generated protocol codecs (proto/gen/) are built
 * on: the array types shared by every message, and helpers for Kafka's field
 * encodings that are too long to repeat in generated code (nullable and
 * compact strings/bytes/arrays, nullable struct markers, tagged fields).
 *
 * Everything writes through a kafc__wbuf_t and reads through a kafc__rbuf_t
 * with their sticky errors: a helper records the first error in the buffer
 * and later calls do nothing, so generated code checks once at the end.
 * Writers report caller mistakes as KAFC_ERR__INVALID_ARG (a null where the
 * version allows none, a count with no items); readers report bad input as
 * KAFC_ERR__BAD_MSG / KAFC_ERR__BUF_UNDERFLOW and allocation failure as
 * KAFC_ERR__NO_MEMORY. No I/O, no locks: any thread, one buffer per thread
 * at a time. The flex arguments say whether the field uses the compact
 * (flexible-version) encoding, nullable whether null is allowed in the
 * version being coded.
 */
#ifndef KAFC_PROTO_CODEC_H
#define KAFC_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kafc/kafc.h"
#include "proto/arena.h"
#include "util/buf.h"

/* Arrays of primitives: count -1 means null (items then NULL). Decoded
 * arrays come from the decoder's arena; arrays to encode are borrowed. */
typedef struct kafc__int8_array {
    int8_t *items;
    int32_t count;
} kafc__int8_array_t;

typedef struct kafc__int16_array {
    int16_t *items;
    int32_t count;
} kafc__int16_array_t;

typedef struct kafc__int32_array {
    int32_t *items;
    int32_t count;
} kafc__int32_array_t;

typedef struct kafc__int64_array {
    int64_t *items;
    int32_t count;
} kafc__int64_array_t;

typedef struct kafc__uuid_array {
    uint8_t (*items)[16];
    int32_t count;
} kafc__uuid_array_t;

typedef struct kafc__string_array {
    kafc__slice_t *items; /* never null elements */
    int32_t count;
} kafc__string_array_t;

/* One generated message codec, callable without knowing its C type (for
 * code that handles any message: fuzzers, tests, a broker-side tool). Each
 * generated message Foo has one, kafc__foo_codec; proto/gen/apis.h lists
 * them all and finds them by api key. m points to the message's struct
 * (size bytes); the functions are the message's init/encode/decode. */
typedef struct kafc__proto_codec {
    const char *name;    /* "MetadataResponse" */
    int16_t api_key;     /* -1: a header or consumer protocol data */
    int16_t is_response; /* 1 for responses and ResponseHeader */
    int16_t min_version; /* validVersions of the schema */
    int16_t max_version;
    int16_t flexible_version; /* first flexible version, or -1 */
    size_t size;              /* sizeof the message struct */
    void (*init)(void *m);
    kafc_err_t (*encode)(const void *m, int16_t version, kafc__wbuf_t *w);
    kafc_err_t (*decode)(void *m, int16_t version, kafc__rbuf_t *r, kafc__arena_t *arena);
} kafc__proto_codec_t;

/* A slice over the NUL-terminated s (borrowed); NULL gives the null slice. */
static inline kafc__slice_t kafc__proto_str(const char *s)
{
    kafc__slice_t sl;

    sl.ptr = (const uint8_t *)s;
    sl.len = s != NULL ? (int32_t)strlen(s) : -1;
    return sl;
}

/* True when s holds exactly the len bytes at lit. */
static inline int kafc__proto_slice_is(kafc__slice_t s, const char *lit, int32_t len)
{
    return s.len == len && (len == 0 || memcmp(s.ptr, lit, (size_t)len) == 0);
}

/* True for the all-zero uuid (Kafka's "no id"). */
static inline int kafc__proto_uuid_is_zero(const uint8_t id[16])
{
    static const uint8_t zero[16];

    return memcmp(id, zero, 16) == 0;
}

/* Records err in w unless an earlier error is kept. */
void kafc__proto_wfail(kafc__wbuf_t *w, kafc_err_t err);

/* ---- strings, bytes, records -------------------------------------------- */

/* STRING / COMPACT_STRING (nullable or not). s.len -1 is null; a NULL ptr
 * with len 0 is the empty string. */
void kafc__proto_put_string(kafc__wbuf_t *w, kafc__slice_t s, int flex, int nullable);

/* BYTES / COMPACT_BYTES, also used for records. */
void kafc__proto_put_bytes(kafc__wbuf_t *w, kafc__slice_t s, int flex, int nullable);

/* Zero-copy reads: *out points into r's bytes. A null where the version
 * allows none is KAFC_ERR__BAD_MSG. */
void kafc__proto_get_string(kafc__rbuf_t *r, kafc__slice_t *out, int flex, int nullable);
void kafc__proto_get_bytes(kafc__rbuf_t *r, kafc__slice_t *out, int flex, int nullable);

/* ---- arrays ------------------------------------------------------------- */

/* Writes an array length and returns how many elements to write next (0 for
 * null or on error). count > 0 with items NULL is KAFC_ERR__INVALID_ARG. */
int32_t kafc__proto_put_array_len(kafc__wbuf_t *w, int32_t count, const void *items, int flex,
                                  int nullable);

/* Reads an array length and allocates count elements of elem_size bytes
 * from a, after checking that count * min_elem bytes remain in r (so the
 * wire cannot make us allocate more than a small multiple of its own size).
 * *countp is set to the count, -1 for null, 0 on error. Returns the
 * (uninitialised) elements, or NULL when there are none or on error. */
void *kafc__proto_get_array(kafc__rbuf_t *r, kafc__arena_t *a, int flex, int nullable,
                            size_t min_elem, size_t elem_size, int32_t *countp);

void kafc__proto_put_int8_array(kafc__wbuf_t *w, const kafc__int8_array_t *arr, int flex,
                                int nullable);
void kafc__proto_put_int16_array(kafc__wbuf_t *w, const kafc__int16_array_t *arr, int flex,
                                 int nullable);
void kafc__proto_put_int32_array(kafc__wbuf_t *w, const kafc__int32_array_t *arr, int flex,
                                 int nullable);
void kafc__proto_put_int64_array(kafc__wbuf_t *w, const kafc__int64_array_t *arr, int flex,
                                 int nullable);
void kafc__proto_put_uuid_array(kafc__wbuf_t *w, const kafc__uuid_array_t *arr, int flex,
                                int nullable);
void kafc__proto_put_string_array(kafc__wbuf_t *w, const kafc__string_array_t *arr, int flex,
                                  int nullable);

void kafc__proto_get_int8_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int8_array_t *out,
                                int flex, int nullable);
void kafc__proto_get_int16_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int16_array_t *out,
                                 int flex, int nullable);
void kafc__proto_get_int32_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int32_array_t *out,
                                 int flex, int nullable);
void kafc__proto_get_int64_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int64_array_t *out,
                                 int flex, int nullable);
void kafc__proto_get_uuid_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__uuid_array_t *out,
                                int flex, int nullable);
void kafc__proto_get_string_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__string_array_t *out,
                                  int flex, int nullable);

/* ---- nullable structs ---------------------------------------------------- */

/* A struct field that may be null in this version is preceded by an int8
 * marker (-1 null, 1 present). put returns whether to write the struct
 * (a missing struct where null is not allowed is KAFC_ERR__INVALID_ARG);
 * get returns whether one follows (always 1 when not nullable). */
int kafc__proto_put_struct_marker(kafc__wbuf_t *w, int present, int nullable);
int kafc__proto_get_struct_marker(kafc__rbuf_t *r, int nullable);

/* ---- tagged fields ------------------------------------------------------- */

/* Skips a whole tag buffer (uvarint count, then tag, size, data each),
 * bounded by each tag's size. */
void kafc__proto_skip_tags(kafc__rbuf_t *r);

/* Reads one tag's number and size and consumes its data from r; *sub is a
 * reader over exactly that data. Returns the tag, or UINT32_MAX on error
 * (r has the error). */
uint32_t kafc__proto_get_tag(kafc__rbuf_t *r, kafc__rbuf_t *sub);

/* After decoding a known tag from sub: passes sub's error to r, and makes a
 * tag whose data was not consumed exactly KAFC_ERR__BAD_MSG. */
void kafc__proto_tag_done(kafc__rbuf_t *r, const kafc__rbuf_t *sub);

/* Writes a tag number and leaves room for its size; returns the mark to hand
 * to kafc__proto_tag_end after the tag's data is written, which fills in the
 * size (moving the data when the size needs more than one byte). */
size_t kafc__proto_tag_begin(kafc__wbuf_t *w, uint32_t tag);
void kafc__proto_tag_end(kafc__wbuf_t *w, size_t mark);

#endif /* KAFC_PROTO_CODEC_H */
