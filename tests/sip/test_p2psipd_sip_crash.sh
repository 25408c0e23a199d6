#!/bin/bash
# SIP through crashes (RFC 7904 over RFC 6940 replication), five p2psipd on
# loopback with SIP fronts:
#  * alice's SIP-REGISTRATION is stored on the node responsible for
#    H(alice@domain) and replicated on its two successors: the three nodes
#    whose storage_values metric went up by one are exactly those that
#    overlay.route and overlay.peers name. Her home daemon A and the caller's
#    daemon C are the other two.
#  * per-instance GRUUs (RFC 7904 §6, RFC 5627): bob registers two devices
#    (+sip.instance) on A; an INVITE from C to one device's GRUU reaches that
#    SIPp UAS only, then the other's reaches the other.
#  * kill -9 of the first replica holder: an INVITE from C still reaches
#    alice's SIPp UAS (180/200/ACK/BYE).
#  * kill -9 of the responsible node: once the ring repairs, the second
#    replica's holder is responsible, took no new Store (storage_stores_total
#    unchanged), and the call still works.
#  * kill -9 of A, restarted on the same state dir (same Node-ID): without a
#    new REGISTER its bindings return from STATE_DIR/sip-bindings (0600),
#    are stored again under each AOR's key, derived again from the saved
#    seed (replacing the old value: the responsible node holds no more
#    values than before), C's
#    lookup names A, alice's UAS (still the same process on the same port)
#    gets a third call, and each of bob's GRUUs still leads to its device.
#  * a corrupt bindings file: A logs why, starts with no bindings, keeps the
#    file under another name, and runs on.
#  * a damaged AOR key seed: A refuses to start, says why, leaves the file.
#  * A killed while carol's phone behind it rings: C's caller gets a final
#    500 within 3 s (the spliced connection is reset, nta fails the branch).
#
# usage: test_p2psipd_sip_crash.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap; every
# wait is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
command -v ss >/dev/null 2>&1 || { echo "SKIP: ss (iproute2) is not installed"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
make_sip_work sip-crash

DOMAIN=p2psip.test
ALICE_AOR=sip:alice@$DOMAIN
BOB_AOR=sip:bob@$DOMAIN

# --- SIPp ------------------------------------------------------------------------
# sipp_uac NAME PROXY SIPP_ARGS...: one call that must succeed.
sipp_uac() {
  run_sipp "$@" -m 1 || fail "SIPp $1 failed: $(tail -n 5 "$work/$1.err" 2>/dev/null)"
}
# sipp_uas NAME PORT SECONDS SIPP_ARGS...: a UAS on PORT in the background
# ($LAST_PID), returned once it listens.
sipp_uas() {
  local name=$1 port=$2 seconds=$3
  shift 3
  timeout "$((seconds + 10))" sipp -i 127.0.0.1 -p "$port" -nostdin -timeout "${seconds}s" \
    -timeout_error -trace_err -error_file "$work/$name.err" -message_file "$work/$name.msg" \
    -trace_msg "$@" >"$work/$name.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
  eventually 10 listening "$port" || fail "SIPp $name does not listen on $port"
}
invites_seen() { grep -c "^INVITE " "$work/$1.msg" 2>/dev/null || true; }
# call_gruu NAME PROXY GRUU: an INVITE to GRUU, 180/200/ACK/BYE.
call_gruu() {
  sed "s#INVITE sip:\[service\]@$DOMAIN SIP/2.0#INVITE $3 SIP/2.0#" "$SCEN/uac_call.xml" \
    >"$work/$1.xml"
  grep -q "INVITE $3 " "$work/$1.xml" || fail "cannot make the GRUU scenario"
  sipp_uac "$1" "$2" -sf "$work/$1.xml" -s bob
}
register() {  # register NAME NODE USER UAS_PORT
  sipp_uac "$1" "127.0.0.1:$(sip_port "$2")" -sf "$SCEN/register.xml" -s "$3" -key uas_port "$4"
}

# --- the overlay's view ------------------------------------------------------------
responsible_for() {  # responsible_for NODE NAME: NODE says it is responsible for H(NAME)
  [ "$(ctl "$1" route "id=$2" | json_field 'r["responsible"]')" = True ]
}
index_of() {  # index_of NODE_ID: the index of the running node with that Node-ID
  local i
  for i in "${!ids[@]}"; do [ "${ids[$i]}" = "$1" ] && echo "$i"; done
}
gruu_of() {  # gruu_of NODE AOR UAS_PORT: the pub-gruu of the contact on that port
  ctl "$1" registrations | json_field "[c['gruu'] for g in r['registrations'] if g['aor'] == '$2'
    for c in g['contacts'] if c['uri'].endswith(':$3')][0]"
}
live() { kill -0 "${pids[$1]}" 2>/dev/null; }

