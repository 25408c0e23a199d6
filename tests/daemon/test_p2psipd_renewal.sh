#!/bin/bash
# Certificate renewal while running, and p2psipctl enroll (p2psipd(8)
# CERTIFICATE RENEWAL), on loopback: a CA (p2psip-ca serve) issuing
# 120-second certificates and three boxes that start with the overlay name,
# the configuration URL and a token each.
#  - Each box renews its certificate at two thirds of its life while
#    running: same Node-ID, a new expiry in node.status, a node.certificate
#    event, node.crt replaced (key 0600, chained to the root, no temporary
#    file left), the certificate published again in CERTIFICATE_BY_USER. No
#    link goes down (no peer.down event, the same links), and values stored
#    before and after are readable everywhere: peers take messages signed
#    with the new certificate over the links made with the old one. A
#    restart uses the renewed certificate as it is. Box 2 also runs the
#    TURN relay, whose TLS port serves the renewed certificate to clients
#    that connect after the renewal.
#  - The CA stopped: a box due for renewal warns that the CA is unreachable,
#    keeps running and storing, retries after 5 s then 10 s, and renews once
#    the CA is back.
#  - p2psipctl enroll: refused with wrong_password, token_used, root_mismatch,
#    csr_refused and ca_unreachable, each leaving node.key and node.crt as
#    they were; a new token for the box's own user is in force at once (links
#    kept); a password asked for on a terminal (not echoed) enrolls another
#    user, saved for the next start, where the box runs as that user.
# MODE tls (default): TLS links; ice: the overlay uses ICE, links are DTLS.
#
# usage: test_p2psipd_renewal.sh P2PSIPD P2PSIPCTL P2PSIP_CA [tls|ice]
set -u
P2PSIPD=$1
P2PSIPCTL=$2
P2PSIP_CA=$3
MODE=${4:-tls}
OVERLAY=renew.test.example
LIFETIME=120
. "$(dirname "$0")/p2psipd_test_lib.sh"
command -v openssl >/dev/null || skip "no openssl(1)"
command -v script >/dev/null || skip "no script(1) for a terminal"
make_work renewal
started=$SECONDS

# --- the CA ------------------------------------------------------------------------
ca_dir=$work/ca
ca_port=$(free_port)
ca_url=https://127.0.0.1:$ca_port
box_ports=("" "$(free_port)" "$(free_port)" "$(free_port)")
init_ca "$ca_dir" "127.0.0.1:${box_ports[1]}"
if [ "$MODE" = ice ]; then
  sed -i 's/no-ice: true/no-ice: false/' "$ca_dir/overlay.yaml"
  link_transport=dtls-udp
else
  link_transport=tls-tcp
fi
printf 'alice-secret\n' | "$P2PSIP_CA" passwd --users "$ca_dir/users" --user "alice@$OVERLAY" ||
  fail "p2psip-ca passwd alice"
# A password file accepts any name; the CA issues only user@domain names.
printf 'carol-secret\n' | "$P2PSIP_CA" passwd --users "$ca_dir/users" --user carol ||
  fail "p2psip-ca passwd carol"
for i in 1 2 3; do
  tokens[$i]=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box$i@$OVERLAY") || fail "p2psip-ca token"
done
# A second token for box 2's user, for p2psipctl enroll (the running CA
# reads its tokens at start).
token2=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box2@$OVERLAY") || fail "p2psip-ca token"

start_ca() {
  "$P2PSIP_CA" serve --dir "$ca_dir" --listen "127.0.0.1:$ca_port" --url "$ca_url" \
    --users "$ca_dir/users" --certificate-lifetime "$LIFETIME" >"$work/ca.out" 2>>"$work/ca.log" &
  ca_pid=$!
  helper_pids+=("$ca_pid")
  eventually 10 grep -q "listening on" "$work/ca.out" || fail "the CA did not start: $(cat "$work/ca.log")"
}
stop_ca() {
  kill -TERM "$ca_pid"
  wait "$ca_pid" 2>/dev/null
  rm -f "$work/ca.out"
}
start_ca

# --- three boxes ----------------------------------------------------------------------
start_box() {  # start_box I [p2psipd arguments]
  start_office_box "$1" 127.0.0.1 "${box_ports[$1]}" sip \
    --config-url "$ca_url/.well-known/reload-config" "${@:2}"
}
watch_events() {  # watch_events I: node.certificate and peer.down events to $work/n$i/events
  "$P2PSIPCTL" --socket "${sockets[$1]}" --json events topics='["node.certificate","peer.down"]' \
    >>"$work/n$1/events" 2>&1 &
  helper_pids+=("$!")
}
box_yaml[2]="relay: {mode: on, port: 0, tls-port: 0}"
boxes=(1 2 3)
for i in "${boxes[@]}"; do start_box "$i" --token "${tokens[$i]}"; done
eventually 60 all_joined "${boxes[@]}" || fail "the boxes did not join"
eventually 60 ring_consistent "${boxes[@]}" || fail "the boxes' ring is not consistent"
for i in "${boxes[@]}"; do watch_events "$i"; done
echo "# CA and three enrolled boxes after $((SECONDS - started)) s"

