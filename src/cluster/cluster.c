/*
 * cluster — see cluster.h.
 */
#include "cluster/cluster.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/coord.h"
#include "util/clock.h"

static void send_refresh(kafc__cluster_t *cl);
static void connect_candidate(kafc__cluster_t *cl);
static void arm_waiter_timer(kafc__cluster_t *cl);

/* ---- bootstrap.servers -------------------------------------------------- */

int kafc__parse_hostport(const char *s, size_t len, char *host, size_t hsize, int *port)
{
    const char *end = s + len, *h = s, *hend, *p = NULL;
    while (h < end && isspace((unsigned char)*h))
        h++;
    while (end > h && isspace((unsigned char)end[-1]))
        end--;
    /* An optional "plaintext://" style prefix, as Java accepts. */
    for (const char *q = h; q + 2 < end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            h = q + 3;
            break;
        }
    if (h < end && *h == '[') {
        hend = memchr(h, ']', (size_t)(end - h));
        if (!hend)
            return -1;
        h++;
        if (hend + 1 < end) {
            if (hend[1] != ':')
                return -1;
            p = hend + 2;
        }
    } else {
        const char *colon = NULL;
        for (const char *q = h; q < end; q++)
            if (*q == ':') {
                if (colon)
                    return -1; /* bare IPv6 needs brackets */
                colon = q;
            }
        hend = colon ? colon : end;
        if (colon)
            p = colon + 1;
    }
    if (hend == h || (size_t)(hend - h) >= hsize)
        return -1;
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = '\0';
    if (!p) {
        *port = 9092;
        return 0;
    }
    if (p == end)
        return -1;
    long v = 0;
    for (const char *q = p; q < end; q++) {
        if (!isdigit((unsigned char)*q))
            return -1;
        v = v * 10 + (*q - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (int)v;
    return 0;
}

/* ---- brokers ------------------------------------------------------------ */

static void on_nc_state(void *owner, kafc__nc_state_t st, kafc_err_t err, const char *reason);

static const kafc__nc_cbs_t nc_cbs = {.on_state = on_nc_state};

static void broker_name(char *dst, size_t size, const char *host, int port, int32_t id,
                        int bootstrap)
{
    if (bootstrap)
        snprintf(dst, size, "%s:%d/bootstrap", host, port);
    else
        snprintf(dst, size, "%s:%d/%d", host, port, id);
}

static kafc__broker_t *broker_add(kafc__cluster_t *cl, int32_t id, const char *host, int port,
                                  int bootstrap)
{
    char name[300];
    kafc__broker_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->cl = cl;
    b->id = id;
    b->port = port;
    b->bootstrap = bootstrap;
    snprintf(b->host, sizeof(b->host), "%s", host);
    broker_name(name, sizeof(name), host, port, id, bootstrap);
    kafc__netclient_init(&b->nc, cl->sel, cl->log, name, host, port, &cl->cfg.nc, &nc_cbs, b);
    /* Append, keeping the (shuffled) bootstrap order. */
    kafc__broker_t **pp = &cl->brokers;
    while (*pp)
        pp = &(*pp)->next;
    *pp = b;
    return b;
}

static void broker_free(void *p)
{
    kafc__broker_t *b = p;
    kafc__netclient_destroy(&b->nc);
    free(b);
}

/* Unlinks b, fails its requests with reason, frees it after the current
 * dispatch (it may be the one delivering a response right now). */
static void broker_remove(kafc__cluster_t *cl, kafc__broker_t *b, const char *reason)
{
    for (kafc__broker_t **pp = &cl->brokers; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    b->next = NULL;
    if (kafc__dbg_on(cl->log, KAFC__DBG_BROKER))
        kafc__log(cl->log, KAFC_LOG_DEBUG, "broker", "%s: removed: %s", b->nc.name, reason);
    kafc__netclient_close(&b->nc, KAFC_ERR__TRANSPORT, reason);
    if (kafc__selector_defer_free(cl->sel, b, broker_free) != KAFC_ERR_NONE)
        kafc__log(cl->log, KAFC_LOG_ERR, "broker", "out of memory: leaking a broker object");
}

kafc__broker_t *kafc__cluster_broker(kafc__cluster_t *cl, int32_t id)
{
    for (kafc__broker_t *b = cl->brokers; b; b = b->next)
        if (b->id == id && !b->bootstrap)
            return b;
    return NULL;
}

kafc__broker_t *kafc__cluster_ensure_broker(kafc__cluster_t *cl, int32_t id, const char *host,
                                            int port)
{
    kafc__broker_t *b = kafc__cluster_broker(cl, id);
    return b ? b : broker_add(cl, id, host, port, 0);
}

/* Makes the registry match the cache's broker list. */
static void sync_brokers(kafc__cluster_t *cl)
{
    char reason[128];
    /* Brokers that changed address or left. */
    for (kafc__broker_t *b = cl->brokers, *next; b; b = next) {
        next = b->next;
        if (b->bootstrap)
            continue;
        const kafc__md_broker_t *m = kafc__md_broker(&cl->md, b->id);
        if (!m) {
            snprintf(reason, sizeof(reason), "broker %d left the cluster", b->id);
            broker_remove(cl, b, reason);
        } else if (strcmp(m->host, b->host) != 0 || m->port != b->port) {
            snprintf(reason, sizeof(reason), "broker %d moved to %s:%d", b->id, m->host, m->port);
            broker_remove(cl, b, reason);
        }
    }
    /* New brokers: adopt a bootstrap connection to the same address, so the
     * connection that answered is kept rather than made again. */
    for (int i = 0; i < cl->md.nbrokers; i++) {
        const kafc__md_broker_t *m = &cl->md.brokers[i];
        if (kafc__cluster_broker(cl, m->id))
            continue;
        kafc__broker_t *adopt = NULL;
        for (kafc__broker_t *b = cl->brokers; b; b = b->next)
            if (b->bootstrap && b->port == m->port && strcmp(b->host, m->host) == 0)
                adopt = b;
        if (adopt) {
            adopt->bootstrap = 0;
            adopt->id = m->id;
            broker_name(adopt->nc.name, sizeof(adopt->nc.name), m->host, m->port, m->id, 0);
        } else if (!broker_add(cl, m->id, m->host, m->port, 0)) {
            kafc__log(cl->log, KAFC_LOG_ERR, "metadata", "out of memory adding broker %d", m->id);
        }
    }
    /* Bootstrap entries have done their job once real brokers are known. */
    if (cl->md.nbrokers > 0)
        for (kafc__broker_t *b = cl->brokers, *next; b; b = next) {
            next = b->next;
            if (b->bootstrap)
                broker_remove(cl, b, "bootstrap connection no longer needed");
        }
}

/* ---- waiters ------------------------------------------------------------ */

static void waiter_free(kafc__md_waiter_t *w)
{
    for (size_t i = 0; i < w->ntopics; i++)
        free(w->topics[i]);
    free(w->topics);
    free(w);
}

/* Unlinks the waiters for which match() is true; returns them as a list. */
static kafc__md_waiter_t *take_waiters(kafc__cluster_t *cl,
                                       int (*match)(kafc__cluster_t *, kafc__md_waiter_t *, void *),
                                       void *ctx)
{
    kafc__md_waiter_t **pp = &cl->waiters, *taken = NULL;
    while (*pp) {
        kafc__md_waiter_t *w = *pp;
        if (match(cl, w, ctx)) {
            *pp = w->next;
            w->next = taken;
            taken = w;
        } else {
            pp = &w->next;
        }
    }
    return taken;
}

/* Calls back and frees every waiter of list. */
static void finish_waiters(kafc__md_waiter_t *list, kafc_err_t err, const char *errstr,
                           const kafc__md_t *md)
{
    while (list) {
        kafc__md_waiter_t *next = list->next;
        list->cb(list->arg, err, errstr, md);
        waiter_free(list);
        list = next;
    }
}

/* Satisfied by a fresh answer: for all topics, or naming each of theirs. */
static int answered(kafc__cluster_t *cl, kafc__md_waiter_t *w, void *ctx)
{
    if (*(int *)ctx)
        return 1;
    if (!w->topics)
        return 0;
    for (size_t i = 0; i < w->ntopics; i++)
        if (!kafc__md_topic(&cl->md, w->topics[i]))
            return 0;
    return 1;
}

static int expired_or_all(kafc__cluster_t *cl, kafc__md_waiter_t *w, void *ctx)
{
    return !ctx || w->deadline_ms <= *(int64_t *)ctx;
}

static void complete_waiters(kafc__cluster_t *cl, int answered_all)
{
    finish_waiters(take_waiters(cl, answered, &answered_all), KAFC_ERR_NONE, NULL, &cl->md);
    arm_waiter_timer(cl);
}

/* Fails the waiters past their deadline (only_expired) or all of them. */
static void fail_waiters(kafc__cluster_t *cl, int only_expired, kafc_err_t err, const char *errstr)
{
    int64_t now = kafc__clock_ms();
    finish_waiters(take_waiters(cl, expired_or_all, only_expired ? &now : NULL), err, errstr, NULL);
}

static void on_waiter_timer(void *arg)
{
    kafc__cluster_t *cl = arg;
    char errstr[400];
    snprintf(errstr, sizeof(errstr), "metadata request timed out%s%s",
             cl->last_error[0] ? ": " : "", cl->last_error);
    fail_waiters(cl, 1, KAFC_ERR__TIMED_OUT, errstr);
    arm_waiter_timer(cl);
}

static void arm_waiter_timer(kafc__cluster_t *cl)
{
    int64_t due = INT64_MAX;
    for (kafc__md_waiter_t *w = cl->waiters; w; w = w->next)
        if (w->deadline_ms < due)
            due = w->deadline_ms;
    if (due == INT64_MAX)
        kafc__timer_stop(cl->sel, &cl->waiter_timer);
    else
        kafc__timer_start_at(cl->sel, &cl->waiter_timer, due, on_waiter_timer, cl);
}

/* ---- metadata requests -------------------------------------------------- */

typedef struct md_req {
    kafc__cluster_t *cl;
    char **topics; /* NULL: all */
    size_t ntopics;
} md_req_t;

static void md_req_free(md_req_t *r)
{
    for (size_t i = 0; i < r->ntopics; i++)
        free(r->topics[i]);
    free(r->topics);
    free(r);
}

static kafc_err_t md_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    md_req_t *r = req->arg;
    kafc__metadata_request_t m;
    kafc__metadata_request_topic_t *items = NULL;
    kafc__metadata_request_init(&m);
    m.allow_auto_topic_creation = r->cl->cfg.allow_auto_create;
    if (!r->topics) {
        m.topics.count = -1; /* v1+: null means every topic */
    } else {
        if (r->ntopics) {
            items = calloc(r->ntopics, sizeof(*items));
            if (!items)
                return KAFC_ERR__NO_MEMORY;
        }
        for (size_t i = 0; i < r->ntopics; i++) {
            kafc__metadata_request_topic_init(&items[i]);
            items[i].name = kafc__proto_str(r->topics[i]);
        }
        m.topics.items = items;
        m.topics.count = (int32_t)r->ntopics;
    }
    kafc_err_t err = kafc__metadata_request_encode(&m, version, w);
    free(items);
    return err;
}

static void schedule_refresh(kafc__cluster_t *cl);

static void md_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    md_req_t *r = req->arg;
    kafc__cluster_t *cl = r->cl;
    int answered_all = r->topics == NULL;
    md_req_free(r);
    cl->refresh_inflight = 0;
    if (cl->destroying)
        return;

    if (err == KAFC_ERR_NONE) {
        kafc__arena_t arena;
        kafc__metadata_response_t m;
        kafc__md_t fresh;
        kafc__arena_init(&arena);
        err = kafc__metadata_response_decode(&m, req->version, body, &arena);
        if (err == KAFC_ERR_NONE)
            err = kafc__md_from_response(&fresh, &m);
        kafc__arena_destroy(&arena);
        if (err == KAFC_ERR_NONE)
            err = kafc__md_merge(&cl->md, &fresh, answered_all);
        if (err != KAFC_ERR_NONE) {
            kafc__md_clear(&fresh);
            snprintf(req->errstr, sizeof(req->errstr), "could not use the Metadata response: %s",
                     kafc_err_str(err));
        }
    }
    if (err != KAFC_ERR_NONE) {
        snprintf(cl->last_error, sizeof(cl->last_error), "%s",
                 req->errstr[0] ? req->errstr : kafc_err_str(err));
        if (kafc__dbg_on(cl->log, KAFC__DBG_METADATA))
            kafc__log(cl->log, KAFC_LOG_DEBUG, "metadata", "metadata request failed: %s",
                      cl->last_error);
        if (cl->waiters)
            cl->refresh_queued = 1;
        schedule_refresh(cl);
        return;
    }
    cl->have_md = 1;
    cl->md_updated_ms = kafc__clock_ms();
    if (kafc__dbg_on(cl->log, KAFC__DBG_METADATA))
        kafc__log(cl->log, KAFC_LOG_DEBUG, "metadata", "metadata: %d brokers, %d topics",
                  cl->md.nbrokers, cl->md.ntopics);
    sync_brokers(cl);
    complete_waiters(cl, answered_all);
    if (cl->waiters)
        cl->refresh_queued = 1;
    schedule_refresh(cl);
}

/* The UP broker with the fewest requests in flight, or NULL. */
static kafc__broker_t *up_broker(kafc__cluster_t *cl)
{
    kafc__broker_t *best = NULL;
    for (kafc__broker_t *b = cl->brokers; b; b = b->next)
        if (b->nc.state == KAFC__NC_UP && (!best || b->nc.inflight < best->nc.inflight))
            best = b;
    return best;
}

kafc__broker_t *kafc__cluster_any_broker(kafc__cluster_t *cl)
{
    kafc__broker_t *b = up_broker(cl);
    if (!b)
        connect_candidate(cl);
    return b;
}

static void send_refresh(kafc__cluster_t *cl)
{
    kafc__broker_t *b = up_broker(cl);
    if (!b) {
        connect_candidate(cl);
        return; /* sent when a broker comes up (on_nc_state) */
    }
    md_req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->cl = cl;
    /* Ask for what the waiters want plus what is cached; all when anyone
     * wants all. */
    int all = 0;
    size_t cap = (size_t)cl->md.ntopics;
    for (kafc__md_waiter_t *w = cl->waiters; w; w = w->next) {
        if (!w->topics)
            all = 1;
        cap += w->ntopics;
    }
    if (!all) {
        r->topics = calloc(cap ? cap : 1, sizeof(char *));
        if (!r->topics) {
            free(r);
            return;
        }
        for (int i = 0; i < cl->md.ntopics; i++)
            r->topics[r->ntopics++] = strdup(cl->md.topics[i].name);
        for (kafc__md_waiter_t *w = cl->waiters; w; w = w->next)
            for (size_t i = 0; i < w->ntopics; i++) {
                size_t k;
                for (k = 0; k < r->ntopics; k++)
                    if (r->topics[k] && strcmp(r->topics[k], w->topics[i]) == 0)
                        break;
                if (k == r->ntopics)
                    r->topics[r->ntopics++] = strdup(w->topics[i]);
            }
        for (size_t k = 0; k < r->ntopics; k++)
            if (!r->topics[k]) {
                md_req_free(r);
                return;
            }
    }
    /* v1+: v0 cannot ask for "no topics" (an empty list means all). */
    kafc__request_t *req = kafc__request_new(KAFC__API_METADATA, 1, 12, md_encode, md_done, r);
    if (!req) {
        md_req_free(r);
        return;
    }
    cl->refresh_inflight = 1;
    cl->refresh_queued = 0;
    cl->last_refresh_ms = kafc__clock_ms();
    kafc__netclient_send(&b->nc, req);
}

static void on_refresh_timer(void *arg)
{
    kafc__cluster_t *cl = arg;
    if (cl->refresh_inflight) {
        cl->refresh_queued = 1;
        return;
    }
    send_refresh(cl);
}

/* Arms the refresh timer: soon (after the backoff) when a refresh is asked,
 * else at metadata.max.age.ms. */
static void schedule_refresh(kafc__cluster_t *cl)
{
    int64_t due = cl->refresh_queued ? cl->last_refresh_ms + cl->cfg.retry_backoff_ms
                                     : cl->last_refresh_ms + cl->cfg.metadata_max_age_ms;
    kafc__timer_start_at(cl->sel, &cl->refresh_timer, due, on_refresh_timer, cl);
}

void kafc__cluster_refresh(kafc__cluster_t *cl, const char *reason)
{
    if (cl->destroying)
        return;
    if (kafc__dbg_on(cl->log, KAFC__DBG_METADATA))
        kafc__log(cl->log, KAFC_LOG_DEBUG, "metadata", "refresh asked: %s", reason);
    cl->refresh_queued = 1;
    if (cl->refresh_inflight)
        return;
    if (kafc__clock_ms() - cl->last_refresh_ms >= cl->cfg.retry_backoff_ms) {
        kafc__timer_stop(cl->sel, &cl->refresh_timer);
        send_refresh(cl);
    } else {
        schedule_refresh(cl);
    }
}

/* No broker is up: make sure one connection attempt is under way. */
static void connect_candidate(kafc__cluster_t *cl)
{
    kafc__broker_t *best = NULL;
    for (kafc__broker_t *b = cl->brokers; b; b = b->next) {
        if (b->nc.state == KAFC__NC_CONNECTING || b->nc.state == KAFC__NC_APIVERSION)
            return; /* one is on its way */
        /* Learned brokers first, then bootstrap; the earliest allowed
         * reconnect wins; list order (shuffled) breaks ties. */
        if (!best || (best->bootstrap && !b->bootstrap) ||
            (best->bootstrap == b->bootstrap && b->nc.next_connect_ms < best->nc.next_connect_ms))
            best = b;
    }
    if (best)
        kafc__netclient_connect(&best->nc);
}

static void on_nc_state(void *owner, kafc__nc_state_t st, kafc_err_t err, const char *reason)
{
    kafc__broker_t *b = owner;
    kafc__cluster_t *cl = b->cl;
    if (cl->destroying)
        return;
    if (st == KAFC__NC_DOWN && reason)
        snprintf(cl->last_error, sizeof(cl->last_error), "%s: %s", b->nc.name, reason);
    if (st == KAFC__NC_UP && (cl->refresh_queued || !cl->have_md) && !cl->refresh_inflight) {
        kafc__timer_stop(cl->sel, &cl->refresh_timer);
        send_refresh(cl);
    } else if (st == KAFC__NC_DOWN) {
        if (err != KAFC_ERR__DESTROY && cl->have_md && !b->bootstrap)
            cl->refresh_queued = 1; /* a lost connection may mean moved leaders */
        if ((cl->refresh_queued || !cl->have_md) && !cl->refresh_inflight)
            connect_candidate(cl);
    }
}

kafc_err_t kafc__cluster_metadata_request(kafc__cluster_t *cl, const char *const *topics,
                                          size_t ntopics, int timeout_ms, kafc__md_waiter_cb_t *cb,
                                          void *arg)
{
    kafc__md_waiter_t *w = calloc(1, sizeof(*w));
    if (!w)
        return KAFC_ERR__NO_MEMORY;
    if (topics && ntopics) {
        w->topics = calloc(ntopics, sizeof(char *));
        if (!w->topics) {
            free(w);
            return KAFC_ERR__NO_MEMORY;
        }
        for (size_t i = 0; i < ntopics; i++) {
            w->topics[i] = strdup(topics[i]);
            w->ntopics++;
            if (!w->topics[i]) {
                waiter_free(w);
                return KAFC_ERR__NO_MEMORY;
            }
        }
    }
    w->deadline_ms = kafc__clock_ms() + (timeout_ms < 0 ? 3600000 : timeout_ms);
    w->cb = cb;
    w->arg = arg;
    w->next = cl->waiters;
    cl->waiters = w;
    arm_waiter_timer(cl);
    /* A waiter always gets a fresh answer, not the cache. */
    cl->refresh_queued = 1;
    if (!cl->refresh_inflight) {
        kafc__timer_stop(cl->sel, &cl->refresh_timer);
        send_refresh(cl);
    }
    return KAFC_ERR_NONE;
}

int kafc__err_is_stale_metadata(kafc_err_t err)
{
    switch (err) {
    case KAFC_ERR_NOT_LEADER_OR_FOLLOWER:
    case KAFC_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KAFC_ERR_LEADER_NOT_AVAILABLE:
    case KAFC_ERR_FENCED_LEADER_EPOCH:
    case KAFC_ERR_KAFKA_STORAGE_ERROR:
    case KAFC_ERR__TRANSPORT:
        return 1;
    default:
        return 0;
    }
}

int kafc__cluster_note_error(kafc__cluster_t *cl, kafc_err_t err, const char *topic)
{
    char reason[200];
    if (!kafc__err_is_stale_metadata(err))
        return 0;
    snprintf(reason, sizeof(reason), "%s%s%s", kafc_err_name(err), topic ? " for " : "",
             topic ? topic : "");
    kafc__cluster_refresh(cl, reason);
    return 1;
}

/* ---- lifecycle ---------------------------------------------------------- */

kafc_err_t kafc__cluster_init(kafc__cluster_t *cl, kafc__selector_t *sel, const kafc__logger_t *log,
                              const kafc__cluster_config_t *cfg, const char *bootstrap,
                              char *errstr, size_t errstr_size)
{
    memset(cl, 0, sizeof(*cl));
    cl->sel = sel;
    cl->log = log;
    cl->cfg = *cfg;
    cl->md.controller_id = -1;
    cl->next_bootstrap_id = -1;

    /* Parse every entry first, then add them in random order. */
    char hosts[64][256];
    int ports[64], n = 0;
    const char *p = bootstrap ? bootstrap : "";
    while (*p) {
        const char *end = p + strcspn(p, ",");
        size_t len = (size_t)(end - p);
        int blank = 1;
        for (size_t i = 0; i < len; i++)
            if (!isspace((unsigned char)p[i]))
                blank = 0;
        if (!blank) {
            if (n == 64) {
                snprintf(errstr, errstr_size, "\"bootstrap.servers\": more than 64 entries");
                return KAFC_ERR__INVALID_CONFIG_VALUE;
            }
            if (kafc__parse_hostport(p, len, hosts[n], sizeof(hosts[n]), &ports[n]) < 0) {
                snprintf(errstr, errstr_size,
                         "Invalid value for \"bootstrap.servers\": \"%.*s\" is not host:port",
                         (int)len, p);
                return KAFC_ERR__INVALID_CONFIG_VALUE;
            }
            n++;
        }
        p = *end ? end + 1 : end;
    }
    if (n == 0) {
        snprintf(errstr, errstr_size,
                 "\"bootstrap.servers\" is empty: set it to host:port[,host:port...]");
        return KAFC_ERR__INVALID_CONFIG_VALUE;
    }
    int order[64];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < n; i++) {
        if (!broker_add(cl, cl->next_bootstrap_id--, hosts[order[i]], ports[order[i]], 1)) {
            kafc__cluster_destroy(cl);
            snprintf(errstr, errstr_size, "out of memory");
            return KAFC_ERR__NO_MEMORY;
        }
    }
    return KAFC_ERR_NONE;
}

void kafc__cluster_start(kafc__cluster_t *cl)
{
    kafc__cluster_refresh(cl, "startup");
}

void kafc__cluster_destroy(kafc__cluster_t *cl)
{
    cl->destroying = 1;
    kafc__timer_stop(cl->sel, &cl->refresh_timer);
    kafc__timer_stop(cl->sel, &cl->waiter_timer);
    while (cl->brokers) {
        kafc__broker_t *b = cl->brokers;
        cl->brokers = b->next;
        broker_free(b);
    }
    fail_waiters(cl, 0, KAFC_ERR__DESTROY, "client is being destroyed");
    kafc__coord_destroy(cl);
    kafc__md_clear(&cl->md);
}
