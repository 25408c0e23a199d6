#include "control/control_server.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/json_rpc.hpp"
#include "control/metrics_registry.hpp"
#include "control/rpc_docs.hpp"

namespace p2psip::control {

namespace json = boost::json;
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;

namespace {
class connection;
// Answers are written in batches of about this size.
constexpr std::size_t write_batch_bytes = 64 * 1024;
constexpr std::size_t read_chunk_bytes = 64 * 1024;
}  // namespace

namespace detail {

struct server_state : std::enable_shared_from_this<server_state> {
  server_state(asio::io_context& io, control_server_config config_in, schema_catalog catalog_in,
               event_bus& events_in)
      : io(io),
        config(std::move(config_in)),
        catalog(std::move(catalog_in)),
        events(events_in),
        acceptor(io),
        retry_timer(io) {}

  void accept_next();
  void admit(unix_socket::socket socket);
  bool close_longest_silent();
  void add_buffered(std::size_t bytes);
  void remove_buffered(std::size_t bytes) { stats.buffered_bytes -= bytes; }
  std::size_t buffer_room() const {
    return stats.buffered_bytes < config.max_buffered_bytes
               ? config.max_buffered_bytes - stats.buffered_bytes
               : 0;
  }

  asio::io_context& io;
  control_server_config config;
  schema_catalog catalog;
  event_bus& events;
  access_policy policy;
  std::map<std::string, method_handler, std::less<>> handlers;
  snapshot_provider snapshot;
  unix_socket::acceptor acceptor;
  asio::steady_timer retry_timer;  // after accept fails for lack of descriptors
  std::string path;
  bool unlink_path_on_close = false;
  bool closed = false;
  std::set<std::shared_ptr<connection>> connections;
  std::uint64_t accepted = 0;  // orders connections by age
  control_server_stats stats;
  // Every connection reads into this one buffer (a read completes before the
  // next starts on this thread), so an idle connection holds no read buffer.
  std::vector<char> read_buffer = std::vector<char>(read_chunk_bytes);
};

// What a client_handle reaches of a connection.
class client_port {
 public:
  virtual bool is_open() const = 0;
  virtual bool notify(std::string_view topic, json::object fields) = 0;
  virtual void on_close(std::function<void()> closed) = 0;

 protected:
  ~client_port() = default;
};

struct pending_call {
  pending_call(std::weak_ptr<connection> owner, json::value id, const peer_credentials& peer)
      : owner(std::move(owner)), id(std::move(id)), peer(peer) {}
  ~pending_call();
  void answer(std::string line);

  std::weak_ptr<connection> owner;
  json::value id;
  peer_credentials peer;
  bool answered = false;
};

}  // namespace detail

namespace {

// A last line to a client about to be closed: sent only if the socket takes
// it at once, since nothing will wait to write the rest.
void send_now(unix_socket::socket& socket, const std::string& line) {
  (void)::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

class connection final : public detail::client_port,
                         public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<detail::server_state> server, unix_socket::socket socket,
             std::uint64_t order)
      : server_(std::move(server)), socket_(std::move(socket)), order_(order) {}

  void start() {
    // Reads are attempted when the socket is readable; see on_readable().
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    peer_ = read_peer_credentials(socket_.native_handle());
    refuse_everything_ = !peer_ || !server_->policy.may_connect(*peer_);
    if (!peer_) peer_.emplace();  // an unknown peer, with no uid, may call nothing
    start_read();
  }

