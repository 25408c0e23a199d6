#include "link/dtls_session.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/err.h>

namespace p2psip::link {

namespace {
constexpr std::size_t max_record_plaintext_bytes = 16 * 1024;  // RFC 6347: 2^14

// OpenSSL's own flight timer, set beyond any handshake timeout so that it
// never fires: the session resends flights on the caller's clock instead.
unsigned int out_of_reach_timer(SSL* /*ssl*/, unsigned int /*previous_us*/) {
  return 3600u * 1000u * 1000u;
}

long bio_ctrl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH: return 1;
    // The path MTU given to DTLS_set_link_mtu is already UDP payload bytes.
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0;
    default: return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}
}  // namespace

// Each BIO write is one datagram and each read returns one whole datagram, as
// DTLS needs; OpenSSL 3.0 has no BIO_s_dgram_mem, and a BIO pair would glue
// a flight's records into one byte stream. The method lives as long as the process.
BIO* dtls_session::new_datagram_bio(datagram_queues& queues) {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "p2psip datagram");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, [](BIO* bio, const char* data, int size) {
      auto& q = *static_cast<datagram_queues*>(BIO_get_data(bio));
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
      q.outgoing.emplace_back(bytes, bytes + size);
      return size;
    });
    BIO_meth_set_read(m, [](BIO* bio, char* data, int size) {
      auto& q = *static_cast<datagram_queues*>(BIO_get_data(bio));
      BIO_clear_retry_flags(bio);
      if (!q.incoming) {
        BIO_set_retry_read(bio);
        return -1;
      }
      // Like a UDP socket: a datagram longer than the buffer is truncated.
      const auto n = std::min(q.incoming->size(), static_cast<std::size_t>(size));
      std::memcpy(data, q.incoming->data(), n);
      q.incoming.reset();
      return static_cast<int>(n);
    });
    BIO_meth_set_ctrl(m, &bio_ctrl);
    BIO_meth_set_create(m, &bio_create);
    return m;
  }();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, &queues);
  return bio;
}

dtls_session::dtls_session(const tls_context& context, tls_role role,
                           std::optional<wire::node_id> expected_peer, std::size_t path_mtu,
                           flight_timing timing)
    : verification_(context.authenticator(), expected_peer),
      path_mtu_(path_mtu),
      timing_(timing),
      ssl_(SSL_new(context.native())) {
  if (context.transport() != tls_transport::datagram) {
    throw tls_error("a DTLS session needs a datagram tls_context");
  }
  if (!ssl_) throw tls_error("SSL_new: " + take_openssl_errors());
  BIO* bio = new_datagram_bio(queues_);
  if (bio == nullptr) throw tls_error("BIO_new: " + take_openssl_errors());
  SSL_set_bio(ssl_.get(), bio, bio);  // one BIO both ways; the SSL owns it
  verification_.attach(ssl_.get());
  DTLS_set_timer_cb(ssl_.get(), &out_of_reach_timer);
  // Handshake messages are fragmented to this size, records never exceed it.
  if (path_mtu <= max_record_overhead || DTLS_set_link_mtu(ssl_.get(), path_mtu) != 1) {
    throw tls_error("path MTU " + std::to_string(path_mtu) + " is too small for DTLS");
  }
  if (role == tls_role::client) {
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
}

dtls_session::~dtls_session() = default;

void dtls_session::start(link_time now) {
  if (state_ != tls_state::handshaking) return;
  ERR_clear_error();
  const std::size_t first_new = queues_.outgoing.size();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret != 1) on_error(ret);
  if (state_ == tls_state::handshaking) begin_flight(first_new, now);
}

tls_state dtls_session::receive(wire::bytes_view input, link_time now,
                                std::vector<std::vector<std::uint8_t>>& records) {
  if (state_ != tls_state::handshaking && state_ != tls_state::established) return state_;
  ERR_clear_error();
  queues_.incoming = input;
  advance(now, records);
  queues_.incoming.reset();  // never read past this call
  return state_;
}

void dtls_session::advance(link_time now, std::vector<std::vector<std::uint8_t>>& records) {
  if (state_ == tls_state::handshaking) {
    const std::size_t first_new = queues_.outgoing.size();
    const int ret = SSL_do_handshake(ssl_.get());
    if (ret != 1) {
      on_error(ret);
      // A datagram that completed the peer's flight draws our next one.
      if (state_ == tls_state::handshaking && queues_.outgoing.size() > first_new) {
        begin_flight(first_new, now);
      }
      return;
    }
    if (peer_node_ids().empty()) {  // a handshake that bypassed the check never counts
      fail("peer was not authenticated");
      return;
    }
    state_ = tls_state::established;
    // The side that sent the last flight (the server, in a full handshake)
    // resends it until the peer's first record shows it arrived.
    if (queues_.outgoing.size() > first_new) {
      begin_flight(first_new, now);
    } else {
      end_flight();
    }
  }
  std::array<std::uint8_t, max_record_plaintext_bytes> record;
  // Bounded: each read consumes a record of the one datagram fed, or of the
  // records OpenSSL buffered while the handshake was still running.
  while (state_ == tls_state::established) {
    const int ret = SSL_read(ssl_.get(), record.data(), static_cast<int>(record.size()));
    if (ret <= 0) {
      on_error(ret);
      break;
    }
    end_flight();
    records.emplace_back(record.begin(), record.begin() + ret);
  }
}

bool dtls_session::send(wire::bytes_view plaintext) {
  if (state_ != tls_state::established || plaintext.size() > max_record_plaintext()) return false;
  ERR_clear_error();
  const int ret = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  if (ret <= 0) {
    on_error(ret);
    return false;
  }
  return true;
}

void dtls_session::close() {
  if (state_ == tls_state::established) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify; the peer's is not awaited
  }
  end_flight();
  if (state_ != tls_state::failed) state_ = tls_state::closed;
}

void dtls_session::on_timer(link_time now) {
  if (!retransmit_at_ || now < *retransmit_at_) return;
  if (flight_resends_ >= timing_.limit) {
    end_flight();
    fail("DTLS handshake: no answer after " + std::to_string(timing_.limit) + " retransmissions");
    return;
  }
  ++flight_resends_;
  ++total_resends_;
  queues_.outgoing.insert(queues_.outgoing.end(), flight_.begin(), flight_.end());
  flight_timeout_ = std::min(flight_timeout_ * 2, timing_.maximum);
  retransmit_at_ = now + flight_timeout_;
}

void dtls_session::begin_flight(std::size_t first_new, link_time now) {
  flight_.assign(queues_.outgoing.begin() + static_cast<std::ptrdiff_t>(first_new),
                 queues_.outgoing.end());
  flight_resends_ = 0;
  flight_timeout_ = timing_.initial;
  retransmit_at_ = now + flight_timeout_;
}

void dtls_session::end_flight() {
  flight_.clear();
  retransmit_at_.reset();
}

std::vector<datagram_buffer> dtls_session::take_datagrams() {
  return std::exchange(queues_.outgoing, {});
}

std::string dtls_session::protocol() const {
  return std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
}

void dtls_session::on_error(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return;
    case SSL_ERROR_ZERO_RETURN:
      state_ = tls_state::closed;  // the peer sent close_notify
      end_flight();
      return;
    default: fail(verification_.failure_reason("DTLS"));
  }
}

void dtls_session::fail(std::string reason) {
  state_ = tls_state::failed;
  failure_ = std::move(reason);
  end_flight();
}

}  // namespace p2psip::link
