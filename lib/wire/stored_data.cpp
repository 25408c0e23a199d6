#include "wire/stored_data.hpp"

namespace p2psip::wire {

std::optional<data_model> well_known_data_model(kind_id kind) noexcept {
  if (kind == well_known_kind::sip_registration) return data_model::dictionary;
  if (kind == well_known_kind::turn_service) return data_model::single_value;
  if (kind == well_known_kind::certificate_by_node ||
      kind == well_known_kind::certificate_by_user) {
    return data_model::array;
  }
  return std::nullopt;
}

void encode(byte_writer& w, const data_value& v) {
  w.boolean(v.exists);
  w.opaque(4, 0, 0xffffffff, v.value, "DataValue.value");
}

void decode(byte_reader& r, data_value& v) {
  v.exists = r.boolean("DataValue.exists");
  const auto value = r.opaque(4, 0, 0xffffffff, "DataValue.value");
  v.value.assign(value.begin(), value.end());
}

void encode(byte_writer& w, const stored_data& v) {
  const auto m = w.begin_prefixed(4);
  w.u64(v.storage_time);
  w.u32(v.lifetime);
  encode(w, v.value);
  encode(w, v.signature);
  w.end_prefixed(m, 0xffffffff, "StoredData.length");
}

void decode(byte_reader& r, stored_data& v, data_model model) {
  auto body = r.sub_prefixed(4, 0xffffffff, "StoredData.length");
  v.storage_time = body.u64("StoredData.storage_time");
  v.lifetime = body.u32("StoredData.lifetime");
  decode(body, v.value, model);
  decode(body, v.signature);
  body.expect_end("StoredData.length");
}

namespace {

// The §7.1 signature input, encoded through the writer so that measuring and
// writing share one definition.
struct signed_stored_data {
  const resource_id& resource;
  kind_id kind;
  const stored_data& data;
};

void encode(byte_writer& w, const signed_stored_data& s) {
  w.fixed(s.resource.bytes());
  w.u32(s.kind.value);
  w.u64(s.data.storage_time);
  if (const auto* entry = std::get_if<array_entry>(&s.data.value.entry)) {
    w.u32(0);
    encode(w, entry->value);
  } else {
    encode(w, s.data.value);
  }
  encode(w, s.data.signature.identity);
}

}  // namespace

result<std::vector<std::uint8_t>> stored_data_signature_input(const resource_id& resource,
                                                              kind_id kind,
                                                              const stored_data& data) {
  return to_bytes(signed_stored_data{resource, kind, data});
}

}  // namespace p2psip::wire
