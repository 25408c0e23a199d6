// pseudo_tcp_session (nat/pseudo_tcp_session.hpp), PseudoTCP driven on a
// GLib context with Nagle and delayed ACKs off, over an in-memory "pair":
// bytes arrive in order both ways beyond the send window; segments lost on
// the way are sent again; and its wire is libnice's own,
// since a plain PseudoTcpSocket with libnice's defaults (what libnice's
// reliable agent runs) on the other end carries the same transfer.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <glib.h>
#include <nice/pseudotcp.h>

#include "nat/pseudo_tcp_session.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes pattern(std::size_t size, std::uint8_t seed) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 251);
  return out;
}

// The far end of the pair: either another session, or a bare libnice
// PseudoTcpSocket with its defaults, driven the way libnice's agent drives it.
struct far_end {
  virtual ~far_end() = default;
  virtual void connect() = 0;
  virtual void packet(const bytes& segment) = 0;
  virtual std::size_t send(const bytes& data) = 0;
  virtual void tick() = 0;
  bytes got;
  std::deque<bytes>* out = nullptr;  // segments toward the session under test
};

struct session_end final : far_end {
  explicit session_end(GMainContext* context) {
    nat::pseudo_tcp_callbacks c;
    c.write_packet = [this](std::span<const std::uint8_t> s) {
      out->emplace_back(s.begin(), s.end());
    };
    c.received = [this](std::span<const std::uint8_t> b) {
      got.insert(got.end(), b.begin(), b.end());
    };
    c.writable = [] {};
    c.failed = [](const std::string& why) { FAIL(why); };
    session = std::make_unique<nat::pseudo_tcp_session>(context, std::move(c));
  }
  void connect() override { session->connect(); }
  void packet(const bytes& s) override { session->packet(s); }
  std::size_t send(const bytes& d) override { return session->send(d); }
  void tick() override {}
  std::unique_ptr<nat::pseudo_tcp_session> session;
};

struct libnice_end final : far_end {
  explicit libnice_end(GMainContext*) {
    PseudoTcpCallbacks c{this, nullptr, on_readable, nullptr, nullptr, on_write};
    socket = pseudo_tcp_socket_new(0, &c);
    pseudo_tcp_socket_notify_mtu(socket, 1400);
  }
  ~libnice_end() override { g_object_unref(socket); }
  static void on_readable(PseudoTcpSocket* s, gpointer self) {
    char buffer[4096];
    for (gint n; (n = pseudo_tcp_socket_recv(s, buffer, sizeof buffer)) > 0;) {
      static_cast<libnice_end*>(self)->got.insert(static_cast<libnice_end*>(self)->got.end(),
                                                  buffer, buffer + n);
    }
  }
  static PseudoTcpWriteResult on_write(PseudoTcpSocket*, const gchar* b, guint32 n, gpointer self) {
    static_cast<libnice_end*>(self)->out->emplace_back(b, b + n);
    return WR_SUCCESS;
  }
  void connect() override { pseudo_tcp_socket_connect(socket); }
  void packet(const bytes& s) override {
    pseudo_tcp_socket_notify_packet(socket, reinterpret_cast<const gchar*>(s.data()),
                                    static_cast<guint32>(s.size()));
  }
  std::size_t send(const bytes& d) override {
    const gint n = pseudo_tcp_socket_send(socket, reinterpret_cast<const char*>(d.data()),
                                          static_cast<guint32>(d.size()));
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // Its clock, polled: what libnice's agent schedules on its context.
  void tick() override {
    guint64 at = 0;
    if (pseudo_tcp_socket_get_next_clock(socket, &at) &&
        at <= static_cast<guint32>(g_get_monotonic_time() / 1000)) {
      pseudo_tcp_socket_notify_clock(socket);
    }
  }
  PseudoTcpSocket* socket = nullptr;
};

// Sends `a_data` from the session and `b_data` from the far end, dropping
// every `drop_every`-th segment in each direction (0: none), until both
// arrived or 20 s passed.
template <class FarEnd>
void transfer(const bytes& a_data, const bytes& b_data, unsigned drop_every) {
  GMainContext* context = g_main_context_new();
  std::deque<bytes> to_a, to_b;
  std::size_t dropped = 0;
  auto far = std::make_unique<FarEnd>(context);
  far_end& b = *far;
  b.out = &to_a;
  bytes a_got;
  nat::pseudo_tcp_callbacks c;
  c.write_packet = [&](std::span<const std::uint8_t> s) { to_b.emplace_back(s.begin(), s.end()); };
  c.received = [&](std::span<const std::uint8_t> r) {
    a_got.insert(a_got.end(), r.begin(), r.end());
  };
  c.writable = [] {};
  c.failed = [](const std::string& why) { FAIL(why); };
  {
    nat::pseudo_tcp_session a(context, std::move(c));
    a.connect();
    b.connect();
    std::size_t a_sent = 0, b_sent = 0, segments = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while ((a_got.size() < b_data.size() || b.got.size() < a_data.size()) &&
           std::chrono::steady_clock::now() < deadline) {
      if (a_sent < a_data.size()) {
        a_sent += a.send(std::span<const std::uint8_t>(a_data).subspan(a_sent));
      }
      if (b_sent < b_data.size()) b_sent += b.send(bytes(b_data.begin() + b_sent, b_data.end()));
      for (auto* queue : {&to_a, &to_b}) {
        while (!queue->empty()) {
          const bytes segment = std::move(queue->front());
          queue->pop_front();
          if (drop_every && ++segments % drop_every == 0 && ++dropped) continue;
          if (queue == &to_a) {
            a.packet(segment);
          } else {
            b.packet(segment);
          }
        }
      }
      b.tick();
      g_main_context_iteration(context, FALSE);
      g_usleep(200);
    }
  }
  CHECK(a_got == b_data);
  CHECK(b.got == a_data);
  CHECK((drop_every == 0 || dropped > 0));
  far.reset();
  g_main_context_unref(context);
}

}  // namespace

TEST_CASE("two sessions carry bytes both ways, in order, beyond the send window") {
  transfer<session_end>(pattern(300 * 1024, 1), pattern(200 * 1024, 2), 0);
}

TEST_CASE("segments lost on the pair are sent again (fast retransmit, or its clock)") {
  transfer<session_end>(pattern(16 * 1024, 3), pattern(12 * 1024, 4), 6);
}

TEST_CASE("a plain libnice PseudoTcpSocket (its reliable agent's defaults) on the other end") {
  transfer<libnice_end>(pattern(300 * 1024, 5), pattern(200 * 1024, 6), 0);
}
