"""interop.consumer_*: what independent clients write, read by kafc's
consumer and compared byte for byte; kafc and kafka-python sharing a group;
committed offsets handed between them.

  test_compression[codec]   (ctest interop.consumer_compression)
      For each codec (none, gzip, snappy, lz4, zstd) a fresh kafc-test-cluster
      gets two topics: "kc" filled by kcat -P (keys via -K:, null keys and
      null values via -Z, headers via -H incl. a null value and a binary one,
      values with every byte but '\\n' and ':'), "kp" filled by kafka-python's
      KafkaProducer (compression_type, keys incl. null/empty/binary, values
      incl. null/empty/all 256 byte values/30 KB, headers incl. repeated and
      non-ASCII names, explicit non-monotonic timestamp_ms). A raw Fetch
      checks that the stored batches do carry the codec. consume_tool (kafc's
      public API, one JSON line per message, hex bytes) reads both topics by
      manual assignment; every record must equal the producer's input (and,
      for kcat's topic, what kafka-python's consumer reads: timestamps
      included) at the same partition/offset, each exactly once. "kp" is read
      a second time with tiny fetch sizes (partial batches in responses).

  test_group[...]           (ctest interop.consumer_group)
      A kafc consumer (kafc-consumer example, else consume_tool, with
      partition.assignment.strategy=range) and a kafka-python KafkaConsumer
      (RangePartitionAssignor only: the mock aborts when members list
      protocols differently) join one group on a 6-partition topic; run
      twice, each client joining first once (the first member to join leads
      the group and computes the assignment; its JoinGroup answer is delayed
      so that the follower syncs first, as the mock needs: see test_group).
      Messages are produced once both hold their partitions. They must split
      the partitions 3/3 without overlap and together consume every message
      exactly once, kafc in offset order.

  test_commit_*             (ctest interop.consumer_commit)
      kafc consumes part of a topic in a group and exits (auto-commit on
      close); kafka-python's committed() shows the positions kafc reached and
      a kafka-python consumer of the group resumes there. Reverse:
      kafka-python commits offsets for a group, a new kafc member resumes at
      exactly those offsets, and its own commit on close is what
      kafka-python then sees.

kafc's stderr (with -X debug=cgrp,fetch in the group tests) is shown when a
check fails. Run with Debian's interpreter: /usr/bin/python3 -m pytest -q
this_file (ctest sets KAFC_TEST_CLUSTER_BIN, KAFC_CONSUME_TOOL,
KAFC_CONSUMER_BIN and PYTHONPATH).
"""

import json
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.structs import OffsetAndMetadata

from kafc_test_cluster import TestCluster

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
BROKERS = 3
PARTS = 4
LEADERS = {0: 1, 1: 2, 2: 3, 3: 1}
PRODUCER_API = (2, 1, 0)  # Produce v7 (zstd needs >= 2.1); the mock has Produce 0-7
CONSUMER_API = (2, 0, 0)  # Fetch v4, Metadata v1, OffsetFetch/Commit <= v3: all in the mock
BASE_TS = 1600000000000
KAFC_TS_CREATE = 1


def _here_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(os.path.dirname(here))


def consume_tool():
    path = os.environ.get("KAFC_CONSUME_TOOL") or os.path.join(
        _here_root(), "build", "tests", "interop", "consume_tool")
    if not os.access(path, os.X_OK):
        pytest.fail("consume_tool not found: set KAFC_CONSUME_TOOL (ctest does)")
    return path


def kafc_consumer_bin():
    """The kafc-consumer example when built, else None (consume_tool is used)."""
    path = os.environ.get("KAFC_CONSUMER_BIN")
    return path if path and os.access(path, os.X_OK) else None


# ---- decoding consume_tool's output ---------------------------------------------

def _unhex(s):
    return None if s is None else bytes.fromhex(s)


