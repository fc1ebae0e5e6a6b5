/*
 * group — consumer group membership with the classic protocol, on the I/O
 * thread: coordinator discovery, JoinGroup (with the MEMBER_ID_REQUIRED
 * retry), the leader's assignment (assignor.c), SyncGroup, heartbeats,
 * LeaveGroup, max.poll.interval.ms, and the rebalance events the
 * application serves in poll (eager: revoke everything before joining;
 * cooperative: revoke only what moves, then rejoin — KIP-429).
 * Offsets (commit, committed, auto-commit) live in offsets.c.
 *
 * I/O thread only, except the rebalance events' serve functions (the
 * application thread inside poll) and kafc__group_protocol (any thread).
 */
#include "consumer/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/coord.h"
#include "consumer/assignor.h"
#include "error.h"
#include "proto/proto.h"
#include "util/clock.h"

/* ---- coordinator ------------------------------------------------------------ */

static void coord_found(void *arg, kafc_err_t err, const char *errstr, kafc__broker_t *b)
{
    kafc__group_t *g = arg;
    if (err == KAFC_ERR__DESTROY)
        return;
    g->coord_lookup = 0;
    if (err == KAFC_ERR_NONE && b) {
        if (g->coord_id != b->id)
            kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp",
                      "group %s: coordinator is broker %d", g->c->group_id, b->id);
        g->coord_id = b->id;
    } else {
        kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp", "group %s: no coordinator yet: %s",
                  g->c->group_id, errstr && *errstr ? errstr : kafc_err_str(err));
        g->retry_at_ms = kafc__clock_ms() + g->c->retry_backoff_ms;
    }
    kafc__consumer_wake_io(g->c);
}

static void cnc_free(void *p)
{
    kafc__netclient_destroy(p);
    free(p);
}

/* Drops the coordinator connection: its requests complete with
 * KAFC_ERR__TRANSPORT now, the memory goes after the current dispatch (a
 * callback of it may be running). */
static void cnc_drop(kafc__group_t *g)
{
    kafc__netclient_t *nc = g->cnc;
    if (!nc)
        return;
    g->cnc = NULL;
    g->cnc_id = -1;
    kafc__netclient_close(nc, KAFC_ERR__TRANSPORT, "coordinator changed");
    if (kafc__selector_defer_free(&g->c->client->sel, nc, cnc_free) != KAFC_ERR_NONE)
        kafc__netclient_destroy(nc); /* leaks the struct rather than risk a use after free */
}

/* The group talks to its coordinator over a connection of its own, as
 * Java's consumer does: a broker answers one request per connection at a
 * time, so a JoinGroup held for a whole rebalance (or a heartbeat behind a
 * long Fetch poll) must not share the fetcher's connection. */
kafc__netclient_t *kafc__group_coordinator(kafc__group_t *g)
{
    kafc__cluster_t *cl = &g->c->client->cluster;
    kafc__broker_t *b = g->coord_id >= 0 ? kafc__cluster_broker(cl, g->coord_id) : NULL;
    if (!b) {
        g->coord_id = -1;
        if (!g->coord_lookup) {
            g->coord_lookup = 1;
            if (kafc__coord_find(cl, KAFC__COORD_GROUP, g->c->group_id,
                                 (int)g->c->request_timeout_ms, coord_found, g) != KAFC_ERR_NONE)
                g->coord_lookup = 0;
        }
        b = g->coord_id >= 0 ? kafc__cluster_broker(cl, g->coord_id) : NULL;
        if (!b)
            return NULL;
    }
    if (g->cnc && g->cnc_id == b->id)
        return g->cnc;
    cnc_drop(g);
    kafc__netclient_t *nc = calloc(1, sizeof(*nc));
    if (!nc)
        return NULL;
    char name[300];
    snprintf(name, sizeof(name), "%s:%d/coordinator-%d", b->host, b->port, b->id);
    kafc__netclient_init(nc, &g->c->client->sel, &g->c->client->log, name, b->host, b->port,
                         &cl->cfg.nc, NULL, g);
    g->cnc = nc;
    g->cnc_id = b->id;
    return nc;
}

void kafc__group_coord_dead(kafc__group_t *g, kafc_err_t err)
{
    if (g->coord_id >= 0)
        kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp", "group %s: coordinator %d lost: %s",
                  g->c->group_id, g->coord_id, kafc_err_name(err));
    kafc__coord_invalidate(&g->c->client->cluster, KAFC__COORD_GROUP, g->c->group_id);
    g->coord_id = -1;
    cnc_drop(g);
}

