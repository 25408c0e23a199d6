#include "usage/inbox_message.hpp"

#include <span>

#include "identity/enveloped_data.hpp"
#include "wire/codec.hpp"

namespace p2psip::usage {

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string text_of(wire::bytes_view b) { return {b.begin(), b.end()}; }

}  // namespace

void encode(wire::byte_writer& w, const inbox_message& m) {
  if (!m.sealed.empty()) {
    w.u8(sealed_inbox_message_version);
    w.u64(m.sent_ms);
    w.opaque(2, 0, 0xffff, bytes_of(m.to), "to");
    w.opaque(3, 1, 0xffffff, m.sealed, "sealed");
    return;
  }
  w.u8(inbox_message_version);
  w.u64(m.sent_ms);
  w.opaque(2, 0, 0xffff, bytes_of(m.from), "from");
  w.opaque(2, 0, 0xffff, bytes_of(m.to), "to");
  w.opaque(1, 0, 0xff, bytes_of(m.content_type), "content_type");
  w.opaque(1, 0, 0xff, bytes_of(m.message_id), "message_id");
  w.opaque(3, 0, 0xffffff, bytes_of(m.body), "body");
}

void decode(wire::byte_reader& r, inbox_message& m) {
  const auto version = r.u8("version");
  if (version == sealed_inbox_message_version) {
    m.sent_ms = r.u64("sent_ms");
    m.to = text_of(r.opaque(2, 0, 0xffff, "to"));
    const auto sealed = r.opaque(3, 1, 0xffffff, "sealed");
    m.sealed.assign(sealed.begin(), sealed.end());
    return;
  }
  if (version != inbox_message_version) {
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

std::optional<inbox_message> seal(const inbox_message& clear,
                                  const identity::node_certificate& recipient, std::string& why) {
  auto inner = wire::to_bytes(clear);
  if (!inner) {
    why = "the message does not fit an inbox entry";
    return std::nullopt;
  }
  auto sealed = identity::seal_for(*inner, recipient);
  if (!sealed) {
    why = sealed.error().describe();
    return std::nullopt;
  }
  inbox_message out;
  out.sent_ms = clear.sent_ms;
  out.to = clear.to;
  out.sealed = std::move(*sealed);
  return out;
}

std::optional<inbox_message> open(const inbox_message& sealed, const identity::key_pair& key,
                                  const identity::node_certificate& certificate, std::string& why) {
  auto inner = identity::open_sealed(sealed.sealed, key, certificate);
  if (!inner) {
    why = inner.error().describe();
    return std::nullopt;
  }
  auto clear = wire::from_bytes<inbox_message>(*inner);
  if (!clear || !clear->sealed.empty()) {
    why = "the sealed content is not a version-1 InboxMessage";
    return std::nullopt;
  }
  if (clear->sent_ms != sealed.sent_ms || clear->to != sealed.to) {
    why = "the sealed sent_ms or to differ from those outside";
    return std::nullopt;
  }
  return std::move(*clear);
}

}  // namespace p2psip::usage