def parse_tool_lines(lines):
    """consume_tool JSON lines -> (messages, events). Messages as dicts
    partition, offset, key, value, headers [(str, bytes|None)], ts, tstype."""
    msgs, events = [], []
    for line in lines:
        if not line.strip():
            continue
        j = json.loads(line)
        if j["type"] != "msg":
            events.append(j)
            continue
        assert isinstance(j["headers"], list), "kafc headers: %r" % (j["headers"],)
        headers = []
        for h in j["headers"]:
            assert isinstance(h, list), "kafc_headers_get failed: %r" % (j,)
            headers.append((_unhex(h[0]).decode("utf-8"), _unhex(h[1])))
        msgs.append({"topic": j["topic"], "partition": j["partition"], "offset": j["offset"],
                     "key": _unhex(j["key"]), "value": _unhex(j["value"]),
                     "headers": headers, "ts": j["ts"], "tstype": j["tstype"]})
    return msgs, events


def run_consume_tool(tc, topics, nparts, extra=(), timeout=30):
    argv = [consume_tool(), "-b", tc.bootstrap, "-a", str(nparts), "-e",
            "-w", str(int(timeout * 1000)), "-X", "fetch.max.wait.ms=100"]
    for t in topics:
        argv += ["-t", t]
    for kv in extra:
        argv += ["-X", kv]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout + 20)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, "consume_tool exit %d: %s" % (proc.returncode, err[-3000:])
    msgs, events = parse_tool_lines(proc.stdout.decode().split("\n"))
    errors = [e for e in events if e["type"] == "error"]
    assert not errors, "kafc reported errors: %r" % errors[:5]
    return msgs


# ---- the kafka-python producer's spec ---------------------------------------------

KP_COUNT = 400


def kp_key(i):
    if i % 10 == 0:
        return None
    if i % 23 == 7:
        return b""
    return b"k%d-" % i + bytes([i % 256, 0, 255, 10])


def kp_value(i):
    if i % 17 == 16 and kp_key(i) is not None:
        return None
    if i % 7 == 3:
        return b""
    if i % 50 == 25:
        return bytes((i + j * 13) & 0xFF for j in range(30000))
    if i % 5 == 1:
        return bytes(range(256)) * (1 + i % 3)
    return b"v%d " % i + bytes((i * j + 7) & 0xFF for j in range(i % 200))


def kp_headers(i):
    kind = i % 4
    if kind == 0:
        return []
    if kind == 1:
        return [("h1", b"v%d" % i)]
    if kind == 2:
        return [("a", b"1"), ("dup", b"x"), ("dup", b"y"), ("bin", bytes(range(256))),
                ("empty", b""), ("n\u00e4me-\u00fc", "\u00fc\u20ac".encode())]
    return [("dup", b"%d" % (i + k)) for k in range(3)]


def kp_ts(i):
    # explicit, and not monotonic inside a batch (negative timestamp deltas)
    return BASE_TS + (i * 7919) % 100000


def kp_partition(i):
    return i % PARTS


def produce_kafka_python(tc, topic, codec):
    producer = KafkaProducer(bootstrap_servers=tc.bootstrap, api_version=PRODUCER_API,
                             compression_type=None if codec == "none" else codec,
                             linger_ms=50, batch_size=64 * 1024, acks=-1,
                             max_in_flight_requests_per_connection=1,
                             request_timeout_ms=15000)
    try:
        futures = [producer.send(topic, key=kp_key(i), value=kp_value(i),
                                 headers=kp_headers(i), partition=kp_partition(i),
                                 timestamp_ms=kp_ts(i))
                   for i in range(KP_COUNT)]
        producer.flush(timeout=30)
        placed = {}
        for i, f in enumerate(futures):
            md = f.get(timeout=10)
            placed[(md.partition, md.offset)] = i
    finally:
        producer.close(timeout=10)
    # one producer, one in flight: offsets in production order from 0
    for p in range(PARTS):
        ids = [placed[(p, o)] for o in sorted(o for (pp, o) in placed if pp == p)]
        assert ids == [i for i in range(KP_COUNT) if kp_partition(i) == p]
    return placed


# ---- the kcat producer's input --------------------------------------------------

KC_COUNT = 300
# -H headers on every kcat message: repeated name, null value (-H name
# without '='), empty value, a value with every byte but NUL (argv)
KC_HEADERS = [("h1", b"v1"), ("nul", None), ("e", b""), ("h1", b"v=2"),
              ("bin", bytes(range(1, 256)))]
KC_VALUE_BYTES = bytes(b for b in range(256) if b not in (0x0A, 0x3A))  # not '\n' ':'


