// The STUN server's Binding method (RFC 5389 §7.3, §10), independent of any
// socket: bytes and their source in, the answer's bytes out, or nothing when
// the input is to be dropped. The TURN server and, later, the ICE sockets
// answer Binding requests through it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nat/stun_attributes.hpp"
#include "nat/stun_message.hpp"

namespace p2psip::nat {

// The short-term password of a USERNAME (RFC 5389 §10.1); nothing when the
// name is unknown. The password is the key as given: SASLprep is not applied.
using short_term_lookup = std::function<std::optional<std::string>(std::string_view username)>;

struct binding_options {
  std::string software;  // SOFTWARE in answers; empty leaves it out
  // When set, requests must carry USERNAME and MESSAGE-INTEGRITY (400 if
  // not, 401 for an unknown name or a wrong HMAC), and answers are signed.
  short_term_lookup credentials;
};

// RFC 5389 §12.2: a Binding request without the magic cookie comes from an
// RFC 3489 client (libnice asks its STUN server that way). The answer copies
// the request's 16-byte transaction id and carries MAPPED-ADDRESS; nothing
// for anything else, a malformed message or an IPv6 source (RFC 3489 has no
// IPv6).
std::optional<std::vector<std::uint8_t>> respond_classic_binding(bytes_view bytes,
                                                                 const transport_address& source);

class stun_responder {
 public:
  explicit stun_responder(binding_options options = {}) : options_(std::move(options)) {}

  // Malformed input, indications and responses get nothing; Binding requests
  // get XOR-MAPPED-ADDRESS of `source`, and other methods 400.
  std::optional<std::vector<std::uint8_t>> respond(bytes_view bytes,
                                                   const transport_address& source) const;
  // The same for a request already parsed.
  std::optional<std::vector<std::uint8_t>> respond(const stun_message& request,
                                                   const transport_address& source) const;

 private:
  binding_options options_;
};

}  // namespace p2psip::nat
