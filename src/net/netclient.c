/*
 * netclient — see netclient.h.
 */
#include "net/netclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "util/clock.h"

/* ApiVersions is api key 18; its response header is always v0. */
#define API_VERSIONS 18

static void pump(kafc__netclient_t *nc);
static void arm_timeouts(kafc__netclient_t *nc);
static void start_connect(kafc__netclient_t *nc);

static const kafc__conn_cbs_t conn_cbs;

const char *kafc__nc_state_name(kafc__nc_state_t s)
{
    switch (s) {
    case KAFC__NC_DOWN:
        return "DOWN";
    case KAFC__NC_CONNECTING:
        return "CONNECTING";
    case KAFC__NC_APIVERSION:
        return "APIVERSION";
    case KAFC__NC_UP:
        return "UP";
    }
    return "?";
}

/* ---- requests ----------------------------------------------------------- */

kafc__request_t *kafc__request_new(int16_t api_key, int16_t min_version, int16_t max_version,
                                   kafc__req_encode_t *encode, kafc__req_done_t *done, void *arg)
{
    kafc__request_t *req = calloc(1, sizeof(*req));
    if (!req)
        return NULL;
    kafc__netbuf_init(&req->nb);
    req->api_key = api_key;
    req->min_version = min_version;
    req->max_version = max_version;
    req->version = -1;
    req->encode = encode;
    req->done = done;
    req->arg = arg;
    req->send_deadline_ms = INT64_MAX;
    req->timeout_ms = -1; /* the netclient's request.timeout.ms */
    return req;
}

kafc_err_t kafc__request_add_payload(kafc__request_t *req, kafc__wbuf_t *w, const void *p,
                                     size_t len)
{
    if (req->nsegs == req->segcap) {
        int cap = req->segcap ? req->segcap * 2 : 4;
        kafc__req_seg_t *s = realloc(req->segs, (size_t)cap * sizeof(*s));
        if (!s)
            return KAFC_ERR__NO_MEMORY;
        req->segs = s;
        req->segcap = cap;
    }
    req->segs[req->nsegs].off = w->len;
    req->segs[req->nsegs].ptr = p;
    req->segs[req->nsegs].len = len;
    req->nsegs++;
    req->payload_len += len;
    return KAFC_ERR_NONE;
}

/* Appends r to the singly linked list (*headp, *tailp). */
static void list_append(kafc__request_t **headp, kafc__request_t **tailp, kafc__request_t *r)
{
    r->next = NULL;
    if (*tailp)
        (*tailp)->next = r;
    else
        *headp = r;
    *tailp = r;
}

/* Moves the pending requests for which match(r, now) is true, in order, to
 * the end of the list (*headp, *tailp). */
static void take_pending(kafc__netclient_t *nc, int (*match)(const kafc__request_t *, int64_t),
                         int64_t now, kafc__request_t **headp, kafc__request_t **tailp)
{
    kafc__request_t **pp = &nc->pending_head, *kept = NULL;
    while (*pp) {
        kafc__request_t *r = *pp;
        if (match(r, now)) {
            *pp = r->next;
            list_append(headp, tailp, r);
        } else {
            kept = r;
            pp = &r->next;
        }
    }
    nc->pending_tail = kept;
}

static int bound_to_connection(const kafc__request_t *r, int64_t now)
{
    return r->fail_unsent_on_down;
}

static int past_send_deadline(const kafc__request_t *r, int64_t now)
{
    return r->send_deadline_ms <= now;
}

static void request_free(kafc__request_t *req)
{
    kafc__wbuf_free(&req->frame);
    kafc__netbuf_free(&req->nb);
    free(req->segs);
    free(req->resp_frame);
    free(req);
}

uint8_t *kafc__request_take_response(kafc__request_t *req)
{
    uint8_t *f = req->resp_frame;
    req->resp_frame = NULL;
    return f;
}

static void complete(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    req->next = NULL;
    if (req->done)
        req->done(req, err, body);
    request_free(req);
}

/* Completes every request of a detached list with err. */
static void complete_list(kafc__request_t *head, kafc_err_t err, const char *reason)
{
    while (head) {
        kafc__request_t *next = head->next;
        if (reason && !head->errstr[0])
            snprintf(head->errstr, sizeof(head->errstr), "%s", reason);
        complete(head, err, NULL);
        head = next;
    }
}

