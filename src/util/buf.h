/*
 * buf — bounds-checked byte writer and reader for the Kafka wire protocol.
 *
 * kafc__wbuf_t appends big-endian integers, varints and length-prefixed
 * strings/bytes/arrays to a growable heap buffer or to fixed caller memory;
 * kafc__rbuf_t reads the same encodings from a borrowed byte range. Both are
 * used by the protocol codecs (proto/) and record batches (record/) on
 * whatever thread encodes or decodes; a buffer belongs to one thread at a time
 * and takes no lock.
 *
 * Errors are sticky: puts are void and gets return 0 once something went
 * wrong; the first error is kept in ->err and every later call is a no-op, so
 * a codec checks kafc__wbuf_err()/kafc__rbuf_err() once at the end instead of
 * after every field. The reader never reads outside [data, data+len) and never
 * trusts a length or count from the wire beyond the bytes actually present.
 *
 * Ownership: a growable writer owns ->data (freed by kafc__wbuf_free, or
 * handed to the caller by kafc__wbuf_detach); a fixed writer borrows the
 * caller's memory. A reader borrows its bytes, and the slices it returns
 * point into them: they stay valid as long as those bytes do.
 *
 * Threads and locks, for every function here: any thread, no lock; the
 * caller makes sure one buffer is used by one thread at a time.
 */
#ifndef KAFC_UTIL_BUF_H
#define KAFC_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kafc/kafc.h"

/* A borrowed view of bytes; len -1 (with ptr NULL) means null. */
typedef struct kafc__slice {
    const uint8_t *ptr;
    int32_t len;
} kafc__slice_t;

/* ---- byte order --------------------------------------------------------- */

/* Host <-> big-endian (network) order; the same operation both ways. */
static inline uint16_t kafc__buf_be16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap16(v);
#endif
}

static inline uint32_t kafc__buf_be32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap32(v);
#endif
}

static inline uint64_t kafc__buf_be64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap64(v);
#endif
}

/* ---- varint sizes ------------------------------------------------------- */

/* Encoded size of an unsigned varint (1..5). Any thread. */
static inline size_t kafc__uvarint_size(uint32_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Encoded size of an unsigned varlong (1..10). Any thread. */
static inline size_t kafc__uvarlong_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Zigzag mapping: 0,-1,1,-2,... -> 0,1,2,3,... Written without shifting a
 * negative value, so the result does not depend on the compiler. */
static inline uint32_t kafc__zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (0u - ((uint32_t)v >> 31));
}

static inline uint64_t kafc__zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (0u - ((uint64_t)v >> 63));
}

static inline int32_t kafc__unzigzag32(uint32_t u)
{
    return (int32_t)((u >> 1) ^ (0u - (u & 1)));
}

static inline int64_t kafc__unzigzag64(uint64_t u)
{
    return (int64_t)((u >> 1) ^ (0u - (u & 1)));
}

/* Encoded size of a zigzag varint (1..5). Any thread. */
static inline size_t kafc__varint_size(int32_t v)
{
    return kafc__uvarint_size(kafc__zigzag32(v));
}

/* Encoded size of a zigzag varlong (1..10). Any thread. */
static inline size_t kafc__varlong_size(int64_t v)
{
    return kafc__uvarlong_size(kafc__zigzag64(v));
}

/* ======================================================================== */
/* Writer                                                                    */
/* ======================================================================== */

typedef struct kafc__wbuf {
    uint8_t *data;  /* owned when growable, else the caller's memory */
    size_t len;     /* bytes written */
    size_t cap;     /* bytes available at data */
    int growable;   /* 1: heap, doubled on demand; 0: fixed */
    kafc_err_t err; /* first error, sticky */
} kafc__wbuf_t;

/* A growable writer with initial_cap bytes allocated up front (0: allocate
 * on first put). A failed allocation sets err KAFC_ERR__NO_MEMORY. */
void kafc__wbuf_init(kafc__wbuf_t *w, size_t initial_cap);

/* A writer over the caller's mem (cap bytes; borrowed while the writer is
 * used). Writing past cap sets err KAFC_ERR__BUF_OVERFLOW. */
void kafc__wbuf_init_fixed(kafc__wbuf_t *w, void *mem, size_t cap);

/* Frees a growable writer's memory (a fixed writer's is the caller's) and
 * leaves w empty. Safe to call twice. */
void kafc__wbuf_free(kafc__wbuf_t *w);

/* Empties w and clears its error, keeping its memory for reuse. */
void kafc__wbuf_reset(kafc__wbuf_t *w);

/* Hands the written bytes to the caller and leaves w empty. For a growable
 * writer the result is taken by the caller (free() it; never NULL on
 * success, even when nothing was written); for a fixed writer it is the
 * caller's own mem. Returns NULL with *lenp 0 when w has an error (w keeps
 * its memory; free it with kafc__wbuf_free). lenp may be NULL. */
