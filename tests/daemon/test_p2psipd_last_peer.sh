#!/bin/bash
# A node whose ring empties keeps serving: a ring of two loses one node to a
# graceful leave, and the survivor goes back to an overlay of its own at
# once, still holding its value and accepting puts; a fresh node
# bootstrapped from it is in one ring with it within 10 s. Then both of a
# survivor's peers are killed (kill -9): the same.
#
# usage: test_p2psipd_last_peer.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work last-peer

state_of() { ctl "$1" status 2>/dev/null | json_field 'r["state"]' 2>/dev/null; }
accepts_put() { ctl "$1" put "key=$owner/$2" "value=$3" >/dev/null 2>&1; }

# A fresh node bootstrapped from node 0 must be in one ring with it within
# 10 s; $merge_took is how long it took.
merge_with_fresh_node() {  # merge_with_fresh_node NEW_INDEX
  local start=$EPOCHREALTIME
  start_node "$1" "$port0"
  eventually 10 ring_consistent 0 "$1" || fail "node $1 and node 0 are not one ring within 10 s"
  merge_took=$(python3 -c "print(f'{$EPOCHREALTIME - $start:.1f}')")
}

start_first_node
start_node 1 "$port0"
eventually 30 all_joined 0 1 || fail "node 1 did not join"
eventually 30 ring_consistent 0 1 || fail "no ring of two"
owner=$(ctl 0 status | json_field 'r["user"]')
accepts_put 0 before kept || fail "put before the leave failed"
echo "ring of 2, value stored"

stop_node 1 TERM
eventually 3 joined 0 || fail "node 0 is '$(state_of 0)' 3 s after its last peer left"
accepts_put 0 alone survives || fail "node 0 refuses puts after its last peer left"
readable_everywhere "$owner/before" kept 0 || fail "node 0 lost its value"
echo "last peer left: node 0 alone in its own overlay, puts accepted, value kept"
merge_with_fresh_node 2
echo "fresh node in one ring with it after $merge_took s"
eventually 10 readable_everywhere "$owner/alone" survives 0 2 ||
  fail "the value put while alone is not readable from both within 10 s of the merge"

start_node 3 "$port0"
eventually 30 all_joined 3 || fail "node 3 did not join"
eventually 60 ring_consistent 0 2 3 || fail "no ring of three"
kill -9 "${pids[2]}" "${pids[3]}"
wait "${pids[2]}" "${pids[3]}" 2>/dev/null
pids[2]=""
pids[3]=""
eventually 10 joined 0 || fail "node 0 is '$(state_of 0)' 10 s after its peers were killed"
accepts_put 0 after-kill survives || fail "node 0 refuses puts after its peers were killed"
echo "both peers killed: node 0 alone, puts accepted"
merge_with_fresh_node 4
echo "fresh node in one ring with it after $merge_took s"
echo "PASS"
