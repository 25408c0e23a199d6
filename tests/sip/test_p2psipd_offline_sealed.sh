#!/bin/bash
# Offline messages sealed to the recipient (issue 19), in a CA overlay: three
# real p2psipd on loopback with certificates from p2psip-ca (C: box0, the
# bootstrap node, which stays up; B: bob's box; A: alice's box). Each daemon
# publishes its certificate in CERTIFICATE_BY_USER. bob has no contact: alice
# sends him 3 MESSAGEs from A (sip.message, 202 each). What the storing node
# holds for bob (storage.get kind=sip-inbox, from C) is 3 version-2 entries
# with neither the bodies nor alice's address in them. The inbox holds 3: a
# 4th gets 480 Inbox Full, a body too large for an entry 513, and a MESSAGE
# to what is not an AOR a clear error; the 3 are still held. carol, who has
# no certificate, gets hers in clear (as documented). B restarts; bob
# registers on B (an app, p2psipctl messages) and gets the 3 in sent order,
# once; the storing node then holds none. B restarts again, bob registers
# again: nothing twice. bob's app takes a lease (sip.register expires=600)
# and goes; the lease survives B's restart (its contact bound again at the
# new front's address, same token), and the next app to register takes it
# over.
#
# usage: test_p2psipd_offline_sealed.sh P2PSIPD P2PSIPCTL P2PSIP_CA
set -u
P2PSIPD=$1
P2PSIPCTL=$2
P2PSIP_CA=$3
. "$(dirname "$0")/../daemon/p2psipd_test_lib.sh"
. "$(dirname "$0")/p2psipd_sip_lib.sh"
make_sip_work sealed

DOMAIN=sealed.test.example
BOB=sip:bob@$DOMAIN
ALICE=sip:alice@$DOMAIN
"$P2PSIP_CA" init --dir "$work/ca" --overlay "$DOMAIN" >/dev/null || fail "p2psip-ca init"
users=(box0 bob alice)
for i in 0 1 2; do
  "$P2PSIP_CA" issue --dir "$work/ca" --user "${users[$i]}@$DOMAIN" \
    --out-key "$work/key$i.pem" --out-cert "$work/cert$i.pem" >/dev/null || fail "p2psip-ca issue $i"
  chmod 600 "$work/key$i.pem"
done
cfg_overlay_extra="  kinds:
    - id: SIP-INBOX
      data-model: DICTIONARY
      access-control: INBOX
      max-count: 3
      max-size: 1500"
# write_config's overlay is a self-signed one: this one is the CA's.
ca_config() {  # ca_config INDEX [BOOTSTRAP_PORT]
  write_sip_config "$@"
  python3 - "$work/n$1/p2psipd.yaml" "$DOMAIN" "$work/ca/ca.crt" "$work/key$1.pem" "$work/cert$1.pem" <<'PY'
import sys
path, name, root, key, cert = sys.argv[1:]
text = open(path).read()
text = text.replace("  name: ring.test.p2psip.local\n  self-signed-permitted: true\n",
                    "  name: %s\n  self-signed-permitted: false\n  root-cert: %s\n" % (name, root))
text = text.replace("node:\n", "node:\n  identity-key: %s\n  identity-certificate: %s\n" % (key, cert))
open(path, "w").write(text)
PY
}
ca_config 0
launch_node 0
eventually 10 printed_port 0 || fail "node 0 did not print its port: $(tail -3 "$work/n0/log")"
port0=$(listen_port 0)
eventually 10 joined 0 || fail "node 0 did not start an overlay"
for i in 1 2; do ca_config "$i" "$port0"; launch_node "$i"; done
eventually 40 all_joined 0 1 2 || fail "not every daemon joined"
eventually 40 ring_consistent 0 1 2 || fail "the ring is not consistent"
echo "# CA ring of 3 joined"

