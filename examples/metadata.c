/*
 * kafc-metadata — lists a cluster's brokers, topics and partitions, like
 * `kcat -L`.
 *
 * usage: kafc-metadata -b brokers [-t topic]... [-T timeout_ms] [-X prop=value]...
 */
#include <kafc/kafc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s -b brokers [-t topic]... [-T timeout_ms] [-X prop=value]...\n"
            "Prints the cluster's brokers and the topics (all, or those named).\n",
            argv0);
    exit(2);
}

static void print_ids(const kafc_metadata_t *md, int t, int p, int isr)
{
    int n = isr ? kafc_metadata_isr_count(md, t, p) : kafc_metadata_replica_count(md, t, p);
    for (int r = 0; r < n; r++)
        printf("%s%d", r ? "," : "",
               isr ? kafc_metadata_isr(md, t, p, r) : kafc_metadata_replica(md, t, p, r));
}

int main(int argc, char **argv)
{
    char errstr[512];
    const char *topics[64];
    size_t ntopics = 0;
    int timeout_ms = 10000;
    int opt;
    kafc_conf_t *conf = kafc_conf_new();

    if (!conf)
        return 1;
    while ((opt = getopt(argc, argv, "b:t:T:X:h")) != -1) {
        switch (opt) {
        case 'b':
            if (kafc_conf_set(conf, "bootstrap.servers", optarg, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s\n", errstr);
                return 2;
            }
            break;
        case 't':
            if (ntopics == sizeof(topics) / sizeof(topics[0])) {
                fprintf(stderr, "too many -t\n");
                return 2;
            }
            topics[ntopics++] = optarg;
            break;
        case 'T':
            timeout_ms = atoi(optarg);
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "-X expects prop=value, got \"%s\"\n", optarg);
                return 2;
            }
            *eq = '\0';
            if (kafc_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s\n", errstr);
                return 2;
            }
            break;
        }
        default:
            usage(argv[0]);
        }
    }

    kafc_client_t *client = kafc_client_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!client) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }
    kafc_metadata_t *md = NULL;
    kafc_err_t err =
        kafc_metadata(client, topics, ntopics, timeout_ms, &md, errstr, sizeof(errstr));
    if (err) {
        fprintf(stderr, "metadata failed: %s (%s)\n", errstr, kafc_err_name(err));
        kafc_client_destroy(client);
        return 1;
    }

    printf("Metadata for %s:\n", ntopics ? "the topics asked" : "all topics");
    int nb = kafc_metadata_broker_count(md);
    printf(" %d brokers:\n", nb);
    for (int i = 0; i < nb; i++) {
        int32_t id = kafc_metadata_broker_id(md, i);
        const char *rack = kafc_metadata_broker_rack(md, i);
        printf("  broker %d at %s:%d%s%s%s\n", id, kafc_metadata_broker_host(md, i),
               kafc_metadata_broker_port(md, i),
               id == kafc_metadata_controller_id(md) ? " (controller)" : "", rack ? " rack " : "",
               rack ? rack : "");
    }
    int nt = kafc_metadata_topic_count(md);
    printf(" %d topics:\n", nt);
    for (int t = 0; t < nt; t++) {
        int np = kafc_metadata_partition_count(md, t);
        kafc_err_t terr = kafc_metadata_topic_err(md, t);
        printf("  topic \"%s\" with %d partitions:", kafc_metadata_topic_name(md, t), np);
        if (terr)
            printf(" %s (%s)", kafc_err_name(terr), kafc_err_str(terr));
        printf("\n");
        for (int p = 0; p < np; p++) {
            kafc_err_t perr = kafc_metadata_partition_err(md, t, p);
            printf("    partition %d, leader %d, replicas: ", kafc_metadata_partition_id(md, t, p),
                   kafc_metadata_partition_leader(md, t, p));
            print_ids(md, t, p, 0);
            printf(", isrs: ");
            print_ids(md, t, p, 1);
            if (perr)
                printf(", %s", kafc_err_name(perr));
            printf("\n");
        }
    }
    kafc_metadata_destroy(md);
    kafc_client_destroy(client);
    return 0;
}
