#include "usage/sip_channel.hpp"

#include <array>
#include <deque>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "link/tls_session.hpp"
#include "nat/ice_candidate_codec.hpp"
#include "runtime/link_transport.hpp"
#include "runtime/logger.hpp"
#include "usage/sip_stream_framer.hpp"

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
//
// Keepalives (RFC 5626 §4.4.1) between the daemons, at message boundaries:
// the side that opened the stream sends a double-CRLF ping every
// keepalive_interval, the other answers each with a CRLF pong, and either
// side ends a stream that brought nothing for keepalive_silence_limit. A
// daemon that died, or restarted, then loses its streams in seconds, as a
// TCP reset would tell: an ICE stream's path gives no such sign for tens of
// seconds. Keepalives are not passed to the fronts.
//
// The opening side also pings after each message of the front, and keeps
// the front's bytes until the pong to a later ping: pongs answer pings in
// order, so that pong proves the peer daemon read them. When the stream
// breaks with bytes unconfirmed, the front's connection is handed on
// (on_resend) instead of reset.
class splice : public std::enable_shared_from_this<splice> {
 public:
  splice(asio::io_context& io, const link::tls_context& tls, link::tls_role role,
         std::optional<wire::node_id> expected, bool pinger, const sip_channel_config& config)
      : tls_(tls, role, expected), role_(role), pinger_(pinger), config_(config), timer_(io) {
    outbound_.on_message_bytes = [this](wire::bytes_view bytes) { tls_.send(bytes); };
    inbound_.on_message_bytes = [this](wire::bytes_view bytes) {
      deliver_local({bytes.begin(), bytes.end()});
    };
    inbound_.on_keepalive = [this](std::size_t crlfs) {
      if (pinger_) return confirmed(crlfs);  // pongs, one CRLF each
      unpaired_crlfs_ += crlfs;
      pongs_due_ += unpaired_crlfs_ / 2;
      unpaired_crlfs_ %= 2;
    };
  }
  splice(const splice&) = delete;
  splice& operator=(const splice&) = delete;

  // Once the peer is authenticated and the handshake done.
  std::function<void(splice&)> on_established;
  // Once, when either side ended or a bound was hit.
  std::function<void(splice&, const std::string& why)> on_closed;
  // The far side broke with front bytes unconfirmed: the front's connection
  // and those bytes, for a fresh stream. Called after on_closed.
  std::function<void(front_connection)> on_resend;

