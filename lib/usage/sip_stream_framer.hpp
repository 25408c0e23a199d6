// Where SIP messages begin and end in a stream (RFC 3261 §18.3: headers up
// to the blank line, then Content-Length bytes of body), and the CRLFs
// between them, which are keepalives (RFC 5626 §4.4.1: a double CRLF ping, a
// single CRLF pong). The SIP channel's splices use it to send and answer
// keepalives between daemons only where a message boundary is, and to keep
// them from the fronts.
//
// Strict and bounded: a header block over `max_header_bytes`, or a
// Content-Length that is not a number up to `max_body_bytes`, ends the
// stream's framing for good (failed()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "wire/byte_reader.hpp"

namespace p2psip::usage {

class sip_stream_framer {
 public:
  static constexpr std::size_t max_header_bytes = std::size_t{64} * 1024;
  static constexpr std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;

  // Message bytes, in order, possibly a message in several pieces.
  std::function<void(wire::bytes_view bytes)> on_message_bytes;
  // CRLFs between messages: this many more, since the last call.
  std::function<void(std::size_t crlfs)> on_keepalive;

  // Frames `bytes`; false (and nothing more) once the stream is malformed.
  bool feed(wire::bytes_view bytes);
  // Between two messages: a keepalive may be sent now.
  bool at_boundary() const noexcept { return state_ == state::between && !carriage_return_; }
  const std::optional<std::string>& failed() const noexcept { return failed_; }

 private:
  enum class state { between, headers, body };
  // The header block ended: the body's length from Content-Length (or its
  // compact form l), 0 without one.
  bool headers_done();

  state state_ = state::between;
  bool carriage_return_ = false;  // a CR between messages, its LF to come
  std::string headers_;
  std::size_t body_left_ = 0;
  std::optional<std::string> failed_;
};

}  // namespace p2psip::usage
