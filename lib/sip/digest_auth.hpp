// Digest authentication of the SIP front (RFC 2617 MD5, qop=auth) through
// sofia's auth_module: whether it is on (auth_mode and the listen address)
// and the check of one request. Sip thread only.
#pragma once

#include <string>

#include "sip/front_internal.hpp"

#include <sofia-sip/auth_module.h>

namespace p2psip::sip {

class digest_auth {
 public:
  digest_auth(su_home_t* home, const sip_front_config& cfg);
  ~digest_auth();
  digest_auth(const digest_auth&) = delete;
  digest_auth& operator=(const digest_auth&) = delete;

  // Creates the auth module when digest is on; false with `error` set (or
  // empty when sofia refused) when it cannot.
  bool start(su_root_t* root, std::string& error);
  void stop();

  // REGISTER is challenged with 401 and must authenticate as the AOR's
  // user; other out-of-dialog requests from non-loopback sources get 407.
  // Answers the request itself when it returns false.
  bool check(nta_incoming_t* irq, const sip_t* sip, bool registrar);

 private:
  su_home_t* home_;
  const sip_front_config& cfg_;
  auth_mod_t* auth_ = nullptr;
};

}  // namespace p2psip::sip
