// Building answers to STUN requests, shared by the Binding responder and the
// TURN server: the response header, error codes with their reason phrases,
// and the 420 check for attributes a method does not understand.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "nat/stun_message.hpp"

namespace p2psip::nat {

namespace stun_code {
inline constexpr std::uint16_t bad_request = 400;
inline constexpr std::uint16_t unauthorized = 401;
inline constexpr std::uint16_t forbidden = 403;
inline constexpr std::uint16_t unknown_attribute = 420;
inline constexpr std::uint16_t allocation_mismatch = 437;
inline constexpr std::uint16_t stale_nonce = 438;
inline constexpr std::uint16_t address_family_not_supported = 440;  // RFC 6156
inline constexpr std::uint16_t wrong_credentials = 441;
inline constexpr std::uint16_t unsupported_transport = 442;
inline constexpr std::uint16_t allocation_quota_reached = 486;
inline constexpr std::uint16_t server_error = 500;
inline constexpr std::uint16_t insufficient_capacity = 508;
}  // namespace stun_code

// The RFC's reason phrase for a code, e.g. "Unauthorized" for 401.
std::string_view reason_phrase(std::uint16_t code) noexcept;

// A success or error response with the request's method and transaction id.
stun_writer start_reply(const stun_message& request, stun_class klass);

// Adds ERROR-CODE with the RFC's reason phrase.
void add_error(stun_writer& w, std::uint16_t code);

// The comprehension-required attribute types of `message` not in `known`, in
// order and without repeats: what 420's UNKNOWN-ATTRIBUTES lists.
std::vector<std::uint16_t> unknown_required(const stun_message& message,
                                            std::span<const std::uint16_t> known);

// A complete error response with FINGERPRINT and, for 420, UNKNOWN-ATTRIBUTES.
std::vector<std::uint8_t> error_reply(const stun_message& request, std::uint16_t code,
                                      std::span<const std::uint16_t> unknown = {});

}  // namespace p2psip::nat
