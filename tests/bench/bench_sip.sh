#!/bin/bash
# SIP usage figures (PRODUCT.md bars, see tests/bench/README.md "SIP usage"):
#   register  REGISTER throughput of p2psipd's SIP front (3 daemons on
#             loopback, storing into their overlay) and of Kamailio's
#             in-memory registrar (usrloc db_mode=0, save("location")), the
#             same SIPp scenario (a fresh AOR per call, Expires 3600) side by
#             side in one run: the highest rate each sustains (every call 200,
#             no failure, no retransmission, achieved ≥ 97 % of the target),
#             then both at a fixed FIXED_RATE/s for FIXED_S s with p50/p99
#             response time; the registrations are checked in the overlay
#             (stored value counts from metrics, lookups on another daemon).
#   call      INVITE→180 through a daemon that has no link to the callee's
#             home daemon (RING daemons): the first contact (Fetch, AppAttach,
#             TLS) and WARM_CALLS warm calls, p50/p99.
#   replicate REPL_AORS fresh AORs sent to n0 of 3 at REPL_RATE/s: AORs per
#             second stored with both replicas (first REGISTER to the last of
#             the 3 × REPL_AORS values), against the ECDSA P-256 sign/verify
#             rate `openssl speed` measures in the same run. PERF=1 records
#             the 3 daemons with `perf record -g` (report in the work dir).
#   memory    MEM_AORS fresh AORs registered on one of 3 daemons, then as
#             many more (the marginal cost): growth of VmRSS, RssAnon and the
#             malloc heap of every daemon, per AOR.
# Response times are SIPp's own microsecond message timestamps (-trace_msg),
# what a softphone would see. Every process started here is killed on exit.
#
# usage: tests/bench/bench_sip.sh BUILD_DIR [PARTS=register,call,replicate,memory]
#   BUILD_DIR: a release build with daemon/p2psipd and tools/p2psipctl/p2psipctl.
#   Knobs (environment): RATES="2000 4000 …" STEP_S=3 FIXED_RATE=1000 FIXED_S=10
#   RING=10 WARM_CALLS=200 MEM_AORS=5000 KAMAILIO_CHILDREN=2 KEEP=1 (keep work dir)
#   REPL_AORS=20000 REPL_RATE=5000 PERF=0 (PERF_CALLGRAPH=--call-graph=dwarf PERF_FREQ=99;
#   register records n0 during its fixed-rate run). RATES="" runs only the fixed rate.
# Exits 77 when sipp is missing; the register part is skipped without kamailio.
set -u
BUILD=${1:?usage: bench_sip.sh BUILD_DIR [register,call,replicate,memory]}
PARTS=${2:-register,call,replicate,memory}
RATES=${RATES-2000 4000 6000 8000 10000 12000 14000 16000}
STEP_S=${STEP_S:-3}
FIXED_RATE=${FIXED_RATE:-1000}
FIXED_S=${FIXED_S:-10}
RING=${RING:-10}
WARM_CALLS=${WARM_CALLS:-200}
MEM_AORS=${MEM_AORS:-5000}
REPL_AORS=${REPL_AORS:-20000}
REPL_RATE=${REPL_RATE:-5000}
PERF=${PERF:-0}
KAMAILIO_CHILDREN=${KAMAILIO_CHILDREN:-2}
P2PSIPD=$BUILD/daemon/p2psipd
P2PSIPCTL=$BUILD/tools/p2psipctl/p2psipctl
HERE=$(cd "$(dirname "$0")" && pwd)
SCEN=$HERE/sip
FIGURES="python3 $SCEN/sipp_figures.py"
for program in "$P2PSIPD" "$P2PSIPCTL"; do
  [ -x "$program" ] || { echo "missing $program (build it first)" >&2; exit 2; }
done
command -v sipp >/dev/null 2>&1 || { echo "SKIP: sipp is not installed"; exit 77; }

