/*
 * buf — the out-of-line half of the wire buffer writer and reader: growth,
 * length-prefixed fields, patching, and the varint slow paths. See buf.h.
 */
#include "util/buf.h"

#include <stdlib.h>

/* Smallest heap buffer a growable writer allocates. */
#define MIN_CAP 64

/* Kafka's limit on any STRING field, classic or compact (Java's generated
 * code rejects longer ones both ways). */
#define MAX_STRING_LEN 0x7fff

/* ---- writer ------------------------------------------------------------- */

static void wfail(kafc__wbuf_t *w, kafc_err_t err)
{
    if (w->err == 0)
        w->err = err;
}

void kafc__wbuf_init(kafc__wbuf_t *w, size_t initial_cap)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
    w->growable = 1;
    w->err = 0;
    if (initial_cap > 0) {
        w->data = malloc(initial_cap);
        if (w->data == NULL)
            w->err = KAFC_ERR__NO_MEMORY;
        else
            w->cap = initial_cap;
    }
}

void kafc__wbuf_init_fixed(kafc__wbuf_t *w, void *mem, size_t cap)
{
    w->data = mem;
    w->len = 0;
    w->cap = mem != NULL ? cap : 0;
    w->growable = 0;
    w->err = 0;
}

void kafc__wbuf_free(kafc__wbuf_t *w)
{
    if (w->growable)
        free(w->data);
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
}

void kafc__wbuf_reset(kafc__wbuf_t *w)
{
    w->len = 0;
    w->err = 0;
}

uint8_t *kafc__wbuf_detach(kafc__wbuf_t *w, size_t *lenp)
{
    uint8_t *p;

    if (lenp != NULL)
        *lenp = 0;
    if (w->err != 0)
        return NULL;
    if (w->growable && w->data == NULL) {
        /* Nothing written yet: still hand back a buffer, so NULL always
         * means failure. */
        w->data = malloc(1);
        if (w->data == NULL) {
            w->err = KAFC_ERR__NO_MEMORY;
            return NULL;
        }
        w->cap = 1;
    }
    p = w->data;
    if (lenp != NULL)
        *lenp = w->len;
    if (w->growable) {
        w->data = NULL;
        w->cap = 0;
    }
    w->len = 0;
    return p;
}

int kafc__wbuf_grow(kafc__wbuf_t *w, size_t n)
{
    size_t need, ncap;
    uint8_t *p;

    if (w->err != 0)
        return -1;
    if (w->cap - w->len >= n)
        return 0;
    if (!w->growable) {
        w->err = KAFC_ERR__BUF_OVERFLOW;
        return -1;
    }
    if (n > SIZE_MAX - w->len) {
        w->err = KAFC_ERR__NO_MEMORY;
        return -1;
    }
    need = w->len + n;
    ncap = w->cap > MIN_CAP ? w->cap : MIN_CAP;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    p = realloc(w->data, ncap);
    if (p == NULL) {
        w->err = KAFC_ERR__NO_MEMORY;
        return -1;
    }
    w->data = p;
    w->cap = ncap;
    return 0;
}

/* The length of string s for the put_*string functions, or -1 after
 * recording INVALID_ARG when it is too long for the wire. */
static int32_t string_len(kafc__wbuf_t *w, const char *s, int32_t len)
{
    size_t n = len < 0 ? strlen(s) : (size_t)len;
    if (n > MAX_STRING_LEN) {
        wfail(w, KAFC_ERR__INVALID_ARG);
        return -1;
    }
    return (int32_t)n;
}

void kafc__wbuf_put_string(kafc__wbuf_t *w, const char *s, int32_t len)
{
    int32_t n;
    if (s == NULL) {
        kafc__wbuf_put_i16(w, -1);
        return;
    }
    n = string_len(w, s, len);
    if (n < 0)
        return;
    kafc__wbuf_put_i16(w, (int16_t)n);
    kafc__wbuf_put_raw(w, s, (size_t)n);
}

void kafc__wbuf_put_compact_string(kafc__wbuf_t *w, const char *s, int32_t len)
{
    int32_t n;
    if (s == NULL) {
        kafc__wbuf_put_uvarint(w, 0);
        return;
    }
    n = string_len(w, s, len);
    if (n < 0)
        return;
    kafc__wbuf_put_uvarint(w, (uint32_t)n + 1);
    kafc__wbuf_put_raw(w, s, (size_t)n);
}

void kafc__wbuf_put_bytes(kafc__wbuf_t *w, const void *p, int32_t len)
{
    if (p == NULL) {
        kafc__wbuf_put_i32(w, -1);
        return;
    }
    if (len < 0) {
        wfail(w, KAFC_ERR__INVALID_ARG);
        return;
    }
    kafc__wbuf_put_i32(w, len);
    kafc__wbuf_put_raw(w, p, (size_t)len);
}

void kafc__wbuf_put_compact_bytes(kafc__wbuf_t *w, const void *p, int32_t len)
{
    if (p == NULL) {
        kafc__wbuf_put_uvarint(w, 0);
        return;
    }
    if (len < 0) {
        wfail(w, KAFC_ERR__INVALID_ARG);
        return;
    }
    kafc__wbuf_put_uvarint(w, (uint32_t)len + 1);
    kafc__wbuf_put_raw(w, p, (size_t)len);
}

