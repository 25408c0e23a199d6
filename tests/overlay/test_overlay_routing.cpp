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
                                  std::vector<wire::destination> to, std::size_t padding = 0,
                                  std::uint32_t max_response_length = 0) {
  std::optional<answer_result> outcome;
  completed_at = {};
  wire::ping_req request;
  request.padding.assign(padding, 0x5a);
  world.node(from)->send_request(
      std::move(to), {wire::message_code::ping_req, request},
      [&](answer_result r) {
        completed_at = world.scheduler().now();
        outcome.emplace(std::move(r));
      },
      {}, max_response_length);
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
  // Above max-message-size the originator refuses to send it, at once.
  const auto sent_at = world.scheduler().now();
  auto too_big = ping(world, ring[0], {resource_at(random_key(world))}, 9000);
  REQUIRE(too_big);
  REQUIRE_FALSE(too_big->has_value());
  CHECK(too_big->error().failure == request_failure::too_large);
  CHECK(completed_at == sent_at);
}

// The boundary of `passes` over (from, to): the last value that passes when
// it holds at `from` and fails at `to`, or the first that passes when the
// opposite holds. Bisection, so at most log2(distance) probes.
template <class Passes>
std::size_t boundary(std::size_t from, std::size_t to, Passes passes) {
  const bool low_passes = passes(std::min(from, to));
  std::size_t low = std::min(from, to);
  std::size_t high = std::max(from, to);
  while (high - low > 1) {
    const auto middle = (low + high) / 2;
    (passes(middle) == low_passes ? low : high) = middle;
  }
  return low_passes ? low : high;
}

bool failed_with(const std::optional<answer_result>& outcome, request_failure failure,
                 wire::reload_error_code code = wire::reload_error_code::invalid) {
  return outcome && !outcome->has_value() && outcome->error().failure == failure &&
         (code == wire::reload_error_code::invalid || outcome->error().code == code);
}

TEST_CASE("the originator sends a request up to max-message-size and refuses one byte more") {
  sim::overlay_world world(ring_config(23));
  grow(world, 8);
  const auto ring = world.joined_ids();
  const auto to = [&] { return std::vector{wire::destination::node(ring[5])}; };
  const auto too_large = [&](std::size_t padding) {
    return failed_with(ping(world, ring[0], to(), padding), request_failure::too_large,
                       wire::reload_error_code::message_too_large);
  };
  REQUIRE(too_large(5000));
  const auto fits = boundary(0, 5000, [&](std::size_t padding) { return !too_large(padding); });
  CHECK(fits > 4000);  // the Via List reserve and the headers take the rest
  for (const auto padding : {fits - 1, fits}) {
    auto outcome = ping(world, ring[0], to(), padding);
    REQUIRE(outcome);
    CHECK(outcome->has_value());
  }
  const auto sent_at = world.scheduler().now();
  CHECK(too_large(fits + 1));
  CHECK(completed_at == sent_at);
}

TEST_CASE("a peer answers a request over its max-message-size with Error_Message_Too_Large") {
  sim::overlay_world world(ring_config(29));
  grow(world, 8);
  const auto ring = world.joined_ids();
  // One node believes messages may be larger than the rest take.
  world.config_for_new_nodes().max_message_size = 9000;
  const auto lax = world.add_node();
  world.scheduler().run_for(60s);
  const auto target = ring[0] == lax ? ring[1] : ring[0];
  const auto sent_at = world.scheduler().now();
  auto over = ping(world, lax, {wire::destination::node(target)}, 6000);
  CHECK(failed_with(over, request_failure::error_response,
                    wire::reload_error_code::message_too_large));
  CHECK(completed_at - sent_at < 3s);  // answered, not timed out
  auto under = ping(world, lax, {wire::destination::node(target)}, 4000);
  REQUIRE(under);
  CHECK(under->has_value());
}

TEST_CASE("an answer over max_response_length becomes Error_Response_Too_Large") {
  sim::overlay_world world(ring_config(31));
  grow(world, 8);
  const auto ring = world.joined_ids();
  const auto to = [&] { return std::vector{wire::destination::node(ring[3])}; };
  const auto answered = [&](std::uint32_t limit) {
    auto outcome = ping(world, ring[0], to(), 0, limit);
    REQUIRE(outcome);
    if (!outcome->has_value()) {
      CHECK(failed_with(outcome, request_failure::error_response,
                        wire::reload_error_code::response_too_large));
    }
    return outcome->has_value();
  };
  CHECK(answered(0));  // no limit
  REQUIRE(answered(5000));
  REQUIRE_FALSE(answered(1));
  // The smallest limit that lets the PingAns through is its exact size.
  const auto fits = static_cast<std::uint32_t>(boundary(
      1, 5000, [&](std::size_t limit) { return answered(static_cast<std::uint32_t>(limit)); }));
  CHECK(fits > 60);
  CHECK(answered(fits + 1));
  CHECK_FALSE(answered(fits - 1));
}