  // A handler's answer; called once per request by pending_call.
  void complete_call(std::string line) {
    if (closed_) return;
    --in_flight_;
    queue_response(std::move(line));
    // Reading on may start the next handler; never from inside the caller's
    // result() call, which may be deep in the overlay's own code.
    if (!pumping_ && !resume_posted_) {
      resume_posted_ = true;
      asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->resume_posted_ = false;
        self->pump_input();
      });
    }
  }

  void deliver_event(const event& published) {
    if (closed_) return;
    const std::size_t limit = server_->config.event_queue_limit;
    if (events_lost_ > 0) {
      // The loss notice takes a slot of its own, in the place of what was lost.
      if (events_.size() + 2 > limit) return note_event_lost();
      events_.push_back(lost_notice());
    } else if (events_.size() >= limit) {
      return note_event_lost();
    }
    events_.push_back(published.notification);
    auto& stats = server_->stats;
    stats.event_queue_high_water = std::max(stats.event_queue_high_water, events_.size());
    start_write();
  }

  std::size_t queued_events() const { return events_.size(); }

  bool is_open() const override { return !closed_; }

  bool notify(std::string_view topic, json::object fields) override {
    if (closed_ || !subscription_.active() || !topic_matches(topics_, topic) ||
        events_.size() + (events_lost_ > 0 ? 1 : 0) >= server_->config.event_queue_limit) {
      return false;
    }
    json::object params{{"topic", topic}};
    for (auto& field : fields) params.insert_or_assign(field.key(), std::move(field.value()));
    events_.push_back(std::make_shared<const std::string>(encode_notification("event", params)));
    auto& stats = server_->stats;
    stats.event_queue_high_water = std::max(stats.event_queue_high_water, events_.size());
    start_write();
    return true;
  }

  void on_close(std::function<void()> closed) override {
    if (closed_) return closed();
    close_callbacks_.push_back(std::move(closed));
  }

  // Has not sent one request yet, so nothing of it waits on the daemon.
  bool silent() const { return !spoke_; }
  std::uint64_t order() const { return order_; }

  void close_for_newer() {
    const std::size_t limit = server_->config.max_connections;
    send_now(socket_,
             encode_error(nullptr, make_error("too_many_connections",
                                              "the daemon serves at most " + std::to_string(limit) +
                                                  " control connections and closed "
                                                  "this one, silent the longest, for a "
                                                  "new one",
                                              {{"limit", limit}})));
    close();
  }

  void close() {
    if (closed_) return;
    auto keep_alive = shared_from_this();
    closed_ = true;
    update_buffered();
    subscription_.reset();
    boost::system::error_code ignored;
    socket_.shutdown(unix_socket::socket::shutdown_both, ignored);
    socket_.close(ignored);
    events_.clear();
    responses_.clear();
    server_->connections.erase(keep_alive);
    for (auto& closed : std::exchange(close_callbacks_, {})) closed();
  }

 private:
  void start_read() {
    if (reading_ || closed_ || stop_reading_ || end_of_input_) return;
    reading_ = true;
    socket_.async_wait(
        unix_socket::socket::wait_read,
        [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
  }

  void on_readable(boost::system::error_code ec) {
    reading_ = false;
    if (closed_) return;
    if (ec) return close();
    // Never more than the line limit allows: a longer line is refused anyway.
    // pump_input() left only the unfinished line in input_.
    const std::size_t line_room = server_->config.max_line_bytes + 1 - input_.size();
    auto& buffer = server_->read_buffer;
    const std::size_t bytes =
        socket_.read_some(asio::buffer(buffer.data(), std::min(buffer.size(), line_room)), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return start_read();
    if (ec) {
      if (ec != asio::error::eof || peer_hung_up()) return close();
      // The client only shut down its sending side (nc -N): answer what is
      // in flight, then close.
      end_of_input_ = true;
      return finish_if_idle();
    }
    if (!reserve_input(bytes)) return;
    input_.insert(input_.end(), buffer.data(), buffer.data() + bytes);
    pump_input();
  }

  // Grows input_ for `more` bytes within the line limit, after making room
  // under the server's buffer limit; false if this connection was closed
  // for it.
  bool reserve_input(std::size_t more) {
    const std::size_t needed = input_.size() + more;
    if (needed <= input_.capacity()) return true;
    const std::size_t grown =
        std::min(std::max(needed, 2 * input_.capacity()), server_->config.max_line_bytes + 1);
    if (!make_room(grown - input_.capacity())) return false;
    input_.reserve(grown);
    update_buffered();
    return true;
  }

  // Closes the connections holding the most, this one counted with
  // `growth` more, until `growth` fits under the server's buffer limit.
  // Returns whether this connection is still open.
  bool make_room(std::size_t growth) {
    auto keep_alive = shared_from_this();
    while (!closed_ && growth > server_->buffer_room()) {
      connection* largest = this;
      std::size_t most = buffered_ + growth;
      for (const auto& other : server_->connections) {
        if (other->buffered_ > most) {
          largest = other.get();
          most = other->buffered_;
        }
      }
      largest->refuse_over_buffer_limit();
    }
    return !closed_;
  }

  void refuse_over_buffer_limit() {
    ++server_->stats.closed_over_buffer_limit;
    const std::size_t limit = server_->config.max_buffered_bytes;
    // Written only if the socket takes it at once, and never into the middle
    // of an answer being written.
    if (!writing_) {
      send_now(socket_,
               encode_error(nullptr,
                            make_error("buffer_limit",
                                       "control connections together hold more than " +
                                           std::to_string(limit) + " bytes; this one held the most",
                                       {{"limit", limit}, {"held", buffered_}})));
    }
    close();
  }

  // Counts what this connection holds (unfinished input and answers not yet
  // written) in the server's total; nothing once closed.
  void update_buffered() {
    const std::size_t now = closed_ ? 0 : input_.capacity() + response_bytes_;
    server_->remove_buffered(buffered_);
    server_->add_buffered(now);
    buffered_ = now;
  }

  // After end of input: POLLHUP means the peer closed both directions, so
  // nothing pending can reach it any more.
  bool peer_hung_up() {
    pollfd state{socket_.native_handle(), POLLOUT, 0};
    return ::poll(&state, 1, 0) == 1 && (state.revents & (POLLHUP | POLLERR)) != 0;
  }

  bool paused() const {
    return in_flight_ >= server_->config.max_requests_in_flight ||
           response_bytes_ >= server_->config.max_queued_response_bytes;
  }

  // Serves complete lines until none are left or back-pressure applies, then
  // reads more. Re-entered from complete_call() for synchronous answers,
  // which the outer loop then picks up.
  void pump_input() {
    if (pumping_) return;
    pumping_ = true;
    while (!closed_ && !stop_reading_ && !paused()) {
      const auto newline = std::find(input_.begin() + consumed_, input_.end(), '\n');
      const auto line_end = static_cast<std::size_t>(newline - input_.begin());
      if (line_end - consumed_ > server_->config.max_line_bytes) {
        refuse_oversized_line();
        break;
      }
      if (newline == input_.end()) break;
      std::string_view line(input_.data() + consumed_, line_end - consumed_);
      consumed_ = line_end + 1;
      serve_line(line);
    }
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
    if (input_.empty()) release_input();
    pumping_ = false;
    if (closed_) return;
    if (!paused()) start_read();
    finish_if_idle();
  }

  void refuse_oversized_line() {
    // The rest of the line cannot be told apart from the next request.
    release_input();
    consumed_ = 0;
    queue_response(encode_error(
        nullptr, make_error("request_too_large",
                            "request line exceeds " +
                                std::to_string(server_->config.max_line_bytes) + " bytes",
                            {{"limit", server_->config.max_line_bytes}})));
    stop_reading_ = true;
    close_after_flush_ = true;
  }

  void serve_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    ++server_->stats.requests;
    spoke_ = true;
    auto parsed = parse_request(line);
    if (auto* rejected = std::get_if<rejected_request>(&parsed)) {
      if (refuse_everything_) return refuse_stranger(rejected->id);
      return queue_response(encode_error(rejected->id, rejected->error));
    }
    auto& request = std::get<rpc_request>(parsed);
    if (refuse_everything_) return refuse_stranger(request.id);
    const method_schema* schema = server_->catalog.find(request.method);
    if (!schema) {
      return queue_response(
          encode_error(request.id, make_error("method_not_found", "no method " + request.method,
                                              {{"method", request.method}})));
    }
    if (!server_->policy.may_call(*peer_, schema->access)) {
      return queue_response(encode_error(
          request.id,
          make_error("permission_denied",
                     request.method + " is " + std::string(to_string(schema->access)) +
                         " and not open to uid " + std::to_string(peer_->uid),
                     {{"method", request.method}, {"access", to_string(schema->access)}})));
    }
    auto validated = validate_params(*schema, request.params);
    if (auto* error = std::get_if<rpc_error>(&validated)) {
      return queue_response(encode_error(request.id, *error));
    }
    dispatch(*schema, std::move(request.id), std::get<json::object>(validated));
  }

  void dispatch(const method_schema& schema, json::value id, const json::object& params) {
    ++in_flight_;
    responder respond(
        std::make_shared<detail::pending_call>(weak_from_this(), std::move(id), *peer_));
    try {
      if (schema.name == "rpc.help") {
        serve_help(params, respond);
      } else if (schema.name == "events.subscribe") {
        subscribe(params, respond);
      } else if (auto handler = server_->handlers.find(schema.name);
                 handler != server_->handlers.end()) {
        handler->second(params, respond);
      } else {
        respond.error(make_error("not_implemented", schema.name + " is not served by this daemon",
                                 {{"method", schema.name}}));
      }
    } catch (const rpc_error& error) {
      respond.error(error);
    } catch (const std::exception& failure) {
      respond.error(make_error("internal_error", failure.what()));
    }
  }

  void serve_help(const json::object& params, const responder& respond) {
    std::optional<std::string_view> method;
    if (const json::value* wanted = params.if_contains("method")) method = wanted->as_string();
    auto help = rpc_help(server_->catalog, method);
    if (auto* error = std::get_if<rpc_error>(&help)) return respond.error(std::move(*error));
    respond.result(std::move(std::get<json::object>(help)));
  }

  void subscribe(const json::object& params, const responder& respond) {
    std::vector<std::string> topics;
    json::array topic_list;
    if (const json::value* wanted = params.if_contains("topics")) {
      for (const auto& topic : wanted->as_array()) {
        topics.emplace_back(topic.as_string());
        topic_list.emplace_back(topic.as_string());
      }
    }
    json::object snapshot = server_->snapshot ? server_->snapshot(topics) : json::object{};
    // The answer is queued before the subscription exists, and answers are
    // written before events, so the snapshot always comes first.
    respond.result({{"topics", std::move(topic_list)}, {"snapshot", std::move(snapshot)}});
    topics_ = topics;
    subscription_ = server_->events.subscribe(std::move(topics),
                                              [weak = weak_from_this()](const event& published) {
                                                if (auto self = weak.lock())
                                                  self->deliver_event(published);
                                              });
  }

  void refuse_stranger(const json::value& id) {
    queue_response(encode_error(
        id, make_error("permission_denied",
                       "uid " + std::to_string(peer_->uid) +
                           " is neither root, the daemon's user, nor in the socket's group")));
    stop_reading_ = true;
    close_after_flush_ = true;
  }

  void release_input() {
    std::vector<char>().swap(input_);
    update_buffered();
  }

  void queue_response(std::string line) {
    if (!make_room(line.size())) return;
    response_bytes_ += line.size();
    responses_.push_back(std::move(line));
    update_buffered();
    start_write();
  }

  void note_event_lost() {
    ++events_lost_;
    ++server_->stats.events_dropped;
  }

  std::shared_ptr<const std::string> lost_notice() {
    auto notice = std::make_shared<const std::string>(encode_notification(
        "event", {{"topic", "events.lost"}, {"count", std::exchange(events_lost_, 0)}}));
    return notice;
  }

  void start_write() {
    if (writing_ || closed_) return;
    write_buffer_.clear();
    // Answers count as held until written: response_bytes_ drops when the
    // write completes.
    while (!responses_.empty() && write_buffer_.size() < write_batch_bytes) {
      write_buffer_ += responses_.front();
      writing_response_bytes_ += responses_.front().size();
      responses_.pop_front();
    }
    while (!events_.empty() && write_buffer_.size() < write_batch_bytes) {
      write_buffer_ += *events_.front();
      events_.pop_front();
    }
    if (events_.empty() && events_lost_ > 0 && write_buffer_.size() < write_batch_bytes) {
      write_buffer_ += *lost_notice();
    }
    if (write_buffer_.empty()) {
      std::string().swap(write_buffer_);
      return finish_if_idle();
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(write_buffer_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (ec) return self->close();
                        self->response_bytes_ -= std::exchange(self->writing_response_bytes_, 0);
                        self->update_buffered();
                        self->start_write();
                        self->pump_input();
                      });
  }

  // Closing with unread input makes the kernel reset the connection, and the
  // client could lose the refusal it has not read yet; what has already
  // arrived is read and dropped, a bounded amount.
  void discard_unread_input() {
    auto& buffer = server_->read_buffer;
    for (int chunk = 0; chunk < 16; ++chunk) {
      if (::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT) <= 0) return;
    }
  }

  bool output_drained() const { return !writing_ && responses_.empty() && events_.empty(); }

  void finish_if_idle() {
    if (closed_ || !output_drained()) return;
    if (close_after_flush_) {
      discard_unread_input();
      return close();
    }
    if (end_of_input_ && in_flight_ == 0 && !subscription_.active()) close();
  }

  std::shared_ptr<detail::server_state> server_;
  unix_socket::socket socket_;
  std::uint64_t order_;
  bool spoke_ = false;
  std::optional<peer_credentials> peer_;
  bool refuse_everything_ = false;

  std::vector<char> input_;  // a vector: its reserve() is exact, so the line limit bounds it
  std::size_t consumed_ = 0;
  bool reading_ = false;
  bool pumping_ = false;
  bool resume_posted_ = false;
  bool stop_reading_ = false;
  bool end_of_input_ = false;
  std::size_t in_flight_ = 0;

  std::deque<std::string> responses_;
  std::size_t response_bytes_ = 0;  // queued and being written
  std::size_t writing_response_bytes_ = 0;
  std::size_t buffered_ = 0;  // this connection's share of the server's total
  std::deque<std::shared_ptr<const std::string>> events_;
  std::uint64_t events_lost_ = 0;
  event_subscription subscription_;
  std::vector<std::string> topics_;  // the subscription's filter
  std::vector<std::function<void()>> close_callbacks_;
  std::string write_buffer_;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

std::system_error os_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

// Returns a bound, listening socket at `path`, replacing a stale socket file
// left by a crashed daemon but never one another daemon still listens on.
int listen_at_path(const std::string& path, std::optional<gid_t> group) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "control socket path: " + path);
  }
  path.copy(address.sun_path, path.size());
  const auto* generic = reinterpret_cast<const sockaddr*>(&address);

  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      throw std::system_error(EEXIST, std::generic_category(), path + " exists and is no socket");
    }
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool in_use = probe >= 0 && ::connect(probe, generic, sizeof(address)) == 0;
    if (probe >= 0) ::close(probe);
    if (in_use) throw std::system_error(EADDRINUSE, std::generic_category(), path);
    ::unlink(path.c_str());
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw os_error("socket");
  // The mode is set after bind rather than through umask, which is
  // process-wide and so not ours to change on a multi-threaded daemon.
  if (::bind(fd, generic, sizeof(address)) != 0 || ::chmod(path.c_str(), 0660) != 0 ||
      (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) ||
      ::listen(fd, SOMAXCONN) != 0) {
    const auto error = os_error("control socket " + path);
    ::close(fd);
    ::unlink(path.c_str());
    throw error;
  }
  return fd;
}

}  // namespace

