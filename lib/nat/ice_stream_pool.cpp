#include "nat/ice_stream_pool.hpp"

#include <algorithm>
#include <utility>

namespace p2psip::nat {

namespace {

bool has_relayed(const ice_stream& stream) {
  const auto& local = stream.local();
  return local && std::any_of(local->candidates.begin(), local->candidates.end(),
                              [](const ice_candidate& c) {
                                return c.type == ice_candidate_type::relay;
                              });
}

// A pooled stream's configuration: TURN at one relay server only (the
// controlling pool at the first, the controlled one at the next), each
// transport it offers. Every allocation counts in the relay's per-user
// quota, with the links' agents and the media pool's: pooling with every
// relay pushed a daemon behind a NAT past the default quota (8), and a
// stream refused its allocation gathered no server-reflexive candidate
// either. A stream opened on the spot still asks every relay.
ice_agent_config pooled_config(ice_agent_config config) {
  auto& relays = config.relays;
  if (relays.empty()) return config;
  std::vector<transport_address> servers;
  for (const auto& r : relays) {
    if (std::find(servers.begin(), servers.end(), r.server) == servers.end()) {
      servers.push_back(r.server);
    }
  }
  const auto& kept = servers[(config.role == ice_role::controlling ? 0 : 1) % servers.size()];
  std::erase_if(relays, [&](const turn_relay& r) { return r.server != kept; });
  return config;
}

}  // namespace

ice_stream_pool::ice_stream_pool(glib_loop_thread& loop, boost::asio::any_io_executor executor,
                                 std::function<ice_agent_config(ice_role)> config,
                                 ice_stream_pool_config limits)
    : loop_(loop), executor_(std::move(executor)), config_(std::move(config)), limits_(limits) {}

ice_stream_pool::~ice_stream_pool() {
  for (auto& e : pooled_) e.stream->close(link::close_mode::abort);
}

bool ice_stream_pool::fits(const entry& e, const ice_agent_config& now) const {
  if (e.stream->failed() || !same_servers(e.config, now)) return false;
  if (!e.stream->local()) return true;  // still gathering
  // A relay that refused the allocation (a quota, say) leaves the stream
  // without relayed and server-reflexive candidates: not worth offering.
  if (!has_relayed(*e.stream)) return e.config.relays.empty();
  return ice_stream::clock::now() - e.stream->made() < limits_.relayed_max_age;
}

std::shared_ptr<ice_stream> ice_stream_pool::take(ice_role role, ice_stream_handlers handlers) {
  auto config = config_(role);
  config.role = role;
  const auto pooled = pooled_config(config);
  for (const bool want_gathered : {true, false}) {
    const auto it = std::find_if(pooled_.begin(), pooled_.end(), [&](const entry& e) {
      return e.config.role == role && e.stream->local().has_value() == want_gathered &&
             fits(e, pooled);
    });
    if (it == pooled_.end()) continue;
    auto stream = std::move(it->stream);
    pooled_.erase(it);
    ++counters_.taken;
    stream->adopt(std::move(handlers));
    return stream;
  }
  ++counters_.missed;
  return ice_stream::open(loop_, executor_, std::move(config), std::move(handlers));
}

void ice_stream_pool::refresh() {
  for (const auto role : {ice_role::controlling, ice_role::controlled}) {
    auto full = config_(role);
    full.role = role;
    const auto config = pooled_config(std::move(full));
    std::size_t kept = 0;
    std::erase_if(pooled_, [&](entry& e) {
      if (e.config.role != role) return false;
      if (fits(e, config)) {
        ++kept;
        return false;
      }
      e.stream->close(link::close_mode::abort);
      return true;
    });
    for (; kept < limits_.per_role; ++kept) {
      ++counters_.made;
      pooled_.push_back({config, ice_stream::gather_ahead(loop_, executor_, config)});
    }
  }
}

}  // namespace p2psip::nat
