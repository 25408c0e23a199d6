#include "wire/framing.hpp"

#include <random>

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
framed_message data_frame(std::uint32_t sequence, std::vector<std::uint8_t> message) {
  return framed_message{framed_data{sequence, std::move(message)}};
}

// Feeds `stream` to a splitter in the given chunk sizes and collects frames
// until the stream ends or an error occurs.
struct split_outcome {
  std::vector<framed_message> frames;
  std::optional<codec_errc> error;
};
split_outcome split(frame_splitter& splitter, const std::vector<std::uint8_t>& stream,
                    const std::vector<std::size_t>& chunks) {
  split_outcome out;
  std::size_t at = 0;
  for (const std::size_t chunk : chunks) {
    bytes_view input(stream.data() + at, chunk);
    at += chunk;
    while (!input.empty()) {
      auto next = splitter.next(input);
      if (!next) {
        out.error = next.error().code;
        return out;
      }
      if (*next) out.frames.push_back(std::move(**next));
    }
  }
  return out;
}
}  // namespace

TEST_CASE("FramedMessage: data frame golden vector") {
  const auto golden = hex("80 00000001 000003 616263");
  CHECK(test::round_trip(data_frame(1, hex("616263"))) == golden);
  test::check_every_truncation_fails<framed_message>(golden);
  test::check_trailing_byte_fails<framed_message>(golden);
}

TEST_CASE("FramedMessage: empty data frame is valid (message<0..2^24-1>)") {
  const auto golden = hex("80 ffffffff 000000");
  CHECK(test::round_trip(data_frame(0xffffffff, {})) == golden);
  test::check_every_truncation_fails<framed_message>(golden);
}

TEST_CASE("FramedMessage: ack frame golden vector") {
  const auto golden = hex("81 00000022 80000006");
  CHECK(test::round_trip(framed_message{framed_ack{0x22, 0x80000006}}) == golden);
  test::check_every_truncation_fails<framed_message>(golden);
  test::check_trailing_byte_fails<framed_message>(golden);
}

TEST_CASE("FramedMessage: unknown types are rejected") {
  for (const char* bytes : {"00 00000000 00000000", "7f 00000000 000000", "82 00000000 00000000",
                            "ff 00000000 00000000"}) {
    INFO(bytes);
    CHECK(test::decode_error_of<framed_message>(hex(bytes)) == codec_errc::unknown_type);
  }
}

TEST_CASE("FramedMessage: append helpers match the structure encoder") {
  std::vector<std::uint8_t> out = hex("aa");
  auto size = append_data_frame(out, 7, hex("0102"));
  REQUIRE(size);
  CHECK(*size == framed_data_header_size + 2);
  append_ack_frame(out, framed_ack{7, 0x2});
  CHECK(out == hex("aa 80 00000007 000002 0102 81 00000007 00000002"));

  std::vector<std::uint8_t> huge(max_framed_payload + 1);
  std::vector<std::uint8_t> sink;
  auto too_big = append_data_frame(sink, 0, huge);
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().code == codec_errc::too_long_to_encode);
  CHECK(sink.empty());
}

TEST_CASE("frame_splitter: random chunkings yield the same frames") {
  std::vector<framed_message> sent;
  std::vector<std::uint8_t> stream;
  std::mt19937 rng(20240601);
  for (std::uint32_t seq = 0; seq < 200; ++seq) {
    if (seq % 3 == 2) {
      sent.push_back(framed_message{framed_ack{seq, static_cast<std::uint32_t>(rng())}});
    } else {
      std::vector<std::uint8_t> message(rng() % 300);
      for (auto& b : message) b = static_cast<std::uint8_t>(rng());
      sent.push_back(data_frame(seq, std::move(message)));
    }
    auto bytes = to_bytes(sent.back());
    REQUIRE(bytes);
    stream.insert(stream.end(), bytes->begin(), bytes->end());
  }

  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> chunks;
    for (std::size_t left = stream.size(); left > 0;) {
      // Mix single bytes, header-splitting sizes and multi-frame chunks.
      const std::size_t pick = std::min<std::size_t>(left, round % 5 == 0 ? 1 : 1 + rng() % 700);
      chunks.push_back(pick);
      left -= pick;
    }
    frame_splitter splitter(300);
    const auto out = split(splitter, stream, chunks);
    INFO("round " << round);
    CHECK_FALSE(out.error);
    CHECK(out.frames == sent);
    CHECK(splitter.buffered() == 0);
  }
}

TEST_CASE("frame_splitter: an incomplete frame stays buffered until its last byte") {
  const auto frame = hex("80 00000009 000002 beef");
  frame_splitter splitter(100);
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    bytes_view one(&frame[i], 1);
    auto r = splitter.next(one);
    REQUIRE(r);
    CHECK_FALSE(*r);
    CHECK(splitter.buffered() == i + 1);
  }
  bytes_view last(&frame.back(), 1);
  auto r = splitter.next(last);
  REQUIRE(r);
  REQUIRE(*r);
  CHECK(**r == data_frame(9, hex("beef")));
  CHECK(splitter.buffered() == 0);
}

TEST_CASE("frame_splitter: a message over the maximum fails on its header") {
  frame_splitter splitter(1000);
  SECTION("header alone, payload never sent") {
    // 1001 bytes declared: rejected before any payload arrives.
    auto header = hex("80 00000000 0003e9");
    bytes_view input(header);
    auto r = splitter.next(input);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == codec_errc::message_too_large);
    CHECK(splitter.buffered() <= framed_data_header_size);
  }
  SECTION("header split across chunks after a good frame") {
    auto stream = hex("81 00000000 00000000 80 00000001 ffffff");
    const auto out = split(splitter, stream, {10, 3, 2, 2});
    CHECK(out.frames.size() == 1);
    REQUIRE(out.error);
    CHECK(*out.error == codec_errc::message_too_large);
  }
  SECTION("exactly the maximum is accepted") {
    std::vector<std::uint8_t> message(1000, 0x5a);
    auto stream = *to_bytes(data_frame(3, message));
    const auto out = split(splitter, stream, {4, 500, stream.size() - 504});
    CHECK_FALSE(out.error);
    REQUIRE(out.frames.size() == 1);
    CHECK(out.frames[0] == data_frame(3, message));
  }
}

TEST_CASE("frame_splitter: an unknown type poisons the stream") {
  frame_splitter splitter(100);
  auto stream = hex("80 00000000 000000 17 0303 0010");  // a TLS record header after a frame
  const auto out = split(splitter, stream, {stream.size()});
  CHECK(out.frames.size() == 1);
  REQUIRE(out.error);
  CHECK(*out.error == codec_errc::unknown_type);

  auto more = hex("81 00000000 00000000");
  bytes_view input(more);
  auto again = splitter.next(input);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == codec_errc::unknown_type);
}
