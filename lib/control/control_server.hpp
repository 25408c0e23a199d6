// The JSON-RPC control server on a Unix stream socket. It runs on the
// daemon's event loop: construct it, register handlers and publish events on
// that io_context's thread. Every request is checked against its method's
// schema and the caller's SO_PEERCRED credentials before a handler sees it.
//
//   control::event_bus events;
//   control::control_server_config config;
//   config.socket_path = path;
//   control::control_server server(io, config, control::standard_catalog(), events);
//   server.handle("node.status", [&](const boost::json::object&, control::responder respond) {
//     respond.result({{"state", "joined"}});
//   });
//   events.publish("peer.up", {{"node_id", hex}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "control/event_bus.hpp"
#include "control/method_schema.hpp"
#include "control/peer_access.hpp"
#include "control/rpc_error.hpp"

namespace p2psip::control {

struct control_server_config {
  std::string socket_path;  // created by the path constructor; its directory must exist
  std::size_t max_line_bytes = 1 << 20;
  // Past this many connections a new one replaces the one silent the
  // longest (no request sent yet), or is refused if every one has spoken;
  // either is answered too_many_connections and closed. So idle clients
  // cannot take the descriptors the overlay and SIP listeners need.
  std::size_t max_connections = 256;
  // Unfinished request lines and queued answers of all connections
  // together; past it the connection holding the most is answered
  // buffer_limit and closed.
  std::size_t max_buffered_bytes = 16 << 20;
  // Per connection: reading pauses while this many requests await their
  // answer, or this many bytes of answers wait to be written, so a client
  // that sends without reading cannot grow the daemon's memory.
  std::size_t max_requests_in_flight = 64;
  std::size_t max_queued_response_bytes = 4 << 20;
  std::size_t event_queue_limit = 1024;  // per subscriber, in events
  // Members may call read-only methods; unset means the socket file's group.
  std::optional<gid_t> socket_group;
  std::optional<gid_t> admin_group;  // members may also call state-changing methods
  std::optional<uid_t> daemon_uid;   // unset means geteuid()
};

namespace detail {
struct pending_call;
struct server_state;
class client_port;
}  // namespace detail

// One control connection, as handlers may keep it beyond a call: to send it
// events of its own (not broadcast on the bus) and to hear when it closes,
// e.g. to end what the client owns. Copies refer to the same connection; a
// default-constructed handle, or one whose connection closed, is not
// connected. Use on the server's thread only.
class client_handle {
 public:
  client_handle() = default;
  explicit client_handle(std::weak_ptr<detail::client_port> port) : port_(std::move(port)) {}

  bool connected() const;
  // Queues the event on this client's events.subscribe stream when the
  // client subscribed to a filter matching `topic` and its queue has room;
  // false otherwise (then nothing is queued and nothing counts as lost).
  bool notify(std::string_view topic, boost::json::object fields) const;
  // `closed` runs once when the connection closes; at once when it is gone.
  void on_close(std::function<void()> closed) const;
  // Whether both refer to the same connection.
  bool same_as(const client_handle& other) const;

 private:
  std::weak_ptr<detail::client_port> port_;
};

// Answers one request, now or later. Copies share the call: the first
// result() or error() wins and later ones are ignored. If the client has gone
// the answer is dropped. If every copy is destroyed unanswered, the client
// gets internal_error, so a forgotten path cannot hang it.
class responder {
 public:
  explicit responder(std::shared_ptr<detail::pending_call> call) : call_(std::move(call)) {}

  void result(boost::json::object result) const;
  void error(rpc_error error) const;
  bool answered() const;
  bool client_connected() const;
  const peer_credentials& peer() const;
  // The connection the request came on.
  client_handle client() const;

 private:
  std::shared_ptr<detail::pending_call> call_;
};

// Receives validated parameters, with defaults filled in. May answer before
// returning or keep the responder and answer later; may also throw rpc_error
// (sent as is) or std::exception (sent as internal_error).
using method_handler = std::function<void(const boost::json::object& params, responder respond)>;

// The snapshot events.subscribe sends before the first notification.
using snapshot_provider =
    std::function<boost::json::object(const std::vector<std::string>& topics)>;

struct control_server_stats {
  std::size_t connections = 0;
  std::size_t buffered_bytes = 0;             // now: input and answers held for clients
  std::size_t buffered_bytes_high_water = 0;  // the most ever held at once
  std::uint64_t refused_connections = 0;      // over max_connections, every one busy
  std::uint64_t closed_silent_for_newer = 0;  // over max_connections
  std::uint64_t closed_over_buffer_limit = 0;
  std::size_t queued_events = 0;           // now, over all subscribers
  std::size_t event_queue_high_water = 0;  // deepest any subscriber queue has been
  std::uint64_t events_dropped = 0;
  std::uint64_t requests = 0;
};

class control_server {
 public:
  // Binds config.socket_path (replacing a stale socket, refusing one in use),
  // then sets mode 0660 and the socket group. Throws std::system_error.
  control_server(boost::asio::io_context& io, control_server_config config, schema_catalog catalog,
                 event_bus& events);
  // Adopts a socket that is already bound and listening, as systemd socket
  // activation passes it (SD_LISTEN_FDS_START); config.socket_path is unused.
  control_server(boost::asio::io_context& io, int listening_fd, control_server_config config,
                 schema_catalog catalog, event_bus& events);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  // Serves `method` with `handler`. Throws std::invalid_argument if the
  // catalog has no schema for it; rpc.help and events.subscribe are built in.
  void handle(std::string_view method, method_handler handler);
  void set_snapshot_provider(snapshot_provider provider);

  // Stops accepting and closes every connection; the destructor does this too.
  void close();

  const std::string& socket_path() const;
  const access_policy& policy() const;
  control_server_stats stats() const;

 private:
  void start(int listening_fd, bool created_path);
  std::shared_ptr<detail::server_state> state_;
};

// metrics.get served from a registry: format json or prometheus.
class metrics_registry;
method_handler metrics_handler(const metrics_registry& registry);

}  // namespace p2psip::control
