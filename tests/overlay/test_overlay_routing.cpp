// Symmetric recursive routing on a simulated ring (RFC 6940 §6.1, §6.2): a
// request reaches the responsible peer and its answer retraces the path; TTL
// expiry, a looping Destination List, an unreachable Node-ID and a
// fragmented message each end the way the RFC says.
#include <catch2/catch.hpp>

#include "sim_test_util.hpp"
#include "wire/attach.hpp"
#include "wire/ping.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;

namespace {

sim::world_config ring_config(std::uint64_t seed) { return test::fixed_interval_world(seed); }

void grow(sim::overlay_world& world, std::size_t n) { test::grow(world, n, 120s); }

wire::destination resource_at(const node_id& key) {
  return wire::destination::resource(*wire::resource_id::from_span(key.bytes()));
}

node_id random_key(sim::overlay_world& world) {
  return from_uint128((uint128{world.random()()} << 64) | world.random()());
}

time_point completed_at;

// Sends a Ping from `from` and runs the clock until it completes.
std::optional<answer_result> ping(sim::overlay_world& world, const node_id& from,
                                  std::vector<wire::destination> to, std::size_t padding = 0) {
  std::optional<answer_result> outcome;
  completed_at = {};
  wire::ping_req request;
  request.padding.assign(padding, 0x5a);
  world.node(from)->send_request(std::move(to), {wire::message_code::ping_req, request},
                                 [&](answer_result r) {
                                   completed_at = world.scheduler().now();
                                   outcome.emplace(std::move(r));
                                 });
  for (int i = 0; i < 400 && !outcome; ++i) world.scheduler().run_for(100ms);
  return outcome;
}

}  // namespace

TEST_CASE("a request reaches the responsible peer and the answer retraces its path") {
  sim::overlay_world world(ring_config(3));
  grow(world, 32);
  const auto ring = world.joined_ids();
  REQUIRE(ring.size() == 32);
  for (int i = 0; i < 50; ++i) {
    const auto key = random_key(world);
    const auto& from = ring[world.random()() % ring.size()];
    auto outcome = ping(world, from, {resource_at(key)});
    REQUIRE(outcome);
    REQUIRE(outcome->has_value());
    CHECK((*outcome)->responder == responsible_peer(ring, key));
    CHECK((*outcome)->hops <= 6);  // log2(32) + 1
  }
}

TEST_CASE("a message whose TTL runs out is answered with Error_TTL_Exceeded") {
  auto config = ring_config(5);
  config.overlay.initial_ttl = 1;  // two forwarding hops at most
  sim::overlay_world world(config);
  grow(world, 32);
  const auto ring = world.joined_ids();
  // Joining itself ran into the limit (finger Attaches go far): count anew.
  std::uint64_t before = 0;
  for (const auto& id : ring) before += world.node(id)->counters().ttl_exceeded;
  int exceeded = 0;
  int answered = 0;
  for (int i = 0; i < 60; ++i) {
    const auto& from = ring[world.random()() % ring.size()];
    auto outcome = ping(world, from, {resource_at(random_key(world))});
    REQUIRE(outcome);
    if (outcome->has_value()) {
      ++answered;
      CHECK((*outcome)->hops <= 2);
    } else {
      CHECK(outcome->error().failure == request_failure::error_response);
      CHECK(outcome->error().code == wire::reload_error_code::ttl_exceeded);
      ++exceeded;
    }
  }
  CHECK(exceeded > 0);
  CHECK(answered > 0);
  std::uint64_t counted = 0;
  std::uint64_t counted_sent = 0;
  for (const auto& id : ring) {
    const auto& c = world.node(id)->counters();
    counted += c.ttl_exceeded;
    if (auto it = c.errors_sent_by_code.find(wire::reload_error_code::ttl_exceeded);
        it != c.errors_sent_by_code.end()) {
      counted_sent += it->second;
    }
  }
  // Maintenance traffic meets the same limit meanwhile.
  CHECK(counted - before >= static_cast<std::uint64_t>(exceeded));
  // Each refusal went back as an ErrorResponse, counted under its code.
  CHECK(counted_sent >= static_cast<std::uint64_t>(exceeded));
}

TEST_CASE("a Destination List that repeats an entry is refused as a loop") {
  sim::overlay_world world(ring_config(7));
  grow(world, 8);
  const auto ring = world.joined_ids();
  const auto& a = ring[0];
  const auto& b = ring[1];
  const auto& c = ring[2];
  auto outcome =
      ping(world, a,
           {wire::destination::node(b), wire::destination::node(c), wire::destination::node(b)});
  REQUIRE(outcome);
  REQUIRE_FALSE(outcome->has_value());
  CHECK(outcome->error().code == wire::reload_error_code::invalid_message);
  CHECK(world.node(b)->counters().loops_refused == 1);
}

