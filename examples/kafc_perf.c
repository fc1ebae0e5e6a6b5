/*
 * kafc-perf — produce/consume performance tool, with the flags users know
 * from librdkafka's rdkafka_performance. bench/compare runs it side by side
 * with bench/peers/rdkafka_perf (the same tool written against librdkafka).
 *
 * usage: kafc-perf -P|-C -t topic -b brokers [options]
 *   -P / -C          produce / consume
 *   -t topic         topic
 *   -b brokers       bootstrap.servers
 *   -s size          payload size in bytes (produce; default 100)
 *   -c count         messages to produce / consume (default 1000000)
 *   -p partition     produce to / consume from this partition only
 *   -o offset        consume start: beginning (default), end, stored or N
 *   -G group         consume through a consumer group (subscribe)
 *   -X prop=value    any kafc configuration property (repeatable)
 *   -z codec         compression.type
 *   -a acks          acks (0 or 1 also turn enable.idempotence off unless -X
 *                    sets it)
 *   -F file          payloads from a file, one record per line, cycled
 *   -r rate          produce at most rate messages/s (default: unlimited)
 *   -l               latency mode: linger.ms=0 (a -X linger.ms wins)
 *   -e               consume: stop at the end of every partition
 *   -B size          consume: poll batches of this many messages
 *   -T ms            consume: give up after this long without a message
 *                    (default 10000)
 *   -q               no progress lines
 *
 * Human-readable lines go to stderr; the last stdout line is one JSON
 * summary: client, mode, msgs, bytes (payload), elapsed_s, msgs_per_s,
 * mb_per_s (10^6 bytes), for produce the delivery latency percentiles
 * lat_p50_us / lat_p99_us / lat_p999_us (enqueue to delivery report), and
 * errors. Exits 0, 1 when anything failed, 2 on usage/configuration errors.
 */
#include <kafc/kafc.h>

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

static void conf_set(kafc_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (kafc_conf_set(conf, name, value, errstr, sizeof(errstr)) != KAFC_ERR_NONE) {
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
    const char **rec;
    size_t *len;
    size_t n;
};

static void payloads_fixed(struct payloads *pl, size_t size)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    pl->data = malloc(size ? size : 1);
    pl->rec = malloc(sizeof(*pl->rec));
    pl->len = malloc(sizeof(*pl->len));
    if (!pl->data || !pl->rec || !pl->len) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
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
    size_t cap = 1 << 20, used = 0, got;
    pl->data = malloc(cap + 1);
    while (pl->data && (got = fread(pl->data + used, 1, cap - used, f)) > 0) {
        used += got;
        if (used == cap) {
            cap *= 2;
            char *bigger = realloc(pl->data, cap + 1);
            if (!bigger)
                free(pl->data);
            pl->data = bigger;
        }
    }
    fclose(f);
    if (!pl->data) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    pl->data[used] = '\n';
    size_t lines = 0;
    for (size_t i = 0; i <= used; i++)
        lines += pl->data[i] == '\n';
    pl->rec = malloc(lines * sizeof(*pl->rec));
    pl->len = malloc(lines * sizeof(*pl->len));
    if (!pl->rec || !pl->len) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    pl->n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= used; i++) {
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
    fprintf(stderr,
            "%% %s: %" PRIu64 " messages, %" PRIu64 " bytes in %.3f s: %.0f msgs/s, %.2f MB/s",
            mode, msgs, bytes, elapsed_s, mps, mbps);
    if (lat)
        fprintf(stderr, ", latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us",
                percentile_us(lat, nlat, 0.50), percentile_us(lat, nlat, 0.99),
                percentile_us(lat, nlat, 0.999));
    fprintf(stderr, ", %" PRIu64 " errors\n", errors);
    printf("{\"client\":\"kafc\",\"mode\":\"%s\",\"msgs\":%" PRIu64 ",\"bytes\":%" PRIu64
           ",\"elapsed_s\":%.6f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f",
           mode, msgs, bytes, elapsed_s, mps, mbps);
    if (lat)
        printf(",\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f",
               percentile_us(lat, nlat, 0.50), percentile_us(lat, nlat, 0.99),
               percentile_us(lat, nlat, 0.999));
    printf(",\"errors\":%" PRIu64 "}\n", errors);
    fflush(stdout);
}

