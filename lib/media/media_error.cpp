#include "media/media_error.hpp"

namespace p2psip::media {

const char* to_string(media_errc code) noexcept {
  switch (code) {
    case media_errc::too_large: return "too_large";
    case media_errc::unparsable: return "unparsable";
    case media_errc::no_media: return "no_media";
    case media_errc::too_many_media: return "too_many_media";
    case media_errc::bad_rewrite: return "bad_rewrite";
    case media_errc::print_failed: return "print_failed";
    case media_errc::bad_crypto: return "bad_crypto";
    case media_errc::unsupported_suite: return "unsupported_suite";
    case media_errc::bad_key: return "bad_key";
    case media_errc::unsupported_key_params: return "unsupported_key_params";
    case media_errc::srtp_failed: return "srtp_failed";
  }
  return "unknown";
}

std::string media_error::describe() const {
  std::string out = to_string(code);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

}  // namespace p2psip::media