/* ---- versions ----------------------------------------------------------- */

int16_t kafc__netclient_version(const kafc__netclient_t *nc, int16_t api_key, int16_t min,
                                int16_t max)
{
    if (!nc->have_versions || api_key < 0 || api_key >= KAFC__API_KEY_MAX)
        return -1;
    int16_t bmin = nc->api_min[api_key], bmax = nc->api_max[api_key];
    if (bmax < 0)
        return -1;
    int16_t v = max < bmax ? max : bmax;
    if (v < min || v < bmin)
        return -1;
    return v;
}

/* Encodes size + header + body into req->frame and builds its iovecs. */
static kafc_err_t build_frame(kafc__netclient_t *nc, kafc__request_t *req)
{
    kafc__wbuf_t *w = &req->frame;
    kafc__wbuf_init(w, 256);
    kafc__wbuf_put_i32(w, 0); /* size, patched below */
    kafc__wbuf_put_i16(w, req->api_key);
    kafc__wbuf_put_i16(w, req->version);
    kafc__wbuf_put_i32(w, req->corrid);
    /* client_id is a classic nullable string even in header v2. */
    kafc__wbuf_put_string(w, nc->cfg.client_id, -1);
    if (kafc__proto_request_header_version(req->api_key, req->version) >= 2)
        kafc__wbuf_put_uvarint(w, 0); /* no tagged fields */
    kafc_err_t err = req->encode(req, req->version, w);
    if (err == KAFC_ERR_NONE)
        err = kafc__wbuf_err(w);
    if (err != KAFC_ERR_NONE)
        return err;
    size_t total = w->len + req->payload_len;
    if (total - 4 > (size_t)INT32_MAX)
        return KAFC_ERR__MSG_SIZE_TOO_LARGE;
    kafc__wbuf_patch_i32(w, 0, (int32_t)(total - 4));

    size_t off = 0;
    for (int i = 0; i < req->nsegs; i++) {
        if (kafc__netbuf_add(&req->nb, w->data + off, req->segs[i].off - off) ||
            kafc__netbuf_add(&req->nb, req->segs[i].ptr, req->segs[i].len))
            return KAFC_ERR__NO_MEMORY;
        off = req->segs[i].off;
    }
    if (kafc__netbuf_add(&req->nb, w->data + off, w->len - off))
        return KAFC_ERR__NO_MEMORY;
    return KAFC_ERR_NONE;
}

static void inflight_push(kafc__netclient_t *nc, kafc__request_t *req)
{
    list_append(&nc->inflight_head, &nc->inflight_tail, req);
    nc->inflight++;
}

static void inflight_remove_head(kafc__netclient_t *nc)
{
    kafc__request_t *req = nc->inflight_head;
    nc->inflight_head = req->next;
    if (!nc->inflight_head)
        nc->inflight_tail = NULL;
    nc->inflight--;
    req->next = NULL;
}

/* Sends req now: encode, frame, queue on the connection. */
static void transmit(kafc__netclient_t *nc, kafc__request_t *req)
{
    req->corrid = nc->next_corrid++;
    if (nc->next_corrid < 0)
        nc->next_corrid = 0;
    kafc_err_t err = build_frame(nc, req);
    if (err != KAFC_ERR_NONE) {
        snprintf(req->errstr, sizeof(req->errstr), "failed to encode %s v%d request: %s",
                 kafc__proto_api_name(req->api_key), req->version, kafc_err_str(err));
        complete(req, err, NULL);
        return;
    }
    req->sent_ms = kafc__clock_ms();
    if (req->timeout_ms < 0)
        req->timeout_ms = nc->cfg.request_timeout_ms;
    inflight_push(nc, req);
    if (kafc__dbg_on(nc->log, KAFC__DBG_PROTOCOL))
        kafc__log(nc->log, KAFC_LOG_DEBUG, "protocol", "%s: sent %s v%d (corrid %d, %zu bytes)",
                  nc->name, kafc__proto_api_name(req->api_key), req->version, req->corrid,
                  req->nb.len);
    kafc__conn_send(&nc->conn, &req->nb);
}

