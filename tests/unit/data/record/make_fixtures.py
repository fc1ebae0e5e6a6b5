#!/usr/bin/python3
"""Writes the legacy message set fixtures of tests/unit/test_legacy.c.

They are made by kafka-python's own legacy builder (an implementation
independent of kafc), so the tests check kafc against it. Run with Debian's
interpreter from this directory:  /usr/bin/python3 make_fixtures.py
The expected contents are listed in test_legacy.c; keep the two in step.
"""
import struct
import zlib

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder

GZIP, SNAPPY, LZ4 = 1, 2, 3
MSGS = [(b"k0", b"v0"), (None, b"v1"), (b"k2", None)]


def legacy(magic, codec, offsets, timestamps, msgs=MSGS):
    b = LegacyRecordBatchBuilder(magic=magic, compression_type=codec, batch_size=1 << 20)
    for off, ts, (k, v) in zip(offsets, timestamps, msgs):
        assert b.append(off, timestamp=ts, key=k, value=v) is not None
    return bytearray(b.build())


def set_wrapper(buf, offset=None, attrs_or=0, timestamp=None):
    """Patches the (single) wrapper message: its offset (outside the CRC), and
    attributes / timestamp (inside it: the CRC is recomputed)."""
    if offset is not None:
        struct.pack_into(">q", buf, 0, offset)
    buf[17] |= attrs_or
    if timestamp is not None:
        struct.pack_into(">q", buf, 18, timestamp)
    struct.pack_into(">I", buf, 12, zlib.crc32(bytes(buf[16:])) & 0xffffffff)
    return buf


def write(name, data):
    with open(name, "wb") as f:
        f.write(bytes(data))


def main():
    write("legacy_v0.bin", legacy(0, 0, [0, 1, 2], [None] * 3))
    write("legacy_v1.bin", legacy(1, 0, [10, 11, 12], [1000, 1001, 999]))
    # Compressed magic 1: inner offsets relative (0..2), wrapper offset is the
    # last inner message's absolute offset: 102 -> inner 100, 101, 102.
    for codec, name in ((GZIP, "gzip"), (SNAPPY, "snappy"), (LZ4, "lz4")):
        w = legacy(1, codec, [0, 1, 2], [2000, 2001, 2002])
        write("legacy_v1_%s.bin" % name, set_wrapper(w, offset=102))
    # LogAppendTime wrapper: every inner message takes the wrapper's time.
    w = legacy(1, GZIP, [0, 1, 2], [2000, 2001, 2002])
    write("legacy_v1_gzip_logappend.bin",
          set_wrapper(w, offset=202, attrs_or=0x08, timestamp=5555))
    # Compressed magic 0: inner offsets absolute (50..52), wrapper 52.
    w = legacy(0, GZIP, [50, 51, 52], [None] * 3)
    write("legacy_v0_gzip.bin", set_wrapper(w, offset=52))
    # A fetch range mixing formats: a v1 gzip set (300..302), a v0 message
    # (303), then a v2 batch (304..305, kafka-python's builder).
    mixed = set_wrapper(legacy(1, GZIP, [0, 1, 2], [3000, 3001, 3002]), offset=302)
    mixed += legacy(0, 0, [303], [None], [(b"old", b"zero")])
    v2 = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                   producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                   batch_size=1 << 20)
    v2.append(0, timestamp=4000, key=b"new", value=b"two", headers=[("h", b"x")])
    v2.append(1, timestamp=4001, key=None, value=b"three", headers=[])
    v2buf = bytearray(v2.build())
    struct.pack_into(">q", v2buf, 0, 304)  # baseOffset: outside the CRC
    mixed += v2buf
    write("mixed_v1_v0_v2.bin", mixed)


if __name__ == "__main__":
    main()
