#!/bin/bash
# Accounts from the softphone's password (p2psipd(8) ACCOUNTS FROM THE
# PHONE'S PASSWORD), on loopback: a CA (p2psip-ca serve) that holds bob's
# and carol's passwords, and two boxes that know only the overlay name, the
# configuration URL and a token each. On box 1, SIPp registers bob with
# digest (401 from the CA's challenge, then the answer), baresip registers
# carol with her password (both MD5-only phones: their users get the
# default, an MD5 H(A1) alone), and erin's phone (p2psip-ca passwd
# --digest sha256,md5,
# digest_phone.py) gets SHA-256 and MD5 challenges in that order (RFC 8760)
# and answers SHA-256: box 1 then holds a certificate for each
# (user bob/carol, box 1's Node-ID, chained to the CA's root, key 0600),
# node.status lists them, each registration is stored under its own
# certificate, and box 2 reaches each user with a MESSAGE. Refused, with
# nothing stored lost: a wrong password (403, no account, bob's registration
# still found), bob's Authorization replayed at box 2 (403, nonce already
# used), and a user the CA has no password for gets no challenge (200 as
# before). Accounts survive a restart of box 1. Exits 77 without sipp or
# baresip.
#
# usage: test_p2psipd_accounts.sh P2PSIPD P2PSIPCTL P2PSIP_CA SCENARIOS
set -u
P2PSIPD=$1
P2PSIPCTL=$2
P2PSIP_CA=$3
SCEN=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/p2psipd_sip_lib.sh"
command -v sipp >/dev/null || skip "sipp is not installed"
. "$HERE/baresip_lib.sh"
command -v openssl >/dev/null || skip "no openssl(1)"
make_sip_work accounts
OVERLAY=accounts.test.example
DOMAIN=$OVERLAY  # baresip_lib's phones register user@DOMAIN
started=$SECONDS

# --- the CA ------------------------------------------------------------------------
ca_dir=$work/ca
ca_port=$(free_port)
ca_url=https://127.0.0.1:$ca_port
box_ports=("$(free_port)" "$(free_port)")
init_ca "$ca_dir" "127.0.0.1:${box_ports[0]}"
# SIPp 3.6.1 and baresip 1.0.0 stop at a SHA-256 challenge: bob and carol
# get the default (MD5 alone); erin's phone answers SHA-256 and is offered both.
for user in bob carol; do
  printf '%s-secret\n' "$user" | "$P2PSIP_CA" passwd --users "$ca_dir/users" --user "$user@$OVERLAY" ||
    fail "p2psip-ca passwd $user"
done
printf 'erin-secret\n' |
  "$P2PSIP_CA" passwd --users "$ca_dir/users" --user "erin@$OVERLAY" --digest sha256,md5 ||
  fail "p2psip-ca passwd erin"
grep -q "^bob@$OVERLAY:.*:digest-md5=[0-9a-f]\{32\}$" "$ca_dir/users" || fail "passwd kept no MD5 H(A1) alone for bob"
grep -q "^erin@$OVERLAY:.*:digest-md5=[0-9a-f]\{32\}:digest-sha256=[0-9a-f]\{64\}$" "$ca_dir/users" ||
  fail "passwd kept no MD5 and SHA-256 H(A1)s for erin"
for i in 0 1; do
  tokens[$i]=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box$i@$OVERLAY") || fail "p2psip-ca token"
done
"$P2PSIP_CA" serve --dir "$ca_dir" --listen "127.0.0.1:$ca_port" --url "$ca_url" \
  --users "$ca_dir/users" >"$work/ca.out" 2>"$work/ca.log" &
helper_pids+=("$!")
eventually 10 grep -q "listening on" "$work/ca.out" || fail "the CA did not start: $(cat "$work/ca.log")"

# --- two boxes, SIP on loopback -----------------------------------------------------
start_box() {  # start_box I [--token TOKEN | --root FINGERPRINT]
  start_office_box "$1" 127.0.0.1 "${box_ports[$1]}" sip \
    --config-url "$ca_url/.well-known/reload-config" "${@:2}"
}
for i in 0 1; do start_box "$i" --token "${tokens[$i]}"; done
eventually 60 all_joined 0 1 || fail "the boxes did not join"
eventually 60 ring_consistent 0 1 || fail "the boxes' ring is not consistent"
for i in 0 1; do eventually 10 has_sip_port "$i" || fail "box $i printed no SIP port"; done
NODE0=$(node_id_of 0)
echo "# CA and two enrolled boxes after $((SECONDS - started)) s"