static void pump(kafc__netclient_t *nc)
{
    while (nc->state == KAFC__NC_UP && nc->pending_head && nc->inflight < nc->cfg.max_in_flight) {
        kafc__request_t *req = nc->pending_head;
        nc->pending_head = req->next;
        if (!nc->pending_head)
            nc->pending_tail = NULL;
        req->next = NULL;
        int16_t v = kafc__netclient_version(nc, req->api_key, req->min_version, req->max_version);
        if (v < 0) {
            int16_t bmax = req->api_key >= 0 && req->api_key < KAFC__API_KEY_MAX
                               ? nc->api_max[req->api_key]
                               : -1;
            if (bmax < 0)
                snprintf(req->errstr, sizeof(req->errstr),
                         "broker %s does not support the %s API (key %d)", nc->name,
                         kafc__proto_api_name(req->api_key), req->api_key);
            else
                snprintf(req->errstr, sizeof(req->errstr),
                         "broker %s supports %s versions %d..%d, kafc needs %d..%d", nc->name,
                         kafc__proto_api_name(req->api_key), nc->api_min[req->api_key], bmax,
                         req->min_version, req->max_version);
            complete(req, KAFC_ERR__UNSUPPORTED_VERSION, NULL);
            continue;
        }
        req->version = v;
        transmit(nc, req);
        if (nc->state != KAFC__NC_UP)
            break; /* the connection failed while writing */
    }
    arm_timeouts(nc);
}

/* ---- connection lifecycle ---------------------------------------------- */

static void set_state(kafc__netclient_t *nc, kafc__nc_state_t st, kafc_err_t err,
                      const char *reason)
{
    if (nc->state == st)
        return;
    nc->state = st;
    if (nc->cbs && nc->cbs->on_state)
        nc->cbs->on_state(nc->owner, st, err, reason);
}

static int64_t backoff_ms(const kafc__netclient_t *nc)
{
    int64_t b = nc->cfg.backoff_ms;
    for (int i = 1; i < nc->failures && b < nc->cfg.backoff_max_ms; i++)
        b *= 2;
    if (b > nc->cfg.backoff_max_ms)
        b = nc->cfg.backoff_max_ms;
    /* +-20% jitter so clients do not reconnect in lockstep. */
    int64_t jitter = b / 5;
    if (jitter > 0)
        b += (int64_t)(rand() % (2 * jitter + 1)) - jitter;
    return b < 0 ? 0 : b;
}

static void on_reconnect_timer(void *arg)
{
    kafc__netclient_t *nc = arg;
    nc->next_connect_ms = 0;
    start_connect(nc);
}

/* The connection is gone (or never came): fail what was in flight, keep what
 * was never sent, and schedule a reconnect when there is work. */
