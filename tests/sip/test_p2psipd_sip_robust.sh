#!/bin/bash
# Bad SIP input against real daemons. Three p2psipd on loopback: A and B
# with SIP on loopback (no digest), D with `auth: always` and a password
# file.
#  * Malformed SIP at A (tests/sip/malformed.py, over UDP and TCP: missing
#    Via, Call-ID, CSeq, From, To; Content-Length too long, too short,
#    negative, not a number; a 100 KiB header line; messages over the size
#    limit; binary junk; truncated start lines; SIP/3.0; responses to
#    nothing): each gets exactly the answer RFC 3261 calls for, or none.
#    Afterwards A runs, answers a SIPp OPTIONS with 200, and alice, who
#    registered before the abuse, is still bound at A, stored in the overlay
#    and found from B.
#  * Digest at D: REGISTER without credentials → 401 with a Digest
#    challenge; the right password → 200 and the binding (in the overlay
#    too); a wrong password → 401, another user's credentials → 403, and
#    nothing stored changes.
#  * auth: auto on a listener beyond loopback without auth-file is refused
#    with file:line by --check-config; with an auth-file it is accepted.
#
# usage: test_p2psipd_sip_robust.sh P2PSIPD P2PSIPCTL SCENARIO_DIR
# Exits 77 when sipp is missing. Every process is killed by the trap; every
# wait is bounded. KEEP=1 keeps the work dir.
set -u
P2PSIPD=$1
P2PSIPCTL=$2
SCEN=$3
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
make_sip_work sip-robust

DOMAIN=p2psip.test
A=0 B=1 D=2
printf 'carol:secret\ndave:hunter2\n' >"$work/sip-users"
sip_extra[D]=$(printf '  auth: always\n  auth-file: %s\n  realm: %s' "$work/sip-users" "$DOMAIN")
start_sip_ring 3
NODE_A=$(node_id_of $A)
NODE_D=$(node_id_of $D)
SIP_A=127.0.0.1:$(sip_port $A)
SIP_D=127.0.0.1:$(sip_port $D)
echo "# ring of 3 joined; SIP fronts A=$SIP_A D=$SIP_D (digest)"

# client NAME WHAT PROXY SIPP_ARGS...: a SIPp client that must complete one call.
client() {
  local name=$1 what=$2
  shift 2
  check "$what" run_sipp "$name" "$@" -m 1
}
same() { [ "$1" = "$2" ]; }

# --- alice registers at A before the abuse -------------------------------------------
client reg-alice "REGISTER alice at A → 200" "$SIP_A" -sf "$SCEN/register.xml" -s alice \
  -key uas_port "$(free_port)"
check "alice is stored in the overlay" eventually 20 published "sip:alice@$DOMAIN" $A
check "B's lookup of alice names A" eventually 20 found_at "sip:alice@$DOMAIN" $B "$NODE_A"
alice_before=$(bindings_of $A)

# --- malformed SIP at A ------------------------------------------------------------------
if python3 "$HERE/malformed.py" 127.0.0.1 "$(sip_port $A)" >"$work/malformed.out" 2>&1; then
  ok "malformed SIP at A: every case answered as RFC 3261 says, or dropped"
else
  bad "malformed SIP at A (see below)"
fi
sed 's/^/#   /' "$work/malformed.out"
check "A still runs" kill -0 "${pids[$A]}"
sed -e "s|@METHOD@|OPTIONS|g" -e "s|@RURI@|sip:$SIP_A|g" -e "s|@MF@|70|g" -e "s|@CODE@|200|g" \
  -e "s|@HDRRE@|SIP/2.0 200|g" "$SCEN/uac_expect.xml" >"$work/options.xml"
client options "OPTIONS to A after the abuse → 200" "$SIP_A" -sf "$work/options.xml"
check "alice's binding at A is unchanged" same "$(bindings_of $A)" "$alice_before"
check "alice is still stored in the overlay" published "sip:alice@$DOMAIN" $A
check "B's lookup of alice still names A" found_at "sip:alice@$DOMAIN" $B "$NODE_A"

# --- digest at D -----------------------------------------------------------------------------
sed "s|@REALM@|$DOMAIN|g" "$SCEN/register_challenge.xml" >"$work/challenge.xml"
client challenge "REGISTER without credentials at D → 401, Digest realm=\"$DOMAIN\", qop=auth" \
  "$SIP_D" -sf "$work/challenge.xml" -s carol
check "nothing registered at D after the challenge" same "$(bindings_of $D)" "[]"
sed "s|@CODE@|200|g" "$SCEN/register_auth.xml" >"$work/auth-ok.xml"
client auth-ok "REGISTER carol with her password → 401, then 200" "$SIP_D" \
  -sf "$work/auth-ok.xml" -s carol -au carol -ap secret
carol_bound() { bindings_of $D | grep -q "('sip:carol@$DOMAIN', \['sip:carol@127.0.0.1:"; }
check "p2psipctl registrations at D lists carol" carol_bound
check "carol is stored in the overlay" eventually 20 published "sip:carol@$DOMAIN" $D
check "A's lookup of carol names D" eventually 20 found_at "sip:carol@$DOMAIN" $A "$NODE_D"
carol_before=$(bindings_of $D)
sed "s|@CODE@|401|g" "$SCEN/register_auth.xml" >"$work/auth-bad.xml"
client auth-bad "REGISTER carol with a wrong password → 401 twice" "$SIP_D" \
  -sf "$work/auth-bad.xml" -s carol -au carol -ap wrong
sed "s|@CODE@|403|g" "$SCEN/register_auth.xml" >"$work/auth-other.xml"
client auth-other "REGISTER carol with dave's credentials → 403" "$SIP_D" \
  -sf "$work/auth-other.xml" -s carol -au dave -ap hunter2
check "the refused REGISTERs changed nothing at D" same "$(bindings_of $D)" "$carol_before"
check "carol is still stored in the overlay, found from A" found_at "sip:carol@$DOMAIN" $A "$NODE_D"

# --- auth: auto beyond loopback ----------------------------------------------------------------
# (a config only: node 9 is never started)
sip_extra[9]="  listen-address: 0.0.0.0"
write_sip_config 9
exposed=$work/n9/p2psipd.yaml
line=$(grep -n "listen-address: 0.0.0.0" "$exposed" | cut -d: -f1)
refusal=$("$P2PSIPD" --check-config -c "$exposed" --state-dir "$work/n9/state" 2>&1)
status=$?
if [ $status -ne 0 ] &&
  [[ $refusal == *"$exposed:$line:"*"sip.listen-address: '0.0.0.0' is not loopback"*"auth-file"* ]]; then
  ok "auth: auto on 0.0.0.0 without auth-file is refused: $refusal"
else
  bad "auth: auto on 0.0.0.0 without auth-file: status $status, '$refusal'"
fi
sip_extra[9]=$(printf '  listen-address: 0.0.0.0\n  auth-file: %s' "$work/sip-users")
write_sip_config 9
check "with an auth-file the same configuration is accepted" \
  "$P2PSIPD" --check-config -c "$exposed" --state-dir "$work/n9/state"

for i in $A $B $D; do check "node $i still runs" kill -0 "${pids[$i]}"; done
finish $A $D
