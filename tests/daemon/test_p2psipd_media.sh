#!/bin/bash
# Media anchored in the daemons (issue 17), on loopback: two p2psipd, baresip
# "alice" on daemon A and "bob" on daemon B, each sending a sine (ausine,
# PCMU). A call from alice to bob: both daemons rewrite the SDP (the phones
# see their own daemon's address, the daemons exchange ICE and a=crypto),
# audio flows both ways through A, an ICE path and B, and a capture of
# loopback shows
#  - at least 90 % of the RTP each phone sent reaching the other phone,
#  - datagrams on the ICE path between the daemons, none of them carrying a
#    payload a phone sent (SRTP between the daemons);
# p2psipctl calls shows each daemon's leg: path ready, SRTP on, packets
# both ways. alice holds (re-INVITE, sendonly) beyond the inactivity time
# and the call stays, then resumes and bob's audio comes again. After the
# hangup, both phones see CALL_CLOSED, the daemons
# list no call and neither phone-facing port nor the ICE path's sockets
# stay bound, and the media_calls metric is 0. A second call that bob
# rejects (486) and one alice cancels while it rings release their ports
# too; A's media events mark the start, the path and the inactivity. With
# media.inactivity 5 s: bob's phone killed mid-call, alice gets a BYE from daemon A (media inactivity,
# its Reason says so) within the inactivity time; daemon B killed mid-call,
# alice gets a BYE within that time too (whichever of the media silence or
# the unreachable daemon A notices first).
#
# usage: test_p2psipd_media.sh P2PSIPD P2PSIPCTL
# Exits 77 without baresip or tshark. Every process is killed by the trap;
# every wait is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/p2psipd_test_lib.sh"
. "$HERE/../sip/p2psipd_sip_lib.sh"
. "$HERE/../sip/baresip_lib.sh"
. "$HERE/media_test_lib.sh"
make_sip_work media
[ "$(id -u)" = 0 ] || skip "capturing on loopback needs root"

cfg_extra="media:
  anchor: always
  inactivity: 5"
start_sip_ring 2
echo "# two daemons joined; SIP fronts A=$(sip_port 0) B=$(sip_port 1)"

start_phone alice bob "$(sip_port 0)"
start_phone bob alice "$(sip_port 1)"
sed -i 's/answermode=auto/answermode=manual/' "$work/bob/account"
register_phone alice
register_phone bob
check "alice registered through A" saw alice REGISTER_OK
check "bob registered through B" saw bob REGISTER_OK
check "bob is found from A" eventually 20 found_at "sip:bob@$DOMAIN" 0 "$(node_id_of 1)"

answer_bob() {  # bob accepts the call ringing at his phone
  saw bob CALL_INCOMING --after "$mark_bob" && phone bob accept >/dev/null
}

tshark -q -i lo -f udp -F pcap -w "$work/lo.pcap" >"$work/tshark.out" 2>&1 &
capture=$!
helper_pids+=("$capture")
eventually 5 grep -q "Capturing on" "$work/tshark.out" || fail "tshark did not start"

"$P2PSIPCTL" --socket "${sockets[0]}" --json events topics=media >"$work/events_a.log" 2>&1 &
helper_pids+=("$!")

# --- a call, audio both ways -----------------------------------------------------------
mark_alice=$(event_count alice)
mark_bob=$(event_count bob)
phone alice dial "sip:bob@$DOMAIN" >/dev/null || fail "alice's dial was refused"
answer_bob
check "bob: CALL_ESTABLISHED" saw bob CALL_ESTABLISHED --after "$mark_bob"
check "alice: CALL_ESTABLISHED" saw alice CALL_ESTABLISHED --after "$mark_alice"

check "A: the path is ready, SRTP on, audio both ways" eventually 15 flowing 0
check "B: the path is ready, SRTP on, audio both ways" eventually 15 flowing 1
media_of 0 >"$work/media_a.json"
media_of 1 >"$work/media_b.json"
echo "# A: $(cat "$work/media_a.json")"
field() { json_field "$2" <"$work/$1"; }
leg_a=127.0.0.1:$(field media_a.json 'r["phone_port"]')
leg_b=127.0.0.1:$(field media_b.json 'r["phone_port"]')
path_a=$(field media_a.json 'r["local"]["address"]')
path_b=$(field media_a.json 'r["remote"]["address"]')
check "the path's type is host on loopback" [ "$(field media_a.json 'r["local"]["type"]')" = host ]
media_event() { grep -q "\"what\": *\"$1\"" "$work/events_a.log"; }
check "A's media events: start and path" eval 'media_event start && media_event path'

