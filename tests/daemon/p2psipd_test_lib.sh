# Shared by the p2psipd integration tests (sourced, not run): a private work
# directory removed on exit with every daemon started through it, p2psipctl
# wrappers, bounded waits, and ring checks.
#
# The sourcing script sets P2PSIPD and P2PSIPCTL, then calls
# `make_work NAME`. Daemons are started with start_node; their logs are in
# $work/nI/log, printed (tail) by fail.

declare -a pids sockets node_prefix box_yaml
test_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Other background processes the test starts (receivers): killed with the daemons.
declare -a helper_pids
# Extra cleanup the test registers (namespaces, users): run before the
# work directory goes.
extra_cleanup=""

# The processes whose parent is $1 (from /proc: procps may be missing).
children_of() {
  local stat line ppid
  for stat in /proc/[0-9]*/stat; do
    read -r line <"$stat" 2>/dev/null || continue
    read -r _ ppid _ <<<"${line##*) }"  # the fields after "(comm) "
    [ "$ppid" = "$1" ] && { line=${stat#/proc/}; echo "${line%/stat}"; }
  done
}
# Kills a helper and what it started: a `timeout` wrapper killed alone
# would leave its sipp running.
kill_tree() {
  local child
  for child in $(children_of "$1"); do kill_tree "$child"; done
  kill -9 "$1" 2>/dev/null
}

cleanup() {
  local pid
  for pid in "${helper_pids[@]}"; do
    [ -n "$pid" ] && kill_tree "$pid"
  done
  stop_daemons
  wait 2>/dev/null
  [ -n "${work:-}" ] && sanitizer_verdict
  [ -n "$extra_cleanup" ] && eval "$extra_cleanup"
  # KEEP=1 keeps the work dir (logs, SIPp traces) for a post-mortem.
  if [ -n "${work:-}" ]; then
    if [ -n "${KEEP:-}" ]; then echo "# kept $work" >&2; else rm -rf "$work"; fi
  fi
  [ -z "$sanitizer_reports" ] || exit 1
}

# SIGTERM, so that each daemon exits through its own shutdown and
# LeakSanitizer sees it; SIGKILL for any still running after the leave bound.
stop_daemons() {
  local pid
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    [ -n "$pid" ] && eventually 15 exited "$pid"
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  done
}
exited() {  # exited PID: gone, or a zombie waiting to be reaped
  local state=Z
  { read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null
  [ "$state" = Z ]
}

# Sanitizer builds: every process the test starts (daemons, p2psipctl, also
# under setpriv or in a namespace) writes its reports to files under
# $work/sanitizer; any such file, or a report in a daemon's stderr, fails the
# test at cleanup even where the script itself did not notice a daemon die.
sanitizer_reports=""
log_sanitizer_reports() {
  mkdir -m 1777 "$work/sanitizer"
  local var
  for var in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
    # One prefix each: GCC's libasan and libubsan clobber a shared one.
    export "$var=${!var:+${!var}:}log_path=$work/sanitizer/${var%_OPTIONS}"
  done
}
sanitizer_verdict() {
  sanitizer_reports=$({
    find "$work/sanitizer" -type f 2>/dev/null
    grep -l -E "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" \
      "$work"/n*/log 2>/dev/null
  })
  [ -n "$sanitizer_reports" ] || return 0
  echo "FAIL: sanitizer reports:" >&2
  local report
  for report in $sanitizer_reports; do
    echo "--- $report ---" >&2
    head -n 60 "$report" >&2
  done
}

make_work() {  # make_work NAME: $work, removed (with the daemons) on exit
  work=$(mktemp -d "${TMPDIR:-/tmp}/p2psipd-$1-XXXXXX")
  chmod 755 "$work"
  log_sanitizer_reports
  trap cleanup EXIT
  trap 'exit 1' INT TERM
}

fail() {
  # Logs first and the verdict last: a harness that keeps only the end of a
  # long output (meson keeps 100 lines) still shows each node's tables.
  local i
  for i in "${!pids[@]}"; do
    [ -f "$work/n$i/log" ] || continue
    echo "--- node $i log (tail) ---" >&2
    tail -n 8 "$work/n$i/log" >&2
  done
  for i in "${!pids[@]}"; do
    [ -n "${pids[$i]}" ] || continue
    echo "--- node $i: $(ctl "$i" status 2>&1 | json_field '{k: r.get(k) for k in ("node_id", "state", "peers")}' 2>&1)" >&2
    echo "    peers: $(ctl "$i" peers 2>&1 | json_field '{k: r[k] for k in ("predecessors", "successors", "links")}' 2>&1)" >&2
  done
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

ctl() {  # ctl NODE METHOD [key=value ...]: the JSON result on stdout
  local node=$1
  shift
  "$P2PSIPCTL" --socket "${sockets[$node]}" --json "$@"
}

json_field() {  # json_field EXPR: evaluates EXPR on the JSON object `r` from stdin
  python3 -c "import json,sys; r=json.load(sys.stdin); print($1)"
}

# Retries a command once per 0.2 s for up to $1 seconds.
eventually() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# A TCP port that was free a moment ago, from the ephemeral range.
# A port free for both TCP and UDP on loopback now (SIPp binds both; ICE
# agents of other processes hold many UDP ports from the same range).
free_port() {
  python3 - <<'PY'
import socket
for _ in range(100):
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        u.close()
        t.close()
    print(port)
    break
PY
}

# Configuration knobs for write_config (reset per node by the caller as needed).
cfg_bootstrap=""          # space-separated HOST:PORT list
cfg_listen_address=127.0.0.1
cfg_listen_port=0
cfg_discovery=false
cfg_discovery_extra=""    # YAML lines indented under discovery:
cfg_overlay_extra=""      # YAML lines indented under overlay:
cfg_extra=""              # top-level YAML lines

write_config() {  # write_config INDEX: $work/nINDEX/p2psipd.yaml from the knobs above
  local i=$1 b
  mkdir -p "$work/n$i"
  sockets[$i]="$work/n$i/control.sock"
  {
    echo "overlay:"
    echo "  name: ring.test.p2psip.local"
    echo "  self-signed-permitted: true"
    echo "  overlay-reliability-timer: 1000"
    if [ -n "$cfg_bootstrap" ]; then
      echo "  bootstrap-nodes:"
      for b in $cfg_bootstrap; do echo "    - $b"; done
    fi
    [ -n "$cfg_overlay_extra" ] && printf '%s\n' "$cfg_overlay_extra"
    echo "node:"
    echo "  listen-address: $cfg_listen_address"
    echo "  listen-port: $cfg_listen_port"
    echo "discovery:"
    echo "  enabled: $cfg_discovery"
    [ -n "$cfg_discovery_extra" ] && printf '%s\n' "$cfg_discovery_extra"
    echo "sip:"
    echo "  enabled: false"
    echo "control:"
    echo "  socket: ${sockets[$i]}"
    [ -n "$cfg_extra" ] && printf '%s\n' "$cfg_extra"
  } >"$work/n$i/p2psipd.yaml"
}

launch_node() {  # launch_node INDEX: runs p2psipd on the written config (in ${node_prefix[INDEX]})
  local i=$1
  # shellcheck disable=SC2086
  ${node_prefix[$i]:-} "$P2PSIPD" -c "$work/n$i/p2psipd.yaml" --state-dir "$work/n$i/state" \
    >>"$work/n$i/out" 2>>"$work/n$i/log" &
  pids[$i]=$!
}

# start_office_box INDEX ADDRESS PORT SIP [p2psipd arguments...]: a box of
# the office overlay $OVERLAY, whose overlay settings come from the
# configuration document; the YAML holds only what is local. SIP is `sip`
# (on loopback, an ephemeral port) or `nosip`. Runs in ${node_prefix[INDEX]};
# ${box_yaml[INDEX]} adds local YAML lines.
start_office_box() {
  local i=$1 address=$2 port=$3 sip="{enabled: false}"
  [ "$4" = sip ] && sip="{enabled: true, listen-address: 127.0.0.1, listen-port: 0}"
  shift 4
  mkdir -p "$work/n$i"
  sockets[$i]="$work/n$i/control.sock"
  cat >"$work/n$i/p2psipd.yaml" <<YAML
overlay: {name: $OVERLAY}
node: {listen-address: $address, listen-port: $port}
discovery: {enabled: false}
sip: $sip
control: {socket: ${sockets[$i]}}
${box_yaml[$i]:-}
YAML
  # shellcheck disable=SC2086
  ${node_prefix[$i]:-} "$P2PSIPD" -c "$work/n$i/p2psipd.yaml" --state-dir "$work/n$i/state" \
    --overlay "$OVERLAY" "$@" >>"$work/n$i/out" 2>>"$work/n$i/log" &
  pids[$i]=$!
}

start_node() {  # start_node INDEX [BOOTSTRAP_PORT]: on loopback, discovery off
  local saved=$cfg_bootstrap
  [ -n "${2:-}" ] && cfg_bootstrap="127.0.0.1:$2"
  write_config "$1"
  cfg_bootstrap=$saved
  launch_node "$1"
}

# stop_node INDEX SIGNAL: signals the daemon and reaps it; its exit status
# is left in $stopped_status (not printed: a subshell could not reap it).
# start_first_node: node 0 alone, started and in its own new overlay; its
# overlay port in $port0 for the others' bootstrap.
start_first_node() {
  start_node 0
  eventually 10 printed_port 0 || fail "node 0 did not print its port"
  port0=$(listen_port 0)
  eventually 10 joined 0 || fail "node 0 did not start an overlay"
}

stop_node() {
  stopped_status=0
  kill "-$2" "${pids[$1]}" 2>/dev/null
  wait "${pids[$1]}" 2>/dev/null || stopped_status=$?
  pids[$1]=""
}

listen_port() {  # the port node $1 printed it listens on (the last start's)
  sed -n 's/.* listening on [0-9.]*:\([0-9]*\)$/\1/p' "$work/n$1/out" | tail -n 1
}

printed_port() { [ -n "$(listen_port "$1")" ]; }

node_id_of() { ctl "$1" status | json_field 'r["node_id"]'; }

joined() {
  [ "$(ctl "$1" status 2>/dev/null | json_field 'r["state"]' 2>/dev/null)" = joined ]
}

all_joined() {
  local i
  for i in "$@"; do joined "$i" || return 1; done
}

# Each node's first successor is the next Node-ID in ring order and its
# first predecessor the previous one, over the nodes given.
ring_consistent() {
  local i paths=()
  for i in "$@"; do paths+=("${sockets[$i]}"); done
  python3 "$test_lib_dir/overlay_checks.py" ring "${paths[@]}"
}

readable_everywhere() {  # readable_everywhere KEY VALUE NODE...
  local key=$1 value=$2 i got
  shift 2
  for i in "$@"; do
    got=$(ctl "$i" get "key=$key" 2>/dev/null | json_field 'r["values"][0]["value"]' 2>/dev/null)
    [ "$got" = "$value" ] || return 1
  done
}

# --- network namespaces (root only) -------------------------------------------

require_namespaces() {  # skips (77) where namespaces cannot be made
  [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
  command -v ip >/dev/null || skip "no ip(8)"
  local probe="p2pprobe$$"
  ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
  ip netns delete "$probe"
}

# bridge_namespaces N: namespaces p2pn$$-0..N-1 on one bridge (itself in a
# namespace), node I at $subnet.(I+1), run there through node_prefix[I];
# deleted at exit. After make_work.
bridge_namespaces() {
  local n=$1 i ns
  bridge_ns="p2pbr$$"
  namespaces=("$bridge_ns")
  extra_cleanup=delete_namespaces
  # A random 10.x.y.0/24, so parallel runs and the host's own networks do not meet.
  subnet="10.$((RANDOM % 200 + 20)).$((RANDOM % 250))"
  ip netns add "$bridge_ns" || fail "cannot create $bridge_ns"
  ip -n "$bridge_ns" link add br0 type bridge mcast_snooping 0 || fail "cannot create the bridge"
  ip -n "$bridge_ns" link set br0 up
  for ((i = 0; i < n; i++)); do
    ns="p2pn$$-$i"
    namespaces+=("$ns")
    ip netns add "$ns" || fail "cannot create $ns"
    ip link add "p2v$$$i" type veth peer name "p2b$$$i" || fail "cannot create a veth pair"
    ip link set "p2v$$$i" netns "$ns" name eth0
    ip link set "p2b$$$i" netns "$bridge_ns"
    ip -n "$bridge_ns" link set "p2b$$$i" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$subnet.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    # No default or multicast route: discovery must not need one.
    node_prefix[$i]="ip netns exec $ns"
  done
  echo "$n namespaces on bridge $bridge_ns, $subnet.0/24"
}
delete_namespaces() {
  local ns
  for ns in "${namespaces[@]}"; do ip netns delete "$ns" 2>/dev/null; done
}

# For the benchmarks: P2PSIPD and P2PSIPCTL from a build directory, or exit 2.
use_build() {  # use_build BUILD_DIR
  P2PSIPD=$1/daemon/p2psipd
  P2PSIPCTL=$1/tools/p2psipctl/p2psipctl
  local program
  for program in "$P2PSIPD" "$P2PSIPCTL"; do
    [ -x "$program" ] || { echo "missing $program (build it first)" >&2; exit 2; }
  done
}

# --- stored values: metrics, copies, readability ---------------------------
metric() {  # metric NODE NAME: the value of an unlabelled metric
  ctl "$1" metrics | json_field "int(r['metrics']['$2']['samples'][0]['value'])"
}
total_values() {  # total_values NODE...: the sum of storage_values, in $total
  local i v
  total=0
  for i in "$@"; do
    v=$(metric "$i" storage_values 2>/dev/null) || return 1
    total=$((total + v))
  done
}
copies_are() {  # copies_are EXPECTED NODE...: the sum of storage_values is EXPECTED
  local expected=$1
  shift
  total_values "$@" && [ "$total" -eq "$expected" ]
}
per_node() {  # per_node NODE...: "node:storage_values ..." for a failure message
  local i
  for i in "$@"; do printf ' n%s:%s' "$i" "$(metric "$i" storage_values 2>/dev/null)"; done
}
declare -A values  # key -> value, filled by store_values
count_lost() {  # count_lost NODE...: values not readable from the NODEs, in $lost (names in $lost_keys)
  local i k paths=() pairs=() out
  for i in "$@"; do paths+=("${sockets[$i]}"); done
  for k in "${!values[@]}"; do pairs+=("$k" "${values[$k]}"); done
  out=$(python3 "$test_lib_dir/overlay_checks.py" lost "${paths[@]}" -- "${pairs[@]}") || return 1
  lost=${out%% *}
  lost_keys=" ${out#* }"
}
none_lost() { count_lost "$@" && [ "$lost" -eq 0 ]; }
# store_values ENTRIES REPLICAS NODE...: each NODE puts ENTRIES values under
# its own user; then all are readable from node 0 and the NODEs hold REPLICAS
# copies of each. Sets values, n, baseline and expected.
store_values() {
  local entries=$1 replicas=$2 i e owner
  shift 2
  total_values "$@" || fail "no storage_values metric"
  baseline=$total
  for i in "$@"; do
    owner=$(ctl "$i" status | json_field 'r["user"]') || fail "no user on node $i"
    for ((e = 0; e < entries; e++)); do
      ctl "$i" put "key=$owner/e$e" "value=n$i-e$e" >/dev/null ||
        fail "put $owner/e$e from node $i failed"
      values["$owner/e$e"]="n$i-e$e"
    done
  done
  n=${#values[@]}
  expected=$((baseline + replicas * n))
  eventually 60 none_lost 0 || fail "$lost of $n values not readable right after the puts:$lost_keys"
  eventually 60 copies_are "$expected" "$@" ||
    fail "after the puts the daemons hold $total values, not $expected ($replicas x $n + $baseline)"
  echo "$n values stored, $replicas copies each ($total stored values, baseline $baseline)"
}

relays_seen_by() {  # relays_seen_by NODE: "ADDRESS:PORT ..." from relay.find
  ctl "$1" relay.find | json_field '" ".join(sorted({"%s:%s" % (x["address"], x["port"]) for x in r["relays"]}))'
}

# --- TURN clients (coturn's turnutils) ---------------------------------------
# Where the relay and the echo peer are, and a command prefix for the
# client (a namespace, in the NAT lab); loopback unless set.
relay_host=127.0.0.1
echo_peer_host=127.0.0.1
uclient_prefix=""
# start_echo_peer [PREFIX...]: turnutils_peer (run under PREFIX, e.g. nice)
# on a free port of $echo_peer_host, in $peer_port.
start_echo_peer() {
  local _
  for _ in $(seq 10); do
    peer_port=$((20000 + RANDOM % 10000))
    "$@" turnutils_peer -L "$echo_peer_host" -p "$peer_port" >"$work/peer.log" 2>&1 &
    peer_pid=$!
    sleep 0.3
    kill -0 "$peer_pid" 2>/dev/null && break
    peer_pid=""
  done
  [ -n "$peer_pid" ] || fail "no free port for turnutils_peer"
  helper_pids+=("$peer_pid")
}

# uclient LABEL PORT ARGS...: turnutils_uclient (under $uclient_prefix) with
# $user and $pass to the echo peer through the relay at $relay_host:PORT; 0
# lost required.
uclient() {
  local label=$1 port=$2
  shift 2
  local log="$work/uclient.log"
  # shellcheck disable=SC2086
  $uclient_prefix timeout 60 turnutils_uclient "$@" -u "$user" -w "$pass" -e "$echo_peer_host" \
    -r "$peer_port" -p "$port" -n 50 -l 172 -z 5 "$relay_host" >"$log" 2>&1 ||
    fail "uclient $label exited $?: $(tail -n 5 "$log")"
  local totals lost sent received
  totals=$(grep 'start_mclient: tot_send_msgs=' "$log" | tail -n 1)
  lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
  sent=${totals#*tot_send_msgs=}
  sent=${sent%%,*}
  received=${totals##*tot_recv_msgs=}
  [ -n "$lost" ] && [ "${sent:-0}" -gt 0 ] 2>/dev/null || fail "uclient $label: no totals"
  echo "uclient $label: sent $sent received $received lost $lost"
  [ "$lost" = 0 ] && [ "$sent" = "$received" ] || fail "uclient $label lost messages"
}

# init_ca DIR BOOTSTRAP [YAML_LINES]: `p2psip-ca init` in DIR for $OVERLAY,
# and the admin's one source, DIR/overlay.yaml: a CA overlay on TLS over
# TCP with fast timers, BOOTSTRAP ("HOST:PORT") its bootstrap node, and
# YAML_LINES (indented under overlay:) added.
init_ca() {
  "$P2PSIP_CA" init --dir "$1" --overlay "$OVERLAY" >/dev/null || fail "p2psip-ca init"
  cat >"$1/overlay.yaml" <<YAML
overlay:
  name: $OVERLAY
  self-signed-permitted: false
  root-cert: ca.crt
  no-ice: true
  overlay-reliability-timer: 1000
  chord-update-interval: 10
  bootstrap-nodes: ["$2"]
${3:-}
YAML
}
