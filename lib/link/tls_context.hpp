// Shared TLS configuration for all links of one node: its credentials, the
// peer authenticator and the optional key log.
#pragma once

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "identity/openssl_handles.hpp"
#include "link/link_config.hpp"
#include "link/link_log.hpp"
#include "link/peer_authenticator.hpp"
#include "link/tls_credentials.hpp"

namespace p2psip::link {

// Configuration errors only (key not matching the certificate, unwritable key log);
// failures on a link are reported as close reasons, never thrown.
class tls_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Drains this thread's OpenSSL error queue into one line.
std::string take_openssl_errors();

// The record protocol of the links a context serves: TLS over byte streams
// (TLS-TCP-FH-NO-ICE), or DTLS 1.2 over datagram paths (DTLS-UDP-SR).
enum class tls_transport { stream, datagram };

class tls_context {
 public:
  // The authenticator must outlive the context. Throws tls_error.
  tls_context(const tls_credentials& credentials, const peer_authenticator& authenticator,
              const link_config& config, log_sink log,
              tls_transport transport = tls_transport::stream);
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  // A renewed certificate for the same key: links made from now on show it;
  // links already up keep the one they were made with (each SSL holds its
  // own reference), so none is dropped. False if it is for another key.
  bool use_certificate(const identity::node_certificate& certificate);

  SSL_CTX* native() const noexcept { return ctx_.get(); }
  tls_transport transport() const noexcept { return transport_; }
  const peer_authenticator& authenticator() const noexcept { return authenticator_; }
  void log(log_level level, std::string_view message) const;
  bool keylog_enabled() const noexcept { return keylog_ != nullptr; }

 private:
  static void write_keylog(const SSL* ssl, const char* line);
  void open_keylog(const link_config& config);

  struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };

  tls_transport transport_;
  identity::ssl_ctx_ptr ctx_;
  const peer_authenticator& authenticator_;
  log_sink log_;
  std::unique_ptr<std::FILE, file_closer> keylog_;
};

}  // namespace p2psip::link
