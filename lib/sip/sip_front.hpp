// The SIP front of p2psipd (RFC 7904 over RFC 3261): a localhost registrar
// and a stateful proxy built on sofia-sip nta, which owns transactions,
// retransmissions and timers.
//
// The layer at a glance. Job: serve local softphones and hand their
// requests to the overlay. Thread: its own "sip" thread (below). Public
// types: sip_front and its config, events and answers (here),
// binding_table (bindings.hpp), request_router (routing.hpp), and the
// interfaces the daemon implements: overlay_directory, node_channel,
// sdp_rewriter. Inside, sip_front.cpp owns su_root and nta and wires the
// parts: registrar, digest_auth, forking_proxy, dialog_tracker,
// message_originator, with front_internal.hpp for what they share.
//
// Threading. The front runs sofia on its own thread ("sip"), around one
// su_root. Nothing of its state is touched from elsewhere:
//  * into the front: every public method may be called from any thread; it
//    posts a task to the sip thread's mailbox (a mutex-guarded queue woken by
//    an eventfd registered with su_root) and returns;
//  * out of the front: every call to overlay_directory, node_channel and
//    every event or query answer is posted through `overlay_executor` (in the
//    daemon: asio::post onto the overlay io_context), and the directory's and
//    channel's answers are posted back into the mailbox.
// So the overlay thread never sees sofia, and the sip thread never sees Asio.
// Destroying the front stops the thread; answers that arrive later are
// dropped.
//
// Routing, in order (RFC 3261 §16, RFC 7904 §4-§6):
//  1. our own Route entry is removed (loose routing); a remaining Route is
//     followed, through node_channel when it names another daemon (p2p=);
//  2. REGISTER goes to the registrar; a Request-URI without a user part (or
//     OPTIONS to our own address) is for the daemon itself: OPTIONS → 200;
//  3. in-dialog requests without Route go to their Request-URI;
//  4. otherwise the AOR: local bindings first (forking to every contact,
//     best response per §16.7), else overlay_directory::lookup and one
//     branch per destination node through node_channel.
//     An out-of-dialog MESSAGE from a local sender that finds no reachable
//     contact goes to sip_front_config::store_offline (202 once stored).
// A Request-URI carrying p2p-app=TOKEN (and no Route left) is the contact of
// an app on the control socket (bind_app, app_delivery.hpp), checked before
// step 2; one carrying p2p-c2c=ID is the click-to-call controller's
// (call(), call_controller.hpp).
// Presence (presence_agent.hpp), before step 4: every out-of-dialog PUBLISH,
// and a SUBSCRIBE to the presence event of an AOR registered here (or
// handed here with p2p-local), go to the presence agent; a Request-URI with
// p2p-fetch=TOKEN is the NOTIFY of one of its fetches.
// Errors: unknown AOR 404, nowhere reachable 480, overlay timeout 408 and
// overlay down 503 (both with a Reason header), Max-Forwards 0 → 483,
// malformed messages 400 or dropped by nta (RFC 3261 §18.3 / §16.3).
// A daemon gone: node_channel fails opens to it within its AppAttach bound
// (in-dialog requests through it get 480) and reports it unreachable; the
// front then sends a BYE to the local party of each confirmed dialog
// through it, as that party's peer would, and ends the dialog.
// Host names: the front resolves no DNS (sofia's resolver would run on the
// sip thread, and spins there where no nameserver is reachable). A next hop
// (a loose Route, else the Request-URI or a registered contact) that is not
// an IP literal is answered 404 at once, with a Reason naming the host; an
// ACK to one is dropped. There is no outbound proxy to send such requests
// to.
//
// Wiring in the daemon (sketch):
//   sip::sip_front front(cfg, directory, channel,
//       [&io](std::function<void()> f) { asio::post(io, std::move(f)); },
//       {.on_registration = publish_event, .on_dialog = publish_event});
//   sip.registrations → front.registrations(cb)   sip.dialogs → front.dialogs(cb)
//   sip.lookup        → front.lookup(aor, cb)     sip.message → front.send_message(...)
// `directory` and `channel` must outlive the front; their methods and all
// callbacks run on `io`'s thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sip/bindings.hpp"
#include "sip/node_channel.hpp"
#include "sip/overlay_directory.hpp"
#include "sip/routing.hpp"
#include "sip/sdp_rewriter.hpp"
#include "wire/ids.hpp"

