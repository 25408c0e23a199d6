#!/bin/bash
# Click-to-call (sip.call, issue 19): two real p2psipd on loopback, alice's
# SIPp UAS registered on A, bob's on B.
#  * sip.call from=alice to=bob rings alice's phone first (an INVITE without
#    SDP, RFC 3725 flow I), then bob's through the overlay with alice's
#    offer, and gives alice bob's answer in the ACK; it returns the call's
#    id, both dialogs show in sip.dialogs (the callee's with its media
#    anchored), and sip.hangup sends each phone a BYE;
#  * bob hangs up: his BYE reaches the controller, which BYEs alice;
#  * hung up while alice's phone rings: it gets a CANCEL, sip.call an error;
#  * bad input, each a clear error that leaves the registrations and the
#    dialogs as they were: from not registered on A (not_registered), a
#    callee that is not a SIP URI (bad_format), an unknown callee
#    (call_failed, 404, alice's phone gets ACK and BYE), alice's phone
#    declining (call_failed, 603), a hangup of no call.
#
# usage: test_p2psipd_click_to_call.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
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
make_sip_work click-to-call

A=0
B=1
ALICE=sip:alice@p2psip.test
BOB=sip:bob@p2psip.test
dialogs_on() { ctl "$1" calls | json_field 'sorted((d["call_id"], d["state"]) for d in r["dialogs"])'; }

# phone NAME NODE PORT SCENARIO: a SIPp UAS for one call on PORT ($LAST_PID).
phone() {
  timeout 40 sipp -i 127.0.0.1 -p "$3" -nostdin -timeout 30s -timeout_error -sf "$SCEN/$4" \
    -s "${1%%-*}" -m 1 -message_file "$work/$1.msg" -trace_msg >"$work/$1.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
  eventually 10 listening "$3" || fail "$1's UAS does not listen"
}
# sip_call NAME ARGS...: sip.call on A; its JSON answer (or error) in $work/NAME.json.
# ALIAS=call uses p2psipctl's alias.
sip_call() {
  local name=$1
  shift
  ctl "$A" --timeout 30 "${ALIAS:-sip.call}" "$@" >"$work/$name.json" 2>&1
}
# refused NAME ERROR WHAT: the call of NAME failed naming ERROR.
refused() {
  if grep -q "$2" "$work/$1.json"; then ok "$3: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["message"])' "$work/$1.json" 2>/dev/null || cat "$work/$1.json")"; else bad "$3: $(cat "$work/$1.json")"; fi
}

start_sip_ring 2
ALICE_PORT=$(free_port)
BOB_PORT=$(free_port)
run_sipp reg-alice "127.0.0.1:$(sip_port "$A")" -sf "$SCEN/register.xml" -s alice \
  -key uas_port "$ALICE_PORT" -m 1 || fail "alice's REGISTER on A failed"
run_sipp reg-bob "127.0.0.1:$(sip_port "$B")" -sf "$SCEN/register.xml" -s bob \
  -key uas_port "$BOB_PORT" -m 1 || fail "bob's REGISTER on B failed"
eventually 30 found_at "$BOB" "$A" "$(node_id_of "$B")" || fail "A's lookup of bob does not name B"
bindings_before=$(bindings_of "$A")

# --- a call between the two phones, then hung up ---------------------------------------
phone alice-call "$A" "$ALICE_PORT" uas_call.xml
ALICE_UAS=$LAST_PID
phone bob-call "$B" "$BOB_PORT" uas_call.xml
BOB_UAS=$LAST_PID
if sip_call call "from=$ALICE" "to=$BOB"; then
  ok "sip.call alice → bob: $(cat "$work/call.json")"
else
  fail "sip.call failed: $(cat "$work/call.json")"
fi
CALL=$(json_field 'r["call"]' <"$work/call.json")
expected="[('$CALL-callee', 'confirmed'), ('$CALL-caller', 'confirmed')]"
[ "$(dialogs_on "$A")" = "$expected" ] && ok "sip.dialogs on A lists both legs, confirmed" ||
  bad "dialogs on A: $(ctl "$A" calls)"
[ "$(dialogs_on "$B")" = "[('$CALL-callee', 'confirmed')]" ] &&
  ok "sip.dialogs on B lists the callee's leg" || bad "dialogs on B: $(ctl "$B" calls)"
anchored=$(ctl "$A" calls | json_field \
  '[len(d["media"]) for d in r["dialogs"] if d["call_id"] == "'"$CALL"'-callee"][0]')
[ "$anchored" = 1 ] && ok "the callee's leg has its audio anchored on A" ||
  bad "media of the callee's leg on A: $(ctl "$A" calls)"
# alice's phone: the INVITE had no SDP, the ACK brought bob's answer; each
# phone sees its daemon's anchor port, not the other phone's.
python3 - "$work/alice-call.msg" "$work/bob-call.msg" <<'PY' && ok "flow I: alice's INVITE without SDP, her offer to bob, his answer in her ACK, both anchored" || bad "the messages alice's and bob's phones got (see $work/*-call.msg)"
import re, sys
def message(path, start):
    text = open(path, errors="replace").read()
    for block in re.split(r"-{20,}", text):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(start):
                return "\n".join(lines[i:])
    return ""
def audio_port(sdp):
    found = re.search(r"^m=audio (\d+) ", sdp, re.M)
    assert found, sdp
    return found.group(1)
