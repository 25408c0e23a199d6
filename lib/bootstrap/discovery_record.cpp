#include "bootstrap/discovery_record.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"

namespace p2psip::bootstrap {
namespace {

constexpr std::array<std::uint8_t, 4> magic = {'P', '2', 'S', 'D'};
constexpr std::uint8_t family_source = 0;
constexpr std::uint8_t family_ipv4 = 4;
constexpr std::uint8_t family_ipv6 = 6;

void put_be(std::vector<std::uint8_t>& out, std::uint64_t value, int width) {
  for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

// A fixed-size address; on truncation the reader's error ends the decode.
template <class Address>
boost::asio::ip::address read_address(wire::byte_reader& r) {
  typename Address::bytes_type bytes{};
  const auto raw = r.fixed(bytes.size(), "address");
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return Address(bytes);
}

}  // namespace

std::vector<std::uint8_t> encode_discovery_record(const discovery_record& record) {
  std::vector<std::uint8_t> out(magic.begin(), magic.end());
  out.reserve(max_discovery_record_size);
  out.push_back(discovery_version);
  out.push_back(static_cast<std::uint8_t>(record.type));
  put_be(out, record.overlay.value, 4);
  out.insert(out.end(), record.node.bytes().begin(), record.node.bytes().end());
  if (!record.address || record.address->is_unspecified()) {
    out.push_back(family_source);
  } else if (record.address->is_v4()) {
    out.push_back(family_ipv4);
    const auto bytes = record.address->to_v4().to_bytes();
    out.insert(out.end(), bytes.begin(), bytes.end());
  } else {
    out.push_back(family_ipv6);
    const auto bytes = record.address->to_v6().to_bytes();
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  put_be(out, record.port, 2);
  return out;
}

std::optional<discovery_record> decode_discovery_record(std::span<const std::uint8_t> datagram) {
  wire::byte_reader r(datagram);
  const auto prefix = r.fixed(magic.size(), "magic");
  if (!r.ok() || !std::equal(prefix.begin(), prefix.end(), magic.begin())) return std::nullopt;
  if (r.u8("version") != discovery_version) return std::nullopt;
  discovery_record record;
  const std::uint8_t type = r.u8("type");
  if (type < 1 || type > 3) return std::nullopt;
  record.type = static_cast<discovery_message>(type);
  record.overlay = wire::overlay_hash{r.u32("overlay")};
  const auto node = wire::node_id::from_span(r.fixed(wire::node_id_length, "node"));
  if (!node) return std::nullopt;
  record.node = *node;
  switch (r.u8("family")) {
    case family_source: break;
    case family_ipv4: record.address = read_address<boost::asio::ip::address_v4>(r); break;
    case family_ipv6: record.address = read_address<boost::asio::ip::address_v6>(r); break;
    default: return std::nullopt;
  }
  record.port = r.u16("port");
  r.expect_end("record");
  if (!r.ok() || record.port == 0) return std::nullopt;
  // Nobody listens for RELOAD on these; a record naming one is junk.
  if (record.address && (record.address->is_unspecified() || record.address->is_multicast())) {
    return std::nullopt;
  }
  return record;
}

}  // namespace p2psip::bootstrap
