"""Records what the test broker answers to the requests the netclient
fuzzer's client sends (ApiVersions v3, ApiVersions v0, three Metadata), and
writes seed inputs for fuzz_netclient: the whole conversation and prefixes.
Run: /usr/bin/python3 tests/fuzz/make_netclient_seeds.py LAUNCHER OUTDIR"""
import os
import socket
import struct
import subprocess
import sys

launcher, outdir = sys.argv[1], sys.argv[2]
p = subprocess.Popen([launcher, "-b", "1", "-t", "t:2"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
host, port = p.stdout.readline().strip().split(",")[0].split(":")
s = socket.create_connection((host, int(port)), timeout=5)


def exchange(api, ver, corr, body, flexible_header):
    cid = b"fuzz"
    hdr = struct.pack(">hhih", api, ver, corr, len(cid)) + cid
    if flexible_header:
        hdr += b"\x00"
    msg = hdr + body
    s.sendall(struct.pack(">i", len(msg)) + msg)
    raw = b""
    while len(raw) < 4:
        raw += s.recv(4 - len(raw))
    n = struct.unpack(">i", raw)[0]
    while len(raw) < 4 + n:
        raw += s.recv(4 + n - len(raw))
    return raw


frames = []
# ApiVersions v3 (header v2): client_software_name/version compact strings.
frames.append(exchange(18, 3, 0, b"\x05kafc\x060.1.0\x00", True))
frames.append(exchange(18, 0, 1, b"", False))
# The mock's Metadata max version: read from the v0 answer.
body = frames[1][8:]
err, n = struct.unpack(">hi", body[:6])
mdmax = 1
for i in range(n):
    k, lo, hi = struct.unpack(">hhh", body[6 + 6 * i:12 + 6 * i])
    if k == 3:
        mdmax = min(hi, 12)
for corr in (2, 3, 4):
    flex = mdmax >= 9
    topics = b"\x00" if flex else struct.pack(">i", -1)
    frames.append(exchange(3, mdmax, corr, topics + (b"\x00" if flex else b""), flex))
p.stdin.write("quit\n")
p.stdin.flush()
p.wait(timeout=10)

os.makedirs(outdir, exist_ok=True)
whole = b"".join(frames)
seeds = {"conversation": whole, "apiversions_only": b"".join(frames[:2]),
         "v3_then_close": frames[0], "cut_mid_frame": whole[:len(whole) - 7],
         "empty": b""}
for name, data in seeds.items():
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)
print("wrote", len(seeds), "seeds; Metadata v%d" % mdmax)
