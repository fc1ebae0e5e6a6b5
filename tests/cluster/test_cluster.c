/*
 * Test helper: start kafc-test-cluster as a child process and talk to it over
 * pipes (see test_cluster.h). Test-only code.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TC_MAX_ARGS 64
#define TC_LINE_MAX 8192
#define TC_STOP_WAIT_MS 5000
#define TC_DEFAULT_TIMEOUT_MS 5000

struct kafc_tc_s {
    struct kafc_tc_s *next_stopped; /* tombstone list (see kafc_tc_stop) */
    bool stopped;
    bool broken; /* channel out of step or launcher gone: commands fail */
    pid_t pid;
    int to_fd;   /* launcher's stdin */
    int from_fd; /* launcher's stdout */
    char *bootstrap;
    char *rbuf; /* TC_LINE_MAX bytes: received, not yet consumed */
    size_t rlen;
};

/* Stopped handles stay here: reachable (no leak reports), never freed, so a
 * second kafc_tc_stop() on the same pointer is a safe no-op. */
static struct kafc_tc_s *stopped_list;
static pthread_mutex_t stopped_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_reply(char *reply, size_t reply_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_reply(char *reply, size_t reply_size, const char *fmt, ...)
{
    if (!reply || reply_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reply, reply_size, fmt, ap);
    va_end(ap);
}

/* Writes all of buf to the non-blocking fd before the deadline. SIGPIPE is
 * blocked for this thread meanwhile (a dead launcher gives EPIPE, not a
 * signal that kills the test) and any SIGPIPE it raised is consumed. */
static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);

    int rc = 0;
    bool got_epipe = false;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            int64_t left = deadline - tc_now_ms();
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR)) {
                rc = -1;
                break;
            }
            continue;
        }
        got_epipe = n < 0 && errno == EPIPE;
        rc = -1;
        break;
    }

    if (got_epipe && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* Reads one line (without '\n') into out before the deadline.
 * Returns 0, or -1 with `why` set ("timeout", "eof", ...). */
static int read_line(kafc_tc_t *tc, char *out, size_t out_size, int64_t deadline, const char **why)
{
    for (;;) {
        char *nl = memchr(tc->rbuf, '\n', tc->rlen);
        if (nl) {
            size_t n = (size_t)(nl - tc->rbuf);
            if (out && out_size > 0) {
                size_t c = n < out_size - 1 ? n : out_size - 1;
                memcpy(out, tc->rbuf, c);
                out[c] = '\0';
            }
            tc->rlen -= n + 1;
            memmove(tc->rbuf, nl + 1, tc->rlen);
            return 0;
        }
        if (tc->rlen == TC_LINE_MAX) {
            *why = "reply line too long";
            return -1;
        }
        int64_t left = deadline - tc_now_ms();
        if (left <= 0) {
            *why = "timeout waiting for the launcher";
            return -1;
        }
        struct pollfd p = {.fd = tc->from_fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR) {
            *why = "poll failed";
            return -1;
        }
        if (r <= 0)
            continue;
        ssize_t n = read(tc->from_fd, tc->rbuf + tc->rlen, TC_LINE_MAX - tc->rlen);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            *why = "launcher exited";
            return -1;
        }
        tc->rlen += (size_t)n;
    }
}

static const char *launcher_path(void)
{
    const char *env = getenv("KAFC_TEST_CLUSTER_BIN");
    if (env && *env)
        return env;
#ifdef KAFC_TEST_CLUSTER_BIN
    return KAFC_TEST_CLUSTER_BIN;
#else
    return "kafc-test-cluster";
#endif
}

