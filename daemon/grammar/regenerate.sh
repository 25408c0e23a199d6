#!/bin/sh
# Converts the RFC 6940 §11.1.1 grammar (compact syntax, as the RFC prints
# it) into the XML syntax that libxml2's xmlRelaxNG reads. Needs Debian's
# trang; the result is committed, so building does not.
set -eu
cd "$(dirname "$0")"
trang -I rnc -O rng rfc6940_config.rnc rfc6940_config.rng
