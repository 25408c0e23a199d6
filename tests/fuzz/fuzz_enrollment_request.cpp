// libFuzzer target for what the enrollment server parses from the network
// (§11.3): the multipart/form-data body, then the CSR in its `csr` part and
// the phone's digest answer in an account's `authorization` part, and the
// users file format it loads.
#include <string>
#include <string_view>

#include "identity/account_digest.hpp"
#include "identity/certificate_request.hpp"
#include "identity/multipart_form.hpp"
#include "identity/password_file.hpp"

using namespace p2psip::identity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parts = parse_multipart("multipart/form-data; boundary=fuzzboundary", input);
  if (parts) {
    if (const auto* csr = find_part(*parts, "csr")) (void)certificate_request::parse(csr->data);
    if (const auto* answer = find_part(*parts, "authorization")) {
      (void)parse_digest_authorization(answer->data);
    }
  }
  if (const auto answer = parse_digest_authorization(input)) {
    (void)digest_response_matches(std::string(32, '0'), "REGISTER", *answer);
  }
  (void)certificate_request::parse(input);
  (void)password_file::parse(input);
  return 0;
}
