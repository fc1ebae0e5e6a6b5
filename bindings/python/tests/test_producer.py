"""kafc.Producer against kafc-test-cluster: delivery reports, errors, callbacks
and the GIL."""

import threading
import time

import pytest

import kafc
from kafc import KafkaError, KafkaException, Producer
from _util import producer_conf


def test_delivery_callback_for_every_message(cluster):
    n = 10000
    p = Producer(producer_conf(cluster))
    seen = {}
    offsets = {}

    def on_delivery(err, msg):
        assert err is None, err
        assert msg.error() is None
        assert msg.topic() == "t"
        i = int(msg.value())
        assert i not in seen, "second report for message %d" % i
        seen[i] = (msg.partition(), msg.offset())
        assert msg.key() == b"k%d" % i
        # offsets grow per partition in production order
        last = offsets.get(msg.partition(), -1)
        assert msg.offset() > last
        offsets[msg.partition()] = msg.offset()

    for i in range(n):
        p.produce("t", value=str(i), key=b"k%d" % i, on_delivery=on_delivery)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(30) == 0
    assert len(p) == 0
    assert sorted(seen) == list(range(n))
    # offsets in each partition are exactly 0..count-1 (a fresh cluster)
    per_part = {}
    for part, off in seen.values():
        per_part.setdefault(part, []).append(off)
    assert set(per_part) <= {0, 1, 2, 3}
    for part, offs in per_part.items():
        assert sorted(offs) == list(range(len(offs))), part
    # nothing more arrives later
    assert p.poll(0.1) == 0


def test_default_on_delivery_from_config_and_override(cluster):
    default, own = [], []
    p = Producer(producer_conf(cluster, on_delivery=lambda err, msg: default.append(msg)))
    for i in range(10):
        p.produce("t", b"d%d" % i, partition=i % 4)
    p.produce("t", b"own", partition=1, on_delivery=lambda err, msg: own.append((err, msg)))
    p.produce("t", b"old-name", callback=lambda err, msg: own.append((err, msg)))
    assert p.flush(10) == 0
    assert sorted(m.value() for m in default) == [b"d%d" % i for i in range(10)]
    assert [m.partition() for m in sorted(default, key=lambda m: m.value())] == [
        i % 4 for i in range(10)]
    assert sorted(m.value() for _, m in own) == [b"old-name", b"own"]
    assert all(err is None for err, _ in own)


def test_no_callback_at_all(cluster):
    p = Producer(producer_conf(cluster))
    for i in range(1000):
        p.produce("t", b"x" * 100)
    assert len(p) > 0
    assert p.flush(10) == 0
    assert len(p) == 0


def test_payload_types_and_headers_forms(cluster):
    reports = []
    p = Producer(producer_conf(cluster, on_delivery=lambda e, m: reports.append(m)))
    p.produce("t", value="é", key=bytearray(b"ba"), partition=0, timestamp=1700000000123,
              headers={"a": "ü", "b": b"\x00\xff", "n": None})
    p.produce("t", value=memoryview(b"mv"), key=None, partition=0,
              headers=[("r", b"1"), ("r", "2"), ("e", b"")])
    p.produce("t", value=None, key="k", partition=0)
    assert p.flush(10) == 0
    by_off = sorted(reports, key=lambda m: m.offset())
    m0, m1, m2 = by_off
    assert m0.value() == "é".encode() and m0.key() == b"ba"
    assert m0.headers() == [("a", "ü".encode()), ("b", b"\x00\xff"), ("n", None)]
    assert m1.value() == b"mv" and m1.key() is None
    assert m1.headers() == [("r", b"1"), ("r", b"2"), ("e", b"")]
    assert m2.value() is None and m2.key() == b"k" and m2.headers() is None
    assert len(m0) == 2 and len(m2) == 0
    ts_type, ts = m0.timestamp()
    assert ts_type in (kafc.TIMESTAMP_CREATE_TIME, kafc.TIMESTAMP_LOG_APPEND_TIME)


def test_bad_arguments_raise_type_errors(cluster):
    p = Producer(producer_conf(cluster))
    with pytest.raises(TypeError):
        p.produce("t", 12)
    with pytest.raises(TypeError):
        p.produce("t", b"v", headers=[("a",)])
    with pytest.raises(TypeError):
        p.produce("t", b"v", nope=1)
    with pytest.raises(TypeError):
        p.produce("t", b"v", on_delivery=5)
    with pytest.raises(TypeError):
        p.produce()
    assert len(p) == 0


def test_unknown_property_raises_with_the_library_message():
    with pytest.raises(KafkaException) as ei:
        Producer({"bootstrap.servers": "127.0.0.1:9", "no.such.property": "1"})
    err = ei.value.args[0]
    assert isinstance(err, KafkaError)
    assert err.code() == KafkaError._UNKNOWN_CONFIG
    assert err.name() == "_UNKNOWN_CONFIG"
    assert "no.such.property" in err.str()


def test_invalid_value_raises_with_the_library_message():
    with pytest.raises(KafkaException) as ei:
        Producer({"bootstrap.servers": "127.0.0.1:9", "compression.type": "brotli"})
    err = ei.value.args[0]
    assert err.code() == KafkaError._INVALID_CONFIG_VALUE
    assert 'Invalid value "brotli" for "compression.type"' in err.str()
    assert "zstd" in err.str()


