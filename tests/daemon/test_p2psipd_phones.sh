#!/bin/bash
# Stock softphones, set up as the README tells a person (issue 17): two
# boxes on one LAN (network namespaces on a bridge), each running p2psipd
# with no sip: or media: section at all, so its SIP front is on the default
# 127.0.0.1:5060 and media are anchored. On box A linphonec runs on the
# README's Linphone recipe (account, 127.0.0.1 as proxy, random local
# ports), so it starts beside the daemon's 5060 and advertises
# c=IN IP4 127.0.0.1; on box B baresip runs on the README's baresip recipe
# (one account line) and keeps its own choice of address, its LAN address.
#  1. alice (linphonec) calls bob (baresip), bob answers: each plays a
#     file; captured on each box's loopback, >= 90 % of the RTP each phone
#     sent reaches the other phone, and a capture of the LAN between the
#     boxes holds none of the payloads the phones sent (SRTP). alice hangs
#     up.
#  2. bob calls alice, whose linphonec answers by itself (autoanswer): audio
#     both ways through both daemons; bob hangs up.
#  3. alice's linphonec, restarted to make late offers (sdp_200_ack: an
#     INVITE without SDP, the offer in bob's 200, the answer in the ACK),
#     calls bob: the call is anchored just the same, audio both ways.
# Needs root, ip(8), tshark, baresip and linphonec; skipped (77) otherwise.
#
# usage: test_p2psipd_phones.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/p2psipd_test_lib.sh"
. "$HERE/../sip/p2psipd_sip_lib.sh"
. "$HERE/../sip/baresip_lib.sh"
. "$HERE/../sip/linphone_lib.sh"
. "$HERE/media_test_lib.sh"

require_namespaces
make_sip_work phones
bridge_namespaces 2
DOMAIN=ring.test.p2psip.local
for i in 0 1; do
  # A box's default route, as phones look for one before they register.
  ${node_prefix[$i]} ip route add default dev eth0
  cfg_listen_address="$subnet.$((i + 1))"
  cfg_listen_port=6084
  cfg_bootstrap=""
  ((i > 0)) && cfg_bootstrap="$subnet.1:6084"
  write_config "$i"
  # No sip: section: the front on its defaults.
  sed -i '/^sip:$/,/^  enabled: false$/d' "$work/n$i/p2psipd.yaml"
done
launch_node 0
eventually 15 joined 0 || fail "box A's daemon did not start an overlay"
launch_node 1
eventually 20 joined 1 || fail "box B's daemon did not join"
for i in 0 1; do
  eventually 10 has_sip_port "$i" || fail "node $i printed no SIP port"
  check "box $i: the daemon's SIP front is on 127.0.0.1:5060" \
    grep -q "SIP front on 127.0.0.1:5060" "$work/n$i/out"
done
phone_prefix[alice]=${node_prefix[0]}
phone_prefix[stock]=${node_prefix[0]}
phone_prefix[bob]=${node_prefix[1]}

# The audio each phone plays: a tone under noise, so that no two packets'
# payloads are alike (the capture looks for each one between the boxes).
make_wav() {  # make_wav PATH RATE CHANNELS SECONDS
  python3 - "$@" <<'PY'
import math, random, struct, sys, wave
path, rate, channels, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
noise = random.Random(17)
with wave.open(path, "wb") as w:
    w.setnchannels(channels)
    w.setsampwidth(2)
    w.setframerate(rate)
    frames = bytearray()
    for n in range(rate * seconds):
        v = int(6000 * math.sin(2 * math.pi * 440 * n / rate) + noise.randint(-3000, 3000))
        frames += struct.pack("<h", v) * channels
    w.writeframes(bytes(frames))
PY
}
make_wav "$work/alice.wav" 8000 1 30
make_wav "$work/bob.wav" 48000 2 30

# Why the recipe gives linphonec random ports: on its own defaults it wants
# 5060 on every address, which the daemon holds on loopback.
start_linphonec stock "$DOMAIN" stock
check "a stock linphonec beside the daemon cannot bind 5060" \
  eventually 10 grep -aq "bind() failed for ::0 port 5060: Address already in use" "$work/stock/log"
stop_linphonec stock

start_linphonec alice "$DOMAIN"
check "alice's linphonec registered through A" \
  eventually 15 grep -aq "to \[LinphoneRegistrationOk\]" "$work/alice/log"
bob_account="<sip:bob@$DOMAIN>;outbound=\"sip:127.0.0.1;transport=udp\""
baresip_stock_network=1
baresip_account=$bob_account
baresip_source="aufile,$work/bob.wav"
start_phone bob alice 5060
register_phone bob
check "bob's baresip registered through B" saw bob REGISTER_OK
lp_sip=$(${node_prefix[0]} ss -Hnuap | awk '/"linphonec"/ { sub(/.*:/, "", $4); print $4; exit }')
check "alice's linphonec listens beside the daemon, on port ${lp_sip:-none}" \
  eval '[ -n "$lp_sip" ] && [ "$lp_sip" != 5060 ]'
check "bob is found from A" eventually 20 found_at "sip:bob@$DOMAIN" 0 "$(node_id_of 1)"
check "alice is found from B" eventually 20 found_at "sip:alice@$DOMAIN" 1 "$(node_id_of 0)"

