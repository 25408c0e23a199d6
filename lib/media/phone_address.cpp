#include "media/phone_address.hpp"

namespace p2psip::media {

namespace {

// RTCP's default port is RTP's plus one (RFC 3550 §11); none above 65535.
std::optional<phone_address::endpoint> next_port(const phone_address::endpoint& rtp) {
  if (rtp.port() == 65535) return std::nullopt;
  return phone_address::endpoint(rtp.address(), static_cast<std::uint16_t>(rtp.port() + 1));
}

}  // namespace

void phone_address::expect(const std::optional<boost::asio::ip::address>& address,
                           std::uint16_t port, bool rtcp_mux) {
  rtcp_mux_ = rtcp_mux;
  if (address && !address->is_unspecified() && port != 0) {
    sdp_rtp_ = endpoint(*address, port);
  } else {
    sdp_rtp_.reset();
  }
}

bool phone_address::accept(packet_kind kind, const endpoint& source, bool on_rtcp_port) {
  if (kind != packet_kind::rtp && kind != packet_kind::rtcp) return false;
  if (!on_rtcp_port) {
    // RTP, or RTCP muxed onto the RTP port: one source for both.
    if (!rtp_source_) rtp_source_ = source;
    return *rtp_source_ == source;
  }
  if (kind != packet_kind::rtcp) return false;
  if (rtp_source_ && source.address() != rtp_source_->address()) return false;
  if (!rtcp_source_) rtcp_source_ = source;
  return *rtcp_source_ == source;
}

std::optional<phone_address::endpoint> phone_address::rtp_destination() const {
  return rtp_source_ ? rtp_source_ : sdp_rtp_;
}

std::optional<phone_address::endpoint> phone_address::rtcp_destination() const {
  if (rtcp_mux_) return rtp_destination();
  if (rtcp_source_) return rtcp_source_;
  if (sdp_rtp_) return next_port(*sdp_rtp_);
  if (rtp_source_) return next_port(*rtp_source_);
  return std::nullopt;
}

void phone_address::relearn() noexcept {
  rtp_source_.reset();
  rtcp_source_.reset();
}

}  // namespace p2psip::media
