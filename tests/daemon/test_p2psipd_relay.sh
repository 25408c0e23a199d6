#!/bin/bash
# p2psipd's STUN/TURN relay against coturn's clients, one daemon on loopback
# with relay: {mode: on, port: 0, tls-port: 0, allow-loopback-peers: true,
# deny: [127.0.0.2/32]}:
#   the bound ports come from node.status, credentials from
#   `p2psipctl relay.credentials` (the TURN REST shape: udp, tcp and turns:
#   URIs with those ports);
#   turnutils_uclient relays to turnutils_peer over UDP, TCP and TLS, with
#   channels and with Send indications: 0 lost each;
#   while a longer run is active, `p2psipctl relays` lists its allocation
#   with packets both ways, and metrics.get counts relayed packets;
#   while it runs: no, wrong and expired credentials are refused (401, also
#   to aioice) and allocate nothing, a peer on relay.deny gets 403, malformed
#   STUN over UDP and TCP is dropped or refused, each counted in
#   relay_refusals_total by reason, and the longer run loses nothing;
#   turnutils_stunclient gets a Binding answer on the relay port;
#   afterwards the daemon is up and a value it stored is still there.
# The secret survives a restart (old credentials still relay). Then a daemon
# with relay.mode off answers relay.credentials with relay_off (p2psipctl
# exits 1); one with quotas refuses a second allocation per user (486) and a
# third in all (508); and one with relay.mode auto on loopback chooses off
# and says so in node.status and its log. (aioice parts need python3-aioice.)
#
# usage: test_p2psipd_relay.sh P2PSIPD P2PSIPCTL. Exit 77 when turnutils are missing.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/p2psipd_test_lib.sh"

for tool in turnutils_uclient turnutils_peer turnutils_stunclient; do
  command -v "$tool" >/dev/null || skip "$tool is missing (coturn)"
done
make_work relay

relay_on="relay:
  mode: on
  port: 0
  tls-port: 0
  allow-loopback-peers: true
  deny: [127.0.0.2/32]"
cfg_extra=$relay_on
start_first_node
cfg_extra=""

status=$(ctl 0 status) || fail "node.status failed"
relay_field() { json_field "r['relay']['$1']" <<<"$status"; }
[ "$(relay_field mode)" = on ] && [ "$(relay_field running)" = True ] ||
  fail "the relay is not running: $status"
udp=$(relay_field udp_port)
tcp=$(relay_field tcp_port)
tls=$(relay_field tls_port)
echo "relay on 127.0.0.1: udp $udp, tcp $tcp, tls $tls"
grep -q "relay on: relay.mode is on" "$work/n0/log" || fail "the choice is not logged"

secret_file="$work/n0/state/turn.secret"
[ "$(stat -c %a "$secret_file")" = 600 ] || fail "turn.secret is not mode 0600"
grep -qE '^[0-9a-f]{64}$' "$secret_file" || fail "turn.secret is not 32 bytes in hex"
secret=$(cat "$secret_file")

# A value stored before, to be read back at the end.
ctl 0 put key=/before value=kept >/dev/null || fail "storage.put failed"

credentials=$(ctl 0 relay.credentials id=alice ttl=600) || fail "relay.credentials failed"
user=$(json_field 'r["username"]' <<<"$credentials")
pass=$(json_field 'r["password"]' <<<"$credentials")
uris=$(json_field '" ".join(r["uris"])' <<<"$credentials")
ttl=$(json_field 'r["ttl"]' <<<"$credentials")
[[ "$user" == *:alice ]] && [ -n "$pass" ] && [ "$ttl" = 600 ] || fail "credentials: $credentials"
[ "$uris" = "turn:127.0.0.1:$udp?transport=udp turn:127.0.0.1:$tcp?transport=tcp turns:127.0.0.1:$tls?transport=tcp" ] ||
  fail "uris: $uris"
echo "credentials: $user, uris $uris"
# The REST shape: password = base64(HMAC-SHA1(turn.secret, username)).
rest_password() {
  python3 -c 'import base64, hashlib, hmac, sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())' "$secret" "$1"
}
[ "$(rest_password "$user")" = "$pass" ] || fail "the password is not the HMAC of the username under turn.secret"
# The default id is the caller's user name.
default_user=$(ctl 0 relay.credentials | json_field 'r["username"]') || fail "relay.credentials without id"
[ "${default_user#*:}" = "$(id -un)" ] || fail "default id: $default_user, not $(id -un)"

start_echo_peer

uclient "udp channels" "$udp" -c
uclient "udp send" "$udp" -c -s
uclient "tcp channels" "$tcp" -t -c
uclient "tcp send" "$tcp" -t -c -s
uclient "tls channels" "$tls" -S -t -c
uclient "tls send" "$tls" -S -t -c -s

# allocation_count: from relay.allocations.
allocation_count() { ctl 0 relays | json_field 'len(r["allocations"])'; }

