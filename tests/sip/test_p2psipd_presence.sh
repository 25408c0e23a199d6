#!/bin/bash
# Presence (issue 19): two real p2psipd on loopback; each daemon is the
# presence agent of the AORs registered with it. alice (SIPp) registers on
# daemon A and PUBLISHes PIDF there (RFC 3903); a watcher (SIPp) on daemon B
# SUBSCRIBEs to her presence (RFC 3856), routed through the overlay to A, and
# gets a NOTIFY for each change: open from the registration, away, closed
# "gone home", open once the publication is removed, closed once she
# unregisters, then terminated when it unsubscribes. sip.presence on A and
# on B (a SUBSCRIBE-based fetch through the overlay) and the sip.presence
# events on A follow. Bad PUBLISHes (unknown entity-tag → 412, another event
# → 489, another body type → 415, malformed PIDF → 400) change nothing.
#
# usage: test_p2psipd_presence.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work presence

ALICE=sip:alice@p2psip.test
start_sip_ring 2
SIP_A=127.0.0.1:$(sip_port 0)
SIP_B=127.0.0.1:$(sip_port 1)
echo "# ring of 2 joined; A's SIP front $SIP_A, B's $SIP_B"

"$P2PSIPCTL" --socket "${sockets[0]}" --json events topics=sip.presence >"$work/events.out" 2>&1 &
helper_pids+=("$!")

# presence_of NODE: status/activity/note/source/where of alice as NODE sees her.
presence_of() {
  ctl "$1" sip.presence "aor=$ALICE" |
    json_field '"/".join([r["status"], r["activity"], r["note"], r["source"], r["where"]])'
}
presence_is() { [ "$(presence_of "$1" 2>/dev/null)" = "$2" ]; }
expect_presence() {  # expect_presence NODE VALUE WHAT
  if eventually 5 presence_is "$1" "$2"; then ok "$3"; else bad "$3: $(presence_of "$1" 2>&1)"; fi
}

PIDF_ENTITY=$ALICE
# publish NAME CODE EVENT EXPIRES IF_MATCH CONTENT_TYPE BODY: alice's phone on A.
publish() {
  local headers=""
  [ -n "$5" ] && headers+="      SIP-If-Match: $5"$'\n'
  [ -n "$6" ] && headers+="      Content-Type: $6"$'\n'
  request "$1" PUBLISH "$SIP_A" alice "$2" "$3" "$4" "$headers" "$7"
}
# subscribe NAME PROXY USER CODE EXPIRES [ACCEPT]: a watcher's SUBSCRIBE.
subscribe() {
  local headers="      Contact: <sip:watcher@127.0.0.1:9>"$'\n'
  [ -n "${6:-}" ] && headers+="      Accept: $6"$'\n'
  request "$1" SUBSCRIBE "$2" "$3" "$4" presence "$5" "$headers" ""
}
notifies() {
  local n
  n=$(grep -c '^NOTIFY sip:' "$work/watch.msg" 2>/dev/null)
  echo "${n:-0}"
}
notifies_are() { [ "$(notifies)" -ge "$1" ]; }
await_notify() {  # await_notify N WHAT
  if eventually 5 notifies_are "$1"; then ok "$2"; else bad "$2 (NOTIFYs so far: $(notifies))"; fi
}

# --- alice registers on A; nothing published: open from the registration ------------------
ALICE_PORT=$(free_port)
run_sipp reg-alice "$SIP_A" -sf "$SCEN/register.xml" -s alice -key uas_port "$ALICE_PORT" -m 1 ||
  bad "REGISTER alice on A"
eventually 20 published "$ALICE" 0 || bad "alice not stored: $(ctl 0 registrations 2>&1)"
expect_presence 0 "open///registration/local" "sip.presence on A: open from the registration"

# --- bad SUBSCRIBEs: a clear answer, no subscription -----------------------------------------
subscribe sub-nobody "$SIP_B" nobody 200 600 &&
  ok "SUBSCRIBE from B to an AOR registered nowhere → 200 (kept at B as a buddy list entry)" ||
  bad "SUBSCRIBE nobody (see $work/sub-nobody.*)"
subscribe sub-423 "$SIP_B" alice 423 10 && grep -q "^Min-Expires: 60" "$work/sub-423.msg" &&
  ok "SUBSCRIBE through the overlay with Expires 10 → 423 Min-Expires 60" || bad "Expires 10 (see $work/sub-423.*)"
subscribe sub-406 "$SIP_A" alice 406 600 text/plain && ok "SUBSCRIBE accepting only text/plain → 406" ||
  bad "Accept text/plain (see $work/sub-406.*)"

# --- a watcher on B subscribes through the overlay -----------------------------------------
timeout 45 sipp "$SIP_B" -i 127.0.0.1 -nostdin -timeout 40s -timeout_error -sf "$SCEN/presence_watch.xml" \
  -s alice -m 1 -trace_err -error_file "$work/watch.err" -message_file "$work/watch.msg" -trace_msg \
  >"$work/watch.out" 2>&1 &