namespace detail {

void server_state::accept_next() {
  if (closed) return;
  acceptor.async_accept(
      [self = shared_from_this()](boost::system::error_code ec, unix_socket::socket socket) {
        if (self->closed || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of descriptors, most likely: try again shortly rather than spin.
          self->retry_timer.expires_after(std::chrono::milliseconds(100));
          self->retry_timer.async_wait([self](boost::system::error_code wait_error) {
            if (!wait_error) self->accept_next();
          });
          return;
        }
        self->admit(std::move(socket));
        self->accept_next();
      });
}

// At the limit a newcomer takes the place of the connection that has been
// silent the longest: idle connections cannot lock out `p2psipctl status`,
// and those with requests, answers or subscriptions are never dropped for it.
void server_state::admit(unix_socket::socket socket) {
  const std::size_t limit = config.max_connections;
  if (connections.size() >= limit && !close_longest_silent()) {
    ++stats.refused_connections;
    send_now(socket,
             encode_error(nullptr, make_error("too_many_connections",
                                              "the daemon already serves " + std::to_string(limit) +
                                                  " control connections",
                                              {{"limit", limit}})));
    return;
  }
  auto client = std::make_shared<connection>(shared_from_this(), std::move(socket), ++accepted);
  connections.insert(client);
  client->start();
}

bool server_state::close_longest_silent() {
  connection* oldest = nullptr;
  for (const auto& client : connections) {
    if (client->silent() && (!oldest || client->order() < oldest->order())) oldest = client.get();
  }
  if (!oldest) return false;
  ++stats.closed_silent_for_newer;
  oldest->close_for_newer();
  return true;
}

void server_state::add_buffered(std::size_t bytes) {
  stats.buffered_bytes += bytes;
  stats.buffered_bytes_high_water = std::max(stats.buffered_bytes_high_water, stats.buffered_bytes);
}

pending_call::~pending_call() {
  if (!answered) {
    answer(encode_error(id, make_error("internal_error", "the request was dropped unanswered")));
  }
}

void pending_call::answer(std::string line) {
  answered = true;
  if (auto client = owner.lock()) client->complete_call(std::move(line));
}

}  // namespace detail

