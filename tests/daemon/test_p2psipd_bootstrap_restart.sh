#!/bin/bash
# A restarted bootstrap node rejoins the others: three daemons where nodes 1
# and 2 dialled node 0, so node 0 dialled nobody. Node 0 remembers the peers
# that dialled in, at the addresses they listen on; stopped and restarted
# with no bootstrap peers, it dials them and ends in one ring with them
# instead of an overlay of its own.
#
# usage: test_p2psipd_bootstrap_restart.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work bootstrap-restart

# Node 0 restarts on the same port.
cfg_listen_port=$(free_port)
start_first_node
cfg_listen_port=0
start_node 1 "$port0"
start_node 2 "$port0"
eventually 30 all_joined 0 1 2 || fail "not every daemon joined"
eventually 60 ring_consistent 0 1 2 || fail "no ring of three"
owner=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner/kept" value=across-restarts >/dev/null || fail "put failed"
echo "ring of 3 through bootstrap node 0"

stop_node 0 TERM
peers_file="$work/n0/state/peers"
[ -f "$peers_file" ] || fail "the bootstrap node kept no last-known peers"
echo "bootstrap node remembered $(grep -vc '^#' "$peers_file") peer(s) that dialled in"
cfg_listen_port=$port0
write_config 0
launch_node 0
start=$EPOCHREALTIME
eventually 30 joined 0 || fail "node 0 did not come back"
eventually 60 ring_consistent 0 1 2 || fail "the restarted bootstrap node is in a ring of its own"
echo "one ring again $(python3 -c "print(f'{$EPOCHREALTIME - $start:.1f}')") s after the restart"
readable_everywhere "$owner/kept" across-restarts 0 1 2 || fail "the value was lost"
echo "PASS"