int kafc__group_err_coord(kafc_err_t err)
{
    return kafc__coord_err_is_stale(err) || err == KAFC_ERR__TRANSPORT ||
           err == KAFC_ERR__TIMED_OUT || err == KAFC_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* ---- string lists -------------------------------------------------------------- */

static void strs_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int strs_equal(char **a, int na, char **b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

/* The subscribed topics now: exact names plus metadata topics matching a
 * pattern (internal topics excluded), sorted, unique. -1 when out of
 * memory. Takes c->lock. */
static int subscribed_topics(kafc_consumer_t *c, char ***outp, int *np)
{
    const kafc__md_t *md = &c->client->cluster.md;
    kafc__mutex_lock(&c->lock);
    int cap = c->nsub + (c->nre ? md->ntopics : 0), n = 0;
    char **v = calloc((size_t)(cap ? cap : 1), sizeof(*v));
    int ok = v != NULL;
    for (int i = 0; ok && i < c->nsub; i++)
        ok = (v[n++] = strdup(c->sub_names[i])) != NULL;
    for (int t = 0; ok && c->nre && t < md->ntopics; t++) {
        if (md->topics[t].internal)
            continue;
        for (int r = 0; r < c->nre; r++)
            if (regexec(&c->sub_re[r], md->topics[t].name, 0, NULL, 0) == 0) {
                ok = (v[n++] = strdup(md->topics[t].name)) != NULL;
                break;
            }
    }
    kafc__mutex_unlock(&c->lock);
    if (!ok) {
        strs_free(v, n);
        return -1;
    }
    qsort(v, (size_t)n, sizeof(*v), cmp_str);
    int u = 0;
    for (int i = 0; i < n; i++) {
        if (u > 0 && strcmp(v[u - 1], v[i]) == 0)
            free(v[i]);
        else
            v[u++] = v[i];
    }
    *outp = v;
    *np = u;
    return 0;
}

/* ---- rebalance events (served by the application) ----------------------------------- */

typedef struct rb_ev {
    kafc__event_t ev;
    kafc_consumer_t *c;
    kafc_rebalance_event_t kind;
    kafc_topic_partition_list_t *list;
    int32_t gen;
} rb_ev_t;

typedef struct rb_done {
    kafc__op_t op;
    kafc_consumer_t *c;
    int32_t gen;
} rb_done_t;

static void rb_done_run(kafc_client_t *cl, kafc__op_t *op, int destroying)
{
    rb_done_t *d = (rb_done_t *)op;
    (void)cl;
    if (!destroying && d->c->grp) {
        kafc__group_t *g = d->c->grp;
        if (g->waiting_app > 0)
            g->waiting_app--;
    }
    free(d);
}

static void rb_serve(kafc_client_t *cl, kafc__event_t *ev)
{
    rb_ev_t *e = (rb_ev_t *)ev;
    kafc_consumer_t *c = e->c;
    (void)cl;
    kafc_rebalance_cb_t *cb = c->cbs->rebalance_cb;
    switch (e->kind) {
    case KAFC_REBALANCE_REVOKED:
        if (c->auto_commit)
            kafc__consumer_commit_positions(c, e->list);
        if (cb)
            cb(c, e->kind, e->list, c->cbs->opaque);
        kafc__mutex_lock(&c->lock);
        kafc__consumer_assign_remove(c, e->list);
        kafc__mutex_unlock(&c->lock);
        break;
    case KAFC_REBALANCE_LOST:
        if (cb)
            cb(c, e->kind, e->list, c->cbs->opaque);
        kafc__mutex_lock(&c->lock);
        kafc__consumer_assign_remove(c, e->list);
        kafc__mutex_unlock(&c->lock);
        break;
    case KAFC_REBALANCE_ASSIGNED:
        kafc__mutex_lock(&c->lock);
        kafc__consumer_assign_add(c, e->list);
        kafc__mutex_unlock(&c->lock);
        if (cb)
            cb(c, e->kind, e->list, c->cbs->opaque);
        break;
    }
    rb_done_t *d = calloc(1, sizeof(*d));
    if (d) {
        d->op.run = rb_done_run;
        d->c = c;
        d->gen = e->gen;
        kafc__client_submit(c->client, &d->op);
    }
    kafc_topic_partition_list_destroy(e->list);
    free(e);
}

static void rb_drop(kafc_client_t *cl, kafc__event_t *ev)
{
    rb_ev_t *e = (rb_ev_t *)ev;
    (void)cl;
    kafc_topic_partition_list_destroy(e->list);
    free(e);
}

/* Hands a rebalance step to the application (list taken). Without lock. */
static void push_rebalance(kafc__group_t *g, kafc_rebalance_event_t kind,
                           kafc_topic_partition_list_t *list)
{
    rb_ev_t *e = calloc(1, sizeof(*e));
    if (!e) {
        kafc_topic_partition_list_destroy(list);
        return;
    }
    e->ev.serve = rb_serve;
    e->ev.drop = rb_drop;
    e->ev.count = 1;
    e->c = g->c;
    e->kind = kind;
    e->list = list;
    e->gen = g->generation;
    g->waiting_app++;
    kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp",
              "group %s: %s %d partitions (generation %d)", g->c->group_id,
              kind == KAFC_REBALANCE_ASSIGNED  ? "assigning"
              : kind == KAFC_REBALANCE_REVOKED ? "revoking"
                                               : "losing",
              list ? list->cnt : 0, g->generation);
    kafc__client_push_event(g->c->client, &e->ev);
}

/* ---- membership helpers -------------------------------------------------------------- */

static void set_member_id(kafc__group_t *g, const char *id, int32_t len)
{
    free(g->member_id);
    g->member_id = len >= 0 ? strndup(id ? id : "", (size_t)len) : strdup("");
    if (!g->member_id)
        g->member_id = strdup("");
}

static void rejoin(kafc__group_t *g, const char *why)
{
    if (g->state == KAFC__G_STABLE || g->state == KAFC__G_INIT)
        kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp", "group %s: rejoining: %s",
                  g->c->group_id, why);
    if (g->state != KAFC__G_LEFT)
        g->state = KAFC__G_NEED_JOIN;
}

/* The owned partitions are gone without a chance to commit (session lost,
 * fenced generation): tell the application, start over as a new member. */
static void lose_all(kafc__group_t *g, const char *why)
{
    kafc__log(&g->c->client->log, KAFC_LOG_WARNING, "cgrp", "group %s: partitions lost: %s",
              g->c->group_id, why);
    if (g->owned && g->owned->cnt > 0)
        push_rebalance(g, KAFC_REBALANCE_LOST, g->owned);
    else
        kafc_topic_partition_list_destroy(g->owned);
    g->owned = NULL;
    g->generation = -1;
    if (!g->instance_id)
        set_member_id(g, "", 0);
    rejoin(g, why);
}

static int owned_has(const kafc_topic_partition_list_t *l, const char *topic, int32_t part)
{
    return kafc_topic_partition_list_find(l, topic, part) != NULL;
}

/* Elements of a not in b (a new list). */
static kafc_topic_partition_list_t *list_minus(const kafc_topic_partition_list_t *a,
                                               const kafc_topic_partition_list_t *b)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
    for (int i = 0; l && a && i < a->cnt; i++)
        if (!owned_has(b, a->elems[i].topic, a->elems[i].partition))
            kafc_topic_partition_list_add(l, a->elems[i].topic, a->elems[i].partition);
    return l;
}

/* ---- JoinGroup ---------------------------------------------------------------------- */

/* The Subscription bytes for assignor a: int16 version + the struct. */
static kafc_err_t encode_subscription(kafc__group_t *g, kafc__assignor_type_t a, kafc__wbuf_t *w)
{
    int16_t version =
        (a == KAFC__ASSIGNOR_STICKY || a == KAFC__ASSIGNOR_COOPERATIVE_STICKY) ? 1 : 0;
    kafc__consumer_protocol_subscription_t s;
    kafc__consumer_protocol_subscription_init(&s);
    kafc__slice_t *names = calloc((size_t)(g->ntopics ? g->ntopics : 1), sizeof(*names));
    int nowned = g->owned ? g->owned->cnt : 0;
    kafc__consumer_protocol_subscription_topic_partition_t *tps =
        calloc((size_t)(nowned ? nowned : 1), sizeof(*tps));
    int32_t *pids = calloc((size_t)(nowned ? nowned : 1), sizeof(*pids));
    if (!names || !tps || !pids) {
        free(names);
        free(tps);
        free(pids);
        return KAFC_ERR__NO_MEMORY;
    }
    for (int i = 0; i < g->ntopics; i++)
        names[i] = kafc__proto_str(g->topics[i]);
    s.topics.items = names;
    s.topics.count = g->ntopics;
    s.user_data = (kafc__slice_t){NULL, -1};
    /* Owned partitions grouped by topic (owned is sorted). */
    int nt = 0;
    for (int i = 0; i < nowned; i++) {
        const kafc_topic_partition_t *e = &g->owned->elems[i];
        if (nt == 0 || strcmp((const char *)tps[nt - 1].topic.ptr, e->topic) != 0) {
            kafc__consumer_protocol_subscription_topic_partition_init(&tps[nt]);
            tps[nt].topic = kafc__proto_str(e->topic);
            tps[nt].partitions.items = &pids[i];
            tps[nt].partitions.count = 0;
            nt++;
        }
        pids[i] = e->partition;
        tps[nt - 1].partitions.count++;
    }
    s.owned_partitions.items = tps;
    s.owned_partitions.count = nt;
    s.generation_id = g->generation;
    kafc__wbuf_put_i16(w, version);
    kafc_err_t err = kafc__consumer_protocol_subscription_encode(&s, version, w);
    free(names);
    free(tps);
    free(pids);
    return err;
}

