#include "daemon/p2psip_daemon.hpp"

#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "daemon/ca_account_client.hpp"
#include "daemon/media_wiring.hpp"
#include "overlay/chord_topology.hpp"
#include "runtime/logger.hpp"
#include "runtime/wire_endpoint.hpp"

namespace p2psip::daemon {

using runtime::link_log_sink;
using runtime::logs;

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// A graceful leave hands replicas over first; this bounds it, well inside
// systemd's default TimeoutStopSec of 90 s.
constexpr auto leave_bound = 10s;
constexpr auto housekeeping_interval = 1s;

// The registry's counters only go up by increments: raise one to `total`.
void catch_up(control::counter_metric& counter, std::uint64_t total) {
  if (total > counter.value()) counter.increment(total - counter.value());
}

}  // namespace

// Credentials handed to overlay members by AppAttach: short-lived, since
// nobody revokes them.
constexpr std::chrono::seconds overlay_credential_ttl = std::chrono::hours(1);
// How often (in housekeeping rounds, a second each) ICE's relay pool looks
// for relays and renews credentials: each look is a few Finds.
constexpr std::uint64_t relay_refresh_rounds = 30;
constexpr std::uint64_t relay_retry_rounds = 5;
constexpr std::uint64_t relay_retry_max_rounds = 300;
constexpr auto relay_wait_before_join = 800ms;
constexpr auto relink_retry = 2s;
constexpr int relink_attempts = 4;
// How many linked peers relay.mode auto asks for this node's reflexive address.
constexpr std::size_t reflexive_witnesses = 3;
// Linked peers looked through for two STUN servers at different addresses.
constexpr std::size_t mapping_witness_candidates = 8;
// How often the NAT's mapping is asked again once known, and while unknown.
constexpr auto mapping_probe_interval = 60s;
constexpr auto mapping_retry_interval = 5s;
// How often each relay behind a relayed link is asked for a Binding: with
// the STUN port's 3.5 s of retransmissions, a dead relay's links fail over
// within about 5.5 s, where consent expiry takes 10.
constexpr auto relay_probe_interval = 2s;

const char* mapping_text(std::optional<bool> endpoint_independent) {
  if (!endpoint_independent) return "unknown";
  return *endpoint_independent ? "endpoint-independent" : "endpoint-dependent";
}

std::uint64_t wall_clock_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

p2psip_daemon::p2psip_daemon(asio::io_context& io, loaded_config config,
                             std::optional<std::filesystem::path> config_file,
                             daemon::state_paths paths)
    : io_(io),
      config_(std::move(config)),
      config_file_(std::move(config_file)),
      paths_(std::move(paths)),
      started_(std::chrono::steady_clock::now()),
      trust_(trust_policy_for(config_.config.overlay)),
      authenticator_(trust_),
      signatures_(trust_, certificate_cache_),
      credentials_(load_credentials(config_.config, paths_.state_dir, trust_.policy())),
      self_(credentials_.certificate.node_ids().front()),
      user_(credentials_.certificate.user_name().value_or("")),
      relay_tls_identity_(relay_tls_identity()),
      link_config_(link_parameters()),
      tls_(credentials_, authenticator_, link_config_, link_log_sink()),
      dtls_(credentials_, authenticator_, link_config_, link_log_sink(),
            link::tls_transport::datagram),
      ice_loop_(config_.config.overlay.no_ice ? nullptr
                                              : std::make_unique<nat::glib_loop_thread>("ice")),
      signer_(make_signer()),
      timers_(io),
      transport_(io, tls_, self_, link_config_),
      dialler_(io, transport_),
      ice_(make_ice_transport()),
      security_(signer_, signatures_, [] { return std::chrono::system_clock::now(); }),
      kinds_(kinds_for(config_.config.overlay)),
      node_(
          self_, overlay_parameters(config_.config.overlay), timers_, overlay_transport(),
          security_,
          [](overlay::overlay_node& n) { return std::make_unique<overlay::chord_topology>(n); },
          std::random_device{}()),
      data_verifier_(signatures_, certificate_cache_),
      storage_(node_, kinds_, data_verifier_),
      relay_(io, events_),
      turn_service_(
          node_,
          [this](const wire::resource_id& resource, wire::kind_id kind, wire::stored_data& data) {
            return static_cast<bool>(signer_.sign_stored_data(resource, kind, data));
          },
          wall_clock_ms,
          {.density = config_.config.overlay.turn_density,
           .lifetime = std::chrono::seconds(600),
           .signer_of = [this](const wire::signature& signature) -> std::optional<wire::node_id> {
             const auto match = certificate_cache_.find(signature.identity);
             if (!match) return std::nullopt;
             if (match->node) return match->node;
             const auto ids = match->certificate.node_ids();
             if (ids.empty()) return std::nullopt;
             return ids.front();
           }}),
      relay_pool_(config_.config.overlay.no_ice
                      ? nullptr
                      : std::make_unique<nat::relay_pool>(turn_service_, self_, unix_seconds)),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      watchdog_(io.get_executor(), notifier_,
                [this] {
                  return (!sip_ || !sip_->sip_thread_stalled()) && !relay_.relay_thread_stalled();
                }),
      housekeeping_(io) {
  transport_.set_events(&node_);
  node_.set_wall_clock(wall_clock_ms);
  // Peers stop being offered this relay before it goes (after the storage
  // hand-over, which registered first).
  node_.before_leave([this](std::function<void(bool)> done) {
    turn_service_.withdraw([done = std::move(done)] { done(true); });
  });
  node_.set_data_model_lookup(kinds_.data_models());
  const auto& overlay = config_.config.overlay;
  media_ = make_media_anchor();
  sip_ = std::make_unique<usage::sip_service>(
      io_, node_, signer_, tls_, events_,
      usage::sip_service_options{.sip = config_.config.sip,
                                 .overlay_name = overlay.name,
                                 .self_signed_permitted = overlay.self_signed_permitted,
                                 .self_signed_digest = overlay.digest == self_signed_digest::sha1
                                                           ? wire::hash_algorithm::sha1
                                                           : wire::hash_algorithm::sha256,
                                 .node_listen_address = config_.config.node.listen_address,
                                 .sdp = media_,
                                 .call_media =
                                     [this](std::function<void(boost::json::object)> answer) {
                                       if (!media_) return answer({});
                                       media_->reports([answer](auto calls, auto) {
                                         answer(calls_media_json(calls));
                                       });
                                     },
                                 .accounts_authority = account_authority(),
                                 .account_trust = trust_.policy(),
                                 .open_ice_stream = sip_ice_streams(),
                                 .recipient_certificates =
                                     overlay.self_signed_permitted ? nullptr : &trust_},
      paths_.state_dir);
}

