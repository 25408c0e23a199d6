// TLS sessions over memory only: two sessions pass ciphertext to each other.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "../identity/identity_test_util.hpp"
#include "identity/certificate_builder.hpp"
#include "identity/credential_store.hpp"
#include "link/tls_session.hpp"
#include "test_pki.hpp"

using namespace p2psip::link;
using namespace std::chrono_literals;
using p2psip::wire::node_id;
namespace identity = p2psip::identity;

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

// Approves or refuses everyone, counting its calls.
struct scripted_authenticator final : peer_authenticator {
  explicit scripted_authenticator(authentication_result verdict) : verdict(std::move(verdict)) {}
  authentication_result authenticate(const peer_certificates&,
                                     const std::optional<node_id>&) const override {
    ++calls;
    return verdict;
  }
  authentication_result verdict;
  mutable int calls = 0;
};

// A client and a server of one CA overlay, past their handshake.
struct ca_session_pair {
  ca_session_pair() { handshake(client, server); }
  std::pair<endpoint&, endpoint&> ends() { return {client, server}; }
  test::ca_overlay p;
  endpoint client{test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                  tls_role::client, id(server_hex)};
  endpoint server{test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                  tls_role::server, std::nullopt};
};

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }
}  // namespace

TEST_CASE("tls_session: mutual authentication yields both Node-IDs and carries data") {
  ca_session_pair pair;
  auto [client, server] = pair.ends();
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
  test::ca_overlay p;
  endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                  tls_role::client, id(server_hex), {}, TLS1_2_VERSION);
  endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                  tls_role::server, std::nullopt);
  handshake(client, server);
  REQUIRE(client.session.state() == tls_state::established);
  REQUIRE(server.session.state() == tls_state::established);
  CHECK(client.session.protocol().starts_with("TLSv1.2"));
  CHECK(server.session.peer_node_ids() == std::vector{id(client_hex)});
}

TEST_CASE("tls_session: refused peers never reach the established state") {
  test::ca_overlay p;
  SECTION("server certificate from the wrong CA") {
    endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.rogue, id(server_hex)), p.trust.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("unable to get local issuer certificate"));
    CHECK(server.session.state() == tls_state::failed);  // it got the alert
    CHECK(client.session.peer_node_ids().empty());
  }
  SECTION("client certificate from the wrong CA") {
    endpoint client(test::make_credentials(p.rogue, id(client_hex)), p.trust.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(server.session.state() == tls_state::failed);
    CHECK_THAT(server.session.failure(), Catch::Contains("untrusted_chain"));
    CHECK(server.session.peer_node_ids().empty());
    // With TLS 1.3 the client finishes first, then reads the server's alert.
    std::vector<std::uint8_t> ignored;
    client.session.receive({}, ignored);
    CHECK(client.session.state() == tls_state::failed);
  }
  SECTION("server certificate without the expected Node-ID") {
    endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                    tls_role::client, id("00000000000000000000000000000001"));
    endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(),
               Catch::Contains("does not carry the expected Node-ID") &&
                   Catch::Contains(std::string(server_hex)));
  }
  SECTION("expired certificate") {
    endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.ca, id(server_hex), {-2h, -1h}),
                    p.trust.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("certificate has expired"));
  }
  SECTION("garbage bytes before the handshake") {
    endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                    tls_role::server, std::nullopt);
    std::vector<std::uint8_t> ignored;
    CHECK(server.session.receive(bytes("GET / HTTP/1.1\r\n\r\n"), ignored) == tls_state::failed);
    CHECK_THAT(server.session.failure(), Catch::StartsWith("TLS error"));
    CHECK_FALSE(server.session.send(bytes("x")));
  }
}

