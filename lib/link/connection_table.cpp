#include "link/connection_table.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "link/dtls_link.hpp"

namespace p2psip::link {

namespace asio = boost::asio;

namespace {
// The Node-ID a link is filed under: the one we dialled, or the first the
// peer's certificate carries.
std::optional<wire::node_id> peer_key(const overlay_link& link) {
  if (link.expected_peer()) return link.expected_peer();
  if (!link.peer_node_ids().empty()) return link.peer_node_ids().front();
  return std::nullopt;
}
}  // namespace

connection_table::connection_table(asio::io_context& io, const tls_context& context,
                                   const wire::node_id& local, link_config config,
                                   link_callbacks callbacks)
    : io_(io),
      context_(context),
      local_(local),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      ticker_(io),
      pacer_(io),
      alive_(std::make_shared<connection_table*>(this)) {
  schedule_tick();
}

connection_table::~connection_table() {
  callbacks_ = {};  // the overlay may already be gone
  awaiting_identity_.clear();
  close_all();
  ticker_.cancel();
  alive_.reset();
  closed_.clear();
}

asio::ip::tcp::endpoint connection_table::listen(const asio::ip::tcp::endpoint& endpoint) {
  std::weak_ptr<connection_table*> alive = alive_;
  listener_ = tcp_listener::open(
      io_, endpoint, config_.close_linger,
      [alive](std::shared_ptr<tcp_stream> stream) {
        if (auto self = alive.lock()) (*self)->adopt(std::move(stream), tls_role::server, {});
      },
      [alive](const std::string& reason) {
        if (auto self = alive.lock()) (*self)->context_.log(log_level::warning, reason);
      });
  return listener_->local_endpoint();
}

void connection_table::connect(const wire::node_id& peer, const asio::ip::tcp::endpoint& endpoint) {
  std::weak_ptr<connection_table*> alive = alive_;
  tcp_connect(io_, endpoint, config_.close_linger,
              [alive, peer](std::shared_ptr<tcp_stream> stream, const std::string& error) {
                auto self = alive.lock();
                if (!self) return;
                if (!stream) {
                  (*self)->context_.log(log_level::warning,
                                        "link to " + peer.hex() + " not opened: " + error);
                  if ((*self)->callbacks_.on_link_down)
                    (*self)->callbacks_.on_link_down(peer, error);
                  return;
                }
                (*self)->adopt(std::move(stream), tls_role::client, peer);
              });
}

void connection_table::connect_to_address(const asio::ip::tcp::endpoint& endpoint,
                                          identified_handler identified) {
  std::weak_ptr<connection_table*> alive = alive_;
  tcp_connect(io_, endpoint, config_.close_linger,
              [alive, identified = std::move(identified)](std::shared_ptr<tcp_stream> stream,
                                                          const std::string& error) mutable {
                auto self = alive.lock();
                if (!self) return;
                if (!stream) {
                  if (identified) identified(std::nullopt, error);
                  return;
                }
                (*self)->adopt(std::move(stream), tls_role::client, std::nullopt,
                               std::move(identified));
              });
}

connection_table::identified_handler connection_table::take_identified_handler(
    const overlay_link& link) {
  const auto it = awaiting_identity_.find(&link);
  if (it == awaiting_identity_.end()) return nullptr;
  auto handler = std::move(it->second);
  awaiting_identity_.erase(it);
  return handler;
}

void connection_table::adopt(std::shared_ptr<tcp_stream> stream, tls_role role,
                             std::optional<wire::node_id> expected, identified_handler identified) {
  overlay_link::observer& observer = *this;
  auto link = std::make_unique<tls_link>(std::move(stream), context_, role, expected, config_,
                                         observer, [] { return link_clock::now(); });
  overlay_link& ref = *link;
  links_.emplace(&ref, std::move(link));
  if (identified) awaiting_identity_.emplace(&ref, std::move(identified));
  ref.start();
}

void connection_table::adopt_path(std::shared_ptr<datagram_path> path, const tls_context& dtls,
                                  tls_role role, const wire::node_id& peer) {
  overlay_link::observer& observer = *this;
  std::unique_ptr<overlay_link> link;
  try {
    link = std::make_unique<dtls_link>(std::move(path), dtls, role, peer, config_, observer,
                                       [] { return link_clock::now(); });
  } catch (const tls_error& e) {
    context_.log(log_level::warning, "no DTLS link to " + peer.hex() + ": " + e.what());
    return;
  }
  overlay_link& ref = *link;
  links_.emplace(&ref, std::move(link));
  ref.start();
}

std::optional<std::string> connection_table::protocol(const wire::node_id& peer) const {
  const auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return std::nullopt;
  return it->second->protocol();
}

std::optional<std::size_t> connection_table::max_message_size(const wire::node_id& peer) const {
  const auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return std::nullopt;
  return it->second->max_message_size();
}

send_result connection_table::send(const wire::node_id& peer, std::vector<std::uint8_t> message) {
  const auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return send_result::not_connected;
  return it->second->send(std::move(message));
}

void connection_table::close(const wire::node_id& peer) {
  if (const auto it = by_peer_.find(peer); it != by_peer_.end()) {
    it->second->close("closed by the overlay");
  }
}

void connection_table::close_all() {
  if (listener_) {
    listener_->close();
    listener_.reset();
  }
  std::vector<overlay_link*> open;
  for (const auto& entry : links_) open.push_back(entry.first);
  for (overlay_link* link : open) link->close("shutting down");
}

std::optional<link_stats> connection_table::stats(const wire::node_id& peer) const {
  const auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return std::nullopt;
  return it->second->stats();
}

void connection_table::schedule_tick() {
  ticker_.expires_after(config_.tick_interval);
  ticker_.async_wait(
      [alive = std::weak_ptr<connection_table*>(alive_)](boost::system::error_code ec) {
        auto self = alive.lock();
        if (ec || !self) return;
        connection_table& table = **self;
        table.reap();
        table.close_drained();
        table.tick_links();
        table.schedule_tick();
      });
}

void connection_table::reap() { closed_.clear(); }

void connection_table::on_link_deadline(overlay_link&, link_time when) {
  // Beyond the next tick, the tick will do.
  if (when - link_clock::now() >= config_.tick_interval) return;
  if (pace_at_ && *pace_at_ <= when) return;
  schedule_pace(when);
}

void connection_table::schedule_pace(link_time when) {
  pace_at_ = when;
  pacer_.expires_at(when);
  pacer_.async_wait([alive = std::weak_ptr<connection_table*>(alive_)](boost::system::error_code ec) {
    auto self = alive.lock();
    if (ec || !self) return;
    connection_table& table = **self;
    table.pace_at_.reset();
    table.tick_links();
  });
}

void connection_table::tick_links() {
  // Ticks may close links; closed ones wait in closed_, so these stay valid.
  std::vector<overlay_link*> open;
  for (const auto& entry : links_) open.push_back(entry.first);
  for (overlay_link* link : open) link->tick();
}

const wire::node_id* connection_table::registered_id(const overlay_link& link) const {
  const auto key = peer_key(link);
  if (!key) return nullptr;
  const auto it = by_peer_.find(*key);
  return it != by_peer_.end() && it->second == &link ? &it->first : nullptr;
}

std::optional<wire::node_id> connection_table::delivering_id(overlay_link& link) const {
  if (const auto* peer = registered_id(link)) return *peer;
  if (draining_.contains(&link)) return peer_key(link);
  return std::nullopt;
}

bool connection_table::keeps_existing(const overlay_link& existing,
                                      const wire::node_id& peer) const {
  // Both ends must keep the same link: the one opened by the lower Node-ID.
  const auto opener = existing.role() == tls_role::client ? local_ : peer;
  return opener == std::min(local_, peer);
}

void connection_table::drain_then_close(overlay_link& link) {
  draining_.emplace(&link, link_clock::now() + config_.crossed_link_drain);
}

void connection_table::close_drained() {
  const auto now = link_clock::now();
  std::vector<overlay_link*> due;
  for (const auto& [link, deadline] : draining_) {
    if (deadline <= now) due.push_back(link);
  }
  for (overlay_link* link : due) link->close("duplicate link drained");
}

void connection_table::on_link_established(overlay_link& link) {
  const wire::node_id peer = *peer_key(link);
  if (auto identified = take_identified_handler(link)) identified(peer, {});
  if (const auto it = by_peer_.find(peer); it != by_peer_.end()) {
    overlay_link& existing = *it->second;
    if (existing.role() == link.role()) {
      // A redial from the same end: the old link is likely dead.
      it->second = &link;  // the peer stays up: no events
      existing.close("replaced by a newer link to " + peer.hex());
    } else if (keeps_existing(existing, peer)) {
      // Crossed dials: what the peer sent on its own link before it learnt
      // of the kept one still arrives, so no transaction is lost.
      drain_then_close(link);
    } else {
      it->second = &link;
      drain_then_close(existing);
    }
    return;
  }
  by_peer_.emplace(peer, &link);
  if (callbacks_.on_link_up) callbacks_.on_link_up(peer);
}

void connection_table::on_link_message(overlay_link& link, std::vector<std::uint8_t> message) {
  if (const auto peer = delivering_id(link); peer && callbacks_.on_message) {
    callbacks_.on_message(*peer, std::move(message));
  }
}

void connection_table::on_link_responsiveness(overlay_link& link, bool responsive) {
  if (const auto* peer = registered_id(link);
      peer != nullptr && callbacks_.on_link_responsiveness) {
    callbacks_.on_link_responsiveness(*peer, responsive);
  }
}

void connection_table::on_link_idle(overlay_link& link) {
  if (const auto* peer = registered_id(link); peer != nullptr && callbacks_.on_keepalive_due) {
    callbacks_.on_keepalive_due(*peer);
  } else {
    link.send_keepalive();
  }
}

void connection_table::on_link_closed(overlay_link& link, const std::string& reason) {
  std::optional<wire::node_id> down;
  if (const auto* peer = registered_id(link)) {
    down = *peer;
    by_peer_.erase(*down);
  } else if (link.peer_node_ids().empty() && link.expected_peer() &&
             !by_peer_.contains(*link.expected_peer())) {
    // A connect() that never came up. Not while another link to that peer
    // is up (discovery dialled it while ICE was checking, say): the overlay
    // would drop a live peer from its tables, and only an Update from that
    // peer, minutes away with self-tuning, would bring it back.
    down = link.expected_peer();
  }
  if (auto identified = take_identified_handler(link)) identified(std::nullopt, reason);
  draining_.erase(&link);
  if (const auto it = links_.find(&link); it != links_.end()) {
    closed_.push_back(std::move(it->second));
    links_.erase(it);
  }
  asio::post(io_, [alive = std::weak_ptr<connection_table*>(alive_)] {
    if (auto self = alive.lock()) (*self)->reap();
  });
  if (down && callbacks_.on_link_down) callbacks_.on_link_down(*down, reason);
}

}  // namespace p2psip::link
