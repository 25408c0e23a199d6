#include "nat/turn_core.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/rand.h>

#include "nat/channel_data.hpp"
#include "nat/stun_reply.hpp"
#include "nat/turn_credentials.hpp"

namespace p2psip::nat {
namespace {

using namespace std::chrono_literals;

// §6.2: a port reserved by EVEN-PORT's R bit is held at least 30 s.
constexpr auto reservation_lifetime = 30s;
// Tries at a free even port N with N+1 free too.
constexpr int even_pair_attempts = 8;
constexpr std::size_t max_username = 513;
// Room for DATA's and XOR-PEER-ADDRESS's headers in a Data indication.
constexpr std::size_t max_relayed_data = 0xFFFF - 64;

constexpr std::array<std::uint16_t, 9> allocate_attributes = {
    attribute::username, attribute::message_integrity, attribute::realm, attribute::nonce,
    attribute::requested_transport, attribute::requested_address_family, attribute::lifetime,
    attribute::even_port, attribute::reservation_token};
constexpr std::array<std::uint16_t, 5> refresh_attributes = {
    attribute::username, attribute::message_integrity, attribute::realm, attribute::nonce,
    attribute::lifetime};
constexpr std::array<std::uint16_t, 5> permission_attributes = {
    attribute::username, attribute::message_integrity, attribute::realm, attribute::nonce,
    attribute::xor_peer_address};
constexpr std::array<std::uint16_t, 6> channel_bind_attributes = {
    attribute::username, attribute::message_integrity, attribute::realm, attribute::nonce,
    attribute::channel_number, attribute::xor_peer_address};

bool is_turn_method(std::uint16_t method) {
  return method == stun_method::allocate || method == stun_method::refresh ||
         method == stun_method::create_permission || method == stun_method::channel_bind;
}

std::span<const std::uint16_t> known_attributes(std::uint16_t method) {
  switch (method) {
    case stun_method::allocate: return allocate_attributes;
    case stun_method::refresh: return refresh_attributes;
    case stun_method::create_permission: return permission_attributes;
    default: return channel_bind_attributes;
  }
}

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed);
  return seed;
}

}  // namespace

turn_core::turn_core(turn_config config, relay_io& io, const turn_clock& clock)
    : config_(std::move(config)),
      io_(io),
      clock_(clock),
      peers_(config_.peers),
      nonces_(config_.nonce_lifetime),
      binding_(binding_options{config_.software, {}}),
      random_(random_seed()) {}

void turn_core::on_client_message(const five_tuple& from, bytes_view bytes) {
  if (looks_like_channel_data(bytes)) return channel_data_from_client(from, bytes);
  const auto message = parse_stun(bytes);
  if (!message) return count(refusal::malformed);
  if (message->klass == stun_class::indication && message->method == stun_method::send) {
    return send_indication(from, *message);
  }
  // Binding indications are keepalives (RFC 5389 §7.3.2); responses are
  // not for a server. Neither is answered nor counted.
  if (message->klass != stun_class::request) return;
  if (is_turn_method(message->method)) return handle_request(from, *message);
  if (message->method != stun_method::binding) count(refusal::bad_request);
  if (const auto answer = binding_.respond(*message, from.client)) io_.send_to_client(from, *answer);
}

void turn_core::handle_request(const five_tuple& from, const stun_message& request) {
  const auto key = authenticate(from, request);
  if (!key) return;
  const auto unknown = unknown_required(request, known_attributes(request.method));
  if (!unknown.empty()) {
    return refuse(from, request, stun_code::unknown_attribute, refusal::unknown_attribute, &*key,
                  unknown);
  }
  if (request.method == stun_method::allocate) return allocate(from, request, *key);
  const auto it = allocations_.find(from);
  if (it == allocations_.end()) {
    return refuse(from, request, stun_code::allocation_mismatch, refusal::allocation_mismatch,
                  &*key);
  }
  auto& allocation = *it->second;
  if (allocation.username() != read_string(*request.find(attribute::username))) {
    return refuse(from, request, stun_code::wrong_credentials, refusal::wrong_credentials, &*key);
  }
  switch (request.method) {
    case stun_method::refresh: return refresh(from, request, allocation);
    case stun_method::create_permission: return create_permission(from, request, allocation);
    default: return channel_bind(from, request, allocation);
  }
}

