// The TURN server's logic (RFC 5766) on top of the STUN codec, with no
// socket and no clock of its own (relay_io and turn_clock are injected):
// the long-term credential mechanism with TURN REST passwords, Allocate
// (UDP relays, EVEN-PORT and reservations), Refresh, CreatePermission,
// ChannelBind, Send and Data indications, ChannelData, lifetimes, quotas,
// the peer policy and the counters. Binding requests on the same ports go
// to a stun_responder. Single-threaded: call it from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "nat/nonce_issuer.hpp"
#include "nat/peer_policy.hpp"
#include "nat/relay_io.hpp"
#include "nat/stun_responder.hpp"
#include "nat/turn_allocation.hpp"
#include "nat/turn_clock.hpp"
#include "nat/turn_config.hpp"
#include "nat/turn_counters.hpp"

namespace p2psip::nat {

class turn_core {
 public:
  using change_handler = std::function<void(allocation_change, const allocation_info&)>;

  // `io` and `clock` must outlive the core, which leaves closing the relay
  // sockets still open at its end to `io`.
  turn_core(turn_config config, relay_io& io, const turn_clock& clock);
  turn_core(const turn_core&) = delete;
  turn_core& operator=(const turn_core&) = delete;

  // The server's own sockets go here so peers can never be them.
  peer_policy& peers() noexcept { return peers_; }
  void on_allocation_change(change_handler handler) { on_change_ = std::move(handler); }

  // One UDP datagram, or one frame cut by stream_framer, from a client.
  void on_client_message(const five_tuple& from, bytes_view bytes);
  // One datagram a peer sent to a relay socket.
  void on_peer_datagram(const transport_address& relayed, const transport_address& peer,
                        bytes_view data);
  // Refusals the server makes before a message reaches the core: a stream
  // out of sync (malformed), a connection over the limit.
  void count(refusal why) noexcept { ++counters_.refusals[static_cast<std::size_t>(why)]; }
  // A TCP or TLS client went away: its allocation goes with it (§2.1).
  void on_client_closed(const five_tuple& client);
  // Ends allocations, permissions, channels and reservations past their
  // time; the server calls it every second.
  void expire();

  std::vector<allocation_info> list_allocations() const;
  const turn_counters& counters() const noexcept { return counters_; }

 private:
  using allocation_map =
      std::unordered_map<five_tuple, std::unique_ptr<turn_allocation>, five_tuple_hash>;
  struct reservation {
    transport_address relayed;
    turn_time expires;
  };

  void handle_request(const five_tuple& from, const stun_message& request);
  std::optional<md5_digest> authenticate(const five_tuple& from, const stun_message& request);
  void allocate(const five_tuple& from, const stun_message& request, const md5_digest& key);
  std::optional<transport_address> relay_for(const five_tuple& from, const stun_message& request,
                                             const md5_digest& key, stun_writer& reply);
  void refresh(const five_tuple& from, const stun_message& request, turn_allocation& a);
  void create_permission(const five_tuple& from, const stun_message& request, turn_allocation& a);
  void channel_bind(const five_tuple& from, const stun_message& request, turn_allocation& a);
  void send_indication(const five_tuple& from, const stun_message& indication);
  void channel_data_from_client(const five_tuple& from, bytes_view bytes);
  void relay_to_peer(turn_allocation& a, const transport_address& peer, bytes_view data,
                     turn_time now);
  // The policy's verdict, and never one of the relay sockets (open or reserved).
  bool relayable(const transport_address& peer) const;

  // Answers 401 or 438 with REALM and a fresh NONCE.
  void challenge(const five_tuple& from, const stun_message& request, std::uint16_t code,
                 refusal why);
  void refuse(const five_tuple& from, const stun_message& request, std::uint16_t code, refusal why,
              const md5_digest* key, std::span<const std::uint16_t> unknown = {});
  // Signs with the key (when any), adds FINGERPRINT, sends.
  void send_reply(const five_tuple& from, stun_writer& reply, const md5_digest* key);
  // LIFETIME as §6.2 and §7.2 compute it (0 stays 0); nothing when malformed.
  std::optional<std::chrono::seconds> lifetime_for(const stun_message& request) const;
  void end(allocation_map::iterator it, allocation_change why);

  turn_config config_;
  relay_io& io_;
  const turn_clock& clock_;
  peer_policy peers_;
  nonce_issuer nonces_;
  stun_responder binding_;
  change_handler on_change_;
  allocation_map allocations_;
  std::unordered_map<transport_address, turn_allocation*> by_relayed_;
  std::map<std::string, std::size_t, std::less<>> per_user_;
  std::map<std::uint64_t, reservation> reservations_;
  std::mt19937_64 random_;
  turn_counters counters_;
  std::vector<std::uint8_t> channel_frame_;  // ChannelData to clients, one buffer reused
};

}  // namespace p2psip::nat
