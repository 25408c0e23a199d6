// The presence agent of this daemon's users (RFC 3856 over RFC 6665, with
// PUBLISH per RFC 3903). Phones PUBLISH PIDF documents here (kept in the
// publication_store); watchers SUBSCRIBE to the presence event of an AOR
// registered here, routed through the overlay to this daemon when they are
// elsewhere. What a watcher sees of an AOR:
//   registered here, with a live publication  → the newest published PIDF;
//   registered here, nothing published         → open;
//   not registered here                        → closed.
// A SUBSCRIBE that found its AOR registered nowhere (a colleague whose phone
// is off) is accepted all the same when the AOR is one of the overlay's
// (sip_front_config::may_watch): it is kept here, at the watcher's daemon,
// NOTIFYs "closed" at once, and follows the AOR through presence_poll_list
// (a fetch every presence_poll_interval), NOTIFYing what the AOR's home
// agent says once it registers anywhere. Apps follow AORs the same way
// (follow()), and hear of changes through `on_followed`.
// Each subscription is an nta leg; the agent record-routes itself in its
// 200 (as the proxy in front of it would), so every NOTIFY is sent to this
// front's own address along the dialog's route set and the proxy carries it
// on, through node_channel when the watcher is behind another daemon.
// NOTIFYs of one subscription go one at a time, the latest state last.
// Publications and subscriptions (their dialogs, with the CSeq of the last
// NOTIFY) go to on_presence_state for the state directory, and restore()
// takes them back after a restart, NOTIFYing each watcher in its dialog.
// Sip thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sip/bindings.hpp"
#include "sip/front_internal.hpp"
#include "sip/presence_poll_list.hpp"
#include "sip/publication_store.hpp"

namespace p2psip::sip {

class presence_agent {
 public:
  presence_agent(nta_agent_t* agent, const sip_front_config& cfg, const front_address& where,
                 const binding_table& bindings, const thread_bridge& bridge,
                 nta_request_f* leg_callback, nta_leg_magic_t* leg_magic,
                 std::function<void(const presence_view&)> on_change,
                 std::function<void(const presence_view&)> on_followed,
                 std::function<void(saved_presence)> on_presence_state);
  // Ends every subscription without a NOTIFY (the daemon is stopping).
  ~presence_agent();
  presence_agent(const presence_agent&) = delete;
  presence_agent& operator=(const presence_agent&) = delete;

  // An out-of-dialog SUBSCRIBE this agent serves: the presence event for an
  // AOR registered here, or handed here by another daemon (`local_only`).
  bool serves(const sip_t* sip, const std::string& aor, bool local_only) const;
  // Answer the request and destroy the transaction handle.
  void handle_publish(nta_incoming_t* irq, const sip_t* sip);
  void handle_subscribe(nta_incoming_t* irq, const sip_t* sip);
  // A SUBSCRIBE the proxy found registered nowhere (`sip` its own copy):
  // true when this agent took it over (answered it and destroyed `irq`),
  // false when it is not one to keep (not presence, a fetch, not an AOR of
  // the overlay) and the proxy answers as it would have.
  bool adopt_subscribe(nta_incoming_t* irq, const sip_t* sip);
  // A request inside one of the agent's subscriptions (nta matched `leg`);
  // returns the status for nta to answer with, 0 when answered.
  int in_dialog(nta_leg_t* leg, nta_incoming_t* irq, const sip_t* sip);

  // The AOR's binding set changed.
  void registration_changed(const std::string& aor);
  // Each second: expired publications and subscriptions.
  void expire_due();

  presence_view view(const std::string& aor) const;
  // What on_presence_state is given, as of now (the daemon saves it once
  // more when it stops, NOTIFYs of the last second included).
  saved_presence saved_state() const;
  // Publications and subscriptions saved before a restart: watchers of the
  // publications' AORs are told, and each restored subscription gets a
  // NOTIFY of the current state in its old dialog.
  void restore(const saved_presence& saved);

