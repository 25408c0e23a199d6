#include "wire/config_update.hpp"

namespace p2psip::wire {

namespace {

constexpr std::size_t max_u24 = 0xffffff;

constexpr auto type_byte(config_update_type t) { return static_cast<std::uint8_t>(t); }

std::uint8_t type_of(const config_update_config&) { return type_byte(config_update_type::config); }
std::uint8_t type_of(const config_update_kinds&) { return type_byte(config_update_type::kind); }
std::uint8_t type_of(const unknown_config_update& v) { return v.type; }

struct body_encoder {
  byte_writer& w;
  void body(const config_update_config& v) const {
    w.opaque(3, 0, max_u24, v.config_data, "ConfigUpdateReq.config_data");
  }
  void body(const config_update_kinds& v) const {
    const auto m = w.begin_prefixed(3);
    for (const auto& kind : v.kinds) w.opaque(2, 0, 0xffff, kind, "KindDescription");
    w.end_prefixed(m, max_u24, "ConfigUpdateReq.kinds");
  }
  void body(const unknown_config_update& v) const {
    if (v.type <= type_byte(config_update_type::kind)) {
      w.fail(codec_errc::invalid_value, "ConfigUpdateReq.type");
    }
    w.fixed(v.body);
  }

  template <class T>
  void operator()(const T& v) const {
    w.u8(type_of(v));
    const auto m = w.begin_prefixed(4);
    body(v);
    w.end_prefixed(m, 0xffffffff, "ConfigUpdateReq.length");
  }
};

}  // namespace

void encode(byte_writer& w, const config_update_req& v) { std::visit(body_encoder{w}, v.value); }

void decode(byte_reader& r, config_update_req& v) {
  const std::uint8_t type = r.u8("ConfigUpdateReq.type");
  auto body = r.sub_prefixed(4, 0xffffffff, "ConfigUpdateReq.length");
  if (!r.ok()) return;
  switch (static_cast<config_update_type>(type)) {
    case config_update_type::invalid:
      r.fail(codec_errc::unknown_type, "ConfigUpdateReq.type");
      return;
    case config_update_type::config: {
      const auto data = body.opaque(3, 0, max_u24, "ConfigUpdateReq.config_data");
      body.expect_end("ConfigUpdateReq.length");
      v.value = config_update_config{{data.begin(), data.end()}};
      return;
    }
    case config_update_type::kind: {
      auto list = body.sub_prefixed(3, max_u24, "ConfigUpdateReq.kinds");
      config_update_kinds kinds;
      while (list.ok() && !list.empty()) {
        const auto kind = list.opaque(2, 0, 0xffff, "KindDescription");
        if (list.ok()) kinds.kinds.emplace_back(kind.begin(), kind.end());
      }
      body.expect_end("ConfigUpdateReq.length");
      v.value = std::move(kinds);
      return;
    }
  }
  const auto raw = body.fixed(body.remaining(), "ConfigUpdateReq.length");
  v.value = unknown_config_update{type, {raw.begin(), raw.end()}};
}

void encode(byte_writer&, const config_update_ans&) {}

void decode(byte_reader& r, config_update_ans&) { r.expect_end("ConfigUpdateAns"); }

}  // namespace p2psip::wire