TEST_CASE("tls_session: a handshake completes only with both authenticators' approval") {
  test::ca_overlay p;
  const auto client_credentials = test::make_credentials(p.ca, id(client_hex));
  const auto server_credentials = test::make_credentials(p.ca, id(server_hex));
  const scripted_authenticator approve_server(authenticated_peer{{id(server_hex)}});
  const scripted_authenticator approve_client(authenticated_peer{{id(client_hex)}});
  const scripted_authenticator refuse(authentication_failure{"revoked by policy"});
  SECTION("each side asks its authenticator once, and takes the Node-IDs it approved") {
    endpoint client(client_credentials, approve_server, tls_role::client, id(server_hex));
    endpoint server(server_credentials, approve_client, tls_role::server, std::nullopt);
    handshake(client, server);
    REQUIRE(client.session.state() == tls_state::established);
    REQUIRE(server.session.state() == tls_state::established);
    CHECK(approve_server.calls == 1);
    CHECK(approve_client.calls == 1);
    CHECK(server.session.peer_node_ids() == std::vector{id(client_hex)});
  }
  SECTION("OpenSSL's own chain check does not decide: an unknown CA passes when approved") {
    endpoint client(test::make_credentials(p.rogue, id(client_hex)), approve_server,
                    tls_role::client, id(server_hex));
    endpoint server(test::make_credentials(p.rogue, id(server_hex)), approve_client,
                    tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::established);
    CHECK(server.session.state() == tls_state::established);
  }
  SECTION("the server's authenticator refuses a valid certificate") {
    endpoint client(client_credentials, p.trust.authenticator, tls_role::client, id(server_hex));
    endpoint server(server_credentials, refuse, tls_role::server, std::nullopt);
    handshake(client, server);
    std::vector<std::uint8_t> ignored;
    client.session.receive({}, ignored);  // TLS 1.3: the client reads the alert after finishing
    CHECK(refuse.calls == 1);
    CHECK(server.session.state() == tls_state::failed);
    CHECK_THAT(server.session.failure(), Catch::Contains("revoked by policy"));
    CHECK(server.session.peer_node_ids().empty());
    CHECK(client.session.state() == tls_state::failed);
    CHECK_FALSE(client.session.send(bytes("after refusal")));
  }
  SECTION("the client's authenticator refuses a valid certificate") {
    endpoint client(client_credentials, refuse, tls_role::client, std::nullopt);
    endpoint server(server_credentials, p.trust.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(refuse.calls == 1);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("revoked by policy"));
    CHECK(server.session.state() == tls_state::failed);
  }
  SECTION("an approval without any Node-ID counts as a refusal") {
    const scripted_authenticator approve_nobody(authenticated_peer{});
    endpoint client(client_credentials, approve_nobody, tls_role::client, std::nullopt);
    endpoint server(server_credentials, p.trust.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("no Node-ID approved"));
    CHECK(client.session.peer_node_ids().empty());
  }
}

TEST_CASE("tls_session: self-signed peers prove key-derived Node-IDs (§11.3.1)") {
  const test::overlay_trust adhoc(test::self_signed_policy());
  const auto client_credentials = test::make_self_signed_credentials();
  const auto server_credentials = test::make_self_signed_credentials();
  const node_id server_id = test::node_id_of(server_credentials);
  SECTION("accepted with no root-cert anywhere") {
    endpoint client(client_credentials, adhoc.authenticator, tls_role::client, server_id);
    endpoint server(server_credentials, adhoc.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    REQUIRE(client.session.state() == tls_state::established);
    REQUIRE(server.session.state() == tls_state::established);
    CHECK(client.session.peer_node_ids() == std::vector{server_id});
    CHECK(server.session.peer_node_ids() == std::vector{test::node_id_of(client_credentials)});
  }
  SECTION("a Node-ID its key does not derive is refused") {
    auto key = test::must(identity::key_pair::generate());
    identity::certificate_spec spec;
    spec.subject_key = key.native();
    spec.node_ids = {id(server_hex)};
    spec.overlay = test::test_overlay;
    spec.not_before = test::now() - 1h;
    spec.not_after = test::now() + 1h;
    auto claimed = test::must(identity::issue_certificate(spec, key, nullptr));
    const tls_credentials forged{std::move(key), std::move(claimed), {}};
    endpoint client(client_credentials, adhoc.authenticator, tls_role::client, id(server_hex));
    endpoint server(forged, adhoc.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("self_signed_node_id_mismatch"));
  }
  SECTION("the dialled Node-ID must still be the one the key derives") {
    endpoint client(client_credentials, adhoc.authenticator, tls_role::client, id(server_hex));
    endpoint server(server_credentials, adhoc.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("does not carry the expected Node-ID"));
  }
  SECTION("refused by an overlay that does not permit self-signed certificates") {
    test::ca_overlay p;
    endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                    tls_role::client, server_id);
    endpoint server(server_credentials, p.trust.authenticator, tls_role::server, std::nullopt);
    handshake(client, server);
    CHECK(client.session.state() == tls_state::failed);
    CHECK_THAT(client.session.failure(), Catch::Contains("self_signed_forbidden"));
  }
}