static kafc_err_t join_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__group_t *g = req->arg;
    kafc__join_group_request_t m;
    kafc__join_group_request_init(&m);
    m.group_id = kafc__proto_str(g->c->group_id);
    m.session_timeout_ms = (int32_t)g->session_timeout_ms;
    m.rebalance_timeout_ms = (int32_t)g->max_poll_interval_ms;
    m.member_id = kafc__proto_str(g->member_id);
    m.group_instance_id =
        g->instance_id ? kafc__proto_str(g->instance_id) : (kafc__slice_t){NULL, -1};
    m.protocol_type = kafc__proto_str("consumer");
    kafc__join_group_request_protocol_t protos[4];
    kafc__wbuf_t meta[4];
    int n = 0;
    kafc_err_t err = KAFC_ERR_NONE;
    for (int i = 0; i < g->nassignors && !err; i++) {
        kafc__wbuf_init(&meta[n], 64);
        err = encode_subscription(g, g->assignors[i], &meta[n]);
        kafc__join_group_request_protocol_init(&protos[n]);
        protos[n].name = kafc__proto_str(kafc__assignor_name(g->assignors[i]));
        protos[n].metadata = (kafc__slice_t){meta[n].data, (int32_t)meta[n].len};
        n++;
    }
    m.protocols.items = protos;
    m.protocols.count = n;
    if (!err)
        err = kafc__join_group_request_encode(&m, version, w);
    for (int i = 0; i < n; i++)
        kafc__wbuf_free(&meta[i]);
    return err;
}

static void leader_assign(kafc__group_t *g, const kafc__join_group_response_t *m);
static void send_sync(kafc__group_t *g);

static kafc__assignor_type_t assignor_by_name(kafc__group_t *g, kafc__slice_t name)
{
    for (int i = 0; i < g->nassignors; i++) {
        const char *n = kafc__assignor_name(g->assignors[i]);
        if ((int32_t)strlen(n) == name.len && memcmp(n, name.ptr, (size_t)name.len) == 0)
            return g->assignors[i];
    }
    return 0;
}

static void join_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__group_t *g = req->arg;
    if (err == KAFC_ERR__DESTROY)
        return;
    g->inflight_join = 0;
    if (g->state != KAFC__G_JOINING)
        return;
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__join_group_response_t m;
    if (err == KAFC_ERR_NONE)
        err = kafc__join_group_response_decode(&m, req->version, body, &a);
    if (err == KAFC_ERR_NONE)
        err = m.error_code;
    switch (err) {
    case KAFC_ERR_NONE:
        break;
    case KAFC_ERR_MEMBER_ID_REQUIRED:
        set_member_id(g, (const char *)m.member_id.ptr, m.member_id.len);
        g->state = KAFC__G_NEED_JOIN;
        kafc__arena_destroy(&a);
        kafc__consumer_wake_io(g->c);
        return;
    case KAFC_ERR_UNKNOWN_MEMBER_ID:
        set_member_id(g, "", 0);
        g->state = KAFC__G_NEED_JOIN;
        kafc__arena_destroy(&a);
        kafc__consumer_wake_io(g->c);
        return;
    case KAFC_ERR_FENCED_INSTANCE_ID:
        kafc__arena_destroy(&a);
        g->state = KAFC__G_LEFT;
        kafc__mutex_lock(&g->c->lock);
        kafc__consumer_event(g->c, g->c->errpart, err, -1,
                             "group %s: group.instance.id %s is used by another member: "
                             "this consumer is fenced",
                             g->c->group_id, g->instance_id ? g->instance_id : "");
        kafc__mutex_unlock(&g->c->lock);
        return;
    default:
        kafc__arena_destroy(&a);
        if (kafc__group_err_coord(err))
            kafc__group_coord_dead(g, err);
        else if (err != KAFC_ERR_REBALANCE_IN_PROGRESS && !kafc__err_retriable(err)) {
            kafc__log(&g->c->client->log, KAFC_LOG_ERR, "cgrp",
                      "group %s: JoinGroup failed: %s%s%s", g->c->group_id, kafc_err_name(err),
                      req->errstr[0] ? ": " : "", req->errstr);
            kafc__mutex_lock(&g->c->lock);
            kafc__consumer_event(g->c, g->c->errpart, err, -1, "group %s: JoinGroup failed: %s",
                                 g->c->group_id, kafc_err_str(err));
            kafc__mutex_unlock(&g->c->lock);
        }
        g->state = KAFC__G_NEED_JOIN;
        g->retry_at_ms = kafc__clock_ms() + g->c->retry_backoff_ms;
        return;
    }
    set_member_id(g, (const char *)m.member_id.ptr, m.member_id.len);
    g->generation = m.generation_id;
    g->protocol = assignor_by_name(g, m.protocol_name);
    atomic_store(&g->proto_kind, kafc__assignor_is_cooperative(g->protocol) ? 2 : 1);
    int leader = m.leader.len == (int32_t)strlen(g->member_id) &&
                 memcmp(m.leader.ptr, g->member_id, (size_t)m.leader.len) == 0;
    kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp",
              "group %s: joined generation %d as %s%s (protocol %s, %d members)", g->c->group_id,
              g->generation, g->member_id, leader ? ", the leader" : "",
              g->protocol ? kafc__assignor_name(g->protocol) : "?", m.members.count);
    g->state = KAFC__G_SYNCING;
    if (leader)
        leader_assign(g, &m);
    else
        send_sync(g);
    kafc__arena_destroy(&a);
}

static void send_join(kafc__group_t *g, kafc__netclient_t *coord)
{
    kafc__request_t *req = kafc__request_new(KAFC__API_JOIN_GROUP, 0, 7, join_encode, join_done, g);
    if (!req)
        return;
    /* The broker holds the answer for up to the rebalance timeout. */
    req->timeout_ms = g->max_poll_interval_ms + 5000;
    g->state = KAFC__G_JOINING;
    g->inflight_join = 1;
    kafc__netclient_send(coord, req);
}

