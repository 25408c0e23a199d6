#!/bin/bash
# A partition and its healing: eight daemons in network namespaces on one
# bridge hold values with 3 copies each. MODE `discovery` (the default): zero
# configuration, LAN discovery at its default interval and no bootstrap
# peers. MODE `bootstrap`: no discovery, and nodes 1-7 name node 0 as their
# bootstrap node, so half b heals only through the membership keeper's probe. Nodes 4-7 are then moved to a
# second bridge for 60 s: each half must repair into a ring of its own and
# take new puts. When the ports move back, the eight must be one consistent
# ring again, and every value (from before and from both halves during the
# split) readable from every node, within 60 s. Needs root and `ip netns`;
# skipped (77) otherwise.
#
# usage: test_p2psipd_netns_partition.sh P2PSIPD P2PSIPCTL [MODE]
set -u
P2PSIPD=$1
P2PSIPCTL=$2
MODE=${3:-discovery}
NODES=8
SPLIT_SECONDS=${SPLIT_SECONDS:-60}
HEAL_BAR=60
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
make_work netns-partition
bridge_namespaces "$NODES"

cfg_listen_port=$(free_port)
case $MODE in
  discovery) cfg_discovery=true ;;
  bootstrap) cfg_discovery=false ;;
  *) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
for ((i = 0; i < NODES; i++)); do
  cfg_listen_address="$subnet.$((i + 1))"
  [ "$MODE" = bootstrap ] && ((i > 0)) && cfg_bootstrap="$subnet.1:$cfg_listen_port"
  write_config "$i"
done
launch_node 0
eventually 15 joined 0 || fail "node 0 did not start an overlay"
for ((i = 1; i < NODES; i++)); do launch_node "$i"; done
all=(0 1 2 3 4 5 6 7)
half_a=(0 1 2 3)
half_b=(4 5 6 7)
eventually 60 all_joined "${all[@]}" || fail "not every daemon joined"
eventually 90 ring_consistent "${all[@]}" || fail "the eight did not form one ring"
echo "one ring of $NODES"
store_values 3 3 "${all[@]}"

# --- the split: half b's bridge ports move to a bridge of their own -----------
move_half_b() {  # move_half_b BRIDGE
  local i
  for i in "${half_b[@]}"; do
    ip -n "$bridge_ns" link set "p2b$$$i" master "$1" || fail "cannot move node $i's port to $1"
  done
}
ip -n "$bridge_ns" link add br1 type bridge mcast_snooping 0 || fail "cannot create br1"
ip -n "$bridge_ns" link set br1 up
move_half_b br1
split=$SECONDS
echo "split: nodes ${half_a[*]} | nodes ${half_b[*]}"
eventually 60 ring_consistent "${half_a[@]}" || fail "nodes ${half_a[*]} did not repair into a ring"
eventually 60 ring_consistent "${half_b[@]}" || fail "nodes ${half_b[*]} did not repair into a ring"
echo "each half is a ring of its own after $((SECONDS - split)) s"
for i in 0 4; do
  owner=$(ctl "$i" status | json_field 'r["user"]')
  for e in 0 1; do
    eventually 30 eval "ctl $i put key=$owner/split$e value=half$i-$e >/dev/null" ||
      fail "node $i could not put during the split"
    values["$owner/split$e"]="half$i-$e"
  done
done
echo "2 values put in each half during the split"
while ((SECONDS - split < SPLIT_SECONDS)); do sleep 1; done

# --- healing ---------------------------------------------------------------------
move_half_b br0
healed=$SECONDS
echo "healed after $((healed - split)) s apart"
eventually "$HEAL_BAR" ring_consistent "${all[@]}" ||
  fail "no single consistent ring $HEAL_BAR s after healing"
ring_after=$((SECONDS - healed))
echo "one ring of $NODES again $ring_after s after healing"
eventually "$HEAL_BAR" none_lost "${all[@]}" ||
  fail "$lost reads of ${#values[@]} values from ${#all[@]} nodes failed $((SECONDS - healed)) s after healing:$lost_keys"
readable_after=$((SECONDS - healed))
((readable_after <= HEAL_BAR)) ||
  fail "every value readable only $readable_after s after healing, over the $HEAL_BAR s bar"
echo "all ${#values[@]} values readable from every node $readable_after s after healing"
echo "PASS"