static void went_down(kafc__netclient_t *nc, kafc_err_t err, const char *reason)
{
    kafc__timer_stop(nc->sel, &nc->setup_timer);
    /* Backoff first: callbacks below may ask for a connection again, and
     * must not get one at once (a synchronous failure would recurse). */
    nc->failures++;
    nc->next_connect_ms = kafc__clock_ms() + backoff_ms(nc);
    /* Frames queued on the conn but not fully written were never processed:
     * they go back to pending... except that their encoding (version,
     * corrid) belongs to the old connection, so they are re-encoded. */
    kafc__netbuf_t *unsent = kafc__conn_take_unsent(&nc->conn);
    kafc__request_t *inflight = nc->inflight_head;
    kafc__request_t *resend_head = NULL, *resend_tail = NULL;
    kafc__request_t *fail_head = NULL, *fail_tail = NULL;
    nc->inflight_head = nc->inflight_tail = NULL;
    nc->inflight = 0;
    nc->noresp_len = 0;
    for (kafc__request_t *r = inflight, *next; r; r = next) {
        next = r->next;
        r->next = NULL;
        int was_unsent = 0;
        for (kafc__netbuf_t *nb = unsent; nb; nb = nb->next)
            if (nb == &r->nb)
                was_unsent = 1;
        if (was_unsent && r->api_key != API_VERSIONS && !r->fail_unsent_on_down) {
            kafc__wbuf_free(&r->frame);
            kafc__netbuf_free(&r->nb);
            kafc__netbuf_init(&r->nb);
            r->nsegs = 0;
            r->payload_len = 0;
            r->version = -1;
            list_append(&resend_head, &resend_tail, r);
        } else {
            list_append(&fail_head, &fail_tail, r);
        }
    }
    if (resend_head) {
        resend_tail->next = nc->pending_head;
        nc->pending_head = resend_head;
        if (!nc->pending_tail)
            nc->pending_tail = resend_tail;
    }
    /* Pending requests that must not outlive this connection fail too. */
    take_pending(nc, bound_to_connection, 0, &fail_head, &fail_tail);
    nc->apiv_req = NULL;

    kafc__nc_state_t prev = nc->state;
    if (prev == KAFC__NC_UP || nc->failures == 1)
        kafc__log(nc->log, prev == KAFC__NC_UP ? KAFC_LOG_INFO : KAFC_LOG_WARNING, "broker",
                  "%s: %s", nc->name, reason);
    else if (kafc__dbg_on(nc->log, KAFC__DBG_BROKER))
        kafc__log(nc->log, KAFC_LOG_DEBUG, "broker", "%s: %s (attempt %d)", nc->name, reason,
                  nc->failures);
    set_state(nc, KAFC__NC_DOWN, err, reason);
    /* Requests that were sent may have been processed: the caller decides. */
    complete_list(fail_head, err == KAFC_ERR__TIMED_OUT ? KAFC_ERR__TRANSPORT : err, reason);
    /* Reconnect on demand only: when requests wait, or the owner asked for a
     * connection since the last attempt. Either way not before the backoff. */
    int again = nc->pending_head || nc->want_connect;
    nc->want_connect = 0;
    if (nc->state == KAFC__NC_DOWN && !nc->closing && again &&
        !kafc__timer_armed(&nc->reconnect_timer))
        kafc__timer_start_at(nc->sel, &nc->reconnect_timer, nc->next_connect_ms, on_reconnect_timer,
                             nc);
    arm_timeouts(nc);
}

static void on_setup_timeout(void *arg)
{
    kafc__netclient_t *nc = arg;
    char reason[200];
    if (nc->state != KAFC__NC_CONNECTING && nc->state != KAFC__NC_APIVERSION)
        return;
    snprintf(reason, sizeof(reason), "connection setup timed out in state %s after %lld ms",
             kafc__nc_state_name(nc->state), (long long)nc->cfg.setup_timeout_ms);
    kafc__conn_close(&nc->conn);
    went_down(nc, KAFC_ERR__TIMED_OUT, reason);
}

static void start_connect(kafc__netclient_t *nc)
{
    char errstr[400];
    if (nc->state != KAFC__NC_DOWN || nc->closing)
        return;
    if (kafc__timer_armed(&nc->reconnect_timer))
        return; /* backing off */
    if (kafc__clock_ms() < nc->next_connect_ms) {
        kafc__timer_start_at(nc->sel, &nc->reconnect_timer, nc->next_connect_ms, on_reconnect_timer,
                             nc);
        return;
    }
    nc->want_connect = 0;
    nc->state = KAFC__NC_CONNECTING;
    if (nc->cbs && nc->cbs->on_state)
        nc->cbs->on_state(nc->owner, KAFC__NC_CONNECTING, KAFC_ERR_NONE, NULL);
    nc->connect_started_ms = kafc__clock_ms();
    kafc__timer_start(nc->sel, &nc->setup_timer, nc->cfg.setup_timeout_ms, on_setup_timeout, nc);
    kafc_err_t err = kafc__conn_connect(&nc->conn, errstr, sizeof(errstr));
    if (err != KAFC_ERR_NONE)
        went_down(nc, err, errstr);
}

void kafc__netclient_connect(kafc__netclient_t *nc)
{
    nc->want_connect = 1;
    nc->closing = 0;
    start_connect(nc);
}

/* ---- ApiVersions -------------------------------------------------------- */

