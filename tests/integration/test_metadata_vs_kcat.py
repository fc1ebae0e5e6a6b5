"""kafc-metadata (kafc's metadata path end to end) reports the same cluster
as kcat (librdkafka) does: brokers, topics, partitions, leaders, replicas and
ISR, before and after a leader move."""

import json
import os
import re
import subprocess

from kafc_test_cluster import TestCluster

KAFC_METADATA = os.environ["KAFC_METADATA_BIN"]


def kafc_view(bootstrap):
    out = subprocess.run([KAFC_METADATA, "-b", bootstrap, "-T", "10000"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    brokers, topics, cur = {}, {}, None
    for line in out.splitlines():
        m = re.match(r"\s+broker (\d+) at (\S+):(\d+)", line)
        if m:
            brokers[int(m.group(1))] = (m.group(2), int(m.group(3)))
            continue
        m = re.match(r'\s+topic "([^"]+)" with (\d+) partitions', line)
        if m:
            cur = topics.setdefault(m.group(1), {})
            continue
        m = re.match(r"\s+partition (\d+), leader (-?\d+), replicas: ([\d,]*), isrs: ([\d,]*)",
                     line)
        if m:
            ids = lambda s: sorted(int(x) for x in s.split(",") if x)
            cur[int(m.group(1))] = (int(m.group(2)), ids(m.group(3)), ids(m.group(4)))
    return brokers, topics


def kcat_view(bootstrap):
    out = subprocess.run(["kcat", "-b", bootstrap, "-L", "-J", "-m", "10"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    md = json.loads(out)
    brokers = {}
    for b in md["brokers"]:
        host, port = b["name"].rsplit("/", 1)[0].rsplit(":", 1)
        brokers[b["id"]] = (host, int(port))
    topics = {}
    for t in md["topics"]:
        topics[t["topic"]] = {
            p["partition"]: (p["leader"], sorted(r["id"] for r in p["replicas"]),
                             sorted(i["id"] for i in p["isrs"]))
            for p in t["partitions"]}
    return brokers, topics


def test_same_view_as_kcat():
    with TestCluster(brokers=3, topics=[("orders", 6), ("events", 3)]) as tc:
        kb, kt = kafc_view(tc.bootstrap)
        cb, ct = kcat_view(tc.bootstrap)
        assert len(kb) == 3
        assert kb == cb
        assert set(kt) == set(ct) and {"orders", "events"} <= set(kt)
        assert kt == ct

        tc.cmd("leader orders 0 3")
        tc.cmd("leader events 2 1")
        kb, kt = kafc_view(tc.bootstrap)
        cb, ct = kcat_view(tc.bootstrap)
        assert kt["orders"][0][0] == 3
        assert kt["events"][2][0] == 1
        assert kt == ct


def test_one_broker_down_still_answers():
    with TestCluster(brokers=3, topics=[("t", 4)]) as tc:
        tc.cmd("broker down 1")
        kb, kt = kafc_view(tc.bootstrap)
        assert sorted(kb) == [1, 2, 3]
        assert len(kt["t"]) == 4
