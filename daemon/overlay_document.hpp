// The RFC 6940 §11.1 overlay configuration document (application/
// p2p-overlay+xml): written and signed by p2psip-ca from the admin's
// overlay section, fetched and checked by p2psipd (§11.2).
//
// Parsing is strict and bounded: at most 256 KiB, no DTD or entities, no
// network, UTF-8 only, the elements and types of the §11.1.1 grammar (with
// overlay-reliability-timer, which §11.1 defines), each optional element at
// most once, foreign namespaces skipped; and the document must then validate
// against that RELAX NG grammar itself (overlay_grammar.hpp). Parameters this node cannot honour
// refuse the document rather than being ignored: another topology plug-in,
// a Node-ID length other than 16, a mandatory-extension, shared-secret mode,
// link protocols without TLS.
//
// Signatures (§11.1): the configuration element, from its first < to the >
// of </configuration>, byte for byte, is signed with a SecurityBlock
// (§6.3.4) over blob || SignerIdentity, base64 in the <signature> element
// that follows it; each <kind> element likewise in its <kind-signature>.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_config.hpp"
#include "identity/message_signer.hpp"
#include "identity/node_certificate.hpp"
#include "wire/security_block.hpp"

namespace p2psip::daemon {

inline constexpr std::string_view overlay_document_type = "application/p2p-overlay+xml";
inline constexpr std::size_t max_overlay_document_bytes = 256 * 1024;

// A signed element: its exact bytes and the SecurityBlock over them.
struct signed_element {
  std::string blob;
  wire::security_block signature;
};

struct overlay_document {
  // root_cert is left unset: the certificates are in root_certs, and the
  // daemon saves them to a file of its state directory.
  overlay_config overlay;
  std::vector<identity::node_certificate> root_certs;
  std::vector<std::string> enrollment_servers;
  std::vector<wire::node_id> configuration_signers;
  std::vector<wire::node_id> kind_signers;
  std::uint16_t sequence = 0;
  std::optional<identity::time_point> expiration;
  signed_element configuration;
  std::vector<signed_element> kinds;  // one per kind-block, in order
};

// What the signer puts in the document besides the overlay section.
struct document_issue {
  std::uint16_t sequence = 0;  // 0..2^16-2 (§11.1)
  identity::time_point expiration;
  std::vector<identity::node_certificate> root_certs;
  std::vector<std::string> enrollment_servers;  // https:// URLs
};

// The whole document, signed by `signer`, whose Node-ID is listed as
// configuration-signer and kind-signer.
config_result<std::string> write_overlay_document(const overlay_config& overlay,
                                                  const document_issue& issue,
                                                  identity::message_signer& signer);

// The configuration for `overlay_name` (§11.2: a document without one is
// discarded). No signature is checked here: see verify_overlay_document.
// Errors name `source` (the URL or file) and, where known, the line.
config_result<overlay_document> parse_overlay_document(std::string_view xml,
                                                       std::string_view overlay_name,
                                                       std::string_view source);

// What a fetched document is checked against.
struct document_trust {
  // The previous extant configuration (§11.1: it names who may sign the
  // next one and which roots vouch for them); none on first contact.
  const overlay_document* previous = nullptr;
  // On first contact: the root the box was told to trust (its token's
  // fingerprint); it must be one of the document's root-certs.
  std::optional<std::array<std::uint8_t, 32>> pinned_root;
  // A document this box saved: its expiration may have passed (a stale
  // document still beats none while the server is away); its signatures and
  // their certificates are still checked at `now`.
  bool accept_expired = false;
};

// The configuration's and every kind's signature, by a signer the previous
// configuration (or on first contact, this one) lists, whose certificate
// chains to the roots; expiration in the future; sequence not going back.
// The error's reason starts with what failed ("bad signature: ...").
std::optional<std::string> verify_overlay_document(const overlay_document& document,
                                                   const document_trust& trust,
                                                   identity::time_point now);

}  // namespace p2psip::daemon
