#!/bin/bash
# Apps on the control socket own AORs (issue 19): two real p2psipd on
# loopback. `p2psipctl messages` (sip.register, then a stream of
# sip.message.received) makes sip:app@ an AOR of daemon A with no softphone;
# SIPp on daemon B sends MESSAGE to it through the overlay and gets 200,
# and the app sees from, to, content type, body and message id. Two apps on
# one AOR both get it (forking), and so do they and a phone (SIPp)
# registered to the same AOR, until the phone unregisters. The app answers with sip.message to a SIPp
# UAS on B. Its connection closing ends its binding; with none left a
# MESSAGE is kept offline (202) and handed to the next app that registers.
# Bad input (not an AOR, a lease below the minimum, an AOR not owned) gets a
# clear error and changes no binding. sip.presence and its event follow the
# AOR: open while an app holds it, closed after.
#
# usage: test_p2psipd_apps.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work apps

DOMAIN=p2psip.test
APP=sip:app@$DOMAIN

start_sip_ring 2
SIP_A=127.0.0.1:$(sip_port 0)
SIP_B=127.0.0.1:$(sip_port 1)
NODE_A=$(node_id_of 0)
echo "# ring of 2 joined; B's SIP front $SIP_B; A is $NODE_A"

# start_app NAME: `p2psipctl messages aor=$APP` on A in the background ($LAST_PID).
start_app() {
  "$P2PSIPCTL" --socket "${sockets[0]}" --json messages "aor=$APP" >"$work/$1.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
}
# start_message_uas NAME PORT: a SIPp UAS answering one MESSAGE on PORT
# ($LAST_PID), its output in $work/uas-NAME.out.
start_message_uas() {
  timeout 30 sipp -i 127.0.0.1 -nostdin -timeout 25s -timeout_error -sf "$SCEN/uas_message.xml" \
    -p "$2" -m 1 >"$work/uas-$1.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
  sleep 0.3
}
app_contacts() {  # how many contacts sip:app@ has on A
  ctl 0 registrations |
    json_field 'sum(len(g["contacts"]) for g in r["registrations"] if g["aor"] == "'"$APP"'")'
}
contacts_are() { [ "$(app_contacts 2>/dev/null)" = "$1" ]; }
events_in() { received_bodies "$work/$1.out" | wc -l; }
has_events() { [ "$(events_in "$1")" -ge "$2" ]; }
send_message() {  # send_message NAME CODE WHAT: one MESSAGE from B to the app
  message_xml "$work/$1.xml" "$APP" "$2"
  if run_sipp "$1" "$SIP_B" -sf "$work/$1.xml" -m 1; then ok "$3"; else bad "$3 (see $work/$1.*)"; fi
}

# --- bad input: a clear error, no binding ----------------------------------------------
refused() {  # refused WHAT ERROR_NAME ARGS...: the call fails naming the error
  local what=$1 name=$2 out
  shift 2
  if out=$(ctl 0 "$@" 2>&1); then bad "$what succeeded: $out"; return; fi
  if grep -q "$name" <<<"$out"; then ok "$what: $name"; else bad "$what: $out"; fi
}
refused "sip.register of what is not an AOR" aor_not_allowed sip.register aor=not-an-aor
refused "sip.register with a 10 s lease" "out of range" sip.register "aor=$APP" expires=10
refused "sip.unregister of an AOR nobody owns" not_registered sip.unregister "aor=$APP"
[ "$(app_contacts)" = 0 ] && ok "no binding after the refusals" || bad "bindings: $(ctl 0 registrations)"

# --- an app owns sip:app@ on A, published in the overlay ---------------------------------
"$P2PSIPCTL" --socket "${sockets[0]}" --json events topics=sip.presence >"$work/presence.out" 2>&1 &
helper_pids+=("$!")
presence_of() { ctl "$1" sip.presence "aor=$APP" | json_field 'r["status"] + "/" + r["where"]'; }
[ "$(presence_of 1)" = "closed/" ] && ok "sip.presence on B: closed before any app" || bad "presence: $(presence_of 1)"
start_app app1
APP1=$LAST_PID
if eventually 10 contacts_are 1 && eventually 20 published "$APP" 0; then
  ok "p2psipctl messages on A: sip:app@ registered and stored in the overlay"
else
  bad "registrations on A: $(ctl 0 registrations 2>&1); app: $(cat "$work/app1.out")"
fi
eventually 20 found_at "$APP" 1 "$NODE_A" && ok "lookup on B names A" || bad "lookup on B: $(ctl 1 lookup "aor=$APP" 2>&1)"
[ "$(presence_of 1)" = "open/overlay" ] && ok "sip.presence on B: open, at another node" || bad "presence on B: $(presence_of 1)"
[ "$(presence_of 0)" = "open/local" ] && ok "sip.presence on A: open, here" || bad "presence on A: $(presence_of 0)"

# --- a second app shares the AOR: forking delivers to both ------------------------------------
start_app app2
APP2=$LAST_PID
eventually 10 contacts_are 2 && ok "a second app shares the AOR" ||
  bad "contacts: $(ctl 0 registrations 2>&1)"
