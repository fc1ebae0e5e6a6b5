/*
 * rdkafka_perf — the kafc-perf tool (examples/kafc_perf.c) written against
 * librdkafka's C API, so bench/compare runs both clients on the identical
 * workload. Benchmark-only: libkafc never links librdkafka.
 *
 * Same flags and the same JSON summary line as kafc-perf, with
 * "client":"librdkafka":
 *   -P / -C, -t topic, -b brokers, -s size, -c count, -p partition,
 *   -o beginning|end|stored|N, -G group, -X prop=value, -z codec, -a acks,
 *   -F file, -r msgs/s, -l (linger.ms=0), -e, -B batch, -T idle_ms, -q
 *
 * Each library is driven through its fastest ordinary API: produce goes
 * through a topic handle (rd_kafka_produce), consume through
 * rd_kafka_consumer_poll (or rd_kafka_consume_batch_queue with -B). A
 * manual assignment (no -G) still needs a group.id in librdkafka: a private
 * one is set, with offset commits and stores off, and nothing joins it.
 */
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- options ---------------------------------------------------------------- */

struct opts {
    int mode; /* 'P' or 'C' */
    const char *topic;
    const char *group;
    const char *file;
    size_t size;
    int64_t count;
    int32_t partition;
    int64_t offset;
    double rate;
    int exit_eof;
    int batch;
    int idle_ms;
    int quiet;
};

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s -P|-C -t topic -b brokers [-s size] [-c count] [-p partition]\n"
            "       [-o beginning|end|stored|N] [-G group] [-X prop=value]... [-z codec]\n"
            "       [-a acks] [-F file] [-r msgs/s] [-l] [-e] [-B batch] [-T idle_ms] [-q]\n",
            argv0);
    exit(2);
}

static void conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s\n", errstr);
        exit(2);
    }
}

static int64_t parse_int(const char *s, const char *what, const char *argv0)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "bad %s '%s'\n", what, s);
        usage(argv0);
    }
    return v;
}

/* ---- payloads ------------------------------------------------------------------ */

/* Either one fixed buffer (n = 1) or the records of a file, cycled. */
struct payloads {
    char *data;
    char **rec;
    size_t *len;
    size_t n;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void payloads_fixed(struct payloads *pl, size_t size)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    pl->data = xmalloc(size);
    pl->rec = xmalloc(sizeof(*pl->rec));
    pl->len = xmalloc(sizeof(*pl->len));
    for (size_t i = 0; i < size; i++)
        pl->data[i] = alphabet[i % (sizeof(alphabet) - 1)];
    pl->rec[0] = pl->data;
    pl->len[0] = size;
    pl->n = 1;
}

static void payloads_file(struct payloads *pl, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "%s: cannot seek\n", path);
        exit(2);
    }
    long size = ftell(f);
    rewind(f);
    pl->data = xmalloc((size_t)size + 1);
    size_t used = fread(pl->data, 1, (size_t)size, f);
    fclose(f);
    pl->data[used] = '\n';
    size_t lines = 0;
    for (size_t i = 0; i <= used; i++)
        lines += pl->data[i] == '\n';
    pl->rec = xmalloc(lines * sizeof(*pl->rec));
    pl->len = xmalloc(lines * sizeof(*pl->len));
    pl->n = 0;
    for (size_t i = 0, start = 0; i <= used; i++) {
        if (pl->data[i] != '\n')
            continue;
        if (i > start) {
            pl->rec[pl->n] = pl->data + start;
            pl->len[pl->n++] = i - start;
        }
        start = i + 1;
    }
    if (pl->n == 0) {
        fprintf(stderr, "%s: no records\n", path);
        exit(2);
    }
}

static void payloads_free(struct payloads *pl)
{
    free(pl->data);
    free(pl->rec);
    free(pl->len);
}

/* ---- summary ------------------------------------------------------------------- */

/* Latency percentiles without sorting a million values (which would cost
 * more CPU than the client being measured): a log-linear histogram, 64
 * steps per power of two, so a percentile is within 1.6% of the exact one. */
