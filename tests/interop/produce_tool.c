/*
 * produce_tool — produces COUNT messages from a deterministic spec with
 * kafc's public producer API, for test_producer_interop.py, which reads them
 * back with kafka-python, kcat and a raw Fetch and compares byte for byte.
 *
 *   produce_tool BOOTSTRAP TOPIC COUNT CODEC [-T BASE_TS] [-X prop=value]...
 *
 * CODEC is compression.type (none, gzip, snappy, lz4, zstd). Message i
 * (0 <= i < COUNT), produced in order from one thread to KAFC_PARTITION_ANY:
 *   key        null when i % 10 == 0, else "k<i>"
 *   value      null when i % 17 == 16; else empty when i % 7 == 3; else
 *              10240 bytes when i % 11 == 5; else 1 + (i * 37) % 500 bytes;
 *              byte j = (i * 31 + j * 7 + (j >> 8) * 13) & 0xff
 *   headers    by i % 4:
 *                0: none
 *                1: ("h1", "v<i>")
 *                2: ("a", "1"), ("dup", "x"), ("nul", null), ("dup", "y"),
 *                   ("bin", bytes 0..255 rotated by i % 256), ("empty", "")
 *                3: ("dup", "<i>"), ("dup", "<i+1>"), ("dup", "<i+2>")
 *   timestamp  BASE_TS + i (CreateTime; BASE_TS defaults to 1700000000000)
 *   opaque     i
 * The Python test implements the same spec on its own; keep them in step.
 *
 * Waits for every delivery report (kafc_producer_flush), then prints one
 * JSON line per message in id order:
 *   {"id":I,"partition":P,"offset":O,"err":"NAME","timestamp":T,
 *    "tstype":N,"persisted":N,"reports":N}
 * Exit status: 0 when every message got exactly one report with success;
 * 1 when any failed, was refused, was reported other than once, or flush
 * timed out; 2 for bad usage or configuration.
 */
#include <kafc/kafc.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct report {
    int count;
    kafc_err_t err;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    int tstype;
    int persisted;
} report_t;

static report_t *reports;
static long nmsgs;
static long bad_opaque;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_delivery(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    intptr_t id = (intptr_t)kafc_message_opaque(m);
    if (id < 0 || id >= nmsgs) {
        bad_opaque++;
        return;
    }
    report_t *r = &reports[id];
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_NOT_AVAILABLE;
    r->count++;
    r->err = kafc_message_err(m);
    r->partition = kafc_message_partition(m);
    r->offset = kafc_message_offset(m);
    r->timestamp = kafc_message_timestamp(m, &tt);
    r->tstype = (int)tt;
    r->persisted = (int)kafc_message_persisted(m);
}

/* ---- the spec (mirrored in test_producer_interop.py) --------------------- */

/* Value length of message i, or -1 for a null value. */
static long value_len(long i)
{
    if (i % 17 == 16)
        return -1;
    if (i % 7 == 3)
        return 0;
    if (i % 11 == 5)
        return 10240;
    return 1 + (i * 37) % 500;
}

static void fill_value(long i, uint8_t *buf, long len)
{
    for (long j = 0; j < len; j++)
        buf[j] = (uint8_t)((i * 31 + j * 7 + (j >> 8) * 13) & 0xff);
}

static kafc_headers_t *make_headers(long i)
{
    char v[32];
    kafc_headers_t *h;
    int rc = 0;
    switch (i % 4) {
    case 0:
        return NULL;
    case 1:
        h = kafc_headers_new();
        if (!h)
            return NULL;
        snprintf(v, sizeof(v), "v%ld", i);
        rc |= kafc_headers_add(h, "h1", v, strlen(v));
        break;
    case 2: {
        uint8_t bin[256];
        for (int j = 0; j < 256; j++)
            bin[j] = (uint8_t)((j + i) & 0xff);
        h = kafc_headers_new();
        if (!h)
            return NULL;
        rc |= kafc_headers_add(h, "a", "1", 1);
        rc |= kafc_headers_add(h, "dup", "x", 1);
        rc |= kafc_headers_add(h, "nul", NULL, 0);
        rc |= kafc_headers_add(h, "dup", "y", 1);
        rc |= kafc_headers_add(h, "bin", bin, sizeof(bin));
        rc |= kafc_headers_add(h, "empty", "", 0);
        break;
    }
    default:
        h = kafc_headers_new();
        if (!h)
            return NULL;
        for (long k = 0; k < 3; k++) {
            snprintf(v, sizeof(v), "%ld", i + k);
            rc |= kafc_headers_add(h, "dup", v, strlen(v));
        }
        break;
    }
    if (rc) {
        fprintf(stderr, "produce_tool: kafc_headers_add failed for message %ld\n", i);
        exit(1);
    }
    return h;
}