TEST_CASE("a request for a Node-ID nobody has is dropped and times out after five transmissions") {
  sim::overlay_world world(ring_config(9));
  grow(world, 8);
  const auto ring = world.joined_ids();
  const auto start = world.scheduler().now();
  auto outcome = ping(world, ring[0], {wire::destination::node(random_key(world))});
  REQUIRE(outcome);
  REQUIRE_FALSE(outcome->has_value());
  CHECK(outcome->error().failure == request_failure::timeout);
  // Five transmissions, one overlay-reliability-timer (3 s) each.
  const auto waited = completed_at - start;
  CHECK(waited >= 15s);
  CHECK(waited < 16s);
  std::uint64_t dropped = 0;
  for (const auto& id : ring) dropped += world.node(id)->counters().dropped_unroutable;
  CHECK(dropped == 5);
}

TEST_CASE("a message above the link limit travels in fragments and is reassembled") {
  auto config = ring_config(21);
  config.network.max_message_size = 700;
  config.overlay.max_message_size = 8000;
  sim::overlay_world world(config);
  grow(world, 16);
  const auto ring = world.joined_ids();
  std::uint64_t fragments_before = 0;
  for (const auto& id : ring) fragments_before += world.node(id)->counters().fragments_sent;
  const auto key = random_key(world);
  auto outcome = ping(world, ring[0], {resource_at(key)}, 3000);
  REQUIRE(outcome);
  REQUIRE(outcome->has_value());
  CHECK((*outcome)->responder == responsible_peer(ring, key));
  std::uint64_t fragments_after = 0;
  for (const auto& id : ring) fragments_after += world.node(id)->counters().fragments_sent;
  CHECK(fragments_after - fragments_before >= 5);  // 3000+ bytes at < 700 per fragment
  // Above max-message-size, reassembly refuses it: the request times out.
  auto too_big = ping(world, ring[0], {resource_at(random_key(world))}, 9000);
  REQUIRE(too_big);
  CHECK_FALSE(too_big->has_value());
}

TEST_CASE("an AttachAns carries the answerer's role, active (RFC 6940 §6.5.1.2)") {
  sim::overlay_world world(ring_config(11));
  grow(world, 4);
  const auto ids = world.joined_ids();
  const auto& from = ids.front();
  const auto& to = ids.back();
  wire::attach_req_ans offer;
  offer.role = wire::attach_offerer_role();
  std::optional<answer_result> outcome;
  world.node(from)->send_request({wire::destination::node(to)},
                                 {wire::message_code::attach_req, offer},
                                 [&](answer_result r) { outcome.emplace(std::move(r)); });
  for (int i = 0; i < 400 && !outcome; ++i) world.scheduler().run_for(100ms);
  REQUIRE(outcome);
  REQUIRE(*outcome);
  REQUIRE((*outcome)->body.code == wire::message_code::attach_ans);
  const auto& answer = std::get<wire::attach_req_ans>((*outcome)->body.value);
  CHECK(answer.role == std::vector<std::uint8_t>{'a', 'c', 't', 'i', 'v', 'e'});
  CHECK(wire::attach_offerer_role() ==
        std::vector<std::uint8_t>{'p', 'a', 's', 's', 'i', 'v', 'e'});
}

TEST_CASE("an idle link carries a RELOAD Ping, answered by the neighbour (RFC 6940 §6.5.3)") {
  sim::overlay_world world(ring_config(13));
  grow(world, 4);
  const auto ids = world.joined_ids();
  const auto& self = ids.front();
  auto* node = world.node(self);
  const auto peers = node->linked_peers();
  REQUIRE_FALSE(peers.empty());
  const auto& neighbour = peers.front();
  const auto delivered_before = world.node(neighbour)->counters().delivered;
  const auto pings_before = node->counters().keepalive_pings;
  node->on_link_idle(neighbour);
  world.scheduler().run_for(1s);
  CHECK(node->counters().keepalive_pings == pings_before + 1);
  // The Ping reached the neighbour, and its answer came back: no failure.
  CHECK(world.node(neighbour)->counters().delivered > delivered_before);
  CHECK(node->counters().links_suspected == 0);

  SECTION("a peer that is not linked gets nothing") {
    const auto stranger = from_uint128(uint128{0x1234});
    node->on_link_idle(stranger);
    CHECK(node->counters().keepalive_pings == pings_before + 1);
  }
}
