// The localhost registrar (RFC 3261 §10, with RFC 5626 instances and RFC
// 5627 GRUUs): answers REGISTER from its binding table, expires bindings,
// and publishes every change of an AOR's binding set to the overlay
// directory (through the overlay thread). Sip thread only, except
// bindings() once the sip thread has ended.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sip/bindings.hpp"
#include "sip/digest_auth.hpp"
#include "sip/front_internal.hpp"
#include "sip/overlay_directory.hpp"

namespace p2psip::sip {

class registrar {
 public:
  registrar(su_home_t* home, const sip_front_config& cfg, overlay_directory& directory,
            const thread_bridge& bridge, digest_auth& digest,
            std::function<void(const registration_info&)> on_registration,
            std::function<void(const std::string& aor)> on_registered = {});

  // Answers the REGISTER itself and returns true (the caller destroys the
  // transaction handle), or returns false while cfg.account_gate decides:
  // the registrar then answers and destroys the handle itself.
  bool handle(nta_incoming_t* irq, const sip_t* sip);
  // A binding the daemon makes itself (an app on the control socket): the
  // same table, overlay publication and event as a REGISTER's.
  register_outcome apply_local(const register_request& req);
  // Drops expired bindings and publishes the AORs that changed.
  void expire_due();
  // Bindings saved before a restart; each AOR restored is published.
  void restore(const std::vector<registration_info>& saved);

  const binding_table& bindings() const { return bindings_; }
  // Also told, on the sip thread, of each AOR whose binding set changed.
  void watch_changes(std::function<void(const std::string& aor)> changed) {
    changed_here_ = std::move(changed);
  }

 private:
  // The REGISTER's bindings change and its 200, once it may go on.
  void apply(nta_incoming_t* irq, const sip_t* sip, const std::string& aor);
  // Answers the REGISTER as `verdict` says, later, then destroys its handle.
  void decided(nta_incoming_t* irq, const std::shared_ptr<msg_t>& request, const std::string& aor,
               const account_verdict& verdict);
  void publish(const std::string& aor);
  void announce(registration_info info) const;
  void registered(const std::string& aor) const;

  su_home_t* home_;
  const sip_front_config& cfg_;
  overlay_directory& directory_;
  const thread_bridge& bridge_;
  digest_auth& digest_;
  std::function<void(const registration_info&)> on_registration_;
  std::function<void(const std::string& aor)> on_registered_;
  std::function<void(const std::string& aor)> changed_here_;
  binding_table bindings_;
};

}  // namespace p2psip::sip
