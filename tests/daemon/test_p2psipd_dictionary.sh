#!/bin/bash
# A 32-entry dictionary on real p2psipd processes (loopback, ephemeral
# ports): in a ring of three every daemon is the responsible peer or a
# replica of every resource, so each must hold all 32 entries, and every
# StoreAns must name the two replicas that took them. A put too large for
# a message fails at once with a size error. A graceful leave hands the
# data over and exits well within the leave bound. A daemon whose last peer
# dies says it is cut off instead of answering "not found".
#
# usage: test_p2psipd_dictionary.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
ENTRIES=32
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work dictionary

holds() {  # holds NODE COUNT: the node stores COUNT values
  [ "$(metric "$1" storage_values 2>/dev/null)" = "$2" ]
}

start_first_node
start_node 1 "$port0"
start_node 2 "$port0"
live=(0 1 2)
eventually 60 all_joined "${live[@]}" || fail "not every daemon joined"
eventually 60 ring_consistent "${live[@]}" || fail "the ring is not consistent"
declare -a before
for i in "${live[@]}"; do before[$i]=$(metric "$i" storage_values) || fail "no storage_values on $i"; done

owner=$(ctl 1 status | json_field 'r["user"]')
value=$(printf 'v%.0s' {1..100})
for ((e = 0; e < ENTRIES; e++)); do
  replicas=$(ctl 1 put "key=$owner/entry$e" "value=$value-$e" | json_field 'r["replicas"]') ||
    fail "put of entry $e failed"
  [ "$replicas" = 2 ] || fail "entry $e: the StoreAns names $replicas replicas, not 2"
done
echo "$ENTRIES puts, each answered with 2 replicas"
for i in "${live[@]}"; do
  eventually 20 holds "$i" $((before[i] + ENTRIES)) ||
    fail "node $i holds $(metric "$i" storage_values) values, not $((before[i] + ENTRIES))"
done
echo "every daemon holds all $ENTRIES entries"
for i in "${live[@]}"; do
  readable_everywhere "$owner/entry17" "$value-17" "$i" || fail "entry17 not readable on $i"
done
# A put key without "/" is an entry of the node's own dictionary (read
# back as "/ENTRY"), and the Resource-ID a put answers with (32 hex digits)
# names that dictionary in a get.
rid=$(ctl 1 put key=entry0 "value=$value-0" | json_field 'r["resource_id"]') || fail "put key=entry0"
[ "$(ctl 2 get "key=$rid/entry0" | json_field 'r["values"][0]["value"]')" = "$value-0" ] ||
  fail "get key=$rid/entry0: $(ctl 2 get "key=$rid/entry0" 2>&1 | cut -c1-200)"
[ "$(ctl 1 get key=/entry0 | json_field 'r["values"][0]["value"]')" = "$value-0" ] || fail "get key=/entry0"
echo "entry0 read as /entry0 and by its dictionary's Resource-ID $rid"

# Over max-message-size (5000 by default): refused at once, not timed out.
big=$(printf 'x%.0s' {1..5000})
started=$SECONDS
answer=$(ctl 1 put "key=$owner/big" "value=$big" 2>&1) && fail "a 5000-byte put was accepted"
[ $((SECONDS - started)) -le 3 ] || fail "the 5000-byte put took $((SECONDS - started)) s to fail"
grep -q -i "too.large" <<<"$answer" || fail "the 5000-byte put failed without a size error: $answer"
echo "a 5000-byte put fails at once: $answer"

# The responsible peer of the dictionary leaves; the other two keep it all.
leaver=""
for i in "${live[@]}"; do
  [ "$(ctl "$i" route "id=$owner" | json_field 'r["responsible"]')" = True ] && leaver=$i
done
[ -n "$leaver" ] || fail "no daemon says it is responsible for $owner"
started=$SECONDS
stop_node "$leaver" TERM
[ "$stopped_status" -eq 0 ] || fail "node $leaver exited $stopped_status after SIGTERM"
[ $((SECONDS - started)) -le 5 ] || fail "the leave took $((SECONDS - started)) s"
grep -q "left the overlay$" "$work/n$leaver/log" ||
  fail "node $leaver did not report a complete hand-over: $(grep -i leav "$work/n$leaver/log")"
rest=()
for i in "${live[@]}"; do [ "$i" = "$leaver" ] || rest+=("$i"); done
for i in "${rest[@]}"; do
  eventually 20 holds "$i" $((before[i] + ENTRIES)) ||
    fail "after the leave node $i holds $(metric "$i" storage_values) values"
  readable_everywhere "$owner/entry31" "$value-31" "$i" || fail "entry31 not readable on $i"
done
echo "node $leaver left in $((SECONDS - started)) s; the other two still hold all $ENTRIES"

# The last peer of the survivor dies: it holds the data but can no longer
# tell what exists elsewhere, and must say so rather than "not found".
survivor=${rest[0]}
stop_node "${rest[1]}" KILL
isolated_answer() {
  answer=$(ctl "$survivor" get "key=$owner/no-such-entry" 2>&1)
  grep -q "lost every link" <<<"$answer"
}
eventually 30 isolated_answer || fail "the cut-off node answered: $answer"
echo "the cut-off node answers: $answer"
echo "PASS"
