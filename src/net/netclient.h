/*
 * netclient — the request pipeline to one broker: connection lifecycle with
 * reconnect backoff, ApiVersions negotiation, correlation ids, a bounded
 * in-flight queue, request timeouts, and exactly-once completion of every
 * request (response, timeout, connection loss, or shutdown).
 *
 * A request is created by an upper layer (cluster, producer, consumer) with
 * an encode callback: the body is encoded only when the request is about to
 * be sent, at the highest version both kafc and the broker support, so
 * requests can be queued before the broker's versions are known. Completion
 * callbacks run on the I/O thread.
 *
 * Everything here runs on the I/O thread; no locks. A netclient is embedded in
 * its broker object and borrows the selector and logger.
 */
#ifndef KAFC_NET_NETCLIENT_H
#define KAFC_NET_NETCLIENT_H

#include <stdint.h>

#include "kafc/kafc.h"
#include "net/conn.h"
#include "net/selector.h"
#include "util/buf.h"
#include "util/log.h"

#define KAFC__API_KEY_MAX 128

typedef struct kafc__request kafc__request_t;
typedef struct kafc__netclient kafc__netclient_t;

/* Encodes the request body (after the header) at version into w. Returns
 * KAFC_ERR_NONE or an error that completes the request with it. */
typedef kafc_err_t(kafc__req_encode_t)(kafc__request_t *req, int16_t version, kafc__wbuf_t *w);

/* Completion. err is KAFC_ERR_NONE with body = the response body after its
 * header (borrowed for the duration of the call), or an error with body NULL:
 * KAFC_ERR__TIMED_OUT, KAFC_ERR__TRANSPORT (connection lost after sending:
 * the broker may have processed it), KAFC_ERR__UNSUPPORTED_VERSION (no
 * common version; errstr in req->errstr), KAFC_ERR__DESTROY, or the encode
 * callback's error. Called exactly once; the request is freed after it
 * returns. */
typedef void(kafc__req_done_t)(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body);

/* A borrowed payload range spliced into the frame at byte offset off of the
 * encoded bytes (see kafc__request_add_payload). */
typedef struct kafc__req_seg {
    size_t off;
    const void *ptr;
    size_t len;
} kafc__req_seg_t;

struct kafc__request {
    kafc__request_t *next;
    kafc__netbuf_t nb;
    kafc__wbuf_t frame; /* size + header + body */
    int16_t api_key;
    int16_t version;                  /* chosen at send time */
    int16_t min_version, max_version; /* the caller's acceptable range */
    int32_t corrid;
    int no_response;          /* e.g. Produce with acks=0 */
    int fail_unsent_on_down;  /* on connection loss, complete even unsent ones
                                 (KAFC_ERR__TRANSPORT) instead of keeping them
                                 for the next connection: the owner requeues
                                 (the producer, to keep its order) */
    int64_t send_deadline_ms; /* fail if not sent by then (INT64_MAX: never) */
    int64_t timeout_ms;       /* in flight: request.timeout.ms from sending */
    int64_t sent_ms;
    kafc__req_encode_t *encode;
    kafc__req_done_t *done;
    void *arg;             /* the caller's */
    kafc__req_seg_t *segs; /* borrowed payload ranges, in order */
    int nsegs, segcap;
    size_t payload_len;
    uint8_t *resp_frame; /* the received frame while done() runs (see
                            kafc__request_take_response) */
    char errstr[160];
};

typedef enum kafc__nc_state {
    KAFC__NC_DOWN = 0,   /* not connected; maybe waiting for backoff */
    KAFC__NC_CONNECTING, /* resolving / TCP / transport handshake */
    KAFC__NC_APIVERSION, /* negotiating ApiVersions */
    KAFC__NC_UP          /* requests flow */
} kafc__nc_state_t;

typedef struct kafc__nc_config {
    const char *client_id;
    int64_t request_timeout_ms;
    int64_t setup_timeout_ms; /* socket.connection.setup.timeout.ms */
    int64_t backoff_ms;       /* reconnect.backoff.ms */
    int64_t backoff_max_ms;   /* reconnect.backoff.max.ms */
    int max_in_flight;        /* per connection */
    int32_t max_frame;        /* receive.message.max.bytes */
    kafc__sockopts_t sockopts;
} kafc__nc_config_t;

