// PseudoTCP (libnice's implementation, through its public pseudotcp.h) over
// an ICE pair: an ordered, reliable byte stream in datagrams, for the
// ice_agent's reliable mode. Driven here rather than by libnice's reliable
// agent (NICE_AGENT_OPTION_RELIABLE) because that agent keeps PseudoTCP's
// defaults, Nagle and a 100 ms delayed ACK, and gives no way to change them:
// a TLS handshake flight over one segment then waited 100 ms for its ACK,
// and a first INVITE waited again. SIP signalling is latency-bound, so this
// session sends at once and ACKs at once. The wire is the same as libnice's
// reliable mode (conversation 0, the same segment format), so either end may
// be either kind.
//
// Thread: the GLib main context it is given (the ice_agent's loop thread);
// every call and callback happens there.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <glib.h>

typedef struct _PseudoTcpSocket PseudoTcpSocket;

namespace p2psip::nat {

struct pseudo_tcp_trampolines;

struct pseudo_tcp_callbacks {
  // A segment for the pair.
  std::function<void(std::span<const std::uint8_t> datagram)> write_packet;
  // Stream bytes, in order.
  std::function<void(std::span<const std::uint8_t> bytes)> received;
  // send() takes bytes again after it took fewer than it was given.
  std::function<void()> writable;
  // The stream failed (retransmissions ran out, a reset); nothing follows.
  std::function<void(const std::string& why)> failed;
};

class pseudo_tcp_session {
 public:
  pseudo_tcp_session(GMainContext* context, pseudo_tcp_callbacks callbacks);
  ~pseudo_tcp_session();
  pseudo_tcp_session(const pseudo_tcp_session&) = delete;
  pseudo_tcp_session& operator=(const pseudo_tcp_session&) = delete;

  // Opens the stream: both ends connect (a simultaneous open), as libnice's
  // reliable agent does once a pair is selected.
  void connect();
  // A datagram that came on the pair.
  void packet(std::span<const std::uint8_t> datagram);
  // How many of `bytes` the stream took: fewer (0 before it is open, or
  // with its send buffer full) means `writable` follows.
  std::size_t send(std::span<const std::uint8_t> bytes);

 private:
  // libnice's C callbacks (pseudo_tcp_session.cpp).
  friend struct pseudo_tcp_trampolines;
  void read_all();
  // PseudoTCP's next timer (retransmission, delayed work) on the context.
  void schedule_clock();
  void cancel_clock();

  GMainContext* context_;
  pseudo_tcp_callbacks callbacks_;
  PseudoTcpSocket* socket_ = nullptr;
  GSource* clock_ = nullptr;
  guint64 clock_at_ms_ = 0;  // when clock_ fires, PseudoTCP's time
  bool failed_ = false;
};

}  // namespace p2psip::nat
