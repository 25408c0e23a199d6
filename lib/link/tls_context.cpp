#include "link/tls_context.hpp"

#include <cstdlib>

#include <fcntl.h>
#include <openssl/err.h>
#include <unistd.h>

#include "link/peer_verification.hpp"

namespace p2psip::link {

std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

namespace {
void require(bool ok, const char* what) {
  if (!ok) throw tls_error(std::string(what) + ": " + take_openssl_errors());
}
}  // namespace

tls_context::tls_context(const tls_credentials& credentials,
                         const peer_authenticator& authenticator, const link_config& config,
                         log_sink log, tls_transport transport)
    : transport_(transport),
      ctx_(SSL_CTX_new(transport == tls_transport::stream ? TLS_method() : DTLS_method())),
      authenticator_(authenticator),
      log_(std::move(log)) {
  require(ctx_ != nullptr, "SSL_CTX_new");
  SSL_CTX* ctx = ctx_.get();
  SSL_CTX_set_app_data(ctx, this);
  if (transport == tls_transport::stream) {
    require(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "minimum TLS version");
  } else {
    // RFC 6940 names DTLS 1.2 (RFC 6347); 1.0 is obsolete and OpenSSL 3.0 has no 1.3.
    require(SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1, "minimum DTLS version");
    require(SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1, "maximum DTLS version");
    // The path MTU comes from the datagram path, never from a socket query.
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
  }
  // TLS 1.2 only with forward-secret AEAD suites; TLS 1.3 suites are all fine.
  require(SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") == 1, "cipher list");
  // Every link runs a full handshake, so every peer certificate passes the
  // authenticator: no session resumption, and no TLS 1.2 renegotiation that
  // could swap the certificate behind an established link.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  require(SSL_CTX_set_num_tickets(ctx, 0) == 1, "disable session tickets");
  // Overlay links idle most of the time: their ~34 KiB of record buffers
  // go back to the heap between messages instead of staying per link.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  require(SSL_CTX_use_certificate(ctx, credentials.certificate.native()) == 1, "certificate");
  require(SSL_CTX_use_PrivateKey(ctx, credentials.key.native()) == 1, "private key");
  require(SSL_CTX_check_private_key(ctx) == 1, "key does not match certificate");
  // OpenSSL's chain check knows neither self-signed mode nor Node-IDs, so it
  // is replaced outright: the peer_authenticator decides, once per handshake.
  SSL_CTX_set_cert_verify_callback(ctx, &peer_verification::verify_callback, nullptr);
  open_keylog(config);
}

bool tls_context::use_certificate(const identity::node_certificate& certificate) {
  if (EVP_PKEY_eq(SSL_CTX_get0_privatekey(ctx_.get()), certificate.public_key()) != 1) return false;
  return SSL_CTX_use_certificate(ctx_.get(), certificate.native()) == 1;
}

void tls_context::log(log_level level, std::string_view message) const {
  if (log_) log_(level, message);
}

void tls_context::open_keylog(const link_config& config) {
  std::string path;
  if (config.keylog_file) {
    path = config.keylog_file->string();
  } else if (const char* env = std::getenv("SSLKEYLOGFILE"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    return;
  }
  // Owner-only: the file decrypts every link's traffic.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw tls_error("cannot open TLS key log " + path);
  keylog_.reset(::fdopen(fd, "a"));
  if (!keylog_) {
    ::close(fd);
    throw tls_error("cannot open TLS key log " + path);
  }
  SSL_CTX_set_keylog_callback(ctx_.get(), &tls_context::write_keylog);
  log(log_level::warning,
      "TLS key logging is ON (" + path + "): link traffic can be decrypted; debug use only");
}

void tls_context::write_keylog(const SSL* ssl, const char* line) {
  const auto* self = static_cast<const tls_context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  // stdio locks the stream, so links on several threads may share the file.
  std::fputs(line, self->keylog_.get());
  std::fputc('\n', self->keylog_.get());
  std::fflush(self->keylog_.get());
}

}  // namespace p2psip::link
