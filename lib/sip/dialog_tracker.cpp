#include "sip/dialog_tracker.hpp"

#include <algorithm>

namespace p2psip::sip {

dialog_tracker::dialog_tracker(su_home_t* home, const thread_bridge& bridge,
                               std::function<void(const dialog_info&, bool ended)> on_dialog)
    : home_(home), bridge_(bridge), on_dialog_(std::move(on_dialog)) {}

void dialog_tracker::track(const sip_t* response, const sip_t* request, bool remote) {
  if (!response->sip_to || !response->sip_to->a_tag || !request) return;
  const int status = response->sip_status->st_status;
  const std::string cid = to_string(response->sip_call_id ? response->sip_call_id->i_id : nullptr);
  if (!table_.count(cid) && table_.size() >= max_dialogs) {
    // Bounded: forget the oldest (a BYE that never passed through us).
    auto oldest = std::min_element(table_.begin(), table_.end(), [](const auto& a, const auto& b) {
      return a.second.started < b.second.started;
    });
    end(oldest->first, false);
  }
  auto [it, fresh] = table_.try_emplace(cid);
  dialog_info& d = it->second;
  const bool was_confirmed = d.confirmed;
  if (fresh) {
    d.call_id = cid;
    d.from = url_str(home_, request->sip_from->a_url);
    d.to = url_str(home_, request->sip_to->a_url);
    d.from_tag = to_string(request->sip_from->a_tag);
    d.started = std::chrono::system_clock::now();
    d.remote = remote;
  }
  d.to_tag = to_string(response->sip_to->a_tag);
  if (status >= 200) d.confirmed = true;
  if (fresh || d.confirmed != was_confirmed) announce(d, false);
}

void dialog_tracker::end(const std::string& call_id, bool only_early) {
  auto it = table_.find(call_id);
  if (it == table_.end()) return;
  if (only_early && it->second.confirmed) return;
  dialog_info copy = it->second;
  table_.erase(it);
  announce(copy, true);
}

std::vector<dialog_info> dialog_tracker::snapshot() const {
  std::vector<dialog_info> out;
  for (const auto& [id, d] : table_) out.push_back(d);
  return out;
}

void dialog_tracker::announce(const dialog_info& d, bool ended) const {
  if (!on_dialog_) return;
  auto cb = on_dialog_;
  bridge_.to_overlay([cb, d, ended] { cb(d, ended); });
}

}  // namespace p2psip::sip