namespace p2psip::sip {

// Runs a task on the overlay thread (thread-safe; must not run it inline from
// within the sip thread when that would re-enter sofia — posting is fine).
using executor = std::function<void(std::function<void()>)>;

enum class auth_mode {
  automatic,  // digest required unless the listener is on loopback
  always,
  never,
};

// A MESSAGE kept for a recipient with no reachable contact (its inbox), or
// handed back from it.
struct offline_message {
  std::string from;  // From URI
  std::string to;    // the recipient's AOR
  std::string content_type;
  std::string body;
  std::string message_id;  // the MESSAGE's Call-ID
};

// What the sender of a MESSAGE kept offline hears: 202 once stored, else
// the status to send (e.g. 480 Inbox Full, 513), or 0 for the failure
// that made it go offline, with `reason` in a Reason header.
struct offline_answer {
  int status = 0;
  std::string phrase;
  std::string reason;
};

// Accounts whose identities come from the phone's digest answer (p2psipd(8)
// ACCOUNTS): a REGISTER for `aor`, with its request URI method and its
// Authorization value (empty when it has none).
struct account_request {
  std::string aor;
  std::string authorization;
};

struct account_verdict {
  enum class action {
    proceed,    // register as usual
    challenge,  // 401 with a WWW-Authenticate header for each of `challenges`
    refuse,     // 403 with reason phrase `value`
  };
  action what = action::proceed;
  std::string value;
  std::vector<std::string> challenges;  // in the order sent (RFC 8760 §2.4)
};

struct sip_front_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 5060;  // 0: an ephemeral port (same for UDP and TCP)
  wire::node_id self{};              // our Node-ID, for Record-Route p2p= and lookups
  registrar_limits limits{};
  // Which AORs this node may serve (the configured users, or in ad hoc mode
  // any user@domain). Empty: every AOR is allowed. Refused → 403.
  std::function<bool(const std::string& aor)> may_register;
  // Which AORs are the overlay's (its domains): a presence SUBSCRIBE to one
  // registered nowhere is kept (presence_agent.hpp). Empty: none is.
  std::function<bool(const std::string& aor)> may_watch;
  binding_table::gr_token_fn gr_token;  // RFC 7904 §6 GRUU token; empty: no GRUUs
  auth_mode auth = auth_mode::automatic;
  std::string auth_realm = "p2psip";
  // sofia auth_module password file ("user:password" or "user:realm:ha1"
  // lines, see auth_module(3)); required when digest is on.
  std::string auth_db;
  std::string user_agent = "p2psipd";
  // Asked, on the overlay thread, before a REGISTER that passed the checks
  // above changes bindings; the REGISTER waits for `done`. Empty: none asked.
  std::function<void(const account_request&, std::function<void(account_verdict)>)> account_gate;
  std::size_t max_message_size = std::size_t{64} * 1024;
  // An out-of-dialog MESSAGE from a local sender (not handed over by another
  // daemon) that found no reachable contact (404, 408, 480) is passed here,
  // on the overlay thread, instead of failing; its answer is the sender's.
  // Empty: such MESSAGEs fail.
  std::function<void(const offline_message&, std::function<void(offline_answer)>)> store_offline;
};

struct dialog_info {
  std::string call_id;
  std::string from;  // From URI
  std::string to;    // To URI
  std::string from_tag;
  std::string to_tag;
  bool confirmed = false;  // false: early (1xx with a To tag)
  bool remote = false;     // one side is behind another daemon
  std::chrono::system_clock::time_point started{};
};

// A MESSAGE that reached the contact of an app (sip_front::bind_app).
struct app_message {
  std::string token;       // the app's, as given to bind_app
  std::string message_id;  // the MESSAGE's Call-ID
  std::string from;        // From URI
  std::string to;          // To URI
  std::string content_type;
  std::string body;
};

// Where an AOR's presence comes from.
enum class presence_source {
  unregistered,  // not registered here: closed
  registration,  // registered here, nothing published: open
  published,     // a phone's PUBLISH here
  remote,        // the answer of its home daemon's agent (a fetch)
};
const char* to_string(presence_source source);

// What the presence agent tells of an AOR (presence_agent.hpp).
struct presence_view {
  std::string aor;
  bool open = false;     // the PIDF basic status
  std::string note;      // from the published PIDF, if any
  std::string activity;  // its RPID activity ("away"), if any
  presence_source source = presence_source::unregistered;
};

