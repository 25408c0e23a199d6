#!/bin/bash
# SIP across NATs (issue 16, scenario 5), in the NAT lab (nat_lab.sh) with
# full ICE: two public daemons with relays (pub1 the bootstrap node), a box
# behind a symmetric NAT (sa) and one behind a port-restricted NAT (ra), each
# with its SIP front on loopback. A SIPp UAS on sa's box registers alice there;
# a SIPp UAC on ra's box calls her: INVITE → 180/200 → ACK → BYE 200 crosses
# both NATs over the SIP channel (AppAttach with ICE, TLS over PseudoTCP).
# Then MESSAGE both ways: ra's daemon to alice behind sa, and sa's daemon to
# bob, registered behind ra. The daemons log the ICE stream's pair; neither
# box can be dialled from outside, so only ICE gets SIP through. Needs root,
# ip(8), iptables and sipp; skipped (77) otherwise.
#
# usage: test_p2psipd_nat_sip.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../daemon/p2psipd_test_lib.sh"
. "$here/../daemon/nat_lab.sh"
. "$here/p2psipd_sip_lib.sh"

lab_require
make_sip_work nat-sip
lab_public_looking
lab_init
lab_public pub1 10
lab_public pub2 11
lab_routers 21 sa=symmetric ra=restricted
hosts=(pub1 pub2 behind-sa behind-ra)
SA=2
RA=3
DOMAIN=p2psip.test
for i in "${!hosts[@]}"; do
  lab_ice_daemon "$i" "${hosts[$i]}" $((i < 2))
  enable_sip "$i"
done
lab_start_public_pair
for i in $SA $RA; do
  launch_node "$i"
  eventually 30 joined "$i" || fail "${hosts[$i]} did not join"
done
for i in "${!hosts[@]}"; do
  eventually 10 has_sip_port "$i" || fail "${hosts[$i]} printed no SIP port"
done
echo "# 4 daemons joined: 2 public, behind a symmetric NAT (sa) and a restricted one (ra)"

# register NODE USER PORT: USER@DOMAIN registered at NODE with a contact on PORT.
register() {
  sipp_in "$1" "reg-$2" 20 "127.0.0.1:$(sip_port "$1")" -sf "$SCEN/register.xml" -s "$2" \
    -key uas_port "$3" -m 1 || fail "REGISTER $2 at ${hosts[$1]} failed: $(tail -n 3 "$work/reg-$2.out")"
  eventually 30 published "sip:$2@$DOMAIN" "$1" || fail "$2 is not stored in the overlay"
}
# uas NODE NAME PORT SCENARIO USER: a SIPp UAS in NODE's box, in the background.
uas() {
  sipp_in "$1" "$2" 45 -p "$3" -sf "$SCEN/$4" -s "$5" -m 1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
  sleep 0.3
}

ALICE=$(free_port)
BOB=$(free_port)
register $SA alice "$ALICE"
register $RA bob "$BOB"
eventually 30 found_at "sip:alice@$DOMAIN" $RA "$(node_id_of $SA)" ||
  fail "ra's lookup of alice does not name sa's daemon"
ok "alice registered behind the symmetric NAT, bob behind the restricted one"

# --- a call from behind ra to alice behind sa ------------------------------------------
uas $SA uas-call "$ALICE" uas_call.xml alice
UAS=$LAST_PID
started=$(date +%s%N)
check "INVITE from behind ra → 180/200 → ACK → BYE 200 (behind sa)" \
  sipp_in $RA call 30 "127.0.0.1:$(sip_port $RA)" -sf "$SCEN/uac_call.xml" -s alice -m 1
echo "# the call took $((($(date +%s%N) - started) / 1000000)) ms (first contact included)"
check "alice's UAS saw INVITE, ACK and BYE" wait "$UAS"

# --- MESSAGE both ways ---------------------------------------------------------------------
message_from() {  # message_from NODE TO: sip.message on NODE's control socket, its status
  ctl "$1" message "from=sip:ops@$DOMAIN" "to=$2" "body=hello through the proxy" 2>&1 |
    json_field 'r["status"]' 2>&1
}
uas $SA uas-msg-a "$ALICE" uas_message.xml alice
UAS=$LAST_PID
status=$(message_from $RA "sip:alice@$DOMAIN")
[ "$status" = 200 ] && ok "MESSAGE from ra's daemon to alice behind sa → 200" ||
  bad "MESSAGE to alice: $status"
check "alice's UAS got the MESSAGE" wait "$UAS"
uas $RA uas-msg-b "$BOB" uas_message.xml bob
UAS=$LAST_PID
status=$(message_from $SA "sip:bob@$DOMAIN")
[ "$status" = 200 ] && ok "MESSAGE from sa's daemon to bob behind ra → 200" ||
  bad "MESSAGE to bob: $status"
check "bob's UAS got the MESSAGE" wait "$UAS"

# --- the path the SIP channel took ------------------------------------------------------------
pairs=$(grep -h "sip: ICE stream with" "$work/n$SA/log" "$work/n$RA/log" | sed 's/.*: //' | sort -u)
echo "# SIP channel pairs seen: $(echo "$pairs" | tr '\n' ';')"
[ -n "$pairs" ] && ok "the SIP channel ran over ICE streams" || bad "no ICE stream for SIP logged"
for i in "${!hosts[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || bad "${hosts[$i]} died"; done
finish $SA $RA
