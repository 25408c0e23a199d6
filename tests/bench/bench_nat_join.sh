#!/bin/bash
# Join time behind each NAT type (PRODUCT.md's bar: ≤ 2 s behind any NAT or
# a UDP-blocking firewall), full ICE, in the NAT lab of the tests
# (tests/daemon/nat_lab.sh: network namespaces, iptables routers). Two
# public daemons with relays (relay.mode auto; pub1 is the bootstrap node)
# and, behind a full-cone NAT, a port-restricted NAT, a symmetric NAT and a
# UDP-blocking firewall, one host each. Each round starts one daemon behind
# each router in turn, with a fresh identity, and measures from its start to
# `state: joined` through the overlay found (a node that falls back to an
# overlay of its own after 5 s and merges later counts as a fallback, with
# its time to the merge: the ring whole again). A round's daemons stay up
# until its end, so later ones join a bigger ring; all stop before the next
# round. Median and worst per router type, and the fallbacks.
# Every namespace and process is removed on exit; every wait is bounded.
#
# usage: tests/bench/bench_nat_join.sh BUILD_DIR [ROUNDS=5]
#   BUILD_DIR: a build with daemon/p2psipd and tools/p2psipctl/p2psipctl.
# Needs root, ip(8) and iptables; exits 77 otherwise.
set -u
BUILD=$(cd "${1:?usage: bench_nat_join.sh BUILD_DIR [ROUNDS]}" && pwd)
ROUNDS=${2:-5}
P2PSIPD=$BUILD/daemon/p2psipd
P2PSIPCTL=$BUILD/tools/p2psipctl/p2psipctl
here=$(cd "$(dirname "$0")/../daemon" && pwd)
. "$here/p2psipd_test_lib.sh"
. "$here/nat_lab.sh"

lab_require
make_work nat-join-bench
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
routers=(cone restricted symmetric firewall)
lab_routers 20 cone=full-cone restricted=restricted symmetric=symmetric firewall=udp-blocked

configure() {  # configure NODE HOST: its config, a fresh state directory
  rm -rf "$work/n$1"
  lab_ice_daemon "$1" "$2" $(($1 < 2))
}
configure 0 pub1
launch_node 0
eventually 15 joined 0 || fail "pub1 did not start an overlay"
configure 1 pub2
launch_node 1
eventually 15 joined 1 || fail "pub2 did not join"
eventually 30 eval '[ -n "$(relays_seen_by 1)" ]' || fail "no relay published"

declare -A times fallbacks
for ((round = 1; round <= ROUNDS; round++)); do
  for k in "${!routers[@]}"; do
    r=${routers[$k]}
    i=$((k + 2))
    configure "$i" "behind-$r"
    started=$(date +%s%N)
    launch_node "$i"
    eventually 30 joined "$i" || fail "behind $r: no join in round $round"
    ms=$(( ($(date +%s%N) - started) / 1000000 ))
    if grep -q "could not join through the peers found" "$work/n$i/log"; then
      members=(0 1)
      for ((j = 2; j <= i; j++)); do members+=("$j"); done
      eventually 60 ring_consistent "${members[@]}" || fail "behind $r: no merge in round $round"
      ms=$(( ($(date +%s%N) - started) / 1000000 ))
      fallbacks[$r]=$(( ${fallbacks[$r]:-0} + 1 ))
    fi
    times[$r]="${times[$r]:-} $ms"
    echo "round $round behind $r: $ms ms"
  done
  for k in "${!routers[@]}"; do stop_node $((k + 2)) TERM; done
done

echo
echo "| behind | median ms | worst ms | fallbacks (5 s, then a merge) |"
echo "|---|---|---|---|"
for r in "${routers[@]}"; do
  read -r median worst < <(tr ' ' '\n' <<<"${times[$r]}" | sed '/^$/d' | sort -n |
    awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)], v[NR]}')
  echo "| ${lab_router_type[$r]} | $median | $worst | ${fallbacks[$r]:-0} of $ROUNDS |"
done
