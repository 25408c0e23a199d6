// Time-limited TURN credentials in the TURN REST style that coturn and
// WebRTC stacks share: username "<expiry Unix time>:<id>", password
// base64(HMAC-SHA1(shared secret, username)). The server needs only the
// secret to check them; the daemon's relay.credentials mints them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::nat {

// relay.credentials' result: {"username", "password", "ttl", "uris"}.
struct turn_credentials {
  std::string username;
  std::string password;
  std::chrono::seconds ttl{};
  std::vector<std::string> uris;
};

turn_credentials mint_turn_credentials(std::string_view secret, std::string_view id,
                                       std::chrono::seconds ttl, std::int64_t unix_now,
                                       std::vector<std::string> uris);

std::string turn_rest_password(std::string_view secret, std::string_view username);

// The expiry of a REST username; nothing when it does not start with one.
std::optional<std::int64_t> turn_rest_expiry(std::string_view username);

// The id after the first ':' (the whole name when there is none): whose
// allocations the per-user quota counts.
std::string_view turn_rest_id(std::string_view username);

// "turn:HOST:PORT?transport=udp", the same for tcp, and "turns:HOST:TLS_PORT
// ?transport=tcp" when there is a TLS port. An IPv6 HOST comes bracketed.
std::vector<std::string> turn_uris(std::string_view host, std::uint16_t port,
                                   std::optional<std::uint16_t> tls_port);

}  // namespace p2psip::nat