std::shared_ptr<usage::account_authority> p2psip_daemon::account_authority() {
  // Accounts from the phones' passwords: a CA overlay with an enrollment
  // server, and a certificate of ours that it issued.
  const auto& overlay = config_.config.overlay;
  if (overlay.self_signed_permitted || !overlay.enrollment_server ||
      trust_.policy().root_certs.empty()) {
    return nullptr;
  }
  const auto target = identity::parse_https_url(*overlay.enrollment_server);
  if (!target) return nullptr;
  identity::enrollment_request server;
  server.host = target->host;
  server.port = target->port;
  server.overlay = overlay.name;
  server.root_certs = trust_.policy().root_certs;
  server.timeout = std::chrono::seconds(5);
  account_client_ = std::make_shared<ca_account_client>(io_, std::move(server), signer_.key(),
                                                        signer_.certificate());
  return account_client_;
}

decltype(usage::sip_service_options::open_ice_stream) p2psip_daemon::sip_ice_streams() {
  if (!ice_) return {};
  // The SIP channel's streams take their candidates where links do.
  return [this](nat::ice_role role, nat::ice_stream_handlers handlers) {
    return nat::ice_stream::open(ice_->loop(), io_.get_executor(), ice_->agent_config(role),
                                 std::move(handlers));
  };
}

p2psip_daemon::~p2psip_daemon() { transport_.set_events(nullptr); }

int p2psip_daemon::run() {
  const auto& node_config = config_.config.node;
  const asio::ip::tcp::endpoint wanted(asio::ip::make_address(node_config.listen_address),
                                       node_config.listen_port);
  const auto bound = transport_.listen(wanted);
  std::cout << "p2psipd: node " << self_.hex() << " user " << user_ << " overlay "
            << config_.config.overlay.name << " listening on " << bound.address().to_string() << ":"
            << bound.port() << "\n"
            << std::flush;
  logs.write(log_level::notice, "overlay listener on " + bound.address().to_string() + ":" +
                                    std::to_string(bound.port()) + ", state in " +
                                    paths_.state_dir.string());
  listen_port_ = bound.port();
  open_stun_port(bound);

  start_sip();
  start_relay();
  open_control_socket();
  observe();
  start_membership();
  if (provisioning_) renewal_ = std::make_unique<certificate_renewal>(io_, *provisioning_);
  wait_for_signals();
  watchdog_.start();
  schedule_housekeeping();
  io_.run();
  return exit_code_;
}

