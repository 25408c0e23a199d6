#include "wire/sip_registration.hpp"

#include <span>

namespace p2psip::wire {

namespace {

// The RFC's lower bound: a destination_list is at least 3 bytes long.
constexpr std::size_t min_destination_list = 3;

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string as_string(bytes_view b) { return {b.begin(), b.end()}; }

struct data_encoder {
  byte_writer& w;
  void operator()(const sip_registration_uri& v) const {
    w.opaque(2, 0, 0xffff, as_bytes(v.uri), "SipRegistration.uri");
  }
  void operator()(const sip_registration_route& v) const {
    w.opaque(2, 0, 0xffff, as_bytes(v.contact_prefs), "SipRegistration.contact_prefs");
    const auto m = w.begin_prefixed(2);
    encode_destination_list(w, v.destination_list);
    if (w.size() - m.at - 2 < min_destination_list) {
      w.fail(codec_errc::too_long_to_encode, "SipRegistration.destination_list");
    }
    w.end_prefixed(m, 0xffff, "SipRegistration.destination_list");
  }
  void operator()(const unknown_sip_registration& v) const { w.fixed(v.data); }
};

std::uint8_t type_of(const sip_registration& v) {
  switch (v.data.index()) {
    case 0: return static_cast<std::uint8_t>(sip_registration_type::uri);
    case 1: return static_cast<std::uint8_t>(sip_registration_type::route);
    default: return std::get<unknown_sip_registration>(v.data).type;
  }
}

bool is_known_type(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(sip_registration_type::uri) ||
         type == static_cast<std::uint8_t>(sip_registration_type::route);
}

}  // namespace

void encode(byte_writer& w, const sip_registration& v) {
  const auto type = type_of(v);
  if (v.data.index() == 2 && is_known_type(type)) {
    w.fail(codec_errc::invalid_value, "SipRegistration.type");
  }
  w.u8(type);
  const auto m = w.begin_prefixed(2);
  std::visit(data_encoder{w}, v.data);
  w.end_prefixed(m, 0xffff, "SipRegistration.length");
}

void decode(byte_reader& r, sip_registration& v) {
  const auto type = r.u8("SipRegistration.type");
  auto body = r.sub_prefixed(2, 0xffff, "SipRegistration.length");
  if (!r.ok()) return;
  switch (static_cast<sip_registration_type>(type)) {
    case sip_registration_type::uri:
      v.data = sip_registration_uri{as_string(body.opaque(2, 0, 0xffff, "SipRegistration.uri"))};
      break;
    case sip_registration_type::route: {
      sip_registration_route route;
      route.contact_prefs = as_string(body.opaque(2, 0, 0xffff, "SipRegistration.contact_prefs"));
      auto list = body.sub_prefixed(2, 0xffff, "SipRegistration.destination_list");
      if (body.ok() && list.remaining() < min_destination_list) {
        list.fail(codec_errc::length_out_of_range, "SipRegistration.destination_list");
      }
      decode_destination_list(list, route.destination_list);
      v.data = std::move(route);
      break;
    }
    default: {
      const auto raw = body.fixed(body.remaining(), "SipRegistration.data");
      v.data = unknown_sip_registration{type, {raw.begin(), raw.end()}};
      return;
    }
  }
  body.expect_end("SipRegistration.length");
}

}  // namespace p2psip::wire