static kafc_err_t apiv_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__api_versions_request_t m;
    kafc__api_versions_request_init(&m);
    m.client_software_name = (kafc__slice_t){(const uint8_t *)"kafc", 4};
    const char *v = kafc_version_str();
    m.client_software_version = (kafc__slice_t){(const uint8_t *)v, (int32_t)strlen(v)};
    return kafc__api_versions_request_encode(&m, version, w);
}

static void send_apiversions(kafc__netclient_t *nc, int16_t version);

static void apiv_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    kafc__netclient_t *nc = req->arg;
    char reason[300];
    if (err != KAFC_ERR_NONE)
        return; /* connection-level failure: went_down handles it */
    nc->apiv_req = NULL;

    kafc__arena_t arena;
    kafc__arena_init(&arena);
    kafc__api_versions_response_t m;
    kafc_err_t derr = kafc__api_versions_response_decode(&m, req->version, body, &arena);
    if (derr == KAFC_ERR_NONE && m.error_code == KAFC_ERR_NONE) {
        for (int i = 0; i < KAFC__API_KEY_MAX; i++)
            nc->api_min[i] = nc->api_max[i] = -1;
        for (int32_t i = 0; i < m.api_keys.count; i++) {
            int16_t k = m.api_keys.items[i].api_key;
            if (k >= 0 && k < KAFC__API_KEY_MAX) {
                nc->api_min[k] = m.api_keys.items[i].min_version;
                nc->api_max[k] = m.api_keys.items[i].max_version;
            }
        }
        kafc__arena_destroy(&arena);
        nc->have_versions = 1;
        nc->failures = 0;
        kafc__timer_stop(nc->sel, &nc->setup_timer);
        if (kafc__dbg_on(nc->log, KAFC__DBG_BROKER))
            kafc__log(nc->log, KAFC_LOG_DEBUG, "broker", "%s: up (ApiVersions v%d)", nc->name,
                      req->version);
        set_state(nc, KAFC__NC_UP, KAFC_ERR_NONE, NULL);
        pump(nc);
        return;
    }
    kafc__arena_destroy(&arena);
    /* Brokers that do not know this ApiVersions version answer with
     * UNSUPPORTED_VERSION, or (some) with a body we cannot decode: fall back
     * to v0, which every broker understands. */
    if (req->version > 0) {
        if (kafc__dbg_on(nc->log, KAFC__DBG_PROTOCOL))
            kafc__log(nc->log, KAFC_LOG_DEBUG, "protocol",
                      "%s: ApiVersions v%d %s; retrying with v0", nc->name, req->version,
                      derr != KAFC_ERR_NONE ? "response undecodable" : kafc_err_name(m.error_code));
        send_apiversions(nc, 0);
        return;
    }
    snprintf(reason, sizeof(reason), "ApiVersions v0 failed: %s",
             derr != KAFC_ERR_NONE ? "malformed response" : kafc_err_str(m.error_code));
    kafc__conn_close(&nc->conn);
    went_down(nc, derr != KAFC_ERR_NONE ? KAFC_ERR__BAD_MSG : m.error_code, reason);
}

static void send_apiversions(kafc__netclient_t *nc, int16_t version)
{
    kafc__request_t *req =
        kafc__request_new(API_VERSIONS, version, version, apiv_encode, apiv_done, nc);
    if (!req) {
        kafc__conn_close(&nc->conn);
        went_down(nc, KAFC_ERR__NO_MEMORY, "out of memory");
        return;
    }
    req->version = version;
    nc->apiv_req = req;
    transmit(nc, req);
}

/* ---- conn callbacks ----------------------------------------------------- */

static void on_conn_up(void *owner)
{
    kafc__netclient_t *nc = owner;
    set_state(nc, KAFC__NC_APIVERSION, KAFC_ERR_NONE, NULL);
    send_apiversions(nc, 3);
}