# --- five daemons ------------------------------------------------------------------
start_sip_ring 5
declare -a ids
for i in 0 1 2 3 4; do ids[$i]=$(node_id_of "$i"); done

# Who holds alice's value: the responsible node P and its two successors.
P=""
for i in 0 1 2 3 4; do responsible_for "$i" "alice@$DOMAIN" && P=$P$i; done
[ "${#P}" = 1 ] || fail "not exactly one node responsible for alice: '$P'"
S1=$(index_of "$(ctl "$P" peers | json_field 'r["successors"][0]')")
S2=$(index_of "$(ctl "$P" peers | json_field 'r["successors"][1]')")
# A and C hold none of it: the last node standing after both kills is S2.
others=()
for i in 0 1 2 3 4; do [[ "$P$S1$S2" != *$i* ]] && others+=("$i"); done
A=${others[0]}
C=${others[1]}
echo "# ring of 5: alice's value at node $P, replicas at $S1 and $S2; home A=$A, caller C=$C"

declare -a values_before
for i in 0 1 2 3 4; do values_before[$i]=$(metric "$i" storage_values); done

ALICE=$(free_port)
register reg-alice "$A" alice "$ALICE"
eventually 20 published "$ALICE_AOR" "$A" || fail "alice is not stored: $(ctl "$A" registrations)"
holders() {
  local i got=""
  for i in 0 1 2 3 4; do
    [ "$(metric "$i" storage_values)" = $((values_before[i] + 1)) ] && got="$got$i"
  done
  echo "$got"
}
three_holders() {
  holders_now=$(holders)
  [ "${#holders_now}" = 3 ]
}
eventually 20 three_holders || fail "alice's value is not on three nodes: '$(holders)'"
expected=$(printf '%s\n' "$P" "$S1" "$S2" | sort | tr -d '\n')
[ "$holders_now" = "$expected" ] ||
  fail "alice's value is on nodes $holders_now, expected the responsible node and its successors ($expected)"
echo "ok   - alice registered on A; her value is on nodes $holders_now (P=$P, replicas $S1 $S2)"

# --- per-instance GRUUs ------------------------------------------------------------------
BOB1=$(free_port)
BOB2=$(free_port)
register reg-bob1 "$A" bob "$BOB1"
register reg-bob2 "$A" bob "$BOB2"
eventually 20 published "$BOB_AOR" "$A" || fail "bob is not stored: $(ctl "$A" registrations)"
GRUU1=$(gruu_of "$A" "$BOB_AOR" "$BOB1")
GRUU2=$(gruu_of "$A" "$BOB_AOR" "$BOB2")
case "$GRUU1" in "$BOB_AOR;gr="?*) ;; *) fail "no GRUU for bob's first device: '$GRUU1'" ;; esac
[ "$GRUU1" != "$GRUU2" ] || fail "bob's two devices share the GRUU $GRUU1"
SIP_C=127.0.0.1:$(sip_port "$C")

# gruus_reach_their_devices TAG FIRST SECOND: both devices' UAS listen (one
# call each); an INVITE from C to FIRST's GRUU completes at FIRST while
# SECOND's UAS still waits, then SECOND's GRUU reaches SECOND; each UAS saw
# exactly one INVITE.
gruus_reach_their_devices() {
  local tag=$1 n pid
  declare -A uas
  for n in "$2" "$3"; do
    sipp_uas "bob$n-$tag" "${bob_port[$n]}" 60 -sf "$SCEN/uas_call.xml" -s bob -m 1
    uas[$n]=$LAST_PID
  done
  for n in "$2" "$3"; do
    call_gruu "call-gruu$n-$tag" "$SIP_C" "${bob_gruu[$n]}"
    wait "${uas[$n]}" || fail "bob's device $n did not complete the call to its GRUU ($tag)"
    [ "$n" = "$3" ] || kill -0 "${uas[$3]}" 2>/dev/null ||
      fail "bob's device $3 ended on the call to device $n's GRUU ($tag)"
    echo "ok   - INVITE from C to bob's device $n GRUU reaches that device only ($tag)"
  done
  for n in "$2" "$3"; do
    [ "$(invites_seen "bob$n-$tag")" = 1 ] ||
      fail "bob's device $n saw $(invites_seen "bob$n-$tag") INVITEs ($tag)"
  done
}
declare -A bob_port=([1]=$BOB1 [2]=$BOB2) bob_gruu=([1]=$GRUU1 [2]=$GRUU2)
gruus_reach_their_devices first 1 2

