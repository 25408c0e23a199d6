// Why media input (an SDP body, an a=crypto value, a packet) was refused, and
// the result type this layer's parsers return: bad input is a value, never an
// exception, so the SIP thread can answer it (a 488) instead of unwinding.
#pragma once

#include <cstdint>
#include <string>

#include "wire/basic_result.hpp"

namespace p2psip::media {

enum class media_errc : std::uint8_t {
  too_large = 1,           // an SDP body over max_sdp_size
  unparsable,              // sofia's SDP parser refused the body
  no_media,                // no m-line at all
  too_many_media,          // more m-lines than max_media_lines
  bad_rewrite,             // the caller's rewrite data does not fit (count, address, ICE values)
  print_failed,            // sofia could not print the rewrite, or would not read it back
  bad_crypto,              // an a=crypto value that is not RFC 4568 syntax
  unsupported_suite,       // a crypto suite other than AES_CM_128_HMAC_SHA1_80/_32
  bad_key,                 // inline key not base64 or not 30 bytes
  unsupported_key_params,  // MKI, several keys, or a mandatory session parameter
  srtp_failed,             // libsrtp2 refused a key or a packet
};

const char* to_string(media_errc code) noexcept;

struct media_error {
  media_errc code{};
  std::string detail;  // what was wrong, for logs and the SIP reason phrase

  // e.g. "unsupported_suite: F8_128_HMAC_SHA1_80"
  std::string describe() const;
  friend bool operator==(const media_error& a, const media_error& b) { return a.code == b.code; }
};

template <class T>
using result = wire::basic_result<T, media_error>;

}  // namespace p2psip::media