static void on_conn_sent(void *owner, kafc__netbuf_t *nb)
{
    kafc__netclient_t *nc = owner;
    /* Only requests that expect no response complete on send. They are
     * in flight in order; find this one (it is near the tail). */
    kafc__request_t *prev = NULL;
    for (kafc__request_t *r = nc->inflight_head; r; prev = r, r = r->next) {
        if (&r->nb != nb)
            continue;
        if (!r->no_response)
            return;
        if (prev)
            prev->next = r->next;
        else
            nc->inflight_head = r->next;
        if (nc->inflight_tail == r)
            nc->inflight_tail = prev;
        nc->inflight--;
        /* Some brokers answer anyway; remember the id to drop that answer. */
        if (nc->noresp_len == (int)(sizeof(nc->noresp_ids) / sizeof(nc->noresp_ids[0]))) {
            memmove(nc->noresp_ids, nc->noresp_ids + 1,
                    sizeof(nc->noresp_ids) - sizeof(nc->noresp_ids[0]));
            nc->noresp_len--;
        }
        nc->noresp_ids[nc->noresp_len++] = r->corrid;
        complete(r, KAFC_ERR_NONE, NULL);
        pump(nc);
        return;
    }
}

static int take_noresp_id(kafc__netclient_t *nc, int32_t corrid)
{
    for (int i = 0; i < nc->noresp_len; i++) {
        if (nc->noresp_ids[i] == corrid) {
            memmove(nc->noresp_ids + i, nc->noresp_ids + i + 1,
                    (size_t)(nc->noresp_len - i - 1) * sizeof(nc->noresp_ids[0]));
            nc->noresp_len--;
            return 1;
        }
    }
    return 0;
}

static void on_conn_frame(void *owner, uint8_t *body, size_t len)
{
    kafc__netclient_t *nc = owner;
    kafc__rbuf_t r;
    char reason[200];
    kafc__rbuf_init(&r, body, len);
    int32_t corrid = kafc__rbuf_get_i32(&r);
    kafc__request_t *req = nc->inflight_head;

    if (!req || req->corrid != corrid) {
        if (take_noresp_id(nc, corrid)) {
            free(body);
            return;
        }
        snprintf(reason, sizeof(reason),
                 "response with unexpected correlation id %d (expected %d): closing", corrid,
                 req ? req->corrid : -1);
        free(body);
        kafc__conn_close(&nc->conn);
        went_down(nc, KAFC_ERR__BAD_MSG, reason);
        return;
    }
    inflight_remove_head(nc);
    if (req->api_key != API_VERSIONS &&
        kafc__proto_response_header_version(req->api_key, req->version) >= 1)
        kafc__proto_skip_tags(&r);
    if (kafc__rbuf_err(&r) != KAFC_ERR_NONE) {
        snprintf(req->errstr, sizeof(req->errstr), "malformed %s response header",
                 kafc__proto_api_name(req->api_key));
        complete(req, KAFC_ERR__BAD_MSG, NULL);
    } else {
        if (kafc__dbg_on(nc->log, KAFC__DBG_PROTOCOL))
            kafc__log(nc->log, KAFC_LOG_DEBUG, "protocol",
                      "%s: received %s v%d response (corrid %d, %zu bytes, %lld ms)", nc->name,
                      kafc__proto_api_name(req->api_key), req->version, corrid, len,
                      (long long)(kafc__clock_ms() - req->sent_ms));
        req->resp_frame = body; /* freed with req unless the callback takes it */
        body = NULL;
        complete(req, KAFC_ERR_NONE, &r);
    }
    free(body);
    if (nc->state == KAFC__NC_UP)
        pump(nc);
    else
        arm_timeouts(nc);
}

static void on_conn_down(void *owner, kafc_err_t err, const char *reason)
{
    went_down(owner, err, reason);
}

static const kafc__conn_cbs_t conn_cbs = {
    .on_up = on_conn_up,
    .on_frame = on_conn_frame,
    .on_sent = on_conn_sent,
    .on_down = on_conn_down,
};

/* ---- timeouts ----------------------------------------------------------- */

