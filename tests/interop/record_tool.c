/*
 * record_tool — kafc's record batch code driven from the command line, for
 * the interop tests against kafka-python (test_record_interop.py).
 *
 *   record_tool build  < spec  > batches.bin
 *   record_tool decode < batches.bin  > batches.json
 *
 * build reads a line-based spec and writes the batches kafc builds for it,
 * one after the other. Bytes are written "x" + hex ("x" alone is empty), or
 * "-" for null:
 *   batch [codec=none|gzip|snappy|lz4|zstd] [level=N] [pid=N] [epoch=N]
 *         [seq=N] [transactional=0|1] [control=0|1] [base_ts=N]
 *         [base_offset=N] [patch=PID,EPOCH,SEQ] [cap=BYTES]
 *   record TIMESTAMP KEY VALUE [HKEY:HVALUE ...]
 *   control TIMESTAMP abort|commit COORDINATOR_EPOCH
 * A batch is closed (compressed when codec is not none) at the next "batch"
 * line or at the end. patch= calls kafc__batch_set_producer on the closed
 * batch; base_offset= overwrites baseOffset (outside the CRC) as a broker
 * would. A record that does not fit the batch (cap=, default 1 MiB) is an
 * error (exit 3).
 *
 * decode reads a Fetch-style records range (v2 batches and legacy message
 * sets), with CRC checks, and prints JSON: {"batches": [...], "error":
 * kafc_err_t, "partial": bool}; keys, values and header keys/values are hex
 * strings (or null).
 *
 * Exit status: 0 on success (decode: also when the input had an error, which
 * is in the JSON), 2 for a bad spec or usage, 3 for a kafc error in build.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/batch.h"
#include "record/codec.h"
#include "record/reader.h"

#define MAX_HEADERS 64
#define MAX_DECOMPRESSED (64u << 20)

static void die(int code, const char *msg, const char *arg)
{
    fprintf(stderr, "record_tool: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(code);
}

static uint8_t *read_all(FILE *f, size_t *lenp)
{
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);

    if (buf == NULL)
        die(2, "out of memory", NULL);
    for (;;) {
        size_t n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                die(2, "out of memory", NULL);
        }
        n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    *lenp = len;
    return buf;
}

/* ---- build ----------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes "-" (null: *len -1) or "x<hex>" in place; returns the bytes. */
static uint8_t *unhex(char *tok, int32_t *len)
{
    size_t n;
    uint8_t *out = (uint8_t *)tok;

    if (strcmp(tok, "-") == 0) {
        *len = -1;
        return NULL;
    }
    if (tok[0] != 'x')
        die(2, "bytes must be - or x<hex>", tok);
    n = strlen(tok + 1);
    if (n % 2 != 0)
        die(2, "odd hex length", tok);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(tok[1 + 2 * i]), lo = hexval(tok[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            die(2, "bad hex", tok);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = (int32_t)(n / 2);
    return out;
}

typedef struct build {
    kafc__batch_builder_t b;
    uint8_t *buf;
    size_t cap;
    int open;
    kafc__codec_t codec;
    int level;
    int patch;
    int64_t patch_pid, base_offset;
    int16_t patch_epoch;
    int32_t patch_seq;
    kafc__codec_ctx_t *ctx;
} build_t;

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void close_batch(build_t *st)
{
    uint8_t *out;
    size_t len;
    kafc_err_t err;

    if (!st->open)
        return;
    st->open = 0;
    if (st->codec == KAFC__CODEC_NONE) {
        out = st->buf;
        len = kafc__batch_close(&st->b);
    } else {
        size_t bound = kafc__batch_compressed_bound(&st->b, st->codec);
        if (bound == SIZE_MAX)
            die(3, "codec not available", kafc__codec_name(st->codec));
        out = malloc(bound);
        if (out == NULL)
            die(3, "out of memory", NULL);
        err = kafc__batch_close_compressed(&st->b, st->ctx, st->codec, st->level, out, bound, &len);
        if (err != KAFC_ERR_NONE)
            die(3, "compression failed", kafc_err_name(err));
    }
    if (st->patch) {
        err = kafc__batch_set_producer(out, len, st->patch_pid, st->patch_epoch, st->patch_seq);
        if (err != KAFC_ERR_NONE)
            die(3, "set_producer failed", kafc_err_name(err));
    }
    put_be64(out, (uint64_t)st->base_offset);
    if (fwrite(out, 1, len, stdout) != len)
        die(3, "write failed", NULL);
    if (out != st->buf)
        free(out);
}

static int64_t num(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0')
        die(2, "not a number", s);
    return (int64_t)v;
}

static void open_batch(build_t *st, char *args)
{
    kafc__batch_opts_t o;
    kafc_err_t err;
    char *tok;

    close_batch(st);
    kafc__batch_opts_default(&o);
    st->codec = KAFC__CODEC_NONE;
    st->level = KAFC__CODEC_LEVEL_DEFAULT;
    st->patch = 0;
    st->base_offset = 0;
    st->cap = 1u << 20;
    for (tok = strtok(args, " \t\n"); tok != NULL; tok = strtok(NULL, " \t\n")) {
        char *eq = strchr(tok, '=');
        if (eq == NULL)
            die(2, "batch option must be name=value", tok);
        *eq++ = '\0';
        if (strcmp(tok, "codec") == 0) {
            if (kafc__codec_from_name(eq, &st->codec) != KAFC_ERR_NONE)
                die(2, "unknown codec", eq);
        } else if (strcmp(tok, "level") == 0) {
            st->level = (int)num(eq);
        } else if (strcmp(tok, "pid") == 0) {
            o.producer_id = num(eq);
        } else if (strcmp(tok, "epoch") == 0) {
            o.producer_epoch = (int16_t)num(eq);
        } else if (strcmp(tok, "seq") == 0) {
            o.base_sequence = (int32_t)num(eq);
        } else if (strcmp(tok, "transactional") == 0) {
            if (num(eq))
                o.flags |= KAFC__BATCH_ATTR_TRANSACTIONAL;
        } else if (strcmp(tok, "control") == 0) {
            if (num(eq))
                o.flags |= KAFC__BATCH_ATTR_CONTROL;
        } else if (strcmp(tok, "base_ts") == 0) {
            o.base_timestamp = num(eq);
        } else if (strcmp(tok, "base_offset") == 0) {
            st->base_offset = num(eq);
        } else if (strcmp(tok, "cap") == 0) {
            st->cap = (size_t)num(eq);
        } else if (strcmp(tok, "patch") == 0) {
            long long pid, epoch, seq;
            if (sscanf(eq, "%lld,%lld,%lld", &pid, &epoch, &seq) != 3)
                die(2, "patch=PID,EPOCH,SEQ", eq);
            st->patch = 1;
            st->patch_pid = pid;
            st->patch_epoch = (int16_t)epoch;
            st->patch_seq = (int32_t)seq;
        } else {
            die(2, "unknown batch option", tok);
        }
    }
    free(st->buf);
    st->buf = malloc(st->cap);
    if (st->buf == NULL)
        die(3, "out of memory", NULL);
    err = kafc__batch_init(&st->b, st->buf, st->cap, &o);
    if (err != KAFC_ERR_NONE)
        die(3, "batch_init failed", kafc_err_name(err));
    st->open = 1;
}

static void add_record(build_t *st, char *args)
{
    kafc__record_header_t hs[MAX_HEADERS];
    size_t nh = 0;
    char *ts = strtok(args, " \t\n"), *k = strtok(NULL, " \t\n"), *v = strtok(NULL, " \t\n");
    char *tok;
    int32_t klen, vlen;
    uint8_t *key, *value;
    kafc_err_t err;

    if (ts == NULL || k == NULL || v == NULL)
        die(2, "record TIMESTAMP KEY VALUE [HK:HV ...]", NULL);
    key = unhex(k, &klen);
    value = unhex(v, &vlen);
    while ((tok = strtok(NULL, " \t\n")) != NULL) {
        char *colon = strchr(tok, ':');
        int32_t hklen, hvlen;
        uint8_t *hk, *hv;
        if (colon == NULL || nh == MAX_HEADERS)
            die(2, "header must be HKEY:HVALUE (at most 64)", tok);
        *colon = '\0';
        hk = unhex(tok, &hklen);
        hv = unhex(colon + 1, &hvlen);
        if (hklen < 0)
            die(2, "header key cannot be null", NULL);
        hs[nh].key = (const char *)hk;
        hs[nh].key_len = hklen;
        hs[nh].value = hv;
        hs[nh].value_len = hvlen;
        nh++;
    }
    if (!st->open)
        die(2, "record before any batch line", NULL);
    err = kafc__batch_append(&st->b, num(ts), key, klen, value, vlen, hs, nh);
    if (err != KAFC_ERR_NONE)
        die(3, "append failed", kafc_err_name(err));
}

static void add_control(build_t *st, char *args)
{
    char *ts = strtok(args, " \t\n"), *type = strtok(NULL, " \t\n");
    char *epoch = strtok(NULL, " \t\n");
    kafc_err_t err;

    if (ts == NULL || type == NULL || epoch == NULL || !st->open)
        die(2, "control TIMESTAMP abort|commit EPOCH (inside a batch)", NULL);
    err = kafc__batch_append_control(
        &st->b, num(ts), strcmp(type, "commit") == 0 ? KAFC__CONTROL_COMMIT : KAFC__CONTROL_ABORT,
        (int32_t)num(epoch));
    if (err != KAFC_ERR_NONE)
        die(3, "append_control failed", kafc_err_name(err));
}

static int build(void)
{
    build_t st;
    size_t len;
    char *spec = (char *)read_all(stdin, &len), *line, *next;

    memset(&st, 0, sizeof(st));
    st.ctx = kafc__codec_ctx_new();
    spec = realloc(spec, len + 1);
    if (spec == NULL)
        die(2, "out of memory", NULL);
    spec[len] = '\0';
    for (line = spec; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (strncmp(line, "batch", 5) == 0 && (line[5] == ' ' || line[5] == '\0'))
            open_batch(&st, line + 5);
        else if (strncmp(line, "record ", 7) == 0)
            add_record(&st, line + 7);
        else if (strncmp(line, "control ", 8) == 0)
            add_control(&st, line + 8);
        else if (line[0] != '\0' && line[0] != '#')
            die(2, "unknown spec line", line);
    }
    close_batch(&st);
    free(st.buf);
    free(spec);
    kafc__codec_ctx_destroy(st.ctx);
    return fflush(stdout) == 0 ? 0 : 3;
}

/* ---- decode ---------------------------------------------------------------- */

static void print_bytes(kafc__slice_t s)
{
    if (s.len < 0) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (int32_t i = 0; i < s.len; i++)
        printf("%02x", s.ptr[i]);
    putchar('"');
}

static int decode(void)
{
    size_t len;
    uint8_t *data = read_all(stdin, &len);
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();
    kafc_err_t err = KAFC_ERR_NONE;
    int first_batch = 1;

    printf("{\"batches\": [");
    kafc__batch_iter_init(&it, data, len, 1);
    while (err == KAFC_ERR_NONE && kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t r;
        int first = 1;

        printf("%s\n {\"magic\": %d, \"base_offset\": %" PRId64 ", \"last_offset\": %" PRId64
               ", \"attributes\": %d, \"codec\": \"%s\", \"partition_leader_epoch\": %" PRId32
               ", \"base_timestamp\": %" PRId64 ", \"max_timestamp\": %" PRId64
               ", \"producer_id\": %" PRId64 ", \"producer_epoch\": %d, \"base_sequence\": %" PRId32
               ", \"count\": %" PRId32 ", \"transactional\": %s, \"control\": %s, \"records\": [",
               first_batch ? "" : ",", v.magic, v.base_offset, kafc__batch_view_last_offset(&v),
               v.attributes, kafc__codec_name(kafc__batch_view_codec(&v)), v.partition_leader_epoch,
               v.base_timestamp, v.max_timestamp, v.producer_id, v.producer_epoch, v.base_sequence,
               v.record_count, kafc__batch_view_is_transactional(&v) ? "true" : "false",
               kafc__batch_view_is_control(&v) ? "true" : "false");
        first_batch = 0;
        err = kafc__record_iter_init(&ri, &v, ctx, MAX_DECOMPRESSED, 1);
        while (kafc__record_iter_next(&ri, &r)) {
            kafc__header_iter_t hi;
            kafc__slice_t hk, hv;
            int first_h = 1;
            printf("%s\n  {\"offset\": %" PRId64 ", \"timestamp\": %" PRId64 ", \"key\": ",
                   first ? "" : ",", r.offset, r.timestamp);
            first = 0;
            print_bytes(r.key);
            fputs(", \"value\": ", stdout);
            print_bytes(r.value);
            fputs(", \"headers\": [", stdout);
            kafc__header_iter_init(&hi, &r);
            while (kafc__header_iter_next(&hi, &hk, &hv)) {
                printf("%s[", first_h ? "" : ", ");
                first_h = 0;
                print_bytes(hk);
                fputs(", ", stdout);
                print_bytes(hv);
                putchar(']');
            }
            putchar(']');
            if (kafc__batch_view_is_control(&v)) {
                kafc__control_record_t c;
                if (kafc__control_record_parse(&r, &c) == KAFC_ERR_NONE)
                    printf(", \"control\": {\"type\": %d, \"coordinator_epoch\": %" PRId32 "}",
                           c.type, c.coordinator_epoch);
            }
            putchar('}');
        }
        if (err == KAFC_ERR_NONE)
            err = kafc__record_iter_err(&ri);
        kafc__record_iter_clear(&ri);
        printf("]}");
    }
    if (err == KAFC_ERR_NONE)
        err = kafc__batch_iter_err(&it);
    printf("],\n \"error\": %" PRId32 ", \"error_name\": \"%s\", \"partial\": %s}\n", err,
           kafc_err_name(err), kafc__batch_iter_partial(&it) ? "true" : "false");
    free(data);
    kafc__codec_ctx_destroy(ctx);
    return fflush(stdout) == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "build") == 0)
        return build();
    if (argc == 2 && strcmp(argv[1], "decode") == 0)
        return decode();
    fprintf(stderr, "usage: record_tool build < spec > batches.bin\n"
                    "       record_tool decode < batches.bin > batches.json\n");
    return 2;
}
