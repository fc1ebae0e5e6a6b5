/*
 * kafc-consumer — writes consumed messages to stdout, one formatted record
 * each.
 *
 * usage: kafc-consumer -b brokers -t topic [-t topic]... [-G group | -p partition]
 *                      [-o beginning|end|OFFSET] [-e] [-c count] [-f format]
 *                      [-X prop=value]...
 *
 * With -G the consumer joins the group and subscribes to the topics (a name
 * starting with '^' is a regular expression); -o beginning|end then sets
 * auto.offset.reset (earliest|latest), which applies to partitions without a
 * committed offset. Without -G it assigns itself every partition of each
 * topic (or only partition -p) and starts at -o (default: beginning).
 *
 * -e exits once every assigned partition has reached its end, -c after count
 * messages. -f formats each message (default "%s\n"):
 *   %t topic     %p partition  %o offset        %T timestamp in ms (-1: none)
 *   %k key       %s value      %K key length    %S value length (-1: null)
 *   %h headers as name=value,...                %% a percent sign
 * and the escapes \n \t \\. A null key or value prints as nothing.
 *
 * Errors go to stderr, and at the end "N messages consumed". Exit status: 0
 * done, 1 fatal error, 2 usage error.
 */
#include <kafc/kafc.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(const char *argv0, const char *why)
{
    if (why)
        fprintf(stderr, "%s: %s\n", argv0, why);
    fprintf(stderr,
            "usage: %s -b brokers -t topic [-t topic]... [-G group | -p partition]\n"
            "       [-o beginning|end|OFFSET] [-e] [-c count] [-f format] [-X prop=value]...\n"
            "Format tokens: %%t topic, %%p partition, %%o offset, %%k key, %%s value,\n"
            "%%T timestamp, %%h headers, %%K key length, %%S value length, %%%% percent;\n"
            "escapes \\n \\t \\\\. Default \"%%s\\n\".\n",
            argv0);
    exit(2);
}

/* A property kafc_conf_set() refused: errstr says why. */
static void conf_error(const char *errstr)
{
    fprintf(stderr, "%s\n", errstr);
    exit(2);
}

/* A whole decimal number within [min, max], or -1. */
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

/* ---- output format ------------------------------------------------------ */

enum fop { F_LIT, F_TOPIC, F_PART, F_OFFSET, F_KEY, F_VALUE, F_TS, F_HDRS, F_KLEN, F_VLEN };

struct fitem {
    enum fop op;
    const char *lit; /* F_LIT: the text (not NUL-terminated) */
    size_t len;
};

static struct fitem *fitems;
static int nfitems;
static char *flits; /* the literal text of every F_LIT, escapes resolved */

/* Turns the -f string into items; NULL, or what is wrong with it. */
static const char *compile_format(const char *fmt)
{
    size_t n = strlen(fmt);
    fitems = calloc(n + 1, sizeof(*fitems));
    flits = malloc(n + 1);
    if (!fitems || !flits)
        return "out of memory";
    size_t lit_start = 0, lit_end = 0;
    for (const char *s = fmt; *s; s++) {
        enum fop op = F_LIT;
        if (*s == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
            s++;
            flits[lit_end++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : '\\';
            continue;
        }
        if (*s != '%') {
            flits[lit_end++] = *s;
            continue;
        }
        switch (*++s) {
        case '%':
            flits[lit_end++] = '%';
            continue;
        case 't':
            op = F_TOPIC;
            break;
        case 'p':
            op = F_PART;
            break;
        case 'o':
            op = F_OFFSET;
            break;
        case 'k':
            op = F_KEY;
            break;
        case 's':
            op = F_VALUE;
            break;
        case 'T':
            op = F_TS;
            break;
        case 'h':
            op = F_HDRS;
            break;
        case 'K':
            op = F_KLEN;
            break;
        case 'S':
            op = F_VLEN;
            break;
        case '\0':
            return "format ends with a lone '%'";
        default:
            return "unknown %-token in format";
        }
        if (lit_end > lit_start)
            fitems[nfitems++] = (struct fitem){F_LIT, flits + lit_start, lit_end - lit_start};
        lit_start = lit_end;
        fitems[nfitems++] = (struct fitem){op, NULL, 0};
    }
    if (lit_end > lit_start)
        fitems[nfitems++] = (struct fitem){F_LIT, flits + lit_start, lit_end - lit_start};
    return NULL;
}

static void write_headers(const kafc_headers_t *h)
{
    size_t n = kafc_headers_count(h);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *value;
        size_t len;
        if (kafc_headers_get(h, i, &name, &value, &len))
            continue;
        if (i > 0)
            fputc(',', stdout);
        fputs(name, stdout);
        fputc('=', stdout);
        if (value)
            fwrite(value, 1, len, stdout);
    }
}

