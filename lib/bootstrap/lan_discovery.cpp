#include "bootstrap/lan_discovery.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include <boost/asio/ip/multicast.hpp>

#include "wire/id_hash.hpp"

namespace p2psip::bootstrap {
namespace {

namespace ip = boost::asio::ip;
using clock = std::chrono::steady_clock;

// Announcing faster than this floods a LAN for no gain.
constexpr std::chrono::milliseconds min_interval{100};
// After a receive error (e.g. ICMP port unreachable reported on the sender)
// wait a little before receiving again, so a persistent error cannot spin.
constexpr std::chrono::milliseconds receive_retry_delay{100};

}  // namespace

std::optional<ip::address_v4> interface_ipv4_address(const std::string& name) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<ip::address_v4> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || name != i->ifa_name)
      continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    found = ip::address_v4(ntohl(in->sin_addr.s_addr));
  }
  ::freeifaddrs(list);
  return found;
}

lan_discovery::lan_discovery(boost::asio::any_io_executor executor, lan_discovery_options options,
                             peer_found_handler on_peer_found)
    : executor_(executor),
      options_(std::move(options)),
      on_peer_found_(std::move(on_peer_found)),
      overlay_(wire::hash_overlay_name(options_.overlay_name)),
      group_receiver_(executor),
      sender_(executor),
      announce_timer_(executor),
      jitter_(std::random_device{}()) {
  options_.interval = std::max(options_.interval, min_interval);
}

lan_discovery::~lan_discovery() {
  stop();
  alive_.reset();
}

boost::system::error_code lan_discovery::open_sockets() {
  boost::system::error_code ec;
  std::optional<ip::address_v4> interface_address;
  if (!options_.interface.empty()) {
    const auto literal = ip::make_address_v4(options_.interface, ec);
    interface_address = ec ? interface_ipv4_address(options_.interface) : literal;
    if (!interface_address) return make_error_code(boost::system::errc::no_such_device);
    ec.clear();
  }

  const ip::udp::endpoint group_endpoint(options_.group, options_.port);
  // Bound to the group address, not 0.0.0.0, so unicast to the port is not ours.
  if (group_receiver_.socket.open(ip::udp::v4(), ec) ||
      group_receiver_.socket.set_option(ip::udp::socket::reuse_address(true), ec) ||
      group_receiver_.socket.bind(group_endpoint, ec)) {
    return ec;
  }
  if (interface_address) {
    group_receiver_.socket.set_option(ip::multicast::join_group(options_.group, *interface_address),
                                      ec);
  } else {
    group_receiver_.socket.set_option(ip::multicast::join_group(options_.group), ec);
  }
  if (ec) return ec;

  const ip::udp::endpoint sender_endpoint(interface_address.value_or(ip::address_v4::any()), 0);
  if (sender_.socket.open(ip::udp::v4(), ec) || sender_.socket.bind(sender_endpoint, ec) ||
      sender_.socket.set_option(ip::multicast::hops(options_.ttl), ec) ||
      sender_.socket.set_option(ip::multicast::enable_loopback(options_.multicast_loopback), ec)) {
    return ec;
  }
  if (interface_address) {
    sender_.socket.set_option(ip::multicast::outbound_interface(*interface_address), ec);
  }
  return ec;
}

boost::system::error_code lan_discovery::start() {
  if (running_) return {};
  if (auto ec = open_sockets()) {
    stop();
    return ec;
  }
  running_ = true;
  receive_on(group_receiver_);
  receive_on(sender_);
  query();
  schedule_announcement();
  return {};
}

void lan_discovery::stop() {
  running_ = false;
  boost::system::error_code ignored;
  announce_timer_.cancel();
  for (receiving_socket* r : {&group_receiver_, &sender_}) {
    r->retry_timer.cancel();
    r->socket.close(ignored);
  }
}

ip::udp::endpoint lan_discovery::local_endpoint() const {
  boost::system::error_code ec;
  return sender_.socket.local_endpoint(ec);
}

discovery_record lan_discovery::own_record(discovery_message type) const {
  discovery_record record;
  record.type = type;
  record.overlay = overlay_;
  record.node = options_.self;
  if (!options_.advertised_address.is_unspecified()) record.address = options_.advertised_address;
  record.port = options_.overlay_port;
  return record;
}

