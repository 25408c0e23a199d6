// Where a phone's RTP and RTCP go, and which datagrams are the phone's:
// symmetric RTP (comedia, RFC 4961). Until the phone sends, its SDP's address
// is used (RTCP on the port above, RFC 3550 §11, unless it muxes); the first
// valid packet then fixes the source for good (until relearn(), for a new
// offer), and packets from anywhere else are not the phone's. A phone whose
// SDP names an address it does not send from still works. Who may race the
// phone's first packet is decided by the address the leg binds (loopback
// for a local phone). Pure logic: media_leg feeds it.
#pragma once

#include <cstdint>
#include <optional>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "media/rtp_classifier.hpp"

namespace p2psip::media {

class phone_address {
 public:
  using endpoint = boost::asio::ip::udp::endpoint;

  // From the phone's SDP: c= and the m-line's port. An unspecified address
  // (RFC 2543 hold), no address (a host name) or port 0 gives no endpoint.
  void expect(const std::optional<boost::asio::ip::address>& address, std::uint16_t port,
              bool rtcp_mux);

  // A valid packet of `kind` (rtp or rtcp) came from `source` on the RTP
  // socket (`on_rtcp_port` false) or the RTCP one: whether it is the phone's.
  // RTP latches the RTP source; RTCP latches the RTCP source, from the RTP
  // source's address when that is known.
  bool accept(packet_kind kind, const endpoint& source, bool on_rtcp_port);

  std::optional<endpoint> rtp_destination() const;
  std::optional<endpoint> rtcp_destination() const;
  // RTCP goes to the phone on the RTP port.
  bool rtcp_mux() const noexcept { return rtcp_mux_; }
  bool latched() const noexcept { return rtp_source_.has_value(); }

  // Learn again from the next packet (a re-INVITE may move the phone).
  void relearn() noexcept;

 private:
  std::optional<endpoint> sdp_rtp_;
  bool rtcp_mux_ = false;
  std::optional<endpoint> rtp_source_;
  std::optional<endpoint> rtcp_source_;
};

}  // namespace p2psip::media