def kc_message(i):
    """(key, value) kcat -K: -Z sends for line i. No key delimiter -> null
    key; an empty value -> null (-Z). Values carry their index."""
    if i % 10 == 0:
        return None, b"nokey%d " % i + KC_VALUE_BYTES[(i % 50):]
    if i % 17 == 16:
        return b"k%d" % i, None
    return b"k%d" % i, b"v%d:" % i + KC_VALUE_BYTES[: (i * 37) % len(KC_VALUE_BYTES)]


def kc_line(i):
    key, value = kc_message(i)
    if key is None:
        return value
    return key + b":" + (value or b"")


def produce_kcat(tc, topic, codec):
    data = b"".join(kc_line(i) + b"\n" for i in range(KC_COUNT))
    argv = [b"kcat", b"-P", b"-b", tc.bootstrap.encode(), b"-t", topic.encode(), b"-K:", b"-Z",
            b"-X", b"compression.codec=" + codec.encode(), b"-X", b"linger.ms=50"]
    for name, value in KC_HEADERS:
        argv += [b"-H", name.encode() + (b"" if value is None else b"=" + value)]
    t0 = int(time.time() * 1000)
    proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60)
    t1 = int(time.time() * 1000)
    assert proc.returncode == 0, "kcat -P: %s" % proc.stderr.decode(errors="replace")
    return t0, t1


def read_kafka_python(tc, topic, nparts, count, timeout=30):
    consumer = KafkaConsumer(bootstrap_servers=tc.bootstrap, api_version=CONSUMER_API,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=None, fetch_max_wait_ms=100, check_crcs=True,
                             request_timeout_ms=15000)
    out = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(nparts)])
        consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                for m in records:
                    out.append({"partition": m.partition, "offset": m.offset, "key": m.key,
                                "value": m.value, "headers": list(m.headers),
                                "ts": m.timestamp, "tstype": m.timestamp_type + 1})
    finally:
        consumer.close()
    assert len(out) == count, "kafka-python read %d of %d" % (len(out), count)
    return out


# ---- raw Fetch: which codec the stored batches carry --------------------------------

def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def stored_batch_codecs(tc, topic, partition):
    """Codec attribute of every record batch in the partition (Fetch v4)."""
    host, port = tc.broker_addr(LEADERS[partition]).rsplit(":", 1)
    codecs, offset, corr = [], 0, 0
    deadline = time.monotonic() + 20
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.settimeout(10)
        while True:
            assert time.monotonic() < deadline, "raw fetch took too long"
            corr += 1
            t = topic.encode()
            req = struct.pack(">hhih", 1, 4, corr, 3) + b"raw"
            req += struct.pack(">iiiib", -1, 100, 1, 8 << 20, 0)
            req += struct.pack(">ih", 1, len(t)) + t
            req += struct.pack(">iiqi", 1, partition, offset, 8 << 20)
            sock.sendall(struct.pack(">i", len(req)) + req)
            resp = _recv_exact(sock, struct.unpack(">i", _recv_exact(sock, 4))[0])
            pos = 12 + 2 + len(t) + 4  # corr, throttle, ntopics, name, nparts
            _p, err, hw, _lso, nab = struct.unpack_from(">ihqqi", resp, pos)
            assert err == 0, "raw fetch %s/%d: error %d" % (topic, partition, err)
            pos += 4 + 2 + 8 + 8 + 4 + max(nab, 0) * 16
            (rlen,) = struct.unpack_from(">i", resp, pos)
            data = resp[pos + 4:pos + 4 + max(rlen, 0)]
            progressed = False
            i = 0
            while i + 61 <= len(data):
                base, blen = struct.unpack_from(">qi", data, i)
                if i + 12 + blen > len(data):
                    break
                attrs, last_delta = struct.unpack_from(">hi", data, i + 21)
                if base + last_delta >= offset:
                    codecs.append(attrs & 7)
                    offset = base + last_delta + 1
                    progressed = True
                i += 12 + blen
            if offset >= hw:
                return codecs
            assert progressed, "raw fetch %s/%d: no progress at %d" % (topic, partition, offset)


# ---- comparing ------------------------------------------------------------------

