#include "overlay/fragmentation.hpp"

#include "wire/message.hpp"

namespace p2psip::overlay {

const char* to_string(fragmentation_error error) noexcept {
  switch (error) {
    case fragmentation_error::link_too_small: return "link_too_small";
    case fragmentation_error::offset_out_of_range: return "offset_out_of_range";
    case fragmentation_error::encode_failed: return "encode_failed";
  }
  return "unknown";
}

wire::basic_result<fragments, fragmentation_error> fragment_message(
    const wire::forwarding_header& header, wire::bytes_view payload, std::size_t link_limit) {
  wire::byte_writer measure;
  encode(measure, header);
  if (!measure.ok()) return fragmentation_error::encode_failed;
  const std::size_t header_size = measure.size();

  if (header_size + payload.size() <= link_limit) {
    auto whole = wire::encode_forwarded(header, payload);
    if (!whole) return fragmentation_error::encode_failed;
    return fragments{std::move(whole).value()};
  }
  if (link_limit < fragment_headroom + header_size + min_fragment_body) {
    return fragmentation_error::link_too_small;
  }
  const std::size_t budget = link_limit - fragment_headroom - header_size;
  const std::size_t count = (payload.size() + budget - 1) / budget;
  // Equal sizes: the first `longer` chunks take one byte more.
  const std::size_t base = payload.size() / count;
  const std::size_t longer = payload.size() % count;
  if (base < min_fragment_body) return fragmentation_error::link_too_small;

  const std::uint32_t first_offset = wire::fragment_offset(header.fragment);
  const bool ends_message = wire::is_last_fragment(header.fragment);
  wire::forwarding_header fragment_header = header;
  fragments out;
  out.reserve(count);
  std::size_t start = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t size = base + (i < longer ? 1 : 0);
    const std::size_t offset = first_offset + start;
    const auto field = offset <= wire::fragment_offset_mask
                           ? wire::make_fragment(ends_message && i + 1 == count,
                                                 static_cast<std::uint32_t>(offset))
                           : std::nullopt;
    if (!field) return fragmentation_error::offset_out_of_range;
    fragment_header.fragment = *field;
    auto bytes = wire::encode_forwarded(fragment_header, payload.subspan(start, size));
    if (!bytes) return fragmentation_error::encode_failed;
    out.push_back(std::move(bytes).value());
    start += size;
  }
  return out;
}

}  // namespace p2psip::overlay
