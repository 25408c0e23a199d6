#include "usage/sip_channel.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "link/tls_session.hpp"
#include "runtime/link_transport.hpp"
#include "runtime/logger.hpp"

namespace p2psip::usage {

using runtime::advertised_address;
using runtime::first_usable_candidate;
using runtime::host_candidate;
using runtime::log_level;
using runtime::logs;

namespace asio = boost::asio;
using asio::ip::tcp;

// One TLS stream to a peer daemon (remote, ciphertext) joined to one
// loopback TCP connection of the front (local, plaintext).
class splice : public std::enable_shared_from_this<splice> {
 public:
  splice(asio::io_context& io, const link::tls_context& tls, link::tls_role role,
         std::optional<wire::node_id> expected, const sip_channel_config& config)
      : tls_(tls, role, expected), role_(role), config_(config), timer_(io) {}
  splice(const splice&) = delete;
  splice& operator=(const splice&) = delete;

  // Once the peer is authenticated and the handshake done.
  std::function<void(splice&)> on_established;
  // Once, when either side ended or a bound was hit.
  std::function<void(splice&, const std::string& why)> on_closed;

  void attach_remote(std::shared_ptr<link::tcp_stream> remote) {
    remote_ = std::move(remote);
    remote_->start(remote_side_);
    timer_.expires_after(config_.handshake_timeout);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->established_) return;
      self->far_side_ended("TLS handshake timed out", link::close_mode::abort);
    });
    if (role_ == link::tls_role::client) tls_.start();
    flush_remote();
  }

  void attach_local(std::shared_ptr<link::tcp_stream> local) {
    if (closed_) return local->close(link::close_mode::abort);
    local_ = std::move(local);
    carried_local_ = true;
    local_->start(local_side_);
    if (!to_local_.empty()) {
      local_->write(std::move(to_local_));
      to_local_.clear();
    }
  }

  bool established() const noexcept { return established_; }
  bool has_local() const noexcept { return local_ != nullptr; }
  // The far side ended a stream that carried the front's traffic: the peer
  // may be gone.
  bool broke_in_use() const noexcept { return far_ended_ && carried_local_; }
  const std::vector<wire::node_id>& peer_ids() const noexcept { return tls_.peer_node_ids(); }

  void close(const std::string& why, link::close_mode mode = link::close_mode::graceful) {
    close(why, mode, mode);
  }
  // The far side ended or failed: the front's connection ends with a reset,
  // so that nta fails the transactions waiting on it (503) at once instead
  // of waiting out Timer B or C for answers that cannot come.
  void far_side_ended(const std::string& why, link::close_mode mode) {
    if (!closed_) far_ended_ = established_;
    close(why, mode, link::close_mode::reset);
  }

  void close(const std::string& why, link::close_mode remote_mode, link::close_mode local_mode) {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (remote_) {
      if (remote_mode == link::close_mode::graceful &&
          tls_.state() == link::tls_state::established) {
        tls_.close();
        flush_remote();
      }
      remote_->close(remote_mode);
    }
    if (local_) local_->close(local_mode);
    remote_.reset();
    local_.reset();
    if (on_closed) {
      auto closed = std::move(on_closed);
      on_closed = nullptr;
      closed(*this, why);
    }
    on_established = nullptr;
  }

 private:
  struct side final : link::byte_stream_handler {
    side(splice& owner, bool remote) : owner_(owner), remote_(remote) {}
    void on_stream_data(wire::bytes_view data) override {
      auto keep = owner_.shared_from_this();
      if (remote_) {
        owner_.from_remote(data);
      } else {
        owner_.from_local(data);
      }
    }
    void on_stream_drained() override {}
    void on_stream_closed(std::string_view reason) override {
      auto keep = owner_.shared_from_this();
      // The stream is done with us: do not close it again.
      (remote_ ? owner_.remote_ : owner_.local_).reset();
      if (remote_) {
        owner_.far_side_ended("peer stream: " + std::string(reason), link::close_mode::graceful);
      } else {
        owner_.close("front connection: " + std::string(reason));
      }
    }
    splice& owner_;
    bool remote_;
  };

  void flush_remote() {
    if (remote_ && tls_.has_output()) remote_->write(tls_.take_output());
  }

  void from_remote(wire::bytes_view ciphertext) {
    std::vector<std::uint8_t> plain;
    const auto state = tls_.receive(ciphertext, plain);
    flush_remote();
    if (state == link::tls_state::failed) {
      return far_side_ended("TLS: " + tls_.failure(), link::close_mode::abort);
    }
    if (state != link::tls_state::handshaking && !established_) {
      established_ = true;
      timer_.cancel();
      if (!to_remote_.empty()) {
        tls_.send(to_remote_);
        to_remote_.clear();
        flush_remote();
      }
      if (on_established) on_established(*this);
      if (closed_) return;
    }
    if (!plain.empty()) deliver_local(std::move(plain));
    if (state == link::tls_state::closed) {
      far_side_ended("peer sent close_notify", link::close_mode::graceful);
    }
  }

  void deliver_local(std::vector<std::uint8_t> plain) {
    const std::size_t queued = local_ ? local_->queued_bytes() : to_local_.size();
    if (queued + plain.size() > config_.max_buffer) {
      return close("front does not read: buffer bound", link::close_mode::abort);
    }
    if (local_) {
      local_->write(std::move(plain));
    } else {
      to_local_.insert(to_local_.end(), plain.begin(), plain.end());
    }
  }

  void from_local(wire::bytes_view plain) {
    if (!established_) {
      if (to_remote_.size() + plain.size() > config_.max_buffer) {
        return far_side_ended("peer not ready: buffer bound", link::close_mode::abort);
      }
      to_remote_.insert(to_remote_.end(), plain.begin(), plain.end());
      return;
    }
    if (!remote_ || remote_->queued_bytes() + plain.size() > config_.max_buffer) {
      return far_side_ended("peer does not read: buffer bound", link::close_mode::abort);
    }
    tls_.send(plain);
    flush_remote();
  }

  link::tls_session tls_;
  link::tls_role role_;
  const sip_channel_config& config_;
  asio::steady_timer timer_;
  side remote_side_{*this, true};
  side local_side_{*this, false};
  std::shared_ptr<link::tcp_stream> remote_;
  std::shared_ptr<link::tcp_stream> local_;
  std::vector<std::uint8_t> to_local_;   // plaintext before the front connection exists
  std::vector<std::uint8_t> to_remote_;  // plaintext before the handshake is done
  bool established_ = false;
  bool closed_ = false;
  bool far_ended_ = false;
  bool carried_local_ = false;
};