std::unique_ptr<nat::ice_transport> p2psip_daemon::make_ice_transport() {
  if (!ice_loop_) return nullptr;
  transport_.set_datagram_context(dtls_);
  nat::ice_transport_config c;
  c.self = self_;
  const auto listen = asio::ip::make_address(config_.config.node.listen_address);
  if (!listen.is_unspecified()) c.local_addresses.push_back(listen);
  c.stun_server = [this]() -> std::optional<nat::transport_address> {
    const auto servers = peer_stun_servers(1);
    if (servers.empty()) return std::nullopt;
    return servers.front();
  };
  c.relays = [this] {
    return relay_pool_ ? relay_pool_->relays() : std::vector<nat::turn_relay>{};
  };
  c.udp_blocked = [this] { return udp_blocked_; };
  c.mapping_independent = [this] { return mapping_independent_; };
  // A relayed link lost: its relay is left out and another one looked for,
  // and a new Attach (with an Update once linked, §6.5.1) replaces the link.
  c.relay_lost = [this](const asio::ip::address& relay) {
    leave_out_relay(relay, "a link through it stopped answering");
  };
  c.relink = [this](const wire::node_id& peer) { relink(peer, relink_attempts); };
  return std::make_unique<nat::ice_transport>(io_, *ice_loop_, transport_, std::move(c));
}

nat::ice_agent_config p2psip_daemon::media_ice_config() const {
  if (ice_) return ice_->agent_config(nat::ice_role::controlling);
  nat::ice_agent_config c;
  const auto listen = asio::ip::make_address(config_.config.node.listen_address);
  if (!listen.is_unspecified()) c.local_addresses.push_back(listen);
  return c;
}

std::shared_ptr<media::media_anchor> p2psip_daemon::make_media_anchor() {
  if (!config_.config.sip.enabled) return nullptr;
  media::media_anchor::hooks hooks;
  // From the media thread: onto this one, where sip_ and events_ live. The
  // anchor stops (joining its thread) before this daemon goes.
  hooks.call_inactive = [this](const std::string& call_id, const std::string& why) {
    asio::post(io_, [this, call_id, why] {
      if (sip_) sip_->end_call(call_id, why);
    });
  };
  hooks.event = [this](const std::string& event, const std::string& call_id,
                       const std::string& detail) {
    asio::post(io_, [this, event, call_id, detail] {
      events_.publish("media", {{"what", event}, {"call_id", call_id}, {"detail", detail}});
    });
  };
  return std::make_shared<media::media_anchor>(media_anchor_config_of(config_.config),
                                               media_ice_config(), std::move(hooks));
}

void p2psip_daemon::update_media_metrics() {
  if (!media_) return;
  const auto& c = media_counters_;
  const std::pair<const char*, std::uint64_t> totals[] = {
      {"begun", c.calls},          {"ended", c.calls_ended},
      {"inactive", c.inactive},    {"refused", c.refused},
      {"paths_ready", c.paths_ready}, {"paths_failed", c.paths_failed},
      {"pool_misses", c.pool_misses}};
  for (const auto& [what, total] : totals) {
    catch_up(metrics_.counter("media_calls_total", "anchored calls and their events, by what",
                              {{"what", what}}),
             total);
  }
  std::uint64_t streams = 0;
  std::uint64_t packets[2] = {0, 0};
  std::uint64_t lost[2] = {0, 0};
  std::array<std::uint64_t, 4> by_type{};
  for (const auto& call : media_calls_) {
    for (const auto& s : call.streams) {
      ++streams;
      packets[0] += s.from_phone.packets;
      packets[1] += s.from_far.packets;
      lost[0] += s.from_phone.lost;
      lost[1] += s.from_far.lost;
      if (s.pair) ++by_type[static_cast<std::size_t>(s.pair->local.type)];
    }
  }
  metrics_.gauge("media_calls", "calls anchored now").set(static_cast<double>(media_calls_.size()));
  metrics_.gauge("media_streams", "anchored streams now").set(static_cast<double>(streams));
  const char* directions[] = {"from_phone", "from_far"};
  for (int i = 0; i < 2; ++i) {
    metrics_.gauge("media_packets", "RTP packets of the calls anchored now, by direction",
                   {{"direction", directions[i]}})
        .set(static_cast<double>(packets[i]));
    metrics_.gauge("media_lost", "RTP packets lost in the calls anchored now, by direction",
                   {{"direction", directions[i]}})
        .set(static_cast<double>(lost[i]));
  }
  for (std::size_t t = 0; t < by_type.size(); ++t) {
    metrics_.gauge("media_paths", "ICE paths of the streams anchored now, by local candidate type",
                   {{"type", nat::to_string(static_cast<nat::ice_candidate_type>(t))}})
        .set(static_cast<double>(by_type[t]));
  }
}

overlay::message_transport& p2psip_daemon::overlay_transport() {
  if (ice_) return *ice_;
  return transport_;
}

std::vector<wire::node_id> p2psip_daemon::directly_linked_peers() const {
  std::vector<wire::node_id> direct;
  for (const auto& peer : node_.linked_peers()) {
    const auto pair = ice_ ? ice_->pair_with(peer) : std::nullopt;
    if (transport_.dialled(peer) || (pair && pair->remote.type == nat::ice_candidate_type::host)) {
      direct.push_back(peer);
    }
  }
  return direct;
}