WATCH=$!
helper_pids+=("$WATCH")
await_notify 1 "the watcher on B: 200 and the initial NOTIFY (open) from A's presence agent"
grep -q "^Record-Route:.*p2p=$(node_id_of 0)" "$work/watch.msg" &&
  ok "the 200 record-routes A's presence agent" || bad "no Record-Route of A in $work/watch.msg"

# --- PUBLISH away; bad PUBLISHes change nothing -----------------------------------------------
publish pub-away 200 presence 600 "" application/pidf+xml "$(pidf open away)" &&
  [ -n "$ETAG" ] && ok "PUBLISH away → 200 with SIP-ETag $ETAG" || bad "PUBLISH away (see $work/pub-away.*)"
AWAY_ETAG=$ETAG
await_notify 2 "the watcher: NOTIFY away"
expect_presence 0 "open/away//published/local" "sip.presence on A: open, away, published"

publish pub-412 412 presence 600 "no-such-etag" "" "" &&
  ok "PUBLISH with an unknown SIP-If-Match → 412" || bad "unknown etag (see $work/pub-412.*)"
publish pub-489 489 dialog 600 "" application/pidf+xml "$(pidf closed)" &&
  ok "PUBLISH of another event package → 489 Bad Event" || bad "Event: dialog (see $work/pub-489.*)"
publish pub-415 415 presence 600 "" text/plain "I am away" &&
  ok "PUBLISH with a text/plain body → 415" || bad "text/plain (see $work/pub-415.*)"
publish pub-400 400 presence 600 "$AWAY_ETAG" application/pidf+xml "<presence><tuple" &&
  ok "PUBLISH of malformed PIDF → 400" || bad "malformed PIDF (see $work/pub-400.*)"
grep -q "Bad PIDF document: not well-formed XML" "$work/pub-400.msg" &&
  ok "the 400 names the cause" || bad "400 phrase: $(grep '^SIP/2.0 400' "$work/pub-400.msg")"
expect_presence 0 "open/away//published/local" "after the refusals: still away on A"
[ "$(notifies)" = 2 ] && ok "the refusals sent no NOTIFY" || bad "NOTIFYs after the refusals: $(notifies)"

# --- modify with the entity-tag, refresh, remove ----------------------------------------------
publish pub-closed 200 presence 600 "$AWAY_ETAG" application/pidf+xml "$(pidf closed "" "gone home")" &&
  ok "PUBLISH closed with SIP-If-Match of the first → 200 (the tag survived the refusals)" ||
  bad "modify (see $work/pub-closed.*)"
await_notify 3 "the watcher: NOTIFY closed, gone home"
expect_presence 0 "closed//gone home/published/local" "sip.presence on A: closed, gone home"
expect_presence 1 "closed//gone home/remote/overlay" "sip.presence on B: closed, gone home (fetched from A)"
publish pub-refresh 200 presence 600 "$ETAG" "" "" && ok "refresh without a body → 200" ||
  bad "refresh (see $work/pub-refresh.*)"
publish pub-remove 200 presence 0 "$ETAG" "" "" && ok "remove (Expires 0) → 200" ||
  bad "remove (see $work/pub-remove.*)"
await_notify 4 "the watcher: NOTIFY open again (the registration; the refresh sent none)"
[ "$(notifies)" = 4 ] || bad "NOTIFYs after the refresh and remove: $(notifies)"
expect_presence 0 "open///registration/local" "sip.presence on A: open from the registration again"

# --- alice unregisters: closed; the watcher unsubscribes --------------------------------------
register_xml="$work/unreg.xml"
sed -e 's/Expires: 3600/Expires: 0/' -e '/<action>/,/<\/action>/d' -e '/<Reference/d' \
  "$SCEN/register.xml" >"$register_xml"
run_sipp unreg-alice "$SIP_A" -sf "$register_xml" -s alice -key uas_port "$ALICE_PORT" -m 1 || bad "unREGISTER alice"
if wait "$WATCH"; then
  ok "the watcher: NOTIFY closed, then unsubscribed and got the terminated NOTIFY"
else
  bad "the watcher (see $work/watch.*): $(tail -n 5 "$work/watch.err" 2>/dev/null)"
fi
expect_presence 0 "closed///unregistered/" "sip.presence on A: closed once unregistered"
sleep 0.3
events=$(python3 -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(",".join(e["status"] + ":" + e["activity"] + ":" + e["note"] for e in events
               if e.get("topic") == "sip.presence"))' "$work/events.out")
[ "$events" = "open::,open:away:,closed::gone home,open::,closed::" ] &&
  ok "sip.presence events on A follow every change" || bad "events on A: $events"
finish 0 1
