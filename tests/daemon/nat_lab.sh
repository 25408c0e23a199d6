# The NAT lab, sourced after p2psipd_test_lib.sh (and make_work): network
# namespaces only, nothing on the host's own networks.
#
#   "public" bridge  $lab_public_subnet.0/24 (203.0.113, TEST-NET-3, unless
#                    set), in a namespace of its own
#     public hosts   <public>.<index>
#     routers        <public>.<index> outside, 192.168.<index>.1 inside (or
#                    another prefix), each with a bridge of its own inside
#       private hosts  <inside>.<index>, default route via the router
#
# Router types (iptables in the router's namespace; each drops unsolicited
# packets addressed to itself, as home routers do):
#   full-cone   endpoint-independent mapping and filtering: SNAT to the
#               public address (source ports kept) and every inbound UDP
#               DNATed to the router's first private host
#   restricted  port-restricted cone: MASQUERADE (conntrack lets in only
#               replies from where a mapping was made to)
#   symmetric   MASQUERADE --random-fully: a new mapping per destination
#   udp-blocked MASQUERADE, and a firewall dropping all forwarded UDP
#
# The addresses are fixed: each namespace is isolated, so parallel labs
# never meet. lab_prefix[NAME] runs a command in NAME's namespace and
# lab_address[NAME] is its address; every namespace is deleted at exit.
#
# Needs root, ip(8) and iptables; lab_require skips (77) otherwise.

declare -A lab_prefix lab_address lab_router_type lab_router_inside lab_first_host
# Set before lab_init for another public prefix (one that looks public).
lab_public_subnet=${lab_public_subnet:-203.0.113}

lab_require() {
  require_namespaces
  command -v iptables >/dev/null || skip "no iptables (Debian iptables)"
}

lab_ns() { echo "p2plab$$-$1"; }  # lab_ns NAME: the namespace's name

# Before lab_init: public-looking addresses, since relay.mode auto refuses
# private and documentation ones; the namespaces reach nothing outside
# themselves.
lab_public_looking() { lab_public_subnet=11.1.1; }

# lab_init: the public bridge.
lab_init() {
  lab_bridge_ns=$(lab_ns pub)
  namespaces+=("$lab_bridge_ns")
  extra_cleanup=delete_namespaces
  ip netns add "$lab_bridge_ns" || fail "cannot create $lab_bridge_ns"
  ip -n "$lab_bridge_ns" link add br0 type bridge || fail "cannot create the public bridge"
  ip -n "$lab_bridge_ns" link set br0 up
  lab_links=0
}

# lab_plug NS BRIDGE_NS BRIDGE IFNAME ADDRESS/PREFIX: a veth from NS's
# IFNAME to BRIDGE in BRIDGE_NS.
lab_plug() {
  local ns=$1 bridge_ns=$2 bridge=$3 ifname=$4 address=$5
  lab_links=$((lab_links + 1))
  local inside="p2lv$$-$lab_links" outside="p2lb$$-$lab_links"
  ip link add "$inside" type veth peer name "$outside" || fail "cannot create a veth pair"
  ip link set "$inside" netns "$ns" name "$ifname"
  ip link set "$outside" netns "$bridge_ns"
  ip -n "$bridge_ns" link set "$outside" master "$bridge" up
  ip -n "$ns" addr add "$address" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
}

lab_new_ns() {  # lab_new_ns NAME: the namespace, with lo up
  local ns
  ns=$(lab_ns "$1")
  namespaces+=("$ns")
  ip netns add "$ns" || fail "cannot create $ns"
  ip -n "$ns" link set lo up
  lab_prefix[$1]="ip netns exec $ns"
}

# lab_public NAME INDEX: a host on the public bridge at <public>.INDEX.
lab_public() {
  local name=$1 index=$2
  lab_new_ns "$name"
  lab_plug "$(lab_ns "$name")" "$lab_bridge_ns" br0 eth0 "$lab_public_subnet.$index/24"
  lab_address[$name]="$lab_public_subnet.$index"
}

