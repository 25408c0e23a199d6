#!/bin/bash
# Real p2psipd processes on loopback (ephemeral ports, temporary state and
# sockets): four daemons bootstrapped from the first form one consistent
# ring; a value put on one is read on every other; it survives kill -9 of
# one daemon; SIGTERM makes another leave gracefully (exit 0) and the value
# stays readable. MODE `no-ice` (the default here) sets overlay.no-ice:
# true, every link TLS over TCP (overlay.peers says tls-tcp); MODE `ice`
# runs the same with full ICE, the daemon's default: the links Attach makes
# are DTLS-UDP-SR over ICE (dtls-udp), the bootstrap links stay TLS.
#
# usage: test_p2psipd_ring.sh P2PSIPD P2PSIPCTL [MODE]
set -u
P2PSIPD=$1
P2PSIPCTL=$2
MODE=${3:-no-ice}
NODES=4
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work ring
case $MODE in
  ice) cfg_overlay_extra="  no-ice: false" ;;
  no-ice) cfg_overlay_extra="  no-ice: true" ;;
  *) echo "unknown mode $MODE" >&2; exit 2 ;;
esac

# --- one ring ------------------------------------------------------------------
start_first_node
for ((i = 1; i < NODES; i++)); do start_node "$i" "$port0"; done
live=(0 1 2 3)
eventually 60 all_joined "${live[@]}" || fail "not every daemon joined"
echo "all $NODES joined"
eventually 60 ring_consistent "${live[@]}" || fail "the ring is not consistent"
echo "ring consistent"
# Nodes 1-3 dialled node 0 (TLS); between them the links are Attach's.
transports=$(ctl 1 peers | json_field '" ".join(sorted(p.get("transport", "-") for p in r["peers"]))')
expected="tls-tcp tls-tcp tls-tcp"
[ "$MODE" = ice ] && expected="dtls-udp dtls-udp tls-tcp"
[ "$transports" = "$expected" ] || fail "node 1's links are $transports, not $expected"
echo "node 1's links: $transports"
[ "$(stat -c %a "$work/n0/state/node.key")" = 600 ] || fail "node.key is not mode 0600"
ctl 0 fingers >/dev/null || fail "overlay.fingers failed"
ctl 0 route id=some-resource | json_field 'r["next_hop"]' >/dev/null || fail "overlay.route failed"

# --- storage ---------------------------------------------------------------------
owner=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner/greeting" value=hello-ring >/dev/null || fail "put on node 1 failed"
eventually 20 readable_everywhere "$owner/greeting" hello-ring 0 2 3 ||
  fail "value not readable on every other node"
echo "put on node 1, read on 0, 2, 3"

# --- a crash -----------------------------------------------------------------------
stop_node 2 KILL
live=(0 1 3)
eventually 90 readable_everywhere "$owner/greeting" hello-ring "${live[@]}" ||
  fail "value lost after kill -9 of node 2"
echo "value readable after kill -9 of node 2"

# --- a graceful leave ------------------------------------------------------------------
stop_node 3 TERM
status=$stopped_status
[ "$status" -eq 0 ] || fail "node 3 exited $status after SIGTERM"
live=(0 1)
eventually 60 readable_everywhere "$owner/greeting" hello-ring "${live[@]}" ||
  fail "value lost after node 3 left"
echo "node 3 left gracefully; value still readable"
echo "PASS"
