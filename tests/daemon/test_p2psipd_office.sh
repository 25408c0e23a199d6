#!/bin/bash
# The office overlay from its name alone (RFC 6940 §11.2, §11.3): a CA box
# runs `p2psip-ca serve`, four boxes in their own network namespaces start
# with only the overlay name, the configuration URL and a one-time token
# each. Every box fetches the signed configuration document, enrolls, and
# all four join one ring on the document's bootstrap node; their
# certificates chain to the CA's root. Box 4 starts while the CA is still
# down and joins once it is up. Refused, each naming its cause: a wrong
# password, a token used twice, a tampered document (bad signature), a
# document for another overlay name, a token naming another root. Needs root; skipped (77) otherwise.
#
# usage: test_p2psipd_office.sh P2PSIPD P2PSIPCTL P2PSIP_CA
set -u
P2PSIPD=$1
P2PSIPCTL=$2
P2PSIP_CA=$3
OVERLAY=office.test.example
. "$(dirname "$0")/p2psipd_test_lib.sh"

require_namespaces
command -v openssl >/dev/null || skip "no openssl(1) to forge a server certificate"
make_work office
bridge_namespaces 6   # 0: the CA box, 1-4: boxes, 5: the forger's box
ca_ns=${node_prefix[0]}
ca_ip=$subnet.1
ca_url=https://$ca_ip:8443
config_url=$ca_url/.well-known/reload-config
overlay_port=$(free_port)

# --- the CA box --------------------------------------------------------------
ca_dir=$work/ca
# The admin's one source: the overlay section, served as the §11.1 document.
init_ca "$ca_dir" "$subnet.2:$overlay_port" \
  "  kinds:
    - {id: 4000, data-model: ARRAY, access-control: NODE-MULTIPLE, max-node-multiple: 3, max-count: 22, max-size: 1024}"
printf 'right password\n' | "$P2PSIP_CA" passwd --users "$ca_dir/users" --user "alice@$OVERLAY" ||
  fail "p2psip-ca passwd"
for i in 1 2 3 4; do
  tokens[$i]=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box$i@$OVERLAY") || fail "p2psip-ca token"
done
start_ca() {
  $ca_ns "$P2PSIP_CA" serve --dir "$ca_dir" --listen "$ca_ip:8443" --url "$ca_url" \
    --users "$ca_dir/users" >"$work/ca.out" 2>"$work/ca.log" &
  ca_pid=$!
  helper_pids+=("$ca_pid")
  eventually 10 grep -q "listening on" "$work/ca.out" || fail "the CA did not start: $(cat "$work/ca.log")"
}

# --- a box: local settings only, the overlay from the command line ------------
start_box() {  # start_box I TOKEN
  start_office_box "$1" "$subnet.$(($1 + 1))" "$overlay_port" nosip \
    --config-url "$config_url" --token "$2"
}

started=$SECONDS
# Box 4 first, with the CA down: it waits, retrying with backoff.
start_box 4 "${tokens[4]}"
eventually 10 grep -q "CA unreachable" "$work/n4/log" || fail "box 4 did not report the CA unreachable"
exited "${pids[4]}" && fail "box 4 gave up while the CA was down"
echo "box 4 waits for the CA: $(grep -m1 "CA unreachable" "$work/n4/log" | cut -c1-120)"
start_ca
# Box 3 as an enrollment interrupted between its writes leaves it: a key, no
# certificate. It enrolls afresh.
mkdir -p -m 700 "$work/n3/state"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/n3/state/node.key" 2>/dev/null
chmod 600 "$work/n3/state/node.key"
for i in 1 2 3; do start_box "$i" "${tokens[$i]}"; done
boxes=(1 2 3 4)
eventually 60 all_joined "${boxes[@]}" || fail "not every box joined"
eventually 60 ring_consistent "${boxes[@]}" || fail "the four boxes did not form one ring"
echo "four boxes enrolled and in one ring after $((SECONDS - started)) s"

