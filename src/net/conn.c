/*
 * conn — see conn.h.
 */
#include "net/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define WRITE_IOV_MAX 64

static void on_io(void *arg, uint32_t events);

void kafc__netbuf_init(kafc__netbuf_t *nb)
{
    memset(nb, 0, sizeof(*nb));
    nb->iov = nb->iov_inline;
    nb->iovcap = KAFC__NETBUF_IOV_INLINE;
}

kafc_err_t kafc__netbuf_add(kafc__netbuf_t *nb, const void *p, size_t len)
{
    if (len == 0)
        return KAFC_ERR_NONE;
    if (nb->iovcnt == nb->iovcap) {
        int cap = nb->iovcap * 2;
        struct iovec *iov;
        if (nb->iov == nb->iov_inline) {
            iov = malloc((size_t)cap * sizeof(*iov));
            if (iov)
                memcpy(iov, nb->iov_inline, sizeof(nb->iov_inline));
        } else {
            iov = realloc(nb->iov, (size_t)cap * sizeof(*iov));
        }
        if (!iov)
            return KAFC_ERR__NO_MEMORY;
        nb->iov = iov;
        nb->iovcap = cap;
    }
    nb->iov[nb->iovcnt].iov_base = (void *)p;
    nb->iov[nb->iovcnt].iov_len = len;
    nb->iovcnt++;
    nb->len += len;
    return KAFC_ERR_NONE;
}

void kafc__netbuf_free(kafc__netbuf_t *nb)
{
    if (nb->iov && nb->iov != nb->iov_inline)
        free(nb->iov);
    nb->iov = nb->iov_inline;
    nb->iovcap = KAFC__NETBUF_IOV_INLINE;
    nb->iovcnt = 0;
    nb->len = 0;
}

void kafc__conn_init(kafc__conn_t *c, kafc__selector_t *sel, const char *host, int port,
                     const kafc__sockopts_t *opts, int32_t max_frame, const kafc__conn_cbs_t *cbs,
                     void *owner)
{
    memset(c, 0, sizeof(*c));
    c->sel = sel;
    c->tp.fd = -1;
    c->io.fd = -1;
    if (opts)
        c->sockopts = *opts;
    c->max_frame = max_frame;
    c->cbs = cbs;
    c->owner = owner;
    snprintf(c->host, sizeof(c->host), "%s", host);
    snprintf(c->port, sizeof(c->port), "%d", port);
}

static void release_socket(kafc__conn_t *c)
{
    if (c->io_registered) {
        kafc__selector_del(c->sel, &c->io);
        c->io_registered = 0;
    }
    if (c->tp.fd >= 0 && c->tp.ops)
        c->tp.ops->close(&c->tp);
    c->tp.fd = -1;
    c->io.fd = -1;
    free(c->body);
    c->body = NULL;
    c->body_len = c->body_have = 0;
    c->size_have = 0;
    c->state = KAFC__CONN_DOWN;
}

/* Tears the connection down and tells the owner. */
static void fail(kafc__conn_t *c, kafc_err_t err, const char *reason)
{
    release_socket(c);
    if (c->addrs) {
        freeaddrinfo(c->addrs);
        c->addrs = c->cur = NULL;
    }
    if (c->cbs->on_down)
        c->cbs->on_down(c->owner, err, reason);
}

static int watch(kafc__conn_t *c, uint32_t events)
{
    if (!c->io_registered) {
        if (kafc__selector_add(c->sel, &c->io, c->tp.fd, events, on_io, c) != KAFC_ERR_NONE)
            return -1;
        c->io_registered = 1;
        return 0;
    }
    return kafc__selector_mod(c->sel, &c->io, events) == KAFC_ERR_NONE ? 0 : -1;
}

static uint32_t wanted_events(const kafc__conn_t *c)
{
    return EPOLLIN | (c->out_head ? EPOLLOUT : 0);
}

static void became_up(kafc__conn_t *c)
{
    c->state = KAFC__CONN_UP;
    if (c->addrs) {
        freeaddrinfo(c->addrs);
        c->addrs = c->cur = NULL;
    }
    if (watch(c, wanted_events(c)) < 0) {
        fail(c, KAFC_ERR__TRANSPORT, "epoll registration failed");
        return;
    }
    if (c->cbs->on_up)
        c->cbs->on_up(c->owner);
}

static void start_handshake(kafc__conn_t *c)
{
    char errstr[256];
    uint32_t want = 0;
    c->state = KAFC__CONN_HANDSHAKE;
    int r = c->tp.ops->handshake(&c->tp, &want, errstr, sizeof(errstr));
    if (r == 1) {
        became_up(c);
    } else if (r == 0) {
        if (watch(c, want) < 0)
            fail(c, KAFC_ERR__TRANSPORT, "epoll registration failed");
    } else {
        char reason[400];
        snprintf(reason, sizeof(reason), "%s handshake with %s failed: %s", c->tp.ops->name,
                 c->addr_str, errstr);
        fail(c, KAFC_ERR__TRANSPORT, reason);
    }
}