send_message m1 200 "MESSAGE from B to the apps' AOR → 200"
if eventually 5 has_events app1 1 && eventually 5 has_events app2 1; then
  ok "both apps got sip.message.received"
else
  bad "events: app1 $(events_in app1), app2 $(events_in app2)"
fi
fields_ok=$(python3 - "$work/app1.out" "$APP" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("topic") == "sip.message.received":
        print(m["from"] == "sip:caller@p2psip.test" and m["to"] == sys.argv[2] and
              m["aor"] == sys.argv[2] and m["content_type"] == "text/plain" and
              m["body"].strip() == "hello through the proxy" and len(m["message_id"]) > 0)
        break
PY
)
[ "$fields_ok" = True ] && ok "the event carries from, to, aor, content type, body and id" ||
  bad "event fields: $(cat "$work/app1.out")"

# --- a phone shares the AOR with the two apps: forking delivers to all three -------------------
PHONE=$(free_port)
# register.xml without its checks of the first Contact, here an app's.
sed -e '/<action>/,/<\/action>/d' -e '/<Reference/d' "$SCEN/register.xml" >"$work/reg-shared.xml"
run_sipp reg-phone "$SIP_A" -sf "$work/reg-shared.xml" -s app -key uas_port "$PHONE" -m 1 ||
  bad "REGISTER a phone as sip:app@ on A"
eventually 10 contacts_are 3 && ok "a phone registers the apps' AOR too" ||
  bad "contacts: $(ctl 0 registrations 2>&1)"
start_message_uas phone "$PHONE"
PHONE_UAS=$LAST_PID
send_message m1b 200 "MESSAGE from B to the AOR of two apps and a phone → 200"
wait "$PHONE_UAS" && ok "the phone got the MESSAGE" || bad "the phone's UAS: $(tail -5 "$work/uas-phone.out")"
if eventually 5 has_events app1 2 && eventually 5 has_events app2 2; then
  ok "and both apps got it as sip.message.received"
else
  bad "events: app1 $(events_in app1), app2 $(events_in app2)"
fi
sed -e 's/Expires: 3600/Expires: 0/' "$work/reg-shared.xml" >"$work/unreg.xml"
run_sipp unreg-phone "$SIP_A" -sf "$work/unreg.xml" -s app -key uas_port "$PHONE" -m 1 ||
  bad "unREGISTER the phone"
eventually 10 contacts_are 2 && ok "the phone unregistered; the two apps keep the AOR" ||
  bad "contacts: $(ctl 0 registrations 2>&1)"

# --- the app answers with sip.message; a SIPp UAS on B shows it -----------------------------
CALLER=$(free_port)
run_sipp reg-caller "$SIP_B" -sf "$SCEN/register.xml" -s caller -key uas_port "$CALLER" -m 1 ||
  bad "REGISTER caller on B"
start_message_uas caller "$CALLER"
UAS=$LAST_PID
status=$(ctl 0 message "from=$APP" "to=sip:caller@$DOMAIN" "body=hello through the proxy" |
  json_field 'r["status"]' 2>&1)
[ "$status" = 200 ] && ok "the app's sip.message reached the caller on B → 200" || bad "sip.message: $status"
wait "$UAS" && ok "the caller's UAS got the app's answer" || bad "the caller's UAS: $(tail -5 "$work/uas-caller.out")"

# --- a connection that closes ends its binding -------------------------------------------
kill_tree "$APP2"
eventually 10 contacts_are 1 && ok "app2 gone: its contact removed" ||
  bad "contacts after app2 left: $(ctl 0 registrations 2>&1)"
send_message m2 200 "MESSAGE to the remaining app → 200"
eventually 5 has_events app1 3 && ok "app1 got the next MESSAGE" || bad "app1 events: $(events_in app1)"

kill_tree "$APP1"
eventually 10 contacts_are 0 && ok "no app left: sip:app@ unregistered" ||
  bad "contacts after app1 left: $(ctl 0 registrations 2>&1)"
# Withdrawn from the overlay too: B finds nobody and keeps the MESSAGE offline.
not_found_from_b() { [ "$(ctl 1 lookup "aor=$APP" | json_field 'r["status"]')" != 0 ]; }
eventually 10 not_found_from_b || bad "B still finds the app: $(ctl 1 lookup "aor=$APP" 2>&1)"
[ "$(presence_of 1)" = "closed/" ] && ok "sip.presence on B: closed once no app is left" || bad "presence on B: $(presence_of 1)"
statuses=$(python3 -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(" ".join(e["status"] for e in events if e.get("topic") == "sip.presence"))' "$work/presence.out")
[ "$statuses" = "open closed" ] && ok "sip.presence events on A: open, then closed" || bad "presence events: $statuses"
send_message m3 202 "MESSAGE with no app left → 202 Accepted (kept in the inbox)"

start_app app3
if eventually 15 has_events app3 1; then
  ok "the next app to register got the offline MESSAGE"
else
  bad "app3: $(cat "$work/app3.out")"
fi
finish 0 1