# What each box keeps, and that it is the CA's.
for i in "${boxes[@]}"; do
  state=$work/n$i/state
  [ "$(stat -c %a "$state/node.key")" = 600 ] || fail "box $i: node.key is not 0600"
  openssl verify -CAfile "$ca_dir/ca.crt" "$state/node.crt" >/dev/null 2>&1 ||
    fail "box $i: its certificate does not chain to the CA's root"
  cmp -s "$state/overlay-root.crt" "$ca_dir/ca.crt" || fail "box $i: overlay-root.crt is not the CA's root"
  grep -q "<configuration instance-name=\"$OVERLAY\"" "$state/overlay.xml" || fail "box $i: no saved document"
  ls "$state" | grep -q '\.tmp' && fail "box $i: a temporary file was left in the state directory"
  user=$(ctl "$i" status | json_field 'r["certificate"]["user"]')
  [ "$user" = "box$i@$OVERLAY" ] || fail "box $i: node.status certificate user is '$user'"
  ctl "$i" status | json_field 'r["certificate"]["node_ids"][0] == r["node_id"] and len(r["certificate"]["expires"]) == 20' |
    grep -q True || fail "box $i: node.status does not show the Node-ID and expiry"
done
# The document's Kind (4000) is in force: a NODE-MULTIPLE value stores.
owner=$(ctl 1 status | json_field 'r["user"]')
ctl 1 put "key=$owner/office" value=enrolled >/dev/null || fail "put failed"
eventually 20 readable_everywhere "$owner/office" enrolled "${boxes[@]}" || fail "value not readable on all"
echo "certificates chain to the root, are 0600, node.status shows them; a value is readable on all four"

# A later start needs only the overlay's name and the configuration URL: the
# saved document's root vouches for the configuration server, the saved
# certificate is used as it is.
stop_node 2 TERM
${node_prefix[2]} "$P2PSIPD" -c "$work/n2/p2psipd.yaml" --state-dir "$work/n2/state" \
  --overlay "$OVERLAY" --config-url "$config_url" >>"$work/n2/out" 2>>"$work/n2/log" &
pids[2]=$!
eventually 30 joined 2 || fail "box 2 did not rejoin on --overlay and --config-url alone: $(tail -n 3 "$work/n2/log")"
[ "$(grep -c "configuration of $OVERLAY sequence [0-9]* fetched and verified" "$work/n2/log")" -ge 2 ] ||
  fail "box 2's restart did not fetch the document again"
eventually 20 readable_everywhere "$owner/office" enrolled "${boxes[@]}" || fail "value lost across box 2's restart"
echo "box 2 restarted on --overlay and --config-url alone, refetched the document and rejoined"

# --- refusals, each naming its cause, none leaving files behind ----------------
expect_refusal() {  # expect_refusal NAME CAUSE [p2psipd arguments...]: exits 1 saying CAUSE
  local name=$1 cause=$2 dir=$work/$1
  shift 2
  mkdir -p "$dir"
  local status=0
  timeout 20 ${node_prefix[5]} "$P2PSIPD" -c "$work/n1/p2psipd.yaml" --state-dir "$dir/state" "$@" \
    >"$dir/out" 2>"$dir/log" </dev/null || status=$?
  [ "$status" = 1 ] || fail "$name: exit status $status, not 1 ($(tail -n 3 "$dir/log"))"
  grep -q "$cause" "$dir/log" || fail "$name: the error does not say '$cause': $(tail -n 3 "$dir/log")"
  [ -e "$dir/state/node.key" ] && fail "$name: a key was left behind"
  [ -e "$dir/state/node.crt" ] && fail "$name: a certificate was left behind"
  echo "$name refused: $(grep -m1 "$cause" "$dir/log" | cut -c1-150)"
}
expect_refusal reused_token "token already used" --overlay "$OVERLAY" --config-url "$config_url" \
  --token "${tokens[1]}"
# The interactive path: a user's password, the root given by its fingerprint.
root_fingerprint=sha256:$(openssl x509 -in "$ca_dir/ca.crt" -outform DER | sha256sum | cut -d' ' -f1)
status=0
printf 'wrong password\n' | timeout 20 ${node_prefix[5]} "$P2PSIPD" -c "$work/n1/p2psipd.yaml" \
  --state-dir "$work/wrong/state" --overlay "$OVERLAY" --config-url "$config_url" \
  --root "$root_fingerprint" --enroll "alice@$OVERLAY" >/dev/null 2>"$work/wrong.log" || status=$?