#define HSTEPS 64
static uint64_t hist[64 * HSTEPS];
static const int64_t *hist_of; /* the array hist was built from */
static size_t hist_n;

static int hist_bucket(uint64_t v)
{
    if (v < HSTEPS)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= 6 */
    return (e - 5) * HSTEPS + (int)((v >> (e - 6)) & (HSTEPS - 1));
}

static uint64_t hist_low(int b)
{
    if (b < HSTEPS)
        return (uint64_t)b;
    int e = b / HSTEPS + 5;
    return (uint64_t)(HSTEPS + b % HSTEPS) << (e - 6);
}

/* Nearest-rank percentile of n latencies (ns; negative ones are skipped),
 * in microseconds. */
static double percentile_us(const int64_t *lat, size_t n, double q)
{
    if (hist_of != lat || hist_n != n) {
        memset(hist, 0, sizeof(hist));
        for (size_t i = 0; i < n; i++)
            if (lat[i] >= 0)
                hist[hist_bucket((uint64_t)lat[i])]++;
        hist_of = lat;
        hist_n = n;
    }
    uint64_t total = 0;
    for (int b = 0; b < 64 * HSTEPS; b++)
        total += hist[b];
    if (total == 0)
        return 0.0;
    uint64_t rank = (uint64_t)ceil(q * (double)total), seen = 0;
    if (rank < 1)
        rank = 1;
    for (int b = 0; b < 64 * HSTEPS; b++) {
        seen += hist[b];
        if (seen >= rank)
            return (double)hist_low(b) / 1000.0;
    }
    return 0.0;
}

static void summary(const char *mode, uint64_t msgs, uint64_t bytes, double elapsed_s,
                    const int64_t *lat, size_t nlat, uint64_t errors)
{
    double mps = elapsed_s > 0 ? (double)msgs / elapsed_s : 0.0;
    double mbps = elapsed_s > 0 ? (double)bytes / elapsed_s / 1e6 : 0.0;
    double p50 = percentile_us(lat, nlat, 0.50), p99 = percentile_us(lat, nlat, 0.99),
           p999 = percentile_us(lat, nlat, 0.999);
    fprintf(stderr,
            "%% %s: %" PRIu64 " messages, %" PRIu64 " bytes in %.3f s: %.0f msgs/s, %.2f MB/s",
            mode, msgs, bytes, elapsed_s, mps, mbps);
    if (lat)
        fprintf(stderr, ", latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us", p50, p99, p999);
    fprintf(stderr, ", %" PRIu64 " errors\n", errors);
    printf("{\"client\":\"librdkafka\",\"mode\":\"%s\",\"msgs\":%" PRIu64 ",\"bytes\":%" PRIu64
           ",\"elapsed_s\":%.6f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
           mode, msgs, bytes, elapsed_s, mps, mbps);
    if (lat)
        printf(",\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f", p50, p99, p999);
    printf(",\"errors\":%" PRIu64 "}\n", errors);
    fflush(stdout);
}

/* ---- produce ------------------------------------------------------------------- */

/* lat[i]: minus message i's enqueue time until its delivery report stores
 * the latency (>= 0), or -1 when it failed. */
struct pstate {
    int64_t *lat;
    uint64_t delivered, bytes, errors;
    int64_t last_dr_ns;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct pstate *st = opaque;
    int64_t t = now_ns();
    size_t i = (size_t)(uintptr_t)m->_private;
    st->last_dr_ns = t;
    if (m->err) {
        st->lat[i] = -1;
        if (st->errors++ < 10)
            fprintf(stderr, "delivery failed: %s: %s\n", rd_kafka_err2name(m->err),
                    rd_kafka_err2str(m->err));
        return;
    }
    st->lat[i] = t + st->lat[i];
    st->delivered++;
    st->bytes += m->len;
}

