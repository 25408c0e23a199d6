// p2psip_daemon: one RELOAD overlay node on real TLS links with storage and
// the JSON-RPC control socket (p2psipd(8)). It wires the layers together on
// one io_context thread, which runs everything: links, overlay, storage,
// control. The SIP front and the STUN/TURN relay run on threads of their own
// ("sip", "relay") and post to this one. main() parses the command line and
// hands over the configuration.
//
// Adding a service (SIP, say): construct it after storage_ in the member
// list, start it in run() next to the others, stop it in finish(), and
// register its control methods from its own file like control_methods.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "bootstrap/lan_discovery.hpp"
#include "bootstrap/link_dialler.hpp"
#include "bootstrap/membership_keeper.hpp"
#include "control/control_server.hpp"
#include "control/metrics_http_server.hpp"
#include "control/event_bus.hpp"
#include "control/metrics_registry.hpp"
#include "daemon/ca_account_client.hpp"
#include "daemon/certificate_renewal.hpp"
#include "daemon/overlay_provisioning.hpp"
#include "daemon/overlay_setup.hpp"
#include "daemon/relay_service.hpp"
#include "nat/glib_loop_thread.hpp"
#include "nat/ice_transport.hpp"
#include "nat/relay_pool.hpp"
#include "nat/stun_port.hpp"
#include "nat/turn_service.hpp"
#include "daemon/state_paths.hpp"
#include "daemon/systemd_notifier.hpp"
#include "daemon/watchdog_pinger.hpp"
#include "identity/certificate_cache.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/credential_store.hpp"
#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"
#include "link/identity_authenticator.hpp"
#include "link/tls_context.hpp"
#include "media/media_anchor.hpp"
#include "overlay/identity_message_security.hpp"
#include "overlay/overlay_node.hpp"
#include "runtime/asio_timer_service.hpp"
#include "runtime/link_transport.hpp"
#include "storage/certificate_data_verifier.hpp"
#include "storage/kind_registry.hpp"
#include "storage/overlay_storage.hpp"
#include "storage/value_watch_list.hpp"
#include "usage/sip_service.hpp"
#include "wire/fetch.hpp"

namespace p2psip::daemon {

// Exit codes (p2psipd(8)).
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// Milliseconds since the epoch, for storage times.
std::uint64_t wall_clock_ms();

// A NAT mapping verdict as the ice status shows it (RFC 4787 §4.1 terms).
const char* mapping_text(std::optional<bool> endpoint_independent);

// node.status's certificate: whose it is, its Node-IDs, and when it expires.
boost::json::object certificate_status(const identity::node_certificate& cert);

class p2psip_daemon {
 public:
  // Throws std::runtime_error when the identity, trust anchors or Kinds
  // cannot be set up.
  p2psip_daemon(boost::asio::io_context& io, loaded_config config,
                std::optional<std::filesystem::path> config_file, state_paths paths);
  ~p2psip_daemon();
  p2psip_daemon(const p2psip_daemon&) = delete;
  p2psip_daemon& operator=(const p2psip_daemon&) = delete;

  // Runs until the node has left the overlay; returns the exit code.
  int run();

  // --log-level on the command line wins over the file on reload.
  bool explicit_log_level_ = false;
  // Set when the overlay section comes from its configuration server: SIGHUP
  // and config.reload fetch the document again (§11.2).
  std::optional<overlay_provisioning> provisioning_;

 private:
  link::link_config link_parameters() const;
  identity::message_signer make_signer();

  // --- control socket (control_methods.cpp) ---------------------------------
  void open_control_socket();
  void open_metrics_listener();
  void register_methods();
  boost::json::object status() const;
  boost::json::object discovery_status() const;
  // node.status's ice: whether Attach uses ICE, relays with credentials held,
  // agents still checking, pairs handed to links and failed attempts.
  boost::json::object ice_status() const;
  boost::json::object peers() const;
  void route(const boost::json::object& params, control::responder respond);
  // overlay.attach: an Attach to a node (a link to it, ICE or not).
  void attach(const boost::json::object& params, control::responder respond);
  // The link's transport (dtls-udp, tls-tcp) and, over ICE, the pair's types.
  void describe_link(const wire::node_id& peer, boost::json::object& out) const;
  bool refuse_unless_joined(const control::responder& respond) const;
  bool refuse_other_kinds(const boost::json::object& params,
                          const control::responder& respond) const;
  void put(const boost::json::object& params, control::responder respond);
  void get(const boost::json::object& params, control::responder respond);
  // storage.watch and storage.unwatch (value_watch_list.hpp): polled from
  // housekeeping, each change an event on the watching connection.
  void watch(const boost::json::object& params, control::responder respond);
  void unwatch(const boost::json::object& params, control::responder respond);
  void poll_watches();
  // One look; a watch's first answers its storage.watch call.
  void poll_watch(std::uint64_t id);

