/*
 * consume_tool — consumes with kafc's public consumer API and prints every
 * message in an unambiguous, machine-readable form, for
 * test_consumer_interop.py (which compares it byte for byte with what
 * kcat / kafka-python produced and what kafka-python reads back).
 *
 *   consume_tool -b BOOTSTRAP -t TOPIC [-t TOPIC]...
 *                (-a NPARTITIONS [-o beginning|end|OFFSET] | -G GROUP)
 *                [-c COUNT] [-e] [-w MAX_MS] [-X prop=value]...
 *
 * -a N    manual assignment of partitions 0..N-1 of every topic, starting at
 *         -o (default: beginning)
 * -G G    joins group G and subscribes to the topics
 * -c N    exits after N messages
 * -e      exits once every assigned partition reported its end
 *         (enable.partition.eof) with nothing consumed from it since
 * -w MS   gives up after MS milliseconds (exit 3); default 60000
 *
 * stdout, line-buffered, one JSON object per line:
 *   {"type":"msg","topic":T,"partition":P,"offset":O,"ts":MS,"tstype":N,
 *    "key":HEX|null,"value":HEX|null,"headers":[[NAME_HEX,HEX|null],...]}
 *   {"type":"eof","topic":T,"partition":P,"offset":O}
 *   {"type":"assigned"|"revoked"|"lost","partitions":[[T,P],...]}
 *   {"type":"error","topic":T|null,"partition":P,"offset":O,"err":NAME,"str":HEX}
 *   {"type":"close","err":NAME,"consumed":N}
 * tstype is kafc_timestamp_type_t (0 none, 1 CreateTime, 2 LogAppendTime).
 * Topic names are printed as given by kafc, escaped for JSON.
 *
 * Exit status: 0 done, 1 a fatal API error, 2 usage, 3 the -w deadline.
 */
#include <kafc/kafc.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(const char *why)
{
    if (why)
        fprintf(stderr, "consume_tool: %s\n", why);
    fprintf(stderr, "usage: consume_tool -b BOOTSTRAP -t TOPIC [-t TOPIC]... "
                    "(-a NPARTITIONS [-o beginning|end|OFFSET] | -G GROUP)\n"
                    "       [-c COUNT] [-e] [-w MAX_MS] [-X prop=value]...\n");
    exit(2);
}

static int parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ---- output ---------------------------------------------------------------- */

static void put_hex(const void *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = p;
    if (!p) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        putchar(digits[b[i] >> 4]);
        putchar(digits[b[i] & 15]);
    }
    putchar('"');
}

static void put_str(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void put_list(const char *type, const kafc_topic_partition_list_t *l)
{
    printf("{\"type\":\"%s\",\"partitions\":[", type);
    for (int i = 0; l && i < l->cnt; i++) {
        if (i)
            putchar(',');
        putchar('[');
        put_str(l->elems[i].topic);
        printf(",%" PRId32 "]", l->elems[i].partition);
    }
    fputs("]}\n", stdout);
}

static void put_message(const kafc_message_t *m)
{
    size_t klen = 0, vlen = 0;
    const void *key = kafc_message_key(m, &klen);
    const void *value = kafc_message_value(m, &vlen);
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_NOT_AVAILABLE;
    int64_t ts = kafc_message_timestamp(m, &tt);
    const kafc_headers_t *h = kafc_message_headers(m);

    fputs("{\"type\":\"msg\",\"topic\":", stdout);
    put_str(kafc_message_topic(m));
    printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"ts\":%" PRId64 ",\"tstype\":%d",
           kafc_message_partition(m), kafc_message_offset(m), ts, (int)tt);
    fputs(",\"key\":", stdout);
    put_hex(key, klen);
    fputs(",\"value\":", stdout);
    put_hex(value, vlen);
    fputs(",\"headers\":", stdout);
    if (!h) {
        fputs("\"NULL-HEADERS\"", stdout); /* the API promises never NULL */
    } else {
        size_t n = kafc_headers_count(h);
        putchar('[');
        for (size_t i = 0; i < n; i++) {
            const char *name = NULL;
            const void *hv = NULL;
            size_t hlen = 0;
            if (i)
                putchar(',');
            if (kafc_headers_get(h, i, &name, &hv, &hlen)) {
                fputs("\"GET-FAILED\"", stdout);
                continue;
            }
            putchar('[');
            put_hex(name, name ? strlen(name) : 0);
            putchar(',');
            put_hex(hv, hlen);
            putchar(']');
        }
        putchar(']');
    }
    fputs("}\n", stdout);
}

