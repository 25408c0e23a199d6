// TLS sessions over memory only: two sessions pass ciphertext to each other.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "link/tls_session.hpp"
#include "test_pki.hpp"

using namespace p2psip::link;
using p2psip::wire::node_id;

namespace {
constexpr std::string_view client_hex = "0123456789abcdef0123456789abcdef";
constexpr std::string_view server_hex = "fedcba9876543210fedcba9876543210";

node_id id(std::string_view hex) { return *node_id::from_hex(hex); }

struct logged_lines {
  std::vector<std::pair<log_level, std::string>> lines;
  log_sink sink() {
    return [this](log_level level, std::string_view message) {
      lines.emplace_back(level, std::string(message));
    };
  }
};

struct endpoint {
  endpoint(const tls_credentials& credentials, const peer_authenticator& authenticator,
           tls_role role, std::optional<node_id> expected, const link_config& config = {},
           int max_tls_version = 0)
      : context(credentials, authenticator, config, log.sink()),
        session(limit_version(context, max_tls_version), role, expected) {}
  static tls_context& limit_version(tls_context& context, int version) {
    if (version != 0) SSL_CTX_set_max_proto_version(context.native(), version);
    return context;
  }
  logged_lines log;
  tls_context context;
  tls_session session;
  std::vector<std::uint8_t> plaintext;
};

// Moves ciphertext both ways until neither side has anything to say.
void exchange(endpoint& a, endpoint& b) {
  for (int round = 0; round < 20 && (a.session.has_output() || b.session.has_output()); ++round) {
    if (a.session.has_output()) b.session.receive(a.session.take_output(), b.plaintext);
    if (b.session.has_output()) a.session.receive(b.session.take_output(), a.plaintext);
  }
}

void handshake(endpoint& client, endpoint& server) {
  client.session.start();
  exchange(client, server);
}

struct pki {
  test::certificate_authority ca = test::make_ca("overlay CA");
  test::certificate_authority rogue = test::make_ca("rogue CA");
  test::san_node_id_authenticator authenticator;
};

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }
}  // namespace

TEST_CASE("tls_session: mutual authentication yields both Node-IDs and carries data") {
  pki p;
  endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                  tls_role::client, id(server_hex));
  endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                  tls_role::server, std::nullopt);
  handshake(client, server);
  REQUIRE(client.session.state() == tls_state::established);
  REQUIRE(server.session.state() == tls_state::established);
  CHECK(client.session.peer_node_ids() == std::vector{id(server_hex)});
  CHECK(server.session.peer_node_ids() == std::vector{id(client_hex)});
  CHECK(client.session.protocol().starts_with("TLSv1.3"));

  REQUIRE(client.session.send(bytes("ping")));
  REQUIRE(server.session.send(bytes("pong")));
  exchange(client, server);
  CHECK(server.plaintext == bytes("ping"));
  CHECK(client.plaintext == bytes("pong"));

  client.session.close();
  CHECK_FALSE(client.session.send(bytes("late")));
  exchange(client, server);
  CHECK(server.session.state() == tls_state::closed);  // close_notify arrived
}

TEST_CASE("tls_session: TLS 1.2 is accepted") {
  pki p;
  endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                  tls_role::client, id(server_hex), {}, TLS1_2_VERSION);
  endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                  tls_role::server, std::nullopt);
  handshake(client, server);
  REQUIRE(client.session.state() == tls_state::established);
  REQUIRE(server.session.state() == tls_state::established);
  CHECK(client.session.protocol().starts_with("TLSv1.2"));
  CHECK(server.session.peer_node_ids() == std::vector{id(client_hex)});
}

TEST_CASE("tls_session: refused peers never reach the established state") {
  pki p;
  SECTION("server certificate from the wrong CA") {
    endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.rogue, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("unable to get local issuer certificate"));
    CHECK(server.session.state() == tls_state::failed);  // it got the alert
    CHECK(client.session.peer_node_ids().empty());
  }
  SECTION("client certificate from the wrong CA") {
    endpoint client(test::make_credentials(p.rogue, p.ca, client_hex), p.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(server.session.state() == tls_state::failed);
    CHECK_THAT(server.session.failure(), Catch::Contains("rejected at depth 0"));
    CHECK(server.session.peer_node_ids().empty());
    // With TLS 1.3 the client finishes first, then reads the server's alert.
    std::vector<std::uint8_t> ignored;
    client.session.receive({}, ignored);
    CHECK(client.session.state() == tls_state::failed);
  }
  SECTION("server certificate without the expected Node-ID") {
    endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                    tls_role::client, id("00000000000000000000000000000001"));
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(),
               Catch::Contains("does not carry the expected Node-ID") &&
                   Catch::Contains(std::string(server_hex)));
  }
  SECTION("expired certificate") {
    endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex, {-7200, -3600}),
                    p.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("certificate has expired"));
  }
  SECTION("the authenticator refuses the certificate") {
    struct refuse_all final : peer_authenticator {
      authentication_result authenticate(const peer_certificates&) const override {
        return authentication_failure{"revoked by policy"};
      }
    } refuse;
    endpoint client(test::make_credentials(p.ca, p.ca, client_hex), refuse, tls_role::client,
                    std::nullopt);
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("revoked by policy"));
  }
  SECTION("garbage bytes before the handshake") {
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    std::vector<std::uint8_t> ignored;
    CHECK(server.session.receive(bytes("GET / HTTP/1.1\r\n\r\n"), ignored) == tls_state::failed);
    CHECK_THAT(server.session.failure(), Catch::StartsWith("TLS error"));
    CHECK_FALSE(server.session.send(bytes("x")));
  }
}

TEST_CASE("tls_session: the key log gets one line per secret, with a warning") {
  pki p;
  const auto path = std::filesystem::temp_directory_path() /
                    ("p2psip-keylog-" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(path);
  link_config config;
  config.keylog_file = path;
  {
    endpoint client(test::make_credentials(p.ca, p.ca, client_hex), p.authenticator,
                    tls_role::client, id(server_hex), config);
    endpoint server(test::make_credentials(p.ca, p.ca, server_hex), p.authenticator,
                    tls_role::server, std::nullopt);
    CHECK(client.context.keylog_enabled());
    CHECK_FALSE(server.context.keylog_enabled());
    REQUIRE(client.log.lines.size() == 1);
    CHECK(client.log.lines[0].first == log_level::warning);
    CHECK_THAT(client.log.lines[0].second, Catch::Contains("key logging is ON"));
    handshake(client, server);
    REQUIRE(client.session.state() == tls_state::established);
  }
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  std::filesystem::remove(path);
  // TLS 1.3: two handshake and two application traffic secrets, plus the exporter.
  REQUIRE(lines.size() == 5);
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.starts_with("CLIENT_TRAFFIC_SECRET_0 ");
        }) == 1);
  for (const auto& line : lines) CHECK(std::count(line.begin(), line.end(), ' ') == 2);
}
