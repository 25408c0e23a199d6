#include <catch2/catch.hpp>

#include "storage/access_control.hpp"
#include "storage/kind_registry.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip;
using namespace p2psip::storage;
namespace known = wire::well_known_kind;

namespace {

wire::node_id node(std::uint8_t fill) {
  wire::node_id::bytes_type b{};
  b.fill(fill);
  return wire::node_id{b};
}

const kind_registry registry = kind_registry::with_defaults();
const kind_definition& kind(wire::kind_id id) { return *registry.find(id); }

wire::stored_data_value array_entry() { return {wire::array_entry{0, {true, {1}}}}; }
wire::stored_data_value single() { return {wire::data_value{true, {1}}}; }
wire::stored_data_value keyed_by(const wire::node_id& n) {
  return {wire::dictionary_entry{{n.bytes().begin(), n.bytes().end()}, {true, {1}}}};
}

const signer alice{"alice@example.org", node(0xa1)};
const signer bob{"bob@example.org", node(0xb0)};

}  // namespace

TEST_CASE("USER-MATCH: the user name must hash to the Resource-ID") {
  const auto& by_user = kind(known::certificate_by_user);
  const auto resource = wire::hash_resource_name("alice@example.org");
  CHECK(user_resource("alice@example.org") == resource);
  CHECK_FALSE(check_access(by_user, resource, array_entry(), alice));
  CHECK(check_access(by_user, resource, array_entry(), bob));
  // The Node-ID does not help: only the user name counts.
  CHECK(check_access(by_user, node_resource(alice.node), array_entry(), alice));
  const signer nameless{std::nullopt, alice.node};
  CHECK(check_access(by_user, resource, array_entry(), nameless));
}

TEST_CASE("NODE-MATCH: the signing Node-ID must hash to the Resource-ID") {
  const auto& by_node = kind(known::certificate_by_node);
  const auto resource = node_resource(alice.node);
  CHECK(resource == wire::hash_resource_name(std::span<const std::uint8_t>(alice.node.bytes())));
  CHECK_FALSE(check_access(by_node, resource, array_entry(), alice));
  CHECK(check_access(by_node, resource, array_entry(), bob));
  // The same user with another Node-ID is another signer.
  CHECK(check_access(by_node, resource, array_entry(), signer{alice.user_name, node(0xa2)}));
  CHECK(check_access(by_node, user_resource(*alice.user_name), array_entry(), alice));
}

TEST_CASE("USER-NODE-MATCH: user name hashes to the resource and the key is the Node-ID") {
  const auto& sip = kind(known::sip_registration);
  const auto resource = user_resource("alice@example.org");
  CHECK_FALSE(check_access(sip, resource, keyed_by(alice.node), alice));
  // Bob may not register at Alice's AOR, even keyed by his own Node-ID.
  CHECK(check_access(sip, resource, keyed_by(bob.node), bob));
  // Alice may not write the entry of another of her devices.
  CHECK(check_access(sip, resource, keyed_by(node(0xa2)), alice));
  // A key that is a prefix of the Node-ID is not the Node-ID.
  wire::dictionary_entry shortened{{alice.node.bytes().begin(), alice.node.bytes().end() - 1},
                                   {true, {1}}};
  CHECK(check_access(sip, resource, {shortened}, alice));
  CHECK(check_access(sip, resource, single(), alice));
}

TEST_CASE("NODE-MULTIPLE: H(Node-ID || i) for i up to max-node-multiple") {
  const auto& turn = kind(known::turn_service);
  REQUIRE(turn.max_node_multiple == 20);
  for (std::uint8_t i = 1; i <= 20; ++i) {
    CHECK_FALSE(check_access(turn, node_multiple_resource(alice.node, i), single(), alice));
    CHECK(check_access(turn, node_multiple_resource(alice.node, i), single(), bob));
  }
  CHECK(check_access(turn, node_multiple_resource(alice.node, 21), single(), alice));
  CHECK(check_access(turn, node_multiple_resource(alice.node, 0), single(), alice));
  CHECK(check_access(turn, node_resource(alice.node), single(), alice));

  std::vector<std::uint8_t> name(alice.node.bytes().begin(), alice.node.bytes().end());
  name.push_back(7);
  CHECK(node_multiple_resource(alice.node, 7) == wire::hash_resource_name(name));
}

TEST_CASE("a refusal explains itself") {
  const auto reason = check_access(kind(known::certificate_by_user),
                                   user_resource("alice@example.org"), array_entry(), bob);
  REQUIRE(reason);
  CHECK_THAT(*reason, Catch::Contains("bob@example.org"));
  CHECK(describe(alice) == "alice@example.org/" + alice.node.hex());
}

TEST_CASE("INBOX: senders write keys under their Node-ID, the recipient any key") {
  const auto& inbox = kind(sip_inbox_kind);
  const auto resource = user_resource("alice@example.org");
  // Bob's node writes an entry keyed by its Node-ID and a sequence number.
  auto bobs_entry = [&](const wire::node_id& n) {
    wire::dictionary_key key(n.bytes().begin(), n.bytes().end());
    key.insert(key.end(), {0, 0, 1, 2, 3, 4, 5, 6});
    return wire::stored_data_value{wire::dictionary_entry{key, {true, {1}}}};
  };
  CHECK_FALSE(check_access(inbox, resource, bobs_entry(bob.node), bob));
  CHECK_FALSE(check_access(inbox, resource, keyed_by(bob.node), bob));
  // Nobody else may write (or remove) under Bob's Node-ID...
  const signer carol{"carol@example.org", node(0xc0)};
  const auto refused = check_access(inbox, resource, bobs_entry(bob.node), carol);
  REQUIRE(refused);
  CHECK(refused->find("Node-ID") != std::string::npos);
  // ...except Alice, whose inbox it is: she removes what was delivered.
  CHECK_FALSE(check_access(inbox, resource, bobs_entry(bob.node), alice));
  // A key shorter than a Node-ID is no sender's.
  const wire::stored_data_value short_key{wire::dictionary_entry{{0xb0}, {true, {1}}}};
  CHECK(check_access(inbox, resource, short_key, bob));
  // Other models are refused.
  CHECK(check_access(inbox, resource, single(), alice));
}
