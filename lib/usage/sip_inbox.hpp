// Offline messages (the SIP-INBOX Kind): a MESSAGE from a local sender that
// found no reachable contact is kept in the overlay for its recipient, and
// the recipient's home daemon hands it over when the recipient registers.
//
// Data model (see also p2psipd(8), OFFLINE MESSAGES):
//  * Kind-ID 0xF0000002 (private use, RFC 6940 §14.6), DICTIONARY, at
//    H(user@domain), the Resource-ID of the AOR's SIP-REGISTRATION;
//  * dictionary key: the storing daemon's Node-ID (16 bytes) ‖ uint64
//    sequence (its wall-clock milliseconds, strictly increasing);
//  * value: an InboxMessage (inbox_message.hpp), signed by the storing node;
//  * access policy INBOX: a sender writes only keys that start with its own
//    Node-ID; the recipient (a signer whose user name hashes to the
//    Resource-ID) may overwrite any entry, which is how delivered ones are
//    removed (exists=false, kept 5 minutes so an older replica cannot
//    bring the message back);
//  * limits: the Kind's max-count is the per-recipient count (a full inbox
//    answers the sender 480 "Inbox Full"), its max-size the largest
//    encoded message (513 Message Too Large); lifetime sip.offline-lifetime.
//
// Exactly once. Messages are delivered in sent order, one at a time; a
// delivered one is first written to a ledger in the state directory (its
// Resource-ID, key, and when it expires), then removed from the overlay.
// Entries found in the ledger are never delivered again, whichever daemon
// restarted meanwhile, and their removal is retried.
//
// Sealed to the recipient (CA overlays). Each daemon whose certificate names
// a user publishes that certificate in CERTIFICATE_BY_USER (Kind 16, RFC
// 6940 §8: array, USER-MATCH, at H(user), index 0, lifetime a day, stored
// again every 12 hours). A sender's daemon fetches the recipient's
// certificate there, checks it against the overlay's root and that it names
// the recipient, and stores the message sealed to it (version 2, CMS
// AuthEnvelopedData, inbox_message.hpp): storing nodes see when, for whom
// and how large, not from whom nor what. The StoredData signature (the
// sender's daemon's certificate) covers the sealed bytes. The recipient's
// home daemon opens it with the key of the certificate that names the
// recipient. A recipient with no certificate there, and every recipient in
// a self-signed overlay (where anyone can mint a certificate naming anyone,
// so a fetched one proves nothing), gets the message in clear (version 1),
// as before; a sealed entry no identity here can open is left to expire.
//
// Threading: the overlay's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "identity/certificate_verifier.hpp"
#include "identity/message_signer.hpp"
#include "overlay/overlay_node.hpp"
#include "sip/sip_front.hpp"
#include "storage/kind_definition.hpp"
#include "usage/inbox_message.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::usage {

inline constexpr wire::kind_id inbox_kind = storage::sip_inbox_kind;
inline constexpr const char* inbox_ledger_file_name = "inbox-delivered";

struct sip_inbox_options {
  std::chrono::seconds lifetime{std::chrono::hours(24 * 7)};
  std::filesystem::path ledger_file;  // empty: kept in memory only
  // Set (CA overlays): messages are sealed to recipients' certificates it
  // verifies, and this node's certificate is published (see above).
  const identity::certificate_verifier* recipient_certificates = nullptr;
};

class sip_inbox {
 public:
  // The identity that may act for a recipient (its user name hashes to the
  // Resource-ID), or nullptr.
  using recipient_signer = std::function<identity::message_signer*(const std::string& user)>;
  // Hands one message to the recipient; `delivered(true)` once it took it.
  using deliverer =
      std::function<void(const sip::offline_message&, std::function<void(bool delivered)>)>;

  sip_inbox(overlay::overlay_node& node, identity::message_signer& node_signer,
            recipient_signer recipient, deliverer deliver, sip_inbox_options options);
  ~sip_inbox();
  sip_inbox(const sip_inbox&) = delete;
  sip_inbox& operator=(const sip_inbox&) = delete;

  // sip_front_config::store_offline.
  void store(const sip::offline_message& message, std::function<void(sip::offline_answer)> done);
  // Fetches the AOR's inbox and delivers what it holds, in order (one
  // drain per AOR at a time; a request meanwhile runs once more after it).
  // Not joined yet: it waits for drain_waiting().
  void drain(const std::string& aor);
  // The drains asked for before the node joined, once it has; and this
  // node's certificate published when due. Called every second or so.
  void drain_waiting();
  // The node's certificate was renewed: published again at the next round.
  void node_certificate_changed() { next_certificate_store_ = {}; }
  // Entries in the ledger (for tests and status).
  std::size_t delivered_count() const { return ledger_.size(); }

 private:
  struct stored_entry {
    wire::dictionary_key key;
    std::uint64_t storage_time = 0;
    inbox_message message;
  };
  struct drain_job;
  // Stores `m`, sealed to `recipient` when there is one.
  void store_entry(const sip::offline_message& m,
                   const std::optional<identity::node_certificate>& recipient,
                   std::function<void(sip::offline_answer)> done);
  // The verified certificate of `user` in CERTIFICATE_BY_USER, or nullopt.
  void find_certificate(const std::string& user,
                        std::function<void(std::optional<identity::node_certificate>)> found);
  void publish_certificate();
  // Opens the sealed entries with `user`'s key; drops those it cannot open.
  void open_sealed(const std::string& user, std::vector<stored_entry>& entries);
  void fetched(const std::shared_ptr<drain_job>& job, std::vector<stored_entry> entries);
  void deliver_next(const std::shared_ptr<drain_job>& job);
  void finish(const std::string& aor);
  void remove(const std::string& user, const stored_entry& entry);
  std::string ledger_id(const wire::resource_id& resource, const wire::dictionary_key& key) const;
  void load_ledger();
  void save_ledger();

  overlay::overlay_node& node_;
  identity::message_signer& node_signer_;
  recipient_signer recipient_;
  sip_inbox_options options_;
  std::uint64_t last_sequence_ = 0;
  std::uint64_t last_removal_time_ = 0;
  std::chrono::steady_clock::time_point next_certificate_store_{};
  bool storing_certificate_ = false;
  std::map<std::string, std::uint64_t> ledger_;  // id → expiry (Unix s)
  deliverer deliver_;
  std::set<std::string> draining_;  // AORs
  std::set<std::string> again_;     // asked for again while draining
  std::set<std::string> waiting_;   // asked for while not joined
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
