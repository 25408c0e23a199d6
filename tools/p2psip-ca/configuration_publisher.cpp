#include "configuration_publisher.hpp"

#include <iostream>

#include "identity/atomic_file.hpp"

namespace p2psip::tools {
namespace {

namespace fs = std::filesystem;
constexpr const char* source_file = "overlay.yaml";
constexpr const char* sequence_file = "sequence";
constexpr std::uint16_t max_sequence = 65534;  // §11.1: 0 to 2^16-2

daemon::config_error error_in(const fs::path& file, const std::string& reason) {
  return daemon::config_error{file.string(), 0, 0, reason};
}

}  // namespace

std::string configuration_publisher::initial_source(const std::string& overlay) {
  return "# The overlay's configuration, served by `p2psip-ca serve` as the RFC 6940\n"
         "# §11.1 document at /.well-known/reload-config (p2psip-ca(1)). The keys are\n"
         "# those of the overlay section of p2psipd.yaml(5); edits are served within a\n"
         "# request, each with the next sequence number.\n"
         "overlay:\n"
         "  name: " +
         overlay +
         "\n"
         "  self-signed-permitted: false\n"
         "  root-cert: ca.crt\n"
         "  # enrollment-server: https://ca." +
         overlay +
         ":8443/   (default: serve --url)\n"
         "  # Always-on boxes, by IP address (§11.1 bootstrap-node).\n"
         "  bootstrap-nodes: []\n"
         "  no-ice: false\n"
         "  turn-density: 1\n"
         "  max-message-size: 5000\n"
         "  initial-ttl: 100\n"
         "  kinds: []\n";
}

daemon::config_result<configuration_publisher> configuration_publisher::create(
    identity::certificate_authority& ca, fs::path dir, std::string enrollment_url,
    std::chrono::seconds lifetime) {
  const auto now = std::chrono::system_clock::now();
  // A CA made before configuration documents existed gets the starting source.
  if (!fs::exists(dir / source_file)) {
    if (auto saved = identity::write_file_atomically(
            dir / source_file, initial_source(ca.overlay()), identity::public_file_mode);
        !saved) {
      return error_in(dir / source_file, saved.error().describe());
    }
  }
  auto issued = ca.enroll_offline("configuration-signer@" + ca.overlay(), 1, now);
  if (!issued)
    return error_in(dir, "cannot issue the configuration signer: " + issued.error().describe());
  auto signer =
      identity::message_signer::create(std::move(issued->key), std::move(issued->certificate));
  if (!signer) return error_in(dir, "cannot sign: " + signer.error().describe());
  configuration_publisher out(ca, std::move(dir), std::move(enrollment_url), lifetime,
                              std::move(*signer));
  auto first = out.make(now);
  if (!first) return first.error();
  out.document_ = std::move(*first);
  return out;
}

daemon::config_result<std::string> configuration_publisher::make(
    std::chrono::system_clock::time_point now) {
  const fs::path source = dir_ / source_file;
  std::error_code ec;
  source_time_ = fs::last_write_time(source, ec);
  auto config = daemon::load_config_file(source);
  if (!config) return config.error();
  auto overlay = config->overlay;
  if (overlay.name != ca_->overlay()) {
    return error_in(source,
                    "overlay.name " + overlay.name + " is not the CA's overlay " + ca_->overlay());
  }
  daemon::document_issue issue;
  issue.expiration = now + lifetime_;
  if (overlay.root_cert) {
    auto roots = identity::node_certificate::load_all(*overlay.root_cert);
    if (!roots) return error_in(source, roots.error().describe());
    issue.root_certs = std::move(*roots);
  } else {
    issue.root_certs = {ca_->root()};
  }
  issue.enrollment_servers = {overlay.enrollment_server.value_or(enrollment_url_)};

  std::uint16_t sequence = 0;
  if (auto text = identity::read_file(dir_ / sequence_file, 16)) {
    try {
      sequence = static_cast<std::uint16_t>((std::stoul(*text) + 1) % (max_sequence + 1));
    } catch (const std::exception&) {
      sequence = 0;
    }
  }
  issue.sequence = sequence;
  auto document = daemon::write_overlay_document(overlay, issue, signer_);
  if (!document) return error_in(source, document.error().reason);
  // Served only if a daemon would take it: the §11.1.1 grammar included.
  if (auto checked = daemon::parse_overlay_document(*document, overlay.name, "the document made");
      !checked) {
    return error_in(source, "not served: " + checked.error().describe());
  }
  if (auto saved = identity::write_file_atomically(
          dir_ / sequence_file, std::to_string(sequence) + "\n", identity::public_file_mode);
      !saved) {
    return error_in(dir_ / sequence_file, saved.error().describe());
  }
  made_at_ = now;
  return document;
}

const std::string& configuration_publisher::current() {
  const auto now = std::chrono::system_clock::now();
  std::error_code ec;
  const auto changed = fs::last_write_time(dir_ / source_file, ec) != source_time_;
  if (changed || now - made_at_ > lifetime_ / 2) {
    if (auto fresh = make(now)) {
      document_ = std::move(*fresh);
    } else {
      std::cerr << "p2psip-ca: keeping the last configuration document: "
                << fresh.error().describe() << std::endl;
      made_at_ = now;  // not again on every request
    }
  }
  return document_;
}

}  // namespace p2psip::tools