std::optional<md5_digest> turn_core::authenticate(const five_tuple& from,
                                                  const stun_message& request) {
  if (!request.integrity_offset) {
    challenge(from, request, stun_code::unauthorized, refusal::no_credentials);
    return std::nullopt;
  }
  const auto* username = request.find(attribute::username);
  const auto* realm = request.find(attribute::realm);
  const auto* nonce = request.find(attribute::nonce);
  if (!username || !realm || !nonce || username->value.size() > max_username) {
    refuse(from, request, stun_code::bad_request, refusal::bad_request, nullptr);
    return std::nullopt;
  }
  if (!nonces_.fresh(read_string(*nonce), clock_.unix_seconds())) {
    challenge(from, request, stun_code::stale_nonce, refusal::stale_nonce);
    return std::nullopt;
  }
  const auto user = read_string(*username);
  const auto expiry = turn_rest_expiry(user);
  const auto key = long_term_key(user, config_.realm,
                                 turn_rest_password(config_.shared_secret, user));
  if (!expiry || *expiry < clock_.unix_seconds() || !integrity_valid(request, key)) {
    challenge(from, request, stun_code::unauthorized, refusal::bad_credentials);
    return std::nullopt;
  }
  return key;
}

void turn_core::allocate(const five_tuple& from, const stun_message& request,
                         const md5_digest& key) {
  if (const auto it = allocations_.find(from); it != allocations_.end()) {
    // A retransmission gets the answer it missed; anything else is §6.2's 437.
    if (const auto* earlier = it->second->allocate_response(request.id)) {
      return io_.send_to_client(from, *earlier);
    }
    return refuse(from, request, stun_code::allocation_mismatch, refusal::allocation_mismatch,
                  &key);
  }
  const auto* transport = request.find(attribute::requested_transport);
  const auto protocol = transport ? read_requested_transport(*transport)
                                  : result<std::uint8_t>(stun_error{stun_errc::bad_attribute});
  auto lifetime = lifetime_for(request);
  if (!protocol || !lifetime) {
    return refuse(from, request, stun_code::bad_request, refusal::bad_request, &key);
  }
  if (*protocol != protocol_udp) {
    return refuse(from, request, stun_code::unsupported_transport, refusal::unsupported_transport,
                  &key);
  }
  if (const auto* family = request.find(attribute::requested_address_family)) {
    const auto value = read_requested_address_family(*family);
    if (!value) return refuse(from, request, stun_code::bad_request, refusal::bad_request, &key);
    if ((*value == family_ipv4) != config_.relay_address.is_v4()) {
      return refuse(from, request, stun_code::address_family_not_supported,
                    refusal::unsupported_family, &key);
    }
  }
  const std::string username(read_string(*request.find(attribute::username)));
  const std::string user_id(turn_rest_id(username));
  if (const auto user = per_user_.find(user_id);
      user != per_user_.end() && user->second >= config_.max_allocations_per_user) {
    return refuse(from, request, stun_code::allocation_quota_reached, refusal::quota_reached, &key);
  }
  if (allocations_.size() >= config_.max_allocations) {
    return refuse(from, request, stun_code::insufficient_capacity, refusal::insufficient_capacity,
                  &key);
  }
  auto reply = start_reply(request, stun_class::success);
  const auto relayed = relay_for(from, request, key, reply);
  if (!relayed) return;
  if (*lifetime == 0s) lifetime = config_.default_lifetime;

  const auto now = clock_.now();
  auto allocation = std::make_unique<turn_allocation>(
      from, username, key, *relayed, config_.bandwidth_per_allocation, now, *lifetime);
  add_xor_address(reply, attribute::xor_relayed_address, *relayed, request.id);
  add_u32(reply, attribute::lifetime, static_cast<std::uint32_t>(lifetime->count()));
  add_xor_address(reply, attribute::xor_mapped_address, from.client, request.id);
  if (!config_.software.empty()) add_string(reply, attribute::software, config_.software);
  reply.add_message_integrity(key);
  reply.add_fingerprint();
  auto bytes = std::move(reply).take();
  io_.send_to_client(from, bytes);
  allocation->remember_allocate(request.id, std::move(bytes));

  by_relayed_[*relayed] = allocation.get();
  ++per_user_[user_id];
  ++counters_.allocations_created;
  const auto& created = *allocations_.emplace(from, std::move(allocation)).first->second;
  if (on_change_) on_change_(allocation_change::created, created.info(now));
}

