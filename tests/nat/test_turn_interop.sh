#!/usr/bin/env bash
# turn_server against clients from other code bases, on loopback only:
#   coturn's turnutils_uclient with turnutils_peer over UDP, TCP and TLS,
#     with channels and with Send indications (-s), RTP+RTCP pairs
#     (EVEN-PORT and RESERVATION-TOKEN) and single allocations (-c), with
#     credentials from the minting function and with --use-auth-secret (-W):
#     every message comes back, 0 lost;
#   turnutils_stunclient: Binding answered with the reflexive address;
#   aioice's TURN client: Allocate, CreatePermission, ChannelBind and
#     ChannelData over UDP and TCP, 0 lost;
#   refusals: no, wrong and expired credentials (401, nothing allocated), a
#     denied peer (403), the per-user quota (486) and total capacity (508),
#     and malformed STUN over UDP and TCP, while another allocation keeps
#     relaying with 0 lost and the server stays up.
# Usage: test_turn_interop.sh TURN_SERVER_MAIN. Exit 77 when a client is missing.
set -uo pipefail
server_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3  # aioice is a Debian package: the system interpreter

for tool in turnutils_uclient turnutils_peer turnutils_stunclient openssl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
"$python" -c 'import aioice' 2>/dev/null || { echo "SKIP: python3-aioice is missing"; exit 77; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for log in "$work"/*.log; do echo "--- $log"; tail -n 15 "$log"; done
  exit 1
}

secret="interop-$RANDOM$RANDOM"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null ||
  fail "openssl could not make a test certificate"

# start_server NAME ARGS...: sets server_pid, udp (= tcp) and tls ports.
start_server() {
  local name=$1 attempt
  shift
  for attempt in 1 2 3 4 5; do
    "$server_bin" --secret "$secret" --realm interop.test --allow-loopback \
      --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" "$@" >"$work/$name.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 50); do
      grep -q '^udp=' "$work/$name.log" && break
      sleep 0.1
    done
    # The UDP port it drew may be held for TCP by another test's process:
    # it then exits on bind; draw again.
    grep -q '^udp=' "$work/$name.log" || ! grep -q 'Address already in use' "$work/$name.log" && break
    echo "$name: attempt $attempt hit a port in use, starting again"
  done
  udp=$(sed -n 's/^udp=\([0-9]*\) .*/\1/p' "$work/$name.log")
  tls=$(sed -n 's/.* tls=\([0-9]*\)$/\1/p' "$work/$name.log")
  [ -n "$udp" ] && [ -n "$tls" ] || fail "$name did not start"
  server_log="$work/$name.log"
}

