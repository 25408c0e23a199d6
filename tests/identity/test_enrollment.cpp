// Enrollment end to end over HTTPS on 127.0.0.1 (§11.3): the server runs
// in-process on its own thread, on an ephemeral port.
#include <catch2/catch.hpp>

#include <functional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "identity/account_digest.hpp"
#include "identity/certificate_request.hpp"
#include "identity/credential_store.hpp"
#include "identity/enrollment_client.hpp"
#include "identity/enrollment_server.hpp"
#include "identity/enrollment_tokens.hpp"
#include "identity/https_client.hpp"
#include "identity/multipart_form.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

const std::string alice = "alice@overlay.test.example";
const std::string alice_password = "correct horse";
const std::string bob = "bob@overlay.test.example";
const std::string bob_password = "battery staple";
// A line as written before SHA-256 digests: MD5 H(A1) only.
const std::string erin = "erin@overlay.test.example";
const std::string erin_password = "tr0ub4dor";

// A CA and its enrollment server, listening on 127.0.0.1 until destroyed.
class running_server {
 public:
  // `adjust` may add tokens, a configuration document and the like.
  explicit running_server(const std::function<void(enrollment_policy&)>& adjust = {}) {
    enrollment_policy policy;
    policy.users = must(password_file::parse(
        must(password_file::make_entry(alice, alice_password, 1000)) + "\n" +
        must(password_file::make_entry(bob, bob_password, 1000)) + "\n" +
        must(password_file::make_entry(erin, erin_password, 1000, {{digest_algorithm::md5}})) +
        "\n" +
        // A line from before digest H(A1)s were kept: no challenge for carol.
        must(password_file::make_entry("carol", "pw", 1000))));
    policy.max_node_ids = 4;
    policy.max_request_bytes = 16 * 1024;
    if (adjust) adjust(policy);
    server_.emplace(io_, ca_, std::move(policy));
    port_ = must(server_->listen({asio::ip::make_address("127.0.0.1"), 0}));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_server() {
    asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  enrollment_request request(const std::string& user = alice,
                             const std::string& password = alice_password) const {
    enrollment_request r;
    r.host = "127.0.0.1";
    r.port = port_;
    r.overlay = ca_.overlay();
    r.root_certs = {ca_.root()};
    r.user_name = user;
    r.password = password;
    r.timeout = std::chrono::seconds(10);
    return r;
  }
  const certificate_authority& ca() const { return ca_; }
  std::uint16_t port() const { return port_; }

 private:
  certificate_authority ca_ = test::make_ca();
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::optional<enrollment_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

struct raw_answer {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// A hand-made POST over HTTPS, for requests the real client would never send.
raw_answer post_raw(const running_server& server, const std::string& content_type,
                    const std::string& body) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(tls.native_handle()), server.ca().root().native());
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<asio::ip::tcp::socket> stream(io, tls);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), server.port()});
  stream.handshake(asio::ssl::stream_base::client);
  http::request<http::string_body> req{http::verb::post, "/", 11};
  req.set(http::field::host, server.ca().overlay());
  req.set(http::field::accept, "application/pkix-cert");
  req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), std::string(res[http::field::content_type]), res.body()};
}

raw_answer post_form(const running_server& server, std::vector<form_part> parts) {
  parts.insert(parts.begin(), {{"username", "", alice}, {"password", "", alice_password}});
  const auto form = must(encode_multipart(parts));
  return post_raw(server, form.content_type, form.body);
}

std::string csr_der(const std::string& user) {
  return must(must(certificate_request::create(must(key_pair::generate()), user)).to_der());
}

}  // namespace

