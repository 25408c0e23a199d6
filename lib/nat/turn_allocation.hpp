// One TURN allocation's state (RFC 5766 §5): its lifetime, permissions
// (§8), channel bindings (§11) with the rules of §11.2, bandwidth buckets
// and traffic. No sockets: turn_core decides, this remembers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nat/allocation_info.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/stun_message.hpp"
#include "nat/token_bucket.hpp"

namespace p2psip::nat {

class turn_allocation {
 public:
  turn_allocation(const five_tuple& client, std::string username, const md5_digest& key,
                  const transport_address& relayed, std::uint64_t bytes_per_second,
                  turn_time now, turn_duration lifetime);

  const five_tuple& client() const noexcept { return client_; }
  const std::string& username() const noexcept { return username_; }
  // The long-term key that signs the answers to this allocation's requests.
  const md5_digest& key() const noexcept { return key_; }
  const transport_address& relayed() const noexcept { return relayed_; }

  void refresh(turn_time now, turn_duration lifetime) noexcept { expires_ = now + lifetime; }
  bool expired(turn_time now) const noexcept { return now >= expires_; }

  void permit(const boost::asio::ip::address& peer, turn_time until);
  bool permitted(const boost::asio::ip::address& peer, turn_time now) const;

  // False when §11.2 forbids it: the number is bound to another peer, or the
  // peer to another number (also for five minutes after either expired).
  bool bind_channel(std::uint16_t channel, const transport_address& peer, turn_time until);
  std::optional<transport_address> channel_peer(std::uint16_t channel, turn_time now) const;
  std::optional<std::uint16_t> channel_for(const transport_address& peer, turn_time now) const;

  // Forgets permissions and channels past their time.
  void expire(turn_time now);

  // Counts and admits (against the bandwidth limit) one packet each way.
  bool admit_to_peer(std::size_t bytes, turn_time now);
  bool admit_from_peer(std::size_t bytes, turn_time now);

  // The Allocate this answered, so a retransmission gets the same answer.
  void remember_allocate(const transaction_id& id, std::vector<std::uint8_t> response);
  const std::vector<std::uint8_t>* allocate_response(const transaction_id& id) const;

  allocation_info info(turn_time now) const;

 private:
  struct channel_binding {
    transport_address peer;
    turn_time expires;
  };

  five_tuple client_;
  std::string username_;
  md5_digest key_;
  transport_address relayed_;
  turn_time created_;
  turn_time expires_;
  std::map<boost::asio::ip::address, turn_time> permissions_;
  std::map<std::uint16_t, channel_binding> channels_;
  token_bucket to_peer_budget_;
  token_bucket from_peer_budget_;
  traffic to_peer_;
  traffic from_peer_;
  transaction_id allocate_id_{};
  std::vector<std::uint8_t> allocate_response_;
};

}  // namespace p2psip::nat
