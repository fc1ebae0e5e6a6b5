"""Record batches: kafc <-> kafka-python (an independent implementation).

kafc builds batches (through record_tool build) that kafka-python's
MemoryRecords / DefaultRecordBatch must decode with identical keys, values,
headers, timestamps and offsets, and a valid CRC, for every codec; and
batches built by kafka-python's DefaultRecordBatchBuilder and
LegacyRecordBatchBuilder are decoded by kafc (record_tool decode, JSON).

Run with Debian's interpreter, which has kafka-python (python3-kafka) and
its codec modules (python3-snappy, python3-lz4, python3-zstandard, and
python3-xxhash for magic-0 lz4):
    KAFC_RECORD_TOOL=/path/to/record_tool /usr/bin/python3 -m pytest -q \\
        -p no:cacheprovider tests/interop/test_record_interop.py
A codec is skipped only when kafka-python lacks its Python module, and the
skip says which.
"""
import json
import os
import random
import struct
import subprocess

import pytest

import kafka.codec as kcodec
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

TOOL = os.environ.get("KAFC_RECORD_TOOL")

pytestmark = pytest.mark.skipif(not TOOL, reason="KAFC_RECORD_TOOL is not set")

# name -> (attribute id, kafka-python availability check, python module)
CODECS = {
    "none": (0, lambda: True, None),
    "gzip": (1, kcodec.has_gzip, "gzip"),
    "snappy": (2, kcodec.has_snappy, "snappy (python3-snappy)"),
    "lz4": (3, kcodec.has_lz4, "lz4 (python3-lz4)"),
    "zstd": (4, kcodec.has_zstd, "zstandard (python3-zstandard)"),
}


def need_codec(name):
    _, available, module = CODECS[name]
    if not available():
        pytest.skip("kafka-python lacks the %s module for %s" % (module, name))


def hexb(b):
    return "-" if b is None else "x" + b.hex()


def unhex(s):
    return None if s is None else bytes.fromhex(s)