. "$HERE/../daemon/p2psipd_test_lib.sh"
. "$HERE/../sip/p2psipd_sip_lib.sh"
make_work bench-sip
if [ "${KEEP:-0}" = 1 ]; then trap 'work_kept=$work; work=; cleanup; echo "kept $work_kept"' EXIT; fi
DOMAIN=bench.test
cfg_extra=$'log:\n  level: warning'

wants() { [[ ",$PARTS," == *",$1,"* ]]; }

# fresh_ring N: daemons 0..N-1 in one new ring (earlier ones killed, their
# state dirs gone, so that no persisted binding comes back).
fresh_ring() {
  local i
  for i in "${!pids[@]}"; do [ -n "${pids[$i]}" ] && stop_node "$i" KILL; done
  rm -rf "$work"/n[0-9]*
  start_sip_ring "$1"
}

metric() {  # metric NODE NAME: a gauge's value from metrics.get
  ctl "$1" metrics | json_field "int(sum(s['value'] for s in r['metrics']['$2']['samples']))"
}
stored_values() {  # stored_values NODE...: storage_values summed over the nodes
  local i total=0
  for i in "$@"; do total=$((total + $(metric "$i" storage_values))); done
  echo "$total"
}

# run_sipp NAME TARGET [sipp args...]: one bounded SIPp client run.
run_sipp() {
  local name=$1 target=$2
  shift 2
  timeout 300 sipp "$target" -i 127.0.0.1 -p "$(free_udp_port)" -nostdin -timeout 240s \
    -timeout_error -buff_size 4194304 -trace_err -error_file "$work/$name.err" \
    -trace_stat -stf "$work/$name.csv" "$@" >"$work/$name.out" 2>&1
}
free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) before the run; $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1)"

# =============================================================================
# register: p2psipd vs Kamailio
# =============================================================================
kamailio_pid=""
start_kamailio() {
  local dir=$work/kamailio
  mkdir -p "$dir"
  KAMAILIO_PORT=$(free_udp_port)
  sed -e "s|@PORT@|$KAMAILIO_PORT|" -e "s|@CHILDREN@|$KAMAILIO_CHILDREN|" \
    "$SCEN/kamailio.cfg.in" >"$dir/kamailio.cfg"
  # -DD: the creator stays in the foreground (its pid is ours to kill); -E: log to stderr.
  kamailio -f "$dir/kamailio.cfg" -DD -E -Y "$dir" -P "$dir/kamailio.pid" -m 256 \
    >"$dir/out" 2>"$dir/log" &
  kamailio_pid=$!
  helper_pids+=("$kamailio_pid")
  sleep 1
  kill -0 "$kamailio_pid" 2>/dev/null || { tail "$dir/log"; fail "kamailio did not start"; }
  # Its workers are the creator's children: killed with it at the end.
  helper_pids+=($(ps -o pid= --ppid "$kamailio_pid"))
}

# step SERVER TARGET RATE: one throughput step, prints the verdict line and
# returns 0 when the rate was sustained.
step() {
  local server=$1 target=$2 rate=$3 calls=$(($3 * STEP_S))
  local name=$server-$rate
  run_sipp "$name" "$target" -sf "$SCEN/register.xml" -key prefix "${server:0:1}$rate-" \
    -r "$rate" -m "$calls"
  local figures success failed retrans achieved
  figures=$($FIGURES stat "$work/$name.csv" 2>/dev/null) || figures="0 ? ? 0"
  read -r success failed retrans achieved <<<"$figures"
  local ok=1
  [ "$success" = "$calls" ] && [ "$failed" = 0 ] && [ "$retrans" = 0 ] &&
    [ $((achieved * 100)) -ge $((rate * 97)) ] && ok=0
  printf '  %-9s target %6d/s: %6d/s achieved, %d/%d calls 200, %s failed, %s retransmissions%s\n' \
    "$server" "$rate" "$achieved" "$success" "$calls" "$failed" "$retrans" \
    "$([ $ok = 0 ] && echo "" || echo "  → not sustained")"
  return $ok
}

