"""No leak over 100,000 produced messages: Python allocations (tracemalloc)
and the process's RSS stay bounded."""

import gc
import tracemalloc

from kafc import Producer
from _util import producer_conf, rss_kib


def _run(p, n, counter):
    def on_delivery(err, msg):
        counter[0] += 1

    value = b"v" * 100
    for i in range(n):
        # every shape of argument that allocates: str key, headers, callback
        p.produce("t", value, key="key-%d" % (i % 100), headers=[("h", b"x")],
                  on_delivery=on_delivery)
        if i % 5000 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def test_no_leak_over_100k_messages(make_cluster):
    # many partitions: the mock keeps at most 100,000 batches / 5 MiB each
    tc = make_cluster(brokers=1, topics=[("t", 16, 1)])
    p = Producer(producer_conf(tc, **{"buffer.memory": 8 * 1024 * 1024}))
    counter = [0]
    _run(p, 20000, counter)  # warm-up: pools, topic cache, interned strings
    gc.collect()
    rss0 = rss_kib()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    cur0, _ = tracemalloc.get_traced_memory()
    _run(p, 100000, counter)
    gc.collect()
    cur1, peak = tracemalloc.get_traced_memory()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    rss1 = rss_kib()
    assert counter[0] == 120000
    growth = cur1 - cur0
    top = "\n".join(str(s) for s in snap1.compare_to(snap0, "lineno")[:5])
    # a leak of one object per message would be >= 100000 * ~30 bytes
    assert growth < 256 * 1024, "Python memory grew by %d bytes:\n%s" % (growth, top)
    assert rss1 - rss0 < 32 * 1024, "RSS grew by %d KiB" % (rss1 - rss0)
