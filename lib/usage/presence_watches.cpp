#include "usage/presence_watches.hpp"

namespace p2psip::usage {

void presence_watches::add(const sip::presence_view& known, const control::client_handle& client,
                           std::function<void(std::uint64_t, refusal)> done) {
  if (watches_.size() + pending_ >= max_presence_watches) return done(0, refusal::too_many_watches);
  ++pending_;
  follow_(known,
          [this, alive = alive_, aor = known.aor, client, done = std::move(done)](bool followed) {
            if (!*alive) return done(0, refusal::too_many_aors);
            --pending_;
            if (!followed) return done(0, refusal::too_many_aors);
            if (!client.connected()) {
              unfollow_(aor);  // gone while the front answered
              return done(0, refusal::none);
            }
            const std::uint64_t id = ++last_id_;
            watches_.emplace(id, watch{aor, client});
            client.on_close([this, alive, id] {
              if (!*alive) return;
              if (const auto it = watches_.find(id); it != watches_.end()) end(it);
            });
            done(id, refusal::none);
          });
}

bool presence_watches::remove(std::uint64_t id, const control::client_handle& client) {
  const auto it = watches_.find(id);
  if (it == watches_.end() || !it->second.client.same_as(client)) return false;
  end(it);
  return true;
}

void presence_watches::end(std::map<std::uint64_t, watch>::iterator it) {
  unfollow_(it->second.aor);
  watches_.erase(it);
}

void presence_watches::changed(const sip::presence_view& v) const {
  for (const auto& [id, w] : watches_) {
    if (w.aor != v.aor) continue;
    w.client.notify("sip.presence", {{"watch", id},
                                     {"aor", v.aor},
                                     {"status", v.open ? "open" : "closed"},
                                     {"note", v.note},
                                     {"activity", v.activity},
                                     {"source", sip::to_string(v.source)}});
  }
}

}  // namespace p2psip::usage
