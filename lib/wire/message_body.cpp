#include "wire/message_body.hpp"

#include "wire/codec.hpp"

namespace p2psip::wire {

namespace {

template <class T>
result<message_body> decode_as(message_code code, bytes_view bytes,
                               const data_model_lookup& models) {
  byte_reader r(bytes);
  T value{};
  if constexpr (requires { decode(r, value, models); }) {
    decode(r, value, models);
  } else {
    decode(r, value);
  }
  r.expect_end("message_body");
  if (!r.ok()) return *r.error();
  return message_body{code, std::move(value)};
}

// The position of T in body_value: the fold stops at the first match.
template <class T, class Variant>
struct alternative_index;
template <class T, class... Ts>
struct alternative_index<T, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    std::size_t i = 0;
    (void)((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
    return i;
  }();
};
template <class T>
constexpr std::size_t index_of = alternative_index<T, body_value>::value;

struct code_entry {
  message_code code;
  std::size_t index;
  result<message_body> (*decode)(message_code, bytes_view, const data_model_lookup&);
};

template <class T>
constexpr code_entry entry(message_code code) {
  return {code, index_of<T>, &decode_as<T>};
}

constexpr code_entry code_table[] = {
    entry<probe_req>(message_code::probe_req),
    entry<probe_ans>(message_code::probe_ans),
    entry<attach_req_ans>(message_code::attach_req),
    entry<attach_req_ans>(message_code::attach_ans),
    entry<store_req>(message_code::store_req),
    entry<store_ans>(message_code::store_ans),
    entry<fetch_req>(message_code::fetch_req),
    entry<fetch_ans>(message_code::fetch_ans),
    entry<find_req>(message_code::find_req),
    entry<find_ans>(message_code::find_ans),
    entry<join_req>(message_code::join_req),
    entry<join_ans>(message_code::join_ans),
    entry<leave_req>(message_code::leave_req),
    entry<leave_ans>(message_code::leave_ans),
    entry<update_req>(message_code::update_req),
    entry<update_ans>(message_code::update_ans),
    entry<route_query_req>(message_code::route_query_req),
    entry<route_query_ans>(message_code::route_query_ans),
    entry<ping_req>(message_code::ping_req),
    entry<ping_ans>(message_code::ping_ans),
    entry<stat_req>(message_code::stat_req),
    entry<stat_ans>(message_code::stat_ans),
    entry<app_attach_req_ans>(message_code::app_attach_req),
    entry<app_attach_req_ans>(message_code::app_attach_ans),
    entry<config_update_req>(message_code::config_update_req),
    entry<config_update_ans>(message_code::config_update_ans),
    entry<error_response>(message_code::error),
};

const code_entry* find_entry(message_code code) {
  for (const auto& e : code_table) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

result<message_body> decode_body(message_code code, bytes_view body,
                                 const data_model_lookup& models) {
  const auto* e = find_entry(code);
  if (e == nullptr) return codec_error{codec_errc::unknown_type, "MessageContents.message_code", 0};
  return e->decode(code, body, models);
}

result<std::vector<std::uint8_t>> encode_body(const message_body& body) {
  const auto* e = find_entry(body.code);
  if (e == nullptr || e->index != body.value.index()) {
    return codec_error{codec_errc::invalid_value, "MessageContents.message_code", 0};
  }
  return std::visit([](const auto& v) { return to_bytes(v); }, body.value);
}

}  // namespace p2psip::wire
