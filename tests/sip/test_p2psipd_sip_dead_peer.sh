#!/bin/bash
# A daemon killed mid-call must not leave the call hanging. Two p2psipd on
# loopback; a SIPp caller on A calls bob's SIPp UAS on B; once the call is
# up, the caller's scenario kills B's daemon with kill -9 (SIPp exec), then
#  * it sends a BYE: A answers it with a final error within 5 s, instead of
#    retransmitting it into nothing until Timer F;
#  * in a second call (B restarted) it sends nothing: A sends it a BYE
#    within 10 s, and A lists the dialog no more.
#
# usage: test_p2psipd_sip_dead_peer.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap; every
# wait is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
command -v ss >/dev/null 2>&1 || { echo "SKIP: ss (iproute2) is not installed"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
make_sip_work sip-dead-peer

A=0
B=1
BOB_AOR=sip:bob@p2psip.test
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# bob_on_b: bob's SIPp UAS registered on a (re)started B, found from A.
bob_on_b() {
  BOB=$(free_port)
  run_sipp "reg-bob-$1" "127.0.0.1:$(sip_port "$B")" -sf "$SCEN/register.xml" -s bob \
    -key uas_port "$BOB" -m 1 || fail "bob's REGISTER failed ($1)"
  eventually 30 found_at "$BOB_AOR" "$A" "$(node_id_of "$B")" ||
    fail "A's lookup of bob does not name B ($1)"
  timeout 70 sipp -i 127.0.0.1 -p "$BOB" -nostdin -timeout 60s -sf "$SCEN/uas_call.xml" -s bob \
    -m 1 -message_file "$work/bob-$1.msg" -trace_msg >"$work/bob-$1.out" 2>&1 &
  helper_pids+=($!)
  eventually 10 listening "$BOB" || fail "bob's UAS does not listen ($1)"
}

# call_until_b_dies NAME SCENARIO: the caller's scenario kills B once the call
# is up; sets $took (milliseconds from B's death to the scenario's end) and
# $status (the scenario's exit status).
call_until_b_dies() {
  run_sipp "$1" "127.0.0.1:$(sip_port "$A")" -sf "$SCEN/$2" -s bob -key far_daemon "${pids[$B]}" \
    -m 1 &
  local caller=$! killed i
  helper_pids+=("$caller")
  for ((i = 0; i < 600; i++)); do
    exited "${pids[$B]}" || exited "$caller" && break
    sleep 0.05
  done
  killed=$(now_ms)
  exited "${pids[$B]}" || fail "the caller's scenario did not kill B: $(tail -n 3 "$work/$1.err")"
  wait "${pids[$B]}" 2>/dev/null
  pids[$B]=""
  wait "$caller"
  status=$?
  took=$(($(now_ms) - killed))
}

start_sip_ring 2
bob_on_b first
call_until_b_dies bye-after-death uac_call_far_dies_bye.xml
[ "$status" = 0 ] || fail "the caller's BYE got no final answer after B died ($took ms): $(grep -E '^(SIP/2.0|BYE)' "$work/bye-after-death.msg" | tr '\n' ' ')"
[ "$took" -lt 5000 ] || fail "the caller's BYE was answered $took ms after B died"
echo "ok   - B killed mid-call: the caller's BYE was answered $(grep -o '^SIP/2.0 [45]..' "$work/bye-after-death.msg" | tail -n 1 | cut -c9-) within $took ms of the kill (300 ms pause included)"
eventually 5 no_dialogs "$A" || fail "A still lists a dialog: $(ctl "$A" calls)"

start_sip_node "$B" "$(listen_port "$A")"
eventually 60 ring_consistent "$A" "$B" || fail "B did not rejoin"
eventually 10 has_sip_port "$B" || fail "B printed no SIP port"
bob_on_b second
call_until_b_dies silent-after-death uac_call_far_dies_wait.xml
[ "$status" = 0 ] || fail "the silent caller got no BYE after B died ($took ms): $(grep -E '^(SIP/2.0|BYE)' "$work/silent-after-death.msg" | tr '\n' ' ')"
[ "$took" -lt 10000 ] || fail "the caller's call ended $took ms after B died"
echo "ok   - B killed mid-call: A ended the silent caller's call with a BYE $took ms after the kill"
eventually 5 no_dialogs "$A" || fail "A still lists a dialog: $(ctl "$A" calls)"
echo "ok   - A lists no dialog"
echo "PASS"