void p2psip_daemon::relink(const wire::node_id& peer, int attempts) {
  if (node_.connected(peer) || node_.state() != overlay::node_state::joined) return;
  node_.attach({wire::destination::node(peer)}, true, [peer](auto result) {
    if (result) {
      logs.write(log_level::info, "relinked with " + peer.hex());
      return;
    }
    const auto& e = result.error();
    logs.write(log_level::info, "relinking with " + peer.hex() +
                                    " failed: " + overlay::to_string(e.failure) +
                                    (e.info.empty() ? "" : " (" + e.info + ")"));
  });
  if (attempts > 1) {
    timers_.schedule(relink_retry, [this, peer, attempts] { relink(peer, attempts - 1); });
  }
}

void p2psip_daemon::probe_udp(std::function<void()> done) {
  const auto servers = peer_stun_servers(1);
  if (!stun_ || servers.empty()) {
    done();
    return;
  }
  stun_->ask(servers.front(), [this, done = std::move(done)](auto mapped) {
    udp_blocked_ = !mapped.has_value();
    done();
  });
}

void p2psip_daemon::probe_mapping() {
  const auto now = std::chrono::steady_clock::now();
  if (!ice_ || !stun_ || mapping_probing_ || node_.state() != overlay::node_state::joined ||
      now < next_mapping_probe_) {
    return;
  }
  next_mapping_probe_ = now + (mapping_independent_ ? mapping_probe_interval : mapping_retry_interval);
  std::vector<nat::transport_address> servers;
  for (const auto& server : peer_stun_servers(mapping_witness_candidates)) {
    if (servers.empty() || server.address() != servers.front().address()) {
      servers.push_back(server);
    }
    if (servers.size() == 2) break;
  }
  if (servers.size() < 2) return;
  mapping_probing_ = true;
  auto seen = std::make_shared<std::vector<std::optional<asio::ip::udp::endpoint>>>();
  for (const auto& server : servers) {
    stun_->ask(server, [this, seen](std::optional<asio::ip::udp::endpoint> mapped) {
      seen->push_back(mapped);
      if (seen->size() < 2) return;
      mapping_probing_ = false;
      const auto& first = seen->front();
      const auto& second = seen->back();
      const std::optional<bool> verdict =
          first && second ? std::optional<bool>(*first == *second) : std::nullopt;
      if (verdict && verdict != mapping_independent_) {
        logs.write(log_level::info,
                   std::string("NAT mapping: ") + mapping_text(verdict) + " (seen at " +
                       address_text(first->address()) + ":" + std::to_string(first->port()) +
                       " and " + address_text(second->address()) + ":" +
                       std::to_string(second->port()) + ")");
      }
      mapping_independent_ = verdict;
    });
  }
}

void p2psip_daemon::leave_out_relay(const asio::ip::address& relay, const std::string& why) {
  if (!relay_pool_ || relay_pool_->drop_at(relay) == 0) return;
  logs.write(log_level::info, "relay at " + address_text(relay) + " left out: " + why);
  relay_pool_->refresh(directly_linked_peers());
}

void p2psip_daemon::probe_relays() {
  // Over UDP only: a relay reached over TCP is one UDP does not reach.
  const auto now = std::chrono::steady_clock::now();
  if (!ice_ || !relay_pool_ || !stun_ || udp_blocked_ != false || now < next_relay_probe_) return;
  next_relay_probe_ = now + relay_probe_interval;
  auto servers = ice_->relay_servers_in_use();
  for (const auto& relay : relay_pool_->relays()) {
    if (relay.transport == nat::turn_transport::udp &&
        std::ranges::find(servers, relay.server) == servers.end()) {
      servers.push_back(relay.server);
    }
  }
  for (const auto& server : servers) {
    if (!relays_probing_.insert(server).second) continue;
    stun_->ask(server, [this, server](std::optional<asio::ip::udp::endpoint> mapped) {
      relays_probing_.erase(server);
      if (mapped) return;
      // Held ones too: the next agents would gather at it and wait out the
      // allocation, which holds up the answer to a failed-over link's Attach.
      leave_out_relay(server.address(), "it stopped answering STUN");
      if (ice_) ice_->relay_unreachable(server.address());
    });
  }
}