  void attach_remote(std::shared_ptr<link::byte_stream> remote) {
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

  void attach_local(front_connection local) {
    if (closed_) return local.stream->close(link::close_mode::abort);
    local_ = std::move(local.stream);
    resends_ = local.resends;
    carried_local_ = true;
    local_->start(local_side_);
    if (!to_local_.empty()) {
      local_->write(std::move(to_local_));
      to_local_.clear();
    }
    // Before anything the front sends from now: start() only waits to read.
    if (!local.unsent.empty())
      from_local(wire::bytes_view(local.unsent.data(), local.unsent.size()));
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
  // Unless the front's unconfirmed bytes can go on a fresh stream (the
  // connection is then handed on, not reset).
  void far_side_ended(const std::string& why, link::close_mode mode) {
    if (closed_) return;
    if (!can_resend()) {
      far_ended_ = established_;
      return close(why, mode, link::close_mode::reset);
    }
    front_connection handed{std::exchange(local_, nullptr), std::exchange(unconfirmed_, {}),
                            resends_ + 1};
    handed.stream->detach();
    auto resend = std::exchange(on_resend, nullptr);
    close(why + "; " + std::to_string(handed.unsent.size()) +
              " unconfirmed bytes of the front go on a fresh stream",
          mode, link::close_mode::reset);
    resend(std::move(handed));
  }

  void close(const std::string& why, link::close_mode remote_mode, link::close_mode local_mode) {
    if (closed_) return;
    // on_closed may drop the last reference (a peer's spare, say).
    auto keep = shared_from_this();
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

  // Enough for a daemon restarting in a loop not to get the same bytes for ever.
  static constexpr unsigned max_resends = 2;

  bool can_resend() const {
    // A partial message from the peer already went to the front: what a
    // fresh stream brings could not follow it.
    return pinger_ && established_ && local_ && on_resend && !unconfirmed_.empty() && tracking_ &&
           resends_ < max_resends && inbound_.at_boundary();
  }

  // `pongs` more answers to our pings, in the order the pings went.
  void confirmed(std::size_t pongs) {
    for (; pongs > 0 && !ping_marks_.empty(); --pongs) {
      const auto upto = ping_marks_.front();
      ping_marks_.pop_front();
      // unconfirmed_ holds the last bytes sent, up to sent_.
      if (tracking_) {
        const auto first_kept = sent_ - unconfirmed_.size();
        unconfirmed_.erase(unconfirmed_.begin(),
                           unconfirmed_.begin() + static_cast<std::ptrdiff_t>(upto - first_kept));
      }
    }
  }

  void from_remote(wire::bytes_view ciphertext) {
    std::vector<std::uint8_t> plain;
    const auto state = tls_.receive(ciphertext, plain);
    flush_remote();
    if (state == link::tls_state::failed) {
      return far_side_ended("TLS: " + tls_.failure(), link::close_mode::abort);
    }
    last_received_ = std::chrono::steady_clock::now();
    if (state != link::tls_state::handshaking && !established_) {
      established_ = true;
      timer_.cancel();
      schedule_keepalive();
      if (!to_remote_.empty()) {
        send_plain(std::exchange(to_remote_, {}));
        if (closed_) return;
      }
      if (on_established) on_established(*this);
      if (closed_) return;
    }
    if (!plain.empty() && !inbound_.feed(wire::bytes_view(plain.data(), plain.size()))) {
      return far_side_ended("peer daemon: " + *inbound_.failed(), link::close_mode::abort);
    }
    if (closed_) return;
    send_keepalives();
    if (state == link::tls_state::closed) {
      far_side_ended("peer sent close_notify", link::close_mode::graceful);
    }
  }

  // Plaintext from the front to the peer, framed so that keepalives go in
  // between messages only.
  void send_plain(const std::vector<std::uint8_t>& plain) {
    if (!outbound_.feed(wire::bytes_view(plain.data(), plain.size()))) {
      return close("front: " + *outbound_.failed(), link::close_mode::abort);
    }
    if (pinger_) {
      sent_ += plain.size();
      // Past the bound the bytes are no longer kept: such a stream is reset.
      tracking_ = tracking_ && unconfirmed_.size() + plain.size() <= config_.max_buffer;
      if (tracking_) {
        unconfirmed_.insert(unconfirmed_.end(), plain.begin(), plain.end());
      } else {
        unconfirmed_.clear();
      }
      ping_due_ = true;
    }
    send_keepalives();
    flush_remote();
  }

  void send_keepalives() {
    if (!established_ || closed_ || !outbound_.at_boundary()) return;
    static constexpr std::array<std::uint8_t, 4> ping{'\r', '\n', '\r', '\n'};
    const bool any = ping_due_ || pongs_due_ > 0;
    if (std::exchange(ping_due_, false)) {
      tls_.send(wire::bytes_view(ping.data(), ping.size()));
      ping_marks_.push_back(sent_);
    }
    for (; pongs_due_ > 0; --pongs_due_) tls_.send(wire::bytes_view(ping.data(), 2));
    if (any) flush_remote();
  }

  void schedule_keepalive() {
    timer_.expires_after(config_.keepalive_interval);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      const auto silent = std::chrono::steady_clock::now() - self->last_received_;
      if (silent > self->config_.keepalive_silence_limit) {
        return self->far_side_ended(
            "nothing from the peer daemon for " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()) +
                " ms",
            link::close_mode::abort);
      }
      if (self->pinger_) self->ping_due_ = true;
      self->send_keepalives();
      self->schedule_keepalive();
    });
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
    send_plain({plain.begin(), plain.end()});
  }

