#!/bin/bash
# Zero-configuration overlay in network namespaces: four p2psipd, each in
# its own namespace on one bridge (itself in a namespace), LAN discovery on
# and NO bootstrap peers, all started at the same moment. Each finds the
# others by multicast; since none is in an overlay yet, they start their
# own and merge, ending in one ring: all joined, and each node's successor
# and predecessor agree across the four. Traffic stays inside the test's
# namespaces. Needs root and `ip netns`; skipped (77) otherwise.
#
# usage: test_p2psipd_netns_discovery.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
NODES=4
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
make_work netns
bridge_namespaces "$NODES"

cfg_discovery=true
cfg_discovery_extra="  interval: 2"
cfg_overlay_extra="  chord-update-interval: 10"
cfg_listen_port=$(free_port)
for ((i = 0; i < NODES; i++)); do
  cfg_listen_address="$subnet.$((i + 1))"
  write_config "$i"
done
# All at once, so that nobody has an overlay to join: the merge path.
for ((i = 0; i < NODES; i++)); do launch_node "$i"; done
all=(0 1 2 3)
started=$SECONDS
eventually 90 all_joined "${all[@]}" || fail "not every daemon joined"
eventually 120 ring_consistent "${all[@]}" || fail "the four did not form one ring"
echo "one ring of 4 after $((SECONDS - started)) s"
grep -q "discovered" "$work/n0/log" || fail "node 0 discovered nobody"
overlays_started=$(grep -l "starting a new overlay" "$work"/n*/log | wc -l)
[ "$overlays_started" -ge 2 ] ||
  fail "only $overlays_started node(s) started an overlay: the merge path was not exercised"
echo "$overlays_started nodes started overlays of their own, merged into one"
for i in "${all[@]}"; do
  grep -q "bootstrap" "$work/n$i/p2psipd.yaml" && fail "node $i had bootstrap peers configured"
done
owner=$(ctl 0 status | json_field 'r["user"]')
ctl 0 put "key=$owner/lan" value=merged >/dev/null || fail "put failed"
eventually 20 readable_everywhere "$owner/lan" merged "${all[@]}" || fail "value not readable on all"
echo "a value put on node 0 is readable on all four"
echo "PASS"
