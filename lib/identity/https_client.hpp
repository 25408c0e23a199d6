// One HTTPS exchange for enrollment (§11.3) and configuration fetches
// (§11.2): connect, check the server's certificate and name (RFC 2818), send
// one request, read one bounded answer. Blocks its caller, at most about
// target.timeout; runs its own io_context.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

using https_request = boost::beast::http::request<boost::beast::http::string_body>;
using https_response = boost::beast::http::response<boost::beast::http::string_body>;
using sha256_fingerprint = std::array<std::uint8_t, 32>;

// What the server's certificate must chain to. A pin trusts the one
// certificate of the server's own chain whose DER has this SHA-256, so a
// box can be told a private root by its fingerprint before it has the root.
// A TLS client certificate to present (the caller's; it outlives the call).
struct client_identity {
  const key_pair* key = nullptr;
  const node_certificate* certificate = nullptr;
};

struct https_trust {
  std::vector<node_certificate> roots;
  std::optional<sha256_fingerprint> root_pin;
  bool system_roots = false;  // the web PKI, for a configuration server with a public name
  std::optional<client_identity> client;
};

struct https_target {
  std::string host;  // where to connect
  std::uint16_t port = 443;
  std::string path = "/";
  // The name the certificate must carry (RFC 2818): a DNS name, or an IP
  // literal matched against iPAddress names.
  std::string tls_name;
  std::chrono::seconds timeout{10};
  std::size_t max_response_bytes = 64 * 1024;
};

// untrusted_chain when the server's certificate does not chain to the
// trust or does not carry tls_name; enrollment_transport on any other
// failure to reach or read the server; the answer as it came otherwise,
// whatever its status.
result<https_response> https_exchange(const https_target& target, const https_trust& trust,
                                      https_request request);

// "https://host[:port][/path]" (host: DNS name, IPv4, or [IPv6]) into a
// target whose tls_name is the URL's host. nullopt for anything else.
std::optional<https_target> parse_https_url(std::string_view url);

// SHA-256 of a certificate's DER, and its "sha256:" hex text form and back.
sha256_fingerprint fingerprint_of(const node_certificate& cert);
std::string to_string(const sha256_fingerprint& fingerprint);
std::optional<sha256_fingerprint> parse_fingerprint(std::string_view text);

}  // namespace p2psip::identity
