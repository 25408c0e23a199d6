// The dialogs the proxy sees (for sip.dialogs and its events): created by a
// 1xx or 2xx with a To tag to an INVITE, confirmed by its 2xx, ended by a BYE
// or by the failure of an early one, or when the daemon on its far side is
// gone. Keyed by Call-ID and bounded. Sip thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sip/front_internal.hpp"
#include "wire/ids.hpp"

namespace p2psip::sip {

// What this daemon needs to end a confirmed dialog toward its local party
// in place of the party behind `far_node`: the BYE that party's UA would
// send (RFC 3261 §12.2.1.1, §15.1.1).
struct dialog_teardown {
  wire::node_id far_node{};
  std::string call_id;
  std::string target;              // the local party's Contact URI
  std::vector<std::string> route;  // Route entries toward it, nearest first
  std::string from;                // the far party, with its tag
  std::string to;                  // the local party, with its tag
  std::uint32_t cseq = 0;          // for the far party's next request
};

class dialog_tracker {
 public:
  dialog_tracker(su_home_t* home, const front_address& where, const thread_bridge& bridge,
                 std::function<void(const dialog_info&, bool ended)> on_dialog);

  // A response to `request` (an INVITE) went upstream.
  void track(const sip_t* response, const sip_t* request, bool remote);
  // An in-dialog request is being proxied (its CSeq, or a BYE under way).
  void note_request(const sip_t* request);
  // `only_early`: a failed fork of an answered call keeps its dialog.
  void end(const std::string& call_id, bool only_early);
  // Ends the confirmed dialogs between a local party and `far_node`, except
  // those a BYE already ends, and returns how to tell each local party.
  std::vector<dialog_teardown> end_through(const wire::node_id& far_node);
  // Ends the confirmed dialog `call_id` when it has a local party to tell
  // (not when a BYE is already ending it), and returns how to tell it.
  std::optional<dialog_teardown> end_call(const std::string& call_id);
  std::vector<dialog_info> snapshot() const;

 private:
  struct entry {
    dialog_info info;
    std::optional<dialog_teardown> teardown;  // confirmed, one side local
    std::string far_tag;
    bool bye_under_way = false;
  };
  static constexpr std::size_t max_dialogs = 65536;
  void announce(const dialog_info& d, bool ended) const;
  std::optional<wire::node_id> far_node_of(const sip_record_route_t* rr) const;
  void plan_teardown(entry& e, const sip_t* response, const sip_t* request) const;

  su_home_t* home_;
  const front_address& where_;
  const thread_bridge& bridge_;
  std::function<void(const dialog_info&, bool ended)> on_dialog_;
  std::map<std::string, entry> table_;  // by Call-ID
};

}  // namespace p2psip::sip
