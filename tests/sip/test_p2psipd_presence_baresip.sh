#!/bin/bash
# Presence with real phones (issue 19): baresip's presence module on two
# p2psipd on loopback. alice's baresip (account pubint=60) on daemon A
# PUBLISHes her PIDF to A; bob's baresip on daemon B has alice as a contact
# with presence=p2p and SUBSCRIBEs to her, through the overlay to A's
# presence agent. alice goes offline and online again (ctrl_tcp
# presence_offline / presence_online): bob's baresip shows each change, and
# sip.presence on A (published) and on B (fetched from A) follows.
#
# usage: test_p2psipd_presence_baresip.sh P2PSIPD P2PSIPCTL
# Exits 77 without baresip or its presence module. Every process is killed
# by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
. "$HERE/baresip_lib.sh"
[ -f "$MODULES/presence.so" ] || skip "baresip module presence is missing"
make_sip_work presence-baresip

ALICE=sip:alice@$DOMAIN
start_sip_ring 2
echo "# ring of 2 joined; SIP fronts A=$(sip_port 0) B=$(sip_port 1)"

# The presence module publishes and subscribes for the accounts baresip
# starts with.
baresip_extra="module_app		presence.so"
baresip_account_at_start=1
start_phone alice bob "$(sip_port 0)" ";pubint=60"
eventually 20 published "$ALICE" 0 && ok "alice's baresip registered through A" ||
  bad "alice on A: $(ctl 0 registrations 2>&1)"
# bob's baresip subscribes as it starts, and a SUBSCRIBE to an AOR registered
# nowhere gets 404 (baresip then retries only after 30 s): bob starts once B
# finds alice.
eventually 20 found_at "$ALICE" 1 "$(node_id_of 0)" || bad "alice is not found from B"
baresip_contact_params=";presence=p2p"
start_phone bob alice "$(sip_port 1)"

presence_of() {  # presence_of NODE: status/source/where of alice as NODE sees her
  ctl "$1" sip.presence "aor=$ALICE" | json_field '"/".join([r["status"], r["source"], r["where"]])'
}
presence_is() { [ "$(presence_of "$1" 2>/dev/null)" = "$2" ]; }
expect_presence() {  # expect_presence NODE VALUE WHAT
  if eventually 10 presence_is "$1" "$2"; then ok "$3"; else bad "$3: $(presence_of "$1" 2>&1)"; fi
}
# bob_shows STATUS: bob's baresip printed that alice changed to STATUS.
bob_shows() {
  python3 - "$work/bob/events" "$1" <<'PY'
import json, re, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e.get("text", "")))
    if e.get("type") == "CONSOLE" and re.search(r"alice@.* changed status from \w+ to " + sys.argv[2], text):
        sys.exit(0)
sys.exit(1)
PY
}

# Its first NOTIFY (baresip prints no change for a first status).
if eventually 15 grep -aq "Subscription-State: active" "$work/bob/out"; then
  ok "bob's baresip subscribed to alice through the overlay"
else
  bad "bob's baresip got no NOTIFY: $(grep -a -A1 "SUBSCRIBE/2.0\|^SIP/2.0" "$work/bob/out" | tail -n 4)"
fi
expect_presence 0 "open/published/local" "sip.presence on A: open, published by alice's baresip"
expect_presence 1 "open/remote/overlay" "sip.presence on B: open, fetched from A"

# alice goes offline, then online again: bob's baresip and both daemons follow.
for step in "presence_offline Offline closed" "presence_online Online open"; do
  read -r command shown status <<<"$step"
  phone alice "$command" >/dev/null || bad "alice's baresip refused $command"
  if eventually 10 bob_shows "$shown"; then
    ok "bob's baresip on B shows alice $shown (PUBLISH on A, NOTIFY through the overlay)"
  else
    bad "bob's baresip after $command: $(tail -n 3 "$work/bob/events")"
  fi
  expect_presence 0 "$status/published/local" "sip.presence on A: $status"
  expect_presence 1 "$status/remote/overlay" "sip.presence on B: $status, fetched from A"
done
finish 0 1
