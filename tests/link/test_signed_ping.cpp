// Two nodes in one process over loopback TCP and TLS exchange signed RELOAD
// Ping requests and answers (§6.5.3) as whole messages, once with CA-enrolled
// and once with self-signed credentials. Each side checks the other's
// signature (§6.3.4), carried with its certificate in the SecurityBlock,
// against the Node-ID its link peer authenticated with.
#include <catch2/catch.hpp>

#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"
#include "link/connection_table.hpp"
#include "test_loopback.hpp"
#include "test_pki.hpp"
#include "wire/codec.hpp"
#include "wire/id_hash.hpp"
#include "wire/message.hpp"
#include "wire/ping.hpp"

using namespace p2psip;
using link::tls_credentials;
using link::test::must;
using wire::node_id;
namespace asio = boost::asio;

namespace {

const wire::overlay_hash overlay = wire::hash_overlay_name(link::test::test_overlay);

// A whole RELOAD message to `to`, signed by `signer`, its certificate in the bucket.
wire::message signed_message(identity::message_signer& signer, const node_id& to,
                             wire::transaction_id transaction, wire::message_code code,
                             std::vector<std::uint8_t> body) {
  wire::message m;
  m.header.overlay = overlay;
  m.header.transaction_id = transaction;
  m.header.destination_list = {wire::destination::node(to)};
  m.contents.code = code;
  m.contents.body = std::move(body);
  m.security.certificates = {signer.generic_certificate()};
  m.security.signature = must(signer.sign_message(overlay, transaction, m.contents));
  return m;
}

std::uint64_t milliseconds_since_epoch() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        link::test::now().time_since_epoch())
                                        .count());
}

struct received_message {
  node_id link_peer;
  wire::message message;
  identity::result<identity::verified_signer> signer;
};

// One overlay node: its credentials on TLS links, a signer for its messages,
// and a verifier for everyone else's. Answers each verified PingReq.
class signing_node {
 public:
  signing_node(asio::io_context& io, tls_credentials credentials, identity::trust_policy policy)
      : id_(link::test::node_id_of(credentials)),
        trust_(std::move(policy)),
        signatures_(trust_.verifier, cache_),
        context_(credentials, trust_.authenticator, config_, link::stderr_log_sink()),
        signer_(must(identity::message_signer::create(std::move(credentials.key),
                                                      credentials.certificate))),
        table_(io, context_, id_, config_,
               {.on_link_up = [this](const node_id& peer) { ups_.push_back(peer); },
                .on_link_down = [this](const node_id& peer,
                                       const std::string&) { downs_.push_back(peer); },
                .on_link_responsiveness = nullptr,
                .on_message = [this](const node_id& peer,
                                     std::vector<std::uint8_t> bytes) { receive(peer, bytes); },
                .on_keepalive_due = nullptr}) {}

  const node_id& id() const noexcept { return id_; }
  identity::message_signer& signer() noexcept { return signer_; }
  link::connection_table& table() noexcept { return table_; }
  const std::vector<received_message>& received() const noexcept { return received_; }
  bool linked_to(const node_id& peer) const {
    return std::find(ups_.begin(), ups_.end(), peer) != ups_.end();
  }
  bool any_link_down() const noexcept { return !downs_.empty(); }

  link::send_result send(const node_id& to, const wire::message& m) {
    return table_.send(to, must_encode(m));
  }

 private:
  static std::vector<std::uint8_t> must_encode(const wire::message& m) {
    auto bytes = wire::to_bytes(m);
    REQUIRE(bytes);
    return std::move(*bytes);
  }

  void receive(const node_id& peer, const std::vector<std::uint8_t>& bytes) {
    auto decoded = wire::decode_message(bytes, config_.max_message_size);
    REQUIRE(decoded);
    // A direct neighbour's message with an empty Via list was sent by the
    // link peer itself, so its signer must be that Node-ID.
    REQUIRE(decoded->header.via_list.empty());
    auto signer = signatures_.verify_message(decoded->security, decoded->header.overlay,
                                             decoded->header.transaction_id, decoded->contents,
                                             peer, link::test::now());
    const bool answer = signer && decoded->contents.code == wire::message_code::ping_req;
    received_.push_back({peer, *decoded, std::move(signer)});
    if (!answer) return;
    auto ping = wire::from_bytes<wire::ping_req>(decoded->contents.body);
    REQUIRE(ping);
    const wire::ping_ans pong{.response_id = 0x5eed + received_.size(),
                              .time = milliseconds_since_epoch()};
    const auto body = wire::to_bytes(pong);
    REQUIRE(body);
    CHECK(send(peer, signed_message(signer_, peer, decoded->header.transaction_id,
                                    wire::message_code::ping_ans, *body)) ==
          link::send_result::queued);
  }

  node_id id_;
  link::link_config config_ = link::test::loopback_config();
  link::test::overlay_trust trust_;
  identity::certificate_cache cache_;
  identity::signature_verifier signatures_;
  link::tls_context context_;  // before signer_: it takes the key over
  identity::message_signer signer_;
  std::vector<node_id> ups_;
  std::vector<node_id> downs_;
  std::vector<received_message> received_;
  link::connection_table table_;
};

struct overlay_members {
  identity::trust_policy policy;
  tls_credentials a, b, c;
};

tls_credentials enrolled(identity::certificate_authority& ca, const std::string& user) {
  auto issued = must(ca.enroll_offline(user, 1, link::test::now()));
  return {std::move(issued.key), std::move(issued.certificate), {ca.root()}};
}

overlay_members ca_enrolled_members(identity::certificate_authority& ca) {
  return {link::test::ca_policy(ca), enrolled(ca, "alice@link.test.example"),
          enrolled(ca, "bob@link.test.example"), enrolled(ca, "carol@link.test.example")};
}

