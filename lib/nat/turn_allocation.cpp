#include "nat/turn_allocation.hpp"

#include <algorithm>

namespace p2psip::nat {
namespace {

// §11: a channel number or peer stays reserved this long after its binding
// expires, so late packets are not delivered to a new binding.
constexpr std::chrono::minutes channel_quarantine{5};

std::chrono::seconds whole_seconds(turn_duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}

}  // namespace

turn_allocation::turn_allocation(const five_tuple& client, std::string username,
                                 const md5_digest& key, const transport_address& relayed,
                                 std::uint64_t bytes_per_second, turn_time now,
                                 turn_duration lifetime)
    : client_(client),
      username_(std::move(username)),
      key_(key),
      relayed_(relayed),
      created_(now),
      expires_(now + lifetime),
      to_peer_budget_(bytes_per_second, now),
      from_peer_budget_(bytes_per_second, now) {}

void turn_allocation::permit(const boost::asio::ip::address& peer, turn_time until) {
  permissions_[peer] = until;
}

bool turn_allocation::permitted(const boost::asio::ip::address& peer, turn_time now) const {
  const auto it = permissions_.find(peer);
  return it != permissions_.end() && now < it->second;
}

bool turn_allocation::bind_channel(std::uint16_t channel, const transport_address& peer,
                                   turn_time until) {
  const auto bound = channels_.find(channel);
  if (bound != channels_.end() && bound->second.peer != peer) return false;
  const bool peer_elsewhere = std::any_of(channels_.begin(), channels_.end(), [&](const auto& c) {
    return c.first != channel && c.second.peer == peer;
  });
  if (peer_elsewhere) return false;
  channels_[channel] = {peer, until};
  return true;
}

std::optional<transport_address> turn_allocation::channel_peer(std::uint16_t channel,
                                                               turn_time now) const {
  const auto it = channels_.find(channel);
  if (it == channels_.end() || now >= it->second.expires) return std::nullopt;
  return it->second.peer;
}

std::optional<std::uint16_t> turn_allocation::channel_for(const transport_address& peer,
                                                          turn_time now) const {
  for (const auto& [number, binding] : channels_) {
    if (binding.peer == peer && now < binding.expires) return number;
  }
  return std::nullopt;
}

void turn_allocation::expire(turn_time now) {
  std::erase_if(permissions_, [now](const auto& p) { return now >= p.second; });
  std::erase_if(channels_,
                [now](const auto& c) { return now >= c.second.expires + channel_quarantine; });
}

bool turn_allocation::admit_to_peer(std::size_t bytes, turn_time now) {
  if (!to_peer_budget_.take(bytes, now)) return false;
  to_peer_.add(bytes);
  return true;
}

bool turn_allocation::admit_from_peer(std::size_t bytes, turn_time now) {
  if (!from_peer_budget_.take(bytes, now)) return false;
  from_peer_.add(bytes);
  return true;
}

void turn_allocation::remember_allocate(const transaction_id& id,
                                        std::vector<std::uint8_t> response) {
  allocate_id_ = id;
  allocate_response_ = std::move(response);
}

const std::vector<std::uint8_t>* turn_allocation::allocate_response(const transaction_id& id) const {
  return id == allocate_id_ ? &allocate_response_ : nullptr;
}

allocation_info turn_allocation::info(turn_time now) const {
  allocation_info out{client_, username_, relayed_, {}, {}, to_peer_, from_peer_,
                      whole_seconds(now - created_), whole_seconds(expires_ - now)};
  for (const auto& [peer, until] : permissions_) {
    if (now < until) out.permissions.push_back(peer);
  }
  for (const auto& [number, binding] : channels_) {
    if (now < binding.expires) out.channels.push_back({number, binding.peer});
  }
  return out;
}

}  // namespace p2psip::nat
