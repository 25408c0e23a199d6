// The STUN/TURN server (lib/nat) in p2psipd: relay.* settings, the REST
// shared secret in the state directory, the "relay" thread, the relay.*
// control methods, the relay.allocation event, node.status' relay object and
// the relay_* metrics.
//
// Threading: the turn_server lives on its own io_context, run by a thread
// named "relay". This object is constructed, started, stopped and queried on
// the daemon's io_context thread. It hands work to the relay thread by
// posting to the relay io_context and gets answers back by posting to the
// daemon's; nothing mutable is shared. What the daemon thread reads without
// asking (ports, the secret, the URIs) is fixed before the thread starts.
// Each second the relay thread posts a snapshot of its counters back, which
// node.status and the liveness check use; metrics.get asks for a fresh one.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "control/control_server.hpp"
#include "control/event_bus.hpp"
#include "control/metrics_registry.hpp"
#include "daemon/daemon_config.hpp"
#include "nat/allocation_info.hpp"
#include "nat/turn_counters.hpp"
#include "nat/turn_credentials.hpp"
#include "nat/turn_server.hpp"
#include "wire/attach.hpp"

namespace p2psip::daemon {

// In the state directory: the TURN REST shared secret (0600, 64 hex digits).
inline constexpr const char* turn_secret_file_name = "turn.secret";

// relay.allocations' and relay.allocation's view of one allocation.
boost::json::object allocation_json(const nat::allocation_info& allocation);
// An address as URIs and host:port texts write it: IPv6 in brackets.
std::string address_text(const boost::asio::ip::address& address);
// Seconds since 1970, as TURN REST usernames count expiry.
std::int64_t unix_seconds();
// relay.credentials' and relay.obtain's result: the TURN REST shape.
boost::json::object credentials_json(const nat::turn_credentials& credentials);

class relay_service {
 public:
  // Both must outlive the service.
  relay_service(boost::asio::io_context& daemon_io, control::event_bus& events);
  ~relay_service();
  relay_service(const relay_service&) = delete;
  relay_service& operator=(const relay_service&) = delete;

  // Starts the server when `choice` says so: reads or makes the secret in
  // `state_dir`, binds UDP and TCP on relay.port and TLS on relay.tls-port
  // with `tls` (the node's certificate and key), and starts the thread.
  // Throws std::runtime_error when it cannot (a port in use, say).
  void start(const relay_config& config, const relay_choice& choice,
             const std::filesystem::path& state_dir, const nat::turn_tls_identity& tls);
  // Closes every socket and joins the thread.
  void stop();
  // The node's renewed certificate chain (same key) for TURN-TLS clients
  // that connect from now on; allocations already up keep their streams.
  void use_certificate(std::string chain_pem);
  // Stops a running relay for `why` (logged, and shown in status()).
  void turn_off(std::string why);
  bool running() const noexcept { return thread_.joinable(); }
  // What TURN-SERVICE publishes (RFC 6940 §9): the relay's UDP transport
  // address, when it runs on a specific one (not 0.0.0.0 or ::).
  std::optional<boost::asio::ip::udp::endpoint> advertised() const;
  // TURN REST credentials for `id`, valid `ttl` at most (credential-ttl
  // caps it), with the URIs; nothing when the relay is off.
  std::optional<nat::turn_credentials> mint(const std::string& id,
                                            std::optional<std::chrono::seconds> ttl) const;
  // The relay's transport addresses as candidates in an AppAttach answer:
  // UDP (DTLS-UDP-SR-NO-ICE as the link type) and TLS (TLS-TCP-FH-NO-ICE).
  std::vector<wire::ice_candidate> candidates() const;

  // relay.allocations, relay.credentials.
  void register_methods(control::control_server& server);
  // For node.status: mode, running, ports and allocations (as of the last
  // snapshot, at most a second old).
  boost::json::object status() const;
  // Asks the relay thread for its counters, then calls `then` on the
  // daemon's thread (at once when the relay is off or its thread stalled).
  void refresh(std::function<void()> then);
  // relay_allocations, relay_packets_total, relay_bytes_total,
  // relay_refusals_total from the last snapshot; nothing when off.
  void update_metrics(control::metrics_registry& metrics) const;
  // The relay thread has not answered its one-second tick for 5 s.
  bool relay_thread_stalled() const;

 private:
  struct snapshot {
    nat::turn_counters counters;
  };
  bool refuse_unless_running(const control::responder& respond) const;
  void credentials(const boost::json::object& params, const control::responder& respond) const;
  // On the relay thread: a snapshot to the daemon thread, every second.
  void schedule_tick();
  // On the relay thread: the counters to the daemon thread, then the answer
  // to `request` if there is one.
  void take_snapshot(std::optional<std::uint64_t> request);
  // Control answers wait here, on the daemon thread, while the relay thread
  // works: responders never cross threads, only the request's number does.
  std::uint64_t wait_for_answer(std::function<void(boost::json::object)> done);
  void answer(std::uint64_t request, boost::json::object result);

  boost::asio::io_context& daemon_io_;
  control::event_bus& events_;
  std::string mode_ = "off";
  std::string why_;  // why the relay runs or not, for status()
  // Fixed before the relay thread starts.
  std::string secret_;
  std::string host_;  // for URIs: the relay address, IPv6 in brackets
  boost::asio::ip::address host_address_;
  std::uint16_t udp_port_ = 0;
  std::uint16_t tcp_port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::chrono::seconds credential_ttl_{86400};
  // The relay thread's own.
  std::unique_ptr<boost::asio::io_context> relay_io_;
  std::unique_ptr<nat::turn_server> server_;
  std::unique_ptr<boost::asio::steady_timer> tick_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  // The daemon thread's.
  snapshot last_;
  std::chrono::steady_clock::time_point last_snapshot_at_{};
  std::map<std::uint64_t, std::function<void(boost::json::object)>> waiting_;
  std::uint64_t last_request_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::daemon
