#!/bin/bash
# storage.watch (issue 19): three real p2psipd on loopback. A client of
# node 0 (`p2psipctl watch`, storage.changed on its own connection) watches
# an app-data dictionary owned by node 2's user; node 1 is the ring's third
# member. Changes made on node 2 reach the watcher as storage.changed events
# within an interval or two: a changed entry, a new entry; a value stored
# again unchanged sends nothing. Bad input gets a clear error and leaves the
# watched values as they were: an interval below the floor, storage.unwatch
# of a watch that is not this connection's, a Kind it cannot watch. The
# watch ends with its connection.
#
# usage: test_p2psipd_storage_watch.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work watch

start_first_node
start_node 1 "$port0"
start_node 2 "$port0"
eventually 40 all_joined 0 1 2 || fail "not every daemon joined"
eventually 40 ring_consistent 0 1 2 || fail "the ring is not consistent"
owner=$(ctl 2 status | json_field 'r["user"]')
ctl 2 put "key=$owner/colour" value=red >/dev/null || fail "the first put failed"

"$P2PSIPCTL" --socket "${sockets[0]}" --json watch "key=$owner" interval=2 >"$work/watch.out" 2>&1 &
watcher=$!
helper_pids+=("$watcher")
# changes_seen: the storage.changed events the watcher printed, as
# "entry=value,..." lines.
changes_seen() {
  python3 - "$work/watch.out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("topic") == "storage.changed":
        print(",".join("%s=%s" % (v["key"], v["value"]) for v in sorted(m["values"], key=lambda v: v["key"])))
PY
}
changes_are() { [ "$(changes_seen | wc -l)" -ge "$1" ]; }
watching() { grep -q '"watch"' "$work/watch.out"; }
eventually 10 watching || fail "storage.watch did not answer: $(cat "$work/watch.out")"
[ "$(metric 0 storage_watches)" = 1 ] || fail "storage_watches is $(metric 0 storage_watches), not 1"
head -n 1 "$work/watch.out" | grep -q '"colour","value":"red"' ||
  fail "the watch's result does not carry the value now: $(head -n 1 "$work/watch.out")"
echo "watching from node 0: $(head -n 1 "$work/watch.out")"

ctl 2 put "key=$owner/colour" value=blue >/dev/null || fail "put blue"
eventually 8 changes_are 1 || fail "no storage.changed after a change on node 2: $(cat "$work/watch.out")"
[ "$(changes_seen | sed -n 1p)" = "colour=blue" ] || fail "first change: $(changes_seen)"
echo "a change made on node 2 reached the watcher on node 0"

ctl 2 put "key=$owner/colour" value=blue >/dev/null || fail "put blue again"
sleep 5
[ "$(changes_seen | wc -l)" = 1 ] || fail "a value stored again unchanged was reported: $(changes_seen)"
echo "a value stored again unchanged sends nothing"

ctl 2 put "key=$owner/size" value=large >/dev/null || fail "put size"
eventually 8 changes_are 2 || fail "no storage.changed for a new entry: $(changes_seen)"
[ "$(changes_seen | sed -n 2p)" = "colour=blue,size=large" ] || fail "second change: $(changes_seen)"
echo "a new entry was reported with the others"

# --- bad input: a clear error, nothing changed -----------------------------------------------
refused() {  # refused WHAT ERROR ARGS...
  local what=$1 name=$2 out
  shift 2
  if out=$(ctl 0 "$@" 2>&1); then fail "$what succeeded: $out"; fi
  grep -q "$name" <<<"$out" || fail "$what: $out"
  echo "$what: refused ($name)"
}
refused "a 1 s interval" "out of range" storage.watch "key=$owner" interval=1
refused "unwatch of another connection's watch" unknown_watch storage.unwatch watch=1
refused "a Kind it cannot watch" not_implemented storage.watch "key=$owner" kind=sip-registration
got=$(ctl 1 get "key=$owner" | json_field 'sorted((v["key"], v["value"]) for v in r["values"])')
[ "$got" = "[('colour', 'blue'), ('size', 'large')]" ] || fail "values after the refusals: $got"
echo "the values are as they were"

kill_tree "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
no_watch() { [ "$(metric 0 storage_watches)" = 0 ]; }
eventually 5 no_watch || fail "the watch outlived its connection"
ctl 2 put "key=$owner/colour" value=green >/dev/null || fail "put green"
sleep 3
[ "$(changes_seen | wc -l)" = 2 ] || fail "events after the watcher left: $(changes_seen)"
echo "the watch ended with its connection"
echo "PASS"