/* ---- -e tracking --------------------------------------------------------- */

struct pstate {
    char *topic;
    int32_t partition;
    int at_end;
};

static struct pstate *parts;
static int nparts, parts_size;

static struct pstate *pstate(const char *topic, int32_t partition, int create)
{
    for (int i = 0; i < nparts; i++)
        if (parts[i].partition == partition && !strcmp(parts[i].topic, topic))
            return &parts[i];
    if (!create)
        return NULL;
    if (nparts == parts_size) {
        int size = parts_size ? 2 * parts_size : 16;
        struct pstate *p = realloc(parts, (size_t)size * sizeof(*p));
        if (!p)
            abort();
        parts = p;
        parts_size = size;
    }
    char *t = strdup(topic);
    if (!t)
        abort();
    parts[nparts] = (struct pstate){t, partition, 0};
    return &parts[nparts++];
}

static int all_at_end(kafc_consumer_t *c)
{
    kafc_topic_partition_list_t *l = kafc_assignment(c);
    int done = l && l->cnt > 0;
    for (int i = 0; done && i < l->cnt; i++) {
        const struct pstate *p = pstate(l->elems[i].topic, l->elems[i].partition, 0);
        done = p && p->at_end;
    }
    kafc_topic_partition_list_destroy(l);
    return done;
}

static void on_rebalance(kafc_consumer_t *c, kafc_rebalance_event_t event,
                         const kafc_topic_partition_list_t *partitions, void *opaque)
{
    (void)c;
    (void)opaque;
    put_list(event == KAFC_REBALANCE_ASSIGNED  ? "assigned"
             : event == KAFC_REBALANCE_REVOKED ? "revoked"
                                               : "lost",
             partitions);
    for (int i = 0; i < partitions->cnt; i++)
        pstate(partitions->elems[i].topic, partitions->elems[i].partition, 1)->at_end = 0;
}

