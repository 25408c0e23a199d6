#include "runtime/link_transport.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "runtime/wire_endpoint.hpp"

namespace p2psip::runtime {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::optional<tcp::endpoint> endpoint_of(const wire::ip_address_port& address) {
  const auto found = from_wire(address);
  if (!found) return std::nullopt;
  return tcp::endpoint(found->first, found->second);
}

}  // namespace

asio::ip::address advertised_address(const asio::ip::address& bound) {
  if (!bound.is_unspecified()) return bound;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    std::optional<asio::ip::address> found;
    for (const ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      found = asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
    }
    ::freeifaddrs(list);
    if (found) return *found;
  }
  return asio::ip::address_v4::loopback();
}

wire::ice_candidate host_candidate(const tcp::endpoint& endpoint) {
  wire::ice_candidate host;
  host.addr_port = to_wire(endpoint.address(), endpoint.port());
  host.overlay_link = wire::overlay_link_type::tls_tcp_fh_no_ice;
  host.foundation = {'1'};
  host.priority = 1;
  host.type = wire::cand_type::host;
  return host;
}

std::optional<tcp::endpoint> first_usable_candidate(const wire::attach_req_ans& attach) {
  for (const auto& candidate : attach.candidates) {
    if (candidate.overlay_link != wire::overlay_link_type::tls_tcp_fh_no_ice) continue;
    if (auto endpoint = endpoint_of(candidate.addr_port)) return endpoint;
  }
  return std::nullopt;
}

link_transport::link_transport(asio::io_context& io, const link::tls_context& context,
                               const wire::node_id& self, link::link_config config)
    : config_(config), table_(io, context, self, config, callbacks()) {}

link_transport::~link_transport() { events_ = nullptr; }

link::link_callbacks link_transport::callbacks() {
  return {.on_link_up = [this](const wire::node_id& peer) { link_up(peer); },
          .on_link_down = [this](const wire::node_id& peer,
                                 const std::string& reason) { link_down(peer, reason); },
          .on_link_responsiveness =
              [this](const wire::node_id& peer, bool responsive) {
                if (responsiveness_) responsiveness_(peer, responsive);
              },
          .on_message =
              [this](const wire::node_id& peer, std::vector<std::uint8_t> message) {
                if (events_ != nullptr) events_->on_message(peer, message);
              },
          .on_keepalive_due =
              [this](const wire::node_id& peer) {
                if (events_ != nullptr) events_->on_link_idle(peer);
              }};
}

tcp::endpoint link_transport::listen(const tcp::endpoint& endpoint) {
  const auto bound = table_.listen(endpoint);
  advertised_ = tcp::endpoint(advertised_address(bound.address()), bound.port());
  return bound;
}

void link_transport::dial_address(const tcp::endpoint& endpoint,
                                  std::function<void(std::optional<wire::node_id>)> identified) {
  table_.connect_to_address(endpoint, [this, endpoint, identified = std::move(identified)](
                                          std::optional<wire::node_id> peer, const std::string&) {
    if (peer) listening_at_[*peer] = {endpoint, true};
    if (identified) identified(peer);
  });
}

void link_transport::dial(const wire::node_id& peer, const tcp::endpoint& endpoint) {
  if (table_.connected(peer)) return;
  listening_at_[peer] = {endpoint, true};
  table_.connect(peer, endpoint);
}

std::optional<tcp::endpoint> link_transport::listen_address(const wire::node_id& peer) const {
  const auto found = listening_at_.find(peer);
  if (found == listening_at_.end() || !table_.connected(peer)) return std::nullopt;
  return found->second.at;
}

void link_transport::link_up(const wire::node_id& peer) {
  if (events_ != nullptr) events_->on_link_up(peer);
  if (observers_.on_link_up) observers_.on_link_up(peer);
}

void link_transport::link_down(const wire::node_id& peer, const std::string& reason) {
  listening_at_.erase(peer);
  if (events_ != nullptr) events_->on_link_down(peer);
  if (observers_.on_link_down) observers_.on_link_down(peer, reason);
}

bool link_transport::send(const wire::node_id& to, std::vector<std::uint8_t> message) {
  return table_.send(to, std::move(message)) == link::send_result::queued;
}

wire::attach_req_ans link_transport::local_attach() const {
  wire::attach_req_ans attach;
  if (advertised_) attach.candidates.push_back(host_candidate(*advertised_));
  return attach;
}

void link_transport::offer_attach(
    std::function<void(overlay::attach_offer_id, wire::attach_req_ans)> ready) {
  ready(overlay::attach_offer_id{0}, local_attach());
}

void link_transport::answer_attach(const wire::node_id& peer, const wire::attach_req_ans& offer,
                                   std::function<void(wire::attach_req_ans)> ready) {
  // Where the offerer listens, for dialling it back later (a restart)
  // although it dials this node now.
  if (const auto endpoint = first_usable_candidate(offer)) listening_at_[peer].at = *endpoint;
  ready(local_attach());
}

void link_transport::open_link(overlay::attach_offer_id, const wire::node_id& peer,
                               const wire::attach_req_ans& answer) {
  // No usable candidate: silence, and the overlay times the attempt out.
  if (const auto endpoint = first_usable_candidate(answer)) dial(peer, *endpoint);
}

void link_transport::close_link(const wire::node_id& peer) { table_.close(peer); }

std::size_t link_transport::max_message_size(const wire::node_id& peer) const {
  // A DTLS link's messages fit one datagram; the overlay fragments to that (§6.7).
  return table_.max_message_size(peer).value_or(config_.max_message_size);
}

void link_transport::adopt_path(std::shared_ptr<link::datagram_path> path, link::tls_role role,
                                const wire::node_id& peer) {
  if (!dtls_) {
    path->close();
    return;
  }
  table_.adopt_path(std::move(path), *dtls_, role, peer);
}

}  // namespace p2psip::runtime
