# shellcheck shell=bash
# Anchored calls as the daemons show them (sourced after
# p2psipd_test_lib.sh): p2psipctl calls' media. Sourcing it exits 77 where
# tshark is missing (the tests capture what crosses each hop).

command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"

media_of() {  # media_of NODE: the first call's first stream, as JSON
  ctl "$1" calls | json_field 'json.dumps([d["media"] for d in r["dialogs"]][0][0])' 2>/dev/null
}

flowing() {  # flowing NODE: path ready, SRTP on, 100 packets each way
  media_of "$1" | json_field \
    'r["path"] == "ready" and r["srtp"] and r["from_phone"]["packets"] > 100 and r["from_far"]["packets"] > 100' |
    grep -qx True
}

# media_capture_checks JSON A B [WHERE]: the verdicts on one call's
# media_capture.py result (A the phone of side a, B of side b): each phone
# sent RTP, >= 90 % of what each sent reached the other, and none of it
# crossed WHERE ("between the boxes" unless given) in clear.
media_capture_checks() {
  local json=$1 a=$2 b=$3 where=${4:-between the boxes}
  check "$a sent RTP" [ "$(json_field 'r["phone_a_sent"] > 100' <"$json")" = True ]
  check "$b sent RTP to $a" [ "$(json_field 'r["phone_b_sent"] > 100' <"$json")" = True ]
  check ">= 90 % of $a's RTP reached $b" \
    [ "$(json_field 'r["delivered_to_b"] >= 0.9 * r["phone_a_sent"]' <"$json")" = True ]
  check ">= 90 % of $b's RTP reached $a" \
    [ "$(json_field 'r["delivered_to_a"] >= 0.9 * r["phone_b_sent"]' <"$json")" = True ]
  check "no phone payload in clear $where" [ "$(json_field 'r["path_plaintext"]' <"$json")" = 0 ]
}

# start_capture NAME IFACE [PREFIX...]: tshark on IFACE (in the namespace
# the command PREFIX runs in; none: here), UDP only, into $work/NAME.pcap,
# once it captures; stop_captures ends every one and waits for its file.
declare -a captures
start_capture() {
  local name=$1 iface=$2
  shift 2
  "$@" tshark -q -i "$iface" -f udp -F pcap -w "$work/$name.pcap" >"$work/tshark-$name.out" 2>&1 &
  helper_pids+=("$!")
  captures+=("$!")
  eventually 5 grep -q "Capturing on" "$work/tshark-$name.out" || fail "tshark did not start on $name"
}
stop_captures() {
  local pid
  for pid in "${captures[@]}"; do kill -INT "$pid" 2>/dev/null; done
  for pid in "${captures[@]}"; do wait "$pid" 2>/dev/null; done
  captures=()
}
