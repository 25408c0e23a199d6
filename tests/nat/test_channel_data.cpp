// ChannelData framing (RFC 5766 §11.4, §11.5) and the stream splitter.
#include <catch2/catch.hpp>

#include "nat/channel_data.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/stun_message.hpp"
#include "nat_test_util.hpp"

using namespace p2psip::nat;
using p2psip::nat::test::hex;

TEST_CASE("ChannelData encodes, pads over streams only, and parses back") {
  const auto udp = encode_channel_data(0x4000, text_bytes("hello"), false);
  CHECK(udp == hex("40 00 00 05 68 65 6c 6c 6f"));
  const auto stream = encode_channel_data(0x7FFF, text_bytes("hello"), true);
  CHECK(stream == hex("7f ff 00 05 68 65 6c 6c 6f 00 00 00"));
  for (const auto& bytes : {udp, stream}) {
    const auto parsed = parse_channel_data(bytes);
    REQUIRE(parsed);
    CHECK(std::string(parsed->data.begin(), parsed->data.end()) == "hello");
  }
  CHECK(parse_channel_data(hex("40 01 00 00"))->data.empty());

  // Into a reused buffer: what it held before is gone.
  std::vector<std::uint8_t> reused = stream;
  encode_channel_data(0x4000, text_bytes("hi"), false, reused);
  CHECK(reused == hex("40 00 00 02 68 69"));
}

TEST_CASE("malformed ChannelData is refused") {
  CHECK(parse_channel_data(hex("40 00 00")).error().code == stun_errc::truncated);
  CHECK(parse_channel_data(hex("40 00 00 05 68 65")).error().code == stun_errc::truncated);
  CHECK(parse_channel_data(hex("80 00 00 00")).error().code == stun_errc::not_channel_data);
  // Four bytes past the data are more than padding.
  CHECK(parse_channel_data(hex("40 00 00 01 68 00 00 00 00")).error().code ==
        stun_errc::bad_length);
}

TEST_CASE("the stream framer cuts STUN and ChannelData back to back, in any chunks") {
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(9));
  w.add_fingerprint();
  const auto stun = w.bytes();
  const auto channel = encode_channel_data(0x4001, text_bytes("abcde"), true);
  std::vector<std::uint8_t> stream = stun;
  stream.insert(stream.end(), channel.begin(), channel.end());
  stream.insert(stream.end(), stun.begin(), stun.end());

  const std::size_t chunk = GENERATE(1, 3, 7, 64, 1000);
  stream_framer framer;
  std::vector<std::vector<std::uint8_t>> frames;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    framer.append(bytes_view(stream).subspan(at, std::min(chunk, stream.size() - at)));
    for (;;) {
      auto frame = framer.next();
      REQUIRE(frame);
      if (!*frame) break;
      frames.emplace_back((*frame)->begin(), (*frame)->end());
    }
  }
  REQUIRE(frames.size() == 3);
  CHECK(frames[0] == stun);
  CHECK(frames[1] == channel);
  CHECK(frames[2] == stun);
  CHECK(parse_stun(frames[2]));
}

TEST_CASE("the stream framer refuses bytes that are neither STUN nor ChannelData") {
  stream_framer framer;
  framer.append(hex("c0 00 00 00"));
  CHECK(framer.next().error().code == stun_errc::not_stun);
}