size_t kafc__wbuf_reserve(kafc__wbuf_t *w, size_t n)
{
    uint8_t *p;
    if (w->err != 0)
        return SIZE_MAX;
    if (n == 0)
        return w->len;
    p = kafc__wbuf_room(w, n);
    if (p == NULL)
        return SIZE_MAX;
    memset(p, 0, n);
    return (size_t)(p - w->data);
}

void kafc__wbuf_patch_u32(kafc__wbuf_t *w, size_t off, uint32_t v)
{
    if (w->err != 0)
        return;
    if (off > w->len || w->len - off < 4) {
        w->err = KAFC_ERR__INVALID_ARG;
        return;
    }
    v = kafc__buf_be32(v);
    memcpy(w->data + off, &v, 4);
}

void kafc__wbuf_patch_i32(kafc__wbuf_t *w, size_t off, int32_t v)
{
    kafc__wbuf_patch_u32(w, off, (uint32_t)v);
}

/* ---- reader ------------------------------------------------------------- */

uint32_t kafc__rbuf_uvarint_slow(kafc__rbuf_t *r)
{
    uint32_t v = 0;
    size_t pos;
    unsigned shift;

    if (r->err != 0)
        return 0;
    pos = r->pos;
    for (shift = 0; shift <= 28; shift += 7) {
        uint8_t b;
        if (pos >= r->len) {
            r->err = KAFC_ERR__BUF_UNDERFLOW;
            return 0;
        }
        b = r->data[pos++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            r->pos = pos;
            return v;
        }
    }
    r->err = KAFC_ERR__BAD_MSG;
    return 0;
}

uint64_t kafc__rbuf_uvarlong_slow(kafc__rbuf_t *r)
{
    uint64_t v = 0;
    size_t pos;
    unsigned shift;

    if (r->err != 0)
        return 0;
    pos = r->pos;
    for (shift = 0; shift <= 63; shift += 7) {
        uint8_t b;
        if (pos >= r->len) {
            r->err = KAFC_ERR__BUF_UNDERFLOW;
            return 0;
        }
        b = r->data[pos++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            r->pos = pos;
            return v;
        }
    }
    r->err = KAFC_ERR__BAD_MSG;
    return 0;
}

/* Fills *out with the next n bytes (n -1: null), checking n from the wire. */
static void take(kafc__rbuf_t *r, kafc__slice_t *out, int64_t n)
{
    const uint8_t *p;

    out->ptr = NULL;
    out->len = -1;
    if (r->err != 0 || n == -1)
        return;
    if (n < -1 || n > INT32_MAX) {
        r->err = KAFC_ERR__BAD_MSG;
        return;
    }
    p = kafc__rbuf_get_raw(r, (size_t)n);
    if (p == NULL)
        return;
    out->ptr = p;
    out->len = (int32_t)n;
}

void kafc__rbuf_get_string(kafc__rbuf_t *r, kafc__slice_t *out)
{
    take(r, out, kafc__rbuf_get_i16(r));
}

void kafc__rbuf_get_compact_string(kafc__rbuf_t *r, kafc__slice_t *out)
{
    uint32_t u = kafc__rbuf_get_uvarint(r);
    if (r->err == 0 && u > MAX_STRING_LEN + 1)
        r->err = KAFC_ERR__BAD_MSG;
    take(r, out, (int64_t)u - 1);
}

void kafc__rbuf_get_bytes(kafc__rbuf_t *r, kafc__slice_t *out)
{
    take(r, out, kafc__rbuf_get_i32(r));
}

void kafc__rbuf_get_compact_bytes(kafc__rbuf_t *r, kafc__slice_t *out)
{
    uint32_t u = kafc__rbuf_get_uvarint(r);
    take(r, out, (int64_t)u - 1);
}

/* Checks an array count n from the wire against the bytes left. */
static int32_t check_count(kafc__rbuf_t *r, int64_t n, size_t min_elem_size)
{
    if (r->err != 0)
        return 0;
    if (n == -1)
        return -1;
    if (n < -1 || n > INT32_MAX) {
        r->err = KAFC_ERR__BAD_MSG;
        return 0;
    }
    if (min_elem_size == 0)
        min_elem_size = 1;
    if ((uint64_t)n > kafc__rbuf_remaining(r) / min_elem_size) {
        r->err = KAFC_ERR__BAD_MSG;
        return 0;
    }
    return (int32_t)n;
}

int32_t kafc__rbuf_get_array_len(kafc__rbuf_t *r, size_t min_elem_size)
{
    return check_count(r, kafc__rbuf_get_i32(r), min_elem_size);
}

int32_t kafc__rbuf_get_compact_array_len(kafc__rbuf_t *r, size_t min_elem_size)
{
    uint32_t u = kafc__rbuf_get_uvarint(r);
    return check_count(r, (int64_t)u - 1, min_elem_size);
}
