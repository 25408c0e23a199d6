// Accounts whose identities come from the softphone's password, in a CA
// overlay (beyond RFC 6940; p2psipd(8) ACCOUNTS). The SIP front asks gate()
// before a REGISTER changes bindings:
//   * the node's own user, or an account held with a certificate not yet
//     due for renewal: the REGISTER goes on;
//   * no Authorization: the CA is asked for a challenge for the user
//     (realm, nonce, one WWW-Authenticate per algorithm: SHA-256, MD5); the
//     phone gets it as a 401 and answers with the algorithm it prefers. The CA holding no digest
//     credentials for the user, or not answering, gets no challenge: the
//     REGISTER goes on as without accounts (it is then published only if
//     some identity may sign for the user);
//   * an Authorization: a fresh key, and the CA is sent the phone's answer
//     with a CSR; it checks the answer (the box never sees the password),
//     spends the nonce, and returns a certificate for the user bound to this
//     node's Node-ID. The key and certificate are saved (DIR/USER/node.key
//     0600, node.crt, root.crt) and the REGISTER goes on; a refusal (wrong
//     password, an answer already used or too old) is a 403.
// Renewal: an account past two thirds of its lifetime is challenged again at
// the phone's next REGISTER, and keeps signing with its certificate until
// the new one comes (or for good, when the CA does not answer).
//
// Threading: the overlay (io_context) thread; the authority answers there.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "identity/certificate_verifier.hpp"
#include "identity/key_pair.hpp"
#include "identity/message_signer.hpp"
#include "identity/node_certificate.hpp"
#include "sip/sip_front.hpp"
#include "wire/ids.hpp"

namespace p2psip::usage {

// The CA's side of the exchange (the daemon's HTTPS client; a fake in
// tests). Each `done` runs on the overlay thread, exactly once.
class account_authority {
 public:
  virtual ~account_authority() = default;
  // The WWW-Authenticate values for `user`, one header each (SHA-256 before
  // MD5); none when the CA has no digest credentials for it; an error when
  // it cannot be asked.
  using challenge_result = identity::result<std::vector<std::string>>;
  virtual void challenge(const std::string& user, std::function<void(challenge_result)> done) = 0;
  // A certificate for `user` and `key` if `authorization` answers the
  // challenge; enrollment_refused when the CA says no.
  virtual void enroll(const std::string& user, const std::string& authorization,
                      std::shared_ptr<const identity::key_pair> key,
                      std::function<void(identity::result<identity::node_certificate>)> done) = 0;
};

class phone_accounts {
 public:
  // `dir` holds one directory per account; `self` is this node's Node-ID
  // (accounts bound to another are left out at load); `own_user` the node
  // certificate's user; `trust` the overlay's (its name and root-certs).
  phone_accounts(std::filesystem::path dir, std::shared_ptr<account_authority> authority,
                 wire::node_id self, std::optional<std::string> own_user,
                 identity::trust_policy trust);
  ~phone_accounts();
  phone_accounts(const phone_accounts&) = delete;
  phone_accounts& operator=(const phone_accounts&) = delete;

  // The accounts saved earlier, checked against the roots, Node-ID and
  // validity; others are logged and left out.
  void load(identity::time_point now);

  // The SIP front's account_gate (see above).
  void gate(const sip::account_request& request, std::function<void(sip::account_verdict)> done);

  // The signer of an account held, nullptr for none.
  identity::message_signer* signer(const std::string& user);

  // The accounts' certificates, by user (node.status).
  std::vector<identity::node_certificate> certificates() const;

  // Called with each account's signer when it is loaded, made or renewed
  // (the certificate's publication, RFC 6940 §8).
  std::function<void(identity::message_signer&)> on_certificate;

 private:
  void challenge(const std::string& user, std::function<void(sip::account_verdict)> done);
  void enroll(const std::string& user, const std::string& authorization,
              std::function<void(sip::account_verdict)> done);
  void keep(const std::string& user, identity::message_signer signer);

  std::filesystem::path dir_;
  std::shared_ptr<account_authority> authority_;
  wire::node_id self_;
  std::optional<std::string> own_user_;
  identity::trust_policy trust_;
  std::map<std::string, std::unique_ptr<identity::message_signer>> accounts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
