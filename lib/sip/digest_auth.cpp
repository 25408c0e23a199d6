#include "sip/digest_auth.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace p2psip::sip {

digest_auth::digest_auth(su_home_t* home, const sip_front_config& cfg) : home_(home), cfg_(cfg) {}

digest_auth::~digest_auth() { stop(); }

bool digest_auth::start(su_root_t* root, std::string& error) {
  const bool need_auth = cfg_.auth == auth_mode::always ||
                         (cfg_.auth == auth_mode::automatic && !is_loopback(cfg_.listen_host));
  if (!need_auth) return true;
  if (cfg_.auth_db.empty()) {
    error = "digest authentication is on for " + cfg_.listen_host +
            " but no password file (auth_db) is given";
    return false;
  }
  auth_ = auth_mod_create(root, AUTHTAG_METHOD("Digest"), AUTHTAG_REALM(cfg_.auth_realm.c_str()),
                          AUTHTAG_DB(cfg_.auth_db.c_str()), AUTHTAG_QOP("auth"),
                          AUTHTAG_ALGORITHM("MD5"), TAG_END());
  return auth_ != nullptr;
}

void digest_auth::stop() {
  if (auth_) auth_mod_destroy(auth_), auth_ = nullptr;
}

bool digest_auth::check(nta_incoming_t* irq, const sip_t* sip, bool registrar) {
  if (!auth_) return true;
  static const auth_challenger_t www[1] = {
      {SIP_401_UNAUTHORIZED, sip_www_authenticate_class, sip_authentication_info_class}};
  static const auth_challenger_t proxy[1] = {{SIP_407_PROXY_AUTH_REQUIRED,
                                              sip_proxy_authenticate_class,
                                              sip_proxy_authentication_info_class}};
  msg_t* m = nta_incoming_getrequest(irq);
  su_addrinfo_t* source = m ? msg_addrinfo(m) : nullptr;
  bool local_source = false;
  if (source && source->ai_addr) {
    if (source->ai_family == AF_INET) {
      auto* a = reinterpret_cast<const sockaddr_in*>(source->ai_addr);
      local_source = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (source->ai_family == AF_INET6) {
      auto* a = reinterpret_cast<const sockaddr_in6*>(source->ai_addr);
      local_source = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
  }
  if (!registrar && local_source) {
    // Local softphones and the daemon's own node_channel splices.
    if (m) msg_destroy(m);
    return true;
  }
  auth_status_t* as = auth_status_new(home_);
  if (!as) {
    if (m) msg_destroy(m);
    reply(irq, cfg_.user_agent, SIP_500_INTERNAL_SERVER_ERROR);
    return false;
  }
  as->as_method = sip->sip_request->rq_method_name;
  as->as_source = source;
  as->as_user_uri = sip->sip_from->a_url;
  as->as_display = sip->sip_from->a_display;
  if (sip->sip_payload) {
    as->as_body = sip->sip_payload->pl_data;
    as->as_bodylen = static_cast<isize_t>(sip->sip_payload->pl_len);
  }
  auth_mod_check_client(auth_, as,
                        registrar ? sip->sip_authorization : sip->sip_proxy_authorization,
                        registrar ? www : proxy);
  bool ok = as->as_status == 0;
  if (!ok) {
    nta_incoming_treply(irq, as->as_status, as->as_phrase,
                        SIPTAG_HEADER(reinterpret_cast<sip_header_t const*>(as->as_info)),
                        SIPTAG_HEADER(reinterpret_cast<sip_header_t const*>(as->as_response)),
                        TAG_END());
  } else if (registrar) {
    // The credentials must belong to the AOR being registered.
    const char* user = sip->sip_to->a_url->url_user;
    if (!as->as_user || !user || std::strcmp(as->as_user, user) != 0) {
      nta_incoming_treply(irq, 403, "Credentials Do Not Match AOR", TAG_END());
      ok = false;
    }
  }
  if (m) msg_destroy(m);
  auth_status_unref(as);
  return ok;
}

}  // namespace p2psip::sip
