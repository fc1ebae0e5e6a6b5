#!/usr/bin/python3
"""Writes the codec interop fixtures that tests/unit/test_codec.c reads.

Each fixture is plain.bin compressed by an implementation independent of
kafc: kafka-python's kafka.codec (what a Python producer sends) and the
Python bindings of zlib, python-snappy, python-lz4 and python-zstandard with
options kafka-python does not use (checksums, linked blocks, several frames,
no content size). The outputs are committed, so the unit test needs no
Python; rerun this script (Debian: python3-kafka python3-lz4 python3-snappy
python3-zstandard) only to change them. The output is deterministic.

Usage: /usr/bin/python3 make_fixtures.py [output-dir]   (default: its own dir)
"""
import gzip
import os
import random
import sys

import kafka.codec as kc
import lz4.frame
import snappy
import zstandard


def plain_text():
    # ~150 KB of JSON-ish log records: compressible like a real batch.
    rnd = random.Random(20240601)
    levels = ["INFO", "WARN", "DEBUG", "ERROR"]
    words = ["alpha", "beta", "gamma", "delta", "kafka", "broker", "fetch",
             "produce", "offset", "commit", "partition", "leader"]
    lines = []
    size = 0
    i = 0
    while size < 150_000:
        line = ('{"ts":%d,"level":"%s","host":"web-%02d","req":"%08x",'
                '"msg":"%s","latency_ms":%d}\n' % (
                    1717200000000 + i * 37, rnd.choice(levels), rnd.randrange(40),
                    rnd.getrandbits(32), " ".join(rnd.choice(words) for _ in range(rnd.randrange(3, 12))),
                    rnd.randrange(2000)))
        lines.append(line)
        size += len(line)
        i += 1
    return "".join(lines).encode()


def no_mtime(gz):
    # gzip's MTIME (bytes 4..7) is the time of the run; zero it so the
    # output is reproducible (no header CRC covers it).
    return gz[:4] + b"\0\0\0\0" + gz[8:]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    assert kc.has_snappy() and kc.has_lz4() and kc.has_zstd(), \
        "needs python3-snappy python3-lz4 python3-zstandard"
    plain = plain_text()
    half = len(plain) // 2
    a, b = plain[:half], plain[half:]

    fixtures = {
        "plain.bin": plain,
        # kafka-python, as its producer compresses a batch
        "gzip_kafka_python.bin": no_mtime(kc.gzip_encode(plain)),
        "snappy_xerial_kafka_python.bin": kc.snappy_encode(plain),
        "snappy_raw_kafka_python.bin": kc.snappy_encode(plain, xerial_compatible=False),
        "lz4_kafka_python.bin": kc.lz4_encode(plain),
        "zstd_kafka_python.bin": kc.zstd_encode(plain),
        # other shapes the decoders must take
        "gzip_two_members.bin": gzip.compress(a, mtime=0) + gzip.compress(b, mtime=0),
        "snappy_xerial_8k_chunks.bin": kc.snappy_encode(plain, xerial_blocksize=8 * 1024),
        "lz4_linked_checksums.bin": lz4.frame.compress(
            plain, block_size=lz4.frame.BLOCKSIZE_MAX4MB, block_linked=True,
            content_checksum=True, block_checksum=True, store_size=True),
        "lz4_hc_two_frames.bin": lz4.frame.compress(
            a, compression_level=9, block_linked=False, store_size=False)
        + lz4.frame.compress(b, block_size=lz4.frame.BLOCKSIZE_MAX256KB),
        "zstd_no_size_checksum.bin": zstandard.ZstdCompressor(
            level=19, write_content_size=False, write_checksum=True).compress(plain),
        "zstd_two_frames.bin": zstandard.ZstdCompressor(level=1).compress(a)
        + zstandard.ZstdCompressor(level=5, write_content_size=False).compress(b),
    }
    # Sanity: every fixture decodes back with the Python decoders.
    assert kc.gzip_decode(fixtures["gzip_two_members.bin"]) == plain
    assert snappy.decompress(fixtures["snappy_raw_kafka_python.bin"]) == plain
    assert kc.snappy_decode(fixtures["snappy_xerial_8k_chunks.bin"]) == plain
    assert lz4.frame.decompress(fixtures["lz4_linked_checksums.bin"]) == plain
    dz = zstandard.ZstdDecompressor()
    assert dz.decompressobj().decompress(fixtures["zstd_no_size_checksum.bin"]) == plain

    for name, data in fixtures.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-34s %7d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
