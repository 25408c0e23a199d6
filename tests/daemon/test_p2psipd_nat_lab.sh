#!/bin/bash
# The NAT lab (nat_lab.sh) and p2psipd's STUN/TURN server through it. Two
# public daemons (relay mode auto, at 11.1.1.10 and .11) and, behind each
# router type (full-cone, restricted, symmetric, udp-blocked), one private
# host. From each private host:
#   - STUN Binding from one UDP socket to both daemons' relay ports: the
#     mapped address is the router's; the same mapped port for both behind
#     the cones, different ones behind the symmetric NAT, no answer behind
#     the UDP-blocking firewall, where STUN over TCP answers instead;
#   - filtering: a datagram from the other daemon's host to the mapping made
#     towards the first reaches the host behind the full cone, and not the
#     one behind the port-restricted NAT;
#   - TURN: turnutils_uclient relays through the first daemon to
#     turnutils_peer on the second's host with 0 lost, over UDP from behind
#     the symmetric NAT and over TCP and TLS from behind the firewall;
#   - a daemon behind each router joins the overlay (full ICE: its links
#     to peers other than the bootstrap node are DTLS over ICE);
#   - each daemon's own verdict on its NAT's mapping (ice.mapping):
#     endpoint-independent behind the cones,
#     endpoint-dependent behind the symmetric NAT, unknown behind the
#     firewall;
#   - relay.mode auto (RFC 6940 §9): the public daemons' relays run and are
#     found through TURN-SERVICE; a daemon whose own address looks public
#     but sits behind a full cone (11.2.24.2) learns from its linked peers'
#     STUN that its reflexive address differs, turns its relay off and
#     says why, and nobody finds it.
# Needs root, ip(8), iptables and coturn's turnutils; skipped (77) otherwise.
#
# usage: test_p2psipd_nat_lab.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
here=$(dirname "$0")
. "$here/p2psipd_test_lib.sh"
. "$here/nat_lab.sh"

lab_require
for tool in turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || skip "$tool is missing (Debian coturn)"
done
make_work nat-lab
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
routers=(cone restricted symmetric firewall)
lab_routers 20 cone=full-cone restricted=restricted symmetric=symmetric firewall=udp-blocked
lab_router hidden full-cone 24 11.2.24
lab_private behind-hidden hidden 2
echo "lab: 2 public hosts, routers ${routers[*]} hidden, a host behind each"

# Daemons 0 and 1 on the public hosts, relays on; 2.. behind the routers.
overlay_port=6084
cfg_overlay_extra="  no-ice: false"
node_host=(pub1 pub2)
for r in "${routers[@]}" hidden; do node_host+=("behind-$r"); done
hidden_node=$((${#node_host[@]} - 1))
for i in "${!node_host[@]}"; do
  host=${node_host[$i]}
  node_prefix[$i]=${lab_prefix[$host]}
  cfg_listen_address=${lab_address[$host]}
  cfg_listen_port=$overlay_port
  cfg_bootstrap=""
  ((i > 0)) && cfg_bootstrap="${lab_address[pub1]}:$overlay_port"
  cfg_extra=""
  ((i < 2 || i == hidden_node)) && cfg_extra="relay:
  mode: auto
  port: 3478
  tls-port: 5349"
  write_config "$i"
  launch_node "$i"
  ((i == 0)) && { eventually 15 joined 0 || fail "node 0 did not start an overlay"; }
done
eventually 30 all_joined "${!node_host[@]}" || fail "not every daemon joined"
echo "${#node_host[@]} daemons joined, $((${#node_host[@]} - 2)) of them behind a router"
for i in 0 1; do
  [ "$(ctl "$i" status | json_field 'r["relay"]["running"]')" = True ] ||
    fail "node $i's relay is off: $(ctl "$i" status | json_field 'r["relay"]')"
done
hidden_off() {
  [ "$(ctl "$hidden_node" status | json_field 'r["relay"]["running"]')" = False ]
}
eventually 20 hidden_off || fail "the relay behind the hidden NAT still runs"
why=$(ctl "$hidden_node" status | json_field 'r["relay"]["why"]')
[[ "$why" == *"sees this node at ${lab_address[hidden]}"*"behind a NAT"* ]] ||
  fail "the hidden node's relay is off for another reason: $why"
echo "relay auto behind a NAT with a public-looking address: off ($why)"
public_relays="${lab_address[pub1]}:3478 ${lab_address[pub2]}:3478"
finds_public_relays() { found=$(relays_seen_by 4); [ "$found" = "$public_relays" ]; }
eventually 30 finds_public_relays || fail "the node behind the symmetric NAT found '$found', not '$public_relays'"
echo "relay auto on the public hosts: both relays run and are found ($found)"

stun1="${lab_address[pub1]}:3478"
stun2="${lab_address[pub2]}:3478"
probe() {  # probe HOST MODE ARGS...: stun_probe.py in HOST's namespace
  local host=$1
  shift
  ${lab_prefix[$host]} python3 "$here/stun_probe.py" "$@"
}
mapped_of() { sed -n "s/^$1 //p" <<<"$2"; }

for r in "${routers[@]}"; do
  out=$(probe "behind-$r" udp "$stun1" "$stun2")
  first=$(mapped_of "$stun1" "$out")
  second=$(mapped_of "$stun2" "$out")
  echo "behind $r (${lab_router_type[$r]}): mapped $first and $second"
  case ${lab_router_type[$r]} in
    udp-blocked)
      [ "$first" = none ] && [ "$second" = none ] || fail "UDP crossed the firewall: $out"
      out=$(probe "behind-$r" tcp "$stun1")
      [ "$(mapped_of "$stun1" "$out")" = "${lab_address[$r]}:${out##*:}" ] ||
        fail "STUN over TCP from behind the firewall: $out"
      echo "behind $r: STUN over TCP mapped $(mapped_of "$stun1" "$out")"
      ;;
    symmetric)
      [ "${first%:*}" = "${lab_address[$r]}" ] && [ "${second%:*}" = "${lab_address[$r]}" ] ||
        fail "not mapped to the router's address: $out"
      [ "${first#*:}" != "${second#*:}" ] || fail "the symmetric NAT kept one mapping: $out"
      ;;
    *)
      [ "${first%:*}" = "${lab_address[$r]}" ] || fail "not mapped to the router's address: $out"
      [ "$first" = "$second" ] || fail "the ${lab_router_type[$r]} NAT made two mappings: $out"
      ;;
  esac