std::vector<nat::transport_address> p2psip_daemon::peer_stun_servers(std::size_t limit) const {
  // A peer on this node's own address (the same host) tells nothing.
  const auto own = asio::ip::make_address(config_.config.node.listen_address);
  std::vector<nat::transport_address> servers;
  for (const auto& peer : node_.linked_peers()) {
    if (servers.size() == limit) break;
    const auto at = transport_.listen_address(peer);
    if (!at) continue;
    // Only an address known to be reachable from here: one this node
    // dialled, or the host candidate an ICE check reached. An address a
    // peer behind a NAT advertised is not, and libnice would wait for the
    // STUN answer through all its retransmissions.
    std::optional<asio::ip::address> reachable;
    if (transport_.dialled(peer)) {
      reachable = at->address();
    } else if (const auto pair = ice_ ? ice_->pair_with(peer) : std::nullopt;
               pair && pair->remote.type == nat::ice_candidate_type::host) {
      reachable = pair->remote.address.address();
    }
    if (reachable && *reachable != own) servers.emplace_back(*reachable, at->port());
  }
  return servers;
}

void p2psip_daemon::open_stun_port(const asio::ip::tcp::endpoint& overlay) {
  const asio::ip::udp::endpoint at(overlay.address(), overlay.port());
  try {
    stun_ = std::make_unique<nat::stun_port>(io_, at);
  } catch (const boost::system::system_error& e) {
    logs.write(log_level::warning, "no STUN server on UDP " + address_text(at.address()) + ":" +
                                       std::to_string(at.port()) + ": " + e.what());
    return;
  }
  stun_->start();
  logs.write(log_level::info, "STUN server on UDP " + address_text(at.address()) + ":" +
                                  std::to_string(at.port()));
}

void p2psip_daemon::start_sip() {
  if (!config_.config.sip.enabled) return;
  try {
    sip_->start();
  } catch (const std::exception& e) {
    logs.write(log_level::error, std::string("SIP front not started: ") + e.what());
    return;
  }
  const auto where = sip_->status();
  std::cout << "p2psipd: SIP front on " << where.at("udp").as_string().c_str() << "\n"
            << std::flush;
}

void p2psip_daemon::start_relay() {
  try {
    relay_.start(config_.config.relay, choose_relay(config_.config), paths_.state_dir,
                 relay_tls_identity_);
  } catch (const std::exception& e) {
    logs.write(log_level::error, std::string("relay not started: ") + e.what());
  }
  if (relay_.running()) {
    // The one exchange beyond the RFCs (p2psipd(8), RELAY): an AppAttach to
    // application 3478 is signed by a member of the overlay, so the relay
    // answers with short-lived credentials minted for the signer's Node-ID.
    node_.set_app_attach_handler(
        nat::turn_credentials_application,
        [this](const wire::app_attach_req&,
               const wire::node_id& sender) -> std::optional<wire::app_attach_ans> {
          const auto minted = relay_.mint(sender.hex(), overlay_credential_ttl);
          if (!minted) return std::nullopt;
          return nat::turn_service::credentials_answer(
              {minted->username, minted->password, relay_.candidates()});
        });
  }
  // The server's TLS context has its own copy now.
  std::fill(relay_tls_identity_.private_key_pem.begin(), relay_tls_identity_.private_key_pem.end(),
            '\0');
  relay_tls_identity_ = {};
}

void p2psip_daemon::publish_relay() {
  if (turn_service_.publishing() || relay_checking_ || !relay_.running()) return;
  const auto where = relay_.advertised();
  if (!where) {
    logs.write(log_level::notice,
               "relay not published in the overlay: it listens on an unspecified address "
               "(set relay.address to the one peers reach)");
    return;
  }
  if (config_.config.relay.mode == relay_mode::automatic) {
    check_reflexive_address(*where);
  } else {
    announce_relay(*where);
  }
}

void p2psip_daemon::check_reflexive_address(const asio::ip::udp::endpoint& where) {
  // RFC 6940 §9: a node whose reflexive address differs from its own is
  // behind a NAT and unsuitable. Up to three linked peers are asked; with
  // none to ask, the address check that started the relay stands.
  const auto servers = peer_stun_servers(reflexive_witnesses);
  if (!stun_ || servers.empty()) {
    announce_relay(where);
    return;
  }
  relay_checking_ = true;
  struct tally {
    std::size_t waiting;
    std::optional<std::string> differing;
  };
  auto seen = std::make_shared<tally>(tally{servers.size(), std::nullopt});
  for (const auto& server : servers) {
    stun_->ask(server, [this, seen, server, where](std::optional<asio::ip::udp::endpoint> mapped) {
      if (mapped && mapped->address() != where.address() && !seen->differing) {
        seen->differing = address_text(server.address()) + " sees this node at " +
                          address_text(mapped->address());
      }
      if (--seen->waiting > 0) return;
      relay_checking_ = false;
      if (seen->differing) {
        relay_.turn_off("relay.mode is auto and " + *seen->differing + ", not " +
                        address_text(where.address()) +
                        ": behind a NAT, unsuitable as a relay (RFC 6940 §9)");
      } else {
        announce_relay(where);
      }
    });
  }
}

