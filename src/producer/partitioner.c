/*
 * partitioner — see partitioner.h.
 *
 * The hashes follow their references to the bit: util/murmur2 is Java's
 * Utils.murmur2; consistent is librdkafka's rd_kafka_msg_partitioner_consistent
 * (`rd_crc32(key, keylen) % partition_cnt`, rd_crc32 being zlib's crc32 and
 * the modulo unsigned); fnv1a is rd_kafka_msg_partitioner_fnv1a
 * (`rd_fnv1a(key, keylen) % partition_cnt`). Random choices come from one
 * splitmix64 sequence per partitioner, advanced with an atomic add, so any
 * number of threads draw from it without a lock.
 */
#include "producer/partitioner.h"

#include <stdint.h>
#include <zlib.h>

#include "conf.h"
#include "util/clock.h"
#include "util/murmur2.h"

/* ---- hashes ------------------------------------------------------------- */

int32_t kafc__partition_consistent(const void *key, size_t key_len, int32_t npartitions)
{
    if (npartitions <= 0)
        return -1;
    uint32_t crc = (uint32_t)crc32_z(0, key_len ? key : Z_NULL, key_len);
    return (int32_t)(crc % (uint32_t)npartitions);
}

uint32_t kafc__fnv1a(const void *key, size_t key_len)
{
    const uint8_t *data = key;
    uint32_t h = 0x811c9dc5u; /* offset basis */
    for (size_t i = 0; i < key_len; i++) {
        h ^= data[i];
        h *= 0x01000193u; /* prime; wraps like librdkafka's int32 */
    }
    /* librdkafka: if (h < 0) h = -h on the int32 (Sarama's hash partitioner). */
    if (h & 0x80000000u)
        h = 0u - h;
    return h;
}

int32_t kafc__partition_fnv1a(const void *key, size_t key_len, int32_t npartitions)
{
    if (npartitions <= 0)
        return -1;
    return (int32_t)(kafc__fnv1a(key, key_len) % (uint32_t)npartitions);
}

/* ---- random choices ----------------------------------------------------- */

static uint64_t next_random(kafc__partitioner_t *p)
{
    uint64_t z =
        atomic_fetch_add_explicit(&p->rng, UINT64_C(0x9e3779b97f4a7c15), memory_order_relaxed);
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias for n < 2^31
 * is below 2^-32). */
static int32_t random_below(kafc__partitioner_t *p, int32_t n)
{
    return (int32_t)(((next_random(p) >> 32) * (uint64_t)n) >> 32);
}

/* The flags are written by the I/O thread as leaders change, while
 * producing threads read them: relaxed atomic bytes (any recent value is
 * fine, torn values are impossible, and the access is well-defined). */
static int is_available(const uint8_t *available, int32_t i)
{
    return !available || __atomic_load_n(&available[i], __ATOMIC_RELAXED);
}

static int any_available(const uint8_t *available, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        if (is_available(available, i))
            return 1;
    return 0;
}

/* A random available partition other than exclude (-1: none excluded).
 * Falls back to exclude itself when it is the only available partition, and
 * to every partition when none is available. n > 0. */
static int32_t random_other(kafc__partitioner_t *p, int32_t n, const uint8_t *available,
                            int32_t exclude)
{
    /* Usually most partitions qualify: a few uniform draws, accepted only
     * when they qualify, are uniform over the qualifying ones. */
    for (int tries = 0; tries < 8; tries++) {
        int32_t c = random_below(p, n);
        if (c != exclude && is_available(available, c))
            return c;
    }
    if (!any_available(available, n))
        available = NULL;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (i != exclude && is_available(available, i))
            m++;
    if (m == 0)
        return exclude >= 0 && exclude < n ? exclude : 0;
    int32_t k = random_below(p, m);
    for (int32_t i = 0; i < n; i++) {
        if (i != exclude && is_available(available, i) && k-- == 0)
            return i;
    }
    return 0; /* not reached */
}

/* Java's RoundRobinPartitioner: counter value v picks the
 * (toPositive(v) % navailable)-th available partition, or
 * toPositive(v) % n when none is available. */
static int32_t round_robin(kafc__ptopic_state_t *st, int32_t n, const uint8_t *available)
{
    uint32_t v = atomic_fetch_add_explicit(&st->rr, 1, memory_order_relaxed) & 0x7fffffffu;
    if (!available)
        return (int32_t)(v % (uint32_t)n);
    int32_t navail = 0;
    for (int32_t i = 0; i < n; i++)
        navail += is_available(available, i);
    if (navail == 0)
        return (int32_t)(v % (uint32_t)n);
    int32_t k = (int32_t)(v % (uint32_t)navail);
    for (int32_t i = 0; i < n; i++) {
        if (is_available(available, i) && k-- == 0)
            return i;
    }
    return 0; /* not reached */
}

/* The topic's sticky partition, choosing a new one when there is none yet,
 * it is out of range (the partition count changed) or it lost its leader
 * while another partition has one. */
