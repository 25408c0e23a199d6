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

std::optional<std::vector<std::uint8_t>> respond_classic_binding(
    bytes_view bytes, const transport_address& source) {
  constexpr std::uint16_t classic_binding_request = 0x0001;
  constexpr std::uint16_t classic_binding_response = 0x0101;
  if (bytes.size() < stun_header_size || !source.address().is_v4()) return std::nullopt;
  const std::size_t length = load_u16(&bytes[2]);
  if (load_u16(&bytes[0]) != classic_binding_request || load_u32(&bytes[4]) == magic_cookie ||
      length % 4 != 0 || length != bytes.size() - stun_header_size) {
    return std::nullopt;
  }
  // Its attributes (CHANGE-REQUEST, say) are not acted on, but must fit.
  for (std::size_t at = stun_header_size; at < bytes.size();) {
    if (at + 4 > bytes.size()) return std::nullopt;
    const std::size_t size = load_u16(&bytes[at + 2]);
    if (size % 4 != 0 || at + 4 + size > bytes.size()) return std::nullopt;
    at += 4 + size;
  }
  std::vector<std::uint8_t> answer(bytes.begin(), bytes.begin() + stun_header_size);
  store_u16(&answer[0], classic_binding_response);
  store_u16(&answer[2], 12);  // one MAPPED-ADDRESS, IPv4
  append_u16(answer, attribute::mapped_address);
  append_u16(answer, 8);
  append_u16(answer, family_ipv4);  // a zero byte, then the family
  append_u16(answer, source.port());
  append_u32(answer, source.address().to_v4().to_uint());
  return answer;
}

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