/* ---- produce ------------------------------------------------------------------- */

/* Per message, lat[i] holds minus its enqueue time until the delivery
 * report replaces it with the latency (>= 0), or -1 when it failed. */
struct pstate {
    int64_t *lat;
    uint64_t delivered, bytes, errors;
    int64_t last_dr_ns;
};

static void on_delivery(kafc_producer_t *p, const kafc_message_t *m, void *opaque)
{
    struct pstate *st = opaque;
    int64_t t = now_ns();
    size_t i = (size_t)(uintptr_t)kafc_message_opaque(m);
    kafc_err_t err = kafc_message_err(m);
    st->last_dr_ns = t;
    if (err != KAFC_ERR_NONE) {
        st->lat[i] = -1;
        if (st->errors++ < 10)
            fprintf(stderr, "delivery failed: %s: %s\n", kafc_err_name(err), kafc_err_str(err));
        return;
    }
    size_t len;
    kafc_message_value(m, &len);
    st->lat[i] = t + st->lat[i];
    st->delivered++;
    st->bytes += len;
}

/* Waits until the absolute monotonic time t_ns, serving delivery reports. */
static void pace_until(kafc_producer_t *p, int64_t t_ns)
{
    for (;;) {
        kafc_producer_poll(p, 0);
        int64_t left = t_ns - now_ns();
        if (left <= 0 || stopping)
            return;
        if (left > 2000000) {
            kafc_producer_poll(p, (int)(left / 1000000) - 1);
            continue;
        }
        struct timespec ts = {0, left > 50000 ? 50000 : left};
        nanosleep(&ts, NULL);
    }
}

static int run_produce(kafc_conf_t *conf, const struct opts *o)
{
    char errstr[512];
    struct payloads pl;
    struct pstate st = {0};

    if (o->file)
        payloads_file(&pl, o->file);
    else
        payloads_fixed(&pl, o->size);
    st.lat = calloc((size_t)o->count ? (size_t)o->count : 1, sizeof(*st.lat));
    if (!st.lat) {
        fprintf(stderr, "out of memory for %" PRId64 " latency entries\n", o->count);
        return 1;
    }
    kafc_conf_set_dr_cb(conf, on_delivery);
    kafc_conf_set_opaque(conf, &st);
    kafc_producer_t *p = kafc_producer_new(conf, errstr, sizeof(errstr));
    if (!p) {
        fprintf(stderr, "%s\n", errstr);
        return 2;
    }
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
            pace_until(p, t0 + produced * interval_ns);
        size_t i = (size_t)produced;
        int64_t t = now_ns();
        st.lat[i] = -t;
        kafc_err_t err;
        for (;;) {
            err = kafc_produce(p, o->topic, o->partition, KAFC_MSG_F_COPY, NULL, 0, pl.rec[rec],
                               pl.len[rec], NULL, 0, (void *)(uintptr_t)i);
            /* Queue full: serve reports and try again. Timed out: the
             * topic's metadata has not arrived yet (max.block.ms is 0);
             * allow it 30 s from the start. */
            int again = err == KAFC_ERR__QUEUE_FULL ||
                        (err == KAFC_ERR__TIMED_OUT && now_ns() - t0 < 30000000000);
            if (!again || stopping)
                break;
            kafc_producer_poll(p, 10);
        }
        if (err != KAFC_ERR_NONE) {
            if (stopping)
                break; /* interrupted */
            st.lat[i] = -1;
            if (refused++ < 10)
                fprintf(stderr, "produce failed: %s: %s\n", kafc_err_name(err), kafc_err_str(err));
            if (err == KAFC_ERR__FATAL || err == KAFC_ERR__DESTROY)
                break;
        }
        produced++;
        if (++rec == pl.n)
            rec = 0;
        kafc_producer_poll(p, 0);
        if (!o->quiet && t >= next_report) {
            fprintf(stderr, "%% %" PRId64 " produced, %" PRIu64 " delivered, %.0f msgs/s\n",
                    produced, st.delivered, (double)st.delivered * 1e9 / (double)(t - t0));
            next_report = t + 1000000000;
        }
    }
    if (kafc_producer_flush(p, stopping ? 5000 : 120000) != KAFC_ERR_NONE)
        fprintf(stderr, "flush timed out with %" PRId64 " messages outstanding\n",
                kafc_producer_outstanding(p));
    int64_t t1 = st.last_dr_ns ? st.last_dr_ns : now_ns();
    kafc_producer_destroy(p, 5000);

    /* Pack the latencies of delivered messages. */
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
static int handle(struct cstate *st, kafc_message_t *m, const struct opts *o)
{
    kafc_err_t err = kafc_message_err(m);
    int32_t part = kafc_message_partition(m);
    if (err == KAFC_ERR_NONE) {
        size_t len;
        kafc_message_value(m, &len);
        st->msgs++;
        st->bytes += len;
        if (part >= 0 && part < st->npart && st->eof[part]) {
            st->eof[part] = 0;
            st->at_eof--;
        }
        return st->msgs >= (uint64_t)o->count;
    }
    if (err == KAFC_ERR__PARTITION_EOF) {
        if (part >= 0 && part < st->npart && !st->eof[part]) {
            st->eof[part] = 1;
            st->at_eof++;
        }
        return o->exit_eof && st->at_eof >= st->npart;
    }
    if (st->errors++ < 10)
        fprintf(stderr, "consume error: %s [%d]: %s: %s\n",
                kafc_message_topic(m) ? kafc_message_topic(m) : "-", part, kafc_err_name(err),
                kafc_err_str(err));
    return 0;
}

