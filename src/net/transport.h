/*
 * transport — the byte stream under a broker connection, behind a small
 * table of operations so TLS (and SASL wrapping) slot in later without
 * changing callers. Today: plain TCP over a non-blocking socket.
 *
 * A transport belongs to one connection and is used only on the I/O thread.
 * It owns its socket fd from a successful connect until close.
 */
#ifndef KAFC_NET_TRANSPORT_H
#define KAFC_NET_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "kafc/kafc.h"

typedef struct kafc__transport kafc__transport_t;

/* Result of a transport I/O call: bytes moved (> 0), or one of these. */
enum {
    KAFC__IO_AGAIN = 0,   /* would block: wait for the socket */
    KAFC__IO_CLOSED = -1, /* peer closed the stream (reads only) */
    KAFC__IO_ERROR = -2   /* error: errstr says which */
};

typedef struct kafc__transport_ops {
    const char *name; /* "plaintext", "ssl" */
    /* Continues the transport's own handshake after TCP connect (TLS).
     * Returns 1 when done, 0 when it must wait (*want_events = EPOLLIN or
     * EPOLLOUT), KAFC__IO_ERROR on failure. */
    int (*handshake)(kafc__transport_t *tp, uint32_t *want_events, char *errstr,
                     size_t errstr_size);
    ssize_t (*readv)(kafc__transport_t *tp, const struct iovec *iov, int iovcnt, char *errstr,
                     size_t errstr_size);
    ssize_t (*writev)(kafc__transport_t *tp, const struct iovec *iov, int iovcnt, char *errstr,
                      size_t errstr_size);
    void (*close)(kafc__transport_t *tp);
} kafc__transport_ops_t;

struct kafc__transport {
    const kafc__transport_ops_t *ops;
    int fd;
};

/* Socket options applied to every new socket. */
typedef struct kafc__sockopts {
    int send_buf;  /* socket.send.buffer.bytes; 0 = system default */
    int recv_buf;  /* socket.receive.buffer.bytes; 0 = system default */
    int keepalive; /* socket.keepalive.enable */
} kafc__sockopts_t;

/* The plain TCP operations. */
extern const kafc__transport_ops_t kafc__tcp_ops;

/* Starts a non-blocking connect to addr with opts applied (TCP_NODELAY is
 * always on). Returns 1 when already connected, 0 when in progress (wait for
 * EPOLLOUT then call kafc__tcp_connect_result), KAFC__IO_ERROR with errstr
 * on failure. On success tp->fd is the new socket. I/O thread. */
int kafc__tcp_connect(kafc__transport_t *tp, const struct sockaddr *addr, socklen_t addrlen,
                      const kafc__sockopts_t *opts, char *errstr, size_t errstr_size);

/* After EPOLLOUT on a connecting socket: 1 connected, KAFC__IO_ERROR with
 * errstr ("Connection refused") otherwise. I/O thread. */
int kafc__tcp_connect_result(kafc__transport_t *tp, char *errstr, size_t errstr_size);

/* Formats addr as "127.0.0.1:9092" or "[::1]:9092". Any thread. */
void kafc__sockaddr_str(const struct sockaddr *addr, char *dst, size_t size);

#endif /* KAFC_NET_TRANSPORT_H */
