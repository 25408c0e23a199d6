#include "link/tls_session.hpp"

#include <algorithm>
#include <array>
#include <climits>

#include <openssl/buffer.h>
#include <openssl/err.h>

namespace p2psip::link {

namespace {
constexpr std::size_t read_chunk = 16 * 1024;  // one TLS record of plaintext
// A drained memory BIO keeps the buffer its largest flight needed; above this
// it is replaced, so idle links do not each hold a big message's worth.
constexpr std::size_t idle_bio_capacity = 8 * 1024;

BIO* new_memory_bio() {
  BIO* bio = BIO_new(BIO_s_mem());
  // An empty input BIO means "wait for more", not end of file.
  if (bio != nullptr) BIO_set_mem_eof_return(bio, -1);
  return bio;
}

bool holds_large_idle_buffer(BIO* bio) {
  if (BIO_ctrl_pending(bio) != 0) return false;
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  return memory != nullptr && memory->max > idle_bio_capacity;
}
}  // namespace

tls_session::tls_session(const tls_context& context, tls_role role,
                         std::optional<wire::node_id> expected_peer)
    : verification_(context.authenticator(), expected_peer), ssl_(SSL_new(context.native())) {
  if (!ssl_) throw tls_error("SSL_new: " + take_openssl_errors());
  input_ = new_memory_bio();
  output_ = new_memory_bio();
  if (input_ == nullptr || output_ == nullptr) {
    BIO_free(input_);
    BIO_free(output_);
    throw tls_error("BIO_new: " + take_openssl_errors());
  }
  SSL_set_bio(ssl_.get(), input_, output_);
  verification_.attach(ssl_.get());
  if (role == tls_role::client) {
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
}

void tls_session::start() {
  if (state_ != tls_state::handshaking) return;
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret != 1) on_error(ret);
}

tls_state tls_session::receive(wire::bytes_view ciphertext, std::vector<std::uint8_t>& plaintext) {
  if (state_ != tls_state::handshaking && state_ != tls_state::established) return state_;
  ERR_clear_error();
  while (!ciphertext.empty()) {
    const auto n = std::min<std::size_t>(ciphertext.size(), INT_MAX);
    BIO_write(input_, ciphertext.data(), static_cast<int>(n));
    ciphertext = ciphertext.subspan(n);
  }
  if (state_ == tls_state::handshaking) {
    const int ret = SSL_do_handshake(ssl_.get());
    if (ret != 1) {
      on_error(ret);
      return state_;
    }
    if (peer_node_ids().empty()) {  // a handshake that bypassed verify_peer never counts
      fail("peer was not authenticated");
      return state_;
    }
    state_ = tls_state::established;
  }
  // Records are decrypted into one stack buffer shared by every link and
  // only their bytes are kept: growing `plaintext` by a whole zero-filled
  // record per read left ~32 KiB resident per link.
  std::array<std::uint8_t, read_chunk> record;
  while (state_ == tls_state::established) {
    const int ret = SSL_read(ssl_.get(), record.data(), static_cast<int>(record.size()));
    if (ret <= 0) {
      on_error(ret);
      break;
    }
    plaintext.insert(plaintext.end(), record.begin(), record.begin() + ret);
  }
  if (holds_large_idle_buffer(input_)) replace_bio(input_, SSL_set0_rbio);
  return state_;
}

bool tls_session::send(wire::bytes_view plaintext) {
  if (state_ != tls_state::established) return false;
  ERR_clear_error();
  while (!plaintext.empty()) {
    const auto n = std::min<std::size_t>(plaintext.size(), INT_MAX);
    // Memory BIOs always accept, so a write completes or fails outright.
    const int ret = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(n));
    if (ret <= 0) {
      on_error(ret);
      return false;
    }
    plaintext = plaintext.subspan(static_cast<std::size_t>(ret));
  }
  return true;
}

void tls_session::close() {
  if (state_ == tls_state::established) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // 0: close_notify sent, the peer's is not awaited
  }
  if (state_ != tls_state::failed) state_ = tls_state::closed;
}

bool tls_session::has_output() const noexcept { return BIO_ctrl_pending(output_) > 0; }

std::vector<std::uint8_t> tls_session::take_output() {
  std::vector<std::uint8_t> out(BIO_ctrl_pending(output_));
  if (!out.empty()) {
    const int n = BIO_read(output_, out.data(), static_cast<int>(out.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
  }
  if (holds_large_idle_buffer(output_)) replace_bio(output_, SSL_set0_wbio);
  return out;
}

std::string tls_session::protocol() const {
  return std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
}

void tls_session::replace_bio(BIO*& bio, void (*install)(SSL*, BIO*)) {
  BIO* fresh = new_memory_bio();
  if (fresh == nullptr) return;  // keeping the big buffer is harmless
  install(ssl_.get(), fresh);    // frees the old one
  bio = fresh;
}

void tls_session::on_error(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return;
    case SSL_ERROR_ZERO_RETURN:
      state_ = tls_state::closed;  // the peer sent close_notify
      return;
    default: fail(verification_.failure_reason("TLS"));
  }
}

void tls_session::fail(std::string reason) {
  state_ = tls_state::failed;
  failure_ = std::move(reason);
}

}  // namespace p2psip::link
