// libsrtp2's AES-CM-128 cipher and HMAC-SHA1 authenticator on OpenSSL's EVP,
// put in place of the library's own through its crypto-kernel API
// (srtp_replace_cipher_type / srtp_replace_auth_type). libsrtp2 still does
// all of SRTP (key derivation, packet formats, replay); only the two
// primitives change.
//
// Why: Debian's libsrtp2 is built on NSS, which it initialises with
// NSS_INIT_OPTIMIZESPACE: softoken then hashes its PKCS#11 sessions and key
// objects into 32 buckets, and every packet makes a new AES context and
// looks its session and key up by walking those lists. With 1,000 calls'
// sessions alive that walk is two thirds of the CPU (perf,
// tests/bench/README.md); OpenSSL's per-session contexts cost the same
// whatever the number of sessions, and a quarter of NSS's with one.
//
// libsrtp2 checks each replacement against its known-answer tests and ours
// (RFC 3711 B.2, RFC 2202) before taking it, and refuses it otherwise.
#pragma once

#include <srtp2/srtp.h>

namespace p2psip::media {

// Once, after srtp_init and before any srtp_create. Not thread-safe (it
// edits libsrtp's global kernel); srtp_stream calls it under its once flag.
srtp_err_status_t use_openssl_srtp_crypto();

}  // namespace p2psip::media
