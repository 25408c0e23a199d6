#!/usr/bin/python3
"""Malformed STUN at the TURN server over UDP and TCP, from raw sockets.

Garbage, a bad cookie, a bad length, a truncated attribute and a wrong
FINGERPRINT get no answer; an unknown comprehension-required attribute gets
420 naming it; a TCP stream that is neither STUN nor ChannelData is closed;
and after all of it Binding still answers on both transports.
Usage: stun_garbage.py HOST PORT [TCP_PORT] (TCP on PORT unless given).
Exit status 0 on success.
"""
import os
import socket
import struct
import sys
import zlib

COOKIE = 0x2112A442


def message(msg_type, attributes=b"", length=None, cookie=COOKIE, fingerprint=True):
    tid = os.urandom(12)
    body = attributes
    if fingerprint:
        header = struct.pack("!HHI", msg_type, len(body) + 8, cookie) + tid
        crc = zlib.crc32(header + body) ^ 0x5354554E
        body += struct.pack("!HHI", 0x8028, 4, crc)
    size = len(body) if length is None else length
    return struct.pack("!HHI", msg_type, size, cookie) + tid + body, tid


def attribute(kind, value):
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def parse(data):
    msg_type, length, cookie = struct.unpack("!HHI", data[:8])
    attrs, at = {}, 20
    while at < 20 + length:
        kind, size = struct.unpack("!HH", data[at:at + 4])
        attrs.setdefault(kind, data[at + 4:at + 4 + size])
        at += 4 + size + (-size % 4)
    return msg_type, data[8:20], attrs


BINDING = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111


def garbage():
    good, _ = message(BINDING)
    bad_cookie, _ = message(BINDING, cookie=0x12345678)
    bad_length = good[:2] + struct.pack("!H", 40) + good[4:]
    truncated = message(BINDING, struct.pack("!HH", 0x8022, 64) + b"abcd", fingerprint=False)[0]
    wrong_fingerprint = good[:-1] + bytes([good[-1] ^ 0xFF])
    return {
        "random bytes": os.urandom(64),
        "bad cookie": bad_cookie,
        "bad length": bad_length,
        "truncated attribute": truncated,
        "wrong fingerprint": wrong_fingerprint,
        "top bits set": b"\xc0" + good[1:],
        "empty": b"",
    }


def expect_binding(answer, tid):
    msg_type, answer_tid, attrs = parse(answer)
    assert msg_type == BINDING_SUCCESS and answer_tid == tid, "Binding not answered"
    assert 0x0020 in attrs, "no XOR-MAPPED-ADDRESS"


def check_udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    for name, data in garbage().items():
        s.sendto(data, (host, port))
        try:
            s.recvfrom(2048)
            raise AssertionError(f"udp: {name} was answered")
        except socket.timeout:
            print(f"udp: {name}: dropped")
    unknown, tid = message(BINDING, attribute(0x7777, b"zz"))
    s.settimeout(2)
    s.sendto(unknown, (host, port))
    msg_type, answer_tid, attrs = parse(s.recvfrom(2048)[0])
    code = attrs[0x0009][2] * 100 + attrs[0x0009][3]
    assert msg_type == BINDING_ERROR and answer_tid == tid and code == 420, f"got {code}"
    assert attrs[0x000A] == b"\x77\x77", "UNKNOWN-ATTRIBUTES does not name it"
    print("udp: unknown comprehension-required attribute: 420 naming it")
    request, tid = message(BINDING)
    s.sendto(request, (host, port))
    expect_binding(s.recvfrom(2048)[0], tid)
    print("udp: Binding still answered")


def receive_message(s):
    data = b""
    while len(data) < 20 or len(data) < 20 + struct.unpack("!H", data[2:4])[0]:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("tcp: closed before an answer")
        data += chunk
    return data


def check_tcp(host, port):
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(b"\xff" * 32)
    assert s.recv(100) == b"", "tcp: junk stream was not closed"
    print("tcp: a stream neither STUN nor ChannelData: closed")
    s.close()

    s = socket.create_connection((host, port), timeout=3)
    s.sendall(struct.pack("!HH", 0x4000, 4) + b"data")  # ChannelData with no allocation
    bad_cookie, _ = message(BINDING, cookie=0x12345678)
    s.sendall(bad_cookie)                                # framed, not STUN: dropped
    request, tid = message(BINDING)
    s.sendall(request[:7])
    s.sendall(request[7:])
    expect_binding(receive_message(s), tid)
    print("tcp: stray ChannelData and a bad cookie dropped; Binding in two pieces answered")
    s.close()


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    tcp_port = int(sys.argv[3]) if len(sys.argv) == 4 else port
    try:
        check_udp(host, port)
        check_tcp(host, tcp_port)
    except (AssertionError, OSError) as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