expires_of() { ctl "$1" status | json_field 'r["certificate"]["expires"]'; }
links_of() { ctl "$1" peers | json_field '" ".join(sorted(r["links"]))'; }
transports_of() { ctl "$1" peers | json_field '" ".join(sorted(set(p.get("transport", "?") for p in r["peers"])))'; }
fingerprint() { cat "$work/n$1/state/node.key" "$work/n$1/state/node.crt" | sha256sum; }
peer_downs() { grep -c '"topic":"peer.down"' "$work/n$1/events"; }
events_with() { grep -c "\"topic\":\"node.certificate\".*\"what\":\"$2\"" "$work/n$1/events"; }
published() { grep -c "published in CERTIFICATE_BY_USER" "$work/n$1/log"; }
published_at_least() { [ "$(published "$1")" -ge "$2" ]; }  # re-read at every try
relay_tls_port() { ctl 2 status | json_field 'r["relay"]["tls_port"]'; }
# The notAfter of the certificate box 2's TURN-TLS port serves to a new client.
relay_serves() {
  openssl s_client -connect "127.0.0.1:$(relay_tls_port)" </dev/null 2>/dev/null |
    openssl x509 -noout -enddate 2>/dev/null
}
relay_serves_node_crt() { [ "$(relay_serves)" = "$(openssl x509 -noout -enddate -in "$work/n2/state/node.crt")" ]; }
state_ok() {  # state_ok I: node.key 0600, node.crt chains to the root, no temporary file
  local state=$work/n$1/state
  [ "$(stat -c %a "$state/node.key")" = 600 ] || fail "box $1: node.key is not 0600"
  openssl verify -CAfile "$ca_dir/ca.crt" "$state/node.crt" >/dev/null 2>&1 ||
    fail "box $1: node.crt does not chain to the CA's root"
  ls -a "$state" | grep -q '\.tmp' && fail "box $1: a temporary file was left in the state directory"
  return 0
}
all_transports=""
for i in "${boxes[@]}"; do
  node_ids[$i]=$(node_id_of "$i")
  expires[$i]=$(expires_of "$i")
  links[$i]=$(links_of "$i")
  files[$i]=$(fingerprint "$i")
  # A first store while the boxes' overlays merge may time out (5 s), and
  # sip_inbox retries after 30 s: room for two attempts after the first.
  eventually 75 published_at_least "$i" 1 || fail "box $i did not publish its certificate"
  published_before[$i]=$(published "$i")
  all_transports+=" $(transports_of "$i")"
done
relay_serves_node_crt || fail "box 2's TURN-TLS port serves '$(relay_serves)', not node.crt's"
# Links to the bootstrap node are dialled over TLS; ICE overlays Attach the others over DTLS.
grep -qw "$link_transport" <<<"$all_transports" || fail "no $link_transport link: $all_transports"
for i in "${boxes[@]}"; do [ -n "${links[$i]}" ] || fail "box $i has no link"; done
owner1=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner1/before" value=old-certificate >/dev/null || fail "put before the renewal"
eventually 20 readable_everywhere "$owner1/before" old-certificate "${boxes[@]}" || fail "value not readable"

# --- p2psipctl enroll refused: each cause named, nothing changed ---------------------
expect_enroll_error() {  # expect_enroll_error BOX NAME ARGS...: node.enroll fails with NAME
  local box=$1 name=$2 before status=0
  shift 2
  before=$(fingerprint "$box")
  ctl "$box" enroll "$@" >"$work/enroll.out" 2>"$work/enroll.err" || status=$?
  [ "$status" = 1 ] || fail "enroll $*: exit status $status, not 1: $(cat "$work/enroll.err")"
  grep -q "\"name\":\"$name\"" "$work/enroll.err" ||
    fail "enroll $*: not $name: $(cat "$work/enroll.err")"
  [ "$(fingerprint "$box")" = "$before" ] || fail "enroll $*: node.key or node.crt changed"
  state_ok "$box"
  joined "$box" || fail "box $box left the overlay after a refused enroll"
  echo "enroll refused with $name: $(json_field 'r["message"]' <"$work/enroll.err" | cut -c1-120)"
}
expect_enroll_error 2 wrong_password "user=alice@$OVERLAY" password=wrong
expect_enroll_error 2 token_used "token=${tokens[2]}"
expect_enroll_error 2 root_mismatch "token=${tokens[2]%/*}/$(printf '0%.0s' {1..64})"
expect_enroll_error 2 csr_refused user=carol password=carol-secret
status=0
setsid -w "$P2PSIPCTL" --socket "${sockets[2]}" --json enroll "user=alice@$OVERLAY" >/dev/null 2>"$work/enroll.err" </dev/null || status=$?
[ "$status" = 3 ] && grep -q "needs password=, or a terminal" "$work/enroll.err" ||
  fail "enroll without a password or a terminal: status $status, $(cat "$work/enroll.err")"

