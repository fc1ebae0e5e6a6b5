"""interop.producer: what kafc's producer writes, read back by independent
clients and compared byte for byte, for every compression codec.

For each codec a fresh kafc-test-cluster (librdkafka's mock, 3 brokers, topic
"t" with 4 partitions, leaders pinned) is started; produce_tool (kafc's public
producer API) produces COUNT messages from a deterministic spec (see
produce_tool.c: keys with nulls, values null/empty/10 KiB/varied, headers
none/several with a null value and repeated names, explicit timestamps
BASE_TS + i) to KAFC_PARTITION_ANY and prints one delivery report per
message. The log is then read three ways:

  * kafka-python's KafkaConsumer (pure Python client: its own protocol code,
    record decoder, CRC check and decompressors);
  * kcat -C -J (librdkafka's consumer);
  * a raw Fetch v4 over a socket, each stored batch decoded with
    kafka-python's DefaultRecordBatch (CRC validated) and its header parsed
    here: magic, codec attribute, producer id/epoch, base sequence, base
    offset, record count, first/max timestamp.

Each must give exactly the spec: every message once, at the partition and
offset its delivery report gave, offsets contiguous from 0 in production
order, keys/values/headers/timestamps equal byte for byte, keyed messages
placed as Java's murmur2 partitioner places them.

The mock does not check CRCs, does not decompress, and does not check
idempotent sequences (TESTING.md), so those are checked here on the stored
bytes instead.

Run with Debian's interpreter: /usr/bin/python3 -m pytest -q this_file
(ctest sets KAFC_TEST_CLUSTER_BIN, KAFC_PRODUCE_TOOL and PYTHONPATH).
"""

import json
import os
import socket
import struct
import subprocess
import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2
from kafka.record.default_records import DefaultRecordBatch

from kafc_test_cluster import TestCluster

TOPIC = "t"
PARTITIONS = 4
BROKERS = 3
LEADERS = {0: 1, 1: 2, 2: 3, 3: 1}
COUNT = 2000
BASE_TS = 1700000000000
# The mock answers every successful Produce with LogAppendTimeMs = 1234 (a
# constant in rdkafka_mock_handlers.c; a real broker sends -1 unless the
# topic uses LogAppendTime), and a client reports what the broker says, as
# Java's RecordMetadata does. The stored records keep their CreateTime.
MOCK_LOG_APPEND_TIME = 1234
KAFC_TS_CREATE, KAFC_TS_LOG_APPEND = 1, 2
KAFC_PERSISTED = 2

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
KAFKA_API_VERSION = (2, 0, 0)  # explicit: no probing (mock: Fetch v4, Metadata v1)


# ---- the spec (mirror of produce_tool.c) ------------------------------------

def spec_key(i):
    return None if i % 10 == 0 else b"k%d" % i


def spec_value(i):
    if i % 17 == 16:
        return None
    if i % 7 == 3:
        return b""
    n = 10240 if i % 11 == 5 else 1 + (i * 37) % 500
    return bytes((i * 31 + j * 7 + (j >> 8) * 13) & 0xFF for j in range(n))


def spec_headers(i):
    kind = i % 4
    if kind == 0:
        return []
    if kind == 1:
        return [("h1", b"v%d" % i)]
    if kind == 2:
        return [("a", b"1"), ("dup", b"x"), ("nul", None), ("dup", b"y"),
                ("bin", bytes((j + i) & 0xFF for j in range(256))), ("empty", b"")]
    return [("dup", b"%d" % (i + k)) for k in range(3)]


def spec_ts(i):
    return BASE_TS + i


def spec(i):
    return {"key": spec_key(i), "value": spec_value(i), "headers": spec_headers(i),
            "ts": spec_ts(i)}


def java_partition(key):
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


# ---- helpers ----------------------------------------------------------------

def produce_tool():
    path = os.environ.get("KAFC_PRODUCE_TOOL")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(os.path.dirname(os.path.dirname(here)), "build", "tests",
                            "interop", "produce_tool")
    if not os.access(path, os.X_OK):
        pytest.fail("produce_tool not found: set KAFC_PRODUCE_TOOL (ctest does)")
    return path


def run_produce_tool(tc, codec, count=COUNT, extra=()):
    argv = [produce_tool(), tc.bootstrap, TOPIC, str(count), codec, "-T", str(BASE_TS)]
    for kv in extra:
        argv += ["-X", kv]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
    reports = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    assert proc.returncode == 0, "produce_tool exit %d: %s" % (
        proc.returncode, proc.stderr.decode(errors="replace")[-2000:])
    return reports