/* Keeps the first connect error; names the address only when it differs
 * from what the user wrote (a host name, or several addresses). */
static void note_error(kafc__conn_t *c, const char *err)
{
    char given[300];
    if (c->last_error[0])
        return;
    snprintf(given, sizeof(given), "%s:%s", c->host, c->port);
    if (strcmp(given, c->addr_str) == 0)
        snprintf(c->last_error, sizeof(c->last_error), "%s", err);
    else
        snprintf(c->last_error, sizeof(c->last_error), "%s: %s", c->addr_str, err);
}

/* Tries c->cur and the addresses after it until one connects or starts
 * connecting. Returns 0 when under way or up, -1 when every address failed
 * (errstr says why). */
static int try_addresses(kafc__conn_t *c, char *errstr, size_t errstr_size)
{
    for (; c->cur; c->cur = c->cur->ai_next) {
        char err[200];
        kafc__sockaddr_str(c->cur->ai_addr, c->addr_str, sizeof(c->addr_str));
        int r = kafc__tcp_connect(&c->tp, c->cur->ai_addr, c->cur->ai_addrlen, &c->sockopts, err,
                                  sizeof(err));
        if (r == 1) {
            c->io.fd = c->tp.fd;
            start_handshake(c);
            return 0;
        }
        if (r == 0) {
            c->state = KAFC__CONN_CONNECTING;
            c->io.fd = c->tp.fd;
            if (watch(c, EPOLLOUT) < 0) {
                release_socket(c);
                snprintf(errstr, errstr_size, "epoll registration failed");
                return -1;
            }
            return 0;
        }
        note_error(c, err);
    }
    snprintf(errstr, errstr_size, "Connect to %s:%s failed: %s", c->host, c->port,
             c->last_error[0] ? c->last_error : "no address");
    return -1;
}

kafc_err_t kafc__conn_connect(kafc__conn_t *c, char *errstr, size_t errstr_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_protocol = IPPROTO_TCP,
                             .ai_flags = AI_ADDRCONFIG};
    if (c->state != KAFC__CONN_DOWN)
        return KAFC_ERR_NONE;
    if (c->addrs) {
        freeaddrinfo(c->addrs);
        c->addrs = c->cur = NULL;
    }
    c->last_error[0] = '\0';
    /* getaddrinfo blocks; brokers are few and names are usually cached or
     * literal. An asynchronous resolver can replace this call alone. */
    int r = getaddrinfo(c->host, c->port, &hints, &c->addrs);
    if (r == EAI_ADDRFAMILY || r == EAI_NONAME) {
        hints.ai_flags = 0; /* AI_ADDRCONFIG hides loopback-only setups */
        r = getaddrinfo(c->host, c->port, &hints, &c->addrs);
    }
    if (r != 0) {
        snprintf(errstr, errstr_size, "Failed to resolve %s:%s: %s", c->host, c->port,
                 gai_strerror(r));
        c->addrs = NULL;
        return KAFC_ERR__RESOLVE;
    }
    c->cur = c->addrs;
    if (try_addresses(c, errstr, errstr_size) < 0) {
        freeaddrinfo(c->addrs);
        c->addrs = c->cur = NULL;
        return KAFC_ERR__TRANSPORT;
    }
    return KAFC_ERR_NONE;
}

static void connect_progress(kafc__conn_t *c)
{
    char err[200], errstr[400];
    if (kafc__tcp_connect_result(&c->tp, err, sizeof(err)) == 1) {
        start_handshake(c);
        return;
    }
    note_error(c, err);
    release_socket(c);
    c->cur = c->cur->ai_next;
    if (try_addresses(c, errstr, sizeof(errstr)) < 0)
        fail(c, KAFC_ERR__TRANSPORT, errstr);
}

/* Writes as much of the queue as the socket takes. Returns -1 after fail(). */
static int flush_out(kafc__conn_t *c)
{
    char errstr[256];
    while (c->out_head) {
        struct iovec iov[WRITE_IOV_MAX];
        int n = 0;
        for (kafc__netbuf_t *nb = c->out_head; nb && n < WRITE_IOV_MAX; nb = nb->next) {
            size_t skip = nb->written;
            for (int i = 0; i < nb->iovcnt && n < WRITE_IOV_MAX; i++) {
                size_t l = nb->iov[i].iov_len;
                if (skip >= l) {
                    skip -= l;
                    continue;
                }
                iov[n].iov_base = (uint8_t *)nb->iov[i].iov_base + skip;
                iov[n].iov_len = l - skip;
                skip = 0;
                n++;
            }
        }
        ssize_t w = c->tp.ops->writev(&c->tp, iov, n, errstr, sizeof(errstr));
        if (w == KAFC__IO_AGAIN)
            break;
        if (w < 0) {
            char reason[400];
            snprintf(reason, sizeof(reason), "%s: %s", c->addr_str, errstr);
            fail(c, KAFC_ERR__TRANSPORT, reason);
            return -1;
        }
        c->bytes_sent += (uint64_t)w;
        size_t left = (size_t)w;
        while (left > 0 && c->out_head) {
            kafc__netbuf_t *nb = c->out_head;
            size_t need = nb->len - nb->written;
            if (left < need) {
                nb->written += left;
                left = 0;
                break;
            }
            left -= need;
            nb->written = nb->len;
            c->out_head = nb->next;
            if (!c->out_head)
                c->out_tail = NULL;
            nb->next = NULL;
            if (c->cbs->on_sent)
                c->cbs->on_sent(c->owner, nb);
            if (c->state != KAFC__CONN_UP)
                return -1; /* the owner closed us from on_sent */
        }
    }
    if (watch(c, wanted_events(c)) < 0) {
        fail(c, KAFC_ERR__TRANSPORT, "epoll registration failed");
        return -1;
    }
    return 0;
}

