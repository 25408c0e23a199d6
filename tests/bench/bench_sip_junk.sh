#!/bin/bash
# Memory of a real p2psipd under a flood of malformed INVITEs
# (sip_junk_flood.py): one daemon, alone in its overlay, with its SIP front
# on an ephemeral loopback port. VmRSS is sampled every 100 ms from idle,
# through the flood, and for AFTER_S seconds after it (nta keeps an answered
# INVITE transaction up to 32 s, Timer H); printed: idle, peak and last
# VmRSS, and what the flood got back.
#
# usage: tests/bench/bench_sip_junk.sh BUILD_DIR [COUNT=4527] [RATE=1000]
#   BUILD_DIR holds daemon/p2psipd and tools/p2psipctl/p2psipctl.
#   Knobs (environment): AFTER_S=40, KEEP=1 keeps the work dir.
# The daemon and the sampler are killed on exit; every wait is bounded.
set -u
BUILD=${1:?usage: bench_sip_junk.sh BUILD_DIR [COUNT] [RATE]}
COUNT=${2:-4527}
RATE=${3:-1000}
AFTER_S=${AFTER_S:-40}
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/../daemon/p2psipd_test_lib.sh"
use_build "$BUILD"
. "$HERE/../sip/p2psipd_sip_lib.sh"
make_sip_work bench-sip-junk
cfg_extra=$'log:\n  level: warning'
start_sip_node 0
eventually 10 joined 0 || fail "p2psipd did not start an overlay"
eventually 10 has_sip_port 0 || fail "p2psipd printed no SIP port"
pid=${pids[0]}
port=$(sip_port 0)

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
while [ ! -e "$work/stop" ] && kill -0 "$pid" 2>/dev/null; do
  rss_kib >>"$work/rss"
  sleep 0.1
done &
sampler=$!
helper_pids+=("$sampler")

sleep 2
idle=$(rss_kib)
echo "# p2psipd $pid, SIP on 127.0.0.1:$port; $COUNT INVITEs at $RATE/s"
timeout $((COUNT / RATE + 60)) python3 "$HERE/sip_junk_flood.py" 127.0.0.1 "$port" "$COUNT" \
  "$RATE" >"$work/flood.json" || echo "# the flood did not finish" >&2
sleep "$AFTER_S"
last=$(rss_kib)
kill -0 "$pid" 2>/dev/null || fail "p2psipd died during the flood"
touch "$work/stop"
wait "$sampler"
peak=$(sort -n "$work/rss" | tail -n 1)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "flood: $(cat "$work/flood.json")"
echo "VmRSS idle $(mib "$idle"), peak $(mib "$peak"), ${AFTER_S} s after the flood $(mib "$last")"
