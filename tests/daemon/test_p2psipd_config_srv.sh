#!/bin/bash
# RFC 6940 §11.2's DNS SRV step, against a real DNS server: dnsmasq and
# `p2psip-ca serve` in one network namespace, the DNS server publishing
# _reload-config._tcp.NAME SRV → ca.NAME:8443 (and its A record). Two boxes,
# each with /etc/netns/NS/resolv.conf pointing at it, start with only the
# overlay name and a token: they find the configuration server by SRV,
# fetch the document (the certificate checked against the overlay name),
# enroll and form one ring. A third box whose DNS server does not answer
# reports the SRV lookup it tried, keeps retrying, and joins once given an
# explicit configuration URL (no DNS needed). Needs root and dnsmasq;
# skipped (77) otherwise.
#
# usage: test_p2psipd_config_srv.sh P2PSIPD P2PSIPCTL P2PSIP_CA
set -u
P2PSIPD=$1
P2PSIPCTL=$2
P2PSIP_CA=$3
OVERLAY=srv.test.example
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || skip "no dnsmasq (Debian's dnsmasq-base)"
make_work config_srv
bridge_namespaces 4   # 0: the CA box and its DNS server, 1-3: boxes
ca_ns=${node_prefix[0]}
ca_ip=$subnet.1
overlay_port=$(free_port)
# ip netns exec bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf.
netns_etc=()
for i in 1 2 3; do netns_etc+=("/etc/netns/${namespaces[$((i + 1))]}"); done
extra_cleanup='delete_namespaces; rm -rf "${netns_etc[@]}"'
resolver() {  # resolver I SERVER: box I's namespace asks SERVER, 1 s, once
  mkdir -p "${netns_etc[$(($1 - 1))]}"
  printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$2" >"${netns_etc[$(($1 - 1))]}/resolv.conf"
}
resolver 1 "$ca_ip"
resolver 2 "$ca_ip"
resolver 3 "$subnet.99"   # nobody there

# --- the CA box: dnsmasq and p2psip-ca ---------------------------------------
$ca_ns "$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --no-poll --conf-file=/dev/null \
  --user=root --pid-file= --bind-interfaces --listen-address="$ca_ip" --port=53 \
  --srv-host="_reload-config._tcp.$OVERLAY,ca.$OVERLAY,8443,0,0" \
  --host-record="ca.$OVERLAY,$ca_ip" --log-queries --log-facility="$work/dns.log" \
  2>"$work/dnsmasq.err" &
helper_pids+=("$!")
eventually 10 grep -qs "started" "$work/dns.log" || fail "dnsmasq did not start: $(cat "$work/dnsmasq.err")"

ca_dir=$work/ca
init_ca "$ca_dir" "$subnet.2:$overlay_port"
for i in 1 2 3; do
  tokens[$i]=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box$i@$OVERLAY") || fail "p2psip-ca token"
done
$ca_ns "$P2PSIP_CA" serve --dir "$ca_dir" --listen "$ca_ip:8443" --url "https://$ca_ip:8443" \
  >"$work/ca.out" 2>"$work/ca.log" &
helper_pids+=("$!")
eventually 10 grep -q "listening on" "$work/ca.out" || fail "the CA did not start: $(cat "$work/ca.log")"

# --- boxes: the overlay name and a token, no URL ------------------------------
start_box() {  # start_box I [p2psipd arguments...]
  start_office_box "$1" "$subnet.$(($1 + 1))" "$overlay_port" nosip --token "${tokens[$1]}" "${@:2}"
}

# Box 3 has no DNS: the error names the lookup, and the box keeps trying.
start_box 3
eventually 15 grep -q "DNS SRV lookup of _reload-config._tcp.$OVERLAY failed" "$work/n3/log" ||
  fail "box 3 did not name the SRV lookup it tried: $(tail -n 3 "$work/n3/log")"
exited "${pids[3]}" && fail "box 3 gave up without DNS"
echo "without DNS: $(grep -m1 "DNS SRV lookup" "$work/n3/log" | cut -c1-200)"
[ -e "$work/n3/state/overlay.xml" ] && fail "box 3 saved a document it never fetched"

started=$SECONDS
start_box 1
start_box 2
eventually 60 all_joined 1 2 || fail "the boxes given only the overlay name did not join"
eventually 60 ring_consistent 1 2 || fail "boxes 1 and 2 are not one ring"
echo "two boxes found the configuration server by DNS SRV, enrolled and joined in $((SECONDS - started)) s"
grep -q "query\[SRV\] _reload-config._tcp.$OVERLAY from $subnet.2" "$work/dns.log" ||
  fail "box 1 did not ask for the SRV record"
grep -q "query\[SRV\] _reload-config._tcp.$OVERLAY from $subnet.3" "$work/dns.log" ||
  fail "box 2 did not ask for the SRV record"
for i in 1 2; do
  grep -q "<configuration instance-name=\"$OVERLAY\"" "$work/n$i/state/overlay.xml" ||
    fail "box $i: no saved document"
  grep -q "configuration of $OVERLAY sequence [0-9]* fetched and verified" "$work/n$i/log" ||
    fail "box $i: the fetch is not logged"
done

# An explicit URL works without DNS: box 3 again, given the URL.
stop_node 3 TERM
start_box 3 --config-url "https://$ca_ip:8443/.well-known/reload-config"
eventually 60 all_joined 1 2 3 || fail "box 3 did not join with an explicit URL: $(tail -n 3 "$work/n3/log")"
eventually 60 ring_consistent 1 2 3 || fail "the three boxes are not one ring"
grep -q "from $subnet.4" "$work/dns.log" && fail "box 3's queries reached the DNS server"
echo "box 3, without DNS, joined with an explicit configuration URL"
echo "PASS"