def check_reports(reports, count):
    """Every message reported exactly once with success; returns
    {(partition, offset): id}."""
    assert [r["id"] for r in reports] == list(range(count))
    placed = {}
    for r in reports:
        i = r["id"]
        assert r["reports"] == 1, "message %d reported %d times" % (i, r["reports"])
        assert r["err"] == "NONE", "message %d: %s" % (i, r["err"])
        assert r["persisted"] == KAFC_PERSISTED, r
        assert 0 <= r["partition"] < PARTITIONS, r
        assert r["offset"] >= 0, r
        assert ((r["tstype"], r["timestamp"]) in
                ((KAFC_TS_CREATE, spec_ts(i)), (KAFC_TS_LOG_APPEND, MOCK_LOG_APPEND_TIME))), r
        assert (r["partition"], r["offset"]) not in placed, \
            "messages %d and %d reported at the same offset" % (placed[(r["partition"],
                                                                         r["offset"])], i)
        placed[(r["partition"], r["offset"])] = i
        key = spec_key(i)
        if key is not None:
            assert r["partition"] == java_partition(key), \
                "message %d (key %r) in partition %d, murmur2 says %d" % (
                    i, key, r["partition"], java_partition(key))
    # Offsets contiguous from 0 per partition, in production order.
    for p in range(PARTITIONS):
        offs = sorted(o for (pp, o) in placed if pp == p)
        assert offs == list(range(len(offs))), "partition %d offsets not contiguous" % p
        ids = [placed[(p, o)] for o in offs]
        assert ids == sorted(ids), "partition %d: offsets not in production order" % p
    return placed


def compare(reader, records, placed, count):
    """records: list of dicts partition, offset, key, value, headers, ts,
    tstype ('create'/...). Each must be the spec of the message the delivery
    report placed there, and every message must be there exactly once."""
    seen = {}
    for r in records:
        where = (r["partition"], r["offset"])
        assert where in placed, "%s: record at %s that no report gave: key %r" % (
            reader, where, r["key"])
        assert where not in seen, "%s: record at %s read twice" % (reader, where)
        i = placed[where]
        seen[where] = i
        want = spec(i)
        assert r["key"] == want["key"], "%s: message %d key %r != %r" % (
            reader, i, r["key"], want["key"])
        assert r["value"] == want["value"], "%s: message %d value differs (%r... len %s, want " \
            "len %s)" % (reader, i, (r["value"] or b"")[:32],
                         None if r["value"] is None else len(r["value"]),
                         None if want["value"] is None else len(want["value"]))
        if r["headers"] != want["headers"]:
            got, exp = r["headers"], want["headers"]
            k = next((k for k in range(min(len(got), len(exp))) if got[k] != exp[k]),
                     min(len(got), len(exp)))
            pytest.fail("%s: message %d headers differ at index %d: %.200r != %.200r "
                        "(%d vs %d headers)" % (reader, i, k, got[k:k + 1], exp[k:k + 1],
                                                len(got), len(exp)))
        assert r["ts"] == want["ts"], "%s: message %d timestamp %r != %r" % (
            reader, i, r["ts"], want["ts"])
        assert r["tstype"] == "create", "%s: message %d timestamp type %r" % (
            reader, i, r["tstype"])
    missing = sorted(set(range(count)) - set(seen.values()))
    assert not missing, "%s: %d messages missing, first %r" % (reader, len(missing), missing[:10])
    # Per partition, in offset order, production order.
    for p in range(PARTITIONS):
        offs = sorted(o for (pp, o) in seen if pp == p)
        assert offs == list(range(len(offs))), "%s: partition %d offsets" % (reader, p)
        ids = [seen[(p, o)] for o in offs]
        assert ids == sorted(ids), "%s: partition %d out of production order" % (reader, p)


# ---- reader 1: kafka-python -------------------------------------------------

