/*
 * bench_bufpool — cost of the producer buffer pool's hot path: one alloc +
 * release of a batch.size buffer that the free list can serve.
 *
 * Build and run from the repository root:
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -I include -I src bench/bench_bufpool.c \
 *       src/producer/bufpool.c src/util/thread.c src/util/clock.c -lpthread \
 *       -o /tmp/bench_bufpool
 *   /tmp/bench_bufpool [seconds-per-case]
 *
 * Cases (default 1 s each): one thread, then two threads on one pool (the
 * lock contended, as when application threads produce while the I/O thread
 * releases). Prints ns per alloc+release pair, per thread and for the pool as
 * a whole, and malloc+free of the same size on one thread for reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/bufpool.h"
#include "util/clock.h"
#include "util/thread.h"

#define BATCH_SIZE (16 * 1024)           /* batch.size default */
#define BUFFER_MEMORY (32 * 1024 * 1024) /* buffer.memory default */
#define CHUNK 4096                       /* pairs between clock reads */

static volatile uint8_t sink;

typedef struct job {
    kafc__bufpool_t *bp;
    double secs;
    long pairs;
    double elapsed_s;
    int failed;
} job_t;

static void *run(void *arg)
{
    job_t *j = arg;
    int64_t start = kafc__clock_us(), end = start + (int64_t)(j->secs * 1e6), now;

    do {
        for (int i = 0; i < CHUNK; i++) {
            uint8_t *buf;
            if (kafc__bufpool_alloc(j->bp, BATCH_SIZE, 0, &buf) != KAFC_ERR_NONE) {
                j->failed = 1;
                return NULL;
            }
            buf[0] = (uint8_t)i; /* touch it, as the record layer would */
            kafc__bufpool_release(j->bp, buf, BATCH_SIZE);
        }
        j->pairs += CHUNK;
        now = kafc__clock_us();
    } while (now < end);
    j->elapsed_s = (double)(now - start) / 1e6;
    return NULL;
}

static int run_threads(int nthreads, double secs)
{
    kafc__bufpool_t bp;
    kafc__thread_t t[2];
    job_t jobs[2];
    long pairs = 0;
    double worst = 0;

    if (kafc__bufpool_init(&bp, BUFFER_MEMORY, BATCH_SIZE) != KAFC_ERR_NONE)
        return 1;
    for (int i = 0; i < nthreads; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].bp = &bp;
        jobs[i].secs = secs;
        if (kafc__thread_create(&t[i], "bench-bp", run, &jobs[i]) != KAFC_ERR_NONE)
            return 1;
    }
    for (int i = 0; i < nthreads; i++) {
        kafc__thread_join(&t[i], NULL);
        if (jobs[i].failed)
            return 1;
        pairs += jobs[i].pairs;
        if (jobs[i].elapsed_s > worst)
            worst = jobs[i].elapsed_s;
        printf("  thread %d: %10ld pairs, %6.1f ns per alloc+release\n", i, jobs[i].pairs,
               jobs[i].elapsed_s * 1e9 / (double)jobs[i].pairs);
    }
    printf("%d thread(s): %.1f ns per alloc+release (pool-wide: %.1f M pairs/s)\n", nthreads,
           worst * 1e9 / ((double)pairs / nthreads), (double)pairs / worst / 1e6);
    kafc__bufpool_destroy(&bp);
    return 0;
}

static void run_malloc(double secs)
{
    int64_t start = kafc__clock_us(), end = start + (int64_t)(secs * 1e6), now;
    long pairs = 0;

    do {
        for (int i = 0; i < CHUNK; i++) {
            uint8_t *buf = malloc(BATCH_SIZE);
            if (buf == NULL)
                return;
            buf[0] = (uint8_t)i;
            sink = buf[0];
            free(buf);
        }
        pairs += CHUNK;
        now = kafc__clock_us();
    } while (now < end);
    printf("reference, malloc+free of %d bytes, 1 thread: %.1f ns\n", BATCH_SIZE,
           (double)(now - start) * 1e3 / (double)pairs);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;

    if (secs <= 0)
        secs = 1.0;
    printf("bufpool: batch.size %d, buffer.memory %d, %.1f s per case\n", BATCH_SIZE, BUFFER_MEMORY,
           secs);
    if (run_threads(1, secs) != 0 || run_threads(2, secs) != 0) {
        fprintf(stderr, "bench_bufpool: allocation failed\n");
        return 1;
    }
    run_malloc(secs);
    return 0;
}