static void on_timeout_timer(void *arg)
{
    kafc__netclient_t *nc = arg;
    int64_t now = kafc__clock_ms();
    char reason[200];

    /* Unsent requests past their send deadline. */
    kafc__request_t *expired = NULL, *expired_tail = NULL;
    take_pending(nc, past_send_deadline, now, &expired, &expired_tail);
    if (expired) {
        snprintf(reason, sizeof(reason), "request not sent to %s within its timeout (broker %s)",
                 nc->name, kafc__nc_state_name(nc->state));
        complete_list(expired, KAFC_ERR__TIMED_OUT, reason);
    }

    /* A response overdue: responses come in order, so the connection is of
     * no more use. The overdue request times out; the rest are failed as
     * connection loss by went_down. */
    kafc__request_t *head = nc->inflight_head;
    if (head && head->sent_ms + head->timeout_ms <= now) {
        inflight_remove_head(nc);
        snprintf(reason, sizeof(reason), "%s request to %s timed out after %lld ms",
                 kafc__proto_api_name(head->api_key), nc->name, (long long)head->timeout_ms);
        snprintf(head->errstr, sizeof(head->errstr), "%s", reason);
        kafc__conn_close(&nc->conn);
        complete(head, KAFC_ERR__TIMED_OUT, NULL);
        went_down(nc, KAFC_ERR__TIMED_OUT, reason);
        return;
    }
    arm_timeouts(nc);
}

static void arm_timeouts(kafc__netclient_t *nc)
{
    int64_t due = INT64_MAX;
    for (kafc__request_t *r = nc->inflight_head; r; r = r->next)
        if (r->sent_ms + r->timeout_ms < due)
            due = r->sent_ms + r->timeout_ms;
    for (kafc__request_t *r = nc->pending_head; r; r = r->next)
        if (r->send_deadline_ms < due)
            due = r->send_deadline_ms;
    if (due == INT64_MAX)
        kafc__timer_stop(nc->sel, &nc->timeout_timer);
    else if (!kafc__timer_armed(&nc->timeout_timer) || nc->timeout_timer.due_ms != due)
        kafc__timer_start_at(nc->sel, &nc->timeout_timer, due, on_timeout_timer, nc);
}

/* ---- public ------------------------------------------------------------- */

void kafc__netclient_init(kafc__netclient_t *nc, kafc__selector_t *sel, const kafc__logger_t *log,
                          const char *name, const char *host, int port,
                          const kafc__nc_config_t *cfg, const kafc__nc_cbs_t *cbs, void *owner)
{
    memset(nc, 0, sizeof(*nc));
    nc->sel = sel;
    nc->log = log;
    nc->cfg = *cfg;
    if (nc->cfg.max_in_flight < 1)
        nc->cfg.max_in_flight = 1;
    nc->cbs = cbs;
    nc->owner = owner;
    snprintf(nc->name, sizeof(nc->name), "%s", name);
    for (int i = 0; i < KAFC__API_KEY_MAX; i++)
        nc->api_min[i] = nc->api_max[i] = -1;
    kafc__conn_init(&nc->conn, sel, host, port, &cfg->sockopts, cfg->max_frame, &conn_cbs, nc);
}

void kafc__netclient_send(kafc__netclient_t *nc, kafc__request_t *req)
{
    list_append(&nc->pending_head, &nc->pending_tail, req);
    nc->closing = 0;
    if (nc->state == KAFC__NC_UP)
        pump(nc);
    else {
        start_connect(nc);
        arm_timeouts(nc);
    }
}

void kafc__netclient_close(kafc__netclient_t *nc, kafc_err_t err, const char *reason)
{
    nc->closing = 1;
    nc->want_connect = 0;
    kafc__timer_stop(nc->sel, &nc->reconnect_timer);
    kafc__timer_stop(nc->sel, &nc->setup_timer);
    kafc__timer_stop(nc->sel, &nc->timeout_timer);
    kafc__conn_close(&nc->conn);
    kafc__conn_take_unsent(&nc->conn);
    kafc__request_t *inflight = nc->inflight_head, *pending = nc->pending_head;
    nc->inflight_head = nc->inflight_tail = NULL;
    nc->pending_head = nc->pending_tail = NULL;
    nc->inflight = 0;
    nc->apiv_req = NULL;
    nc->noresp_len = 0;
    set_state(nc, KAFC__NC_DOWN, err, reason);
    complete_list(inflight, err, reason);
    complete_list(pending, err, reason);
}

void kafc__netclient_destroy(kafc__netclient_t *nc)
{
    kafc__netclient_close(nc, KAFC_ERR__DESTROY, "client is being destroyed");
    kafc__conn_destroy(&nc->conn);
}