void p2psip_daemon::announce_relay(const asio::ip::udp::endpoint& where) {
  const auto density = config_.config.overlay.turn_density;
  turn_service_.publish(runtime::to_wire(where.address(), where.port()),
                        [density, where](std::size_t stored) {
    logs.write(log_level::info, "relay " + address_text(where.address()) + ":" +
                                    std::to_string(where.port()) + " published at " +
                                    std::to_string(stored) + " of " + std::to_string(density) +
                                    " TURN-SERVICE Resource-IDs");
  });
}

nat::turn_tls_identity p2psip_daemon::relay_tls_identity() const {
  if (!choose_relay(config_.config).on) return {};
  auto key = credentials_.key.to_pem();
  if (!key) throw std::runtime_error("relay: the node's key: " + key.error().describe());
  return {credentials_.certificate.to_pem(), std::move(*key)};
}

link::link_config p2psip_daemon::link_parameters() const {
  link::link_config c;
  c.max_message_size = config_.config.overlay.max_message_size;
  return c;
}

identity::message_signer p2psip_daemon::make_signer() {
  // The TLS context holds its own reference to the key, so the signer may
  // take it over.
  auto signer = identity::message_signer::create(std::move(credentials_.key),
                                                 credentials_.certificate, self_);
  if (!signer) throw std::runtime_error("signer: " + signer.error().describe());
  return std::move(*signer);
}

// --- control socket ---------------------------------------------------------

std::string p2psip_daemon::reported_state() const {
  switch (node_.state()) {
    case overlay::node_state::idle: return "init";
    case overlay::node_state::joining: return "joining";
    case overlay::node_state::joined:
      return membership_ && membership_->isolated() ? "isolated" : "joined";
    case overlay::node_state::leaving: return "leaving";
    case overlay::node_state::stopped: return "stopped";
  }
  return "init";
}

// --- overlay life cycle -------------------------------------------------------

void p2psip_daemon::observe() {
  node_.on_state_change([this](overlay::node_state state) {
    logs.write(log_level::notice, std::string("state ") + overlay::to_string(state));
    publish_state();
    if (state == overlay::node_state::joined) publish_relay();
    if (state == overlay::node_state::joined && !ready_sent_) {
      ready_sent_ = true;
      notifier_.ready(daemon::overlay_status_text(reported_state(), transport_.link_count()));
    }
  });
  // Values this node holds as the responsible peer, or that left it.
  storage_.on_stored([this](const wire::store_req& store) {
    for (const auto& block : store.kind_data) {
      const auto* values = std::get_if<0>(&block.values);
      events_.publish("storage.stored", {{"resource_id", store.resource.hex()},
                                         {"kind", block.kind.value},
                                         {"values", values ? values->size() : 0}});
    }
  });
  storage_.on_expired([this](const storage::expired_value& gone) {
    events_.publish("storage.expired",
                    {{"resource_id", gone.resource.hex()}, {"kind", gone.kind.value}});
  });
  transport_.set_observers(
      {.on_link_up =
           [this](const wire::node_id& peer) {
             events_.publish("peer.up", {{"node_id", peer.hex()}});
             logs.write(log_level::info, "link up " + peer.hex());
             if (membership_) membership_->link_up(peer);
           },
       .on_link_down =
           [this](const wire::node_id& peer, const std::string& reason) {
             events_.publish("peer.down", {{"node_id", peer.hex()}, {"reason", reason}});
             logs.write(log_level::info, "link down " + peer.hex() + ": " + reason);
             if (membership_) membership_->link_down(peer);
           }});
}

void p2psip_daemon::publish_state() {
  const auto state = reported_state();
  if (state == last_published_state_) return;
  last_published_state_ = state;
  events_.publish("node.state", {{"state", state}});
  notifier_.status(daemon::overlay_status_text(state, transport_.link_count()));
}

void p2psip_daemon::start_membership() {
  bootstrap::membership_options options;
  for (const auto& where : config_.config.overlay.bootstrap_nodes) {
    options.bootstrap_nodes.push_back({where.host, where.port});
  }
  options.known_peers_file = paths_.state_dir / "peers";
  // Its announcements reach the keeper once the loop runs, after start().
  start_discovery();
  options.discovery = discovery_ != nullptr;
  if (relay_pool_) {
    // TURN credentials from the peers linked already (a bootstrap node that
    // relays) before the join's first Attach gathers: behind a firewall that
    // drops UDP it is reachable only through one. A relay that is slow to
    // answer delays the join by 0.8 s at most.
    // Whether UDP gets out is probed meanwhile: without an answer by then,
    // the join's agents take TURN over TCP only (until one comes), rather
    // than wait out UDP allocations that cannot succeed.
    options.before_join = [this](std::function<void()> join) {
      auto once = std::make_shared<std::function<void()>>(std::move(join));
      const auto go = [once] {
        if (*once) std::exchange(*once, nullptr)();
      };
      auto both = std::make_shared<int>(2);
      const auto one_done = [both, go] {
        if (--*both == 0) go();
      };
      relay_pool_->ask_now(directly_linked_peers(), one_done);
      probe_udp(one_done);
      timers_.schedule(relay_wait_before_join, [this, go] {
        if (!udp_blocked_ && stun_ && !peer_stun_servers(1).empty()) udp_blocked_ = true;
        go();
      });
    };
  }
  membership_ =
      std::make_unique<bootstrap::membership_keeper>(node_, timers_, dialler_, std::move(options));
  membership_->start();
}