  link::tls_session tls_;
  link::tls_role role_;
  const bool pinger_;  // this side opened the stream
  const sip_channel_config& config_;
  asio::steady_timer timer_;
  side remote_side_{*this, true};
  side local_side_{*this, false};
  std::shared_ptr<link::byte_stream> remote_;  // TCP, or an ice_stream
  std::shared_ptr<link::tcp_stream> local_;
  std::vector<std::uint8_t> to_local_;   // plaintext before the front connection exists
  std::vector<std::uint8_t> to_remote_;  // plaintext before the handshake is done
  sip_stream_framer outbound_;           // what the front sends
  sip_stream_framer inbound_;            // what the peer daemon sends
  std::chrono::steady_clock::time_point last_received_ = std::chrono::steady_clock::now();
  bool ping_due_ = false;
  // The opening side: front bytes sent so far, the last of them not yet
  // confirmed, and the count sent before each ping awaiting its pong.
  std::uint64_t sent_ = 0;
  std::vector<std::uint8_t> unconfirmed_;
  std::deque<std::uint64_t> ping_marks_;
  bool tracking_ = true;
  unsigned resends_ = 0;
  std::size_t pongs_due_ = 0;
  std::size_t unpaired_crlfs_ = 0;
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

void sip_channel::start(sip::stream_endpoint front) {
  front_ = tcp::endpoint(asio::ip::make_address(front.host), front.port);
  stopped_ = false;
  node_.set_app_attach_responder(
      sip_application, [this](const wire::app_attach_req& request, const wire::node_id& sender,
                              overlay::overlay_node::app_attach_reply reply) {
        if (stopped_) return reply(std::nullopt);
        if (config_.open_ice_stream) return ice_answer(sender, request, std::move(reply));
        wire::app_attach_ans answer;
        answer.role = {'p', 'a', 's', 's', 'i', 'v', 'e'};
        answer.candidates.push_back(host_candidate(advertised_));
        reply(std::move(answer));
      });
  // An ICE overlay has no use for a TCP listener (§6.5.1.5: all ICE).
  if (config_.open_ice_stream) return;
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
  logs.write(log_level::info, "sip: application listener on " + advertised_.address().to_string() +
                                  ":" + std::to_string(advertised_.port()));
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
  for (const auto& stream : std::exchange(negotiating_, {})) stream->close(link::close_mode::abort);
}

sip_channel_stats sip_channel::stats() const {
  auto out = stats_;
  out.peers = 0;
  for (const auto& [id, entry] : peers_) out.peers += entry.listener ? 1 : 0;
  out.streams = splices_.size();
  return out;
}

std::shared_ptr<splice> sip_channel::make_splice(bool outbound, bool tls_client,
                                                 std::optional<wire::node_id> expected) {
  auto s = std::make_shared<splice>(io_, tls_,
                                    tls_client ? link::tls_role::client : link::tls_role::server,
                                    expected, outbound, config_);
  splices_.insert(s);
  return s;
}

void sip_channel::open(const wire::node_id& peer,
                       std::function<void(std::optional<sip::stream_endpoint>)> done) {
  if (stopped_ || peer == node_.self()) return done(std::nullopt);
  auto& entry = peers_[peer];
  if (entry.listener && entry.reachable && !entry.attaching) {
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
  if (config_.open_ice_stream) {
    return ice_connect(peer, [this, peer](std::shared_ptr<splice> s, const std::string& why) {
      adopt(peer, std::move(s), why);
    });
  }
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

void sip_channel::send_app_attach(const wire::node_id& peer, wire::app_attach_req request,
                                  app_attach_done done) {
  request.application = sip_application;
  // Whichever comes first, the answer or the deadline, takes `done`.
  auto pending = std::make_shared<app_attach_done>(std::move(done));
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
                     done(std::move(*r), "");
                   });
}

void sip_channel::request_candidate(
    const wire::node_id& peer,
    std::function<void(std::optional<tcp::endpoint>, const std::string&)> done) {
  wire::app_attach_req request;
  request.role = {'a', 'c', 't', 'i', 'v', 'e'};
  send_app_attach(
      peer, std::move(request),
      [done = std::move(done)](std::optional<wire::app_attach_ans> answer, const std::string& why) {
        if (!answer) return done(std::nullopt, why);
        wire::attach_req_ans as_attach;
        as_attach.candidates = answer->candidates;
        done(first_usable_candidate(as_attach), "AppAttachAns without a usable candidate");
      });
}

void sip_channel::attached(const wire::node_id& peer, std::optional<tcp::endpoint> where,
                           const std::string& why) {
  if (stopped_) return;
  if (!where) return fail_peer(peer, why);
  dial(peer, *where, [this, alive = alive_, peer, where = *where](std::shared_ptr<splice> s) {
    if (!*alive) return;
    if (s && !stopped_) peers_[peer].candidate = where;
    adopt(peer, std::move(s),
          "no TLS stream to " + where.address().to_string() + ":" + std::to_string(where.port()));
  });
}

void sip_channel::adopt(const wire::node_id& peer, std::shared_ptr<splice> s,
                        const std::string& why) {
  if (stopped_) {
    if (s) s->close("channel stopped");
    return;
  }
  if (!s) return fail_peer(peer, why);
  auto& entry = peers_[peer];
  entry.attaching = false;
  entry.reachable = true;
  if (entry.spare) std::exchange(entry.spare, nullptr)->close("replaced by a fresh stream");
  entry.spare = std::move(s);
  if (!entry.listener) {
    try {
      entry.listener = link::tcp_listener::open(
          io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0), config_.close_linger,
          [this, alive = alive_, peer](std::shared_ptr<link::tcp_stream> local) {
            if (*alive) accept_local(peer, front_connection(std::move(local)));
          },
          [peer](const std::string& reason) {
            logs.write(log_level::warning,
                       "sip: loopback listener for " + peer.hex() + ": " + reason);
          });
    } catch (const std::exception& e) {
      std::exchange(entry.spare, nullptr)->close("no loopback listener");
      return fail_peer(peer, std::string("loopback listener: ") + e.what());
    }
  }
  ++stats_.outbound_opened;
  const auto endpoint = to_stream_endpoint(entry.listener->local_endpoint());
  auto waiting = std::move(entry.waiting);
  entry.waiting.clear();
  for (auto& done : waiting) done(endpoint);
}

