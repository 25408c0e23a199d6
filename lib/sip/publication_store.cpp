#include "sip/publication_store.hpp"

#include <algorithm>

namespace p2psip::sip {

namespace {

const publication* newest(const std::vector<publication>& list, sip_clock::time_point now) {
  const publication* best = nullptr;
  for (const auto& p : list)
    if (p.expires_at > now && (!best || p.order > best->order)) best = &p;
  return best;
}

}  // namespace

publish_outcome publication_store::publish(const publish_request& req, sip_clock::time_point now) {
  publish_outcome out;
  auto fail = [&](int status, const char* phrase) {
    out.status = status;
    out.phrase = phrase;
    return out;
  };
  auto& list = by_aor_[req.aor];
  const publication* before_ptr = newest(list, now);
  const std::optional<publication> before =
      before_ptr ? std::optional<publication>(*before_ptr) : std::nullopt;
  auto drop_if_empty = [&] {
    if (list.empty()) by_aor_.erase(req.aor);
  };

  auto it = list.end();
  if (!req.if_match.empty()) {
    it = std::find_if(list.begin(), list.end(), [&](const publication& p) {
      return p.etag == req.if_match && p.expires_at > now;
    });
    if (it == list.end()) {
      drop_if_empty();
      return fail(412, "Conditional Request Failed");
    }
  } else if (!req.body) {
    drop_if_empty();
    return fail(400, "Initial PUBLISH without a body");
  }

  std::chrono::seconds expires = req.expires.value_or(limits_.default_expires);
  if (expires.count() > 0 && expires < limits_.min_expires) {
    drop_if_empty();
    out.min_expires = limits_.min_expires;
    return fail(423, "Interval Too Brief");
  }
  expires = std::min(expires, limits_.max_expires);

  std::optional<presence_status> parsed;
  if (req.body) {
    auto p = parse_pidf(*req.body);
    if (!p.status) {
      drop_if_empty();
      out.phrase = "Bad PIDF document: " + p.error;
      out.status = 400;
      return out;
    }
    parsed = std::move(p.status);
  }

  if (expires.count() == 0) {
    if (it == list.end()) {  // an initial PUBLISH that expires at once stores nothing
      drop_if_empty();
      out.status = 200;
      out.phrase = "OK";
      out.etag = fresh_etag_();
      return out;
    }
    out.etag = it->etag;
    list.erase(it);
  } else {
    if (it == list.end()) {
      if (list.size() >= limits_.max_per_aor) {
        drop_if_empty();
        return fail(403, "Too many publications for this AOR");
      }
      if (list.empty() && by_aor_.size() > limits_.max_total) {
        drop_if_empty();
        return fail(503, "Too many publications at this daemon");
      }
      list.push_back({});
      it = std::prev(list.end());
    }
    it->etag = fresh_etag_();  // RFC 3903 §6 step 8: a new one each time
    it->expires_at = now + expires;
    if (parsed) {
      it->document = *req.body;
      it->status = *parsed;
      it->order = ++order_;
    }
    out.etag = it->etag;
    out.expires = expires;
  }
  const publication* after = newest(list, now);
  out.changed =
      (before.has_value() != (after != nullptr)) || (after && before->document != after->document);
  drop_if_empty();
  out.status = 200;
  out.phrase = "OK";
  return out;
}

const publication* publication_store::current(const std::string& aor,
                                              sip_clock::time_point now) const {
  auto it = by_aor_.find(aor);
  return it == by_aor_.end() ? nullptr : newest(it->second, now);
}

std::vector<std::string> publication_store::expire(sip_clock::time_point now) {
  std::vector<std::string> changed;
  for (auto it = by_aor_.begin(); it != by_aor_.end();) {
    auto& list = it->second;
    const publication* before = newest(list, sip_clock::time_point::min());
    const std::string before_doc = before ? before->document : std::string();
    const auto dropped =
        std::erase_if(list, [now](const publication& p) { return p.expires_at <= now; });
    const publication* after = newest(list, now);
    if (dropped > 0 && (!after || after->document != before_doc)) changed.push_back(it->first);
    it = list.empty() ? by_aor_.erase(it) : std::next(it);
  }
  return changed;
}

std::vector<saved_publication> publication_store::saved(sip_clock::time_point now) const {
  std::vector<std::pair<std::uint64_t, saved_publication>> live;
  for (const auto& [aor, list] : by_aor_) {
    for (const auto& p : list) {
      if (p.expires_at <= now) continue;
      live.emplace_back(
          p.order, saved_publication{aor, p.etag, p.document,
                                     std::chrono::ceil<std::chrono::seconds>(p.expires_at - now)});
    }
  }
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<saved_publication> out;
  for (auto& [order, p] : live) out.push_back(std::move(p));
  return out;
}

std::size_t publication_store::restore(const std::vector<saved_publication>& saved,
                                       sip_clock::time_point now) {
  std::size_t taken = 0;
  for (const auto& s : saved) {
    if (s.remaining.count() <= 0 || s.etag.empty()) continue;
    auto parsed = parse_pidf(s.document);
    if (!parsed.status) continue;
    auto& list = by_aor_[s.aor];
    if (list.size() >= limits_.max_per_aor ||
        (list.empty() && by_aor_.size() > limits_.max_total)) {
      if (list.empty()) by_aor_.erase(s.aor);
      continue;
    }
    list.push_back({s.etag, s.document, *parsed.status,
                    now + std::min(s.remaining, limits_.max_expires), ++order_});
    ++taken;
  }
  return taken;
}

std::size_t publication_store::size() const {
  std::size_t n = 0;
  for (const auto& [aor, list] : by_aor_) n += list.size();
  return n;
}

}  // namespace p2psip::sip