def test_conflicting_config_raises_at_construction():
    with pytest.raises(KafkaException) as ei:
        Producer({"bootstrap.servers": "127.0.0.1:9", "enable.idempotence": True, "acks": 1})
    assert "enable.idempotence" in ei.value.args[0].str()
    with pytest.raises(KafkaException):
        Producer({})  # no bootstrap.servers


def test_config_value_types(cluster):
    p = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 0,
                  "enable.idempotence": False, "acks": 1, "batch.size": 16384,
                  "client.id": "py"})
    p.produce("t", b"v")
    assert p.flush(10) == 0


def test_bad_partition(cluster):
    p = Producer(producer_conf(cluster))
    with pytest.raises(KafkaException) as ei:
        p.produce("t", b"v", partition=4)  # t has partitions 0..3
    assert ei.value.args[0].code() == KafkaError._UNKNOWN_PARTITION
    with pytest.raises(KafkaException) as ei:
        p.produce("t", b"v", partition=-7)
    assert ei.value.args[0].code() == KafkaError._INVALID_ARG
    assert len(p) == 0
    p.produce("t", b"v", partition=3)
    assert p.flush(10) == 0


def test_exception_in_on_delivery_propagates_out_of_poll_and_flush(cluster):
    calls = []

    def on_delivery(err, msg):
        calls.append(int(msg.value()))
        if int(msg.value()) in (3, 7):
            raise ValueError("boom %s" % msg.value().decode())

    p = Producer(producer_conf(cluster, **{"linger.ms": 50}))
    for i in range(10):
        p.produce("t", str(i), partition=0, on_delivery=on_delivery)
    with pytest.raises(ValueError, match="boom 3"):
        p.flush(10)
    # the call stopped running callbacks after the exception: the rest wait
    assert calls == [0, 1, 2, 3]
    assert len(p) == 6
    with pytest.raises(ValueError, match="boom 7"):
        p.poll(0)
    assert calls == list(range(8))
    assert p.flush(10) == 0
    assert calls == list(range(10))  # each callback exactly once
    assert len(p) == 0


def test_flush_timeout_with_brokers_down_then_purge(cluster):
    reports = []
    p = Producer(producer_conf(cluster, on_delivery=lambda e, m: reports.append(e)))
    p.produce("t", b"first", partition=0)
    assert p.flush(10) == 0
    cluster.cmd("broker down all")
    for i in range(5):
        p.produce("t", b"x", partition=0)
    t0 = time.monotonic()
    left = p.flush(0.5)
    assert 0.4 <= time.monotonic() - t0 < 5
    assert left == 5 and len(p) == 5
    p.purge()
    assert p.flush(10) == 0
    errs = reports[1:]
    assert len(errs) == 5
    assert all(e is not None and e.code() in (KafkaError._PURGE_QUEUE,
                                              KafkaError._PURGE_INFLIGHT) for e in errs)


def test_gil_released_while_polling(cluster):
    p = Producer(producer_conf(cluster))
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    th = threading.Thread(target=spin)
    th.start()
    try:
        time.sleep(0.05)
        before = count[0]
        assert p.poll(0.5) == 0
        during = count[0] - before
    finally:
        stop.set()
        th.join()
    # With the GIL held for 0.5 s the thread could not have counted at all
    # beyond the switch interval; it runs freely when the GIL is released.
    assert during > 10000


def test_poll_from_two_threads(cluster):
    reports = []
    lock = threading.Lock()

    def on_delivery(err, msg):
        with lock:
            reports.append((threading.get_ident(), msg.value()))

    p = Producer(producer_conf(cluster, on_delivery=on_delivery))
    stop = threading.Event()

    def poller():
        while not stop.is_set():
            p.poll(0.05)

    th = threading.Thread(target=poller)
    th.start()
    try:
        for i in range(2000):
            p.produce("t", b"%d" % i)
        deadline = time.monotonic() + 10
        while len(p) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        th.join()
    p.flush(10)
    assert sorted(int(v) for _, v in reports) == list(range(2000))


def test_error_and_partition_types():
    e = KafkaError(KafkaError._PARTITION_EOF)
    assert e == KafkaError._PARTITION_EOF and e.code() == -113
    assert e.name() == "_PARTITION_EOF" and e.str()
    assert KafkaError(3) == KafkaError.UNKNOWN_TOPIC_OR_PARTITION
    assert KafkaError(3, "why").str() == "why"
    assert repr(KafkaError(3)).startswith("KafkaError{code=UNKNOWN_TOPIC_OR_PARTITION")
    ex = KafkaException(KafkaError(3))
    assert ex.args[0].code() == 3
    assert issubclass(kafc.QueueFullError, BufferError)
    assert issubclass(kafc.QueueFullError, KafkaException)
    tp = kafc.TopicPartition("t", 2)
    assert tp.offset == kafc.OFFSET_INVALID == -1001
    assert tp.leader_epoch is None and tp.metadata is None and tp.error is None
    tp.offset = kafc.OFFSET_BEGINNING
    assert tp.offset == -2
    assert kafc.TopicPartition("t", 2, 9) == tp and hash(kafc.TopicPartition("t", 2)) == hash(tp)
    assert sorted([kafc.TopicPartition("b", 0), kafc.TopicPartition("a", 1),
                   kafc.TopicPartition("a", 0)]) == [kafc.TopicPartition("a", 0),
                                                     kafc.TopicPartition("a", 1),
                                                     kafc.TopicPartition("b", 0)]
    assert (kafc.OFFSET_END, kafc.OFFSET_STORED) == (-1, -1000)
    assert kafc.libversion()[0].count(".") == 2