namespace {

wire::attach_req_ans as_attach_body(const wire::app_attach_req_ans& body) {
  return {body.ufrag, body.password, body.role, body.candidates, false};
}

void log_pair(const wire::node_id& peer, const nat::ice_selected_pair& pair) {
  logs.write(log_level::info, "sip: ICE stream with " + peer.hex() + ": " + nat::describe(pair));
}

wire::app_attach_req_ans as_app_attach_body(wire::attach_req_ans body) {
  wire::app_attach_req_ans out;
  out.ufrag = std::move(body.ufrag);
  out.password = std::move(body.password);
  out.application = sip_application;
  out.role = std::move(body.role);
  out.candidates = std::move(body.candidates);
  return out;
}

}  // namespace

std::shared_ptr<nat::ice_stream> sip_channel::take_negotiating(
    std::shared_ptr<nat::ice_stream>& slot) {
  if (slot) negotiating_.erase(slot);
  return std::exchange(slot, nullptr);
}

void sip_channel::ice_connect(const wire::node_id& peer, stream_ready done) {
  auto pending = std::make_shared<stream_ready>(std::move(done));
  auto finish = [pending](std::shared_ptr<splice> s, const std::string& why) {
    if (auto f = std::exchange(*pending, nullptr)) f(std::move(s), why);
  };
  // The handlers reach the stream through this slot, emptied once the
  // negotiation ends (the stream owns its handlers).
  auto slot = std::make_shared<std::shared_ptr<nat::ice_stream>>();
  auto end_negotiation = [this, slot] { return take_negotiating(*slot); };
  nat::ice_stream_handlers h;
  h.gathered = [this, alive = alive_, peer, slot, finish,
                end_negotiation](const nat::ice_description* local) {
    if (!*alive) return;
    if (!local) {
      if (auto stream = end_negotiation()) stream->close(link::close_mode::abort);
      return finish(nullptr, "ICE gathering failed");
    }
    logs.write(log_level::debug, "sip: AppAttach to " + peer.hex() + " with " +
                                     std::to_string(local->candidates.size()) + " candidates");
    send_app_attach(
        peer, as_app_attach_body(nat::to_attach_body(*local, nat::ice_role::controlling)),
        [peer, slot, finish, end_negotiation](std::optional<wire::app_attach_ans> answer,
                                              const std::string& why) {
          if (!*slot) return;
          const auto remote =
              answer ? nat::from_attach_body(as_attach_body(*answer), nat::ice_role::controlling)
                     : std::nullopt;
          logs.write(
              log_level::debug,
              "sip: AppAttachAns from " + peer.hex() + ": " +
                  (remote ? std::to_string(remote->candidates.size()) + " candidates" : why));
          if (!remote || remote->candidates.empty()) {
            end_negotiation()->close(link::close_mode::abort);
            return finish(nullptr, answer ? "AppAttachAns without usable ICE candidates" : why);
          }
          (*slot)->set_remote(*remote);
        });
  };
  h.connected = [this, alive = alive_, peer, finish,
                 end_negotiation](const nat::ice_selected_pair& pair) {
    if (!*alive) return;
    log_pair(peer, pair);
    auto stream = end_negotiation();
    if (!stream) return;
    // The requester is "passive": the TLS server, the answerer dials.
    splice_stream(std::move(stream), false, peer, finish);
  };
  h.failed = [alive = alive_, finish, end_negotiation](const std::string& why) {
    if (!*alive) return;
    end_negotiation();
    finish(nullptr, why);
  };
  *slot = config_.open_ice_stream(nat::ice_role::controlling, std::move(h));
  negotiating_.insert(*slot);
}