/* ---- the leader's assignment ----------------------------------------------------------- */

typedef struct lmember {
    char *member_id;
    char *instance_id;
    char **topics;
    int ntopics;
    kafc__asg_tp_t *owned;
    int nowned;
    char **owned_topics; /* owned[i].topic strings */
    int32_t generation;
} lmember_t;

static void lmembers_free(kafc__group_t *g)
{
    for (int i = 0; i < g->nlm; i++) {
        lmember_t *lm = &g->lm[i];
        free(lm->member_id);
        free(lm->instance_id);
        strs_free(lm->topics, lm->ntopics);
        strs_free(lm->owned_topics, lm->nowned);
        free(lm->owned);
    }
    free(g->lm);
    g->lm = NULL;
    g->nlm = 0;
    for (int i = 0; i < g->nassign; i++)
        kafc__wbuf_free(&g->assign_bytes[i]);
    free(g->assign_bytes);
    g->assign_bytes = NULL;
    g->nassign = 0;
}

static char *slice_dup(kafc__slice_t s)
{
    return s.len < 0 ? NULL : strndup(s.ptr ? (const char *)s.ptr : "", (size_t)s.len);
}

static int decode_member(lmember_t *lm, const kafc__join_group_response_member_t *jm)
{
    lm->member_id = slice_dup(jm->member_id);
    lm->instance_id = slice_dup(jm->group_instance_id);
    lm->generation = -1;
    if (!lm->member_id)
        return -1;
    kafc__rbuf_t r;
    kafc__rbuf_init(&r, jm->metadata.ptr, jm->metadata.len > 0 ? (size_t)jm->metadata.len : 0);
    int16_t v = kafc__rbuf_get_i16(&r);
    if (kafc__rbuf_err(&r) != KAFC_ERR_NONE || v < 0)
        return 0; /* no usable subscription: the member gets nothing */
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__consumer_protocol_subscription_t s;
    if (kafc__consumer_protocol_subscription_decode(&s, v > 3 ? 3 : v, &r, &a) != KAFC_ERR_NONE) {
        kafc__arena_destroy(&a);
        return 0;
    }
    int ok = 1;
    if (s.topics.count > 0 && (lm->topics = calloc((size_t)s.topics.count, sizeof(char *))))
        for (int i = 0; ok && i < s.topics.count; i++)
            ok = (lm->topics[lm->ntopics++] = slice_dup(s.topics.items[i])) != NULL;
    int nown = 0;
    for (int i = 0; i < s.owned_partitions.count; i++)
        nown += s.owned_partitions.items[i].partitions.count > 0
                    ? s.owned_partitions.items[i].partitions.count
                    : 0;
    if (ok && nown > 0) {
        lm->owned = calloc((size_t)nown, sizeof(*lm->owned));
        lm->owned_topics = calloc((size_t)nown, sizeof(char *));
        ok = lm->owned && lm->owned_topics;
        for (int i = 0; ok && i < s.owned_partitions.count; i++) {
            const kafc__consumer_protocol_subscription_topic_partition_t *tp =
                &s.owned_partitions.items[i];
            for (int j = 0; ok && j < tp->partitions.count; j++) {
                char *t = slice_dup(tp->topic);
                ok = t != NULL;
                lm->owned_topics[lm->nowned] = t;
                lm->owned[lm->nowned].topic = t;
                lm->owned[lm->nowned].partition = tp->partitions.items[j];
                lm->nowned += ok;
            }
        }
    }
    lm->generation = v >= 2 ? s.generation_id : -1;
    kafc__arena_destroy(&a);
    return ok ? 0 : -1;
}

static void leader_md_ready(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md);
static void arm(kafc__group_t *g, int64_t due);

/* How long the leader holds its SyncGroup back (see leader_md_ready). */
#define KAFC__LEADER_SYNC_DELAY_MS 50

static void leader_assign(kafc__group_t *g, const kafc__join_group_response_t *m)
{
    lmembers_free(g);
    int n = m->members.count > 0 ? m->members.count : 0;
    g->lm = calloc((size_t)(n ? n : 1), sizeof(*g->lm));
    if (!g->lm) {
        g->state = KAFC__G_NEED_JOIN;
        return;
    }
    g->nlm = n;
    for (int i = 0; i < n; i++)
        if (decode_member(&g->lm[i], &m->members.items[i]) != 0) {
            lmembers_free(g);
            g->state = KAFC__G_NEED_JOIN;
            return;
        }
    /* Metadata for every topic any member wants. */
    int cap = 0;
    for (int i = 0; i < n; i++)
        cap += g->lm[i].ntopics;
    const char **names = calloc((size_t)(cap ? cap : 1), sizeof(*names));
    int nn = 0;
    for (int i = 0; names && i < n; i++)
        for (int j = 0; j < g->lm[i].ntopics; j++)
            names[nn++] = g->lm[i].topics[j];
    g->leader_gen = g->generation;
    if (!names || kafc__cluster_metadata_request(&g->c->client->cluster, names, (size_t)nn,
                                                 (int)g->c->request_timeout_ms, leader_md_ready,
                                                 g) != KAFC_ERR_NONE) {
        g->state = KAFC__G_NEED_JOIN;
        lmembers_free(g);
    }
    free(names);
}

static kafc_err_t encode_assignment(const kafc__asg_assignment_t *as, kafc__wbuf_t *w)
{
    kafc__consumer_protocol_assignment_t m;
    kafc__consumer_protocol_assignment_init(&m);
    kafc__consumer_protocol_assignment_topic_partition_t *tps =
        calloc((size_t)(as->cnt ? as->cnt : 1), sizeof(*tps));
    int32_t *pids = calloc((size_t)(as->cnt ? as->cnt : 1), sizeof(*pids));
    if (!tps || !pids) {
        free(tps);
        free(pids);
        return KAFC_ERR__NO_MEMORY;
    }
    int nt = 0;
    for (int i = 0; i < as->cnt; i++) { /* sorted by topic, then partition */
        if (nt == 0 || strcmp((const char *)tps[nt - 1].topic.ptr, as->tps[i].topic) != 0) {
            kafc__consumer_protocol_assignment_topic_partition_init(&tps[nt]);
            tps[nt].topic = kafc__proto_str(as->tps[i].topic);
            tps[nt].partitions.items = &pids[i];
            tps[nt].partitions.count = 0;
            nt++;
        }
        pids[i] = as->tps[i].partition;
        tps[nt - 1].partitions.count++;
    }
    m.assigned_partitions.items = tps;
    m.assigned_partitions.count = nt;
    m.user_data = (kafc__slice_t){NULL, -1};
    kafc__wbuf_put_i16(w, 0);
    kafc_err_t err = kafc__consumer_protocol_assignment_encode(&m, 0, w);
    free(tps);
    free(pids);
    return err;
}

