#include "usage/inbox_message.hpp"

#include <span>

namespace p2psip::usage {

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string text_of(wire::bytes_view b) { return {b.begin(), b.end()}; }

}  // namespace

void encode(wire::byte_writer& w, const inbox_message& m) {
  w.u8(inbox_message_version);
  w.u64(m.sent_ms);
  w.opaque(2, 0, 0xffff, bytes_of(m.from), "from");
  w.opaque(2, 0, 0xffff, bytes_of(m.to), "to");
  w.opaque(1, 0, 0xff, bytes_of(m.content_type), "content_type");
  w.opaque(1, 0, 0xff, bytes_of(m.message_id), "message_id");
  w.opaque(3, 0, 0xffffff, bytes_of(m.body), "body");
}

void decode(wire::byte_reader& r, inbox_message& m) {
  if (r.u8("version") != inbox_message_version) {
    if (r.ok()) r.fail(wire::codec_errc::invalid_value, "version");
    return;
  }
  m.sent_ms = r.u64("sent_ms");
  m.from = text_of(r.opaque(2, 0, 0xffff, "from"));
  m.to = text_of(r.opaque(2, 0, 0xffff, "to"));
  m.content_type = text_of(r.opaque(1, 0, 0xff, "content_type"));
  m.message_id = text_of(r.opaque(1, 0, 0xff, "message_id"));
  m.body = text_of(r.opaque(3, 0, 0xffffff, "body"));
}

}  // namespace p2psip::usage
