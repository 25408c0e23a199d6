#include "wire/probe.hpp"

#include "wire/codec.hpp"

namespace p2psip::wire {

namespace {

constexpr auto type_byte(probe_information_type t) { return static_cast<std::uint8_t>(t); }

bool is_known(std::uint8_t type) {
  return type >= type_byte(probe_information_type::responsible_set) &&
         type <= type_byte(probe_information_type::uptime);
}

// Each defined ProbeInformationData is a lone uint32, so `length` must be 4.
std::uint32_t decode_u32_value(byte_reader& value) {
  if (value.ok() && value.remaining() != 4) {
    value.fail(codec_errc::invalid_value, "ProbeInformation.length");
    return 0;
  }
  return value.u32("ProbeInformation.value");
}

std::uint8_t type_of(const probe_responsible_set&) {
  return type_byte(probe_information_type::responsible_set);
}
std::uint8_t type_of(const probe_num_resources&) {
  return type_byte(probe_information_type::num_resources);
}
std::uint8_t type_of(const probe_uptime&) { return type_byte(probe_information_type::uptime); }
std::uint8_t type_of(const unknown_probe_information& v) { return v.type; }

struct value_encoder {
  byte_writer& w;
  void value(const probe_responsible_set& v) const { w.u32(v.responsible_ppb); }
  void value(const probe_num_resources& v) const { w.u32(v.num_resources); }
  void value(const probe_uptime& v) const { w.u32(v.uptime); }
  void value(const unknown_probe_information& v) const {
    if (v.type == type_byte(probe_information_type::invalid) || is_known(v.type)) {
      w.fail(codec_errc::invalid_value, "ProbeInformation.type");
    }
    w.fixed(v.value);
  }

  template <class T>
  void operator()(const T& v) const {
    w.u8(type_of(v));
    const auto m = w.begin_prefixed(1);
    value(v);
    w.end_prefixed(m, 0xff, "ProbeInformation.length");
  }
};

}  // namespace

void encode(byte_writer& w, const probe_req& v) {
  const auto m = w.begin_prefixed(1);
  for (const auto t : v.requested_info) {
    if (t == probe_information_type::invalid) {
      w.fail(codec_errc::invalid_value, "ProbeReq.requested_info");
    }
    w.u8(type_byte(t));
  }
  w.end_prefixed(m, 0xff, "ProbeReq.requested_info");
}

void decode(byte_reader& r, probe_req& v) {
  auto list = r.sub_prefixed(1, 0xff, "ProbeReq.requested_info");
  v.requested_info.clear();
  while (list.ok() && !list.empty()) {
    const std::uint8_t t = list.u8("ProbeReq.requested_info");
    if (t == type_byte(probe_information_type::invalid)) {
      list.fail(codec_errc::unknown_type, "ProbeReq.requested_info");
      return;
    }
    v.requested_info.push_back(static_cast<probe_information_type>(t));
  }
}

void encode(byte_writer& w, const probe_information& v) { std::visit(value_encoder{w}, v.value); }

void decode(byte_reader& r, probe_information& v) {
  const std::uint8_t type = r.u8("ProbeInformation.type");
  auto value = r.sub(r.u8("ProbeInformation.length"), "ProbeInformation.length");
  if (!r.ok()) return;
  switch (static_cast<probe_information_type>(type)) {
    case probe_information_type::invalid:
      r.fail(codec_errc::unknown_type, "ProbeInformation.type");
      return;
    case probe_information_type::responsible_set:
      v.value = probe_responsible_set{decode_u32_value(value)};
      return;
    case probe_information_type::num_resources:
      v.value = probe_num_resources{decode_u32_value(value)};
      return;
    case probe_information_type::uptime: v.value = probe_uptime{decode_u32_value(value)}; return;
    case probe_information_type::exp_probe: break;
  }
  const auto raw = value.fixed(value.remaining(), "ProbeInformation.value");
  v.value = unknown_probe_information{type, {raw.begin(), raw.end()}};
}

void encode(byte_writer& w, const probe_ans& v) {
  const auto m = w.begin_prefixed(2);
  for (const auto& info : v.probe_info) encode(w, info);
  w.end_prefixed(m, 0xffff, "ProbeAns.probe_info");
}

void decode(byte_reader& r, probe_ans& v) {
  auto list = r.sub_prefixed(2, 0xffff, "ProbeAns.probe_info");
  decode_elements(list, v.probe_info);
}

}  // namespace p2psip::wire
