#!/bin/bash
# Last-known peers: three daemons form a ring; one is stopped (SIGTERM),
# given a configuration with no bootstrap peers and discovery off, and
# restarted: it dials the peers saved in STATE_DIR/peers (mode 0600) and
# rejoins the same ring with the same Node-ID. A damaged peers file is
# skipped line by line with a warning, and the value stored before is intact.
#
# usage: test_p2psipd_restart.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work restart

start_first_node
start_node 1 "$port0"
# Node 2 restarts on the same port, so the others can reach it again.
cfg_listen_port=$(free_port)
start_node 2 "$port0"
eventually 60 all_joined 0 1 2 || fail "not every daemon joined"
eventually 60 ring_consistent 0 1 2 || fail "the ring is not consistent"
echo "ring of 3"
owner=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner/kept" value=across-restarts >/dev/null || fail "put failed"
id2=$(node_id_of 2)

stop_node 2 TERM
[ "$stopped_status" -eq 0 ] || fail "node 2 exited $stopped_status after SIGTERM"
peers_file="$work/n2/state/peers"
[ -f "$peers_file" ] || fail "no peers file after SIGTERM"
[ "$(stat -c %a "$peers_file")" = 600 ] || fail "peers file is not mode 0600"
grep -q "^[0-9a-f]\{32\} 127\.0\.0\.1 [0-9]\+$" "$peers_file" || fail "peers file lists no peer: $(cat "$peers_file")"
echo "peers file written at shutdown: $(grep -vc '^#' "$peers_file") peer(s)"

restart_alone() {  # no bootstrap, no discovery: only the peers file leads back
  write_config 2
  grep -q bootstrap "$work/n2/p2psipd.yaml" && fail "the restart config still has bootstrap peers"
  launch_node 2
  eventually 30 joined 2 || fail "node 2 did not rejoin"
  [ "$(node_id_of 2)" = "$id2" ] || fail "node 2 came back with another Node-ID"
  eventually 60 ring_consistent 0 1 2 || fail "node 2 is not back in the ring"
  readable_everywhere "$owner/kept" across-restarts 0 1 2 || fail "the value was lost"
}
restart_alone
grep -q "last-known peer" "$work/n2/log" || fail "node 2 did not say it dialled its last-known peers"
echo "restarted alone, rejoined the ring from the peers file"

# A damaged file: bad lines are skipped with a warning, good ones still used.
stop_node 2 TERM
{
  echo "this is not a peer line"
  echo "$(printf 'f%.0s' {1..32}) 127.0.0.1 99999"
  cat "$peers_file"
} >"$peers_file.new" && mv "$peers_file.new" "$peers_file"
restart_alone
grep -q "peers: line 1: expected" "$work/n2/log" || fail "no warning for the malformed line"
grep -q "line 2: not a port: 99999" "$work/n2/log" || fail "no warning for the bad port"
echo "damaged peers file: bad lines skipped with warnings, rejoined anyway"
echo "PASS"