static void usage(void)
{
    fprintf(stderr, "usage: produce_tool BOOTSTRAP TOPIC COUNT CODEC [-T BASE_TS] "
                    "[-X prop=value]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char errstr[512];
    if (argc < 5)
        usage();
    const char *bootstrap = argv[1], *topic = argv[2], *codec = argv[4];
    char *end;
    nmsgs = strtol(argv[3], &end, 10);
    if (*end || nmsgs < 0 || nmsgs > 10000000)
        usage();
    int64_t base_ts = 1700000000000LL;

    kafc_conf_t *conf = kafc_conf_new();
    if (kafc_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        kafc_conf_set(conf, "compression.type", codec, errstr, sizeof(errstr))) {
        fprintf(stderr, "produce_tool: %s\n", errstr);
        return 2;
    }
    for (int a = 5; a < argc; a++) {
        if (!strcmp(argv[a], "-T") && a + 1 < argc) {
            base_ts = strtoll(argv[++a], &end, 10);
            if (*end)
                usage();
        } else if (!strcmp(argv[a], "-X") && a + 1 < argc) {
            char *kv = argv[++a], *eq = strchr(kv, '=');
            if (!eq)
                usage();
            *eq = '\0';
            if (kafc_conf_set(conf, kv, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "produce_tool: %s\n", errstr);
                return 2;
            }
        } else {
            usage();
        }
    }
    kafc_conf_set_dr_cb(conf, on_delivery);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!p) {
        fprintf(stderr, "produce_tool: %s\n", errstr);
        return 2;
    }
    reports = calloc((size_t)(nmsgs ? nmsgs : 1), sizeof(*reports));
    uint8_t *vbuf = malloc(10240);
    if (!reports || !vbuf) {
        fprintf(stderr, "produce_tool: out of memory\n");
        return 1;
    }

    long refused = 0;
    for (long i = 0; i < nmsgs; i++) {
        char key[32];
        const char *k = NULL;
        size_t klen = 0;
        if (i % 10 != 0) {
            snprintf(key, sizeof(key), "k%ld", i);
            k = key;
            klen = strlen(key);
        }
        long vlen = value_len(i);
        if (vlen > 0)
            fill_value(i, vbuf, vlen);
        const void *v = vlen < 0 ? NULL : vbuf; /* empty: non-NULL, length 0 */
        kafc_headers_t *h = make_headers(i);
        kafc_err_t err;
        int64_t deadline = mono_ms() + 30000;
        /* The first produce waits for metadata (max.block.ms); a full buffer
         * makes room by serving reports. Bounded either way. */
        while ((err = kafc_produce(p, topic, KAFC_PARTITION_ANY, KAFC_MSG_F_COPY, k, klen, v,
                                   vlen < 0 ? 0 : (size_t)vlen, h, base_ts + i,
                                   (void *)(intptr_t)i)) == KAFC_ERR__QUEUE_FULL &&
               mono_ms() < deadline)
            kafc_producer_poll(p, 50);
        if (err) {
            kafc_headers_destroy(h);
            if (refused++ < 10)
                fprintf(stderr, "produce_tool: message %ld refused: %s\n", i, kafc_err_name(err));
            continue;
        }
        kafc_producer_poll(p, 0);
    }
    int status = 0;
    kafc_err_t ferr = kafc_producer_flush(p, 60000);
    if (ferr) {
        fprintf(stderr, "produce_tool: flush: %s with %" PRId64 " outstanding\n",
                kafc_err_name(ferr), kafc_producer_outstanding(p));
        status = 1;
    }
    kafc_producer_destroy(p, 5000);

    for (long i = 0; i < nmsgs; i++) {
        report_t *r = &reports[i];
        printf("{\"id\":%ld,\"partition\":%" PRId32 ",\"offset\":%" PRId64
               ",\"err\":\"%s\",\"timestamp\":%" PRId64
               ",\"tstype\":%d,\"persisted\":%d,\"reports\":%d}\n",
               i, r->partition, r->offset, r->count ? kafc_err_name(r->err) : "NO_REPORT",
               r->timestamp, r->tstype, r->persisted, r->count);
        if (r->count != 1 || r->err != KAFC_ERR_NONE)
            status = 1;
    }
    if (refused || bad_opaque)
        status = 1;
    if (status)
        fprintf(stderr, "produce_tool: %ld refused, %ld reports with a bad opaque; see the JSON\n",
                refused, bad_opaque);
    free(vbuf);
    free(reports);
    return status;
}