# --- kill -9 a replica holder ---------------------------------------------------------
# Alice's UAS answers all three calls below, across the crashes.
sipp_uas alice "$ALICE" 240 -sf "$SCEN/uas_call.xml" -s alice -m 3
ALICE_UAS=$LAST_PID
call_alice() {  # call_alice NAME WHAT
  eventually 30 found_at "$ALICE_AOR" "$C" "${ids[$A]}" ||
    fail "C's lookup does not name A ($2): $(ctl "$C" lookup "aor=$ALICE_AOR" 2>&1)"
  sipp_uac "$1" "$SIP_C" -sf "$SCEN/uac_call.xml" -s alice
  echo "ok   - INVITE from C reaches alice: 180/200/ACK/BYE ($2)"
}

stop_node "$S1" KILL
call_alice call-no-replica "replica holder $S1 killed"

# --- kill -9 the responsible node -------------------------------------------------------
stores_before=$(metric "$S2" storage_stores_total)
stop_node "$P" KILL
eventually 60 ring_consistent "$A" "$C" "$S2" || fail "the ring of three did not repair"
responsible_for "$S2" "alice@$DOMAIN" || fail "node $S2 is not responsible for alice after the repair"
call_alice call-no-primary "responsible node $P killed too"
[ "$(metric "$S2" storage_stores_total)" = "$stores_before" ] ||
  fail "node $S2 took a new Store: the value did not come from its replica"
echo "ok   - node $S2 serves alice's value from its replica (no new Store)"

# --- kill -9 the home daemon, restart it -----------------------------------------------
bindings_file=$work/n$A/state/sip-bindings
both_saved() { grep -q "\"$ALICE_AOR\"" "$bindings_file" && grep -q "\"$BOB_AOR\"" "$bindings_file"; }
eventually 10 both_saved || fail "A saved no bindings file with alice and bob"
[ "$(stat -c %a "$bindings_file")" = 600 ] || fail "the bindings file is not mode 0600"
seed_file=$work/n$A/state/sip-aor.seed
[ "$(stat -c %a "$seed_file")" = 600 ] || fail "the AOR key seed is not mode 0600"
# From here on nothing REGISTERs: what A knows of alice and bob is what it saved.
# In a ring of three every node holds every value. Wait until replication
# after the two kills has settled, so that S2's count below can only move if
# alice's re-store adds an entry.
same_counts() {
  local c s
  c=$(metric "$C" storage_values)
  s=$(metric "$S2" storage_values)
  [ "$(metric "$A" storage_values)" = "$c" ] && [ "$c" = "$s" ]
}
eventually 30 same_counts || fail "A, C and $S2 do not hold the same values: $(for i in "$A" "$C" "$S2"; do metric "$i" storage_values; done | tr '\n' ' ')"
values_at_s2=$(metric "$S2" storage_values)
stop_node "$A" KILL
port_c=$(listen_port "$C")
start_sip_node "$A" "$port_c"
control_up() { ctl "$A" status >/dev/null 2>&1; }
eventually 10 control_up || fail "A did not come back"
alice_listed() {
  ctl "$A" registrations | json_field "[c['uri'] for g in r['registrations'] if g['aor'] == '$ALICE_AOR'
    for c in g['contacts']]" | grep -q ":$ALICE'"
}
eventually 5 alice_listed || fail "A does not list alice after the restart: $(ctl "$A" registrations)"
grep -q "sip: restored 3 binding(s) of 2 AOR(s)" "$work/n$A/log" ||
  fail "A did not log its restore: $(grep 'sip:' "$work/n$A/log" | tail -n 5)"
eventually 30 joined "$A" || fail "A did not rejoin"
[ "$(node_id_of "$A")" = "${ids[$A]}" ] || fail "A came back with another Node-ID"
eventually 30 published "$ALICE_AOR" "$A" || fail "alice not stored again: $(ctl "$A" registrations)"
# Signed by the same derived key, the new value replaces the old one (same
# dictionary key) on the node responsible for alice instead of adding one.
[ "$(metric "$S2" storage_values)" = "$values_at_s2" ] ||
  fail "node $S2 holds $(metric "$S2" storage_values) values, $values_at_s2 before: a second entry for alice"