uint8_t *kafc__wbuf_detach(kafc__wbuf_t *w, size_t *lenp);

/* Makes room for n more bytes: grows a growable buffer, or records
 * BUF_OVERFLOW / NO_MEMORY. Returns 0 when there is room. Call through
 * kafc__wbuf_room(). */
int kafc__wbuf_grow(kafc__wbuf_t *w, size_t n);

/* The first error of w, or KAFC_ERR_NONE. */
static inline kafc_err_t kafc__wbuf_err(const kafc__wbuf_t *w)
{
    return w->err;
}

/* Appends n bytes to w and returns where to write them, or NULL when w has
 * (or now gets) an error. The caller must write all n bytes. */
static inline uint8_t *kafc__wbuf_room(kafc__wbuf_t *w, size_t n)
{
    uint8_t *p;
    if (w->err != 0 || w->cap - w->len < n) {
        if (kafc__wbuf_grow(w, n) != 0)
            return NULL;
    }
    p = w->data + w->len;
    w->len += n;
    return p;
}

static inline void kafc__wbuf_put_i8(kafc__wbuf_t *w, int8_t v)
{
    uint8_t *p = kafc__wbuf_room(w, 1);
    if (p != NULL)
        *p = (uint8_t)v;
}

static inline void kafc__wbuf_put_u16(kafc__wbuf_t *w, uint16_t v)
{
    uint8_t *p = kafc__wbuf_room(w, 2);
    if (p != NULL) {
        v = kafc__buf_be16(v);
        memcpy(p, &v, 2);
    }
}

static inline void kafc__wbuf_put_i16(kafc__wbuf_t *w, int16_t v)
{
    kafc__wbuf_put_u16(w, (uint16_t)v);
}

static inline void kafc__wbuf_put_u32(kafc__wbuf_t *w, uint32_t v)
{
    uint8_t *p = kafc__wbuf_room(w, 4);
    if (p != NULL) {
        v = kafc__buf_be32(v);
        memcpy(p, &v, 4);
    }
}

static inline void kafc__wbuf_put_i32(kafc__wbuf_t *w, int32_t v)
{
    kafc__wbuf_put_u32(w, (uint32_t)v);
}

static inline void kafc__wbuf_put_i64(kafc__wbuf_t *w, int64_t v)
{
    uint8_t *p = kafc__wbuf_room(w, 8);
    if (p != NULL) {
        uint64_t u = kafc__buf_be64((uint64_t)v);
        memcpy(p, &u, 8);
    }
}

/* IEEE 754 binary64, big-endian, as Java's ByteBuffer.putDouble. */
static inline void kafc__wbuf_put_f64(kafc__wbuf_t *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    kafc__wbuf_put_i64(w, (int64_t)u);
}

/* One byte: 1 for any nonzero v, else 0. */
static inline void kafc__wbuf_put_bool(kafc__wbuf_t *w, int v)
{
    kafc__wbuf_put_i8(w, v ? 1 : 0);
}

static inline void kafc__wbuf_put_raw(kafc__wbuf_t *w, const void *src, size_t n)
{
    uint8_t *p;
    if (n == 0)
        return;
    p = kafc__wbuf_room(w, n);
    if (p != NULL)
        memcpy(p, src, n);
}

static inline void kafc__wbuf_put_uuid(kafc__wbuf_t *w, const uint8_t id[16])
{
    kafc__wbuf_put_raw(w, id, 16);
}

static inline void kafc__wbuf_put_uvarint(kafc__wbuf_t *w, uint32_t v)
{
    uint8_t *p = kafc__wbuf_room(w, kafc__uvarint_size(v));
    if (p == NULL)
        return;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}

static inline void kafc__wbuf_put_uvarlong(kafc__wbuf_t *w, uint64_t v)
{
    uint8_t *p = kafc__wbuf_room(w, kafc__uvarlong_size(v));
    if (p == NULL)
        return;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}

static inline void kafc__wbuf_put_varint(kafc__wbuf_t *w, int32_t v)
{
    kafc__wbuf_put_uvarint(w, kafc__zigzag32(v));
}

static inline void kafc__wbuf_put_varlong(kafc__wbuf_t *w, int64_t v)
{
    kafc__wbuf_put_uvarlong(w, kafc__zigzag64(v));
}

/* STRING / NULLABLE_STRING: int16 length then the bytes. s NULL writes the
 * null string (-1); len < 0 means strlen(s). A string longer than 32767
 * bytes cannot be encoded: err KAFC_ERR__INVALID_ARG. s is borrowed for the
 * call. */
void kafc__wbuf_put_string(kafc__wbuf_t *w, const char *s, int32_t len);

