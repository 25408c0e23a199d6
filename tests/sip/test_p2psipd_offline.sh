#!/bin/bash
# Offline messages (issue 19, the SIP-INBOX Kind): three real p2psipd on
# loopback, the inbox limited to 4 messages of 600 bytes (overlay.kinds).
# bob has no contact anywhere: SIPp on daemon A sends him 4 MESSAGEs, each
# answered 202 Accepted (and storage.stored events name the Kind); a 5th gets 480 Inbox Full and one with an
# oversize body 513, and the 4 kept are not lost. bob's home daemon B and
# the sender's daemon A restart; bob registers on B (an app, p2psipctl
# messages) and gets the 4 in sent order, once. After B restarts again and
# bob registers again nothing is delivered twice. carol, a SIPp phone on C,
# registers and gets the MESSAGE kept for her.
# (A is node 2, B node 1 and C node 0, the bootstrap node, which stays up.)
#
# usage: test_p2psipd_offline.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work offline

DOMAIN=p2psip.test
BOB=sip:bob@$DOMAIN
cfg_overlay_extra="  kinds:
    - id: SIP-INBOX
      data-model: DICTIONARY
      access-control: INBOX
      max-count: 4
      max-size: 600"

start_sip_ring 3
# A (the sender's daemon) is node 2, B (bob's home) node 1, C node 0, the
# bootstrap node of the others, which stays up.
SIP_A=127.0.0.1:$(sip_port 2)
SIP_C=127.0.0.1:$(sip_port 0)
echo "# ring of 3 joined; A's SIP front $SIP_A"

send() {  # send NAME RURI CODE BODY WHAT
  message_xml "$work/$1.xml" "$2" "$3" "$4"
  if run_sipp "$1" "$SIP_A" -sf "$work/$1.xml" -m 1; then ok "$5"; else bad "$5 (see $work/$1.*)"; fi
}
# The storing nodes publish storage.stored for each Store they take.
for i in 0 1 2; do
  "$P2PSIPCTL" --socket "${sockets[$i]}" --json events topics=storage.stored >"$work/events$i.out" 2>&1 &
  helper_pids+=("$!")
done
inbox_stores() {  # storage.stored events of the SIP-INBOX Kind, over the three nodes
  cat "$work"/events?.out | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    n += m.get("topic") == "storage.stored" and m.get("kind") == 4026531842
print(n)'
}
sleep 0.5
for n in 1 2 3 4; do
  send "m$n" "$BOB" 202 "offline message $n" "MESSAGE $n to bob, who has no contact → 202 Accepted"
done
four_stored() { [ "$(inbox_stores)" -ge 4 ]; }
eventually 5 four_stored && ok "storage.stored events name the SIP-INBOX Kind" ||
  bad "storage.stored events: $(cat "$work"/events?.out)"
send full "$BOB" 480 "one too many" "a 5th MESSAGE → 480 (inbox full)"
grep -q "Inbox Full" "$work/full.msg" && ok "480 says Inbox Full" || bad "480 phrase: $(grep -m1 'SIP/2.0 480' "$work/full.msg")"
big=$(python3 -c 'print("x" * 700)')
send big "$BOB" 513 "$big" "a MESSAGE larger than an inbox entry → 513"

# --- restarts: bob's home daemon B and the sender's daemon A ------------------------------
# Each restart waits until the replicas are back (three copies of each
# value), as an operator would before restarting the next box.
total_values 0 1 2 || fail "no storage_values"
before=$total
for i in 1 2; do
  kill -TERM "${pids[$i]}"
  eventually 15 exited "${pids[$i]}" || fail "node $i did not stop"
  launch_node "$i"
  eventually 60 all_joined 0 1 2 || fail "not every daemon joined again"
  eventually 30 ring_consistent 0 1 2 || fail "the ring is not consistent after restarting node $i"
  eventually 30 copies_are "$before" 0 1 2 || fail "values lost after restarting node $i:$(per_node 0 1 2)"
done
eventually 10 has_sip_port 2 || fail "A printed no SIP port"
SIP_A=127.0.0.1:$(sip_port 2)
ok "A and B restarted and rejoined"

# --- bob registers on B: the 4, in order, once ---------------------------------------------
start_bob() { start_app_on 1 "$BOB" "$1"; }  # bob as an app on B ($LAST_PID)
bodies() { received_bodies "$work/$1.out"; }
got_four() { [ "$(bodies bob1 | wc -l)" -ge 4 ]; }
start_bob bob1
BOB1=$LAST_PID
if eventually 20 got_four; then
  expected=$(printf 'offline message %s\n' 1 2 3 4)
  if [ "$(bodies bob1)" = "$expected" ]; then ok "bob got the 4 offline MESSAGEs in sent order"; else bad "bob got: $(bodies bob1)"; fi
else
  bad "bob got $(bodies bob1 | wc -l) MESSAGE(s): $(cat "$work/bob1.out")"
fi
sleep 2
[ "$(bodies bob1 | wc -l)" = 4 ] && ok "nothing twice" || bad "bob got: $(bodies bob1)"
ledger=$work/n1/state/inbox-delivered
[ "$(wc -l <"$ledger" 2>/dev/null)" = 4 ] && ok "B's ledger lists the 4" || bad "ledger: $(cat "$ledger" 2>&1)"

# --- B restarts again, bob registers again: no redelivery -------------------------------------
kill_tree "$BOB1"
kill -TERM "${pids[1]}"
eventually 15 exited "${pids[1]}" || fail "node 1 did not stop"
launch_node 1
eventually 60 all_joined 0 1 2 || fail "B did not rejoin"
start_bob bob2
bob_registered() { ctl 1 registrations | grep -q "bob@"; }
eventually 10 bob_registered || bad "bob did not register again: $(cat "$work/bob2.out")"
sleep 4
[ "$(bodies bob2 | wc -l)" = 0 ] && ok "after B's restart bob registers again and gets nothing twice" ||
  bad "redelivered: $(bodies bob2)"

# --- carol, a phone on C, gets what waited for her --------------------------------------------
send carol "sip:carol@$DOMAIN" 202 "hello through the proxy" "MESSAGE to carol, who has no contact → 202"
CAROL=$(free_port)
timeout 30 sipp -i 127.0.0.1 -nostdin -timeout 25s -timeout_error -sf "$SCEN/uas_message.xml" \
  -p "$CAROL" -m 1 >"$work/uas-carol.out" 2>&1 &
UAS=$!
helper_pids+=("$UAS")
sleep 0.3
run_sipp reg-carol "$SIP_C" -sf "$SCEN/register.xml" -s carol -key uas_port "$CAROL" -m 1 ||
  bad "REGISTER carol on C"
wait "$UAS" && ok "carol's phone got the offline MESSAGE on registering" ||
  bad "carol's UAS: $(tail -5 "$work/uas-carol.out")"
finish 0 1 2
