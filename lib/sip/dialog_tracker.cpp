#include "sip/dialog_tracker.hpp"

#include <algorithm>

namespace p2psip::sip {

dialog_tracker::dialog_tracker(su_home_t* home, const front_address& where,
                               const thread_bridge& bridge,
                               std::function<void(const dialog_info&, bool ended)> on_dialog)
    : home_(home), where_(where), bridge_(bridge), on_dialog_(std::move(on_dialog)) {}

void dialog_tracker::track(const sip_t* response, const sip_t* request, bool remote) {
  if (!response->sip_to || !response->sip_to->a_tag || !request) return;
  const int status = response->sip_status->st_status;
  const std::string cid = to_string(response->sip_call_id ? response->sip_call_id->i_id : nullptr);
  if (!table_.count(cid) && table_.size() >= max_dialogs) {
    // Bounded: forget the oldest (a BYE that never passed through us).
    auto oldest = std::min_element(table_.begin(), table_.end(), [](const auto& a, const auto& b) {
      return a.second.info.started < b.second.info.started;
    });
    end(oldest->first, false);
  }
  auto [it, fresh] = table_.try_emplace(cid);
  dialog_info& d = it->second.info;
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
  if (d.confirmed && !was_confirmed) plan_teardown(it->second, response, request);
  if (fresh || d.confirmed != was_confirmed) announce(d, false);
}

void dialog_tracker::note_request(const sip_t* request) {
  auto it = table_.find(to_string(request->sip_call_id->i_id));
  if (it == table_.end()) return;
  entry& e = it->second;
  if (request->sip_request->rq_method == sip_method_bye) e.bye_under_way = true;
  if (e.teardown && to_string(request->sip_from->a_tag) == e.far_tag)
    e.teardown->cseq = std::max(e.teardown->cseq, request->sip_cseq->cs_seq + 1);
}

void dialog_tracker::end(const std::string& call_id, bool only_early) {
  auto it = table_.find(call_id);
  if (it == table_.end()) return;
  if (only_early && it->second.info.confirmed) return;
  dialog_info copy = it->second.info;
  table_.erase(it);
  announce(copy, true);
}

std::vector<dialog_teardown> dialog_tracker::end_through(const wire::node_id& far_node) {
  std::vector<dialog_teardown> out;
  for (auto it = table_.begin(); it != table_.end();) {
    const entry& e = it->second;
    if (!e.teardown || e.teardown->far_node != far_node || e.bye_under_way) {
      ++it;
      continue;
    }
    out.push_back(*e.teardown);
    announce(e.info, true);
    it = table_.erase(it);
  }
  return out;
}

std::optional<dialog_teardown> dialog_tracker::end_call(const std::string& call_id) {
  auto it = table_.find(call_id);
  if (it == table_.end() || !it->second.teardown || it->second.bye_under_way) return std::nullopt;
  dialog_teardown out = *it->second.teardown;
  announce(it->second.info, true);
  table_.erase(it);
  return out;
}

std::vector<dialog_info> dialog_tracker::snapshot() const {
  std::vector<dialog_info> out;
  for (const auto& [id, e] : table_) out.push_back(e.info);
  return out;
}

void dialog_tracker::announce(const dialog_info& d, bool ended) const {
  if (!on_dialog_) return;
  auto cb = on_dialog_;
  bridge_.to_overlay([cb, d, ended] { cb(d, ended); });
}

// A Record-Route entry of another daemon names it with p2p=.
std::optional<wire::node_id> dialog_tracker::far_node_of(const sip_record_route_t* rr) const {
  if (!rr || where_.route_is_ours(rr->r_url)) return std::nullopt;
  return wire::node_id::from_hex(param_value(rr->r_url, "p2p"));
}

// Record-Route lists the proxies from the callee (top) to the caller; the
// entries next to ours tell whether a side is behind another daemon. Only a
// dialog with exactly one such side has a local party to tell.
void dialog_tracker::plan_teardown(entry& e, const sip_t* response, const sip_t* request) const {
  std::vector<const sip_record_route_t*> rr;
  for (const sip_record_route_t* r = response->sip_record_route; r; r = r->r_next) rr.push_back(r);
  auto ours = std::find_if(rr.begin(), rr.end(), [&](const sip_record_route_t* r) {
    return where_.route_is_ours(r->r_url);
  });
  if (ours == rr.end()) return;
  const auto callee_side = ours == rr.begin() ? std::nullopt : far_node_of(*(ours - 1));
  const auto caller_side = ours + 1 == rr.end() ? std::nullopt : far_node_of(*(ours + 1));
  if (callee_side.has_value() == caller_side.has_value()) return;
  auto entry_text = [&](const sip_record_route_t* r) {
    return "<" + url_str(home_, r->r_url) + ">";
  };
  auto with_tag = [](const std::string& uri, const char* tag) {
    return "<" + uri + ">;tag=" + to_string(tag);
  };
  const dialog_info& d = e.info;
  dialog_teardown t;
  t.call_id = d.call_id;
  if (callee_side) {  // the caller is ours: the BYE goes back along the request's path
    if (!request->sip_contact) return;
    t.far_node = *callee_side;
    t.target = url_str(home_, request->sip_contact->m_url);
    for (auto r = ours + 1; r != rr.end(); ++r) t.route.push_back(entry_text(*r));
    t.from = with_tag(d.to, d.to_tag.c_str());
    t.to = with_tag(d.from, d.from_tag.c_str());
    t.cseq = 1;
    e.far_tag = d.to_tag;
  } else {  // the callee is ours
    if (!response->sip_contact) return;
    t.far_node = *caller_side;
    t.target = url_str(home_, response->sip_contact->m_url);
    for (auto r = ours; r != rr.begin();) t.route.push_back(entry_text(*--r));
    t.from = with_tag(d.from, d.from_tag.c_str());
    t.to = with_tag(d.to, d.to_tag.c_str());
    t.cseq = request->sip_cseq->cs_seq + 1;
    e.far_tag = d.from_tag;
  }
  e.teardown = std::move(t);
}

}  // namespace p2psip::sip
