#include "storage/stored_data_verifier.hpp"

namespace p2psip::storage {

const char* to_string(verify_errc code) noexcept {
  switch (code) {
    case verify_errc::unknown_signer: return "unknown signer";
    case verify_errc::untrusted_signer: return "untrusted signer";
    case verify_errc::bad_signature: return "bad signature";
    case verify_errc::unsupported: return "unsupported signature";
  }
  return "verification failed";
}

std::string verify_error::describe() const {
  std::string text = to_string(code);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

}  // namespace p2psip::storage
