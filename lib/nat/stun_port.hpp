// A UDP socket that is a STUN server and a STUN client (RFC 5389) at once.
//
// Served: Binding requests get XOR-MAPPED-ADDRESS and FINGERPRINT (through
// stun_responder); everything else is dropped. p2psipd opens one on the UDP
// twin of its overlay port, which makes every daemon a STUN server for the
// peers linked to it (RFC 6940 §6.5.1.4).
//
// Asked: ask() sends a Binding request from this same socket to a server
// and reports this node's reflexive transport address as that server sees
// it, retransmitting as §7.2.1 does (RTO 500 ms, doubling) but giving up
// after `max_requests` (3, so 3.5 s at most): a caller that compares
// reflexive addresses needs an answer soon, not after §7.2.1's 39.5 s.
//
// Threading: construct, call and destroy on the io_context's thread; every
// callback runs there. Callbacks never run after close() or destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "nat/stun_responder.hpp"

namespace p2psip::nat {

struct stun_port_config {
  binding_options binding;
  std::chrono::milliseconds initial_rto{500};
  unsigned max_requests = 3;
};

struct stun_port_counters {
  std::uint64_t answered = 0;  // Binding requests served
  std::uint64_t dropped = 0;   // anything else that arrived
  std::uint64_t asked = 0;     // ask() calls
  std::uint64_t mapped = 0;    // of those, answered with an address
};

class stun_port {
 public:
  using endpoint = boost::asio::ip::udp::endpoint;
  using mapped_handler = std::function<void(std::optional<endpoint> reflexive)>;

  // Binds at once; throws boost::system::system_error when it cannot.
  stun_port(boost::asio::io_context& io, const endpoint& bind, stun_port_config config = {});
  ~stun_port();
  stun_port(const stun_port&) = delete;
  stun_port& operator=(const stun_port&) = delete;

  endpoint local_endpoint() const { return socket_.local_endpoint(); }
  void start();
  // Closes the socket; pending ask() calls are dropped without a callback.
  void close();

  // This node's address as `server` sees it, or nullopt when it did not
  // answer with one after every retransmission.
  void ask(const endpoint& server, mapped_handler done);

  const stun_port_counters& counters() const noexcept { return counters_; }

 private:
  struct pending_request {
    endpoint server;
    std::vector<std::uint8_t> request;
    unsigned sent = 0;
    std::chrono::milliseconds rto;
    std::unique_ptr<boost::asio::steady_timer> timer;
    mapped_handler done;
  };

  void receive();
  void on_datagram(std::size_t size);
  void transmit(const transaction_id& id);
  void finish(const transaction_id& id, std::optional<endpoint> reflexive);

  boost::asio::io_context& io_;
  boost::asio::ip::udp::socket socket_;
  stun_port_config config_;
  stun_responder responder_;
  std::vector<std::uint8_t> buffer_;
  endpoint source_;
  std::map<transaction_id, pending_request> pending_;
  stun_port_counters counters_;
  // Lets handlers already queued see that the port is closed or gone.
  std::shared_ptr<bool> open_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::nat
