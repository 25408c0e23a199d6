// The Binding responder: answers, drops, 400, 420 and short-term credentials.
#include <catch2/catch.hpp>

#include "nat/stun_crypto.hpp"
#include "nat/stun_reply.hpp"
#include "nat/stun_responder.hpp"
#include "nat_test_util.hpp"

using namespace p2psip::nat;
using p2psip::nat::test::endpoint;

namespace {

stun_message must_parse(const std::vector<std::uint8_t>& bytes) {
  auto m = parse_stun(bytes);
  REQUIRE(m);
  return std::move(*m);
}

std::uint16_t error_of(const stun_message& m) {
  REQUIRE(m.klass == stun_class::error);
  return read_error_code(*m.find(attribute::error_code))->code;
}

}  // namespace

TEST_CASE("Binding requests get XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT") {
  binding_options options;
  options.software = "p2psip test";
  const stun_responder responder(options);
  const auto source = GENERATE(endpoint("192.0.2.7", 40000), endpoint("2001:db8::7", 3478));
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(1));
  const auto answer = responder.respond(w.bytes(), source);
  REQUIRE(answer);
  const auto m = must_parse(*answer);
  CHECK(m.klass == stun_class::success);
  CHECK(m.id == test::make_id(1));
  CHECK(*read_xor_address(*m.find(attribute::xor_mapped_address), m.id) == source);
  CHECK(read_string(*m.find(attribute::software)) == "p2psip test");
  CHECK(m.attributes.back().type == attribute::fingerprint);
  CHECK_FALSE(m.find(attribute::message_integrity));
}

TEST_CASE("indications, responses and garbage are dropped") {
  const stun_responder responder;
  const auto source = endpoint("192.0.2.7", 40000);
  CHECK_FALSE(responder.respond(stun_writer(stun_class::indication, stun_method::binding,
                                            test::make_id(2)).bytes(), source));
  CHECK_FALSE(responder.respond(stun_writer(stun_class::success, stun_method::binding,
                                            test::make_id(2)).bytes(), source));
  const std::vector<std::uint8_t> garbage(40, 0xAB);
  CHECK_FALSE(responder.respond(garbage, source));
}

TEST_CASE("an unknown comprehension-required attribute gets 420 with UNKNOWN-ATTRIBUTES") {
  const stun_responder responder;
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(3));
  w.add(0x0003, test::hex("00 00 00 06"));  // CHANGE-REQUEST (RFC 5780): not here
  w.add(0x7777, {});
  w.add(0x0003, test::hex("00 00 00 00"));
  w.add(0x8888, {});                         // comprehension-optional: ignored
  const auto answer = responder.respond(w.bytes(), endpoint("192.0.2.1", 1));
  const auto m = must_parse(*answer);
  CHECK(error_of(m) == 420);
  CHECK(*read_unknown_attributes(*m.find(attribute::unknown_attributes)) ==
        std::vector<std::uint16_t>{0x0003, 0x7777});
}

TEST_CASE("other methods and oversized usernames get 400") {
  const stun_responder responder;
  const auto source = endpoint("192.0.2.1", 1);
  CHECK(error_of(must_parse(*responder.respond(
            stun_writer(stun_class::request, 0x0fff, test::make_id(4)).bytes(), source))) == 400);
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(5));
  add_string(w, attribute::username, std::string(600, 'u'));
  CHECK(error_of(must_parse(*responder.respond(w.bytes(), source))) == 400);
}

TEST_CASE("short-term credentials: 400 without, 401 when wrong, signed answers when right") {
  binding_options options;
  options.credentials = [](std::string_view user) {
    return user == "alice" ? std::optional<std::string>("secret") : std::nullopt;
  };
  const stun_responder responder(options);
  const auto source = endpoint("192.0.2.1", 1);
  const auto request = [](std::string_view user, std::string_view password) {
    stun_writer w(stun_class::request, stun_method::binding, test::make_id(6));
    add_string(w, attribute::username, user);
    w.add_message_integrity(text_bytes(password));
    w.add_fingerprint();
    return w.bytes();
  };
  CHECK(error_of(must_parse(*responder.respond(
            stun_writer(stun_class::request, stun_method::binding, test::make_id(6)).bytes(),
            source))) == 400);
  CHECK(error_of(must_parse(*responder.respond(request("alice", "wrong"), source))) == 401);
  CHECK(error_of(must_parse(*responder.respond(request("bob", "secret"), source))) == 401);
  const auto answer = responder.respond(request("alice", "secret"), source);
  const auto ok = must_parse(*answer);
  CHECK(ok.klass == stun_class::success);
  CHECK(integrity_valid(ok, text_bytes("secret")));
}

// RFC 5389 §12.2, as libnice asks its STUN server (this request is one it sent).
TEST_CASE("an RFC 3489 Binding request gets MAPPED-ADDRESS and its own transaction id") {
  const std::vector<std::uint8_t> classic{0x00, 0x01, 0x00, 0x00, 0x66, 0xe3, 0x4e,
                                          0xb2, 0xf6, 0x4d, 0x20, 0x27, 0xcf, 0x90,
                                          0xd6, 0x09, 0x88, 0x30, 0x60, 0x08};
  const auto source = endpoint("192.0.2.7", 40000);
  const auto answer = respond_classic_binding(classic, source);
  REQUIRE(answer);
  const std::vector<std::uint8_t> expected_tail{0x00, 0x01, 0x00, 0x08, 0x00, 0x01,
                                                0x9c, 0x40, 192, 0, 2, 7};
  REQUIRE(answer->size() == 32);
  CHECK((*answer)[0] == 0x01);
  CHECK((*answer)[1] == 0x01);
  CHECK((*answer)[3] == 12);
  CHECK(std::equal(classic.begin() + 4, classic.end(), answer->begin() + 4));
  CHECK(std::vector<std::uint8_t>(answer->begin() + 20, answer->end()) == expected_tail);
  // An attribute (CHANGE-REQUEST) is allowed; a length that does not add up is not.
  auto with_attribute = classic;
  with_attribute[3] = 8;
  with_attribute.insert(with_attribute.end(), {0x00, 0x03, 0x00, 0x04, 0, 0, 0, 0});
  CHECK(respond_classic_binding(with_attribute, source));
  with_attribute[3] = 12;
  CHECK_FALSE(respond_classic_binding(with_attribute, source));
  auto not_binding = classic;
  not_binding[1] = 0x03;
  CHECK_FALSE(respond_classic_binding(not_binding, source));
  // A message with the cookie is RFC 5389's, never answered this way; RFC
  // 3489 has no IPv6.
  stun_writer modern(stun_class::request, stun_method::binding, test::make_id(2));
  CHECK_FALSE(respond_classic_binding(modern.bytes(), source));
  CHECK_FALSE(respond_classic_binding(classic, endpoint("2001:db8::7", 3478)));
  CHECK_FALSE(respond_classic_binding({classic.begin(), classic.begin() + 19}, source));
}
