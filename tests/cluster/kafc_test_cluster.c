/*
 * kafc-test-cluster: a test broker cluster for kafc's tests, built on
 * librdkafka's mock cluster (librdkafka is a TEST-ONLY dependency; libkafc
 * never links it).
 *
 * Usage:
 *   kafc-test-cluster [-b BROKERS] [-t TOPIC:PARTITIONS[:REPLICATION]]...
 *
 *   -b BROKERS   number of brokers, 1..64 (default 3); ids are 1..BROKERS
 *   -t ...       create a topic (repeatable); REPLICATION defaults to
 *                min(BROKERS, 3) and must be 1..BROKERS
 *
 * The first stdout line is the bootstrap list ("127.0.0.1:P1,127.0.0.1:P2,...").
 * Then one command per stdin line; each gets exactly one reply line on stdout:
 * "ok[ <value>]" or "error <reason>". Tokens are separated by blanks.
 *
 *   bootstrap                              ok HOST:PORT,HOST:PORT,...
 *   brokers                                ok 1 2 3
 *   broker addr ID                         ok HOST:PORT        (that broker's listener)
 *   broker down ID|all                     close its connections, refuse new ones
 *   broker up ID|all                       accept connections again
 *   broker rtt ID|all MS                   delay every response by MS ms
 *   broker rack ID|all RACK                rack reported in Metadata
 *   topic create NAME PARTITIONS [REPLICATION]
 *   topic error NAME CODE                  error for the topic in Metadata (0 clears)
 *   leader TOPIC PARTITION ID|-1           move the partition leader (-1: none)
 *   follower TOPIC PARTITION ID|-1         preferred read replica (-1: none)
 *   follower-wmarks TOPIC PARTITION LO HI  the follower's watermarks (-1: leader's)
 *   error push APIKEY CODE [CODE...]       next requests of APIKEY to ANY broker fail
 *   error push-broker ID APIKEY CODE:RTT_MS [CODE:RTT_MS...]
 *                                          same, one broker, each delayed RTT_MS
 *   error clear APIKEY                     drop the cluster-wide pushed errors
 *   error count ID APIKEY                  ok N (errors left on that broker's stack)
 *   coordinator group|txn KEY ID           pin the group / transactional coordinator
 *   apiversion APIKEY MIN MAX              advertised range (-1 -1: API disabled)
 *   apiversions                            ok KEY:MIN-MAX ... (current ranges)
 *   help                                   ok <command names>
 *   quit                                   ok, then exit 0
 *
 * CODE is a Kafka error code number (6, -195, ...) or a librdkafka error name
 * (NOT_LEADER_FOR_PARTITION, _TRANSPORT, ERR_NOT_ENOUGH_REPLICAS; case-insensitive).
 * -195 (_TRANSPORT) makes the mock close the connection instead of answering.
 * Numbers are decimal, optional leading '-', nothing else. Broker ids must exist.
 *
 * The program exits cleanly (mock cluster and handle destroyed, status 0) on
 * "quit", on EOF of stdin (so it goes away when the test process dies) and on
 * SIGTERM/SIGINT/SIGHUP. Start-up failures exit 1 (usage errors 2) with a
 * message on stderr and nothing on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_BROKERS 64
#define MAX_PARTITIONS 10000
#define MAX_LINE 4096
#define MAX_TOKENS 256
#define MAX_APIKEY 1000
#define PROBE_TIMEOUT_MS 5000

struct broker_info {
    int32_t id;
    char addr[128]; /* host:port */
};

struct api_range {
    bool present; /* advertised by the mock */
    int16_t min, max;
    int16_t impl_max; /* highest version the mock implements (at start-up) */
};

static struct {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    int broker_cnt;
    struct broker_info brokers[MAX_BROKERS];
    int broker_info_cnt;
    struct api_range api[MAX_APIKEY + 1];
    bool api_known; /* the ApiVersions probe succeeded */
} g;