# relay.allocation events, from here on.
"$P2PSIPCTL" --socket "${sockets[0]}" --json events topics=relay.allocation >"$work/events.log" 2>&1 &
events_pid=$!
helper_pids+=("$events_pid")
sleep 0.5

# A longer run: its allocation is listed, with packets each way.
timeout 90 turnutils_uclient -u "$user" -w "$pass" -e 127.0.0.1 -r "$peer_port" -p "$udp" -c \
  -n 750 -l 172 -z 20 127.0.0.1 >"$work/long.log" 2>&1 &
long_pid=$!
helper_pids+=("$long_pid")
# The allocation with channels and traffic both ways (the earlier runs' UDP
# allocations stay until they expire, idle).
active='[a for a in r["allocations"] if a["channels"] and a["to_peer"]["packets"] > 0 and a["from_peer"]["packets"] > 0]'
listed() { [ "$(ctl 0 relays | json_field "len($active)")" -ge 1 ]; }
eventually 10 listed || fail "relays does not list the running allocation with traffic: $(ctl 0 relays)"
allocation=$(ctl 0 relays | json_field "$active[0]")
echo "relays while running: $allocation"
packets=$(ctl 0 metrics | json_field 'sum(s["value"] for s in r["metrics"]["relay_packets_total"]["samples"])')
allocations_gauge=$(ctl 0 metrics | json_field 'r["metrics"]["relay_allocations"]["samples"][0]["value"]')
echo "metrics: relay_packets_total $packets, relay_allocations $allocations_gauge"
python3 -c "import sys; sys.exit(0 if float('$packets') > 0 and float('$allocations_gauge') >= 1 else 1)" ||
  fail "metrics do not show the relay's traffic"

# Refusals while the longer run relays: no, wrong and expired credentials
# (401, nothing allocated), a denied peer (403), malformed STUN.
have_aioice=false
/usr/bin/python3 -c 'import aioice' 2>/dev/null && have_aioice=true
aioice() { /usr/bin/python3 "$here/../nat/aioice_turn.py" "$@"; }
refusals() {  # refusals REASON: relay_refusals_total{reason=REASON}
  ctl 0 metrics | json_field 'int(sum(s["value"] for s in r["metrics"]["relay_refusals_total"]["samples"] if s["labels"]["reason"] == "'"$1"'"))'
}
before=$(allocation_count) || fail "relay.allocations failed"
bad_before=$(refusals bad_credentials)
none_before=$(refusals no_credentials)
expired_user="$(($(date +%s) - 60)):carol"
expired_pass=$(rest_password "$expired_user")
refuse_allocation() {  # LABEL USER PASS: uclient fails; aioice gets 401
  local label=$1
  if timeout 30 turnutils_uclient ${2:+-u "$2" -w "$3"} -e 127.0.0.1 -r "$peer_port" -p "$udp" \
       -c -n 5 127.0.0.1 >"$work/refused.log" 2>&1; then
    fail "uclient with $label credentials relayed"
  fi
  if $have_aioice; then
    out=$(aioice refused 127.0.0.1 "$udp" "${2:--}" "${3:--}" udp 401) ||
      fail "aioice with $label credentials: $out"
    echo "$label credentials: uclient fails, aioice: $out"
  else
    echo "$label credentials: uclient fails"
  fi
}
refuse_allocation no
refuse_allocation wrong "$user" "not-$pass"
refuse_allocation expired "$expired_user" "$expired_pass"
after=$(allocation_count)
bad_after=$(refusals bad_credentials)
none_after=$(refusals no_credentials)
echo "refused credentials: allocations $before -> $after, no_credentials $none_before -> $none_after, bad_credentials $bad_before -> $bad_after"
[ "$after" = "$before" ] || fail "refused clients allocated"
[ "$none_after" -gt "$none_before" ] && [ "$bad_after" -gt "$bad_before" ] || fail "the 401s were not counted"

if $have_aioice; then
  turnutils_peer -L 127.0.0.2 -p "$peer_port" >"$work/peer2.log" 2>&1 &
  helper_pids+=("$!")
  out=$(aioice forbidden 127.0.0.1 "$udp" "$user" "$pass" udp 127.0.0.2 "$peer_port") ||
    fail "aioice to a denied peer: $out"
  echo "denied peer (relay.deny 127.0.0.2/32): $out, forbidden_peer $(refusals forbidden_peer)"
  [ "$(refusals forbidden_peer)" -gt 0 ] || fail "403s not counted"
fi
out=$(python3 "$here/../nat/stun_garbage.py" 127.0.0.1 "$udp" "$tcp") || fail "malformed STUN: $out"
echo "malformed STUN over UDP and TCP: dropped or refused, Binding still answered; malformed $(refusals malformed)"
[ "$(refusals malformed)" -gt 0 ] || fail "malformed input not counted"
kill -0 "$long_pid" 2>/dev/null && echo "the longer run was still relaying after the refusals"

wait "$long_pid" || fail "the longer uclient run exited $?"
lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$work/long.log" | tail -n 1)
echo "uclient long run: $(grep 'start_mclient: tot_send_msgs=' "$work/long.log" | tail -n 1 | sed 's/.*start_mclient: //'), lost ${lost:-?}"
[ "$lost" = 0 ] || fail "the longer run lost messages"

