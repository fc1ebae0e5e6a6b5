/*
 * Test helper: run kafc-test-cluster (librdkafka's mock cluster behind a
 * line-based control channel) from a C test. Compiled into test executables
 * only (CMake target kafc_test_cluster_helper), never into libkafc.
 *
 * Typical Criterion use:
 *
 *   static kafc_tc_t *tc;
 *   static void up(void)   { tc = kafc_tc_start("-b 3 -t t:4", 10000); cr_assert(tc); }
 *   static void down(void) { kafc_tc_stop(tc); tc = NULL; }
 *   Test(producer, leader_moves, .init = up, .fini = down) {
 *       char r[256];
 *       cr_assert_eq(kafc_tc_cmd(tc, r, sizeof(r), 5000, "leader %s %d %d", "t", 0, 2), 0, "%s",
 * r);
 *       ... connect a client to kafc_tc_bootstrap(tc) ...
 *   }
 *
 * Command syntax: see tests/cluster/README.md or the top of kafc_test_cluster.c.
 *
 * Threads: a handle is for one thread at a time.
 */
#ifndef KAFC_TEST_CLUSTER_H
#define KAFC_TEST_CLUSTER_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kafc_tc_s kafc_tc_t;

/*
 * Starts the launcher (path: KAFC_TEST_CLUSTER_BIN, or the environment
 * variable of the same name when the macro is not defined) with `args`
 * (launcher options separated by blanks, no quoting; NULL or "" for the
 * defaults: 3 brokers, no topics), and waits up to `timeout_ms` for its
 * bootstrap line. The launcher gets SIGKILL when the calling THREAD exits
 * (PR_SET_PDEATHSIG) and exits on its own when its stdin closes.
 * Returns NULL (with a message on stderr) on failure or timeout; nothing is
 * left running then.
 */
kafc_tc_t *kafc_tc_start(const char *args, int timeout_ms);

/* "127.0.0.1:P1,127.0.0.1:P2,..." valid until kafc_tc_stop(). */
const char *kafc_tc_bootstrap(kafc_tc_t *tc);

/* The launcher's process id (or -1). */
pid_t kafc_tc_pid(kafc_tc_t *tc);

/*
 * Sends one command line (printf-style; no newline needed) and waits up to
 * `timeout_ms` for its one answer line. Returns 0 when the answer starts with
 * "ok", -1 otherwise. The answer line (without '\n') is copied to `reply`
 * (may be NULL when `reply_size` is 0); on a local failure (timeout, launcher
 * gone) `reply` gets "error <what happened>". After a timeout the channel is
 * out of step and every later command fails at once.
 */
int kafc_tc_cmd(kafc_tc_t *tc, char *reply, size_t reply_size, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Sends "quit", waits up to 5 s for the launcher to exit, else kill(pid,
 * SIGKILL) and waitpid (by pid only), and releases the pipes and buffers.
 * NULL is a no-op, and so is a second call on a stopped handle: the handle
 * itself stays allocated as a small tombstone (kept reachable from a static
 * list, so leak checkers stay quiet), which makes stop idempotent without
 * any risk of touching freed memory. After stop, kafc_tc_cmd() fails and
 * kafc_tc_bootstrap() returns "".
 */
void kafc_tc_stop(kafc_tc_t *tc);

#ifdef __cplusplus
}
#endif

#endif /* KAFC_TEST_CLUSTER_H */
