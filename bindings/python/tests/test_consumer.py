"""kafc.Consumer against kafc-test-cluster: round trips with kafc.Producer,
consumer groups, commits and resuming, callbacks, seek/pause/position."""

import time

import pytest

import kafc
from kafc import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from _util import consumer_conf, produce_and_flush, producer_conf

BASE_TS = 1700000000000


def group_conf(tc, group, **extra):
    conf = consumer_conf(tc, **{"group.id": group, "auto.offset.reset": "earliest",
                                "session.timeout.ms": 6000, "heartbeat.interval.ms": 300,
                                "fetch.max.wait.ms": 100})
    conf.update(extra)
    return conf


def items(n, partitions=4):
    """(key, value, headers, timestamp, partition) for message i."""
    out = []
    for i in range(n):
        key = None if i % 10 == 0 else b"key-%d" % i
        value = None if i % 17 == 0 else (b"value-%d-" % i) + bytes(range(i % 256))
        headers = None if i % 3 == 0 else [("i", b"%d" % i), ("null", None), ("i", b"again")]
        out.append((key, value, headers, BASE_TS + i, i % partitions))
    return out


def index_of(msg):
    return int(msg.timestamp()[1] - BASE_TS)


def consume_n(consumers, n, timeout=20):
    """Polls the consumers in turn until n messages came; returns a list of
    messages per consumer. Error events fail the test."""
    got = [[] for _ in consumers]
    deadline = time.monotonic() + timeout
    while sum(map(len, got)) < n:
        assert time.monotonic() < deadline, "only %d of %d messages" % (sum(map(len, got)), n)
        for i, c in enumerate(consumers):
            for m in c.consume(500, timeout=0.05):
                assert m.error() is None, m.error()
                got[i].append(m)
    return got


def test_round_trip_keys_headers_timestamps(cluster):
    sent = items(1000)
    p = Producer(producer_conf(cluster))
    produce_and_flush(p, sent)
    c = Consumer(consumer_conf(cluster, **{"fetch.max.wait.ms": 100}))
    try:
        c.assign([TopicPartition("t", part, kafc.OFFSET_BEGINNING) for part in range(4)])
        assert sorted(tp.partition for tp in c.assignment()) == [0, 1, 2, 3]
        (got,) = consume_n([c], 1000)
    finally:
        c.close()
    assert len(got) == 1000
    seen = set()
    last = {}
    for m in got:
        i = index_of(m)
        assert i not in seen
        seen.add(i)
        key, value, headers, ts, part = sent[i]
        assert m.topic() == "t" and m.partition() == part
        assert m.offset() > last.get(part, -1)
        last[part] = m.offset()
        assert m.key() == key and m.value() == value
        assert m.headers() == headers
        assert m.timestamp() == (kafc.TIMESTAMP_CREATE_TIME, ts)
        assert m.leader_epoch() is None or m.leader_epoch() >= 0
    assert seen == set(range(1000))


def test_poll_eof_events_and_closed_consumer(cluster):
    p = Producer(producer_conf(cluster))
    produce_and_flush(p, items(10, partitions=1))
    c = Consumer(consumer_conf(cluster, **{"enable.partition.eof": True,
                                           "fetch.max.wait.ms": 100}))
    c.assign([TopicPartition("t", 0, kafc.OFFSET_BEGINNING)])
    msgs, eof = [], None
    deadline = time.monotonic() + 10
    while eof is None and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            eof = m
        else:
            msgs.append(m)
    assert [m.offset() for m in msgs] == list(range(10))
    assert eof is not None and eof.error().code() == KafkaError._PARTITION_EOF
    assert eof.partition() == 0 and eof.offset() == 10
    assert c.poll(0) is None or c.poll(0).error() is not None
    c.close()
    c.close()  # twice is harmless
    with pytest.raises(RuntimeError):
        c.poll(0)


def test_seek_pause_resume_position(cluster):
    p = Producer(producer_conf(cluster))
    produce_and_flush(p, items(100, partitions=1))
    c = Consumer(consumer_conf(cluster, **{"fetch.max.wait.ms": 100}))
    try:
        tp = TopicPartition("t", 0, kafc.OFFSET_BEGINNING)
        c.assign([tp])
        (got,) = consume_n([c], 100)
        assert [m.offset() for m in got] == list(range(100))
        (pos,) = c.position([TopicPartition("t", 0)])
        assert pos.offset == 100 and pos.error is None
        c.seek(TopicPartition("t", 0, 90))
        (got,) = consume_n([c], 10)
        assert [m.offset() for m in got] == list(range(90, 100))
        c.pause([TopicPartition("t", 0)])
        c.seek(TopicPartition("t", 0, 50))
        assert c.consume(10, timeout=0.5) == []
        c.resume([TopicPartition("t", 0)])
        (got,) = consume_n([c], 50)
        assert [m.offset() for m in got] == list(range(50, 100))
        lo, hi = c.get_watermark_offsets(TopicPartition("t", 0), timeout=10)
        assert (lo, hi) == (0, 100)
        with pytest.raises(KafkaException):
            c.seek(TopicPartition("t", 3, 0))  # not assigned
    finally:
        c.close()


def test_consumer_config_errors():
    with pytest.raises(KafkaException) as ei:
        Consumer({"bootstrap.servers": "127.0.0.1:9", "group.idd": "x"})
    assert ei.value.args[0].code() == KafkaError._UNKNOWN_CONFIG
    assert "group.idd" in ei.value.args[0].str()
    with pytest.raises(KafkaException) as ei:
        Consumer({"bootstrap.servers": "127.0.0.1:9", "auto.offset.reset": "sideways"})
    assert ei.value.args[0].code() == KafkaError._INVALID_CONFIG_VALUE
    c = Consumer({"bootstrap.servers": "127.0.0.1:9"})
    with pytest.raises(KafkaException):
        c.subscribe(["t"])  # no group.id
    with pytest.raises(TypeError):
        c.assign(["t"])
    c.close()