static void write_message(const kafc_message_t *m)
{
    size_t klen, vlen;
    const void *key = kafc_message_key(m, &klen);
    const void *value = kafc_message_value(m, &vlen);
    kafc_timestamp_type_t tstype;
    int64_t ts;

    for (int i = 0; i < nfitems; i++) {
        switch (fitems[i].op) {
        case F_LIT:
            fwrite(fitems[i].lit, 1, fitems[i].len, stdout);
            break;
        case F_TOPIC:
            fputs(kafc_message_topic(m), stdout);
            break;
        case F_PART:
            printf("%" PRId32, kafc_message_partition(m));
            break;
        case F_OFFSET:
            printf("%" PRId64, kafc_message_offset(m));
            break;
        case F_KEY:
            if (key)
                fwrite(key, 1, klen, stdout);
            break;
        case F_VALUE:
            if (value)
                fwrite(value, 1, vlen, stdout);
            break;
        case F_TS:
            ts = kafc_message_timestamp(m, &tstype);
            printf("%" PRId64, tstype == KAFC_TIMESTAMP_NOT_AVAILABLE ? -1 : ts);
            break;
        case F_HDRS:
            write_headers(kafc_message_headers(m));
            break;
        case F_KLEN:
            printf("%lld", key ? (long long)klen : -1LL);
            break;
        case F_VLEN:
            printf("%lld", value ? (long long)vlen : -1LL);
            break;
        }
    }
}

/* ---- end-of-partition tracking (-e) ------------------------------------- */

struct pstate {
    char *topic;
    int32_t partition;
    int at_end; /* reported PARTITION_EOF, nothing consumed since */
};

static struct pstate *parts;
static int nparts, parts_size;
static int check_end; /* the set of partitions at their end may be complete */

/* The partition's state (made when create is set), or NULL. */
static struct pstate *pstate(const char *topic, int32_t partition, int create)
{
    static int last; /* messages come in runs from one partition */
    if (last < nparts && parts[last].partition == partition && !strcmp(parts[last].topic, topic))
        return &parts[last];
    for (int i = 0; i < nparts; i++)
        if (parts[i].partition == partition && !strcmp(parts[i].topic, topic))
            return &parts[last = i];
    if (!create)
        return NULL;
    if (nparts == parts_size) {
        int size = parts_size ? 2 * parts_size : 16;
        struct pstate *p = realloc(parts, (size_t)size * sizeof(*p));
        if (!p)
            return NULL;
        parts = p;
        parts_size = size;
    }
    char *t = strdup(topic);
    if (!t)
        return NULL;
    parts[nparts] = (struct pstate){t, partition, 0};
    return &parts[last = nparts++];
}

static void set_at_end(const char *topic, int32_t partition, int at_end)
{
    struct pstate *p = pstate(topic, partition, at_end);
    if (p)
        p->at_end = at_end;
}

/* Whether the assignment is non-empty and every partition in it at its end. */
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

/* Partitions that come or go start over (from the committed offset): they
 * are at their end only once they say so again, and a partition that goes
 * may leave only finished ones behind. */
static void on_rebalance(kafc_consumer_t *c, kafc_rebalance_event_t event,
                         const kafc_topic_partition_list_t *partitions, void *opaque)
{
    for (int i = 0; i < partitions->cnt; i++)
        set_at_end(partitions->elems[i].topic, partitions->elems[i].partition, 0);
    check_end = 1;
}

/* ---- manual assignment --------------------------------------------------- */

/* Assigns every partition of the topics (or only partition when >= 0),
 * starting at start. 0, or -1 after saying why. */
