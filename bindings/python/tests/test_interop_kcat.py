"""kafc Python <-> kcat (librdkafka's CLI): what one writes the other reads
byte for byte (keys, values, headers, timestamps)."""

import os
import random
import re
import subprocess

import kafc
from kafc import Consumer, Producer, TopicPartition
from _util import consumer_conf, producer_conf

# kcat -f: a header line with lengths, then the raw key and value bytes.
KCAT_FORMAT = "P%p O%o T%T K%K S%S H%h|%k%s\n"
_HDR = re.compile(rb"P(\d+) O(\d+) T(-?\d+) K(-?\d+) S(-?\d+) H([^|]*)\|")


def kcat_consume(kcat, bootstrap, topic, timeout=30):
    out = subprocess.run(
        [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
         "-f", KCAT_FORMAT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=True).stdout
    records, pos = [], 0
    while pos < len(out):
        m = _HDR.match(out, pos)
        assert m, out[pos:pos + 200]
        part, off, ts, klen, vlen = (int(x) for x in m.groups()[:5])
        pos = m.end()
        key = None if klen < 0 else out[pos:pos + klen]
        pos += max(klen, 0)
        value = None if vlen < 0 else out[pos:pos + vlen]
        pos += max(vlen, 0)
        assert out[pos:pos + 1] == b"\n"
        pos += 1
        headers = []
        if m.group(6):
            for kv in m.group(6).split(b","):
                name, _, val = kv.partition(b"=")
                headers.append((name.decode(), val))
        records.append({"partition": part, "offset": off, "timestamp": ts, "key": key,
                        "value": value, "headers": headers})
    return records


def test_kafc_produces_kcat_reads(cluster, kcat):
    rnd = random.Random(8)
    base_ts = 1700000000000
    sent = {}
    reports = {}

    def on_delivery(err, msg):
        assert err is None
        reports[int(msg.headers()[0][1])] = (msg.partition(), msg.offset())

    p = Producer(producer_conf(cluster))
    for i in range(300):
        key = None if i % 7 == 0 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(20)))
        value = (None if i % 11 == 0 else
                 bytes(rnd.randrange(256) for _ in range(rnd.choice((0, 1, 100, 3000)))))
        headers = [("i", str(i)), ("h", "v%d" % (i % 3))] + ([("dup", b"a"), ("dup", b"b")]
                                                            if i % 2 else [])
        ts = base_ts + i
        p.produce("t", value=value, key=key, headers=headers, timestamp=ts,
                  partition=i % 4 if i % 5 else -1, on_delivery=on_delivery)
        sent[i] = (key, value, headers, ts)
    assert p.flush(30) == 0
    assert len(reports) == 300

    got = kcat_consume(kcat, cluster.bootstrap, "t")
    assert len(got) == 300
    for r in got:
        i = int(r["headers"][0][1])
        key, value, headers, ts = sent[i]
        assert (r["partition"], r["offset"]) == reports[i]
        assert r["key"] == key, i
        assert r["value"] == value, i
        assert r["headers"] == [(n, v.encode() if isinstance(v, str) else v)
                                for n, v in headers]
        assert r["timestamp"] == ts


def test_kcat_produces_kafc_reads(cluster, kcat):
    lines = ["k%d:value %d %s" % (i, i, "x" * (i % 50)) for i in range(200)]
    subprocess.run([kcat, "-P", "-b", cluster.bootstrap, "-t", "t", "-p", "2", "-K", ":",
                    "-H", "origin=kcat", "-H", "bin=\x01\x02"],
                   input="\n".join(lines).encode() + b"\n", check=True, timeout=30,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = Consumer(consumer_conf(cluster))
    try:
        c.assign([TopicPartition("t", 2, kafc.OFFSET_BEGINNING)])
        msgs = []
        while len(msgs) < 200:
            batch = c.consume(200 - len(msgs), timeout=10)
            assert batch, "timed out after %d messages" % len(msgs)
            msgs.extend(m for m in batch if m.error() is None)
        assert [m.offset() for m in msgs] == list(range(200))
        for i, m in enumerate(msgs):
            k, _, v = lines[i].partition(":")
            assert m.topic() == "t" and m.partition() == 2
            assert m.key() == k.encode() and m.value() == v.encode()
            assert m.headers() == [("origin", b"kcat"), ("bin", b"\x01\x02")]
            ts_type, ts = m.timestamp()
            assert ts_type == kafc.TIMESTAMP_CREATE_TIME and ts > 1600000000000
    finally:
        c.close()