/* Waits until the absolute monotonic time t_ns, serving delivery reports. */
static void pace_until(rd_kafka_t *rk, int64_t t_ns)
{
    for (;;) {
        rd_kafka_poll(rk, 0);
        int64_t left = t_ns - now_ns();
        if (left <= 0 || stopping)
            return;
        if (left > 2000000) {
            rd_kafka_poll(rk, (int)(left / 1000000) - 1);
            continue;
        }
        struct timespec ts = {0, left > 50000 ? 50000 : left};
        nanosleep(&ts, NULL);
    }
}

static int run_produce(rd_kafka_conf_t *conf, const struct opts *o)
{
    char errstr[512];
    struct payloads pl;
    struct pstate st = {0};

    if (o->file)
        payloads_file(&pl, o->file);
    else
        payloads_fixed(&pl, o->size);
    st.lat = calloc(o->count ? (size_t)o->count : 1, sizeof(*st.lat));
    if (!st.lat) {
        fprintf(stderr, "out of memory for %" PRId64 " latency entries\n", o->count);
        return 1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s\n", errstr);
        return 2;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    if (!o->quiet)
        fprintf(stderr, "%% producing %" PRId64 " messages (%s) to %s\n", o->count,
                o->file ? o->file : "fixed payload", o->topic);

    uint64_t refused = 0;
    int64_t produced = 0;
    int64_t interval_ns = o->rate > 0 ? (int64_t)(1e9 / o->rate) : 0;
    int64_t t0 = now_ns(), next_report = t0 + 1000000000;
    size_t rec = 0;
    while (produced < o->count && !stopping) {
        if (interval_ns)
            pace_until(rk, t0 + produced * interval_ns);
        size_t i = (size_t)produced;
        int64_t t = now_ns();
        st.lat[i] = -t;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        while (rd_kafka_produce(rkt, o->partition, RD_KAFKA_MSG_F_COPY, pl.rec[rec], pl.len[rec],
                                NULL, 0, (void *)(uintptr_t)i) == -1) {
            err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stopping)
                break;
            rd_kafka_poll(rk, 10);
            err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        if (err) {
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break; /* interrupted */
            st.lat[i] = -1;
            if (refused++ < 10)
                fprintf(stderr, "produce failed: %s: %s\n", rd_kafka_err2name(err),
                        rd_kafka_err2str(err));
            if (err == RD_KAFKA_RESP_ERR__FATAL)
                break;
        }
        produced++;
        if (++rec == pl.n)
            rec = 0;
        rd_kafka_poll(rk, 0);
        if (!o->quiet && t >= next_report) {
            fprintf(stderr, "%% %" PRId64 " produced, %" PRIu64 " delivered, %.0f msgs/s\n",
                    produced, st.delivered, (double)st.delivered * 1e9 / (double)(t - t0));
            next_report = t + 1000000000;
        }
    }
    if (rd_kafka_flush(rk, stopping ? 5000 : 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        fprintf(stderr, "flush timed out with %d messages outstanding\n", rd_kafka_outq_len(rk));
    int64_t t1 = st.last_dr_ns ? st.last_dr_ns : now_ns();
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);

    size_t nlat = 0;
    for (int64_t i = 0; i < produced; i++)
        if (st.lat[i] >= 0)
            st.lat[nlat++] = st.lat[i];
    uint64_t errors = (uint64_t)produced - st.delivered; /* refused, failed or never reported */
    summary("produce", st.delivered, st.bytes, (double)(t1 - t0) / 1e9, st.lat, nlat, errors);
    free(st.lat);
    payloads_free(&pl);
    return errors ? 1 : 0;
}

/* ---- consume ------------------------------------------------------------------- */

struct cstate {
    uint64_t msgs, bytes, errors;
    int32_t *eof;   /* per partition id: 1 at end */
    int32_t npart;  /* size of eof */
    int32_t at_eof; /* partitions at their end */
    int64_t last_ns;
};

/* Returns 1 when the run is done. */
static int handle(struct cstate *st, const rd_kafka_message_t *m, const struct opts *o)
{
    int32_t part = m->partition;
    if (!m->err) {
        st->msgs++;
        st->bytes += m->len;
        if (part >= 0 && part < st->npart && st->eof[part]) {
            st->eof[part] = 0;
            st->at_eof--;
        }
        return st->msgs >= (uint64_t)o->count;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (part >= 0 && part < st->npart && !st->eof[part]) {
            st->eof[part] = 1;
            st->at_eof++;
        }
        return o->exit_eof && st->at_eof >= st->npart;
    }
    if (st->errors++ < 10)
        fprintf(stderr, "consume error: %s [%d]: %s: %s\n",
                m->rkt ? rd_kafka_topic_name(m->rkt) : "-", part, rd_kafka_err2name(m->err),
                rd_kafka_message_errstr(m));
    return 0;
}

static int run_consume(rd_kafka_conf_t *conf, const struct opts *o)
{
    char errstr[512];
    struct cstate st = {0};

    if (o->group) {
        conf_set(conf, "group.id", o->group);
        if (o->offset == RD_KAFKA_OFFSET_BEGINNING)
            conf_set(conf, "auto.offset.reset", "earliest");
        else if (o->offset == RD_KAFKA_OFFSET_END)
            conf_set(conf, "auto.offset.reset", "latest");
    } else {
        /* librdkafka's assign() needs a group handle; keep it inert. */
        conf_set(conf, "group.id", "rdkafka-perf-assign");
        conf_set(conf, "enable.auto.commit", "false");
        conf_set(conf, "enable.auto.offset.store", "false");
    }
    conf_set(conf, "enable.partition.eof", o->exit_eof ? "true" : "false");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s\n", errstr);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "metadata for %s: %s\n", o->topic,
                rd_kafka_err2str(err                  ? err
                                 : md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                                      : md->topics[0].err));
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_destroy(rk);
        return 1;
    }
    const struct rd_kafka_metadata_topic *mt = &md->topics[0];
    int np = mt->partition_cnt;
    for (int i = 0; i < np; i++)
        if (mt->partitions[i].id + 1 > st.npart)
            st.npart = mt->partitions[i].id + 1;
    st.eof = xmalloc(((size_t)st.npart + 1) * sizeof(*st.eof));
    memset(st.eof, 0, ((size_t)st.npart + 1) * sizeof(*st.eof));
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(np);
    for (int i = 0; i < np; i++) {
        int32_t id = mt->partitions[i].id;
        if (o->partition != RD_KAFKA_PARTITION_UA && id != o->partition)
            continue;
        rd_kafka_topic_partition_list_add(list, o->topic, id)->offset = o->offset;
    }
    rd_kafka_metadata_destroy(md);
    if (list->cnt == 0) {
        fprintf(stderr, "%s has no partition %d\n", o->topic, o->partition);
        return 2;
    }
    if (o->partition != RD_KAFKA_PARTITION_UA) {
        for (int32_t i = 0; i < st.npart; i++)
            st.eof[i] = i != o->partition;
        st.at_eof = st.npart - 1;
    }

    int64_t t0 = now_ns(), next_report = t0 + 1000000000;
    if (o->group) {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, o->topic, RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
    } else {
        err = rd_kafka_assign(rk, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        fprintf(stderr, "%s: %s\n", o->group ? "subscribe" : "assign", rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        free(st.eof);
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr, "%% consuming %" PRId64 " messages from %s (%d partitions)\n", o->count,
                o->topic, o->partition != RD_KAFKA_PARTITION_UA ? 1 : np);

    rd_kafka_queue_t *q = NULL;
    rd_kafka_message_t **batch = NULL;
    if (o->batch > 0) {
        q = rd_kafka_queue_get_consumer(rk);
        batch = xmalloc((size_t)o->batch * sizeof(*batch));
    }
    int done = o->count <= 0;
    int64_t idle_since = now_ns();
    while (!done && !stopping) {
        int got = 0;
        if (batch) {
            ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch, (size_t)o->batch);
            for (ssize_t i = 0; i < n; i++) {
                if (!done)
                    done = handle(&st, batch[i], o);
                rd_kafka_message_destroy(batch[i]);
            }
            got = n > 0 ? (int)n : 0;
        } else {
            rd_kafka_message_t *m;
            while (!done && (m = rd_kafka_consumer_poll(rk, got ? 0 : 100)) != NULL) {
                done = handle(&st, m, o);
                rd_kafka_message_destroy(m);
                /* Look at the clock only now and then. */
                if (++got == 1024)
                    break;
            }
        }
        int64_t t = now_ns();
        if (got) {
            st.last_ns = t;
            idle_since = t;
        } else if (t - idle_since > (int64_t)o->idle_ms * 1000000) {
            fprintf(stderr, "%% no message for %d ms: giving up\n", o->idle_ms);
            st.errors++;
            break;
        }
        if (!o->quiet && t >= next_report) {
            fprintf(stderr, "%% %" PRIu64 " consumed, %.0f msgs/s\n", st.msgs,
                    (double)st.msgs * 1e9 / (double)(t - t0));
            next_report = t + 1000000000;
        }
    }
    int64_t t1 = st.last_ns ? st.last_ns : now_ns();
    free(batch);
    if (q)
        rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    summary("consume", st.msgs, st.bytes, (double)(t1 - t0) / 1e9, NULL, 0, st.errors);
    free(st.eof);
    return st.errors ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct opts o = {.size = 100,
                     .count = 1000000,
                     .partition = RD_KAFKA_PARTITION_UA,
                     .offset = RD_KAFKA_OFFSET_BEGINNING,
                     .idle_ms = 10000};
    int linger_set = 0, latency = 0, opt;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    while ((opt = getopt(argc, argv, "PCt:b:s:c:p:o:G:X:z:a:F:r:leB:T:qh")) != -1) {
        switch (opt) {
        case 'P':
        case 'C':
            o.mode = opt;
            break;
        case 't':
            o.topic = optarg;
            break;
        case 'b':
            conf_set(conf, "bootstrap.servers", optarg);
            break;
        case 's':
            o.size = (size_t)parse_int(optarg, "size", argv[0]);
            break;
        case 'c':
            o.count = parse_int(optarg, "count", argv[0]);
            break;
        case 'p':
            o.partition = (int32_t)parse_int(optarg, "partition", argv[0]);
            break;
        case 'o':
            if (!strcmp(optarg, "beginning"))
                o.offset = RD_KAFKA_OFFSET_BEGINNING;
            else if (!strcmp(optarg, "end"))
                o.offset = RD_KAFKA_OFFSET_END;
            else if (!strcmp(optarg, "stored"))
                o.offset = RD_KAFKA_OFFSET_STORED;
            else
                o.offset = parse_int(optarg, "offset", argv[0]);
            break;
        case 'G':
            o.group = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "-X needs prop=value\n");
                usage(argv[0]);
            }
            *eq = '\0';
            conf_set(conf, optarg, eq + 1);
            linger_set |= !strcmp(optarg, "linger.ms") || !strcmp(optarg, "queue.buffering.max.ms");
            *eq = '=';
            break;
        }
        case 'z':
            conf_set(conf, "compression.type", optarg);
            break;
        case 'a':
            conf_set(conf, "acks", optarg);
            break;
        case 'F':
            o.file = optarg;
            break;
        case 'r':
            o.rate = strtod(optarg, NULL);
            break;
        case 'l':
            latency = 1;
            break;
        case 'e':
            o.exit_eof = 1;
            break;
        case 'B':
            o.batch = (int)parse_int(optarg, "batch", argv[0]);
            break;
        case 'T':
            o.idle_ms = (int)parse_int(optarg, "idle time", argv[0]);
            break;
        case 'q':
            o.quiet = 1;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (!o.mode || !o.topic || optind != argc || o.count < 0 || o.partition < RD_KAFKA_PARTITION_UA)
        usage(argv[0]);
    if (latency && !linger_set)
        conf_set(conf, "linger.ms", "0");

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* rd_kafka_new() takes conf. */
    return o.mode == 'P' ? run_produce(conf, &o) : run_consume(conf, &o);
}
