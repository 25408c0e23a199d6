#!/bin/bash
# Buddy lists (issue 19): three real p2psipd on loopback (node 0 the
# bootstrap, A = node 1 carol's home, B = node 2 the watchers'). carol's
# phone is off: a SIPp watcher on B SUBSCRIBEs to her presence all the same
# and gets 200 and NOTIFY closed from B, which keeps the subscription; B
# restarts (on the same SIP port, as a configured one is): the subscription
# is saved (presence-state, followed) and restored, and the watcher gets
# NOTIFY closed again in the same dialog. An app on B watches her
# (sip.presence.watch). carol (SIPp) registers on A:
# both hear open within a poll; she PUBLISHes away on A: both hear away.
# A second SIPp watcher on B subscribes while she is away on A, so A's
# agent holds that subscription. A restarts: her publication and that
# subscription (state file presence-state, 0600) survive: the watcher gets
# NOTIFY away in the same dialog without subscribing again, sip.presence on
# A and B still says away, and her phone's refresh with the old entity-tag
# gets 200. carol unregisters: the app and the second watcher hear closed,
# and the watcher's unsubscribe inside the old dialog gets 200, not 481. Bad input: an AOR outside sip.domains (SUBSCRIBE 404,
# watch aor_not_allowed), not an AOR, another connection's watch
# (unknown_watch), one watch too many (too_many_watches); each leaves the
# watches held as they were.
#
# usage: test_p2psipd_buddy_list.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work buddy

CAROL=sip:carol@p2psip.test
PIDF_ENTITY=$CAROL
for i in 0 1 2; do sip_extra[$i]="domains: [p2psip.test]"; done
# B keeps its SIP port across its restart: the watcher's route set names it.
sip_extra[2]+=$'\n'"listen-port: $(free_port)"
start_sip_ring 3
SIP_A=127.0.0.1:$(sip_port 1)
SIP_B=127.0.0.1:$(sip_port 2)
echo "# ring of 3 joined; A's SIP front $SIP_A, B's $SIP_B"

presence_of() {  # presence_of NODE: status/activity/source/where of carol as NODE sees her
  ctl "$1" sip.presence "aor=$CAROL" | json_field '"/".join([r["status"], r["activity"], r["source"], r["where"]])'
}
presence_is() { [ "$(presence_of "$1" 2>/dev/null)" = "$2" ]; }
expect_presence() {  # expect_presence NODE VALUE WHAT
  if eventually 10 presence_is "$1" "$2"; then ok "$3"; else bad "$3: $(presence_of "$1" 2>&1)"; fi
}
app_events() {  # the app's sip.presence events for its watch: status:activity, comma-separated
  python3 - "$work/app.out" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("topic") == "sip.presence" and "watch" in e:
        out.append(e["status"] + ":" + e["activity"])
print(",".join(out))
PY
}
app_heard() { app_events | grep -q "$1\$"; }  # app_heard EVENT: the last event is EVENT
# start_watcher NAME SCENARIO SECONDS: a SIPp watcher of carol on B in the
# background ($watcher_pid), its messages in $work/NAME.msg.
start_watcher() {
  timeout $(($3 + 10)) sipp "$SIP_B" -i 127.0.0.1 -nostdin -timeout "$3s" -timeout_error -sf "$SCEN/$2" \
    -s carol -m 1 -trace_err -error_file "$work/$1.err" -message_file "$work/$1.msg" -trace_msg \
    >"$work/$1.out" 2>&1 &
  watcher_pid=$!
  helper_pids+=("$watcher_pid")
}
notifies_are() {  # notifies_are NAME N: the watcher NAME received N NOTIFYs or more
  local n
  n=$(grep -c '^NOTIFY sip:' "$work/$1.msg" 2>/dev/null)
  [ "${n:-0}" -ge "$2" ]
}
restart() {  # restart NODE NAME: SIGTERM, then the same node again, rejoined
  kill -TERM "${pids[$1]}"
  eventually 15 exited "${pids[$1]}" || fail "$2 did not stop"
  launch_node "$1"
  eventually 40 all_joined 0 1 2 || fail "$2 did not rejoin"
}
held_by() {  # held_by NAME NODE: the 200 to the watcher NAME record-routes NODE's front
  grep -q "^Record-Route:.*p2p=$(node_id_of "$2")" "$work/$1.msg"
}
refused() {  # refused WHAT ERROR_NAME ARGS...: the call on B fails naming the error
  local what=$1 name=$2 out
  shift 2
  if out=$(ctl 2 "$@" 2>&1); then bad "$what succeeded: $out"; return; fi
  if grep -q "$name" <<<"$out"; then ok "$what: $name"; else bad "$what: $out"; fi
}

# --- carol's phone is off: a SIPp watcher and an app on B follow her all the same -------------
start_watcher buddy presence_buddy.xml 120
BUDDY=$watcher_pid
if eventually 10 notifies_are buddy 1; then
  ok "SUBSCRIBE on B to carol, registered nowhere → 200 and NOTIFY closed"
