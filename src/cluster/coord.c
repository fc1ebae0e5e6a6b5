/*
 * coord — see coord.h.
 */
#include "cluster/coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

typedef struct kafc__coord_entry {
    struct kafc__coord_entry *next;
    int8_t key_type;
    int32_t broker_id;
    char key[];
} coord_entry_t;

typedef struct kafc__coord_lookup {
    struct kafc__coord_lookup *next;
    kafc__cluster_t *cl;
    int8_t key_type;
    int64_t deadline_ms;
    int in_flight;
    kafc__timer_t timer;
    kafc__coord_cb_t *cb;
    void *arg;
    char last_error[300];
    char key[];
} lookup_t;

static void attempt(lookup_t *lk);

int kafc__coord_err_is_stale(kafc_err_t err)
{
    return err == KAFC_ERR_NOT_COORDINATOR || err == KAFC_ERR_COORDINATOR_NOT_AVAILABLE;
}

static coord_entry_t **entry_find(kafc__cluster_t *cl, int8_t key_type, const char *key)
{
    coord_entry_t **pp = &cl->coords;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->key_type == key_type && strcmp((*pp)->key, key) == 0)
            return pp;
    return pp;
}

void kafc__coord_invalidate(kafc__cluster_t *cl, int8_t key_type, const char *key)
{
    coord_entry_t **pp = entry_find(cl, key_type, key);
    if (*pp) {
        coord_entry_t *e = *pp;
        *pp = e->next;
        free(e);
    }
}

static void cache_set(kafc__cluster_t *cl, int8_t key_type, const char *key, int32_t id)
{
    coord_entry_t **pp = entry_find(cl, key_type, key);
    if (*pp) {
        (*pp)->broker_id = id;
        return;
    }
    size_t len = strlen(key);
    coord_entry_t *e = malloc(sizeof(*e) + len + 1);
    if (!e)
        return; /* not cached: the next lookup asks again */
    e->next = NULL;
    e->key_type = key_type;
    e->broker_id = id;
    memcpy(e->key, key, len + 1);
    *pp = e;
}

static void lookup_unlink(lookup_t *lk)
{
    for (lookup_t **pp = &lk->cl->lookups; *pp; pp = &(*pp)->next)
        if (*pp == lk) {
            *pp = lk->next;
            break;
        }
}

/* Completes and frees lk. */
static void finish(lookup_t *lk, kafc_err_t err, const char *errstr, kafc__broker_t *b)
{
    kafc__timer_stop(lk->cl->sel, &lk->timer);
    lookup_unlink(lk);
    lk->cb(lk->arg, err, errstr, b);
    free(lk);
}

static void on_timer(void *arg)
{
    lookup_t *lk = arg;
    if (kafc__clock_ms() >= lk->deadline_ms) {
        char errstr[400];
        snprintf(errstr, sizeof(errstr), "coordinator lookup for \"%s\" timed out%s%s", lk->key,
                 lk->last_error[0] ? ": " : "", lk->last_error);
        finish(lk, KAFC_ERR__TIMED_OUT, errstr, NULL);
        return;
    }
    attempt(lk);
}

/* Tries again after retry.backoff.ms (never past the deadline). */
static void retry_later(lookup_t *lk)
{
    if (kafc__dbg_on(lk->cl->log, KAFC__DBG_CGRP))
        kafc__log(lk->cl->log, KAFC_LOG_DEBUG, "cgrp",
                  "coordinator lookup for \"%s\" will be retried: %s", lk->key,
                  lk->last_error[0] ? lk->last_error : "no broker connected yet");
    int64_t due = kafc__clock_ms() + lk->cl->cfg.retry_backoff_ms;
    if (due > lk->deadline_ms)
        due = lk->deadline_ms;
    kafc__timer_start_at(lk->cl->sel, &lk->timer, due, on_timer, lk);
}

static kafc_err_t fc_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    lookup_t *lk = req->arg;
    kafc__find_coordinator_request_t m;
    kafc__slice_t key = kafc__proto_str(lk->key);
    kafc__find_coordinator_request_init(&m);
    m.key_type = lk->key_type;
    if (version >= 4) {
        m.coordinator_keys.items = &key;
        m.coordinator_keys.count = 1;
    } else {
        m.key = key;
    }
    return kafc__find_coordinator_request_encode(&m, version, w);
}

