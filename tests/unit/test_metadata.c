/* Unit tests of cluster/metadata: building the cache from crafted Metadata
 * responses, merging partial answers, snapshots, and inconsistent input. */
#include <criterion/criterion.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/metadata.h"

TestSuite(metadata, .timeout = 30);

static kafc__metadata_response_broker_t brokers[3];
static kafc__metadata_response_topic_t topics[3];
static kafc__metadata_response_partition_t parts[3][4];
static int32_t reps[3] = {1, 2, 3};

/* A response with nb brokers (ids 1..nb) and the named topics, each with np
 * partitions led by broker (p % nb) + 1, listed in reverse order. */
static kafc__metadata_response_t make(int nb, const char **names, int nt, int np)
{
    kafc__metadata_response_t r;
    kafc__metadata_response_init(&r);
    for (int i = 0; i < nb; i++) {
        kafc__metadata_response_broker_init(&brokers[i]);
        brokers[i].node_id = nb - i; /* unsorted on purpose */
        brokers[i].host = kafc__proto_str("127.0.0.1");
        brokers[i].port = 9090 + nb - i;
    }
    r.brokers.items = brokers;
    r.brokers.count = nb;
    r.controller_id = 1;
    r.cluster_id = kafc__proto_str("cid");
    for (int t = 0; t < nt; t++) {
        kafc__metadata_response_topic_init(&topics[t]);
        topics[t].name = kafc__proto_str(names[t]);
        for (int p = 0; p < np; p++) {
            kafc__metadata_response_partition_t *pp = &parts[t][p];
            kafc__metadata_response_partition_init(pp);
            pp->partition_index = np - 1 - p;
            pp->leader_id = ((np - 1 - p) % nb) + 1;
            pp->leader_epoch = 7;
            pp->replica_nodes.items = reps;
            pp->replica_nodes.count = nb;
            pp->isr_nodes.items = reps;
            pp->isr_nodes.count = 1;
        }
        topics[t].partitions.items = parts[t];
        topics[t].partitions.count = np;
    }
    r.topics.items = topics;
    r.topics.count = nt;
    return r;
}

Test(metadata, built_sorted_and_complete)
{
    const char *names[] = {"zeta", "alpha"};
    kafc__metadata_response_t r = make(3, names, 2, 4);
    kafc__md_t md;
    cr_assert_eq(kafc__md_from_response(&md, &r), KAFC_ERR_NONE);
    cr_assert_eq(md.nbrokers, 3);
    cr_assert_eq(md.brokers[0].id, 1);
    cr_assert_eq(md.brokers[2].id, 3);
    cr_assert_eq(kafc__md_broker(&md, 2)->port, 9092);
    cr_assert_null(kafc__md_broker(&md, 9));
    cr_assert_str_eq(md.topics[0].name, "alpha");
    const kafc__md_topic_t *t = kafc__md_topic(&md, "zeta");
    cr_assert_not_null(t);
    cr_assert_eq(t->npartitions, 4);
    for (int p = 0; p < 4; p++) {
        cr_assert_eq(t->partitions[p].id, p);
        cr_assert_eq(t->partitions[p].leader, (p % 3) + 1);
        cr_assert_eq(t->partitions[p].leader_epoch, 7);
        cr_assert_eq(t->partitions[p].nreplicas, 3);
        cr_assert_eq(t->partitions[p].nisr, 1);
    }
    cr_assert_str_eq(md.cluster_id, "cid");
    kafc__md_clear(&md);
}

Test(metadata, duplicates_are_rejected)
{
    const char *names[] = {"a"};
    kafc__metadata_response_t r = make(3, names, 1, 2);
    parts[0][1].partition_index = parts[0][0].partition_index;
    kafc__md_t md;
    cr_assert_eq(kafc__md_from_response(&md, &r), KAFC_ERR__BAD_MSG);
    cr_assert_eq(md.ntopics, 0);
    r = make(3, names, 1, 2);
    brokers[1].node_id = brokers[0].node_id;
    cr_assert_eq(kafc__md_from_response(&md, &r), KAFC_ERR__BAD_MSG);
}