void responder::result(json::object result) const {
  if (call_->answered) return;
  call_->answer(encode_result(call_->id, std::move(result)));
}

void responder::error(rpc_error error) const {
  if (call_->answered) return;
  call_->answer(encode_error(call_->id, error));
}

bool responder::answered() const { return call_->answered; }

bool responder::client_connected() const { return !call_->owner.expired(); }

const peer_credentials& responder::peer() const { return call_->peer; }

client_handle responder::client() const {
  std::shared_ptr<detail::client_port> port = call_->owner.lock();
  return client_handle(port);
}

bool client_handle::connected() const {
  auto port = port_.lock();
  return port && port->is_open();
}

bool client_handle::notify(std::string_view topic, json::object fields) const {
  auto port = port_.lock();
  return port && port->notify(topic, std::move(fields));
}

void client_handle::on_close(std::function<void()> closed) const {
  if (auto port = port_.lock()) return port->on_close(std::move(closed));
  closed();
}

bool client_handle::same_as(const client_handle& other) const {
  return !port_.owner_before(other.port_) && !other.port_.owner_before(port_);
}

control_server::control_server(asio::io_context& io, control_server_config config,
                               schema_catalog catalog, event_bus& events)
    : state_(std::make_shared<detail::server_state>(io, std::move(config), std::move(catalog),
                                                    events)) {
  const int fd = listen_at_path(state_->config.socket_path, state_->config.socket_group);
  start(fd, true);
}

