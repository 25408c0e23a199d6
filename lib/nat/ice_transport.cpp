#include "nat/ice_transport.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "nat/ice_candidate_codec.hpp"
#include "runtime/logger.hpp"
#include "runtime/wire_endpoint.hpp"

namespace p2psip::nat {

using runtime::log_level;
using runtime::logs;

namespace {

// An IceExtension (RFC 6940 §6.5.1.1) on host candidates: the port of this
// node's TLS overlay listener, two bytes in network order. Peers keep it in
// their last-known peers file for direct (bootstrap) links after a restart,
// which an ICE-only Attach body would not tell them; implementations that do
// not know it ignore it.
const std::string listener_extension = "p2psip-overlay-port";

void mark_listener(wire::attach_req_ans& body, std::optional<std::uint16_t> port) {
  if (!port) return;
  for (auto& candidate : body.candidates) {
    if (candidate.type != wire::cand_type::host) continue;
    candidate.extensions.push_back(
        {{listener_extension.begin(), listener_extension.end()},
         {static_cast<std::uint8_t>(*port >> 8), static_cast<std::uint8_t>(*port & 0xff)}});
  }
}

std::optional<boost::asio::ip::tcp::endpoint> listener_of(const wire::attach_req_ans& body) {
  for (const auto& candidate : body.candidates) {
    if (candidate.type != wire::cand_type::host) continue;
    for (const auto& e : candidate.extensions) {
      if (std::string(e.name.begin(), e.name.end()) != listener_extension || e.value.size() != 2) {
        continue;
      }
      const auto where = runtime::from_wire(candidate.addr_port);
      if (!where) continue;
      return boost::asio::ip::tcp::endpoint(
          where->first, static_cast<std::uint16_t>(e.value[0] << 8 | e.value[1]));
    }
  }
  return std::nullopt;
}

}  // namespace

ice_transport::ice_transport(boost::asio::io_context& io, glib_loop_thread& loop,
                             runtime::link_transport& links, ice_transport_config config)
    : io_(io), loop_(loop), links_(links), config_(std::move(config)) {
  links_.set_responsiveness_observer(
      [this, alive = alive_](const wire::node_id& peer, bool responsive) {
        if (responsive) return;
        // Posted: the link is inside its own timer, and failing over closes it.
        boost::asio::post(io_, [this, alive, peer] {
          if (*alive) on_link_trouble(peer, "no ACK by the third retransmission");
        });
      });
}

ice_transport::~ice_transport() {
  links_.set_responsiveness_observer(nullptr);
  *alive_ = false;
  // Paths not handed over close their agents (and TURN allocations) here.
  offers_.clear();
  answers_.clear();
}

ice_agent_config ice_transport::agent_config(ice_role role) const {
  ice_agent_config c;
  c.role = role;
  c.local_addresses = config_.local_addresses;
  if (config_.relays) c.relays = config_.relays();
  const auto udp_known = config_.udp_blocked ? config_.udp_blocked() : std::nullopt;
  const bool udp_blocked = udp_known.value_or(false);
  if (udp_known) {
    const auto useless = *udp_known ? turn_transport::udp : turn_transport::tcp;
    std::erase_if(c.relays, [useless](const turn_relay& r) { return r.transport == useless; });
  }
  const auto independent = config_.mapping_independent ? config_.mapping_independent() : std::nullopt;
  if (udp_known == false && independent == true) c.relays.clear();
  // A TURN allocation's answer gives the server-reflexive candidate too. A
  // STUN server besides would be asked RFC 3489 style (libnice's way), and
  // libnice drops the cookie-less answer when a TURN discovery shares the
  // socket: the gathering then waits for it through every retransmission.
  if (config_.stun_server && c.relays.empty() && !udp_blocked) {
    if (auto server = config_.stun_server()) c.stun_servers.push_back(*server);
  }
  c.connect_limit = config_.connect_limit;
  return c;
}

void ice_transport::start_agent(ice_role role, link::tls_role dtls_role, negotiation_map& table,
                                std::uint64_t key, negotiation started) {
  auto path = std::make_shared<ice_path>();
  std::weak_ptr<ice_path> weak = path;
  ice_agent_handlers h;
  h.gathered = [this, alive = alive_, &table, key](const ice_description& local) {
    if (*alive) on_gathered(table, key, &local);
  };
  h.ready = [this, alive = alive_, &table, key, weak, dtls_role](const ice_selected_pair& pair) {
    if (!*alive) return;
    if (auto p = weak.lock()) p->on_ready(pair);
    on_checked(table, key, dtls_role);
  };
  h.failed = [this, alive = alive_, &table, key, weak](ice_failure why) {
    if (!*alive) return;
    // After the hand-over this is the link's path failing; before, the attempt.
    if (auto p = weak.lock()) {
      p->fail(std::string("ICE: ") + to_string(why));
      on_path_lost(p, why);
    }
    on_failed(table, key, why);
  };
  h.datagram = [weak](std::span<const std::uint8_t> datagram) {
    if (auto p = weak.lock()) p->deliver(datagram);
  };
  path->attach(std::make_unique<ice_agent>(loop_, io_.get_executor(), agent_config(role),
                                           std::move(h)));
  started.path = path;
  table.insert_or_assign(key, std::move(started));
  path->agent()->gather();
}

void ice_transport::offer_attach(
    std::function<void(overlay::attach_offer_id, wire::attach_req_ans)> ready) {
  ++counters_.offers;
  const auto key = ++last_key_;
  negotiation n;
  n.gathered = [this, key, ready = std::move(ready)](const ice_description* local) {
    auto body = local ? to_attach_body(*local, ice_role::controlling) : wire::attach_req_ans{};
    mark_listener(body, listen_port());
    ready(overlay::attach_offer_id{key}, std::move(body));
  };
  // The Attach's sender is the DTLS server (§6.5.1.13).
  start_agent(ice_role::controlling, link::tls_role::server, offers_, key, std::move(n));
}

void ice_transport::answer_attach(const wire::node_id& peer, const wire::attach_req_ans& offer,
                                  std::function<void(wire::attach_req_ans)> ready) {
  ++counters_.answers;
  if (const auto at = listener_of(offer)) links_.remember_listener(peer, *at);
  const auto remote = from_attach_body(offer, ice_role::controlled);
  // A No-ICE offer in an ICE overlay (§6.5.1.5: all one or the other), or a
  // malformed one, leaves nothing to check against. A peer linked already
  // (a finger search that ended at a neighbour, say) takes the answer as
  // done without a new link: gathering for it would only cost sockets and
  // relay allocations until the checks time out. So would a second path to
  // a peer whose checks are under way: its link takes the overlay's waiting
  // attaches when it comes up.
  if (!remote || links_.connected(peer) || negotiating_with(peer)) {
    ready(wire::attach_req_ans{});
    return;
  }
  const auto key = ++last_key_;
  negotiation n;
  n.peer = peer;
  n.gathered = [this, ready = std::move(ready)](const ice_description* local) {
    auto body = local ? to_attach_body(*local, ice_role::controlled) : wire::attach_req_ans{};
    mark_listener(body, listen_port());
    ready(std::move(body));
  };
  start_agent(ice_role::controlled, link::tls_role::client, answers_, key, std::move(n));
  answers_.at(key).path->agent()->set_remote(*remote);
}

void ice_transport::open_link(overlay::attach_offer_id offer, const wire::node_id& peer,
                              const wire::attach_req_ans& answer) {
  const auto key = static_cast<std::uint64_t>(offer);
  const auto entry = offers_.find(key);
  if (entry == offers_.end()) return;
  const auto answering = with_peer(answers_, peer);
  const bool offered = with_peer(offers_, peer) != offers_.end();
  if (answering != answers_.end() && !offered && config_.self > peer) {
    // Crossed Attaches: each side answered the other's offer. Both keep the
    // one offered by the larger Node-ID; keeping both, or dropping both,
    // leaves each agent checking against one its peer has closed.
    drop(answers_, answering->first);
  } else if (answering != answers_.end() || offered) {
    // Several Attaches (finger searches, say) ended at the same peer: one
    // set of checks is enough, and its link serves them all.
    offers_.erase(entry);
    return;
  }
  entry->second.peer = peer;
  if (const auto at = listener_of(answer)) links_.remember_listener(peer, *at);
  if (answer.candidates.empty()) {
    // The answerer is linked to us or checking with us already (see
    // answer_attach): that link serves this Attach, no failure.
    logs.write(log_level::debug, "ICE with " + peer.hex() + ": answered without candidates");
    drop(offers_, key);
    return;
  }
  const auto remote = from_attach_body(answer, ice_role::controlling);
  if (!remote || remote->candidates.empty()) {
    on_failed(offers_, key, ice_failure::no_usable_remote);
    return;
  }
  entry->second.path->agent()->set_remote(*remote);
}

void ice_transport::withdraw_offer(overlay::attach_offer_id offer) {
  offers_.erase(static_cast<std::uint64_t>(offer));
}

std::optional<ice_selected_pair> ice_transport::pair_with(const wire::node_id& peer) const {
  const auto entry = handed_over_.find(peer);
  if (entry == handed_over_.end()) return std::nullopt;
  const auto path = entry->second.lock();
  return path ? path->pair() : std::nullopt;
}

std::optional<std::uint16_t> ice_transport::listen_port() const {
  const auto at = links_.advertised();
  if (!at) return std::nullopt;
  return at->port();
}

ice_transport::negotiation_map::const_iterator ice_transport::with_peer(
    const negotiation_map& table, const wire::node_id& peer) {
  return std::ranges::find_if(table, [&peer](const auto& entry) { return entry.second.peer == peer; });
}

bool ice_transport::negotiating_with(const wire::node_id& peer) const {
  return with_peer(offers_, peer) != offers_.end() || with_peer(answers_, peer) != answers_.end();
}

void ice_transport::drop(negotiation_map& table, std::uint64_t key) {
  auto node = table.extract(key);
  if (!node.empty() && node.mapped().gathered) std::exchange(node.mapped().gathered, nullptr)(nullptr);
}

void ice_transport::on_gathered(negotiation_map& table, std::uint64_t key,
                                const ice_description* local) {
  const auto entry = table.find(key);
  if (entry == table.end() || !entry->second.gathered) return;
  // The overlay may re-enter (withdraw, open) from inside.
  std::exchange(entry->second.gathered, nullptr)(local);
}

void ice_transport::on_checked(negotiation_map& table, std::uint64_t key,
                               link::tls_role dtls_role) {
  auto node = table.extract(key);
  if (node.empty()) return;
  auto& n = node.mapped();
  if (!n.peer) return;  // checks cannot pass before the answer names the peer
  ++counters_.paths;
  const auto& pair = *n.path->pair();
  ++counters_.selected_by_local_type.at(static_cast<std::size_t>(pair.local.type));
  std::erase_if(handed_over_, [](const auto& entry) { return entry.second.expired(); });
  handed_over_[*n.peer] = n.path;
  logs.write(log_level::info, "ICE pair with " + n.peer->hex() + ": " + describe(pair));
  links_.adopt_path(std::move(n.path), dtls_role, *n.peer);
}

namespace {

// A path that has sent for this long with nothing back is failing: a live
// peer ACKs every data frame at once, and the overlay closes a link only
// after its requests went unanswered for at least half a reliability timer
// (500 ms at the shortest, more at once with the RTO's retransmissions).
constexpr auto failing_silence = std::chrono::milliseconds(1000);

bool relayed(const ice_selected_pair& pair) {
  return pair.local.type == ice_candidate_type::relay ||
         pair.remote.type == ice_candidate_type::relay;
}

// The relays a pair goes through: the TURN server behind a relayed local
// candidate, and a relayed remote candidate's own address (p2psipd's relays
// relay from the address they serve on; another relay is the peer's to
// leave out).
std::vector<boost::asio::ip::address> relays_of(const ice_selected_pair& pair) {
  std::vector<boost::asio::ip::address> out;
  if (pair.local.type == ice_candidate_type::relay) {
    out.push_back(pair.relay_server ? pair.relay_server->address() : pair.local.address.address());
  }
  if (pair.remote.type == ice_candidate_type::relay) out.push_back(pair.remote.address.address());
  return out;
}

}  // namespace

void ice_transport::close_link(const wire::node_id& peer) {
  const auto entry = handed_over_.find(peer);
  const auto path = entry == handed_over_.end() ? nullptr : entry->second.lock();
  const auto since = path ? path->unanswered_since() : std::nullopt;
  if (since && std::chrono::steady_clock::now() - *since >= failing_silence &&
      on_link_trouble(peer, "requests unanswered")) {
    return;
  }
  links_.close_link(peer);
}

std::vector<transport_address> ice_transport::relay_servers_in_use() const {
  std::vector<transport_address> servers;
  for (const auto& entry : handed_over_) {
    const auto pair = pair_with(entry.first);
    if (!pair || pair->local.type != ice_candidate_type::relay || !pair->relay_server) continue;
    if (std::ranges::find(servers, *pair->relay_server) == servers.end()) {
      servers.push_back(*pair->relay_server);
    }
  }
  return servers;
}

void ice_transport::relay_unreachable(const boost::asio::ip::address& relay) {
  std::vector<wire::node_id> through;
  for (const auto& entry : handed_over_) {
    const auto pair = pair_with(entry.first);
    if (!pair) continue;
    const auto relays = relays_of(*pair);
    if (std::ranges::find(relays, relay) != relays.end()) through.push_back(entry.first);
  }
  // on_link_trouble leaves handed_over_, so the peers are collected first.
  for (const auto& peer : through) {
    (void)on_link_trouble(peer, "its relay " + relay.to_string() + " stopped answering STUN");
  }
}

bool ice_transport::on_link_trouble(const wire::node_id& peer, const std::string& why) {
  const auto pair = pair_with(peer);
  // A direct pair has no relay to blame: §6.6.3.1 closes its link after the
  // last retransmission, and the topology repairs what it needs.
  if (!pair || !relayed(*pair)) return false;
  ++counters_.failovers;
  logs.write(log_level::notice, "relayed link to " + peer.hex() + " (" + describe(*pair) +
                                    ") lost: " + why + "; attaching through another relay");
  if (config_.relay_lost) {
    for (const auto& relay : relays_of(*pair)) config_.relay_lost(relay);
  }
  handed_over_.erase(peer);
  links_.close_link(peer);
  if (config_.relink) config_.relink(peer);
  return true;
}

void ice_transport::on_path_lost(const std::shared_ptr<ice_path>& lost, ice_failure why) {
  const auto entry = std::ranges::find_if(
      handed_over_, [&lost](const auto& e) { return e.second.lock() == lost; });
  if (entry == handed_over_.end()) return;
  (void)on_link_trouble(entry->first, std::string("ICE: ") + to_string(why));
}

void ice_transport::on_failed(negotiation_map& table, std::uint64_t key, ice_failure why) {
  const auto entry = table.find(key);
  if (entry == table.end()) return;
  ++counters_.failures;
  const auto& peer = entry->second.peer;
  // An answer's checks also end this way when the offerer reached the peer
  // by another path first and closed its agent: not worth a notice.
  const auto level = &table == &offers_ ? log_level::info : log_level::debug;
  logs.write(level, std::string("ICE with ") + (peer ? peer->hex() : "a peer") +
                        " failed: " + to_string(why));
  drop(table, key);
}

}  // namespace p2psip::nat