// sip.presence of an AOR registered at another daemon: its agent's answer
// to a fetch (a SUBSCRIBE with Expires 0, RFC 6665 §4.4.3).
struct remote_presence {
  int status = 0;  // 200 with `view` (source "remote"), else why not (404, 480, 408, 503)
  std::string phrase;
  presence_view view;
};

// A live PUBLISH (publication_store.hpp) as kept across a restart in the
// daemon's state directory: its time left rather than a clock's time point.
struct saved_publication {
  std::string aor;
  std::string etag;
  std::string document;  // the PIDF as published
  std::chrono::seconds remaining{0};
};

// The dialog (RFC 3261 §12) a presence subscription's NOTIFYs go in, as
// text, so that it can be made again after a restart.
struct subscription_dialog {
  std::string call_id;
  std::string local;   // the agent's end, with its tag: From of the NOTIFYs
  std::string remote;  // the watcher's end, with its tag: To of the NOTIFYs
  std::string route;   // the SUBSCRIBE's Record-Route (the agent's own is added)
  std::string target;  // the watcher's Contact
};

// A presence subscription as kept across a restart, so a watcher keeps
// hearing of changes without subscribing again, and its time left.
struct saved_subscription {
  std::string aor;
  subscription_dialog dialog;
  std::uint32_t cseq = 0;  // of the agent's last NOTIFY, as of the last save
  bool followed = false;   // kept for an AOR registered nowhere (adopted)
  std::chrono::seconds remaining{0};
};

// What the presence agent keeps in the daemon's state directory.
struct saved_presence {
  std::vector<saved_publication> publications;
  std::vector<saved_subscription> subscriptions;
};

// The contact parameter of the daemon's own fetches (presence_agent.hpp).
inline constexpr const char* presence_fetch_param = "p2p-fetch";

struct sip_events {
  // An AOR's binding set changed (contacts empty: the AOR is gone).
  std::function<void(const registration_info&)> on_registration;
  // A REGISTER or an app's binding added or refreshed a contact of the AOR
  // (changed or not): the moment to hand it what waited offline.
  std::function<void(const std::string& aor)> on_registered;
  // A dialog appeared, was confirmed, or ended (`ended` true).
  std::function<void(const dialog_info&, bool ended)> on_dialog;
  // A MESSAGE for an app's contact: call `queued(true)` once it is queued
  // for a live client of that app, else `queued(false)` (the sender gets
  // 480). Unset: every app contact answers 480.
  std::function<void(const app_message&, std::function<void(bool)> queued)> on_app_message;
  // What watchers see of an AOR registered here changed (open, closed,
  // note, activity); closed once it is no longer registered here.
  std::function<void(const presence_view&)> on_presence;
  // What the home agent of an AOR that follow_presence() follows says of it
  // changed.
  std::function<void(const presence_view&)> on_followed_presence;
  // The live publications or subscriptions changed (a PUBLISH, a SUBSCRIBE,
  // one ended): all of them, for the state directory.
  std::function<void(saved_presence)> on_presence_state;
};

// The contact URI parameter that carries an app's token (app_delivery.hpp).
inline constexpr const char* app_token_param = "p2p-app";

struct app_binding_answer {
  int status = 0;  // 200, or the REGISTER status the same binding would get
  std::string phrase;
  std::string contact;              // the app's contact URI
  std::chrono::seconds expires{0};  // as granted (0: removed)
};

struct lookup_answer {
  std::vector<contact_binding> local;  // local bindings, if any
  route_decision overlay;              // when not local: the overlay's answer
};

struct message_result {
  int status = 0;  // final SIP status of the daemon-originated MESSAGE
  std::string phrase;
};

// What a click-to-call (sip_front::call) came to.
struct call_answer {
  enum class outcome {
    connected,      // both legs answered
    not_local,      // `from` has no contact on this front
    bad_address,    // `to` or `from` is not a SIP URI
    caller_failed,  // the caller's phones did not answer 2xx (status)
    callee_failed,  // the callee's side did not answer 2xx (status)
    hung_up,        // sip.hangup or a party's BYE ended it first
    too_many,       // the controller's limit of calls under way
  };
  outcome result = outcome::connected;
  int status = 0;  // the failing leg's final SIP status, 200 when connected
  std::string phrase;
  std::string id;              // the call's id (also for sip_front::hangup)
  std::string caller_call_id;  // the Call-IDs of its two dialogs (sip.dialogs)
  std::string callee_call_id;
};

