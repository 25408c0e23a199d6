#!/bin/bash
# Who may use a real p2psipd's control socket (p2psipd(8) "CONTROL SOCKET"):
# the socket is mode 0660 in control.group; a caller that is neither root,
# the daemon's user, nor in that group is refused (the kernel refuses the
# connection, and with the mode opened up the daemon answers
# permission_denied); a group member may call read-only methods but not
# state-changing ones (relay.credentials too: it hands out secrets; and
# owning an AOR with sip.register, or giving it up; click-to-call's
# sip.call and sip.hangup), and
# nothing stored changes when it tries; a member
# of control.admin-group may. A missing admin group stops the daemon with
# a clear error. Needs root (temporary groups; callers run under setpriv as
# uid 65534); skipped (77) otherwise.
#
# usage: test_p2psipd_control_access.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to make temporary groups and switch users"
command -v setpriv >/dev/null && command -v groupadd >/dev/null || skip "no setpriv or groupadd"
make_work access
read_group="p2pr$$"
admin_group="p2pa$$"
groupadd "$read_group" 2>/dev/null || skip "cannot create group $read_group"
extra_cleanup='groupdel "$read_group" 2>/dev/null; groupdel "$admin_group" 2>/dev/null'
groupadd "$admin_group" || fail "cannot create group $admin_group"
read_gid=$(getent group "$read_group" | cut -d: -f3)
admin_gid=$(getent group "$admin_group" | cut -d: -f3)
nobody=65534
# The binaries must be reachable by the unprivileged callers.
setpriv --reuid=$nobody --regid=$nobody --clear-groups test -x "$P2PSIPCTL" ||
  skip "$P2PSIPCTL is not executable by uid $nobody"

as_stranger() { setpriv --reuid=$nobody --regid=$nobody --clear-groups "$P2PSIPCTL" "$@"; }
as_reader() { setpriv --reuid=$nobody --regid=$nobody --groups="$read_gid" "$P2PSIPCTL" "$@"; }
# Admins reach the socket through its group like everyone else (its mode is 0660).
as_admin() {
  setpriv --reuid=$nobody --regid=$nobody --groups="$read_gid,$admin_gid" "$P2PSIPCTL" "$@"
}

cfg_extra="  group: $read_group
  admin-group: $admin_group"
write_config 0
# write_config ends with "control: socket: ..."; the two lines above belong there.
launch_node 0
eventually 20 joined 0 || fail "the daemon did not start"
socket=${sockets[0]}

[ "$(stat -c %a "$socket")" = 660 ] || fail "socket mode is $(stat -c %a "$socket"), not 660"
[ "$(stat -c %G "$socket")" = "$read_group" ] || fail "socket group is $(stat -c %G "$socket")"
echo "socket is 0660, group $read_group"

owner=$(ctl 0 status | json_field 'r["user"]')
ctl 0 put "key=$owner/guarded" value=original >/dev/null || fail "root could not put"

# A stranger: the kernel refuses the connection, and p2psipctl says so.
status=0
out=$(as_stranger --socket "$socket" status 2>&1) || status=$?
[ "$status" -eq 2 ] || fail "stranger: exit $status, expected 2 (unreachable): $out"
grep -qi "permission denied" <<<"$out" || fail "stranger: no clear refusal: $out"
echo "stranger refused by the socket's mode: $out"

# A group member: read-only methods yes, state-changing no.
as_reader --socket "$socket" status >/dev/null || fail "group member could not call node.status"
as_reader --socket "$socket" peers >/dev/null || fail "group member could not call overlay.peers"
as_reader --socket "$socket" get "key=$owner/guarded" >/dev/null || fail "group member could not get"
for call in "put key=$owner/guarded value=overwritten" "log.set_level level=debug" \
  "config.reload" "relay.credentials" "sip.register aor=sip:app@office.test" \
  "sip.unregister aor=sip:app@office.test" "sip.call from=sip:a@office.test to=sip:b@office.test" \
  "sip.hangup call=c2c-1" \
  "sip.message from=sip:app@office.test to=sip:bob@office.test body=x" "node.leave"; do
  status=0
  # shellcheck disable=SC2086
  out=$(as_reader --socket "$socket" $call 2>&1) || status=$?
  [ "$status" -eq 1 ] || fail "group member, $call: exit $status, expected 1: $out"
  grep -q "permission_denied" <<<"$out" || fail "group member, $call: not permission_denied: $out"
done
joined 0 || fail "the daemon is not joined any more after refused calls"
got=$(ctl 0 get "key=$owner/guarded" | json_field 'r["values"][0]["value"]')
[ "$got" = original ] || fail "a refused put changed the value to $got"
echo "group member: read-only allowed, state-changing refused, value intact"

# The admin group may change state.
as_admin --socket "$socket" log.set_level level=info >/dev/null ||
  fail "admin group member could not call log.set_level"
echo "admin group member may change state"

# With the mode opened, the daemon itself refuses the stranger by JSON-RPC error.
chmod 666 "$socket"
status=0
out=$(as_stranger --socket "$socket" status 2>&1) || status=$?
[ "$status" -eq 1 ] || fail "stranger on an open socket: exit $status, expected 1: $out"
grep -q "permission_denied" <<<"$out" || fail "stranger on an open socket: $out"
grep -q "uid $nobody is neither root" <<<"$out" || fail "the refusal does not say why: $out"
echo "stranger refused by the daemon: $out"
stop_node 0 TERM
[ "$stopped_status" -eq 0 ] || fail "exit $stopped_status after SIGTERM"

# A misspelt admin group is a startup error, not a silent lock-out.
cfg_extra="  admin-group: no-such-group-$$"
write_config 1
status=0
"$P2PSIPD" -c "$work/n1/p2psipd.yaml" --state-dir "$work/n1/state" >"$work/n1/out" 2>"$work/n1/log" ||
  status=$?
[ "$status" -eq 1 ] || fail "missing admin group: exit $status, expected 1"
grep -q "control.admin-group: no such group 'no-such-group-$$'" "$work/n1/log" ||
  fail "missing admin group: unclear error: $(tail -n 3 "$work/n1/log")"
echo "missing admin group refused at start"
echo "PASS"
