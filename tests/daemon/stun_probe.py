#!/usr/bin/env python3
"""A STUN Binding client (RFC 5389) for the NAT lab, on the standard library.

  stun_probe.py udp HOST:PORT [HOST:PORT ...]
      One UDP socket sends a Binding request to each server in turn and
      prints "HOST:PORT MAPPED_IP:MAPPED_PORT" per answer, or
      "HOST:PORT none" after 2 s without one (3 tries). The same socket for
      every server is what tells endpoint-independent mapping (the same
      mapped port each time) from a symmetric NAT's (a new one per server).
  stun_probe.py tcp HOST:PORT
      The same over TCP (RFC 5389 §7.2.2: the message as is on the stream).
  stun_probe.py listen HOST:PORT SECONDS
      As udp with one server, then keeps the socket (and so the NAT's
      mapping) for SECONDS and prints "unsolicited IP:PORT" for the first
      datagram from anywhere else, or "unsolicited none": what tells a full
      cone's filtering from a port-restricted one's.

Exit status 0 once every server was asked, whatever it answered; 2 on usage.
"""
import os
import socket
import struct
import sys

MAGIC = 0x2112A442
XOR_MAPPED_ADDRESS = 0x0020
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101


def request() -> tuple[bytes, bytes]:
    transaction = os.urandom(12)
    return struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC) + transaction, transaction


def mapped_address(message: bytes, transaction: bytes):
    """The XOR-MAPPED-ADDRESS of a Binding success for `transaction`, or None."""
    if len(message) < 20:
        return None
    kind, length, cookie = struct.unpack("!HHI", message[:8])
    if kind != BINDING_SUCCESS or cookie != MAGIC or message[8:20] != transaction:
        return None
    at, end = 20, min(len(message), 20 + length)
    while at + 4 <= end:
        attribute, size = struct.unpack("!HH", message[at:at + 4])
        value = message[at + 4:at + 4 + size]
        if attribute == XOR_MAPPED_ADDRESS and len(value) >= 8 and value[1] == 1:
            port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC >> 16)
            address = struct.unpack("!I", value[4:8])[0] ^ MAGIC
            return f"{socket.inet_ntoa(struct.pack('!I', address))}:{port}"
        at += 4 + size + (-size % 4)
    return None


def server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def probe_udp(servers: list[str]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.settimeout(2 / 3)
    for text in servers:
        message, transaction = request()
        found = None
        for _ in range(3):
            sock.sendto(message, server(text))
            try:
                while found is None:
                    found = mapped_address(sock.recv(2048), transaction)
            except socket.timeout:
                continue
            break
        print(f"{text} {found or 'none'}", flush=True)
    return sock


def listen(text: str, seconds: float) -> None:
    sock = probe_udp([text])
    sock.settimeout(seconds)
    origin = None
    try:
        while origin is None:
            _, source = sock.recvfrom(2048)
            if source != server(text):
                origin = f"{source[0]}:{source[1]}"
    except socket.timeout:
        pass
    print(f"unsolicited {origin or 'none'}", flush=True)


def probe_tcp(text: str) -> None:
    message, transaction = request()
    found = None
    try:
        with socket.create_connection(server(text), timeout=2) as sock:
            sock.sendall(message)
            answer = b""
            while len(answer) < 20 or len(answer) < 20 + struct.unpack("!H", answer[2:4])[0]:
                chunk = sock.recv(2048)
                if not chunk:
                    break
                answer += chunk
            found = mapped_address(answer, transaction)
    except OSError:
        pass
    print(f"{text} {found or 'none'}", flush=True)


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in ("udp", "tcp", "listen"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "udp":
        probe_udp(sys.argv[2:])
    elif sys.argv[1] == "listen":
        listen(sys.argv[2], float(sys.argv[3]))
    else:
        for text in sys.argv[2:]:
            probe_tcp(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
