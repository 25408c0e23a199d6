#!/bin/bash
# TURN-SERVICE between real daemons (RFC 6940 §9): node 0 runs its relay on
# 127.0.0.1 with turn-density 4 and publishes it; nodes 1-3 run none. From
# node 3, relay.find names node 0's relay (address and UDP port as node.status
# reports them); the overlay holds 4 TurnServer values with their replicas.
# relay.find also names the relay's Node-ID, and relay.obtain on node 3 asks
# node 0 over the overlay (AppAttach to application 3478) for credentials
# minted for node 3's Node-ID, with which coturn's turnutils_uclient relays
# through node 0 with 0 lost, while made-up credentials get nowhere and a
# node without a relay refuses. When node 0 leaves gracefully it withdraws
# its values first: a fresh find from node 1 names no relay.
#
# usage: test_p2psipd_relay_find.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work relay-find

cfg_overlay_extra="  turn-density: 4"
cfg_extra="relay:
  mode: on
  address: 127.0.0.1
  port: 0
  tls-port: 0
  allow-loopback-peers: true"
start_first_node
cfg_extra="relay:
  mode: off"
for i in 1 2 3; do start_node "$i" "$port0"; done
all=(0 1 2 3)
eventually 60 all_joined "${all[@]}" || fail "not every daemon joined"
eventually 60 ring_consistent "${all[@]}" || fail "the ring is not consistent"
relay_port=$(ctl 0 status | json_field 'r["relay"]["udp_port"]') || fail "no relay port in node 0's status"
[ -n "$relay_port" ] && [ "$relay_port" != 0 ] || fail "node 0's relay has no UDP port: $(ctl 0 status)"

found=""
finds_node0() {
  found=$(relays_seen_by 3) && [ "$found" = "127.0.0.1:$relay_port" ]
}
eventually 30 finds_node0 || fail "node 3 found '$found', not node 0's relay 127.0.0.1:$relay_port"
echo "node 3 finds node 0's relay at $found"
id0=$(node_id_of 0)
id3=$(node_id_of 3)
named=$(ctl 3 relay.find | json_field '" ".join(x["node_id"] for x in r["relays"])')
[ "$named" = "$id0" ] || fail "relay.find names '$named', not node 0 ($id0)"

obtained=$(ctl 3 relay.obtain "node_id=$id0") || fail "relay.obtain from node 0 failed: $obtained"
user=$(json_field 'r["username"]' <<<"$obtained")
pass=$(json_field 'r["password"]' <<<"$obtained")
[ "${user#*:}" = "$id3" ] || fail "the credentials are for '${user#*:}', not node 3 ($id3)"
json_field 'r["uris"]' <<<"$obtained" | grep -q "turn:127.0.0.1:$relay_port?transport=udp" ||
  fail "relay.obtain gave no UDP URI for node 0's relay: $obtained"
echo "node 3 obtained credentials over the overlay: $user, ttl $(json_field 'r["ttl"]' <<<"$obtained") s"
refused=$(ctl 3 relay.obtain "node_id=$(node_id_of 1)" 2>&1) &&
  fail "node 1 runs no relay, yet relay.obtain answered: $refused"
echo "node 1 (no relay) refuses: $(json_field 'r["error"]["data"]["name"]' <<<"$refused" 2>/dev/null || echo "$refused")"
if command -v turnutils_uclient >/dev/null && command -v turnutils_peer >/dev/null; then
  start_echo_peer
  uclient "udp channels with overlay credentials" "$relay_port" -c
  allocations_before=$(ctl 0 relays | json_field 'len(r["allocations"])')
  saved=$pass
  pass="made-up-$pass"
  if timeout 20 turnutils_uclient -u "$user" -w "$pass" -e 127.0.0.1 -r "$peer_port" \
    -p "$relay_port" -n 5 -l 172 127.0.0.1 >"$work/forged.log" 2>&1 &&
    grep -q "Total lost packets 0 " "$work/forged.log"; then
    fail "made-up credentials relayed"
  fi
  pass=$saved
  [ "$(ctl 0 relays | json_field 'len(r["allocations"])')" = "$allocations_before" ] ||
    fail "made-up credentials allocated"
  echo "made-up credentials allocate nothing"
else
  echo "turnutils missing: the relay run with the obtained credentials is left out"
fi
published_values() { total_values "${all[@]}" && [ "$total" -ge 12 ]; }
eventually 20 published_values || fail "the daemons hold $total values, not 4 TurnServers x 3 copies"
echo "$total stored values: 4 TurnServer values with their replicas"

stop_node 0 TERM
[ "$stopped_status" -eq 0 ] || fail "node 0 exited $stopped_status on SIGTERM"
grep -q "relay .* published at 4 of 4" "$work/n0/log" || fail "node 0 did not log its publication"
live=(1 2 3)
eventually 30 ring_consistent "${live[@]}" || fail "the three did not repair the ring"
found=$(relays_seen_by 1) || fail "relay.find failed on node 1"
[ -z "$found" ] || fail "node 1 still finds '$found' after node 0 withdrew its relay"
echo "after node 0 left, node 1 finds no relay"
echo "PASS"