/* Reads frames until the socket would block. Returns -1 after fail() or when
 * the owner closed the conn from on_frame. */
static int read_frames(kafc__conn_t *c)
{
    char errstr[256], reason[400];
    /* Bounded per wake-up so one busy connection cannot starve the others. */
    for (int rounds = 0; rounds < 64; rounds++) {
        struct iovec iov;
        if (!c->body) {
            iov.iov_base = c->size_buf + c->size_have;
            iov.iov_len = 4 - c->size_have;
        } else {
            iov.iov_base = c->body + c->body_have;
            iov.iov_len = c->body_len - c->body_have;
        }
        ssize_t r = c->tp.ops->readv(&c->tp, &iov, 1, errstr, sizeof(errstr));
        if (r == KAFC__IO_AGAIN)
            return 0;
        if (r == KAFC__IO_CLOSED) {
            snprintf(reason, sizeof(reason), "%s: connection closed by broker", c->addr_str);
            fail(c, KAFC_ERR__TRANSPORT, reason);
            return -1;
        }
        if (r < 0) {
            snprintf(reason, sizeof(reason), "%s: %s", c->addr_str, errstr);
            fail(c, KAFC_ERR__TRANSPORT, reason);
            return -1;
        }
        c->bytes_received += (uint64_t)r;
        if (!c->body) {
            c->size_have += (size_t)r;
            if (c->size_have < 4)
                continue;
            int32_t size =
                (int32_t)((uint32_t)c->size_buf[0] << 24 | (uint32_t)c->size_buf[1] << 16 |
                          (uint32_t)c->size_buf[2] << 8 | c->size_buf[3]);
            /* Checked before any allocation of that size. */
            if (size < 4 || size > c->max_frame) {
                snprintf(reason, sizeof(reason),
                         "%s: invalid response size %d (receive.message.max.bytes is %d)",
                         c->addr_str, size, c->max_frame);
                fail(c, size < 4 ? KAFC_ERR__BAD_MSG : KAFC_ERR__MSG_SIZE_TOO_LARGE, reason);
                return -1;
            }
            c->body = malloc((size_t)size);
            if (!c->body) {
                fail(c, KAFC_ERR__NO_MEMORY, "out of memory for a response");
                return -1;
            }
            c->body_len = (size_t)size;
            c->body_have = 0;
            continue;
        }
        c->body_have += (size_t)r;
        if (c->body_have < c->body_len)
            continue;
        uint8_t *body = c->body;
        size_t len = c->body_len;
        c->body = NULL;
        c->body_len = c->body_have = 0;
        c->size_have = 0;
        c->cbs->on_frame(c->owner, body, len);
        if (c->state != KAFC__CONN_UP)
            return -1;
    }
    return 0;
}

static void on_io(void *arg, uint32_t events)
{
    kafc__conn_t *c = arg;
    switch (c->state) {
    case KAFC__CONN_CONNECTING:
        connect_progress(c);
        return;
    case KAFC__CONN_HANDSHAKE:
        start_handshake(c);
        return;
    case KAFC__CONN_UP:
        /* Read first: a response can free room for more requests. */
        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && read_frames(c) < 0)
            return;
        if (c->state == KAFC__CONN_UP && c->out_head)
            flush_out(c);
        return;
    case KAFC__CONN_DOWN:
        return;
    }
}

void kafc__conn_send(kafc__conn_t *c, kafc__netbuf_t *nb)
{
    nb->next = NULL;
    nb->written = 0;
    if (c->out_tail)
        c->out_tail->next = nb;
    else
        c->out_head = nb;
    c->out_tail = nb;
    if (c->state == KAFC__CONN_UP && c->out_head == nb)
        flush_out(c);
}

void kafc__conn_close(kafc__conn_t *c)
{
    release_socket(c);
    if (c->addrs) {
        freeaddrinfo(c->addrs);
        c->addrs = c->cur = NULL;
    }
}

kafc__netbuf_t *kafc__conn_take_unsent(kafc__conn_t *c)
{
    kafc__netbuf_t *head = c->out_head;
    for (kafc__netbuf_t *nb = head; nb; nb = nb->next)
        nb->written = 0;
    c->out_head = c->out_tail = NULL;
    return head;
}

void kafc__conn_destroy(kafc__conn_t *c)
{
    kafc__conn_close(c);
    c->out_head = c->out_tail = NULL;
}