# lab_router NAME TYPE INDEX [INSIDE]: a NAT (or firewall) of TYPE between
# the public bridge (<public>.INDEX) and INSIDE.0/24 (192.168.INDEX unless
# given: a public-looking prefix makes a host that only its reflexive
# address shows to be behind a NAT).
lab_router() {
  local name=$1 type=$2 index=$3 inside=${4:-192.168.$3} ns public
  lab_new_ns "$name"
  ns=$(lab_ns "$name")
  public="$lab_public_subnet.$index"
  lab_plug "$ns" "$lab_bridge_ns" br0 eth0 "$public/24"
  ip -n "$ns" link add br1 type bridge || fail "cannot create $name's private bridge"
  ip -n "$ns" addr add "$inside.1/24" dev br1
  ip -n "$ns" link set br1 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  local nat="ip netns exec $ns iptables"
  case $type in
    full-cone) $nat -t nat -A POSTROUTING -o eth0 -j SNAT --to-source "$public" ;;
    restricted) $nat -t nat -A POSTROUTING -o eth0 -j MASQUERADE ;;
    symmetric) $nat -t nat -A POSTROUTING -o eth0 -j MASQUERADE --random-fully ;;
    udp-blocked)
      $nat -t nat -A POSTROUTING -o eth0 -j MASQUERADE
      $nat -A FORWARD -p udp -j DROP
      ;;
    *) fail "unknown router type $type" ;;
  esac
  [ $? -eq 0 ] || fail "iptables refused $name's $type rules"
  # Like a home router's firewall: unsolicited packets for the router itself
  # are dropped before their conntrack entry is confirmed. Left to the stack,
  # such an entry (a hole-punching check that arrives first) holds the
  # mapped port, and the host's own packets then leave from another one.
  $nat -A INPUT -i eth0 -m conntrack --ctstate NEW,INVALID -j DROP ||
    fail "iptables refused $name's input rule"
  lab_address[$name]=$public
  lab_router_type[$name]=$type
  lab_router_inside[$name]=$inside
}

# lab_private NAME ROUTER INDEX: a host behind ROUTER at <inside>.INDEX.
lab_private() {
  local name=$1 router=$2 index=$3 ns
  local subnet=${lab_router_inside[$router]}
  lab_new_ns "$name"
  ns=$(lab_ns "$name")
  lab_plug "$ns" "$(lab_ns "$router")" br1 eth0 "$subnet.$index/24"
  ip -n "$ns" route add default via "$subnet.1" || fail "no default route for $name"
  lab_address[$name]="$subnet.$index"
  # A full cone sends every inbound datagram to its (first) host.
  if [ "${lab_router_type[$router]}" = full-cone ] && [ -z "${lab_first_host[$router]:-}" ]; then
    lab_first_host[$router]=$name
    ip netns exec "$(lab_ns "$router")" iptables -t nat -A PREROUTING -i eth0 -p udp \
      -j DNAT --to-destination "$subnet.$index" || fail "iptables refused $router's DNAT"
  fi
}

# lab_routers FIRST_INDEX NAME=TYPE...: a router NAME of each TYPE (as
# lab_router takes it) at consecutive indexes, and the host behind-NAME
# behind each.
lab_routers() {
  local index=$1 spec
  shift
  for spec in "$@"; do
    lab_router "${spec%%=*}" "${spec#*=}" "$index"
    lab_private "behind-${spec%%=*}" "${spec%%=*}" 2
    index=$((index + 1))
  done
}

# lab_ice_daemon NODE HOST RELAY: daemon NODE's config (write_config) for
# HOST: full ICE, overlay port 6084, pub1's daemon the bootstrap node unless
# NODE is 0, and relay.mode auto when RELAY is 1.
lab_ice_daemon() {
  local i=$1 host=$2 relay=$3
  node_prefix[$i]=${lab_prefix[$host]}
  cfg_listen_address=${lab_address[$host]}
  cfg_listen_port=6084
  cfg_bootstrap=""
  ((i > 0)) && cfg_bootstrap="${lab_address[pub1]}:6084"
  cfg_overlay_extra="  no-ice: false"
  cfg_extra=""
  ((relay)) && cfg_extra="relay:
  mode: auto"
  write_config "$i"
}

# lab_start_public_pair: nodes 0 (pub1, the bootstrap node) and 1 (pub2)
# joined, and pub2 finding a relay, before any NATed daemon starts.
lab_start_public_pair() {
  launch_node 0
  eventually 15 joined 0 || fail "pub1 did not start an overlay"
  launch_node 1
  eventually 15 joined 1 || fail "pub2 did not join"
  eventually 20 eval '[ -n "$(relays_seen_by 1)" ]' || fail "no relay found from pub2"
}
