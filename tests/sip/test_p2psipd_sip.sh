#!/bin/bash
# SIP across real daemons (RFC 7904 end to end): three p2psipd on loopback,
# each with its SIP front on an ephemeral port. A SIPp UAS registers alice on
# daemon A (a SIP-REGISTRATION Store in the overlay); SIPp UACs on daemon C
# reach her through a Fetch, an AppAttach and a TLS stream between the
# daemons: INVITE → 180/200 → ACK → BYE 200, MESSAGE → 200, an unknown AOR
# → 404 (a MESSAGE to it → 202, kept offline), CANCEL before the answer → 487; sip.message from C's control socket
# → 200. p2psipctl registrations on A lists alice, lookup on C names A.
#
# usage: test_p2psipd_sip.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap (the
# shared lib's cleanup); every wait is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work sip

DOMAIN=p2psip.test

# --- three daemons ------------------------------------------------------------
start_sip_ring 3
SIP_A=127.0.0.1:$(sip_port 0)
SIP_C=127.0.0.1:$(sip_port 2)
NODE_A=$(node_id_of 0)
echo "# ring of 3 joined; SIP fronts A=$SIP_A C=$SIP_C; A is $NODE_A"

# start_uas NAME [sipp args...]: a SIPp server in the background ($LAST_PID).
start_uas() {
  local name=$1
  shift
  timeout 60 sipp -i 127.0.0.1 -nostdin -timeout 50s -timeout_error \
    -trace_err -error_file "$work/$name.err" -message_file "$work/$name.msg" -trace_msg \
    "$@" >"$work/$name.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
}
# successful_calls NAME: SIPp's cumulative SuccessfulCall count of a client.
successful_calls() {
  python3 - "$work/$1.csv" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
print(rows[-1][rows[0].index("SuccessfulCall(C)")])
PY
}
expect_xml() {  # expect_xml OUT METHOD RURI CODE HDRRE
  sed -e "s|@METHOD@|$2|g" -e "s|@RURI@|$3|g" -e "s|@MF@|70|g" -e "s|@CODE@|$4|g" \
    -e "s|@HDRRE@|$5|g" "$SCEN/uac_expect.xml" >"$1"
}
# client NAME PROXY SIPP_ARGS...: a client that must complete exactly one call.
client() {
  local name=$1 what=$2
  shift 2
  if run_sipp "$name" "$@" -m 1 && [ "$(successful_calls "$name")" = 1 ]; then
    ok "$what"
  else
    bad "$what (see $work/$name.*)"
  fi
}
uas_done() {  # uas_done PID WHAT
  if wait "$1"; then ok "$2"; else bad "$2"; fi
}

ALICE=$(free_port)

# --- registration on A, visible in the overlay from C ------------------------------
client reg-alice "REGISTER alice on A → 200" "$SIP_A" -sf "$SCEN/register.xml" -s alice \
  -key uas_port "$ALICE"
alice_published() {
  ctl 0 registrations | json_field \
    '[g["published"] for g in r["registrations"] if g["aor"] == "sip:alice@'$DOMAIN'"][0]' |
    grep -qx stored
}
if eventually 20 alice_published; then
  ok "p2psipctl registrations on A lists alice, stored in the overlay"
else
  bad "registrations on A: $(ctl 0 registrations 2>&1)"
fi
c_finds_a() {
  ctl 2 lookup "aor=sip:alice@$DOMAIN" | json_field 'r["nodes"]' | grep -q "$NODE_A"
}
if eventually 20 c_finds_a; then
  ok "p2psipctl lookup on C names A's node"
else
  bad "lookup on C: $(ctl 2 lookup "aor=sip:alice@$DOMAIN" 2>&1)"
fi

# --- a call from C to alice on A ------------------------------------------------------
start_uas uas-call -sf "$SCEN/uas_call.xml" -p "$ALICE" -s alice -m 1
UAS=$LAST_PID
sleep 0.3
client call "INVITE via C → 180/200 → ACK → BYE 200" "$SIP_C" -sf "$SCEN/uac_call.xml" -s alice
uas_done "$UAS" "alice's UAS saw INVITE, ACK and BYE"

# --- MESSAGE --------------------------------------------------------------------------
start_uas uas-msg -sf "$SCEN/uas_message.xml" -p "$ALICE" -s alice -m 1
UAS=$LAST_PID
sleep 0.3
expect_xml "$work/msg.xml" MESSAGE "sip:alice@$DOMAIN" 200 "SIP/2.0 200"
client msg "MESSAGE via C → 200" "$SIP_C" -sf "$work/msg.xml"
uas_done "$UAS" "alice's UAS got the MESSAGE"

# --- sip.message from C's control socket ---------------------------------------------------
start_uas uas-rpc -sf "$SCEN/uas_message.xml" -p "$ALICE" -s alice -m 1
UAS=$LAST_PID
sleep 0.3
status=$(ctl 2 message "from=sip:ops@$DOMAIN" "to=sip:alice@$DOMAIN" "body=hello through the proxy" 2>&1 |
  json_field 'r["status"]' 2>&1)
if [ "$status" = 200 ]; then ok "p2psipctl message on C → 200"; else bad "sip.message: $status"; fi
uas_done "$UAS" "alice's UAS got the daemon's MESSAGE"

# --- unknown AOR ------------------------------------------------------------------------
# A MESSAGE is kept in the overlay for an AOR with no contact (offline messages).
expect_xml "$work/m202.xml" MESSAGE "sip:nobody@$DOMAIN" 202 "SIP/2.0 202"
client m202 "MESSAGE to an unknown AOR via C → 202 (kept offline)" "$SIP_C" -sf "$work/m202.xml"
sed -e "s|@CODE@|404|g" -e "s|@HDRRE@|SIP/2.0 404|g" "$SCEN/uac_invite_expect.xml" >"$work/i404.xml"
client i404 "INVITE to an unknown AOR via C → 404" "$SIP_C" -sf "$work/i404.xml" -s nobody

# --- CANCEL before the answer ---------------------------------------------------------------
start_uas uas-cancel -sf "$SCEN/uas_cancel_relayed.xml" -p "$ALICE" -s alice -m 1
UAS=$LAST_PID
sleep 0.3
client cancel "CANCEL via C → 200, INVITE → 487" "$SIP_C" -sf "$SCEN/uac_cancel.xml" -s alice
uas_done "$UAS" "alice's UAS saw the CANCEL"

# --- the dialogs are gone, the daemons alive ---------------------------------------------------
no_dialogs() { [ "$(ctl 2 calls | json_field 'len(r["dialogs"])' 2>&1)" = 0 ]; }
if eventually 5 no_dialogs; then ok "no dialog left on C"; else bad "dialogs left on C: $(ctl 2 calls 2>&1); on A: $(ctl 0 calls 2>&1)"; fi
for i in 0 1 2; do kill -0 "${pids[$i]}" 2>/dev/null || bad "node $i died"; done

finish 0 2
