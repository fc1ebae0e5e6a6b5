"""Python helper for kafc-test-cluster (librdkafka's mock cluster behind a
line-based control channel), for interop, integration and binding tests.

    from kafc_test_cluster import TestCluster, TestClusterError

    with TestCluster(brokers=3, topics=[("t", 4)]) as tc:
        tc.cmd("leader t 0 2")          # -> "ok"
        addr = tc.broker_addr(2)        # -> "127.0.0.1:PORT"
        client = SomeClient(bootstrap_servers=tc.bootstrap)
        tc.cmd("broker down 2")
        ...

cmd() returns the launcher's whole answer line ("ok" or "ok <value>") and
raises TestClusterError on an "error ..." answer, on a timeout and when the
launcher is gone. Every wait is bounded. The launcher is killed by its pid
(never by name) in stop()/__exit__, also when the test failed; it also dies
with the thread that started it (PR_SET_PDEATHSIG) and exits by itself when
its stdin closes.

The launcher path comes from $KAFC_TEST_CLUSTER_BIN (ctest sets it), else
`kafc-test-cluster` in a build directory next to the source tree, else PATH.
Command syntax: tests/cluster/README.md. Runs in Debian's /usr/bin/python3.
"""

import ctypes
import os
import select
import shutil
import signal
import subprocess
import time

__all__ = ["TestCluster", "TestClusterError", "default_launcher"]

_PR_SET_PDEATHSIG = 1
_STOP_WAIT_S = 5.0


class TestClusterError(RuntimeError):
    """An "error ..." answer, a timeout, or a launcher that went away."""

    __test__ = False  # not a pytest test class

    def __init__(self, message, reply=None):
        super().__init__(message)
        self.reply = reply


def default_launcher():
    """Path of the kafc-test-cluster program to run."""
    env = os.environ.get("KAFC_TEST_CLUSTER_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    for build in ("build", "_build", "cmake-build"):
        cand = os.path.join(root, build, "tests", "cluster", "kafc-test-cluster")
        if os.access(cand, os.X_OK):
            return cand
    found = shutil.which("kafc-test-cluster")
    if found:
        return found
    raise TestClusterError(
        "kafc-test-cluster not found: set KAFC_TEST_CLUSTER_BIN to the launcher built "
        "by CMake (<build>/tests/cluster/kafc-test-cluster)")


def _pdeathsig_preexec():
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec():
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl
            os._exit(127)

    return preexec


class TestCluster:
    """A running kafc-test-cluster. Use as a context manager."""

    __test__ = False  # not a pytest test class

    def __init__(self, brokers=3, topics=(("t", 4),), launcher=None, start_timeout=15.0,
                 extra_args=()):
        """topics: (name, partitions) or (name, partitions, replication) tuples."""
        self.launcher = launcher or default_launcher()
        self.proc = None
        self.bootstrap = None
        self._buf = b""
        self._broken = False
        argv = [self.launcher, "-b", str(int(brokers))]
        for t in topics or ():
            if len(t) not in (2, 3):
                raise ValueError("topic must be (name, partitions[, replication]): %r" % (t,))
            argv += ["-t", ":".join(str(x) for x in t)]
        argv += list(extra_args)
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0, close_fds=True,
                                     preexec_fn=_pdeathsig_preexec())
        try:
            line = self._read_line(time.monotonic() + start_timeout)
            if not line or line.startswith("error") or ":" not in line:
                raise TestClusterError("%s: bad bootstrap line %r" % (" ".join(argv), line))
            self.bootstrap = line
        except BaseException:
            self._kill()
            raise

    # -- context manager ---------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    # -- control channel ---------------------------------------------------
    def _read_line(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._broken = True
                raise TestClusterError("timeout waiting for kafc-test-cluster")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._broken = True
                raise TestClusterError("kafc-test-cluster exited (status %r)"
                                       % self.proc.poll())
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")

    def _write(self, data, deadline):
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                self._broken = True
                raise TestClusterError("timeout sending to kafc-test-cluster")
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
            try:
                n = os.write(fd, view)
            except (BrokenPipeError, OSError) as e:
                self._broken = True
                raise TestClusterError("kafc-test-cluster is gone: %s" % e) from None
            view = view[n:]

    def cmd(self, line, timeout=10.0):
        """Sends one command; returns the "ok ..." answer line, raises
        TestClusterError on an "error ..." answer or a failure."""
        if self.proc is None:
            raise TestClusterError("cluster not running")
        if self._broken:
            raise TestClusterError("control channel broken by an earlier failure")
        if "\n" in line:
            raise ValueError("one command per call, no newline")
        deadline = time.monotonic() + timeout
        self._write((line + "\n").encode(), deadline)
        reply = self._read_line(deadline)
        if reply == "ok" or reply.startswith("ok "):
            return reply
        raise TestClusterError("%r -> %r" % (line, reply), reply)

    def value(self, line, timeout=10.0):
        """cmd() without the leading "ok " (e.g. value("broker addr 2"))."""
        return self.cmd(line, timeout)[3:]

    def broker_addr(self, broker_id):
        return self.value("broker addr %d" % broker_id)

    # -- shutdown ------------------------------------------------------------
    def _kill(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.kill()  # SIGKILL by pid
        except OSError:
            pass
        proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def stop(self):
        """quit, wait up to 5 s, else SIGKILL by pid. Idempotent."""
        proc = self.proc
        if proc is None:
            return
        try:
            if not self._broken and proc.poll() is None:
                try:
                    self._write(b"quit\n", time.monotonic() + 1.0)
                except TestClusterError:
                    pass
            try:
                proc.stdin.close()  # EOF also makes it exit
            except OSError:
                pass
            try:
                proc.wait(timeout=_STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                pass
        finally:
            self._kill()
