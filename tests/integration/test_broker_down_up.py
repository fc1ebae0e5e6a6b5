"""integration.broker_down_up: the launcher's fault commands take effect as
seen from an independent peer client (kafka-python).

What librdkafka 2.0.2's mock does on `broker down ID` (measured, and asserted
below): it closes the broker's open connections at once (the peer reads EOF)
and closes its listener, so new connections are refused (ECONNREFUSED); the
partition leaders do NOT move. `broker up ID` listens on the same port again.

Run with Debian's interpreter: /usr/bin/python3 -m pytest -q this_file
(ctest sets KAFC_TEST_CLUSTER_BIN and PYTHONPATH=<src>/tests/cluster).
"""

import select
import socket
import struct
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kerr

from kafc_test_cluster import TestCluster

TOPIC = "t"
REQUEST_TIMEOUT_MS = 3000  # a batch with no reachable leader expires after this


@pytest.fixture
def cluster():
    with TestCluster(brokers=3, topics=[(TOPIC, 4)]) as tc:
        yield tc


def make_producer(tc):
    return KafkaProducer(bootstrap_servers=tc.bootstrap, acks=1, retries=0,
                         request_timeout_ms=REQUEST_TIMEOUT_MS, max_block_ms=10000,
                         reconnect_backoff_ms=50, reconnect_backoff_max_ms=500,
                         api_version_auto_timeout_ms=5000)


def produce(producer, value, partition, timeout=15):
    return producer.send(TOPIC, value, partition=partition).get(timeout=timeout)


def read_partition(tc, partition, count, timeout=20):
    """The first `count` values of the partition (bounded wait)."""
    consumer = KafkaConsumer(bootstrap_servers=tc.bootstrap, enable_auto_commit=False,
                             request_timeout_ms=10000, api_version_auto_timeout_ms=5000,
                             fetch_max_wait_ms=100)
    try:
        tp = TopicPartition(TOPIC, partition)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        values = []
        deadline = time.monotonic() + timeout
        while len(values) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values += [r.value for r in records]
        return values
    finally:
        consumer.close()


def host_port(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def api_versions_roundtrip(sock):
    """One ApiVersions v0 request/response on a raw socket (bounded)."""
    req = struct.pack(">hhih", 18, 0, 1, -1)
    sock.sendall(struct.pack(">i", len(req)) + req)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    return recv_exact(sock, size)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def test_broker_down_closes_connections_and_refuses_new_ones(cluster):
    addr = host_port(cluster.broker_addr(2))
    with socket.create_connection(addr, timeout=5) as s:
        api_versions_roundtrip(s)
        cluster.cmd("broker down 2")
        # The open connection is closed by the broker: EOF, not a hang.
        ready, _, _ = select.select([s], [], [], 5)
        assert ready, "broker down did not close the open connection"
        assert s.recv(16) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(addr, timeout=5).close()
    # Other brokers are unaffected.
    with socket.create_connection(host_port(cluster.broker_addr(1)), timeout=5) as s:
        api_versions_roundtrip(s)
    cluster.cmd("broker up 2")
    with socket.create_connection(addr, timeout=5) as s:
        api_versions_roundtrip(s)


def test_produce_fails_while_leader_down_and_recovers(cluster):
    cluster.cmd("leader %s 0 2" % TOPIC)
    cluster.cmd("leader %s 1 1" % TOPIC)

    before = make_producer(cluster)
    try:
        assert produce(before, b"one", 0).offset == 0
    finally:
        before.close(timeout=5)

    cluster.cmd("broker down 2")
    # A fresh producer: bootstraps from the brokers still up, learns from
    # Metadata that broker 2 still leads partition 0 (the mock does not move
    # leaders), cannot connect to it, and the batch expires after
    # request_timeout_ms. Partition 1 (led by broker 1) keeps working.
    producer = make_producer(cluster)
    try:
        assert produce(producer, b"p1-during-down", 1).offset == 0
        started = time.monotonic()
        with pytest.raises(kerr.KafkaTimeoutError, match="expired"):
            produce(producer, b"lost", 0, timeout=REQUEST_TIMEOUT_MS / 1000 + 10)
        elapsed = time.monotonic() - started
        assert elapsed < REQUEST_TIMEOUT_MS / 1000 + 5, elapsed

        cluster.cmd("broker up 2")
        # The same producer reconnects by itself and delivers.
        assert produce(producer, b"three", 0).offset == 1
    finally:
        producer.close(timeout=5)

    # The expired message never reached the broker.
    assert read_partition(cluster, 0, 2) == [b"one", b"three"]
    assert read_partition(cluster, 1, 1) == [b"p1-during-down"]


def test_pushed_produce_errors_fail_produce_in_order(cluster):
    producer = make_producer(cluster)
    try:
        assert produce(producer, b"warm", 0).offset == 0
        # Next three Produce requests (to any broker) fail, in this order:
        # MSG_SIZE_TOO_LARGE (10), TOPIC_AUTHORIZATION_FAILED (29, by name),
        # and a closed connection (-195, _TRANSPORT).
        cluster.cmd("error push 0 10 TOPIC_AUTHORIZATION_FAILED -195")
        with pytest.raises(kerr.MessageSizeTooLargeError) as e1:
            produce(producer, b"x1", 0)
        assert e1.value.errno == 10
        with pytest.raises(kerr.TopicAuthorizationFailedError) as e2:
            produce(producer, b"x2", 0)
        assert e2.value.errno == 29
        with pytest.raises(kerr.KafkaConnectionError):
            produce(producer, b"x3", 0)
        # The stack is used up: the next produce succeeds.
        assert produce(producer, b"after", 0).offset == 1
    finally:
        producer.close(timeout=5)
    assert read_partition(cluster, 0, 2) == [b"warm", b"after"]


def test_pushed_broker_errors_apply_to_that_broker_only(cluster):
    cluster.cmd("leader %s 0 2" % TOPIC)
    cluster.cmd("leader %s 1 3" % TOPIC)
    producer = make_producer(cluster)
    try:
        assert produce(producer, b"a", 0).offset == 0
        cluster.cmd("error push-broker 2 0 NOT_ENOUGH_REPLICAS:0")
        assert cluster.cmd("error count 2 0") == "ok 1"
        # Broker 3 (partition 1) is not affected and leaves the error in place.
        assert produce(producer, b"b", 1).offset == 0
        assert cluster.cmd("error count 2 0") == "ok 1"
        with pytest.raises(kerr.NotEnoughReplicasError):
            produce(producer, b"c", 0)
        assert cluster.cmd("error count 2 0") == "ok 0"
        assert produce(producer, b"d", 0).offset == 1
    finally:
        producer.close(timeout=5)
