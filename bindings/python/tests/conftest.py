"""Fixtures for the kafc Python binding tests.

Each test that needs a broker starts its own kafc-test-cluster (librdkafka's
mock cluster, tests/cluster) through the Python helper and stops it at the
end, also when the test fails. Run with Debian's interpreter:

    PYTHONPATH=<build>/bindings/python:tests/cluster \
    KAFC_TEST_CLUSTER_BIN=<build>/tests/cluster/kafc-test-cluster \
    /usr/bin/python3 -m pytest -q bindings/python/tests

(ctest -R python.binding sets all of this.)
"""

import os
import shutil
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))
_CLUSTER_DIR = os.path.join(_REPO, "tests", "cluster")
if _CLUSTER_DIR not in sys.path:
    sys.path.insert(0, _CLUSTER_DIR)

from kafc_test_cluster import TestCluster  # noqa: E402

import kafc  # noqa: E402


@pytest.fixture
def make_cluster():
    """make_cluster(brokers=3, topics=[("t", 4)]) -> a running TestCluster,
    stopped when the test ends."""
    started = []

    def make(brokers=3, topics=(("t", 4),)):
        tc = TestCluster(brokers=brokers, topics=topics)
        started.append(tc)
        return tc

    yield make
    for tc in started:
        tc.stop()


@pytest.fixture
def cluster(make_cluster):
    """3 brokers, topic "t" with 4 partitions."""
    return make_cluster()


@pytest.fixture
def kcat():
    path = shutil.which("kcat")
    if not path:
        pytest.fail("kcat not found (Debian package kcat; scripts/setup installs it)")
    return path
