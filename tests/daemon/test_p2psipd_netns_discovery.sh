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

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip(8)"
probe="p2pprobe$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns delete "$probe"
make_work netns

bridge_ns="p2pbr$$"
namespaces=("$bridge_ns")
delete_namespaces() {
  local ns
  for ns in "${namespaces[@]}"; do ip netns delete "$ns" 2>/dev/null; done
}
extra_cleanup=delete_namespaces

# A random 10.x.y.0/24, so parallel runs and the host's own networks do not meet.
subnet="10.$((RANDOM % 200 + 20)).$((RANDOM % 250))"
ip netns add "$bridge_ns" || fail "cannot create $bridge_ns"
ip -n "$bridge_ns" link add br0 type bridge mcast_snooping 0 || fail "cannot create the bridge"
ip -n "$bridge_ns" link set br0 up
for ((i = 0; i < NODES; i++)); do
  ns="p2pn$$-$i"
  namespaces+=("$ns")
  ip netns add "$ns" || fail "cannot create $ns"
  ip link add "p2v$$$i" type veth peer name "p2b$$$i" || fail "cannot create a veth pair"
  ip link set "p2v$$$i" netns "$ns" name eth0
  ip link set "p2b$$$i" netns "$bridge_ns"
  ip -n "$bridge_ns" link set "p2b$$$i" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$subnet.$((i + 1))/24" dev eth0
  ip -n "$ns" link set eth0 up
  # Discovery's multicast leaves through the bridge, not a default route.
  ip -n "$ns" route add 224.0.0.0/4 dev eth0 || fail "no multicast route in $ns"
done
echo "4 namespaces on bridge $bridge_ns, $subnet.0/24"

cfg_discovery=true
cfg_discovery_extra="  interval: 2"
cfg_overlay_extra="  chord-update-interval: 10"
cfg_listen_port=$(free_port)
for ((i = 0; i < NODES; i++)); do
  cfg_listen_address="$subnet.$((i + 1))"
  write_config "$i"
  node_prefix[$i]="ip netns exec p2pn$$-$i"
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
