/*
 * serde — Java's Kafka serializers and deserializers for fixed-size values,
 * byte for byte (org.apache.kafka.common.serialization): big-endian
 * ShortSerializer, IntegerSerializer, LongSerializer; FloatSerializer writes
 * Float.floatToRawIntBits (NaN payloads kept), DoubleSerializer writes
 * Double.doubleToLongBits, which folds every NaN into the canonical
 * 0x7ff8000000000000; UUIDSerializer writes UUID.toString().
 *
 * Pure functions over caller memory: any thread, no lock, no state. The
 * declarations and docs are in include/kafc/producer.h.
 */
#include <math.h>
#include <string.h>

#include "kafc/kafc.h"

static void put_be(uint64_t v, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | in[i];
    return v;
}

KAFC_EXTERN size_t kafc_serialize_int16(int16_t v, uint8_t out[2])
{
    put_be((uint16_t)v, out, 2);
    return 2;
}

KAFC_EXTERN size_t kafc_serialize_int32(int32_t v, uint8_t out[4])
{
    put_be((uint32_t)v, out, 4);
    return 4;
}

KAFC_EXTERN size_t kafc_serialize_int64(int64_t v, uint8_t out[8])
{
    put_be((uint64_t)v, out, 8);
    return 8;
}

KAFC_EXTERN size_t kafc_serialize_float(float v, uint8_t out[4])
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof(bits)); /* floatToRawIntBits */
    put_be(bits, out, 4);
    return 4;
}

KAFC_EXTERN size_t kafc_serialize_double(double v, uint8_t out[8])
{
    uint64_t bits;
    if (isnan(v))
        bits = UINT64_C(0x7ff8000000000000); /* doubleToLongBits */
    else
        memcpy(&bits, &v, sizeof(bits));
    put_be(bits, out, 8);
    return 8;
}

/* Where UUID.toString() puts its dashes. */
static int is_dash_pos(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

KAFC_EXTERN size_t kafc_serialize_uuid(const uint8_t uuid[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (is_dash_pos(o))
            out[o++] = '-';
        out[o++] = hex[uuid[i] >> 4];
        out[o++] = hex[uuid[i] & 0xf];
    }
    out[o] = '\0';
    return 36;
}

/* Reads a fixed-size big-endian value of exactly n bytes. */
static kafc_err_t get_fixed(const void *in, size_t len, size_t n, const void *v, uint64_t *bits)
{
    if (!in || !v || len != n)
        return KAFC_ERR__INVALID_ARG;
    *bits = get_be(in, n);
    return KAFC_ERR_NONE;
}

KAFC_EXTERN kafc_err_t kafc_deserialize_int16(const void *in, size_t len, int16_t *v)
{
    uint64_t bits;
    kafc_err_t err = get_fixed(in, len, 2, v, &bits);
    if (!err)
        *v = (int16_t)(uint16_t)bits;
    return err;
}

KAFC_EXTERN kafc_err_t kafc_deserialize_int32(const void *in, size_t len, int32_t *v)
{
    uint64_t bits;
    kafc_err_t err = get_fixed(in, len, 4, v, &bits);
    if (!err)
        *v = (int32_t)(uint32_t)bits;
    return err;
}

KAFC_EXTERN kafc_err_t kafc_deserialize_int64(const void *in, size_t len, int64_t *v)
{
    uint64_t bits;
    kafc_err_t err = get_fixed(in, len, 8, v, &bits);
    if (!err)
        *v = (int64_t)bits;
    return err;
}

KAFC_EXTERN kafc_err_t kafc_deserialize_float(const void *in, size_t len, float *v)
{
    uint64_t bits;
    kafc_err_t err = get_fixed(in, len, 4, v, &bits);
    if (!err) {
        uint32_t b32 = (uint32_t)bits;
        memcpy(v, &b32, sizeof(*v)); /* Float.intBitsToFloat */
    }
    return err;
}

KAFC_EXTERN kafc_err_t kafc_deserialize_double(const void *in, size_t len, double *v)
{
    uint64_t bits;
    kafc_err_t err = get_fixed(in, len, 8, v, &bits);
    if (!err)
        memcpy(v, &bits, sizeof(*v)); /* Double.longBitsToDouble */
    return err;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The canonical 8-4-4-4-12 form only, hex digits in either case, as
 * UUIDDeserializer hands it to UUID.fromString. (fromString also takes some
 * shortened forms; kafc does not.) */
KAFC_EXTERN kafc_err_t kafc_deserialize_uuid(const void *in, size_t len, uint8_t uuid[16])
{
    if (!in || !uuid || len != 36)
        return KAFC_ERR__INVALID_ARG;
    const unsigned char *s = in;
    uint8_t tmp[16];
    size_t o = 0;
    for (size_t i = 0; i < 36;) {
        if (is_dash_pos(i)) {
            if (s[i] != '-')
                return KAFC_ERR__INVALID_ARG;
            i++;
            continue;
        }
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return KAFC_ERR__INVALID_ARG;
        tmp[o++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    memcpy(uuid, tmp, sizeof(tmp));
    return KAFC_ERR_NONE;
}