alice_invite = message(sys.argv[1], "INVITE sip:")
alice_offer = message(sys.argv[1], "SIP/2.0 200")
alice_ack = message(sys.argv[1], "ACK sip:")
bob_invite = message(sys.argv[2], "INVITE sip:")
bob_answer = message(sys.argv[2], "SIP/2.0 200")
assert alice_invite and "m=audio" not in alice_invite, alice_invite
assert audio_port(bob_invite) != audio_port(alice_offer), (bob_invite, alice_offer)
assert audio_port(alice_ack) != audio_port(bob_answer), (alice_ack, bob_answer)
PY
if out=$(ctl "$A" sip.hangup "call=$CALL"); then ok "sip.hangup: $out"; else bad "sip.hangup: $out"; fi
wait "$ALICE_UAS" && ok "alice's phone got its BYE" || bad "alice's UAS: $(tail -n 5 "$work/alice-call.out")"
wait "$BOB_UAS" && ok "bob's phone got its BYE" || bad "bob's UAS: $(tail -n 5 "$work/bob-call.out")"
eventually 5 no_dialogs "$A" && eventually 5 no_dialogs "$B" && ok "no dialog left on A or B" ||
  bad "dialogs after the hangup: A $(dialogs_on "$A"), B $(dialogs_on "$B")"
ctl "$A" sip.hangup "call=$CALL" >"$work/hangup-again.json" 2>&1 &&
  bad "a second hangup succeeded" || refused hangup-again no_such_call "a second sip.hangup"

# --- bob hangs up: his BYE reaches the controller, which BYEs alice -----------------------
phone alice-byed "$A" "$ALICE_PORT" uas_call.xml
ALICE_UAS=$LAST_PID
phone bob-hangs-up "$B" "$BOB_PORT" uas_call_bye.xml
BOB_UAS=$LAST_PID
ALIAS=call sip_call byed "from=$ALICE" "to=$BOB" || fail "the second sip.call failed: $(cat "$work/byed.json")"
wait "$BOB_UAS" && ok "bob hung up: his BYE got 200" || bad "bob's UAS: $(tail -n 5 "$work/bob-hangs-up.out")"
wait "$ALICE_UAS" && ok "alice's phone got a BYE from the controller" ||
  bad "alice's UAS: $(tail -n 5 "$work/alice-byed.out")"
eventually 5 no_dialogs "$A" && eventually 5 no_dialogs "$B" && ok "no dialog left after bob's BYE" ||
  bad "dialogs after bob's BYE: A $(dialogs_on "$A"), B $(dialogs_on "$B")"

# --- hung up while alice's phone rings: CANCEL ------------------------------------------------
phone alice-cancel "$A" "$ALICE_PORT" uas_cancel.xml
ALICE_UAS=$LAST_PID
sip_call ringing "from=$ALICE" "to=$BOB" &
RINGING=$!
helper_pids+=("$RINGING")
early() { ctl "$A" calls | json_field '[d["call_id"] for d in r["dialogs"] if d["state"] == "early"][0]' 2>/dev/null; }
eventually 10 early >/dev/null || fail "no early dialog on A: $(ctl "$A" calls)"
LEG=$(early)
if out=$(ctl "$A" hangup "call=$LEG"); then ok "p2psipctl hangup by the ringing leg's Call-ID: $out"; else bad "sip.hangup while ringing: $out"; fi
wait "$RINGING" && bad "sip.call succeeded after the hangup" ||
  refused ringing "hung up" "the ringing call's sip.call"
wait "$ALICE_UAS" && ok "alice's ringing phone got the CANCEL" || bad "alice's UAS: $(tail -n 5 "$work/alice-cancel.out")"
eventually 5 no_dialogs "$A" || bad "dialogs after the CANCEL: $(dialogs_on "$A")"

# --- bad input: clear errors, nothing else disturbed ----------------------------------------
sip_call not-local "from=sip:carol@p2psip.test" "to=$BOB" && bad "a call from carol succeeded" ||
  refused not-local not_registered "from an AOR with no phone on A"
# failed_call NAME SCENARIO CALLEE STATUS WHAT: alice's phone runs SCENARIO,
# sip.call to CALLEE fails with STATUS, and her phone's scenario completes.
failed_call() {
  phone "alice-$1" "$A" "$ALICE_PORT" "$2"
  local uas=$LAST_PID
  sip_call "$1" "from=$ALICE" "to=$3" && bad "$5: the call succeeded" ||
    refused "$1" "\"status\":$4" "$5"
  wait "$uas" && ok "$5: alice's phone completed $2 (ACK, and BYE when it answered)" ||
    bad "$5: alice's UAS: $(tail -n 5 "$work/alice-$1.out")"
}
sip_call not-uri "from=$ALICE" "to=nonsense" && bad "a call to a non-URI succeeded" ||
  refused not-uri bad_format "a callee that is not a SIP URI"
failed_call unknown uas_call.xml sip:nobody@p2psip.test 404 "an unknown callee"
failed_call declined uas_decline.xml "$BOB" 603 "alice's phone declines"
[ "$(cat "$work"/bob-*.msg | grep -c "^INVITE sip:")" = 2 ] &&
  ok "bob's phone was rung twice, by the two connected calls only" ||
  bad "bob got $(cat "$work"/bob-*.msg | grep -c "^INVITE sip:") INVITEs"
eventually 5 no_dialogs "$A" && ok "no dialog left on A after the refusals" ||
  bad "dialogs on A: $(dialogs_on "$A")"
[ "$(bindings_of "$A")" = "$bindings_before" ] && ok "A's registrations are as before" ||
  bad "registrations on A: $(bindings_of "$A") (were $bindings_before)"
finish "$A" "$B"
