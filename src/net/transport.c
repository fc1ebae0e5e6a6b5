/*
 * transport — see transport.h. Plain TCP.
 */
#include "net/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void kafc__sockaddr_str(const struct sockaddr *addr, char *dst, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(dst, size, "%s:%u", host, ntohs(in->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(dst, size, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        snprintf(dst, size, "(family %d)", addr->sa_family);
    }
}

int kafc__tcp_connect(kafc__transport_t *tp, const struct sockaddr *addr, socklen_t addrlen,
                      const kafc__sockopts_t *opts, char *errstr, size_t errstr_size)
{
    int one = 1;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "socket() failed: %s", strerror(errno));
        return KAFC__IO_ERROR;
    }
    /* Options are best effort: a refused buffer size is not fatal. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (opts && opts->send_buf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opts->send_buf, sizeof(opts->send_buf));
    if (opts && opts->recv_buf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opts->recv_buf, sizeof(opts->recv_buf));
    if (opts && opts->keepalive)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

    tp->ops = &kafc__tcp_ops;
    tp->fd = fd;
    if (connect(fd, addr, addrlen) == 0)
        return 1;
    if (errno == EINPROGRESS)
        return 0;
    snprintf(errstr, errstr_size, "%s", strerror(errno));
    close(fd);
    tp->fd = -1;
    return KAFC__IO_ERROR;
}

int kafc__tcp_connect_result(kafc__transport_t *tp, char *errstr, size_t errstr_size)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(tp->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0)
        return 1;
    snprintf(errstr, errstr_size, "%s", strerror(err));
    return KAFC__IO_ERROR;
}

static int tcp_handshake(kafc__transport_t *tp, uint32_t *want_events, char *errstr,
                         size_t errstr_size)
{
    return 1;
}

static ssize_t tcp_readv(kafc__transport_t *tp, const struct iovec *iov, int iovcnt, char *errstr,
                         size_t errstr_size)
{
    for (;;) {
        ssize_t r = readv(tp->fd, iov, iovcnt);
        if (r > 0)
            return r;
        if (r == 0)
            return KAFC__IO_CLOSED;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return KAFC__IO_AGAIN;
        snprintf(errstr, errstr_size, "receive failed: %s", strerror(errno));
        return KAFC__IO_ERROR;
    }
}

static ssize_t tcp_writev(kafc__transport_t *tp, const struct iovec *iov, int iovcnt, char *errstr,
                          size_t errstr_size)
{
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    for (;;) {
        /* sendmsg with MSG_NOSIGNAL: a closed peer must not raise SIGPIPE in
         * the application. */
        ssize_t r = sendmsg(tp->fd, &msg, MSG_NOSIGNAL);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return KAFC__IO_AGAIN;
        snprintf(errstr, errstr_size, "send failed: %s", strerror(errno));
        return KAFC__IO_ERROR;
    }
}

static void tcp_close(kafc__transport_t *tp)
{
    if (tp->fd >= 0)
        close(tp->fd);
    tp->fd = -1;
}

const kafc__transport_ops_t kafc__tcp_ops = {
    .name = "plaintext",
    .handshake = tcp_handshake,
    .readv = tcp_readv,
    .writev = tcp_writev,
    .close = tcp_close,
};