# TCP allocations end with their connection: a created and a deleted event.
uclient "tcp channels (events)" "$tcp" -t -c
eventually 10 grep -q '"change":"deleted"' "$work/events.log" || fail "no relay.allocation deleted event: $(cat "$work/events.log")"
kill "$events_pid" 2>/dev/null
grep -q '"topic":"relay.allocation".*"change":"created"' "$work/events.log" ||
  fail "no relay.allocation created event: $(cat "$work/events.log")"
echo "events: $(grep -c '"topic":"relay.allocation"' "$work/events.log") relay.allocation ($(grep -c '"change":"created"' "$work/events.log") created, $(grep -c '"change":"deleted"' "$work/events.log") deleted)"

stun=$(timeout 10 turnutils_stunclient -p "$udp" 127.0.0.1 2>&1) || fail "stunclient: $stun"
grep -q 'UDP reflexive addr: 127.0.0.1:' <<<"$stun" || fail "stunclient: $stun"
echo "stunclient: Binding answered on $udp"

kill -0 "${pids[0]}" 2>/dev/null || fail "the daemon died"
joined 0 || fail "the daemon left its overlay"
got=$(ctl 0 get key=/before | json_field 'r["values"][0]["value"]')
[ "$got" = kept ] || fail "the stored value is gone: $got"
echo "daemon up, stored value intact"

# A restart keeps the secret: the credentials handed out before still work.
stop_node 0 TERM
cfg_extra=$relay_on
start_node 0
cfg_extra=""
eventually 10 joined 0 || fail "node 0 did not restart"
[ "$(cat "$secret_file")" = "$secret" ] || fail "turn.secret changed across a restart"
udp=$(ctl 0 status | json_field 'r["relay"]["udp_port"]')
uclient "udp channels after a restart" "$udp" -c
port0=$(listen_port 0)

# relay.mode off: relay_off, and p2psipctl exits 1.
cfg_extra="relay:
  mode: off"
start_node 1 "$port0"
cfg_extra=""
eventually 10 joined 1 || fail "node 1 did not join"
out=$(ctl 1 relay.credentials 2>&1)
code=$?
[ "$code" = 1 ] || fail "relay.credentials with the relay off exited $code: $out"
grep -q relay_off <<<"$out" || fail "relay.credentials with the relay off: $out"
echo "relay off: relay.credentials exits 1: $out"
[ "$(ctl 1 status | json_field 'r["relay"]["running"]')" = False ] || fail "node 1 runs a relay"

# Quotas, on a node of its own: 1 allocation per user, 2 in all.
if $have_aioice; then
  cfg_extra="relay:
  mode: on
  port: 0
  tls-port: 0
  max-allocations: 2
  max-allocations-per-user: 1"
  start_node 3 "$port0"
  cfg_extra=""
  eventually 10 joined 3 || fail "node 3 did not join"
  udp3=$(ctl 3 status | json_field 'r["relay"]["udp_port"]')
  hold() {  # hold ID: an allocation of ID's, held in the background
    local c
    c=$(ctl 3 relay.credentials "id=$1") || fail "relay.credentials on node 3"
    aioice hold 127.0.0.1 "$udp3" "$(json_field 'r["username"]' <<<"$c")" \
      "$(json_field 'r["password"]' <<<"$c")" udp 30 >"$work/hold-$1.log" 2>&1 &
    helper_pids+=("$!")
    eventually 10 grep -qs allocated "$work/hold-$1.log" || fail "aioice could not allocate for $1"
  }
  refused_with() {  # refused_with ID CODE
    local c
    c=$(ctl 3 relay.credentials "id=$1") || fail "relay.credentials on node 3"
    aioice refused 127.0.0.1 "$udp3" "$(json_field 'r["username"]' <<<"$c")" \
      "$(json_field 'r["password"]' <<<"$c")" udp "$2"
  }
  hold quinn
  out=$(refused_with quinn 486) || fail "per-user quota: $out"
  echo "per-user quota: $out"
  hold rita
  out=$(refused_with sam 508) || fail "total capacity: $out"
  echo "total capacity: $out"
  [ "$(ctl 3 relays | json_field 'len(r["allocations"])')" = 2 ] || fail "node 3 does not hold 2 allocations"
fi

# relay.mode auto (the default) on loopback: off, and the log says why.
start_node 2 "$port0"
eventually 10 joined 2 || fail "node 2 did not join"
relay2=$(ctl 2 status | json_field 'r["relay"]')
[ "$(ctl 2 status | json_field 'r["relay"]["mode"], r["relay"]["running"]')" = "auto False" ] ||
  fail "auto on loopback: $relay2"
grep -q "relay off: relay.mode is auto and node.listen-address 127.0.0.1 is not a public IPv4 address" \
  "$work/n2/log" || fail "auto's choice is not logged"
echo "relay auto on loopback: $relay2"
echo PASS