static void leader_md_ready(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    kafc__group_t *g = arg;
    (void)errstr;
    if (err == KAFC_ERR__DESTROY)
        return;
    if (g->state != KAFC__G_SYNCING || g->leader_gen != g->generation) {
        lmembers_free(g);
        return;
    }
    md = &g->c->client->cluster.md; /* on error, what the cache has */
    kafc__asg_member_t *mem = calloc((size_t)(g->nlm ? g->nlm : 1), sizeof(*mem));
    int cap = 0;
    for (int i = 0; i < g->nlm; i++)
        cap += g->lm[i].ntopics;
    kafc__asg_topic_t *tops = calloc((size_t)(cap ? cap : 1), sizeof(*tops));
    int nt = 0;
    kafc__asg_assignment_t *res = NULL;
    if (mem && tops) {
        for (int i = 0; i < g->nlm; i++) {
            lmember_t *lm = &g->lm[i];
            mem[i].member_id = lm->member_id;
            mem[i].instance_id = lm->instance_id;
            mem[i].topics = (const char *const *)lm->topics;
            mem[i].ntopics = lm->ntopics;
            mem[i].owned = lm->owned;
            mem[i].nowned = lm->nowned;
            mem[i].generation = lm->generation;
            for (int j = 0; j < lm->ntopics; j++) {
                const kafc__md_topic_t *t = kafc__md_topic(md, lm->topics[j]);
                int dup = 0;
                for (int k = 0; k < nt && !dup; k++)
                    dup = strcmp(tops[k].topic, lm->topics[j]) == 0;
                if (t && !t->err && t->npartitions > 0 && !dup) {
                    tops[nt].topic = lm->topics[j];
                    tops[nt].partition_cnt = t->npartitions;
                    nt++;
                }
            }
        }
        err = kafc__assignor_assign(g->protocol, mem, g->nlm, tops, nt, &res);
    } else {
        err = KAFC_ERR__NO_MEMORY;
    }
    if (err == KAFC_ERR_NONE) {
        g->assign_bytes = calloc((size_t)(g->nlm ? g->nlm : 1), sizeof(*g->assign_bytes));
        if (!g->assign_bytes)
            err = KAFC_ERR__NO_MEMORY;
        for (int i = 0; !err && i < g->nlm; i++) {
            kafc__wbuf_init(&g->assign_bytes[i], 64);
            g->nassign++;
            err = encode_assignment(&res[i], &g->assign_bytes[i]);
        }
    }
    kafc__assignor_result_free(res, g->nlm);
    free(mem);
    free(tops);
    if (err != KAFC_ERR_NONE) {
        kafc__log(&g->c->client->log, KAFC_LOG_ERR, "cgrp", "group %s: assignment failed: %s",
                  g->c->group_id, kafc_err_str(err));
        lmembers_free(g);
        g->state = KAFC__G_NEED_JOIN;
        return;
    }
    if (g->nlm > 1) {
        /* The followers sent SyncGroup as soon as they joined; the leader
         * waits a moment so that theirs arrive first. A broker must take
         * them in any order, but some (librdkafka's mock cluster) answer a
         * follower whose SyncGroup comes after the leader's with
         * INVALID_REQUEST, and the group would rebalance forever. */
        g->sync_at_ms = kafc__clock_ms() + KAFC__LEADER_SYNC_DELAY_MS;
        g->sync_gen = g->generation;
        arm(g, g->sync_at_ms);
        return;
    }
    send_sync(g);
}

/* ---- SyncGroup ---------------------------------------------------------------------- */

static kafc_err_t sync_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__group_t *g = req->arg;
    kafc__sync_group_request_t m;
    kafc__sync_group_request_init(&m);
    m.group_id = kafc__proto_str(g->c->group_id);
    m.generation_id = g->generation;
    m.member_id = kafc__proto_str(g->member_id);
    m.group_instance_id =
        g->instance_id ? kafc__proto_str(g->instance_id) : (kafc__slice_t){NULL, -1};
    m.protocol_type = kafc__proto_str("consumer");
    m.protocol_name = kafc__proto_str(g->protocol ? kafc__assignor_name(g->protocol) : "");
    kafc__sync_group_request_assignment_t *as =
        calloc((size_t)(g->nassign ? g->nassign : 1), sizeof(*as));
    if (!as)
        return KAFC_ERR__NO_MEMORY;
    for (int i = 0; i < g->nassign; i++) {
        kafc__sync_group_request_assignment_init(&as[i]);
        as[i].member_id = kafc__proto_str(g->lm[i].member_id);
        as[i].assignment =
            (kafc__slice_t){g->assign_bytes[i].data, (int32_t)g->assign_bytes[i].len};
    }
    m.assignments.items = as;
    m.assignments.count = g->nassign;
    kafc_err_t err = kafc__sync_group_request_encode(&m, version, w);
    free(as);
    return err;
}

/* Decodes an Assignment into a sorted list (NULL when malformed/OOM). */
static kafc_topic_partition_list_t *decode_assignment(kafc__slice_t bytes)
{
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(0);
    if (!l || bytes.len <= 0)
        return l;
    kafc__rbuf_t r;
    kafc__rbuf_init(&r, bytes.ptr, (size_t)bytes.len);
    int16_t v = kafc__rbuf_get_i16(&r);
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__consumer_protocol_assignment_t m;
    if (kafc__rbuf_err(&r) || v < 0 ||
        kafc__consumer_protocol_assignment_decode(&m, v > 3 ? 3 : v, &r, &a) != KAFC_ERR_NONE) {
        kafc__arena_destroy(&a);
        kafc_topic_partition_list_destroy(l);
        return NULL;
    }
    for (int i = 0; i < m.assigned_partitions.count; i++) {
        const kafc__consumer_protocol_assignment_topic_partition_t *tp =
            &m.assigned_partitions.items[i];
        char *t = slice_dup(tp->topic);
        for (int j = 0; t && j < tp->partitions.count; j++)
            kafc_topic_partition_list_add(l, t, tp->partitions.items[j]);
        free(t);
    }
    kafc__arena_destroy(&a);
    kafc_topic_partition_list_sort(l);
    return l;
}

