#!/bin/sh
# Runs `systemd-analyze verify` on the shipped units; skipped (exit 77) where
# systemd-analyze is missing. The daemon binary need not be installed: a copy
# of the units runs /bin/true instead, and man pages are not looked up.
set -eu
units_dir=$(cd "$1" && pwd)
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in p2psipd.service p2psipd.socket; do
  sed 's|^ExecStart=/usr/bin/p2psipd|ExecStart=/bin/true|' "$units_dir/$unit" >"$work/$unit"
done
out=$(systemd-analyze verify --man=no "$work/p2psipd.service" "$work/p2psipd.socket" 2>&1) || {
  echo "$out"; exit 1; }
# verify exits 0 on some warnings; any output at all is a finding.
if [ -n "$out" ]; then echo "$out"; exit 1; fi
# The sysusers entry creates its account in a scratch root.
mkdir -p "$work/root/etc"
if command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers --root="$work/root" "$units_dir/p2psip.sysusers" >/dev/null 2>&1
  grep -q '^p2psip:' "$work/root/etc/passwd" || { echo "sysusers made no p2psip user"; exit 1; }
fi
echo "units verified"
