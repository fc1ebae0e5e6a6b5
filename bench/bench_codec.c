/*
 * bench_codec — compression and decompression throughput of kafc's codecs
 * on a realistic producer batch: 16 KiB of Kafka v2 records carrying
 * JSON-ish log lines, at each codec's default level, with a reused context
 * (as the producer and consumer use them) and without one.
 *
 * Build by hand from the repo root (Release flags):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -DKAFC_WITH_SNAPPY=1 -I include -I src \
 *      bench/bench_codec.c src/record/codec.c src/record/codec_lz4.c \
 *      src/record/codec_snappy.c -lz -llz4 -lzstd -lsnappy -o /tmp/bench_codec
 *   /tmp/bench_codec [batch_bytes] [seconds_per_case]
 * MB/s are of uncompressed bytes (10^6 bytes per MB), both directions;
 * decompression includes allocating the output, as the consumer does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/codec.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static size_t put_varint(uint8_t *p, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}

/* Kafka v2 records (length, attributes, timestamp delta, offset delta, key,
 * value, no headers) whose values are JSON log lines. */
static size_t make_batch(uint8_t *buf, size_t want)
{
    static const char *levels[] = {"INFO", "WARN", "DEBUG", "ERROR"};
    static const char *paths[] = {"/api/v1/orders", "/api/v1/users", "/healthz", "/api/v2/cart",
                                  "/login"};
    static const char *msgs[] = {"request completed", "cache miss, loading from db",
                                 "upstream timeout, retrying", "user authenticated",
                                 "slow query detected"};
    size_t len = 0;
    int i = 0;

    while (len < want) {
        char key[40], value[400];
        uint8_t rec[512];
        size_t rl = 0, hdr;
        int kl = snprintf(key, sizeof(key), "user-%05u", rng() % 20000);
        int vl = snprintf(value, sizeof(value),
                          "{\"@timestamp\":\"2024-06-01T12:%02d:%02d.%03dZ\",\"level\":\"%s\","
                          "\"service\":\"checkout\",\"host\":\"ip-10-0-%u-%u\",\"trace_id\":"
                          "\"%08x%08x\",\"method\":\"GET\",\"path\":\"%s\",\"status\":%d,"
                          "\"duration_ms\":%u,\"msg\":\"%s\"}",
                          (i / 60) % 60, i % 60, (int)(rng() % 1000), levels[rng() % 4], rng() % 8,
                          rng() % 256, rng(), rng(), paths[rng() % 5], rng() % 10 ? 200 : 503,
                          rng() % 900, msgs[rng() % 5]);
        rec[rl++] = 0;                     /* attributes */
        rl += put_varint(rec + rl, i * 3); /* timestamp delta */
        rl += put_varint(rec + rl, i);     /* offset delta */
        rl += put_varint(rec + rl, kl);
        memcpy(rec + rl, key, (size_t)kl);
        rl += (size_t)kl;
        rl += put_varint(rec + rl, vl);
        memcpy(rec + rl, value, (size_t)vl);
        rl += (size_t)vl;
        rl += put_varint(rec + rl, 0); /* headers */
        if (len + rl + 5 > want)
            break;
        hdr = put_varint(buf + len, (int64_t)rl);
        memcpy(buf + len + hdr, rec, rl);
        len += hdr + rl;
        i++;
    }
    return len;
}

int main(int argc, char **argv)
{
    static const kafc__codec_t codecs[] = {KAFC__CODEC_GZIP, KAFC__CODEC_SNAPPY, KAFC__CODEC_LZ4,
                                           KAFC__CODEC_ZSTD};
    size_t want = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 16 * 1024;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    uint8_t *batch = malloc(want + 1);
    size_t n = make_batch(batch, want);
    kafc__codec_ctx_t *ctx = kafc__codec_ctx_new();

    printf("batch: %zu bytes of v2 records (JSON log values), default levels, %.1f s/case\n", n,
           secs);
    printf("%-7s %6s %6s %10s %10s %10s %10s\n", "codec", "bytes", "ratio", "comp", "comp",
           "decomp", "decomp");
    printf("%-7s %6s %6s %10s %10s %10s %10s\n", "", "", "", "MB/s ctx", "no ctx", "MB/s ctx",
           "no ctx");
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        kafc__codec_t c = codecs[i];
        size_t bound = kafc__codec_compress_bound(c, n), clen = 0;
        uint8_t *comp;
        double rates[4];
        uint8_t *out = NULL;
        size_t olen = 0;

        if (!kafc__codec_available(c)) {
            printf("%-7s (not built in)\n", kafc__codec_name(c));
            continue;
        }
        comp = malloc(bound);
        /* Check the round trip once, outside the timed loops. */
        if (kafc__codec_ctx_compress(ctx, c, -1, batch, n, comp, bound, &clen) != KAFC_ERR_NONE ||
            kafc__codec_ctx_decompress(ctx, c, comp, clen, n, &out, &olen) != KAFC_ERR_NONE ||
            olen != n || memcmp(out, batch, n) != 0) {
            fprintf(stderr, "%s: round trip failed\n", kafc__codec_name(c));
            return 1;
        }
        free(out);
        for (int mode = 0; mode < 4; mode++) {
            long iters = 0;
            double t0 = now_s(), t;
            do {
                for (int k = 0; k < 64; k++) {
                    kafc_err_t err;
                    if (mode < 2) {
                        err = kafc__codec_ctx_compress(mode == 0 ? ctx : NULL, c, -1, batch, n,
                                                       comp, bound, &clen);
                    } else {
                        err = kafc__codec_ctx_decompress(mode == 2 ? ctx : NULL, c, comp, clen, n,
                                                         &out, &olen);
                        free(out);
                    }
                    if (err != KAFC_ERR_NONE) {
                        fprintf(stderr, "%s: error %d\n", kafc__codec_name(c), (int)err);
                        return 1;
                    }
                }
                iters += 64;
                t = now_s() - t0;
            } while (t < secs);
            rates[mode] = (double)n * (double)iters / t / 1e6;
        }
        printf("%-7s %6zu %6.2f %10.0f %10.0f %10.0f %10.0f\n", kafc__codec_name(c), clen,
               (double)n / (double)clen, rates[0], rates[1], rates[2], rates[3]);
        free(comp);
    }
    kafc__codec_ctx_destroy(ctx);
    free(batch);
    return 0;
}