static int32_t sticky(kafc__partitioner_t *p, kafc__ptopic_state_t *st, int32_t n,
                      const uint8_t *available)
{
    int32_t cur = atomic_load_explicit(&st->sticky, memory_order_relaxed);
    for (;;) {
        if (cur >= 0 && cur < n && (is_available(available, cur) || !any_available(available, n)))
            return cur;
        int32_t next = random_other(p, n, available, cur >= 0 && cur < n ? cur : -1);
        /* On failure cur holds the winner's choice: check that one. */
        if (atomic_compare_exchange_weak_explicit(&st->sticky, &cur, next, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            atomic_store_explicit(&st->sticky_bytes, 0, memory_order_relaxed);
            return next;
        }
    }
}

/* ---- API ---------------------------------------------------------------- */

kafc_err_t kafc__partitioner_init(kafc__partitioner_t *p, int type, kafc_partitioner_cb_t *cb,
                                  void *cb_opaque, uint64_t seed)
{
    if (type < KAFC__PARTITIONER_MURMUR2_RANDOM || type > KAFC__PARTITIONER_ROUND_ROBIN)
        return KAFC_ERR__INVALID_ARG;
    p->type = type;
    p->cb = cb;
    p->cb_opaque = cb_opaque;
    if (!seed)
        seed = (uint64_t)kafc__clock_us() * UINT64_C(0x9e3779b97f4a7c15) ^
               (uint64_t)kafc__wallclock_ms() ^ (uint64_t)(uintptr_t)p;
    atomic_init(&p->rng, seed);
    return KAFC_ERR_NONE;
}

void kafc__ptopic_state_init(kafc__ptopic_state_t *st)
{
    atomic_init(&st->sticky, -1);
    atomic_init(&st->rr, 0);
    atomic_init(&st->sticky_bytes, 0);
}

void kafc__partitioner_produced(kafc__ptopic_state_t *st, int32_t partition, size_t bytes)
{
    /* A plain load and store, not a locked add: this runs for every
     * keyless record, and a count that misses a concurrent producer's
     * bytes only moves the partition a little later. */
    if (atomic_load_explicit(&st->sticky, memory_order_relaxed) == partition)
        atomic_store_explicit(&st->sticky_bytes,
                              atomic_load_explicit(&st->sticky_bytes, memory_order_relaxed) +
                                  (int64_t)bytes,
                              memory_order_relaxed);
}

int64_t kafc__partitioner_sticky_bytes(kafc__ptopic_state_t *st)
{
    return atomic_load_explicit(&st->sticky_bytes, memory_order_relaxed);
}

int32_t kafc__partitioner_pick(kafc__partitioner_t *p, kafc__ptopic_state_t *st, const char *topic,
                               const void *key, size_t key_len, int32_t npartitions,
                               const uint8_t *available)
{
    if (npartitions <= 0)
        return -1;
    if (!key)
        key_len = 0;
    if (p->cb) {
        int32_t r = p->cb(topic, key, key_len, npartitions, p->cb_opaque);
        if (r != -1)
            return r >= 0 && r < npartitions ? r : -1;
    }
    switch (p->type) {
    case KAFC__PARTITIONER_RANDOM:
        return random_other(p, npartitions, available, -1);
    case KAFC__PARTITIONER_ROUND_ROBIN:
        return round_robin(st, npartitions, available);
    default:
        break;
    }
    if (!key) {
        /* librdkafka's consistent and fnv1a hash a null key as an empty one
         * (one fixed partition); everything else is sticky. */
        if (p->type != KAFC__PARTITIONER_CONSISTENT && p->type != KAFC__PARTITIONER_FNV1A)
            return sticky(p, st, npartitions, available);
    } else if (key_len == 0 && p->type == KAFC__PARTITIONER_CONSISTENT_RANDOM) {
        return sticky(p, st, npartitions, available);
    }
    switch (p->type) {
    case KAFC__PARTITIONER_CONSISTENT:
    case KAFC__PARTITIONER_CONSISTENT_RANDOM:
        return kafc__partition_consistent(key, key_len, npartitions);
    case KAFC__PARTITIONER_FNV1A:
    case KAFC__PARTITIONER_FNV1A_RANDOM:
        return kafc__partition_fnv1a(key, key_len, npartitions);
    default: /* murmur2, murmur2_random */
        return kafc__murmur2_partition(key, key_len, npartitions);
    }
}

void kafc__partitioner_new_batch(kafc__partitioner_t *p, kafc__ptopic_state_t *st,
                                 int32_t partition, int32_t npartitions, const uint8_t *available)
{
    if (npartitions <= 0 || partition < 0)
        return;
    int32_t cur = atomic_load_explicit(&st->sticky, memory_order_relaxed);
    if (cur != partition)
        return;
    int32_t next =
        random_other(p, npartitions, available, partition < npartitions ? partition : -1);
    /* Only the thread that still sees partition as sticky moves it. */
    if (atomic_compare_exchange_strong_explicit(&st->sticky, &cur, next, memory_order_relaxed,
                                                memory_order_relaxed))
        atomic_store_explicit(&st->sticky_bytes, 0, memory_order_relaxed);
}