void p2psip_daemon::start_discovery() {
  const auto& d = config_.config.discovery;
  if (!d.enabled) return;
  bootstrap::lan_discovery_options options;
  options.overlay_name = config_.config.overlay.name;
  options.self = self_;
  options.advertised_address = asio::ip::make_address(config_.config.node.listen_address);
  options.overlay_port = listen_port_;
  options.group = asio::ip::make_address_v4(d.group);
  options.port = d.port;
  options.interval = d.interval;
  options.interface = d.interface;
  options.ttl = d.ttl;
  discovery_ = std::make_unique<bootstrap::lan_discovery>(
      io_.get_executor(), options,
      [this](const wire::node_id& peer, const asio::ip::address& address, std::uint16_t port) {
        if (membership_) membership_->discovered(peer, {address, port});
      });
  discovery_->start();
  // Not yet running (no network at boot, say) is normal: it starts by itself.
  if (const auto status = discovery_->status(); status.state != "running") {
    logs.write(log_level::notice, "LAN discovery " + status.state + ": " + status.problem +
                                      "; it starts when an interface comes up");
  }
}

// --- signals and shutdown -----------------------------------------------------

void p2psip_daemon::wait_for_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload();
      wait_for_signals();
      return;
    }
    shut_down_gracefully(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    wait_for_signals();  // a second SIGTERM during the leave changes nothing
  });
}

void p2psip_daemon::shut_down_gracefully(const std::string& why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  logs.write(log_level::notice, why + ": leaving the overlay");
  notifier_.stopping();
  if (membership_) membership_->stop();  // saves the last-known peers while the links are up
  if (discovery_) discovery_->stop();
  const auto state = node_.state();
  if (state != overlay::node_state::joined && state != overlay::node_state::joining) {
    finish();
    return;
  }
  auto bound = std::make_shared<asio::steady_timer>(io_, leave_bound);
  bound->async_wait([this, bound](const boost::system::error_code& ec) {
    if (ec) return;
    logs.write(log_level::warning, "leave did not finish in time; exiting anyway");
    finish();
  });
  node_.leave([this, bound](bool handed_over) {
    bound->cancel();
    if (handed_over) {
      logs.write(log_level::notice, "left the overlay");
    } else {
      logs.write(log_level::warning, "left the overlay; some data could not be handed over");
    }
    finish();
  });
}

void p2psip_daemon::finish() {
  if (finished_) return;
  finished_ = true;
  watchdog_.stop();
  housekeeping_.cancel();
  if (control_) control_->close();
  if (sip_) sip_->stop();
  relay_.stop();
  node_.stop();
  transport_.close_all();
  // Lets close_notify go out on each link before the loop ends.
  auto linger = std::make_shared<asio::steady_timer>(io_, 200ms);
  linger->async_wait([this, linger](const boost::system::error_code&) {
    signals_.cancel();
    io_.stop();
  });
}

// --- housekeeping -------------------------------------------------------------

