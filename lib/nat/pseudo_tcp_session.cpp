#include "nat/pseudo_tcp_session.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <nice/pseudotcp.h>

namespace p2psip::nat {

namespace {

// libnice's reliable agent uses the same (agent.c MAX_TCP_MTU): room for
// VPN and tunnel headers on a 1,500-byte path.
constexpr guint16 path_mtu = 1400;

pseudo_tcp_session& session_of(gpointer self) { return *static_cast<pseudo_tcp_session*>(self); }

}  // namespace

struct pseudo_tcp_trampolines {
  static void on_readable(PseudoTcpSocket*, gpointer self) { session_of(self).read_all(); }

  // Also on open: bytes queued before it may go now.
  static void on_writable(PseudoTcpSocket*, gpointer self) {
    if (session_of(self).callbacks_.writable) session_of(self).callbacks_.writable();
  }

  static void on_closed(PseudoTcpSocket*, guint32 error, gpointer self) {
    auto& session = session_of(self);
    if (session.failed_) return;
    session.failed_ = true;
    session.cancel_clock();
    session.callbacks_.failed(error ? std::string("PseudoTCP: ") +
                                          std::strerror(static_cast<int>(error))
                                    : std::string("PseudoTCP: closed by the peer"));
  }

  static PseudoTcpWriteResult on_write_packet(PseudoTcpSocket*, const gchar* buffer, guint32 length,
                                              gpointer self) {
    session_of(self).callbacks_.write_packet(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(buffer), length));
    return WR_SUCCESS;
  }

  static gboolean on_clock(gpointer self) {
    auto& session = session_of(self);
    // Dispatch holds its own reference; ours goes so that rescheduling starts clean.
    g_source_unref(std::exchange(session.clock_, nullptr));
    if (session.failed_) return G_SOURCE_REMOVE;
    pseudo_tcp_socket_notify_clock(session.socket_);
    if (!session.failed_) session.schedule_clock();
    return G_SOURCE_REMOVE;
  }
};

pseudo_tcp_session::pseudo_tcp_session(GMainContext* context, pseudo_tcp_callbacks callbacks)
    : context_(context), callbacks_(std::move(callbacks)) {
  using t = pseudo_tcp_trampolines;
  PseudoTcpCallbacks c{this,           t::on_writable, t::on_readable,
                       t::on_writable, t::on_closed,   t::on_write_packet};
  socket_ = pseudo_tcp_socket_new(0, &c);
  // Nagle off and an immediate ACK: see the header.
  g_object_set(socket_, "no-delay", TRUE, "ack-delay", 0u, nullptr);
  pseudo_tcp_socket_notify_mtu(socket_, path_mtu);
}

pseudo_tcp_session::~pseudo_tcp_session() {
  cancel_clock();
  g_object_unref(socket_);
}

void pseudo_tcp_session::connect() {
  pseudo_tcp_socket_connect(socket_);
  schedule_clock();
}

void pseudo_tcp_session::packet(std::span<const std::uint8_t> datagram) {
  if (failed_) return;
  pseudo_tcp_socket_notify_packet(socket_, reinterpret_cast<const gchar*>(datagram.data()),
                                  static_cast<guint32>(datagram.size()));
  if (!failed_) schedule_clock();
}

std::size_t pseudo_tcp_session::send(std::span<const std::uint8_t> bytes) {
  if (failed_ || bytes.empty()) return 0;
  const gint taken = pseudo_tcp_socket_send(socket_, reinterpret_cast<const char*>(bytes.data()),
                                            static_cast<guint32>(bytes.size()));
  if (!failed_) schedule_clock();
  return taken > 0 ? static_cast<std::size_t>(taken) : 0;
}

void pseudo_tcp_session::read_all() {
  std::array<std::uint8_t, 16 * 1024> buffer{};
  // Bounded by what PseudoTCP buffered: recv returns -1 (would block) then.
  while (!failed_) {
    const gint n =
        pseudo_tcp_socket_recv(socket_, reinterpret_cast<char*>(buffer.data()), buffer.size());
    if (n <= 0) return;
    callbacks_.received(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
  }
}

void pseudo_tcp_session::schedule_clock() {
  guint64 at_ms = 0;
  if (!pseudo_tcp_socket_get_next_clock(socket_, &at_ms)) return cancel_clock();
  // Called after every segment: a timer already set for that time stays.
  if (clock_ && at_ms == clock_at_ms_) return;
  clock_at_ms_ = at_ms;
  // PseudoTCP's own clock: monotonic milliseconds, cut to 32 bits.
  const auto now_ms = static_cast<guint32>(g_get_monotonic_time() / 1000);
  const guint interval =
      at_ms > now_ms ? static_cast<guint>(std::min<guint64>(at_ms - now_ms, G_MAXINT)) : 0;
  cancel_clock();
  clock_ = g_timeout_source_new(interval);
  g_source_set_callback(clock_, pseudo_tcp_trampolines::on_clock, this, nullptr);
  g_source_attach(clock_, context_);
}

void pseudo_tcp_session::cancel_clock() {
  if (!clock_) return;
  g_source_destroy(clock_);
  g_source_unref(clock_);
  clock_ = nullptr;
}

}  // namespace p2psip::nat
