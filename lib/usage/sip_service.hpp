// The SIP usage in p2psipd: the SIP front (lib/sip, on its own "sip"
// thread) wired to the overlay through sip_directory (SIP-REGISTRATION
// Store/Fetch) and sip_channel (AppAttach + TLS streams between daemons),
// its JSON-RPC methods (sip.registrations, sip.lookup, sip.dialogs,
// sip.message, and for apps sip.register and sip.unregister: app_bindings.hpp),
// its events (sip.registration, sip.dialog, and sip.message.received to the
// app that owns the AOR), and sofia-sip's log routed to the daemon's logger.
//
// Bindings survive a restart (bindings_store.hpp): at start the saved ones
// are put back into the front and published once joined; while running, a
// change (the directory's change count moved) is saved on the next
// one-second tick, so a REGISTER storm costs at most one write a second
// (fewer when writing takes long), and once more when the service stops.
//
// Threading: constructed, started, stopped and queried on the daemon's
// io_context thread; the front posts everything it hands out onto that
// thread (sip_front.hpp), so directory, channel, events and control answers
// all run there.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "control/control_server.hpp"
#include "control/event_bus.hpp"
#include "identity/message_signer.hpp"
#include "link/tls_context.hpp"
#include "overlay/overlay_node.hpp"
#include "sip/bindings.hpp"
#include "sip/sdp_rewriter.hpp"
#include "usage/app_bindings.hpp"
#include "usage/certificate_store_usage.hpp"
#include "usage/phone_accounts.hpp"
#include "usage/presence_watches.hpp"
#include "usage/sip_channel.hpp"
#include "usage/sip_directory.hpp"
#include "usage/sip_inbox.hpp"
#include "usage/sip_usage_config.hpp"

namespace p2psip::sip {
class sip_front;
}

namespace p2psip::usage {

// In the state directory: the seed each AOR's signing key derives from, and
// the accounts held for phones' users (phone_accounts.hpp).
inline constexpr const char* aor_seed_file_name = "sip-aor.seed";
inline constexpr const char* accounts_dir_name = "accounts";

// Which AORs a sip config lets register: the listed users, or with none
// listed any user@domain (ad hoc), restricted to `domains` when given.
bool sip_aor_allowed(const sip_config& config, const std::string& aor);
// Whether an AOR is user@domain within `domains` (any domain when none is
// given): an AOR of the overlay, wherever it registers.
bool sip_aor_in_domains(const sip_config& config, const std::string& aor);

// What the service takes from the rest of the node's configuration.
struct sip_service_options {
  sip_config sip;
  std::string overlay_name;
  // Self-signed overlays give each AOR a key of its own (sip_directory.hpp).
  bool self_signed_permitted = false;
  wire::hash_algorithm self_signed_digest = wire::hash_algorithm::sha256;
  std::string node_listen_address = "0.0.0.0";  // where the channel listens
  // The media plug-in (the daemon's media anchor); none: SDP passes untouched.
  std::shared_ptr<sip::sdp_rewriter> sdp;
  // sip.dialogs' "media": asks for every call's media, answered (from any
  // thread) with an object keyed by Call-ID. Unset: no "media" member.
  std::function<void(std::function<void(boost::json::object)>)> call_media;
  // A CA overlay with an enrollment server: accounts from the phones'
  // passwords (phone_accounts.hpp), asked of this authority, trusted under
  // `account_trust`. Null: none (the front challenges no phone for them).
  std::shared_ptr<account_authority> accounts_authority;
  identity::trust_policy account_trust;
  // An ICE overlay: how the channel opens its streams (sip_channel_config).
  decltype(sip_channel_config::open_ice_stream) open_ice_stream;
  // CA overlays: offline messages sealed to recipients' certificates this
  // verifies (sip_inbox.hpp); unset: kept in clear.
  const identity::certificate_verifier* recipient_certificates = nullptr;
};

class sip_service {
 public:
  // Everything must outlive the service. The bindings and the AORs' key
  // seed are saved in `state_dir` (not at all when it is empty). Throws
  // when the saved seed cannot be read.
  sip_service(boost::asio::io_context& io, overlay::overlay_node& node,
              identity::message_signer& signer, const link::tls_context& tls,
              control::event_bus& events, sip_service_options options,
              const std::filesystem::path& state_dir = {});
  ~sip_service();
  sip_service(const sip_service&) = delete;
  sip_service& operator=(const sip_service&) = delete;

  // Starts the front and the channel when sip.enabled; throws
  // std::runtime_error when the front cannot bind.
  void start();
  void stop();
  bool running() const noexcept { return front_ != nullptr; }
  // Ends a call from this daemon (sip_front::end_call); nothing when off.
  void end_call(const std::string& call_id, const std::string& why);

  // sip.registrations, sip.lookup, sip.dialogs, sip.message, sip.register,
  // sip.unregister, and click-to-call's sip.call and sip.hangup.
  void register_methods(control::control_server& server);
  // For node.status: where the front listens and whether its thread runs,
  // or nothing when off.
  boost::json::object status() const;
  // The node's certificate was renewed: published again where the old one was.
  void node_certificate_changed() { inbox_.node_certificate_changed(); }
  // The accounts held for phones' users (phone_accounts.hpp), by user.
  std::vector<identity::node_certificate> account_certificates() const;
  // The sip thread has left a liveness probe unanswered for `stall_after`:
  // it is stuck (a blocking call, a spin), and the watchdog stops.
  bool sip_thread_stalled() const;

 private:
  bool refuse_unless_running(const control::responder& respond) const;
  // sip.presence of `aor`: the agent's view here when registered here, else
  // its home agent's through the overlay; an error when neither answers.
  struct presence_answer {
    std::optional<control::rpc_error> error;
    boost::json::object fields;  // sip.presence's result
    sip::presence_view view;
  };
  void find_presence(const std::string& aor, std::function<void(presence_answer)> done);
  // The saved bindings into the front; a bad file is logged and moved aside.
  void restore_bindings();
  // The presence agent's publications and subscriptions across a restart
  // (presence_state_file.hpp).
  void save_presence_state(const sip::saved_presence& all);
  void restore_presence_state();
  // Each second: pending publications once joined, then a save if due.
  void schedule_tick();
  void save_if_changed();
  void save(const std::vector<sip::registration_info>& all, std::uint64_t changes);

  boost::asio::io_context& io_;
  overlay::overlay_node& node_;
  control::event_bus& events_;
  const sip_service_options options_;
  // Before the directory, which signs with its accounts.
  std::unique_ptr<phone_accounts> accounts_;
  certificate_store_usage certificates_;
  sip_directory directory_;
  sip_channel channel_;
  sip_inbox inbox_;
  std::unique_ptr<sip::sip_front> front_;
  app_bindings apps_;
  presence_watches watches_;
  std::filesystem::path bindings_file_;
  std::filesystem::path presence_state_file_;
  boost::asio::steady_timer tick_;
  std::uint64_t saved_changes_ = 0;  // directory_.changes() at the last save
  bool saving_ = false;              // a snapshot is on its way
  std::chrono::steady_clock::time_point next_save_{};
  std::string save_error_;  // the last failure, logged once
  // Sent on each tick when none is outstanding; cleared by the answer.
  std::optional<std::chrono::steady_clock::time_point> probe_sent_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