std::optional<transport_address> turn_core::relay_for(const five_tuple& from,
                                                      const stun_message& request,
                                                      const md5_digest& key, stun_writer& reply) {
  const auto* token = request.find(attribute::reservation_token);
  const auto* even = request.find(attribute::even_port);
  const auto no_capacity = [&] {
    refuse(from, request, stun_code::insufficient_capacity, refusal::insufficient_capacity, &key);
    return std::nullopt;
  };
  if (token) {
    const auto value = read_reservation_token(*token);
    if (!value || even) {
      refuse(from, request, stun_code::bad_request, refusal::bad_request, &key);
      return std::nullopt;
    }
    const auto reserved = reservations_.find(*value);
    if (reserved == reservations_.end()) return no_capacity();
    const auto relayed = reserved->second.relayed;
    reservations_.erase(reserved);
    return relayed;
  }
  if (!even) {
    if (auto relayed = io_.open_relay(relay_port::any)) return relayed;
    return no_capacity();
  }
  const auto reserve_next = read_even_port(*even);
  if (!reserve_next) {
    refuse(from, request, stun_code::bad_request, refusal::bad_request, &key);
    return std::nullopt;
  }
  for (int attempt = 0; attempt < even_pair_attempts; ++attempt) {
    const auto relayed = io_.open_relay(relay_port::even);
    if (!relayed) break;
    if (!*reserve_next) return relayed;
    const transport_address next(relayed->address(),
                                 static_cast<std::uint16_t>(relayed->port() + 1));
    if (relayed->port() < config_.relay_port_max && io_.open_relay_at(next)) {
      const auto value = random_();
      reservations_[value] = {next, clock_.now() + reservation_lifetime};
      add_reservation_token(reply, value);
      return relayed;
    }
    io_.close_relay(*relayed);
  }
  return no_capacity();
}

void turn_core::refresh(const five_tuple& from, const stun_message& request, turn_allocation& a) {
  const auto lifetime = lifetime_for(request);
  if (!lifetime) return refuse(from, request, stun_code::bad_request, refusal::bad_request, &a.key());
  auto reply = start_reply(request, stun_class::success);
  add_u32(reply, attribute::lifetime, static_cast<std::uint32_t>(lifetime->count()));
  send_reply(from, reply, &a.key());
  if (*lifetime == 0s) return end(allocations_.find(from), allocation_change::deleted);
  a.refresh(clock_.now(), *lifetime);
}

void turn_core::create_permission(const five_tuple& from, const stun_message& request,
                                  turn_allocation& a) {
  std::vector<transport_address> peers;
  for (const auto& attr : request.attributes) {
    if (attr.type != attribute::xor_peer_address) continue;
    const auto peer = read_xor_address(attr, request.id);
    if (!peer) return refuse(from, request, stun_code::bad_request, refusal::bad_request, &a.key());
    peers.push_back(*peer);
  }
  if (peers.empty()) {
    return refuse(from, request, stun_code::bad_request, refusal::bad_request, &a.key());
  }
  for (const auto& peer : peers) {
    if (!peers_.permits_address(peer.address())) {
      return refuse(from, request, stun_code::forbidden, refusal::forbidden_peer, &a.key());
    }
  }
  const auto until = clock_.now() + config_.permission_lifetime;
  for (const auto& peer : peers) a.permit(peer.address(), until);
  auto reply = start_reply(request, stun_class::success);
  send_reply(from, reply, &a.key());
}

