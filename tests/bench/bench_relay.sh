#!/bin/bash
# TURN relay figures: p2psipd's relay (lib/nat, relay.mode on) against coturn
# (Debian `turnserver`), both on 127.0.0.1 at once, runs alternating between
# them, the same clients against both:
#   cpu    ROUNDS rounds each of turnutils_uclient (CPU_CLIENTS clients over
#          UDP with channels, CPU_MSGS messages of 172 bytes each — a G.711
#          20 ms payload — every CPU_INTERVAL ms) through the server to one
#          turnutils_peer (echo). Server CPU = utime+stime from /proc/PID/stat
#          before/after each run; packets relayed = uclient's sent + received
#          (each message crosses the relay twice). CPU µs per relayed packet
#          and loss, median of the rounds, and the ratio p2psipd/coturn.
#   many   MANY_COUNTS concurrent allocations (uclient -m) at G.711 rate
#          (-z 20: 50 packets/s each way per allocation) for MANY_MSGS
#          messages each: loss and CPU per relayed packet, each server.
#   setup  SETUP_COUNT allocations over UDP with raw STUN
#          (turn_alloc_rate.py: 401, then the authenticated Allocate,
#          SETUP_WINDOW in flight), ROUNDS rounds each: allocations/s and
#          server CPU per allocation.
# Both servers authenticate TURN REST credentials (coturn --use-auth-secret,
# p2psipd its turn.secret); uclient computes them itself with -W for both.
# coturn runs with one relay thread (-m 1), as p2psipd relays on one thread.
# Every process started here is killed on exit; every wait is bounded.
#
# usage: tests/bench/bench_relay.sh BUILD_DIR [PARTS=cpu,many,setup]
#   BUILD_DIR: a release build with daemon/p2psipd and tools/p2psipctl/p2psipctl.
#   Knobs (environment): ROUNDS=3 CPU_CLIENTS=50 CPU_MSGS=3000 CPU_INTERVAL=5
#   MANY_COUNTS="250 500 1000" MANY_MSGS=250 MANY_SERVERS="p2psipd coturn" SETUP_COUNT=3000 SETUP_WINDOW=32
#   COTURN_THREADS=1 KEEP=1 (keep the work dir).
# Exits 77 when turnserver or turnutils_* are missing.
set -u
BUILD=${1:?usage: bench_relay.sh BUILD_DIR [cpu,many,setup]}
PARTS=${2:-cpu,many,setup}
ROUNDS=${ROUNDS:-3}
CPU_CLIENTS=${CPU_CLIENTS:-50}
CPU_MSGS=${CPU_MSGS:-3000}
CPU_INTERVAL=${CPU_INTERVAL:-5}
MANY_COUNTS=${MANY_COUNTS:-250 500 1000}
MANY_MSGS=${MANY_MSGS:-250}
MANY_SERVERS=${MANY_SERVERS:-p2psipd coturn}
SETUP_COUNT=${SETUP_COUNT:-3000}
SETUP_WINDOW=${SETUP_WINDOW:-32}
COTURN_THREADS=${COTURN_THREADS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../daemon/p2psipd_test_lib.sh"
use_build "$BUILD"
for tool in turnserver turnutils_uclient turnutils_peer; do
  command -v "$tool" >/dev/null || skip "$tool is missing (Debian coturn)"
done
make_work bench-relay
if [ "${KEEP:-0}" = 1 ]; then trap 'work_kept=$work; work=; cleanup; echo "kept $work_kept"' EXIT; fi
wants() { [[ ",$PARTS," == *",$1,"* ]]; }
TCK=$(getconf CLK_TCK)

free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cpu_ticks() {  # cpu_ticks PID: utime + stime, all threads
  local line
  read -r line <"/proc/$1/stat"
  set -- ${line##*) }
  echo $((${12} + ${13}))
}

# Relay port ranges below the ephemeral range, one each, 10,000 ports apiece
# (uclient's UDP allocations stay until they expire).
base=$((10000 + RANDOM % 2000))

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run;" \
  "coturn $(turnserver --version 2>&1 | head -n 1), CLK_TCK $TCK"

# --- p2psipd, relay on -------------------------------------------------------
cfg_extra="log:
  level: warning
relay:
  mode: on
  address: 127.0.0.1
  port: 0
  tls-port: 0
  relay-ports: $((base + 10000))-$((base + 19999))
  allow-loopback-peers: true
  max-allocations: 20000
  max-allocations-per-user: 20000"
node_prefix[0]="nice -n 5"
start_first_node
cfg_extra=""
p2p_pid=${pids[0]}
p2p_port=$(ctl 0 status | json_field 'r["relay"]["udp_port"]') || fail "node.status"
[ -n "$p2p_port" ] && [ "$p2p_port" != None ] || fail "the relay is not running: $(ctl 0 status)"
p2p_secret=$(cat "$work/n0/state/turn.secret") || fail "no turn.secret"

# --- coturn --------------------------------------------------------------------
mkdir -p "$work/coturn"
coturn_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
coturn_pid=""
for _ in $(seq 5); do
  coturn_port=$(free_udp_port)
  # -n: no configuration file; everything on the command line.
  nice -n 5 turnserver -n --use-auth-secret --static-auth-secret="$coturn_secret" --realm=bench.test \
    --listening-ip=127.0.0.1 --listening-port="$coturn_port" --relay-ip=127.0.0.1 \
    --min-port="$base" --max-port=$((base + 9999)) --allow-loopback-peers --no-cli --no-tls --no-dtls \
    --no-tcp-relay --relay-threads="$COTURN_THREADS" --pidfile="$work/coturn/pid" \
    --userdb="$work/coturn/turndb" --log-file=stdout --no-stdout-log --simple-log \
    >"$work/coturn/log" 2>&1 &
  coturn_pid=$!
  helper_pids+=("$coturn_pid")
  sleep 1
  kill -0 "$coturn_pid" 2>/dev/null && grep -q 'Relay address to use' "$work/coturn/log" && break
  kill_tree "$coturn_pid"
  coturn_pid=""
done
[ -n "$coturn_pid" ] || fail "coturn did not start: $(tail -n 5 "$work/coturn/log")"

# --- the echo peer -----------------------------------------------------------------
start_echo_peer nice -n 5
echo "p2psipd (pid $p2p_pid) relay on 127.0.0.1:$p2p_port; coturn (pid $coturn_pid, $COTURN_THREADS relay thread)" \
  "on 127.0.0.1:$coturn_port; turnutils_peer on 127.0.0.1:$peer_port"

server_pid() { [ "$1" = p2psipd ] && echo "$p2p_pid" || echo "$coturn_pid"; }
server_port() { [ "$1" = p2psipd ] && echo "$p2p_port" || echo "$coturn_port"; }
server_secret() { [ "$1" = p2psipd ] && echo "$p2p_secret" || echo "$coturn_secret"; }
p2p_relayed() {  # relay_packets_total, both directions
  ctl 0 metrics | json_field 'int(sum(s["value"] for s in r["metrics"]["relay_packets_total"]["samples"]))'
}

# uclient_run SERVER NAME CLIENTS MSGS INTERVAL: one bounded uclient run; sets
# $sent $received $lost $cpu_us (server CPU over the run) $per_packet (µs).
uclient_run() {
  local server=$1 name=$2 clients=$3 msgs=$4 interval=$5
  local pid log=$work/$name.log before after totals bound
  pid=$(server_pid "$server")
  # The run's length plus allocation time and uclient's own wait at the end.
  bound=$((msgs * interval / 1000 + clients * 2 / 5 + 60))
  before=$(cpu_ticks "$pid")
  drops0=$(udp_rcvbuf_errors)
  local TIMEFORMAT='%U %S' rc
  { time timeout "$bound" nice -n 5 turnutils_uclient -W "$(server_secret "$server")" -u bench -c \
    -e 127.0.0.1 -r "$peer_port" -p "$(server_port "$server")" \
    -m "$clients" -n "$msgs" -l 172 -z "$interval" 127.0.0.1 >"$log" 2>&1
    rc=$?; } 2>"$log.time"
  client_cpu=$(awk '{print $1 + $2}' "$log.time")
  after=$(cpu_ticks "$pid")
  drops=$(($(udp_rcvbuf_errors) - drops0))
  totals=$(grep 'start_mclient: tot_send_msgs=' "$log" | tail -n 1)
  sent=${totals#*tot_send_msgs=}
  sent=${sent%%,*}
  received=${totals##*tot_recv_msgs=}
  lost=$(sed -n 's/.*Total lost packets \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
  [ -n "$sent" ] && [ -n "$received" ] || { sent=0 received=0; }
  cpu_us=$(((after - before) * 1000000 / TCK))
  per_packet=$(python3 -c "print(f'{$cpu_us / max($sent + $received, 1):.2f}')")
  [ "$rc" = 0 ] || echo "    (uclient $name exited $rc: $(tail -n 2 "$log" | tr '\n' ' '))"
}

udp_rcvbuf_errors() {  # the kernel's UDP receive-buffer drops, all sockets
  awk '/^Udp:/ { if (seen) { for (i = 1; i <= NF; i++) if (h[i] == "RcvbufErrors") print $i } else { seen = 1; split($0, h) } }' /proc/net/snmp
}
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.2f}")' "$@"; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}' if $2 else 'n/a')"; }

# =============================================================================
# cpu: CPU per relayed packet, alternating rounds
# =============================================================================
if wants cpu; then
  echo "== cpu: $ROUNDS rounds each, uclient -c -m $CPU_CLIENTS -n $CPU_MSGS -l 172 -z $CPU_INTERVAL" \
    "($((CPU_CLIENTS * 1000 / CPU_INTERVAL)) messages/s, each relayed twice)"
  declare -A per lossp
  for round in $(seq "$ROUNDS"); do
    for server in coturn p2psipd; do
      m0=""
      [ "$server" = p2psipd ] && m0=$(p2p_relayed)
      uclient_run "$server" "cpu-$server-$round" "$CPU_CLIENTS" "$CPU_MSGS" "$CPU_INTERVAL"
      extra=""
      [ "$server" = p2psipd ] && extra=", relay_packets_total +$(($(p2p_relayed) - m0))"
      loss=$(python3 -c "print(f'{100 * ${lost:-0} / max($sent, 1):.3f}')")
      printf '  round %d %-8s sent %7d received %7d lost %s (%s %%)%s; server CPU %.2f s: %s us per relayed packet\n' \
        "$round" "$server" "$sent" "$received" "${lost:-?}" "$loss" "$extra" \
        "$(python3 -c "print($cpu_us / 1e6)")" "$per_packet"
      per[$server]="${per[$server]:-} $per_packet"
      lossp[$server]="${lossp[$server]:-} $loss"
    done
  done
  c=$(median ${per[coturn]})
  p=$(median ${per[p2psipd]})
  echo "  median CPU per relayed packet: coturn $c us, p2psipd $p us; ratio p2psipd/coturn $(ratio "$p" "$c") (bar <= 0.8);" \
    "median loss coturn $(median ${lossp[coturn]}) %, p2psipd $(median ${lossp[p2psipd]}) %"
fi

# =============================================================================
# many: concurrent allocations at G.711 rate
# =============================================================================
if wants many; then
  echo "== many: concurrent allocations at 50 packets/s each way (uclient -c -m N -n $MANY_MSGS -l 172 -z 20)"
  for count in $MANY_COUNTS; do
    for server in $MANY_SERVERS; do
      t0=$SECONDS
      uclient_run "$server" "many-$server-$count" "$count" "$MANY_MSGS" 20
      loss=$(python3 -c "print(f'{100 * ${lost:-0} / max($sent, 1):.3f}')")
      printf '  %5d allocations %-8s sent %7d received %7d lost %s (%s %%) in %d s; server CPU %.2f s: %s us per relayed packet; uclient CPU %s s; UDP RcvbufErrors +%s\n' \
        "$count" "$server" "$sent" "$received" "${lost:-?}" "$loss" $((SECONDS - t0)) \
        "$(python3 -c "print($cpu_us / 1e6)")" "$per_packet" "$client_cpu" "$drops"
    done
  done
fi

# =============================================================================
# setup: allocations per second, raw STUN
# =============================================================================
if wants setup; then
  echo "== setup: $SETUP_COUNT UDP allocations (401 + authenticated Allocate), $SETUP_WINDOW in flight, $ROUNDS rounds each"
  declare -A rate cpa
  for round in $(seq "$ROUNDS"); do
    for server in coturn p2psipd; do
      out=$(timeout 120 nice -n 5 python3 "$HERE/turn_alloc_rate.py" 127.0.0.1 "$(server_port "$server")" \
        "$(server_secret "$server")" "$(server_pid "$server")" "$SETUP_COUNT" "$SETUP_WINDOW" 60) ||
        out="failed: $out"
      echo "  round $round $server: $(tr '\n' ' ' <<<"$out")"
      r=$(sed -n 's/.*: \([0-9]*\)\/s;.*/\1/p' <<<"$out")
      u=$(sed -n 's/.*(\([0-9]*\) us per allocation).*/\1/p' <<<"$out")
      rate[$server]="${rate[$server]:-} ${r:-0}"
      cpa[$server]="${cpa[$server]:-} ${u:-0}"
    done
  done
  echo "  median allocations/s: coturn $(median ${rate[coturn]}), p2psipd $(median ${rate[p2psipd]});" \
    "CPU per allocation: coturn $(median ${cpa[coturn]}) us, p2psipd $(median ${cpa[p2psipd]}) us;" \
    "ratio (CPU) p2psipd/coturn $(ratio "$(median ${cpa[p2psipd]})" "$(median ${cpa[coturn]})")"
fi

kill -0 "$p2p_pid" 2>/dev/null || fail "p2psipd died"
kill -0 "$coturn_pid" 2>/dev/null || echo "coturn died"
echo "p2psipd: $(ctl 0 metrics | json_field 'r["metrics"]["relay_allocations"]["samples"][0]["value"]') allocations held at the end;" \
  "VmRSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$p2p_pid/status"); coturn VmRSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$coturn_pid/status")"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
