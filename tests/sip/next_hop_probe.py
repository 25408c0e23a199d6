#!/usr/bin/env python3
"""Requests whose next hop is a host name, then OPTIONS, at one SIP front.

usage: next_hop_probe.py HOST PORT

Sends over UDP (1) an in-dialog MESSAGE whose Route leads to a host name and
(2) an in-dialog BYE whose Request-URI host is a host name, and waits at most
a second for each final answer; then (3) an OPTIONS to the front itself,
which must be answered with 200 within a second. Prints one line per request
("<what>: <status line> in <ms> ms" or "<what>: no answer") and exits 1 when
the OPTIONS was not answered with 200 or a host-name request got no final
answer.
"""
import socket
import sys
import time


def request(method, ruri, port, branch, route=None):
    return (
        f"{method} {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK-{branch}\r\n"
        f"From: <sip:alice@p2psip.test>;tag=a-{branch}\r\n"
        f"To: <sip:bob@p2psip.test>{'' if method == 'OPTIONS' else ';tag=b1'}\r\n"
        f"Call-ID: {branch}@probe\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        + (f"Route: <{route};lr>\r\n" if route else "")
        + "Content-Length: 0\r\n\r\n"
    ).encode()


def final_answer(sock, deadline):
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(65536).decode(errors="replace")
        except socket.timeout:
            return None
        status = data.split("\r\n", 1)[0]
        parts = status.split(" ")
        if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) >= 200:
            return data


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    mine = sock.getsockname()[1]
    front = (host, port)
    cases = [
        ("in-dialog MESSAGE along a Route to a host name",
         request("MESSAGE", "sip:bob@p2psip.test", mine, "route",
                 route="sip:proxy.example.invalid")),
        ("in-dialog BYE to a host name",
         request("BYE", "sip:bob@bobs-laptop.invalid", mine, "bye")),
        ("OPTIONS to the front", request("OPTIONS", f"sip:{host}:{port}", mine, "options")),
    ]
    failed = False
    for what, message in cases:
        started = time.monotonic()
        sock.sendto(message, front)
        answer = final_answer(sock, started + 1.0)
        if answer is None:
            print(f"{what}: no answer")
            failed = True
            continue
        ms = int((time.monotonic() - started) * 1000)
        status = answer.split("\r\n", 1)[0]
        reason = [l for l in answer.split("\r\n") if l.lower().startswith("reason:")]
        print(f"{what}: {status} in {ms} ms" + (f" ({reason[0]})" if reason else ""))
        if what.startswith("OPTIONS") and not status.startswith("SIP/2.0 200"):
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