# --- renewal while running -------------------------------------------------------
renewed() { [ "$(expires_of "$1")" != "${expires[$1]}" ]; }
all_renewed() { local i; for i in "${boxes[@]}"; do renewed "$i" || return 1; done; }
eventually $((LIFETIME * 2 / 3 + 30)) all_renewed || fail "not every box renewed its certificate"
echo "# every box renewed after $((SECONDS - started)) s"
for i in "${boxes[@]}"; do
  [ "$(node_id_of "$i")" = "${node_ids[$i]}" ] || fail "box $i changed its Node-ID"
  [ "$(fingerprint "$i")" != "${files[$i]}" ] || fail "box $i did not save its renewed certificate"
  state_ok "$i"
  [ "$(events_with "$i" renewed)" -ge 1 ] || fail "box $i: no node.certificate renewed event"
  grep -q "certificate renewed: valid until $(expires_of "$i")" "$work/n$i/log" ||
    fail "box $i did not log the renewal"
  eventually 45 published_at_least "$i" $((published_before[$i] + 1)) ||
    fail "box $i did not publish its renewed certificate in CERTIFICATE_BY_USER"
done
owner2=$(ctl 2 status | json_field 'r["user"]')
ctl 2 put "key=$owner2/after" value=new-certificate >/dev/null || fail "put after the renewal"
eventually 20 readable_everywhere "$owner2/after" new-certificate "${boxes[@]}" ||
  fail "a value stored after the renewal is not readable everywhere"
eventually 20 readable_everywhere "$owner1/before" old-certificate "${boxes[@]}" ||
  fail "the value stored before the renewal was lost"
for i in "${boxes[@]}"; do
  [ "$(peer_downs "$i")" = 0 ] || fail "box $i lost a link: $(grep peer.down "$work/n$i/events")"
  [ "$(links_of "$i")" = "${links[$i]}" ] || fail "box $i: links ${links[$i]} became $(links_of "$i")"
done
echo "renewed with the same Node-IDs, no link down, values stored before and after readable"
eventually 10 relay_serves_node_crt ||
  fail "box 2's TURN-TLS port still serves '$(relay_serves)' after the renewal"
grep -q "relay: TURN-TLS serves the new certificate" "$work/n2/log" || fail "box 2 did not log the relay's new certificate"
echo "box 2's TURN-TLS port serves the renewed certificate ($(relay_serves))"

# --- p2psipctl enroll: a new token for box 2's own user, in force at once ----------
before=$(expires_of 2)
sleep 1  # a later notAfter
ctl 2 enroll "token=$token2" >"$work/enroll.out" || fail "enroll with a new token: $(cat "$work/enroll.out")"
json_field 'r["restart_needed"] is False and r["node_ids"] == ["'"${node_ids[2]}"'"]' <"$work/enroll.out" |
  grep -q True || fail "enroll with box 2's own token: $(cat "$work/enroll.out")"
[ "$(expires_of 2)" != "$before" ] || fail "node.status does not show the re-enrolled certificate"
[ "$(events_with 2 enrolled)" = 1 ] || fail "box 2: no node.certificate enrolled event"
state_ok 2
status=0
ctl 2 enroll "token=$token2" >/dev/null 2>"$work/enroll.err" || status=$?
grep -q '"name":"token_used"' "$work/enroll.err" || fail "the new token worked twice"
ctl 3 put "key=$(ctl 3 status | json_field 'r["user"]')/enrolled" value=v3 >/dev/null || fail "put"
eventually 20 readable_everywhere "$(ctl 3 status | json_field 'r["user"]')/enrolled" v3 "${boxes[@]}" ||
  fail "storage after the re-enrollment"
[ "$(peer_downs 2)" = 0 ] || fail "box 2 lost a link when re-enrolled"
echo "enroll token=... on box 2: in force at once, links kept"

