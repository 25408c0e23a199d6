// The Certificate Store Usage (RFC 6940 §8) for the accounts a box holds for
// its phones (phone_accounts.hpp): each account's certificate is stored at
// H(user name) in CERTIFICATE_BY_USER (index 0, replaced on renewal) and, all
// of them, at H(Node-ID) in CERTIFICATE_BY_NODE (index i for the i-th
// account by user name; they share the box's Node-ID), each value signed by
// its account (USER-MATCH, NODE-MATCH), with the certificate's remaining
// validity as lifetime. Values hold the certificate's DER.
//
// Not joined: publish() is remembered and sent by publish_pending() once
// joined. Threading: the overlay thread.
#pragma once

#include <memory>
#include <vector>

#include "identity/message_signer.hpp"
#include "overlay/overlay_node.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::usage {

// The CERTIFICATE_BY_* value for `cert` at `index`.
wire::stored_data certificate_value(const identity::node_certificate& cert, std::uint32_t index,
                                    std::uint64_t storage_time_ms, std::uint32_t lifetime_s);

class certificate_store_usage {
 public:
  explicit certificate_store_usage(overlay::overlay_node& node) : node_(node) {}
  ~certificate_store_usage() { *alive_ = false; }
  certificate_store_usage(const certificate_store_usage&) = delete;
  certificate_store_usage& operator=(const certificate_store_usage&) = delete;

  // Stores these accounts' certificates (all the box holds, by user name).
  // The signers must live until the next publish_pending() at least.
  void publish(std::vector<identity::message_signer*> accounts);
  void publish_pending();
  // Stores whose answer was an error, since the start.
  std::uint64_t failures() const noexcept { return failures_; }

 private:
  void store(const wire::resource_id& resource, wire::kind_id kind,
             std::vector<wire::stored_data> values,
             std::vector<wire::generic_certificate> certificates);

  overlay::overlay_node& node_;
  std::vector<identity::message_signer*> pending_;
  bool dirty_ = false;
  std::uint64_t last_storage_time_ = 0;
  std::uint64_t failures_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
