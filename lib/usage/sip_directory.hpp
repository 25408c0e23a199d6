// The overlay side of the SIP usage in p2psipd (RFC 7904 §3-§4, §6): the
// sip::overlay_directory the SIP front publishes its bindings through and
// resolves AORs with, over the overlay node's Store and Fetch.
//
//  * publish: a Store of the SIP-REGISTRATION Kind (1) at H(AOR), one
//    dictionary entry keyed by the signer's Node-ID holding a
//    sip_registration_route with this node's destination list, lifetime the
//    binding set's.
//  * withdraw: the same entry stored with exists=false.
//  * lookup: a Fetch of every entry at H(AOR); sip_registration_uri values are
//    followed (bounded depth and fan-out, each AOR once), destination lists
//    give the nodes (terminal entry, deduplicated, this node dropped).
//    RELOAD GRUUs (";gr=<base64 destination list>") are decoded, not fetched.
//
// Who signs. USER-NODE-MATCH (§3.3) wants a certificate whose user name is
// the AOR (H(user) = Resource-ID) and whose Node-ID is the dictionary key.
// The node's own certificate names one user, while a daemon serves every
// softphone that registers to it. Where the overlay permits self-signed
// identities (§11.3.1) the directory therefore makes one self-signed
// identity per AOR (user name "user@domain", Node-ID from its key), signs the
// value with it and carries its certificate in the Store's SecurityBlock; the
// value itself (its destination list) still names this node, which RFC 7904
// §3.2 allows ("dictionary key 1234 and value 5678"). In CA mode the AOR of
// the node's own certificate and those of the accounts the box holds for its
// phones (phone_accounts.hpp: certificates for their users bound to this
// Node-ID) can be published; others are logged and skipped.
//
// Each per-AOR key derives from one secret seed and the user name
// (key_pair::derive; the daemon keeps the seed in its state directory), so a
// restart signs with the same key and no key is kept per AOR. The Node-ID
// derives from the key (§11.3.1), so the re-stored value has the same
// dictionary key and replaces the one stored before the crash: USER-NODE-MATCH
// holds as before, and the storing peer only asks for a later storage_time
// (§7.4.1.1; ours is wall-clock milliseconds, certificate re-minted from the
// same key). A fresh key would add an entry under a new key instead: the old
// one would name this node until its lifetime ran out, a withdraw could not
// remove it, and each restart would use up one of the Kind's max-count
// entries.
//
// Not joined yet (a start, a restore): what the front publishes or withdraws
// is kept, the latest per AOR, and sent by publish_pending() once joined, each
// contact's lifetime reduced by the time it waited.
//
// Joined, Stores go out at most max_stores_in_flight at a time, the rest
// waiting there too, each answer letting the next one go. A new AOR costs a
// key, a certificate and signatures here and certificate checks at the
// storing peers (milliseconds): a burst of REGISTERs (the front answers them
// at once) sent all at once queued seconds of that work ahead of the links'
// own messages, and the peers dropped this node as unresponsive.
//
// GRUUs (RFC 7904 §6, RFC 5627): the "gr" parameter is a destination list
// [this node, opaque ID]; the opaque ID is this node's name for one
// (AOR, +sip.instance), H(AOR " " instance), which only this node interprets
// (as §6.1.3 lets the node that made an opaque ID do). A caller's daemon
// AppAttaches to the node; that node's front matches the whole GRUU against
// its bindings and so reaches that one instance. The same AOR and instance
// give the same GRUU across REGISTERs and restarts.
//
// Threading: everything on the overlay thread (see overlay_directory.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/key_pair.hpp"
#include "identity/message_signer.hpp"
#include "overlay/overlay_node.hpp"
#include "sip/overlay_directory.hpp"
#include "wire/fetch.hpp"
#include "wire/sip_registration.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::usage {

// The Resource Name of an AOR: "alice@office.example" for
// "sip:alice@Office.Example;gr=..." (normalized as the front names AORs,
// then without scheme), the form a certificate's user name takes
// (USER-NODE-MATCH hashes it). Empty for what is not a sip/sips URI.
std::string aor_resource_name(std::string_view aor);

// RFC 7904 §6: the "gr" token of a destination list (base64 of the encoded
// Destinations, RFC 4648 Table 1 alphabet, "~" for "="), and back. nullopt
// for a token that is not base64 or not a destination list.
std::string gruu_token(const std::vector<wire::destination>& destinations);
std::optional<std::vector<wire::destination>> parse_gruu_token(std::string_view token);
// The value of a URI's "gr" parameter, nullopt when it has none.
std::optional<std::string> gruu_parameter(std::string_view uri);

// The node a destination list leads to: its last Node-ID, when only opaque
// IDs follow it (those are that node's to interpret, §6.1.3).
std::optional<wire::node_id> terminal_node(const std::vector<wire::destination>& destinations);

