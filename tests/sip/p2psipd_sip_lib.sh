# shellcheck shell=bash
# SIP-enabled daemons for the integration tests (sourced after
# tests/daemon/p2psipd_test_lib.sh): a ring of p2psipd on loopback, each
# with its SIP front on an ephemeral port; SIPp clients; ok/bad verdicts
# counted in $FAILS and a closing report.
#
# sip_extra[I] holds YAML lines indented under sip: for node I (auth,
# auth-file, realm, listen-address, ...); they override the defaults.

declare -a sip_extra
FAILS=0

make_sip_work() {  # make_sip_work NAME: make_work, and with KEEP=1 the work dir stays
  make_work "$1"
  if [ "${KEEP:-0}" = 1 ]; then trap 'work_kept=$work; work=; cleanup; echo "kept $work_kept"' EXIT; fi
}

ok() { echo "ok   - $*"; }
bad() {
  echo "FAIL - $*"
  FAILS=$((FAILS + 1))
}
check() {  # check WHAT COMMAND...: ok or bad by the command's status
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

# write_sip_config INDEX [BOOTSTRAP_PORT]: $work/nINDEX/p2psipd.yaml with
# SIP on loopback, an ephemeral port, and sip_extra[INDEX].
write_sip_config() {
  local saved=$cfg_bootstrap
  [ -n "${2:-}" ] && cfg_bootstrap="127.0.0.1:$2"
  write_config "$1"
  cfg_bootstrap=$saved
  enable_sip "$1"
}

# enable_sip INDEX: turns SIP on in node INDEX's written config (loopback,
# an ephemeral port, sip_extra[INDEX]).
enable_sip() {
  python3 - "$work/n$1/p2psipd.yaml" "${sip_extra[$1]:-}" <<'PY'
import sys
path, extra = sys.argv[1], sys.argv[2]
keys = {"enabled": "true", "listen-address": "127.0.0.1", "listen-port": "0"}
for line in extra.splitlines():
    key, _, value = line.strip().partition(":")
    keys[key] = value.strip()
section = "sip:\n" + "".join("  %s: %s\n" % kv for kv in keys.items())
text = open(path).read().replace("sip:\n  enabled: false\n", section)
open(path, "w").write(text)
PY
}

start_sip_node() {  # start_sip_node INDEX [BOOTSTRAP_PORT]
  write_sip_config "$@"
  launch_node "$1"
}

sip_port() {  # the SIP port node $1 printed
  sed -n 's/.* SIP front on [0-9.]*:\([0-9]*\).*/\1/p' "$work/n$1/out" | tail -n 1
}
has_sip_port() { [ -n "$(sip_port "$1")" ]; }

# start_sip_ring N: nodes 0..N-1 joined in one consistent ring, each with
# its SIP port printed; node 0's overlay port in $port0.
start_sip_ring() {
  local i last=$(($1 - 1))
  start_sip_node 0
  eventually 10 printed_port 0 || fail "node 0 did not print its port"
  port0=$(listen_port 0)
  eventually 10 joined 0 || fail "node 0 did not start an overlay"
  for i in $(seq 1 "$last"); do start_sip_node "$i" "$port0"; done
  eventually 60 all_joined $(seq 0 "$last") || fail "not every daemon joined"
  eventually 60 ring_consistent $(seq 0 "$last") || fail "the ring is not consistent"
  for i in $(seq 0 "$last"); do
    eventually 10 has_sip_port "$i" || fail "node $i printed no SIP port"
  done
}

listening() { ss -Hlun "sport = :$1" | grep -q .; }  # listening PORT: a UDP socket is bound
no_dialogs() { [ "$(ctl "$1" calls | json_field 'len(r["dialogs"])')" = 0 ]; }  # no_dialogs NODE

# published AOR NODE: the AOR is registered at NODE and stored in the overlay.
published() {
  ctl "$2" registrations | json_field \
    '[g["published"] for g in r["registrations"] if g["aor"] == "'"$1"'"][0]' 2>/dev/null |
    grep -qx stored
}

# found_at AOR NODE OWNER_NODE_ID: NODE's overlay lookup of AOR names OWNER.
found_at() {
  ctl "$2" lookup "aor=$1" | json_field 'r["nodes"]' | grep -q "$3"
}

# bindings_of NODE: every AOR registered at NODE with its contacts, sorted.
bindings_of() {
  ctl "$1" registrations |
    json_field 'sorted((g["aor"], sorted(c["uri"] for c in g["contacts"])) for g in r["registrations"])'
}

# run_sipp NAME PROXY [sipp args...]: one bounded SIPp client; its
# statistics, errors and messages in $work/NAME.*.
run_sipp() {
  local name=$1 proxy=$2
  shift 2
  timeout 40 sipp "$proxy" -i 127.0.0.1 -nostdin -timeout 30s -timeout_error \
    -trace_err -error_file "$work/$name.err" -trace_stat -stf "$work/$name.csv" \
    -message_file "$work/$name.msg" -trace_msg "$@" >"$work/$name.out" 2>&1
}

# message_xml OUT RURI CODE [BODY]: a SIPp scenario ($SCEN/uac_expect.xml)
# sending one MESSAGE to RURI and expecting CODE.
message_xml() {
  sed -e "s|@METHOD@|MESSAGE|g" -e "s|@RURI@|$2|g" -e "s|@MF@|70|g" -e "s|@CODE@|$3|g" \
    -e "s|@HDRRE@|SIP/2.0 $3|g" -e "s|hello through the proxy|${4:-hello through the proxy}|" \
    "$SCEN/uac_expect.xml" >"$1"
}

# start_app_on NODE AOR NAME: `p2psipctl --json messages aor=AOR` on NODE in
# the background, its output in $work/NAME.out, its pid in $LAST_PID.
start_app_on() {
  "$P2PSIPCTL" --socket "${sockets[$1]}" --json messages "aor=$2" >"$work/$3.out" 2>&1 &
  LAST_PID=$!
  helper_pids+=("$LAST_PID")
}

# received_bodies FILE: the bodies of the sip.message.received events that
# `p2psipctl --json messages` wrote to FILE, one per line.
received_bodies() {
  python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("topic") == "sip.message.received":
        print(m["body"].strip())
PY
}

# sipp_in NODE NAME SECONDS [sipp args...]: one bounded SIPp on loopback in
# node NODE's namespace (node_prefix, as the NAT lab sets it); its
# statistics, errors and messages in $work/NAME.*.
sipp_in() {
  local i=$1 name=$2 seconds=$3
  shift 3
  # shellcheck disable=SC2086
  ${node_prefix[$i]:-} timeout "$((seconds + 10))" sipp -i 127.0.0.1 -nostdin \
    -timeout "${seconds}s" -timeout_error -trace_err -error_file "$work/$name.err" \
    -message_file "$work/$name.msg" -trace_msg "$@" >"$work/$name.out" 2>&1
}

# pidf BASIC [ACTIVITY] [NOTE]: a PIDF document for $PIDF_ENTITY as baresip
# writes it.
pidf() {
  local person="" note=""
  [ -n "${2:-}" ] && person="<dm:person id=\"p1\"><rpid:activities><rpid:$2/></rpid:activities></dm:person>"
  [ -n "${3:-}" ] && note="<note>$3</note>"
  printf '%s' "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"$PIDF_ENTITY\">
$person<tuple id=\"t1\"><status><basic>$1</basic></status>$note</tuple>
</presence>"
}
ETAG=
# request NAME METHOD PROXY USER CODE EVENT EXPIRES HEADERS BODY: one PUBLISH
# or SUBSCRIBE ($SCEN/presence_request.xml) for USER@p2psip.test sent to
# PROXY, expecting CODE; the answer's SIP-ETag, if any, in $ETAG.
request() {
  local name=$1 method=$2 proxy=$3 user=$4
  shift 4
  python3 - "$SCEN/presence_request.xml" "$work/$name.xml" "$method" "$@" <<'PY'
import sys
src, out, method, code, event, expires, headers, body = sys.argv[1:]
text = open(src).read()
for k, v in (("@METHOD@", method), ("@CODE@", code), ("@HDRRE@", "SIP/2.0 " + code),
             ("@EVENT@", event), ("@EXPIRES@", expires), ("@HEADERS@", headers),
             ("@BODY@", body)):
    text = text.replace(k, v)
open(out, "w").write(text)
PY
  run_sipp "$name" "$proxy" -sf "$work/$name.xml" -s "$user" -m 1 || return 1
  ETAG=$(sed -n 's/^SIP-ETag: *\([^ \r]*\).*/\1/Ip' "$work/$name.msg" | tail -n 1)
}

# finish NODE...: the verdict; on failure the given nodes' log tails.
finish() {
  local i
  echo "# $FAILS failure(s)"
  if [ "$FAILS" -ne 0 ]; then
    for i in "$@"; do
      echo "--- node $i log (tail) ---"
      tail -n 30 "$work/n$i/log"
    done
    exit 1
  fi
  echo "PASS"
}
