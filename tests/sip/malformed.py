#!/usr/bin/env python3
"""Malformed SIP against a SIP front (the harness or a real p2psipd), over
UDP and TCP: each case must get exactly the outcome RFC 3261 calls for.

usage: malformed.py HOST PORT

Outcomes:
  NNN      answered with that status;
  dropped  no answer, but an OPTIONS sent right after it (same socket or
           connection) is answered 200, so the front read past it;
  closed   (TCP) the front closed the connection without answering;
  silent   (TCP) no answer within 2 s, the connection open: the front waits
           for the rest of the message (Content-Length larger than sent),
           or, after garbage it cannot frame, reads no more of that
           stream (sofia's way; nta's idle timer reclaims the connection).
A case whose outcome is not one of its expected ones fails (exit 1). So does
a front that stops answering the probe. Every receive is bounded.
"""
import itertools
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])
SELF_URI = f"sip:{HOST}:{PORT}"  # OPTIONS here: answered 200 by the front
ANSWER_S = 5.0  # the longest wait for an answer the front owes us
SILENT_S = 2.0  # how long a TCP connection must stay silent for "silent"
serial = itertools.count(1)


def request(method="OPTIONS", ruri=SELF_URI, body=b"", content_length=None, drop=(),
            extra=(), start_line=None, call_id=None):
    """A request over @PROTO@ from port @PORT@ (both replaced per socket);
    `drop` removes the named headers, `extra` adds header lines."""
    n = next(serial)
    headers = {
        "Via": f"SIP/2.0/@PROTO@ 127.0.0.1:@PORT@;rport;branch=z9hG4bK-malformed-{n}",
        "From": f"<sip:tester@p2psip.test>;tag=m{n}",
        "To": f"<{ruri}>",
        "Call-ID": call_id or f"malformed-{n}",
        "CSeq": f"1 {method}",
        "Max-Forwards": "70",
    }
    lines = [start_line or f"{method} {ruri} SIP/2.0"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k not in drop]
    lines += list(extra)
    if "Content-Length" not in drop:
        lines.append("Content-Length: %s" % (len(body) if content_length is None else content_length))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def response_to_nothing(code, second_via=None):
    """A response no transaction of the front's matches."""
    n = next(serial)
    vias = [f"Via: SIP/2.0/@PROTO@ 192.0.2.1:5060;branch=z9hG4bK-stray-{n}"]
    if second_via:
        vias.append(f"Via: SIP/2.0/@PROTO@ {second_via};branch=z9hG4bK-victim-{n}")
    lines = [f"SIP/2.0 {code} Whatever"] + vias + [
        "From: <sip:a@p2psip.test>;tag=1", "To: <sip:b@p2psip.test>;tag=2",
        f"Call-ID: stray-{n}", "CSeq: 1 OPTIONS", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# A UDP socket standing for a third party named in a stray response's Via:
# the front must not reflect anything to it.
victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
victim.bind(("127.0.0.1", 0))
VICTIM = "127.0.0.1:%d" % victim.getsockname()[1]

# (name, raw message, outcomes allowed over UDP, over TCP); None: not sent.
# RFC 3261: a request without Via cannot be answered (§18.2.2) and junk
# that is not a message is discarded; a request that parses but lacks a
# mandatory header or has a bad one gets 400 (§8.2, §16.3); a version other
# than SIP/2.0 gets 505 (§21.5.6). Framing (§18.3): over UDP a body shorter
# than its Content-Length is a 400, bytes past it are ignored, and without
# Content-Length the body is the rest of the datagram; over TCP
# Content-Length is mandatory (so 400 without it), the front waits for the
# announced body, and bytes past it start the next message. Responses
# matching no transaction are dropped unless their top Via is the front's
# (§16.11, §18.1.2). Over TCP, a message too large is refused with 413 as
# soon as its headers say so; a request without Via, or over the size limit
# by its headers alone, closes the connection; garbage leaves it silent.
BIG = 100 * 1024
CASES = [
    ("no Via", request(drop=("Via",)), {"dropped"}, {"closed"}),
    ("no Call-ID", request(drop=("Call-ID",)), {"400"}, {"400"}),
    ("no CSeq", request(drop=("CSeq",)), {"400"}, {"400"}),
    ("no From", request(drop=("From",)), {"400"}, {"400"}),
    ("no To", request(drop=("To",)), {"400"}, {"400"}),
    ("no From nor To", request(drop=("From", "To")), {"400"}, {"400"}),
    ("no Call-ID nor CSeq", request(drop=("Call-ID", "CSeq")), {"400"}, {"400"}),
    ("no Content-Length", request(body=b"hi", drop=("Content-Length",)), {"200"}, {"400"}),
    ("Content-Length larger than the body", request(body=b"hi", content_length=500),
     {"400"}, {"silent"}),
    ("Content-Length shorter than the body", request(body=b"hello", content_length=2),
     {"200"}, {"200"}),
    ("Content-Length negative", request(body=b"hi", content_length="-7"), {"400"}, {"400"}),
    ("Content-Length not a number", request(body=b"hi", content_length="abc"), {"400"}, {"400"}),
    ("Content-Length huge", request(body=b"hi", content_length="99999999999999999999"),
     {"400"}, {"400"}),
    ("60 KB header line (under the 64 KiB limit)", request(extra=["X-Big: " + "a" * 60000]),
     {"200"}, {"200"}),
    ("100 KiB header line (over the limit)", request(extra=["X-Huge: " + "b" * BIG]),
     None, {"closed"}),
    ("Content-Length over the limit", request(body=b"x", content_length=BIG), {"400"}, {"413"}),
    ("ten thousand headers", request(extra=["X-H%d: v" % i for i in range(10000)]),
     None, {"closed"}),
    # (not starting 0x00 0x01: sofia's transport answers what looks like STUN)
    ("binary junk", bytes(reversed(range(256))) * 8, {"dropped"}, {"silent"}),
    ("not SIP at all", b"HELLO WORLD\r\n\r\n", {"dropped"}, {"silent"}),
    ("truncated start line", request(start_line=f"OPTIONS {SELF_URI}"), {"dropped"}, {"silent"}),
    ("start line with the method only", request(start_line="OPTIONS"), {"dropped"}, {"silent"}),
    ("bad SIP version", request(start_line=f"OPTIONS {SELF_URI} SIP/3.0"), {"505"}, {"505"}),
    ("bad CSeq number", request(extra=()).replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS"),
     {"400"}, {"400"}),
    ("CSeq method mismatch", request().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"),
     {"400"}, {"400"}),
    ("bad Request-URI", request(ruri="sip:@@@"), {"400"}, {"400"}),
    ("Max-Forwards not a number", request().replace(b"Max-Forwards: 70", b"Max-Forwards: lots"),
     {"400"}, {"400"}),
    # INVITEs: answered too, whether nta refuses them statelessly or the front does.
    ("INVITE without Call-ID", request("INVITE", drop=("Call-ID",)), {"400"}, {"400"}),
    ("INVITE with a bad CSeq number",
     request("INVITE").replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"), {"400"}, {"400"}),
    ("INVITE with Max-Forwards not a number",
     request("INVITE").replace(b"Max-Forwards: 70", b"Max-Forwards: lots"), {"400"}, {"400"}),
    ("INVITE to a bad Request-URI", request("INVITE", ruri="sip:@@@"), {"400"}, {"400"}),
    ("response to nothing", response_to_nothing(200), {"dropped"}, {"dropped"}),
    ("response to nothing, another hop below", response_to_nothing(180, VICTIM),
     {"dropped"}, {"dropped"}),
]


def status_of(message):
    if message.startswith(b"SIP/2.0 "):
        return message[8:11].decode(errors="replace")
    return "junk"


def call_id_of(message):
    for line in message.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"call-id", b"i"):
            return value.strip().decode(errors="replace")
    return ""


def for_socket(raw, proto, sock):
    port = str(sock.getsockname()[1]).encode()
    return raw.replace(b"@PROTO@", proto).replace(b"@PORT@", port)


def probe(proto, sock):
    cid = "probe-%d" % next(serial)
    return for_socket(request(call_id=cid), proto, sock), cid


def udp_outcome(raw):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(ANSWER_S)
    try:
        s.sendto(for_socket(raw, b"UDP", s), (HOST, PORT))
        ping, cid = probe(b"UDP", s)
        s.sendto(ping, (HOST, PORT))
        answered = None
        while True:  # answers come in order: the case's before the probe's
            data, _ = s.recvfrom(70000)
            if call_id_of(data) == cid:
                return answered or ("dropped" if status_of(data) == "200" else "probe " + status_of(data))
            answered = answered or status_of(data)
    except socket.timeout:
        return "no answer to the probe"
    finally:
        s.close()


def split_messages(buffer):
    """Complete messages at the head of a TCP byte stream, and the rest."""
    out = []
    while b"\r\n\r\n" in buffer:
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() in (b"content-length", b"l"):
                length = int(value.strip() or 0)
        if len(rest) < length:
            break
        out.append(head)
        buffer = rest[length:]
    return out, buffer


def tcp_outcome(raw):
    s = socket.create_connection((HOST, PORT), timeout=ANSWER_S)
    try:
        try:
            s.sendall(for_socket(raw, b"TCP", s))
            ping, cid = probe(b"TCP", s)
            s.sendall(ping)
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
        answered, buffer = None, b""
        s.settimeout(SILENT_S)
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                # No probe answer: the stream is stuck past this case.
                return answered or "silent"
            except ConnectionResetError:
                data = b""
            if not data:
                return answered or "closed"
            messages, buffer = split_messages(buffer + data)
            for m in messages:
                if call_id_of(m) == cid:
                    return answered or ("dropped" if status_of(m) == "200" else "probe " + status_of(m))
                answered = answered or status_of(m)
    finally:
        s.close()


def victim_got_nothing():
    victim.settimeout(0.2)
    try:
        victim.recvfrom(70000)
        return False
    except socket.timeout:
        return True


bad = 0
for name, raw, on_udp, on_tcp in CASES:
    for proto, expected, run in (("udp", on_udp, udp_outcome), ("tcp", on_tcp, tcp_outcome)):
        if expected is None:
            continue
        outcome = run(raw)
        wrong = outcome not in expected
        bad += wrong
        print(f"{proto} {name}: {outcome}" +
              (f"  <-- WRONG, expected {' or '.join(sorted(expected))}" if wrong else ""))
if not victim_got_nothing():
    bad += 1
    print("a stray response was reflected to the host in its second Via  <-- WRONG")
print(f"{bad} wrong outcome(s)")
sys.exit(1 if bad else 0)