/* ---- main ------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    char errstr[512];
    const char **topics = calloc((size_t)argc + 1, sizeof(*topics));
    const char *group = NULL;
    int ntopics = 0, exit_at_end = 0, opt;
    int64_t nassign = 0, start = KAFC_OFFSET_BEGINNING, count = 0, max_ms = 60000;
    kafc_conf_t *conf = kafc_conf_new();

    if (!topics || !conf)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "b:t:a:o:G:c:ew:X:")) != -1) {
        switch (opt) {
        case 'b':
            if (kafc_conf_set(conf, "bootstrap.servers", optarg, errstr, sizeof(errstr)))
                usage(errstr);
            break;
        case 't':
            topics[ntopics++] = optarg;
            break;
        case 'a':
            if (parse_num(optarg, 1, 100000, &nassign))
                usage("-a needs a partition count");
            break;
        case 'o':
            if (!strcmp(optarg, "beginning"))
                start = KAFC_OFFSET_BEGINNING;
            else if (!strcmp(optarg, "end"))
                start = KAFC_OFFSET_END;
            else if (parse_num(optarg, 0, INT64_MAX, &start))
                usage("-o needs beginning, end or an offset");
            break;
        case 'G':
            group = optarg;
            break;
        case 'c':
            if (parse_num(optarg, 1, INT64_MAX, &count))
                usage("-c needs a positive count");
            break;
        case 'e':
            exit_at_end = 1;
            break;
        case 'w':
            if (parse_num(optarg, 1, INT32_MAX, &max_ms))
                usage("-w needs milliseconds");
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq)
                usage("-X needs prop=value");
            *eq = '\0';
            if (kafc_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr)))
                usage(errstr);
            break;
        }
        default:
            usage(NULL);
        }
    }
    if (optind < argc)
        usage("unexpected argument");
    if (!ntopics)
        usage("no topic");
    if (!group == !nassign)
        usage("exactly one of -a and -G");
    if (group && kafc_conf_set(conf, "group.id", group, errstr, sizeof(errstr)))
        usage(errstr);
    if (exit_at_end && kafc_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr)))
        usage(errstr);
    kafc_conf_set_rebalance_cb(conf, on_rebalance);

    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!c) {
        fprintf(stderr, "consume_tool: %s\n", errstr);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int status = 0;
    kafc_err_t err;
    if (group) {
        err = kafc_subscribe(c, topics, ntopics, errstr, sizeof(errstr));
        if (err) {
            fprintf(stderr, "consume_tool: subscribe: %s: %s\n", kafc_err_name(err), errstr);
            status = 1;
        }
    } else {
        kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(16);
        for (int t = 0; l && t < ntopics; t++)
            for (int32_t p = 0; p < (int32_t)nassign; p++) {
                kafc_topic_partition_t *e = kafc_topic_partition_list_add(l, topics[t], p);
                if (!e)
                    abort();
                e->offset = start;
            }
        if (!l || (err = kafc_assign(c, l))) {
            kafc_consumer_last_error(c, errstr, sizeof(errstr));
            fprintf(stderr, "consume_tool: assign failed: %s\n", errstr);
            status = 1;
        } else {
            put_list("assigned", l);
        }
        kafc_topic_partition_list_destroy(l);
    }

    int64_t consumed = 0, deadline = mono_ms() + max_ms;
    while (status == 0 && !stop) {
        if (mono_ms() > deadline) {
            fprintf(stderr, "consume_tool: gave up after %" PRId64 " ms (%" PRId64 " messages)\n",
                    max_ms, consumed);
            status = 3;
            break;
        }
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m) {
            err = kafc_consumer_last_error(c, errstr, sizeof(errstr));
            if (err && err != KAFC_ERR__TIMED_OUT) {
                fprintf(stderr, "consume_tool: poll: %s: %s\n", kafc_err_name(err), errstr);
                status = 1;
            }
            continue;
        }
        err = kafc_message_err(m);
        if (err == KAFC_ERR_NONE) {
            put_message(m);
            consumed++;
            if (exit_at_end)
                pstate(kafc_message_topic(m), kafc_message_partition(m), 1)->at_end = 0;
        } else if (err == KAFC_ERR__PARTITION_EOF) {
            printf("{\"type\":\"eof\",\"topic\":");
            put_str(kafc_message_topic(m));
            printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}\n",
                   kafc_message_partition(m), kafc_message_offset(m));
            if (exit_at_end)
                pstate(kafc_message_topic(m), kafc_message_partition(m), 1)->at_end = 1;
        } else {
            size_t len = 0;
            const void *str = kafc_message_value(m, &len);
            printf("{\"type\":\"error\",\"topic\":");
            put_str(kafc_message_topic(m));
            printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"err\":\"%s\",\"str\":",
                   kafc_message_partition(m), kafc_message_offset(m), kafc_err_name(err));
            put_hex(str, len);
            fputs("}\n", stdout);
        }
        kafc_message_destroy(m);
        if (count > 0 && consumed >= count)
            break;
        if (exit_at_end && all_at_end(c))
            break;
    }

    err = kafc_consumer_close(c, 10000);
    printf("{\"type\":\"close\",\"err\":\"%s\",\"consumed\":%" PRId64 "}\n", kafc_err_name(err),
           consumed);
    kafc_consumer_destroy(c);
    for (int i = 0; i < nparts; i++)
        free(parts[i].topic);
    free(parts);
    free(topics);
    fflush(stdout);
    return status;
}
