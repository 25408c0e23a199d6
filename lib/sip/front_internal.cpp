#include "sip/front_internal.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <sofia-sip/hostdomain.h>

namespace p2psip::sip {

mailbox::mailbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("sip: eventfd failed");
}

mailbox::~mailbox() { ::close(fd_); }

bool mailbox::post(task t) {
  {
    std::lock_guard lock(m_);
    if (closed_) return false;
    q_.push_back(std::move(t));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  return true;
}

void mailbox::drain() {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
  std::deque<task> batch;
  {
    std::lock_guard lock(m_);
    batch.swap(q_);
  }
  for (auto& t : batch) t();
}

void mailbox::close() {
  std::lock_guard lock(m_);
  closed_ = true;
  q_.clear();
}

std::shared_ptr<msg_t> thread_bridge::owned_here(msg_t* m) const {
  std::weak_ptr<mailbox> wb = box_;
  return std::shared_ptr<msg_t>(m, [wb](msg_t* dying) {
    if (!dying) return;
    if (auto b = wb.lock(); b && b->post([dying] { msg_destroy(dying); })) return;
    msg_destroy(dying);  // the sip thread has ended
  });
}

// The configured host, any loopback name when that is loopback, or a host
// nta puts in its own Via headers.
bool front_address::is_ours(const char* host_text, const char* port_text) const {
  if (!host_text) return false;
  const std::string host = host_text;
  const std::uint16_t port = port_of(port_text);
  if (port != eps.udp.port && port != eps.tcp.port) return false;
  if (host == listen_host || (is_loopback(host) && is_loopback(listen_host)) ||
      ("[" + listen_host + "]") == host)
    return true;
  for (const sip_via_t* v = nta_agent_via(agent); v; v = v->v_next)
    if (v->v_host && strcasecmp(v->v_host, host_text) == 0) return true;
  return false;
}

bool front_address::route_is_ours(const url_t* u) const {
  if (!u) return false;
  std::string p2p = param_value(u, "p2p");
  if (!p2p.empty()) return strcasecmp(p2p.c_str(), self_hex.c_str()) == 0;
  return is_ours(u->url_host, u->url_port);
}

std::string front_address::record_route() const {
  const bool v6 = listen_host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + listen_host + "]" : listen_host;
  return "<sip:" + host + ":" + std::to_string(eps.udp.port) + ";lr;p2p=" + self_hex + ">";
}

std::string front_address::contact(const std::string& user, const char* param,
                                   const std::string& value) const {
  // An unspecified listen address is reached on loopback.
  std::string host = listen_host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "sip:" + user + "@" + host + ":" + std::to_string(eps.udp.port) + ";" + param + "=" +
         value;
}

std::string to_string(const char* s) { return s ? std::string(s) : std::string(); }

std::string url_str(su_home_t* home, const url_t* u) {
  if (!u) return {};
  char* s = url_as_string(home, u);
  std::string out = to_string(s);
  su_free(home, s);
  return out;
}

std::string param_value(const url_t* u, const char* name) {
  if (!u || !u->url_params) return {};
  char buf[512];
  isize_t n = url_param(u->url_params, name, buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return std::string(buf);
}

std::uint16_t port_of(const char* text) {
  if (!text || !*text) return 5060;
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  return (*end != '\0' || v > 65535) ? 0 : static_cast<std::uint16_t>(v);
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  const std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                               ? host.substr(1, host.size() - 2)
                               : host;
  in_addr v4{};
  if (::inet_pton(AF_INET, bare.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string next_hop_needing_dns(const sip_t* sip, const std::string& route_url) {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  const url_t* hop = nullptr;
  if (!route_url.empty()) {
    hop = url_make(home, route_url.c_str());
  } else if (sip->sip_route && url_has_param(sip->sip_route->r_url, "lr")) {
    hop = sip->sip_route->r_url;
  } else if (sip->sip_request) {
    hop = sip->sip_request->rq_url;
  }
  std::string host = param_value(hop, "maddr");
  if (host.empty() && hop) host = to_string(hop->url_host);
  su_home_deinit(home);
  return host.empty() || host_is_ip_address(host.c_str()) ? std::string() : host;
}

void reply(nta_incoming_t* irq, const std::string& server, int status, const char* phrase,
           const std::string& reason) {
  if (!reason.empty()) {
    std::string r = "SIP;cause=" + std::to_string(status) + ";text=\"" + reason + "\"";
    nta_incoming_treply(irq, status, phrase, SIPTAG_REASON_STR(r.c_str()),
                        SIPTAG_SERVER_STR(server.c_str()), TAG_END());
  } else {
    nta_incoming_treply(irq, status, phrase, SIPTAG_SERVER_STR(server.c_str()), TAG_END());
  }
}

}  // namespace p2psip::sip
