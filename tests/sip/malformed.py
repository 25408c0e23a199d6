#!/usr/bin/env python3
"""Sends malformed SIP to the front over UDP and TCP. Each case must be
answered with an error status (400 and friends) or dropped; never 2xx. Exits 1
on a wrong answer. Every receive is bounded."""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])


def headers(extra="", method="OPTIONS", ruri=None, via=True, body=b"", clen=None):
    ruri = ruri or f"sip:alice@p2psip.test"
    lines = [f"{method} {ruri} SIP/2.0"]
    if via:
        lines.append("Via: SIP/2.0/@PROTO@ 127.0.0.1:9;rport;branch=z9hG4bK-junk-%d" % id(extra))
    lines += ["From: <sip:x@p2psip.test>;tag=1", f"To: <{ruri}>", "Call-ID: junk-%d" % id(extra),
              f"CSeq: 1 {method}", "Max-Forwards: 70"]
    if extra:
        lines.append(extra)
    lines.append("Content-Length: %s" % (len(body) if clen is None else clen))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def without(raw, name):
    return b"\r\n".join(l for l in raw.split(b"\r\n") if not l.lower().startswith(name.lower() + b":"))


CASES = [
    ("missing Call-ID and CSeq", without(without(headers(), b"Call-ID"), b"CSeq")),
    ("missing From", without(headers(method="MESSAGE"), b"From")),
    ("missing Via (must be dropped)", headers(via=False)),
    ("Content-Length larger than body", headers(method="MESSAGE", body=b"hi", clen=500)),
    ("Content-Length not a number", headers(method="MESSAGE", body=b"hi", clen="abc")),
    ("negative Content-Length", headers(method="MESSAGE", body=b"hi", clen="-7")),
    ("huge header", headers(extra="X-Huge: " + "a" * 60000)),
    ("message over the 64 KiB limit (TCP only)", headers(extra="X-Huge: " + "b" * 200000)),
    ("ten thousand headers", headers(extra="\r\n".join("X-H%d: v" % i for i in range(10000)))),
    ("binary junk", bytes(range(256)) * 8),
    ("bad request line", b"HELLO WORLD\r\n\r\n"),
    ("bad CSeq", headers().replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")),
    ("CSeq method mismatch", headers().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE")),
    ("bad Request-URI", headers(ruri="sip:@@@")),
    ("Max-Forwards not a number", headers().replace(b"Max-Forwards: 70", b"Max-Forwards: lots")),
]


def status_of(data):
    if data.startswith(b"SIP/2.0 "):
        try:
            return int(data[8:11])
        except ValueError:
            return -1
    return -1


def udp_case(raw):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.6)
    try:
        s.sendto(raw.replace(b"@PROTO@", b"UDP")[:65000], (HOST, PORT))
        data, _ = s.recvfrom(65536)
        return status_of(data)
    except socket.timeout:
        return None
    finally:
        s.close()


def tcp_case(raw):
    s = socket.create_connection((HOST, PORT), timeout=2)
    s.settimeout(0.8)
    try:
        s.sendall(raw.replace(b"@PROTO@", b"TCP"))
        data = s.recv(65536)
        return status_of(data) if data else None
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        return None
    finally:
        s.close()


bad = 0
for name, raw in CASES:
    for proto, fn in (("udp", udp_case), ("tcp", tcp_case)):
        if proto == "udp" and len(raw) > 65000:
            continue
        st = fn(raw)
        verdict = "dropped" if st is None else str(st)
        wrong = st is not None and (st < 400 and st != -1)
        if wrong:
            bad += 1
        print(f"{proto} {name}: {verdict}{'  <-- WRONG' if wrong else ''}")
sys.exit(1 if bad else 0)