TEST_CASE("a node enrolls over HTTPS and gets CA-chosen Node-IDs") {
  running_server server;
  const auto key = must(key_pair::generate());
  const auto cert = must(enroll(server.request(), key));
  CHECK(cert.user_name() == alice);
  REQUIRE(cert.node_ids().size() == 1);
  CHECK(EVP_PKEY_eq(cert.public_key(), key.native()) == 1);
  CHECK(must(certificate_verifier({server.ca().overlay(), {server.ca().root()}, false})
                 .verify(cert, {}, std::chrono::system_clock::now()))
            .node_ids == cert.node_ids());

  SECTION("a returning user gets the same Node-IDs") {
    const auto again = must(enroll(server.request(), must(key_pair::generate())));
    CHECK(again.node_ids() == cert.node_ids());
  }
  SECTION("more Node-IDs on request, within the server's limit") {
    auto request = server.request();
    request.node_ids = 3;
    const auto three = must(enroll(request, key));
    CHECK(three.node_ids().size() == 3);
    CHECK(three.node_ids().front() == cert.node_ids().front());
    request.node_ids = 5;
    const auto refused = enroll(request, key);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == identity_errc::enrollment_refused);
    CHECK_THAT(refused.error().detail, Catch::Contains("403") && Catch::Contains("Node-IDs_not_available"));
  }
}

TEST_CASE("the credential store enrolls once and keeps the identity across restarts") {
  running_server server;
  test::temp_dir dir;
  const auto now = std::chrono::system_clock::now();
  const auto first = must(credential_store(dir.path()).load_or_enroll(server.request(), now));
  CHECK(test::file_mode(dir.path() / "node.key") == 0600);
  // Wrong password now: a second enrollment would fail, so success means it was loaded.
  const auto again = must(credential_store(dir.path()).load_or_enroll(server.request(alice, "wrong"), now));
  CHECK(again.certificate == first.certificate);
  CHECK(again.root_certs.front() == server.ca().root());
}

TEST_CASE("bad credentials are refused with failed_authentication") {
  running_server server;
  const auto key = must(key_pair::generate());
  for (const auto& request : {server.request(alice, "wrong"), server.request("eve@x.example", "pw"),
                              server.request(alice, "")}) {
    const auto refused = enroll(request, key);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == identity_errc::enrollment_refused);
    CHECK_THAT(refused.error().detail, Catch::Contains("403") && Catch::Contains("failed_authentication"));
  }
}

TEST_CASE("the client refuses a server it cannot authenticate") {
  running_server server;
  const auto key = must(key_pair::generate());
  SECTION("another overlay's root") {
    auto request = server.request();
    request.root_certs = {test::make_ca().root()};
    CHECK(enroll(request, key).error().code == identity_errc::untrusted_chain);
  }
  SECTION("a server certificate for another name") {
    auto request = server.request();
    request.overlay = "other.overlay.example";
    CHECK(enroll(request, key).error().code == identity_errc::untrusted_chain);
  }
}

TEST_CASE("a malformed CSR gets 400 bad_CSR with the reason") {
  running_server server;
  const auto answer = post_form(server, {{"csr", "application/pkcs10", "definitely not DER"}});
  CHECK(answer.status == 400);
  CHECK(answer.content_type.rfind("text/plain", 0) == 0);
  CHECK(answer.body.rfind("bad_CSR\n", 0) == 0);
  CHECK_THAT(answer.body, Catch::Contains("PKCS#10"));
}

TEST_CASE("a CSR asking for a Node-ID is refused") {
  running_server server;
  const auto key = must(key_pair::generate());
  x509_req_ptr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key.native());
  extension_stack_ptr exts(sk_X509_EXTENSION_new_null());
  sk_X509_EXTENSION_push(exts.get(), X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
      "URI:reload://0110000102030405060708090a0b0c0d0e0f@overlay.test.example/"));
  X509_REQ_add_extensions(req.get(), exts.get());
  X509_REQ_sign(req.get(), key.native(), EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  const std::string csr(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);

  const auto answer = post_form(server, {{"csr", "application/pkcs10", csr}});
  CHECK(answer.status == 403);
  CHECK(answer.body.rfind("bad_CSR\n", 0) == 0);
  CHECK_THAT(answer.body, Catch::Contains("assigns Node-IDs"));
}

