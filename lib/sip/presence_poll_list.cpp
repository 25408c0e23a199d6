#include "sip/presence_poll_list.hpp"

namespace p2psip::sip {

bool presence_differs(const presence_view& a, const presence_view& b) {
  return a.open != b.open || a.note != b.note || a.activity != b.activity;
}

bool presence_poll_list::follow(const std::string& aor, sip_clock::time_point now,
                                const std::optional<presence_view>& known) {
  auto it = followed_.find(aor);
  if (it == followed_.end()) {
    if (followed_.size() >= max_followed_aors) return false;
    it = followed_.emplace(aor, entry{}).first;
    it->second.seen = known.value_or(presence_view{});
    it->second.seen.aor = aor;
    it->second.next_poll = now;
  }
  ++it->second.followers;
  return true;
}

void presence_poll_list::unfollow(const std::string& aor) {
  const auto it = followed_.find(aor);
  if (it != followed_.end() && --it->second.followers == 0) followed_.erase(it);
}

std::vector<std::string> presence_poll_list::due(sip_clock::time_point now) {
  std::vector<std::string> out;
  for (auto& [aor, e] : followed_) {
    if (e.polling || e.next_poll > now) continue;
    e.polling = true;
    out.push_back(aor);
  }
  return out;
}

bool presence_poll_list::observed(const std::string& aor, const std::optional<presence_view>& seen,
                                  sip_clock::time_point now) {
  const auto it = followed_.find(aor);
  if (it == followed_.end()) return false;  // unfollowed meanwhile
  entry& e = it->second;
  e.polling = false;
  e.next_poll = now + presence_poll_interval;
  if (!seen || !presence_differs(e.seen, *seen)) return false;
  e.seen = *seen;
  e.seen.aor = aor;
  return true;
}

const presence_view* presence_poll_list::last(const std::string& aor) const {
  const auto it = followed_.find(aor);
  return it == followed_.end() ? nullptr : &it->second.seen;
}

}  // namespace p2psip::sip