  // A fetch of an AOR's presence for sip.presence: a SUBSCRIBE with Expires
  // 0, sent to this front (so routed like a phone's) with a contact of ours
  // carrying presence_fetch_param; `done` hears the far agent's NOTIFY, or
  // the SUBSCRIBE's failure, or 408 after 5 s without a NOTIFY.
  void fetch(const std::string& aor, std::function<void(remote_presence)> done);
  // The NOTIFY a fetch asked for: answered and destroyed.
  void fetched(nta_incoming_t* irq, const sip_t* sip, const std::string& token);

  // An app follows (or no longer follows) an AOR wherever it is registered;
  // `known` is what the app was just told. False when max_followed_aors
  // others are followed.
  bool follow(const std::string& aor, const presence_view& known);
  void unfollow(const std::string& aor);

 private:
  struct subscription;
  struct notify_sender final : response_handler {
    subscription* sub = nullptr;
    int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
  };
  struct subscription {
    presence_agent* owner = nullptr;
    nta_leg_t* leg = nullptr;
    std::string aor;
    sip_clock::time_point expires_at{};
    nta_outgoing_t* notify = nullptr;  // the NOTIFY waiting for its answer
    bool again = false;                // the state changed while it waited
    bool terminated = false;           // the last NOTIFY said so
    bool followed = false;             // adopted: the AOR is in polls_
    notify_sender sender;
    // As saved across a restart; no call_id for one not saved (a fetch, a
    // watcher without a From tag).
    subscription_dialog dialog;
    bool saved = false;                // its first NOTIFY's CSeq is saved
    int restore_retries = 0;           // restored: NOTIFYs left to try
    sip_clock::time_point retry_at{};  // restored: the next try, if any
  };

  // The answer to a (re)SUBSCRIBE's Expires: granted, or 423/400 in `status`.
  struct granted {
    int status = 0;
    std::chrono::seconds expires{0};
  };
  struct pending_fetch final : response_handler {
    presence_agent* owner = nullptr;
    std::string token;
    std::string aor;
    nta_outgoing_t* orq = nullptr;
    sip_clock::time_point deadline{};
    std::function<void(remote_presence)> done;  // on the sip thread
    int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
  };
  void finish_fetch(const std::string& token, remote_presence result);

  granted grant(const sip_t* sip) const;
  // Answers a SUBSCRIBE and creates its subscription; nullptr when refused.
  subscription* accept(nta_incoming_t* irq, const sip_t* sip);
  // The subscription of `leg` (accepted or restored), held from now on.
  subscription& add(nta_leg_t* leg, std::string aor, sip_clock::time_point expires_at,
                    subscription_dialog dialog);
  // Starts a fetch whose `done` runs on the sip thread.
  void start_fetch(const std::string& aor, std::function<void(remote_presence)> done);
  void poll_followed();
  // Hands the live publications and subscriptions to on_presence_state_ (to
  // be saved): at once, or with the next expire_due() when `soon` (NOTIFYs,
  // whose CSeqs are saved, may come in bursts).
  void presence_state_changed(bool soon = false);
  std::vector<saved_subscription> saved_subscriptions(sip_clock::time_point now) const;
  // Creates the leg and subscription of a saved one; false when it cannot.
  bool restore(const saved_subscription& saved);
  void notify(subscription& s);
  void changed(const std::string& aor);
  void drop(subscription* s);
  std::string document(const std::string& aor) const;

  nta_agent_t* agent_;
  const sip_front_config& cfg_;
  const front_address& where_;
  const binding_table& bindings_;
  const thread_bridge& bridge_;
  nta_request_f* leg_callback_;
  nta_leg_magic_t* leg_magic_;
  std::function<void(const presence_view&)> on_change_;
  std::function<void(const presence_view&)> on_followed_;
  std::function<void(saved_presence)> on_presence_state_;
  presence_poll_list polls_;
  publication_store publications_;
  std::map<nta_leg_t*, std::unique_ptr<subscription>> subscriptions_;
  std::map<std::string, presence_view> last_seen_;  // per AOR, what on_change last told
  std::map<std::string, std::unique_ptr<pending_fetch>> fetches_;  // by token
  bool state_unsaved_ = false;  // presence_state_changed(true) since the last save
};

}  // namespace p2psip::sip
