// AppAttach (RFC 6940 §6.5.2) on a simulated ring: a node that serves the
// application answers with its handler's candidates, one that does not
// answers Error_Not_Found, and a handler that refuses the requester makes it
// Error_Forbidden.
#include <catch2/catch.hpp>

#include "sim_test_util.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;

namespace {

using app_attach_result = wire::basic_result<wire::app_attach_ans, request_error>;

std::optional<app_attach_result> app_attach(sim::overlay_world& world, const node_id& from,
                                            const node_id& to, std::uint16_t application) {
  std::optional<app_attach_result> outcome;
  wire::app_attach_req request;
  request.application = wire::application_id{application};
  request.role = {'a', 'c', 't', 'i', 'v', 'e'};
  world.node(from)->app_attach(to, request,
                               [&](app_attach_result r) { outcome.emplace(std::move(r)); });
  for (int i = 0; i < 400 && !outcome; ++i) world.scheduler().run_for(100ms);
  return outcome;
}

wire::ice_candidate host_candidate(std::uint16_t port) {
  wire::ice_candidate c;
  c.addr_port.value = wire::ipv4_addr_port{0x7f000001, port};
  c.type = wire::cand_type::host;
  return c;
}

}  // namespace

TEST_CASE("AppAttach reaches the named node and returns its handler's answer") {
  sim::overlay_world world(test::fixed_interval_world(11));
  test::grow(world, 8, 60s);
  const auto ring = world.joined_ids();
  REQUIRE(ring.size() == 8);
  const auto& callee = ring[3];
  const auto& caller = ring[6];
  std::optional<node_id> asked_by;
  world.node(callee)->set_app_attach_handler(
      wire::application_id{5060},
      [&](const wire::app_attach_req& request,
          const node_id& sender) -> std::optional<wire::app_attach_ans> {
        asked_by = sender;
        CHECK(request.application.value == 5060);
        wire::app_attach_ans answer;
        answer.role = {'p', 'a', 's', 's', 'i', 'v', 'e'};
        answer.candidates.push_back(host_candidate(40123));
        return answer;
      });

  auto outcome = app_attach(world, caller, callee, 5060);
  REQUIRE(outcome);
  REQUIRE(outcome->has_value());
  CHECK((*outcome)->application.value == 5060);
  REQUIRE((*outcome)->candidates.size() == 1);
  CHECK(std::get<wire::ipv4_addr_port>((*outcome)->candidates[0].addr_port.value).port == 40123);
  REQUIRE(asked_by);
  CHECK(*asked_by == caller);

  SECTION("an application without a handler is Error_Not_Found, counted by code") {
    const auto counters_before = world.node(callee)->counters();
    const auto not_found_before = [&] {
      const auto it = counters_before.errors_sent_by_code.find(wire::reload_error_code::not_found);
      return it == counters_before.errors_sent_by_code.end() ? 0 : it->second;
    }();
    auto refused = app_attach(world, caller, callee, 5061);
    REQUIRE(refused);
    REQUIRE_FALSE(refused->has_value());
    CHECK(refused->error().failure == request_failure::error_response);
    CHECK(refused->error().code == wire::reload_error_code::not_found);
    const auto& after = world.node(callee)->counters();
    CHECK(after.errors_sent == counters_before.errors_sent + 1);
    CHECK(after.errors_sent_by_code.at(wire::reload_error_code::not_found) == not_found_before + 1);
  }
  SECTION("a handler that refuses the requester makes it Error_Forbidden") {
    world.node(callee)->set_app_attach_handler(
        wire::application_id{5060},
        [](const wire::app_attach_req&, const node_id&) -> std::optional<wire::app_attach_ans> {
          return std::nullopt;
        });
    auto refused = app_attach(world, caller, callee, 5060);
    REQUIRE(refused);
    REQUIRE_FALSE(refused->has_value());
    CHECK(refused->error().code == wire::reload_error_code::forbidden);
  }
  SECTION("a removed handler is Not_Found again") {
    world.node(callee)->set_app_attach_handler(wire::application_id{5060}, {});
    auto refused = app_attach(world, caller, callee, 5060);
    REQUIRE(refused);
    REQUIRE_FALSE(refused->has_value());
    CHECK(refused->error().code == wire::reload_error_code::not_found);
  }
}
