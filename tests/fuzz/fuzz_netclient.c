/*
 * libFuzzer target: arbitrary bytes as a broker's side of a connection.
 *
 * Each input is what a "broker" on a loopback socket writes back after kafc
 * connects: the netclient sends ApiVersions (then maybe v0, then the queued
 * Metadata requests), reads whatever the input holds (frames of any size,
 * wrong correlation ids, undecodable bodies, truncation), and must complete
 * every request exactly once, never read or allocate past its limits, and
 * leave nothing behind. The input ends with the broker closing the socket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netclient.h"
#include "proto/proto.h"
#include "util/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int listen_fd = -1;
static int listen_port;
static kafc__selector_t sel;
static kafc__logger_t lg;

static void init_once(void)
{
    char errstr[128];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(listen_fd, 16) < 0 || getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    listen_port = ntohs(a.sin_port);
    if (kafc__selector_init(&sel, errstr, sizeof(errstr)) != KAFC_ERR_NONE)
        abort();
    kafc__logger_init(&lg, "fuzz", KAFC_LOG_EMERG, 0, NULL, NULL); /* silent */
}

static kafc_err_t md_encode(kafc__request_t *req, int16_t version, kafc__wbuf_t *w)
{
    kafc__metadata_request_t m;
    kafc__metadata_request_init(&m);
    m.topics.count = -1;
    return kafc__metadata_request_encode(&m, version, w);
}

static void md_done(kafc__request_t *req, kafc_err_t err, kafc__rbuf_t *body)
{
    int *done = req->arg;
    (*done)++;
    if (err == KAFC_ERR_NONE && body) {
        kafc__arena_t a;
        kafc__metadata_response_t m;
        kafc__arena_init(&a);
        (void)kafc__metadata_response_decode(&m, req->version, body, &a);
        kafc__arena_destroy(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { NREQ = 3 };
    int done[NREQ] = {0};
    if (listen_fd < 0)
        init_once();

    kafc__nc_config_t cfg = {.client_id = "fuzz",
                             .request_timeout_ms = 1000,
                             .setup_timeout_ms = 1000,
                             .backoff_ms = 10000, /* no reconnect within one input */
                             .backoff_max_ms = 10000,
                             .max_in_flight = 2,
                             .max_frame = 1 << 20};
    kafc__netclient_t nc;
    kafc__netclient_init(&nc, &sel, &lg, "fuzz", "127.0.0.1", listen_port, &cfg, NULL, NULL);
    int64_t deadline = kafc__clock_ms() + 200;
    for (int i = 0; i < NREQ; i++) {
        kafc__request_t *req =
            kafc__request_new(KAFC__API_METADATA, 0, 12, md_encode, md_done, &done[i]);
        if (!req)
            abort();
        req->send_deadline_ms = deadline;
        kafc__netclient_send(&nc, req);
    }

    /* Accept the connection, write the input as the broker's bytes, close. */
    int peer = -1;
    while (peer < 0 && kafc__clock_ms() < deadline) {
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        kafc__selector_run_once(&sel, 0);
        if (poll(&p, 1, 1) == 1)
            peer = accept(listen_fd, NULL, NULL);
    }
    if (peer >= 0) {
        size_t off = 0;
        while (off < size) {
            ssize_t w = send(peer, data + off, size - off, MSG_NOSIGNAL);
            if (w <= 0)
                break;
            off += (size_t)w;
            kafc__selector_run_once(&sel, 0);
        }
        shutdown(peer, SHUT_WR);
    }

    /* Run until the broker's close is seen (or everything completed), then
     * close: what was never sent completes with the close's error. */
    int64_t end = kafc__clock_ms() + 2000;
    while ((done[0] + done[1] + done[2]) < NREQ && nc.state != KAFC__NC_DOWN &&
           kafc__clock_ms() < end) {
        kafc__selector_run_once(&sel, 5);
        if (peer >= 0) { /* drain what kafc sent so its writes never block */
            char sink[4096];
            while (recv(peer, sink, sizeof(sink), MSG_DONTWAIT) > 0)
                ;
        }
    }
    kafc__netclient_close(&nc, KAFC_ERR__DESTROY, "fuzz input over");
    for (int i = 0; i < NREQ; i++)
        if (done[i] != 1) {
            fprintf(stderr, "request %d completed %d times\n", i, done[i]);
            abort();
        }
    kafc__netclient_destroy(&nc);
    if (peer >= 0)
        close(peer);
    /* Timers and deferred frees of this input must not leak into the next. */
    kafc__selector_run_once(&sel, 0);
    return 0;
}
