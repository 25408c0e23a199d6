#!/usr/bin/python3
"""A second, independent TURN client against turn_server_main: aioice's.

  relay HOST PORT USER PASS udp|tcp COUNT
      Allocate, CreatePermission, then COUNT messages through a channel to an
      echo peer and back (aioice binds the channel on first send); then wrong
      credentials must fail with 401.
  refused HOST PORT USER PASS udp|tcp CODE
      Allocate must fail with CODE; USER "-" sends no credentials at all.
  forbidden HOST PORT USER PASS udp|tcp PEER_HOST PEER_PORT
      Allocate, then CreatePermission for the peer must fail with 403.
  hold HOST PORT USER PASS udp|tcp SECONDS
      Allocate, print "allocated", keep it for SECONDS.
Every wait is bounded. Exit status 0 on success; prints what failed otherwise.
"""
import argparse
import asyncio
import sys

from aioice import stun, turn


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


class Inbox:
    """What the TURN client hands up: the payloads relayed back to us."""

    def __init__(self):
        self.queue = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.queue.put_nowait((data, addr))

    def connection_lost(self, exc):
        pass


async def open_client(host, port, username, password, transport):
    loop = asyncio.get_running_loop()
    args = dict(server=(host, port), username=username, password=password,
                lifetime=600, channel_refresh_time=300)
    if transport == "tcp":
        _, client = await loop.create_connection(
            lambda: turn.TurnClientTcpProtocol(**args), host=host, port=port)
    else:
        _, client = await loop.create_datagram_endpoint(
            lambda: turn.TurnClientUdpProtocol(**args), remote_addr=(host, port))
    return client


def error_code(failure):
    return failure.response.attributes["ERROR-CODE"][0]


async def create_permission(client, peer):
    request = stun.Message(message_method=stun.Method.CREATE_PERMISSION,
                           message_class=stun.Class.REQUEST)
    request.attributes["XOR-PEER-ADDRESS"] = peer
    await asyncio.wait_for(client.request_with_retry(request), 5)


async def relay(host, port, username, password, transport, count):
    loop = asyncio.get_running_loop()
    peer_transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    peer = peer_transport.get_extra_info("sockname")

    client = await open_client(host, port, username, password, transport)
    inbox = Inbox()
    client.receiver = inbox
    relayed = await asyncio.wait_for(client.connect(), 5)
    print(f"{transport}: allocated {relayed}")

    await create_permission(client, peer)
    print(f"{transport}: permission for {peer}")

    received = 0
    for i in range(count):
        payload = f"aioice {transport} {i}".encode()
        await asyncio.wait_for(client.send_data(payload, peer), 5)
        data, addr = await asyncio.wait_for(inbox.queue.get(), 5)
        if data != payload or tuple(addr) != tuple(peer):
            raise AssertionError(f"got {data!r} from {addr}, sent {payload!r} to {peer}")
        received += 1
    print(f"{transport}: sent {count}, received {received}, lost {count - received}")
    await asyncio.wait_for(client.delete(), 5)

    peer_transport.close()
    await refused(host, port, username, password + "x", transport, 401)


async def refused(host, port, username, password, transport, code):
    if username == "-":
        username = password = None
    client = await open_client(host, port, username, password, transport)
    try:
        await asyncio.wait_for(client.connect(), 5)
        raise AssertionError(f"allocated, where {code} was expected")
    except stun.TransactionFailed as e:
        if error_code(e) != code:
            raise AssertionError(f"got {error_code(e)}, not {code}")
        print(f"{transport}: Allocate refused with {code}")
    finally:
        client.transport.close()


async def forbidden(host, port, username, password, transport, peer):
    client = await open_client(host, port, username, password, transport)
    await asyncio.wait_for(client.connect(), 5)
    try:
        await create_permission(client, peer)
        raise AssertionError(f"permission for {peer} granted")
    except stun.TransactionFailed as e:
        if error_code(e) != 403:
            raise AssertionError(f"got {error_code(e)}, not 403")
        print(f"{transport}: CreatePermission for {peer} refused with 403")
    await asyncio.wait_for(client.delete(), 5)


async def hold(host, port, username, password, transport, seconds):
    client = await open_client(host, port, username, password, transport)
    print(f"{transport}: allocated {await asyncio.wait_for(client.connect(), 5)}", flush=True)
    await asyncio.sleep(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["relay", "refused", "forbidden", "hold"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("transport", choices=["udp", "tcp"])
    parser.add_argument("rest", nargs="+")
    a = parser.parse_args()
    common = (a.host, a.port, a.username, a.password, a.transport)
    runs = {
        "relay": lambda: relay(*common, int(a.rest[0])),
        "refused": lambda: refused(*common, int(a.rest[0])),
        "forbidden": lambda: forbidden(*common, (a.rest[0], int(a.rest[1]))),
        "hold": lambda: hold(*common, float(a.rest[0])),
    }
    try:
        asyncio.run(asyncio.wait_for(runs[a.mode](), 120))
    except Exception as e:  # any failure is the test's failure, with its reason
        print(f"FAIL: {type(e).__name__}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
