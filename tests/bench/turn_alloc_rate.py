#!/usr/bin/env python3
"""TURN allocation set-up rate over UDP, raw STUN (RFC 5389/5766).

usage: turn_alloc_rate.py HOST PORT SECRET SERVER_PID COUNT [WINDOW=32] [TIMEOUT_S=60]

COUNT allocations, each from its own UDP socket, at most WINDOW in flight:
an unauthenticated Allocate (401 with REALM and NONCE), then the Allocate
with TURN REST credentials (username "<expiry>:bench", password
base64(HMAC-SHA1(SECRET, username))) answered by a success with
XOR-RELAYED-ADDRESS. Prints one line:
  allocated N of COUNT in S s: R/s; server CPU C s (U us per allocation); failed F
where the server CPU is utime+stime of SERVER_PID from /proc over the
allocation phase only. Afterwards every allocation is released (Refresh with
LIFETIME 0, not timed), so that runs do not pile up allocations.
"""
import base64
import hashlib
import hmac
import os
import selectors
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def message(kind, tid, attrs, key=None):
    body = b"".join(attrs)
    if key is None:
        return struct.pack("!HHI", kind, len(body), MAGIC) + tid + body
    # MESSAGE-INTEGRITY: the length counts it, the HMAC covers what precedes it.
    head = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + tid + body
    mac = hmac.new(key, head, hashlib.sha1).digest()
    return head + attr(0x0008, mac)


def parse(data):
    if len(data) < 20:
        return None
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC:
        return None
    attrs, pos = {}, 20
    while pos + 4 <= min(len(data), 20 + length):
        t, n = struct.unpack("!HH", data[pos:pos + 4])
        attrs.setdefault(t, data[pos + 4:pos + 4 + n])
        pos += 4 + n + (4 - n % 4) % 4
    return kind, data[8:20], attrs


def main():
    host, port, secret, pid, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    window = int(sys.argv[6]) if len(sys.argv) > 6 else 32
    limit = float(sys.argv[7]) if len(sys.argv) > 7 else 60.0
    user = f"{int(time.time()) + 3600}:bench".encode()
    password = base64.b64encode(hmac.new(secret.encode(), user, hashlib.sha1).digest())
    transport = attr(0x0019, b"\x11\0\0\0")  # REQUESTED-TRANSPORT: UDP

    sel = selectors.DefaultSelector()
    clients = []  # per client: socket, state, tid, sent_at, tries, realm, nonce, key
    started = done = failed = 0
    codes = {}
    t0 = time.monotonic()
    cpu0 = cpu_s(pid)
    deadline = t0 + limit

    def send_first(c):
        c["tid"] = os.urandom(12)
        c["packet"] = message(0x0003, c["tid"], [transport])
        c["sock"].send(c["packet"])
        c["sent"], c["tries"] = time.monotonic(), 1

    def start_one():
        nonlocal started
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((host, port))
        s.setblocking(False)
        c = {"sock": s, "state": "401"}
        clients.append(c)
        sel.register(s, selectors.EVENT_READ, c)
        send_first(c)
        started += 1

    in_flight = 0
    while (done + failed < count) and time.monotonic() < deadline:
        while in_flight < window and started < count:
            start_one()
            in_flight += 1
        for key, _ in sel.select(0.05):
            c = key.data
            try:
                data = c["sock"].recv(2048)
            except OSError:
                continue
            m = parse(data)
            if m is None or m[1] != c["tid"]:
                continue
            kind, _, attrs = m
            if c["state"] == "401" and kind == 0x0113 and 0x0014 in attrs and 0x0015 in attrs:
                c["realm"], c["nonce"] = attrs[0x0014], attrs[0x0015]
                c["key"] = hashlib.md5(user + b":" + c["realm"] + b":" + password).digest()
                c["tid"] = os.urandom(12)
                c["packet"] = message(0x0003, c["tid"], [transport, attr(0x0006, user),
                                      attr(0x0014, c["realm"]), attr(0x0015, c["nonce"])], c["key"])
                c["sock"].send(c["packet"])
                c["sent"], c["tries"], c["state"] = time.monotonic(), 1, "200"
            elif c["state"] == "200" and kind == 0x0103:
                c["state"] = "allocated"
                done += 1
                in_flight -= 1
            elif kind & 0x0110 == 0x0110:  # another error
                e = attrs.get(0x0009, b"\0\0\0\0")
                code = (e[2] & 7) * 100 + e[3] if len(e) >= 4 else 0
                codes[code] = codes.get(code, 0) + 1
                c["state"] = "failed"
                failed += 1
                in_flight -= 1
        now = time.monotonic()
        for c in clients:
            if c["state"] in ("401", "200") and now - c["sent"] > 0.5:
                if c["tries"] >= 5:
                    codes["timeout"] = codes.get("timeout", 0) + 1
                    c["state"] = "failed"
                    failed += 1
                    in_flight -= 1
                else:
                    c["sock"].send(c["packet"])
                    c["sent"], c["tries"] = now, c["tries"] + 1
    elapsed = time.monotonic() - t0
    cpu = cpu_s(pid) - cpu0
    print(f"allocated {done} of {count} in {elapsed:.2f} s: {done / elapsed:.0f}/s; "
          f"server CPU {cpu:.2f} s ({cpu * 1e6 / max(done, 1):.0f} us per allocation); failed {failed} {codes or ''}")
    sys.stdout.flush()

    # Release: Refresh LIFETIME 0, WINDOW at a time (a burst of thousands
    # would overflow the server's socket buffer), each batch awaited 0.5 s.
    live = [c for c in clients if c["state"] == "allocated"]
    released = 0
    for i in range(0, len(live), window):
        batch = {}
        for c in live[i:i + window]:
            c["tid"] = os.urandom(12)
            batch[c["tid"]] = c
            c["sock"].send(message(0x0004, c["tid"], [attr(0x000D, b"\0\0\0\0"), attr(0x0006, user),
                                   attr(0x0014, c["realm"]), attr(0x0015, c["nonce"])], c["key"]))
        end = time.monotonic() + 0.5
        while batch and time.monotonic() < end:
            for key, _ in sel.select(0.05):
                try:
                    m = parse(key.data["sock"].recv(2048))
                except OSError:
                    continue
                if m and m[1] in batch:
                    released += m[0] == 0x0104
                    del batch[m[1]]
    print(f"released {released} of {len(live)}")
    for c in clients:
        c["sock"].close()


if __name__ == "__main__":
    main()
