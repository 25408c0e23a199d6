#!/bin/bash
# First contact across NATs (issue 16's bar: INVITE→180 ≤ 250 ms when
# direct, ≤ 500 ms through a relay), full ICE, in the NAT lab of the tests
# (tests/daemon/nat_lab.sh). Two public daemons with relays (pub1 the
# bootstrap node); two boxes behind port-restricted NATs (ra calls rb: a
# direct ICE pair) and two behind symmetric NATs (sa calls sb: relayed).
# The callee's SIPp UAS registers on its daemon and answers 180 at once.
# Each round restarts the caller's daemon (same identity), so that no SIP
# channel stream exists: INVITE→180 is Fetch + AppAttach with ICE + checks
# + PseudoTCP + TLS + the INVITE, as SIPp's message timestamps show it.
# Median and worst per pair. Every namespace and process is removed on
# exit; every wait is bounded.
#
# usage: tests/bench/bench_first_contact.sh BUILD_DIR [ROUNDS=5]
# Needs root, ip(8), iptables and sipp; exits 77 otherwise.
set -u
BUILD=$(cd "${1:?usage: bench_first_contact.sh BUILD_DIR [ROUNDS]}" && pwd)
ROUNDS=${2:-5}
P2PSIPD=$BUILD/daemon/p2psipd
P2PSIPCTL=$BUILD/tools/p2psipctl/p2psipctl
SCEN=$(cd "$(dirname "$0")/../sip/scenarios" && pwd)
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
here=$(cd "$(dirname "$0")/../daemon" && pwd)
. "$here/p2psipd_test_lib.sh"
. "$here/nat_lab.sh"
. "$here/../sip/p2psipd_sip_lib.sh"

lab_require
make_work first-contact-bench
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
lab_routers 21 ra=restricted rb=restricted sa=symmetric sb=symmetric
hosts=(pub1 pub2 behind-ra behind-rb behind-sa behind-sb)
for i in "${!hosts[@]}"; do
  lab_ice_daemon "$i" "${hosts[$i]}" $((i < 2))
  enable_sip "$i"
done
lab_start_public_pair
for i in 2 3 4 5; do
  launch_node "$i"
  eventually 30 joined "$i" || fail "${hosts[$i]} did not join"
  eventually 10 has_sip_port "$i" || fail "${hosts[$i]} printed no SIP port"
done

# invite_to_180 MSGFILE: milliseconds from the INVITE sent to the 180 received.
invite_to_180() {
  python3 - "$1" <<'PY'
import sys, datetime
stamp, sent, rang = None, None, None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("----") and "20" in line:
        parts = line.split()
        stamp = datetime.datetime.strptime(parts[1] + " " + parts[2], "%Y-%m-%d %H:%M:%S.%f")
    elif line.startswith("INVITE ") and sent is None:
        sent = stamp
    elif line.startswith("SIP/2.0 180") and rang is None:
        rang = stamp
print(int((rang - sent).total_seconds() * 1000) if sent and rang else -1)
PY
}

declare -A times
for pair in "2 3 direct" "4 5 relayed"; do
  read -r caller callee label <<<"$pair"
  port=$(free_port)
  sipp_in "$callee" "reg-$label" 20 "127.0.0.1:$(sip_port "$callee")" -sf "$SCEN/register.xml" \
    -s "callee$callee" -key uas_port "$port" -m 1 || fail "REGISTER at ${hosts[$callee]} failed"
  eventually 30 published "sip:callee$callee@p2psip.test" "$callee" || fail "not stored"
  for ((r = 1; r <= ROUNDS; r++)); do
    stop_node "$caller" TERM
    launch_node "$caller"
    eventually 30 joined "$caller" || fail "${hosts[$caller]} did not rejoin"
    eventually 10 has_sip_port "$caller" || fail "no SIP port"
    eventually 30 found_at "sip:callee$callee@p2psip.test" "$caller" "$(node_id_of "$callee")" ||
      fail "the caller cannot find the callee"
    sipp_in "$callee" "uas-$label-$r" 40 -p "$port" -sf "$SCEN/uas_call.xml" -s "callee$callee" -m 1 &
    uas=$!
    helper_pids+=("$uas")
    sleep 0.3
    sipp_in "$caller" "call-$label-$r" 30 "127.0.0.1:$(sip_port "$caller")" -sf "$SCEN/uac_call.xml" \
      -s "callee$callee" -m 1 || fail "call $label round $r failed"
    wait "$uas"
    ms=$(invite_to_180 "$work/call-$label-$r.msg")
    echo "$label round $r: INVITE→180 $ms ms"
    times[$label]+="$ms "
  done
done
for label in direct relayed; do
  python3 - "$label" ${times[$label]} <<'PY'
import sys, statistics
v = sorted(int(x) for x in sys.argv[2:])
print(f"{sys.argv[1]}: median {statistics.median(v):.0f} ms, worst {v[-1]} ms over {len(v)} rounds")
PY
done
