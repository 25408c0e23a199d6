#!/bin/bash
# SIGHUP and config.reload on real daemons (p2psipd(8) "RELOADING"): a lower
# Kind max-size in the file applies after SIGHUP (a larger storage.put is
# refused with too_large), what was stored stays readable, and no link
# drops. A file that does not parse changes nothing and says where it is
# wrong; a setting that needs a restart is reported as such.
#
# usage: test_p2psipd_reload.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
make_work reload

app_data_kind=4026531841  # 0xf0000001, what storage.put stores
kind_limits() {  # kind_limits MAX_SIZE [DATA_MODEL]: the overlay.kinds lines
  cfg_overlay_extra="  kinds:
    - id: $app_data_kind
      data-model: ${2:-DICTIONARY}
      access-control: USER-MATCH
      max-count: 16
      max-size: $1"
}

kind_limits 4096
start_first_node
start_node 1 "$port0"
eventually 30 all_joined 0 1 || fail "the daemons did not join"
owner=$(ctl 0 status | json_field 'r["user"]')
big=$(printf 'x%.0s' {1..200})
ctl 0 put "key=$owner/big" "value=$big" >/dev/null || fail "a 200-byte put failed under max-size 4096"
links_before=$(ctl 0 peers | json_field 'sorted(r["links"])')

reloaded_more() { [ "$(grep -c "reload" "$work/n$1/log")" -gt "$2" ]; }

# Both nodes hold replicas, so both get the new limit.
reload_both() {  # reload_both: rewrite both files from the knobs, SIGHUP, wait for the log line
  local i before cfg_bootstrap
  for i in 0 1; do
    before=$(grep -c "reload" "$work/n$i/log")
    cfg_bootstrap=""
    [ "$i" -eq 1 ] && cfg_bootstrap="127.0.0.1:$port0"  # as node 1 was started
    write_config "$i"
    kill -HUP "${pids[$i]}"
    eventually 10 reloaded_more "$i" "$before" || fail "node $i logged no reload"
  done
}

kind_limits 64
reload_both
grep -q "configuration reloaded" "$work/n0/log" || fail "node 0 did not reload"
status=0
out=$(ctl 0 put "key=$owner/big2" "value=$big" 2>&1) || status=$?
[ "$status" -eq 1 ] || fail "a 200-byte put under max-size 64: exit $status: $out"
grep -q "too_large" <<<"$out" || fail "the refusal is not too_large: $out"
ctl 0 put "key=$owner/small" value=fits >/dev/null || fail "a small put failed after the reload"
got=$(ctl 0 get "key=$owner/big" | json_field 'r["values"][0]["value"]')
[ "$got" = "$big" ] || fail "the value stored before the reload was lost"
[ "$(ctl 0 peers | json_field 'sorted(r["links"])')" = "$links_before" ] || fail "links changed"
! grep -q "link down" "$work/n0/log" "$work/n1/log" || fail "a link dropped during the reload"
echo "SIGHUP: max-size 64 applies (too_large), stored value kept, links up"

# Nothing changed since: config.reload says so.
changed=$(ctl 0 reload | json_field 'r["changed"]')
[ "$changed" = "[]" ] || fail "a second reload changed $changed"

# A file that does not parse: refused whole, with file:line, old limit kept.
kind_limits 0
write_config 0
answer=$(ctl 0 reload) || fail "config.reload failed outright"
[ "$(json_field 'r["reloaded"]' <<<"$answer")" = False ] || fail "a bad file was reloaded: $answer"
json_field 'r["error"]' <<<"$answer" | grep -q "p2psipd.yaml:[0-9]*:[0-9]*: .*max-size" ||
  fail "the error does not say where: $answer"
ctl 0 put "key=$owner/small2" value=fits >/dev/null || fail "small put failed after a refused reload"
status=0
ctl 0 put "key=$owner/big3" "value=$big" >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "the refused reload dropped the max-size 64 limit"
got=$(ctl 0 get "key=$owner/big" | json_field 'r["values"][0]["value"]')
[ "$got" = "$big" ] || fail "the stored value was lost after a refused reload"
echo "bad file: refused with $(json_field 'r["error"]' <<<"$answer")"

# A data-model change and a new listen port need a restart: reported, not applied.
kind_limits 64 ARRAY
cfg_listen_port=$(free_port)
write_config 0
answer=$(ctl 0 reload) || fail "config.reload failed"
json_field 'r["restart_needed"]' <<<"$answer" | grep -q "data-model" ||
  fail "a data-model change was not reported as needing a restart: $answer"
json_field 'r["restart_needed"]' <<<"$answer" | grep -q "node" ||
  fail "a listen-port change was not reported as needing a restart: $answer"
ctl 0 put "key=$owner/small3" value=still-dictionary >/dev/null ||
  fail "the running Kind changed its data model"
joined 0 || fail "node 0 left the overlay"
echo "restart-needed settings reported: $(json_field 'r["restart_needed"]' <<<"$answer")"
echo "PASS"
