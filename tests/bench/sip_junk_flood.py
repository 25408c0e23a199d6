#!/usr/bin/env python3
"""Floods a SIP front with malformed INVITEs over UDP, in the manner of the
public SIP robustness suites: each INVITE is well formed but for one element
(a Request-URI part, a header value, an SDP line) replaced by a bad value:
an overflow of 16 B to 32 KiB, a format string, an out-of-range integer, or
stray delimiters, control and non-UTF-8 bytes.

usage: sip_junk_flood.py HOST PORT [COUNT=4527] [RATE=1000]

Sends COUNT INVITEs at RATE per second from one socket, reads whatever
comes back meanwhile and for 3 s after, and prints one line of JSON:
{"sent": N, "answered": N, "statuses": {"400": N, ...}, "retransmitted": N,
"seconds": S}: the INVITEs answered, by final status, and how many
answers were repeats (the INVITEs are never ACKed).
Every case has its own Call-ID and branch unless that is the element
replaced.
"""
import itertools
import json
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 4527
RATE = float(sys.argv[4]) if len(sys.argv) > 4 else 1000.0
DRAIN_S = 3.0

OVERFLOW_LENGTHS = [16, 64, 128, 255, 256, 257, 512, 1024, 2048, 4096, 8192, 16384, 32768]
OVERFLOW_FILLS = [b"a", b"%", b" ", b"\x00", b"\xff", b"9"]
BAD_VALUES = [
    b"", b"%s%s%s%s%s%s%s%s", b"%n%n%n%n%n%n", b"%x" * 64, b"%99999999999s",
    b"-1", b"0", b"4294967295", b"4294967296", b"18446744073709551616", b"-2147483649",
    b"99999999999999999999999999999999", b"0x7fffffff", b"1e999",
    b";;;;", b"<<<<", b">>>>", b"@@@@", b"::::", b'"', b"\\", b",,,,", b"\t\t",
    b"\x1b[2J\x1b[H", b"\xc0\xaf", b"\xfe\xff", b"\x7f", b"a\rb", b"a\nb", b"\x00\x00",
]
PAYLOADS = [fill * n for n in OVERFLOW_LENGTHS for fill in OVERFLOW_FILLS] + BAD_VALUES

# The elements a case may replace, by the placeholder the template holds.
FIELDS = ["RUSER", "RHOST", "VHOST", "BRANCH", "FDISPLAY", "FUSER", "FTAG", "TDISPLAY", "TUSER",
          "CALLID", "CSEQ", "CSEQM", "MAXF", "CUSER", "CHOST", "EXPIRES", "CTYPE", "SDPV",
          "SDPO", "SDPS", "SDPC", "SDPM", "SDPA"]

SDP = (b"v=@SDPV@\r\n"
       b"o=@SDPO@ 1 1 IN IP4 127.0.0.1\r\n"
       b"s=@SDPS@\r\n"
       b"c=IN IP4 @SDPC@\r\n"
       b"t=0 0\r\n"
       b"m=audio @SDPM@ RTP/AVP 0\r\n"
       b"a=rtpmap:@SDPA@ PCMU/8000\r\n")
HEADERS = (b"INVITE sip:@RUSER@@@RHOST@ SIP/2.0\r\n"
           b"Via: SIP/2.0/UDP @VHOST@:@PORT@;rport;branch=z9hG4bK-@BRANCH@\r\n"
           b"From: \"@FDISPLAY@\" <sip:@FUSER@@p2psip.test>;tag=@FTAG@\r\n"
           b"To: \"@TDISPLAY@\" <sip:@TUSER@@p2psip.test>\r\n"
           b"Call-ID: @CALLID@\r\n"
           b"CSeq: @CSEQ@ @CSEQM@\r\n"
           b"Max-Forwards: @MAXF@\r\n"
           b"Contact: <sip:@CUSER@@@CHOST@:@PORT@>\r\n"
           b"Expires: @EXPIRES@\r\n"
           b"Content-Type: @CTYPE@\r\n"
           b"Content-Length: @LENGTH@\r\n\r\n")


def case(n, field, payload, port):
    good = {"RUSER": b"nobody%d" % n, "RHOST": HOST.encode(), "VHOST": b"127.0.0.1",
            "BRANCH": b"junk%d" % n, "FDISPLAY": b"Tester", "FUSER": b"tester",
            "FTAG": b"t%d" % n, "TDISPLAY": b"Nobody", "TUSER": b"nobody%d" % n,
            "CALLID": b"junk-%d@127.0.0.1" % n, "CSEQ": b"1", "CSEQM": b"INVITE",
            "MAXF": b"70", "CUSER": b"tester", "CHOST": b"127.0.0.1", "EXPIRES": b"60",
            "CTYPE": b"application/sdp", "SDPV": b"0", "SDPO": b"tester", "SDPS": b"-",
            "SDPC": b"127.0.0.1", "SDPM": b"40000", "SDPA": b"0"}
    good[field] = payload
    body, head = SDP, HEADERS
    for name, value in good.items():
        body = body.replace(b"@" + name.encode() + b"@", value)
        head = head.replace(b"@" + name.encode() + b"@", value)
    head = head.replace(b"@PORT@", str(port).encode())
    return head.replace(b"@LENGTH@", str(len(body)).encode()) + body


def status_of(message):
    return message[8:11].decode(errors="replace") if message.startswith(b"SIP/2.0 ") else "junk"


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.setblocking(False)
port = sock.getsockname()[1]
statuses = {}
seen = set()
retransmitted = 0


def call_id_of(message):
    for line in message.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"call-id", b"i"):
            return value.strip()
    return b""


def drain():
    global retransmitted
    while True:
        try:
            data = sock.recv(70000)
        except (BlockingIOError, InterruptedError):
            return
        answer = (call_id_of(data), status_of(data))
        if answer in seen:
            retransmitted += 1
            continue
        seen.add(answer)
        statuses[answer[1]] = statuses.get(answer[1], 0) + 1


cases = itertools.islice(itertools.cycle(itertools.product(FIELDS, PAYLOADS)), COUNT)
start = time.monotonic()
sent = 0
for n, (field, payload) in enumerate(cases):
    message = case(n, field, payload, port)
    try:
        sock.sendto(message[:65000], (HOST, PORT))  # the largest UDP datagram loopback takes
        sent += 1
    except OSError:
        pass
    drain()
    pause = start + (n + 1) / RATE - time.monotonic()
    if pause > 0:
        time.sleep(pause)
deadline = time.monotonic() + DRAIN_S
while time.monotonic() < deadline:
    drain()
    time.sleep(0.05)
print(json.dumps({"sent": sent, "answered": sum(statuses.values()),
                  "statuses": dict(sorted(statuses.items())), "retransmitted": retransmitted,
                  "seconds": round(time.monotonic() - start, 1)}))