def run_tool(mode, data):
    p = subprocess.run([TOOL, mode], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def sample_records(seed=1, n=400):
    """(timestamp, key, value, headers) covering the edge cases, then many
    random small records."""
    rnd = random.Random(seed)
    t0 = 1700000000000
    recs = [
        (t0, b"key", b"value", [("h", b"x")]),
        (t0 + 5, None, b"v", []),
        (t0 - 7, b"k", None, [("null", None), ("", b"")]),
        (t0 + 1, b"", b"", []),
        (t0 + (1 << 35), b"big", bytes(rnd.getrandbits(8) for _ in range(100000)),
         [("\u00fcn\u00ef", b"\x00\xff")]),
        (t0 - (1 << 33), None, None, [("a", b"1"), ("b", None), ("c", b"3" * 300)]),
    ]
    for i in range(n):
        key = None if i % 7 == 0 else ("key-%d" % i).encode()
        value = None if i % 11 == 0 else bytes(rnd.getrandbits(8) % 4 + 97
                                               for _ in range(rnd.randrange(0, 300)))
        headers = [("h%d" % j, None if j == 2 else b"v" * j) for j in range(i % 4)]
        recs.append((t0 + rnd.randrange(-100000, 100000), key, value, headers))
    return recs


def spec_for(recs, opts):
    lines = ["batch " + " ".join("%s=%s" % kv for kv in opts.items())]
    for ts, key, value, headers in recs:
        hs = " ".join("%s:%s" % (hexb(k.encode()), hexb(v)) for k, v in headers)
        lines.append(("record %d %s %s %s" % (ts, hexb(key), hexb(value), hs)).rstrip())
    return ("\n".join(lines) + "\n").encode()


def python_batches(data):
    mr = MemoryRecords(bytes(data))
    out = []
    while mr.has_next():
        out.append(mr.next_batch())
    return out


def python_records(batch):
    return [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in batch]


# ---- kafc builds, kafka-python reads -----------------------------------------

@pytest.mark.parametrize("codec", list(CODECS))
def test_kafc_batch_read_by_kafka_python(codec):
    need_codec(codec)
    recs = sample_records()
    data = run_tool("build", spec_for(recs, {"codec": codec, "cap": 8 << 20,
                                               "base_offset": 1000}))
    batches = python_batches(data)
    assert len(batches) == 1
    b = batches[0]
    assert b.validate_crc()
    assert b.magic == 2
    assert b.compression_type == CODECS[codec][0]
    assert b.base_offset == 1000
    assert b.last_offset_delta == len(recs) - 1
    assert b.first_timestamp == recs[0][0]
    assert b.max_timestamp == max(r[0] for r in recs)
    assert not b.is_transactional and not b.is_control_batch
    got = python_records(b)
    want = [(1000 + i, ts, k, v, h) for i, (ts, k, v, h) in enumerate(recs)]
    assert got == want


@pytest.mark.parametrize("codec", list(CODECS))
def test_kafc_producer_fields_and_patch(codec):
    need_codec(codec)
    recs = sample_records(seed=2, n=20)
    # Fields at init, then patched after close (as the sender does).
    spec = spec_for(recs, {"codec": codec, "pid": 77, "epoch": 3, "seq": 10,
                           "transactional": 1})
    spec += spec_for(recs[:3], {"codec": codec, "pid": 1, "epoch": 1, "seq": 1,
                                "patch": "123456789012,32000,2147483000",
                                "base_offset": len(recs)})
    batches = python_batches(run_tool("build", spec))
    assert len(batches) == 2
    h0, h1 = batches[0]._header_data, batches[1]._header_data
    assert batches[0].validate_crc() and batches[1].validate_crc()
    assert (h0[9], h0[10], h0[11], h0[12]) == (77, 3, 10, len(recs))
    assert batches[0].is_transactional
    assert (h1[9], h1[10], h1[11], h1[12]) == (123456789012, 32000, 2147483000, 3)
    assert [r[0] for r in python_records(batches[1])] == [len(recs) + i for i in range(3)]


def test_kafc_control_batch_read_by_kafka_python():
    spec = b"batch pid=9 epoch=4 transactional=1 control=1\ncontrol 5000 commit 12\n"
    (b,) = python_batches(run_tool("build", spec))
    assert b.validate_crc()
    assert b.is_control_batch and b.is_transactional
    (r,) = list(b)
    assert r.key == b"\x00\x00\x00\x01"
    assert r.value == b"\x00\x00\x00\x00\x00\x0c"


def test_golden_batch_matches_kafka_python_bytes():
    """One small batch: every byte as kafka-python builds it, except
    partitionLeaderEpoch (kafka-python 0, kafc -1 like Java's producer),
    which lies outside the CRC."""
    data = run_tool("build", b"batch\nrecord 1000 x6b x76 x68:x78\n")
    kp = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                   producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                   batch_size=1 << 20)
    kp.append(0, timestamp=1000, key=b"k", value=b"v", headers=[("h", b"x")])
    want = bytearray(kp.build())
    struct.pack_into(">i", want, 12, -1)
    assert data == bytes(want)


# ---- kafka-python builds, kafc reads ----------------------------------------

def kafc_decode(data):
    out = json.loads(run_tool("decode", data))
    return out


def kafc_records(out):
    recs = []
    for b in out["batches"]:
        for r in b["records"]:
            recs.append((r["offset"], r["timestamp"], unhex(r["key"]), unhex(r["value"]),
                         [(bytes.fromhex(k).decode(), unhex(v)) for k, v in r["headers"]]))
    return recs