/* Upper-layer notifications. */
typedef struct kafc__nc_cbs {
    void (*on_state)(void *owner, kafc__nc_state_t state, kafc_err_t err, const char *reason);
} kafc__nc_cbs_t;

struct kafc__netclient {
    kafc__nc_state_t state;
    kafc__conn_t conn;
    kafc__selector_t *sel;
    const kafc__logger_t *log;
    kafc__nc_config_t cfg;
    const kafc__nc_cbs_t *cbs;
    void *owner;
    char name[300]; /* "host:port/id" for logs and errors */

    int32_t next_corrid;
    kafc__request_t *pending_head, *pending_tail; /* not yet sent */
    kafc__request_t *inflight_head, *inflight_tail;
    int inflight;
    int32_t noresp_ids[16]; /* corrids of sent no-response requests */
    int noresp_len;

    /* ApiVersions: the broker's ranges; max -1 when the API is missing. */
    int16_t api_min[KAFC__API_KEY_MAX];
    int16_t api_max[KAFC__API_KEY_MAX];
    int have_versions;
    int16_t apiversions_try; /* the ApiVersions version being tried */
    kafc__request_t *apiv_req;

    int failures;            /* consecutive connect failures, for backoff */
    int64_t next_connect_ms; /* no connect attempt before this (backoff) */
    int want_connect;
    int closing;
    int64_t connect_started_ms;
    kafc__timer_t reconnect_timer;
    kafc__timer_t timeout_timer;
    kafc__timer_t setup_timer;
};

/* Prepares nc for host:port. Nothing connects until a request is queued or
 * kafc__netclient_connect() is called. I/O thread. */
void kafc__netclient_init(kafc__netclient_t *nc, kafc__selector_t *sel, const kafc__logger_t *log,
                          const char *name, const char *host, int port,
                          const kafc__nc_config_t *cfg, const kafc__nc_cbs_t *cbs, void *owner);

/* Asks for one connection attempt, now or when the reconnect backoff has
 * passed. A netclient otherwise reconnects only while requests wait.
 * I/O thread. */
void kafc__netclient_connect(kafc__netclient_t *nc);

/* A new request for api_key accepting versions min..max, completed by done.
 * Returns NULL when out of memory. Any thread (it touches nothing shared). */
kafc__request_t *kafc__request_new(int16_t api_key, int16_t min_version, int16_t max_version,
                                   kafc__req_encode_t *encode, kafc__req_done_t *done, void *arg);

/* From an encode callback: the next len bytes of the message are p, which
 * is borrowed (not copied) until req completes. The callback must NOT also
 * write those bytes into w. Returns KAFC_ERR__NO_MEMORY on failure. */
kafc_err_t kafc__request_add_payload(kafc__request_t *req, kafc__wbuf_t *w, const void *p,
                                     size_t len);

/* From a done callback with a response: takes the malloc()ed frame the
 * response body points into, so views into it may outlive the callback
 * (the caller free()s it). NULL when there is none (error completions).
 * I/O thread. */
uint8_t *kafc__request_take_response(kafc__request_t *req);

/* Queues req (taken) for sending; connects when needed. I/O thread. */
void kafc__netclient_send(kafc__netclient_t *nc, kafc__request_t *req);

/* The version of api_key that would be used now, or -1 when unknown yet
 * (not negotiated) or when there is no common version. I/O thread. */
int16_t kafc__netclient_version(const kafc__netclient_t *nc, int16_t api_key, int16_t min,
                                int16_t max);

/* Closes the connection; every queued and in-flight request completes with
 * err (e.g. KAFC_ERR__DESTROY) and no reconnect happens until the next
 * send/connect. I/O thread. */
void kafc__netclient_close(kafc__netclient_t *nc, kafc_err_t err, const char *reason);

/* Closes, completes everything with KAFC_ERR__DESTROY, stops timers. The
 * netclient can then be freed (through the selector's deferred free when
 * called from a callback). I/O thread. */
void kafc__netclient_destroy(kafc__netclient_t *nc);

const char *kafc__nc_state_name(kafc__nc_state_t s);

#endif /* KAFC_NET_NETCLIENT_H */
