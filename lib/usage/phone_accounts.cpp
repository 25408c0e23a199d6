#include "usage/phone_accounts.hpp"

#include <system_error>

#include "identity/credential_store.hpp"
#include "runtime/logger.hpp"
#include "usage/sip_directory.hpp"

namespace p2psip::usage {

using runtime::log_level;
using runtime::logs;
namespace fs = std::filesystem;
using verdict = sip::account_verdict;

phone_accounts::phone_accounts(fs::path dir, std::shared_ptr<account_authority> authority,
                               wire::node_id self, std::optional<std::string> own_user,
                               identity::trust_policy trust)
    : dir_(std::move(dir)),
      authority_(std::move(authority)),
      self_(self),
      own_user_(std::move(own_user)),
      trust_(std::move(trust)) {}

phone_accounts::~phone_accounts() { *alive_ = false; }

void phone_accounts::load(identity::time_point now) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  const identity::certificate_verifier verifier(trust_);
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto user = entry.path().filename().string();
    const auto skip = [&](const std::string& why) {
      logs.write(log_level::warning, "accounts: " + user + " left out: " + why);
    };
    auto saved = identity::credential_store(entry.path()).load();
    if (!saved || !*saved) {
      skip(saved ? "nothing saved" : saved.error().describe());
      continue;
    }
    auto& credentials = **saved;
    const auto verified = verifier.verify(credentials.certificate, {}, now);
    if (!verified) {
      skip(verified.error().describe());
      continue;
    }
    if (verified->user_name != user || verified->node_ids != std::vector{self_}) {
      skip("the certificate is for another user or Node-ID");
      continue;
    }
    auto signer = identity::message_signer::create(std::move(credentials.key),
                                                   std::move(credentials.certificate));
    if (!signer) {
      skip(signer.error().describe());
      continue;
    }
    keep(user, std::move(*signer));
  }
}

void phone_accounts::keep(const std::string& user, identity::message_signer signer) {
  auto& held = accounts_[user];
  held = std::make_unique<identity::message_signer>(std::move(signer));
  if (on_certificate) on_certificate(*held);
}

identity::message_signer* phone_accounts::signer(const std::string& user) {
  const auto it = accounts_.find(user);
  return it == accounts_.end() ? nullptr : it->second.get();
}

void phone_accounts::gate(const sip::account_request& request, std::function<void(verdict)> done) {
  const auto user = aor_resource_name(request.aor);
  if (user.empty() || user == own_user_) return done({});
  if (const auto* held = signer(user);
      held && !identity::due_for_renewal(held->certificate(), std::chrono::system_clock::now())) {
    return done({});
  }
  if (request.authorization.empty()) return challenge(user, std::move(done));
  enroll(user, request.authorization, std::move(done));
}

void phone_accounts::challenge(const std::string& user, std::function<void(verdict)> done) {
  authority_->challenge(
      user, [user, done = std::move(done)](account_authority::challenge_result r) {
        if (!r) {
          logs.write(log_level::warning,
                     "accounts: no challenge for " + user +
                         " (the REGISTER goes on without an account): " + r.error().describe());
          return done({});
        }
        if (r->empty()) return done({});  // the CA holds no password for this user
        done({verdict::action::challenge, {}, std::move(*r)});
      });
}

void phone_accounts::enroll(const std::string& user, const std::string& authorization,
                            std::function<void(verdict)> done) {
  auto key = identity::key_pair::generate();
  if (!key) {
    logs.write(log_level::warning, "accounts: key for " + user + ": " + key.error().describe());
    return done({});
  }
  // The authority only reads it; once it has answered, the key moves on.
  auto shared_key = std::make_shared<identity::key_pair>(std::move(*key));
  authority_->enroll(
      user, authorization, shared_key,
      [this, alive = alive_, user, shared_key,
       done = std::move(done)](identity::result<identity::node_certificate> cert) {
        if (!*alive) return done({});
        if (!cert) {
          if (cert.error().code == identity::identity_errc::enrollment_refused) {
            logs.write(log_level::notice,
                       "accounts: the CA refused " + user + ": " + cert.error().detail);
            return done({verdict::action::refuse, "Forbidden", {}});
          }
          logs.write(log_level::warning,
                     "accounts: enrolling " + user + ": " + cert.error().describe());
          return done({});
        }
        identity::node_credentials credentials{std::move(*shared_key), std::move(*cert),
                                               trust_.root_certs};
        if (auto saved = identity::credential_store(dir_ / user).save(credentials); !saved) {
          logs.write(log_level::warning,
                     "accounts: cannot save " + user + ": " + saved.error().describe());
        }
        auto signer = identity::message_signer::create(std::move(credentials.key),
                                                       std::move(credentials.certificate));
        if (!signer) {
          logs.write(log_level::warning,
                     "accounts: signer for " + user + ": " + signer.error().describe());
          return done({});
        }
        logs.write(log_level::notice, "accounts: " + user + " enrolled for this node");
        keep(user, std::move(*signer));
        done({});
      });
}

std::vector<identity::node_certificate> phone_accounts::certificates() const {
  std::vector<identity::node_certificate> out;
  for (const auto& [user, signer] : accounts_) out.push_back(signer->certificate());
  return out;
}

}  // namespace p2psip::usage
