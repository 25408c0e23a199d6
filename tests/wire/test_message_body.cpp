#include "wire/message_body.hpp"

#include "sample_messages.hpp"
#include "wire_test_util.hpp"

using namespace p2psip;
using namespace p2psip::wire;

namespace {
const data_model_lookup models(well_known_data_model);
}

TEST_CASE("every message code with a body round-trips through the dispatcher") {
  const auto bodies = samples::every_body();
  // One sample per defined code: 13 request/answer pairs plus Error.
  REQUIRE(bodies.size() == 27);
  for (const auto& [name, body] : bodies) {
    INFO(name);
    const auto bytes = encode_body(body);
    REQUIRE(bytes);
    const auto back = decode_body(body.code, *bytes, models);
    REQUIRE(back);
    CHECK(*back == body);
  }
}

TEST_CASE("whole sample messages decode back to the same message") {
  for (const auto& [name, body] : samples::every_body()) {
    INFO(name);
    const auto msg = samples::wrap(body);
    const auto bytes = to_bytes(msg);
    REQUIRE(bytes);
    const auto back = decode_message(*bytes, 1 << 20);
    REQUIRE(back);
    CHECK(back->contents == msg.contents);
    CHECK(back->header.length == bytes->size());
  }
}

TEST_CASE("a body is decoded as the structure its code names, strictly") {
  const auto ping = *encode_body({message_code::ping_ans, ping_ans{1, 2}});
  SECTION("the same bytes under another code are refused") {
    const auto r = decode_body(message_code::ping_req, ping, models);
    REQUIRE_FALSE(r);
    CHECK(to_reload_error(r.error().code) == reload_error_code::invalid_message);
  }
  SECTION("a byte after the body is refused") {
    auto longer = ping;
    longer.push_back(0);
    const auto r = decode_body(message_code::ping_ans, longer, models);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == codec_errc::trailing_bytes);
  }
  SECTION("every truncation is refused") {
    for (std::size_t n = 0; n < ping.size(); ++n) {
      CHECK_FALSE(decode_body(message_code::ping_ans, bytes_view(ping.data(), n), models));
    }
  }
}

TEST_CASE("codes with no defined body are refused, and a code/body mismatch does not encode") {
  for (auto code : {message_code::invalid, message_code::exp_a_req, message_code::exp_b_ans,
                    static_cast<message_code>(0x0005), static_cast<message_code>(0x7fff)}) {
    const auto r = decode_body(code, {}, models);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == codec_errc::unknown_type);
  }
  const auto mismatched = encode_body({message_code::ping_req, ping_ans{}});
  REQUIRE_FALSE(mismatched);
  CHECK(mismatched.error().code == codec_errc::invalid_value);
}

TEST_CASE("a StoreReq for a Kind the node does not know keeps its values undecoded") {
  auto store = samples::sip_registration_store();
  const auto bytes = *encode_body(store);
  const data_model_lookup knows_nothing = [](kind_id) { return std::optional<data_model>{}; };
  const auto r = decode_body(message_code::store_req, bytes, knows_nothing);
  REQUIRE(r);
  const auto& req = std::get<store_req>(r->value);
  REQUIRE(req.kind_data.size() == 1);
  CHECK_FALSE(req.kind_data[0].decoded());
  // Re-encoding the undecoded values gives back the same bytes.
  CHECK(*encode_body(*r) == bytes);
}