TEST_CASE("tls_session: certificates are judged at the authenticator's wall-clock time") {
  test::ca_overlay p;
  const identity_authenticator two_days_on(p.trust.verifier, [] { return test::now() + 48h; });
  endpoint client(test::make_credentials(p.ca, id(client_hex)), two_days_on, tls_role::client,
                  id(server_hex));
  endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
                  tls_role::server, std::nullopt);
  handshake(client, server);
  CHECK(client.session.state() == tls_state::failed);
  CHECK_THAT(client.session.failure(), Catch::Contains("certificate_expired"));
}

TEST_CASE("tls_session: credentials reloaded from the credential store serve as they are") {
  test::ca_overlay p;
  const identity::test::temp_dir state;
  const identity::credential_store store(state.path());
  REQUIRE(store.save(test::make_credentials(p.ca, id(server_hex))));
  auto reloaded = test::must(store.load());
  REQUIRE(reloaded);
  // The stored root-certs are the overlay's trust policy; key and certificate go to TLS.
  const test::overlay_trust trust({.overlay = test::test_overlay,
                                   .root_certs = reloaded->root_certs});
  endpoint client(test::make_credentials(p.ca, id(client_hex)), trust.authenticator,
                  tls_role::client, id(server_hex));
  endpoint server(*reloaded, trust.authenticator, tls_role::server, std::nullopt);
  handshake(client, server);
  REQUIRE(client.session.state() == tls_state::established);
  CHECK(client.session.peer_node_ids() == std::vector{id(server_hex)});
  CHECK(server.session.peer_node_ids() == std::vector{id(client_hex)});
}

TEST_CASE("tls_session: the key log gets one line per secret, with a warning") {
  test::ca_overlay p;
  const auto path = std::filesystem::temp_directory_path() /
                    ("p2psip-keylog-" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(path);
  link_config config;
  config.keylog_file = path;
  {
    endpoint client(test::make_credentials(p.ca, id(client_hex)), p.trust.authenticator,
                    tls_role::client, id(server_hex), config);
    endpoint server(test::make_credentials(p.ca, id(server_hex)), p.trust.authenticator,
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

TEST_CASE("tls_session: large and split flights arrive intact as idle buffers are shed") {
  ca_session_pair pair;
  auto [client, server] = pair.ends();
  REQUIRE(server.session.state() == tls_state::established);

  // 100 KiB spans several records: both memory BIOs outgrow their idle size.
  std::vector<std::uint8_t> large(100 * 1024);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<std::uint8_t>(i * 7 + 3);
  REQUIRE(client.session.send(large));
  const auto flight = client.session.take_output();
  REQUIRE(flight.size() > large.size());
  // Fed in uneven pieces: a partial record must stay buffered, not be dropped.
  for (std::size_t at = 0; at < flight.size(); at += 5000) {
    const auto n = std::min<std::size_t>(5000, flight.size() - at);
    REQUIRE(server.session.receive(std::span(flight).subspan(at, n), server.plaintext) ==
            tls_state::established);
  }
  CHECK(server.plaintext == large);

  // Small messages both ways still flow over the replaced buffers.
  server.plaintext.clear();
  for (int round = 0; round < 3; ++round) {
    REQUIRE(client.session.send(bytes("ping")));
    REQUIRE(server.session.send(bytes("pong")));
    exchange(client, server);
  }
  CHECK(server.plaintext == bytes("pingpingping"));
  CHECK(client.plaintext == bytes("pongpongpong"));
}
