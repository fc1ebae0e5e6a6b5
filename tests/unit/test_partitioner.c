/*
 * Unit tests for producer/partitioner: keyed placements against their
 * references (Java's murmur2 vectors; librdkafka for real, through kcat on
 * the test cluster, for consistent, murmur2 and fnv1a: keyed, empty and,
 * where librdkafka fixes their place, null keys), the sticky partition
 * of keyless messages (KIP-480), round_robin, random, the user callback, and
 * concurrent use.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "producer/partitioner.h"
#include "test_cluster.h"

TestSuite(partitioner, .timeout = 110);

static kafc__partitioner_t mk(int type)
{
    kafc__partitioner_t p;
    cr_assert_eq(kafc__partitioner_init(&p, type, NULL, NULL, 12345), KAFC_ERR_NONE);
    return p;
}

static int32_t pick(kafc__partitioner_t *p, kafc__ptopic_state_t *st, const char *key, int32_t n,
                    const uint8_t *avail)
{
    return kafc__partitioner_pick(p, st, "t", key, key ? strlen(key) : 0, n, avail);
}

/* ---- keyed placements: known answers ------------------------------------ */

/* Utils.murmur2 of Kafka's UtilsTest vectors (see test_murmur2.c); the
 * expected partition is Java's toPositive(hash) % n, computed here from the
 * Java hash, not from kafc's murmur2. */
static const struct {
    const char *key;
    int32_t hash;
} java[] = {
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
};

Test(partitioner, murmur2_matches_java)
{
    static const int32_t ns[] = {1, 2, 3, 8, 12, 50, 100, 1000};
    static const int types[] = {KAFC__PARTITIONER_MURMUR2, KAFC__PARTITIONER_MURMUR2_RANDOM};
    for (size_t t = 0; t < 2; t++) {
        kafc__partitioner_t p = mk(types[t]);
        kafc__ptopic_state_t st;
        kafc__ptopic_state_init(&st);
        for (size_t i = 0; i < sizeof(java) / sizeof(java[0]); i++) {
            for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
                int32_t want = (int32_t)(((uint32_t)java[i].hash & 0x7fffffffu) % (uint32_t)ns[j]);
                cr_assert_eq(pick(&p, &st, java[i].key, ns[j], NULL), want, "\"%s\" over %d",
                             java[i].key, ns[j]);
            }
        }
        /* "21" over 12 partitions is 0, as in test_murmur2's table. */
        cr_assert_eq(pick(&p, &st, "21", 12, NULL), 0);
        /* An empty key is hashed (Java hashes an empty byte[]): murmur2("")
         * = 275646681, % 12 = 9. */
        cr_assert_eq(kafc__partitioner_pick(&p, &st, "t", "", 0, 12, NULL), 9);
        /* Keys ignore availability: the hash decides even when its
         * partition has no leader. */
        uint8_t none[12] = {0};
        cr_assert_eq(pick(&p, &st, "foobar", 12, none), 6);
    }
}

Test(partitioner, consistent_known_answers)
{
    /* CRC-32 (IEEE) "123456789" = 0xcbf43926: % 8 = 6, % 3 = 2. */
    cr_assert_eq(kafc__partition_consistent("123456789", 9, 8), 6);
    cr_assert_eq(kafc__partition_consistent("123456789", 9, 3), 2);
    /* CRC-32 of nothing is 0. */
    cr_assert_eq(kafc__partition_consistent("", 0, 7), 0);
    cr_assert_eq(kafc__partition_consistent(NULL, 0, 7), 0);
    cr_assert_eq(kafc__partition_consistent("x", 1, 0), -1);
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_CONSISTENT);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    cr_assert_eq(pick(&p, &st, "123456789", 8, NULL), 6);
    /* consistent hashes an empty (not null) key: partition 0. */
    for (int i = 0; i < 20; i++)
        cr_assert_eq(kafc__partitioner_pick(&p, &st, "t", "", 0, 8, NULL), 0);
    p = mk(KAFC__PARTITIONER_CONSISTENT_RANDOM);
    cr_assert_eq(pick(&p, &st, "123456789", 3, NULL), 2);
}

