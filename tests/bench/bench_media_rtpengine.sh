#!/bin/bash
# Anchored calls against rtpengine (Debian rtpengine-daemon, userspace only:
# --table=-1, no kernel module), the same run, the same streams: for each
# call count in CALLS, ROUNDS rounds alternating between
#   rtpengine  bench_media --rtpengine: CALLS calls made with ng offer/answer
#              (plain RTP both sides), phone -> rtpengine -> phone both ways;
#              rtpengine's process CPU (utime+stime, all threads, /proc).
#   p2psip     bench_media: the same calls through two media_anchors (phone ->
#              A -> ICE path, SRTP -> B -> phone), CPU of the anchors'
#              threads per packet per daemon.
# Each: 50 packets/s of 160-byte PCMU each way per call for SECONDS.
# Prints every run, then per call count the medians and the ratio of CPU per
# packet, p2psip (per daemon) / rtpengine.
# rtpengine is killed on exit; every wait is bounded.
#
# usage: tests/bench/bench_media_rtpengine.sh BUILD_DIR
#   BUILD_DIR: a release build with tests/bench/bench_media.
#   Knobs (environment): CALLS="100 300 1000" SECONDS_EACH=10 ROUNDS=3
#   RTPENGINE_THREADS=2 (its --num-threads).
# Exits 77 when rtpengine is missing.
set -u
BUILD=${1:?usage: bench_media_rtpengine.sh BUILD_DIR}
CALLS=${CALLS:-100 300 1000}
SECONDS_EACH=${SECONDS_EACH:-10}
ROUNDS=${ROUNDS:-3}
RTPENGINE_THREADS=${RTPENGINE_THREADS:-2}
BENCH=$BUILD/tests/bench/bench_media
[ -x "$BENCH" ] || { echo "missing $BENCH (build it first)" >&2; exit 2; }
command -v rtpengine >/dev/null || { echo "SKIP: rtpengine is missing (Debian rtpengine-daemon)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-media-rtpengine-XXXXXX")
rtpengine_pid=""
cleanup() {
  [ -n "$rtpengine_pid" ] && kill "$rtpengine_pid" 2>/dev/null && wait "$rtpengine_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ng_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Media ports above the kernel's ephemeral range (32768-60999) and away from
# the ports other tests on the box use, 4 per call.
rtpengine --config-file=none --table=-1 --foreground --log-stderr --log-level=4 \
  --interface=127.0.0.1 --listen-ng="127.0.0.1:$ng_port" --port-min=61000 --port-max=65535 \
  --num-threads="$RTPENGINE_THREADS" --timeout=600 --silent-timeout=600 --delete-delay=0 \
  --pidfile="$work/rtpengine.pid" 2>"$work/rtpengine.log" &
rtpengine_pid=$!
ng_ping() {  # ng_ping: true once rtpengine answers an ng ping with pong
  python3 - "$ng_port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(b"p1 d7:command4:pinge", ("127.0.0.1", int(sys.argv[1])))
try:
    sys.exit(0 if b"pong" in s.recv(1000) else 1)
except OSError:
    sys.exit(1)
PY
}
for _ in $(seq 25); do ng_ping && break; sleep 0.2; done
ng_ping || { cat "$work/rtpengine.log"; echo "rtpengine did not start" >&2; exit 1; }
echo "rtpengine $(rtpengine --version 2>&1 | head -1), pid $rtpengine_pid, ng on 127.0.0.1:$ng_port, $RTPENGINE_THREADS threads"

median() { sort -g | awk '{v[NR]=$1} END {if (NR) print (NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

for calls in $CALLS; do
  : >"$work/rtpe-$calls" ; : >"$work/ours-$calls"
  for round in $(seq "$ROUNDS"); do
    echo "== $calls calls, round $round, $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
    out=$(timeout $((SECONDS_EACH * 6 + 120)) "$BENCH" --rtpengine "$rtpengine_pid" "$ng_port" "$calls" "$SECONDS_EACH" 2>&1)
    echo "$out" | grep -v "^20.. " | sed 's/^/  /'
    echo "$out" | sed -n 's/.*: \([0-9.]*\) us per packet.*/\1/p' >>"$work/rtpe-$calls"
    echo "$out" | sed -n 's/.*loss \([0-9.]*\) %.*/\1/p' >>"$work/rtpe-loss-$calls"
    out=$(timeout $((SECONDS_EACH * 6 + 180)) "$BENCH" "$calls" "$SECONDS_EACH" 2>/dev/null)
    echo "$out" | sed 's/^/  /'
    echo "$out" | sed -n 's/.*: \([0-9.]*\) us per packet per daemon.*/\1/p' >>"$work/ours-$calls"
    echo "$out" | sed -n 's/.*loss \([0-9.]*\) %.*/\1/p' >>"$work/ours-loss-$calls"
  done
done

echo
echo "| calls | rtpengine: CPU µs per packet, median (loss %, median) | p2psip: CPU µs per packet per daemon, median (loss %, median) | ratio |"
echo "|---|---|---|---|"
for calls in $CALLS; do
  r=$(median <"$work/rtpe-$calls"); o=$(median <"$work/ours-$calls")
  rl=$(median <"$work/rtpe-loss-$calls"); ol=$(median <"$work/ours-loss-$calls")
  ratio=$(awk -v o="$o" -v r="$r" 'BEGIN {if (r > 0) printf "%.2f", o / r; else print "-"}')
  echo "| $calls | $r ($rl %) | $o ($ol %) | **$ratio** |"
done