static void sync_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__group_t *g = req->arg;
    if (err == KAFC_ERR__DESTROY)
        return;
    g->inflight_sync = 0;
    lmembers_free(g);
    if (g->state != KAFC__G_SYNCING)
        return;
    kafc__arena_t a;
    kafc__arena_init(&a);
    kafc__sync_group_response_t m;
    if (err == KAFC_ERR_NONE) {
        size_t start = body->pos;
        err = kafc__sync_group_response_decode(&m, req->version, body, &a);
        /* Some brokers answer an error with a null assignment, which the
         * schema does not allow: the error code before it still counts. */
        size_t at = start + (req->version >= 1 ? 4 : 0);
        if (err != KAFC_ERR_NONE && body->len >= at + 2) {
            int16_t ec = (int16_t)((uint16_t)body->data[at] << 8 | body->data[at + 1]);
            if (ec != 0)
                err = ec;
        }
    }
    if (err == KAFC_ERR_NONE)
        err = m.error_code;
    kafc_topic_partition_list_t *now = NULL;
    if (err == KAFC_ERR_NONE && !(now = decode_assignment(m.assignment)))
        err = KAFC_ERR__BAD_MSG;
    kafc__arena_destroy(&a);
    if (err != KAFC_ERR_NONE) {
        kafc__log(&g->c->client->log, KAFC_LOG_DEBUG, "cgrp", "group %s: SyncGroup failed: %s",
                  g->c->group_id, kafc_err_name(err));
        if (err == KAFC_ERR_UNKNOWN_MEMBER_ID || err == KAFC_ERR_ILLEGAL_GENERATION)
            lose_all(g, kafc_err_str(err));
        else if (kafc__group_err_coord(err))
            kafc__group_coord_dead(g, err);
        g->state = KAFC__G_NEED_JOIN;
        if (err != KAFC_ERR_REBALANCE_IN_PROGRESS)
            g->retry_at_ms = kafc__clock_ms() + g->c->retry_backoff_ms;
        return;
    }
    int64_t t = kafc__clock_ms();
    g->state = KAFC__G_STABLE;
    g->last_hb_ok_ms = t;
    g->next_hb_ms = t + g->heartbeat_interval_ms;
    kafc__log(&g->c->client->log, KAFC_LOG_INFO, "cgrp",
              "group %s: generation %d: %d partitions assigned", g->c->group_id, g->generation,
              now->cnt);
    if (kafc__assignor_is_cooperative(g->protocol)) {
        kafc_topic_partition_list_t *revoked = list_minus(g->owned, now);
        kafc_topic_partition_list_t *added = list_minus(now, g->owned);
        if (revoked && revoked->cnt > 0) {
            push_rebalance(g, KAFC_REBALANCE_REVOKED, revoked);
            /* KIP-429: the partitions given up go to others in a follow-up
             * rebalance. */
            g->rejoin_after_app = 1;
        } else {
            kafc_topic_partition_list_destroy(revoked);
        }
        push_rebalance(g, KAFC_REBALANCE_ASSIGNED, added);
    } else {
        push_rebalance(g, KAFC_REBALANCE_ASSIGNED, kafc_topic_partition_list_copy(now));
    }
    kafc_topic_partition_list_destroy(g->owned);
    g->owned = now;
}

static void send_sync(kafc__group_t *g)
{
    kafc__netclient_t *coord = kafc__group_coordinator(g);
    kafc__request_t *req =
        coord ? kafc__request_new(KAFC__API_SYNC_GROUP, 0, 5, sync_encode, sync_done, g) : NULL;
    if (!req) {
        lmembers_free(g);
        g->state = KAFC__G_NEED_JOIN;
        return;
    }
    g->inflight_sync = 1;
    kafc__netclient_send(coord, req);
}

/* ---- Heartbeat --------------------------------------------------------------------- */

static kafc_err_t hb_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__group_t *g = req->arg;
    kafc__heartbeat_request_t m;
    kafc__heartbeat_request_init(&m);
    m.group_id = kafc__proto_str(g->c->group_id);
    m.generation_id = g->generation;
    m.member_id = kafc__proto_str(g->member_id);
    m.group_instance_id =
        g->instance_id ? kafc__proto_str(g->instance_id) : (kafc__slice_t){NULL, -1};
    return kafc__heartbeat_request_encode(&m, version, w);
}

static void hb_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__group_t *g = req->arg;
    if (err == KAFC_ERR__DESTROY)
        return;
    g->inflight_hb = 0;
    if (err == KAFC_ERR_NONE) {
        kafc__arena_t a;
        kafc__arena_init(&a);
        kafc__heartbeat_response_t m;
        err = kafc__heartbeat_response_decode(&m, req->version, body, &a);
        if (err == KAFC_ERR_NONE)
            err = m.error_code;
        kafc__arena_destroy(&a);
    }
    if (g->state != KAFC__G_STABLE)
        return;
    int64_t t = kafc__clock_ms();
    switch (err) {
    case KAFC_ERR_NONE:
        g->last_hb_ok_ms = t;
        return;
    case KAFC_ERR_REBALANCE_IN_PROGRESS:
        g->last_hb_ok_ms = t;
        rejoin(g, "the group is rebalancing");
        return;
    case KAFC_ERR_UNKNOWN_MEMBER_ID:
    case KAFC_ERR_ILLEGAL_GENERATION:
    case KAFC_ERR_FENCED_INSTANCE_ID:
        lose_all(g, kafc_err_str(err));
        return;
    default:
        if (kafc__group_err_coord(err))
            kafc__group_coord_dead(g, err);
        g->next_hb_ms = t + g->c->retry_backoff_ms;
        return;
    }
}

static void send_heartbeat(kafc__group_t *g, kafc__netclient_t *coord)
{
    kafc__request_t *req = kafc__request_new(KAFC__API_HEARTBEAT, 0, 4, hb_encode, hb_done, g);
    if (!req)
        return;
    g->inflight_hb = 1;
    g->next_hb_ms = kafc__clock_ms() + g->heartbeat_interval_ms;
    kafc__netclient_send(coord, req);
}

/* ---- LeaveGroup ------------------------------------------------------------------------ */

typedef struct leave_req {
    kafc__group_t *g; /* gone once destroying */
    kafc_consumer_t *c;
    char *member_id;
    kafc__commit_done_t *done;
    void *arg;
} leave_req_t;

static kafc_err_t leave_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    leave_req_t *lr = req->arg;
    kafc__leave_group_request_t m;
    kafc__leave_group_request_init(&m);
    kafc__leave_group_request_member_identity_t id;
    kafc__leave_group_request_member_identity_init(&id);
    m.group_id = kafc__proto_str(lr->c->group_id);
    m.member_id = kafc__proto_str(lr->member_id);
    id.member_id = kafc__proto_str(lr->member_id);
    id.group_instance_id = (kafc__slice_t){NULL, -1};
    m.members.items = &id;
    m.members.count = 1;
    return kafc__leave_group_request_encode(&m, version, w);
}

static void leave_finish(leave_req_t *lr, kafc_err_t err)
{
    if (lr->done)
        lr->done(lr->c, lr->arg, err, NULL);
    free(lr->member_id);
    free(lr);
}