# landed CALLS SECONDS: how many of CALLS fresh AORs (on a fresh ring) are
# stored with both replicas SECONDS after SIPp's last 200, and when all were.
landed() {
  local want=$((3 * $1)) t0=$SECONDS
  if eventually "$2" test_values_at_least "$want"; then
    echo "all $1 stored with 2 replicas $((SECONDS - t0)) s after the last 200"
  else
    echo "$(($(stored_values 0 1 2) / 3)) of $1 stored with 2 replicas $2 s after the last 200"
  fi
}

# p2psipd_step RATE: step on a fresh ring of 3 (no backlog of an earlier step).
p2psipd_step() {
  fresh_ring 3
  local ok=0
  step p2psipd "127.0.0.1:$(sip_port 0)" "$1" || ok=1
  echo "            overlay: $(landed $(($1 * STEP_S)) 10)"
  return $ok
}

bench_register() {
  if ! command -v kamailio >/dev/null 2>&1; then
    echo "SKIP register: kamailio is not installed"
    return
  fi
  echo "== register: Kamailio $(kamailio -v | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')" \
    "(children=$KAMAILIO_CHILDREN) vs 3 daemons (the SIP front of n0), a fresh ring for each run"
  start_kamailio
  local kam=127.0.0.1:$KAMAILIO_PORT best_p2p=0 best_kam=0 p2p_on=1 kam_on=1 rate
  for rate in $RATES; do
    if [ $kam_on = 1 ]; then step kamailio "$kam" "$rate" && best_kam=$rate || kam_on=0; fi
    if [ $p2p_on = 1 ]; then p2psipd_step "$rate" && best_p2p=$rate || p2p_on=0; fi
    [ $kam_on = 0 ] && [ $p2p_on = 0 ] && break
  done
  echo "  highest sustained rate: p2psipd $best_p2p/s, kamailio $best_kam/s," \
    "ratio $(python3 -c "print(f'{$best_p2p / max($best_kam, 1):.2f}')")×" \
    "$([ $p2p_on = 1 ] && [ $kam_on = 1 ] && echo "(both passed the highest step: raise RATES)")"

  echo "  fixed $FIXED_RATE REGISTER/s for $FIXED_S s, response time (SIPp timestamps):"
  local server target calls=$((FIXED_RATE * FIXED_S))
  for server in kamailio p2psipd; do
    target=$kam
    [ $server = p2psipd ] && fresh_ring 3 && target=127.0.0.1:$(sip_port 0)
    local perf_pid=""
    if [ "$PERF" = 1 ] && [ $server = p2psipd ]; then
      perf record -F "${PERF_FREQ:-499}" ${PERF_CALLGRAPH:--g} -o "$work/perf-fixed.data" \
        -p "${pids[0]}" >/dev/null 2>&1 &
      perf_pid=$!
    fi
    run_sipp "$server-fixed" "$target" -sf "$SCEN/register.xml" -key prefix "${server:0:1}fixed-" \
      -r "$FIXED_RATE" -m "$calls" -trace_msg -message_file "$work/$server-fixed.msg"
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null; fi
    read -r success failed retrans _ <<<"$($FIGURES stat "$work/$server-fixed.csv")"
    printf '  %-9s %s ms; %d calls 200, %s failed, %s retransmissions\n' "$server" \
      "$($FIGURES latency "$work/$server-fixed.msg" REGISTER 200 | cut -d' ' -f5-8,11,12)" \
      "$success" "$failed" "$retrans"
  done
  echo "  overlay: $(landed "$calls" 300) (stored values n0/n1/n2:" \
    "$(metric 0 storage_values)/$(metric 1 storage_values)/$(metric 2 storage_values))"
  local sample found=0 node0
  node0=$(node_id_of 0)
  for sample in 1 $((calls / 2)) "$calls"; do
    if ctl 2 lookup "aor=sip:pfixed-$sample@$DOMAIN" | json_field 'r["nodes"]' | grep -q "$node0"; then
      found=$((found + 1))
    else
      echo "  lookup of sip:pfixed-$sample@$DOMAIN on n2: $(ctl 2 lookup "aor=sip:pfixed-$sample@$DOMAIN" 2>&1)"
    fi
  done
  echo "  p2psipctl lookup on n2: $found of 3 sampled AORs name n0"
  kill -TERM "$kamailio_pid" 2>/dev/null
}
test_values_at_least() { [ "$(stored_values 0 1 2)" -ge "$1" ]; }

