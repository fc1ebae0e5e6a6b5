/*
 * codec — helpers behind the generated protocol codecs; see codec.h.
 */
#include "proto/codec.h"

void kafc__proto_wfail(kafc__wbuf_t *w, kafc_err_t err)
{
    if (w->err == 0)
        w->err = err;
}

/* The pointer to hand to the buf writers: NULL only for null. */
static const char *slice_ptr(kafc__wbuf_t *w, kafc__slice_t s, int nullable)
{
    if (s.len < 0) {
        if (!nullable)
            kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
        return NULL;
    }
    if (s.ptr == NULL) {
        if (s.len > 0)
            kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
        return "";
    }
    return (const char *)s.ptr;
}

void kafc__proto_put_string(kafc__wbuf_t *w, kafc__slice_t s, int flex, int nullable)
{
    const char *p = slice_ptr(w, s, nullable);

    if (w->err != 0)
        return;
    if (flex)
        kafc__wbuf_put_compact_string(w, p, p != NULL ? s.len : -1);
    else
        kafc__wbuf_put_string(w, p, p != NULL ? s.len : -1);
}

void kafc__proto_put_bytes(kafc__wbuf_t *w, kafc__slice_t s, int flex, int nullable)
{
    const char *p = slice_ptr(w, s, nullable);

    if (w->err != 0)
        return;
    if (flex)
        kafc__wbuf_put_compact_bytes(w, p, p != NULL ? s.len : -1);
    else
        kafc__wbuf_put_bytes(w, p, p != NULL ? s.len : -1);
}

void kafc__proto_get_string(kafc__rbuf_t *r, kafc__slice_t *out, int flex, int nullable)
{
    if (flex)
        kafc__rbuf_get_compact_string(r, out);
    else
        kafc__rbuf_get_string(r, out);
    if (out->len < 0 && !nullable)
        kafc__rbuf_fail(r, KAFC_ERR__BAD_MSG);
}

void kafc__proto_get_bytes(kafc__rbuf_t *r, kafc__slice_t *out, int flex, int nullable)
{
    if (flex)
        kafc__rbuf_get_compact_bytes(r, out);
    else
        kafc__rbuf_get_bytes(r, out);
    if (out->len < 0 && !nullable)
        kafc__rbuf_fail(r, KAFC_ERR__BAD_MSG);
}

/* ---- arrays ------------------------------------------------------------- */

int32_t kafc__proto_put_array_len(kafc__wbuf_t *w, int32_t count, const void *items, int flex,
                                  int nullable)
{
    if (count < 0) {
        if (!nullable) {
            kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
            return 0;
        }
        count = -1;
    } else if (count > 0 && items == NULL) {
        kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
        return 0;
    }
    if (flex)
        kafc__wbuf_put_compact_array_len(w, count);
    else
        kafc__wbuf_put_array_len(w, count);
    return w->err == 0 && count > 0 ? count : 0;
}

void *kafc__proto_get_array(kafc__rbuf_t *r, kafc__arena_t *a, int flex, int nullable,
                            size_t min_elem, size_t elem_size, int32_t *countp)
{
    int32_t n;
    void *p;

    n = flex ? kafc__rbuf_get_compact_array_len(r, min_elem)
             : kafc__rbuf_get_array_len(r, min_elem);
    *countp = 0;
    if (r->err != 0)
        return NULL;
    if (n < 0) {
        if (!nullable)
            kafc__rbuf_fail(r, KAFC_ERR__BAD_MSG);
        else
            *countp = -1;
        return NULL;
    }
    if (n == 0)
        return NULL;
    /* n fits the remaining bytes; the product can only overflow where
     * size_t is 32 bits. */
    if ((size_t)n > SIZE_MAX / elem_size) {
        kafc__rbuf_fail(r, KAFC_ERR__NO_MEMORY);
        return NULL;
    }
    p = kafc__arena_alloc(a, (size_t)n * elem_size);
    if (p == NULL) {
        kafc__rbuf_fail(r, KAFC_ERR__NO_MEMORY);
        return NULL;
    }
    *countp = n;
    return p;
}

void kafc__proto_put_int8_array(kafc__wbuf_t *w, const kafc__int8_array_t *arr, int flex,
                                int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n; i++)
        kafc__wbuf_put_i8(w, arr->items[i]);
}

void kafc__proto_put_int16_array(kafc__wbuf_t *w, const kafc__int16_array_t *arr, int flex,
                                 int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n; i++)
        kafc__wbuf_put_i16(w, arr->items[i]);
}

void kafc__proto_put_int32_array(kafc__wbuf_t *w, const kafc__int32_array_t *arr, int flex,
                                 int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n; i++)
        kafc__wbuf_put_i32(w, arr->items[i]);
}

void kafc__proto_put_int64_array(kafc__wbuf_t *w, const kafc__int64_array_t *arr, int flex,
                                 int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n; i++)
        kafc__wbuf_put_i64(w, arr->items[i]);
}

void kafc__proto_put_uuid_array(kafc__wbuf_t *w, const kafc__uuid_array_t *arr, int flex,
                                int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n; i++)
        kafc__wbuf_put_uuid(w, arr->items[i]);
}