TEST_CASE("the server refuses requests that break the §11.3 form") {
  running_server server;
  SECTION("csr part without application/pkcs10") {
    const auto answer = post_form(server, {{"csr", "application/octet-stream", csr_der(alice)}});
    CHECK(answer.status == 400);
    CHECK_THAT(answer.body, Catch::Contains("application/pkcs10"));
  }
  SECTION("no csr part") {
    CHECK(post_form(server, {}).status == 400);
  }
  SECTION("a user name other than the account's") {
    const auto answer = post_form(server, {{"csr", "application/pkcs10", csr_der("mallory@x.example")}});
    CHECK(answer.status == 403);
    CHECK(answer.body.rfind("username_not_available", 0) == 0);
  }
  SECTION("not multipart/form-data") {
    CHECK(post_raw(server, "application/x-www-form-urlencoded", "csr=x").status == 415);
  }
  SECTION("a body over the size limit") {
    const auto answer = post_form(server, {{"csr", "application/pkcs10", std::string(20000, 'x')}});
    CHECK(answer.status == 413);
  }
  SECTION("a request whose answer is a certificate") {
    const auto answer = post_form(server, {{"csr", "application/pkcs10", csr_der(alice)}});
    CHECK(answer.status == 200);
    CHECK(answer.content_type == "application/pkix-cert");
    const auto cert = must(node_certificate::from_der(
        p2psip::identity::byte_span(reinterpret_cast<const std::uint8_t*>(answer.body.data()),
                                    answer.body.size())));
    CHECK(cert.user_name() == alice);
  }
}

TEST_CASE("method and Accept are checked") {
  certificate_authority ca = test::make_ca();
  asio::io_context io;
  enrollment_server server(io, ca, {});
  http_request get{http::verb::get, "/", 11};
  CHECK(server.answer(get).result() == http::status::method_not_allowed);
  http_request html{http::verb::post, "/", 11};
  html.set(http::field::accept, "text/html");
  CHECK(server.answer(html).result() == http::status::not_acceptable);
}

TEST_CASE("without a users file the CSR's user name is used, and required") {
  certificate_authority ca = test::make_ca();
  asio::io_context io;
  enrollment_server server(io, ca, {});
  const auto post = [&](const std::string& csr) {
    const auto form = must(encode_multipart({{"csr", "application/pkcs10", csr}}));
    http_request req{http::verb::post, "/", 11};
    req.set(http::field::accept, "application/pkix-cert");
    req.set(http::field::content_type, form.content_type);
    req.body() = form.body;
    return server.answer(req);
  };
  CHECK(post(csr_der("bob@overlay.test.example")).result() == http::status::ok);
  const auto unnamed = post(csr_der("no-at-sign"));
  CHECK(unnamed.result() == http::status::forbidden);
  CHECK(unnamed.body().rfind("username_not_available", 0) == 0);
}

TEST_CASE("a one-time token enrolls once, and its second use says so") {
  test::temp_dir dir;
  std::string secret;
  running_server server([&](enrollment_policy& policy) {
    policy.tokens = must(enrollment_tokens::open(dir.path() / "tokens"));
    secret = must(policy.tokens->issue("box1@overlay.test.example"));
  });
  CHECK(test::file_mode(dir.path() / "tokens") == 0600);
  const auto key = must(key_pair::generate());
  auto request = server.request("box1@overlay.test.example", secret);

  SECTION("a CSR the CA refuses leaves the token usable") {
    request.node_ids = 5;
    CHECK_THAT(enroll(request, key).error().detail, Catch::Contains("Node-IDs_not_available"));
    request.node_ids = 1;
    CHECK(enroll(request, key));
  }
  SECTION("once only, and so on disk") {
    const auto cert = must(enroll(request, key));
    CHECK(cert.user_name() == "box1@overlay.test.example");
    const auto again = enroll(request, key);
    REQUIRE_FALSE(again);
    CHECK_THAT(again.error().detail,
               Catch::Contains("failed_authentication") && Catch::Contains("already used"));
    const auto reopened = must(enrollment_tokens::open(dir.path() / "tokens"));
    CHECK(reopened.check("box1@overlay.test.example", secret) == token_check::used);
  }
  SECTION("another user's name or a wrong secret is no token") {
    CHECK_THAT(enroll(server.request("box2@overlay.test.example", secret), key).error().detail,
               Catch::Contains("unknown account or wrong password"));
    CHECK_THAT(enroll(server.request("box1@overlay.test.example", std::string(32, '0')), key)
                   .error()
                   .detail,
               Catch::Contains("unknown account or wrong password"));
  }
}