# =============================================================================
# call: INVITE→180 through a daemon with no link to the callee's home daemon
# =============================================================================
links_of() { ctl "$1" peers | json_field '" ".join(r["links"])'; }

# non_neighbours: "CALLER HOME", two daemons neither of which links to the other.
non_neighbours() {
  local i j ids=() links=()
  for ((i = 0; i < RING; i++)); do
    ids[$i]=$(node_id_of "$i")
    links[$i]=$(links_of "$i")
  done
  for ((i = 0; i < RING; i++)); do
    for ((j = 0; j < RING; j++)); do
      [ "$i" = "$j" ] && continue
      [[ " ${links[$i]} " == *" ${ids[$j]} "* || " ${links[$j]} " == *" ${ids[$i]} "* ]] && continue
      echo "$i $j"
      return 0
    done
  done
  return 1
}

bench_call() {
  echo "== call: $RING daemons, INVITE→180 through a non-neighbour"
  fresh_ring "$RING"
  local pair caller home
  pair=$(non_neighbours) || fail "every daemon links to every other: raise RING"
  read -r caller home <<<"$pair"
  echo "  caller's daemon n$caller ($(links_of "$caller" | wc -w) links), callee's home n$home"     "($(links_of "$home" | wc -w) links), no link between them"
  local uas_port
  uas_port=$(free_udp_port)
  run_sipp callee-reg "127.0.0.1:$(sip_port "$home")" -sf "$HERE/../sip/scenarios/register.xml"     -s callee -key uas_port "$uas_port" -m 1
  [ "$($FIGURES stat "$work/callee-reg.csv" | cut -d' ' -f1)" = 1 ] ||
    fail "the callee's REGISTER failed (see $work/callee-reg.*)"
  eventually 20 published "sip:callee@p2psip.test" "$home" || fail "the callee is not stored"
  timeout 300 sipp -i 127.0.0.1 -p "$uas_port" -nostdin -timeout 240s -timeout_error \
    -sf "$HERE/../sip/scenarios/uas_call.xml" -s callee -m $((1 + WARM_CALLS)) \
    -trace_err -error_file "$work/callee.err" >"$work/callee.out" 2>&1 &
  helper_pids+=($!)
  local uas=$! target=127.0.0.1:$(sip_port "$caller")
  sleep 0.5
  run_sipp first-call "$target" -sf "$HERE/../sip/scenarios/uac_call.xml" -s callee -m 1 \
    -trace_msg -message_file "$work/first-call.msg"
  local first
  first=$($FIGURES latency "$work/first-call.msg" INVITE 180 | sed -n 's/.* first \([0-9.]*\).*/\1/p')
  [ -n "$first" ] || fail "the first call got no 180 (see $work/first-call.*)"
  echo "  first contact (Fetch, AppAttach, TLS, then the INVITE): INVITE→180 $first ms"
  run_sipp warm-calls "$target" -sf "$HERE/../sip/scenarios/uac_call.xml" -s callee \
    -m "$WARM_CALLS" -r 20 -l 10 -trace_msg -message_file "$work/warm-calls.msg"
  read -r success failed retrans _ <<<"$($FIGURES stat "$work/warm-calls.csv")"
  echo "  warm, $WARM_CALLS calls at 20/s: INVITE→180" \
    "$($FIGURES latency "$work/warm-calls.msg" INVITE 180 | cut -d' ' -f5-8,11,12) ms;" \
    "$success calls completed, $failed failed, $retrans retransmissions"
  wait "$uas" || echo "  (the callee's SIPp exited with an error: see $work/callee.*)"
}

