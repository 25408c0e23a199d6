#include "nat/relay_pool.hpp"

#include <algorithm>

#include "nat/turn_credentials.hpp"
#include "runtime/wire_endpoint.hpp"

namespace p2psip::nat {

namespace {

// Credentials this close to expiry are asked for again: an agent's
// allocation must be refreshed with them for a while yet.
constexpr std::int64_t renew_margin_s = 600;

}  // namespace

relay_pool::relay_pool(turn_service& service, const wire::node_id& self, unix_seconds now,
                       std::size_t wanted)
    : service_(service), self_(self), now_(std::move(now)), wanted_(wanted) {}

relay_pool::~relay_pool() { *alive_ = false; }

void relay_pool::refresh(const std::vector<wire::node_id>& direct) {
  const auto now = now_();
  std::erase_if(held_, [now](const credentials_held& h) { return h.expiry - now < renew_margin_s; });
  if (waiting_ > 0 || held_.size() >= wanted_) return;
  for (const auto& node : direct) {
    if (held_.size() + waiting_ >= wanted_) return;
    ask(node);
  }
  ++waiting_;
  // A find that meets only this node's own relay, or ones held already,
  // keeps probing.
  service_.find(
      [this, alive = alive_](const std::vector<found_relay>& found) {
        if (!*alive) return;
        --waiting_;
        ask_found(found);
      },
      [this](const found_relay& relay) { return usable(relay); });
}

void relay_pool::ask_now(const std::vector<wire::node_id>& direct,
                         std::function<void()> answered) {
  auto left = std::make_shared<std::size_t>(direct.size() + 1);
  auto one_done = [left, answered = std::move(answered)] {
    if (--*left == 0) answered();
  };
  for (const auto& node : direct) ask(node, one_done);
  one_done();
}

std::size_t relay_pool::drop_at(const boost::asio::ip::address& host) {
  return std::erase_if(held_, [this, &host](const credentials_held& h) {
    if (h.server.address() != host) return false;
    service_.forget(h.node);
    return true;
  });
}

bool relay_pool::usable(const found_relay& relay) const {
  return relay.node && *relay.node != self_ && !holds(*relay.node);
}

bool relay_pool::holds(const wire::node_id& node) const {
  return std::ranges::any_of(held_, [&](const credentials_held& h) { return h.node == node; });
}

void relay_pool::ask_found(const std::vector<found_relay>& found) {
  for (const auto& relay : found) {
    if (held_.size() + waiting_ >= wanted_) break;
    if (relay.node) ask(*relay.node);
  }
}

void relay_pool::ask(const wire::node_id& node, std::function<void()> then) {
  if (node == self_ || holds(node)) {
    if (then) then();
    return;
  }
  ++waiting_;
  service_.request_credentials(node, [this, alive = alive_, node, then = std::move(then)](auto answer) {
    if (!*alive) return;
    --waiting_;
    // Two asks of one relay may cross; one set of credentials is enough.
    if (answer && !holds(node)) take(node, *answer);
    // A relay that refuses or does not answer is offered no more until a
    // find sees it again.
    if (!answer) service_.forget(node);
    if (then) then();
  });
}

void relay_pool::take(const wire::node_id& node, const overlay_turn_credentials& credentials) {
  const auto expiry = turn_rest_expiry(credentials.username);
  if (!expiry) return;
  // The relay's UDP transport address (advertised with the No-ICE DTLS link
  // type); its TCP listener shares the port.
  for (const auto& candidate : credentials.candidates) {
    if (candidate.overlay_link != wire::overlay_link_type::dtls_udp_sr_no_ice) continue;
    const auto where = runtime::from_wire(candidate.addr_port);
    if (!where) continue;
    held_.push_back({node, transport_address(where->first, where->second), credentials.username,
                     credentials.password, *expiry});
    return;
  }
}

std::vector<turn_relay> relay_pool::relays() const {
  std::vector<turn_relay> out;
  for (const auto transport : {turn_transport::udp, turn_transport::tcp}) {
    for (const auto& h : held_) out.push_back({h.server, h.username, h.password, transport});
  }
  return out;
}

}  // namespace p2psip::nat
