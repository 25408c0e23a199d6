#include "wire/destination.hpp"

#include "wire/codec.hpp"

namespace p2psip::wire {

namespace {
struct encoder {
  byte_writer& w;
  void operator()(const node_id& id) const {
    w.u8(static_cast<std::uint8_t>(destination_type::node));
    w.u8(static_cast<std::uint8_t>(node_id_length));
    w.fixed(id.bytes());
  }
  void operator()(const resource_id& id) const {
    w.u8(static_cast<std::uint8_t>(destination_type::resource));
    auto m = w.begin_prefixed(1);
    w.opaque(1, 0, 255, id.bytes(), "Destination.resource_id");
    w.end_prefixed(m, 255, "Destination.length");
  }
  void operator()(const opaque_id& id) const {
    w.u8(static_cast<std::uint8_t>(destination_type::opaque_id_type));
    auto m = w.begin_prefixed(1);
    w.opaque(1, 0, 255, id.bytes(), "Destination.opaque_id");
    w.end_prefixed(m, 255, "Destination.length");
  }
  void operator()(const compressed_id& id) const {
    if ((id.value & 0x8000) == 0) w.fail(codec_errc::invalid_value, "Destination.compressed_id");
    w.u16(id.value);
  }
  void operator()(const unknown_destination& d) const {
    if (d.type <= static_cast<std::uint8_t>(destination_type::opaque_id_type) || d.type >= 0x80) {
      w.fail(codec_errc::invalid_value, "Destination.type");
    }
    w.u8(d.type);
    w.opaque(1, 0, 255, d.data, "Destination.length");
  }
};
}  // namespace

void encode(byte_writer& w, const destination& d) { std::visit(encoder{w}, d.value); }

void decode(byte_reader& r, destination& d) {
  const std::uint8_t first = r.u8("Destination.type");
  if (!r.ok()) return;
  if ((first & 0x80) != 0) {
    // The compressed form: the type byte is the high half of a 16-bit id.
    const std::uint8_t low = r.u8("Destination.compressed_id");
    d.value = compressed_id{static_cast<std::uint16_t>((first << 8) | low)};
    return;
  }
  auto body = r.sub(r.u8("Destination.length"), "Destination.length");
  switch (static_cast<destination_type>(first)) {
    case destination_type::node: {
      if (body.remaining() != node_id_length && body.ok()) {
        body.fail(codec_errc::invalid_value, "Destination.node_id");
        return;
      }
      d.value = *node_id::from_span(body.fixed(node_id_length, "Destination.node_id"));
      return;
    }
    case destination_type::resource: {
      auto id = body.opaque(1, 0, 255, "Destination.resource_id");
      body.expect_end("Destination.resource_id");
      d.value = *resource_id::from_span(id);
      return;
    }
    case destination_type::opaque_id_type: {
      auto id = body.opaque(1, 0, 255, "Destination.opaque_id");
      body.expect_end("Destination.opaque_id");
      d.value = *opaque_id::from_span(id);
      return;
    }
    case destination_type::invalid:
      r.fail(codec_errc::unknown_type, "Destination.type");
      return;
  }
  auto data = body.fixed(body.remaining(), "Destination.data");
  d.value = unknown_destination{first, {data.begin(), data.end()}};
}

void decode_destination_list(byte_reader& r, std::vector<destination>& out) {
  decode_elements(r, out);
}

void encode_destination_list(byte_writer& w, const std::vector<destination>& list) {
  for (const auto& d : list) encode(w, d);
}

}  // namespace p2psip::wire