Test(partitioner, fnv1a_matches_librdkafka_vectors)
{
    /* librdkafka's unittest_fnv1a (src/rdfnv1a.c), which took them from Go's
     * hash/fnv with Sarama's absolute value. */
    const char *short_unaligned = "1234";
    const char *unaligned = "PreAmbleWillBeRemoved,ThePrePartThatIs";
    const struct {
        const char *key;
        uint32_t hash;
    } v[] = {
        {"kafka", 0xd33c4e1},
        {"giberish123456789", 0x77a58295},
        {short_unaligned, 0x23bdd03},
        {short_unaligned + 1, 0x2dea3cd2},
        {short_unaligned + 2, 0x740fa83e},
        {short_unaligned + 3, 0x310ca263},
        {unaligned, 0x65cbd69c},
        {unaligned + 1, 0x6e49c79a},
        {unaligned + 2, 0x69eed356},
        {unaligned + 3, 0x6abcc023},
        {"", 0x7ee3623b},
    };
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_FNV1A);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cr_assert_eq(kafc__fnv1a(v[i].key, strlen(v[i].key)), v[i].hash, "\"%s\"", v[i].key);
        for (int32_t n = 1; n <= 13; n++) {
            cr_assert_eq(kafc__partition_fnv1a(v[i].key, strlen(v[i].key), n),
                         (int32_t)(v[i].hash % (uint32_t)n));
            cr_assert_eq(kafc__partitioner_pick(&p, &st, "t", v[i].key, strlen(v[i].key), n, NULL),
                         (int32_t)(v[i].hash % (uint32_t)n));
        }
    }
    cr_assert_eq(kafc__fnv1a(NULL, 0), 0x7ee3623bu);
    cr_assert_eq(kafc__partition_fnv1a("kafka", 5, -1), -1);
}

Test(partitioner, bad_setup_and_no_partitions)
{
    kafc__partitioner_t p;
    cr_assert_eq(kafc__partitioner_init(&p, -1, NULL, NULL, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__partitioner_init(&p, KAFC__PARTITIONER_ROUND_ROBIN + 1, NULL, NULL, 1),
                 KAFC_ERR__INVALID_ARG);
    /* Seed 0: one is made up; the partitioner works. */
    cr_assert_eq(kafc__partitioner_init(&p, KAFC__PARTITIONER_RANDOM, NULL, NULL, 0),
                 KAFC_ERR_NONE);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    for (int type = KAFC__PARTITIONER_MURMUR2_RANDOM; type <= KAFC__PARTITIONER_ROUND_ROBIN;
         type++) {
        p = mk(type);
        cr_assert_eq(pick(&p, &st, "k", 0, NULL), -1, "type %d", type);
        cr_assert_eq(pick(&p, &st, NULL, 0, NULL), -1, "type %d", type);
        cr_assert_eq(pick(&p, &st, NULL, -5, NULL), -1, "type %d", type);
        cr_assert_eq(pick(&p, &st, NULL, 1, NULL), 0, "type %d", type);
        kafc__partitioner_new_batch(&p, &st, 0, 0, NULL); /* no-op */
    }
}

/* ---- keyless: sticky ---------------------------------------------------- */

static int in_set(int32_t v, const uint8_t *avail)
{
    return v >= 0 && avail[v];
}

Test(partitioner, sticky_stays_until_new_batch)
{
    static const int types[] = {KAFC__PARTITIONER_MURMUR2_RANDOM, KAFC__PARTITIONER_MURMUR2,
                                KAFC__PARTITIONER_CONSISTENT_RANDOM,
                                KAFC__PARTITIONER_FNV1A_RANDOM};
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        kafc__partitioner_t p = mk(types[t]);
        kafc__ptopic_state_t st;
        kafc__ptopic_state_init(&st);
        int32_t s = pick(&p, &st, NULL, 8, NULL);
        cr_assert(s >= 0 && s < 8);
        for (int i = 0; i < 100; i++)
            cr_assert_eq(pick(&p, &st, NULL, 8, NULL), s, "type %d: keyless stays", types[t]);
        /* A new batch on another partition changes nothing. */
        kafc__partitioner_new_batch(&p, &st, (s + 1) % 8, 8, NULL);
        cr_assert_eq(pick(&p, &st, NULL, 8, NULL), s);
        /* Keyed messages in between do not move it either. */
        pick(&p, &st, "some key", 8, NULL);
        cr_assert_eq(pick(&p, &st, NULL, 8, NULL), s);
        /* A new batch on the sticky partition moves it elsewhere. */
        for (int round = 0; round < 50; round++) {
            kafc__partitioner_new_batch(&p, &st, s, 8, NULL);
            int32_t s2 = pick(&p, &st, NULL, 8, NULL);
            cr_assert(s2 >= 0 && s2 < 8);
            cr_assert_neq(s2, s, "type %d: moved to a different partition", types[t]);
            for (int i = 0; i < 10; i++)
                cr_assert_eq(pick(&p, &st, NULL, 8, NULL), s2);
            s = s2;
        }
    }
}

