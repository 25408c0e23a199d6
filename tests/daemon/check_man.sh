#!/bin/sh
# Formats a man page with `man --warnings` and fails on anything it prints on
# stderr (groff warnings, bad macros). Skipped (77) where man-db is missing.
set -u
command -v man >/dev/null 2>&1 || { echo "man (man-db) is not installed: skipped"; exit 77; }
warnings=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null)
if [ -n "$warnings" ]; then
  echo "$warnings"
  exit 1
fi
