// A full ICE agent (RFC 8445) for one RELOAD link: one stream, one UDP
// component, datagrams in and out, on libnice running on a glib_loop_thread.
// In reliable mode (an AppAttach's byte stream) PseudoTCP runs over the
// selected pair instead (pseudo_tcp_session, on the loop thread): bytes in
// and out, in order, none lost.
//
// Threads: construct, call and destroy an ice_agent on the thread running
// `executor`; every handler runs there too. The NiceAgent lives on the loop
// thread (see glib_loop_thread.hpp); calls here post to it and return at once,
// except a datagram-mode send(), which calls libnice directly (its agent lock
// makes that safe). Every report to one executor, from all its agents, goes
// through one FIFO, handed over in batches.
// Lifetimes: the agent may be destroyed at any time, even inside one of its
// handlers; no handler runs after close() or destruction (except close's
// own). The glib_loop_thread must outlive its agents, and the executor's
// io_context must outlive the glib_loop_thread, which waits for closes still
// releasing TURN allocations before it stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "nat/glib_loop_thread.hpp"
#include "nat/ice_candidate.hpp"

namespace p2psip::nat {

// No TLS: libnice 0.1.21's NICE_RELAY_TYPE_TURN_TLS is plain TCP in RFC 5245
// mode (a pseudo-TLS handshake only for the Google and MS-OC dialects), so a
// "turns:" relay cannot be used through this agent.
enum class turn_transport { udp, tcp };

// A TURN server to take a relayed candidate from (TURN REST credentials, say).
struct turn_relay {
  transport_address server;
  std::string username;
  std::string password;
  turn_transport transport = turn_transport::udp;
};

struct ice_agent_config {
  ice_role role = ice_role::controlling;
  // Host candidates only on these addresses; empty means every interface.
  std::vector<boost::asio::ip::address> local_addresses;
  // libnice asks one STUN server: the first is used, the rest are ignored.
  std::vector<transport_address> stun_servers;
  std::vector<turn_relay> relays;
  // Offer relayed candidates only (libnice's force-relay): for tests, and for
  // hiding one's addresses.
  bool force_relay = false;
  // A check (and any STUN or TURN request) is resent after this, doubling,
  // this many times before it fails (libnice's stun-initial-timeout and
  // stun-max-retransmissions; RFC 8445 §14.3).
  std::chrono::milliseconds check_timeout{200};
  unsigned check_retransmissions = 7;
  // Once no check is left to run, how long libnice waits before it declares
  // a component without a valid pair failed (its idle-timeout).
  std::chrono::milliseconds failure_grace{5'000};
  // From set_remote() to ready: failed(timed_out) when it runs out, whatever
  // the checks are doing.
  std::chrono::milliseconds connect_limit{30'000};
  // From gather() to the gathered report: a STUN or TURN server that does
  // not answer holds libnice's gathering for all its retransmissions, and
  // the Attach waiting for it times out. What is gathered by then goes out.
  std::chrono::milliseconds gathering_limit{2'000};
  // PseudoTCP over the pair (pseudo_tcp_session): `datagram` then gets
  // the stream's bytes in order, and send() queues what libnice cannot take
  // yet; `written` reports what it took.
  bool reliable = false;
};

// The pair ICE selected; `relay_server` is the TURN server when the local
// candidate is relayed.
struct ice_selected_pair {
  ice_candidate local;
  ice_candidate remote;
  std::optional<transport_address> relay_server;
};

// "host 10.0.0.2 - srflx 198.51.100.7", for logs.
std::string describe(const ice_selected_pair& pair);

enum class ice_failure {
  gathering_failed,  // no socket could be opened, or nothing was gathered
  no_usable_remote,  // set_remote() gave no candidate libnice took
  checks_failed,     // every pair failed, or the selected one stopped answering
  timed_out,         // connect_limit ran out
};

const char* to_string(ice_failure failure) noexcept;

struct ice_agent_handlers {
  // Gathering finished: the credentials and candidates to send the peer.
  std::function<void(const ice_description& local)> gathered;
  // Once, with the pair selected when the component became READY; later
  // changes of pair are not reported.
  std::function<void(const ice_selected_pair& pair)> ready;
  // Once; after ready it means the path was lost. Nothing follows but datagrams
  // already on their way.
  std::function<void(ice_failure why)> failed;
  // May come before ready: the peer may conclude first.
  std::function<void(std::span<const std::uint8_t> datagram)> datagram;
  // Reliable mode: this many bytes given to send() were taken by PseudoTCP.
  std::function<void(std::size_t bytes)> written;
};

class ice_agent {
 public:
  ice_agent(glib_loop_thread& loop, boost::asio::any_io_executor executor, ice_agent_config config,
            ice_agent_handlers handlers);
  // Closes as close() does.
  ~ice_agent();
  ice_agent(const ice_agent&) = delete;
  ice_agent& operator=(const ice_agent&) = delete;

  // Once: opens the sockets and gathers; `gathered` or `failed` follows.
  void gather();
  // Once, after gather() (not necessarily after `gathered`): the peer's
  // description; connectivity checks start.
  void set_remote(const ice_description& remote);
  // One datagram on the selected pair; dropped while there is none (datagram
  // semantics). Reliable mode: bytes for the stream, queued until taken.
  void send(std::span<const std::uint8_t> datagram);
  // Stops the handlers at once, then releases TURN allocations and sockets on
  // the loop thread; `closed` runs on the executor when that is done.
  // Reliable mode: PseudoTCP goes on sending what it took for `linger` first.
  void close(std::function<void()> closed = {}, std::chrono::milliseconds linger = {});

 private:
  class state;
  class inbox;
  std::shared_ptr<state> state_;
};

}  // namespace p2psip::nat