def test_group_of_two_consumers_shares_partitions(cluster):
    assigned = {0: [], 1: []}

    def on_assign_for(k):
        def on_assign(consumer, partitions):
            assert isinstance(consumer, Consumer)
            assigned[k] = [tp.partition for tp in partitions]
        return on_assign

    cs = [Consumer(group_conf(cluster, "g2", **{"partition.assignment.strategy": "range"}))
          for _ in range(2)]
    try:
        for k, c in enumerate(cs):
            c.subscribe(["t"], on_assign=on_assign_for(k))
        deadline = time.monotonic() + 30
        while True:
            for c in cs:
                assert c.poll(0.1) is None  # nothing produced yet
            parts = [sorted(tp.partition for tp in c.assignment()) for c in cs]
            if all(parts) and sorted(parts[0] + parts[1]) == [0, 1, 2, 3]:
                break
            assert time.monotonic() < deadline, "group never settled: %r" % parts
        assert not set(parts[0]) & set(parts[1])
        assert sorted(assigned[0]) == parts[0] and sorted(assigned[1]) == parts[1]

        p = Producer(producer_conf(cluster))
        produce_and_flush(p, items(400))
        got = consume_n(cs, 400)
        for k in (0, 1):
            assert got[k], "consumer %d got nothing" % k
            assert {m.partition() for m in got[k]} <= set(parts[k])
        offsets = [(m.partition(), m.offset()) for g in got for m in g]
        assert len(offsets) == len(set(offsets)) == 400  # no overlap, nothing twice
        per_part = {}
        for part, off in offsets:
            per_part.setdefault(part, []).append(off)
        for part, offs in per_part.items():
            assert sorted(offs) == list(range(100)), part  # every offset seen
    finally:
        for c in cs:
            c.close()


def test_commit_and_resume_with_a_new_consumer(cluster):
    p = Producer(producer_conf(cluster))
    produce_and_flush(p, items(200, partitions=2))
    commits = []
    conf = group_conf(cluster, "g-resume", **{"enable.auto.commit": False,
                                              "on_commit": lambda e, l: commits.append((e, l))})
    c1 = Consumer(conf)
    parts = [TopicPartition("t", 0), TopicPartition("t", 1)]
    try:
        c1.subscribe(["t"])
        byp = {0: {}, 1: {}}
        deadline = time.monotonic() + 30
        while len(byp[0]) < 50 or len(byp[1]) < 50:
            assert time.monotonic() < deadline
            for m in c1.consume(100, timeout=0.2):
                if not m.error():
                    byp[m.partition()][m.offset()] = m
        last = {0: byp[0][29], 1: byp[1][40]}
        # partition 0 by message (sync), partition 1 by explicit offsets (async)
        res = c1.commit(message=last[0], asynchronous=False)
        assert len(res) == 1 and res[0].error is None
        assert (res[0].partition, res[0].offset) == (0, 30)
        c1.commit(offsets=[TopicPartition("t", 1, last[1].offset() + 1)], asynchronous=True)
        deadline = time.monotonic() + 10
        while not commits and time.monotonic() < deadline:
            c1.poll(0.1)
        assert commits, "no on_commit callback"
        want = {0: last[0].offset() + 1, 1: last[1].offset() + 1}
        committed = c1.committed(parts, timeout=10)
        assert {tp.partition: tp.offset for tp in committed} == want
    finally:
        c1.close()

    c2 = Consumer(conf)
    try:
        assert {tp.partition: tp.offset for tp in c2.committed(parts, timeout=10)} == want
        c2.subscribe(["t"])
        first = {}
        deadline = time.monotonic() + 30
        while len(first) < 2:
            assert time.monotonic() < deadline
            for m in c2.consume(100, timeout=0.2):
                if not m.error():
                    first.setdefault(m.partition(), m.offset())
        assert first == want
    finally:
        c2.close()


def test_exception_in_on_assign_propagates_and_loses_nothing(cluster):
    p = Producer(producer_conf(cluster))
    produce_and_flush(p, items(40))

    class Boom(Exception):
        pass

    def on_assign(consumer, partitions):
        raise Boom("assign")

    c = Consumer(group_conf(cluster, "g-exc"))
    try:
        c.subscribe(["t"], on_assign=on_assign)
        got = []
        raised = False
        deadline = time.monotonic() + 30
        while len(got) < 40:
            assert time.monotonic() < deadline, len(got)
            try:
                got.extend(m for m in c.consume(100, timeout=0.2) if not m.error())
            except Boom:
                assert not raised, "raised twice"
                raised = True
        assert raised
        assert sorted((m.partition(), m.offset()) for m in got) == sorted(
            (i % 4, i // 4) for i in range(40))
    finally:
        c.close()


def test_on_revoke_runs_in_close_and_unsubscribe(cluster):
    events = []
    c = Consumer(group_conf(cluster, "g-revoke"))
    c.subscribe(["t"], on_assign=lambda c_, ps: events.append(("assign", len(ps))),
                on_revoke=lambda c_, ps: events.append(("revoke", len(ps))))
    deadline = time.monotonic() + 30
    while not events:
        assert time.monotonic() < deadline
        c.poll(0.1)
    assert events == [("assign", 4)]
    assert c.subscription() == ["t"]
    c.unsubscribe()
    assert ("revoke", 4) in events
    assert c.assignment() == []
    c.close()