namespace {

sip::stream_endpoint to_stream_endpoint(const tcp::endpoint& e) {
  return {e.address().to_string(), e.port()};
}

}  // namespace

sip_channel::sip_channel(asio::io_context& io, overlay::overlay_node& node,
                         const link::tls_context& tls, sip_channel_config config)
    : io_(io), node_(node), tls_(tls), config_(config) {}

sip_channel::~sip_channel() {
  *alive_ = false;
  stop();
}

tcp::endpoint sip_channel::start(sip::stream_endpoint front) {
  front_ = tcp::endpoint(asio::ip::make_address(front.host), front.port);
  stopped_ = false;
  app_listener_ = link::tcp_listener::open(
      io_, tcp::endpoint(config_.listen_address, 0), config_.close_linger,
      [this, alive = alive_](std::shared_ptr<link::tcp_stream> remote) {
        if (*alive) accept_remote(std::move(remote));
      },
      [](const std::string& reason) {
        logs.write(log_level::warning, "sip: application listener: " + reason);
      });
  const auto bound = app_listener_->local_endpoint();
  advertised_ = tcp::endpoint(advertised_address(bound.address()), bound.port());
  node_.set_app_attach_handler(sip_application,
                               [this](const wire::app_attach_req&,
                                      const wire::node_id&) -> std::optional<wire::app_attach_ans> {
                                 if (stopped_) return std::nullopt;
                                 wire::app_attach_ans answer;
                                 answer.role = {'p', 'a', 's', 's', 'i', 'v', 'e'};
                                 answer.candidates.push_back(host_candidate(advertised_));
                                 return answer;
                               });
  logs.write(log_level::info, "sip: application listener on " + advertised_.address().to_string() +
                                  ":" + std::to_string(advertised_.port()));
  return bound;
}

void sip_channel::stop() {
  if (stopped_) return;
  stopped_ = true;
  node_.set_app_attach_handler(sip_application, {});
  if (app_listener_) app_listener_->close();
  app_listener_.reset();
  auto peers = std::move(peers_);
  peers_.clear();
  for (auto& [id, entry] : peers) {
    if (entry.listener) entry.listener->close();
    for (auto& done : entry.waiting) done(std::nullopt);
  }
  const auto splices = splices_;
  for (const auto& s : splices) s->close("channel stopped", link::close_mode::abort);
  splices_.clear();
}

sip_channel_stats sip_channel::stats() const {
  auto out = stats_;
  out.peers = 0;
  for (const auto& [id, entry] : peers_) out.peers += entry.listener ? 1 : 0;
  out.streams = splices_.size();
  return out;
}

std::shared_ptr<splice> sip_channel::make_splice(bool outbound,
                                                 std::optional<wire::node_id> expected) {
  auto s = std::make_shared<splice>(
      io_, tls_, outbound ? link::tls_role::client : link::tls_role::server, expected, config_);
  splices_.insert(s);
  return s;
}