else
  bad "the buddy watcher (see $work/buddy.*)"
fi
held_by buddy 2 && ok "kept by B (its 200 record-routes B)" ||
  bad "no Record-Route of B in $work/buddy.msg"
followed_saved() {  # B's state file holds the watcher's subscription, followed
  python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["subscriptions"]; sys.exit(not (len(s) == 1 and s[0]["followed"]))' \
    "$work/n2/state/presence-state" 2>/dev/null
}
eventually 5 followed_saved && ok "B saved the subscription it keeps (followed)" ||
  bad "B's presence-state: $(cat "$work/n2/state/presence-state" 2>&1)"
restart 2 B
[ "127.0.0.1:$(sip_port 2)" = "$SIP_B" ] || fail "B's SIP front moved to $(sip_port 2)"
if eventually 40 notifies_are buddy 2; then
  ok "after B's restart the buddy watcher: NOTIFY closed again, in the same dialog"
else
  bad "no NOTIFY from B after its restart (see $work/buddy.*)"
fi
"$P2PSIPCTL" --socket "${sockets[2]}" --json sip.presence.watch "aor=$CAROL" >"$work/app.out" 2>&1 &
APP=$!
helper_pids+=("$APP")
watching() { head -n 1 "$work/app.out" | grep -q '"watch"'; }
if eventually 10 watching; then
  ok "sip.presence.watch on B: $(head -n 1 "$work/app.out")"
else
  bad "sip.presence.watch: $(cat "$work/app.out")"
fi
WATCH_ID=$(head -n 1 "$work/app.out" | json_field 'r["watch"]')
[ "$(head -n 1 "$work/app.out" | json_field 'r["status"] + "/" + r["reason"]')" = "closed/not registered" ] &&
  ok "the watch starts closed: not registered" || bad "watch result: $(head -n 1 "$work/app.out")"

# --- bad input on B: a clear error, the watches held as they were ------------------------------
mkdir -p "$work/elsewhere"
sed 's/p2psip\.test/elsewhere.test/g' "$SCEN/presence_request.xml" >"$work/elsewhere/presence_request.xml"
SCEN=$work/elsewhere request sub-other SUBSCRIBE "$SIP_B" dave 404 presence 600 \
  "      Contact: <sip:w@127.0.0.1:9>"$'\n' "" &&
  ok "SUBSCRIBE to an AOR outside sip.domains, registered nowhere → 404" || bad "outside the domains (see $work/sub-other.*)"
refused "sip.presence.watch of an AOR outside sip.domains" aor_not_allowed sip.presence.watch aor=sip:dave@elsewhere.test
refused "sip.presence.watch of what is not an AOR" "aor" sip.presence.watch aor=not-an-aor
refused "sip.presence.unwatch of another connection's watch" unknown_watch sip.presence.unwatch "watch=$WATCH_ID"

# One connection takes watches until the node's bound: too_many_watches, and
# the watches held before still work (below).
python3 - "${sockets[2]}" >"$work/many.out" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
f = s.makefile("rwb")
held = 0
for n in range(1, 80):
    f.write((json.dumps({"jsonrpc": "2.0", "id": n, "method": "sip.presence.watch",
                         "params": {"aor": "sip:user%d@p2psip.test" % n}}) + "\n").encode())
    f.flush()
    while True:
        answer = json.loads(f.readline())
        if answer.get("id") == n:
            break
    if "error" in answer:
        print(held, answer["error"].get("data", {}).get("name", ""), answer["error"]["message"])
        break
    held += 1
PY
read -r held why rest <"$work/many.out"
# carol is followed already: 63 more AORs make the 64 a node polls.
if [ "$why" = too_many_watches ] && [ "$held" = 63 ]; then
  ok "a connection got $held watches, then too_many_watches: $rest"
else
  bad "many watches: $(cat "$work/many.out")"
fi

# --- carol registers on A: open; she PUBLISHes away: away --------------------------------------
CAROL_PORT=$(free_port)
run_sipp reg-carol "$SIP_A" -sf "$SCEN/register.xml" -s carol -key uas_port "$CAROL_PORT" -m 1 ||
  bad "REGISTER carol on A"
if eventually 25 notifies_are buddy 3; then ok "the buddy watcher on B: NOTIFY open once carol registered on A"; else
  bad "no second NOTIFY (see $work/buddy.*)"; fi
eventually 25 app_heard "open:" && ok "the app on B: sip.presence open" || bad "app events: $(app_events)"
request pub-away PUBLISH "$SIP_A" carol 200 presence 3600 "      Content-Type: application/pidf+xml"$'\n' "$(pidf open away)" &&
  [ -n "$ETAG" ] && ok "carol PUBLISHes away on A → 200, SIP-ETag $ETAG" || bad "PUBLISH away (see $work/pub-away.*)"
