#include "nat/turn_credentials.hpp"

#include <charconv>

#include "nat/stun_crypto.hpp"

namespace p2psip::nat {

turn_credentials mint_turn_credentials(std::string_view secret, std::string_view id,
                                       std::chrono::seconds ttl, std::int64_t unix_now,
                                       std::vector<std::string> uris) {
  std::string username = std::to_string(unix_now + ttl.count());
  username.append(":").append(id);
  std::string password = turn_rest_password(secret, username);
  return {std::move(username), std::move(password), ttl, std::move(uris)};
}

std::string turn_rest_password(std::string_view secret, std::string_view username) {
  return base64(hmac_sha1(text_bytes(secret), text_bytes(username)));
}

std::optional<std::int64_t> turn_rest_expiry(std::string_view username) {
  const auto digits = username.substr(0, username.find(':'));
  std::int64_t expiry = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), expiry);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return expiry;
}

std::string_view turn_rest_id(std::string_view username) {
  const auto colon = username.find(':');
  return colon == std::string_view::npos ? username : username.substr(colon + 1);
}

std::vector<std::string> turn_uris(std::string_view host, std::uint16_t port,
                                   std::optional<std::uint16_t> tls_port) {
  const std::string at = std::string(host) + ":";
  std::vector<std::string> uris{"turn:" + at + std::to_string(port) + "?transport=udp",
                                "turn:" + at + std::to_string(port) + "?transport=tcp"};
  if (tls_port) uris.push_back("turns:" + at + std::to_string(*tls_port) + "?transport=tcp");
  return uris;
}

}  // namespace p2psip::nat