# =============================================================================
# replicate: AORs stored with both replicas per second, against the crypto limit
# =============================================================================
# ecdsa_rates: "SIGNS VERIFIES" per second of one core, ECDSA P-256 (openssl speed).
ecdsa_rates() {
  openssl speed -seconds 3 ecdsap256 2>/dev/null |
    awk '/256 bits ecdsa \(nistp256\)/ {print int($(NF-1)), int($NF)}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

bench_replicate() {
  echo "== replicate: $REPL_AORS fresh AORs at $REPL_RATE/s to n0 of 3, until stored with 2 replicas"
  local before after
  before=$(ecdsa_rates)
  fresh_ring 3
  local i perf_pids=() cpu0=()
  for i in 0 1 2; do cpu0[$i]=$(cpu_ticks "${pids[$i]}"); done
  if [ "$PERF" = 1 ]; then
    for i in 0 1 2; do
      perf record -F "${PERF_FREQ:-499}" ${PERF_CALLGRAPH:--g} -o "$work/perf-n$i.data" -p "${pids[$i]}" >/dev/null 2>&1 &
      perf_pids+=($!)
    done
  fi
  local want=$((3 * REPL_AORS)) t0 t1 t2
  t0=$(date +%s.%N)
  run_sipp replicate "127.0.0.1:$(sip_port 0)" -sf "$SCEN/register.xml" -key prefix repl- \
    -r "$REPL_RATE" -m "$REPL_AORS"
  t1=$(date +%s.%N)
  local deadline=$((SECONDS + 300))
  while [ "$(stored_values 0 1 2)" -lt "$want" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  t2=$(date +%s.%N)
  local stored cpu=0
  stored=$(stored_values 0 1 2)
  for i in 0 1 2; do cpu=$((cpu + $(cpu_ticks "${pids[$i]}") - cpu0[i])); done
  for i in "${perf_pids[@]}"; do kill -INT "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
  after=$(ecdsa_rates)
  read -r success _ <<<"$($FIGURES stat "$work/replicate.csv")"
  python3 - "$REPL_AORS" "$success" "$stored" "$t0" "$t1" "$t2" "$cpu" "$(getconf CLK_TCK)" \
    "$(nproc)" $before $after <<'PY'
import sys
n, ok, stored = map(int, sys.argv[1:4])
t0, t1, t2 = map(float, sys.argv[4:7])
cpu, tck, cores = int(sys.argv[7]) / int(sys.argv[8]), int(sys.argv[8]), int(sys.argv[9])
s1, v1, s2, v2 = map(int, sys.argv[10:14])
sign, verify = (s1 + s2) / 2, (v1 + v2) / 2
# What RFC 6940 asks per AOR on a 3-node ring (each value at its responsible
# node and 2 replicas): the AOR's key and self-signed certificate, the value's
# signature, 3 Stores and 3 StoreAns each signed and verified, and at each of
# the 3 storing nodes the certificate's self-signature and the value's
# signature verified once.  Key generation counts as one sign.
signs, verifies = 1 + 1 + 1 + 6, 6 + 3 + 3
per_aor = signs / sign + verifies / verify
limit = cores / per_aor
rate = stored / 3 / (t2 - t0)
print(f"  {ok} of {n} REGISTERs answered 200 in {t1 - t0:.1f} s; {stored} of {3 * n} values stored "
      f"{t2 - t1:.1f} s after the last 200")
print(f"  stored with 2 replicas: {rate:,.0f} AORs/s ({stored / (t2 - t0):,.0f} values/s); "
      f"{cpu * 1000 / max(stored / 3, 1):.2f} ms of daemon CPU per AOR")
print(f"  crypto limit: openssl speed P-256 {sign:,.0f} signs/s, {verify:,.0f} verifies/s per core; "
      f"{signs} signs + {verifies} verifies per AOR on {cores} cores = {limit:,.0f} AORs/s; "
      f"measured {100 * rate / limit:.0f} % of it")
PY
  if [ "$PERF" = 1 ]; then
    for i in 0 1 2; do
      perf report -i "$work/perf-n$i.data" --no-children --percent-limit 1.5 --stdio \
        -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 >"$work/perf-n$i.txt"
      echo "  perf n$i (self time, top):"
      head -12 "$work/perf-n$i.txt" | sed 's/^/    /'
    done
  fi
}

# =============================================================================
# memory: growth per registration, every daemon of a 3-node overlay
# =============================================================================
# memory_row NODE: "VmRSS RssAnon heap" in bytes.
memory_row() {
  local pid=${pids[$1]}
  echo "$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")" \
    "$(awk '/^RssAnon:/ {print $2 * 1024}' "/proc/$pid/status")" \
    "$(metric "$1" malloc_heap_bytes)"
}
# register_mem PREFIX COUNT BASE_VALUES: COUNT fresh AORs on node 0, all stored.
register_mem() {
  run_sipp "mem-$1" "127.0.0.1:$(sip_port 0)" -sf "$SCEN/register.xml" -key prefix "$1-" \
    -r 1000 -m "$2"
  [ "$($FIGURES stat "$work/mem-$1.csv" | cut -d' ' -f1)" = "$2" ] ||
    fail "not every REGISTER got its 200 (see $work/mem-$1.*)"
  local t0=$SECONDS
  eventually 300 test_values_at_least "$3" ||
    fail "only $(stored_values 0 1 2) of $3 values stored after 300 s"
  echo "  $2 more AORs stored with their replicas $((SECONDS - t0)) s after the last 200"
  sleep 12  # two housekeeping ticks: freed heap handed back (malloc_trim)
}

bench_memory() {
  echo "== memory: $MEM_AORS then $MEM_AORS more AORs registered on node 0 of 3"
  fresh_ring 3
  sleep 12
  local i base=() first=() second=() values0
  values0=$(stored_values 0 1 2)
  for i in 0 1 2; do base[$i]=$(memory_row "$i"); done
  register_mem m1 "$MEM_AORS" $((values0 + 3 * MEM_AORS))
  for i in 0 1 2; do first[$i]=$(memory_row "$i"); done
  register_mem m2 "$MEM_AORS" $((values0 + 6 * MEM_AORS))
  for i in 0 1 2; do second[$i]=$(memory_row "$i"); done
  echo "  bytes per AOR (VmRSS / RssAnon / malloc heap), first $MEM_AORS from idle, then the next $MEM_AORS:"
  for i in 0 1 2; do
    python3 - "n$i$([ "$i" = 0 ] && echo ' (registrar)')" "$MEM_AORS" "$(metric "$i" storage_values)" \
      ${base[$i]} ${first[$i]} ${second[$i]} <<'PY'
import sys
name, n, values = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b, f, s = (list(map(int, sys.argv[k:k + 3])) for k in (4, 7, 10))
per = lambda x, y: "/".join(f"{(y[k] - x[k]) / n:.0f}" for k in range(3))
print(f"  {name:15} {per(b, f):>17}  then {per(f, s):>17}; {values} values held;"
      f" RssAnon {s[1] / 2**20:.1f} MiB, heap {s[2] / 2**20:.1f} MiB at the end")
PY
  done
  python3 - "$MEM_AORS" ${base[*]} ${first[*]} ${second[*]} <<'PY'
import sys
n = int(sys.argv[1])
rows = [list(map(int, sys.argv[2 + 3 * k:5 + 3 * k])) for k in range(9)]
total = lambda first, k: sum(rows[first + i][k] for i in range(3))
print("  all 3 daemons   " + "/".join(f"{(total(3, k) - total(0, k)) / n:.0f}" for k in range(3)) +
      "  then " + "/".join(f"{(total(6, k) - total(3, k)) / n:.0f}" for k in range(3)))
PY
}

# =============================================================================
wants register && bench_register
wants call && bench_call
wants replicate && bench_replicate
wants memory && bench_memory
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
