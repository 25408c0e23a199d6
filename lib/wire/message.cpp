#include "wire/message.hpp"

#include <limits>

namespace p2psip::wire {

namespace {

constexpr const char* length_field = "ForwardingHeader.length";

// Back-patches the length field of a message written from `start`.
void patch_length(byte_writer& w, std::size_t start) {
  const std::size_t total = w.size() - start;
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    w.fail(codec_errc::too_long_to_encode, length_field);
    return;
  }
  w.patch_u32(start + forwarding_header_length_offset, static_cast<std::uint32_t>(total));
}

// Decodes the header of a message and hands the rest of the message, as
// delimited by `length`, to `decode_rest`, which must consume all of it.
template <class DecodeRest>
void decode_framed(byte_reader& r, forwarding_header& header, std::size_t max_message_size,
                   DecodeRest&& decode_rest) {
  const auto lengths = decode_forwarding_fixed_part(r, header);
  if (r.ok() && header.length > max_message_size) {
    r.fail(codec_errc::message_too_large, length_field);
  }
  if (r.ok() && header.length < forwarding_header_fixed_size) {
    r.fail(codec_errc::invalid_value, length_field);
  }
  auto rest = r.sub(r.ok() ? header.length - forwarding_header_fixed_size : 0, length_field);
  decode_forwarding_lists(rest, lengths, header);
  decode_rest(rest);
  rest.expect_end(length_field);
}

void decode_limited(byte_reader& r, message& v, std::size_t max_message_size) {
  decode_framed(r, v.header, max_message_size, [&v](byte_reader& rest) {
    decode(rest, v.contents);
    decode(rest, v.security);
  });
}

template <class T>
result<T> decode_whole_buffer(bytes_view bytes, std::size_t max_message_size,
                              void (*decode_into)(byte_reader&, T&, std::size_t)) {
  if (bytes.size() > max_message_size) {
    return codec_error{codec_errc::message_too_large, "message", 0};
  }
  byte_reader r(bytes);
  T value{};
  decode_into(r, value, max_message_size);
  // The buffer holds more than `length` says.
  r.expect_end(length_field);
  if (!r.ok()) return *r.error();
  return value;
}

void decode_forwarding_limited(byte_reader& r, forwarded_message& v, std::size_t max_message_size) {
  decode_framed(r, v.header, max_message_size, [&v](byte_reader& rest) {
    v.payload = rest.fixed(rest.remaining(), "payload");
  });
}

struct header_and_payload {
  const forwarding_header& header;
  bytes_view payload;
};

void encode(byte_writer& w, const header_and_payload& v) {
  const std::size_t start = w.size();
  encode(w, v.header);
  w.fixed(v.payload);
  patch_length(w, start);
}

}  // namespace

void encode(byte_writer& w, const message& v) {
  const std::size_t start = w.size();
  encode(w, v.header);
  encode(w, v.contents);
  encode(w, v.security);
  patch_length(w, start);
}

void decode(byte_reader& r, message& v) {
  decode_limited(r, v, std::numeric_limits<std::size_t>::max());
}

result<message> decode_message(bytes_view bytes, std::size_t max_message_size) {
  return decode_whole_buffer<message>(bytes, max_message_size, decode_limited);
}

result<forwarded_message> decode_forwarding_part(bytes_view bytes, std::size_t max_message_size) {
  return decode_whole_buffer<forwarded_message>(bytes, max_message_size,
                                                decode_forwarding_limited);
}

result<std::vector<std::uint8_t>> encode_forwarded(const forwarding_header& header,
                                                   bytes_view payload) {
  return to_bytes(header_and_payload{header, payload});
}

}  // namespace p2psip::wire
