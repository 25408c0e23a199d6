#include "wire/message_contents.hpp"

#include "wire/codec.hpp"

#include <utility>

namespace p2psip::wire {

namespace {
constexpr std::size_t max_u32_length = 0xffffffffu;
}  // namespace

void encode(byte_writer& w, const message_extension& v) {
  if (v.type == 0) w.fail(codec_errc::invalid_value, "MessageExtension.type");
  w.u16(v.type);
  w.boolean(v.critical);
  w.opaque(4, 0, max_u32_length, v.contents, "MessageExtension.extension_contents");
}

void decode(byte_reader& r, message_extension& v) {
  v.type = r.u16("MessageExtension.type");
  if (r.ok() && v.type == 0) r.fail(codec_errc::unknown_type, "MessageExtension.type");
  v.critical = r.boolean("MessageExtension.critical");
  const auto contents = r.opaque(4, 0, max_u32_length, "MessageExtension.extension_contents");
  v.contents.assign(contents.begin(), contents.end());
}

void encode(byte_writer& w, const message_contents& v) {
  if (v.code == message_code::invalid) w.fail(codec_errc::invalid_value, "MessageContents.message_code");
  w.u16(static_cast<std::uint16_t>(v.code));
  w.opaque(4, 0, max_u32_length, v.body, "MessageContents.message_body");
  const auto extensions = w.begin_prefixed(4);
  for (const auto& e : v.extensions) encode(w, e);
  w.end_prefixed(extensions, max_u32_length, "MessageContents.extensions");
}

void decode(byte_reader& r, message_contents& v) {
  v.code = static_cast<message_code>(r.u16("MessageContents.message_code"));
  if (r.ok() && v.code == message_code::invalid) {
    r.fail(codec_errc::unknown_type, "MessageContents.message_code");
  }
  const auto body = r.opaque(4, 0, max_u32_length, "MessageContents.message_body");
  v.body.assign(body.begin(), body.end());
  auto extensions = r.sub_prefixed(4, max_u32_length, "MessageContents.extensions");
  decode_elements(extensions, v.extensions);
}

}  // namespace p2psip::wire
