"""kafc's codecs against kafka-python's (kafka.codec): what kafc compresses,
kafka-python decompresses, and the reverse.

kafc's side runs through the codec_tool helper (tests/interop/codec_tool.c),
found through $KAFC_CODEC_TOOL (ctest sets it). Needs Debian's python3-kafka,
python3-pytest, and for snappy/lz4/zstd python3-snappy, python3-lz4 and
python3-zstandard (a codec whose module is missing is skipped).
"""
import os
import random
import struct
import subprocess

import pytest

kc = pytest.importorskip("kafka.codec")

TOOL = os.environ.get("KAFC_CODEC_TOOL")
if not TOOL:
    pytest.skip("KAFC_CODEC_TOOL is not set (run through ctest)", allow_module_level=True)

HAS = {
    "gzip": True,
    "snappy": kc.has_snappy(),
    "lz4": kc.has_lz4(),
    "zstd": kc.has_zstd(),
}
ENCODE = {
    "gzip": kc.gzip_encode,
    "snappy": kc.snappy_encode,
    "lz4": kc.lz4_encode,
    "zstd": kc.zstd_encode,
}
DECODE = {
    "gzip": kc.gzip_decode,
    "snappy": kc.snappy_decode,
    "lz4": kc.lz4_decode,
    "zstd": kc.zstd_decode,
}
# The ends of each codec's level range, and the default.
LEVELS = {
    "gzip": [-1, 0, 1, 9],
    "snappy": [-1],
    "lz4": [-1, 0, 3, 12],
    "zstd": [-1, 0, 1, 19, 22],
}
CODECS = list(LEVELS)


def text(n, seed=1):
    rnd = random.Random(seed)
    words = ["kafka", "broker", "offset", "leader", "fetch", "commit", "topic"]
    out = bytearray()
    i = 0
    while len(out) < n:
        out += b'{"ts":%d,"host":"web-%02d","msg":"%s"}\n' % (
            1717200000000 + i, rnd.randrange(40),
            " ".join(rnd.choice(words) for _ in range(5)).encode())
        i += 1
    return bytes(out[:n])


def noise(n, seed=2):
    return random.Random(seed).randbytes(n)


DATA = {
    "empty": b"",
    "one": b"x",
    "text100": text(100),
    "text64k1": text(64 * 1024 + 1),
    "text1m": text(1 << 20),
    "random300k": noise(300 * 1024),
}


def tool(*args, data):
    p = subprocess.run([TOOL, *map(str, args)], input=data, capture_output=True, timeout=60)
    if p.returncode == 4:
        pytest.skip("%s is not in this kafc build" % args[1])
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def need(codec):
    if not HAS[codec]:
        pytest.skip("kafka-python has no %s module here" % codec)


@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("codec", CODECS)
def test_kafc_to_kafka_python(codec, name):
    need(codec)
    data = DATA[name]
    if codec == "snappy" and not data:
        # kafc writes the xerial header alone, as Java's SnappyOutputStream
        # does; kafka-python only recognises xerial streams longer than that.
        assert tool("compress", codec, -1, data=data) == bytes(
            [0x82]) + b"SNAPPY\0" + struct.pack(">ii", 1, 1)
        return
    for level in LEVELS[codec]:
        if level >= 19 and len(data) > 100 * 1024:
            continue  # the slowest levels on the small inputs only
        comp = tool("compress", codec, level, data=data)
        assert DECODE[codec](comp) == data, "level %d" % level


@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_to_kafc(codec, name):
    need(codec)
    data = DATA[name]
    comp = ENCODE[codec](data)
    assert tool("decompress", codec, data=comp) == data
    # The cap holds for foreign input too.
    if data:
        p = subprocess.run([TOOL, "decompress", codec, str(len(data) - 1)], input=comp,
                           capture_output=True, timeout=60)
        assert p.returncode == 2 and b"_DECOMPRESS" in p.stderr


def test_kafka_python_variants_to_kafc():
    data = text(200 * 1024, seed=7)
    if HAS["snappy"]:
        raw = kc.snappy_encode(data, xerial_compatible=False)
        assert tool("decompress", "snappy", data=raw) == data
        small = kc.snappy_encode(data, xerial_blocksize=4096)
        assert tool("decompress", "snappy", data=small) == data
    if HAS["gzip"]:
        for level in (1, 9):
            assert tool("decompress", "gzip", data=kc.gzip_encode(data, level)) == data


def test_lz4_frame_is_what_java_reads():
    need("lz4")
    comp = tool("compress", "lz4", -1, data=text(200 * 1024))
    assert comp[:4] == b"\x04\x22\x4d\x18"
    # FLG: version 01, independent blocks, no block/content checksum, no
    # content size; BD: 64 KiB blocks (KafkaLZ4BlockInputStream's limits).
    assert comp[4] == 0x60 and comp[5] == 0x40


def test_snappy_chunks_are_xerial_sized():
    need("snappy")
    data = text(100 * 1024)
    comp = tool("compress", "snappy", -1, data=data)
    assert comp[:16] == bytes([0x82]) + b"SNAPPY\0" + struct.pack(">ii", 1, 1)
    pos, chunks = 16, 0
    import snappy
    while pos < len(comp):
        (n,) = struct.unpack(">i", comp[pos:pos + 4])
        block = comp[pos + 4:pos + 4 + n]
        assert len(snappy.decompress(block)) <= 32 * 1024
        pos += 4 + n
        chunks += 1
    assert pos == len(comp) and chunks == 4