def fmt_rec(r):
    return "p%s o%s key=%.60r value=%.60r (len %s) headers=%.200r ts=%r tstype=%r" % (
        r["partition"], r["offset"], r["key"], r["value"],
        None if r["value"] is None else len(r["value"]), r["headers"], r["ts"], r["tstype"])


def by_position(reader, records):
    out = {}
    for r in records:
        where = (r["partition"], r["offset"])
        assert where not in out, "%s: %s delivered twice" % (reader, where)
        out[where] = r
    return out


FIELDS = ("key", "value", "headers", "ts", "tstype")


def assert_same(what, got, want):
    """got/want: {(partition, offset): record}."""
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing, "%s: %d records missing, first %r" % (what, len(missing), missing[:10])
    assert not extra, "%s: %d unexpected records, first %r" % (what, len(extra), extra[:10])
    for where in sorted(want):
        g, w = got[where], want[where]
        for f in FIELDS:
            assert g[f] == w[f], "%s: %s differs at %s:\n got  %s\n want %s" % (
                what, f, where, fmt_rec(g), fmt_rec(w))


def kp_expected(placed):
    return {where: {"partition": where[0], "offset": where[1], "key": kp_key(i),
                    "value": kp_value(i), "headers": kp_headers(i), "ts": kp_ts(i),
                    "tstype": KAFC_TS_CREATE}
            for where, i in placed.items()}


def check_kcat_input(records, t0, t1):
    """kafka-python's view of the kcat topic is kcat's input, per partition
    in input order, with CreateTime timestamps from the time kcat ran."""
    seen = {}
    for where, r in sorted(records.items()):
        if r["value"] is not None:
            tag = r["value"].split(b" ", 1)[0] if r["key"] is None else \
                r["value"].split(b":", 1)[0]
            i = int(tag[5:] if r["key"] is None else tag[1:])
        else:
            i = int(r["key"][1:])
        assert i not in seen, "kcat message %d stored twice (%s, %s)" % (i, seen[i], where)
        seen[i] = where
        key, value = kc_message(i)
        assert (r["key"], r["value"]) == (key, value), "kcat message %d: %s" % (i, fmt_rec(r))
        assert r["headers"] == KC_HEADERS, "kcat message %d headers %r" % (i, r["headers"])
        assert r["tstype"] == KAFC_TS_CREATE and t0 - 5000 <= r["ts"] <= t1 + 5000, \
            "kcat message %d: timestamp %r type %r, produced in [%d, %d]" % (
                i, r["ts"], r["tstype"], t0, t1)
    assert sorted(seen) == list(range(KC_COUNT)), "kcat messages missing: %r" % (
        sorted(set(range(KC_COUNT)) - set(seen))[:10])
    for p in range(PARTS):
        ids = [i for i, w in sorted(seen.items(), key=lambda x: x[1]) if w[0] == p]
        assert ids == sorted(ids), "partition %d not in kcat's input order" % p


# ---- 1. every codec, written by kcat and kafka-python -----------------------------

@pytest.mark.parametrize("codec", list(CODECS))
def test_compression(codec):
    with TestCluster(brokers=BROKERS, topics=[("kc", PARTS), ("kp", PARTS)]) as tc:
        for topic in ("kc", "kp"):
            for p, b in LEADERS.items():
                tc.cmd("leader %s %d %d" % (topic, p, b))
        t0, t1 = produce_kcat(tc, "kc", codec)
        placed = produce_kafka_python(tc, "kp", codec)

        # The peers did compress (else this test would prove nothing).
        for topic in ("kc", "kp"):
            codecs = [c for p in range(PARTS) for c in stored_batch_codecs(tc, topic, p)]
            assert codecs, "%s: no batches stored" % topic
            if codec == "none":
                assert set(codecs) == {0}, "%s: codecs %r" % (topic, codecs)
            else:
                assert CODECS[codec] in codecs and set(codecs) <= {0, CODECS[codec]}, \
                    "%s: stored batch codecs %r, want %s" % (topic, codecs, codec)
            assert len(codecs) < (KC_COUNT if topic == "kc" else KP_COUNT) / 2, \
                "%s: %d batches: too few records per batch to matter" % (topic, len(codecs))

        # kafka-python's reading of kcat's topic: the reference for kafc.
        ref_kc = by_position("kafka-python", read_kafka_python(tc, "kc", PARTS, KC_COUNT))
        check_kcat_input(ref_kc, t0, t1)
        want_kp = kp_expected(placed)

        msgs = run_consume_tool(tc, ["kc", "kp"], PARTS)
        got_kc = by_position("kafc kc", [m for m in msgs if m["topic"] == "kc"])
        got_kp = by_position("kafc kp", [m for m in msgs if m["topic"] == "kp"])
        assert len(msgs) == len(got_kc) + len(got_kp), \
            "kafc returned topics other than kc, kp: %r" % sorted({m["topic"] for m in msgs})
        assert_same("kafc reading kcat's %s messages" % codec, got_kc, ref_kc)
        assert_same("kafc reading kafka-python's %s messages" % codec, got_kp, want_kp)

        # Again with fetch sizes far below one batch: responses end in
        # partial batches, and a batch larger than the limit must still come.
        msgs = run_consume_tool(tc, ["kp"], PARTS,
                                extra=("max.partition.fetch.bytes=1000",
                                       "fetch.max.bytes=1500"))
        assert_same("kafc reading kafka-python's %s messages, tiny fetches" % codec,
                    by_position("kafc kp (tiny fetches)", msgs), want_kp)