void sip_channel::ice_answer(const wire::node_id& peer, const wire::app_attach_req& request,
                             overlay::overlay_node::app_attach_reply reply) {
  const auto remote = nat::from_attach_body(as_attach_body(request), nat::ice_role::controlled);
  if (!remote || remote->candidates.empty() || !front_) return reply(std::nullopt);
  auto slot = std::make_shared<std::shared_ptr<nat::ice_stream>>();
  auto end_negotiation = [this, slot] { return take_negotiating(*slot); };
  nat::ice_stream_handlers h;
  // Debug logs time each step of a first contact (bench_first_contact.sh).
  logs.write(log_level::debug, "sip: AppAttach from " + peer.hex());
  h.gathered = [peer, reply = std::move(reply),
                end_negotiation](const nat::ice_description* local) {
    if (!local) {
      if (auto stream = end_negotiation()) stream->close(link::close_mode::abort);
      return reply(std::nullopt);
    }
    logs.write(log_level::debug, "sip: AppAttachAns to " + peer.hex() + " with " +
                                     std::to_string(local->candidates.size()) + " candidates");
    reply(as_app_attach_body(nat::to_attach_body(*local, nat::ice_role::controlled)));
  };
  h.connected = [this, alive = alive_, peer, end_negotiation](const nat::ice_selected_pair& pair) {
    if (!*alive) return;
    log_pair(peer, pair);
    if (auto stream = end_negotiation()) accept_stream(std::move(stream), true, peer);
  };
  h.failed = [this, alive = alive_, peer, end_negotiation](const std::string& why) {
    if (!*alive) return;
    end_negotiation();
    logs.write(log_level::debug, "sip: ICE with " + peer.hex() + " for its AppAttach: " + why);
  };
  *slot = config_.open_ice_stream(nat::ice_role::controlled, std::move(h));
  negotiating_.insert(*slot);
  (*slot)->set_remote(*remote);
}

void sip_channel::fail_peer(const wire::node_id& peer, const std::string& why) {
  ++stats_.failures;
  logs.write(log_level::info, "sip: cannot reach " + peer.hex() + ": " + why);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  auto waiting = std::move(it->second.waiting);
  if (it->second.listener) it->second.listener->close();
  if (it->second.spare) std::exchange(it->second.spare, nullptr)->close("peer unreachable");
  peers_.erase(it);
  for (auto& done : waiting) done(std::nullopt);
  if (on_unreachable_) on_unreachable_(peer);
}

void sip_channel::dial(const wire::node_id& peer, const tcp::endpoint& where,
                       std::function<void(std::shared_ptr<splice>)> on_ready) {
  link::tcp_connect(io_, where, config_.close_linger,
                    [this, alive = alive_, peer, on_ready = std::move(on_ready)](
                        std::shared_ptr<link::tcp_stream> stream, const std::string& error) {
                      if (!*alive) return;
                      if (!stream || stopped_) {
                        if (stream) stream->close(link::close_mode::abort);
                        logs.write(log_level::debug, "sip: dial " + peer.hex() + ": " + error);
                        return on_ready(nullptr);
                      }
                      splice_stream(std::move(stream), true, peer,
                                    [on_ready](std::shared_ptr<splice> s, const std::string&) {
                                      on_ready(std::move(s));
                                    });
                    });
}