void turn_core::channel_bind(const five_tuple& from, const stun_message& request,
                             turn_allocation& a) {
  const auto* number = request.find(attribute::channel_number);
  const auto* peer_attribute = request.find(attribute::xor_peer_address);
  const auto channel = number ? read_channel_number(*number)
                              : result<std::uint16_t>(stun_error{stun_errc::bad_attribute});
  const auto peer = peer_attribute ? read_xor_address(*peer_attribute, request.id)
                                   : result<transport_address>(stun_error{stun_errc::bad_attribute});
  if (!channel || !peer || !valid_channel(*channel)) {
    return refuse(from, request, stun_code::bad_request, refusal::bad_request, &a.key());
  }
  if (!relayable(*peer)) {
    return refuse(from, request, stun_code::forbidden, refusal::forbidden_peer, &a.key());
  }
  const auto now = clock_.now();
  if (!a.bind_channel(*channel, *peer, now + config_.channel_lifetime)) {
    return refuse(from, request, stun_code::bad_request, refusal::bad_request, &a.key());
  }
  a.permit(peer->address(), now + config_.permission_lifetime);
  auto reply = start_reply(request, stun_class::success);
  send_reply(from, reply, &a.key());
}

void turn_core::send_indication(const five_tuple& from, const stun_message& indication) {
  const auto it = allocations_.find(from);
  if (it == allocations_.end()) return count(refusal::no_allocation);
  const auto* peer_attribute = indication.find(attribute::xor_peer_address);
  const auto* data = indication.find(attribute::data);
  if (!peer_attribute || !data) return count(refusal::malformed);
  const auto peer = read_xor_address(*peer_attribute, indication.id);
  if (!peer) return count(refusal::malformed);
  relay_to_peer(*it->second, *peer, data->value, clock_.now());
}

void turn_core::channel_data_from_client(const five_tuple& from, bytes_view bytes) {
  const auto message = parse_channel_data(bytes);
  if (!message) return count(refusal::malformed);
  const auto it = allocations_.find(from);
  if (it == allocations_.end()) return count(refusal::no_allocation);
  const auto now = clock_.now();
  const auto peer = it->second->channel_peer(message->channel, now);
  if (!peer) return count(refusal::unbound_channel);
  relay_to_peer(*it->second, *peer, message->data, now);
}

void turn_core::relay_to_peer(turn_allocation& a, const transport_address& peer, bytes_view data,
                              turn_time now) {
  if (!a.permitted(peer.address(), now)) return count(refusal::no_permission);
  if (!relayable(peer)) return count(refusal::forbidden_peer);
  if (!a.admit_to_peer(data.size(), now)) return count(refusal::bandwidth);
  counters_.to_peers.add(data.size());
  io_.send_to_peer(a.relayed(), peer, data);
}

bool turn_core::relayable(const transport_address& peer) const {
  return peers_.permits(peer) && !by_relayed_.contains(peer) &&
         std::none_of(reservations_.begin(), reservations_.end(),
                      [&](const auto& r) { return r.second.relayed == peer; });
}

