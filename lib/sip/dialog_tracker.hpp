// The dialogs the proxy sees (for sip.dialogs and its events): created by a
// 1xx or 2xx with a To tag to an INVITE, confirmed by its 2xx, ended by a BYE
// or by the failure of an early one. Keyed by Call-ID and bounded. Sip
// thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sip/front_internal.hpp"

namespace p2psip::sip {

class dialog_tracker {
 public:
  dialog_tracker(su_home_t* home, const thread_bridge& bridge,
                 std::function<void(const dialog_info&, bool ended)> on_dialog);

  // A response to `request` (an INVITE) went upstream.
  void track(const sip_t* response, const sip_t* request, bool remote);
  // `only_early`: a failed fork of an answered call keeps its dialog.
  void end(const std::string& call_id, bool only_early);
  std::vector<dialog_info> snapshot() const;

 private:
  static constexpr std::size_t max_dialogs = 65536;
  void announce(const dialog_info& d, bool ended) const;

  su_home_t* home_;
  const thread_bridge& bridge_;
  std::function<void(const dialog_info&, bool ended)> on_dialog_;
  std::map<std::string, dialog_info> table_;  // by Call-ID
};

}  // namespace p2psip::sip