/* COMPACT_(NULLABLE_)STRING: uvarint length+1 (0 = null), then the bytes.
 * Same arguments and limit as kafc__wbuf_put_string. */
void kafc__wbuf_put_compact_string(kafc__wbuf_t *w, const char *s, int32_t len);

/* BYTES / NULLABLE_BYTES: int32 length then the bytes; p NULL writes null
 * (-1). A negative len with non-NULL p is err KAFC_ERR__INVALID_ARG. */
void kafc__wbuf_put_bytes(kafc__wbuf_t *w, const void *p, int32_t len);

/* COMPACT_(NULLABLE_)BYTES: uvarint length+1 (0 = null), then the bytes. */
void kafc__wbuf_put_compact_bytes(kafc__wbuf_t *w, const void *p, int32_t len);

/* ARRAY length: int32 n; any n < 0 writes -1 (null). */
static inline void kafc__wbuf_put_array_len(kafc__wbuf_t *w, int32_t n)
{
    kafc__wbuf_put_i32(w, n < 0 ? -1 : n);
}

/* COMPACT_ARRAY length: uvarint n+1; any n < 0 writes 0 (null). */
static inline void kafc__wbuf_put_compact_array_len(kafc__wbuf_t *w, int32_t n)
{
    kafc__wbuf_put_uvarint(w, n < 0 ? 0u : (uint32_t)n + 1u);
}

/* Appends n zero bytes and returns their offset, to be filled in later with
 * kafc__wbuf_patch_*() (sizes, CRCs). Returns SIZE_MAX when w has an error;
 * patching at SIZE_MAX then does nothing. */
size_t kafc__wbuf_reserve(kafc__wbuf_t *w, size_t n);

/* Overwrites 4 bytes at off (which must lie within what was written;
 * otherwise err KAFC_ERR__INVALID_ARG). No-op when w has an error. */
void kafc__wbuf_patch_u32(kafc__wbuf_t *w, size_t off, uint32_t v);
void kafc__wbuf_patch_i32(kafc__wbuf_t *w, size_t off, int32_t v);

/* ======================================================================== */
/* Reader                                                                    */
/* ======================================================================== */

typedef struct kafc__rbuf {
    const uint8_t *data; /* borrowed */
    size_t len;
    size_t pos;     /* always <= len */
    kafc_err_t err; /* first error, sticky */
} kafc__rbuf_t;

/* A reader over len bytes at data (borrowed while r and its slices are
 * used). */
static inline void kafc__rbuf_init(kafc__rbuf_t *r, const void *data, size_t len)
{
    r->data = (const uint8_t *)data;
    r->len = data != NULL ? len : 0;
    r->pos = 0;
    r->err = 0;
}

static inline kafc_err_t kafc__rbuf_err(const kafc__rbuf_t *r)
{
    return r->err;
}

static inline size_t kafc__rbuf_remaining(const kafc__rbuf_t *r)
{
    return r->len - r->pos;
}

/* Records err unless an earlier error is already kept. */
static inline void kafc__rbuf_fail(kafc__rbuf_t *r, kafc_err_t err)
{
    if (r->err == 0)
        r->err = err;
}

/* Consumes n bytes and returns a pointer to them, or NULL (err
 * KAFC_ERR__BUF_UNDERFLOW) when fewer remain or r has an error. */
static inline const uint8_t *kafc__rbuf_get_raw(kafc__rbuf_t *r, size_t n)
{
    const uint8_t *p;
    if (r->err != 0)
        return NULL;
    if (r->len - r->pos < n) {
        r->err = KAFC_ERR__BUF_UNDERFLOW;
        return NULL;
    }
    p = r->data + r->pos;
    r->pos += n;
    return p;
}

static inline void kafc__rbuf_skip(kafc__rbuf_t *r, size_t n)
{
    (void)kafc__rbuf_get_raw(r, n);
}

static inline int8_t kafc__rbuf_get_i8(kafc__rbuf_t *r)
{
    const uint8_t *p = kafc__rbuf_get_raw(r, 1);
    return p != NULL ? (int8_t)*p : 0;
}

static inline uint16_t kafc__rbuf_get_u16(kafc__rbuf_t *r)
{
    const uint8_t *p = kafc__rbuf_get_raw(r, 2);
    uint16_t v;
    if (p == NULL)
        return 0;
    memcpy(&v, p, 2);
    return kafc__buf_be16(v);
}

static inline int16_t kafc__rbuf_get_i16(kafc__rbuf_t *r)
{
    return (int16_t)kafc__rbuf_get_u16(r);
}

static inline uint32_t kafc__rbuf_get_u32(kafc__rbuf_t *r)
{
    const uint8_t *p = kafc__rbuf_get_raw(r, 4);
    uint32_t v;
    if (p == NULL)
        return 0;
    memcpy(&v, p, 4);
    return kafc__buf_be32(v);
}