// The "gr" token of the GRUU of one instance of `aor` registered at `node`:
// the destination list [node, opaque H(aor " " instance)] (see above).
std::string instance_gruu_token(const wire::node_id& node, std::string_view aor,
                                std::string_view instance);

// The unsigned SIP-REGISTRATION value: dictionary entry keyed by `key`'s
// bytes holding `registration` (or exists=false with no registration).
wire::stored_data registration_value(const wire::node_id& key,
                                     const std::optional<wire::sip_registration>& registration,
                                     std::uint64_t storage_time_ms, std::uint32_t lifetime_s);

// The registrations a FetchAns carries for the SIP-REGISTRATION Kind:
// existing dictionary entries that decode (others are skipped).
std::vector<wire::sip_registration> registrations_in(const wire::fetch_ans& answer);

struct sip_directory_options {
  // Mint a self-signed identity per AOR (the overlay permits self-signed
  // certificates); otherwise only the node's own user name is published.
  bool per_aor_identities = true;
  std::string overlay_name;
  wire::hash_algorithm self_signed_digest = wire::hash_algorithm::sha256;
  std::size_t max_depth = 4;     // sip_registration_uri hops followed
  std::size_t max_fetches = 16;  // Fetches per lookup
  std::size_t max_stores_in_flight = 16;
  // Each AOR's key is key_pair::derive(seed, user@domain): the same key
  // after a restart, so a re-store replaces the value stored before it.
  identity::key_seed aor_key_seed{};
  // The signer of an account held for `user@domain` (phone_accounts), or
  // nullptr; tried after the node's own user. Empty: none.
  std::function<identity::message_signer*(const std::string&)> account_signer;
};

class sip_directory final : public sip::overlay_directory {
 public:
  // Both must outlive the directory; `node_signer` signs as this node.
  sip_directory(overlay::overlay_node& node, identity::message_signer& node_signer,
                sip_directory_options options);
  ~sip_directory() override;
  sip_directory(const sip_directory&) = delete;
  sip_directory& operator=(const sip_directory&) = delete;

  void publish(const sip::binding_set& bindings) override;
  void withdraw(const std::string& aor) override;
  void lookup(const std::string& aor, std::function<void(sip::lookup_result)> done) override;

  // Sends what waits (see above), as far as the in-flight bound lets it.
  void publish_pending();
  // Counts publish() and withdraw() calls: the front's bindings changed.
  std::uint64_t changes() const noexcept { return changes_; }

  // The identity that signs for `resource_name` (user@domain): the node's
  // own when its certificate names that user, else a per-AOR one where the
  // overlay permits them; nullptr when there is none.
  identity::message_signer* user_signer(const std::string& resource_name) {
    return signer_for(resource_name);
  }

  // The outcome of the AOR's last Store: "stored", "storing", "not joined"
  // or "refused: ..."; "stored" too for an AOR never published.
  std::string publication_state(const std::string& aor) const;

 private:
  struct lookup_job;
  // What the front asked for and is not sent yet: a binding set, or nullopt
  // for a withdraw.
  struct pending_publication {
    std::optional<sip::binding_set> bindings;
    std::chrono::steady_clock::time_point since;
  };
  // The signer for values at `resource_name`, nullptr when there is none.
  identity::message_signer* signer_for(const std::string& resource_name);
  // A self-signed identity for `resource_name` with `key`, kept among the
  // recent ones; nullptr (logged) when it cannot be made.
  identity::message_signer* make_identity(const std::string& resource_name, identity::key_pair key);
  // The SIP-REGISTRATION value naming this node for these bindings.
  void store_bindings(const sip::binding_set& bindings);
  void store(const std::string& aor, std::optional<wire::sip_registration> registration,
             std::uint32_t lifetime_s);
  void fetch(const std::shared_ptr<lookup_job>& job, const std::string& resource_name,
             std::size_t depth);
  void finish(lookup_job& job);

  overlay::overlay_node& node_;
  identity::message_signer& node_signer_;
  sip_directory_options options_;
  // Signers hold a key and certificate as OpenSSL objects, several KiB:
  // only the few last used are kept, and the others are derived again.
  std::deque<std::pair<std::string, std::unique_ptr<identity::message_signer>>> recent_signers_;
  // The AORs whose last Store has not succeeded (yet), with its number.
  // Stored ones are not listed: the registrar keeps no per-AOR state here.
  struct unsettled {
    std::string state;
    std::uint64_t store = 0;
  };
  std::map<std::string, unsettled> unsettled_;
  std::map<std::string, pending_publication> pending_;  // AOR → latest
  std::uint64_t changes_ = 0;
  std::size_t stores_in_flight_ = 0;
  std::uint64_t stores_sent_ = 0;
  std::uint64_t last_storage_time_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
