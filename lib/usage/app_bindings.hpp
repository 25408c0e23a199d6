// The AORs apps on the control socket own (sip.register, sip.unregister):
// each is a contact of the SIP front (sip_front::bind_app, a random token
// per app and AOR) bound like a phone's, so the AOR is published in the
// overlay, forking reaches it next to any phone, and its MESSAGEs come back
// as the event sip.message.received on the owning client's own stream.
//
// Lifetime. Without a lease the binding lives while the client's connection
// does: bound for `connection_expires`, refreshed at half of it, removed
// when the connection closes. With a lease (expires=N) it lives N seconds,
// connection or not; meanwhile MESSAGEs find no live client, are answered
// 480 and go to the recipient's inbox, and the next client of any uid
// allowed to claim that AOR takes the binding over, with the lease's time
// left unless it asks for a lease of its own.
//
// Leases outlive a restart. With a lease file (STATE_DIR/app-leases, mode
// 0600, replaced atomically whenever the leases change: {"format":
// "p2psipd-app-leases", "version": 1, "leases": [{"aor", "token",
// "until": UNIX-SECONDS}]}) the leases still running are loaded at
// construction with no client, like a lease whose client went away, and
// the first tick() binds each again with its token at the front's address
// now (the contacts the bindings file kept name the old process's front,
// whose port may have changed, and are not restored). A damaged file is
// ignored (logged): the leases it held end with their bindings.
//
// Threading: the daemon's io_context thread, like the control server.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/control_server.hpp"
#include "sip/sip_front.hpp"

namespace p2psip::usage {

using app_clock = std::chrono::steady_clock;

// The lease file's name in the state directory.
inline constexpr const char* app_leases_file_name = "app-leases";

struct app_claim {
  int status = 0;  // 200, else what a REGISTER would get (403, 423, ...)
  std::string phrase;
  std::string aor;
  std::string contact;
  std::chrono::seconds expires{0};  // the binding's, as granted
  std::chrono::seconds lease{0};    // 0: while the connection lasts
};

class app_bindings {
 public:
  // What the front offers: sip_front::bind_app, or a fake in tests.
  using binder = std::function<void(const std::string& aor, const std::string& token,
                                    std::chrono::seconds expires,
                                    std::function<void(sip::app_binding_answer)> done)>;
  explicit app_bindings(binder bind,
                        std::chrono::seconds connection_expires = std::chrono::seconds{3600},
                        std::filesystem::path lease_file = {});
  ~app_bindings() { *alive_ = false; }
  app_bindings(const app_bindings&) = delete;
  app_bindings& operator=(const app_bindings&) = delete;

  // sip.register: `aor` normalized by the caller.
  void claim(const std::string& aor, const control::client_handle& client,
             std::optional<std::chrono::seconds> lease, std::function<void(app_claim)> done);
  // sip.unregister: false when this client owns no such AOR (nor a lease
  // whose client is gone).
  bool release(const std::string& aor, const control::client_handle& client);
  // A MESSAGE for an app's contact: whether it is queued for a live client.
  bool deliver(const sip::app_message& message) const;
  // Refreshes what is due and forgets leases that ran out.
  void tick(app_clock::time_point now);
  std::size_t size() const { return apps_.size(); }

 private:
  struct app {
    std::string aor;
    control::client_handle client;
    std::optional<app_clock::time_point> lease_end;
    app_clock::time_point bound_until{};
  };
  void client_closed(const std::string& token, const control::client_handle& client);
  void load_leases();
  // Writes the lease file when the leases differ from those last written.
  void save_leases();

  binder bind_;
  std::chrono::seconds connection_expires_;
  std::map<std::string, app> apps_;  // by token
  std::filesystem::path lease_file_;
  std::string saved_leases_;  // the file's text as last written or read
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// 16 random bytes in hex.
std::string random_app_token();

}  // namespace p2psip::usage