TEST_CASE("a node renews by showing its current certificate, and keeps its Node-IDs") {
  running_server server;
  const auto key = must(key_pair::generate());
  const auto first = must(enroll(server.request(), key));
  auto renewal = server.request(alice, "");
  renewal.client = client_identity{&key, &first};
  const auto renewed = must(enroll(renewal, key));
  CHECK(renewed.node_ids() == first.node_ids());
  CHECK(renewed.user_name() == alice);
  CHECK_FALSE(renewed == first);
  // Without the certificate, no credentials: refused.
  CHECK_THAT(enroll(server.request(alice, ""), key).error().detail,
             Catch::Contains("failed_authentication"));
  // A certificate from another CA proves nothing here.
  auto stranger_ca = test::make_ca();
  const auto stranger = test::enroll(stranger_ca, alice);
  renewal.client = client_identity{&stranger.key, &stranger.certificate};
  CHECK_THAT(enroll(renewal, stranger.key).error().detail,
             Catch::Contains("failed_authentication"));
}

TEST_CASE("the configuration document is served at /.well-known/reload-config") {
  running_server server([](enrollment_policy& policy) {
    policy.configuration_document = [] { return std::string("<overlay/>"); };
  });
  const auto get = [&](const std::string& path, const https_trust& trust, const std::string& name) {
    https_target target;
    target.host = "127.0.0.1";
    target.port = server.port();
    target.path = path;
    target.tls_name = name;
    https_request request{http::verb::get, path, 11};
    request.set(http::field::host, name);
    return https_exchange(target, trust, std::move(request));
  };
  https_trust pinned;
  pinned.root_pin = fingerprint_of(server.ca().root());
  const auto answer = must(get("/.well-known/reload-config", pinned, server.ca().overlay()));
  CHECK(answer.result_int() == 200);
  CHECK(answer[http::field::content_type] == "application/p2p-overlay+xml");
  CHECK(answer.body() == "<overlay/>");
  CHECK(must(get("/other", pinned, server.ca().overlay())).result_int() == 405);
  // The RFC 2818 name check applies with a pin too, and a wrong pin trusts nothing.
  CHECK(get("/.well-known/reload-config", pinned, "other.example").error().code ==
        identity_errc::untrusted_chain);
  CHECK(get("/.well-known/reload-config", pinned, "127.0.0.2").error().code ==
        identity_errc::untrusted_chain);
  https_trust wrong;
  wrong.root_pin = fingerprint_of(test::make_ca().root());
  CHECK(get("/.well-known/reload-config", wrong, server.ca().overlay()).error().code ==
        identity_errc::untrusted_chain);
  // Nobody listening: a transport problem, worth retrying.
  https_target closed;
  closed.host = "127.0.0.1";
  closed.port = 1;
  closed.tls_name = "localhost";
  CHECK(https_exchange(closed, pinned, https_request{http::verb::get, "/", 11}).error().code ==
        identity_errc::enrollment_transport);
}