  // Starts the SIP front (sip.enabled); a failure to bind is logged and
  // the daemon runs on without SIP.
  void start_sip();
  // Starts the STUN/TURN relay when relay.mode says so; a failure to bind is
  // logged and the daemon runs on without it.
  void start_relay();
  // Publishes the relay in the overlay once joined, if it runs somewhere
  // others can reach.
  void publish_relay();
  // relay.mode auto: publishes only when linked peers see this node at its
  // own address; otherwise turns the relay off.
  void check_reflexive_address(const boost::asio::ip::udp::endpoint& where);
  void announce_relay(const boost::asio::ip::udp::endpoint& where);
  void open_stun_port(const boost::asio::ip::tcp::endpoint& overlay);
  std::unique_ptr<nat::ice_transport> make_ice_transport();
  // The media anchor's agents: the overlay's servers, or host candidates on
  // node.listen-address in a No-ICE overlay.
  nat::ice_agent_config media_ice_config() const;
  std::shared_ptr<media::media_anchor> make_media_anchor();
  void update_media_metrics();
  // How the SIP channel opens ICE streams; nothing in a No-ICE overlay.
  decltype(usage::sip_service_options::open_ice_stream) sip_ice_streams();
  // The CA that gives accounts from the phones' passwords; null when none.
  std::shared_ptr<usage::account_authority> account_authority();

  // --- the node's certificate (certificate_renewal.hpp) ----------------------
  // Starts a renewal once the certificate is due (housekeeping).
  void renew_certificate_if_due();
  // node.enroll: enrollment with a user's password or a token.
  void enroll(const boost::json::object& params, control::responder respond);
  // A certificate from the CA for the key in use. One naming this node's
  // Node-ID is in force at once: links up keep theirs, new links and
  // signatures show it, and it is published where the old one was.
  // Another (a re-enrollment as another user) waits for the next start.
  // Returns whether it is in force; publishes node.certificate.
  bool install_certificate(const identity::node_certificate& cert, std::string_view what);
  boost::json::array accounts_status() const;
  overlay::message_transport& overlay_transport();
  // Up to `limit` linked peers' STUN servers (their overlay ports' UDP
  // twins, RFC 6940 §6.5.1.4): for srflx candidates and relay.mode auto.
  std::vector<nat::transport_address> peer_stun_servers(std::size_t limit) const;
  // Linked peers reachable directly: those this node dialled (bootstrap
  // nodes), and those whose ICE pair reached their host candidate (public
  // ones). The relays among them are asked for credentials without a Find.
  std::vector<wire::node_id> directly_linked_peers() const;
  // Asks a directly reachable peer's STUN server whether UDP gets out and
  // sets udp_blocked_ from the answer (or its absence); `done` afterwards,
  // at once when there is nobody to ask.
  void probe_udp(std::function<void()> done);
  // Asks two directly reachable peers at different addresses for this
  // node's reflexive address from one socket and sets mapping_independent_
  // (RFC 4787 §4.1): the same address and port from both, or not; unknown
  // when either does not answer or there are not two to ask. Once joined,
  // every mapping_probe_interval (mapping_retry_interval while unknown).
  void probe_mapping();
  // Asks each relay held and each TURN server behind a relayed link for a
  // Binding every relay_probe_interval; one that does not answer is left
  // out and its links fail over (ice_transport::relay_unreachable).
  void probe_relays();
  // Drops the relays at `relay` from the pool, if held, and looks for others.
  void leave_out_relay(const boost::asio::ip::address& relay, const std::string& why);
  // Attaches to `peer` (a relayed link to it was lost), with an Update once
  // linked, and again every relink_retry while unlinked, `attempts` in all:
  // the peer may not have noticed the loss yet and answer as linked, and a
  // route may still cross the dead relay's node.
  void relink(const wire::node_id& peer, int attempts);
  void find_relays(const control::responder& respond);
  void obtain_credentials(const boost::json::object& params, const control::responder& respond);
  // The node's certificate and key for TURN over TLS, when the relay will run.
  nat::turn_tls_identity relay_tls_identity() const;

  // --- overlay life cycle ----------------------------------------------------
  std::string reported_state() const;
  void observe();
  void publish_state();
  // Bootstrap nodes, last-known peers and discovery (membership_keeper.hpp).
  void start_membership();
  void start_discovery();
  // SIGHUP and config.reload: what the running node can take (p2psipd(8));
  // config_reload.cpp.
  boost::json::object reload();
  // New Kind limits; changes that need a restart go to `restart_needed`.
  // Returns the Kinds changed.
  boost::json::array apply_kinds(const overlay_config& wanted, boost::json::array& restart_needed);

  // --- signals, shutdown, housekeeping ---------------------------------------
  void wait_for_signals();
  void shut_down_gracefully(const std::string& why);
  void finish();
  void schedule_housekeeping();
  void refresh_metrics();

