/*
 * bench_crc32c — throughput of kafc's CRC-32C paths (SSE4.2 and software).
 *
 * Build and run from the repository root:
 *   gcc -O2 -I include -I src bench/bench_crc32c.c src/util/crc32c.c -o /tmp/bench_crc32c
 *   /tmp/bench_crc32c [seconds-per-case]
 *
 * For each buffer size it hashes the same buffer repeatedly for about the
 * given time (default 0.5 s) and prints GB/s (10^9 bytes per second).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/crc32c.h"

typedef uint32_t(crc_fn)(uint32_t, const void *, size_t);

static volatile uint32_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GB/s of fn over len bytes at buf, measured for about secs seconds. */
static double run(crc_fn *fn, const uint8_t *buf, size_t len, double secs)
{
    uint64_t iters = 0, batch = 1 + (64u << 20) / len / 16;
    uint32_t crc = 0;
    double t0 = now_s(), t;

    do {
        for (uint64_t i = 0; i < batch; i++)
            crc = fn(crc, buf, len);
        iters += batch;
        t = now_s();
    } while (t - t0 < secs);
    sink = crc;
    return (double)iters * (double)len / (t - t0) / 1e9;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {64, 1024, 4096, 16384, 65536, 1 << 20};
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    uint8_t *buf = malloc((1 << 20) + 64);

    if (buf == NULL)
        return 1;
    for (size_t i = 0; i < (1 << 20) + 64; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    run(kafc__crc32c_sw, buf, 4096, 0.1); /* warm up */

    printf("%10s %12s %12s\n", "bytes", "hw GB/s", "sw GB/s");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        double hw = kafc__crc32c_hw_available() ? run(kafc__crc32c_hw, buf, sizes[i], secs) : 0.0;
        double sw = run(kafc__crc32c_sw, buf, sizes[i], secs);
        printf("%10zu %12.2f %12.2f\n", sizes[i], hw, sw);
    }
    if (!kafc__crc32c_hw_available())
        printf("(no SSE4.2 path on this build/CPU: hw column is 0)\n");
    free(buf);
    return 0;
}