# --- bob: SIPp with digest on box 0 ----------------------------------------------
sed "s|p2psip.test|$OVERLAY|g" "$SCEN/register_auth.xml" >"$work/register_auth.xml"
register_as() {  # register_as NAME BOX USER PASSWORD CODE [sipp args]: one REGISTER, digest, CODE
  local name=$1 box=$2 user=$3 password=$4 code=$5
  shift 5
  sed "s|@CODE@|$code|" "$work/register_auth.xml" >"$work/$name.xml"
  run_sipp "$name" "127.0.0.1:$(sip_port "$box")" -sf "$work/$name.xml" -s "$user" \
    -au "$user" -ap "$password" -m 1 "$@"
}
BOB_PORT=$(free_port)
check "bob (SIPp): 401 with the CA's challenge, then 200" \
  register_as reg-bob 0 bob bob-secret 200 -p "$BOB_PORT"
check "the challenge names the realm $OVERLAY and MD5" \
  grep -q "WWW-Authenticate: Digest realm=\"$OVERLAY\", nonce=\"[0-9a-f]\{32\}\", algorithm=MD5" "$work/reg-bob.msg"
check "and only MD5, bob's users line holding no SHA-256 H(A1)" \
  eval '! grep -q "algorithm=SHA-256" "$work/reg-bob.msg"'
account_of() {  # account_of BOX USER: the account's certificate in node.status, as "user node_id"
  ctl "$1" status | json_field \
    '" ".join([a["user"] + " " + a["node_ids"][0] for a in r["accounts"] if a["user"] == "'"$2@$OVERLAY"'"])'
}
check "node.status on box 0 lists bob's account, bound to box 0's Node-ID" \
  eventually 10 eval 'test "$(account_of 0 bob)" = "bob@$OVERLAY $NODE0"'
no_account() { [ -z "$(account_of "$1" "$2")" ] && [ ! -e "$work/n$1/state/accounts/$2@$OVERLAY" ]; }
key_private() { [ "$(stat -c %a "$work/n0/state/accounts/$1@$OVERLAY/node.key")" = 600 ]; }
check "bob's account key is 0600" key_private bob
chains() { openssl verify -CAfile "$ca_dir/ca.crt" "$work/n0/state/accounts/$1@$OVERLAY/node.crt" >/dev/null 2>&1; }
check "bob's account certificate chains to the CA's root" chains bob
check "bob's registration is stored (signed with his certificate)" \
  eventually 20 published "sip:bob@$OVERLAY" 0
check "box 1 finds bob at box 0" eventually 20 found_at "sip:bob@$OVERLAY" 1 "$NODE0"

# --- carol: baresip with her password on box 0 --------------------------------------
start_phone carol bob "$(sip_port 0)" ";auth_pass=carol-secret"
register_phone carol
check "carol's baresip: REGISTER_OK through box 0" saw carol REGISTER_OK
check "carol's baresip answered the CA's challenge" grep -q "401 Unauthorized" "$work/carol/out"
check "node.status on box 0 lists carol's account too" \
  eventually 10 eval 'test "$(account_of 0 carol)" = "carol@$OVERLAY $NODE0"'
check "carol's account certificate chains to the CA's root" chains carol
check "carol's registration is stored (signed with her certificate)" \
  eventually 20 published "sip:carol@$OVERLAY" 0
check "box 1 finds carol at box 0" eventually 20 found_at "sip:carol@$OVERLAY" 1 "$NODE0"
different_keys() { ! cmp -s "$work/n0/state/accounts/bob@$OVERLAY/node.crt" "$work/n0/state/accounts/carol@$OVERLAY/node.crt"; }
check "bob and carol have certificates of their own" different_keys
# RFC 6940 §8: the accounts' certificates stored at their user names and at
# box 0's Node-ID, accepted by the storing peers (USER-MATCH, NODE-MATCH).
check "the certificates are stored in CERTIFICATE_BY_USER (Kind 16)" \
  eventually 10 grep -q "accounts: certificates stored (Kind 16)" "$work/n0/log"
check "and in CERTIFICATE_BY_NODE (Kind 3)" \
  eventually 10 grep -q "accounts: certificates stored (Kind 3)" "$work/n0/log"
check "no certificate store was refused" eval '! grep -q "accounts: storing certificates" "$work/n0/log"'

# --- erin: a phone answering SHA-256 on box 0 -----------------------------------------
digest_phone() {  # digest_phone BOX USER PASSWORD ALGORITHM ORDER CODE: digest_phone.py, output in $work/USER-ALGORITHM.out
  python3 "$HERE/digest_phone.py" "127.0.0.1:$(sip_port "$1")" "$2" "$OVERLAY" "$3" "$4" "$5" "$6" \
    >"$work/$2-$4.out" 2>&1
}
check "erin: 401 with SHA-256 then MD5 challenges, answers SHA-256, 200" \
  digest_phone 0 erin erin-secret SHA-256 SHA-256,MD5 200
