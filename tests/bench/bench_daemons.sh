#!/bin/bash
# Real-daemon figures (PRODUCT.md bars, see tests/bench/README.md):
#   (a) NODES p2psipd on loopback, from cold (fresh state dirs, so each makes
#       its self-signed identity), the first started alone and the others
#       bootstrapped from it: wall time from the first start until every one
#       reports "joined" to node.status;
#   (b) then IDLE seconds of idle: per-daemon CPU % (utime+stime from
#       /proc/PID/stat over the window) and RSS (VmRSS at its end), max and mean;
#   (c) node.status round trips per second on one persistent control connection
#       to the first daemon, with p50/p99 latency.
# Each daemon has its own state dir, control socket and ephemeral overlay
# port; discovery is off, and so is SIP unless SIP=on (then each has its SIP
# front on an ephemeral loopback port, as the embedded default runs it).
# Every process is killed on exit.
#
# usage: [SIP=on] [NO_ICE=true] [SETTLE_S=0] tests/bench/bench_daemons.sh BUILD_DIR [NODES=32] [IDLE_S=60] [RATE_S=10]
#   NO_ICE sets overlay.no-ice (unset: the daemon's default, full ICE).
#   SETTLE_S: seconds between the last join and the idle window, for the
#   steady state (links the joins left that nobody needs close after two
#   idle periods, 50-75 s on ICE links).
#   BUILD_DIR: a release build with daemon/p2psipd, tools/p2psipctl/p2psipctl
#   and tests/bench/bench_control built.
set -u
BUILD=${1:?usage: bench_daemons.sh BUILD_DIR [NODES] [IDLE_S] [RATE_S]}
NODES=${2:-32}
IDLE=${3:-60}
RATE_S=${4:-10}
SIP=${SIP:-off}
NO_ICE=${NO_ICE:-}
SETTLE_S=${SETTLE_S:-0}
JOIN_TIMEOUT=120
P2PSIPD=$BUILD/daemon/p2psipd
P2PSIPCTL=$BUILD/tools/p2psipctl/p2psipctl
BENCH_CONTROL=$BUILD/tests/bench/bench_control
for program in "$P2PSIPD" "$P2PSIPCTL" "$BENCH_CONTROL"; do
  [ -x "$program" ] || { echo "missing $program (build it first)" >&2; exit 2; }
done

control_group=$(id -gn)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2psip-bench-daemons-XXXXXX")
declare -a pids sockets

cleanup() {
  local pid
  for pid in "${pids[@]}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; done
  # A graceful Leave is bounded: whatever is still there after 5 s is killed.
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  for i in "${!pids[@]}"; do
    echo "--- node $i log (tail) ---" >&2
    tail -n 5 "$work/n$i/log" >&2
  done
  exit 1
}

start_node() {  # start_node INDEX [BOOTSTRAP_PORT]
  local i=$1 bootstrap=${2:-}
  mkdir -p "$work/n$i"
  sockets[$i]="$work/n$i/control.sock"
  {
    echo "overlay:"
    echo "  name: bench.p2psip.local"
    echo "  self-signed-permitted: true"
    [ -n "$NO_ICE" ] && echo "  no-ice: $NO_ICE"
    if [ -n "$bootstrap" ]; then
      echo "  bootstrap-nodes:"
      echo "    - 127.0.0.1:$bootstrap"
    fi
    echo "node:"
    echo "  listen-address: 127.0.0.1"
    echo "  listen-port: 0"
    echo "discovery:"
    echo "  enabled: false"
    echo "sip:"
    if [ "$SIP" = on ]; then
      echo "  listen-address: 127.0.0.1"
      echo "  listen-port: 0"
    else
      echo "  enabled: false"
    fi
    echo "control:"
    echo "  socket: ${sockets[$i]}"
    # An existing group, as on an installed system (sysusers makes p2psip):
    # a missing one sends glibc on to nss-systemd, ~0.9 MiB more libraries.
    echo "  group: $control_group"
  } >"$work/n$i/p2psipd.yaml"
  "$P2PSIPD" -c "$work/n$i/p2psipd.yaml" --state-dir "$work/n$i/state" \
    >"$work/n$i/out" 2>"$work/n$i/log" &
  pids[$i]=$!
}