TEST_CASE("tokens and URLs parse strictly") {
  const auto root = fingerprint_of(test::make_ca().root());
  const auto text = format_token({"box1@office.example", std::string(32, 'a'), root});
  const auto parsed = parse_token(text);
  REQUIRE(parsed);
  CHECK(parsed->user == "box1@office.example");
  CHECK(parsed->root == root);
  CHECK_FALSE(parse_token("box1@office.example/short/" + to_string(root).substr(7)));
  CHECK_FALSE(parse_token("not a user/" + std::string(32, 'a') + "/" + to_string(root).substr(7)));
  CHECK_FALSE(parse_token(text.substr(0, text.size() - 2)));
  const auto url = parse_https_url("https://10.0.0.1:8443/.well-known/reload-config");
  REQUIRE(url);
  CHECK(url->host == "10.0.0.1");
  CHECK(url->port == 8443);
  CHECK(url->path == "/.well-known/reload-config");
  CHECK(url->tls_name == "10.0.0.1");
  CHECK(parse_https_url("https://[::1]/")->host == "::1");
  CHECK(parse_https_url("https://ca.example")->port == 443);
  CHECK_FALSE(parse_https_url("http://ca.example/"));
  CHECK_FALSE(parse_https_url("https://ca.example:0/"));
  CHECK_FALSE(parse_https_url("https://ca example/"));
  CHECK_FALSE(parse_https_url("https://ca.example/a b"));
}

namespace {

std::string hex_digest(const EVP_MD* md, const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), out, &size, md, nullptr) == 1);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < size; ++i) hex += {digits[out[i] >> 4], digits[out[i] & 15]};
  return hex;
}

std::string nonce_of(const std::string& challenge) {
  const auto start = challenge.find("nonce=\"") + 7;
  return challenge.substr(start, challenge.find('"', start) - start);
}

// What a softphone answers to `challenge` for a REGISTER (RFC 7616 qop=auth),
// with the algorithm it names.
std::string phone_answer(const std::string& challenge, const std::string& user,
                         const std::string& realm, const std::string& password) {
  const bool sha256 = challenge.find("algorithm=SHA-256") != std::string::npos;
  const auto* md = sha256 ? EVP_sha256() : EVP_md5();
  const auto nonce = nonce_of(challenge);
  const std::string uri = "sip:" + realm;
  const auto response =
      hex_digest(md, hex_digest(md, user + ":" + realm + ":" + password) + ":" + nonce +
                         ":00000001:c0ffee:auth:" + hex_digest(md, "REGISTER:" + uri));
  return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
         "\", uri=\"" + uri + "\", response=\"" + response +
         "\", algorithm=" + (sha256 ? "SHA-256" : "MD5") +
         ", qop=auth, nc=00000001, cnonce=\"c0ffee\"";
}

}  // namespace

