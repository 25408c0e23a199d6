#include "usage/presence_state_file.hpp"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace p2psip::usage {

namespace json = boost::json;

namespace {

constexpr const char* format_name = "p2psipd-presence";

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The string fields `names` of `item`, in order; nullopt if one is missing.
template <std::size_t N>
std::optional<std::array<std::string, N>> strings(const json::object& item,
                                                  const std::array<const char*, N>& names) {
  std::array<std::string, N> out;
  for (std::size_t i = 0; i < N; ++i) {
    const auto* field = item.if_contains(names[i]);
    if (field == nullptr || !field->is_string()) return std::nullopt;
    out[i] = std::string(field->as_string());
  }
  return out;
}

// Seconds left until the item's "until"; nullopt when it has none.
std::optional<std::chrono::seconds> remaining(const json::object& item,
                                              std::chrono::system_clock::time_point now) {
  const auto* until = item.if_contains("until");
  if (until == nullptr || !until->is_int64()) return std::nullopt;
  return std::chrono::seconds(until->as_int64() - unix_seconds(now));
}

}  // namespace

std::string presence_state_text(const sip::saved_presence& state,
                                std::chrono::system_clock::time_point now) {
  json::array publications;
  for (const auto& p : state.publications) {
    publications.push_back(json::object{{"aor", p.aor},
                                        {"etag", p.etag},
                                        {"document", p.document},
                                        {"until", unix_seconds(now + p.remaining)}});
  }
  json::array subscriptions;
  for (const auto& s : state.subscriptions) {
    subscriptions.push_back(json::object{{"aor", s.aor},
                                         {"call_id", s.dialog.call_id},
                                         {"local", s.dialog.local},
                                         {"remote", s.dialog.remote},
                                         {"route", s.dialog.route},
                                         {"target", s.dialog.target},
                                         {"cseq", s.cseq},
                                         {"followed", s.followed},
                                         {"until", unix_seconds(now + s.remaining)}});
  }
  return json::serialize(json::object{{"format", format_name},
                                      {"version", 1},
                                      {"publications", std::move(publications)},
                                      {"subscriptions", std::move(subscriptions)}});
}

std::optional<sip::saved_presence> parse_presence_state(std::string_view text,
                                                        std::chrono::system_clock::time_point now) {
  boost::system::error_code ec;
  const auto parsed = json::parse(text, ec);
  const auto* top = parsed.if_object();
  const auto* format = top ? top->if_contains("format") : nullptr;
  const auto* publications = top ? top->if_contains("publications") : nullptr;
  const auto* subscriptions = top ? top->if_contains("subscriptions") : nullptr;
  if (ec || format == nullptr || *format != format_name || publications == nullptr ||
      !publications->is_array() || subscriptions == nullptr || !subscriptions->is_array())
    return std::nullopt;
  sip::saved_presence out;
  for (const auto& entry : publications->as_array()) {
    const auto* item = entry.if_object();
    if (item == nullptr) return std::nullopt;
    const auto fields = strings(*item, std::array{"aor", "etag", "document"});
    const auto left = remaining(*item, now);
    if (!fields || !left) return std::nullopt;
    if (left->count() <= 0) continue;
    out.publications.push_back({(*fields)[0], (*fields)[1], (*fields)[2], *left});
  }
  for (const auto& entry : subscriptions->as_array()) {
    const auto* item = entry.if_object();
    if (item == nullptr) return std::nullopt;
    const auto fields =
        strings(*item, std::array{"aor", "call_id", "local", "remote", "route", "target"});
    const auto left = remaining(*item, now);
    const auto* cseq = item->if_contains("cseq");
    const auto* followed = item->if_contains("followed");
    if (!fields || !left || cseq == nullptr || !cseq->is_number() || followed == nullptr ||
        !followed->is_bool())
      return std::nullopt;
    const auto seq = cseq->to_number<std::int64_t>(ec);
    if (ec || seq < 0 || seq > 0x7fffffff) return std::nullopt;  // RFC 3261 §8.1.1.5
    if (left->count() <= 0) continue;
    const auto& f = *fields;
    out.subscriptions.push_back({f[0],
                                 {f[1], f[2], f[3], f[4], f[5]},
                                 static_cast<std::uint32_t>(seq),
                                 followed->as_bool(),
                                 *left});
  }
  return out;
}

}  // namespace p2psip::usage