static void leave_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    leave_req_t *lr = req->arg;
    if (err == KAFC_ERR__DESTROY) {
        leave_finish(lr, err);
        return;
    }
    if (err == KAFC_ERR_NONE) {
        kafc__arena_t a;
        kafc__arena_init(&a);
        kafc__leave_group_response_t m;
        err = kafc__leave_group_response_decode(&m, req->version, body, &a);
        if (err == KAFC_ERR_NONE)
            err = m.error_code;
        kafc__arena_destroy(&a);
    }
    kafc__log(&lr->c->client->log, KAFC_LOG_DEBUG, "cgrp", "group %s: left (%s)", lr->c->group_id,
              kafc_err_name(err));
    leave_finish(lr, KAFC_ERR_NONE);
}

/* Sends LeaveGroup for the current member (static members stay: the group
 * keeps their partitions for session.timeout.ms) and forgets membership. */
static void leave_now(kafc__group_t *g, int64_t deadline, kafc__commit_done_t *done, void *arg)
{
    kafc__netclient_t *coord = g->cnc;
    int member = g->member_id[0] && g->generation >= 0 && !g->instance_id;
    leave_req_t *lr = calloc(1, sizeof(*lr));
    kafc__request_t *req = NULL;
    if (lr && member && coord && (lr->member_id = strdup(g->member_id))) {
        lr->g = g;
        lr->c = g->c;
        lr->done = done;
        lr->arg = arg;
        req = kafc__request_new(KAFC__API_LEAVE_GROUP, 0, 4, leave_encode, leave_done, lr);
    }
    g->generation = -1;
    if (!g->instance_id)
        set_member_id(g, "", 0);
    kafc_topic_partition_list_destroy(g->owned);
    g->owned = NULL;
    if (!req) {
        if (lr) {
            lr->g = g;
            lr->c = g->c;
            lr->done = done;
            lr->arg = arg;
            leave_finish(lr, KAFC_ERR_NONE);
        } else if (done) {
            done(g->c, arg, KAFC_ERR_NONE, NULL);
        }
        return;
    }
    int64_t left = deadline == INT64_MAX ? INT64_MAX : deadline - kafc__clock_ms();
    if (left < g->c->request_timeout_ms)
        req->timeout_ms = left > 100 ? left : 100;
    kafc__netclient_send(coord, req);
}

void kafc__group_leave(kafc_consumer_t *c, int64_t deadline_ms, kafc__commit_done_t *done,
                       void *arg)
{
    kafc__group_t *g = c->grp;
    if (!g) {
        done(c, arg, KAFC_ERR_NONE, NULL);
        return;
    }
    g->state = KAFC__G_LEFT;
    leave_now(g, deadline_ms, done, arg);
}

/* ---- the state machine ------------------------------------------------------------------ */

static void tick(void *arg)
{
    (void)arg;
}

static void arm(kafc__group_t *g, int64_t due)
{
    kafc__selector_t *sel = &g->c->client->sel;
    if (!kafc__timer_armed(&g->timer) || g->timer.due_ms > due)
        kafc__timer_start_at(sel, &g->timer, due, tick, g);
}

/* Re-reads the subscription: returns 1 when the topic set changed. */
static int refresh_topics(kafc__group_t *g)
{
    char **v;
    int n;
    if (subscribed_topics(g->c, &v, &n) != 0)
        return 0;
    if (strs_equal(v, n, g->topics, g->ntopics)) {
        strs_free(v, n);
        return 0;
    }
    strs_free(g->topics, g->ntopics);
    g->topics = v;
    g->ntopics = n;
    return 1;
}

static void md_any(void *arg, kafc_err_t err, const char *errstr, const kafc__md_t *md)
{
    kafc__group_t *g = arg;
    (void)errstr;
    (void)md;
    if (err != KAFC_ERR__DESTROY)
        g->md_inflight = 0;
}

/* Keeps metadata of the subscription fresh: the named topics, or every
 * topic when there are patterns. */
static void subscription_metadata(kafc__group_t *g, int64_t now)
{
    kafc_consumer_t *c = g->c;
    if (g->md_inflight || now < g->next_md_ms)
        return;
    kafc__mutex_lock(&c->lock);
    int nre = c->nre, nsub = c->nsub;
    const char **names = nre ? NULL : calloc((size_t)(nsub ? nsub : 1), sizeof(*names));
    for (int i = 0; names && i < nsub; i++)
        names[i] = c->sub_names[i];
    kafc__mutex_unlock(&c->lock);
    if (!nre && !names)
        return;
    /* Names are copied by the request before we let go of them; the
     * subscription only changes on the application thread under c->lock,
     * and strings are replaced, never edited: hold the lock while asking. */
    kafc__mutex_lock(&c->lock);
    if (!nre && c->nsub == nsub)
        for (int i = 0; i < nsub; i++)
            names[i] = c->sub_names[i];
    kafc_err_t err = kafc__cluster_metadata_request(&c->client->cluster, nre ? NULL : names,
                                                    nre ? 0 : (size_t)nsub,
                                                    (int)c->request_timeout_ms, md_any, g);
    kafc__mutex_unlock(&c->lock);
    free(names);
    if (err == KAFC_ERR_NONE) {
        g->md_inflight = 1;
        g->next_md_ms = now + g->metadata_max_age_ms;
    }
}

void kafc__group_subscription_changed(kafc_consumer_t *c)
{
    kafc__group_t *g = c->grp;
    if (!g)
        return;
    g->next_md_ms = 0; /* ask now */
    kafc__group_run(c);
}

