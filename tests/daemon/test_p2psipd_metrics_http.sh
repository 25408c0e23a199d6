#!/bin/bash
# The Prometheus scrape endpoint (metrics.http-listen) of a real p2psipd,
# read with curl: GET /metrics is the text exposition format with the
# daemon's gauges and counters (what `p2psipctl metrics --prometheus`
# prints), another path is 404, POST 405; a daemon without the key listens
# on no HTTP port; a bad address is refused by --check-config, naming the
# key. Skipped (77) without curl.
#
# usage: test_p2psipd_metrics_http.sh P2PSIPD P2PSIPCTL
set -u
P2PSIPD=$1
P2PSIPCTL=$2
. "$(dirname "$0")/p2psipd_test_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
make_work metrics

cfg_extra="metrics:
  http-listen: 127.0.0.1:0"
start_node 0
eventually 20 joined 0 || fail "the daemon did not join"
metrics_url() { sed -n 's/^p2psipd: metrics on \(http:[^ ]*\)$/\1/p' "$work/n0/out" | tail -n 1; }
eventually 10 test -n "$(metrics_url)" || fail "no 'metrics on' line: $(cat "$work/n0/out")"
url=$(metrics_url)
case $url in http://127.0.0.1:*/metrics) ;; *) fail "not on loopback: $url" ;; esac

body=$(curl -sS --max-time 5 -D "$work/headers" "$url") || fail "curl $url failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$work/headers" || fail "content type: $(cat "$work/headers")"
grep -q '^# TYPE storage_values gauge$' <<<"$body" || fail "no storage_values gauge: $body"
grep -q '^overlay_links ' <<<"$body" || fail "no overlay_links sample"
ctl_text=$(ctl 0 metrics --prometheus)
[ "$(grep -c '^# TYPE' <<<"$body")" = "$(grep -c '^# TYPE' <<<"$ctl_text")" ] ||
  fail "HTTP and p2psipctl metrics --prometheus list different families"
echo "GET /metrics: $(grep -c '^# TYPE' <<<"$body") metric families, as p2psipctl shows"

code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "${url%/metrics}/other")
[ "$code" = 404 ] || fail "GET /other: $code, expected 404"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$url")
[ "$code" = 405 ] || fail "POST /metrics: $code, expected 405"
joined 0 || fail "the daemon stopped answering after the bad requests"
echo "other path 404, POST 405, daemon fine"

# Off by default: no "metrics on" line.
cfg_extra=""
start_node 1
eventually 20 joined 1 || fail "the second daemon did not join"
grep -q "metrics on" "$work/n1/out" && fail "metrics listener on without metrics.http-listen"
echo "no listener without metrics.http-listen"

cat >"$work/bad.yaml" <<YAML
overlay:
  name: bad.test
  self-signed-permitted: true
metrics:
  http-listen: localhost:99999
YAML
out=$("$P2PSIPD" --check-config -c "$work/bad.yaml" 2>&1) && fail "a bad http-listen was accepted"
grep -q "http-listen" <<<"$out" || fail "the refusal does not name the key: $out"
echo "bad http-listen refused: $out"
echo PASS
