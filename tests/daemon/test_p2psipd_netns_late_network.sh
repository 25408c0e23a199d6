#!/bin/bash
# A box that starts before its network (a laptop booting before Wi-Fi, an
# access point that hands out no gateway): node 1's only interface is down
# and without an address when it starts, and no namespace has any route
# beyond its subnet. Its LAN discovery must say it is waiting, come up by
# itself when the interface does, bring it into one ring with node 0 (which
# runs on the same bridge), and follow the address going away again.
# Needs root and `ip netns`; skipped (77) otherwise.
#
# usage: test_p2psipd_netns_late_network.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
make_work netns-late
bridge_namespaces 2
ns1="${namespaces[2]}"

cfg_discovery=true
cfg_discovery_extra="  interval: 2"
cfg_listen_port=$(free_port)
cfg_listen_address="$subnet.1"
write_config 0
# Node 1 cannot bind an address it does not have yet.
cfg_listen_address=0.0.0.0
write_config 1

discovery_of() {  # discovery_of NODE EXPR: EXPR on node NODE's status.discovery as `d`
  ctl "$1" status 2>/dev/null | json_field "(lambda d: $2)(r['discovery'])" 2>/dev/null
}

launch_node 0
eventually 15 joined 0 || fail "node 0 did not start an overlay"
[ "$(discovery_of 0 'd["state"] + " " + ",".join(d["interfaces"])')" = "running eth0" ] ||
  fail "node 0's discovery is not running on eth0: $(ctl 0 status)"

ip -n "$ns1" addr flush dev eth0
ip -n "$ns1" link set eth0 down
launch_node 1
eventually 20 joined 1 || fail "node 1 did not go on in an overlay of its own"
[ "$(discovery_of 1 'd["state"]')" = waiting ] ||
  fail "node 1's discovery does not say it is waiting: $(ctl 1 status)"
[ "$(discovery_of 1 'len(d["interfaces"])')" = 0 ] || fail "node 1 names interfaces it lacks"
discovery_of 1 'd["problem"]' | grep -q "no usable interface" ||
  fail "node 1 does not say why discovery waits: $(ctl 1 status)"
echo "node 1 alone, discovery waiting: $(discovery_of 1 'd["problem"]')"

ip -n "$ns1" addr add "$subnet.2/24" dev eth0
ip -n "$ns1" link set eth0 up
up=$SECONDS
one_ring() {
  local id0 id1
  id0=$(node_id_of 0) && id1=$(node_id_of 1) || return 1
  [ "$(ctl 0 peers | json_field 'r["successors"][:1]')" = "['$id1']" ] &&
    [ "$(ctl 1 peers | json_field 'r["successors"][:1]')" = "['$id0']" ]
}
eventually 15 one_ring || fail "node 1 did not merge with node 0 once its network came up"
echo "one ring of 2, $((SECONDS - up)) s after node 1's interface came up"
[ "$(discovery_of 1 'd["state"] + " " + ",".join(d["interfaces"])')" = "running eth0" ] ||
  fail "node 1's discovery is not running on eth0: $(ctl 1 status)"

ip -n "$ns1" addr flush dev eth0
eventually 10 eval '[ "$(discovery_of 1 "d[\"state\"]")" = waiting ]' ||
  fail "node 1's discovery still claims eth0 after its address went: $(ctl 1 status)"
echo "node 1's discovery waits again once eth0 lost its address"
echo "PASS"