void sip_channel::splice_stream(std::shared_ptr<link::byte_stream> remote, bool tls_client,
                                std::optional<wire::node_id> expected, stream_ready ready) {
  auto pending = std::make_shared<stream_ready>(std::move(ready));
  auto s = make_splice(true, tls_client, expected);
  s->on_established = [pending](splice& established) {
    if (auto f = std::exchange(*pending, nullptr)) f(established.shared_from_this(), "");
  };
  s->on_closed = [this, alive = alive_, pending, expected](splice& gone, const std::string& why) {
    logs.write(log_level::debug, "sip: stream closed: " + why);
    if (auto f = std::exchange(*pending, nullptr)) f(nullptr, why);
    if (*alive) splice_closed(gone, expected);
  };
  if (expected) {
    s->on_resend = [this, alive = alive_, peer = *expected](front_connection local) {
      if (*alive) resend(peer, std::move(local));
    };
  }
  s->attach_remote(std::move(remote));
}

void sip_channel::resend(const wire::node_id& peer, front_connection local) {
  ++stats_.resent;
  logs.write(log_level::info, "sip: stream to " + peer.hex() + " broke with " +
                                  std::to_string(local.unsent.size()) +
                                  " bytes it did not confirm; sending them on a fresh stream");
  // A spare made before the break may lead to the same dead process.
  if (auto it = peers_.find(peer); it != peers_.end() && it->second.spare) {
    std::exchange(it->second.spare, nullptr)->close("the node's stream broke");
  }
  accept_local(peer, std::move(local));
}

void sip_channel::accept_local(const wire::node_id& peer, front_connection local) {
  auto it = peers_.find(peer);
  if (stopped_ || it == peers_.end() || !it->second.reachable) {
    return local.stream->close(link::close_mode::reset);
  }
  auto& entry = it->second;
  if (entry.spare) {
    auto s = std::move(entry.spare);
    entry.spare.reset();
    s->attach_local(std::move(local));
    return;
  }
  auto held = std::make_shared<front_connection>(std::move(local));
  if (config_.open_ice_stream) {
    // Each stream is a negotiation of its own.
    return ice_connect(peer, [this, peer, held](std::shared_ptr<splice> s, const std::string& why) {
      if (s) return s->attach_local(std::move(*held));
      held->stream->close(link::close_mode::reset);
      if (!stopped_) fail_peer(peer, why);
    });
  }
  // Another connection from nta: its own TLS stream to the same node. What
  // nta sends meanwhile waits in the kernel until the stream is up.
  splice_local(peer, *entry.candidate, std::move(held), true);
}

void sip_channel::splice_local(const wire::node_id& peer, const tcp::endpoint& where,
                               std::shared_ptr<front_connection> local, bool reattach) {
  dial(peer, where, [this, alive = alive_, peer, local, reattach](std::shared_ptr<splice> s) {
    if (!*alive) return;
    if (s) return s->attach_local(std::move(*local));
    if (!reattach) {
      local->stream->close(link::close_mode::reset);
      return fail_peer(peer, "dial failed");
    }
    logs.write(log_level::info, "sip: candidate of " + peer.hex() + " stale, AppAttaching again");
    request_candidate(
        peer, [this, peer, local](std::optional<tcp::endpoint> fresh, const std::string& why) {
          auto it = peers_.find(peer);
          if (stopped_ || !fresh || it == peers_.end()) {
            local->stream->close(link::close_mode::reset);
            return fail_peer(peer, fresh ? "dial failed" : why);
          }
          it->second.candidate = fresh;
          splice_local(peer, *fresh, local, false);
        });
  });
}

void sip_channel::accept_remote(std::shared_ptr<link::tcp_stream> remote) {
  if (stopped_ || !front_) return remote->close(link::close_mode::abort);
  accept_stream(std::move(remote), false, std::nullopt);
}

void sip_channel::accept_stream(std::shared_ptr<link::byte_stream> remote, bool tls_client,
                                std::optional<wire::node_id> expected) {
  auto s = make_splice(false, tls_client, std::move(expected));
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
          self->attach_local(front_connection(std::move(local)));
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