published_certificate() {  # the daemon logged its certificate's Store
  grep -q "certificate of $1@$DOMAIN published" "$work/n$2/log"
}
for i in 0 1 2; do
  eventually 10 published_certificate "${users[$i]}" "$i" || bad "node $i did not publish its certificate"
done
ok "each daemon published its certificate in CERTIFICATE_BY_USER"

send() {  # send TO BODY: sip.message from alice on A; the SIP status on stdout
  ctl 2 message "from=$ALICE" "to=$1" "body=$2" | json_field 'r["status"]'
}
# inbox USER ENCODING: what storage.get finds for USER's inbox, from C.
inbox() { ctl 0 get kind=sip-inbox "key=$1@$DOMAIN" "encoding=$2"; }
inbox_count() { inbox "$1" hex 2>/dev/null | json_field 'len(r["values"])' 2>/dev/null || echo 0; }

secret=(ultramarine-lighthouse crimson-anchor golden-harbour)
for n in 0 1 2; do
  code=$(send "$BOB" "message $((n + 1)) ${secret[$n]}")
  [ "$code" = 202 ] && ok "MESSAGE $((n + 1)) to bob, no contact: 202" || bad "MESSAGE $((n + 1)): $code"
done

# --- what the storing nodes hold: ciphertext and metadata -----------------------------
[ "$(inbox_count bob)" = 3 ] && ok "the storing node holds 3 entries for bob" ||
  bad "bob's inbox: $(inbox bob hex 2>&1)"
inbox bob hex >"$work/bob-hex.json"
inbox bob base64 >"$work/bob-b64.json"
python3 - "$work/bob-hex.json" "$ALICE" "${secret[@]}" <<'PY' && ok "they are version 2, and neither the bodies nor alice appear in them" || bad "plaintext stored: $(cat "$work/bob-hex.json")"
import json, sys
values = json.load(open(sys.argv[1]))["values"]
raw = [bytes.fromhex(v["value"]) for v in values]
assert all(r[0] == 2 for r in raw), [r[:1] for r in raw]
for needle in sys.argv[2:]:
    for r in raw:
        assert needle.encode() not in r, needle
assert all(b"bob@" in r for r in raw)  # metadata: for whom
PY

# --- bad input: a clear error, and the 3 are not lost ------------------------------------
code=$(send "$BOB" "one too many")
[ "$code" = 480 ] && ok "a 4th MESSAGE: 480 (inbox full)" || bad "a 4th MESSAGE: $code"
big=$(python3 -c 'print("x" * 1400)')
code=$(send "$BOB" "$big")
[ "$code" = 513 ] && ok "a body too large for a sealed entry: 513" || bad "an oversize body: $code"
out=$(ctl 2 message "from=$ALICE" to=not-an-aor body=x 2>&1)
[ "$(json_field 'r["status"]' <<<"$out")" = 400 ] && ok "a MESSAGE to what is not an AOR: $out" ||
  bad "a MESSAGE to what is not an AOR: $out"
[ "$(inbox_count bob)" = 3 ] && ok "after the refusals the 3 are still held" || bad "bob's inbox: $(inbox bob hex 2>&1)"

# --- no certificate of the recipient: kept in clear ------------------------------------
code=$(send "sip:carol@$DOMAIN" "carol-has-no-certificate")
[ "$code" = 202 ] && ok "a MESSAGE to carol (no certificate): 202" || bad "to carol: $code"
# (hex: a version-1 value holds binary fields beside the text)
clear_hex=$(printf 'carol-has-no-certificate' | od -An -tx1 | tr -d ' \n')
inbox carol hex | grep -q "$clear_hex" && ok "carol's is kept in clear, as documented" ||
  bad "carol's inbox: $(inbox carol hex 2>&1)"

