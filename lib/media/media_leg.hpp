// The phone-facing side of one anchored stream: a UDP socket pair (RTP on
// an even port, RTCP on the one above) on the daemon's address, bound from
// a port_range or on ephemeral ports. What the phone sends (valid RTP or
// RTCP from the phone's address, see phone_address) goes to the sink; what
// the far side sends goes to the phone with send_to_phone. Anything else is
// counted and dropped.
//
// Threading: construct, call and destroy on the io_context's thread; the
// sink runs there. The sink is never called after close() or destruction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "media/phone_address.hpp"
#include "media/port_range.hpp"
#include "media/rtp_classifier.hpp"

namespace p2psip::media {

struct media_leg_counters {
  std::uint64_t rtp_in = 0;  // from the phone, to the sink
  std::uint64_t rtcp_in = 0;
  std::uint64_t invalid = 0;  // neither valid RTP nor valid RTCP
  std::uint64_t foreign = 0;  // valid, but not from the phone's address
  std::uint64_t rtp_out = 0;  // sent to the phone
  std::uint64_t rtcp_out = 0;
  std::uint64_t unsent = 0;  // no address for the phone yet, or the send failed
};

class media_leg {
 public:
  using endpoint = boost::asio::ip::udp::endpoint;
  // kind is rtp or rtcp; the bytes are valid only during the call.
  using packet_sink = std::function<void(packet_kind kind, std::span<const std::uint8_t> packet)>;

  // Ephemeral ports: an even one with the one above free (a few tries).
  // Throws boost::system::system_error when no pair can be bound.
  media_leg(boost::asio::io_context& io, const boost::asio::ip::address& bind_address,
            packet_sink sink);
  // Ports from `ports` (which must outlive the leg): the first pair that
  // binds. Throws system_error (address_in_use) when none does; close() or
  // destruction gives the port back.
  media_leg(boost::asio::io_context& io, const boost::asio::ip::address& bind_address,
            port_range& ports, packet_sink sink);
  ~media_leg();
  media_leg(const media_leg&) = delete;
  media_leg& operator=(const media_leg&) = delete;

  // The RTP port, for the m-line toward the phone; RTCP is on port() + 1.
  std::uint16_t port() const noexcept { return port_; }
  endpoint rtp_endpoint() const;

  void start();
  // The phone's SDP (its offer or answer), see phone_address::expect.
  void expect_phone(const std::optional<boost::asio::ip::address>& address, std::uint16_t port,
                    bool rtcp_mux);
  // A re-offer: learn the phone's source again.
  void relearn_phone() { phone_.relearn(); }

  // One RTP or RTCP packet to the phone; dropped (counted in unsent) while
  // the phone has no address. Never blocks: UDP semantics.
  void send_to_phone(packet_kind kind, std::span<const std::uint8_t> packet);

  // Closes both sockets and gives the port back; idempotent.
  void close();

  const media_leg_counters& counters() const noexcept { return counters_; }
  const phone_address& phone() const noexcept { return phone_; }

 private:
  struct socket_side {
    explicit socket_side(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    std::vector<std::uint8_t> buffer;
    endpoint source;
  };

  media_leg(boost::asio::io_context& io, packet_sink sink);
  bool bind_pair(const boost::asio::ip::address& address, std::uint16_t port);
  void receive(socket_side& side, bool rtcp_port);
  void on_datagram(std::size_t size, socket_side& side, bool rtcp_port);

  socket_side rtp_;
  socket_side rtcp_;
  packet_sink sink_;
  port_range* ports_ = nullptr;  // where port_ goes back, when it came from one
  std::uint16_t port_ = 0;
  phone_address phone_;
  media_leg_counters counters_;
  // Lets handlers already queued see that the leg is closed or gone.
  std::shared_ptr<bool> open_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::media