control_server::control_server(asio::io_context& io, int listening_fd, control_server_config config,
                               schema_catalog catalog, event_bus& events)
    : state_(std::make_shared<detail::server_state>(io, std::move(config), std::move(catalog),
                                                    events)) {
  start(listening_fd, false);
}

void control_server::start(int listening_fd, bool created_path) {
  auto& state = *state_;
  state.acceptor.assign(unix_socket(), listening_fd);
  state.path = state.acceptor.local_endpoint().path();
  state.unlink_path_on_close = created_path;
  state.policy.daemon_uid = state.config.daemon_uid.value_or(::geteuid());
  state.policy.admin_group = state.config.admin_group;
  state.policy.read_group = state.config.socket_group;
  struct stat socket_file {};
  if (!state.policy.read_group && !state.path.empty() && state.path.front() != '\0' &&
      ::stat(state.path.c_str(), &socket_file) == 0) {
    state.policy.read_group = socket_file.st_gid;
  }
  state.accept_next();
}

control_server::~control_server() { close(); }

void control_server::handle(std::string_view method, method_handler handler) {
  if (!state_->catalog.find(method)) {
    throw std::invalid_argument("no schema for control method " + std::string(method));
  }
  if (method == "rpc.help" || method == "events.subscribe") {
    throw std::invalid_argument(std::string(method) + " is served by the control server itself");
  }
  state_->handlers.insert_or_assign(std::string(method), std::move(handler));
}

void control_server::set_snapshot_provider(snapshot_provider provider) {
  state_->snapshot = std::move(provider);
}

void control_server::close() {
  auto& state = *state_;
  if (state.closed) return;
  state.closed = true;
  boost::system::error_code ignored;
  state.acceptor.close(ignored);
  state.retry_timer.cancel();
  if (state.unlink_path_on_close) ::unlink(state.path.c_str());
  // close() removes each connection from the set.
  while (!state.connections.empty()) (*state.connections.begin())->close();
}

const std::string& control_server::socket_path() const { return state_->path; }

const access_policy& control_server::policy() const { return state_->policy; }

control_server_stats control_server::stats() const {
  control_server_stats stats = state_->stats;
  stats.connections = state_->connections.size();
  stats.queued_events = 0;
  for (const auto& client : state_->connections) stats.queued_events += client->queued_events();
  return stats;
}

method_handler metrics_handler(const metrics_registry& registry) {
  return [&registry](const json::object& params, responder respond) {
    if (params.at("format").as_string() == "prometheus") {
      respond.result({{"format", "prometheus"}, {"text", registry.to_prometheus()}});
    } else {
      respond.result({{"format", "json"}, {"metrics", registry.to_json()}});
    }
  };
}

}  // namespace p2psip::control