done

# The daemons' own verdicts (node.status ice.mapping), from their STUN port
# to two linked peers; agents behind an endpoint-independent mapping gather
# no relayed candidate (nat/ice_transport.hpp).
expected_mapping() {
  case ${lab_router_type[$1]} in
    udp-blocked) echo unknown ;;
    symmetric) echo endpoint-dependent ;;
    *) echo endpoint-independent ;;
  esac
}
mapping_is() {  # mapping_is NODE VERDICT
  seen=$(ctl "$1" status | json_field 'r["ice"]["mapping"]')
  [ "$seen" = "$2" ]
}
for k in "${!routers[@]}"; do
  r=${routers[$k]}
  i=$((k + 2))
  want=$(expected_mapping "$r")
  eventually 20 mapping_is "$i" "$want" || fail "behind $r the daemon's mapping verdict is $seen, not $want"
  echo "behind $r: the daemon finds its mapping $want"
done

# Filtering: pub2's host writes to the mapping made towards pub1.
unsolicited_after() {  # unsolicited_after ROUTER: what the listener behind it reported
  local r=$1 log="$work/listen-$1.log" mapped _
  probe "behind-$r" listen "$stun1" 4 >"$log" 2>&1 &
  for _ in $(seq 20); do
    mapped=$(mapped_of "$stun1" "$(cat "$log")")
    [ -n "$mapped" ] && break
    sleep 0.1
  done
  [ -n "$mapped" ] && [ "$mapped" != none ] || fail "no mapping behind $r: $(cat "$log")"
  ${lab_prefix[pub2]} python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3): s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))' "${mapped%:*}" "${mapped#*:}"
  wait $!
  sed -n 's/^unsolicited //p' "$log"
}
got=$(unsolicited_after cone)
[ "${got%:*}" = "${lab_address[pub2]}" ] || fail "the full cone did not let pub2's datagram in: $got"
got=$(unsolicited_after restricted)
[ "$got" = none ] || fail "the port-restricted NAT let in a datagram from $got"
echo "filtering: the full cone lets a stranger in, the restricted NAT does not"

# TURN through the NATs, to an echo peer on pub2's host.
credentials=$(ctl 0 relay.credentials id=lab ttl=600) || fail "relay.credentials failed"
user=$(json_field 'r["username"]' <<<"$credentials")
pass=$(json_field 'r["password"]' <<<"$credentials")
relay_host=${lab_address[pub1]}
echo_peer_host=${lab_address[pub2]}
start_echo_peer ${lab_prefix[pub2]}
uclient_prefix=${lab_prefix[behind-symmetric]}
uclient "udp from behind the symmetric NAT" 3478 -c
uclient_prefix=${lab_prefix[behind-firewall]}
uclient "tcp from behind the UDP-blocking firewall" 3478 -t -c
uclient "tls from behind the UDP-blocking firewall" 5349 -t -S -c
echo "PASS"
