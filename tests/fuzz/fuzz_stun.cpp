// libFuzzer target for the STUN/TURN parser, the attribute readers, the
// Binding responder and ChannelData framing. A message that parses must
// re-encode (with zero padding) to one that parses to the same attributes,
// and every answer the responder gives must itself parse. The first byte
// seeds the chunking of the rest through the stream framer.
#include <cstdlib>
#include <random>

#include "nat/channel_data.hpp"
#include "nat/stun_attributes.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/stun_responder.hpp"

using namespace p2psip::nat;

namespace {

bool same_attributes(const stun_message& a, const stun_message& b) {
  if (a.attributes.size() != b.attributes.size()) return false;
  for (std::size_t i = 0; i < a.attributes.size(); ++i) {
    const auto& x = a.attributes[i];
    const auto& y = b.attributes[i];
    if (x.type != y.type) return false;
    if (x.type != attribute::fingerprint &&
        !std::equal(x.value.begin(), x.value.end(), y.value.begin(), y.value.end())) {
      return false;
    }
  }
  return true;
}

void read_every_attribute(const stun_message& m) {
  for (const auto& a : m.attributes) {
    (void)read_address(a);
    (void)read_xor_address(a, m.id);
    (void)read_error_code(a);
    (void)read_unknown_attributes(a);
    (void)read_u32(a);
    (void)read_channel_number(a);
    (void)read_requested_transport(a);
    (void)read_even_port(a);
    (void)read_reservation_token(a);
  }
}

void check_stun(bytes_view bytes) {
  const auto m = parse_stun(bytes);
  if (!m) return;
  read_every_attribute(*m);
  (void)integrity_valid(*m, text_bytes("password"));
  stun_writer w(m->klass, m->method, m->id);
  for (const auto& a : m->attributes) {
    if (a.type != attribute::fingerprint) w.add(a.type, a.value);
  }
  if (m->find(attribute::fingerprint)) w.add_fingerprint();
  const auto again = parse_stun(w.bytes());
  if (!again || !same_attributes(*m, *again)) std::abort();

  static const stun_responder responder;
  const transport_address source(boost::asio::ip::make_address("192.0.2.1"), 1234);
  if (const auto answer = responder.respond(*m, source); answer && !parse_stun(*answer)) {
    std::abort();
  }
}

void check_channel_data(bytes_view bytes) {
  const auto c = parse_channel_data(bytes);
  if (!c) return;
  if (!valid_channel(c->channel) || bytes.size() - c->data.size() - channel_header_size > 3) {
    std::abort();
  }
}

void check_stream(bytes_view stream, std::uint8_t seed) {
  stream_framer framer;
  std::minstd_rand rng(seed);
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t chunk = std::min<std::size_t>(stream.size() - at, 1 + rng() % 64);
    framer.append(stream.subspan(at, chunk));
    at += chunk;
    for (;;) {
      const auto frame = framer.next();
      if (!frame) return;
      if (!*frame) break;
      if (looks_like_channel_data(**frame)) {
        check_channel_data(**frame);
      } else {
        check_stun(**frame);
      }
    }
  }
}

// RFC 3489 Bindings (RFC 5389 §12.2): an answer is 32 bytes, the request's
// header with the response type, and carries its transaction id.
void check_classic_binding(bytes_view input) {
  const transport_address source(boost::asio::ip::make_address("192.0.2.1"), 1);
  const auto answer = respond_classic_binding(input, source);
  if (!answer) return;
  if (answer->size() != 32 ||
      !std::equal(input.begin() + 4, input.begin() + 20, answer->begin() + 4)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bytes_view input(data + 1, size - 1);
  check_stun(input);
  check_classic_binding(input);
  check_channel_data(input);
  check_stream(input, data[0]);
  return 0;
}