def read_kafka_python(tc, count, timeout=60):
    consumer = KafkaConsumer(bootstrap_servers=tc.bootstrap, api_version=KAFKA_API_VERSION,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=2000, fetch_max_wait_ms=100,
                             request_timeout_ms=15000, check_crcs=True,
                             max_partition_fetch_bytes=4 << 20)
    out = []
    try:
        consumer.assign([TopicPartition(TOPIC, p) for p in range(PARTITIONS)])
        consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for m in records:
                    out.append({"partition": m.partition, "offset": m.offset, "key": m.key,
                                "value": m.value, "headers": list(m.headers),
                                "ts": m.timestamp,
                                "tstype": "create" if m.timestamp_type == 0 else
                                          "logappend"})
        # Anything beyond count (a duplicate) shows up in one more poll.
        for records in consumer.poll(timeout_ms=300).values():
            for m in records:
                out.append({"partition": m.partition, "offset": m.offset, "key": m.key,
                            "value": m.value, "headers": list(m.headers), "ts": m.timestamp,
                            "tstype": "create" if m.timestamp_type == 0 else "logappend"})
    finally:
        consumer.close()
    return out


# ---- reader 2: kcat -J --------------------------------------------------------

def _kcat_bytes(s):
    # kcat -J writes bytes >= 0x7f raw and escapes control characters as
    # \\u00XX; the line is decoded as latin-1, so encoding back is exact.
    return None if s is None else s.encode("latin-1")