# --- hold and resume: re-INVITEs through both anchors ----------------------------------
directions() {  # directions NODE: the stream's phone and far directions
  media_of "$1" | json_field 'r["phone_direction"] + " " + r["far_direction"]'
}
mark_alice=$(event_count alice)
phone alice hold >/dev/null || bad "alice's hold was refused"
check "A: alice's hold (sendonly) and bob's answer (recvonly)" \
  eventually 5 eval '[ "$(directions 0)" = "sendonly recvonly" ]'
check "B: the same, seen from bob's side" eventually 5 eval '[ "$(directions 1)" = "recvonly sendonly" ]'
sleep 7
check "a held call outlives the inactivity time" \
  eval '! grep -q CALL_CLOSED <(tail -n +$((mark_alice + 1)) "$work/alice/events")'
far_packets() { media_of 0 | json_field 'r["from_far"]["packets"]'; }
held_packets=$(far_packets)
phone alice resume >/dev/null || bad "alice's resume was refused"
check "A: resumed, sendrecv both ways" eventually 5 eval '[ "$(directions 0)" = "sendrecv sendrecv" ]'
check "A: bob's audio comes again after the resume" eventually 5 eval '[ "$(far_packets)" -gt $((held_packets + 50)) ]'

mark_alice=$(event_count alice)
mark_bob=$(event_count bob)
phone alice hangup >/dev/null || bad "alice's hangup was refused"
check "alice: CALL_CLOSED" saw alice CALL_CLOSED --after "$mark_alice"
check "bob: CALL_CLOSED" saw bob CALL_CLOSED --after "$mark_bob"
sleep 1
kill -INT "$capture"
wait "$capture" 2>/dev/null

python3 "$HERE/media_capture.py" --leg "$work/lo.pcap" "$leg_a" --leg "$work/lo.pcap" "$leg_b" \
  --between "$work/lo.pcap" --path "$path_a" "$path_b" >"$work/capture.json" ||
  fail "the capture could not be read"
echo "# capture: $(cat "$work/capture.json")"
cap() { json_field "$1" <"$work/capture.json"; }
check "alice sent RTP to A" [ "$(cap 'r["phone_a_sent"] > 100')" = True ]
check "bob sent RTP to B" [ "$(cap 'r["phone_b_sent"] > 100')" = True ]
check ">= 90 % of alice's RTP reached bob" [ "$(cap 'r["delivered_to_b"] >= 0.9 * r["phone_a_sent"]')" = True ]
check ">= 90 % of bob's RTP reached alice" [ "$(cap 'r["delivered_to_a"] >= 0.9 * r["phone_b_sent"]')" = True ]
check "datagrams crossed the ICE path" [ "$(cap 'r["path_datagrams"] > 200')" = True ]
check "no phone payload in clear between the daemons" [ "$(cap 'r["path_plaintext"]')" = 0 ]

no_calls() { [ "$(ctl "$1" calls | json_field 'len(r["dialogs"])' 2>&1)" = 0 ]; }
check "no call left on A" eventually 5 no_calls 0
check "no call left on B" eventually 5 no_calls 1
bound() { ss -Hnau "sport = :${1##*:}" | grep -q .; }
unbound() { ! bound "$1"; }
check "A's phone-facing port is released" eventually 5 unbound "$leg_a"
check "B's phone-facing port is released" eventually 5 unbound "$leg_b"
check "A's ICE socket is released" eventually 5 unbound "$path_a"
check "B's ICE socket is released" eventually 5 unbound "$path_b"
no_media_calls() { [ "$(metric "$1" media_calls)" = 0 ]; }
check "A's media_calls metric is back to 0" eventually 5 no_media_calls 0
check "B's media_calls metric is back to 0" eventually 5 no_media_calls 1

