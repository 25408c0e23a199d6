#!/usr/bin/env bash
# The layering check passes on this tree, and fails on copies of it with a
# planted upward include (wire -> overlay) and a library including daemon/.
set -uo pipefail
check=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

"$check" "$root" || fail "the tree itself breaks the layering"

plant() {  # $1: file under lib/ to plant in, $2: the include line
  rm -rf "$work/tree" && mkdir -p "$work/tree"
  cp -r "$root/lib" "$work/tree/lib"
  printf '%s\n' "$2" >>"$work/tree/lib/$1"
  if out=$("$check" "$work/tree"); then
    fail "planted '$2' in lib/$1 was not caught"
  fi
  grep -q "lib/$1:" <<<"$out" || fail "the report does not name lib/$1: $out"
  echo "caught: $(head -1 <<<"$out")"
}
plant wire/codec.cpp '#include "overlay/overlay_node.hpp"'
plant storage/data_store.cpp '#include "daemon/daemon_config.hpp"'
plant sip/routing.cpp '#include "usage/sip_directory.hpp"'
echo "layering check OK"
