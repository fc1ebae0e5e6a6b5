/*
 * conn — one broker connection: resolve, connect (every address getaddrinfo
 * returns, in turn), the transport's handshake, then length-prefixed Kafka
 * framing in both directions.
 *
 * Outbound, the owner queues kafc__netbuf_t frames: each is a small iovec
 * list (the encoded size+header+body, plus borrowed payload such as record
 * batches) written with writev, so payload bytes are never copied again.
 * Partial writes resume where they stopped. Inbound, the 4-byte size is read
 * first and checked against receive.message.max.bytes BEFORE any allocation;
 * the body is then read into a buffer of exactly that size and handed to the
 * owner, who takes it.
 *
 * Used only on the I/O thread; no locks. The conn is embedded in its owner
 * (the broker) and reused across reconnects. It borrows the selector.
 */
#ifndef KAFC_NET_CONN_H
#define KAFC_NET_CONN_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kafc/kafc.h"
#include "net/selector.h"
#include "net/transport.h"

#define KAFC__NETBUF_IOV_INLINE 4

/* One outbound frame. Embedded in the owner's request object; the conn
 * borrows it from queueing until on_sent (or close). Its iovecs point at
 * memory the owner keeps alive until then. */
typedef struct kafc__netbuf {
    struct kafc__netbuf *next;
    struct iovec *iov; /* iov_inline, or heap when more are needed */
    int iovcnt;
    int iovcap;
    size_t len;     /* total bytes of all iovs */
    size_t written; /* bytes already written */
    struct iovec iov_inline[KAFC__NETBUF_IOV_INLINE];
} kafc__netbuf_t;

typedef enum kafc__conn_state {
    KAFC__CONN_DOWN = 0,
    KAFC__CONN_CONNECTING, /* TCP connect in progress */
    KAFC__CONN_HANDSHAKE,  /* transport handshake (TLS) */
    KAFC__CONN_UP          /* frames flow */
} kafc__conn_state_t;

typedef struct kafc__conn_cbs {
    /* The transport is up: frames may be sent. */
    void (*on_up)(void *owner);
    /* A whole frame arrived: body (malloc'd, len bytes, without the size
     * prefix) is taken by the owner. */
    void (*on_frame)(void *owner, uint8_t *body, size_t len);
    /* A queued netbuf has been written completely. */
    void (*on_sent)(void *owner, kafc__netbuf_t *nb);
    /* The connection failed or closed (not called for kafc__conn_close()).
     * Queued netbufs are still queued: the owner takes them back with
     * kafc__conn_take_unsent(). */
    void (*on_down)(void *owner, kafc_err_t err, const char *reason);
} kafc__conn_cbs_t;

typedef struct kafc__conn {
    kafc__conn_state_t state;
    kafc__selector_t *sel;
    kafc__io_t io;
    int io_registered;
    kafc__transport_t tp;
    kafc__sockopts_t sockopts;
    int32_t max_frame; /* receive.message.max.bytes */
    const kafc__conn_cbs_t *cbs;
    void *owner;

    char host[256];
    char port[8];
    struct addrinfo *addrs; /* resolved addresses */
    struct addrinfo *cur;   /* the one being tried */
    char addr_str[80];      /* "127.0.0.1:9092" of the current address */
    char last_error[256];   /* first connect error, for the final message */

    kafc__netbuf_t *out_head, *out_tail;

    uint8_t size_buf[4];
    size_t size_have;
    uint8_t *body;
    size_t body_len;
    size_t body_have;

    uint64_t bytes_sent, bytes_received; /* statistics */
} kafc__conn_t;

/* Prepares a conn (state DOWN). host and port are copied. I/O thread. */
void kafc__conn_init(kafc__conn_t *c, kafc__selector_t *sel, const char *host, int port,
                     const kafc__sockopts_t *opts, int32_t max_frame, const kafc__conn_cbs_t *cbs,
                     void *owner);

/* Resolves the host and starts connecting to its first address; later
 * addresses are tried when one fails. Returns KAFC_ERR_NONE when the attempt
 * is under way (on_up or on_down follows), or KAFC_ERR__RESOLVE /
 * KAFC_ERR__TRANSPORT with errstr when it failed at once (no callback).
 * I/O thread. */
kafc_err_t kafc__conn_connect(kafc__conn_t *c, char *errstr, size_t errstr_size);

/* Queues nb for sending (borrowed until on_sent, close, or take_unsent).
 * Writing starts at once when the conn is up. I/O thread. */
void kafc__conn_send(kafc__conn_t *c, kafc__netbuf_t *nb);

/* Closes the socket without calling on_down; returns to DOWN. Queued
 * netbufs stay queued (take them with kafc__conn_take_unsent). The body of
 * a partly read frame is freed. I/O thread. */
void kafc__conn_close(kafc__conn_t *c);

/* Removes and returns the list of netbufs not yet completely written (linked
 * by ->next), oldest first; their written counts are reset. I/O thread. */
kafc__netbuf_t *kafc__conn_take_unsent(kafc__conn_t *c);

/* Frees everything the conn owns (closes it first). I/O thread. */
void kafc__conn_destroy(kafc__conn_t *c);

/* Empties nb (keeping no memory). Any thread. */
void kafc__netbuf_init(kafc__netbuf_t *nb);

/* Appends an iovec (p borrowed) to nb. Returns KAFC_ERR__NO_MEMORY when the
 * iovec list cannot grow. Any thread. */
kafc_err_t kafc__netbuf_add(kafc__netbuf_t *nb, const void *p, size_t len);

/* Frees nb's heap iovec list, if any. Any thread. */
void kafc__netbuf_free(kafc__netbuf_t *nb);

#endif /* KAFC_NET_CONN_H */