  boost::asio::io_context& io_;
  loaded_config config_;
  std::optional<std::filesystem::path> config_file_;
  state_paths paths_;
  std::chrono::steady_clock::time_point started_;
  identity::certificate_verifier trust_;
  link::identity_authenticator authenticator_;
  identity::certificate_cache certificate_cache_;
  identity::signature_verifier signatures_;
  identity::node_credentials credentials_;
  wire::node_id self_;
  std::string user_;
  nat::turn_tls_identity relay_tls_identity_;  // taken before signer_ takes the key
  link::link_config link_config_;
  link::tls_context tls_;   // before signer_: see make_signer()
  link::tls_context dtls_;  // DTLS-UDP-SR links over ICE; before signer_ too
  // libnice's thread (ICE overlays): it outlives every agent, those in
  // transport_'s links included.
  std::unique_ptr<nat::glib_loop_thread> ice_loop_;
  identity::message_signer signer_;
  runtime::asio_timer_service timers_;
  runtime::link_transport transport_;
  bootstrap::link_dialler dialler_;
  // Attach over full ICE (overlay.no-ice false): the overlay's transport,
  // on transport_; null in a No-ICE overlay.
  std::unique_ptr<nat::ice_transport> ice_;
  overlay::identity_message_security security_;
  storage::kind_registry kinds_;
  overlay::overlay_node node_;
  storage::certificate_data_verifier data_verifier_;
  storage::overlay_storage storage_;
  control::event_bus events_;
  control::metrics_registry metrics_;
  // Media anchored in this daemon (media.*): the front's sdp_rewriter, on
  // threads of its own; null without SIP. Before sip_: the front holds it.
  std::shared_ptr<media::media_anchor> media_;
  // Its calls and counters as last reported (each housekeeping round), for
  // the metrics.
  std::vector<media::call_report> media_calls_;
  media::media_anchor_counters media_counters_;
  // The CA client for the phones' accounts (null without one), told of a
  // renewed node certificate.
  std::shared_ptr<ca_account_client> account_client_;
  // The SIP usage (sip_service.hpp): front, directory and channel.
  std::unique_ptr<usage::sip_service> sip_;
  // The STUN/TURN relay (relay_service.hpp), on its "relay" thread.
  relay_service relay_;
  // TURN-SERVICE (RFC 6940 §9): publishes the relay while it runs, finds others'.
  nat::turn_service turn_service_;
  // STUN on the UDP twin of the overlay port (RFC 6940 §6.5.1.4: linked
  // peers are each other's STUN servers); null when that port was taken.
  std::unique_ptr<nat::stun_port> stun_;
  // TURN relays with credentials for the ICE agents (null without ICE).
  std::unique_ptr<nat::relay_pool> relay_pool_;
  // Whether UDP got out to a STUN server last asked (probe_udp); unset
  // before the first answer.
  std::optional<bool> udp_blocked_;
  // Whether this node's NAT (if any) maps endpoint-independently, from the
  // last probe_mapping; unset until one gave both answers. Asked again every
  // mapping_probe_interval (more often while unknown).
  std::optional<bool> mapping_independent_;
  bool mapping_probing_ = false;
  std::set<nat::transport_address> relays_probing_;
  std::chrono::steady_clock::time_point next_relay_probe_{};
  std::chrono::steady_clock::time_point next_mapping_probe_{};
  // What storage.watch follows, by watch id. Before control_: a closing
  // connection ends its watches.
  struct watch_target {
    wire::resource_id resource;
    wire::fetch_req request;
    std::string key;  // as the client wrote it
    std::string encoding;
    std::chrono::seconds interval{};
    control::client_handle client;
    std::optional<control::responder> first;  // storage.watch, until its first look
  };
  storage::value_watch_list watches_;
  std::map<std::uint64_t, watch_target> watch_targets_;
  std::unique_ptr<control::control_server> control_;
  std::unique_ptr<control::metrics_http_server> metrics_http_;  // metrics.http-listen
  systemd_notifier notifier_;
  boost::asio::signal_set signals_;
  watchdog_pinger watchdog_;
  // Renewal and node.enroll, when the node enrolled at its overlay's CA.
  std::unique_ptr<certificate_renewal> renewal_;
  // A certificate for another Node-ID was saved: in force at the next start,
  // and not renewed meanwhile.
  bool restart_needed_ = false;
  std::unique_ptr<bootstrap::membership_keeper> membership_;
  std::unique_ptr<bootstrap::lan_discovery> discovery_;
  boost::asio::steady_timer housekeeping_;
  std::string last_published_state_;
  std::size_t last_status_peers_ = 0;
  std::uint16_t listen_port_ = 0;
  bool ready_sent_ = false;
  bool relay_checking_ = false;  // asking peers for the reflexive address
  std::uint64_t housekeeping_rounds_ = 0;
  // The relay pool's next refresh round, the wait (in rounds) while it holds
  // fewer relays than wanted, doubled at each round that gained none, and
  // how many it held at the last round.
  std::uint64_t next_relay_round_ = 0;
  std::uint64_t relay_retry_wait_ = 2;
  std::size_t relays_held_last_round_ = 0;
  bool shutting_down_ = false;
  bool finished_ = false;
  int exit_code_ = exit_ok;
};

}  // namespace p2psip::daemon
