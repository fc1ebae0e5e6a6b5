/*
 * cluster.launcher: kafc-test-cluster and its C helper work as documented.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_cluster.h"

#define CMD_TIMEOUT_MS 5000

static kafc_tc_t *tc;

static void cluster_up(void)
{
    tc = kafc_tc_start("-b 3 -t t:4 -t single:1:1", 15000);
    cr_assert_not_null(tc, "could not start %s", KAFC_TEST_CLUSTER_BIN);
}

static void cluster_down(void)
{
    kafc_tc_stop(tc);
    tc = NULL;
}

/* Non-blocking connect to host:port with a bounded wait: 0 connected,
 * otherwise the errno (ECONNREFUSED, ETIMEDOUT, ...). */
static int try_connect(const char *hostport)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    cr_assert_not_null(colon, "no port in '%s'", hostport);
    cr_assert_lt((size_t)(colon - hostport), sizeof(host));
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    cr_assert_eq(inet_pton(AF_INET, host, &sin.sin_addr), 1, "bad host '%s'", host);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    int err = 0;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            socklen_t len = sizeof(err);
            if (poll(&p, 1, 3000) != 1)
                err = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        }
    }
    close(fd);
    return err;
}

/* Splits the bootstrap list into host:port entries; returns the count. */
static int split_bootstrap(const char *list, char out[][64], int max)
{
    char copy[1024], *save = NULL;
    int n = 0;
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        cr_assert_lt(n, max);
        snprintf(out[n++], 64, "%s", t);
    }
    return n;
}

Test(launcher, bootstrap_and_brokers, .init = cluster_up, .fini = cluster_down, .timeout = 60)
{
    char reply[1024], entries[8][64], expect[1100];
    const char *bs = kafc_tc_bootstrap(tc);

    cr_assert_eq(split_bootstrap(bs, entries, 8), 3, "bootstrap '%s'", bs);
    for (int i = 0; i < 3; i++) {
        char host[64];
        int port = 0;
        cr_assert_eq(sscanf(entries[i], "%63[^:]:%d", host, &port), 2, "entry '%s'", entries[i]);
        cr_expect_str_eq(host, "127.0.0.1");
        cr_expect(port > 0 && port < 65536, "port %d", port);
    }

    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "bootstrap"), 0, "%s",
                 reply);
    snprintf(expect, sizeof(expect), "ok %s", bs);
    cr_expect_str_eq(reply, expect);
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), 0);
    cr_expect_str_eq(reply, "ok 1 2 3");

    /* Every broker listens, and "broker addr" names one of them. */
    for (int i = 0; i < 3; i++)
        cr_expect_eq(try_connect(entries[i]), 0, "connect %s: %s", entries[i],
                     strerror(try_connect(entries[i])));
    for (int id = 1; id <= 3; id++) {
        cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "broker addr %d", id), 0,
                     "%s", reply);
        cr_expect(strstr(bs, reply + 3) != NULL, "'%s' not in '%s'", reply + 3, bs);
    }
}

Test(launcher, valid_commands_answer_ok, .init = cluster_up, .fini = cluster_down, .timeout = 60)
{
    static const char *const cmds[] = {
        "bootstrap",
        "brokers",
        "help",
        "apiversions",
        "topic create extra 3",
        "topic create extra2 2 3",
        "topic error extra 3",
        "topic error extra UNKNOWN_TOPIC_OR_PART",
        "topic error extra 0",
        "broker rtt 1 50",
        "broker rtt 1 0",
        "broker rtt all 0",
        "broker rack 2 rack-b",
        "broker down 3",
        "broker up 3",
        "broker down all",
        "broker up all",
        "leader t 0 2",
        "leader t 1 -1",
        "leader t 1 3",
        "follower t 0 3",
        "follower t 0 -1",
        "follower-wmarks t 0 -1 -1",
        "error push 0 NOT_ENOUGH_REPLICAS -195 6",
        "error push 3 _TRANSPORT",
        "error clear 0",
        "error clear 3",
        "error push-broker 2 0 6:100 0:50",
        "error push-broker 2 0 ERR_NOT_ENOUGH_REPLICAS:0",
        "coordinator group g1 2",
        "coordinator txn tx1 3",
        "apiversion 0 3 7",
        "apiversion 1 4 11",
        "apiversion 28 -1 -1",
    };
    char reply[1024];
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        int rc = kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "%s", cmds[i]);
        cr_expect_eq(rc, 0, "'%s' -> '%s'", cmds[i], reply);
        cr_expect(strncmp(reply, "ok", 2) == 0, "'%s' -> '%s'", cmds[i], reply);
    }

    /* Values answered by the commands. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "error count 2 0"), 0);
    cr_expect_str_eq(reply, "ok 3");
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "apiversions"), 0);
    cr_expect(strstr(reply, " 0:3-7 ") != NULL, "%s", reply);
    cr_expect(strstr(reply, " 1:4-11 ") != NULL, "%s", reply);
    cr_expect(strstr(reply, " 28:-1--1") != NULL, "%s", reply);
}

Test(launcher, bad_commands_answer_error, .init = cluster_up, .fini = cluster_down, .timeout = 60)
{
    static const char *const cmds[] = {
        "frobnicate",
        "Bootstrap",
        "bootstrap now",
        "brokers 1",
        "broker",
        "broker explode 1",
        "broker down",
        "broker down 0",
        "broker down 4",
        "broker down 99",
        "broker down -1",
        "broker down 1x",
        "broker down 1 2",
        "broker up 99",
        "broker rtt 1",
        "broker rtt 1 -5",
        "broker rtt 1 5ms",
        "broker rtt 1 +5",
        "broker rtt 1 99999999999999999999",
        "broker addr all",
        "topic",
        "topic create",
        "topic create x",
        "topic create x 0",
        "topic create x -1",
        "topic create x 3 4",
        "topic create x 3 0",
        "topic create x three",
        "topic create b@d 3",
        "topic create t 4", /* exists */
        "topic error t",
        "topic error t NOT_A_CODE",
        "topic error t 99999",
        "leader t 0",
        "leader t 0 99",
        "leader t 0 0",
        "leader t x 1",
        "leader t -1 1",
        "leader t 9 1", /* t has 4 partitions */
        "follower t 0 99",
        "follower-wmarks t 0 5",
        "error",
        "error push",
        "error push 0",
        "error push x 6",
        "error push -1 6",
        "error push 0 6 bogus",
        "error push 0 12345",
        "error push-broker 2 0",
        "error push-broker 99 0 6:0",
        "error push-broker 2 0 6",
        "error push-broker 2 0 6:x",
        "error push-broker 2 0 bogus:10",
        "error clear",
        "error count 99 0",
        "coordinator group g1 99",
        "coordinator txn tx1 0",
        "coordinator txn tx1 -1",
        "coordinator cluster g1 1",
        "coordinator group g1",
        "apiversion 0 0",
        "apiversion 0 0 8",  /* above what the mock implements */
        "apiversion 99 0 1", /* not implemented at all */
        "apiversion 0 5 3",
        "apiversion 0 -1 3",
        "apiversion 0 a b",
        "quit now",
    };
    char reply[1024];
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        int rc = kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "%s", cmds[i]);
        cr_expect_eq(rc, -1, "'%s' -> '%s'", cmds[i], reply);
        cr_expect(strncmp(reply, "error ", 6) == 0, "'%s' -> '%s'", cmds[i], reply);
    }
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "frobnicate 1"), -1);
    cr_expect_str_eq(reply, "error unknown command 'frobnicate'");

    /* The launcher is still healthy after all that. */
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), 0, "%s", reply);
    cr_expect_str_eq(reply, "ok 1 2 3");
}