Test(partitioner, sticky_bytes_count_and_restart_when_it_moves)
{
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_MURMUR2_RANDOM);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    cr_assert_eq(kafc__partitioner_sticky_bytes(&st), 0);
    int32_t s = pick(&p, &st, NULL, 8, NULL);
    kafc__partitioner_produced(&st, s, 100);
    kafc__partitioner_produced(&st, s, 50);
    kafc__partitioner_produced(&st, (s + 1) % 8, 1000); /* not the sticky one */
    cr_assert_eq(kafc__partitioner_sticky_bytes(&st), 150);
    kafc__partitioner_new_batch(&p, &st, (s + 1) % 8, 8, NULL); /* not it: no move */
    cr_assert_eq(kafc__partitioner_sticky_bytes(&st), 150);
    kafc__partitioner_new_batch(&p, &st, s, 8, NULL);
    int32_t s2 = pick(&p, &st, NULL, 8, NULL);
    cr_assert_neq(s2, s);
    cr_assert_eq(kafc__partitioner_sticky_bytes(&st), 0, "the count restarts on a move");
    kafc__partitioner_produced(&st, s2, 7);
    cr_assert_eq(kafc__partitioner_sticky_bytes(&st), 7);
}

Test(partitioner, consistent_and_fnv1a_hash_null_keys)
{
    /* As librdkafka (rdkafka_topic.c runs consistent, murmur2 and fnv1a
     * without its sticky step, so their functions hash (NULL, 0)): one fixed
     * partition, whatever the batches do. */
    kafc__partitioner_t c = mk(KAFC__PARTITIONER_CONSISTENT);
    kafc__partitioner_t f = mk(KAFC__PARTITIONER_FNV1A);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    for (int32_t n = 1; n <= 12; n++) {
        for (int i = 0; i < 5; i++) {
            cr_assert_eq(pick(&c, &st, NULL, n, NULL), 0, "crc32 of nothing is 0");
            cr_assert_eq(pick(&f, &st, NULL, n, NULL), (int32_t)(0x7ee3623bu % (uint32_t)n));
            kafc__partitioner_new_batch(&c, &st, 0, n, NULL);
        }
    }
    /* Even to a partition without a leader: the hash decides. */
    const uint8_t none[8] = {0};
    cr_assert_eq(pick(&c, &st, NULL, 8, none), 0);
    cr_assert_eq(pick(&f, &st, NULL, 8, none), 3);
}

