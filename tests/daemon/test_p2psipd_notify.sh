#!/bin/bash
# sd_notify from a real p2psipd: NOTIFY_SOCKET points at a Unix datagram
# socket this test owns (a python3 receiver writes each datagram to a file).
# Expects READY=1 once the node starts an overlay, STATUS= lines naming the
# state and the peer count, WATCHDOG=1 while WATCHDOG_USEC is set, and
# STOPPING=1 on SIGTERM, after which the daemon exits 0.
#
# usage: test_p2psipd_notify.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work notify

notify_socket="$work/notify.sock"
received="$work/notify.log"
python3 - "$notify_socket" "$received" <<'PY' &
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(1.0)
deadline = time.time() + 120  # bounded even if nobody kills the receiver
with open(out, "a", buffering=1) as f:
    while time.time() < deadline:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        f.write(data.decode(errors="replace").replace("\n", " | ") + "\n")
PY
helper_pids+=($!)
eventually 10 test -S "$notify_socket" || fail "the receiver did not bind $notify_socket"

write_config 0
NOTIFY_SOCKET=$notify_socket WATCHDOG_USEC=1000000 launch_node 0

got() { grep -q -- "$1" "$received" 2>/dev/null; }

eventually 20 got "READY=1" || fail "no READY=1"
grep -m1 "READY=1" "$received" | grep -q "STATUS=joined, 0 peers" ||
  fail "READY=1 did not come with the joined status: $(grep -m1 READY=1 "$received")"
joined 0 || fail "READY=1 was sent but the node is not joined"
echo "READY=1 with STATUS=joined, 0 peers"
eventually 10 got "WATCHDOG=1" || fail "no WATCHDOG=1 with WATCHDOG_USEC set"
pings_before=$(grep -c "WATCHDOG=1" "$received")
sleep 1.5
[ "$(grep -c "WATCHDOG=1" "$received")" -gt "$pings_before" ] || fail "WATCHDOG=1 is not repeated"
echo "WATCHDOG=1 repeated"

# A second node links in: the peer count in STATUS= follows.
start_node 1 "$(listen_port 0)"
eventually 30 got "STATUS=joined, 1 peer" || fail "no STATUS= line with 1 peer"
echo "STATUS=joined, 1 peer"

! got "STOPPING=1" || fail "STOPPING=1 before any signal"
stop_node 0 TERM
[ "$stopped_status" -eq 0 ] || fail "p2psipd exited $stopped_status after SIGTERM"
got "STOPPING=1" || fail "no STOPPING=1 on SIGTERM"
echo "STOPPING=1 on SIGTERM, exit 0"

# Without WATCHDOG_USEC there are no pings.
: >"$received"
write_config 2
NOTIFY_SOCKET=$notify_socket launch_node 2
eventually 20 got "READY=1" || fail "no READY=1 from the second daemon"
sleep 1.5
! got "WATCHDOG=1" || fail "WATCHDOG=1 sent without WATCHDOG_USEC"
echo "no WATCHDOG=1 without WATCHDOG_USEC"
echo "PASS"