static int assign_all(kafc_consumer_t *c, const char *const *topics, int ntopics, int32_t partition,
                      int64_t start)
{
    char errstr[512];
    kafc_metadata_t *md = NULL;
    kafc_err_t err = kafc_metadata(kafc_consumer_client(c), topics, (size_t)ntopics, 10000, &md,
                                   errstr, sizeof(errstr));
    if (err) {
        fprintf(stderr, "%% metadata: %s: %s\n", kafc_err_name(err), errstr);
        return -1;
    }
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(16);
    int ok = l != NULL;
    for (int i = 0; ok && i < ntopics; i++) {
        int t = kafc_metadata_topic_count(md) - 1;
        while (t >= 0 && strcmp(kafc_metadata_topic_name(md, t), topics[i]))
            t--;
        if (t < 0 || (err = kafc_metadata_topic_err(md, t))) {
            fprintf(stderr, "%% %s: %s\n", topics[i],
                    t < 0 ? "not in the cluster's metadata" : kafc_err_str(err));
            ok = 0;
            break;
        }
        int found = 0;
        for (int p = 0; ok && p < kafc_metadata_partition_count(md, t); p++) {
            int32_t id = kafc_metadata_partition_id(md, t, p);
            if (partition >= 0 && id != partition)
                continue;
            found = 1;
            if (kafc_topic_partition_list_find(l, topics[i], id))
                continue; /* the topic was named twice */
            kafc_topic_partition_t *e = kafc_topic_partition_list_add(l, topics[i], id);
            if (!e) {
                fprintf(stderr, "%% out of memory\n");
                ok = 0;
            } else {
                e->offset = start;
            }
        }
        if (ok && !found) {
            if (partition >= 0)
                fprintf(stderr, "%% %s has no partition %" PRId32 "\n", topics[i], partition);
            else
                fprintf(stderr, "%% %s has no partitions\n", topics[i]);
            ok = 0;
        }
    }
    kafc_metadata_destroy(md);
    if (ok && (err = kafc_assign(c, l))) {
        kafc_consumer_last_error(c, errstr, sizeof(errstr));
        fprintf(stderr, "%% assign: %s: %s\n", kafc_err_name(err), errstr);
        ok = 0;
    }
    kafc_topic_partition_list_destroy(l);
    return ok ? 0 : -1;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    char errstr[512];
    const char **topics = calloc((size_t)argc, sizeof(*topics));
    const char *group = NULL, *format = "%s\\n", *why;
    int ntopics = 0, exit_at_end = 0, have_offset = 0, opt;
    int64_t partition = -1, start = KAFC_OFFSET_BEGINNING, count = 0;
    kafc_conf_t *conf = kafc_conf_new();

    if (!topics || !conf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    while ((opt = getopt(argc, argv, "b:t:G:p:o:ec:f:X:h")) != -1) {
        switch (opt) {
        case 'b':
            if (kafc_conf_set(conf, "bootstrap.servers", optarg, errstr, sizeof(errstr)))
                conf_error(errstr);
            break;
        case 't':
            topics[ntopics++] = optarg;
            break;
        case 'G':
            group = optarg;
            break;
        case 'p':
            if (parse_num(optarg, 0, INT32_MAX, &partition))
                usage(argv[0], "-p needs a partition number");
            break;
        case 'o':
            have_offset = 1;
            if (!strcmp(optarg, "beginning"))
                start = KAFC_OFFSET_BEGINNING;
            else if (!strcmp(optarg, "end"))
                start = KAFC_OFFSET_END;
            else if (parse_num(optarg, 0, INT64_MAX, &start))
                usage(argv[0], "-o needs beginning, end or an offset");
            break;
        case 'e':
            exit_at_end = 1;
            break;
        case 'c':
            if (parse_num(optarg, 1, INT64_MAX, &count))
                usage(argv[0], "-c needs a positive count");
            break;
        case 'f':
            format = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq)
                usage(argv[0], "-X needs prop=value");
            *eq = '\0';
            if (kafc_conf_set(conf, optarg, eq + 1, errstr, sizeof(errstr)))
                conf_error(errstr);
            break;
        }
        default:
            usage(argv[0], NULL);
        }
    }
    if (optind < argc)
        usage(argv[0], "unexpected argument");
    if (ntopics == 0)
        usage(argv[0], "no topic (-t)");
    if (group && partition >= 0)
        usage(argv[0], "-p is for manual assignment, not with -G");
    if ((why = compile_format(format)))
        usage(argv[0], why);
    for (int i = 0; !group && i < ntopics; i++)
        if (topics[i][0] == '^')
            usage(argv[0], "topic patterns ('^...') need -G");

    if (group) {
        const char *reset = NULL;
        if (have_offset && start == KAFC_OFFSET_BEGINNING)
            reset = "earliest";
        else if (have_offset && start == KAFC_OFFSET_END)
            reset = "latest";
        else if (have_offset)
            usage(argv[0], "-o OFFSET is for manual assignment, not with -G");
        if (kafc_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) ||
            (reset && kafc_conf_set(conf, "auto.offset.reset", reset, errstr, sizeof(errstr))))
            conf_error(errstr);
        if (exit_at_end)
            kafc_conf_set_rebalance_cb(conf, on_rebalance);
    }
    if (exit_at_end && kafc_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr)))
        conf_error(errstr);

    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    kafc_conf_destroy(conf);
    if (!c) {
        fprintf(stderr, "%s\n", errstr);
        free(topics);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed stdout (e.g. piped to head) ends the loop through ferror()
     * rather than killing the process before it leaves the group. */
    signal(SIGPIPE, SIG_IGN);

    int status = 0;
    if (group) {
        kafc_err_t err = kafc_subscribe(c, topics, ntopics, errstr, sizeof(errstr));
        if (err) {
            fprintf(stderr, "%% subscribe: %s: %s\n", kafc_err_name(err), errstr);
            status = 1;
        }
    } else if (assign_all(c, topics, ntopics, (int32_t)partition, start)) {
        status = 1;
    }

    int64_t consumed = 0;
    while (status == 0 && !stop) {
        kafc_message_t *m = kafc_consumer_poll(c, 100);
        if (!m) {
            kafc_err_t err = kafc_consumer_last_error(c, errstr, sizeof(errstr));
            if (err && err != KAFC_ERR__TIMED_OUT) {
                fprintf(stderr, "%% poll: %s: %s\n", kafc_err_name(err), errstr);
                status = 1;
            }
        } else {
            kafc_err_t err = kafc_message_err(m);
            if (err == KAFC_ERR_NONE) {
                write_message(m);
                consumed++;
                if (exit_at_end)
                    set_at_end(kafc_message_topic(m), kafc_message_partition(m), 0);
                if (ferror(stdout)) {
                    fprintf(stderr, "%% writing stdout: %s\n", strerror(errno));
                    status = 1;
                }
            } else if (err == KAFC_ERR__PARTITION_EOF) {
                if (exit_at_end) {
                    set_at_end(kafc_message_topic(m), kafc_message_partition(m), 1);
                    check_end = 1;
                }
            } else {
                /* The value of an error event describes it. */
                size_t len;
                const char *str = kafc_message_value(m, &len);
                if (!str || !len) {
                    str = kafc_err_str(err);
                    len = strlen(str);
                }
                const char *topic = kafc_message_topic(m);
                if (topic && kafc_message_partition(m) >= 0)
                    fprintf(stderr, "%% %s [%" PRId32 "] at offset %" PRId64 ": %s: %.*s\n", topic,
                            kafc_message_partition(m), kafc_message_offset(m), kafc_err_name(err),
                            (int)len, str);
                else
                    fprintf(stderr, "%% consumer error: %s: %.*s\n", kafc_err_name(err), (int)len,
                            str);
            }
            kafc_message_destroy(m);
        }
        if (count > 0 && consumed >= count)
            break;
        if (check_end) {
            check_end = 0;
            if (all_at_end(c))
                break;
        }
    }

    if (fflush(stdout) && status == 0) {
        fprintf(stderr, "%% writing stdout: %s\n", strerror(errno));
        status = 1;
    }
    fprintf(stderr, "%" PRId64 " messages consumed\n", consumed);
    kafc_err_t err = kafc_consumer_close(c, 10000);
    if (err && err != KAFC_ERR__NO_OFFSET)
        fprintf(stderr, "%% close: %s: %s\n", kafc_err_name(err), kafc_err_str(err));
    kafc_consumer_destroy(c);
    for (int i = 0; i < nparts; i++)
        free(parts[i].topic);
    free(parts);
    free(fitems);
    free(flits);
    free(topics);
    return status;
}
