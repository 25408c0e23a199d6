#!/bin/bash
# Two zero-configuration daemons on one bridge (network namespaces, LAN
# discovery, no bootstrap peers): the second, started next to a joined
# first, finds it at once, and both dial each other at the same moment.
# The crossed links must not cost the join: one ring within 2 s of the
# second start, with no fallback to an overlay of its own. Needs root and
# `ip netns`; skipped (77) otherwise.
#
# usage: test_p2psipd_netns_pair.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
make_work netns-pair
bridge_namespaces 2

cfg_discovery=true
cfg_listen_port=$(free_port)
for i in 0 1; do
  cfg_listen_address="$subnet.$((i + 1))"
  write_config "$i"
done
launch_node 0
eventually 15 joined 0 || fail "node 0 did not start an overlay"
id0=$(node_id_of 0)
launch_node 1
start=$EPOCHREALTIME
since_start() { python3 -c "print(f'{$EPOCHREALTIME - $start:.2f}')"; }
# Polled from its log, which is cheaper than p2psipctl and so more precise.
node1_joined() { grep -q "state joined" "$work/n1/log"; }
until node1_joined || [ "$(since_start | cut -d. -f1)" -ge 10 ]; do sleep 0.02; done
node1_joined || fail "node 1 did not join within 10 s"
echo "node 1 joined $(since_start) s after its start"
id1=$(sed -n 's/^p2psipd: node \([0-9a-f]*\) .*/\1/p' "$work/n1/out")
# One snapshot of both nodes' tables, taken in parallel: each names the
# other as its first successor and predecessor.
pair_is_ring() {
  local a b
  ctl 0 peers >"$work/peers0" 2>/dev/null &
  a=$!
  ctl 1 peers >"$work/peers1" 2>/dev/null &
  b=$!
  wait "$a" "$b" || return 1
  python3 - "$work/peers0" "$work/peers1" "$id0" "$id1" <<'PY'
import json, sys
tables = [json.load(open(f)) for f in sys.argv[1:3]]
others = [sys.argv[4], sys.argv[3]]
sys.exit(0 if all(t["successors"][:1] == [o] and t["predecessors"][:1] == [o]
                  for t, o in zip(tables, others)) else 1)
PY
}
eventually 10 pair_is_ring || fail "no ring of two within 10 s"
took=$(since_start)
echo "one ring of 2 after $took s"
python3 -c "import sys; sys.exit(0 if $took <= 2.0 else 1)" || fail "the pair took $took s, over 2 s"
grep -q "could not join" "$work/n1/log" && fail "node 1 could not join through node 0"
echo "PASS"
