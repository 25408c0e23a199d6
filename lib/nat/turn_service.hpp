// The TURN Server Usage (RFC 6940 §9): a node that relays publishes a
// TurnServer value at H(Node-ID || d) for d = 1..turn-density, refreshing it
// before its lifetime ends and withdrawing it on leave; any node finds
// relays by Find at random Resource-IDs for the TURN-SERVICE Kind, then
// Fetches what the Find names, and keeps what it found in a small cache.
//
// It runs on the overlay's thread. Values are signed by the injected
// function (the node's identity in p2psipd, a simulated signer in tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "overlay/overlay_node.hpp"
#include "wire/app_attach.hpp"
#include "wire/stored_data.hpp"
#include "wire/turn_server.hpp"

namespace p2psip::nat {

struct turn_service_options {
  // turn-density from the overlay configuration: 0 publishes nothing.
  std::uint32_t density = 1;
  std::chrono::seconds lifetime{600};
  // Random Resource-IDs tried by one find() before it gives up.
  int find_attempts = 8;
  std::size_t cache_size = 16;
  // The Node-ID behind a TurnServer value's signature (from the certificates
  // this node has seen), so that the relay can be asked for credentials.
  std::function<std::optional<wire::node_id>(const wire::signature&)> signer_of;
};

// AppAttach to this application asks a relay for TURN credentials over the
// overlay (see request_credentials()); 3478 is STUN's and TURN's port.
inline constexpr wire::application_id turn_credentials_application{3478};

// What a relay answers such an AppAttach with: a TURN REST username
// (EXPIRY:NODE-ID) and password, and its transport addresses.
struct overlay_turn_credentials {
  std::string username;
  std::string password;
  std::vector<wire::ice_candidate> candidates;
};

// A relay some node advertises, and when this node last saw it.
struct found_relay {
  wire::turn_server server;
  std::optional<wire::node_id> node;  // when signer_of could tell
  overlay::time_point seen;
};

class turn_service {
 public:
  using found_callback = std::function<void(const std::vector<found_relay>&)>;
  using relay_filter = std::function<bool(const found_relay&)>;
  using sign_function =
      std::function<bool(const wire::resource_id&, wire::kind_id, wire::stored_data&)>;
  using wall_clock = std::function<std::uint64_t()>;  // ms since 1970

  turn_service(overlay::overlay_node& node, sign_function sign, wall_clock clock,
               turn_service_options options);
  ~turn_service();
  turn_service(const turn_service&) = delete;
  turn_service& operator=(const turn_service&) = delete;

  // Publishes `where` (and keeps it refreshed) until withdraw(). Each round
  // reports how many of the density's Stores were answered.
  void publish(const wire::ip_address_port& where,
               std::function<void(std::size_t stored)> round_done = {});
  // Stores non-existent values over the published ones (§7.2: exists =
  // false), so that peers stop offering this relay; `done` after the answers.
  void withdraw(std::function<void()> done);
  bool publishing() const noexcept { return publishing_; }

  // Looks for relays at random Resource-IDs until one is found or the
  // attempts run out; `done` gets the cache afterwards. The cache forgets a
  // relay whose withdrawal (a tombstone it signed) a Fetch returns, one not
  // seen again for a lifetime, and everything when no attempt found any
  // TURN-SERVICE resource: what it offers is what the overlay advertises.
  // `wanted` (unset: any relay) says which cached relay ends the probing.
  void find(found_callback done, relay_filter wanted = {});
  const std::vector<found_relay>& cache() const noexcept { return cache_; }
  // Drops what the cache holds for `relay` (it refused credentials, say).
  void forget(const wire::node_id& relay);

  // Asks `relay` for TURN credentials by AppAttach: the request's signature
  // proves this node's membership, and the relay mints credentials for its
  // Node-ID (nothing when it refuses or does not answer).
  void request_credentials(
      const wire::node_id& relay,
      std::function<void(wire::basic_result<overlay_turn_credentials, overlay::request_error>)>
          done);
  // The relay side: the AppAttach answer that carries `credentials`.
  static wire::app_attach_ans credentials_answer(const overlay_turn_credentials& credentials);

 private:
  void store_all(bool exists, std::function<void(std::size_t stored)> done);
  void schedule_refresh();
  void find_at(int attempts_left, found_callback done, relay_filter wanted, bool met_any);
  void fetch_relay(const wire::resource_id& resource, std::function<void()> done);
  void remember(const wire::turn_server& server, std::optional<wire::node_id> node);

  overlay::overlay_node& node_;
  sign_function sign_;
  wall_clock clock_;
  turn_service_options options_;
  std::optional<wire::ip_address_port> published_;
  bool publishing_ = false;
  std::vector<found_relay> cache_;
  std::minstd_rand random_{std::random_device{}()};
  // Answers and timers that arrive after destruction see this expire.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::nat