# ended_while_ringing WHO WHAT: alice calls bob and, while it rings, WHO
# hangs up (bob: a 486; alice: a CANCEL); the other phone sees the call
# closed, and both daemons' ports and calls go.
ended_while_ringing() {
  local who=$1 what=$2 other=alice leg_a leg_b mark_other
  [ "$who" = alice ] && other=bob
  mark_bob=$(event_count bob)
  mark_other=$(event_count "$other")
  phone alice dial "sip:bob@$DOMAIN" >/dev/null || bad "alice's dial was refused"
  check "bob: the call to end with a $what rings" saw bob CALL_INCOMING --after "$mark_bob"
  check "both daemons anchor the ringing call" \
    eventually 5 eval '[ -n "$(media_of 0)" ] && [ -n "$(media_of 1)" ]'
  leg_a=127.0.0.1:$(media_of 0 | json_field 'r["phone_port"]')
  leg_b=127.0.0.1:$(media_of 1 | json_field 'r["phone_port"]')
  phone "$who" hangup >/dev/null || bad "$who's hangup was refused"
  check "$other: CALL_CLOSED after the $what" saw "$other" CALL_CLOSED --after "$mark_other"
  check "no call left on A after the $what" eventually 5 no_calls 0
  check "A's port of the call is released after the $what" eventually 5 unbound "$leg_a"
  check "B's port of the call is released after the $what" eventually 5 unbound "$leg_b"
  check "A's media_calls metric is 0 after the $what" eventually 5 no_media_calls 0
  check "B's media_calls metric is 0 after the $what" eventually 5 no_media_calls 1
}
ended_while_ringing bob 486
ended_while_ringing alice CANCEL

# established_call: alice calls bob, he answers, audio flows through A.
established_call() {
  mark_alice=$(event_count alice)
  mark_bob=$(event_count bob)
  phone alice dial "sip:bob@$DOMAIN" >/dev/null || bad "alice's dial was refused"
  answer_bob
  check "alice: the call is established" saw alice CALL_ESTABLISHED --after "$mark_alice"
  check "A: audio flows" eventually 15 flowing 0
  mark_alice=$(event_count alice)
}

# --- bob's phone dies mid-call: no media, alice gets a BYE from A ---------------------
established_call
kill -9 "${phone_pid[bob]}"
gone_at=$(date +%s)
check "alice: CALL_CLOSED after bob's phone died (media inactivity, 5 s)" \
  python3 "$CTRL" wait "$work/alice/events" CALL_CLOSED --after "$mark_alice" --timeout 15
check "... within the inactivity time and a sweep" [ $(($(date +%s) - gone_at)) -le 8 ]
check "A ended it for media inactivity" grep -q "ended: no media for 5 s" "$work/n0/log"
check "alice's BYE says why" grep -q 'text="no media for 5 s' "$work/alice/out"
check "A's media events: inactive" media_event inactive
check "no call left on A after bob's phone died" eventually 5 no_calls 0
check "no call left on B after bob's phone died" eventually 8 no_calls 1

# --- daemon B killed mid-call: alice gets a BYE ---------------------------------------
kill "${relay_pid[bob]}" 2>/dev/null
rm -rf "${work:?}/bob"
start_phone bob alice "$(sip_port 1)"
sed -i 's/answermode=auto/answermode=manual/' "$work/bob/account"
register_phone bob
check "bob's new phone registered through B" saw bob REGISTER_OK
established_call
kill -9 "${pids[1]}"
killed_at=$(date +%s)
check "alice: CALL_CLOSED after B died" \
  python3 "$CTRL" wait "$work/alice/events" CALL_CLOSED --after "$mark_alice" --timeout 15
check "... within the inactivity time and a sweep" [ $(($(date +%s) - killed_at)) -le 8 ]
check "no call left on A after B died" eventually 5 no_calls 0
check "node A still runs" kill -0 "${pids[0]}"

if [ "$FAILS" -ne 0 ]; then
  for who in alice bob; do
    echo "--- $who: events, then baresip output (tail) ---"
    tail -n 15 "$work/$who/events"
    tail -n 25 "$work/$who/out"
  done
fi
finish 0 1
