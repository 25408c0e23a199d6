// SRTP between daemons on libsrtp2 (RFC 3711): one session protects what
// this daemon sends with its own key, another unprotects what the far daemon
// sends with that daemon's key (the two a=crypto lines of an offer/answer,
// RFC 4568 §6.1). RTP and RTCP, with the replay window libsrtp keeps.
//
// Threading: srtp_init runs once per process whichever thread first makes a
// stream; a stream itself is not thread-safe and belongs to the one thread
// (an io_context's) that calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "media/media_error.hpp"
#include "media/sdes_crypto.hpp"

namespace p2psip::media {

enum class srtp_outcome : std::uint8_t {
  ok,
  auth_failed,  // tag mismatch: tampered, wrong key, or not SRTP at all
  replayed,     // an index already seen, or too old for the window
  malformed,    // too short, or not room enough to protect in place
  failed,       // anything else libsrtp reports
};

const char* to_string(srtp_outcome outcome) noexcept;

class srtp_stream {
 public:
  // The most a protect call adds to a packet (tag, plus the SRTCP index).
  static const std::size_t max_trailer;

  // `outbound` is the key this daemon offered (it protects), `inbound` the
  // far daemon's (it unprotects). srtp_failed when libsrtp refuses either.
  static result<srtp_stream> create(const sdes_crypto& outbound, const sdes_crypto& inbound);

  // A moved-from stream may only be destroyed or assigned to.
  srtp_stream(srtp_stream&&) noexcept;
  srtp_stream& operator=(srtp_stream&&) noexcept;
  ~srtp_stream();

  // In place: `size` bytes of `buffer` hold the packet; on ok `size` is the
  // new length. protect needs buffer.size() >= size + max_trailer.
  srtp_outcome protect(std::span<std::uint8_t> buffer, std::size_t& size);
  srtp_outcome protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size);
  srtp_outcome unprotect(std::span<std::uint8_t> buffer, std::size_t& size);
  srtp_outcome unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size);

  // The same on a vector, grown or shrunk to fit.
  srtp_outcome protect(std::vector<std::uint8_t>& packet);
  srtp_outcome protect_rtcp(std::vector<std::uint8_t>& packet);
  srtp_outcome unprotect(std::vector<std::uint8_t>& packet);
  srtp_outcome unprotect_rtcp(std::vector<std::uint8_t>& packet);

 private:
  struct session;
  struct sessions;
  explicit srtp_stream(std::unique_ptr<sessions> s) noexcept;

  std::unique_ptr<sessions> sessions_;
};

}  // namespace p2psip::media
