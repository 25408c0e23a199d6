#!/bin/bash
# Forking with media anchored (issue 17), on loopback: alice (baresip) on
# daemon A, and two baresip devices of one AOR, bob, on daemon B: desk
# (rings, 180) and mobile (answers early: 183 with its own SDP), each with
# its own RTP port. Each call rings both devices and one of them answers
# (200); the other gets a CANCEL. The audio must follow the answer:
#  1. desk answers while mobile is in early media: what daemon B delivered
#     to mobile stops before the first packet to desk's port, >= 90 % of
#     alice's RTP reached bob's devices, desk got it from its answer on,
#     and >= 90 % of what bob's devices sent reached alice;
#  2. then mobile answers the next call: the same for mobile.
# Captured on loopback; no phone payload in clear between the daemons.
#
# usage: test_p2psipd_media_fork.sh P2PSIPD P2PSIPCTL
# Exits 77 without baresip, tshark or root. Every wait is bounded.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/p2psipd_test_lib.sh"
. "$HERE/../sip/p2psipd_sip_lib.sh"
. "$HERE/../sip/baresip_lib.sh"
. "$HERE/media_test_lib.sh"
make_sip_work media-fork
[ "$(id -u)" = 0 ] || skip "capturing on loopback needs root"

start_sip_ring 2
start_phone alice bob "$(sip_port 0)"
declare -A answermode=([desk]=manual [mobile]=early)
# rang DEVICE MARK: the call reached DEVICE after its event MARK (desk: an
# incoming call; mobile, which logs no such event when it answers early:
# one more 183 in its SIP trace than at MARK183).
rang() {
  if [ "$1" = mobile ]; then
    eventually 10 eval '[ "$(grep -c "^SIP/2.0 183" "$work/mobile/out")" -gt "$mark183" ]'
  else
    saw "$1" CALL_INCOMING --after "$2"
  fi
}
for device in desk mobile; do
  baresip_account="<sip:bob@$DOMAIN>;regint=600;outbound=\"sip:127.0.0.1:$(sip_port 1);transport=udp\";audio_codecs=PCMU;answermode=${answermode[$device]}"
  start_phone "$device" alice "$(sip_port 1)"
done
baresip_account=""
for who in alice desk mobile; do register_phone "$who"; done
for who in alice desk mobile; do check "$who registered" saw "$who" REGISTER_OK; done
two_contacts() {
  [ "$(ctl 1 registrations | json_field '[len(g["contacts"]) for g in r["registrations"] if "bob@" in g["aor"]]')" = "[2]" ]
}
check "B holds two contacts for bob" eventually 10 two_contacts
check "bob is found from A" eventually 20 found_at "sip:bob@$DOMAIN" 0 "$(node_id_of 1)"

start_capture lo lo

# rtp_port DEVICE: the RTP port DEVICE's last SDP (its 200 OK) names.
rtp_port() { sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$work/$1/out" | tail -n 1; }

# fork_call ANSWERING OTHER N: alice calls bob, both devices ring,
# ANSWERING accepts, OTHER stops ringing; audio for a few seconds; hangup.
# Writes $work/call-N.json (A's and B's stream) and $work/rtp-N (the
# answering device's RTP port).
fork_call() {
  local answering=$1 other=$2 n=$3 mark_alice mark_a mark_o
  mark_alice=$(event_count alice)
  mark_a=$(event_count "$answering")
  mark_o=$(event_count "$other")
  mark183=$(grep -c "^SIP/2.0 183" "$work/mobile/out")
  phone alice dial "sip:bob@$DOMAIN" >/dev/null || bad "alice's dial was refused"
  check "call $n: $answering rings" rang "$answering" "$mark_a"
  check "call $n: $other rings" rang "$other" "$mark_o"
  phone "$answering" accept >/dev/null || bad "$answering's accept was refused"
  check "call $n: $answering: CALL_ESTABLISHED" saw "$answering" CALL_ESTABLISHED --after "$mark_a"
  check "call $n: alice: CALL_ESTABLISHED" saw alice CALL_ESTABLISHED --after "$mark_alice"
  check "call $n: $other stops ringing (CANCEL)" saw "$other" CALL_CLOSED --after "$mark_o"
  check "call $n: A: audio both ways" eventually 15 flowing 0
  check "call $n: B: audio both ways" eventually 15 flowing 1
  media_of 0 >"$work/a-$n.json"
  media_of 1 >"$work/b-$n.json"
  rtp_port "$answering" >"$work/rtp-$n"
  sleep 4
  mark_alice=$(event_count alice)
  phone alice hangup >/dev/null || bad "alice's hangup was refused"
  check "call $n: alice: CALL_CLOSED" saw alice CALL_CLOSED --after "$mark_alice"
  check "call $n: $answering: CALL_CLOSED" saw "$answering" CALL_CLOSED --after "$mark_a"
}
fork_call desk mobile 1
fork_call mobile desk 2
sleep 1
stop_captures

for n in 1 2; do
  leg_a=127.0.0.1:$(json_field 'r["phone_port"]' <"$work/a-$n.json")
  leg_b=127.0.0.1:$(json_field 'r["phone_port"]' <"$work/b-$n.json")
  rtp=$(cat "$work/rtp-$n")
  python3 "$HERE/media_capture.py" --leg "$work/lo.pcap" "$leg_a" --leg "$work/lo.pcap" "$leg_b" \
    --between "$work/lo.pcap" --path \
    "$(json_field 'r["local"]["address"]' <"$work/a-$n.json")" \
    "$(json_field 'r["remote"]["address"]' <"$work/a-$n.json")" >"$work/capture-$n.json" ||
    fail "the capture could not be read"
  echo "# call $n (answered on RTP port $rtp): $(cat "$work/capture-$n.json")"
  cap() { json_field "$1" <"$work/capture-$n.json"; }
  answered="'127.0.0.1:$rtp'"
  check "call $n: the device that answered sent RTP" [ "$(cap 'r["phone_b_sent"] > 100')" = True ]
  check "call $n: >= 90 % of alice's RTP reached bob's devices" \
    [ "$(cap 'r["delivered_to_b"] >= 0.9 * r["phone_a_sent"]')" = True ]
  check "call $n: the device that answered got alice's audio" \
    [ "$(cap "r['delivered_to_b_at'].get($answered, [0])[0] > 100")" = True ]
  check "call $n: nothing went to another device after the answer" \
    [ "$(cap "all(v[2] <= r['delivered_to_b_at'][$answered][1] for k, v in r['delivered_to_b_at'].items() if k != $answered)")" = True ]
  check "call $n: >= 90 % of bob's RTP reached alice" \
    [ "$(cap 'r["delivered_to_a"] >= 0.9 * r["phone_b_sent"]')" = True ]
  check "call $n: no phone payload in clear between the daemons" [ "$(cap 'r["path_plaintext"]')" = 0 ]
done

if [ "$FAILS" -ne 0 ]; then
  for who in alice desk mobile; do
    echo "--- $who: events, then baresip output (tail) ---"
    tail -n 10 "$work/$who/events"
    tail -n 15 "$work/$who/out"
  done
fi
finish 0 1
