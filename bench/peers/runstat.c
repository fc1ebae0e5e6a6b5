/*
 * runstat — runs a program and writes what the kernel accounted for it, for
 * bench/compare.
 *
 * usage: runstat STATFILE TIMEOUT_S PROGRAM [ARG]...
 *
 * Forks, execs PROGRAM (stdin/stdout/stderr inherited), waits with wait4()
 * and writes one JSON line to STATFILE: wall_s, user_s, sys_s, maxrss_kb,
 * exit (the exit status, or 128 + signal) and killed (1 when TIMEOUT_S
 * passed and the program got SIGKILL). Exits with the program's status.
 *
 * Why a wrapper: a process's ru_maxrss keeps the resident size of the image
 * it was forked from (the kernel records the old memory's high-water mark at
 * exec), so a program started straight from a Python benchmark driver
 * reports at least the interpreter's RSS. Started from this small process,
 * the floor is this process's size (about 1 MiB).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    kill(child, SIGKILL);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s STATFILE TIMEOUT_S PROGRAM [ARG]...\n", argv[0]);
        return 2;
    }
    int timeout_s = atoi(argv[2]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 127;
    }
    if (child == 0) {
        execv(argv[3], argv + 3);
        fprintf(stderr, "%s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    if (timeout_s > 0)
        alarm((unsigned)timeout_s);

    int status;
    struct rusage ru;
    pid_t got;
    while ((got = wait4(child, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    if (got < 0) {
        perror("wait4");
        return 127;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 127;
    }
    fprintf(f,
            "{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kb\":%ld,\"exit\":%d,"
            "\"killed\":%d}\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            tv_s(ru.ru_utime), tv_s(ru.ru_stime), ru.ru_maxrss, code, (int)timed_out);
    fclose(f);
    return code;
}