AWAY_ETAG=$ETAG
if wait "$BUDDY"; then
  ok "the buddy watcher: NOTIFY away, then unsubscribed and got the terminated NOTIFY"
else
  bad "the buddy watcher (see $work/buddy.*): $(tail -n 5 "$work/buddy.err" 2>/dev/null)"
fi
eventually 25 app_heard "open:away" && ok "the app on B: sip.presence open, away" || bad "app events: $(app_events)"
[ "$(app_events)" = "open:,open:away" ] && ok "the app heard each change once" || bad "app events: $(app_events)"

# --- a second watcher on B, served by A's agent ----------------------------------------------------
start_watcher restart presence_restart.xml 140
WATCHER2=$watcher_pid
if eventually 15 notifies_are restart 1; then
  ok "a second watcher on B: SUBSCRIBE to carol, away on A → NOTIFY away"
else
  bad "the second watcher (see $work/restart.*)"
fi
held_by restart 1 && ok "held by A (its 200 record-routes A)" ||
  bad "no Record-Route of A in $work/restart.msg"

# --- A restarts: the publication, its entity-tag and the subscription survive ---------------------
notify_cseqs() {  # the NOTIFYs' CSeqs, a retransmission counted once
  python3 - "$work/restart.msg" <<'PY'
import re, sys
requests = r"^NOTIFY sip:[^\n]*\n(?:[^\n]+\n)*?CSeq: *(\d+) NOTIFY"  # not the 200s' copies
seqs = [int(m) for m in re.findall(requests, open(sys.argv[1]).read(), re.M)]
print(" ".join(str(s) for i, s in enumerate(seqs) if i == 0 or s != seqs[i - 1]))
PY
}
saved_subscriptions() {  # A's saved subscriptions: "COUNT CSEQ..."
  python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["subscriptions"]; print(len(s), *(x["cseq"] for x in s))' \
    "$work/n1/state/presence-state" 2>/dev/null
}
[ "$(stat -c %a "$work/n1/state/presence-state" 2>&1)" = 600 ] && ok "A saved the presence state, mode 0600" ||
  bad "state dir: $(ls -l "$work/n1/state" 2>&1)"
# With the CSeq of the NOTIFY already sent, so the restored dialog goes on above it.
saved_with_cseq() { [ "$(saved_subscriptions)" = "1 $(notify_cseqs)" ]; }
eventually 5 saved_with_cseq && ok "A saved the second watcher's subscription, CSeq $(notify_cseqs)" ||
  bad "subscriptions saved: $(saved_subscriptions) (NOTIFY CSeq $(notify_cseqs)) in $(cat "$work/n1/state/presence-state")"
restart 1 A
SIP_A=127.0.0.1:$(sip_port 1)
expect_presence 1 "open/away/published/local" "after A's restart sip.presence on A: away, published"
expect_presence 2 "open/away/remote/overlay" "and on B: away, from A's agent"
request pub-refresh PUBLISH "$SIP_A" carol 200 presence 3600 "      SIP-If-Match: $AWAY_ETAG"$'\n' "" &&
  ok "carol's refresh with the entity-tag from before the restart → 200" || bad "refresh (see $work/pub-refresh.*)"
eventually 25 app_heard "open:away" && ok "the app's last event is still away" || bad "app events: $(app_events)"
if eventually 60 notifies_are restart 2; then
  ok "the second watcher: NOTIFY away from A after its restart, in the same dialog"
else
  bad "no NOTIFY after A's restart (see $work/restart.*)"
fi
python3 -c 'import sys; s = [int(x) for x in sys.argv[1:]]; sys.exit(len(s) < 2 or s != sorted(set(s)))' \
  $(notify_cseqs) && ok "its CSeqs grow across the restart: $(notify_cseqs)" ||
  bad "NOTIFY CSeqs: $(notify_cseqs)"

# --- carol unregisters: closed; the app's watch ends with its connection ----------------------------
sed -e 's/Expires: 3600/Expires: 0/' -e '/<action>/,/<\/action>/d' -e '/<Reference/d' \
  "$SCEN/register.xml" >"$work/unreg.xml"
run_sipp unreg-carol "$SIP_A" -sf "$work/unreg.xml" -s carol -key uas_port "$CAROL_PORT" -m 1 || bad "unREGISTER carol"
eventually 25 app_heard "closed:" && ok "the app on B: sip.presence closed once carol unregistered" ||
  bad "app events: $(app_events)"
if wait "$WATCHER2"; then
  ok "the second watcher: NOTIFY closed, then unsubscribed inside the restored dialog (200, terminated)"
else
  bad "the second watcher (see $work/restart.*): $(tail -n 5 "$work/restart.err" 2>/dev/null)"
fi
kill_tree "$APP"
finish 0 1 2