Test(partitioner, consistent_random_treats_empty_key_as_keyless)
{
    /* As librdkafka's rd_kafka_msg_partitioner: an empty key under
     * consistent_random goes to the sticky partition. */
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_CONSISTENT_RANDOM);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    int32_t s = pick(&p, &st, NULL, 8, NULL);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 10; i++)
            cr_assert_eq(kafc__partitioner_pick(&p, &st, "t", "", 0, 8, NULL), s);
        kafc__partitioner_new_batch(&p, &st, s, 8, NULL);
        int32_t s2 = kafc__partitioner_pick(&p, &st, "t", "", 0, 8, NULL);
        cr_assert_neq(s2, s);
        s = s2;
    }
    /* Over many moves the sticky partition is not stuck on 0 (where the
     * CRC of an empty key would put it). */
    int seen[8] = {0};
    for (int i = 0; i < 400; i++) {
        s = pick(&p, &st, NULL, 8, NULL);
        seen[s]++;
        kafc__partitioner_new_batch(&p, &st, s, 8, NULL);
    }
    for (int i = 0; i < 8; i++)
        cr_assert_gt(seen[i], 0, "partition %d never sticky", i);
}

Test(partitioner, sticky_only_available)
{
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_MURMUR2_RANDOM);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    const uint8_t avail[8] = {0, 1, 0, 1, 0, 1, 0, 0};
    int seen[8] = {0};
    int32_t s = pick(&p, &st, NULL, 8, avail);
    cr_assert(in_set(s, avail));
    for (int round = 0; round < 600; round++) {
        kafc__partitioner_new_batch(&p, &st, s, 8, avail);
        int32_t s2 = pick(&p, &st, NULL, 8, avail);
        cr_assert(in_set(s2, avail), "moved to %d, which has no leader", s2);
        cr_assert_neq(s2, s);
        seen[s2]++;
        s = s2;
    }
    cr_assert(seen[1] > 100 && seen[3] > 100 && seen[5] > 100, "%d %d %d", seen[1], seen[3],
              seen[5]);

    /* The sticky partition loses its leader: the next keyless pick moves to
     * one that has one. */
    uint8_t avail2[8] = {0};
    avail2[(s + 2) % 8] = 1;
    int32_t only = (s + 2) % 8;
    cr_assert_eq(pick(&p, &st, NULL, 8, avail2), only);
    cr_assert_eq(pick(&p, &st, NULL, 8, avail2), only);
    /* Only one available: a new batch keeps it there. */
    kafc__partitioner_new_batch(&p, &st, only, 8, avail2);
    cr_assert_eq(pick(&p, &st, NULL, 8, avail2), only);

    /* Nothing available: any partition will do, and it sticks. */
    const uint8_t none[8] = {0};
    int32_t s3 = pick(&p, &st, NULL, 8, none);
    cr_assert_eq(s3, only, "no better choice: keep the current one");
    kafc__partitioner_new_batch(&p, &st, s3, 8, none);
    int32_t s4 = pick(&p, &st, NULL, 8, none);
    cr_assert(s4 >= 0 && s4 < 8);
    cr_assert_neq(s4, s3);
    cr_assert_eq(pick(&p, &st, NULL, 8, none), s4);

    /* The partition count shrinks below the sticky partition. */
    kafc__ptopic_state_init(&st);
    const uint8_t only7[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    cr_assert_eq(pick(&p, &st, NULL, 8, only7), 7);
    int32_t s5 = pick(&p, &st, NULL, 4, NULL);
    cr_assert(s5 >= 0 && s5 < 4);
    cr_assert_eq(pick(&p, &st, NULL, 4, NULL), s5);
    /* One partition: always 0, also across new batches. */
    kafc__ptopic_state_init(&st);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(pick(&p, &st, NULL, 1, NULL), 0);
        kafc__partitioner_new_batch(&p, &st, 0, 1, NULL);
    }
}

/* ---- random and round_robin --------------------------------------------- */

