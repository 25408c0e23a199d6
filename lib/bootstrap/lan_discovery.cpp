#include "bootstrap/lan_discovery.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>

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

lan_discovery::lan_discovery(boost::asio::any_io_executor executor, lan_discovery_options options,
                             peer_found_handler on_peer_found)
    : executor_(executor),
      options_(std::move(options)),
      on_peer_found_(std::move(on_peer_found)),
      overlay_(wire::hash_overlay_name(options_.overlay_name)),
      group_receiver_(executor),
      sender_(executor),
      announce_timer_(executor),
      watch_(
          executor, [this] { refresh_interfaces(); }, options_.watch),
      jitter_(std::random_device{}()) {
  options_.interval = std::max(options_.interval, min_interval);
}

lan_discovery::~lan_discovery() {
  stop();
  alive_.reset();
}

boost::system::error_code lan_discovery::open_sockets() {
  boost::system::error_code ec;
  const ip::udp::endpoint group_endpoint(options_.group, options_.port);
  // Bound to the group address, not 0.0.0.0, so unicast to the port is not ours.
  if (group_receiver_.socket.open(ip::udp::v4(), ec) ||
      group_receiver_.socket.set_option(ip::udp::socket::reuse_address(true), ec) ||
      group_receiver_.socket.bind(group_endpoint, ec)) {
    return ec;
  }
  if (sender_.socket.open(ip::udp::v4(), ec) ||
      sender_.socket.bind(ip::udp::endpoint(ip::address_v4::any(), 0), ec) ||
      sender_.socket.set_option(ip::multicast::hops(options_.ttl), ec) ||
      sender_.socket.set_option(ip::multicast::enable_loopback(options_.multicast_loopback), ec)) {
    return ec;
  }
  return ec;
}

void lan_discovery::close_sockets() {
  boost::system::error_code ignored;
  for (receiving_socket* r : {&group_receiver_, &sender_}) {
    r->retry_timer.cancel();
    r->socket.close(ignored);
  }
  sockets_open_ = false;
  joined_.clear();
}

// By interface index (ip_mreqn), not address: a membership can then be left
// after its address is gone, and no route to the group is needed.
bool lan_discovery::set_membership(int option, const network_interface& where) {
  ip_mreqn request{};
  request.imr_multiaddr.s_addr = htonl(options_.group.to_uint());
  request.imr_ifindex = static_cast<int>(where.index);
  const int rc = ::setsockopt(group_receiver_.socket.native_handle(), IPPROTO_IP, option, &request,
                              sizeof request);
  return rc == 0 || (option == IP_ADD_MEMBERSHIP && errno == EADDRINUSE);
}

void lan_discovery::start() {
  if (running_) return;
  running_ = true;
  watch_.start();
  refresh_interfaces();
  schedule_announcement();
}

void lan_discovery::refresh_interfaces() {
  if (!running_) return;
  if (!sockets_open_) {
    if (const auto ec = open_sockets()) {
      problem_ = "cannot open its sockets: " + ec.message();
      close_sockets();
      return;
    }
    sockets_open_ = true;
    receive_on(group_receiver_);
    receive_on(sender_);
  }
  const auto wanted = discovery_interfaces(options_.interface);
  std::erase_if(joined_, [&](const network_interface& had) {
    if (std::find(wanted.begin(), wanted.end(), had) != wanted.end()) return false;
    set_membership(IP_DROP_MEMBERSHIP, had);  // fails harmlessly once the interface is gone
    return true;
  });
  problem_.clear();
  for (const auto& candidate : wanted) {
    if (std::find(joined_.begin(), joined_.end(), candidate) != joined_.end()) continue;
    if (!set_membership(IP_ADD_MEMBERSHIP, candidate)) {
      problem_ = "cannot join the group on " + candidate.name + ": " +
                 boost::system::error_code(errno, boost::system::system_category()).message();
      continue;
    }
    joined_.push_back(candidate);
    // A network just joined: ask who is there rather than wait an interval.
    send_on(candidate, discovery_message::query);
    ++counters_.queries_sent;
    last_query_ = clock::now();
  }
  if (joined_.empty() && problem_.empty()) {
    problem_ = options_.interface.empty()
                   ? "no usable interface (up, multicast, with an IPv4 address)"
                   : "interface " + options_.interface + " is absent or has no IPv4 address";
  }
}

lan_discovery_status lan_discovery::status() const {
  lan_discovery_status status;
  for (const auto& where : joined_) status.interfaces.push_back(where.name);
  status.state = !running_        ? "off"
                 : !sockets_open_ ? "failed"
                 : joined_.empty() ? "waiting"
                                   : "running";
  status.problem = joined_.empty() ? problem_ : std::string();
  return status;
}

void lan_discovery::stop() {
  running_ = false;
  announce_timer_.cancel();
  watch_.stop();
  close_sockets();
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
  for (const auto& where : joined_) send_on(where, type);
}

void lan_discovery::send_on(const network_interface& where, discovery_message type) {
  // The index picks the interface, the address the datagrams' source (the
  // address receivers dial back when the record carries none).
  ip_mreqn outbound{};
  outbound.imr_ifindex = static_cast<int>(where.index);
  outbound.imr_address.s_addr = htonl(where.address.to_uint());
  if (::setsockopt(sender_.socket.native_handle(), IPPROTO_IP, IP_MULTICAST_IF, &outbound,
                   sizeof outbound) != 0) {
    return;  // the interface just went away; the watch will say so
  }
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
  if (!running_ || joined_.empty() ||
      (counters_.queries_sent > 0 && now - last_query_ < options_.min_query_gap)) {
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