static inline int32_t kafc__rbuf_get_i32(kafc__rbuf_t *r)
{
    return (int32_t)kafc__rbuf_get_u32(r);
}

static inline int64_t kafc__rbuf_get_i64(kafc__rbuf_t *r)
{
    const uint8_t *p = kafc__rbuf_get_raw(r, 8);
    uint64_t v;
    if (p == NULL)
        return 0;
    memcpy(&v, p, 8);
    return (int64_t)kafc__buf_be64(v);
}

static inline double kafc__rbuf_get_f64(kafc__rbuf_t *r)
{
    uint64_t u = (uint64_t)kafc__rbuf_get_i64(r);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Any nonzero byte is true (1), as Kafka's readers do. */
static inline int kafc__rbuf_get_bool(kafc__rbuf_t *r)
{
    return kafc__rbuf_get_i8(r) != 0;
}

/* Copies 16 bytes into out (zeroes on error). */
static inline void kafc__rbuf_get_uuid(kafc__rbuf_t *r, uint8_t out[16])
{
    const uint8_t *p = kafc__rbuf_get_raw(r, 16);
    if (p != NULL)
        memcpy(out, p, 16);
    else
        memset(out, 0, 16);
}

/* Slow paths of the varint readers: multi-byte values, truncation and
 * malformed input. Call through the inline readers below. */
uint32_t kafc__rbuf_uvarint_slow(kafc__rbuf_t *r);
uint64_t kafc__rbuf_uvarlong_slow(kafc__rbuf_t *r);

/* Unsigned varint, at most 5 bytes (a 5th byte with the continuation bit is
 * KAFC_ERR__BAD_MSG). As Java's ByteUtils.readUnsignedVarint, bits above 32
 * in the 5th byte are dropped. */
static inline uint32_t kafc__rbuf_get_uvarint(kafc__rbuf_t *r)
{
    if (r->err == 0 && r->pos < r->len && r->data[r->pos] < 0x80)
        return r->data[r->pos++];
    return kafc__rbuf_uvarint_slow(r);
}

/* Unsigned varlong, at most 10 bytes (else KAFC_ERR__BAD_MSG). */
static inline uint64_t kafc__rbuf_get_uvarlong(kafc__rbuf_t *r)
{
    if (r->err == 0 && r->pos < r->len && r->data[r->pos] < 0x80)
        return r->data[r->pos++];
    return kafc__rbuf_uvarlong_slow(r);
}

static inline int32_t kafc__rbuf_get_varint(kafc__rbuf_t *r)
{
    return kafc__unzigzag32(kafc__rbuf_get_uvarint(r));
}

static inline int64_t kafc__rbuf_get_varlong(kafc__rbuf_t *r)
{
    return kafc__unzigzag64(kafc__rbuf_get_uvarlong(r));
}

/* STRING / NULLABLE_STRING as a zero-copy view into r's bytes: out->len -1
 * (ptr NULL) for null. A length below -1 is KAFC_ERR__BAD_MSG; a length past
 * the end is KAFC_ERR__BUF_UNDERFLOW. On error *out is null. The bytes are
 * not NUL-terminated and not checked for UTF-8. */
void kafc__rbuf_get_string(kafc__rbuf_t *r, kafc__slice_t *out);

/* COMPACT_(NULLABLE_)STRING: uvarint length+1, 0 = null. As Java's readers,
 * a string longer than 32767 bytes is KAFC_ERR__BAD_MSG. */
void kafc__rbuf_get_compact_string(kafc__rbuf_t *r, kafc__slice_t *out);

/* BYTES / NULLABLE_BYTES: int32 length (-1 null; below -1 BAD_MSG). */
void kafc__rbuf_get_bytes(kafc__rbuf_t *r, kafc__slice_t *out);

/* COMPACT_(NULLABLE_)BYTES: uvarint length+1 (0 null; a length above
 * INT32_MAX is BAD_MSG). */
void kafc__rbuf_get_compact_bytes(kafc__rbuf_t *r, kafc__slice_t *out);

/* ARRAY count: int32, -1 null. Each element takes at least min_elem_size
 * bytes (1 when 0 is given), so a count that could not fit in the remaining
 * bytes, or below -1, is KAFC_ERR__BAD_MSG: a caller may allocate count
 * elements without trusting the wire. Returns 0 on error. */
int32_t kafc__rbuf_get_array_len(kafc__rbuf_t *r, size_t min_elem_size);

/* COMPACT_ARRAY count: uvarint count+1, 0 = null (-1 returned); otherwise
 * as kafc__rbuf_get_array_len. */
int32_t kafc__rbuf_get_compact_array_len(kafc__rbuf_t *r, size_t min_elem_size);

#endif /* KAFC_UTIL_BUF_H */
