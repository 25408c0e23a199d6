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
