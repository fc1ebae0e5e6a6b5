/*
 * message — see message.h. Header lists and the public message accessors.
 */
#include "message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What kafc_message_headers() returns for a message without headers. */
static const kafc_headers_t empty_headers;

/* ---- headers ------------------------------------------------------------ */

KAFC_EXTERN kafc_headers_t *kafc_headers_new(void)
{
    return calloc(1, sizeof(kafc_headers_t));
}

KAFC_EXTERN void kafc_headers_destroy(kafc_headers_t *hdrs)
{
    if (!hdrs)
        return;
    free(hdrs->buf);
    free(hdrs->idx);
    free(hdrs);
}

/* Makes room for need more bytes in the buffer and one more index entry.
 * Nothing changes on failure. */
static kafc_err_t reserve(kafc_headers_t *hdrs, size_t need)
{
    if (need > SIZE_MAX - hdrs->len)
        return KAFC_ERR__NO_MEMORY;
    if (hdrs->len + need > hdrs->cap) {
        size_t cap = hdrs->cap ? hdrs->cap : 64;
        while (cap < hdrs->len + need)
            cap = cap > SIZE_MAX / 2 ? hdrs->len + need : cap * 2;
        char *buf = realloc(hdrs->buf, cap);
        if (!buf)
            return KAFC_ERR__NO_MEMORY;
        hdrs->buf = buf;
        hdrs->cap = cap;
    }
    if (hdrs->count == hdrs->idx_cap) {
        size_t cap = hdrs->idx_cap ? hdrs->idx_cap * 2 : 4;
        if (cap > SIZE_MAX / sizeof(kafc__hdr_t))
            return KAFC_ERR__NO_MEMORY;
        kafc__hdr_t *idx = realloc(hdrs->idx, cap * sizeof(kafc__hdr_t));
        if (!idx)
            return KAFC_ERR__NO_MEMORY;
        hdrs->idx = idx;
        hdrs->idx_cap = cap;
    }
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__headers_add_n(kafc_headers_t *hdrs, const char *name, int32_t name_len,
                               const void *value, int32_t value_len)
{
    if (!hdrs || name_len < 0 || (!name && name_len > 0) || value_len < -1 ||
        (!value && value_len > 0))
        return KAFC_ERR__INVALID_ARG;
    size_t vlen = value_len < 0 ? 0 : (size_t)value_len;
    kafc_err_t err = reserve(hdrs, (size_t)name_len + 1 + vlen);
    if (err)
        return err;
    kafc__hdr_t *h = &hdrs->idx[hdrs->count];
    h->name_off = hdrs->len;
    h->name_len = name_len;
    if (name_len > 0)
        memcpy(hdrs->buf + hdrs->len, name, (size_t)name_len);
    hdrs->buf[hdrs->len + (size_t)name_len] = '\0';
    hdrs->len += (size_t)name_len + 1;
    h->value_off = hdrs->len;
    h->value_len = value_len;
    if (vlen > 0)
        memcpy(hdrs->buf + hdrs->len, value, vlen);
    hdrs->len += vlen;
    hdrs->count++;
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_headers_add(kafc_headers_t *hdrs, const char *name, const void *value,
                                        size_t value_len)
{
    if (!hdrs || !name || !*name || (!value && value_len > 0))
        return KAFC_ERR__INVALID_ARG;
    size_t name_len = strlen(name);
    /* Record headers carry int32 lengths on the wire. */
    if (name_len > INT32_MAX || value_len > INT32_MAX)
        return KAFC_ERR__INVALID_ARG;
    return kafc__headers_add_n(hdrs, name, (int32_t)name_len, value,
                               value ? (int32_t)value_len : -1);
}

KAFC_EXTERN size_t kafc_headers_count(const kafc_headers_t *hdrs)
{
    return hdrs ? hdrs->count : 0;
}

kafc_err_t kafc__headers_at(const kafc_headers_t *hdrs, size_t i, const char **namep,
                            int32_t *name_lenp, const void **valuep, int32_t *value_lenp)
{
    if (!hdrs || i >= hdrs->count)
        return KAFC_ERR__INVALID_ARG;
    const kafc__hdr_t *h = &hdrs->idx[i];
    if (namep)
        *namep = hdrs->buf + h->name_off;
    if (name_lenp)
        *name_lenp = h->name_len;
    if (valuep)
        *valuep = h->value_len < 0 ? NULL : hdrs->buf + h->value_off;
    if (value_lenp)
        *value_lenp = h->value_len;
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_headers_get(const kafc_headers_t *hdrs, size_t i, const char **namep,
                                        const void **valuep, size_t *value_lenp)
{
    int32_t vlen;
    kafc_err_t err = kafc__headers_at(hdrs, i, namep, NULL, valuep, &vlen);
    if (err)
        return err;
    if (value_lenp)
        *value_lenp = vlen < 0 ? 0 : (size_t)vlen;
    return KAFC_ERR_NONE;
}

/* ---- messages ----------------------------------------------------------- */

void kafc__message_init(kafc_message_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    msg->partition = -1;
    msg->offset = -1;
    msg->timestamp = -1;
    msg->tstype = KAFC_TIMESTAMP_NOT_AVAILABLE;
    msg->key_len = -1;
    msg->value_len = -1;
    msg->err = KAFC_ERR_NONE;
    msg->status = KAFC_NOT_PERSISTED;
}

KAFC_EXTERN const char *kafc_message_topic(const kafc_message_t *msg)
{
    return msg ? msg->topic : NULL;
}

KAFC_EXTERN int32_t kafc_message_partition(const kafc_message_t *msg)
{
    return msg ? msg->partition : -1;
}

KAFC_EXTERN int64_t kafc_message_offset(const kafc_message_t *msg)
{
    return msg ? msg->offset : -1;
}

KAFC_EXTERN int64_t kafc_message_timestamp(const kafc_message_t *msg, kafc_timestamp_type_t *typep)
{
    if (!msg) {
        if (typep)
            *typep = KAFC_TIMESTAMP_NOT_AVAILABLE;
        return -1;
    }
    if (typep)
        *typep = msg->tstype;
    return msg->timestamp;
}

/* A non-NULL pointer for an empty (not null) key or value filled in with a
 * NULL pointer, so the caller can tell empty from null. */
static const void *bytes_or_null(const void *ptr, int32_t len, size_t *lenp)
{
    if (len < 0) {
        if (lenp)
            *lenp = 0;
        return NULL;
    }
    if (lenp)
        *lenp = (size_t)len;
    return ptr ? ptr : (const void *)"";
}

KAFC_EXTERN const void *kafc_message_key(const kafc_message_t *msg, size_t *lenp)
{
    return bytes_or_null(msg ? msg->key : NULL, msg ? msg->key_len : -1, lenp);
}

KAFC_EXTERN const void *kafc_message_value(const kafc_message_t *msg, size_t *lenp)
{
    return bytes_or_null(msg ? msg->value : NULL, msg ? msg->value_len : -1, lenp);
}

KAFC_EXTERN const kafc_headers_t *kafc_message_headers(const kafc_message_t *msg)
{
    return msg && msg->headers ? msg->headers : &empty_headers;
}

KAFC_EXTERN kafc_err_t kafc_message_err(const kafc_message_t *msg)
{
    return msg ? msg->err : KAFC_ERR__INVALID_ARG;
}

KAFC_EXTERN kafc_persisted_t kafc_message_persisted(const kafc_message_t *msg)
{
    return msg ? msg->status : KAFC_NOT_PERSISTED;
}

KAFC_EXTERN void *kafc_message_opaque(const kafc_message_t *msg)
{
    return msg ? msg->opaque : NULL;
}
