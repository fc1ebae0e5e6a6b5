/*
 * kafc-producer — produces one message per line of stdin.
 *
 * usage: kafc-producer -b brokers -t topic [-p partition] [-K delim]
 *                      [-H name=value]... [-X prop=value]...
 *
 * With -K, each line is key<delim>value. Prints "N delivered, M failed" to
 * stderr at the end and exits non-zero when any message failed.
 */
#include <kafc/kafc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long delivered, failed;

static void on_delivery(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    kafc_err_t err = kafc_message_err(m);
    if (err == KAFC_ERR_NONE) {
        delivered++;
        return;
    }
    if (failed++ < 10)
        fprintf(stderr, "delivery failed: %s: %s\n", kafc_err_name(err), kafc_err_str(err));
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s -b brokers -t topic [-p partition] [-K delim] [-H name=value]... "
            "[-X prop=value]...\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    char errstr[512];
    const char *topic = NULL, *hdrs[64];
    int nhdrs = 0, opt;
    int32_t partition = KAFC_PARTITION_ANY;
    int delim = -1;
    kafc_conf_t *conf = kafc_conf_new();

    while ((opt = getopt(argc, argv, "b:t:p:K:H:X:h")) != -1) {
        switch (opt) {
        case 'b':
            if (kafc_conf_set(conf, "bootstrap.servers", optarg, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s\n", errstr);
                return 2;
            }
            break;
        case 't':
            topic = optarg;
            break;
        case 'p':
            partition = atoi(optarg);
            break;
        case 'K':
            delim = optarg[0];
            break;
        case 'H':
            if (nhdrs == 64 || !strchr(optarg, '='))
                usage(argv[0]);
            hdrs[nhdrs++] = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq)
                usage(argv[0]);
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
    if (!topic)
        usage(argv[0]);
    kafc_conf_set_dr_cb(conf, on_delivery);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!p) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long produced = 0, refused = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        const char *key = NULL, *value = line;
        size_t klen = 0, vlen = (size_t)n;
        char *d = delim >= 0 ? memchr(line, delim, (size_t)n) : NULL;
        if (d) {
            key = line;
            klen = (size_t)(d - line);
            value = d + 1;
            vlen = (size_t)n - klen - 1;
        }
        kafc_headers_t *h = NULL;
        if (nhdrs) {
            h = kafc_headers_new();
            for (int i = 0; i < nhdrs; i++) {
                const char *eq = strchr(hdrs[i], '=');
                char name[256];
                snprintf(name, sizeof(name), "%.*s", (int)(eq - hdrs[i]), hdrs[i]);
                kafc_headers_add(h, name, eq + 1, strlen(eq + 1));
            }
        }
        kafc_err_t err;
        while ((err = kafc_produce(p, topic, partition, KAFC_MSG_F_COPY, key, klen, value, vlen, h,
                                   0, NULL)) == KAFC_ERR__QUEUE_FULL)
            kafc_producer_poll(p, 100); /* make room: serve reports */
        if (err) {
            kafc_headers_destroy(h);
            if (refused++ < 10)
                fprintf(stderr, "produce failed: %s: %s\n", kafc_err_name(err), kafc_err_str(err));
            continue;
        }
        produced++;
        kafc_producer_poll(p, 0);
    }
    free(line);
    if (kafc_producer_flush(p, 30000))
        fprintf(stderr, "flush timed out with %lld messages outstanding\n",
                (long long)kafc_producer_outstanding(p));
    kafc_producer_destroy(p, 5000);
    failed += refused;
    fprintf(stderr, "%ld delivered, %ld failed\n", delivered, failed);
    return failed ? 1 : 0;
}