# counter NAME: the server's counter, from a fresh SIGUSR1 dump.
counter() {
  local before
  before=$(grep -c '^counters' "$server_log")
  kill -USR1 "$server_pid" || fail "the server is gone"
  for _ in $(seq 50); do
    [ "$(grep -c '^counters' "$server_log")" -gt "$before" ] && break
    sleep 0.1
  done
  grep '^counters' "$server_log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# mint ID TTL: sets user and pass from the server's minting function.
mint() {
  local out
  out=$("$server_bin" --mint "$1" "$2" --secret "$secret") || fail "minting failed"
  user=$(sed -n 1p <<<"$out")
  pass=$(sed -n 2p <<<"$out")
}

# An echo peer on a free port of 127.0.0.1 (or $1).
start_peer() {
  local address=${1:-127.0.0.1}
  for _ in $(seq 10); do
    peer_port=$((20000 + RANDOM % 10000))
    turnutils_peer -L "$address" -p "$peer_port" >"$work/peer-$address-$peer_port.log" 2>&1 &
    local pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
      return
    fi
  done
  fail "no free port for turnutils_peer"
}

# uclient LABEL PORT ARGS...: runs turnutils_uclient to the peer, requires 0 lost.
uclient() {
  local label=$1 port=$2
  shift 2
  local log="$work/uclient.log"
  timeout 60 turnutils_uclient "$@" -e 127.0.0.1 -r "$peer_port" -p "$port" -n 50 -l 172 -z 5 \
    127.0.0.1 >"$log" 2>&1 || fail "uclient $label exited $?"
  local totals lost
  totals=$(grep 'start_mclient: tot_send_msgs=' "$log" | tail -n 1)
  lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
  local sent=${totals#*tot_send_msgs=}
  sent=${sent%%,*}
  local received=${totals##*tot_recv_msgs=}
  [ -n "$lost" ] && [ "${sent:-0}" -gt 0 ] || fail "uclient $label: no totals"
  echo "uclient $label: sent $sent received $received lost $lost"
  [ "$lost" = 0 ] && [ "$sent" = "$received" ] || fail "uclient $label lost messages"
}

start_server main --deny 127.0.0.2/32
start_peer
mint alice 3600

# Every transport, with channels and with Send indications.
uclient "udp channels" "$udp" -u "$user" -w "$pass" -c
uclient "udp send" "$udp" -u "$user" -w "$pass" -c -s
uclient "udp rtp+rtcp" "$udp" -u "$user" -w "$pass"
uclient "tcp channels" "$udp" -t -u "$user" -w "$pass" -c
uclient "tcp send" "$udp" -t -u "$user" -w "$pass" -c -s
uclient "tcp rtp+rtcp" "$udp" -t -u "$user" -w "$pass"
uclient "tls channels" "$tls" -S -t -u "$user" -w "$pass" -c
uclient "tls send" "$tls" -S -t -u "$user" -w "$pass" -c -s
uclient "tls rtp+rtcp" "$tls" -S -t -u "$user" -w "$pass"
uclient "udp auth-secret" "$udp" -W "$secret" -u bob -c

stun=$(timeout 10 turnutils_stunclient -p "$udp" 127.0.0.1 2>&1) || fail "stunclient: $stun"
grep -q 'UDP reflexive addr: 127.0.0.1:' <<<"$stun" || fail "stunclient: $stun"
echo "stunclient: Binding answered"

for transport in udp tcp; do
  out=$("$python" "$here/aioice_turn.py" relay 127.0.0.1 "$udp" "$user" "$pass" "$transport" 50) ||
    fail "aioice $transport: $out"
  echo "$out"
done

# Refusals, while one allocation keeps relaying in the background. The
# background client is alice; the refused ones use other names, so an
# allocation they got would show under theirs in the server's log (the
# background uclient may itself allocate twice: a 437 for a 5-tuple an
# earlier client still holds makes it retry from a new port).
timeout 60 turnutils_uclient -e 127.0.0.1 -r "$peer_port" -p "$udp" -u "$user" -w "$pass" -c \
  -n 250 -l 172 -z 20 127.0.0.1 >"$work/background.log" 2>&1 &
background=$!
pids+=("$background")
log_before=$(wc -l <"$server_log")

refuse_allocation() {  # LABEL USER PASS: uclient fails, aioice sees 401
  local label=$1
  if timeout 30 turnutils_uclient -e 127.0.0.1 -r "$peer_port" -p "$udp" ${2:+-u "$2" -w "$3"} \
       -c -n 5 127.0.0.1 >"$work/refused.log" 2>&1; then
    fail "uclient with $label credentials relayed"
  fi
  out=$("$python" "$here/aioice_turn.py" refused 127.0.0.1 "$udp" "${2:--}" "${3:--}" udp 401) ||
    fail "aioice with $label credentials: $out"
  echo "$label credentials: uclient fails, aioice gets 401"
}
refuse_allocation no
mint wendy 3600
refuse_allocation wrong "$user" "not-$pass"
mint carol -60
refuse_allocation expired "$user" "$pass"
refused_allocated=$(tail -n +"$((log_before + 1))" "$server_log" |
  grep '^allocation created' | grep -v ' user [0-9]*:alice ')
[ -z "$refused_allocated" ] || fail "refused clients allocated: $refused_allocated"
[ "$(counter no_credentials)" -gt 0 ] && [ "$(counter bad_credentials)" -gt 0 ] ||
  fail "401s not counted"

mint alice 3600
start_peer 127.0.0.2
if timeout 30 turnutils_uclient -e 127.0.0.2 -r "$peer_port" -p "$udp" -u "$user" -w "$pass" -c \
     -n 5 127.0.0.2 >"$work/denied.log" 2>&1; then
  fail "uclient relayed to a denied peer"
fi
out=$("$python" "$here/aioice_turn.py" forbidden 127.0.0.1 "$udp" "$user" "$pass" udp 127.0.0.2 "$peer_port") ||
  fail "aioice to a denied peer: $out"
echo "denied peer: $out"
[ "$(counter forbidden_peer)" -gt 0 ] || fail "403s not counted"

out=$("$python" "$here/stun_garbage.py" 127.0.0.1 "$udp") || fail "malformed STUN: $out"
echo "$out"
[ "$(counter malformed)" -gt 0 ] || fail "malformed input not counted"

wait "$background" || fail "the background uclient exited $?"
lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$work/background.log" | tail -n 1)
echo "background uclient during the refusals: $(grep 'start_mclient: tot_send_msgs=' "$work/background.log" | tail -n 1 | sed 's/.*start_mclient: //'), lost ${lost:-?}"
[ "$lost" = 0 ] || fail "the background allocation lost messages"
kill -0 "$server_pid" || fail "the server died"

# Quotas, on a server of their own: 1 allocation per user, 2 in all.
start_server quota --max-per-user 1 --max-allocations 2
mint quinn 3600
"$python" "$here/aioice_turn.py" hold 127.0.0.1 "$udp" "$user" "$pass" udp 30 >"$work/hold1.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do grep -q allocated "$work/hold1.log" && break; sleep 0.1; done
out=$("$python" "$here/aioice_turn.py" refused 127.0.0.1 "$udp" "$user" "$pass" tcp 486) ||
  fail "per-user quota: $out"
echo "per-user quota: $out"
mint rita 3600
"$python" "$here/aioice_turn.py" hold 127.0.0.1 "$udp" "$user" "$pass" udp 30 >"$work/hold2.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do grep -q allocated "$work/hold2.log" && break; sleep 0.1; done
mint sam 3600
out=$("$python" "$here/aioice_turn.py" refused 127.0.0.1 "$udp" "$user" "$pass" udp 508) ||
  fail "total capacity: $out"
echo "total capacity: $out"
[ "$(counter quota_reached)" = 1 ] && [ "$(counter insufficient_capacity)" = 1 ] ||
  fail "quota refusals not counted"

echo "PASS"