void kafc__group_run(kafc_consumer_t *c)
{
    kafc__group_t *g = c->grp;
    if (!g || g->state == KAFC__G_LEFT)
        return;
    int64_t now = kafc__clock_ms();
    kafc__offsets_run(g, now);

    kafc__mutex_lock(&c->lock);
    int subscribed = c->subscribed;
    kafc__mutex_unlock(&c->lock);
    if (!subscribed) {
        if (g->generation >= 0 || g->member_id[0]) /* unsubscribed: leave */
            leave_now(g, now + c->request_timeout_ms, NULL, NULL);
        g->state = KAFC__G_INIT;
        strs_free(g->topics, g->ntopics);
        g->topics = NULL;
        g->ntopics = 0;
        return;
    }
    subscription_metadata(g, now);
    if (g->md_seen != c->client->cluster.md_updated_ms ||
        g->sub_seen != atomic_load(&c->sub_version)) {
        g->md_seen = c->client->cluster.md_updated_ms;
        g->sub_seen = atomic_load(&c->sub_version);
        if (refresh_topics(g) || g->state == KAFC__G_INIT)
            rejoin(g, "subscription changed");
    }

    /* The application stopped polling: leave so the group moves on. */
    int64_t last_poll = atomic_load(&c->last_poll_ms);
    if (g->generation >= 0 && now - last_poll > g->max_poll_interval_ms && !g->poll_expired) {
        kafc__log(&g->c->client->log, KAFC_LOG_WARNING, "cgrp",
                  "group %s: no poll for %lld ms (max.poll.interval.ms %lld): leaving the group; "
                  "the next poll rejoins",
                  c->group_id, (long long)(now - last_poll), (long long)g->max_poll_interval_ms);
        kafc__mutex_lock(&c->lock);
        kafc__consumer_event(c, c->errpart, KAFC_ERR__TIMED_OUT, -1,
                             "max.poll.interval.ms exceeded: left group %s", c->group_id);
        kafc__mutex_unlock(&c->lock);
        kafc_topic_partition_list_t *lost = g->owned;
        g->owned = NULL;
        if (lost && lost->cnt)
            push_rebalance(g, KAFC_REBALANCE_LOST, lost);
        else
            kafc_topic_partition_list_destroy(lost);
        leave_now(g, now + c->request_timeout_ms, NULL, NULL);
        g->poll_expired = 1;
        g->state = KAFC__G_NEED_JOIN;
    }
    if (g->poll_expired) {
        if (now - last_poll > g->max_poll_interval_ms) {
            arm(g, now + 1000);
            return;
        }
        g->poll_expired = 0;
    }

    /* Session: without a successful heartbeat for session.timeout.ms the
     * group has surely moved on. */
    if (g->state == KAFC__G_STABLE && now - g->last_hb_ok_ms > g->session_timeout_ms)
        lose_all(g, "no heartbeat answer within session.timeout.ms");

    if (g->waiting_app > 0) {
        arm(g, now + 1000);
        return;
    }
    if (g->rejoin_after_app) {
        g->rejoin_after_app = 0;
        rejoin(g, "partitions were revoked (cooperative rebalance)");
    }
    if (g->sync_at_ms) {
        if (g->state != KAFC__G_SYNCING || g->sync_gen != g->generation) {
            g->sync_at_ms = 0;
        } else if (now >= g->sync_at_ms) {
            g->sync_at_ms = 0;
            send_sync(g);
        } else {
            arm(g, g->sync_at_ms);
        }
    }
    if (g->retry_at_ms > now) {
        arm(g, g->retry_at_ms);
        return;
    }
    if (g->state == KAFC__G_NEED_JOIN || g->state == KAFC__G_INIT) {
        /* Eager: give everything back before joining. */
        if (!kafc__assignor_is_cooperative(g->protocol) && g->owned && g->owned->cnt > 0) {
            kafc_topic_partition_list_t *all = g->owned;
            g->owned = NULL;
            push_rebalance(g, KAFC_REBALANCE_REVOKED, all);
            arm(g, now + 1000);
            return;
        }
        if (g->ntopics == 0 && g->state == KAFC__G_INIT)
            return; /* nothing known to subscribe to yet */
        kafc__netclient_t *coord = kafc__group_coordinator(g);
        if (coord && !g->inflight_join)
            send_join(g, coord);
    } else if (g->state == KAFC__G_STABLE) {
        if (!g->inflight_hb && now >= g->next_hb_ms) {
            kafc__netclient_t *coord = kafc__group_coordinator(g);
            if (coord)
                send_heartbeat(g, coord);
            else
                g->next_hb_ms = now + c->retry_backoff_ms;
        }
        arm(g, g->next_hb_ms);
    }
    arm(g, now + 1000);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

kafc_err_t kafc__group_new(kafc_consumer_t *c)
{
    kafc__group_t *g = calloc(1, sizeof(*g));
    if (!g || !(g->member_id = strdup(""))) {
        free(g);
        return KAFC_ERR__NO_MEMORY;
    }
    g->c = c;
    g->coord_id = -1;
    g->cnc_id = -1;
    g->generation = -1;
    g->state = KAFC__G_INIT;
    const char *inst = kafc__conf_str(c->conf, KAFC__P_GROUP_INSTANCE_ID);
    g->instance_id = inst && *inst ? inst : NULL;
    g->session_timeout_ms = kafc__conf_int(c->conf, KAFC__P_SESSION_TIMEOUT_MS);
    g->heartbeat_interval_ms = kafc__conf_int(c->conf, KAFC__P_HEARTBEAT_INTERVAL_MS);
    g->max_poll_interval_ms = kafc__conf_int(c->conf, KAFC__P_MAX_POLL_INTERVAL_MS);
    g->metadata_max_age_ms = kafc__conf_int(c->conf, KAFC__P_METADATA_MAX_AGE_MS);
    g->auto_commit_interval_ms = kafc__conf_int(c->conf, KAFC__P_AUTO_COMMIT_INTERVAL_MS);
    g->next_autocommit_ms = INT64_MAX;
    /* Assignors in the user's order of preference. */
    const char *list = kafc__conf_str(c->conf, KAFC__P_PARTITION_ASSIGNMENT_STRATEGY);
    static const kafc__assignor_type_t all[] = {KAFC__ASSIGNOR_RANGE, KAFC__ASSIGNOR_ROUNDROBIN,
                                                KAFC__ASSIGNOR_STICKY,
                                                KAFC__ASSIGNOR_COOPERATIVE_STICKY};
    for (const char *p = list; p && *p && g->nassignors < 4;) {
        size_t len = strcspn(p, ",");
        for (int i = 0; i < 4; i++) {
            const char *n = kafc__assignor_name(all[i]);
            if (strlen(n) == len && strncmp(n, p, len) == 0)
                g->assignors[g->nassignors++] = all[i];
        }
        p += len + (p[len] == ',');
    }
    atomic_init(&g->proto_kind, 0);
    c->grp = g;
    return KAFC_ERR_NONE;
}

void kafc__group_destroy(kafc_consumer_t *c)
{
    kafc__group_t *g = c->grp;
    if (!g)
        return;
    if (c->client)
        kafc__timer_stop(&c->client->sel, &g->timer);
    kafc__offsets_destroy(g);
    if (g->cnc) { /* requests complete with KAFC_ERR__DESTROY while g lives */
        kafc__netclient_destroy(g->cnc);
        free(g->cnc);
    }
    lmembers_free(g);
    strs_free(g->topics, g->ntopics);
    kafc_topic_partition_list_destroy(g->owned);
    free(g->member_id);
    free(g);
    c->grp = NULL;
}

const char *kafc__group_protocol(kafc_consumer_t *c)
{
    int k = c->grp ? atomic_load(&c->grp->proto_kind) : 0;
    return k == 2 ? "COOPERATIVE" : k == 1 ? "EAGER" : "NONE";
}
