/*
 * fuzz_proto_response — libFuzzer target for every generated decoder of
 * broker input: each API's response, the response header, and the consumer
 * protocol Subscription/Assignment (which other group members send through
 * the broker).
 *
 * Input: a 2-byte big-endian api key, a 2-byte version, then the message
 * body. A key kafc has no codec for picks one of the decoders above by its
 * value, and a version outside the codec's range is folded into it, so every
 * input exercises a decoder. When decoding succeeds the message must
 * re-encode, and the re-encoding must decode and encode to the same bytes
 * again; any failure there aborts (a finding).
 *
 * Build: cmake -DKAFC_BUILD_FUZZERS=ON -DCMAKE_C_COMPILER=clang (tests/fuzz/).
 * Seeds: tests/fuzz/corpus/proto_response (valid encodings from the
 * round-trip test's filler, written with KAFC_PROTO_CORPUS_DIR set).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decoders of broker input, for api keys kafc has no codec for. */
static const kafc__proto_codec_t *pick(int16_t api_key)
{
    static const kafc__proto_codec_t *list[KAFC__PROTO_CODEC_COUNT];
    static size_t n;
    const kafc__proto_codec_t *c = kafc__proto_response_codec(api_key);
    size_t i;

    if (c != NULL)
        return c;
    if (n == 0) {
        for (i = 0; i < KAFC__PROTO_CODEC_COUNT; i++) {
            const kafc__proto_codec_t *k = kafc__proto_codecs[i];

            if (k->is_response || strncmp(k->name, "ConsumerProtocol", 16) == 0)
                list[n++] = k;
        }
    }
    return list[(uint16_t)api_key % n];
}

static void fail(const kafc__proto_codec_t *c, int16_t v, const char *what, kafc_err_t err)
{
    fprintf(stderr, "fuzz_proto_response: %s v%d: %s (err %d)\n", c->name, v, what, (int)err);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const kafc__proto_codec_t *c;
    kafc__arena_t a1, a2;
    kafc__rbuf_t r;
    kafc__wbuf_t w1, w2;
    void *m1, *m2;
    int16_t v, span;
    kafc_err_t err;

    if (size < 4)
        return 0;
    c = pick((int16_t)((data[0] << 8) | data[1]));
    v = (int16_t)((data[2] << 8) | data[3]);
    span = (int16_t)(c->max_version - c->min_version + 1);
    if (v < c->min_version || v > c->max_version)
        v = (int16_t)(c->min_version + (uint16_t)v % (uint16_t)span);

    kafc__arena_init(&a1);
    kafc__arena_init(&a2);
    kafc__wbuf_init(&w1, 0);
    kafc__wbuf_init(&w2, 0);
    m1 = kafc__arena_alloc(&a1, c->size);
    m2 = kafc__arena_alloc(&a2, c->size);
    if (m1 == NULL || m2 == NULL)
        abort();

    kafc__rbuf_init(&r, data + 4, size - 4);
    if (c->decode(m1, v, &r, &a1) != KAFC_ERR_NONE)
        goto out;

    err = c->encode(m1, v, &w1);
    if (err != KAFC_ERR_NONE)
        fail(c, v, "decoded message does not re-encode", err);
    kafc__rbuf_init(&r, w1.data, w1.len);
    err = c->decode(m2, v, &r, &a2);
    if (err != KAFC_ERR_NONE)
        fail(c, v, "re-encoding does not decode", err);
    if (kafc__rbuf_remaining(&r) != 0)
        fail(c, v, "re-encoding not consumed exactly", 0);
    err = c->encode(m2, v, &w2);
    if (err != KAFC_ERR_NONE)
        fail(c, v, "second re-encode failed", err);
    if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len) != 0)
        fail(c, v, "encode(decode(x)) is not stable", 0);
out:
    kafc__wbuf_free(&w2);
    kafc__wbuf_free(&w1);
    kafc__arena_destroy(&a2);
    kafc__arena_destroy(&a1);
    return 0;
}