// A node that was in a ring and lost every link goes on with what it holds,
// but cannot know whether a value it lacks exists; only a node alone in an
// overlay it started is authoritative.
TEST_CASE("a node cut off from its ring says so, and goes on answering for itself") {
  sim::overlay_world world(ring_config(37));
  const auto lone = world.add_node();
  world.scheduler().run_for(10s);
  CHECK_FALSE(world.node(lone)->topology().isolated());
  auto alone = ping(world, lone, {resource_at(random_key(world))});
  REQUIRE(alone);
  CHECK(alone->has_value());  // the whole overlay: it answers

  grow(world, 3);
  const auto ring = world.joined_ids();
  REQUIRE(ring.size() == 4);
  node_id other{};
  for (const auto& id : ring) {
    if (id == lone) continue;
    other = id;
    world.crash(id);
  }
  world.scheduler().run_for(60s);  // failure detection
  auto* node = world.node(lone);
  REQUIRE(node->linked_peers().empty());
  CHECK(node->state() == node_state::joined);
  CHECK(node->topology().isolated());
  // Requests for resources stay local, so Stores and Fetches of what it
  // holds go on; a request to another node fails at once.
  CHECK(node->topology().is_responsible(random_key(world)));
  auto local = ping(world, lone, {resource_at(random_key(world))});
  REQUIRE(local);
  CHECK(local->has_value());
  const auto sent_at = world.scheduler().now();
  CHECK(
      failed_with(ping(world, lone, {wire::destination::node(other)}), request_failure::isolated));
  CHECK(completed_at == sent_at);

  // Starting an overlay of its own again makes it authoritative again.
  node->start_new_overlay();
  CHECK_FALSE(node->topology().isolated());
  auto restarted = ping(world, lone, {resource_at(random_key(world))});
  REQUIRE(restarted);
  CHECK(restarted->has_value());
}

TEST_CASE("a node whose last neighbour left gracefully stays authoritative") {
  sim::overlay_world world(ring_config(41));
  const auto first = world.add_node();
  world.scheduler().run_for(10s);
  const auto second = world.add_node();
  world.scheduler().run_for(60s);
  REQUIRE(world.joined_ids().size() == 2);
  world.leave(second);
  world.scheduler().run_for(30s);
  auto* node = world.node(first);
  CHECK_FALSE(node->topology().isolated());
  auto outcome = ping(world, first, {resource_at(random_key(world))});
  REQUIRE(outcome);
  if (node->state() == node_state::joined) CHECK(outcome->has_value());
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

TEST_CASE("an idle link neither end needs is closed; one the far end needs stays open") {
  sim::overlay_world world(ring_config(17));
  grow(world, 24);
  const auto ids = world.joined_ids();
  // Links from the joins outlive the table entries that wanted them.
  std::optional<std::pair<node_id, node_id>> unused, needed_by_far_end;
  for (const auto& a : ids) {
    for (const auto& b : world.node(a)->linked_peers()) {
      const bool a_needs = world.chord(a)->needs_link(b);
      const bool b_needs = world.chord(b)->needs_link(a);
      if (!a_needs && !b_needs && !unused) unused.emplace(a, b);
      if (!a_needs && b_needs && !needed_by_far_end) needed_by_far_end.emplace(a, b);
    }
  }
  REQUIRE(unused);
  REQUIRE(needed_by_far_end);

  SECTION("unneeded by both: no Ping, and closed after a second idle period without a word") {
    const auto [a, b] = *unused;
    auto* node = world.node(a);
    const auto pings_before = node->counters().keepalive_pings;
    node->on_link_idle(b);
    world.scheduler().run_for(1s);
    CHECK(node->connected(b));
    node->on_link_idle(b);
    world.scheduler().run_for(1s);
    CHECK_FALSE(node->connected(b));
    CHECK_FALSE(world.node(b)->connected(a));
    CHECK(node->counters().unused_links_closed == 1);
    CHECK(node->counters().keepalive_pings == pings_before);
    CHECK(world.ring_consistent());
  }
  SECTION("the far end's keepalive Ping keeps a link this node does not need") {
    const auto [a, b] = *needed_by_far_end;
    auto* node = world.node(a);
    const auto far_pings_before = world.node(b)->counters().keepalive_pings;
    node->on_link_idle(b);
    world.scheduler().run_for(1s);
    world.node(b)->on_link_idle(a);
    world.scheduler().run_for(1s);
    CHECK(world.node(b)->counters().keepalive_pings == far_pings_before + 1);
    node->on_link_idle(b);
    world.scheduler().run_for(1s);
    CHECK(node->connected(b));
    CHECK(node->counters().unused_links_closed == 0);
    // A far end silent for a whole idle period is taken not to need it.
    node->on_link_idle(b);
    world.scheduler().run_for(1s);
    CHECK_FALSE(node->connected(b));
  }
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
