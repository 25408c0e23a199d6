// Zero-configuration discovery of the peers of one overlay on the local
// network, by IPv4 multicast (default group 239.192.0.84, port 6085, TTL 1).
//
// Each node announces itself to the group at a jittered interval, and on
// start (or when asked) sends a query that members answer by unicast, so a
// new node finds the others within a round trip instead of an interval.
// What it learns is only a candidate: the overlay's TLS handshake, not this
// unauthenticated datagram, proves who a peer is.
//
// Two sockets, so that several daemons can share one host: a receiver bound
// to GROUP:PORT (SO_REUSEADDR, shared by all of them) that hears the group,
// and a sender on an ephemeral port of its own, from which announcements and
// queries go out and to which answers come back. Unicast to a shared port
// would reach only one of the daemons.
//
// It follows the host's interfaces (interface_watch): the group is joined,
// and records are sent, on each usable interface by index, so it needs no
// default or multicast route, starts when the first interface comes up and
// stops using one that goes away.
//
// Bounded: the peer table holds at most max_peers entries; answers are
// capped per second; a peer is reported again only when it changed address
// or was silent for three intervals. It never logs: callers read counters().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bootstrap/discovery_record.hpp"
#include "bootstrap/interface_watch.hpp"
#include "bootstrap/network_interfaces.hpp"

namespace p2psip::bootstrap {

struct lan_discovery_options {
  std::string overlay_name;
  wire::node_id self;
  // The overlay's TLS listener. Unspecified (0.0.0.0) lets each receiver use
  // the address the datagram came from.
  boost::asio::ip::address advertised_address;
  std::uint16_t overlay_port = 0;

  boost::asio::ip::address_v4 group = boost::asio::ip::make_address_v4("239.192.0.84");
  std::uint16_t port = 6085;
  std::chrono::milliseconds interval{10000};
  // IPv4 address or interface name (e.g. "eth0", "lo"); empty: every usable
  // interface (see discovery_interfaces()).
  std::string interface;
  std::uint8_t ttl = 1;
  // Lets daemons on the same host hear each other.
  bool multicast_loopback = true;

  std::size_t max_peers = 256;
  unsigned max_answers_per_second = 20;
  std::chrono::milliseconds min_query_gap{1000};
  interface_watch_options watch;
};

// What node.status reports: "running" on at least one interface, "waiting"
// for a usable one, or "failed" to open its sockets (retried on each change).
struct lan_discovery_status {
  std::string state;
  std::vector<std::string> interfaces;
  std::string problem;  // why it is not running, empty when it is
};

struct lan_discovery_counters {
  std::uint64_t announcements_sent = 0;
  std::uint64_t queries_sent = 0;
  std::uint64_t answers_sent = 0;
  std::uint64_t answers_suppressed = 0;  // over the per-second cap
  std::uint64_t records_accepted = 0;
  std::uint64_t ignored_junk = 0;           // not a valid record
  std::uint64_t ignored_other_overlay = 0;  // valid, another overlay's
  std::uint64_t ignored_own = 0;            // our own, looped back
  std::uint64_t peers_reported = 0;
};

class lan_discovery {
 public:
  using peer_found_handler = std::function<void(
      const wire::node_id& node, const boost::asio::ip::address& address, std::uint16_t port)>;

  // Callbacks run on `executor`; so does everything else.
  lan_discovery(boost::asio::any_io_executor executor, lan_discovery_options options,
                peer_found_handler on_peer_found);
  ~lan_discovery();
  lan_discovery(const lan_discovery&) = delete;
  lan_discovery& operator=(const lan_discovery&) = delete;

  // Watches the interfaces, opens both sockets, joins the group on every
  // usable interface, sends a query and starts the announcements. What
  // fails (no interface yet, a socket error) is retried when the interfaces
  // change, and shows in status().
  void start();
  // Asks the group who is there now. Returns false when it was sent less
  // than min_query_gap ago (and so was not sent again).
  bool query();
  void stop();

  // The sender's local endpoint (the port answers come back to).
  boost::asio::ip::udp::endpoint local_endpoint() const;
  const lan_discovery_counters& counters() const noexcept { return counters_; }
  lan_discovery_status status() const;
  // Rereads the interfaces and follows them; interface_watch calls it.
  void refresh_interfaces();

 private:
  struct known_peer {
    boost::asio::ip::address address;
    std::uint16_t port = 0;
    std::chrono::steady_clock::time_point last_heard;
  };

  boost::system::error_code open_sockets();
  void close_sockets();
  bool set_membership(int option, const network_interface& where);
  void send_to_group(discovery_message type);
  void send_on(const network_interface& where, discovery_message type);
  void send_answer(const boost::asio::ip::udp::endpoint& querier);
  discovery_record own_record(discovery_message type) const;
  void schedule_announcement();
  // A socket with its own receive state: both receive at once.
  struct receiving_socket {
    explicit receiving_socket(const boost::asio::any_io_executor& executor)
        : socket(executor), retry_timer(executor) {}
    boost::asio::ip::udp::socket socket;
    std::array<std::uint8_t, 512> buffer{};  // records are at most 45 bytes
    boost::asio::ip::udp::endpoint from;
    boost::asio::steady_timer retry_timer;
  };
  void receive_on(receiving_socket& receiver);
  void handle_datagram(std::span<const std::uint8_t> datagram,
                       const boost::asio::ip::udp::endpoint& from);
  void remember(const wire::node_id& node, const boost::asio::ip::address& address,
                std::uint16_t port);
  bool take_answer_token();

  boost::asio::any_io_executor executor_;
  lan_discovery_options options_;
  peer_found_handler on_peer_found_;
  wire::overlay_hash overlay_;

  receiving_socket group_receiver_;
  receiving_socket sender_;
  boost::asio::steady_timer announce_timer_;
  interface_watch watch_;
  bool sockets_open_ = false;
  // The interfaces the group is joined on, by name.
  std::vector<network_interface> joined_;
  std::string problem_;

  std::map<wire::node_id, known_peer> peers_;
  std::chrono::steady_clock::time_point last_query_{};
  std::chrono::steady_clock::time_point answer_window_start_{};
  unsigned answers_in_window_ = 0;
  std::minstd_rand jitter_;
  lan_discovery_counters counters_;
  bool running_ = false;
  // Handlers still queued after destruction see this expire and do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::bootstrap