overlay_members self_signed_members() {
  return {link::test::self_signed_policy(), link::test::make_self_signed_credentials(),
          link::test::make_self_signed_credentials(),
          link::test::make_self_signed_credentials()};
}

std::vector<std::uint8_t> ping_body(std::vector<std::uint8_t> padding) {
  auto body = wire::to_bytes(wire::ping_req{std::move(padding)});
  REQUIRE(body);
  return std::move(*body);
}

// B dials A; both ends see the link up.
void connect(asio::io_context& io, signing_node& a, signing_node& b) {
  b.table().connect(a.id(), a.table().listen(link::test::loopback));
  REQUIRE(link::test::run_until(io, [&] { return a.linked_to(b.id()) && b.linked_to(a.id()); }));
}

// B pings A over their link; both check the other's signature.
void check_ping_round_trip(asio::io_context& io, signing_node& a, signing_node& b,
                           wire::transaction_id transaction, bool self_signed) {
  const std::size_t a_before = a.received().size();
  const std::size_t b_before = b.received().size();
  REQUIRE(b.send(a.id(), signed_message(b.signer(), a.id(), transaction,
                                        wire::message_code::ping_req, ping_body({1, 2, 3}))) ==
          link::send_result::queued);
  REQUIRE(link::test::run_until(io, [&] { return b.received().size() == b_before + 1; }));

  REQUIRE(a.received().size() == a_before + 1);
  const auto& request = a.received().back();
  CHECK(request.link_peer == b.id());
  CHECK(request.message.contents.code == wire::message_code::ping_req);
  REQUIRE(request.signer);
  CHECK(request.signer->node == b.id());
  CHECK(request.signer->identity.self_signed == self_signed);

  const auto& answer = b.received().back();
  CHECK(answer.link_peer == a.id());
  CHECK(answer.message.header.transaction_id == transaction);
  REQUIRE(answer.message.contents.code == wire::message_code::ping_ans);
  REQUIRE(answer.signer);
  CHECK(answer.signer->node == a.id());
  CHECK(answer.signer->identity.self_signed == self_signed);
  const auto pong = wire::from_bytes<wire::ping_ans>(answer.message.contents.body);
  REQUIRE(pong);
  CHECK(pong->response_id != 0);
  CHECK(pong->time <= milliseconds_since_epoch());
  CHECK(pong->time + 60'000 > milliseconds_since_epoch());
}

}  // namespace

TEST_CASE("signed Ping request and answer travel over a TLS link and verify at both ends") {
  asio::io_context io;
  auto ca = link::test::make_ca();
  const bool self_signed = GENERATE(false, true);
  INFO((self_signed ? "self-signed mode" : "CA-enrolled mode"));
  auto members = self_signed ? self_signed_members() : ca_enrolled_members(ca);
  signing_node a(io, std::move(members.a), members.policy);
  signing_node b(io, std::move(members.b), members.policy);
  connect(io, a, b);
  check_ping_round_trip(io, a, b, wire::transaction_id{0x0123456789abcdef}, self_signed);
  CHECK_FALSE(a.any_link_down());
  CHECK_FALSE(b.any_link_down());
}

TEST_CASE("a receiver rejects forged signatures and keeps the link up") {
  asio::io_context io;
  auto ca = link::test::make_ca();
  const bool self_signed = GENERATE(false, true);
  INFO((self_signed ? "self-signed mode" : "CA-enrolled mode"));
  auto members = self_signed ? self_signed_members() : ca_enrolled_members(ca);
  signing_node a(io, std::move(members.a), members.policy);
  signing_node b(io, std::move(members.b), members.policy);
  connect(io, a, b);
  const wire::transaction_id forged{0xbad};

  SECTION("the body changed after signing: bad_signature") {
    auto m = signed_message(b.signer(), a.id(), forged, wire::message_code::ping_req,
                            ping_body({1, 2, 3}));
    m.contents.body.back() ^= 0x01;  // still a well-formed PingReq
    REQUIRE(b.send(a.id(), m) == link::send_result::queued);
    REQUIRE(link::test::run_until(io, [&] { return !a.received().empty(); }));
    REQUIRE_FALSE(a.received()[0].signer);
    CHECK(a.received()[0].signer.error().code == identity::identity_errc::bad_signature);
  }
  SECTION("signed by a valid certificate of another Node-ID: node_id_not_in_certificate") {
    // Carol's credentials are as good as Bob's, but Bob's link carries the message.
    const node_id carol = link::test::node_id_of(members.c);
    auto carol_signer = must(identity::message_signer::create(std::move(members.c.key),
                                                               members.c.certificate));
    REQUIRE(carol_signer.node() == carol);
    REQUIRE(b.send(a.id(), signed_message(carol_signer, a.id(), forged,
                                          wire::message_code::ping_req, ping_body({}))) ==
            link::send_result::queued);
    REQUIRE(link::test::run_until(io, [&] { return !a.received().empty(); }));
    REQUIRE_FALSE(a.received()[0].signer);
    CHECK(a.received()[0].signer.error().code ==
          identity::identity_errc::node_id_not_in_certificate);
    CHECK_THAT(a.received()[0].signer.error().detail, Catch::Contains(b.id().hex()));
  }

  // Nothing answered the forgery, and the same link still carries a genuine ping.
  CHECK(b.received().empty());
  CHECK(a.table().connected(b.id()));
  check_ping_round_trip(io, a, b, wire::transaction_id{0x900d}, self_signed);
  CHECK_FALSE(a.any_link_down());
  CHECK_FALSE(b.any_link_down());
}
