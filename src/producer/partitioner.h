/*
 * partitioner — picks the partition of a message produced with
 * KAFC_PARTITION_ANY, for every value of the `partitioner` property
 * (enum kafc__partitioner in conf.h) and a user kafc_partitioner_cb_t.
 *
 * Keyed messages are hashed over ALL partitions of the topic, available or
 * not, so a key always maps to the same partition (as the Java client and
 * librdkafka do):
 *   murmur2*            Java's toPositive(Utils.murmur2(key)) % n
 *   consistent*         librdkafka's rd_crc32(key) % n (zlib CRC-32, unsigned)
 *   fnv1a*              librdkafka's rd_fnv1a(key) % n (32-bit FNV-1a, made
 *                       non-negative like Sarama's, unsigned modulo)
 * Keyless (NULL key) messages go to the topic's sticky partition (KIP-480,
 * the Java client's default): one partition chosen at random among the
 * available ones, kept until kafc__partitioner_new_batch() says its batch is
 * done (the producer says so when that batch is full, or once batch.size
 * bytes went to the partition: KIP-794, see kafc__partitioner_produced).
 * That holds for murmur2_random, murmur2, consistent_random and
 * fnv1a_random (librdkafka, whose sticky partition changes on a timer
 * instead, does it for the _random ones). `consistent` and `fnv1a` hash a
 * NULL key as the empty key, one fixed partition, exactly as librdkafka
 * does (rdkafka_topic.c runs them without its sticky step); librdkafka's
 * `murmur2` does that too, kafc's does not: keyless messages on one
 * partition forever are rarely wanted, and Java's murmur2 is sticky.
 * consistent_random also treats an empty (non-NULL) key as keyless, like
 * librdkafka. `random` picks an available partition at random for every
 * message, `round_robin` cycles over the available partitions (Java's
 * RoundRobinPartitioner: one counter per topic); both ignore the key.
 * "Available" means the partition has a leader; when none has, any
 * partition will do.
 *
 * A user callback, when set, is asked first for every message (NULL key for
 * a keyless one); -1 hands the choice to the configured partitioner.
 *
 * Threads and ownership: a kafc__partitioner_t is set up once and then used
 * from any number of threads at once with no lock (its random generator is
 * an atomic). The per-topic state (kafc__ptopic_state_t) is embedded by the
 * producer in its topic object; it too is lock-free (atomics), so pick and
 * new_batch may race on one topic from many threads. Neither owns anything
 * beyond itself; `available` arrays are borrowed for the call.
 */
#ifndef KAFC_PRODUCER_PARTITIONER_H
#define KAFC_PRODUCER_PARTITIONER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kafc/kafc.h"

typedef struct kafc__partitioner_s {
    int type; /* enum kafc__partitioner (conf.h) */
    kafc_partitioner_cb_t *cb;
    void *cb_opaque;
    _Atomic uint64_t rng; /* splitmix64 state */
} kafc__partitioner_t;

/* Per-topic partitioner state, embedded in the producer's topic object. */
typedef struct kafc__ptopic_state {
    atomic_int_least32_t sticky;       /* the sticky partition; -1: none yet */
    atomic_uint_least32_t rr;          /* round_robin: the next counter value */
    atomic_int_least64_t sticky_bytes; /* record bytes put on the sticky partition */
} kafc__ptopic_state_t;

/* Sets p up for the partitioner type (enum kafc__partitioner, i.e.
 * kafc__conf_int(conf, KAFC__P_PARTITIONER)), with an optional user
 * callback cb and its opaque (borrowed for p's lifetime), and a seed for the
 * random choices (0: one derived from the clocks and p's address). Returns
 * KAFC_ERR__INVALID_ARG for an unknown type. Any thread; p not yet shared.
 * Nothing to free afterwards. */
kafc_err_t kafc__partitioner_init(kafc__partitioner_t *p, int type, kafc_partitioner_cb_t *cb,
                                  void *cb_opaque, uint64_t seed);

/* Resets a topic's state: no sticky partition, round-robin from 0. Any
 * thread; st not yet shared. */
void kafc__ptopic_state_init(kafc__ptopic_state_t *st);

/* The partition for a message to topic (NUL-terminated, borrowed for the
 * call, handed to the user callback) with key (key_len bytes; key NULL =
 * null key, then key_len is ignored; a non-NULL key with key_len 0 is an
 * empty key), among npartitions partitions of which available[i] != 0 have a
 * leader (available NULL: all have). Returns a partition in
 * [0, npartitions), or -1 when npartitions <= 0 or the user callback
 * returned a partition out of range (other than -1): the caller fails the
 * message with KAFC_ERR__UNKNOWN_PARTITION. May change st (sticky choice,
 * round-robin counter). Any thread, no lock; runs the user callback on the
 * calling thread. */
int32_t kafc__partitioner_pick(kafc__partitioner_t *p, kafc__ptopic_state_t *st, const char *topic,
                               const void *key, size_t key_len, int32_t npartitions,
                               const uint8_t *available);

/* KIP-480: tells the topic's state that partition is about to get a new
 * batch because its previous one is full or gone to the broker. When
 * partition is the current sticky partition, the sticky partition moves to
 * another available partition chosen at random (it stays when it is the
 * only available one); otherwise nothing changes, so several threads
 * reporting the same batch move it once. The producer calls this when a
 * keyless message picked through kafc__partitioner_pick() would open a new
 * batch, then picks again, as Java's onNewBatch does. Any thread, no lock. */
/* KIP-794: counts bytes of keyless records put on partition while it is
 * the sticky one; kafc__partitioner_sticky_bytes() reads the count, which
 * restarts from 0 whenever the sticky partition moves. The producer moves
 * it when a batch there is full, or, when batches leave before they fill
 * (linger.ms=0), once batch.size bytes went there: so keyless messages
 * spread evenly without one-record batches on every partition. Any thread,
 * no lock. */
void kafc__partitioner_produced(kafc__ptopic_state_t *st, int32_t partition, size_t bytes);
int64_t kafc__partitioner_sticky_bytes(kafc__ptopic_state_t *st);

void kafc__partitioner_new_batch(kafc__partitioner_t *p, kafc__ptopic_state_t *st,
                                 int32_t partition, int32_t npartitions, const uint8_t *available);

/* The keyed placements on their own (no callback, no state), for tests and
 * tools: each returns a partition in [0, npartitions), or -1 when
 * npartitions <= 0. key (key_len bytes) may be NULL when key_len is 0. Any
 * thread. */
int32_t kafc__partition_consistent(const void *key, size_t key_len, int32_t npartitions);
int32_t kafc__partition_fnv1a(const void *key, size_t key_len, int32_t npartitions);

/* librdkafka's rd_fnv1a(): 32-bit FNV-1a, then the absolute value of the
 * result read as int32 (INT32_MIN stays 0x80000000). Any thread. */
uint32_t kafc__fnv1a(const void *key, size_t key_len);

#endif /* KAFC_PRODUCER_PARTITIONER_H */
