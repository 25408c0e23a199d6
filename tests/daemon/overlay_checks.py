#!/usr/bin/env python3
"""Checks the daemon tests time bars on, asked over the control sockets in one
process: a p2psipctl and a python3 per node and per field took seconds per
check on a loaded machine, longer than the repairs being timed.

  overlay_checks.py ring SOCKET...
      exit 0 when each node's first successor and first predecessor are its
      neighbours in Node-ID order among the nodes given.
  overlay_checks.py lost SOCKET... -- KEY VALUE [KEY VALUE ...]
      prints "N KEY..." for the KEYs whose first value read through any
      SOCKET is not VALUE (each node asked in turn, N counted per node).
"""
import json
import socket
import sys


class control:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")

    def call(self, method, **params):
        self.file.write((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                     "params": params}) + "\n").encode())
        self.file.flush()
        return json.loads(self.file.readline()).get("result") or {}

    def close(self):
        self.sock.close()


def ring(paths):
    ids, succ, pred = [], [], []
    for path in paths:
        node = control(path)
        ids.append(node.call("node.status")["node_id"])
        peers = node.call("overlay.peers")
        succ.append((peers.get("successors") or [""])[0])
        pred.append((peers.get("predecessors") or [""])[0])
        node.close()
    order, n = sorted(ids), len(ids)
    return all(succ[k] == order[(order.index(ids[k]) + 1) % n] and
               pred[k] == order[(order.index(ids[k]) - 1) % n] for k in range(n))


def lost(paths, pairs):
    missing = []
    for path in paths:
        try:
            node = control(path)
            for k in range(0, len(pairs), 2):
                got = node.call("storage.get", key=pairs[k]).get("values") or [{}]
                if got[0].get("value") != pairs[k + 1]:
                    missing.append(pairs[k])
            node.close()
        except (OSError, ValueError):
            missing.extend(pairs[0::2])
    return missing


def main(argv):
    if len(argv) >= 2 and argv[0] == "ring":
        try:
            return 0 if ring(argv[1:]) else 1
        except (OSError, ValueError, KeyError, TypeError):
            return 1
    if len(argv) >= 3 and argv[0] == "lost" and "--" in argv:
        split = argv.index("--")
        missing = lost(argv[1:split], argv[split + 1:])
        print(len(missing), " ".join(missing))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