/* ---- output ------------------------------------------------------------ */

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes one reply line and flushes; a reader that went away ends us. */
static void reply(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (fflush(stdout) != 0 || ferror(stdout)) {
        rd_kafka_mock_cluster_destroy(g.mc);
        rd_kafka_destroy(g.rk);
        _exit(0);
    }
}

/* ---- strict parsing ---------------------------------------------------- */

/* Decimal integer, optional '-', digits only, within [lo, hi]. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A Kafka error code known to librdkafka, as a number or a name. */
static bool parse_errcode(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    rd_kafka_get_err_descs(&descs, &cnt);
    long num;
    bool numeric = parse_long(s, INT_MIN, INT_MAX, &num);
    const char *name = s;
    if (!numeric && strncasecmp(name, "ERR_", 4) == 0)
        name += 4;
    for (size_t i = 0; i < cnt; i++) {
        if (!descs[i].name)
            continue;
        if (numeric ? (long)descs[i].code == num : strcasecmp(descs[i].name, name) == 0) {
            *out = descs[i].code;
            return true;
        }
    }
    return false;
}

static bool valid_topic_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
            return false;
    return true;
}

/* An existing broker id (1..broker_cnt); with allow_all, "all" gives -1. */
static bool parse_broker(const char *s, bool allow_all, int32_t *out)
{
    long v;
    if (allow_all && strcmp(s, "all") == 0) {
        *out = -1;
        return true;
    }
    if (!parse_long(s, 1, g.broker_cnt, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

static bool parse_apikey(const char *s, int16_t *out)
{
    long v;
    if (!parse_long(s, 0, MAX_APIKEY, &v))
        return false;
    *out = (int16_t)v;
    return true;
}

/* ---- start-up probe: ask the mock itself for brokers and API versions --- */

/* Kafka brokers set TCP_NODELAY on their connections; the mock does not,
 * and Nagle then holds a response back until the client ACKs the one
 * before: a client that stops sending to that broker (it moved on to
 * another partition) waits for its delayed ACK, 40 ms. Set on the mock's
 * listening sockets, Linux hands it to every connection they accept. */
static void listeners_nodelay(void)
{
    for (int fd = 3; fd < 1024; fd++) {
        int v = 0, one = 1;
        socklen_t len = sizeof(v);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int io_wait(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static int io_full(int fd, void *buf, size_t len, bool wr, int64_t deadline)
{
    char *p = buf;
    while (len > 0) {
        if (io_wait(fd, wr ? POLLOUT : POLLIN, deadline) < 0)
            return -1;
        ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int connect_addr(const char *addr, int64_t deadline)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    long port;
    if (!colon || (size_t)(colon - addr) >= sizeof(host) || !parse_long(colon + 1, 1, 65535, &port))
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        int err = 0;
        socklen_t el = sizeof(err);
        if (errno != EINPROGRESS || io_wait(fd, POLLOUT, deadline) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* One v0 request (header + body) and its response body (after the
 * correlation id). Returns a malloc'd buffer or NULL. */
static unsigned char *kafka_rpc(int fd, int16_t apikey, const unsigned char *body, size_t body_len,
                                size_t *resp_len, int64_t deadline)
{
    static int32_t corr = 1;
    unsigned char req[64];
    size_t hdr = 4 + 2 + 2 + 4 + 2;
    if (hdr + body_len > sizeof(req))
        return NULL;
    uint32_t size = htonl((uint32_t)(hdr - 4 + body_len));
    uint16_t key = htons((uint16_t)apikey), ver = 0, cid = htons(0xffff);
    uint32_t c = htonl((uint32_t)++corr);
    memcpy(req, &size, 4);
    memcpy(req + 4, &key, 2);
    memcpy(req + 6, &ver, 2);
    memcpy(req + 8, &c, 4);
    memcpy(req + 12, &cid, 2);
    if (body_len > 0)
        memcpy(req + hdr, body, body_len);
    if (io_full(fd, req, hdr + body_len, true, deadline) < 0)
        return NULL;
    uint32_t rsize, rcorr;
    if (io_full(fd, &rsize, 4, false, deadline) < 0)
        return NULL;
    rsize = ntohl(rsize);
    if (rsize < 4 || rsize > (1u << 24))
        return NULL;
    unsigned char *buf = malloc(rsize);
    if (!buf || io_full(fd, buf, rsize, false, deadline) < 0) {
        free(buf);
        return NULL;
    }
    memcpy(&rcorr, buf, 4);
    if (ntohl(rcorr) != (uint32_t)corr) {
        free(buf);
        return NULL;
    }
    *resp_len = rsize - 4;
    memmove(buf, buf + 4, rsize - 4);
    return buf;
}

struct rd {
    const unsigned char *p, *end;
    bool bad;
};

static int32_t rd_i32(struct rd *r)
{
    uint32_t v = 0;
    if (r->end - r->p < 4) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, 4);
    r->p += 4;
    return (int32_t)ntohl(v);
}

static int16_t rd_i16(struct rd *r)
{
    uint16_t v = 0;
    if (r->end - r->p < 2) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, 2);
    r->p += 2;
    return (int16_t)ntohs(v);
}

/* Learns each broker's id and address (Metadata v0) and the API version
 * ranges (ApiVersions v0) from the mock's first bootstrap address. */
static int probe_cluster(const char *bootstraps)
{
    char first[128];
    size_t n = strcspn(bootstraps, ",");
    if (n >= sizeof(first))
        return -1;
    memcpy(first, bootstraps, n);
    first[n] = '\0';
    int64_t deadline = now_ms() + PROBE_TIMEOUT_MS;
    int fd = connect_addr(first, deadline);
    if (fd < 0)
        return -1;
    int rc = -1;
    size_t len;
    unsigned char all_topics[4] = {0, 0, 0, 0}; /* empty array */
    unsigned char *resp = kafka_rpc(fd, 3, all_topics, sizeof(all_topics), &len, deadline);
    if (!resp)
        goto out;
    struct rd r = {resp, resp + len, false};
    int32_t cnt = rd_i32(&r);
    for (int32_t i = 0; i < cnt && !r.bad && g.broker_info_cnt < MAX_BROKERS; i++) {
        int32_t id = rd_i32(&r);
        int16_t hl = rd_i16(&r);
        if (r.bad || hl < 0 || hl > 100 || r.end - r.p < hl) {
            r.bad = true;
            break;
        }
        struct broker_info *b = &g.brokers[g.broker_info_cnt];
        char host[101];
        memcpy(host, r.p, (size_t)hl);
        host[hl] = '\0';
        r.p += hl;
        int32_t port = rd_i32(&r);
        b->id = id;
        snprintf(b->addr, sizeof(b->addr), "%s:%d", host, (int)port);
        g.broker_info_cnt++;
    }
    free(resp);
    if (r.bad || g.broker_info_cnt != g.broker_cnt)
        goto out;

    resp = kafka_rpc(fd, 18, NULL, 0, &len, deadline);
    if (!resp)
        goto out;
    r = (struct rd){resp, resp + len, false};
    int16_t err = rd_i16(&r);
    cnt = rd_i32(&r);
    for (int32_t i = 0; i < cnt && !r.bad && err == 0; i++) {
        int16_t key = rd_i16(&r), mn = rd_i16(&r), mx = rd_i16(&r);
        if (!r.bad && key >= 0 && key <= MAX_APIKEY)
            g.api[key] = (struct api_range){true, mn, mx, mx};
    }
    free(resp);
    if (r.bad || err != 0)
        goto out;
    g.api_known = true;
    rc = 0;
out:
    close(fd);
    return rc;
}

/* ---- commands ---------------------------------------------------------- */

static void err_reply(const char *what, rd_kafka_resp_err_t err)
{
    reply("error %s: %s (%s)", what, rd_kafka_err2name(err), rd_kafka_err2str(err));
}

static int create_topic(const char *name, long parts, long repl, char *why, size_t why_size)
{
    if (!valid_topic_name(name)) {
        snprintf(why, why_size, "bad topic name '%s'", name);
        return -1;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(g.mc, name, (int)parts, (int)repl);
    if (err) {
        snprintf(why, why_size, "topic create %s: %s", name, rd_kafka_err2name(err));
        return -1;
    }
    return 0;
}

static int default_replication(void)
{
    return g.broker_cnt < 3 ? g.broker_cnt : 3;
}

static void cmd_broker(char **t, int n)
{
    int32_t id;
    long v;
    rd_kafka_resp_err_t err;
    if (n < 3) {
        reply("error usage: broker addr|down|up|rtt|rack ID ...");
        return;
    }
    bool all_ok = strcmp(t[1], "addr") != 0;
    if (!parse_broker(t[2], all_ok, &id)) {
        reply("error bad broker id '%s' (brokers are 1..%d%s)", t[2], g.broker_cnt,
              all_ok ? " or all" : "");
        return;
    }
    if (strcmp(t[1], "addr") == 0 && n == 3) {
        for (int i = 0; i < g.broker_info_cnt; i++)
            if (g.brokers[i].id == id) {
                reply("ok %s", g.brokers[i].addr);
                return;
            }
        reply("error broker %d address unknown", (int)id);
        return;
    } else if (strcmp(t[1], "down") == 0 && n == 3) {
        err = rd_kafka_mock_broker_set_down(g.mc, id);
    } else if (strcmp(t[1], "up") == 0 && n == 3) {
        err = rd_kafka_mock_broker_set_up(g.mc, id);
        listeners_nodelay(); /* in case the listener is new */
    } else if (strcmp(t[1], "rtt") == 0 && n == 4) {
        if (!parse_long(t[3], 0, 3600000, &v)) {
            reply("error bad rtt '%s' (0..3600000 ms)", t[3]);
            return;
        }
        err = rd_kafka_mock_broker_set_rtt(g.mc, id, (int)v);
    } else if (strcmp(t[1], "rack") == 0 && n == 4) {
        err = rd_kafka_mock_broker_set_rack(g.mc, id, t[3]);
    } else {
        reply("error usage: broker addr ID | down ID | up ID | rtt ID MS | rack ID RACK");
        return;
    }
    if (err)
        err_reply(t[1], err);
    else
        reply("ok");
}

static void cmd_topic(char **t, int n)
{
    long parts, repl;
    char why[512];
    if (n >= 4 && n <= 5 && strcmp(t[1], "create") == 0) {
        if (!parse_long(t[3], 1, MAX_PARTITIONS, &parts)) {
            reply("error bad partition count '%s' (1..%d)", t[3], MAX_PARTITIONS);
            return;
        }
        repl = default_replication();
        if (n == 5 && !parse_long(t[4], 1, g.broker_cnt, &repl)) {
            reply("error bad replication factor '%s' (1..%d)", t[4], g.broker_cnt);
            return;
        }
        if (create_topic(t[2], parts, repl, why, sizeof(why)) < 0)
            reply("error %s", why);
        else
            reply("ok");
    } else if (n == 4 && strcmp(t[1], "error") == 0) {
        rd_kafka_resp_err_t code;
        if (!valid_topic_name(t[2])) {
            reply("error bad topic name '%s'", t[2]);
            return;
        }
        if (!parse_errcode(t[3], &code)) {
            reply("error bad error code '%s'", t[3]);
            return;
        }
        rd_kafka_mock_topic_set_error(g.mc, t[2], code);
        reply("ok");
    } else {
        reply("error usage: topic create NAME PARTITIONS [REPLICATION] | topic error NAME CODE");
    }
}

/* leader / follower TOPIC PARTITION ID|-1 */
static void cmd_replica(char **t, int n, bool leader)
{
    long part, bid;
    if (n != 4) {
        reply("error usage: %s TOPIC PARTITION BROKER_ID|-1", t[0]);
        return;
    }
    if (!valid_topic_name(t[1])) {
        reply("error bad topic name '%s'", t[1]);
        return;
    }
    if (!parse_long(t[2], 0, MAX_PARTITIONS - 1, &part)) {
        reply("error bad partition '%s'", t[2]);
        return;
    }
    if (!parse_long(t[3], -1, g.broker_cnt, &bid) || bid == 0) {
        reply("error bad broker id '%s' (brokers are 1..%d, or -1)", t[3], g.broker_cnt);
        return;
    }
    rd_kafka_resp_err_t err =
        leader ? rd_kafka_mock_partition_set_leader(g.mc, t[1], (int32_t)part, (int32_t)bid)
               : rd_kafka_mock_partition_set_follower(g.mc, t[1], (int32_t)part, (int32_t)bid);
    if (err)
        err_reply(t[0], err);
    else
        reply("ok");
}

static void cmd_follower_wmarks(char **t, int n)
{
    long part, lo, hi;
    if (n != 5) {
        reply("error usage: follower-wmarks TOPIC PARTITION LO HI");
        return;
    }
    if (!valid_topic_name(t[1])) {
        reply("error bad topic name '%s'", t[1]);
        return;
    }
    if (!parse_long(t[2], 0, MAX_PARTITIONS - 1, &part)) {
        reply("error bad partition '%s'", t[2]);
        return;
    }
    if (!parse_long(t[3], -1, LONG_MAX, &lo) || !parse_long(t[4], -1, LONG_MAX, &hi)) {
        reply("error bad watermark (offsets >= -1)");
        return;
    }
    rd_kafka_resp_err_t err =
        rd_kafka_mock_partition_set_follower_wmarks(g.mc, t[1], (int32_t)part, lo, hi);
    if (err)
        err_reply(t[0], err);
    else
        reply("ok");
}

static void cmd_error(char **t, int n)
{
    int16_t key;
    if (n >= 4 && strcmp(t[1], "push") == 0) {
        rd_kafka_resp_err_t codes[MAX_TOKENS];
        if (!parse_apikey(t[2], &key)) {
            reply("error bad api key '%s' (0..%d)", t[2], MAX_APIKEY);
            return;
        }
        for (int i = 3; i < n; i++)
            if (!parse_errcode(t[i], &codes[i - 3])) {
                reply("error bad error code '%s'", t[i]);
                return;
            }
        rd_kafka_mock_push_request_errors_array(g.mc, key, (size_t)(n - 3), codes);
        reply("ok");
    } else if (n >= 5 && strcmp(t[1], "push-broker") == 0) {
        int32_t id;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        struct {
            rd_kafka_resp_err_t code;
            int rtt;
        } e[MAX_TOKENS];
        int cnt = n - 4;
        if (!parse_broker(t[2], false, &id)) {
            reply("error bad broker id '%s' (brokers are 1..%d)", t[2], g.broker_cnt);
            return;
        }
        if (!parse_apikey(t[3], &key)) {
            reply("error bad api key '%s' (0..%d)", t[3], MAX_APIKEY);
            return;
        }
        for (int i = 0; i < cnt; i++) {
            char buf[MAX_LINE];
            long rtt;
            snprintf(buf, sizeof(buf), "%s", t[4 + i]);
            char *colon = strrchr(buf, ':');
            if (!colon) {
                reply("error bad entry '%s' (want CODE:RTT_MS)", t[4 + i]);
                return;
            }
            *colon = '\0';
            if (!parse_errcode(buf, &e[i].code)) {
                reply("error bad error code '%s'", buf);
                return;
            }
            if (!parse_long(colon + 1, 0, 3600000, &rtt)) {
                reply("error bad rtt '%s' (0..3600000 ms)", colon + 1);
                return;
            }
            e[i].rtt = (int)rtt;
        }
        /* The API is variadic only: push one (code, rtt) pair at a time; the
         * stack is FIFO, so the order is kept. */
        for (int i = 0; i < cnt && !err; i++)
            err =
                rd_kafka_mock_broker_push_request_error_rtts(g.mc, id, key, 1, e[i].code, e[i].rtt);
        if (err)
            err_reply("push-broker", err);
        else
            reply("ok");
    } else if (n == 3 && strcmp(t[1], "clear") == 0) {
        if (!parse_apikey(t[2], &key)) {
            reply("error bad api key '%s' (0..%d)", t[2], MAX_APIKEY);
            return;
        }
        rd_kafka_mock_clear_request_errors(g.mc, key);
        reply("ok");
    } else if (n == 4 && strcmp(t[1], "count") == 0) {
        int32_t id;
        size_t cnt = 0;
        if (!parse_broker(t[2], false, &id)) {
            reply("error bad broker id '%s' (brokers are 1..%d)", t[2], g.broker_cnt);
            return;
        }
        if (!parse_apikey(t[3], &key)) {
            reply("error bad api key '%s' (0..%d)", t[3], MAX_APIKEY);
            return;
        }
        rd_kafka_resp_err_t err = rd_kafka_mock_broker_error_stack_cnt(g.mc, id, key, &cnt);
        if (err)
            err_reply("count", err);
        else
            reply("ok %zu", cnt);
    } else {
        reply("error usage: error push APIKEY CODE... | error push-broker ID APIKEY CODE:RTT_MS... "
              "| error clear APIKEY | error count ID APIKEY");
    }
}

static void cmd_coordinator(char **t, int n)
{
    int32_t id;
    const char *type;
    if (n != 4) {
        reply("error usage: coordinator group|txn KEY BROKER_ID");
        return;
    }
    if (strcmp(t[1], "group") == 0)
        type = "group";
    else if (strcmp(t[1], "txn") == 0)
        type = "transaction";
    else {
        reply("error bad coordinator type '%s' (group or txn)", t[1]);
        return;
    }
    /* The mock accepts any id here but aborts later if it does not exist. */
    if (!parse_broker(t[3], false, &id)) {
        reply("error bad broker id '%s' (brokers are 1..%d)", t[3], g.broker_cnt);
        return;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_coordinator_set(g.mc, type, t[2], id);
    if (err)
        err_reply("coordinator", err);
    else
        reply("ok");
}

static void cmd_apiversion(char **t, int n)
{
    int16_t key;
    long mn, mx;
    if (n != 4) {
        reply("error usage: apiversion APIKEY MIN MAX");
        return;
    }
    if (!parse_apikey(t[1], &key)) {
        reply("error bad api key '%s' (0..%d)", t[1], MAX_APIKEY);
        return;
    }
    if (g.api_known && !g.api[key].present) {
        reply("error api key %d is not implemented by the mock", key);
        return;
    }
    if (!parse_long(t[2], -1, INT16_MAX, &mn) || !parse_long(t[3], -1, INT16_MAX, &mx)) {
        reply("error bad version (0..32767, or -1 -1 to disable)");
        return;
    }
    if ((mn == -1) != (mx == -1) || mn > mx) {
        reply("error bad version range %ld..%ld (MIN <= MAX, or -1 -1 to disable)", mn, mx);
        return;
    }
    /* Versions above what the mock implements would make it decode requests
     * it cannot handle. */
    if (g.api_known && mx > g.api[key].impl_max) {
        reply("error api key %d: the mock implements versions up to %d", key, g.api[key].impl_max);
        return;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_set_apiversion(g.mc, key, (int16_t)mn, (int16_t)mx);
    if (err) {
        err_reply("apiversion", err);
        return;
    }
    g.api[key].min = (int16_t)mn;
    g.api[key].max = (int16_t)mx;
    reply("ok");
}

static void cmd_apiversions(void)
{
    char out[MAX_APIKEY * 8], *p = out;
    size_t left = sizeof(out);
    out[0] = '\0';
    for (int k = 0; k <= MAX_APIKEY; k++) {
        if (!g.api[k].present)
            continue;
        int w = snprintf(p, left, " %d:%d-%d", k, g.api[k].min, g.api[k].max);
        if (w < 0 || (size_t)w >= left)
            break;
        p += w;
        left -= (size_t)w;
    }
    reply("ok%s", out);
}

/* Executes one command line; returns true on "quit". */
static bool run_line(char *line)
{
    char *t[MAX_TOKENS + 1];
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == MAX_TOKENS) {
            reply("error too many arguments (max %d)", MAX_TOKENS);
            return false;
        }
        t[n++] = tok;
    }
    if (n == 0) {
        reply("error empty command");
        return false;
    }
    const char *c = t[0];
    if (strcmp(c, "quit") == 0 && n == 1) {
        reply("ok");
        return true;
    } else if (strcmp(c, "bootstrap") == 0 && n == 1) {
        reply("ok %s", rd_kafka_mock_cluster_bootstraps(g.mc));
    } else if (strcmp(c, "brokers") == 0 && n == 1) {
        char out[MAX_BROKERS * 4] = "", *p = out;
        for (int i = 1; i <= g.broker_cnt; i++)
            p += sprintf(p, " %d", i);
        reply("ok%s", out);
    } else if (strcmp(c, "broker") == 0) {
        cmd_broker(t, n);
    } else if (strcmp(c, "topic") == 0) {
        cmd_topic(t, n);
    } else if (strcmp(c, "leader") == 0) {
        cmd_replica(t, n, true);
    } else if (strcmp(c, "follower") == 0) {
        cmd_replica(t, n, false);
    } else if (strcmp(c, "follower-wmarks") == 0) {
        cmd_follower_wmarks(t, n);
    } else if (strcmp(c, "error") == 0) {
        cmd_error(t, n);
    } else if (strcmp(c, "coordinator") == 0) {
        cmd_coordinator(t, n);
    } else if (strcmp(c, "apiversion") == 0) {
        cmd_apiversion(t, n);
    } else if (strcmp(c, "apiversions") == 0 && n == 1) {
        cmd_apiversions();
    } else if (strcmp(c, "help") == 0 && n == 1) {
        reply("ok bootstrap brokers broker topic leader follower follower-wmarks error "
              "coordinator apiversion apiversions help quit");
    } else if (strcmp(c, "quit") == 0 || strcmp(c, "bootstrap") == 0 || strcmp(c, "brokers") == 0 ||
               strcmp(c, "apiversions") == 0 || strcmp(c, "help") == 0) {
        reply("error %s takes no arguments", c);
    } else {
        reply("error unknown command '%.64s'", c);
    }
    return false;
}

/* ---- main -------------------------------------------------------------- */

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: kafc-test-cluster [-b BROKERS] [-t TOPIC:PARTITIONS[:REPLICATION]]...\n"
                    "then commands on stdin, one per line (see tests/cluster/README.md)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char errstr[512];
    const char *topics[256];
    int topic_cnt = 0;
    long v;
    int opt;

    g.broker_cnt = 3;
    while ((opt = getopt(argc, argv, "b:t:h")) != -1) {
        switch (opt) {
        case 'b':
            if (!parse_long(optarg, 1, MAX_BROKERS, &v)) {
                fprintf(stderr, "kafc-test-cluster: bad broker count '%s' (1..%d)\n", optarg,
                        MAX_BROKERS);
                usage();
            }
            g.broker_cnt = (int)v;
            break;
        case 't':
            if (topic_cnt == 256) {
                fprintf(stderr, "kafc-test-cluster: too many -t options\n");
                usage();
            }
            topics[topic_cnt++] = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();

    /* Block the stop signals in every thread (librdkafka's inherit the
     * mask); the main loop takes them from a signalfd. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        perror("kafc-test-cluster: signalfd");
        return 1;
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    if (rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafc-test-cluster: %s\n", errstr);
        return 1;
    }
    g.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!g.rk) {
        fprintf(stderr, "kafc-test-cluster: rd_kafka_new: %s\n", errstr);
        return 1;
    }
    g.mc = rd_kafka_mock_cluster_new(g.rk, g.broker_cnt);
    if (!g.mc) {
        fprintf(stderr, "kafc-test-cluster: rd_kafka_mock_cluster_new failed\n");
        rd_kafka_destroy(g.rk);
        return 1;
    }
    listeners_nodelay();

    int rc = 0;
    for (int i = 0; i < topic_cnt && rc == 0; i++) {
        char spec[512], *name, *p, *r, *save = NULL;
        long parts, repl = default_replication();
        snprintf(spec, sizeof(spec), "%s", topics[i]);
        name = strtok_r(spec, ":", &save);
        p = strtok_r(NULL, ":", &save);
        r = strtok_r(NULL, ":", &save);
        if (!name || !p || strtok_r(NULL, ":", &save) ||
            !parse_long(p, 1, MAX_PARTITIONS, &parts) ||
            (r && !parse_long(r, 1, g.broker_cnt, &repl))) {
            fprintf(stderr,
                    "kafc-test-cluster: bad -t '%s' (TOPIC:PARTITIONS[:REPLICATION], "
                    "partitions 1..%d, replication 1..%d)\n",
                    topics[i], MAX_PARTITIONS, g.broker_cnt);
            rc = 2;
        } else if (create_topic(name, parts, repl, errstr, sizeof(errstr)) < 0) {
            fprintf(stderr, "kafc-test-cluster: %s\n", errstr);
            rc = 1;
        }
    }
    if (rc == 0 && probe_cluster(rd_kafka_mock_cluster_bootstraps(g.mc)) < 0) {
        fprintf(stderr, "kafc-test-cluster: could not query the mock's brokers/API versions\n");
        rc = 1;
    }
    if (rc != 0) {
        rd_kafka_mock_cluster_destroy(g.mc);
        rd_kafka_destroy(g.rk);
        return rc;
    }

    reply("%s", rd_kafka_mock_cluster_bootstraps(g.mc));

    /* Command loop: lines from stdin, stop signals from the signalfd. */
    static char buf[MAX_LINE + 1];
    size_t len = 0;
    bool discarding = false, done = false;
    while (!done) {
        struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                              {.fd = sfd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & POLLIN)
            break;
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t got = read(STDIN_FILENO, buf + len, MAX_LINE - len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        bool eof = got <= 0;
        if (!eof)
            len += (size_t)got;
        /* Run every complete line in the buffer. */
        char *start = buf, *nl;
        while (!done && (nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
            *nl = '\0';
            if (discarding) {
                discarding = false;
                reply("error line too long (max %d bytes)", MAX_LINE - 1);
            } else {
                done = run_line(start);
            }
            start = nl + 1;
        }
        len -= (size_t)(start - buf);
        memmove(buf, start, len);
        if (len == MAX_LINE) { /* no newline in a full buffer */
            discarding = true;
            len = 0;
        }
        if (eof && !done) {
            if (len > 0 && !discarding) { /* a last line without '\n' */
                buf[len] = '\0';
                run_line(buf);
            }
            break;
        }
    }

    rd_kafka_mock_cluster_destroy(g.mc);
    rd_kafka_destroy(g.rk);
    close(sfd);
    return 0;
}
