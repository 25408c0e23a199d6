#!/usr/bin/env python3
"""A phone that answers SIP digest with SHA-256 (RFC 7616, RFC 8760), for
the accounts test: SIPp 3.6.1 and baresip 1.0.0 answer MD5 only. One
REGISTER over UDP; on a 401 it checks the WWW-Authenticate headers' order
of algorithms, answers the one named ALGORITHM (qop=auth) and prints the
final status code. Exit 0 when the order and the final code are as expected.

usage: digest_phone.py BOX_HOST:PORT USER DOMAIN PASSWORD ALGORITHM \
           EXPECTED_ORDER EXPECTED_CODE
  EXPECTED_ORDER: the algorithms of the 401's challenges, e.g. SHA-256,MD5
"""
import hashlib
import os
import re
import socket
import sys

HASHES = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}


def h(algorithm, text):
    return HASHES[algorithm](text.encode()).hexdigest()


def main():
    box, user, domain, password, algorithm, expected_order, expected_code = sys.argv[1:8]
    host, port = box.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    local = "127.0.0.1:%d" % sock.getsockname()[1]
    call_id = os.urandom(8).hex()
    tag = os.urandom(4).hex()
    uri = "sip:" + domain

    def register(cseq, authorization=None):
        lines = [
            "REGISTER %s SIP/2.0" % uri,
            "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (local, os.urandom(6).hex()),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (user, domain, tag),
            "To: <sip:%s@%s>" % (user, domain),
            "Call-ID: %s" % call_id,
            "CSeq: %d REGISTER" % cseq,
            "Contact: <sip:%s@%s>" % (user, local),
            "Expires: 600",
        ]
        if authorization:
            lines.append("Authorization: " + authorization)
        lines += ["Content-Length: 0", "", ""]
        sock.sendto("\r\n".join(lines).encode(), (host, int(port)))
        for _ in range(10):  # past any 100 Trying, boundedly
            data = sock.recv(65535).decode(errors="replace")
            status = int(data.split(" ", 2)[1])
            if status >= 200:
                return status, data
        raise SystemExit("no final response")

    status, response = register(1)
    if status != 401:
        print("first REGISTER: %d, not 401" % status)
        return 1
    challenges = [line.split(":", 1)[1].strip() for line in response.split("\r\n")
                  if line.lower().startswith("www-authenticate:")]
    order = [re.search(r"algorithm=([A-Za-z0-9-]+)", c).group(1) for c in challenges]
    print("challenges: " + " | ".join(challenges))
    if ",".join(order) != expected_order:
        print("challenge order %s, expected %s" % (",".join(order), expected_order))
        return 1
    chosen = challenges[order.index(algorithm)]
    realm = re.search(r'realm="([^"]*)"', chosen).group(1)
    nonce = re.search(r'nonce="([^"]*)"', chosen).group(1)
    cnonce = os.urandom(8).hex()
    ha1 = h(algorithm, "%s:%s:%s" % (user, realm, password))
    ha2 = h(algorithm, "REGISTER:" + uri)
    answer = h(algorithm, "%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2))
    authorization = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                     'response="%s", algorithm=%s, qop=auth, nc=00000001, cnonce="%s"'
                     % (user, realm, nonce, uri, answer, algorithm, cnonce))
    status, _ = register(2, authorization)
    print("answered %s: %d" % (algorithm, status))
    return 0 if status == int(expected_code) else 1


if __name__ == "__main__":
    sys.exit(main())
