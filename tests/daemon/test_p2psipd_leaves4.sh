#!/bin/bash
# Eight p2psipd on loopback holding 64 values (8 owners' dictionaries of 8
# entries). Four daemons leave in turn with SIGTERM, each the ring
# neighbour after node 0 at the time (so data handed over by one leaver is
# handed on by the next): each must exit within 15 s (systemd's
# TimeoutStopSec is 90 s) with status 0 and log a complete hand-over ("left
# the overlay", not "some data could not be handed over" nor "leave did not
# finish in time"); after each leave every value is readable from node 0
# and the copies return to 3 per value (sum of storage_values) in a bounded
# wait. Fewer fails at once; more (a copy made while views moved, on a node
# outside the value's replica set) is kept by design for the storage's
# 2-minute drop grace, so extra copies must be gone by the end instead.
#
# usage: test_p2psipd_leaves4.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
NODES=8
ENTRIES=8     # per owner; every daemon is an owner
LEAVES=4
REPLICAS=3
LEAVE_BOUND=15
DROP_GRACE=120  # overlay_storage.cpp's drop_grace
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work leaves4
cfg_overlay_extra="  chord-update-interval: 5"

live=()
for ((i = 0; i < NODES; i++)); do live+=("$i"); done
start_first_node
for ((i = 1; i < NODES; i++)); do start_node "$i" "$port0"; done
eventually 90 all_joined "${live[@]}" || fail "not every daemon joined"
eventually 150 ring_consistent "${live[@]}" || fail "the ring of $NODES is not consistent"
echo "ring of $NODES consistent"

store_values "$ENTRIES" "$REPLICAS" "${live[@]}"

failures=""
for ((leave = 1; leave <= LEAVES; leave++)); do
  ids=()
  for i in "${live[@]}"; do ids+=("$(node_id_of "$i")"); done
  leaver=$(python3 - "${ids[@]}" <<'PY'
import sys
ids = sys.argv[1:]
ring = sorted(ids)
print(ids.index(ring[(ring.index(ids[0]) + 1) % len(ring)]))
PY
)
  leaver=${live[$leaver]}
  [ -n "$leaver" ] && [ "$leaver" -ne 0 ] || fail "leave $leave: no node to leave"
  pid=${pids[$leaver]}
  t0=$SECONDS
  kill -TERM "$pid"
  eventually "$LEAVE_BOUND" exited "$pid" ||
    fail "leave $leave: node $leaver still running $LEAVE_BOUND s after SIGTERM"
  took=$((SECONDS - t0))
  stopped_status=0
  wait "$pid" 2>/dev/null || stopped_status=$?
  pids[$leaver]=""
  [ "$stopped_status" -eq 0 ] || fail "leave $leave: node $leaver exited $stopped_status"
  log=$work/n$leaver/log
  grep -q "left the overlay$" "$log" ||
    fail "leave $leave: node $leaver did not log a complete hand-over: $(grep -i -E "leav|hand" "$log")"
  ! grep -q -E "could not be handed over|leave did not finish in time" "$log" ||
    fail "leave $leave: node $leaver: $(grep -E "could not be handed over|leave did not finish" "$log")"
  rest=()
  for i in "${live[@]}"; do [ "$i" -ne "$leaver" ] && rest+=("$i"); done
  live=("${rest[@]}")

  t1=$SECONDS
  eventually 60 none_lost 0
  [ "$lost" -eq 0 ] || failures+="leave $leave (node $leaver): $lost values not readable:$lost_keys; "
  eventually 60 copies_are "$expected" "${live[@]}"
  copies=$(python3 -c "print(f'{($total - $baseline) / $n:.2f}')")
  if [ "$total" -lt "$expected" ]; then
    failures+="leave $leave (node $leaver): $total stored values, not $expected ($(per_node "${live[@]}")); "
  elif [ "$total" -gt "$expected" ]; then
    echo "leave $leave: $((total - expected)) extra copies ($(per_node "${live[@]}")), to be dropped after the grace"
    extra=1
  fi
  echo "leave $leave: node $leaver exited in $took s (complete hand-over); lost $lost;" \
    "copies/value $copies after $((SECONDS - t1)) s on ${#live[@]} nodes"
done
if [ -n "${extra:-}" ]; then
  t2=$SECONDS
  eventually $((DROP_GRACE + 30)) copies_are "$expected" "${live[@]}" ||
    failures+="$total stored values $((SECONDS - t2)) s after the last leave, not $expected ($(per_node "${live[@]}")); "
  echo "extra copies dropped: $total stored values after $((SECONDS - t2)) s"
fi
[ -z "$failures" ] || fail "$failures"
echo "PASS"