void lan_discovery::send_to_group(discovery_message type) {
  boost::system::error_code ec;
  // Datagrams this small never block; a failed send is retried next interval.
  sender_.socket.send_to(boost::asio::buffer(encode_discovery_record(own_record(type))),
                         ip::udp::endpoint(options_.group, options_.port), 0, ec);
}

void lan_discovery::send_answer(const ip::udp::endpoint& querier) {
  if (!take_answer_token()) {
    ++counters_.answers_suppressed;
    return;
  }
  boost::system::error_code ec;
  sender_.socket.send_to(
      boost::asio::buffer(encode_discovery_record(own_record(discovery_message::answer))), querier,
      0, ec);
  if (!ec) ++counters_.answers_sent;
}

bool lan_discovery::take_answer_token() {
  const auto now = clock::now();
  if (now - answer_window_start_ >= std::chrono::seconds(1)) {
    answer_window_start_ = now;
    answers_in_window_ = 0;
  }
  if (answers_in_window_ >= options_.max_answers_per_second) return false;
  ++answers_in_window_;
  return true;
}

bool lan_discovery::query() {
  const auto now = clock::now();
  if (!running_ || (counters_.queries_sent > 0 && now - last_query_ < options_.min_query_gap)) {
    return false;
  }
  last_query_ = now;
  send_to_group(discovery_message::query);
  ++counters_.queries_sent;
  return true;
}

void lan_discovery::schedule_announcement() {
  // ±25% so that boxes powered on together do not announce in lockstep.
  std::uniform_real_distribution<double> spread(0.75, 1.25);
  announce_timer_.expires_after(
      std::chrono::duration_cast<clock::duration>(options_.interval * spread(jitter_)));
  announce_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || ec || !running_) return;
        send_to_group(discovery_message::announcement);
        ++counters_.announcements_sent;
        schedule_announcement();
      });
}

void lan_discovery::receive_on(receiving_socket& receiver) {
  receiver.socket.async_receive_from(
      boost::asio::buffer(receiver.buffer), receiver.from,
      [this, &receiver, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec,
                                                             std::size_t size) {
        if (alive.expired() || !running_ || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          receiver.retry_timer.expires_after(receive_retry_delay);
          receiver.retry_timer.async_wait(
              [this, &receiver, alive](const boost::system::error_code& timer_ec) {
                if (!alive.expired() && !timer_ec && running_) receive_on(receiver);
              });
          return;
        }
        handle_datagram(std::span<const std::uint8_t>(receiver.buffer.data(), size), receiver.from);
        // The peer callback may have stopped or destroyed us.
        if (!alive.expired() && running_) receive_on(receiver);
      });
}

void lan_discovery::handle_datagram(std::span<const std::uint8_t> datagram,
                                    const ip::udp::endpoint& from) {
  const auto record = decode_discovery_record(datagram);
  if (!record) {
    ++counters_.ignored_junk;
    return;
  }
  if (record->overlay != overlay_) {
    ++counters_.ignored_other_overlay;
    return;
  }
  if (record->node == options_.self) {
    ++counters_.ignored_own;
    return;
  }
  ++counters_.records_accepted;
  remember(record->node, record->address.value_or(from.address()), record->port);
  if (record->type == discovery_message::query) send_answer(from);
}

void lan_discovery::remember(const wire::node_id& node, const ip::address& address,
                             std::uint16_t port) {
  const auto now = clock::now();
  const auto it = peers_.find(node);
  if (it != peers_.end()) {
    known_peer& peer = it->second;
    const bool unchanged = peer.address == address && peer.port == port;
    const bool recent = now - peer.last_heard < 3 * options_.interval;
    peer.last_heard = now;
    if (unchanged && recent) return;
    peer.address = address;
    peer.port = port;
  } else {
    if (peers_.size() >= options_.max_peers) {
      const auto stalest = std::min_element(
          peers_.begin(), peers_.end(),
          [](const auto& a, const auto& b) { return a.second.last_heard < b.second.last_heard; });
      peers_.erase(stalest);
    }
    peers_.emplace(node, known_peer{address, port, now});
  }
  ++counters_.peers_reported;
  if (on_peer_found_) on_peer_found_(node, address, port);
}

}  // namespace p2psip::bootstrap