def read_kcat(tc, timeout=60):
    proc = subprocess.run(["kcat", "-C", "-b", tc.bootstrap, "-t", TOPIC, "-e", "-o",
                           "beginning", "-J", "-q", "-X", "fetch.wait.max.ms=100",
                           "-X", "check.crcs=true"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert proc.returncode == 0, "kcat: %s" % proc.stderr.decode(errors="replace")
    out = []
    # Split on b"\n" only: str.splitlines() would also split at \x85,
    # \x1c..\x1e, which kcat writes raw inside strings.
    for raw in proc.stdout.split(b"\n"):
        if not raw.strip():
            continue
        j = json.loads(raw.decode("latin-1"))
        flat = j.get("headers") or []
        assert len(flat) % 2 == 0, j
        headers = [(flat[k], _kcat_bytes(flat[k + 1])) for k in range(0, len(flat), 2)]
        assert "key_error" not in j and "payload_error" not in j, j
        out.append({"partition": j["partition"], "offset": j["offset"],
                    "key": _kcat_bytes(j["key"]), "value": _kcat_bytes(j["payload"]),
                    "headers": headers, "ts": j["ts"], "tstype": j["tstype"]})
    return out


# ---- reader 3: raw Fetch v4, batches decoded by kafka-python's record code --

def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _fetch_v4(sock, corr, partition, offset):
    client = b"interop"
    hdr = struct.pack(">hhih", 1, 4, corr, len(client)) + client
    t = TOPIC.encode()
    body = struct.pack(">iiiib", -1, 100, 1, 8 << 20, 0)
    body += struct.pack(">ih", 1, len(t)) + t
    body += struct.pack(">iiqi", 1, partition, offset, 8 << 20)
    req = hdr + body
    sock.sendall(struct.pack(">i", len(req)) + req)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    resp = _recv_exact(sock, size)
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from(fmt, resp, pos)
        pos += struct.calcsize(fmt)
        return vals

    rcorr, _throttle, ntopics = take(">iii")
    assert rcorr == corr and ntopics == 1
    (tlen,) = take(">h")
    pos += tlen
    (nparts,) = take(">i")
    assert nparts == 1
    part, err, hw, _lso, naborted = take(">ihqqi")
    assert part == partition and err == 0, "fetch partition %d: error %d" % (partition, err)
    pos += max(naborted, 0) * 16
    (rlen,) = take(">i")
    records = b"" if rlen < 0 else resp[pos:pos + rlen]
    return hw, records


BATCH_HDR = ">qiibIhiqqqhii"  # v2 record batch header, 61 bytes


def read_raw(tc, timeout=60):
    """Returns (records, batches) with batches as header dicts."""
    records, batches = [], []
    deadline = time.monotonic() + timeout
    for p in range(PARTITIONS):
        host, port = tc.broker_addr(LEADERS[p]).rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=15) as sock:
            sock.settimeout(15)
            offset, corr, hw = 0, 0, None
            while hw is None or offset < hw:
                assert time.monotonic() < deadline, "raw fetch took too long"
                corr += 1
                hw, data = _fetch_v4(sock, corr, p, offset)
                pos = 0
                progressed = False
                while pos + 12 <= len(data):
                    blen = struct.unpack_from(">i", data, pos + 8)[0]
                    if pos + 12 + blen > len(data):
                        break  # partial batch at the end of the response
                    raw = bytes(data[pos:pos + 12 + blen])
                    pos += 12 + blen
                    (base_offset, _blen, _ple, magic, _crc, attrs, last_delta, first_ts,
                     max_ts, pid, epoch, base_seq, nrec) = struct.unpack_from(BATCH_HDR, raw, 0)
                    assert magic == 2, "partition %d offset %d: magic %d" % (p, base_offset,
                                                                               magic)
                    if base_offset + last_delta < offset:
                        continue  # already read
                    batch = DefaultRecordBatch(bytearray(raw))
                    assert batch.validate_crc(), "partition %d batch at %d: bad CRC" % (
                        p, base_offset)
                    batches.append({"partition": p, "base_offset": base_offset, "attrs": attrs,
                                    "codec": attrs & 7, "last_delta": last_delta,
                                    "first_ts": first_ts, "max_ts": max_ts, "pid": pid,
                                    "epoch": epoch, "base_seq": base_seq, "count": nrec})
                    n = 0
                    for rec in batch:
                        records.append({"partition": p, "offset": rec.offset, "key": rec.key,
                                        "value": rec.value, "headers": list(rec.headers),
                                        "ts": rec.timestamp,
                                        "tstype": "create" if rec.timestamp_type == 0 else
                                                  "logappend"})
                        n += 1
                    assert n == nrec, "partition %d batch at %d: %d records, header says %d" % (
                        p, base_offset, n, nrec)
                    offset = base_offset + last_delta + 1
                    progressed = True
                assert progressed or offset >= hw, "partition %d: no progress at %d" % (p, offset)
    return records, batches


def check_batches(batches, records, codec):
    want = CODECS[codec]
    codecs = {b["codec"] for b in batches}
    if want == 0:
        assert codecs == {0}, "compression.type=none but batches with codecs %r" % codecs
    else:
        # kafc may send a batch uncompressed when compression does not make
        # it smaller (tiny batches); anything else is the configured codec.
        assert codecs <= {0, want}, "codec %s: batch codecs %r" % (codec, codecs)
        n = sum(1 for b in batches if b["codec"] == want)
        assert n * 2 >= len(batches), "codec %s: only %d of %d batches compressed" % (
            codec, n, len(batches))
    pids = {(b["pid"], b["epoch"]) for b in batches}
    assert len(pids) == 1, "several producer ids/epochs: %r" % pids
    pid, epoch = pids.pop()
    assert pid >= 0 and epoch >= 0, "idempotence is on by default: pid %d epoch %d" % (pid,
                                                                                     epoch)
    by_offset = {(r["partition"], r["offset"]): r for r in records}
    for p in range(PARTITIONS):
        seq = off = 0
        for b in sorted((b for b in batches if b["partition"] == p),
                        key=lambda b: b["base_offset"]):
            assert b["attrs"] & 0x08 == 0, "timestamp type must be CreateTime"
            assert b["attrs"] & 0x30 == 0, "not transactional, not control"
            assert b["base_offset"] == off, "partition %d: batch at %d, expected %d" % (
                p, b["base_offset"], off)
            assert b["count"] == b["last_delta"] + 1
            assert b["base_seq"] == seq, "partition %d batch at %d: base sequence %d, " \
                "expected %d" % (p, b["base_offset"], b["base_seq"], seq)
            ts = [by_offset[(p, o)]["ts"] for o in range(off, off + b["count"])]
            assert b["first_ts"] == ts[0], "partition %d batch at %d: firstTimestamp" % (p, off)
            assert b["max_ts"] == max(ts), "partition %d batch at %d: maxTimestamp" % (p, off)
            seq += b["count"]
            off += b["count"]


# ---- the test ---------------------------------------------------------------

@pytest.mark.parametrize("codec", list(CODECS))
def test_produced_messages_read_back_byte_for_byte(codec):
    with TestCluster(brokers=BROKERS, topics=[(TOPIC, PARTITIONS)]) as tc:
        for p, b in LEADERS.items():
            tc.cmd("leader %s %d %d" % (TOPIC, p, b))
        reports = run_produce_tool(tc, codec, extra=("linger.ms=5",))
        placed = check_reports(reports, COUNT)
        used = {p for (p, _o) in placed}
        assert used == set(range(PARTITIONS)), "spread over every partition: %r" % used

        raw_records, batches = read_raw(tc)
        compare("raw fetch + kafka-python record batches", raw_records, placed, COUNT)
        check_batches(batches, raw_records, codec)

        compare("kafka-python consumer", read_kafka_python(tc, COUNT), placed, COUNT)
        compare("kcat -J", read_kcat(tc), placed, COUNT)
