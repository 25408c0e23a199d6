#include "usage/publications_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace p2psip::usage {

namespace json = boost::json;

namespace {

constexpr const char* format_name = "p2psipd-publications";

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string publications_text(const std::vector<sip::saved_publication>& all,
                              std::chrono::system_clock::time_point now) {
  json::array list;
  for (const auto& p : all) {
    list.push_back(json::object{{"aor", p.aor},
                                {"etag", p.etag},
                                {"document", p.document},
                                {"until", unix_seconds(now + p.remaining)}});
  }
  return json::serialize(
      json::object{{"format", format_name}, {"version", 1}, {"publications", std::move(list)}});
}

std::optional<std::vector<sip::saved_publication>> parse_publications(
    std::string_view text, std::chrono::system_clock::time_point now) {
  boost::system::error_code ec;
  const auto parsed = json::parse(text, ec);
  const auto* top = parsed.if_object();
  const auto* format = top ? top->if_contains("format") : nullptr;
  const auto* list = top ? top->if_contains("publications") : nullptr;
  if (ec || format == nullptr || *format != format_name || list == nullptr || !list->is_array())
    return std::nullopt;
  std::vector<sip::saved_publication> out;
  for (const auto& item : list->as_array()) {
    const auto* p = item.if_object();
    const auto* aor = p ? p->if_contains("aor") : nullptr;
    const auto* etag = p ? p->if_contains("etag") : nullptr;
    const auto* document = p ? p->if_contains("document") : nullptr;
    const auto* until = p ? p->if_contains("until") : nullptr;
    if (!aor || !aor->is_string() || !etag || !etag->is_string() || !document ||
        !document->is_string() || !until || !until->is_int64())
      return std::nullopt;
    const auto remaining = std::chrono::seconds(until->as_int64() - unix_seconds(now));
    if (remaining.count() <= 0) continue;
    out.push_back({std::string(aor->as_string()), std::string(etag->as_string()),
                   std::string(document->as_string()), remaining});
  }
  return out;
}

}  // namespace p2psip::usage
