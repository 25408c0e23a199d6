#!/bin/bash
# Wireshark's RELOAD dissector, an independent decoder, reads a capture of
# eight p2psipd, decrypted with the TLS secrets they log (SSLKEYLOGFILE):
# every frame decodes with no malformed one, and idle links carry RELOAD
# Pings (message codes 23/24), not the empty DATA frames RFC 6940 does not
# define (failure detection alone sends a Ping or two). The daemons listen on a random 127/8 address of their
# own, so the capture holds only their traffic.
#
# usage: test_p2psipd_capture.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
NODES=8
. "$(dirname "$0")/p2psipd_test_lib.sh"
command -v tshark >/dev/null && command -v dumpcap >/dev/null || skip "tshark/dumpcap missing"
[ "$(id -u)" -eq 0 ] || skip "capturing on lo needs root"
make_work capture

addr="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
cfg_listen_address=$addr
export SSLKEYLOGFILE=$work/tls-secrets
dumpcap -q -i lo -f "host $addr" -w "$work/overlay.pcapng" 2>"$work/dumpcap.log" &
capture_pid=$!
helper_pids+=("$capture_pid")
capturing() { [ -s "$work/overlay.pcapng" ]; }
eventually 10 capturing || fail "dumpcap did not start: $(cat "$work/dumpcap.log")"

start_first_node
cfg_bootstrap="$addr:$port0"
for ((i = 1; i < NODES; i++)); do start_node "$i"; done
all=()
for ((i = 0; i < NODES; i++)); do all+=("$i"); done
eventually 90 all_joined "${all[@]}" || fail "not every daemon joined"
owner=$(ctl 0 status | json_field 'r["user"]')
ctl 0 put "key=$owner/captured" value=decoded >/dev/null || fail "put failed"
eventually 20 readable_everywhere "$owner/captured" decoded "${all[@]}" || fail "value not readable"
# Links idle for the keepalive interval (5 s) must carry a Ping by now.
sleep 12
kill -INT "$capture_pid"
wait "$capture_pid" 2>/dev/null

ports=()
decode=()
for i in "${all[@]}"; do
  ports+=("$(listen_port "$i")")
  decode+=(-d "tcp.port==$(listen_port "$i"),tls")
done
export RELOAD_PORTS="${ports[*]}"
read_capture() {  # read_capture FILTER [tshark args]: the matching frames
  local filter=$1
  shift
  tshark -n -X "lua_script:$(dirname "$0")/reload_over_tls.lua" -r "$work/overlay.pcapng" \
    -o "tls.keylog_file:$SSLKEYLOGFILE" "${decode[@]}" -Y "$filter" "$@" 2>>"$work/tshark.log"
}
decoded=$(read_capture reload | wc -l)
malformed=$(read_capture _ws.malformed | wc -l)
codes=$(read_capture reload -T fields -e reload.message.code | tr ',' '\n' | sort -n | uniq -c |
  awk '{printf "%s:%s ", $2, $1}')
pings=$(read_capture "reload.message.code == 23" | wc -l)
echo "frames with RELOAD messages: $decoded; malformed: $malformed; Pings: $pings"
echo "message codes (code:count): $codes"
[ "$decoded" -gt 0 ] || fail "tshark decoded no RELOAD message ($(tail -3 "$work/tshark.log"))"
[ "$malformed" -eq 0 ] || fail "$malformed malformed frame(s): $(read_capture _ws.malformed | head -3)"
[ "$pings" -ge "$NODES" ] && grep -qE '(^| )24:' <<<"$codes" ||
  fail "$pings Ping(s): the idle links carried none"
echo "capture decodes cleanly"
