#!/bin/bash
# SIPp against the real sip front (sip-front-harness: one daemon, local
# routing, fake overlay directory). Usage: sipp_integration.sh HARNESS SRCDIR
# Every process is started here and killed by the trap; every wait is bounded.
set -u
HARNESS=${1:?harness}
SRC=${2:?source dir}
SCEN="$SRC/scenarios"
WORK=$(mktemp -d /tmp/p2psip-sipp.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

FAILS=0
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }

free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_harness NAME [args]: starts a front; sets HPID, PORT and PROXY.
start_harness() {
  local name=$1; shift
  "$HARNESS" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  HPID=$!
  PIDS+=("$HPID")
  for _ in $(seq 50); do
    grep -q UDP_PORT "$WORK/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  PORT=$(sed -n 's/^UDP_PORT=\([0-9]*\).*/\1/p' "$WORK/$name.out")
  [ -n "$PORT" ] || { echo "$name did not start"; cat "$WORK/$name.err"; exit 1; }
  PROXY=127.0.0.1:$PORT
}
start_harness harness
echo "# sip front on $PROXY"

# sipp NAME [sipp args...]: runs one bounded SIPp instance, returns its status.
run_sipp() {
  local name=$1; shift
  timeout 30 sipp "$PROXY" -i 127.0.0.1 -nostdin -timeout 15s -timeout_error \
    -trace_err -error_file "$WORK/$name.err" -trace_stat -stf "$WORK/$name.csv" \
    -message_file "$WORK/$name.msg" -trace_msg "$@" >"$WORK/$name.out" 2>&1
}
# Start a UAS in the background; its pid goes to PIDS and to $LAST_PID.
start_uas() {
  local name=$1; shift
  timeout 40 sipp -i 127.0.0.1 -nostdin -timeout 30s -timeout_error \
    -trace_err -error_file "$WORK/$name.err" -message_file "$WORK/$name.msg" -trace_msg \
    "$@" >"$WORK/$name.out" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
wait_pid() {  # wait_pid PID: the exit status of a background SIPp
  wait "$1"
}
expect_xml() {  # expect_xml OUT METHOD RURI MF CODE HDRRE
  sed -e "s|@METHOD@|$2|g" -e "s|@RURI@|$3|g" -e "s|@MF@|$4|g" -e "s|@CODE@|$5|g" \
      -e "s|@HDRRE@|$6|g" "$SCEN/uac_expect.xml" >"$1"
}
invite_xml() {  # invite_xml OUT CODE HDRRE
  sed -e "s|@CODE@|$2|g" -e "s|@HDRRE@|$3|g" "$SCEN/uac_invite_expect.xml" >"$1"
}
register_xml() {  # register_xml OUT CONTACT EXPIRES CODE
  sed -e "s|@CONTACT@|$2|g" -e "s|@EXPIRES@|$3|g" -e "s|@CODE@|$4|g" "$SCEN/register_expect.xml" >"$1"
}

ALICE=$(free_port); BOB=$(free_port); CAROL=$(free_port)

# 1. Registrations (with GRUU) for the three callees.
for who in alice:$ALICE bob:$BOB carol:$CAROL; do
  user=${who%%:*}; port=${who##*:}
  if run_sipp "reg-$user" -sf "$SCEN/register.xml" -s "$user" -key uas_port "$port" -m 1; then
    ok "REGISTER $user → 200 with expires and pub-gruu"
  else fail "REGISTER $user (see $WORK/reg-$user.*)"; fi
done

# 2. 423 for too brief an interval; the earlier bindings stay.
register_xml "$WORK/brief.xml" "<sip:alice@127.0.0.1:9>" 5 423
run_sipp brief -sf "$WORK/brief.xml" -s alice -m 1 && ok "REGISTER Expires: 5 → 423" || fail "423"

# 3. A call through the proxy: INVITE → 180/200 → ACK → BYE → 200.
start_uas uas-alice -sf "$SCEN/uas_call.xml" -p "$ALICE" -s alice -m 1
UAS_ALICE=$LAST_PID
sleep 0.3
if run_sipp call -sf "$SCEN/uac_call.xml" -s alice -m 1; then ok "UAC call to alice completed"; else fail "UAC call (see $WORK/call.*)"; fi
if wait_pid "$UAS_ALICE"; then ok "UAS alice saw INVITE/ACK/BYE"; else fail "UAS alice (see $WORK/uas-alice.*)"; fi
sleep 0.2  # events reach the (fake) overlay thread asynchronously
grep -q "event dialog .* confirmed" "$WORK/harness.err" && grep -q "event dialog .* ended" "$WORK/harness.err" \
  && ok "dialog events: confirmed, then ended by BYE" || fail "dialog events (see $WORK/harness.err)"

# 4. MESSAGE → 200 at bob.
start_uas uas-bob -sf "$SCEN/uas_message.xml" -p "$BOB" -s bob -m 1
UAS_BOB=$LAST_PID
sleep 0.3
expect_xml "$WORK/msg.xml" MESSAGE "sip:bob@p2psip.test" 70 200 "SIP/2.0 200"
run_sipp msg -sf "$WORK/msg.xml" -m 1 && ok "MESSAGE to bob → 200" || fail "MESSAGE (see $WORK/msg.*)"
wait_pid "$UAS_BOB" && ok "UAS bob got the MESSAGE body" || fail "UAS bob (see $WORK/uas-bob.*)"

# 4b. Every other method is proxied the same way (bob answers each with 200).
METHODS="OPTIONS SUBSCRIBE NOTIFY UPDATE INFO PRACK REFER"
start_uas uas-any -sf "$SCEN/uas_any.xml" -p "$BOB" -s bob -m 7
UAS_ANY=$LAST_PID
sleep 0.3
for m in $METHODS; do
  expect_xml "$WORK/any-$m.xml" "$m" "sip:bob@p2psip.test" 70 200 "SIP/2.0 200"
  run_sipp "any-$m" -sf "$WORK/any-$m.xml" -m 1 && ok "$m to bob → 200" || fail "$m (see $WORK/any-$m.*)"
done
wait_pid "$UAS_ANY" && ok "UAS bob answered all 7 methods" || fail "UAS bob methods (see $WORK/uas-any.*)"

# 5. Unknown AOR → 404 (MESSAGE and INVITE); overlay failures.
expect_xml "$WORK/404.xml" MESSAGE "sip:nobody@p2psip.test" 70 404 "SIP/2.0 404"
run_sipp m404 -sf "$WORK/404.xml" -m 1 && ok "MESSAGE unknown AOR → 404" || fail "404 MESSAGE"
invite_xml "$WORK/i404.xml" 404 "SIP/2.0 404"
run_sipp i404 -sf "$WORK/i404.xml" -s nobody -m 1 && ok "INVITE unknown AOR → 404" || fail "404 INVITE"
invite_xml "$WORK/i408.xml" 408 "Reason: SIP;cause=408"
run_sipp i408 -sf "$WORK/i408.xml" -s slow -m 1 && ok "overlay timeout → 408 with Reason" || fail "408"
invite_xml "$WORK/i480.xml" 480 "SIP/2.0 480"
run_sipp i480 -sf "$WORK/i480.xml" -s away -m 1 && ok "registered nowhere reachable → 480" || fail "480"
invite_xml "$WORK/i503.xml" 503 "Reason: SIP;cause=503"
run_sipp i503 -sf "$WORK/i503.xml" -s down -m 1 && ok "overlay down → 503 with Reason" || fail "503"

# 6. CANCEL before answer → 487 at the UAC.
start_uas uas-carol -sf "$SCEN/uas_cancel.xml" -p "$CAROL" -s carol -m 1
UAS_CAROL=$LAST_PID
sleep 0.3
run_sipp cancel -sf "$SCEN/uac_cancel.xml" -s carol -m 1 && ok "CANCEL → 200, INVITE → 487 at UAC" || fail "CANCEL (see $WORK/cancel.*)"
wait_pid "$UAS_CAROL" && ok "UAS carol saw the CANCEL" || fail "UAS carol (see $WORK/uas-carol.*)"

# 6b. Forking: "fork" has two contacts; one answers, the proxy CANCELs the other.
FORK1=$(free_port); FORK2=$(free_port)
run_sipp reg-fork1 -sf "$SCEN/register.xml" -s fork -key uas_port "$FORK1" -m 1 || fail "REGISTER fork 1"
run_sipp reg-fork2 -sf "$SCEN/register.xml" -s fork -key uas_port "$FORK2" -m 1 || fail "REGISTER fork 2"
start_uas uas-fork1 -sf "$SCEN/uas_call.xml" -p "$FORK1" -s fork -m 1
UAS_F1=$LAST_PID
start_uas uas-fork2 -sf "$SCEN/uas_cancel.xml" -p "$FORK2" -s fork -m 1
UAS_F2=$LAST_PID
sleep 0.3
run_sipp fork -sf "$SCEN/uac_call.xml" -s fork -m 1 && ok "forked call answered by one contact" || fail "fork call (see $WORK/fork.*)"
wait_pid "$UAS_F1" && ok "fork: the answering contact saw ACK and BYE" || fail "fork UAS 1 (see $WORK/uas-fork1.*)"
wait_pid "$UAS_F2" && ok "fork: the other contact was CANCELled" || fail "fork UAS 2 (see $WORK/uas-fork2.*)"

# 7. Max-Forwards: 0 → 483; OPTIONS to the daemon itself → 200.
expect_xml "$WORK/483.xml" OPTIONS "sip:alice@p2psip.test" 0 483 "SIP/2.0 483"
run_sipp mf0 -sf "$WORK/483.xml" -m 1 && ok "Max-Forwards 0 → 483" || fail "483"
expect_xml "$WORK/opt.xml" OPTIONS "sip:$PROXY" 70 200 "SIP/2.0 200"
run_sipp opt1 -sf "$WORK/opt.xml" -m 1 && ok "OPTIONS to the daemon → 200" || fail "OPTIONS"

# 8. Malformed SIP: answered 400 or dropped, and the front survives.
if python3 "$SRC/malformed.py" 127.0.0.1 "$PORT" >"$WORK/malformed.out" 2>&1; then
  ok "malformed input answered 400 or dropped"; else fail "malformed (see $WORK/malformed.out)"; fi
cat "$WORK/malformed.out" | sed 's/^/#   /'
kill -0 "$HPID" 2>/dev/null && ok "front still running" || fail "front died"
run_sipp opt2 -sf "$WORK/opt.xml" -m 1 && ok "OPTIONS after junk → 200" || fail "OPTIONS after junk"

# 9. Unregister with Contact: * and Expires: 0; alice is then 404.
register_xml "$WORK/unreg.xml" "*" 0 200
run_sipp unreg -sf "$WORK/unreg.xml" -s alice -m 1 && ok "REGISTER * Expires: 0 → 200" || fail "unregister *"
invite_xml "$WORK/gone.xml" 404 "SIP/2.0 404"
run_sipp gone -sf "$WORK/gone.xml" -s alice -m 1 && ok "alice unregistered → 404" || fail "404 after unregister"
# bob's registration is untouched.
register_xml "$WORK/query.xml" "<sip:bob@127.0.0.1:$BOB>" 3600 200
run_sipp still -sf "$WORK/query.xml" -s bob -m 1 && ok "bob still registered" || fail "bob lost"

stop_harness() {  # stop_harness PID NAME: SIGTERM, then a clean exit (no sanitizer report)
  kill "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then fail "$2 did not stop on SIGTERM"; return; fi
  local status=0
  wait "$1" 2>/dev/null || status=$?
  [ "$status" -eq 0 ] && return
  fail "$2 exited $status after SIGTERM"
  tail -n 40 "$WORK/$2.err" | sed 's/^/#   /'
}
stop_harness "$HPID" harness

# 10. Digest: a second front that requires it (sofia auth_module, user file).
printf 'alice:secret\nbob:hunter2\n' >"$WORK/users"
start_harness harness2 --auth-db "$WORK/users"
sed -e "s|@CODE@|200|g" "$SCEN/register_auth.xml" >"$WORK/auth-ok.xml"
sed -e "s|@CODE@|401|g" "$SCEN/register_auth.xml" >"$WORK/auth-bad.xml"
run_sipp auth-ok -sf "$WORK/auth-ok.xml" -s alice -au alice -ap secret -m 1 \
  && ok "digest REGISTER: 401 challenge, then 200" || fail "digest (see $WORK/auth-ok.*)"
run_sipp auth-bad -sf "$WORK/auth-bad.xml" -s alice -au alice -ap wrong -m 1 \
  && ok "digest REGISTER with a wrong password → 401" || fail "digest wrong password"
sed -e "s|@CODE@|403|g" "$SCEN/register_auth.xml" >"$WORK/auth-other.xml"
run_sipp auth-other -sf "$WORK/auth-other.xml" -s alice -au bob -ap hunter2 -m 1 \
  && ok "bob's credentials cannot register alice → 403" || fail "digest identity check"
stop_harness "$HPID" harness2
echo "# $FAILS failure(s); logs in $WORK (KEEP=1 keeps them)"
[ "$FAILS" -eq 0 ]