# ---- kafc as a group member, in a subprocess ---------------------------------------

class KafcMember:
    """A kafc consumer in a group, running as a subprocess: the kafc-consumer
    example (output '%p %o' through stdbuf -oL) when built, else
    consume_tool -G. Its stdout is read as it comes; positions() gives the
    (partition, offset) pairs consumed so far."""

    def __init__(self, tc, topic, group, extra=(), count=None):
        self.stderr = tempfile.TemporaryFile()
        props = ["fetch.max.wait.ms=100", "debug=cgrp,fetch"] + list(extra)
        example = kafc_consumer_bin()
        self.tool = "kafc-consumer" if example else "consume_tool"
        if example:
            argv = ["stdbuf", "-oL", example, "-b", tc.bootstrap, "-t", topic, "-G", group,
                    "-o", "beginning", "-f", "%p %o\\n"]
        else:
            argv = [consume_tool(), "-b", tc.bootstrap, "-t", topic, "-G", group,
                    "-X", "auto.offset.reset=earliest", "-w", "60000"]
        if count:
            argv += ["-c", str(count)]
        for kv in props:
            argv += ["-X", kv]
        self.argv = argv
        self._lock = threading.Lock()
        self._pos = []
        self.lines = []
        self.bad = []  # output lines that are not a message
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)
                try:
                    if self.tool == "kafc-consumer":
                        p, o = line.split()
                        self._pos.append((int(p), int(o)))
                    else:
                        j = json.loads(line)
                        if j["type"] == "msg":
                            self._pos.append((j["partition"], j["offset"]))
                        elif j["type"] == "error":
                            self.bad.append(line)
                except ValueError:
                    self.bad.append(line)

    def positions(self):
        with self._lock:
            return list(self._pos)

    def wait_exit(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(5)
        return rc

    def stop(self, timeout=15):
        """SIGTERM (a clean close: commit, leave), then SIGKILL; by pid.
        Returns the exit status (None when it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait_exit(timeout)
            if rc is None:
                self.proc.kill()
                self.proc.wait()
                return None
        self._reader.join(5)
        return self.proc.returncode

    def log_tail(self, n=150):
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").splitlines()
        return "\n".join(["--- %s (%s) stderr, last %d of %d lines ---" % (
            self.tool, " ".join(self.argv), min(n, len(lines)), len(lines))] + lines[-n:])


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def produce_plain(tc, topic, nparts, per_partition):
    producer = KafkaProducer(bootstrap_servers=tc.bootstrap, api_version=PRODUCER_API,
                             linger_ms=5, acks=-1)
    try:
        futures = [producer.send(topic, key=b"k%d-%d" % (p, n), value=b"v%d-%d" % (p, n),
                                 partition=p)
                   for n in range(per_partition) for p in range(nparts)]
        producer.flush(timeout=30)
        offsets = {(md.partition, md.offset) for md in (f.get(timeout=10) for f in futures)}
    finally:
        producer.close(timeout=10)
    assert offsets == {(p, o) for p in range(nparts) for o in range(per_partition)}


# ---- 2. kafc and kafka-python in one group -------------------------------------------

GROUP_TOPIC = "g6"
GROUP_PARTS = 6
GROUP_PER_PART = 50
COORDINATOR = 1


class PyMember:
    """A kafka-python KafkaConsumer in the group (RangePartitionAssignor
    only), polled from its own thread so that it can be inside its JoinGroup
    while kafc starts."""

    def __init__(self, tc, topic, group):
        self.consumer = KafkaConsumer(topic, bootstrap_servers=tc.bootstrap,
                                      api_version=CONSUMER_API, group_id=group,
                                      partition_assignment_strategy=[RangePartitionAssignor],
                                      auto_offset_reset="earliest", enable_auto_commit=False,
                                      fetch_max_wait_ms=100, session_timeout_ms=10000,
                                      heartbeat_interval_ms=500, max_poll_interval_ms=10000,
                                      request_timeout_ms=15000)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pos = []
        self._assignment = set()
        self.history = []  # (seconds since start, assignment) at each change
        self._t0 = time.monotonic()
        self.error = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._stop.is_set():
                batch = self.consumer.poll(timeout_ms=100)
                assignment = {tp.partition for tp in self.consumer.assignment()}
                with self._lock:
                    for records in batch.values():
                        self._pos.extend((m.partition, m.offset) for m in records)
                    if assignment != self._assignment:
                        self.history.append((round(time.monotonic() - self._t0, 3),
                                             sorted(assignment)))
                    self._assignment = assignment
        except Exception as e:  # reported by the test
            self.error = e

    def positions(self):
        with self._lock:
            return list(self._pos)

    def assignment(self):
        with self._lock:
            return set(self._assignment)

    def stop(self):
        self._stop.set()
        self._thread.join(20)
        alive = self._thread.is_alive()
        if not alive:
            self.consumer.close(autocommit=False)
        return not alive


@pytest.mark.parametrize("leader", ["kafc", "kafka_python"])
def test_group(leader):
    """The first member to join leads the group (computes the assignment);
    the other joins 1 s later, inside the mock's 3 s initial join wait, so
    both are in its first generation. The mock completes a generation as
    soon as the leader's SyncGroup arrives and answers a follower's later
    SyncGroup with INVALID_REQUEST, so the follower must sync first: the
    leader's JoinGroup answer is held back (error push-broker ... 0:4500 on
    the coordinator: the first JoinGroup it gets, the leader's, is answered
    4.5 s after it came, 1.5 s after the follower's answer)."""
    total = GROUP_PARTS * GROUP_PER_PART
    group = "mixed-%s-leads" % leader
    with TestCluster(brokers=BROKERS, topics=[(GROUP_TOPIC, GROUP_PARTS)]) as tc:
        tc.cmd("coordinator group %s %d" % (group, COORDINATOR))
        kafc = py = None
        try:
            tc.cmd("error push-broker %d 11 0:4500" % COORDINATOR)
            if leader == "kafc":
                kafc = KafcMember(tc, GROUP_TOPIC, group,
                                  extra=["partition.assignment.strategy=range"])
                time.sleep(1.0)
                py = PyMember(tc, GROUP_TOPIC, group)
            else:
                py = PyMember(tc, GROUP_TOPIC, group)
                time.sleep(1.0)
                kafc = KafcMember(tc, GROUP_TOPIC, group,
                                  extra=["partition.assignment.strategy=range"])

            # Both in one generation: kafka-python holds half the partitions.
            # Only then produce, so nothing is read before the final split.
            ok = wait_for(lambda: py.error or len(py.assignment()) == GROUP_PARTS // 2
                          or kafc.proc.poll() is not None, 25)
            assert py.error is None, "kafka-python: %r" % py.error
            assert kafc.proc.poll() is None, "kafc exited early (status %r)" % (
                kafc.proc.returncode)
            assert ok, "no 2-member generation: kafka-python holds %r" % sorted(py.assignment())
            produce_plain(tc, GROUP_TOPIC, GROUP_PARTS, GROUP_PER_PART)

            wait_for(lambda: py.error or len(py.positions()) + len(kafc.positions()) >= total,
                     20)
            time.sleep(1.0)  # room for anything extra (a duplicate) to show up
            assert py.error is None, "kafka-python: %r" % py.error
            py_assign = py.assignment()
            py_pos = py.positions()
            assert py.stop(), "kafka-python's poll thread did not stop"
            rc = kafc.stop()
            kafc_pos = kafc.positions()
            assert rc == 0, "kafc exit status %r" % rc
            assert not kafc.bad, "kafc printed %r" % kafc.bad[:5]

            kafc_parts = {p for p, _ in kafc_pos}
            all_parts = set(range(GROUP_PARTS))
            assert len(py_assign) == len(kafc_parts) == GROUP_PARTS // 2, \
                "range over 2 members: kafka-python holds %r, kafc consumed from %r " \
                "(kafka-python read %d, kafc %d of %d)" % (
                    sorted(py_assign), sorted(kafc_parts), len(py_pos), len(kafc_pos), total)
            assert not (py_assign & kafc_parts), "both consumed partitions %r" % sorted(
                py_assign & kafc_parts)
            assert py_assign | kafc_parts == all_parts
            assert {p for p, _ in py_pos} <= py_assign
            seen = {}
            for who, pos in (("kafka-python", py_pos), ("kafc", kafc_pos)):
                for where in pos:
                    assert where not in seen, "%s consumed twice (%s, then %s)" % (
                        where, seen[where], who)
                    seen[where] = who
            want = {(p, o) for p in all_parts for o in range(GROUP_PER_PART)}
            assert set(seen) == want, "missing %r, unexpected %r" % (
                sorted(want - set(seen))[:10], sorted(set(seen) - want)[:10])
            for p in kafc_parts:  # in offset order within a partition
                offs = [o for pp, o in kafc_pos if pp == p]
                assert offs == sorted(offs), "kafc: partition %d out of order" % p
        except BaseException:
            if py:
                print("kafka-python: assignment history %r, %d messages, error %r" % (
                    py.history, len(py.positions()), py.error))
            if kafc:
                print(kafc.log_tail())
            raise
        finally:
            if py:
                py.stop()
            if kafc:
                kafc.stop()


# ---- 3. committed offsets survive a restart through the peer ---------------------------

COMMIT_TOPIC = "c"
COMMIT_PARTS = 3
COMMIT_PER_PART = 40


def committed_by_kafka_python(tc, group):
    c = KafkaConsumer(bootstrap_servers=tc.bootstrap, api_version=CONSUMER_API,
                      group_id=group, enable_auto_commit=False, request_timeout_ms=15000)
    try:
        return {p: c.committed(TopicPartition(COMMIT_TOPIC, p))
                for p in range(COMMIT_PARTS)}
    finally:
        c.close(autocommit=False)


def test_commit_kafc_then_kafka_python():
    group = "g-kafc-first"
    total = COMMIT_PARTS * COMMIT_PER_PART
    part = 70
    with TestCluster(brokers=BROKERS, topics=[(COMMIT_TOPIC, COMMIT_PARTS)]) as tc:
        produce_plain(tc, COMMIT_TOPIC, COMMIT_PARTS, COMMIT_PER_PART)
        # kafc: -c part, then a clean close with enable.auto.commit=true
        # (the default) commits the positions it reached.
        kafc = KafcMember(tc, COMMIT_TOPIC, group, count=part,
                          extra=["enable.auto.commit=true", "auto.commit.interval.ms=60000"])
        try:
            rc = kafc.wait_exit(40)
            assert rc == 0, "kafc-consumer -c %d: exit %r after %d messages" % (
                part, rc, len(kafc.positions()))
            assert not kafc.bad, "kafc printed %r" % kafc.bad[:5]
            pos = kafc.positions()
            assert len(pos) == part, "kafc consumed %d, -c %d" % (len(pos), part)
            assert len(set(pos)) == part, "kafc consumed a message twice"
            reached = {}
            for p in range(COMMIT_PARTS):
                offs = [o for pp, o in pos if pp == p]
                assert offs == list(range(len(offs))), \
                    "kafc partition %d offsets %r: not contiguous from 0" % (p, offs)
                if offs:
                    reached[p] = len(offs)

            committed = committed_by_kafka_python(tc, group)
            for p in range(COMMIT_PARTS):
                if p in reached:
                    assert committed[p] == reached[p], \
                        "partition %d: kafc consumed up to offset %d, committed %r" % (
                            p, reached[p] - 1, committed[p])
                else:  # nothing consumed there: no commit, or the start (0)
                    assert committed[p] in (None, 0), "partition %d: committed %r" % (
                        p, committed[p])
        except BaseException:
            print(kafc.log_tail())
            raise
        finally:
            kafc.stop()

        # A kafka-python member of the group resumes where kafc stopped.
        c = KafkaConsumer(bootstrap_servers=tc.bootstrap, api_version=CONSUMER_API,
                          group_id=group, enable_auto_commit=False,
                          auto_offset_reset="earliest", fetch_max_wait_ms=100)
        got = []
        try:
            c.assign([TopicPartition(COMMIT_TOPIC, p) for p in range(COMMIT_PARTS)])
            deadline = time.monotonic() + 20
            while len(got) < total - part and time.monotonic() < deadline:
                for records in c.poll(timeout_ms=200).values():
                    got.extend((m.partition, m.offset) for m in records)
            for records in c.poll(timeout_ms=300).values():
                got.extend((m.partition, m.offset) for m in records)
        finally:
            c.close(autocommit=False)
        want = {(p, o) for p in range(COMMIT_PARTS)
                for o in range(committed[p] or 0, COMMIT_PER_PART)}
        assert sorted(got) == sorted(want), \
            "kafka-python resuming from kafc's commit: missing %r, unexpected %r" % (
                sorted(want - set(got))[:10], sorted(set(got) - want)[:10])


def test_commit_kafka_python_then_kafc():
    group = "g-python-first"
    start = {0: 5, 1: 17, 2: COMMIT_PER_PART}  # partition 2: nothing left
    with TestCluster(brokers=BROKERS, topics=[(COMMIT_TOPIC, COMMIT_PARTS)]) as tc:
        produce_plain(tc, COMMIT_TOPIC, COMMIT_PARTS, COMMIT_PER_PART)
        c = KafkaConsumer(bootstrap_servers=tc.bootstrap, api_version=CONSUMER_API,
                          group_id=group, enable_auto_commit=False, request_timeout_ms=15000)
        try:
            tps = {p: TopicPartition(COMMIT_TOPIC, p) for p in range(COMMIT_PARTS)}
            c.assign(list(tps.values()))
            c.commit({tps[p]: OffsetAndMetadata(o, "from kafka-python")
                      for p, o in start.items()})
        finally:
            c.close(autocommit=False)
        assert committed_by_kafka_python(tc, group) == start

        # A new kafc member: auto.offset.reset=earliest would start at 0,
        # so anything below the committed offsets shows it ignored them.
        want = {(p, o) for p in range(COMMIT_PARTS) for o in range(start[p], COMMIT_PER_PART)}
        kafc = KafcMember(tc, COMMIT_TOPIC, group,
                          extra=["enable.auto.commit=true", "auto.commit.interval.ms=60000"])
        try:
            wait_for(lambda: len(kafc.positions()) >= len(want), 25)
            time.sleep(1.0)  # room for anything extra to show up
            rc = kafc.stop()
            assert rc == 0, "kafc exit status %r" % rc
            assert not kafc.bad, "kafc printed %r" % kafc.bad[:5]
            pos = kafc.positions()
            assert len(pos) == len(set(pos)), "kafc consumed a message twice"
            assert set(pos) == want, \
                "kafc resuming from kafka-python's commit %r: missing %r, unexpected %r" % (
                    start, sorted(want - set(pos))[:10], sorted(set(pos) - want)[:10])
            for p in range(COMMIT_PARTS):
                offs = [o for pp, o in pos if pp == p]
                assert offs == sorted(offs), "kafc partition %d out of order" % p
            # kafc's own commit on close: the end of every partition.
            committed = committed_by_kafka_python(tc, group)
            assert committed == {p: COMMIT_PER_PART for p in range(COMMIT_PARTS)}, \
                "after kafc's close: committed %r" % committed
        except BaseException:
            print(kafc.log_tail())
            raise
        finally:
            kafc.stop()
