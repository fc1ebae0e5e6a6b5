"""Helpers shared by the binding tests (fixtures are in conftest.py)."""

import os
import resource


def producer_conf(tc, **extra):
    conf = {"bootstrap.servers": tc.bootstrap, "linger.ms": 5}
    conf.update(extra)
    return conf


def consumer_conf(tc, **extra):
    conf = {"bootstrap.servers": tc.bootstrap}
    conf.update(extra)
    return conf


def produce_and_flush(p, items, topic="t", timeout=30):
    """Produces (key, value, headers, timestamp, partition) items and
    returns the delivery reports as {(partition, offset): msg}."""
    reports = []

    def on_delivery(err, msg):
        assert err is None, err
        reports.append(msg)

    for key, value, headers, ts, part in items:
        p.produce(topic, value=value, key=key, headers=headers, timestamp=ts,
                  partition=part, on_delivery=on_delivery)
    assert p.flush(timeout) == 0
    assert len(reports) == len(items)
    return reports



def rss_kib():
    """The resident set size of this process, KiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * (resource.getpagesize() // 1024)
