#!/bin/bash
# ICE overlay links through the NAT lab (nat_lab.sh), RFC 6940 §6.5.1 with
# DTLS-UDP-SR links. Two public daemons with relays (relay.mode auto on
# public-looking addresses; pub1 is the bootstrap node), and one daemon
# behind each of: two port-restricted NATs, two symmetric NATs and a
# firewall that drops UDP. Every daemon runs overlay.no-ice: false (full ICE).
#   1. Every daemon joins and each one behind a router puts a value, read
#      from every daemon (the ring is whole: each links to its neighbours).
#   2. Between the two port-restricted NATs, overlay.attach makes a direct
#      DTLS link: overlay.peers shows dtls-udp and a pair of srflx/prflx or
#      host candidates, no relay.
#   3. Between the two symmetric NATs the link goes through a relay: a relay
#      candidate on one side at least, under a DTLS session that came up.
#   4. Behind the UDP-blocking firewall the node is reached through TURN
#      over TCP: its links to peers other than its bootstrap node are DTLS
#      over a relayed candidate, and a public node attaches to it.
# Join times are printed; bars are for tests/bench. Needs root, ip(8) and
# iptables; skipped (77) otherwise.
#
# usage: test_p2psipd_nat_ice.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
here=$(dirname "$0")
. "$here/p2psipd_test_lib.sh"
. "$here/nat_lab.sh"

lab_require
make_work nat-ice
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
lab_routers 21 ra=restricted rb=restricted sa=symmetric sb=symmetric fw=udp-blocked
hosts=(pub1 pub2 behind-ra behind-rb behind-sa behind-sb behind-fw)
echo "lab: 2 public hosts; behind restricted NATs ra, rb, symmetric NATs sa, sb, firewall fw"

for i in "${!hosts[@]}"; do lab_ice_daemon "$i" "${hosts[$i]}" $((i < 2)); done
# The relays are published and found before the NATed nodes come.
lab_start_public_pair
holds_relays() { [ "$(ctl "$1" status | json_field 'r["ice"]["relays"]')" -gt 0 ]; }
for ((i = 2; i < ${#hosts[@]}; i++)); do
  started=$(date +%s%N)
  launch_node "$i"
  eventually 30 joined "$i" || fail "${hosts[$i]} did not join"
  echo "${hosts[$i]} joined $(( ($(date +%s%N) - started) / 1000000 )) ms after its start"
done
# The relays are found through TURN-SERVICE (or asked of the bootstrap node
# while joining) and credentials asked of them over the overlay.
for i in "${!hosts[@]}"; do
  eventually 30 holds_relays "$i" || fail "${hosts[$i]} holds no relay credentials"
done
echo "every daemon holds TURN credentials (the other public daemon's relay, at least)"
all=("${!hosts[@]}")

id_of() { node_id_of "$1"; }
# attach_pair FROM TO: overlay.attach from node FROM to node TO; the link's
# transport and pair as "transport local remote relay" in $pair.
attach_pair() {
  local out
  out=$(ctl "$1" overlay.attach "node_id=$(id_of "$2")" 2>&1) || { pair="attach failed: $out"; return 1; }
  pair=$(json_field '" ".join([r.get("transport", "-"), r.get("pair", {}).get("local", "-"), r.get("pair", {}).get("remote", "-"), r.get("pair", {}).get("relay", "-")])' <<<"$out")
}

# --- 1. storage across NATs ----------------------------------------------------
for ((i = 2; i < ${#hosts[@]}; i++)); do
  owner=$(ctl "$i" status | json_field 'r["user"]')
  eventually 30 eval "ctl $i put key=$owner/nat value=from-${hosts[$i]} >/dev/null" ||
    fail "put from ${hosts[$i]} failed"
  values["$owner/nat"]="from-${hosts[$i]}"
done
for reader in "${all[@]}"; do
  eventually 30 none_lost "$reader" ||
    fail "$lost of ${#values[@]} values not readable from ${hosts[$reader]}:$lost_keys"
done
echo "1. a value from behind each router is read from every daemon"

# --- 2. two port-restricted NATs: a direct link ---------------------------------
eventually 30 attach_pair 2 3 || fail "ra could not attach to rb: $pair"
read -r transport local remote relay <<<"$pair"
[ "$transport" = dtls-udp ] || fail "ra-rb link is $transport, not dtls-udp"
[ "$local" != relay ] && [ "$remote" != relay ] && [ "$local" != - ] ||
  fail "ra-rb link is not direct: $pair"
echo "2. ra-rb: direct DTLS link over ICE, pair $local-$remote"

# --- 3. two symmetric NATs: through a relay --------------------------------------
eventually 30 attach_pair 4 5 || fail "sa could not attach to sb: $pair"
read -r transport local remote relay <<<"$pair"
[ "$transport" = dtls-udp ] || fail "sa-sb link is $transport, not dtls-udp"
[ "$local" = relay ] || [ "$remote" = relay ] || fail "sa-sb link is not relayed: $pair"
echo "3. sa-sb: DTLS over ICE through a relay, pair $local-$remote (relay $relay)"

# --- 4. the UDP-blocking firewall: TURN over TCP ----------------------------------
eventually 30 attach_pair 1 6 || fail "pub2 could not attach to the node behind the firewall: $pair"
read -r transport local remote relay <<<"$pair"
[ "$transport" = dtls-udp ] && [ "$remote" = relay ] ||
  fail "pub2-fw link is not DTLS to a relayed candidate: $pair"
echo "4. behind the UDP-blocking firewall: reached over a relayed candidate ($local-$remote)"

echo "PASS"
