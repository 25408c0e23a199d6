// What the parts of the SIP front share, internal to lib/sip: the sofia
// "magic" types (every translation unit that includes sofia must agree on
// them, so include this header instead of sofia's), the bridge between the
// sip thread and the overlay thread, where this front is reached, and small
// URI helpers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "sip/sip_front.hpp"

namespace p2psip::sip {
class response_handler;
struct proxy_txn;
}  // namespace p2psip::sip

#define SU_ROOT_MAGIC_T p2psip::sip::sip_front::impl
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void
#define NTA_LEG_MAGIC_T p2psip::sip::sip_front::impl
#define NTA_OUTGOING_MAGIC_T p2psip::sip::response_handler
#define NTA_INCOMING_MAGIC_T p2psip::sip::proxy_txn
#define NTA_AGENT_MAGIC_T p2psip::sip::sip_front::impl

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

namespace p2psip::sip {

// Whom nta reports a client transaction's responses to: a proxy branch, a
// daemon-originated MESSAGE, or the catcher of stray responses.
class response_handler {
 public:
  virtual int on_response(nta_outgoing_t* orq, const sip_t* sip) = 0;
  // The nta_response_f every client transaction is created with.
  static int dispatch(response_handler* h, nta_outgoing_t* orq, const sip_t* sip) {
    return h->on_response(orq, sip);
  }

 protected:
  ~response_handler() = default;
};

// A cross-thread task queue drained on the sip thread. The only state shared
// between threads in the front; guarded by its mutex.
class mailbox {
 public:
  using task = std::function<void()>;
  mailbox();
  ~mailbox();
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;
  int fd() const { return fd_; }
  bool post(task t);
  // Called on the sip thread.
  void drain();
  void close();

 private:
  int fd_;
  std::mutex m_;
  std::deque<task> q_;
  bool closed_ = false;
};

// Both directions between the sip thread and the overlay thread.
class thread_bridge {
 public:
  explicit thread_bridge(executor overlay) : overlay_(std::move(overlay)) {}

  mailbox& box() const { return *box_; }
  // Runs `f` on the overlay thread; nothing of ours may be captured by ref.
  void to_overlay(std::function<void()> f) const { overlay_(std::move(f)); }
  // Returns a callable that, from any thread, re-enters the sip thread.
  template <class T>
  std::function<void(T)> back_here(std::function<void(T)> f) const {
    std::weak_ptr<mailbox> wb = box_;
    return [wb, f = std::move(f)](T v) {
      if (auto b = wb.lock()) b->post([f, v = std::move(v)]() mutable { f(std::move(v)); });
    };
  }
  // A message kept by callbacks that may be dropped on the overlay thread:
  // its last release is posted back here, so that only the sip thread
  // touches sofia's reference count.
  std::shared_ptr<msg_t> owned_here(msg_t* m) const;

 private:
  executor overlay_;
  std::shared_ptr<mailbox> box_ = std::make_shared<mailbox>();
};

// Where this front is reached: its listen host, the ports nta bound, and the
// Node-ID its Record-Route carries. Filled in on the sip thread at start.
struct front_address {
  std::string listen_host;
  std::string self_hex;
  listen_endpoints eps;
  nta_agent_t* agent = nullptr;

  // Whether host:port (of a URI or a Via sent-by) is where this front
  // listens.
  bool is_ours(const char* host, const char* port) const;
  // A Route or Request-URI naming this front: by p2p= Node-ID, else address.
  bool route_is_ours(const url_t* u) const;
  std::string record_route() const;
  // A contact URI of this front for a party inside the daemon (an app, the
  // click-to-call controller): sip:USER@host:port;PARAM=VALUE.
  std::string contact(const std::string& user, const char* param, const std::string& value) const;
};

// Request-URI parameter marking a request already routed by another daemon
// (or one for local bindings only): no overlay lookup, no inbox.
inline constexpr const char* local_only_param = "p2p-local";

std::string to_string(const char* s);
std::string url_str(su_home_t* home, const url_t* u);
std::string param_value(const url_t* u, const char* name);
// A URI or Via port; 5060 when absent, 0 when not a port.
std::uint16_t port_of(const char* text);
// 127.0.0.0/8, ::1 (bracketed or not) or "localhost".
bool is_loopback(const std::string& host);
// nta would resolve a host name with sofia's resolver on the sip thread,
// which spins there for good when no nameserver is reachable. So the front
// resolves no names and sends only to IP literals. Returns the host name of
// the next hop nta would pick for `sip` (`route_url` when not empty, else a
// loose-routing first Route, else the Request-URI; maddr before host), or
// empty when that next hop is an IP literal.
std::string next_hop_needing_dns(const sip_t* sip, const std::string& route_url = {});
// A final answer with our Server header, and a Reason (RFC 3326) when given.
void reply(nta_incoming_t* irq, const std::string& server, int status, const char* phrase,
           const std::string& reason = {});

}  // namespace p2psip::sip
