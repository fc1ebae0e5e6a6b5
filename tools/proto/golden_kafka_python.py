#!/usr/bin/python3
"""Prints golden bytes for tests/unit/test_proto_golden.c, produced by an
independent encoder: kafka-python (Debian's python3-kafka). Run by hand when
the golden cases change; the test itself does not need Python.

    /usr/bin/python3 tools/proto/golden_kafka_python.py
"""
from kafka.protocol.api import RequestHeader
from kafka.protocol.metadata import MetadataResponse
from kafka.protocol.produce import ProduceRequest
from kafka.record.default_records import DefaultRecordBatchBuilder


def c_bytes(name, b):
    print("/* %s: %d bytes */" % (name, len(b)))
    for i in range(0, len(b), 12):
        print("    " + " ".join("0x%02x," % x for x in b[i:i + 12]))
    print()


# One record batch (magic 2, no compression): key "k", value "v".
builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                    producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                    batch_size=1 << 20)
builder.append(0, timestamp=1700000000000, key=b"k", value=b"v", headers=[])
batch = bytes(builder.build())
c_bytes("record batch", batch)

# Produce v3 request, header v1 (correlation id 7, client id "kafc").
req = ProduceRequest[3](transactional_id=None, required_acks=-1, timeout=30000,
                        topics=[("t", [(0, batch)])])
hdr = RequestHeader(req, correlation_id=7, client_id="kafc")
c_bytes("Produce v3 request with header v1", hdr.encode() + req.encode())

# Metadata v1 response, as test_proto_golden.c assembles it by hand.
resp = MetadataResponse[1](
    brokers=[(1, "b1", 9092, "r1"), (2, "b2", 9093, None)],
    controller_id=1,
    topics=[(0, "t", False, [(0, 0, 1, [1, 2], [1])])])
enc = resp.encode()
c_bytes("Metadata v1 response", enc)
print(MetadataResponse[1].decode(enc))
