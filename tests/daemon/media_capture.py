#!/usr/bin/env python3
"""Reads tshark captures (pcap: Ethernet, Linux cooked or loopback) of an
anchored call and tells what crossed each hop. Usage:

  media_capture.py --leg PCAP HOST:PORT --leg PCAP HOST:PORT
                   --between PCAP [--path HOST:PORT HOST:PORT]

Each --leg is a daemon's phone-facing RTP port and the capture where its
phone talks to it (the first is side a, the second side b); --between is a
capture of what goes between the daemons, restricted to the ICE path's two
ends with --path (else every UDP datagram in it counts). Prints one JSON
object: RTP packets each phone sent to its daemon and each daemon
delivered to its phone, the datagrams between the daemons, and how many of
them contain a payload a phone sent (plaintext between the daemons; SRTP
makes it 0), and where each daemon delivered (delivered_to_a_at and
delivered_to_b_at: "HOST:PORT" -> [packets, first, last], the capture
times of the first and last), so that a test can tell which of several
phones got the audio, and when. Standard library only."""
import argparse
import json
import socket
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        link = struct.unpack(endian + "I", header[20:24])[0]
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            seconds, fraction, caplen, _ = struct.unpack(endian + "IIII", record)
            data = f.read(caplen)
            offset = {1: 14, 113: 16, 0: 4, 276: 20}.get(link)
            if offset is None:
                raise SystemExit("unknown link type %d" % link)
            yield seconds + fraction / 1e6, data[offset:]


def udp(frame):
    """(src, dst, payload) of an IPv4 UDP datagram, else None."""
    if len(frame) < 20 or frame[0] >> 4 != 4 or frame[9] != 17:
        return None
    ihl = (frame[0] & 0x0F) * 4
    src = socket.inet_ntoa(frame[12:16])
    dst = socket.inet_ntoa(frame[16:20])
    sport, dport, length = struct.unpack("!HHH", frame[ihl:ihl + 6])
    return (src, sport), (dst, dport), frame[ihl + 8:ihl + length]


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def rtp_payload(data):
    """The payload of an RTP packet (not RTCP), else None."""
    if len(data) < 12 or data[0] >> 6 != 2 or 64 <= (data[1] & 0x7F) <= 95:
        return None
    cc = data[0] & 0x0F
    return data[12 + 4 * cc:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leg", nargs=2, action="append", required=True, metavar=("PCAP", "ADDR"))
    parser.add_argument("--between", required=True, metavar="PCAP")
    parser.add_argument("--path", nargs=2, metavar=("ADDR", "ADDR"))
    args = parser.parse_args()
    if len(args.leg) != 2:
        raise SystemExit("two --leg, one per side")
    counts = {"phone_a_sent": 0, "phone_b_sent": 0, "delivered_to_a": 0, "delivered_to_b": 0,
              "path_datagrams": 0, "path_plaintext": 0}
    phone_payloads = set()
    destinations = {"a": {}, "b": {}}
    for (pcap, leg), side in zip(args.leg, "ab"):
        leg = endpoint(leg)
        for when, frame in packets(pcap):
            parsed = udp(frame)
            if not parsed:
                continue
            src, dst, data = parsed
            payload = rtp_payload(data)
            if payload is None:
                continue
            if dst == leg:
                counts["phone_%s_sent" % side] += 1
                if len(payload) >= 16:
                    phone_payloads.add(bytes(payload))
            elif src == leg:
                counts["delivered_to_%s" % side] += 1
                seen = destinations[side].setdefault("%s:%d" % dst, [0, when, when])
                seen[0] += 1
                seen[2] = when
    ends = set(map(endpoint, args.path)) if args.path else None
    for _, frame in packets(args.between):
        parsed = udp(frame)
        if not parsed:
            continue
        src, dst, data = parsed
        if ends is not None and {src, dst} != ends:
            continue
        counts["path_datagrams"] += 1
        if any(p in data for p in phone_payloads):
            counts["path_plaintext"] += 1
    counts["phone_payloads"] = len(phone_payloads)
    counts["delivered_to_a_at"] = destinations["a"]
    counts["delivered_to_b_at"] = destinations["b"]
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
