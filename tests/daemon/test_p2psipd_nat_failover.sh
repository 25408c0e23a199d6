#!/bin/bash
# Scenario 6 of the NAT lab (nat_lab.sh): a relay dies mid-session. Three
# public daemons (pub1 the bootstrap node, no relay; pub2 and pub3 relays,
# relay.mode auto on public-looking addresses) and one daemon behind each of
# two symmetric NATs, every one on full ICE.
#   - Both NATed daemons hold credentials for both relays; overlay.attach
#     links them through one (a relay candidate on one side at least).
#   - The relay daemon on that pair is killed (-9). Within 10 s the link is
#     back on both sides, DTLS over a pair through the other relay (RFC 6940
#     §6.6.3.1 finds the link unresponsive; the relay is left out and a new
#     Attach replaces the link, §6.5.1.13), ice.failovers counts it, and the
#     dead relay's credentials are gone from both.
#   - Values put on each NATed daemon are read from the other, and the four
#     survivors form a consistent ring.
# Needs root, ip(8) and iptables; skipped (77) otherwise.
#
# usage: test_p2psipd_nat_failover.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1 P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
. "$(dirname "$0")/nat_lab.sh"

lab_require
make_work nat-failover
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
lab_public pub3 12
lab_routers 21 sa=symmetric sb=symmetric
hosts=(pub1 pub2 pub3 behind-sa behind-sb)
sa=3
sb=4
echo "lab: pub1 (bootstrap), relays on pub2 and pub3; symmetric NATs sa, sb"

for i in "${!hosts[@]}"; do lab_ice_daemon "$i" "${hosts[$i]}" $((i == 1 || i == 2)); done
# The bootstrap node's relay off (auto, the default, would run it): the
# relays are the two whose daemons may die.
lab_ice_daemon 0 pub1 0
cfg_extra="relay:
  mode: off"
write_config 0
launch_node 0
eventually 15 joined 0 || fail "pub1 did not start an overlay"
launch_node 1
launch_node 2
eventually 20 all_joined 1 2 || fail "pub2 and pub3 did not join"
relay_running() { [ "$(ctl "$1" status | json_field 'r["relay"]["running"]')" = True ]; }
for i in 1 2; do eventually 20 relay_running "$i" || fail "${hosts[$i]}'s relay is off"; done
launch_node $sa
launch_node $sb
eventually 30 all_joined $sa $sb || fail "the daemons behind the symmetric NATs did not join"

relays_held() { ctl "$1" status | json_field 'r["ice"]["relays"]'; }
failovers() { ctl "$1" status | json_field 'r["ice"]["failovers"]'; }
holds_both() { [ "$(relays_held "$1")" -ge 2 ]; }
for i in $sa $sb; do
  eventually 60 holds_both "$i" || fail "${hosts[$i]} holds $(relays_held "$i") relays, not 2"
done
echo "both NATed daemons hold credentials for both relays"

# view FROM TO: FROM's overlay.peers entry for TO as "transport local remote
# relay" ("-" for what is missing), in $view.
view() {
  local to_id
  to_id=$(node_id_of "$2") || return 1
  view=$(ctl "$1" overlay.peers | json_field "' '.join(next(([p.get('transport', '-'), p.get('pair', {}).get('local', '-'), p.get('pair', {}).get('remote', '-'), p.get('pair', {}).get('relay', '-')] for p in r['peers'] if p['node_id'] == '$to_id'), ['-', '-', '-', '-']))")
}
# relayed_link: the sa-sb link is DTLS through a relay, seen from both ends;
# the relays each end names in $used.
relayed_link() {
  local transport near far relay ends=0 pair
  used=""
  for pair in "$sa $sb" "$sb $sa"; do
    # shellcheck disable=SC2086
    view $pair || return 1
    read -r transport near far relay <<<"$view"
    [ "$transport" = dtls-udp ] || return 1
    [ "$near" = relay ] || [ "$far" = relay ] || return 1
    [ "$relay" != - ] && used="$used ${relay%:*}"
    ends=$((ends + 1))
  done
  [ $ends = 2 ]
}

attach_sb() { ctl $sa overlay.attach "node_id=$(node_id_of $sb)" >/dev/null 2>&1; }
eventually 30 attach_sb || fail "sa could not attach to sb"
eventually 10 relayed_link || fail "the sa-sb link is not relayed: $view"
before_used=$used
victim_address=${before_used# }
victim_address=${victim_address%% *}
victim=""
for i in 1 2; do [ "${lab_address[${hosts[$i]}]}" = "$victim_address" ] && victim=$i; done
[ -n "$victim" ] || fail "the sa-sb link names no relay of pub2 or pub3 (relays: '$before_used')"
survivor=$((3 - victim))
echo "sa-sb linked through relay(s)$before_used; killing ${hosts[$victim]}'s daemon"
failovers_before=$(($(failovers $sa) + $(failovers $sb)))

# failed_over: the link is back on both ends, relayed, through no relay of the victim.
failed_over() {
  relayed_link || return 1
  [[ " $used " != *" $victim_address "* ]]
}
stop_node "$victim" KILL
killed_at=$(date +%s%N)
deadline=$((SECONDS + 10))
until failed_over; do
  [ $SECONDS -le $deadline ] || fail "10 s after the kill the sa-sb link is not back through the other relay: $view (relays:$used)"
  sleep 0.2
done
took=$((($(date +%s%N) - killed_at) / 1000000))
[ "$took" -le 10000 ] || fail "the link came back after $took ms, over 10 s"
echo "sa-sb back ${took} ms after the kill, through relay(s)$used"
failovers_after=$(($(failovers $sa) + $(failovers $sb)))
[ "$failovers_after" -gt "$failovers_before" ] ||
  fail "ice.failovers did not count the failover ($failovers_before, then $failovers_after)"
relay_servers() { ctl "$1" status | json_field '" ".join(r["ice"]["relay_servers"])'; }
drops_victim() { [[ " $(relay_servers "$1") " != *" $victim_address:"* ]]; }
for i in $sa $sb; do
  eventually 10 drops_victim "$i" || fail "${hosts[$i]} still holds the dead relay: $(relay_servers "$i")"
done
echo "both NATed daemons left the dead relay out (holding: $(relay_servers $sa); $(relay_servers $sb))"

# Data still flows: each NATed daemon's value read from the other.
for i in $sa $sb; do
  owner=$(ctl "$i" status | json_field 'r["user"]')
  eventually 20 eval "ctl $i put key=$owner/failover value=from-${hosts[$i]} >/dev/null" ||
    fail "put from ${hosts[$i]} failed after the failover"
  values["$owner/failover"]="from-${hosts[$i]}"
done
for i in $sa $sb; do
  eventually 20 none_lost "$i" || fail "$lost values not readable from ${hosts[$i]}:$lost_keys"
done
echo "values put behind each symmetric NAT are read from the other"

survivors=(0 "$survivor" $sa $sb)
eventually 45 ring_consistent "${survivors[@]}" || fail "the four survivors' ring is not consistent"
echo "the ring of the four survivors is consistent"
echo "PASS"