Test(partitioner, random_in_range_and_everywhere)
{
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_RANDOM);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    int seen[8] = {0};
    for (int i = 0; i < 8000; i++) {
        int32_t r = pick(&p, &st, i % 2 ? "same key" : NULL, 8, NULL);
        cr_assert(r >= 0 && r < 8);
        seen[r]++;
    }
    for (int i = 0; i < 8; i++)
        cr_assert(seen[i] > 700 && seen[i] < 1300, "partition %d drawn %d times of 8000", i,
                  seen[i]);

    const uint8_t avail[8] = {0, 1, 0, 0, 1, 0, 1, 0};
    int seen2[8] = {0};
    for (int i = 0; i < 3000; i++) {
        int32_t r = pick(&p, &st, "k", 8, avail);
        cr_assert(in_set(r, avail), "drew %d, which has no leader", r);
        seen2[r]++;
    }
    cr_assert(seen2[1] > 800 && seen2[4] > 800 && seen2[6] > 800);

    /* A single available partition among many (the slow path). */
    uint8_t one[1000] = {0};
    one[637] = 1;
    for (int i = 0; i < 200; i++)
        cr_assert_eq(pick(&p, &st, NULL, 1000, one), 637);
    /* None available: any partition. */
    const uint8_t none[8] = {0};
    int seen3[8] = {0};
    for (int i = 0; i < 800; i++) {
        int32_t r = pick(&p, &st, NULL, 8, none);
        cr_assert(r >= 0 && r < 8);
        seen3[r]++;
    }
    for (int i = 0; i < 8; i++)
        cr_assert_gt(seen3[i], 0);
}

Test(partitioner, round_robin_cycles)
{
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_ROUND_ROBIN);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(pick(&p, &st, i % 3 ? "key" : NULL, 5, NULL), i % 5, "message %d", i);

    /* Java: the counter indexes the available partitions. */
    kafc__ptopic_state_t st2;
    kafc__ptopic_state_init(&st2);
    const uint8_t avail[5] = {1, 0, 1, 1, 0};
    static const int32_t want[] = {0, 2, 3, 0, 2, 3, 0, 2, 3};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(pick(&p, &st2, "key", 5, avail), want[i]);
    /* None available: counter % n over every partition (counter is at 9). */
    const uint8_t none[5] = {0};
    cr_assert_eq(pick(&p, &st2, "key", 5, none), 4);
    cr_assert_eq(pick(&p, &st2, "key", 5, none), 0);
    /* The state is per topic: st is unaffected by st2. */
    cr_assert_eq(pick(&p, &st, NULL, 5, NULL), 0);
    /* new_batch does not disturb the cycle. */
    kafc__partitioner_new_batch(&p, &st, 0, 5, NULL);
    cr_assert_eq(pick(&p, &st, NULL, 5, NULL), 1);
}

/* ---- user callback ------------------------------------------------------ */

struct cb_state {
    int32_t answer;
    int calls;
    const char *topic;
    const void *key;
    size_t key_len;
    int32_t n;
};

static int32_t user_cb(const char *topic, const void *key, size_t key_len, int32_t n, void *opaque)
{
    struct cb_state *s = opaque;
    s->calls++;
    s->topic = topic;
    s->key = key;
    s->key_len = key_len;
    s->n = n;
    return s->answer;
}

Test(partitioner, user_callback)
{
    struct cb_state cs = {.answer = 2};
    kafc__partitioner_t p;
    cr_assert_eq(kafc__partitioner_init(&p, KAFC__PARTITIONER_MURMUR2, user_cb, &cs, 7),
                 KAFC_ERR_NONE);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    const char *key = "foobar";
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), 2);
    cr_assert_eq(cs.calls, 1);
    cr_assert_str_eq(cs.topic, "orders");
    cr_assert_eq(cs.key, key);
    cr_assert_eq(cs.key_len, 6);
    cr_assert_eq(cs.n, 8);
    /* The callback's answer wins even over availability. */
    const uint8_t none[8] = {0};
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, none), 2);

    /* Keyless messages reach the callback with a NULL key and length 0. */
    cs.answer = 5;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", NULL, 17, 8, NULL), 5);
    cr_assert_null(cs.key);
    cr_assert_eq(cs.key_len, 0);

    /* -1: the configured partitioner decides (murmur2 "foobar" % 8 = 6,
     * sticky for keyless). */
    cs.answer = -1;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), 6);
    int32_t s = kafc__partitioner_pick(&p, &st, "orders", NULL, 0, 8, NULL);
    cr_assert(s >= 0 && s < 8);
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", NULL, 0, 8, NULL), s);

    /* Out of range: an error for the caller. */
    cs.answer = 8;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), -1);
    cs.answer = -2;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), -1);
    cs.answer = INT32_MIN;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), -1);
    cs.answer = 7;
    cr_assert_eq(kafc__partitioner_pick(&p, &st, "orders", key, 6, 8, NULL), 7);
}

