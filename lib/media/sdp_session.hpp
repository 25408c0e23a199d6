// One SDP body (RFC 4566) on sofia-sip's SDP parser, and the two rewrites
// media anchoring needs (the body is printed by sofia, never edited as text):
//
// - toward_phone: what the local softphone sees. Every m-line's port is the
//   daemon's, c= is the daemon's address, and everything a plain RTP phone
//   does not need goes: a=crypto, k=, a=ice-*, a=candidate,
//   a=remote-candidates, a=end-of-candidates, a=rtcp, a=rtcp-mux(-only),
//   a=fingerprint, a=setup. The profile becomes RTP/AVP (RTP/AVPF where it
//   was a feedback profile, so that a=rtcp-fb keeps its meaning).
// - toward_daemon: what the far daemon sees. The same lines go, then each
//   m-line gets the caller's port, one a=crypto (RFC 4568), a=rtcp-mux
//   (RFC 5761), a=ice-ufrag, a=ice-pwd and a=candidate lines (RFC 8839);
//   the profile becomes RTP/SAVP (RTP/SAVPF for feedback profiles).
//
// Both keep formats, a=rtpmap and a=fmtp (telephone-event, RFC 4733, too),
// the direction attributes (hold: sendonly, inactive) and every other
// attribute. A rejected m-line (port 0) stays port 0; an m-line that is not
// RTP (T.38 over udptl, say, or formats that are not payload types) cannot
// be anchored and is made port 0.
//
// Errors are values (media_error), never exceptions; only allocation
// failure throws (std::bad_alloc). Thread: any one thread at a time; each
// session has its own su_home.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "media/media_error.hpp"
#include "media/sdes_crypto.hpp"
#include "nat/ice_candidate.hpp"

namespace p2psip::media {

inline constexpr std::size_t max_sdp_size = 64 * 1024;
inline constexpr std::size_t max_media_lines = 16;

enum class media_direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };

// "sendrecv", "sendonly", "recvonly", "inactive": the attribute's name.
const char* to_string(media_direction direction) noexcept;

// One m-line as parsed.
struct sdp_media {
  std::string type;        // "audio", "video", "image", ...
  std::uint16_t port = 0;  // 0: rejected
  std::string protocol;    // "RTP/AVP", "RTP/SAVPF", "udptl", ...
  bool is_rtp = false;     // an RTP profile whose formats are payload types (0-127)
  std::vector<std::string> formats;
  // The media-level c= address, else the session's; nothing when neither is
  // an IP literal (a host name: nothing here resolves DNS). 0.0.0.0 is kept:
  // it is RFC 2543 hold.
  std::optional<boost::asio::ip::address> connection;
  // Media level, else session level, else sendrecv (RFC 4566 §6).
  media_direction direction = media_direction::sendrecv;
  bool rtcp_mux = false;
  // The a=crypto lines this layer supports, in order; others are skipped
  // (an offer may list suites the answerer does not take, RFC 4568 §5.1.1).
  std::vector<sdes_crypto> crypto;
  // a=ice-ufrag and a=ice-pwd, media level else session level, when both are.
  std::optional<nat::ice_credentials> ice;
  // a=candidate lines of component 1 over UDP with an IP address (between
  // daemons RTCP is muxed); other and malformed candidates are skipped.
  std::vector<nat::ice_candidate> candidates;
};

// toward_phone's input.
struct phone_rewrite {
  boost::asio::ip::address address;  // where the daemon listens for the phone
  std::vector<std::uint16_t> ports;  // one per m-line, in order; unused for port-0 lines
};

// toward_daemon's input for one m-line.
struct daemon_media {
  std::uint16_t port = 0;  // the default candidate's port (RFC 8839 §4.2.1.1)
  sdes_crypto crypto;      // the key this daemon sends with
  nat::ice_description ice;
};

struct daemon_rewrite {
  boost::asio::ip::address address;  // the default candidate's address
  std::vector<daemon_media> media;   // one per m-line, in order
};

class sdp_session {
 public:
  // too_large (over max_sdp_size), unparsable (with sofia's reason),
  // no_media, too_many_media (over max_media_lines).
  static result<sdp_session> parse(std::string_view body);

  sdp_session(sdp_session&&) noexcept;
  sdp_session& operator=(sdp_session&&) noexcept;
  ~sdp_session();

  const std::vector<sdp_media>& media() const noexcept { return media_; }

  // bad_rewrite when the ports or media do not number the m-lines, the
  // address is unspecified, or (toward_daemon) an ICE ufrag (4-256), password
  // (22-256) or foundation is not ice-chars; print_failed if sofia cannot print the result
  // or would not read it back (an unknown profile's unchecked a=rtpmap).
  result<std::string> toward_phone(const phone_rewrite& rewrite) const;
  result<std::string> toward_daemon(const daemon_rewrite& rewrite) const;

 private:
  struct parsed;
  explicit sdp_session(std::unique_ptr<parsed> p);

  std::unique_ptr<parsed> parsed_;
  std::vector<sdp_media> media_;
};

}  // namespace p2psip::media
