// The overlay's §11.1 configuration document as p2psip-ca serves it: made
// from the admin's DIR/overlay.yaml (p2psipd.yaml(5)'s overlay section) and
// signed by a configuration-signer certificate the CA issues itself (one
// Node-ID, kept across restarts by the CA's assignments). Remade when the
// file changes or half the document's lifetime has passed, each time with
// the next sequence number (kept in DIR/sequence).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "daemon/overlay_document.hpp"
#include "identity/certificate_authority.hpp"
#include "identity/message_signer.hpp"

namespace p2psip::tools {

class configuration_publisher {
 public:
  // `enrollment_url` is used when overlay.yaml names no enrollment-server;
  // a missing overlay.yaml is created with initial_source().
  static daemon::config_result<configuration_publisher> create(identity::certificate_authority& ca,
                                                               std::filesystem::path dir,
                                                               std::string enrollment_url,
                                                               std::chrono::seconds lifetime);

  // The current document; a bad edit of overlay.yaml keeps the last good
  // one (and is reported on stderr once per change).
  const std::string& current();

  // The starting overlay.yaml for `p2psip-ca init`.
  static std::string initial_source(const std::string& overlay);

 private:
  configuration_publisher(identity::certificate_authority& ca, std::filesystem::path dir,
                          std::string enrollment_url, std::chrono::seconds lifetime,
                          identity::message_signer signer)
      : ca_(&ca),
        dir_(std::move(dir)),
        enrollment_url_(std::move(enrollment_url)),
        lifetime_(lifetime),
        signer_(std::move(signer)) {}
  daemon::config_result<std::string> make(std::chrono::system_clock::time_point now);

  identity::certificate_authority* ca_;
  std::filesystem::path dir_;
  std::string enrollment_url_;
  std::chrono::seconds lifetime_;
  identity::message_signer signer_;
  std::string document_;
  std::chrono::system_clock::time_point made_at_{};
  std::filesystem::file_time_type source_time_{};
};

}  // namespace p2psip::tools
