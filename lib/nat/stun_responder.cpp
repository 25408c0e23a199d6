#include "nat/stun_responder.hpp"

#include <array>

#include "nat/stun_crypto.hpp"
#include "nat/stun_reply.hpp"

namespace p2psip::nat {
namespace {

// ICE's PRIORITY and USE-CANDIDATE (RFC 8445 §16.1) are comprehension-
// required; Binding understands them without acting on them.
constexpr std::uint16_t priority = 0x0024;
constexpr std::uint16_t use_candidate = 0x0025;
constexpr std::array<std::uint16_t, 6> binding_attributes = {
    attribute::username, attribute::message_integrity, attribute::realm, attribute::nonce,
    priority, use_candidate};
constexpr std::size_t max_username = 513;

}  // namespace

std::optional<std::vector<std::uint8_t>> stun_responder::respond(
    bytes_view bytes, const transport_address& source) const {
  auto message = parse_stun(bytes);
  if (!message) return std::nullopt;
  return respond(*message, source);
}

std::optional<std::vector<std::uint8_t>> stun_responder::respond(
    const stun_message& request, const transport_address& source) const {
  if (request.klass != stun_class::request) return std::nullopt;
  if (request.method != stun_method::binding) return error_reply(request, stun_code::bad_request);
  const auto unknown = unknown_required(request, binding_attributes);
  if (!unknown.empty()) return error_reply(request, stun_code::unknown_attribute, unknown);
  const auto* username = request.find(attribute::username);
  if (username && username->value.size() > max_username) {
    return error_reply(request, stun_code::bad_request);
  }
  std::optional<std::string> password;
  if (options_.credentials) {
    if (!username || !request.integrity_offset) return error_reply(request, stun_code::bad_request);
    password = options_.credentials(read_string(*username));
    if (!password || !integrity_valid(request, text_bytes(*password))) {
      return error_reply(request, stun_code::unauthorized);
    }
  }
  auto w = start_reply(request, stun_class::success);
  add_xor_address(w, attribute::xor_mapped_address, source, request.id);
  if (!options_.software.empty()) add_string(w, attribute::software, options_.software);
  if (password) w.add_message_integrity(text_bytes(*password));
  w.add_fingerprint();
  return std::move(w).take();
}

}  // namespace p2psip::nat
