#!/bin/bash
# Media anchored across the NAT lab (nat_lab.sh, issue 17): two public
# daemons with relays (pub1 bootstraps, pub2 serves bob's phone) and one
# daemon behind each of a port-restricted NAT (alice), two symmetric NATs
# (carol, dave) and a firewall that drops all UDP (erin), every daemon on
# full ICE (the SIP channel between daemons too), each baresip on its
# daemon's box (its namespace, loopback). The calls and the daemons' ICE
# path:
#   alice -> bob:  direct from behind the restricted NAT (no relay candidate);
#   carol -> dave: between two symmetric NATs, through a TURN relay;
#   erin -> bob:   through a TURN relay over TCP (the only way out).
# In each call audio (ausine, PCMU) flows both ways: captured on each
# phone's loopback, >= 90 % of what one phone sent reaches the other; and a
# capture of the public bridge (everything between the boxes) holds none of
# the payloads the phones sent.
# Needs root, ip(8), iptables, tshark and baresip; skipped (77) otherwise.
#
# usage: test_p2psipd_media_nat.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/p2psipd_test_lib.sh"
. "$HERE/nat_lab.sh"
. "$HERE/../sip/p2psipd_sip_lib.sh"
. "$HERE/../sip/baresip_lib.sh"
. "$HERE/media_test_lib.sh"

lab_require
make_sip_work media-nat
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
lab_routers 21 ra=restricted sa=symmetric fw=udp-blocked sb=symmetric
hosts=(pub1 pub2 behind-ra behind-sa behind-fw behind-sb)
users=(- bob alice carol erin dave)
for i in "${!hosts[@]}"; do
  lab_ice_daemon "$i" "${hosts[$i]}" $((i < 2))
  ((i >= 1)) && enable_sip "$i"
done
lab_start_public_pair
for ((i = 2; i < ${#hosts[@]}; i++)); do launch_node "$i"; done
for ((i = 2; i < ${#hosts[@]}; i++)); do
  eventually 30 joined "$i" || fail "${hosts[$i]} did not join"
done
holds_relays() { [ "$(ctl "$1" status | json_field 'r["ice"]["relays"]')" -gt 0 ]; }
for ((i = 1; i < ${#hosts[@]}; i++)); do
  eventually 30 holds_relays "$i" || fail "${hosts[$i]} holds no relay credentials"
  eventually 10 has_sip_port "$i" || fail "${hosts[$i]} printed no SIP port"
done
echo "# lab up: every daemon joined and holds TURN credentials"

# Between the boxes: the public bridge, in its namespace; each phone's
# loopback, in its host's.
start_capture public br0 ip netns exec "$lab_bridge_ns"
for ((i = 1; i < ${#hosts[@]}; i++)); do
  user=${users[$i]}
  phone_prefix[$user]=${lab_prefix[${hosts[$i]}]}
  # shellcheck disable=SC2086
  start_capture "$user" lo ${lab_prefix[${hosts[$i]}]}
done

for ((i = 1; i < ${#hosts[@]}; i++)); do
  start_phone "${users[$i]}" bob "$(sip_port "$i")"
  register_phone "${users[$i]}"
done
for ((i = 1; i < ${#hosts[@]}; i++)); do
  check "${users[$i]} registered" saw "${users[$i]}" REGISTER_OK
done

# call CALLER_NODE CALLEE_NODE: the caller there calls the callee there;
# audio flows; each daemon's view of the stream goes to
# $work/media-CALLER-NODE.json; hangup.
call() {
  local a=$1 b=$2 caller=${users[$1]} callee=${users[$2]} mark_a mark_b
  check "$callee is found from $caller's daemon" eventually 30 found_at "sip:$callee@$DOMAIN" "$a" "$(node_id_of "$b")"
  mark_a=$(event_count "$caller")
  mark_b=$(event_count "$callee")
  phone "$caller" dial "sip:$callee@$DOMAIN" >/dev/null || bad "$caller's dial was refused"
  check "$callee: CALL_ESTABLISHED" saw "$callee" CALL_ESTABLISHED --after "$mark_b"
  check "$caller: CALL_ESTABLISHED" saw "$caller" CALL_ESTABLISHED --after "$mark_a"
  check "$caller's daemon: path ready, SRTP on, audio both ways" eventually 20 flowing "$a"
  check "$callee's daemon: path ready, SRTP on, audio both ways" eventually 20 flowing "$b"
  media_of "$a" >"$work/media-$caller-$a.json"
  media_of "$b" >"$work/media-$caller-$b.json"
  echo "# $caller's daemon: $(cat "$work/media-$caller-$a.json")"
  # What the phones send before the path is checked (half a second through
  # a relay) is lost: a call of several seconds keeps that under 10 %.
  sleep 6
  mark_a=$(event_count "$caller")
  mark_b=$(event_count "$callee")
  phone "$caller" hangup >/dev/null || bad "$caller's hangup was refused"
  check "$caller: CALL_CLOSED" saw "$caller" CALL_CLOSED --after "$mark_a"
  check "$callee: CALL_CLOSED" saw "$callee" CALL_CLOSED --after "$mark_b"
}
# types CALLER: the candidate types of the caller's daemon's pair.
types() {
  json_field 'r["local"]["type"] + " " + r["remote"]["type"]' <"$work/media-$1-${node_of[$1]}.json"
}
declare -A node_of=([alice]=2 [carol]=3 [erin]=4) callee_of=([alice]=1 [carol]=5 [erin]=1)

call 2 1
read -r local remote <<<"$(types alice)"
check "alice-bob: a direct path from behind the restricted NAT ($local-$remote)" \
  eval '[ -n "$local" ] && [ "$local" != relay ] && [ "$remote" != relay ]'
call 3 5
read -r local remote <<<"$(types carol)"
check "carol-dave: a path through a relay between the symmetric NATs ($local-$remote)" \
  eval '[ "$local" = relay ] || [ "$remote" = relay ]'
call 4 1
read -r local remote <<<"$(types erin)"
check "erin-bob: a path through a relay from behind the UDP-blocking firewall ($local-$remote)" \
  [ "$local" = relay ]
sleep 1
stop_captures

leg() { echo "127.0.0.1:$(json_field 'r["phone_port"]' <"$work/media-$1-$2.json")"; }
for caller in alice carol erin; do
  b=${callee_of[$caller]}
  callee=${users[$b]}
  python3 "$HERE/media_capture.py" --leg "$work/$caller.pcap" "$(leg "$caller" "${node_of[$caller]}")" \
    --leg "$work/$callee.pcap" "$(leg "$caller" "$b")" --between "$work/public.pcap" \
    >"$work/capture-$caller.json" || fail "the captures could not be read"
  echo "# $caller-$callee: $(cat "$work/capture-$caller.json")"
  media_capture_checks "$work/capture-$caller.json" "$caller" "$callee"
done
check "the public bridge carried the calls" [ "$(json_field 'r["path_datagrams"] > 500' <"$work/capture-alice.json")" = True ]

if [ "$FAILS" -ne 0 ]; then
  for ((i = 1; i < ${#hosts[@]}; i++)); do
    echo "--- ${users[$i]}: events, then baresip output (tail) ---"
    tail -n 10 "$work/${users[$i]}/events"
    tail -n 15 "$work/${users[$i]}/out"
  done
fi
finish 1 2 3 4 5