# --- bob's daemon restarts, bob registers: the 3, in order, once -------------------------
restart_b() {
  kill -TERM "${pids[1]}"
  eventually 15 exited "${pids[1]}" || fail "B did not stop"
  launch_node 1
  eventually 40 all_joined 0 1 2 || fail "B did not rejoin"
}
restart_b
ok "B restarted and rejoined"
start_bob() { start_app_on 1 "$BOB" "$1"; }  # bob as an app on B ($LAST_PID)
bodies() { received_bodies "$work/$1.out"; }
got_three() { [ "$(bodies bob1 | wc -l)" -ge 3 ]; }
start_bob bob1
BOB1=$LAST_PID
if eventually 20 got_three; then
  expected=$(for n in 0 1 2; do echo "message $((n + 1)) ${secret[$n]}"; done)
  [ "$(bodies bob1)" = "$expected" ] && ok "bob got the 3, opened, in sent order" || bad "bob got: $(bodies bob1)"
  python3 - "$work/bob1.out" "$ALICE" <<'PY' && ok "with alice as their sender" || bad "senders: $(cat "$work/bob1.out")"
import json, sys
froms = [json.loads(l).get("from", "") for l in open(sys.argv[1]) if '"sip.message.received"' in l]
assert len(froms) == 3 and all(sys.argv[2] in f for f in froms), froms
PY
else
  bad "bob got $(bodies bob1 | wc -l) MESSAGE(s): $(cat "$work/bob1.out"); B: $(grep -i inbox "$work/n1/log" | tail -3)"
fi
sleep 2
[ "$(bodies bob1 | wc -l)" = 3 ] && ok "nothing twice" || bad "bob got: $(bodies bob1)"
none_held() { [ "$(inbox_count bob)" = 0 ]; }
eventually 10 none_held && ok "the storing node holds nothing for bob any more" ||
  bad "bob's inbox after delivery: $(inbox bob hex 2>&1)"

kill_tree "$BOB1"
restart_b
start_bob bob2
BOB2=$LAST_PID
bob_registered() { ctl 1 registrations | grep -q "bob@"; }
eventually 10 bob_registered || bad "bob did not register again: $(cat "$work/bob2.out")"
sleep 3
[ "$(bodies bob2 | wc -l)" = 0 ] && ok "after another restart of B bob gets nothing twice" ||
  bad "redelivered: $(bodies bob2)"

# --- an app's lease outlives a restart of its daemon --------------------------------------
kill_tree "$BOB2" 2>/dev/null
wait "$BOB2" 2>/dev/null
# p2psipctl streams after sip.register: its first line is the result; it
# is then stopped, and the lease outlives its connection.
lease=$(timeout 3 "$P2PSIPCTL" --socket "${sockets[1]}" --json sip.register "aor=$BOB" expires=600 |
  head -n 1)
token=$(json_field 'r["contact"].split("p2p-app=")[1]' <<<"$lease")
[ "$(json_field 'r["lease_s"]' <<<"$lease")" = 600 ] && ok "bob's app took a 600 s lease" ||
  bad "sip.register with a lease: $lease"
[ "$(stat -c %a "$work/n1/state/app-leases" 2>&1)" = 600 ] && ok "the lease is saved, mode 0600" ||
  bad "app-leases: $(ls -l "$work/n1/state/" 2>&1)"
restart_b
app_contact() { ctl 1 registrations | grep -q "p2p-app=$token"; }
eventually 10 app_contact && ok "after B's restart the leased contact is bound again, same token" ||
  bad "B's registrations: $(ctl 1 registrations)"
b_port=$(sip_port 1)
ctl 1 registrations | grep -q "p2p-app=$token" && ctl 1 registrations | grep -q "@127.0.0.1:$b_port;p2p-app=$token" &&
  ok "at the restarted front's address" || bad "stale contact: $(ctl 1 registrations)"
start_bob bob3
taken() { head -n 1 "$work/bob3.out" | grep -q "p2p-app=$token"; }
eventually 10 taken && ok "the next app to register takes the lease over (same token)" ||
  bad "bob3: $(head -n 1 "$work/bob3.out")"
finish 0 1 2