void kafc__proto_put_string_array(kafc__wbuf_t *w, const kafc__string_array_t *arr, int flex,
                                  int nullable)
{
    int32_t i, n = kafc__proto_put_array_len(w, arr->count, arr->items, flex, nullable);

    for (i = 0; i < n && w->err == 0; i++)
        kafc__proto_put_string(w, arr->items[i], flex, 0);
}

void kafc__proto_get_int8_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int8_array_t *out,
                                int flex, int nullable)
{
    int32_t i;

    out->items = kafc__proto_get_array(r, a, flex, nullable, 1, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        out->items[i] = kafc__rbuf_get_i8(r);
}

void kafc__proto_get_int16_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int16_array_t *out,
                                 int flex, int nullable)
{
    int32_t i;

    out->items = kafc__proto_get_array(r, a, flex, nullable, 2, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        out->items[i] = kafc__rbuf_get_i16(r);
}

void kafc__proto_get_int32_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int32_array_t *out,
                                 int flex, int nullable)
{
    int32_t i;

    out->items = kafc__proto_get_array(r, a, flex, nullable, 4, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        out->items[i] = kafc__rbuf_get_i32(r);
}

void kafc__proto_get_int64_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__int64_array_t *out,
                                 int flex, int nullable)
{
    int32_t i;

    out->items = kafc__proto_get_array(r, a, flex, nullable, 8, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        out->items[i] = kafc__rbuf_get_i64(r);
}

void kafc__proto_get_uuid_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__uuid_array_t *out,
                                int flex, int nullable)
{
    int32_t i;

    out->items = kafc__proto_get_array(r, a, flex, nullable, 16, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        kafc__rbuf_get_uuid(r, out->items[i]);
}

void kafc__proto_get_string_array(kafc__rbuf_t *r, kafc__arena_t *a, kafc__string_array_t *out,
                                  int flex, int nullable)
{
    int32_t i;

    out->items =
        kafc__proto_get_array(r, a, flex, nullable, flex ? 1 : 2, sizeof(*out->items), &out->count);
    for (i = 0; i < out->count; i++)
        kafc__proto_get_string(r, &out->items[i], flex, 0);
}

/* ---- nullable structs ---------------------------------------------------- */

int kafc__proto_put_struct_marker(kafc__wbuf_t *w, int present, int nullable)
{
    if (nullable) {
        kafc__wbuf_put_i8(w, present ? 1 : -1);
        return present;
    }
    if (!present) {
        kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
        return 0;
    }
    return 1;
}

int kafc__proto_get_struct_marker(kafc__rbuf_t *r, int nullable)
{
    if (!nullable)
        return 1;
    /* Any negative marker is null, as Kafka's readers have it. */
    return kafc__rbuf_get_i8(r) >= 0;
}

/* ---- tagged fields ------------------------------------------------------- */

void kafc__proto_skip_tags(kafc__rbuf_t *r)
{
    uint32_t n = kafc__rbuf_get_uvarint(r), i;

    /* Each tag takes at least two bytes or fails, so a hostile count ends
     * the loop as soon as the bytes run out. */
    for (i = 0; i < n && r->err == 0; i++) {
        (void)kafc__rbuf_get_uvarint(r);
        kafc__rbuf_skip(r, kafc__rbuf_get_uvarint(r));
    }
}

uint32_t kafc__proto_get_tag(kafc__rbuf_t *r, kafc__rbuf_t *sub)
{
    uint32_t tag = kafc__rbuf_get_uvarint(r);
    uint32_t size = kafc__rbuf_get_uvarint(r);
    const uint8_t *p = kafc__rbuf_get_raw(r, size);

    kafc__rbuf_init(sub, p, size);
    if (r->err != 0) {
        sub->err = r->err;
        return UINT32_MAX;
    }
    return tag;
}

void kafc__proto_tag_done(kafc__rbuf_t *r, const kafc__rbuf_t *sub)
{
    if (sub->err != 0)
        kafc__rbuf_fail(r, sub->err);
    else if (sub->pos != sub->len)
        kafc__rbuf_fail(r, KAFC_ERR__BAD_MSG);
}

size_t kafc__proto_tag_begin(kafc__wbuf_t *w, uint32_t tag)
{
    kafc__wbuf_put_uvarint(w, tag);
    return kafc__wbuf_reserve(w, 1);
}

void kafc__proto_tag_end(kafc__wbuf_t *w, size_t mark)
{
    size_t n, k;
    uint32_t v;
    uint8_t *p;

    if (w->err != 0 || mark == SIZE_MAX)
        return;
    n = w->len - mark - 1;
    if (n > INT32_MAX) {
        kafc__proto_wfail(w, KAFC_ERR__INVALID_ARG);
        return;
    }
    v = (uint32_t)n;
    k = kafc__uvarint_size(v);
    if (k > 1) {
        /* The size needs more than the one byte reserved: slide the data. */
        if (kafc__wbuf_room(w, k - 1) == NULL)
            return;
        memmove(w->data + mark + k, w->data + mark + 1, n);
    }
    p = w->data + mark;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}