echo "ok   - A restarted with the same Node-ID; alice and bob are back without a REGISTER, stored again"
call_alice call-after-restart "home daemon A killed and restarted"
wait "$ALICE_UAS" || fail "alice's UAS did not complete its three calls"
echo "ok   - alice's UAS (one process on port $ALICE) answered all three calls"
gruus_reach_their_devices "after the restart" 2 1

# --- a corrupt bindings file -------------------------------------------------------------
stop_node "$A" KILL
printf '{"format": "p2psipd-sip-bindings", "version": 1, "aors": [{"aor": ' >"$bindings_file"
start_sip_node "$A" "$port_c"
eventually 10 control_up || fail "A did not start with a corrupt bindings file"
grep -q "bindings not restored: not JSON" "$work/n$A/log" ||
  fail "no clear log line for the corrupt file: $(grep 'sip:' "$work/n$A/log" | tail -n 3)"
aside=$(ls "$bindings_file".bad-* 2>/dev/null | head -n 1)
[ -n "$aside" ] && grep -q '"aors": \[{"aor": $' "$aside" || fail "the corrupt file was not kept aside"
[ "$(ctl "$A" registrations | json_field 'len(r["registrations"])')" = 0 ] ||
  fail "A restored bindings from a corrupt file"
eventually 30 joined "$A" || fail "A did not rejoin after the corrupt file"
live "$A" || fail "A died"
echo "ok   - a corrupt bindings file: logged, kept as $(basename "$aside"), A runs with no bindings"

# --- a damaged key seed -------------------------------------------------------------------
# Starting with another seed would sign with new keys and leave a second
# entry per AOR: the daemon refuses to start and keeps the file as it is.
stop_node "$A" TERM
cp "$seed_file" "$work/seed.saved"
printf 'not a seed\n' >"$seed_file"
launch_node "$A"
exited() { ! kill -0 "${pids[$A]}" 2>/dev/null; }
eventually 10 exited || fail "A started with a damaged key seed"
wait "${pids[$A]}" && fail "A exited with status 0 on a damaged key seed"
grep -q "p2psipd: the SIP users' key seed: .*$seed_file: not a key seed" "$work/n$A/log" ||
  fail "no clear error for the damaged seed: $(tail -n 2 "$work/n$A/log")"
[ "$(cat "$seed_file")" = "not a seed" ] || fail "the damaged seed file was replaced"
cp "$work/seed.saved" "$seed_file"
launch_node "$A"
eventually 30 joined "$A" || fail "A did not start again with its seed back"
echo "ok   - a damaged key seed: A refuses to start, says why, and leaves the file"

# --- the callee's daemon dies while the phone rings ------------------------------------
# C's front waits on a TCP connection spliced to the stream to A: once that
# stream breaks, the connection is reset and nta fails the INVITE branch at
# once (RFC 3261 §16.9: as a 503, forwarded as 500 per §16.7), instead of
# the caller hearing nothing until Timer C (3 minutes).
CAROL=$(free_port)
register reg-carol "$A" carol "$CAROL"
eventually 30 found_at "sip:carol@$DOMAIN" "$C" "${ids[$A]}" ||
  fail "C's lookup of carol does not name A: $(ctl "$C" lookup "aor=sip:carol@$DOMAIN" 2>&1)"
sipp_uas carol "$CAROL" 60 -sf "$SCEN/uas_cancel.xml" -s carol -m 1
sed -e "s|@CODE@|500|g" -e "s|@HDRRE@|SIP/2.0 500|g" "$SCEN/uac_invite_expect.xml" >"$work/i500.xml"
run_sipp call-carol "$SIP_C" -sf "$work/i500.xml" -s carol -m 1 &
caller=$!
helper_pids+=("$caller")
rang() { grep -q "^SIP/2.0 180" "$work/call-carol.msg" 2>/dev/null; }
eventually 10 rang || fail "the caller did not hear carol ring"
stop_node "$A" KILL
killed=$(date +%s%N)
wait "$caller" || fail "the caller got no 500 after A died: $(grep '^SIP/2.0' "$work/call-carol.msg" | tr '\n' ' ')"
waited_ms=$((($(date +%s%N) - killed) / 1000000))
[ "$waited_ms" -lt 3000 ] || fail "the caller waited $waited_ms ms for its final response"
echo "ok   - carol's daemon killed while ringing: the caller got 500 after $waited_ms ms"

for i in "$C" "$S2"; do live "$i" || fail "node $i died"; done
echo "PASS"