void turn_core::on_peer_datagram(const transport_address& relayed, const transport_address& peer,
                                 bytes_view data) {
  const auto it = by_relayed_.find(relayed);
  if (it == by_relayed_.end()) return;  // a reserved port: nobody to deliver to
  auto& a = *it->second;
  const auto now = clock_.now();
  if (!a.permitted(peer.address(), now)) return count(refusal::no_permission);
  if (data.size() > max_relayed_data) return count(refusal::malformed);
  if (!a.admit_from_peer(data.size(), now)) return count(refusal::bandwidth);
  counters_.from_peers.add(data.size());
  if (const auto channel = a.channel_for(peer, now)) {
    const bool stream = a.client().transport != client_transport::udp;
    encode_channel_data(*channel, data, stream, channel_frame_);
    return io_.send_to_client(a.client(), channel_frame_);
  }
  transaction_id id;
  const std::uint64_t high = random_();
  const std::uint64_t low = random_();
  std::memcpy(id.data(), &high, 8);
  std::memcpy(id.data() + 8, &low, 4);
  stun_writer indication(stun_class::indication, stun_method::data, id);
  add_xor_address(indication, attribute::xor_peer_address, peer, id);
  indication.add(attribute::data, data);
  io_.send_to_client(a.client(), indication.bytes());
}

void turn_core::on_client_closed(const five_tuple& client) {
  if (const auto it = allocations_.find(client); it != allocations_.end()) {
    end(it, allocation_change::deleted);
  }
}

void turn_core::expire() {
  const auto now = clock_.now();
  for (auto it = allocations_.begin(); it != allocations_.end();) {
    const auto next = std::next(it);
    if (it->second->expired(now)) {
      end(it, allocation_change::expired);
    } else {
      it->second->expire(now);
    }
    it = next;
  }
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (now < it->second.expires) {
      ++it;
      continue;
    }
    io_.close_relay(it->second.relayed);
    it = reservations_.erase(it);
  }
}

void turn_core::end(allocation_map::iterator it, allocation_change why) {
  const auto& a = *it->second;
  const auto info = a.info(clock_.now());
  io_.close_relay(a.relayed());
  by_relayed_.erase(a.relayed());
  if (const auto user = per_user_.find(turn_rest_id(a.username()));
      user != per_user_.end() && --user->second == 0) {
    per_user_.erase(user);
  }
  allocations_.erase(it);
  ++counters_.allocations_ended;
  if (on_change_) on_change_(why, info);
}

std::vector<allocation_info> turn_core::list_allocations() const {
  const auto now = clock_.now();
  std::vector<allocation_info> out;
  out.reserve(allocations_.size());
  for (const auto& [tuple, a] : allocations_) out.push_back(a->info(now));
  // By client: listings keep a stable order whatever the hash map holds.
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.client < y.client; });
  return out;
}

void turn_core::challenge(const five_tuple& from, const stun_message& request, std::uint16_t code,
                          refusal why) {
  count(why);
  auto reply = start_reply(request, stun_class::error);
  add_error(reply, code);
  add_string(reply, attribute::realm, config_.realm);
  add_string(reply, attribute::nonce, nonces_.issue(clock_.unix_seconds()));
  send_reply(from, reply, nullptr);
}

void turn_core::refuse(const five_tuple& from, const stun_message& request, std::uint16_t code,
                       refusal why, const md5_digest* key, std::span<const std::uint16_t> unknown) {
  count(why);
  auto reply = start_reply(request, stun_class::error);
  add_error(reply, code);
  if (!unknown.empty()) add_unknown_attributes(reply, unknown);
  send_reply(from, reply, key);
}

void turn_core::send_reply(const five_tuple& from, stun_writer& reply, const md5_digest* key) {
  if (key) reply.add_message_integrity(*key);
  reply.add_fingerprint();
  io_.send_to_client(from, reply.bytes());
}

std::optional<std::chrono::seconds> turn_core::lifetime_for(const stun_message& request) const {
  const auto* attr = request.find(attribute::lifetime);
  if (!attr) return config_.default_lifetime;
  const auto requested = read_u32(*attr);
  if (!requested) return std::nullopt;
  if (*requested == 0) return 0s;
  return std::max(std::min(std::chrono::seconds(*requested), config_.max_lifetime),
                  config_.default_lifetime);
}

}  // namespace p2psip::nat
