#!/usr/bin/env python3
"""Abuses a p2psipd control socket and reports what the daemon paid for it.

usage: control_abuse.py P2PSIPCTL SOCKET PID

1. partial: 100 clients each send a 1 MiB line without its newline and
   keep the connection open;
2. idle: then, those closed, 1,100 clients connect and send nothing.
While each crowd holds on, it records the daemon's VmRSS and open
descriptors, runs `p2psipctl status` (bounded at 10 s) and collects what
the crowd was told (the data.name of each error line received). Prints one
line of JSON per part. Every socket is closed before the next part.
"""
import json
import os
import selectors
import socket
import subprocess
import sys
import time

P2PSIPCTL, SOCKET, PID = sys.argv[1], sys.argv[2], int(sys.argv[3])
PARTIAL_CLIENTS, LINE_BYTES, IDLE_CLIENTS = 100, 1 << 20, 1100


def rss_mib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def open_descriptors():
    return len(os.listdir(f"/proc/{PID}/fd"))


def status_call():
    start = time.monotonic()
    try:
        done = subprocess.run([P2PSIPCTL, "--socket", SOCKET, "--json", "status"],
                              capture_output=True, timeout=10)
        outcome = "answered" if done.returncode == 0 else "failed: " + done.stderr.decode().strip()
    except subprocess.TimeoutExpired:
        outcome = "no answer in 10 s"
    return {"status": outcome, "status_s": round(time.monotonic() - start, 3)}


def connect():
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(2)
    try:
        client.connect(SOCKET)
    except OSError:
        client.close()
        return None
    client.setblocking(False)
    return client


def what_they_were_told(clients):
    told = {}
    for client in clients:
        try:
            data = client.recv(65536)
        except (BlockingIOError, ConnectionResetError):
            continue
        for line in data.splitlines():
            try:
                name = json.loads(line)["error"]["data"]["name"]
            except (ValueError, KeyError, TypeError):
                continue
            told[name] = told.get(name, 0) + 1
    return told


def report(part, clients, extra):
    figures = {"part": part, "clients": len(clients), "rss_mib": rss_mib(),
               "descriptors": open_descriptors()}
    figures.update(extra)
    figures.update(status_call())
    figures["told"] = what_they_were_told(clients)
    print(json.dumps(figures), flush=True)
    for client in clients:
        client.close()


def partial_lines():
    clients = [c for c in (connect() for _ in range(PARTIAL_CLIENTS)) if c]
    left = {client: LINE_BYTES for client in clients}
    chunk = b"x" * 65536
    writable = selectors.DefaultSelector()
    for client in clients:
        writable.register(client, selectors.EVENT_WRITE)
    deadline = time.monotonic() + 20
    while left and time.monotonic() < deadline:
        for key, _ in writable.select(timeout=0.2):
            client = key.fileobj
            try:
                left[client] -= client.send(chunk[:left[client]])
            except BlockingIOError:
                continue
            except OSError:  # closed by the daemon
                left[client] = 0
            if left[client] == 0:
                writable.unregister(client)
                del left[client]
    time.sleep(1)  # what the daemon reads, it reads now
    report("partial", clients, {"still_sending": len(left)})


def idle_connections():
    clients = []
    for _ in range(IDLE_CLIENTS):
        client = connect()
        if client is None:
            break
        clients.append(client)
    time.sleep(1)
    report("idle", clients, {"connected": len(clients)})


partial_lines()
time.sleep(2)
idle_connections()