check "the two challenges share one nonce" eval \
  '[ "$(grep -o "nonce=\"[0-9a-f]*\"" "$work/erin-SHA-256.out" | sort -u | wc -l)" = 1 ]'
check "node.status on box 0 lists erin's account" \
  eventually 10 eval 'test "$(account_of 0 erin)" = "erin@$OVERLAY $NODE0"'
check "erin's account certificate chains to the CA's root" chains erin
check "erin's registration is stored (signed with her certificate)" \
  eventually 20 published "sip:erin@$OVERLAY" 0
check "erin with a wrong password at box 1, answering SHA-256: 403" \
  digest_phone 1 erin not-erins-secret SHA-256 SHA-256,MD5 403
check "box 1 holds no account for erin" no_account 1 erin
check "erin answering MD5 to the same challenges at box 1: 200" \
  digest_phone 1 erin erin-secret MD5 SHA-256,MD5 200
check "node.status on box 1 lists erin's account" \
  eventually 10 eval 'test "$(account_of 1 erin)" = "erin@$OVERLAY $(node_id_of 1)"'

# --- each called from box 1 -------------------------------------------------------
sipp -sf "$SCEN/uas_any.xml" -i 127.0.0.1 -p "$BOB_PORT" -m 1 -nostdin -timeout 30s \
  -timeout_error >"$work/bob-uas.out" 2>&1 &
bob_uas=$!
helper_pids+=("$bob_uas")
sleep 0.5
message_xml "$work/to-bob.xml" "sip:bob@$OVERLAY" 200 "hello bob"
check "box 1 → bob (SIPp on box 0): MESSAGE 200" \
  run_sipp msg-bob "127.0.0.1:$(sip_port 1)" -sf "$work/to-bob.xml" -m 1
check "bob's SIPp answered it" wait "$bob_uas"
message_xml "$work/to-carol.xml" "sip:carol@$OVERLAY" 200 "hello carol"
check "box 1 → carol (baresip on box 0): MESSAGE 200" \
  run_sipp msg-carol "127.0.0.1:$(sip_port 1)" -sf "$work/to-carol.xml" -m 1
check "carol's baresip shows it" eventually 10 grep -q "hello carol" "$work/carol/events"

# --- refusals, nothing stored lost --------------------------------------------------
check "bob with a wrong password at box 1: 401, then 403" \
  register_as wrong-bob 1 bob not-bobs-secret 403
check "box 1 holds no account for bob" no_account 1 bob
check "bob is still found at box 0 only" found_at "sip:bob@$OVERLAY" 1 "$NODE0"
# bob's Authorization, as box 0 saw it, replayed at box 1 for bob.
bob_auth=$(grep -m1 "^ *Authorization: Digest" "$work/reg-bob.msg" | sed 's/^ *Authorization: //' | tr -d '\r')
[ -n "$bob_auth" ] || bad "no Authorization captured from bob's REGISTER"
sed -e "s|@DOMAIN@|$OVERLAY|g" -e "s|@CODE@|403|" -e "s|@AUTH@|$bob_auth|" \
  "$SCEN/register_replay.xml" >"$work/replay.xml"
check "bob's captured Authorization replayed at box 1: 403" \
  run_sipp replay "127.0.0.1:$(sip_port 1)" -sf "$work/replay.xml" -s bob -m 1
check "the CA refused it as already used" grep -q "already used" "$work/n1/log"
check "box 1 still holds no account for bob" no_account 1 bob
check "bob is still registered and found at box 0" found_at "sip:bob@$OVERLAY" 1 "$NODE0"
# No password at the CA for dave: no challenge, the REGISTER goes on as before.
check "dave (no password at the CA): no challenge, 200" \
  run_sipp reg-dave "127.0.0.1:$(sip_port 0)" -sf "$(sed "s|p2psip.test|$OVERLAY|g" "$SCEN/register.xml" >"$work/register.xml"; echo "$work/register.xml")" \
  -s dave -key uas_port "$(free_port)" -m 1
check "dave gets no account" no_account 0 dave

# --- accounts survive a restart ---------------------------------------------------
kill "${pids[0]}"
eventually 15 exited "${pids[0]}" || fail "box 0 did not stop"
# The root by its fingerprint: a restart with only --overlay and
# --config-url is refused ("root mismatch") on this branch's base, an
# issue of its own.
start_box 0 --root "sha256:$(openssl x509 -in "$ca_dir/ca.crt" -outform DER | sha256sum | cut -d' ' -f1)"
eventually 60 all_joined 0 1 || fail "box 0 did not rejoin"
check "after a restart node.status on box 0 still lists bob and carol" \
  eventually 10 eval 'test "$(account_of 0 bob)$(account_of 0 carol)" = "bob@$OVERLAY ${NODE0}carol@$OVERLAY $NODE0"'
echo "# $((SECONDS - started)) s"
finish 0 1