/* Reaps the child: waits up to wait_ms for it to exit, then SIGKILL + wait. */
static void reap(pid_t pid, int from_fd, int wait_ms)
{
    int64_t deadline = tc_now_ms() + wait_ms;
    bool eof = from_fd < 0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return; /* exited (or not our child any more) */
        int64_t left = deadline - tc_now_ms();
        if (left <= 0)
            break;
        /* Nap until output/EOF arrives or 10 ms pass (exit is polled). */
        struct pollfd p = {.fd = eof ? -1 : from_fd, .events = POLLIN};
        if (poll(&p, 1, left < 10 ? (int)left : 10) > 0) {
            char sink[512];
            ssize_t n = read(from_fd, sink, sizeof(sink));
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                eof = true;
        }
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

kafc_tc_t *kafc_tc_start(const char *args, int timeout_ms)
{
    if (timeout_ms <= 0)
        timeout_ms = TC_DEFAULT_TIMEOUT_MS;
    int64_t deadline = tc_now_ms() + timeout_ms;
    const char *bin = launcher_path();

    /* Everything the child needs is prepared before fork (no malloc there). */
    char *argbuf = strdup(args ? args : "");
    char *argv[TC_MAX_ARGS + 2];
    int argc = 0;
    kafc_tc_t *tc = calloc(1, sizeof(*tc));
    char *rbuf = malloc(TC_LINE_MAX);
    if (!argbuf || !tc || !rbuf) {
        free(argbuf);
        free(tc);
        free(rbuf);
        return NULL;
    }
    tc->rbuf = rbuf;
    argv[argc++] = (char *)bin;
    char *save = NULL;
    for (char *t = strtok_r(argbuf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        if (argc == TC_MAX_ARGS + 1) {
            fprintf(stderr, "kafc_tc_start: too many launcher arguments\n");
            free(argbuf);
            free(tc->rbuf);
            free(tc);
            return NULL;
        }
        argv[argc++] = t;
    }
    argv[argc] = NULL;

    int to[2] = {-1, -1}, from[2] = {-1, -1};
    if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) {
        fprintf(stderr, "kafc_tc_start: pipe2: %s\n", strerror(errno));
        goto fail_fds;
    }

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kafc_tc_start: fork: %s\n", strerror(errno));
        goto fail_fds;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. Die with the forking thread. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(to[0], STDIN_FILENO) < 0 || dup2(from[1], STDOUT_FILENO) < 0)
            _exit(127);
        /* dup2 onto itself keeps FD_CLOEXEC: clear it explicitly. */
        fcntl(STDIN_FILENO, F_SETFD, 0);
        fcntl(STDOUT_FILENO, F_SETFD, 0);
        /* Leave no other descriptor of the test (e.g. a test runner's pipes)
         * open in the launcher. */
#ifdef SYS_close_range
        if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        {
            long max = sysconf(_SC_OPEN_MAX);
            if (max < 0 || max > 65536)
                max = 65536;
            for (int fd = 3; fd < max; fd++)
                close(fd);
        }
        execv(bin, argv);
        _exit(127);
    }

    close(to[0]);
    close(from[1]);
    tc->pid = pid;
    tc->to_fd = to[1];
    tc->from_fd = from[0];
    fcntl(tc->to_fd, F_SETFL, fcntl(tc->to_fd, F_GETFL) | O_NONBLOCK);
    fcntl(tc->from_fd, F_SETFL, fcntl(tc->from_fd, F_GETFL) | O_NONBLOCK);
    free(argbuf);

    char line[TC_LINE_MAX];
    const char *why = NULL;
    if (read_line(tc, line, sizeof(line), deadline, &why) < 0 || line[0] == '\0' ||
        strncmp(line, "error", 5) == 0 || !strchr(line, ':')) {
        fprintf(stderr, "kafc_tc_start: %s %s: %s%s\n", bin, args ? args : "",
                why ? why : "bad bootstrap line: ", why ? "" : line);
        close(tc->to_fd); /* EOF on its stdin makes it exit */
        kill(pid, SIGKILL);
        reap(pid, -1, 0);
        close(tc->from_fd);
        free(tc->rbuf);
        free(tc);
        return NULL;
    }
    tc->bootstrap = strdup(line);
    if (!tc->bootstrap) {
        tc->broken = true;
        kafc_tc_stop(tc);
        return NULL;
    }
    return tc;

fail_fds:
    for (int i = 0; i < 2; i++) {
        if (to[i] >= 0)
            close(to[i]);
        if (from[i] >= 0)
            close(from[i]);
    }
    free(argbuf);
    free(tc->rbuf);
    free(tc);
    return NULL;
}

const char *kafc_tc_bootstrap(kafc_tc_t *tc)
{
    return tc && !tc->stopped && tc->bootstrap ? tc->bootstrap : "";
}

pid_t kafc_tc_pid(kafc_tc_t *tc)
{
    return tc && !tc->stopped ? tc->pid : -1;
}

int kafc_tc_cmd(kafc_tc_t *tc, char *reply, size_t reply_size, int timeout_ms, const char *fmt, ...)
{
    char line[TC_LINE_MAX];
    const char *why = NULL;

    set_reply(reply, reply_size, "%s", "");
    if (!tc || tc->stopped) {
        set_reply(reply, reply_size, "error cluster not running");
        return -1;
    }
    if (tc->broken) {
        set_reply(reply, reply_size, "error control channel broken by an earlier failure");
        return -1;
    }
    if (timeout_ms <= 0)
        timeout_ms = TC_DEFAULT_TIMEOUT_MS;
    int64_t deadline = tc_now_ms() + timeout_ms;

    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line) - 1 || memchr(line, '\n', (size_t)n)) {
        set_reply(reply, reply_size, "error command too long or contains a newline");
        return -1;
    }
    line[n++] = '\n';
    if (write_all(tc->to_fd, line, (size_t)n, deadline) < 0) {
        tc->broken = true;
        set_reply(reply, reply_size, "error could not send the command (launcher gone?)");
        return -1;
    }
    if (read_line(tc, line, sizeof(line), deadline, &why) < 0) {
        tc->broken = true;
        set_reply(reply, reply_size, "error %s", why);
        return -1;
    }
    set_reply(reply, reply_size, "%s", line);
    return strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' ') ? 0 : -1;
}

void kafc_tc_stop(kafc_tc_t *tc)
{
    if (!tc || tc->stopped)
        return;
    if (tc->pid > 0) {
        if (!tc->broken)
            write_all(tc->to_fd, "quit\n", 5, tc_now_ms() + 1000);
        /* Closing its stdin makes it exit even if "quit" was not read. */
        close(tc->to_fd);
        tc->to_fd = -1;
        reap(tc->pid, tc->from_fd, TC_STOP_WAIT_MS);
    }
    if (tc->to_fd >= 0)
        close(tc->to_fd);
    if (tc->from_fd >= 0)
        close(tc->from_fd);
    free(tc->bootstrap);
    free(tc->rbuf);
    tc->bootstrap = NULL;
    tc->rbuf = NULL;
    tc->rlen = 0;
    tc->to_fd = tc->from_fd = -1;
    tc->pid = -1;
    tc->stopped = true;

    pthread_mutex_lock(&stopped_lock);
    tc->next_stopped = stopped_list;
    stopped_list = tc;
    pthread_mutex_unlock(&stopped_lock);
}