struct hangup_answer {
  bool found = false;
  std::string id;          // the call's id
  bool cancelled = false;  // a leg was still ringing (CANCEL) rather than answered
};

struct listen_endpoints {
  stream_endpoint udp;
  stream_endpoint tcp;
};

class sip_front {
 public:
  // Starts the sip thread, binds UDP and TCP and returns once listening.
  // Throws std::runtime_error when it cannot bind or start.
  sip_front(sip_front_config config, overlay_directory& directory, node_channel& channel,
            executor overlay_executor, sip_events events = {},
            std::shared_ptr<sdp_rewriter> sdp = std::make_shared<identity_sdp_rewriter>());
  ~sip_front();
  sip_front(const sip_front&) = delete;
  sip_front& operator=(const sip_front&) = delete;

  // Where nta listens (the ports are the real ones when 0 was asked).
  const listen_endpoints& endpoints() const;
  // The TCP endpoint the daemon splices inbound AppAttach streams to.
  stream_endpoint tcp_endpoint() const { return endpoints().tcp; }

  // Control-plane hooks; each answer runs on the overlay executor.
  void registrations(std::function<void(std::vector<registration_info>)> done);
  void dialogs(std::function<void(std::vector<dialog_info>)> done);
  // Ends the call `call_id` from this daemon (its media went silent, say):
  // a BYE to its local party when the dialog is confirmed, as its peer would
  // send, with `why` in a Reason header; its media released either way.
  void end_call(const std::string& call_id, const std::string& why);
  void lookup(const std::string& aor, std::function<void(lookup_answer)> done);
  // The presence agent's view of an AOR (presence_agent.hpp).
  void presence(const std::string& aor, std::function<void(presence_view)> done);
  // The presence of an AOR from its home daemon's agent, through the overlay.
  void fetch_presence(const std::string& aor, std::function<void(remote_presence)> done);
  // Follows an AOR wherever it is registered (presence_poll_list.hpp),
  // starting from `known`: sip_events::on_followed_presence hears each
  // change. `done(false)` when max_followed_aors others are followed.
  // unfollow_presence: one follower less.
  void follow_presence(const presence_view& known, std::function<void(bool)> done);
  void unfollow_presence(const std::string& aor);
  // Liveness: `answered` runs on the overlay executor once the sip thread
  // has taken a task from its mailbox, so a stalled thread leaves it waiting.
  void probe(std::function<void()> answered);
  // A MESSAGE originated by the daemon, routed like any other request.
  void send_message(const std::string& from, const std::string& to, const std::string& body,
                    const std::string& content_type, std::function<void(message_result)> done);

  // Click-to-call (call_controller.hpp, RFC 3725 flow I): rings `from`'s
  // phones registered here, then connects the one that answers to `to`.
  void call(const std::string& from, const std::string& to, std::function<void(call_answer)> done);
  // Ends a call of call() by its id or one of its legs' Call-ID.
  void hangup(const std::string& id, std::function<void(hangup_answer)> done);

  // Binds (expires > 0) or removes (0) the contact of an app on the control
  // socket for `aor`, as a REGISTER from a phone would: the same binding
  // table, overlay publication and sip.registration event. `token` (random,
  // [0-9a-f]) names the contact; MESSAGEs to it come to
  // sip_events::on_app_message (app_delivery.hpp).
  void bind_app(const std::string& aor, const std::string& token, std::chrono::seconds expires,
                std::function<void(app_binding_answer)> done);

  // A MESSAGE from the inbox, sent to the local contacts of its recipient
  // only (never to the overlay, never kept offline again).
  void deliver_stored(const offline_message& message, std::function<void(message_result)> done);

  // Bindings saved before a restart: binding_table::restore(), then each
  // AOR restored is published as after a REGISTER.
  void restore(std::vector<registration_info> saved);

  // Publications and subscriptions saved before a restart (presence_agent::restore).
  void restore_presence_state(saved_presence saved);

  // Stops the sip thread (idempotent; the destructor calls it).
  void stop();
  // After stop(): the live bindings, read here since the sip thread is gone
  // (for a last save); empty while it runs.
  std::vector<registration_info> final_registrations() const;
  // After stop(): the presence agent's publications and subscriptions as it
  // stopped (nothing if it never ran).
  std::optional<saved_presence> final_presence_state() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace p2psip::sip