/* ---- threads ------------------------------------------------------------ */

struct thr_arg {
    kafc__partitioner_t *p;
    kafc__ptopic_state_t *st;
    const uint8_t *avail;
    int bad;
};

static void *hammer(void *arg)
{
    struct thr_arg *a = arg;
    for (int i = 0; i < 20000; i++) {
        int32_t r = kafc__partitioner_pick(a->p, a->st, "t", NULL, 0, 16, a->avail);
        if (r < 0 || r >= 16 || !a->avail[r])
            a->bad++;
        if (i % 50 == 0)
            kafc__partitioner_new_batch(a->p, a->st, r, 16, a->avail);
    }
    return NULL;
}

Test(partitioner, concurrent_sticky)
{
    kafc__partitioner_t p = mk(KAFC__PARTITIONER_MURMUR2_RANDOM);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    uint8_t avail[16];
    for (int i = 0; i < 16; i++)
        avail[i] = i % 3 != 0;
    pthread_t th[4];
    struct thr_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thr_arg){.p = &p, .st = &st, .avail = avail};
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(args[i].bad, 0, "thread %d got unavailable/out-of-range partitions", i);
    }
}

/* ---- librdkafka, for real ----------------------------------------------- */

#define NKEYS 200

static kafc_tc_t *tc;

static void cluster_up(void)
{
    tc = kafc_tc_start("-b 3 -t p8:8 -t p3:3", 20000);
    cr_assert_not_null(tc);
}

static void cluster_down(void)
{
    kafc_tc_stop(tc);
    tc = NULL;
}

/* Key i: 1..40 characters from a set without blanks or ':' (the kcat key
 * delimiter), so every length class of the hashes' tails is covered. */
static void make_key(int i, char *out)
{
    static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    uint32_t x = (uint32_t)i * 2654435761u + 12345u;
    int len = 1 + (i * 7) % 40;
    for (int j = 0; j < len; j++) {
        x = x * 1103515245u + 12345u;
        out[j] = cs[(x >> 16) % (sizeof(cs) - 1)];
    }
    out[len] = '\0';
}

enum { WITH_EMPTY_KEY = 1, WITH_NULL_KEYS = 2 };

/* kcat -P with librdkafka's partitioner `name`: NKEYS keyed messages (and
 * an empty key with WITH_EMPTY_KEY), or five null-key ones (keyed 0). */
static void kcat_produce(const char *name, const char *topic, int keyed, int flags)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "timeout 30 kcat -P -b '%s' -t %s %s -X partitioner=%s "
             "-X message.timeout.ms=10000 -X linger.ms=5",
             kafc_tc_bootstrap(tc), topic, keyed ? "-K :" : "", name);
    FILE *f = popen(cmd, "w");
    cr_assert_not_null(f);
    char key[64];
    if (keyed) {
        for (int i = 0; i < NKEYS; i++) {
            make_key(i, key);
            fprintf(f, "%s:value-%d\n", key, i);
        }
        if (flags & WITH_EMPTY_KEY)
            fprintf(f, ":value-empty-key\n");
    } else {
        for (int i = 0; i < 5; i++)
            fprintf(f, "value-null-key-%d\n", i);
    }
    cr_assert_eq(pclose(f), 0, "kcat -P failed (%s, %s)", name, topic);
}

/* Produces NKEYS keyed messages to topic with kcat (librdkafka) using its
 * partitioner `name`, plus (flags) one empty key and a few null keys, reads
 * back where each landed, and checks that kafc's partitioner of `type`
 * picks the same partition for every message. */
