/*
 * bench_record — cost of the record batch hot paths: appending a record
 * (10-byte key, 100-byte value, no headers) to a 1 MiB batch, and reading
 * records back (zero-copy views, every field decoded and checked).
 * Targets: append < 30 ns, read < 20 ns per record.
 *
 * Build and run from the repository root:
 *   gcc -O2 -DKAFC_WITH_SNAPPY=1 -I include -I src bench/bench_record.c \
 *       src/record/batch.c src/record/reader.c src/record/legacy.c \
 *       src/record/codec*.c src/util/crc32c.c -o /tmp/bench_record \
 *       -lz -llz4 -lzstd -lsnappy -lpthread
 *   /tmp/bench_record [seconds-per-case]
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a loaded
 * machine does not count descheduled time as work.
 *
 * Append is timed from init to the last append of each full batch; close
 * (header + CRC-32C over the whole batch) is reported separately, per batch
 * and per record. Read covers batch iteration, record iteration and touching
 * key and value lengths; the CRC check is reported separately.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/batch.h"
#include "record/reader.h"

#define BATCH_BYTES (1u << 20)

static volatile uint64_t sink;

/* Thread CPU time: on a shared machine, time the thread spent descheduled
 * would otherwise count as work. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills one batch; returns the records appended. */
static uint32_t fill(kafc__batch_builder_t *b, uint8_t *buf, const uint8_t *key,
                     const uint8_t *value, int64_t ts)
{
    uint32_t n = 0;
    kafc__batch_init(b, buf, BATCH_BYTES, NULL);
    while (kafc__batch_append(b, ts + (n & 7), key, 10, value, 100, NULL, 0) == KAFC_ERR_NONE)
        n++;
    return n;
}

static uint64_t read_batch(const uint8_t *buf, size_t len, int check_crcs, uint64_t *records)
{
    kafc__batch_iter_t it;
    kafc__batch_view_t v;
    uint64_t acc = 0;

    kafc__batch_iter_init(&it, buf, len, check_crcs);
    while (kafc__batch_iter_next(&it, &v)) {
        kafc__record_iter_t ri;
        kafc__record_t r;
        kafc__record_iter_init(&ri, &v, NULL, 0, 0);
        while (kafc__record_iter_next(&ri, &r)) {
            acc += (uint64_t)r.offset + (uint64_t)r.key.len + (uint64_t)r.value.len;
            (*records)++;
        }
        if (kafc__record_iter_err(&ri) != KAFC_ERR_NONE) {
            fprintf(stderr, "read error %d\n", kafc__record_iter_err(&ri));
            exit(1);
        }
    }
    return acc;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    uint8_t *buf = malloc(BATCH_BYTES), key[10], value[100];
    kafc__batch_builder_t b;
    uint64_t records = 0, batches = 0;
    double t0, t, t_close = 0;
    size_t len = 0;

    if (buf == NULL)
        return 1;
    memset(key, 'k', sizeof(key));
    for (size_t i = 0; i < sizeof(value); i++)
        value[i] = (uint8_t)i;

    /* Warm up: touch the buffer and the code. */
    fill(&b, buf, key, value, 1700000000000);

    t0 = now_s();
    do {
        records += fill(&b, buf, key, value, 1700000000000);
        batches++;
        t = now_s();
    } while (t - t0 < secs);
    printf("append: %.1f ns/record (%llu records in %llu batches of %u)\n",
           (t - t0) * 1e9 / (double)records, (unsigned long long)records,
           (unsigned long long)batches, (unsigned)kafc__batch_count(&b));

    {
        uint64_t n = 0;
        double c0 = now_s();
        do {
            len = kafc__batch_close(&b);
            n++;
            t_close = now_s() - c0;
        } while (t_close < secs / 4);
        printf("close:  %.1f us/batch (%zu bytes; %.2f ns/record)\n", t_close * 1e6 / (double)n,
               len, t_close * 1e9 / (double)n / (double)kafc__batch_count(&b));
    }

    for (int check = 0; check <= 1; check++) {
        uint64_t n = 0;
        read_batch(buf, len, check, &n);
        n = 0;
        t0 = now_s();
        do {
            sink += read_batch(buf, len, check, &n);
            t = now_s();
        } while (t - t0 < secs);
        printf("read%s: %.1f ns/record (%llu records)\n", check ? " + crc check" : "",
               (t - t0) * 1e9 / (double)n, (unsigned long long)n);
    }
    free(buf);
    return 0;
}
