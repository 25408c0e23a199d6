// Message signatures as the overlay sees them (§6.3.4): every message this
// node originates is signed, every message delivered to it is verified before
// any upper layer sees it. Injected, so the daemon signs with its certificate
// and the simulator can switch to a cheap mode for scale.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "wire/basic_result.hpp"
#include "wire/message.hpp"

namespace p2psip::overlay {

using wire::node_id;

// Why a signature was refused, for the error_info of Error_Forbidden.
struct security_error {
  std::string reason;
};

class message_security {
 public:
  virtual ~message_security() = default;
  // The SecurityBlock for `contents`, signed over overlay || transaction_id
  // || MessageContents || SignerIdentity; nullopt when signing fails.
  virtual std::optional<wire::security_block> sign(wire::overlay_hash overlay,
                                                   wire::transaction_id transaction,
                                                   const wire::message_contents& contents) = 0;
  // The Node-ID that signed `message`, or why it is refused.
  virtual wire::basic_result<node_id, security_error> verify(const wire::message& message) = 0;
};

// Simulation only: the "signature" names its signer and proves nothing. It
// keeps the SecurityBlock's wire shape (cert_hash_node_id identity carrying
// the Node-ID, an empty anonymous signature) so the codec still runs for
// real, without the cost of ECDSA at 10,000 nodes. Never used by p2psipd.
class unsigned_message_security final : public message_security {
 public:
  explicit unsigned_message_security(const node_id& self) : self_(self) {}
  std::optional<wire::security_block> sign(wire::overlay_hash, wire::transaction_id,
                                           const wire::message_contents&) override;
  wire::basic_result<node_id, security_error> verify(const wire::message& message) override;

 private:
  node_id self_;
};

}  // namespace p2psip::overlay