void sip_channel::open(const wire::node_id& peer,
                       std::function<void(std::optional<sip::stream_endpoint>)> done) {
  if (stopped_ || peer == node_.self()) return done(std::nullopt);
  auto& entry = peers_[peer];
  if (entry.listener && entry.candidate && !entry.attaching) {
    return done(to_stream_endpoint(entry.listener->local_endpoint()));
  }
  entry.waiting.push_back(std::move(done));
  attach(peer);
}

void sip_channel::on_unreachable(std::function<void(const wire::node_id&)> lost) {
  on_unreachable_ = std::move(lost);
}

void sip_channel::attach(const wire::node_id& peer) {
  auto& entry = peers_[peer];
  if (entry.attaching) return;
  entry.attaching = true;
  request_candidate(peer, [this, peer](std::optional<tcp::endpoint> where, const std::string& why) {
    attached(peer, where, why);
  });
}

void sip_channel::splice_closed(splice& gone, const std::optional<wire::node_id>& peer) {
  const bool check_peer = gone.broke_in_use() && peer && !stopped_;
  // A spare that died waiting would reset the front's next connection.
  if (auto it = peer ? peers_.find(*peer) : peers_.end();
      it != peers_.end() && it->second.spare.get() == &gone)
    it->second.spare.reset();
  splices_.erase(gone.shared_from_this());
  if (check_peer) attach(*peer);
}

void sip_channel::request_candidate(
    const wire::node_id& peer,
    std::function<void(std::optional<tcp::endpoint>, const std::string&)> done) {
  wire::app_attach_req request;
  request.application = sip_application;
  request.role = {'a', 'c', 't', 'i', 'v', 'e'};
  // Whichever comes first, the answer or the deadline, takes `done`.
  auto pending = std::make_shared<decltype(done)>(std::move(done));
  auto deadline = std::make_shared<asio::steady_timer>(io_, config_.attach_timeout);
  deadline->async_wait([alive = alive_, pending,
                        ms = config_.attach_timeout.count()](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    if (auto f = std::exchange(*pending, nullptr))
      f(std::nullopt, "AppAttach: no answer within " + std::to_string(ms) + " ms");
  });
  node_.app_attach(peer, std::move(request),
                   [alive = alive_, pending,
                    deadline](wire::basic_result<wire::app_attach_ans, overlay::request_error> r) {
                     if (!*alive) return;
                     deadline->cancel();
                     auto done = std::exchange(*pending, nullptr);
                     if (!done) return;
                     if (!r) {
                       const auto& e = r.error();
                       std::string why = std::string("AppAttach: ") + overlay::to_string(e.failure);
                       if (e.failure == overlay::request_failure::error_response) {
                         why += std::string(" ") + wire::to_string(e.code);
                       }
                       return done(std::nullopt, why);
                     }
                     wire::attach_req_ans as_attach;
                     as_attach.candidates = r->candidates;
                     done(first_usable_candidate(as_attach),
                          "AppAttachAns without a usable candidate");
                   });
}

void sip_channel::attached(const wire::node_id& peer, std::optional<tcp::endpoint> where,
                           const std::string& why) {
  if (stopped_) return;
  if (!where) return fail_peer(peer, why);
  dial(peer, *where, [this, alive = alive_, peer, where = *where](std::shared_ptr<splice> s) {
    if (!*alive || stopped_) {
      if (s) s->close("channel stopped");
      return;
    }
    if (!s)
      return fail_peer(peer, "no TLS stream to " + where.address().to_string() + ":" +
                                 std::to_string(where.port()));
    auto& entry = peers_[peer];
    entry.attaching = false;
    entry.candidate = where;
    if (entry.spare) entry.spare->close("replaced by a fresh stream");
    entry.spare = std::move(s);
    if (!entry.listener) {
      try {
        entry.listener = link::tcp_listener::open(
            io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0), config_.close_linger,
            [this, alive, peer](std::shared_ptr<link::tcp_stream> local) {
              if (*alive) accept_local(peer, std::move(local));
            },
            [peer](const std::string& reason) {
              logs.write(log_level::warning,
                         "sip: loopback listener for " + peer.hex() + ": " + reason);
            });
      } catch (const std::exception& e) {
        entry.spare->close("no loopback listener");
        entry.spare.reset();
        return fail_peer(peer, std::string("loopback listener: ") + e.what());
      }
    }
    ++stats_.outbound_opened;
    const auto endpoint = to_stream_endpoint(entry.listener->local_endpoint());
    auto waiting = std::move(entry.waiting);
    entry.waiting.clear();
    for (auto& done : waiting) done(endpoint);
  });
}