void p2psip_daemon::schedule_housekeeping() {
  housekeeping_.expires_after(housekeeping_interval);
  housekeeping_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    publish_state();  // isolation is noticed here: no event marks it
    poll_watches();
    if (provisioning_ && provisioning_->refetch_due(std::chrono::system_clock::now())) {
      (void)reload();  // the configuration document before it expires (§11.1)
    }
    renew_certificate_if_due();
    probe_mapping();
    probe_relays();
    // Soon after joining, then now and then. While fewer are held than
    // wanted (a spare lets a relayed link fail over at once), sooner at
    // first and then less and less often: each round is Finds across the
    // overlay, and in an overlay with fewer relays (or none) they would be
    // most of an idle node's traffic. A round that gained a relay starts the
    // backoff again: relays are still being published (a node that joined
    // with the overlay found one and waited minutes for the spare).
    const auto state = node_.state();
    if (relay_pool_ &&
        (state == overlay::node_state::joining || state == overlay::node_state::joined) &&
        housekeeping_rounds_++ >= next_relay_round_) {
      const auto held = relay_pool_->held();
      const bool short_of = held < relay_pool_->wanted();
      const bool gained = held > relays_held_last_round_;
      relays_held_last_round_ = held;
      relay_retry_wait_ = short_of && !gained
                              ? std::min(relay_retry_wait_ * 2, relay_retry_max_rounds)
                              : relay_retry_rounds;
      next_relay_round_ =
          housekeeping_rounds_ + (short_of ? relay_retry_wait_ : relay_refresh_rounds);
      relay_pool_->refresh(directly_linked_peers());
      // A firewall opened, or a probe lost: asked again while blocked.
      if (udp_blocked_.value_or(false)) probe_udp([] {});
    }
    if (media_) {
      media_->set_ice_config(media_ice_config());
      media_->reports([this](std::vector<media::call_report> calls,
                             media::media_anchor_counters counters) {
        asio::post(io_, [this, calls = std::move(calls), counters] {
          media_calls_ = calls;
          media_counters_ = counters;
        });
      });
    }
    const auto peers = transport_.link_count();
    if (peers != last_status_peers_) {
      last_status_peers_ = peers;
      notifier_.status(daemon::overlay_status_text(reported_state(), peers));
    }
    // Joins and handshakes leave freed heap that glibc keeps in the
    // process; handing it back keeps an idle daemon small (a few µs here).
    malloc_trim(0);
    schedule_housekeeping();
  });
}


// Mirrors the node's cumulative counters into the registry.
void p2psip_daemon::refresh_metrics() {
  const auto& c = node_.counters();
  const std::pair<const char*, std::uint64_t> totals[] = {
      {"received", c.received},
      {"forwarded", c.forwarded},
      {"delivered", c.delivered},
      {"originated", c.originated},
      {"dropped_malformed", c.dropped_malformed},
      {"dropped_unroutable", c.dropped_unroutable},
      {"dropped_bad_signature", c.dropped_bad_signature},
      {"ttl_exceeded", c.ttl_exceeded},
      {"errors_sent", c.errors_sent},
      {"links_failed", c.links_failed}};
  for (const auto& [what, total] : totals) {
    catch_up(metrics_.counter("reload_messages_total", "RELOAD messages by outcome",
                              {{"outcome", what}}),
             total);
  }
  for (const auto& [code, total] : c.errors_sent_by_code) {
    catch_up(metrics_.counter("reload_errors_sent_total", "ErrorResponses sent, by code",
                              {{"code", wire::to_string(code)}}),
             total);
  }
  catch_up(metrics_.counter("reload_bytes_sent_total", "bytes of RELOAD messages sent"),
           c.bytes_sent);
  catch_up(metrics_.counter("overlay_keepalive_pings_total", "Pings sent on idle links"),
           c.keepalive_pings);
  catch_up(metrics_.counter("overlay_unused_links_closed_total",
                            "idle links closed because neither end needed them"),
           c.unused_links_closed);
  metrics_.gauge("thread_stalled", "1 while a thread leaves its liveness probe unanswered",
                 {{"thread", "sip"}})
      .set(sip_->sip_thread_stalled() ? 1.0 : 0.0);
  relay_.update_metrics(metrics_);
  update_media_metrics();
  metrics_.gauge("overlay_links", "live overlay links")
      .set(static_cast<double>(transport_.link_count()));
  if (ice_) {
    const auto& ice = ice_->counters();
    for (std::size_t type = 0; type < ice.selected_by_local_type.size(); ++type) {
      catch_up(metrics_.counter("ice_pairs_selected_total",
                                "ICE pairs handed to DTLS links, by this side's candidate type",
                                {{"type", nat::to_string(static_cast<nat::ice_candidate_type>(type))}}),
               ice.selected_by_local_type[type]);
    }
    catch_up(metrics_.counter("ice_failures_total", "ICE attempts that ended without a pair"),
             ice.failures);
    catch_up(metrics_.counter("ice_failovers_total",
                              "relayed links lost and attached afresh through another relay"),
             ice.failovers);
  }
  metrics_.gauge("storage_values", "values stored on this node")
      .set(static_cast<double>(storage_.store().value_count()));
  metrics_.gauge("storage_watches", "storage.watch watches this node polls for its clients")
      .set(static_cast<double>(watches_.size()));
  const auto& s = storage_.stats();
  catch_up(metrics_.counter("storage_stores_total", "original Stores accepted"), s.stores);
  metrics_.gauge("control_connections", "control socket clients")
      .set(static_cast<double>(control_ ? control_->stats().connections : 0));
  // What the process's data costs, without RSS's library pages and freed
  // heap not yet handed back (memory benchmarks divide it by what is stored).
  const auto heap = mallinfo2();
  metrics_.gauge("malloc_heap_bytes", "heap in use, all malloc arenas and mmapped blocks")
      .set(static_cast<double>(heap.uordblks + heap.hblkhd));
}

}  // namespace p2psip::daemon
