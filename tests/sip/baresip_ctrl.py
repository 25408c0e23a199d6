#!/usr/bin/env python3
"""A client for baresip's ctrl_tcp module (netstring-framed JSON).

ctrl_tcp accepts one connection at a time, so one `serve` process per
baresip holds it: it appends every event to a log (one JSON object a line)
and relays commands that `send` hands it over a Unix socket. Given the port
of baresip's `cons` UI module too, it also logs what the softphone shows
its user (e.g. a received MESSAGE), one {"type": "CONSOLE", "text": LINE}
a line.

  baresip_ctrl.py serve CTRL_PORT SOCKET LOG [CONS_PORT]   (until killed)
  baresip_ctrl.py send SOCKET COMMAND [PARAMS]  prints the answer's data;
      exits 0 when baresip said ok, 1 when it did not, 2 on no answer
  baresip_ctrl.py wait LOG TYPE [KEY=VALUE...] [--timeout S] [--after N]
      exits 0 once an event of TYPE with those fields is logged (after the
      log's first N lines), 1 at the deadline (the log's tail is printed)

Every connect, read and wait is bounded.
"""
import itertools
import json
import os
import queue
import socket
import sys
import threading
import time

ANSWER_TIMEOUT_S = 10


def netstring(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


def netstrings(sock):
    """Yields the payloads read from `sock`; returns when it closes."""
    buffer = b""
    while True:
        while True:
            colon = buffer.find(b":")
            if colon < 0:
                break
            length = int(buffer[:colon])
            end = colon + 1 + length
            if len(buffer) < end + 1:
                break
            if buffer[end:end + 1] != b",":
                raise ValueError("netstring without its comma")
            yield buffer[colon + 1:end]
            buffer = buffer[end + 1:]
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk


def connect_with_retry(port, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Log:
    """The event log, written from several threads a whole line at a time."""

    def __init__(self, path):
        self.file = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock:
            self.file.write(json.dumps(record) + "\n")


def log_console(cons, log):
    pending = b""
    while True:
        chunk = cons.recv(65536)
        if not chunk:
            return
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            text = line.decode(errors="replace").strip()
            if text:
                log.write({"type": "CONSOLE", "text": text})


def serve(ctrl_port, socket_path, log_path, cons_port=None):
    ctrl = connect_with_retry(int(ctrl_port), 15)
    ctrl.settimeout(None)
    answers = {}  # token -> queue of the one answer
    lock = threading.Lock()
    log = Log(log_path)
    if cons_port:
        cons = connect_with_retry(int(cons_port), 15)
        cons.settimeout(None)
        threading.Thread(target=log_console, args=(cons, log), daemon=True).start()

    def read_ctrl():
        for payload in netstrings(ctrl):
            message = json.loads(payload)
            if message.get("response"):
                with lock:
                    waiting = answers.pop(message.get("token"), None)
                if waiting:
                    waiting.put(message)
            else:
                log.write(message)
        log.write({"closed": True})
        os._exit(0)  # baresip went away: so does its relay

    threading.Thread(target=read_ctrl, daemon=True).start()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(4)
    tokens = itertools.count(1)
    while True:
        client, _ = server.accept()
        with client:
            client.settimeout(ANSWER_TIMEOUT_S)
            try:
                request = json.loads(client.makefile("rb").readline())
            except (OSError, ValueError):
                continue
            token = "t%d" % next(tokens)
            request["token"] = token
            waiting = queue.Queue(1)
            with lock:
                answers[token] = waiting
            log.write({"command": request})
            ctrl.sendall(netstring(json.dumps(request).encode()))
            try:
                answer = waiting.get(timeout=ANSWER_TIMEOUT_S)
            except queue.Empty:
                with lock:
                    answers.pop(token, None)
                continue
            log.write({"answer": answer})
            client.sendall(json.dumps(answer).encode() + b"\n")


def send(socket_path, command, params=None):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(ANSWER_TIMEOUT_S + 2)
    client.connect(socket_path)
    request = {"command": command}
    if params is not None:
        request["params"] = params
    client.sendall(json.dumps(request).encode() + b"\n")
    line = client.makefile("rb").readline()
    if not line:
        print("no answer from baresip to %s" % command, file=sys.stderr)
        return 2
    answer = json.loads(line)
    print(answer.get("data", ""))
    return 0 if answer.get("ok") else 1


def wait(log_path, event_type, *conditions):
    timeout = 20.0
    skip = 0
    fields = {}
    args = list(conditions)
    while args:
        arg = args.pop(0)
        if arg == "--timeout":
            timeout = float(args.pop(0))
        elif arg == "--after":
            skip = int(args.pop(0))
        else:
            key, _, value = arg.partition("=")
            fields[key] = value
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as log:
            for line in itertools.islice(log, skip, None):
                if not line.endswith("\n"):
                    break  # still being written
                event = json.loads(line)
                if event.get("type") == event_type and all(
                        str(event.get(k)) == v for k, v in fields.items()):
                    print(line.strip())
                    return 0
        time.sleep(0.1)
    with open(log_path) as log:
        tail = log.readlines()[-8:]
    print("no %s event %s within %.0f s; last events:\n%s" %
          (event_type, fields, timeout, "".join(tail)), file=sys.stderr)
    return 1


if __name__ == "__main__":
    verbs = {"serve": serve, "send": send, "wait": wait}
    if len(sys.argv) < 3 or sys.argv[1] not in verbs:
        print(__doc__, file=sys.stderr)
        sys.exit(3)
    sys.exit(verbs[sys.argv[1]](*sys.argv[2:]) or 0)