listen_port() {
  sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/n$1/out"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run; SIP $SIP; settle ${SETTLE_S} s"

# --- (a) cold join ----------------------------------------------------------------
start_ns=$(date +%s%N)
start_node 0
for _ in $(seq 200); do  # 10 s
  port0=$(listen_port 0)
  [ -n "$port0" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "node 0 exited"
  sleep 0.05
done
[ -n "$port0" ] || fail "node 0 did not print its port"
for ((i = 1; i < NODES; i++)); do start_node "$i" "$port0"; done
timeout $((JOIN_TIMEOUT + 10)) "$BENCH_CONTROL" join "$start_ns" "$JOIN_TIMEOUT" "${sockets[@]}" \
  >"$work/join.txt"
join_status=$?
grep -v '^node ' "$work/join.txt"
[ $join_status = 0 ] || { cat "$work/join.txt"; fail "not every daemon joined"; }
# Cross-check with the CLI, as an operator would.
for ((i = 0; i < NODES; i++)); do
  state=$(timeout 10 "$P2PSIPCTL" --socket "${sockets[$i]}" --json status |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$state" = joined ] || fail "p2psipctl status of node $i says '$state'"
done
echo "(a) p2psipctl --json status: all $NODES joined"

# --- (b) idle -------------------------------------------------------------------------
sleep "$SETTLE_S"
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime
declare -a before
for ((i = 0; i < NODES; i++)); do before[$i]=$(cpu_ticks "${pids[$i]}") || fail "node $i died"; done
t0=$(date +%s%N)
sleep "$IDLE"
t1=$(date +%s%N)
: >"$work/idle.txt"
for ((i = 0; i < NODES; i++)); do
  after=$(cpu_ticks "${pids[$i]}") || fail "node $i died while idle"
  # VmRSS, and its anonymous part (the rest is mostly shared library pages).
  rss=$(awk '/^VmRSS:|^RssAnon:/ {printf "%s ", $2}' "/proc/${pids[$i]}/status")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/${pids[$i]}/smaps_rollup")  # shared pages split
  echo "$i $((after - ${before[$i]})) $rss $pss" >>"$work/idle.txt"
done
awk -v ticks="$ticks" -v ns=$((t1 - t0)) -v n="$NODES" '
  { cpu = 100 * ($2 / ticks) / (ns / 1e9); rss = $3 / 1024
    anon = $4 / 1024; pss = $5 / 1024
    cpu_sum += cpu; rss_sum += rss; anon_sum += anon; pss_sum += pss
    if (pss > pss_max) pss_max = pss
    if (cpu > cpu_max) { cpu_max = cpu; cpu_node = $1 }
    if (rss > rss_max) { rss_max = rss; rss_node = $1 }
    if (anon > anon_max) anon_max = anon }
  END { printf "(b) idle %.1f s: CPU per daemon max %.3f %% (node %d), mean %.3f %%; " \
               "RSS max %.1f MiB (node %d), mean %.1f MiB (anonymous: max %.1f, mean %.1f MiB; " \
               "PSS: max %.1f, mean %.1f MiB)\n",
               ns / 1e9, cpu_max, cpu_node, cpu_sum / n, rss_max, rss_node, rss_sum / n,
               anon_max, anon_sum / n, pss_max, pss_sum / n }' \
  "$work/idle.txt"
: >"$work/links.txt"
for ((i = 0; i < NODES; i++)); do
  timeout 10 "$P2PSIPCTL" --socket "${sockets[$i]}" --json status >"$work/status.json"
  [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <"$work/status.json")" = joined ] ||
    fail "node $i no longer joined after the idle window"
  python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"])' <"$work/status.json" >>"$work/links.txt"
done
awk '{ sum += $1; if ($1 > max) max = $1 } END { printf "(b) links per daemon after it: mean %.1f, max %d\n", sum / NR, max }' \
  "$work/links.txt"

# --- (c) control plane -------------------------------------------------------------
printf "(c) "
timeout $((RATE_S + 30)) "$BENCH_CONTROL" rate "${sockets[0]}" "$RATE_S" || fail "rate run failed"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