static void fc_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    lookup_t *lk = req->arg;
    kafc__cluster_t *cl = lk->cl;
    lk->in_flight = 0;
    if (cl->destroying || err == KAFC_ERR__DESTROY) {
        finish(lk, KAFC_ERR__DESTROY, "client is being destroyed", NULL);
        return;
    }
    if (err != KAFC_ERR_NONE) {
        snprintf(lk->last_error, sizeof(lk->last_error), "%s",
                 req->errstr[0] ? req->errstr : kafc_err_str(err));
        if (err == KAFC_ERR__UNSUPPORTED_VERSION) {
            finish(lk, err, lk->last_error, NULL);
            return;
        }
        retry_later(lk);
        return;
    }

    kafc__arena_t arena;
    kafc__find_coordinator_response_t m;
    kafc__rbuf_t raw = *body;
    kafc__arena_init(&arena);
    err = kafc__find_coordinator_response_decode(&m, req->version, body, &arena);
    if (err != KAFC_ERR_NONE && req->version < 4) {
        /* Some brokers (librdkafka's mock among them) answer an error with
         * a null host, which the schema does not allow; the error code in
         * front is still the answer, so take it. */
        if (req->version >= 1)
            kafc__rbuf_skip(&raw, 4);
        int16_t code = kafc__rbuf_get_i16(&raw);
        if (kafc__rbuf_err(&raw) == KAFC_ERR_NONE && code != KAFC_ERR_NONE) {
            kafc__find_coordinator_response_init(&m);
            m.error_code = code;
            err = KAFC_ERR_NONE;
        }
    }
    int32_t node = -1, port = 0;
    char host[256] = "";
    kafc_err_t ec = KAFC_ERR_NONE;
    kafc__slice_t emsg = {NULL, -1};
    if (err == KAFC_ERR_NONE && req->version >= 4) {
        if (m.coordinators.count < 1)
            err = KAFC_ERR__BAD_MSG;
        else {
            const kafc__find_coordinator_response_coordinator_t *c = &m.coordinators.items[0];
            ec = c->error_code;
            emsg = c->error_message;
            node = c->node_id;
            port = c->port;
            snprintf(host, sizeof(host), "%.*s", c->host.len > 0 ? c->host.len : 0,
                     c->host.len > 0 ? (const char *)c->host.ptr : "");
        }
    } else if (err == KAFC_ERR_NONE) {
        ec = m.error_code;
        emsg = m.error_message;
        node = m.node_id;
        port = m.port;
        snprintf(host, sizeof(host), "%.*s", m.host.len > 0 ? m.host.len : 0,
                 m.host.len > 0 ? (const char *)m.host.ptr : "");
    }
    if (err == KAFC_ERR_NONE && ec != KAFC_ERR_NONE)
        snprintf(lk->last_error, sizeof(lk->last_error), "%s%s%.*s", kafc_err_name(ec),
                 emsg.len > 0 ? ": " : "", emsg.len > 0 ? emsg.len : 0,
                 emsg.len > 0 ? (const char *)emsg.ptr : "");
    kafc__arena_destroy(&arena);

    if (err != KAFC_ERR_NONE) {
        snprintf(lk->last_error, sizeof(lk->last_error), "malformed FindCoordinator response");
        retry_later(lk);
        return;
    }
    if (ec != KAFC_ERR_NONE) {
        /* Not available yet / loading: ask again; anything else is final. */
        if (kafc__coord_err_is_stale(ec) || ec == KAFC_ERR_COORDINATOR_LOAD_IN_PROGRESS)
            retry_later(lk);
        else
            finish(lk, ec, lk->last_error, NULL);
        return;
    }
    if (node < 0 || !host[0] || port <= 0 || port > 65535) {
        snprintf(lk->last_error, sizeof(lk->last_error),
                 "FindCoordinator named an invalid broker %d at %s:%d", node, host, port);
        retry_later(lk);
        return;
    }
    kafc__broker_t *b = kafc__cluster_ensure_broker(cl, node, host, port);
    if (!b) {
        finish(lk, KAFC_ERR__NO_MEMORY, "out of memory", NULL);
        return;
    }
    cache_set(cl, lk->key_type, lk->key, node);
    if (kafc__dbg_on(cl->log, KAFC__DBG_CGRP))
        kafc__log(cl->log, KAFC_LOG_DEBUG, "cgrp", "coordinator for %s \"%s\" is broker %d",
                  lk->key_type == KAFC__COORD_TXN ? "transactional id" : "group", lk->key, node);
    finish(lk, KAFC_ERR_NONE, NULL, b);
}

static void attempt(lookup_t *lk)
{
    kafc__broker_t *b = kafc__cluster_any_broker(lk->cl);
    if (!b) {
        if (!lk->last_error[0] && lk->cl->last_error[0])
            snprintf(lk->last_error, sizeof(lk->last_error), "%s", lk->cl->last_error);
        retry_later(lk); /* a connection is on its way */
        return;
    }
    /* Key type needs v1+; v0 only knows groups. */
    kafc__request_t *req =
        kafc__request_new(KAFC__API_FIND_COORDINATOR, lk->key_type == KAFC__COORD_GROUP ? 0 : 1, 4,
                          fc_encode, fc_done, lk);
    if (!req) {
        retry_later(lk);
        return;
    }
    req->send_deadline_ms = lk->deadline_ms;
    lk->in_flight = 1;
    kafc__netclient_send(&b->nc, req);
}

kafc_err_t kafc__coord_find(kafc__cluster_t *cl, int8_t key_type, const char *key, int timeout_ms,
                            kafc__coord_cb_t *cb, void *arg)
{
    if (!key)
        return KAFC_ERR__INVALID_ARG;
    coord_entry_t *e = *entry_find(cl, key_type, key);
    if (e) {
        kafc__broker_t *b = kafc__cluster_broker(cl, e->broker_id);
        if (b) {
            cb(arg, KAFC_ERR_NONE, NULL, b);
            return KAFC_ERR_NONE;
        }
        kafc__coord_invalidate(cl, key_type, key); /* that broker left */
    }
    size_t len = strlen(key);
    lookup_t *lk = calloc(1, sizeof(*lk) + len + 1);
    if (!lk)
        return KAFC_ERR__NO_MEMORY;
    lk->cl = cl;
    lk->key_type = key_type;
    lk->deadline_ms = kafc__clock_ms() + (timeout_ms < 0 ? 3600000 : timeout_ms);
    lk->cb = cb;
    lk->arg = arg;
    memcpy(lk->key, key, len + 1);
    lk->next = cl->lookups;
    cl->lookups = lk;
    attempt(lk);
    return KAFC_ERR_NONE;
}

void kafc__coord_destroy(kafc__cluster_t *cl)
{
    /* Lookups with a request in flight were completed when their broker
     * was closed; the rest wait on timers. */
    while (cl->lookups)
        finish(cl->lookups, KAFC_ERR__DESTROY, "client is being destroyed", NULL);
    while (cl->coords) {
        coord_entry_t *e = cl->coords;
        cl->coords = e->next;
        free(e);
    }
}
