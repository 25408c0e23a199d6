#!/bin/bash
# Real p2psipd processes on loopback (ephemeral ports, temporary state and
# sockets): four daemons bootstrapped from the first form one consistent
# ring; a value put on one is read on every other; it survives kill -9 of
# one daemon; SIGTERM makes another leave gracefully (exit 0) and the value
# stays readable.
#
# usage: test_p2psipd_ring.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
NODES=4
work=$(mktemp -d "${TMPDIR:-/tmp}/p2psipd-ring-XXXXXX")
declare -a pids sockets

cleanup() {
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for i in "${!pids[@]}"; do
    echo "--- node $i log (tail) ---" >&2
    tail -n 20 "$work/n$i/log" >&2
  done
  exit 1
}

ctl() {  # ctl NODE METHOD [key=value ...]: the JSON result on stdout
  local node=$1
  shift
  "$P2PSIPCTL" --socket "${sockets[$node]}" --json "$@"
}

json_field() {  # json_field EXPR: evaluates EXPR on the JSON object `r` from stdin
  python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"
}

# Retries `check` (a command) once per 0.2 s for up to $1 seconds.
eventually() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

start_node() {  # start_node INDEX [BOOTSTRAP_PORT]
  local i=$1 bootstrap=${2:-}
  mkdir -p "$work/n$i"
  sockets[$i]="$work/n$i/control.sock"
  {
    echo "overlay:"
    echo "  name: ring.test.p2psip.local"
    echo "  self-signed-permitted: true"
    echo "  overlay-reliability-timer: 1000"
    if [ -n "$bootstrap" ]; then
      echo "  bootstrap-nodes:"
      echo "    - 127.0.0.1:$bootstrap"
    fi
    echo "node:"
    echo "  listen-address: 127.0.0.1"
    echo "  listen-port: 0"
    echo "discovery:"
    echo "  enabled: false"
    echo "sip:"
    echo "  enabled: false"
    echo "control:"
    echo "  socket: ${sockets[$i]}"
  } >"$work/n$i/p2psipd.yaml"
  "$P2PSIPD" -c "$work/n$i/p2psipd.yaml" --state-dir "$work/n$i/state" \
    >"$work/n$i/out" 2>"$work/n$i/log" &
  pids[$i]=$!
}

listen_port() {  # the port node $1 printed it listens on
  sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/n$1/out"
}

printed_port() { [ -n "$(listen_port "$1")" ]; }

joined() {
  [ "$(ctl "$1" status 2>/dev/null | json_field 'r["state"]' 2>/dev/null)" = joined ]
}

all_joined() {
  local i
  for i in "$@"; do joined "$i" || return 1; done
}

# Each live node's first successor is the next live Node-ID in ring order.
ring_consistent() {
  local i ids=() successors=()
  for i in "$@"; do
    ids+=("$(ctl "$i" status | json_field 'r["node_id"]')") || return 1
    successors+=("$(ctl "$i" peers | json_field '(r["successors"] or [""])[0]')") || return 1
  done
  python3 - "${#ids[@]}" "${ids[@]}" "${successors[@]}" <<'PY'
import sys
n = int(sys.argv[1])
ids, succ = sys.argv[2:2 + n], sys.argv[2 + n:]
ring = sorted(ids)
ok = all(succ[k] == ring[(ring.index(ids[k]) + 1) % n] for k in range(n))
sys.exit(0 if ok else 1)
PY
}

readable_everywhere() {  # readable_everywhere KEY VALUE NODE...
  local key=$1 value=$2 i got
  shift 2
  for i in "$@"; do
    got=$(ctl "$i" get "key=$key" 2>/dev/null | json_field 'r["values"][0]["value"]' 2>/dev/null)
    [ "$got" = "$value" ] || return 1
  done
}

# --- one ring ------------------------------------------------------------------
start_node 0
eventually 10 printed_port 0 || fail "node 0 did not print its port"
port0=$(listen_port 0)
eventually 10 joined 0 || fail "node 0 did not start an overlay"
for ((i = 1; i < NODES; i++)); do start_node "$i" "$port0"; done
live=(0 1 2 3)
eventually 60 all_joined "${live[@]}" || fail "not every daemon joined"
echo "all $NODES joined"
eventually 60 ring_consistent "${live[@]}" || fail "the ring is not consistent"
echo "ring consistent"
[ "$(stat -c %a "$work/n0/state/node.key")" = 600 ] || fail "node.key is not mode 0600"
ctl 0 fingers >/dev/null || fail "overlay.fingers failed"
ctl 0 route id=some-resource | json_field 'r["next_hop"]' >/dev/null || fail "overlay.route failed"

# --- storage ---------------------------------------------------------------------
owner=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner/greeting" value=hello-ring >/dev/null || fail "put on node 1 failed"
eventually 20 readable_everywhere "$owner/greeting" hello-ring 0 2 3 ||
  fail "value not readable on every other node"
echo "put on node 1, read on 0, 2, 3"

# --- a crash -----------------------------------------------------------------------
kill -9 "${pids[2]}"
wait "${pids[2]}" 2>/dev/null
pids[2]=""
live=(0 1 3)
eventually 90 readable_everywhere "$owner/greeting" hello-ring "${live[@]}" ||
  fail "value lost after kill -9 of node 2"
echo "value readable after kill -9 of node 2"

# --- a graceful leave ------------------------------------------------------------------
kill -TERM "${pids[3]}"
status=0
wait "${pids[3]}" || status=$?
pids[3]=""
[ "$status" -eq 0 ] || fail "node 3 exited $status after SIGTERM"
live=(0 1)
eventually 60 readable_everywhere "$owner/greeting" hello-ring "${live[@]}" ||
  fail "value lost after node 3 left"
echo "node 3 left gracefully; value still readable"
echo "PASS"