static int run_consume(kafc_conf_t *conf, const struct opts *o)
{
    char errstr[512];
    struct cstate st = {0};

    if (o->group) {
        conf_set(conf, "group.id", o->group);
        if (o->offset == KAFC_OFFSET_BEGINNING)
            conf_set(conf, "auto.offset.reset", "earliest");
        else if (o->offset == KAFC_OFFSET_END)
            conf_set(conf, "auto.offset.reset", "latest");
    }
    if (o->exit_eof)
        conf_set(conf, "enable.partition.eof", "true");
    kafc_consumer_t *c = kafc_consumer_new(conf, errstr, sizeof(errstr));
    if (!c) {
        fprintf(stderr, "%s\n", errstr);
        return 2;
    }

    kafc_metadata_t *md = NULL;
    const char *topics[1] = {o->topic};
    kafc_err_t err =
        kafc_metadata(kafc_consumer_client(c), topics, 1, 10000, &md, errstr, sizeof(errstr));
    int ti = -1;
    if (err == KAFC_ERR_NONE)
        for (int i = 0; i < kafc_metadata_topic_count(md); i++)
            if (!strcmp(kafc_metadata_topic_name(md, i), o->topic))
                ti = i;
    if (err != KAFC_ERR_NONE || ti < 0 || kafc_metadata_topic_err(md, ti) != KAFC_ERR_NONE) {
        fprintf(stderr, "metadata for %s: %s\n", o->topic,
                err != KAFC_ERR_NONE ? errstr
                : ti < 0             ? "topic missing"
                                     : kafc_err_str(kafc_metadata_topic_err(md, ti)));
        kafc_metadata_destroy(md);
        kafc_consumer_destroy(c);
        return 1;
    }
    int np = kafc_metadata_partition_count(md, ti);
    for (int i = 0; i < np; i++)
        if (kafc_metadata_partition_id(md, ti, i) + 1 > st.npart)
            st.npart = kafc_metadata_partition_id(md, ti, i) + 1;
    st.eof = calloc((size_t)st.npart + 1, sizeof(*st.eof));
    kafc_topic_partition_list_t *list = kafc_topic_partition_list_new(np);
    if (!st.eof || !list) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int i = 0; i < np; i++) {
        int32_t id = kafc_metadata_partition_id(md, ti, i);
        if (o->partition != KAFC_PARTITION_ANY && id != o->partition)
            continue;
        kafc_topic_partition_list_add(list, o->topic, id)->offset = o->offset;
    }
    kafc_metadata_destroy(md);
    if (list->cnt == 0) {
        fprintf(stderr, "%s has no partition %d\n", o->topic, o->partition);
        return 2;
    }
    if (o->partition != KAFC_PARTITION_ANY) {
        /* Only that one partition counts for -e. */
        for (int32_t i = 0; i < st.npart; i++)
            st.eof[i] = i != o->partition;
        st.at_eof = st.npart - 1;
    }

    int64_t t0 = now_ns(), next_report = t0 + 1000000000;
    if (o->group)
        err = kafc_subscribe(c, topics, 1, errstr, sizeof(errstr));
    else
        err = kafc_assign(c, list);
    kafc_topic_partition_list_destroy(list);
    if (err != KAFC_ERR_NONE) {
        fprintf(stderr, "%s: %s\n", o->group ? "subscribe" : "assign",
                o->group ? errstr : kafc_err_str(err));
        kafc_consumer_destroy(c);
        free(st.eof);
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr, "%% consuming %" PRId64 " messages from %s (%d partitions)\n", o->count,
                o->topic, o->partition != KAFC_PARTITION_ANY ? 1 : np);

    kafc_message_t **batch = NULL;
    if (o->batch > 0 && !(batch = malloc((size_t)o->batch * sizeof(*batch)))) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    int done = o->count <= 0;
    int64_t idle_since = now_ns();
    while (!done && !stopping) {
        int got = 0;
        if (batch) {
            got = kafc_consumer_poll_batch(c, batch, o->batch, 100);
            for (int i = 0; i < got; i++) {
                if (!done)
                    done = handle(&st, batch[i], o);
                kafc_message_destroy(batch[i]);
            }
        } else {
            kafc_message_t *m;
            while (!done && (m = kafc_consumer_poll(c, got ? 0 : 100)) != NULL) {
                done = handle(&st, m, o);
                kafc_message_destroy(m);
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
    kafc_consumer_close(c, 5000);
    kafc_consumer_destroy(c);
    summary("consume", st.msgs, st.bytes, (double)(t1 - t0) / 1e9, NULL, 0, st.errors);
    free(st.eof);
    return st.errors ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct opts o = {.size = 100,
                     .count = 1000000,
                     .partition = KAFC_PARTITION_ANY,
                     .offset = KAFC_OFFSET_BEGINNING,
                     .idle_ms = 10000};
    const char *acks = NULL;
    int idempotence_set = 0, linger_set = 0, latency = 0, opt;
    kafc_conf_t *conf = kafc_conf_new();
    if (!conf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* Like librdkafka: a full queue fails produce at once, and the tool
     * serves delivery reports before retrying. */
    conf_set(conf, "max.block.ms", "0");

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
                o.offset = KAFC_OFFSET_BEGINNING;
            else if (!strcmp(optarg, "end"))
                o.offset = KAFC_OFFSET_END;
            else if (!strcmp(optarg, "stored"))
                o.offset = KAFC_OFFSET_STORED;
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
            idempotence_set |= !strcmp(optarg, "enable.idempotence");
            linger_set |= !strcmp(optarg, "linger.ms");
            *eq = '=';
            break;
        }
        case 'z':
            conf_set(conf, "compression.type", optarg);
            break;
        case 'a':
            acks = optarg;
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
    if (!o.mode || !o.topic || optind != argc || o.count < 0 || o.partition < KAFC_PARTITION_ANY)
        usage(argv[0]);
    if (acks && (!strcmp(acks, "0") || !strcmp(acks, "1")) && !idempotence_set)
        conf_set(conf, "enable.idempotence", "false");
    if (latency && !linger_set)
        conf_set(conf, "linger.ms", "0");

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = o.mode == 'P' ? run_produce(conf, &o) : run_consume(conf, &o);
    kafc_conf_destroy(conf);
    return rc;
}
