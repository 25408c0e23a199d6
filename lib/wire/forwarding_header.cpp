#include "wire/forwarding_header.hpp"

#include "wire/codec.hpp"

#include <utility>

namespace p2psip::wire {

namespace {

constexpr std::size_t list_lengths_offset = 32;  // via_list_length in the fixed part

// Writes a list and returns its size in bytes for the fixed part.
template <class T>
std::uint16_t encode_list(byte_writer& w, const std::vector<T>& items, const char* field) {
  const std::size_t begin = w.size();
  for (const auto& item : items) encode(w, item);
  const std::size_t size = w.size() - begin;
  if (size > 0xffff) {
    w.fail(codec_errc::too_long_to_encode, field);
    return 0;
  }
  return static_cast<std::uint16_t>(size);
}

}  // namespace

void encode(byte_writer& w, const forwarding_option& v) {
  if (v.type == 0) w.fail(codec_errc::invalid_value, "ForwardingOption.type");
  w.u8(v.type);
  w.u8(v.flags);
  w.opaque(2, 0, 0xffff, v.value, "ForwardingOption.length");
}

void decode(byte_reader& r, forwarding_option& v) {
  v.type = r.u8("ForwardingOption.type");
  if (r.ok() && v.type == 0) r.fail(codec_errc::unknown_type, "ForwardingOption.type");
  v.flags = r.u8("ForwardingOption.flags");
  const auto value = r.opaque(2, 0, 0xffff, "ForwardingOption.length");
  v.value.assign(value.begin(), value.end());
}

void encode(byte_writer& w, const forwarding_header& v) {
  if ((v.fragment & fragment_high_bit) == 0) {
    w.fail(codec_errc::invalid_value, "ForwardingHeader.fragment");
  }
  const std::size_t start = w.size();
  w.u32(relo_token);
  w.u32(v.overlay.value);
  w.u16(v.configuration_sequence.value);
  w.u8(reload_version);
  w.u8(v.ttl);
  w.u32(v.fragment);
  w.u32(v.length);
  w.u64(v.transaction_id.value);
  w.u32(v.max_response_length);
  w.u16(0);  // via_list_length, destination_list_length and options_length,
  w.u16(0);  // patched once the lists are written
  w.u16(0);
  const auto via = encode_list(w, v.via_list, "ForwardingHeader.via_list_length");
  const auto destinations =
      encode_list(w, v.destination_list, "ForwardingHeader.destination_list_length");
  const auto options = encode_list(w, v.options, "ForwardingHeader.options_length");
  w.patch_u16(start + list_lengths_offset, via);
  w.patch_u16(start + list_lengths_offset + 2, destinations);
  w.patch_u16(start + list_lengths_offset + 4, options);
}

forwarding_list_lengths decode_forwarding_fixed_part(byte_reader& r, forwarding_header& v) {
  if (r.u32("ForwardingHeader.relo_token") != relo_token && r.ok()) {
    r.fail(codec_errc::bad_token, "ForwardingHeader.relo_token");
  }
  v.overlay = overlay_hash{r.u32("ForwardingHeader.overlay")};
  v.configuration_sequence = config_sequence{r.u16("ForwardingHeader.configuration_sequence")};
  if (r.u8("ForwardingHeader.version") != reload_version && r.ok()) {
    r.fail(codec_errc::unsupported_version, "ForwardingHeader.version");
  }
  v.ttl = r.u8("ForwardingHeader.ttl");
  v.fragment = r.u32("ForwardingHeader.fragment");
  // "Implementations SHOULD discard any message with it set to 0" (§6.7).
  if ((v.fragment & fragment_high_bit) == 0 && r.ok()) {
    r.fail(codec_errc::invalid_value, "ForwardingHeader.fragment");
  }
  v.length = r.u32("ForwardingHeader.length");
  v.transaction_id = transaction_id{r.u64("ForwardingHeader.transaction_id")};
  v.max_response_length = r.u32("ForwardingHeader.max_response_length");
  forwarding_list_lengths lengths;
  lengths.via_list = r.u16("ForwardingHeader.via_list_length");
  lengths.destination_list = r.u16("ForwardingHeader.destination_list_length");
  lengths.options = r.u16("ForwardingHeader.options_length");
  return lengths;
}

void decode_forwarding_lists(byte_reader& r, const forwarding_list_lengths& lengths,
                             forwarding_header& v) {
  auto via = r.sub(lengths.via_list, "ForwardingHeader.via_list_length");
  decode_destination_list(via, v.via_list);
  auto destinations = r.sub(lengths.destination_list, "ForwardingHeader.destination_list_length");
  decode_destination_list(destinations, v.destination_list);
  auto options = r.sub(lengths.options, "ForwardingHeader.options_length");
  decode_elements(options, v.options);
}

void decode(byte_reader& r, forwarding_header& v) {
  const auto lengths = decode_forwarding_fixed_part(r, v);
  decode_forwarding_lists(r, lengths, v);
}

}  // namespace p2psip::wire