Test(launcher, broker_down_refuses_connections, .init = cluster_up, .fini = cluster_down,
     .timeout = 60)
{
    char reply[256], addr[256];
    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "broker addr 2"), 0);
    snprintf(addr, sizeof(addr), "%s", reply + 3);
    cr_assert_eq(try_connect(addr), 0);

    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "broker down 2"), 0);
    /* The mock closes the listener: connecting is refused at once. */
    cr_expect_eq(try_connect(addr), ECONNREFUSED, "%s", strerror(try_connect(addr)));

    cr_assert_eq(kafc_tc_cmd(tc, reply, sizeof(reply), CMD_TIMEOUT_MS, "broker up 2"), 0);
    cr_expect_eq(try_connect(addr), 0, "%s", strerror(try_connect(addr)));
}

Test(launcher, stop_is_idempotent_and_reaps, .timeout = 60)
{
    char reply[256];
    kafc_tc_stop(NULL);

    kafc_tc_t *c = kafc_tc_start(NULL, 15000);
    cr_assert_not_null(c);
    pid_t pid = kafc_tc_pid(c);
    cr_assert_gt(pid, 0);
    cr_expect_eq(kafc_tc_cmd(c, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), 0);
    cr_expect_str_eq(reply, "ok 1 2 3");

    kafc_tc_stop(c);
    /* Reaped: the pid is no longer our child. */
    cr_expect_eq(kill(pid, 0), -1);
    cr_expect_eq(errno, ESRCH);
    kafc_tc_stop(c); /* no-op */
    cr_expect_eq(kafc_tc_cmd(c, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), -1);
    cr_expect(strncmp(reply, "error", 5) == 0, "%s", reply);
    cr_expect_str_eq(kafc_tc_bootstrap(c), "");
}

Test(launcher, quit_command_ends_the_launcher, .timeout = 60)
{
    char reply[256];
    kafc_tc_t *c = kafc_tc_start("-b 1", 15000);
    cr_assert_not_null(c);
    cr_expect_eq(kafc_tc_cmd(c, reply, sizeof(reply), CMD_TIMEOUT_MS, "quit"), 0, "%s", reply);
    /* It is gone: the next command sees the channel closed, not a hang. */
    cr_expect_eq(kafc_tc_cmd(c, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), -1);
    cr_expect(strncmp(reply, "error", 5) == 0, "%s", reply);
    kafc_tc_stop(c);
}

Test(launcher, sigterm_ends_the_launcher, .timeout = 60)
{
    char reply[256];
    kafc_tc_t *c = kafc_tc_start("-b 2", 15000);
    cr_assert_not_null(c);
    cr_assert_eq(kill(kafc_tc_pid(c), SIGTERM), 0);
    /* Depending on timing the write fails (EPIPE) or the read sees EOF; it
     * must not hang nor kill the test with SIGPIPE. */
    cr_expect_eq(kafc_tc_cmd(c, reply, sizeof(reply), CMD_TIMEOUT_MS, "brokers"), -1);
    cr_expect(strncmp(reply, "error", 5) == 0, "%s", reply);
    kafc_tc_stop(c);
}

Test(launcher, bad_launcher_arguments_fail_start, .timeout = 60)
{
    cr_expect_null(kafc_tc_start("-b 0", 15000));
    cr_expect_null(kafc_tc_start("-t t:0", 15000));
    cr_expect_null(kafc_tc_start("-b 2 -t t:4:3", 15000));
    cr_expect_null(kafc_tc_start("--no-such-option", 15000));
}