# Captures: each box's loopback (phone <-> daemon) and the LAN between them.
start_capture lan br0 ip netns exec "$bridge_ns"
# shellcheck disable=SC2086
for i in 0 1; do start_capture "lo$i" lo ${node_prefix[$i]}; done

linphone alice soundcard use files
linphone alice play "$work/alice.wav"
linphone alice autoanswer enable

# alice_calls_bob N WHAT: alice's linphonec calls bob, bob answers, audio
# flows both ways through both daemons (saved as media-N-*.json), alice hangs up.
alice_calls_bob() {
  local n=$1 what=$2
  mark_alice=$(linphone_count alice)
  mark_bob=$(event_count bob)
  linphone alice call "sip:bob@$DOMAIN"
  check "bob: the call from alice rings ($what)" saw bob CALL_INCOMING --after "$mark_bob"
  phone bob accept >/dev/null || bad "bob's accept was refused"
  check "bob: CALL_ESTABLISHED ($what)" saw bob CALL_ESTABLISHED --after "$mark_bob"
  check "alice: the call is connected ($what)" linphone_saw alice "connected" "$mark_alice"
  check "A: path ready, SRTP on, audio both ways ($what)" eventually 15 flowing 0
  check "B: path ready, SRTP on, audio both ways ($what)" eventually 15 flowing 1
  media_of 0 >"$work/media-$n-0.json"
  media_of 1 >"$work/media-$n-1.json"
  echo "# A: $(cat "$work/media-$n-0.json")"
  sleep 4
  mark_bob=$(event_count bob)
  linphone alice terminate
  check "bob: CALL_CLOSED after alice hung up ($what)" saw bob CALL_CLOSED --after "$mark_bob"
  check "alice: the call ended ($what)" linphone_saw alice "ended" "$mark_alice"
}

# --- 1. linphonec calls baresip ---------------------------------------------------------
alice_calls_bob 1 "early offer"

# --- 2. baresip calls linphonec, which answers by itself -------------------------------
mark_alice=$(linphone_count alice)
mark_bob=$(event_count bob)
phone bob dial "sip:alice@$DOMAIN" >/dev/null || bad "bob's dial was refused"
check "bob: CALL_ESTABLISHED (alice's autoanswer)" saw bob CALL_ESTABLISHED --after "$mark_bob"
check "alice: the call from bob is connected" linphone_saw alice "connected" "$mark_alice"
check "A: bob's call anchored, audio both ways" eventually 15 flowing 0
check "B: bob's call anchored, audio both ways" eventually 15 flowing 1
media_of 0 >"$work/media-2-0.json"
media_of 1 >"$work/media-2-1.json"
sleep 4
mark_bob=$(event_count bob)
phone bob hangup >/dev/null || bad "bob's hangup was refused"
check "bob: CALL_CLOSED" saw bob CALL_CLOSED --after "$mark_bob"
check "alice: bob's call ended" linphone_saw alice "ended" "$mark_alice"

# --- 3. a late offer: linphonec's INVITE carries no SDP ---------------------------------
stop_linphonec alice
mv "$work/alice/log" "$work/alice/log.1"  # the registration check reads the new one
linphone_sip_extra="sdp_200_ack=1"
start_linphonec alice "$DOMAIN"
linphone_sip_extra=""
check "alice's linphonec registered again, making late offers" \
  eventually 15 grep -aq "to \[LinphoneRegistrationOk\]" "$work/alice/log"
linphone alice soundcard use files
linphone alice play "$work/alice.wav"
alice_calls_bob 3 "late offer"

sleep 1
stop_captures
check "alice's third INVITE carried no SDP (a late offer)" \
  eval '[ "$(tshark -r "$work/lo0.pcap" -Y "sip.Method == \"INVITE\" && !sdp && udp.dstport == 5060" -T fields -e sip.Call-ID 2>/dev/null | sort -u | wc -l)" -ge 1 ]'

# What each phone advertised: linphonec its loopback, baresip its LAN address.
check "alice's linphonec advertised c=IN IP4 127.0.0.1" grep -aq "c=IN IP4 127.0.0.1" "$work/alice/log.1"
check "bob's baresip advertised its LAN address, c=IN IP4 $subnet.2" \
  grep -aq "c=IN IP4 $subnet.2" "$work/bob/out"

leg() { echo "127.0.0.1:$(json_field 'r["phone_port"]' <"$work/media-$1-$2.json")"; }
for call in 1 2 3; do
  python3 "$HERE/media_capture.py" --leg "$work/lo0.pcap" "$(leg "$call" 0)" \
    --leg "$work/lo1.pcap" "$(leg "$call" 1)" --between "$work/lan.pcap" \
    >"$work/capture-$call.json" || fail "the captures could not be read"
  echo "# call $call: $(cat "$work/capture-$call.json")"
  media_capture_checks "$work/capture-$call.json" alice bob "on the LAN"
done
check "the LAN carried the calls" [ "$(json_field 'r["path_datagrams"] > 300' <"$work/capture-1.json")" = True ]

if [ "$FAILS" -ne 0 ]; then
  echo "--- alice: linphonec output (tail) ---"
  tail -n 20 "$work/alice/out"
  echo "--- bob: events, then baresip output (tail) ---"
  tail -n 10 "$work/bob/events"
  tail -n 20 "$work/bob/out"
fi
finish 0 1