[ "$status" = 1 ] && grep -q "wrong password" "$work/wrong.log" ||
  fail "a wrong password: status $status, $(tail -n 2 "$work/wrong.log")"
[ -e "$work/wrong/state/node.key" ] && fail "a wrong password left a key behind"
echo "wrong password refused: $(grep -m1 "wrong password" "$work/wrong.log" | cut -c1-150)"
printf 'right password\n' | timeout 20 ${node_prefix[5]} "$P2PSIPD" -c "$work/n1/p2psipd.yaml" \
  --state-dir "$work/right/state" --overlay "$OVERLAY" --config-url "$config_url" \
  --root "$root_fingerprint" --enroll "alice@$OVERLAY" >/dev/null 2>"$work/right.log" || fail "--enroll with the right password failed"
openssl x509 -in "$work/right/state/node.crt" -noout -ext subjectAltName | grep -q "alice@$OVERLAY" ||
  fail "--enroll did not save alice's certificate"
echo "p2psipd --enroll with the right password saved alice's certificate"
# The document has no configuration for another overlay name: discarded (§11.2).
tok5=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box5@$OVERLAY")
expect_refusal wrong_name "no configuration for overlay other.test.example" \
  --overlay other.test.example --config-url "$config_url" --token "$tok5"
# A token naming another root: the server is not trusted, and not retried.
expect_refusal root_mismatch "root mismatch" --overlay "$OVERLAY" --config-url "$config_url" \
  --token "${tok5%/*}/$(printf '0%.0s' {1..64})"

# A tampered document: the CA's document with one value changed, served by
# a forger who holds a server certificate under the same root (the worst
# case: a stolen server key); the signature gives it away.
forger_ip=$subnet.6
forge=$work/forge
mkdir -p "$forge"
$ca_ns python3 - "$config_url" "$ca_dir/ca.crt" >"$forge/genuine.xml" <<'PY' || fail "cannot fetch the document"
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10).read().decode())
PY
sed 's|<max-message-size>5000<|<max-message-size>5001<|' "$forge/genuine.xml" >"$forge/tampered.xml"
cmp -s "$forge/genuine.xml" "$forge/tampered.xml" && fail "the tampering changed nothing"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$forge/key.pem" \
  -subj "/CN=$OVERLAY" -out "$forge/req.pem" 2>/dev/null || fail "openssl req"
printf 'subjectAltName=IP:%s\n' "$forger_ip" >"$forge/ext"
openssl x509 -req -in "$forge/req.pem" -CA "$ca_dir/ca.crt" -CAkey "$ca_dir/ca.key" -CAcreateserial \
  -days 1 -extfile "$forge/ext" -out "$forge/cert.pem" 2>/dev/null || fail "openssl x509"
cat "$forge/cert.pem" "$ca_dir/ca.crt" >"$forge/chain.pem"
cat >"$forge/serve.py" <<'PY'
import http.server, ssl, sys
ip, d = sys.argv[1], sys.argv[2]
body = open(d + "/tampered.xml", "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/p2p-overlay+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer((ip, 8443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/chain.pem", d + "/key.pem")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print("serving", flush=True)
s.serve_forever()
PY
${node_prefix[5]} python3 "$forge/serve.py" "$forger_ip" "$forge" >"$forge/out" 2>&1 &
helper_pids+=($!)
eventually 10 grep -q serving "$forge/out" || fail "the forger did not start: $(cat "$forge/out")"
tok6=$("$P2PSIP_CA" token --dir "$ca_dir" --user "box6@$OVERLAY")
expect_refusal tampered_document "bad signature" --overlay "$OVERLAY" \
  --config-url "https://$forger_ip:8443/.well-known/reload-config" --token "$tok6"
# The tokens the refusals did not use still work: nothing was spent on them.
grep -q "box6@$OVERLAY [0-9a-f]* unused" "$ca_dir/tokens" || fail "the refused box spent its token"

echo "PASS in $((SECONDS - started)) s"
