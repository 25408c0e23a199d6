#!/bin/bash
# An app's lease with no client (issue 19): three real p2psipd on loopback
# (node 0 the bootstrap, A = node 1 the app's, B = node 2 the sender's). An
# app takes sip:app@ on A with a lease (sip.register expires=600) and goes
# away; the lease and its binding outlive its connection. SIPp on B sends 3
# MESSAGEs: none is queued for a live client, so each is kept offline and
# answered 202 Accepted. The next app to register the AOR on A gets the 3 as
# sip.message.received, in sent order, once, and keeps the lease. It goes;
# 2 more are sent (202), one from B and one from a phone on A itself;
# A restarts (the lease is restored from app-leases) and the next app gets
# those 2, in order, and none of the first 3 again; after another restart of
# A an app gets nothing twice. Bad input: a lease below the minimum is
# refused and leaves the lease and the inbox as they were.
#
# usage: test_p2psipd_app_lease.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work lease

APP=sip:app@p2psip.test
start_sip_ring 3
SIP_B=127.0.0.1:$(sip_port 2)
echo "# ring of 3 joined; B's SIP front $SIP_B"

leased_contacts() {  # how many contacts sip:app@ has on A
  ctl 1 registrations |
    json_field 'sum(len(g["contacts"]) for g in r["registrations"] if g["aor"] == "'"$APP"'")'
}
send() {  # send NAME CODE BODY [PROXY]: one MESSAGE from SIPp (on B) to the app's AOR, expecting CODE
  message_xml "$work/$1.xml" "$APP" "$2" "$3"
  if run_sipp "$1" "${4:-$SIP_B}" -sf "$work/$1.xml" -m 1; then ok "MESSAGE '$3' → $2"; else
    bad "MESSAGE '$3': $(grep -m1 '^SIP/2.0' "$work/$1.msg" 2>/dev/null) (see $work/$1.*)"; fi
}
bodies() { received_bodies "$work/$1.out"; }
inbox_count() {  # what storage.get finds in the app's inbox, from node 0
  ctl 0 get kind=sip-inbox key=app@p2psip.test encoding=hex 2>/dev/null | json_field 'len(r["values"])' 2>/dev/null || echo 0
}
got() { [ "$(bodies "$1" | wc -l)" -ge "$2" ]; }  # got NAME N
restart_a() {
  kill -TERM "${pids[1]}"
  eventually 15 exited "${pids[1]}" || fail "A did not stop"
  launch_node 1
  eventually 40 all_joined 0 1 2 || fail "A did not rejoin"
}

# --- an app takes a lease and goes --------------------------------------------------------------
# p2psipctl streams after sip.register: its first line is the result.
lease=$(timeout 3 "$P2PSIPCTL" --socket "${sockets[1]}" --json sip.register "aor=$APP" expires=600 | head -n 1)
token=$(json_field 'r["contact"].split("p2p-app=")[1]' <<<"$lease")
[ "$(json_field 'r["lease_s"]' <<<"$lease")" = 600 ] && ok "an app took a 600 s lease on A" || bad "lease: $lease"
eventually 20 published "$APP" 1 && [ "$(leased_contacts)" = 1 ] &&
  ok "its binding outlives its connection, stored in the overlay" || bad "registrations on A: $(ctl 1 registrations)"

# --- no live client: kept offline, 202 -----------------------------------------------------------
for n in 1 2 3; do send "m$n" 202 "leased $n"; done
if out=$(ctl 1 sip.register "aor=$APP" expires=10 2>&1); then bad "a 10 s lease was granted: $out"; else
  grep -q "out of range" <<<"$out" && ok "a 10 s lease: out of range" || bad "a 10 s lease: $out"; fi
[ "$(leased_contacts)" = 1 ] && ok "the refusal left the lease's binding" || bad "registrations: $(ctl 1 registrations)"
[ "$(inbox_count)" = 3 ] && ok "the inbox holds the 3" || bad "the inbox holds: $(inbox_count)"

start_app_on 1 "$APP" app1
APP1=$LAST_PID
if eventually 20 got app1 3; then
  [ "$(bodies app1)" = "$(printf 'leased 1\nleased 2\nleased 3')" ] &&
    ok "the next app on A got the 3, in sent order" || bad "app1 got: $(bodies app1)"
else
  bad "app1 got $(bodies app1 | wc -l): $(cat "$work/app1.out")"
fi
head -n 1 "$work/app1.out" | grep -q "p2p-app=$token" && ok "it took the lease over (same token)" ||
  bad "app1: $(head -n 1 "$work/app1.out")"
send m4 200 "live"
eventually 5 got app1 4 && ok "a MESSAGE while it is there → 200, delivered" || bad "app1: $(bodies app1)"
kill_tree "$APP1"
wait "$APP1" 2>/dev/null

# --- sent while it is away, across a restart of A ----------------------------------------------
[ "$(leased_contacts)" = 1 ] && ok "its client gone, the lease still holds the binding" ||
  bad "registrations: $(ctl 1 registrations)"
send m5 202 "away 1"
send m6 202 "away 2" "127.0.0.1:$(sip_port 1)"
restart_a
ok "A restarted and rejoined"
lease_bound() { ctl 1 registrations | grep -q "p2p-app=$token"; }
eventually 10 lease_bound && ok "the lease is bound again after the restart" || bad "registrations: $(ctl 1 registrations)"
start_app_on 1 "$APP" app2
APP2=$LAST_PID
eventually 20 got app2 2 || bad "app2 got $(bodies app2 | wc -l): $(cat "$work/app2.out")"
sleep 2
[ "$(bodies app2)" = "$(printf 'away 1\naway 2')" ] && ok "the next app got the 2 sent meanwhile, in order, nothing twice" ||
  bad "app2 got: $(bodies app2)"
kill_tree "$APP2"
wait "$APP2" 2>/dev/null

restart_a
eventually 10 lease_bound || bad "the lease is not bound after the second restart"
start_app_on 1 "$APP" app3
head3() { head -n 1 "$work/app3.out" | grep -q '"contact"'; }
eventually 10 head3 || bad "app3 did not register: $(cat "$work/app3.out")"
sleep 3
[ "$(bodies app3 | wc -l)" = 0 ] && ok "after another restart of A the next app gets nothing twice" ||
  bad "redelivered: $(bodies app3)"
none_held() { [ "$(inbox_count)" = 0 ]; }
eventually 10 none_held && ok "the inbox holds none" || bad "the inbox still holds $(inbox_count)"
finish 0 1 2