# --- a restart uses the renewed certificate ------------------------------------------
saved=$(fingerprint 1)
saved_expiry=$(expires_of 1)
stop_node 1 TERM
start_box 1
eventually 30 joined 1 || fail "box 1 did not rejoin: $(tail -n 3 "$work/n1/log")"
[ "$(fingerprint 1)" = "$saved" ] || fail "box 1 re-enrolled at its restart instead of using the renewed certificate"
[ "$(expires_of 1)" = "$saved_expiry" ] || fail "box 1 runs on another certificate after its restart"
[ "$(node_id_of 1)" = "${node_ids[1]}" ] || fail "box 1 changed its Node-ID at its restart"
eventually 30 ring_consistent "${boxes[@]}" || fail "the ring after box 1's restart"
eventually 20 readable_everywhere "$owner2/after" new-certificate "${boxes[@]}" || fail "value lost across the restart"
watch_events 1
links[1]=""
echo "box 1 restarted on its renewed certificate and rejoined with new links"

# --- the CA unreachable ------------------------------------------------------------------
downs3=$(peer_downs 3)  # box 1's restart took a link down
stop_ca
expect_enroll_error 3 ca_unreachable "user=alice@$OVERLAY" password=alice-secret
expires[3]=$(expires_of 3)
eventually $((LIFETIME * 2 / 3 + 20)) grep -q "certificate renewal failed (CA unreachable.*retrying in 10 s" "$work/n3/log" ||
  fail "box 3 did not warn twice that the CA is unreachable"
grep -q "certificate renewal failed (CA unreachable.*running on the current certificate, valid until ${expires[3]}; retrying in 5 s" "$work/n3/log" ||
  fail "box 3's first warning does not say it runs on the current certificate and retries in 5 s"
joined 3 || fail "box 3 stopped while the CA was down"
ctl 3 status | json_field 'r["renewal"]["failures"] >= 2 and "CA unreachable" in r["renewal"]["last_error"]' |
  grep -q True || fail "node.status does not show the failed renewals: $(ctl 3 status | json_field 'r["renewal"]')"
[ "$(events_with 3 renewal_failed)" -ge 2 ] || fail "box 3: no renewal_failed events"
ctl 3 put "key=$(ctl 3 status | json_field 'r["user"]')/ca-down" value=v4 >/dev/null || fail "put with the CA down"
eventually 20 readable_everywhere "$(ctl 3 status | json_field 'r["user"]')/ca-down" v4 "${boxes[@]}" ||
  fail "storage with the CA down"
echo "CA down: box 3 warns, runs on and retries: $(grep -m1 "certificate renewal failed" "$work/n3/log" | cut -c1-160)"
start_ca
eventually 30 renewed 3 || fail "box 3 did not renew once the CA was back"
ctl 3 status | json_field 'r["renewal"]["failures"] == 0' | grep -q True || fail "the failures were not cleared"
[ "$(peer_downs 3)" = "$downs3" ] || fail "box 3 lost a link while the CA was down"
echo "the CA back: box 3 renewed after $((SECONDS - started)) s"

# --- p2psipctl enroll as another user, the password asked on a terminal ---------------
# Typed once the prompt is up (echo off); the pipe stays open until it is answered.
{ eventually 10 grep -q "password for" "$work/prompt.out"; echo alice-secret; sleep 10; } |
  timeout 30 script -qec "$P2PSIPCTL --socket ${sockets[3]} --json enroll user=alice@$OVERLAY" \
    /dev/null >"$work/prompt.out" 2>&1 || fail "enroll with a prompted password: $(cat "$work/prompt.out")"
grep -q "password for alice@$OVERLAY: " "$work/prompt.out" || fail "no password prompt: $(cat "$work/prompt.out")"
grep -q "alice-secret" "$work/prompt.out" && fail "the password was echoed"
grep -q '"restart_needed":true' "$work/prompt.out" || fail "alice's certificate: $(cat "$work/prompt.out")"
openssl x509 -in "$work/n3/state/node.crt" -noout -ext subjectAltName | grep -q "alice@$OVERLAY" ||
  fail "alice's certificate was not saved"
state_ok 3
[ "$(node_id_of 3)" = "${node_ids[3]}" ] || fail "box 3 switched Node-IDs without a restart"
stop_node 3 TERM
start_box 3
eventually 30 joined 3 || fail "box 3 did not rejoin as alice: $(tail -n 3 "$work/n3/log")"
[ "$(ctl 3 status | json_field 'r["user"]')" = "alice@$OVERLAY" ] || fail "box 3 does not run as alice"
eventually 30 ring_consistent "${boxes[@]}" || fail "the ring with alice's box"
echo "enroll with a prompted password: alice's certificate in force after the restart"
echo "PASS after $((SECONDS - started)) s"