TEST_CASE("a box gets an account's certificate for its Node-ID from the phone's digest answer") {
  running_server server;
  const std::string realm = "overlay.test.example";
  const auto box_key = must(key_pair::generate());
  const auto box_cert = must(enroll(server.request(), box_key));
  auto box = server.request(alice, "");
  box.client = client_identity{&box_key, &box_cert};

  // SHA-256 first, then MD5 (RFC 8760 §2.4), one nonce for both.
  const auto challenge = must(account_challenge(box, bob));
  REQUIRE(challenge.size() == 2);
  CHECK_THAT(challenge[0], Catch::StartsWith("Digest realm=\"overlay.test.example\", nonce=\"") &&
                               Catch::EndsWith("\", algorithm=SHA-256, qop=\"auth\""));
  CHECK_THAT(challenge[1], Catch::StartsWith("Digest realm=\"overlay.test.example\", nonce=\"") &&
                               Catch::EndsWith("\", algorithm=MD5, qop=\"auth\""));
  CHECK(nonce_of(challenge[0]) == nonce_of(challenge[1]));
  const auto answer = phone_answer(challenge[0], "bob", realm, bob_password);
  const auto account_key = must(key_pair::generate());
  const auto cert = must(enroll_account(box, bob, "REGISTER", answer, account_key));
  CHECK(cert.user_name() == bob);
  CHECK(cert.node_ids() == std::vector{box_cert.node_ids().front()});

  SECTION("a replayed answer is refused, in either algorithm") {
    CHECK_THAT(enroll_account(box, bob, "REGISTER", answer, account_key).error().detail,
               Catch::Contains("failed_authentication") && Catch::Contains("already used"));
    CHECK_THAT(enroll_account(box, bob, "REGISTER",
                              phone_answer(challenge[1], "bob", realm, bob_password), account_key)
                   .error()
                   .detail,
               Catch::Contains("already used"));
  }
  SECTION("a phone answering MD5 to the same challenge gets its certificate") {
    const auto again = must(account_challenge(box, bob));
    REQUIRE(again.size() == 2);
    const auto md5 = phone_answer(again[1], "bob", realm, bob_password);
    CHECK_THAT(md5, Catch::Contains("algorithm=MD5"));
    CHECK(must(enroll_account(box, bob, "REGISTER", md5, account_key)).user_name() == bob);
  }
  SECTION("a users line from before SHA-256 (MD5 only) gets an MD5 challenge, and works") {
    const auto md5_only = must(account_challenge(box, erin));
    REQUIRE(md5_only.size() == 1);
    CHECK_THAT(md5_only[0], Catch::EndsWith("algorithm=MD5, qop=\"auth\""));
    // A SHA-256 answer it was not offered is refused for want of an H(A1).
    auto sha256 = md5_only[0];
    sha256.replace(sha256.find("algorithm=MD5"), 13, "algorithm=SHA-256");
    CHECK_THAT(enroll_account(box, erin, "REGISTER",
                              phone_answer(sha256, "erin", realm, erin_password), account_key)
                   .error()
                   .detail,
               Catch::Contains("no digest SHA-256 credentials"));
    CHECK(must(enroll_account(box, erin, "REGISTER",
                              phone_answer(md5_only[0], "erin", realm, erin_password), account_key))
              .user_name() == erin);
  }
  SECTION("a wrong password is refused, and spends the nonce") {
    const auto again = must(account_challenge(box, bob));
    const auto wrong = phone_answer(again[0], "bob", realm, "Battery staple");
    CHECK_THAT(enroll_account(box, bob, "REGISTER", wrong, account_key).error().detail,
               Catch::Contains("failed_authentication") && Catch::Contains("wrong password"));
    const auto right = phone_answer(again[0], "bob", realm, bob_password);
    CHECK_THAT(enroll_account(box, bob, "REGISTER", right, account_key).error().detail,
               Catch::Contains("already used"));
  }
  SECTION("an answer for another method, user, or from another box is refused") {
    const auto other = must(account_challenge(box, bob));
    CHECK_THAT(enroll_account(box, bob, "INVITE",
                              phone_answer(other[0], "bob", realm, bob_password), account_key)
                   .error()
                   .detail,
               Catch::Contains("wrong password"));
    const auto for_alice = must(account_challenge(box, alice));
    REQUIRE_FALSE(for_alice.empty());
    CHECK_THAT(enroll_account(box, bob, "REGISTER",
                              phone_answer(for_alice[0], "bob", realm, bob_password), account_key)
                   .error()
                   .detail,
               Catch::Contains("another account or box"));
    const auto box2_key = must(key_pair::generate());
    // Another box (enrolled as bob, so another Node-ID).
    const auto box2_cert = must(enroll(server.request(bob, bob_password), box2_key));
    REQUIRE(box2_cert.node_ids() != box_cert.node_ids());
    auto box2 = box;
    box2.client = client_identity{&box2_key, &box2_cert};
    const auto for_box1 = must(account_challenge(box, bob));
    CHECK_THAT(enroll_account(box2, bob, "REGISTER",
                              phone_answer(for_box1[0], "bob", realm, bob_password), account_key)
                   .error()
                   .detail,
               Catch::Contains("another account or box"));
  }
  SECTION("no challenge for an account without digest credentials or unknown") {
    CHECK(must(account_challenge(box, "carol")).empty());
    CHECK(must(account_challenge(box, "dave@overlay.test.example")).empty());
  }
  SECTION("only an enrolled box may ask") {
    auto anonymous = box;
    anonymous.client.reset();
    CHECK_THAT(account_challenge(anonymous, bob).error().detail,
               Catch::Contains("failed_authentication"));
  }
}
