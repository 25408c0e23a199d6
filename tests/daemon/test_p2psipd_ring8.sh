#!/bin/bash
# Eight p2psipd on loopback: all join, the ring is consistent (successors
# and predecessors), every node has fingers. Then the node responsible for a
# stored value and its successor, two ADJACENT nodes, are killed with
# SIGKILL: the remaining six repair the ring within a bounded time and the
# value (three replicas, two lost) is still readable from each of them.
#
# usage: test_p2psipd_ring8.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
NODES=8
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work ring8
# Stabilization every 10 s rather than 600: the repair is timed below.
cfg_overlay_extra="  chord-update-interval: 10"

start_first_node
for ((i = 1; i < NODES; i++)); do start_node "$i" "$port0"; done
all=(0 1 2 3 4 5 6 7)
eventually 90 all_joined "${all[@]}" || fail "not every daemon joined"
echo "all $NODES joined"
eventually 120 ring_consistent "${all[@]}" || fail "the ring of 8 is not consistent"
echo "ring of 8 consistent"
has_fingers() { [ "$(ctl "$1" fingers | json_field 'len(r["fingers"])')" -gt 0 ]; }
for i in "${all[@]}"; do
  eventually 60 has_fingers "$i" || fail "node $i has no fingers"
done
echo "every node has fingers"

owner=$(ctl 0 status | json_field 'r["user"]')
resource=$(ctl 0 put "key=$owner/survivor" value=two-down | json_field 'r["resource_id"]') ||
  fail "put failed"
eventually 20 readable_everywhere "$owner/survivor" two-down "${all[@]}" || fail "value not readable"

# The responsible node (the first Node-ID at or after the key, §10.3's
# successor rule on 128-bit keys) and the next one in the ring.
ids=()
for i in "${all[@]}"; do ids+=("$(node_id_of "$i")"); done
read -r first second < <(python3 - "$resource" "${ids[@]}" <<'PY'
import sys
key = int(sys.argv[1][:32], 16)  # a Resource-ID maps to a 128-bit key by its top bits
ids = [int(x, 16) for x in sys.argv[2:]]
ring = sorted(ids)
pos = next((k for k, v in enumerate(ring) if v >= key), 0)
pair = (ring[pos], ring[(pos + 1) % len(ring)])
print(*(ids.index(v) for v in pair))
PY
)
[ -n "$first" ] && [ -n "$second" ] || fail "could not find the responsible node"
[ "$first" -ne 0 ] && [ "$second" -ne 0 ] || {
  # Node 0 is the one we read from; keep it: take the next adjacent pair.
  read -r first second < <(python3 - "${ids[@]}" <<'PY'
import sys
ids = [int(x, 16) for x in sys.argv[1:]]
ring = sorted(ids)
pos = (ring.index(ids[0]) + 1) % len(ring)
print(ids.index(ring[pos]), ids.index(ring[(pos + 1) % len(ring)]))
PY
)
}
echo "killing adjacent nodes $first and $second"
stop_node "$first" KILL
stop_node "$second" KILL
live=()
for i in "${all[@]}"; do [ "$i" -ne "$first" ] && [ "$i" -ne "$second" ] && live+=("$i"); done

started=$SECONDS
eventually 150 ring_consistent "${live[@]}" || fail "the six did not repair the ring"
echo "ring of 6 repaired in $((SECONDS - started)) s"
eventually 60 readable_everywhere "$owner/survivor" two-down "${live[@]}" ||
  fail "value lost after two adjacent nodes died"
echo "value readable on all six"
echo "PASS"