static void check_against_kcat(const char *name, int type, const char *topic, int32_t n, int flags)
{
    kcat_produce(name, topic, 1, flags);
    if (flags & WITH_NULL_KEYS)
        kcat_produce(name, topic, 0, flags);
    int want_count = NKEYS + (flags & WITH_EMPTY_KEY ? 1 : 0) + (flags & WITH_NULL_KEYS ? 5 : 0);

    char cmd[1024];
    /* Key length (-1: null), partition, key: keys hold no ':'. */
    snprintf(cmd, sizeof(cmd),
             "timeout 30 kcat -C -b '%s' -t %s -o beginning -e -q -f '%%K:%%p:%%k\\n'",
             kafc_tc_bootstrap(tc), topic);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    kafc__partitioner_t p = mk(type);
    kafc__ptopic_state_t st;
    kafc__ptopic_state_init(&st);
    char line[256];
    int count = 0, nulls = 0, empties = 0, per_partition[8] = {0};
    while (fgets(line, sizeof(line), f)) {
        char *end;
        long klen = strtol(line, &end, 10);
        cr_assert_eq(*end, ':', "bad line \"%s\"", line);
        int32_t got = (int32_t)strtol(end + 1, &end, 10);
        cr_assert_eq(*end, ':', "bad line \"%s\"", line);
        char *key = end + 1;
        key[strcspn(key, "\n")] = '\0';
        cr_assert(got >= 0 && got < n);
        int32_t want;
        if (klen < 0) {
            want = kafc__partitioner_pick(&p, &st, topic, NULL, 0, n, NULL);
            nulls++;
        } else {
            cr_assert_eq((size_t)klen, strlen(key));
            want = kafc__partitioner_pick(&p, &st, topic, key, strlen(key), n, NULL);
            empties += klen == 0;
        }
        cr_assert_eq(want, got, "%s: key \"%s\" (length %ld) landed on %d, kafc picks %d", name,
                     key, klen, got, want);
        per_partition[got]++;
        count++;
    }
    cr_assert_eq(pclose(f), 0, "kcat -C failed (%s, %s)", name, topic);
    cr_assert_eq(count, want_count, "%s: read back %d of %d messages", name, count, want_count);
    cr_assert_eq(nulls, flags & WITH_NULL_KEYS ? 5 : 0);
    cr_assert_eq(empties, flags & WITH_EMPTY_KEY ? 1 : 0);
    for (int32_t i = 0; i < n; i++)
        cr_assert_gt(per_partition[i], 0, "%s: nothing on partition %d of %s", name, i, topic);
}

/* Null keys are compared only where librdkafka's placement is fixed and
 * kafc's is the same (consistent, fnv1a); librdkafka's murmur2 puts them on
 * one partition, kafc's is sticky, and the _random variants are sticky in
 * both. Empty keys are hashed by all but consistent_random (sticky). */
Test(partitioner, consistent_matches_librdkafka, .init = cluster_up, .fini = cluster_down)
{
    check_against_kcat("consistent", KAFC__PARTITIONER_CONSISTENT, "p8", 8,
                       WITH_EMPTY_KEY | WITH_NULL_KEYS);
    check_against_kcat("consistent_random", KAFC__PARTITIONER_CONSISTENT_RANDOM, "p3", 3, 0);
}

Test(partitioner, murmur2_matches_librdkafka, .init = cluster_up, .fini = cluster_down)
{
    check_against_kcat("murmur2", KAFC__PARTITIONER_MURMUR2, "p8", 8, WITH_EMPTY_KEY);
    check_against_kcat("murmur2_random", KAFC__PARTITIONER_MURMUR2_RANDOM, "p3", 3, 0);
}

Test(partitioner, fnv1a_matches_librdkafka, .init = cluster_up, .fini = cluster_down)
{
    check_against_kcat("fnv1a", KAFC__PARTITIONER_FNV1A, "p8", 8, WITH_EMPTY_KEY | WITH_NULL_KEYS);
    check_against_kcat("fnv1a_random", KAFC__PARTITIONER_FNV1A_RANDOM, "p3", 3, 0);
}
