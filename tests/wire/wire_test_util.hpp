// Helpers shared by the wire suites: hex literals, round trips, and
// truncation sweeps.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/codec.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire::test {

// Hex with optional spaces/newlines, e.g. "01 06 c0 00 02 01".
std::vector<std::uint8_t> hex(std::string_view text);

// Encodes, checks the bytes equal `golden` when given, decodes, and checks the
// value survives.
template <class T>
std::vector<std::uint8_t> round_trip(const T& value) {
  auto bytes = to_bytes(value);
  REQUIRE(bytes.has_value());
  auto back = from_bytes<T>(*bytes);
  if (!back) FAIL("decode failed: " << back.error().describe());
  CHECK(*back == value);
  return *bytes;
}

// Every strict prefix of a valid encoding must fail to decode, and must fail
// as truncation or an over-long length, never succeed or crash.
template <class T>
void check_every_truncation_fails(const std::vector<std::uint8_t>& bytes) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = from_bytes<T>(bytes_view(bytes.data(), n));
    INFO("prefix length " << n);
    REQUIRE_FALSE(r.has_value());
    const auto code = r.error().code;
    CHECK((code == codec_errc::truncated || code == codec_errc::length_past_end));
  }
}

// One extra byte after a valid encoding is an error.
template <class T>
void check_trailing_byte_fails(std::vector<std::uint8_t> bytes) {
  bytes.push_back(0);
  auto r = from_bytes<T>(bytes);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == codec_errc::trailing_bytes);
}

template <class T>
codec_errc decode_error_of(const std::vector<std::uint8_t>& bytes) {
  auto r = from_bytes<T>(bytes);
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace p2psip::wire::test
