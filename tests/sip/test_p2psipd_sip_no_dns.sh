#!/bin/bash
# One p2psipd in a network namespace with loopback only: no route to any
# nameserver, as on an isolated Wi-Fi. Requests whose next hop is a host
# name (an in-dialog MESSAGE along a Route, an in-dialog BYE) get a final
# answer within a second, OPTIONS to the front is still answered with 200
# within a second, and the daemon does not spin (under half a CPU second
# over the two seconds after). Needs root and `ip netns`; skipped (77)
# otherwise.
#
# usage: test_p2psipd_sip_no_dns.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip(8)"
ns="p2pnodns$$"
ip netns add "$ns" 2>/dev/null || skip "cannot create network namespaces here"
delete_namespace() { ip netns delete "$ns" 2>/dev/null; }
extra_cleanup=delete_namespace
make_sip_work sip-no-dns
ip -n "$ns" link set lo up
ip -n "$ns" route show | grep -q default && fail "namespace $ns has a default route"

node_prefix[0]="ip netns exec $ns"
start_sip_node 0
eventually 10 has_sip_port 0 || fail "the daemon printed no SIP port"
pid=${pids[0]}
SIP_PORT=$(sip_port 0)
echo "# p2psipd $pid in $ns (loopback only), SIP front on 127.0.0.1:$SIP_PORT"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

check "host-name next hops answered, then OPTIONS → 200, each within 1 s" \
  ip netns exec "$ns" timeout 10 python3 "$HERE/next_hop_probe.py" 127.0.0.1 "$SIP_PORT"
before=$(cpu_ticks)
sleep 2
spent=$(($(cpu_ticks) - before))
hz=$(getconf CLK_TCK)
echo "# CPU over the 2 s after: $spent ticks (CLK_TCK $hz)"
check "the daemon does not spin (< $((hz / 2)) ticks in 2 s)" [ "$spent" -lt $((hz / 2)) ]
check "the daemon still runs" kill -0 "$pid"
finish 0