@pytest.mark.parametrize("codec", list(CODECS))
def test_kafka_python_batch_read_by_kafc(codec):
    need_codec(codec)
    recs = sample_records(seed=3)
    data = bytearray()
    offset = 500
    # Two batches (the second transactional with producer fields).
    for part, (txn, pid, epoch, seq) in ((recs[:200], (0, -1, -1, -1)),
                                         (recs[200:], (1, 4242, 7, 99))):
        b = DefaultRecordBatchBuilder(magic=2, compression_type=CODECS[codec][0],
                                      is_transactional=txn, producer_id=pid,
                                      producer_epoch=epoch, base_sequence=seq,
                                      batch_size=16 << 20)
        for i, (ts, k, v, h) in enumerate(part):
            assert b.append(i, timestamp=ts, key=k, value=v, headers=h) is not None
        buf = bytearray(b.build())
        struct.pack_into(">q", buf, 0, offset)  # baseOffset, set by the broker
        offset += len(part)
        data += buf
    # A truncated third batch, as a Fetch response may end.
    data += data[:100]
    out = kafc_decode(bytes(data))
    assert out["error"] == 0, out["error_name"]
    assert out["partial"] is True
    assert len(out["batches"]) == 2
    b0, b1 = out["batches"]
    # kafka-python sends uncompressed when compression does not shrink.
    assert b0["codec"] in (codec, "none")
    assert (b1["producer_id"], b1["producer_epoch"], b1["base_sequence"]) == (4242, 7, 99)
    assert b1["transactional"] and not b0["transactional"]
    assert b0["count"] == 200 and b1["last_offset"] == 500 + len(recs) - 1
    want = [(500 + i, ts, k, v, h) for i, (ts, k, v, h) in enumerate(recs)]
    assert kafc_records(out) == want
    # ... and kafka-python agrees on its own bytes.
    py = [rec for b in python_batches(bytes(data)) for rec in python_records(b)]
    assert py == want


LEGACY = [(m, c) for m in (0, 1) for c in ("none", "gzip", "snappy", "lz4")]


@pytest.mark.parametrize("magic,codec", LEGACY)
def test_kafka_python_legacy_read_by_kafc(magic, codec):
    need_codec(codec)
    if magic == 0 and codec == "lz4" and kcodec.xxhash is None:
        # Kafka 0.8/0.9's LZ4 framing (a wrong header checksum) needs xxhash.
        pytest.skip("kafka-python lacks the xxhash module (python3-xxhash) for magic-0 lz4")
    rnd = random.Random(4)
    msgs = [(None if i % 5 == 0 else b"k%d" % i,
             None if i % 7 == 3 else bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(200))))
            for i in range(50)]
    data = bytearray()
    base = 1000
    if codec == "none":
        for i, (k, v) in enumerate(msgs):
            b = LegacyRecordBatchBuilder(magic=magic, compression_type=0, batch_size=1 << 20)
            b.append(base + i, timestamp=2000 + i if magic else None, key=k, value=v)
            data += b.build()
    else:
        b = LegacyRecordBatchBuilder(magic=magic, compression_type=CODECS[codec][0],
                                     batch_size=1 << 20)
        for i, (k, v) in enumerate(msgs):
            # Magic 1 inner offsets are relative; magic 0 ones absolute.
            b.append(i if magic else base + i, timestamp=2000 + i if magic else None,
                     key=k, value=v)
        data = bytearray(b.build())
        # The broker sets the wrapper offset to the last inner offset.
        struct.pack_into(">q", data, 0, base + len(msgs) - 1)
    out = kafc_decode(bytes(data))
    assert out["error"] == 0, out["error_name"]
    assert out["partial"] is False
    assert all(b["magic"] == magic for b in out["batches"])
    want = [(base + i, 2000 + i if magic else -1, k, v, []) for i, (k, v) in enumerate(msgs)]
    assert kafc_records(out) == want
    py = [(o, -1 if t is None else t, k, v, list(h))
          for b in python_batches(bytes(data)) for (o, t, k, v, h) in python_records(b)]
    assert py == want
