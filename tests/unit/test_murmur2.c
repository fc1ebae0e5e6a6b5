/*
 * Unit tests for util/murmur2: bit-exact agreement with the Java client's
 * org.apache.kafka.common.utils.Utils.murmur2 and its default partitioner.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "util/murmur2.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(murmur2, .timeout = 60);

/* Kafka's own test vectors: UtilsTest.testMurmur2 in apache/kafka,
 * clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java
 * (commit f55581dc73953c3509a4702433aeeeddc2970779). */
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

Test(murmur2, kafka_utilstest_vectors)
{
    for (size_t i = 0; i < sizeof(java) / sizeof(java[0]); i++)
        cr_assert_eq((int32_t)kafc__murmur2(java[i].key, strlen(java[i].key)), java[i].hash,
                     "murmur2(\"%s\")", java[i].key);
}

Test(murmur2, partition_is_to_positive_mod_n)
{
    /* Derived from the Java vectors above: (hash & 0x7fffffff) % n. */
    static const int32_t n[] = {1, 3, 12, 50, 100};
    static const int32_t want[][5] = {
        {0, 0, 0, 40, 40},  {0, 0, 6, 16, 66}, {0, 2, 8, 12, 12},
        {0, 2, 11, 19, 19}, {0, 2, 5, 27, 77}, {0, 0, 3, 7, 7},
    };
    for (size_t i = 0; i < sizeof(java) / sizeof(java[0]); i++) {
        for (size_t j = 0; j < 5; j++) {
            int32_t p = kafc__murmur2_partition(java[i].key, strlen(java[i].key), n[j]);
            cr_assert_eq(p, want[i][j], "\"%s\" over %d partitions", java[i].key, n[j]);
            cr_assert_eq(p, (int32_t)(((uint32_t)java[i].hash & 0x7fffffffu) % (uint32_t)n[j]));
        }
    }
    cr_assert_eq(kafc__murmur2_partition("foobar", 6, 0), -1);
    cr_assert_eq(kafc__murmur2_partition("foobar", 6, -3), -1);
    cr_assert_eq(kafc__murmur2_partition("foobar", 6, INT32_MAX), 1357151166);
}

Test(murmur2, high_bytes_and_every_tail_length)
{
    /* Java reads key bytes as signed and masks them with 0xff. Expected
     * values from a line-by-line transcription of Utils.murmur2 with Java's
     * signed bytes and int wrap-around (which reproduces every vector above),
     * covering tails of 0..3 bytes all >= 0x80. */
    static const struct {
        const char *key;
        size_t len;
        int32_t hash;
        int32_t part12;
    } v[] = {
        {"", 0, 275646681, 9},
        {"\x80", 1, 857690492, 8},
        {"\xff\xfe", 2, 1717632651, 3},
        {"\xff\xfe\xfd", 3, 998637092, 8},
        {"\x80\x81\x82\x83", 4, 1420557722, 2},
        {"\xde\xad\xbe\xef\xca\xfe\xba\xbe\xff", 9, -1375325735, 9},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        cr_assert_eq((int32_t)kafc__murmur2(v[i].key, v[i].len), v[i].hash, "case %zu", i);
        cr_assert_eq(kafc__murmur2_partition(v[i].key, v[i].len, 12), v[i].part12, "case %zu", i);
    }
    cr_assert_eq((int32_t)kafc__murmur2(NULL, 0), 275646681, "NULL with length 0 is the empty key");
}

Test(murmur2, hash_depends_only_on_bytes_not_alignment)
{
    char buf[64];
    const char *key = "a-little-bit-longer-string";
    size_t len = strlen(key);
    for (size_t off = 0; off < 8; off++) {
        memcpy(buf + off, key, len);
        cr_assert_eq((int32_t)kafc__murmur2(buf + off, len), -1486304829);
    }
}