Test(metadata, partial_answer_keeps_other_topics_full_answer_drops_them)
{
    const char *ab[] = {"a", "b"}, *b_only[] = {"b"};
    kafc__md_t cache, fresh;
    kafc__metadata_response_t r = make(3, ab, 2, 2);
    cr_assert_eq(kafc__md_from_response(&cache, &r), 0);

    /* A refresh of "b" alone, now with 3 partitions and 2 brokers: brokers
     * are replaced, "a" is kept, "b" is replaced. */
    r = make(2, b_only, 1, 3);
    cr_assert_eq(kafc__md_from_response(&fresh, &r), 0);
    cr_assert_eq(kafc__md_merge(&cache, &fresh, 0), 0);
    cr_assert_eq(cache.nbrokers, 2);
    cr_assert_eq(cache.ntopics, 2);
    cr_assert_eq(kafc__md_topic(&cache, "a")->npartitions, 2);
    cr_assert_eq(kafc__md_topic(&cache, "b")->npartitions, 3);
    cr_assert_eq(fresh.ntopics, 0, "fresh consumed");

    /* An answer for all topics that lacks "a": "a" is gone. */
    r = make(2, b_only, 1, 1);
    cr_assert_eq(kafc__md_from_response(&fresh, &r), 0);
    cr_assert_eq(kafc__md_merge(&cache, &fresh, 1), 0);
    cr_assert_eq(cache.ntopics, 1);
    cr_assert_null(kafc__md_topic(&cache, "a"));
    kafc__md_clear(&cache);
}

Test(metadata, snapshot_is_deep_and_filtered)
{
    const char *abc[] = {"a", "b", "c"};
    kafc__md_t md;
    kafc__metadata_response_t r = make(3, abc, 3, 4);
    cr_assert_eq(kafc__md_from_response(&md, &r), 0);
    const char *want[] = {"c", "a", "nope"};
    kafc__md_t *s = kafc__md_snapshot(&md, want, 3);
    cr_assert_not_null(s);
    kafc__md_clear(&md); /* the snapshot owns its own copies */
    cr_assert_eq(s->ntopics, 2);
    cr_assert_str_eq(s->topics[0].name, "a");
    cr_assert_str_eq(s->topics[1].name, "c");
    cr_assert_eq(s->topics[1].partitions[3].nreplicas, 3);
    cr_assert_eq(s->topics[1].partitions[3].replicas[2], 3);
    cr_assert_eq(s->nbrokers, 3);
    kafc__md_clear(s);
    free(s);
}

Test(metadata, stale_errors)
{
    cr_assert(kafc__err_is_stale_metadata(KAFC_ERR_NOT_LEADER_OR_FOLLOWER));
    cr_assert(kafc__err_is_stale_metadata(KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION));
    cr_assert(kafc__err_is_stale_metadata(KAFC_ERR_LEADER_NOT_AVAILABLE));
    cr_assert(kafc__err_is_stale_metadata(KAFC_ERR_FENCED_LEADER_EPOCH));
    cr_assert(kafc__err_is_stale_metadata(KAFC_ERR__TRANSPORT));
    cr_assert_not(kafc__err_is_stale_metadata(KAFC_ERR_MESSAGE_TOO_LARGE));
    cr_assert_not(kafc__err_is_stale_metadata(KAFC_ERR_NONE));
}

Test(metadata, hostport_parsing)
{
    char host[64];
    int port;
    cr_assert_eq(kafc__parse_hostport("broker1:9093", 12, host, sizeof(host), &port), 0);
    cr_assert_str_eq(host, "broker1");
    cr_assert_eq(port, 9093);
    cr_assert_eq(kafc__parse_hostport(" [::1]:19092 ", 13, host, sizeof(host), &port), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 19092);
    cr_assert_eq(kafc__parse_hostport("plaintext://h:1", 15, host, sizeof(host), &port), 0);
    cr_assert_str_eq(host, "h");
    cr_assert_eq(kafc__parse_hostport("justhost", 8, host, sizeof(host), &port), 0);
    cr_assert_eq(port, 9092);
    const char *bad[] = {"h:", ":9092", "h:65536", "h:x1", "::1:9092", "[::1", "[::1]x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(kafc__parse_hostport(bad[i], strlen(bad[i]), host, sizeof(host), &port), -1,
                     "%s", bad[i]);
}
