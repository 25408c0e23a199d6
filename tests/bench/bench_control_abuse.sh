#!/bin/bash
# A real p2psipd's control socket under abuse (control_abuse.py): 100
# clients holding unfinished 1 MiB lines, then 1,100 idle connections. The
# daemon starts with a soft descriptor limit of 1024 (its hard limit as this
# shell has it), as a daemon started by hand usually does. Printed: the
# daemon's descriptor limit as it runs, then per crowd its VmRSS, open
# descriptors, whether `p2psipctl status` was answered and how fast, and
# the errors the crowd received.
#
# usage: tests/bench/bench_control_abuse.sh BUILD_DIR
#   BUILD_DIR holds daemon/p2psipd and tools/p2psipctl/p2psipctl; this shell
#   needs more than 1,200 descriptors (ulimit -n). KEEP=1 keeps the work dir.
# The daemon is stopped on exit; every wait is bounded.
set -u
BUILD=${1:?usage: bench_control_abuse.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(ulimit -n)" -gt 1200 ] || { echo "needs ulimit -n above 1200" >&2; exit 2; }

. "$HERE/../daemon/p2psipd_test_lib.sh"
use_build "$BUILD"
make_work bench-control-abuse
if [ "${KEEP:-0}" = 1 ]; then trap 'work_kept=$work; work=; cleanup; echo "kept $work_kept"' EXIT; fi
cfg_extra=$'log:\n  level: warning'
node_prefix[0]="prlimit --nofile=1024: --"
start_first_node
pid=${pids[0]}
sleep 1
echo "# p2psipd $pid: $(grep 'Max open files' "/proc/$pid/limits" | tr -s ' '), VmRSS $(
  sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$pid/status")"
timeout 120 python3 "$HERE/control_abuse.py" "$P2PSIPCTL" "${sockets[0]}" "$pid" ||
  echo "# control_abuse.py failed" >&2
kill -0 "$pid" 2>/dev/null || fail "p2psipd died"
