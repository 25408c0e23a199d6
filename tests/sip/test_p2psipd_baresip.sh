#!/bin/bash
# A real softphone across the overlay: three p2psipd on loopback, baresip
# "alice" registered on daemon A and baresip "bob" on daemon C, each using
# its daemon's SIP front as outbound proxy; bob also speaks RFC 5626
# outbound (+sip.instance, reg-id) and RFC 5627 GRUU, so his Contact in the
# dialog is his public GRUU, which C resolves for alice's ACK and BYE. Both
# register (p2psipctl registrations on each daemon, REGISTER_OK in baresip);
# alice dials bob's AOR through ctrl_tcp, bob auto-answers, both see
# CALL_ESTABLISHED and both daemons list the confirmed dialog; alice hangs
# up, both see CALL_CLOSED and the dialogs are gone; then alice sends bob a
# MESSAGE that his baresip shows; an app on daemon B (p2psipctl messages,
# no softphone) owns sip:app@ and its sip.message shows in bob's baresip too.
# Media stays on loopback (ausine source,
# aubridge player: no sound device).
#
# usage: test_p2psipd_baresip.sh P2PSIPD P2PSIPCTL
# Exits 77 without baresip. Every process is killed by the trap; every wait
# is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
. "$HERE/baresip_lib.sh"
make_sip_work baresip

# --- three daemons, alice on A, bob on C --------------------------------------------
start_sip_ring 3
NODE_A=$(node_id_of 0)
NODE_C=$(node_id_of 2)
echo "# ring of 3 joined; SIP fronts A=$(sip_port 0) C=$(sip_port 2)"

start_phone alice bob "$(sip_port 0)"
start_phone bob alice "$(sip_port 2)" ";sipnat=outbound"
register_phone alice
register_phone bob

check "alice's baresip: REGISTER_OK through A" saw alice REGISTER_OK
check "bob's baresip: REGISTER_OK through C" saw bob REGISTER_OK
check "p2psipctl registrations on A: alice, stored in the overlay" eventually 20 published "sip:alice@$DOMAIN" 0
check "p2psipctl registrations on C: bob, stored in the overlay" eventually 20 published "sip:bob@$DOMAIN" 2
registered_only() {  # registered_only NODE AOR: the node's only registration
  [ "$(ctl "$1" registrations | json_field '[g["aor"] for g in r["registrations"]]')" = "['$2']" ]
}
check "A holds alice's binding only" registered_only 0 "sip:alice@$DOMAIN"
check "C holds bob's binding only" registered_only 2 "sip:bob@$DOMAIN"
bob_has_gruu() {  # bob's one binding at C carries his instance and a GRUU
  ctl 2 registrations | json_field \
    '[(c["instance"] != "", c["gruu"].startswith("sip:bob@'$DOMAIN';gr=")) for g in r["registrations"] for c in g["contacts"]]' |
    grep -qx "\[(True, True)\]"
}
check "bob's binding at C has his +sip.instance and a public GRUU" bob_has_gruu
check "lookup of bob on A names C" eventually 20 found_at "sip:bob@$DOMAIN" 0 "$NODE_C"
check "lookup of alice on C names A" eventually 20 found_at "sip:alice@$DOMAIN" 2 "$NODE_A"
shows() {  # shows USER COMMAND PATTERN: the command's answer matches
  phone "$1" "$2" | grep -q "$3"
}
check "alice's reginfo: registered" shows alice reginfo "sip:alice@$DOMAIN.*OK"

# --- a call from alice to bob, through A, the overlay and C ------------------------------
mark_alice=$(event_count alice)
mark_bob=$(event_count bob)
if phone alice dial "sip:bob@$DOMAIN" >/dev/null; then ok "alice dials bob"; else bad "dial refused"; fi
check "bob's baresip: incoming call, answered (CALL_ESTABLISHED)" \
  saw bob CALL_ESTABLISHED direction=incoming --after "$mark_bob"
check "alice's baresip: CALL_ESTABLISHED" saw alice CALL_ESTABLISHED direction=outgoing \
  "peeruri=sip:bob@$DOMAIN" --after "$mark_alice"
confirmed_call() {  # confirmed_call NODE: one confirmed dialog alice → bob
  ctl "$1" calls | json_field \
    '[(d["state"], d["from"], d["to"]) for d in r["dialogs"]]' 2>/dev/null |
    grep -qF "[('confirmed', 'sip:alice@$DOMAIN', 'sip:bob@$DOMAIN')]"
}
check "p2psipctl calls on A: the confirmed dialog" eventually 5 confirmed_call 0
check "p2psipctl calls on C: the confirmed dialog" eventually 5 confirmed_call 2
check "alice's listcalls shows bob" shows alice listcalls "sip:bob@$DOMAIN"

mark_alice=$(event_count alice)
mark_bob=$(event_count bob)
if phone alice hangup >/dev/null; then ok "alice hangs up"; else bad "hangup refused"; fi
check "alice's baresip: CALL_CLOSED" saw alice CALL_CLOSED --after "$mark_alice"
check "bob's baresip: CALL_CLOSED (the BYE crossed the overlay)" saw bob CALL_CLOSED \
  --after "$mark_bob"
no_dialogs() { [ "$(ctl "$1" calls | json_field 'len(r["dialogs"])' 2>&1)" = 0 ]; }
check "no dialog left on A" eventually 5 no_dialogs 0
check "no dialog left on C" eventually 5 no_dialogs 2

# --- an instant message from alice to bob ---------------------------------------------
TEXT="hello bob, from alice $$"
if phone alice message "$TEXT" >/dev/null; then ok "alice sends a MESSAGE"; else bad "message refused"; fi
check "bob's baresip shows alice's MESSAGE" saw bob CONSOLE "text=sip:alice@$DOMAIN: \"$TEXT\""
alice_error() { grep -qE '\[31m[0-9]{3} ' "$work/alice/out"; }
if alice_error; then bad "alice's MESSAGE was refused: $(grep -E '\[31m[0-9]{3}' "$work/alice/out")"; else ok "no error answer to alice's MESSAGE"; fi

# --- an app on daemon B (no softphone there) owns sip:app@ and messages bob ----------------
"$P2PSIPCTL" --socket "${sockets[1]}" --json messages "aor=sip:app@$DOMAIN" >"$work/app.out" 2>&1 &
helper_pids+=("$!")
check "p2psipctl messages on B: sip:app@ stored in the overlay" eventually 20 published "sip:app@$DOMAIN" 1
APP_TEXT="hello bob, from an app $$"
app_status=$(ctl 1 message "from=sip:app@$DOMAIN" "to=sip:bob@$DOMAIN" "body=$APP_TEXT" |
  json_field 'r["status"]' 2>&1)
[ "$app_status" = 200 ] && ok "the app's sip.message on B → 200" || bad "the app's sip.message: $app_status"
check "bob's baresip shows the app's MESSAGE" saw bob CONSOLE "text=sip:app@$DOMAIN: \"$APP_TEXT\""

for i in 0 1 2; do check "node $i still runs" kill -0 "${pids[$i]}"; done
if [ "$FAILS" -ne 0 ]; then
  for who in alice bob; do
    echo "--- $who: events, then baresip output (tail) ---"
    tail -n 15 "$work/$who/events"
    tail -n 25 "$work/$who/out"
  done
fi
finish 0 2