void sip_channel::fail_peer(const wire::node_id& peer, const std::string& why) {
  ++stats_.failures;
  logs.write(log_level::info, "sip: cannot reach " + peer.hex() + ": " + why);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  auto waiting = std::move(it->second.waiting);
  if (it->second.listener) it->second.listener->close();
  if (it->second.spare) it->second.spare->close("peer unreachable");
  peers_.erase(it);
  for (auto& done : waiting) done(std::nullopt);
  if (on_unreachable_) on_unreachable_(peer);
}

void sip_channel::dial(const wire::node_id& peer, const tcp::endpoint& where,
                       std::function<void(std::shared_ptr<splice>)> on_ready) {
  auto ready = std::make_shared<std::function<void(std::shared_ptr<splice>)>>(std::move(on_ready));
  link::tcp_connect(io_, where, config_.close_linger,
                    [this, alive = alive_, peer, ready](std::shared_ptr<link::tcp_stream> stream,
                                                        const std::string& error) {
                      if (!*alive) return;
                      if (!stream || stopped_) {
                        if (stream) stream->close(link::close_mode::abort);
                        logs.write(log_level::debug, "sip: dial " + peer.hex() + ": " + error);
                        return (*ready)(nullptr);
                      }
                      auto s = make_splice(true, peer);
                      s->on_established = [ready](splice& established) {
                        if (auto f = std::exchange(*ready, nullptr))
                          f(established.shared_from_this());
                      };
                      s->on_closed = [this, alive, ready, peer](splice& gone,
                                                                const std::string& why) {
                        logs.write(log_level::debug, "sip: stream closed: " + why);
                        if (auto f = std::exchange(*ready, nullptr)) f(nullptr);
                        if (*alive) splice_closed(gone, peer);
                      };
                      s->attach_remote(std::move(stream));
                    });
}

void sip_channel::accept_local(const wire::node_id& peer, std::shared_ptr<link::tcp_stream> local) {
  auto it = peers_.find(peer);
  if (stopped_ || it == peers_.end() || !it->second.candidate) {
    return local->close(link::close_mode::abort);
  }
  auto& entry = it->second;
  if (entry.spare) {
    auto s = std::move(entry.spare);
    entry.spare.reset();
    s->attach_local(std::move(local));
    return;
  }
  // Another connection from nta: its own TLS stream to the same node. What
  // nta sends meanwhile waits in the splice (bounded).
  splice_local(peer, *entry.candidate,
               std::make_shared<std::shared_ptr<link::tcp_stream>>(std::move(local)), true);
}

void sip_channel::splice_local(const wire::node_id& peer, const tcp::endpoint& where,
                               std::shared_ptr<std::shared_ptr<link::tcp_stream>> local,
                               bool reattach) {
  dial(peer, where, [this, alive = alive_, peer, local, reattach](std::shared_ptr<splice> s) {
    if (!*alive) return;
    if (s) return s->attach_local(std::move(*local));
    if (!reattach) {
      (*local)->close(link::close_mode::abort);
      return fail_peer(peer, "dial failed");
    }
    logs.write(log_level::info, "sip: candidate of " + peer.hex() + " stale, AppAttaching again");
    request_candidate(
        peer, [this, peer, local](std::optional<tcp::endpoint> fresh, const std::string& why) {
          auto it = peers_.find(peer);
          if (stopped_ || !fresh || it == peers_.end()) {
            (*local)->close(link::close_mode::abort);
            return fail_peer(peer, fresh ? "dial failed" : why);
          }
          it->second.candidate = fresh;
          splice_local(peer, *fresh, local, false);
        });
  });
}

void sip_channel::accept_remote(std::shared_ptr<link::tcp_stream> remote) {
  if (stopped_ || !front_) return remote->close(link::close_mode::abort);
  auto s = make_splice(false, std::nullopt);
  s->on_established = [this, alive = alive_](splice& established) {
    ++stats_.inbound_accepted;
    auto self = established.shared_from_this();
    const auto from =
        established.peer_ids().empty() ? std::string("?") : established.peer_ids().front().hex();
    logs.write(log_level::debug, "sip: stream from " + from);
    link::tcp_connect(
        io_, *front_, config_.close_linger,
        [self, alive](std::shared_ptr<link::tcp_stream> local, const std::string& error) {
          if (!*alive) return;
          if (!local) return self->close("front unreachable: " + error);
          self->attach_local(std::move(local));
        });
  };
  s->on_closed = [this, alive = alive_](splice& gone, const std::string& why) {
    logs.write(log_level::debug, "sip: inbound stream closed: " + why);
    if (!*alive) return;
    std::optional<wire::node_id> from;
    if (!gone.peer_ids().empty()) from = gone.peer_ids().front();
    splice_closed(gone, from);
  };
  s->attach_remote(std::move(remote));
}

}  // namespace p2psip::usage
